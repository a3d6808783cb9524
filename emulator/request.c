/* request: one HTTP request as the emulator's handlers see it (see request.h). */
#include "request.h"

#include <string.h>

struct request *request_new(struct MHD_Connection *c, const char *method, const char *url)
{
    struct request *r = g_new0(struct request, 1);
    r->conn = c;
    r->method = g_strdup(method);
    r->path = g_strndup(url, strcspn(url, "?"));
    r->body = g_byte_array_new();
    r->start_us = g_get_monotonic_time();
    for (int i = 0; i < 4; i++)
        g_snprintf(r->id + 8 * i, 9, "%08" G_GINT32_MODIFIER "x", g_random_int());
    return r;
}

void request_free(struct request *r)
{
    if (r == NULL)
        return;
    g_free(r->method);
    g_free(r->path);
    g_byte_array_unref(r->body);
    g_free(r);
}

void request_append_body(struct request *r, const char *data, size_t len)
{
    size_t room = REQUEST_BODY_MAX - r->body->len;
    if (len > room) {
        r->body_too_large = true;
        len = room;
    }
    g_byte_array_append(r->body, (const guint8 *)data, (guint)len);
}

const char *request_header(const struct request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *request_arg(const struct request *r, const char *name, size_t *len)
{
    const char *value = NULL;
    size_t size = 0;
    if (MHD_lookup_connection_value_n(r->conn, MHD_GET_ARGUMENT_KIND, name, strlen(name), &value,
                                      &size) != MHD_YES)
        return NULL;
    *len = value != NULL ? size : 0;
    return value != NULL ? value : "";
}

static enum MHD_Result request_arg_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                           size_t key_size, const char *value, size_t value_size)
{
    GArray *out = cls;
    struct request_arg a = {key, key_size, value != NULL ? value : "",
                            value != NULL ? value_size : 0};
    g_array_append_val(out, a);
    return MHD_YES;
}

GArray *request_args(const struct request *r)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct request_arg));
    MHD_get_connection_values_n(r->conn, MHD_GET_ARGUMENT_KIND, request_arg_collect, out);
    return out;
}
