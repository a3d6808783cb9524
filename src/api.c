/*
 * api: VIAS calls over the http layer (see api.h). Each call builds its URL, asks auth for
 * headers, performs the request, and either parses the answer or fills an api_error, which
 * it logs once and passes to the owner's callback.
 */
#include "api_i.h"
#include "viasfs/heap.h"
#include "viasfs/log.h"
#include "viasfs/purpose.h"
#include "viasfs/uri.h"

#include <errno.h>
#include <string.h>

enum { DEFAULT_MAX_PAGES = 100000 };

/* After the service rejects a credential, it is not sent again until it changes, or for
 * this long: the service locks keys after repeated failures, and a loop must never do it. */
#define REJECTION_HOLD_US (60 * G_USEC_PER_SEC)

struct api {
    char *endpoint;   /* without trailing '/', immutable */
    char *host;       /* its authority, the Host header: "host[:port]" */
    char *prefix;     /* its path ("" or "/prefix"), which signing covers */
    char *project_id; /* immutable */
    char *base_path;  /* "/v2/<project>" encoded, immutable */
    struct http *http;
    struct auth *auth;
    int max_pages;
    struct task_parse_opts parse_opts;
    void (*on_error)(const struct api_error *e, void *data);
    void *on_error_data;

    GMutex large_parse; /* held while a detail answer of HEAP_LARGE_ANSWER bytes or more is
                           parsed: one parse tree of that size at a time (see heap.h) */

    GMutex lock;   /* protects the rejection memory below */
    bool rejected; /* the service answered 401 to the credential of rejected_gen */
    guint64 rejected_gen;
    gint64 rejected_until; /* monotonic */
    char *rejection;       /* what the service said, for the errors that follow */
};

struct api *api_new(const struct api_config *cfg, char **why)
{
    struct api *api;
    GString *base;

    if (!cfg->endpoint || !(g_str_has_prefix(cfg->endpoint, "http://") ||
                            g_str_has_prefix(cfg->endpoint, "https://"))) {
        *why = g_strdup("the endpoint must be an http:// or https:// URL");
        return NULL;
    }
    if (strpbrk(cfg->endpoint, " \t\r\n?#")) {
        *why = g_strdup("the endpoint must not contain spaces, '?' or '#'");
        return NULL;
    }
    if (!cfg->project_id || !cfg->project_id[0] || strlen(cfg->project_id) > 128) {
        *why = g_strdup("a project id (1 to 128 characters) is required");
        return NULL;
    }
    api = g_new0(struct api, 1);
    api->endpoint = g_strdup(cfg->endpoint);
    while (g_str_has_suffix(api->endpoint, "/"))
        api->endpoint[strlen(api->endpoint) - 1] = '\0';
    {
        const char *authority = strstr(api->endpoint, "://") + 3;
        const char *slash = strchr(authority, '/');
        const char *at =
            memchr(authority, '@', slash ? (size_t)(slash - authority) : strlen(authority));

        if (at)
            authority = at + 1;
        api->host = slash ? g_strndup(authority, slash - authority) : g_strdup(authority);
        api->prefix = g_strdup(slash ? slash : "");
    }
    api->project_id = g_strdup(cfg->project_id);
    base = g_string_new("/v2/");
    uri_append_escaped(base, cfg->project_id);
    api->base_path = g_string_free(base, FALSE);
    api->http = cfg->http;
    api->auth = cfg->auth;
    api->max_pages = cfg->max_pages > 0 ? cfg->max_pages : DEFAULT_MAX_PAGES;
    api->parse_opts.show_secrets = cfg->show_secrets;
    api->on_error = cfg->on_error;
    api->on_error_data = cfg->on_error_data;
    g_mutex_init(&api->lock);
    g_mutex_init(&api->large_parse);
    return api;
}

void api_free(struct api *api)
{
    if (!api)
        return;
    g_free(api->endpoint);
    g_free(api->host);
    g_free(api->prefix);
    g_free(api->project_id);
    g_free(api->base_path);
    g_free(api->rejection);
    g_mutex_clear(&api->lock);
    g_mutex_clear(&api->large_parse);
    g_free(api);
}

const char *api_endpoint(const struct api *api)
{
    return api->endpoint;
}

const char *api_project_id(const struct api *api)
{
    return api->project_id;
}

const char *api_base_path(const struct api *api)
{
    return api->base_path;
}

/* Header lines may hold secrets: wipe them when the array goes. */
static void header_free(gpointer p)
{
    char *s = p;

    if (s) /* the array ends in NULL */
        explicit_bzero(s, strlen(s));
    g_free(s);
}

/* Logs a failure once and hands it to the owner (api_i.h). "No such task" is an answer, not a
 * failure: it is only traced. */
int api_fail(struct api *api, struct api_error *e)
{
    g_autofree char *text = api_error_describe(e);
    int rc = api_error_errno(e);

    if (rc == -ENOENT) {
        log_debug("%s", text);
        return rc;
    }
    log_warn("%s", text);
    if (api->on_error)
        api->on_error(e, api->on_error_data);
    return rc ? rc : -EIO;
}

/* Whether the service rejected the credential itself (not a permission): worth renewing. */
static bool rejected_credential(const struct api_error *err)
{
    return err->http_status == 401;
}

/*
 * One attempt with the current credential. Returns 0 with a 2xx answer in @resp, 1 when the
 * service answered 401 (err filled in, nothing reported yet), or -errno with @err filled in
 * and reported. *@generation is the credential it was made with.
 */
static int call_once(struct api *api, const struct call *c, struct http_response *resp,
                     struct api_error *err, guint64 *generation)
{
    g_autoptr(GPtrArray) headers = g_ptr_array_new_with_free_func(header_free);
    g_autofree char *url = g_strconcat(api->endpoint, c->path, c->query ? "?" : "", c->query, NULL);
    g_autofree char *wire_path = g_strconcat(api->prefix, c->path, NULL);
    g_autofree char *what =
        g_strconcat(c->method, " ", c->path, c->query ? "?" : "", c->query, NULL);
    struct http_request req = {.method = c->method,
                               .url = url,
                               .body = c->body,
                               .body_len = c->body_len,
                               .deadline = c->deadline,
                               .label = c->label,
                               .once = c->once};
    struct auth_request ar = {.method = c->method,
                              .host = api->host,
                              .path = wire_path,
                              .query = c->query,
                              .body = c->body,
                              .body_len = c->body_len,
                              .deadline = c->deadline};
    enum http_failure f;
    int rc;

    api_error_clear(err);
    g_ptr_array_add(headers, g_strdup("Accept: application/json"));
    if (c->body)
        g_ptr_array_add(headers, g_strdup("Content-Type: application/json;charset=UTF-8"));
    *generation = auth_generation(api->auth);
    rc = auth_add_headers(api->auth, &ar, headers, err);
    if (rc < 0) {
        if (err->no_credential) { /* else the failed IAM call names itself */
            g_free(err->call);
            err->call = g_strdup(what);
        }
        return api_fail(api, err);
    }
    api_error_clear(err); /* a token request auth made on the way describes nothing now */
    err->call = g_strdup(what);
    *generation = auth_generation(api->auth);
    g_ptr_array_add(headers, NULL);
    req.headers = (const char *const *)headers->pdata;

    g_mutex_lock(&api->lock);
    if (api->rejected && api->rejected_gen == *generation &&
        g_get_monotonic_time() < api->rejected_until) {
        /* Not sent: the same credential was just rejected. Logged once, when it was. */
        err->no_credential = true;
        err->message = g_strdup_printf("the credential was rejected and has not changed since "
                                       "(%s); fix it to retry",
                                       api->rejection);
        g_mutex_unlock(&api->lock);
        return -EACCES;
    }
    g_mutex_unlock(&api->lock);

    f = http_perform(api->http, &req, resp);
    err->attempts = resp->attempts;
    if (f != HTTP_OK) {
        api_error_set_failure(err, resp);
        if (c->once && api_answer_lost(err)) {
            /* The caller reads the task again first, and reports what it learnt. */
            return api_error_errno(err) ? api_error_errno(err) : -EIO;
        }
        if (f == HTTP_FAIL_TOO_LARGE) {
            g_free(err->message);
            size_t cap = http_max_body(api->http);
            bool mib = cap % (1 << 20) == 0;

            err->message = g_strdup_printf("longer than %zu %s once decoded, the most one "
                                           "answer may hold",
                                           mib ? cap >> 20 : cap, mib ? "MiB" : "bytes");
        }
        return api_fail(api, err);
    }
    if (resp->status < 200 || resp->status >= 300) {
        api_error_set_answer(err, resp->status, (const char *)resp->body->data, resp->body->len,
                             http_response_header(resp, "x-request-id"));
        if (rejected_credential(err))
            return 1;
        return api_fail(api, err);
    }
    g_mutex_lock(&api->lock);
    api->rejected = false;
    g_mutex_unlock(&api->lock);
    log_debug("%s: HTTP %ld, %u bytes, %d attempt(s), %lld ms", err->call, resp->status,
              resp->body->len, resp->attempts, (long long)(resp->elapsed_us / 1000));
    return 0;
}

int api_call(struct api *api, const struct call *c, struct http_response *resp,
             struct api_error *err)
{
    guint64 generation = 0;
    int rc = call_once(api, c, resp, err, &generation);

    if (rc == 1) {
        struct api_error renew_err;

        api_error_init(&renew_err);
        if (auth_renew(api->auth, generation, c->deadline, &renew_err) == 0) {
            log_info("%s: HTTP 401 %s; retrying once with a renewed credential", err->call,
                     err->code ? err->code : "");
            rc = call_once(api, c, resp, err, &generation);
        } else if (renew_err.call) {
            /* Renewing failed: that failure is what the caller must hear about. */
            api_error_release(err);
            *err = renew_err;
            api_error_init(&renew_err);
            api_error_release(&renew_err);
            return api_fail(api, err);
        }
        api_error_release(&renew_err);
    }
    if (rc == 1) {
        g_mutex_lock(&api->lock);
        api->rejected = true;
        api->rejected_gen = generation;
        api->rejected_until = g_get_monotonic_time() + REJECTION_HOLD_US;
        g_free(api->rejection);
        api->rejection = g_strdup_printf("HTTP 401 %s: %s", err->code ? err->code : "",
                                         err->message ? err->message : "");
        g_mutex_unlock(&api->lock);
        rc = api_fail(api, err);
    }
    return rc;
}

/* GETs @path with @query (NULL: a detail). As api_call. */
static int get(struct api *api, const char *path, const char *query, gint64 deadline,
               struct http_response *resp, struct api_error *err)
{
    struct call c = {.method = "GET",
                     .path = path,
                     .query = query,
                     .label = query ? "list" : "detail",
                     .deadline = deadline};

    return api_call(api, &c, resp, err);
}

int api_fail_malformed(struct api *api, struct api_error *err, const struct http_response *resp,
                       char *why)
{
    err->http_status = resp->status;
    err->malformed = true;
    err->message = why;
    g_free(err->request_id);
    err->request_id = g_strdup(http_response_header(resp, "x-request-id"));
    return api_fail(api, err);
}

int api_get_task(struct api *api, const char *id, gint64 deadline, struct task **out,
                 struct api_error *err)
{
    g_autoptr(GString) path = g_string_new(api->base_path);
    struct http_response resp;
    char *why = NULL;
    bool large;
    int rc;

    g_string_append(path, "/tasks/");
    uri_append_escaped(path, id);
    http_response_init(&resp);
    rc = get(api, path->str, NULL, deadline, &resp, err);
    large = resp.body->len >= HEAP_LARGE_ANSWER;
    if (large)
        g_mutex_lock(&api->large_parse);
    if (rc == 0) {
        rc = task_from_json((const char *)resp.body->data, resp.body->len, &api->parse_opts, out,
                            &why);
        if (rc < 0)
            rc = api_fail_malformed(api, err, &resp, why);
        else if (strcmp((*out)->id, id) != 0) {
            g_clear_pointer(out, task_unref);
            rc = api_fail_malformed(api, err, &resp, g_strdup("the answer describes another task id"));
        }
    }
    heap_trim_after_parse(resp.body->len);
    if (large)
        g_mutex_unlock(&api->large_parse);
    http_response_release(&resp);
    return rc;
}

const char *const api_documented_states[] = {
    "PENDING",  "RECOVERING", "STARTING", "UPGRADING",  "CREATE_FAILED",     "START_FAILED",
    "RUNNING",  "STOPPING",   "STOPPED",  "ABNORMAL",   "SUCCEEDED",         "FAILED",
    "DELETING", "FREEZING",   "FROZEN",   "SCHEDULING", "LACK_OF_RESOURCES", NULL,
};

static bool title_ok(const char *s)
{
    glong n;

    if (!g_utf8_validate(s, -1, NULL))
        return false;
    n = g_utf8_strlen(s, -1);
    if (n < 2 || n > 64)
        return false;
    for (const char *p = s; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (!(c < 128 ? g_ascii_isalnum((char)c) || c == '-' || c == '_' || c == ','
                      : c >= 0x4e00 && c <= 0x9fa5))
            return false;
    }
    return true;
}

static bool length_ok(const char *s, glong max)
{
    return g_utf8_validate(s, -1, NULL) && s[0] && g_utf8_strlen(s, -1) <= max;
}

bool api_filter_acceptable(const struct api_filter *f)
{
    if (f->task_state && !g_strv_contains(api_documented_states, f->task_state))
        return false;
    if (f->title && !title_ok(f->title))
        return false;
    if (f->camera_name && !length_ok(f->camera_name, 255))
        return false;
    return !f->task_name || length_ok(f->task_name, 1024);
}

static void add_filter(struct uri_query *q, const struct api_filter *f)
{
    if (!f)
        return;
    uri_query_add(q, "source_data_type", f->source_data_type);
    uri_query_add(q, "title", f->title);
    uri_query_add(q, "camera_name", f->camera_name);
    uri_query_add(q, "task_state", f->task_state);
    uri_query_add(q, "task_name", f->task_name);
    uri_query_add(q, "sort_dir", f->sort_dir);
    uri_query_add(q, "batch_id", f->batch_id);
    uri_query_add(q, "video_group_id", f->video_group_id);
    uri_query_add(q, "company", f->company);
    uri_query_add(q, "alg_id", f->alg_id);
}

static char *list_query(const struct api_filter *filter, int page, int page_size)
{
    struct uri_query q;
    char *query;

    uri_query_init(&q);
    add_filter(&q, filter);
    uri_query_add_int(&q, "page", page);
    uri_query_add_int(&q, "page_size", page_size);
    query = uri_query_to_string(&q, false);
    uri_query_release(&q);
    return query;
}

/* A list page's envelope from a 2xx answer; its items are read with task_page_read. */
static int open_page(struct api *api, const struct http_response *resp, struct api_error *err,
                     struct task_page **out)
{
    char *why = NULL;
    int rc = task_page_open((const char *)resp->body->data, resp->body->len, out, &why);

    return rc < 0 ? api_fail_malformed(api, err, resp, why) : 0;
}

static void warn_rejected(const struct api_error *err, const struct task_page *p)
{
    if (p->rejected)
        log_warn("%s: left out %u malformed task(s) of %u: %s", err->call, p->rejected, p->items,
                 p->first_reject);
}

int api_list_page(struct api *api, const struct api_filter *filter, int page, int page_size,
                  gint64 deadline, struct task_page **out, struct api_error *err)
{
    g_autofree char *query = list_query(filter, page, page_size);
    g_autofree char *path = g_strconcat(api->base_path, "/tasks", NULL);
    struct http_response resp;
    int rc;

    http_response_init(&resp);
    rc = get(api, path, query, deadline, &resp, err);
    if (rc == 0 && (rc = open_page(api, &resp, err, out)) == 0) {
        while (task_page_read(*out, G_MAXUINT, &api->parse_opts) > 0)
            continue;
        warn_rejected(err, *out);
    }
    heap_trim_after_parse(resp.body->len);
    http_response_release(&resp);
    return rc;
}

/*
 * A page requested on its own thread while the walk reads the one before: its round trip
 * overlaps the reading of that page (and the caller's work on it). Only started once a full
 * page says the next one is needed, so a walk sends no request it would not send anyway.
 */
struct page_fetch {
    struct api *api;
    char *path, *query;
    gint64 deadline;
    gint64 sent_us;
    struct http_response resp;
    struct api_error err;
    int rc;
    enum purpose purpose; /* the walking thread's, carried to the page's (purpose.h) */
    GThread *thread;
};

static gpointer page_fetch_run(gpointer data)
{
    struct page_fetch *f = data;

    purpose_set(f->purpose);
    f->rc = get(f->api, f->path, f->query, f->deadline, &f->resp, &f->err);
    return NULL;
}

static struct page_fetch *page_fetch_start(struct api *api, const struct api_filter *filter,
                                           int page, int page_size, gint64 deadline)
{
    struct page_fetch *f = g_new0(struct page_fetch, 1);

    f->api = api;
    f->path = g_strconcat(api->base_path, "/tasks", NULL);
    f->query = list_query(filter, page, page_size);
    f->deadline = deadline;
    f->sent_us = g_get_monotonic_time();
    f->purpose = purpose_current();
    http_response_init(&f->resp);
    api_error_init(&f->err);
    f->thread = g_thread_try_new("viasfs-page", page_fetch_run, f, NULL);
    if (!f->thread) /* no thread to spare: fetch it now */
        page_fetch_run(f);
    return f;
}

/* Waits for @f and frees it. Its answer goes to @resp and its error to @err, or nowhere when
 * @resp is NULL; when it was sent to @sent_us (may be NULL). Returns its result. */
static int page_fetch_finish(struct page_fetch *f, struct http_response *resp,
                             struct api_error *err, gint64 *sent_us)
{
    int rc;

    if (f->thread)
        g_thread_join(f->thread);
    rc = f->rc;
    if (sent_us)
        *sent_us = f->sent_us;
    if (resp) {
        *resp = f->resp;
        api_error_release(err);
        *err = f->err;
    } else {
        http_response_release(&f->resp);
        api_error_release(&f->err);
    }
    g_free(f->path);
    g_free(f->query);
    g_free(f);
    return rc;
}

/* Items converted between two calls of the page function: the first entries of a page reach
 * a reader without waiting for the rest of it to be converted. */
#define WALK_BATCH 100

/* One page of a walk: hands its new tasks to @fn in batches. Sets *@fresh_total to how many were
 * new. Returns 0 or @fn's error. */
static int deliver_page(struct api *api, struct task_page *p, const struct api_page_info *info,
                        GHashTable *seen, api_page_fn fn, void *data, guint *fresh_total)
{
    g_autoptr(GPtrArray) fresh = g_ptr_array_new();
    guint done = 0;

    *fresh_total = 0;
    while (task_page_read(p, WALK_BATCH, &api->parse_opts) > 0) {
        g_ptr_array_set_size(fresh, 0);
        for (; done < p->tasks->len; done++) {
            struct task *t = g_ptr_array_index(p->tasks, done);
            if (g_hash_table_add(seen, g_strdup(t->id)))
                g_ptr_array_add(fresh, t);
        }
        *fresh_total += fresh->len;
        if (fresh->len) {
            int rc = fn(fresh, info, data);
            if (rc < 0)
                return rc;
        }
    }
    return 0;
}

/* What page @p says about the list as a whole (see struct api_walk). */
static void walk_learn(struct api_walk *w, const struct task_page *p)
{
    if (p->count < 0 || p->count <= (gint64)p->items)
        return; /* a count per page, or one that cannot tell */
    if (w->total >= 0 && w->total != p->count)
        w->shifted = true;
    w->total = p->count;
}

int api_list_tasks(struct api *api, const struct api_filter *filter, int page_size,
                   gint64 page_timeout_us, api_page_fn fn, void *data, struct api_walk *out,
                   struct api_error *err)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *path = g_strconcat(api->base_path, "/tasks", NULL);
    struct page_fetch *next = NULL;
    struct api_walk learnt = {.total = -1};
    guint rejected = 0;
    int rc = 0;

    for (int page = 1;; page++) {
        g_autoptr(TaskPage) p = NULL;
        struct http_response resp;
        struct api_page_info info = {.page = page};
        gint64 expected = page_size;
        guint fresh = 0;
        size_t answer_bytes;
        bool full;

        if (page > api->max_pages) {
            api_error_clear(err);
            err->call = g_strdup_printf("GET %s/tasks", api->base_path);
            err->malformed = true;
            err->message = g_strdup_printf("the list has more than %d pages", api->max_pages);
            rc = api_fail(api, err);
            break;
        }
        if (next) {
            rc = page_fetch_finish(next, &resp, err, &info.sent_us);
            next = NULL;
        } else {
            g_autofree char *query = list_query(filter, page, page_size);
            http_response_init(&resp);
            info.sent_us = g_get_monotonic_time();
            rc = get(api, path, query, g_get_monotonic_time() + page_timeout_us, &resp, err);
        }
        if (rc == 0)
            rc = open_page(api, &resp, err, &p);
        answer_bytes = resp.body ? resp.body->len : 0;
        http_response_release(&resp);
        if (rc < 0) {
            heap_trim_after_parse(answer_bytes);
            break;
        }
        walk_learn(&learnt, p);
        /* A server may cap the page size below what we asked; a page that size is full. */
        if (p->page_size > 0 && p->page_size < expected)
            expected = p->page_size;
        full = p->items > 0 && (gint64)p->items >= expected;
        if (full && page < api->max_pages)
            next = page_fetch_start(api, filter, page + 1, page_size,
                                    g_get_monotonic_time() + page_timeout_us);
        rc = deliver_page(api, p, &info, seen, fn, data, &fresh);
        heap_trim_after_parse(answer_bytes); /* every item read: the parse tree is gone */
        rejected += p->rejected;
        warn_rejected(err, p);
        if (rc < 0 || !full)
            break;
        if (fresh == 0 && p->rejected < p->items) {
            /* A full page of nothing new: the server ignores "page". Stop, do not spin. */
            log_warn("GET %s/tasks: page %d repeated earlier pages; ending the walk",
                     api->base_path, page);
            break;
        }
    }
    if (next)
        page_fetch_finish(next, NULL, NULL, NULL);
    learnt.items = g_hash_table_size(seen) + rejected;
    if (out)
        *out = learnt;
    return rc;
}
