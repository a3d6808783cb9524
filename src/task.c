/*
 * task: the task model and its parser from API JSON (see task.h and task_cjson.h). Parsing
 * is strict about types (a field is absent, null, or of its documented type) and forgiving
 * about content: invalid UTF-8 is replaced, unknown states and unknown fields are kept.
 * It does not fetch anything and does not turn strings into file names.
 */
#include "task_cjson.h"
#include "redact.h"

#include <errno.h>
#include <malloc.h>
#include <string.h>

/* cJSON parses no deeper than CJSON_NESTING_LIMIT: walks bounded by it see every node. */
enum { MAX_ID_LEN = 128, MAX_DEPTH = CJSON_NESTING_LIMIT };

struct task *task_ref(struct task *t)
{
    g_atomic_int_inc(&t->refcount);
    return t;
}

enum { TASK_BLOCKS = 21 };

/* Every heap block @t owns, itself first (NULL for absent strings): what task_free frees and
 * task_size counts, listed once. */
static void task_blocks(const struct task *t, const void *out[TASK_BLOCKS])
{
    const void *const blocks[TASK_BLOCKS] = {
        t,
        t->id,
        t->name,
        t->state,
        t->status,
        t->video_source_name,
        t->title,
        t->type,
        t->service_id,
        t->algorithm_publish_id,
        t->creator,
        t->description,
        t->company,
        t->error_code,
        t->error_message,
        t->task_json,
        t->input_json,
        t->output_json,
        t->schedule_json,
        t->config_json,
        t->error_json,
    };

    memcpy(out, blocks, sizeof(blocks));
}

static void task_free(struct task *t)
{
    const void *blocks[TASK_BLOCKS];

    task_blocks(t, blocks);
    for (size_t i = 1; i < TASK_BLOCKS; i++)
        g_free((void *)blocks[i]);
    g_free(t);
}

void task_unref(struct task *t)
{
    if (t && g_atomic_int_dec_and_test(&t->refcount))
        task_free(t);
}

void task_fill_updated(struct task *t, gint64 ms)
{
    if (t->updated_ms < 0)
        t->updated_ms = ms;
}

gint64 task_mtime_ms(const struct task *t)
{
    if (t->updated_ms >= 0)
        return t->updated_ms;
    return t->created_ms >= 0 ? t->created_ms : 0;
}

gint64 task_parse_time(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0)
        return -1;
    if (strspn(s, "0123456789") == n) {
        guint64 v;
        if (n > 16 || !g_ascii_string_to_unsigned(s, 10, 0, G_MAXINT64 / 1000, &v, NULL))
            return -1;
        return n <= 10 ? (gint64)v * 1000 : (gint64)v; /* seconds until year 2286 */
    }
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
    g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(s, utc);
    if (!dt || g_date_time_to_unix(dt) < 0) /* before 1970: not a time a task can have */
        return -1;
    return g_date_time_to_unix(dt) * 1000 + g_date_time_get_microsecond(dt) / 1000;
}

/* Replaces invalid UTF-8 in every string (keys and values) below @node. */
static void make_strings_valid(cJSON *node, int depth)
{
    for (cJSON *c = node; c; c = c->next) {
        if (c->string && !g_utf8_validate(c->string, -1, NULL)) {
            char *fixed = g_utf8_make_valid(c->string, -1);
            if (!(c->type & cJSON_StringIsConst))
                cJSON_free(c->string);
            c->string = cJSON_malloc(strlen(fixed) + 1);
            strcpy(c->string, fixed);
            c->type &= ~cJSON_StringIsConst;
            g_free(fixed);
        }
        if (cJSON_IsString(c) && c->valuestring && !g_utf8_validate(c->valuestring, -1, NULL)) {
            g_autofree char *fixed = g_utf8_make_valid(c->valuestring, -1);
            cJSON_SetValuestring(c, fixed);
        }
        if (c->child && depth < MAX_DEPTH)
            make_strings_valid(c->child, depth + 1);
    }
}

bool task_id_is_valid(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > MAX_ID_LEN || id[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!(g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

/*
 * Reads an optional string member into *@out. Returns false (with *@why) when the member
 * exists with another type. Numbers are accepted only where @numbers_ok (timestamps).
 */
static bool opt_string(const cJSON *obj, const char *key, bool numbers_ok, char **out, char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (!v || cJSON_IsNull(v))
        return true;
    if (cJSON_IsString(v) && v->valuestring) {
        *out = g_strdup(v->valuestring);
        return true;
    }
    if (numbers_ok && cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e16) {
        *out = g_strdup_printf("%.0f", v->valuedouble);
        return true;
    }
    *why = g_strdup_printf("field \"%s\" is not a string", key);
    return false;
}

/* Renders an optional object member; "null\n" when absent or null. */
static bool render_member(const cJSON *obj, const char *key, char **out, char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char *text;

    if (!v || cJSON_IsNull(v)) {
        *out = g_strdup("null\n");
        return true;
    }
    if (!cJSON_IsObject(v)) {
        *why = g_strdup_printf("field \"%s\" is not an object", key);
        return false;
    }
    text = cJSON_Print(v);
    if (!text) {
        *why = g_strdup("out of memory rendering JSON");
        return false;
    }
    *out = g_strconcat(text, "\n", NULL);
    cJSON_free(text);
    return true;
}

/* Members present only in whole task objects, never in the 9-field summary. */
static bool has_detail_members(const cJSON *obj)
{
    static const char *const keys[] = {"updated_at", "creator",    "project_id", "input",
                                       "output",     "config",     "schedule",   "status",
                                       "error",      "description"};

    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
        if (cJSON_GetObjectItemCaseSensitive(obj, keys[i]))
            return true;
    return false;
}

int task_from_cjson(cJSON *obj, const struct task_parse_opts *opts, struct task **out, char **why)
{
    g_autoptr(Task) t = g_new0(struct task, 1);
    g_autofree char *created = NULL, *updated = NULL;
    const cJSON *err;
    char *text;

    t->refcount = 1;
    if (!cJSON_IsObject(obj)) {
        *why = g_strdup("task is not a JSON object");
        return -EBADMSG;
    }
    if (cJSON_GetArraySize(obj) > 0)
        make_strings_valid(obj->child, 0);

    if (!opt_string(obj, "id", false, &t->id, why))
        return -EBADMSG;
    if (!t->id) {
        *why = g_strdup("task has no id");
        return -EBADMSG;
    }
    if (!task_id_is_valid(t->id)) {
        *why = g_strdup("task id is not a plain identifier");
        return -EBADMSG;
    }
    if (!opt_string(obj, "state", false, &t->state, why))
        return -EBADMSG;
    if (!t->state || !t->state[0]) {
        *why = g_strdup_printf("task %s has no state", t->id);
        return -EBADMSG;
    }
    if (!opt_string(obj, "name", false, &t->name, why) ||
        !opt_string(obj, "status", false, &t->status, why) ||
        !opt_string(obj, "video_source_name", false, &t->video_source_name, why) ||
        !opt_string(obj, "title", false, &t->title, why) ||
        !opt_string(obj, "type", false, &t->type, why) ||
        !opt_string(obj, "service_id", false, &t->service_id, why) ||
        !opt_string(obj, "algorithm_publish_id", false, &t->algorithm_publish_id, why) ||
        !opt_string(obj, "creator", false, &t->creator, why) ||
        !opt_string(obj, "description", false, &t->description, why) ||
        !opt_string(obj, "company", false, &t->company, why) ||
        !opt_string(obj, "created_at", true, &created, why) ||
        !opt_string(obj, "updated_at", true, &updated, why))
        return -EBADMSG;
    t->created_ms = task_parse_time(created);
    t->updated_ms = task_parse_time(updated);

    err = cJSON_GetObjectItemCaseSensitive(obj, "error");
    if (err && !cJSON_IsNull(err)) {
        if (!cJSON_IsObject(err)) {
            *why = g_strdup_printf("task %s: field \"error\" is not an object", t->id);
            return -EBADMSG;
        }
        if (!opt_string(err, "code", false, &t->error_code, why) ||
            !opt_string(err, "message", false, &t->error_message, why))
            return -EBADMSG;
    }

    if (!opts->show_secrets)
        redact_task_secrets(obj);
    if (!render_member(obj, "input", &t->input_json, why) ||
        !render_member(obj, "output", &t->output_json, why) ||
        !render_member(obj, "schedule", &t->schedule_json, why) ||
        !render_member(obj, "config", &t->config_json, why) ||
        !render_member(obj, "error", &t->error_json, why))
        return -EBADMSG;
    text = cJSON_Print(obj);
    if (!text) {
        *why = g_strdup("out of memory rendering JSON");
        return -EBADMSG;
    }
    t->task_json = g_strconcat(text, "\n", NULL);
    cJSON_free(text);
    t->complete = has_detail_members(obj);
    *out = g_steal_pointer(&t);
    return 0;
}

/*
 * A NUL escaped inside a JSON string ("x\u0000y") would cut the C string cJSON makes of it,
 * and an id cut short could alias another task's: each such escape is read as U+FFFD (the
 * same length, so in place in a copy), which no id accepts and every name shows.
 */
static char *nul_escapes_replaced(const char *text, size_t len)
{
    char *copy = NULL;
    const char *at = text;

    while ((at = memmem(at, len - (size_t)(at - text), "\\u0000", 6))) {
        size_t i = (size_t)(at - text), run = 0;

        while (run < i && text[i - 1 - run] == '\\')
            run++;
        if (run % 2 == 0) { /* an odd run would be an escaped backslash, then text */
            if (!copy)
                copy = g_memdup2(text, len);
            memcpy(copy + i, "\\uFFFD", 6);
        }
        at++;
    }
    return copy;
}

/* Whether @text holds at most @max JSON values (counted as the commas and opening brackets
 * outside strings, plus one): a bound on what cJSON would allocate, found before it does. */
static bool values_at_most(const char *text, size_t len, size_t max)
{
    size_t n = 1;
    bool in_string = false;

    for (size_t i = 0; i < len; i++) {
        char c = text[i];

        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if ((c == ',' || c == '[' || c == '{') && ++n > max) {
            return false;
        }
    }
    return true;
}

cJSON *task_cjson_parse(const char *text, size_t len, char **why)
{
    cJSON *root;

    if (!values_at_most(text, len, TASK_MAX_JSON_VALUES)) {
        *why = g_strdup_printf("answer holds more than %d JSON values", TASK_MAX_JSON_VALUES);
        return NULL;
    }
    g_autofree char *copy = nul_escapes_replaced(text, len);
    root = cJSON_ParseWithLength(copy ? copy : text, len);
    if (!root)
        *why = g_strdup("answer is not valid JSON");
    return root;
}

int task_from_json(const char *text, size_t len, const struct task_parse_opts *opts,
                   struct task **out, char **why)
{
    cJSON *root = task_cjson_parse(text, len, why);
    int rc;

    if (!root)
        return -EBADMSG;
    rc = task_from_cjson(root, opts, out, why);
    cJSON_Delete(root);
    return rc;
}

/* A string member, when @s is not NULL. */
static void add_string(cJSON *o, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, key, s);
}

struct task *task_summary_of(const struct task *t)
{
    cJSON *o = cJSON_CreateObject();
    struct task_parse_opts opts = {.show_secrets = true}; /* the list fields hold no secret */
    struct task *s = NULL;
    g_autofree char *why = NULL;
    char *text;

    add_string(o, "id", t->id);
    add_string(o, "name", t->name);
    add_string(o, "service_id", t->service_id);
    add_string(o, "state", t->state);
    add_string(o, "video_source_name", t->video_source_name);
    add_string(o, "title", t->title);
    add_string(o, "type", t->type);
    add_string(o, "algorithm_publish_id", t->algorithm_publish_id);
    if (t->created_ms >= 0) {
        char ms[32];
        g_snprintf(ms, sizeof ms, "%" G_GINT64_FORMAT, t->created_ms);
        cJSON_AddStringToObject(o, "created_at", ms);
    }
    text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text && task_from_json(text, strlen(text), &opts, &s, &why) == 0)
        s->updated_ms = t->updated_ms; /* the same mtime as before */
    cJSON_free(text);
    return s;
}

size_t task_size(const struct task *t)
{
    const void *blocks[TASK_BLOCKS];
    size_t n = 0;

    /* What the allocator gave each block, not the strlen. */
    task_blocks(t, blocks);
    for (size_t i = 0; i < TASK_BLOCKS; i++)
        n += blocks[i] ? malloc_usable_size((void *)blocks[i]) : 0;
    return n;
}

struct task *task_new_blank(void)
{
    struct task *t = g_new0(struct task, 1);

    t->refcount = 1;
    t->created_ms = t->updated_ms = -1;
    return t;
}

int task_check(const struct task *t, char **why)
{
    const void *blocks[TASK_BLOCKS];
    const char *const files[] = {t->task_json,     t->input_json,  t->output_json,
                                 t->schedule_json, t->config_json, t->error_json};

    if (!t->id || !task_id_is_valid(t->id)) {
        *why = g_strdup("a task without a valid id");
        return -EBADMSG;
    }
    if (!t->state || !t->state[0]) {
        *why = g_strdup_printf("task %s has no state", t->id);
        return -EBADMSG;
    }
    task_blocks(t, blocks);
    for (size_t i = 1; i < TASK_BLOCKS; i++)
        if (blocks[i] && !g_utf8_validate(blocks[i], -1, NULL)) {
            *why = g_strdup_printf("task %s holds invalid UTF-8", t->id);
            return -EBADMSG;
        }
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++)
        if (!files[i] || !g_str_has_suffix(files[i], "\n")) {
            *why =
                g_strdup_printf("task %s: a file is missing or does not end in a newline", t->id);
            return -EBADMSG;
        }
    if (t->created_ms < -1 || t->updated_ms < -1) {
        *why = g_strdup_printf("task %s: a time before 1970", t->id);
        return -EBADMSG;
    }
    return 0;
}
