/* audit: the record of the task control requests served (see audit.h). */
#include "audit.h"

#include "task.h"

#include <string.h>

struct audit_entry {
    guint64 n;
    char *method;
    char *path;
    char *task_id; /* or NULL */
    char *verb;
    GBytes *body; /* NULL when the request had none */
    bool body_truncated;
    unsigned status;
    char *error_code; /* or NULL */
    char *fault;      /* or NULL */
    char *state;      /* or NULL */
    GPtrArray *ids;   /* char *, owned, or NULL */
    gint64 time_ms;
};

struct audit {
    GMutex lock;      /* protects everything below */
    GQueue entries;   /* struct audit_entry *, owned, oldest first */
    gsize body_bytes; /* the sum of the entries' body sizes */
    guint64 next;     /* the number of the next entry */
};

static void audit_entry_free(gpointer p)
{
    struct audit_entry *e = p;
    g_free(e->method);
    g_free(e->path);
    g_free(e->task_id);
    g_free(e->verb);
    if (e->body != NULL)
        g_bytes_unref(e->body);
    g_free(e->error_code);
    g_free(e->fault);
    g_free(e->state);
    if (e->ids != NULL)
        g_ptr_array_unref(e->ids);
    g_free(e);
}

struct audit *audit_new(void)
{
    struct audit *a = g_new0(struct audit, 1);
    g_mutex_init(&a->lock);
    g_queue_init(&a->entries);
    return a;
}

void audit_free(struct audit *a)
{
    if (a == NULL)
        return;
    g_queue_clear_full(&a->entries, audit_entry_free);
    g_mutex_clear(&a->lock);
    g_free(a);
}

/* Drops the oldest entries beyond the bounds. Caller holds a->lock. */
static void audit_trim(struct audit *a)
{
    while (a->entries.length > AUDIT_ENTRIES_MAX || a->body_bytes > AUDIT_BODY_BYTES_MAX) {
        struct audit_entry *e = g_queue_pop_head(&a->entries);
        if (e == NULL)
            break;
        if (e->body != NULL)
            a->body_bytes -= g_bytes_get_size(e->body);
        audit_entry_free(e);
    }
}

guint64 audit_begin(struct audit *a, const struct request *r, const char *task_id, const char *verb)
{
    struct audit_entry *e = g_new0(struct audit_entry, 1);
    e->method = g_strdup(r->method);
    e->path = g_strdup(r->path);
    e->task_id = g_strdup(task_id);
    e->verb = g_strdup(verb);
    e->time_ms = task_time_now();
    if (r->body->len > 0) {
        gsize n = MIN(r->body->len, AUDIT_BODY_MAX);
        e->body = g_bytes_new(r->body->data, n);
        e->body_truncated = r->body_too_large || n < r->body->len;
    }
    g_mutex_lock(&a->lock);
    e->n = a->next++;
    if (e->body != NULL)
        a->body_bytes += g_bytes_get_size(e->body);
    g_queue_push_tail(&a->entries, e);
    audit_trim(a);
    guint64 n = e->n;
    g_mutex_unlock(&a->lock);
    return n;
}

void audit_end(struct audit *a, guint64 n, unsigned status, const char *error_code,
               const char *fault, const char *state, const GPtrArray *ids)
{
    g_mutex_lock(&a->lock);
    for (GList *l = a->entries.tail; l != NULL; l = l->prev) {
        struct audit_entry *e = l->data;
        if (e->n > n)
            continue;
        if (e->n == n) {
            e->status = status;
            e->error_code = g_strdup(error_code);
            e->fault = g_strdup(fault);
            e->state = g_strdup(state);
            if (ids != NULL && ids->len > 0) {
                e->ids = g_ptr_array_new_with_free_func(g_free);
                for (guint i = 0; i < ids->len; i++)
                    g_ptr_array_add(e->ids, g_strdup(ids->pdata[i]));
                g_free(e->task_id);
                e->task_id = g_strdup(ids->pdata[0]);
            }
        }
        break;
    }
    g_mutex_unlock(&a->lock);
}

static cJSON *string_or_null(const char *s)
{
    return s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The body member(s): the text when it is UTF-8 without NUL, else base64 of the bytes. */
static void audit_add_body(cJSON *o, const struct audit_entry *e)
{
    if (e->body == NULL) {
        cJSON_AddNullToObject(o, "body");
        return;
    }
    gsize len = 0;
    const char *data = g_bytes_get_data(e->body, &len);
    if (g_utf8_validate_len(data, len, NULL)) {
        g_autofree char *text = g_strndup(data, len);
        cJSON_AddStringToObject(o, "body", text);
    } else {
        g_autofree char *b64 = g_base64_encode((const guchar *)data, len);
        cJSON_AddNullToObject(o, "body");
        cJSON_AddStringToObject(o, "body_base64", b64);
    }
    if (e->body_truncated)
        cJSON_AddTrueToObject(o, "body_truncated");
}

cJSON *audit_to_json(struct audit *a)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *count = cJSON_AddNumberToObject(out, "count", 0);
    cJSON *list = cJSON_AddArrayToObject(out, "controls");
    g_mutex_lock(&a->lock);
    for (GList *l = a->entries.head; l != NULL; l = l->next) {
        const struct audit_entry *e = l->data;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "method", e->method);
        cJSON_AddStringToObject(o, "path", e->path);
        cJSON_AddItemToObject(o, "task_id", string_or_null(e->task_id));
        cJSON_AddStringToObject(o, "verb", e->verb);
        audit_add_body(o, e);
        cJSON_AddNumberToObject(o, "status", e->status);
        cJSON_AddItemToObject(o, "error_code", string_or_null(e->error_code));
        cJSON_AddNumberToObject(o, "time_ms", (double)e->time_ms);
        cJSON_AddItemToObject(o, "state", string_or_null(e->state));
        cJSON_AddItemToObject(o, "fault", string_or_null(e->fault));
        if (e->ids != NULL) {
            cJSON *ids = cJSON_AddArrayToObject(o, "ids");
            for (guint i = 0; i < e->ids->len; i++)
                cJSON_AddItemToArray(ids, cJSON_CreateString(e->ids->pdata[i]));
        }
        cJSON_AddItemToArray(list, o);
    }
    cJSON_SetNumberValue(count, a->entries.length);
    g_mutex_unlock(&a->lock);
    return out;
}

void audit_clear(struct audit *a)
{
    g_mutex_lock(&a->lock);
    g_queue_clear_full(&a->entries, audit_entry_free);
    g_queue_init(&a->entries);
    a->body_bytes = 0;
    g_mutex_unlock(&a->lock);
}
