/* task: one VIAS task as the emulator stores it (see task.h).
 *
 * Rendering happens here and only here, so the list and detail bodies of a task always agree
 * with each other and with its filter keys. */
#include "task.h"

#include <errno.h>
#include <string.h>

const char *const task_states[TASK_STATE_COUNT] = {
    "PENDING",  "RECOVERING", "STARTING", "UPGRADING",  "CREATE_FAILED",     "START_FAILED",
    "RUNNING",  "STOPPING",   "STOPPED",  "ABNORMAL",   "SUCCEEDED",         "FAILED",
    "DELETING", "FREEZING",   "FROZEN",   "SCHEDULING", "LACK_OF_RESOURCES",
};

const char *const task_fields[TASK_FIELD_COUNT] = {
    "id",
    "name",
    "creator",
    "project_id",
    "description",
    "release_id",
    "service_id",
    "created_at",
    "updated_at",
    "state",
    "status",
    "error",
    "schedule_status",
    "schedule",
    "input",
    "output",
    "config",
    "video_source_name",
    "title",
    "group_name",
    "company",
    "task_config",
    "type",
    "resource_order_id",
    "package_id",
    "device_id",
    "access_address",
    "algorithm_publish_id",
};

const char *const task_summary_fields[TASK_SUMMARY_FIELD_COUNT] = {
    "id",    "name", "service_id",           "created_at", "state", "video_source_name",
    "title", "type", "algorithm_publish_id",
};

/* Where each filter key comes from: a task field, or a member of "_hidden". */
static const struct {
    const char *name;
    bool hidden;
} task_key_sources[TASK_KEY_COUNT] = {
    [TASK_KEY_STATE] = {"state", false},
    [TASK_KEY_CAMERA] = {"video_source_name", false},
    [TASK_KEY_TITLE] = {"title", false},
    [TASK_KEY_NAME] = {"name", false},
    [TASK_KEY_COMPANY] = {"company", false},
    [TASK_KEY_ALG_ID] = {"algorithm_publish_id", false},
    [TASK_KEY_SOURCE_DATA_TYPE] = {"source_data_type", true},
    [TASK_KEY_BATCH_ID] = {"batch_id", true},
    [TASK_KEY_VIDEO_GROUP_ID] = {"video_group_id", true},
};

/* Stock status text and error of the failure states. */
static const struct {
    const char *state;
    const char *status;
    const char *code;
    const char *message;
} task_failures[] = {
    {"FAILED", "The task failed: the algorithm process exited unexpectedly.", "VIAS.10031001",
     "The algorithm process exited with status 137 (out of memory)."},
    {"ABNORMAL", "The video stream was interrupted; the task keeps retrying.", "VIAS.10021003",
     "Failed to pull the video stream: connection timed out after 30 s."},
    {"CREATE_FAILED", "The task could not be created: no resources are available.", "VIAS.10011002",
     "Insufficient resources in the selected resource pool."},
    {"START_FAILED", "The task failed to start: the video source is unreachable.", "VIAS.10011005",
     "The video source did not answer within 10 s."},
};

bool task_state_is_failure(const char *state)
{
    for (size_t i = 0; i < G_N_ELEMENTS(task_failures); i++)
        if (g_strcmp0(state, task_failures[i].state) == 0)
            return true;
    return false;
}

bool task_state_is_known(const char *state)
{
    for (size_t i = 0; i < TASK_STATE_COUNT; i++)
        if (g_strcmp0(state, task_states[i]) == 0)
            return true;
    return false;
}

gint64 task_time_now(void)
{
    return g_get_real_time() / 1000;
}

char *task_time_format(gint64 ms)
{
    return g_strdup_printf("%" G_GINT64_FORMAT, ms);
}

static int task_time_parse_digits(const char *s, gint64 *ms)
{
    guint64 v = 0;
    if (!g_ascii_string_to_unsigned(s, 10, 0, G_MAXINT64 / 1000, &v, NULL))
        return -EINVAL;
    /* Ten digits or fewer are seconds (until the year 5138), more are milliseconds. */
    *ms = v < G_GUINT64_CONSTANT(100000000000) ? (gint64)v * 1000 : (gint64)v;
    return 0;
}

int task_time_parse(const cJSON *value, gint64 *ms)
{
    if (cJSON_IsNumber(value)) {
        double d = value->valuedouble;
        if (d < 0 || d > 9.0e15 || d != (double)(gint64)d)
            return -EINVAL;
        g_autofree char *s = g_strdup_printf("%" G_GINT64_FORMAT, (gint64)d);
        return task_time_parse_digits(s, ms);
    }
    if (!cJSON_IsString(value) || value->valuestring[0] == '\0')
        return -EINVAL;
    const char *s = value->valuestring;
    if (strspn(s, "0123456789") == strlen(s))
        return task_time_parse_digits(s, ms);
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(s, utc);
    if (dt == NULL)
        return -EINVAL;
    *ms = g_date_time_to_unix(dt) * 1000 + g_date_time_get_microsecond(dt) / 1000;
    return 0;
}

/* Appends the compact JSON of item to s (null when item is NULL). */
static void task_append_json(GString *s, const cJSON *item)
{
    if (item == NULL) {
        g_string_append(s, "null");
        return;
    }
    g_autofree char *text = json_print(item, NULL);
    g_string_append(s, text);
}

/* The 9-field list item, printed member by member (no copy of the record). */
static char *task_render_summary(const cJSON *record, size_t *len)
{
    g_autoptr(GString) s = g_string_sized_new(512);
    g_string_append_c(s, '{');
    for (size_t i = 0; i < TASK_SUMMARY_FIELD_COUNT; i++) {
        const char *name = task_summary_fields[i];
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(record, name);
        g_string_append_printf(s, "%s\"%s\":", i > 0 ? "," : "", name);
        if (strcmp(name, "type") == 0 && cJSON_IsString(item)) {
            /* List items say "0"/"1" as in the documented example; the detail says cloud/edge. */
            const char *t = item->valuestring;
            const char *mapped = strcmp(t, "cloud") == 0 ? "0" : strcmp(t, "edge") == 0 ? "1" : t;
            g_autoptr(cJSON) m = cJSON_CreateString(mapped);
            task_append_json(s, m);
        } else {
            task_append_json(s, item);
        }
    }
    g_string_append_c(s, '}');
    *len = s->len;
    return g_strndup(s->str, s->len); /* not the GString's spare capacity: 100k of these */
}

struct task *task_new(cJSON *record, GError **error)
{
    if (!cJSON_IsObject(record)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "a task must be a JSON object");
        return NULL;
    }
    const char *id = json_string(record, "id");
    if (id == NULL || id[0] == '\0') {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "a task needs a non-empty string \"id\"");
        return NULL;
    }
    gint64 created_ms = 0;
    if (task_time_parse(cJSON_GetObjectItemCaseSensitive(record, "created_at"), &created_ms) < 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "task %s: \"created_at\" must be epoch digits (s or ms) or ISO-8601", id);
        return NULL;
    }
    cJSON *hidden = cJSON_GetObjectItemCaseSensitive(record, TASK_HIDDEN);
    if (hidden != NULL && !cJSON_IsObject(hidden)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "task %s: \"%s\" must be an object",
                    id, TASK_HIDDEN);
        return NULL;
    }

    struct task *t = g_new0(struct task, 1);
    t->id = g_strdup(id);
    t->created_ms = created_ms;
    for (int k = 0; k < TASK_KEY_COUNT; k++) {
        const cJSON *from = task_key_sources[k].hidden ? hidden : record;
        t->keys[k] = g_strdup(from != NULL ? json_string(from, task_key_sources[k].name) : NULL);
    }
    /* Print in canonical order without "_hidden", which goes back last. */
    json_reorder(record, task_fields, TASK_FIELD_COUNT);
    if (hidden != NULL)
        cJSON_DetachItemViaPointer(record, hidden);
    t->full = json_print(record, &t->full_len);
    t->summary = task_render_summary(record, &t->summary_len);
    if (hidden != NULL)
        cJSON_AddItemToObject(record, TASK_HIDDEN, hidden);
    return t;
}

void task_free(struct task *t)
{
    if (t == NULL)
        return;
    g_free(t->id);
    for (int k = 0; k < TASK_KEY_COUNT; k++)
        g_free(t->keys[k]);
    g_free(t->full);
    g_free(t->summary);
    g_free(t);
}

cJSON *task_hidden_to_json(const struct task *t)
{
    cJSON *h = cJSON_CreateObject();
    for (int k = 0; k < TASK_KEY_COUNT; k++) {
        if (!task_key_sources[k].hidden)
            continue;
        cJSON *v = t->keys[k] != NULL ? cJSON_CreateString(t->keys[k]) : cJSON_CreateNull();
        cJSON_AddItemToObject(h, task_key_sources[k].name, v);
    }
    return h;
}

cJSON *task_to_record(const struct task *t)
{
    cJSON *record = cJSON_ParseWithLength(t->full, t->full_len);
    if (record == NULL)
        g_error("task %s: stored JSON does not parse", t->id);
    cJSON_AddItemToObject(record, TASK_HIDDEN, task_hidden_to_json(t));
    return record;
}

void task_record_merge(cJSON *record, const cJSON *patch)
{
    for (const cJSON *c = patch->child; c != NULL; c = c->next) {
        if (c->string == NULL)
            continue;
        cJSON *mine = cJSON_GetObjectItemCaseSensitive(record, TASK_HIDDEN);
        if (strcmp(c->string, TASK_HIDDEN) == 0 && cJSON_IsObject(c) && cJSON_IsObject(mine)) {
            task_record_merge(mine, c);
            continue;
        }
        json_set(record, c->string, cJSON_Duplicate(c, true));
    }
}

void task_record_set_state(cJSON *record, const char *state, const char *status, gint64 now_ms)
{
    g_autofree char *now = task_time_format(now_ms);
    json_set(record, "state", cJSON_CreateString(state));
    json_set(record, "updated_at", cJSON_CreateString(now));
    task_record_set_status(record, state, status);
}

void task_record_set_status(cJSON *record, const char *state, const char *status)
{
    for (size_t i = 0; i < G_N_ELEMENTS(task_failures); i++) {
        if (strcmp(state, task_failures[i].state) != 0)
            continue;
        cJSON *err = cJSON_CreateObject();
        cJSON_AddStringToObject(err, "code", task_failures[i].code);
        cJSON_AddStringToObject(err, "message", task_failures[i].message);
        json_set(record, "status",
                 cJSON_CreateString(status != NULL ? status : task_failures[i].status));
        json_set(record, "error", err);
        return;
    }
    json_set(record, "status", status != NULL ? cJSON_CreateString(status) : cJSON_CreateNull());
    json_set(record, "error", cJSON_CreateNull());
}
