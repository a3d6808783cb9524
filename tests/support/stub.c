/* stub: scripted HTTP server for client tests (see stub.h). libmicrohttpd, one thread per
 * connection so a stalled reply does not hold up others. */
#include "stub.h"

#include <microhttpd.h>
#include <string.h>

struct reply {
    int status;
    char *body;
    int stall_ms;
    gboolean drop;
    char *header_name, *header_value; /* one extra response header, or NULL */
};

/* Per-request context: the raw URI and the body received so far. */
struct exchange {
    char *uri;
    GString *body;
    gboolean started; /* the handler has seen the headers */
};

struct stub {
    struct MHD_Daemon *daemon;
    char *url;
    GMutex lock;         /* protects replies and requests */
    GQueue replies;      /* struct reply * */
    GPtrArray *requests; /* struct stub_request * */
    volatile gint stopping;
    guint in_flight;     /* protected by lock */
    guint max_in_flight; /* protected by lock */
};

static void request_free(gpointer p)
{
    struct stub_request *r = p;
    g_free(r->method);
    g_free(r->uri);
    g_free(r->body);
    g_hash_table_unref(r->headers);
    g_free(r);
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    g_hash_table_replace(cls, g_ascii_strdown(key, -1), g_strdup(value ? value : ""));
    return MHD_YES;
}

/* Keeps the raw URI (with query) in the per-request context. */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct exchange *x = g_new0(struct exchange, 1);

    x->uri = g_strdup(uri);
    x->body = g_string_new(NULL);
    return x;
}

static void reply_free(gpointer p)
{
    struct reply *r = p;
    g_free(r->body);
    g_free(r->header_name);
    g_free(r->header_value);
    g_free(r);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **ctx)
{
    struct stub *s = cls;
    struct exchange *x = *ctx;
    struct stub_request *r;
    struct reply *rep;
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (x && !x->started) {
        x->started = TRUE; /* headers only: the body, if any, comes in the next calls */
        return MHD_YES;
    }
    if (*upload_size) {
        if (x)
            g_string_append_len(x->body, upload, (gssize)*upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    r = g_new0(struct stub_request, 1);
    r->method = g_strdup(method);
    r->uri = g_strdup(x ? x->uri : url);
    r->body = g_strdup(x ? x->body->str : "");
    r->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, r->headers);

    g_mutex_lock(&s->lock);
    g_ptr_array_add(s->requests, r);
    rep = g_queue_pop_head(&s->replies);
    s->in_flight++;
    s->max_in_flight = MAX(s->max_in_flight, s->in_flight);
    g_mutex_unlock(&s->lock);

    if (!rep)
        rep = g_new0(struct reply, 1), rep->status = 599, rep->body = g_strdup("");
    for (int waited = 0; waited < rep->stall_ms && !g_atomic_int_get(&s->stopping); waited += 10)
        g_usleep(10000);
    g_mutex_lock(&s->lock);
    s->in_flight--;
    g_mutex_unlock(&s->lock);
    if (rep->drop) {
        reply_free(rep);
        return MHD_NO;
    }
    resp = MHD_create_response_from_buffer(strlen(rep->body), rep->body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "application/json;charset=UTF-8");
    MHD_add_response_header(resp, "X-Request-Id", "stub-request-id");
    if (rep->header_name)
        MHD_add_response_header(resp, rep->header_name, rep->header_value);
    ret = MHD_queue_response(conn, (unsigned)rep->status, resp);
    MHD_destroy_response(resp);
    rep->body = NULL; /* the response owns it */
    reply_free(rep);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **ctx,
                      enum MHD_RequestTerminationCode toe)
{
    struct exchange *x = *ctx;

    if (x) {
        g_free(x->uri);
        g_string_free(x->body, TRUE);
        g_free(x);
    }
    *ctx = NULL;
}

struct stub *stub_new(void)
{
    struct stub *s = g_new0(struct stub, 1);
    const union MHD_DaemonInfo *info;

    g_mutex_init(&s->lock);
    g_queue_init(&s->replies);
    s->requests = g_ptr_array_new_with_free_func(request_free);
    s->daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
                                 NULL, NULL, handle, s, MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s,
                                 MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
    g_assert_nonnull(s->daemon);
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->url = g_strdup_printf("http://127.0.0.1:%u", info->port);
    return s;
}

void stub_free(struct stub *s)
{
    g_atomic_int_set(&s->stopping, 1);
    MHD_stop_daemon(s->daemon);
    g_queue_clear_full(&s->replies, reply_free);
    g_ptr_array_unref(s->requests);
    g_mutex_clear(&s->lock);
    g_free(s->url);
    g_free(s);
}

const char *stub_url(struct stub *s)
{
    return s->url;
}

static void push(struct stub *s, struct reply *r)
{
    g_mutex_lock(&s->lock);
    g_queue_push_tail(&s->replies, r);
    g_mutex_unlock(&s->lock);
}

void stub_push(struct stub *s, int status, const char *body, int stall_ms)
{
    struct reply *r = g_new0(struct reply, 1);
    r->status = status;
    r->body = g_strdup(body);
    r->stall_ms = stall_ms;
    push(s, r);
}

void stub_push_drop(struct stub *s)
{
    struct reply *r = g_new0(struct reply, 1);
    r->drop = TRUE;
    r->body = g_strdup("");
    push(s, r);
}

guint stub_count(struct stub *s)
{
    guint n;
    g_mutex_lock(&s->lock);
    n = s->requests->len;
    g_mutex_unlock(&s->lock);
    return n;
}

guint stub_max_in_flight(struct stub *s)
{
    guint n;
    g_mutex_lock(&s->lock);
    n = s->max_in_flight;
    g_mutex_unlock(&s->lock);
    return n;
}

const struct stub_request *stub_request(struct stub *s, guint i)
{
    const struct stub_request *r = NULL;
    g_mutex_lock(&s->lock);
    if (i < s->requests->len)
        r = g_ptr_array_index(s->requests, i);
    g_mutex_unlock(&s->lock);
    return r;
}

void stub_push_header(struct stub *s, const char *name, const char *value)
{
    struct reply *r;

    g_mutex_lock(&s->lock);
    r = g_queue_peek_tail(&s->replies);
    g_assert_nonnull(r);
    g_free(r->header_name);
    g_free(r->header_value);
    r->header_name = g_strdup(name);
    r->header_value = g_strdup(value);
    g_mutex_unlock(&s->lock);
}
