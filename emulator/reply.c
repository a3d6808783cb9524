/* reply: the answer to one request, and how it is put on the wire (see reply.h). */
#include "reply.h"

#include <string.h>

#define CONTENT_TYPE "application/json;charset=UTF-8"

void reply_release(struct reply *r)
{
    g_clear_pointer(&r->body, g_free);
    g_clear_pointer(&r->headers, g_ptr_array_unref);
    r->len = 0;
}

void reply_add_header(struct reply *r, const char *name, const char *value)
{
    if (r->headers == NULL)
        r->headers = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(r->headers, g_strdup(name));
    g_ptr_array_add(r->headers, g_strdup(value));
}

void reply_take(struct reply *r, unsigned status, char *body, size_t len)
{
    g_clear_pointer(&r->body, g_free);
    r->status = status;
    r->body = body;
    r->len = len;
}

void reply_json(struct reply *r, unsigned status, const cJSON *body)
{
    size_t len = 0;
    char *text = json_print(body, &len);
    reply_take(r, status, text, len);
}

void reply_gateway_error(struct reply *r, unsigned status, const char *code, const char *msg,
                         const char *request_id)
{
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "error_code", code);
    cJSON_AddStringToObject(b, "error_msg", msg);
    cJSON_AddStringToObject(b, "request_id", request_id);
    reply_json(r, status, b);
}

void reply_service_error(struct reply *r, unsigned status, const char *code, const char *msg,
                         const char *detail, const char *param, const char *reason,
                         const char *advice)
{
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "error_code", code);
    cJSON_AddStringToObject(b, "error_msg", msg);
    cJSON_AddStringToObject(b, "detail", detail);
    cJSON *params = cJSON_AddArrayToObject(b, "params");
    if (param != NULL)
        cJSON_AddItemToArray(params, cJSON_CreateString(param));
    cJSON_AddStringToObject(b, "reason", reason);
    cJSON_AddStringToObject(b, "advice", advice);
    reply_json(r, status, b);
}

void reply_iam_error(struct reply *r, unsigned status, const char *title, const char *msg)
{
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(b, "error");
    cJSON_AddNumberToObject(e, "code", status);
    cJSON_AddStringToObject(e, "title", title);
    cJSON_AddStringToObject(e, "message", msg);
    reply_json(r, status, b);
}

void reply_control_error(struct reply *r, unsigned status, const char *message)
{
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "error", message);
    reply_json(r, status, b);
}

/* A body sent only up to `cut` of its `len` declared bytes. */
struct truncated {
    char *body; /* owned */
    size_t len;
    size_t cut;
};

static ssize_t truncated_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct truncated *t = cls;
    if (pos >= t->cut)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* MHD closes the connection */
    size_t n = MIN(max, t->cut - (size_t)pos);
    memcpy(buf, t->body + pos, n);
    return (ssize_t)n;
}

static void truncated_free(void *cls)
{
    struct truncated *t = cls;
    g_free(t->body);
    g_free(t);
}

static struct MHD_Response *reply_response(struct reply *r)
{
    char *body = g_steal_pointer(&r->body);
    size_t len = r->len;
    if (body == NULL) {
        body = g_strdup("");
        len = 0;
    }
    if (r->mode == REPLY_TRUNCATE && len > 1) {
        struct truncated *t = g_new0(struct truncated, 1);
        t->body = body;
        t->len = len;
        t->cut = len / 2;
        return MHD_create_response_from_callback(len, 4096, truncated_read, t, truncated_free);
    }
    if (r->mode == REPLY_MALFORMED) {
        GString *bad = g_string_new_len(body, (gssize)(len / 2));
        g_string_append(bad, "<html><body><h1>502 Bad Gateway</h1></body></html>");
        g_free(body);
        len = bad->len;
        body = g_string_free(bad, FALSE);
    }
    return MHD_create_response_from_buffer_with_free_callback(len, body, g_free);
}

enum MHD_Result reply_send(struct reply *r, struct MHD_Connection *c, const char *request_id)
{
    if (r->mode == REPLY_DROP) {
        reply_release(r);
        return MHD_NO;
    }
    struct MHD_Response *resp = reply_response(r);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
    MHD_add_response_header(resp, "X-Request-Id", request_id);
    if (r->allow != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
    for (guint i = 0; r->headers != NULL && i + 1 < r->headers->len; i += 2)
        MHD_add_response_header(resp, r->headers->pdata[i], r->headers->pdata[i + 1]);
    enum MHD_Result ok = MHD_queue_response(c, r->status, resp);
    MHD_destroy_response(resp);
    return ok;
}
