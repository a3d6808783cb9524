/* taskbody: the bodies of the update and create calls (see taskbody.h).
 *
 * Lengths count code points. Where the documentation gives no rule, the rule here is the
 * emulator's own strictness, and README.md says so. */
#include "taskbody.h"

#include "task.h"

#include <errno.h>
#include <string.h>

static int taskbody_fail(struct taskbody_error *err, const char *param, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static int taskbody_fail(struct taskbody_error *err, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->param = g_strdup(param);
    err->detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return -EINVAL;
}

void taskbody_error_release(struct taskbody_error *err)
{
    g_clear_pointer(&err->param, g_free);
    g_clear_pointer(&err->detail, g_free);
}

/* The members each call takes, in documentation order. */
static const char *const update_members[] = {
    "name",   "description",          "schedule",          "input", "output",
    "config", "is_saved_as_template", "resource_order_id",
};
#define CREATE_ONLY_MEMBER "service_version"

static const char *const input_types[] = {"video_source", "url",     "obs",
                                          "edgecamera",   "restful", "vcn"};
static const char *const output_methods[] = {"obs", "dis", "webhook", "localpath"};

/* ^[a-zA-Z0-9\u4e00-\u9fa5_-]{1,100}$ */
static bool name_ok(const char *v)
{
    glong n = 0;
    for (const char *p = v; *p != '\0'; p = g_utf8_next_char(p), n++) {
        gunichar c = g_utf8_get_char(p);
        bool ok = (c < 128 && (g_ascii_isalnum((char)c) || c == '-' || c == '_')) ||
                  (c >= 0x4e00 && c <= 0x9fa5);
        if (!ok)
            return false;
    }
    return n >= 1 && n <= 100;
}

/* ^[a-z0-9-_]{4,36}$ */
static bool resource_order_id_ok(const char *v)
{
    size_t n = strlen(v);
    return n >= 4 && n <= 36 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* ^[a-z0-9.]{3,32}$ */
static bool service_version_ok(const char *v)
{
    size_t n = strlen(v);
    return n >= 3 && n <= 32 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789.") == n;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return true;
    return false;
}

/* The path of the first string value that is exactly "***" under item (named `path`), or
 * NULL. Caller frees. */
static char *find_mask(const cJSON *item, const char *path)
{
    if (cJSON_IsString(item))
        return strcmp(item->valuestring, "***") == 0 ? g_strdup(path) : NULL;
    int i = 0;
    for (const cJSON *c = item->child; c != NULL; c = c->next, i++) {
        g_autofree char *sub = cJSON_IsArray(item) ? g_strdup_printf("%s[%d]", path, i)
                               : path[0] == '\0'   ? g_strdup(c->string)
                                                   : g_strdup_printf("%s.%s", path, c->string);
        char *found = find_mask(c, sub);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static bool content_type_json(const char *ct)
{
    if (ct == NULL)
        return false;
    size_t n = strcspn(ct, ";");
    g_autofree char *media = g_strstrip(g_strndup(ct, n));
    return g_ascii_strcasecmp(media, "application/json") == 0;
}

static int check_input(const cJSON *in, enum taskbody_kind kind, struct taskbody_error *err)
{
    if (!cJSON_IsObject(in))
        return taskbody_fail(err, "input", "The parameter input must be an object.");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(in, "type");
    if (!cJSON_IsString(type) ||
        !in_list(type->valuestring, input_types, G_N_ELEMENTS(input_types)))
        return taskbody_fail(err, "input.type",
                             "The parameter input.type must be one of video_source, url, obs, "
                             "edgecamera, restful, vcn.");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(in, "data");
    if (!cJSON_IsArray(data))
        return taskbody_fail(err, "input.data", "The parameter input.data must be an array.");
    int n = cJSON_GetArraySize(data);
    if (kind == TASKBODY_UPDATE && n != 1)
        return taskbody_fail(err, "input.data",
                             "The parameter input.data must hold exactly one entry: an update "
                             "takes only one input (it has %d).",
                             n);
    if (kind == TASKBODY_CREATE && (n < 1 || n > TASKBODY_CREATE_MAX))
        return taskbody_fail(err, "input.data",
                             "The parameter input.data must hold 1 to %d entries (it has %d).",
                             TASKBODY_CREATE_MAX, n);
    int i = 0;
    for (const cJSON *d = data->child; d != NULL; d = d->next, i++)
        if (!cJSON_IsObject(d) || d->child == NULL)
            return taskbody_fail(err, "input.data",
                                 "The parameter input.data[%d] must be a non-empty object.", i);
    return 0;
}

static int check_output(const cJSON *out, struct taskbody_error *err)
{
    if (!cJSON_IsObject(out))
        return taskbody_fail(err, "output", "The parameter output must be an object.");
    int methods = 0;
    for (const cJSON *m = out->child; m != NULL; m = m->next) {
        if (in_list(m->string, output_methods, G_N_ELEMENTS(output_methods))) {
            if (!cJSON_IsObject(m)) {
                g_autofree char *p = g_strdup_printf("output.%s", m->string);
                return taskbody_fail(err, p, "The parameter %s must be an object.", p);
            }
            methods++;
        } else if (strcmp(m->string, "event_center") == 0 && !cJSON_IsBool(m)) {
            return taskbody_fail(err, "output.event_center",
                                 "The parameter output.event_center must be a boolean.");
        }
    }
    if (methods == 0)
        return taskbody_fail(err, "output",
                             "The parameter output must give at least one output method "
                             "(obs, dis, webhook or localpath).");
    return 0;
}

/* Checks member m (one of update_members or service_version). */
static int check_member(const cJSON *m, enum taskbody_kind kind, struct taskbody_error *err)
{
    const char *name = m->string;
    if (strcmp(name, "name") == 0) {
        if (!cJSON_IsString(m) || !name_ok(m->valuestring))
            return taskbody_fail(err, "name",
                                 "The parameter name must match ^[a-zA-Z0-9\\u4e00-\\u9fa5_-]"
                                 "{1,100}$: 1 to 100 characters, each an ASCII letter or digit, "
                                 "a Chinese character (U+4E00 to U+9FA5), '-' or '_'.");
    } else if (strcmp(name, "description") == 0) {
        if (!cJSON_IsString(m) || g_utf8_strlen(m->valuestring, -1) > 500)
            return taskbody_fail(err, "description",
                                 "The parameter description must be a string of at most 500 "
                                 "characters.");
    } else if (strcmp(name, "schedule") == 0) {
        if (!cJSON_IsObject(m) && !cJSON_IsNull(m))
            return taskbody_fail(err, "schedule",
                                 "The parameter schedule must be an object (or null: no "
                                 "schedule).");
    } else if (strcmp(name, "input") == 0) {
        return check_input(m, kind, err);
    } else if (strcmp(name, "output") == 0) {
        return check_output(m, err);
    } else if (strcmp(name, "config") == 0) {
        const cJSON *common = cJSON_GetObjectItemCaseSensitive(m, "common");
        if (!cJSON_IsObject(m) || (common != NULL && !cJSON_IsObject(common)))
            return taskbody_fail(err, "config",
                                 "The parameter config must be an object, {\"common\":{...}}.");
    } else if (strcmp(name, "is_saved_as_template") == 0) {
        if (!cJSON_IsBool(m))
            return taskbody_fail(err, "is_saved_as_template",
                                 "The parameter is_saved_as_template must be a boolean.");
    } else if (strcmp(name, "resource_order_id") == 0) {
        if (!cJSON_IsString(m) ||
            (m->valuestring[0] != '\0' && !resource_order_id_ok(m->valuestring)))
            return taskbody_fail(err, "resource_order_id",
                                 "The parameter resource_order_id must be empty or match "
                                 "^[a-z0-9-_]{4,36}$.");
    } else if (strcmp(name, CREATE_ONLY_MEMBER) == 0) {
        if (!cJSON_IsString(m) || !service_version_ok(m->valuestring))
            return taskbody_fail(err, "service_version",
                                 "The parameter service_version must match ^[a-z0-9.]{3,32}$.");
    }
    return 0;
}

/* Checks the members of a parsed body object. */
static int check_object(const cJSON *body, enum taskbody_kind kind, struct taskbody_error *err)
{
    g_autofree char *mask = find_mask(body, "");
    if (mask != NULL)
        return taskbody_fail(err, mask,
                             "The parameter %s is \"***\": a masked value was sent back. Send "
                             "the real value (the emulator refuses \"***\" anywhere in a body).",
                             mask);
    for (const cJSON *m = body->child; m != NULL; m = m->next) {
        bool known = in_list(m->string, update_members, G_N_ELEMENTS(update_members)) ||
                     (kind == TASKBODY_CREATE && strcmp(m->string, CREATE_ONLY_MEMBER) == 0);
        if (!known)
            return taskbody_fail(err, m->string,
                                 "The parameter %s is not a parameter of this request.", m->string);
        for (const cJSON *o = m->next; o != NULL; o = o->next)
            if (strcmp(o->string, m->string) == 0)
                return taskbody_fail(err, m->string, "The parameter %s is given twice.", m->string);
    }
    static const char *const required_update[] = {"input"};
    static const char *const required_create[] = {"name", "input", "output"};
    const char *const *req = kind == TASKBODY_CREATE ? required_create : required_update;
    size_t n_req = kind == TASKBODY_CREATE ? G_N_ELEMENTS(required_create) : 1;
    for (size_t i = 0; i < G_N_ELEMENTS(update_members) + 1; i++) {
        const char *name =
            i < G_N_ELEMENTS(update_members) ? update_members[i] : CREATE_ONLY_MEMBER;
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, name);
        if (m == NULL) {
            if (in_list(name, req, n_req))
                return taskbody_fail(err, name, "The parameter %s is required.", name);
            continue;
        }
        if (check_member(m, kind, err) < 0)
            return -EINVAL;
    }
    return 0;
}

cJSON *taskbody_parse(const struct request *r, enum taskbody_kind kind, struct taskbody_error *err)
{
    memset(err, 0, sizeof(*err));
    if (!content_type_json(request_header(r, "Content-Type"))) {
        taskbody_fail(err, "Content-Type",
                      "The request body must be sent as Content-Type: application/json.");
        return NULL;
    }
    const char *data = (const char *)r->body->data;
    size_t len = r->body->len;
    if (r->body_too_large) {
        taskbody_fail(err, NULL, "The request body is too large.");
        return NULL;
    }
    if (!g_utf8_validate_len(data, len, NULL)) {
        taskbody_fail(err, NULL, "The request body is not valid UTF-8 (or holds a NUL byte).");
        return NULL;
    }
    cJSON *body = cJSON_ParseWithLength(data, len);
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        taskbody_fail(err, NULL, "The request body must be a JSON object.");
        return NULL;
    }
    if (check_object(body, kind, err) < 0) {
        cJSON_Delete(body);
        return NULL;
    }
    return body;
}

void taskbody_apply(cJSON *record, const cJSON *body, gint64 now_ms)
{
    static const char *const replaced[] = {"name",   "description", "schedule",         "input",
                                           "output", "config",      "resource_order_id"};
    for (size_t i = 0; i < G_N_ELEMENTS(replaced); i++) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, replaced[i]);
        if (m != NULL)
            json_set(record, replaced[i], cJSON_Duplicate(m, true));
    }
    const cJSON *schedule = cJSON_GetObjectItemCaseSensitive(body, "schedule");
    if (cJSON_IsNull(schedule)) {
        json_set(record, "schedule_status", cJSON_CreateNull());
    } else if (schedule != NULL && json_string(record, "schedule_status") == NULL) {
        json_set(record, "schedule_status", cJSON_CreateString("ACTIVATED"));
    }
    g_autofree char *now = task_time_format(now_ms);
    json_set(record, "updated_at", cJSON_CreateString(now));
}
