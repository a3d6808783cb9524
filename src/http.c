/*
 * http: libcurl behind a small blocking interface (see http.h). DNS answers and TLS sessions
 * are shared between threads through a curl share handle; easy handles, each with its own
 * open connections, are pooled so each request reuses one. A counting semaphore caps requests in
 * flight. Retries live here because only this layer sees statuses and transport errors together;
 * what an answer means is the api layer's business.
 */
#include "viasfs/http.h"
#include "viasfs/backoff.h"
#include "viasfs/log.h"

#include <stdatomic.h>
#include <string.h>
#include <curl/curl.h>

struct http {
    struct http_config cfg; /* immutable after http_new; strings owned below */
    char *cacert;
    char *user_agent;
    CURLSH *share;
    GMutex share_locks[CURL_LOCK_DATA_LAST]; /* one per curl_lock_data kind */

    GMutex pool_lock; /* protects idle */
    GPtrArray *idle;  /* CURL *, easy handles not in use */

    GMutex slot_lock; /* protects slots_free, cancelled and retry_tokens */
    GCond slot_cond;  /* signals a freed slot or cancellation */
    int slots_free;
    bool cancelled;           /* http_cancel_all was called */
    double retry_tokens;      /* the retry budget: requests add to it, retries take from it */
    gint64 retry_refilled_us; /* when time last added to it (monotonic) */

    GMutex answered_lock; /* protects answered */
    GHashTable *answered; /* "scheme://host:port" that gave an HTTP answer: a set, owns keys;
                             only the configured endpoints, so it stays small */

    atomic_ullong attempts;       /* atomic, no lock */
    atomic_ullong retries;        /* atomic, no lock */
    atomic_ullong retries_denied; /* retries the budget refused; atomic */
};

/* The retry budget: see retry_budget_earn. */
#define RETRY_BURST      20.0
#define RETRY_RATIO      0.2
#define RETRY_PER_SECOND 2.0

static GOnce curl_once = G_ONCE_INIT;

static gpointer curl_global_setup(gpointer unused)
{
    return GINT_TO_POINTER(curl_global_init(CURL_GLOBAL_ALL) == CURLE_OK);
}

void http_config_defaults(struct http_config *cfg)
{
    *cfg = (struct http_config){
        .max_requests = 8,
        .connect_timeout_ms = 5000,
        .max_body = HTTP_MAX_BODY_DEFAULT,
        .max_attempts = 0,
        .backoff_base_ms = 100,
        .backoff_cap_ms = 4000,
        .throttle_base_ms = 1000,
        .user_agent = "viasfs/" VIASFS_VERSION,
    };
}

const char *http_failure_name(enum http_failure f)
{
    switch (f) {
    case HTTP_OK:
        return "ok";
    case HTTP_FAIL_TIMEOUT:
        return "timed out";
    case HTTP_FAIL_CANCELLED:
        return "cancelled (shutting down)";
    case HTTP_FAIL_REFUSED:
        return "connection refused";
    case HTTP_FAIL_RESOLVE:
        return "host not found";
    case HTTP_FAIL_BROKEN:
        return "connection broken";
    case HTTP_FAIL_TOO_LARGE:
        return "answer too large";
    case HTTP_FAIL_TLS:
        return "TLS failure";
    case HTTP_FAIL_NOT_HTTP:
        return "the server did not answer with HTTP";
    case HTTP_FAIL_BAD_URL:
        return "bad URL";
    case HTTP_FAIL_INTERNAL:
        return "internal HTTP error";
    }
    return "unknown failure";
}

void http_response_init(struct http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->body = g_byte_array_new();
    resp->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void http_response_release(struct http_response *resp)
{
    g_clear_pointer(&resp->reason, g_free);
    g_clear_pointer(&resp->body, g_byte_array_unref);
    g_clear_pointer(&resp->headers, g_hash_table_unref);
}

const char *http_response_header(const struct http_response *resp, const char *name)
{
    return g_hash_table_lookup(resp->headers, name);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    struct http *http = ud;
    g_mutex_lock(&http->share_locks[data % CURL_LOCK_DATA_LAST]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    struct http *http = ud;
    g_mutex_unlock(&http->share_locks[data % CURL_LOCK_DATA_LAST]);
}

struct http *http_new(const struct http_config *cfg, char **why)
{
    struct http *http;

    if (!GPOINTER_TO_INT(g_once(&curl_once, curl_global_setup, NULL))) {
        *why = g_strdup("libcurl initialisation failed");
        return NULL;
    }
    http = g_new0(struct http, 1);
    http->cfg = *cfg;
    if (http->cfg.max_requests < 1)
        http->cfg.max_requests = 1;
    if (http->cfg.max_attempts < 0)
        http->cfg.max_attempts = 0;
    http->cacert = g_strdup(cfg->cacert);
    http->user_agent = g_strdup(cfg->user_agent ? cfg->user_agent : "viasfs");
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        g_mutex_init(&http->share_locks[i]);
    g_mutex_init(&http->pool_lock);
    g_mutex_init(&http->slot_lock);
    g_mutex_init(&http->answered_lock);
    http->answered = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_cond_init(&http->slot_cond);
    http->slots_free = http->cfg.max_requests;
    http->retry_tokens = RETRY_BURST;
    http->retry_refilled_us = g_get_monotonic_time();
    http->idle = g_ptr_array_new();

    http->share = curl_share_init();
    if (!http->share) {
        *why = g_strdup("curl_share_init failed");
        http_free(http);
        return NULL;
    }
    curl_share_setopt(http->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(http->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(http->share, CURLSHOPT_USERDATA, http);
    /* Not CURL_LOCK_DATA_CONNECT: a connection cache shared between threads is not safe in
     * the libcurl of Debian 12 (7.88; valgrind showed a use after free under the fault
     * suite). Each pooled easy handle keeps its own connections, which it reuses. */
    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(http->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    return http;
}

void http_free(struct http *http)
{
    if (!http)
        return;
    for (guint i = 0; i < http->idle->len; i++)
        curl_easy_cleanup(g_ptr_array_index(http->idle, i));
    g_ptr_array_unref(http->idle);
    if (http->share)
        curl_share_cleanup(http->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        g_mutex_clear(&http->share_locks[i]);
    g_mutex_clear(&http->pool_lock);
    g_mutex_clear(&http->slot_lock);
    g_mutex_clear(&http->answered_lock);
    g_hash_table_unref(http->answered);
    g_cond_clear(&http->slot_cond);
    g_free(http->cacert);
    g_free(http->user_agent);
    g_free(http);
}

size_t http_max_body(const struct http *http)
{
    return http->cfg.max_body;
}

void http_get_stats(struct http *http, struct http_stats *out)
{
    out->attempts = atomic_load(&http->attempts);
    out->retries = atomic_load(&http->retries);
    out->retries_denied = atomic_load(&http->retries_denied);
}

/* Waits for a request slot until @deadline. Returns false on timeout or cancellation. */
static bool slot_acquire(struct http *http, gint64 deadline)
{
    bool got = true;

    g_mutex_lock(&http->slot_lock);
    while (http->slots_free == 0 || http->cancelled) {
        if (http->cancelled) {
            got = false;
            break;
        }
        if (!g_cond_wait_until(&http->slot_cond, &http->slot_lock, deadline)) {
            got = http->slots_free > 0;
            break;
        }
    }
    if (got)
        http->slots_free--;
    g_mutex_unlock(&http->slot_lock);
    return got;
}

static void slot_release(struct http *http)
{
    g_mutex_lock(&http->slot_lock);
    http->slots_free++;
    g_cond_signal(&http->slot_cond);
    g_mutex_unlock(&http->slot_lock);
}

/* The retry budget (a token bucket shared by every thread): each request adds a fraction of
 * a retry and each second two, each retry takes a whole one, so retries stay a bounded share
 * of the requests however many readers fail at once, and a failing API is not stormed.
 * Called with slot_lock held: adds what the time since the last call earned. */
static void retry_budget_refill_locked(struct http *http)
{
    gint64 now = g_get_monotonic_time();

    http->retry_tokens = MIN(http->retry_tokens + (double)(now - http->retry_refilled_us) /
                                                      G_USEC_PER_SEC * RETRY_PER_SECOND,
                             RETRY_BURST);
    http->retry_refilled_us = now;
}

static void retry_budget_earn(struct http *http)
{
    g_mutex_lock(&http->slot_lock);
    retry_budget_refill_locked(http);
    http->retry_tokens = MIN(http->retry_tokens + RETRY_RATIO, RETRY_BURST);
    g_mutex_unlock(&http->slot_lock);
}

static bool retry_budget_take(struct http *http)
{
    bool ok;

    g_mutex_lock(&http->slot_lock);
    retry_budget_refill_locked(http);
    ok = http->retry_tokens >= 1.0;
    if (ok)
        http->retry_tokens -= 1.0;
    g_mutex_unlock(&http->slot_lock);
    if (!ok)
        atomic_fetch_add(&http->retries_denied, 1);
    return ok;
}

void http_cancel_all(struct http *http)
{
    g_mutex_lock(&http->slot_lock);
    http->cancelled = true;
    g_cond_broadcast(&http->slot_cond);
    g_mutex_unlock(&http->slot_lock);
}

static bool cancelled(struct http *http)
{
    bool c;

    g_mutex_lock(&http->slot_lock);
    c = http->cancelled;
    g_mutex_unlock(&http->slot_lock);
    return c;
}

/* libcurl's progress callback (at least once a second): a non-zero answer aborts. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    return cancelled(ud) ? 1 : 0;
}

static CURL *easy_get(struct http *http)
{
    CURL *easy = NULL;

    g_mutex_lock(&http->pool_lock);
    if (http->idle->len)
        easy = g_ptr_array_steal_index_fast(http->idle, http->idle->len - 1);
    g_mutex_unlock(&http->pool_lock);
    return easy ? easy : curl_easy_init();
}

static void easy_put(struct http *http, CURL *easy)
{
    curl_easy_reset(easy);
    g_mutex_lock(&http->pool_lock);
    g_ptr_array_add(http->idle, easy);
    g_mutex_unlock(&http->pool_lock);
}

/* What one attempt collects while libcurl runs. */
struct attempt {
    struct http_response *resp;
    size_t max_body;
    bool too_large;
    size_t header_bytes;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    struct attempt *a = ud;
    size_t n = size * nmemb;

    if (a->resp->body->len + n > a->max_body) {
        a->too_large = true;
        return 0;
    }
    g_byte_array_append(a->resp->body, (const guint8 *)data, (guint)n);
    return n;
}

/* Keeps response headers, bounded: a hostile server cannot make us hoard them. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *ud)
{
    enum { MAX_HEADER_BYTES = 256 * 1024 };
    struct attempt *a = ud;
    size_t n = size * nmemb;
    const char *colon = memchr(data, ':', n);

    if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        /* A new status line (after a 100 Continue, say) starts a new header set. */
        g_hash_table_remove_all(a->resp->headers);
        a->header_bytes = 0;
        return n;
    }
    a->header_bytes += n;
    if (!colon || a->header_bytes > MAX_HEADER_BYTES)
        return n;
    g_autofree char *name = g_ascii_strdown(data, colon - data);
    const char *v = colon + 1, *end = data + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    g_hash_table_replace(a->resp->headers, g_steal_pointer(&name), g_strndup(v, end - v));
    return n;
}

/* Whether @url is http:// or https:// (the only schemes the options let through). */
static bool is_http_url(const char *url)
{
    return g_ascii_strncasecmp(url, "http://", 7) == 0 ||
           g_ascii_strncasecmp(url, "https://", 8) == 0;
}

static enum http_failure failure_from_curl(CURLcode rc, const struct attempt *a, const char *url)
{
    switch (rc) {
    case CURLE_OK:
        return HTTP_OK;
    case CURLE_OPERATION_TIMEDOUT:
        return HTTP_FAIL_TIMEOUT;
    case CURLE_ABORTED_BY_CALLBACK:
        return HTTP_FAIL_CANCELLED;
    case CURLE_COULDNT_CONNECT:
        return HTTP_FAIL_REFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return HTTP_FAIL_RESOLVE;
    case CURLE_WRITE_ERROR:
        return a->too_large ? HTTP_FAIL_TOO_LARGE : HTTP_FAIL_BROKEN;
    case CURLE_FILESIZE_EXCEEDED:
        return HTTP_FAIL_TOO_LARGE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return HTTP_FAIL_TLS;
    case CURLE_WEIRD_SERVER_REPLY:
        return HTTP_FAIL_NOT_HTTP;
    case CURLE_UNSUPPORTED_PROTOCOL: /* for an http(s) URL: the answer was HTTP/0.9 or junk */
        return is_http_url(url) ? HTTP_FAIL_NOT_HTTP : HTTP_FAIL_BAD_URL;
    case CURLE_URL_MALFORMAT:
        return HTTP_FAIL_BAD_URL;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
        return HTTP_FAIL_INTERNAL;
    default:
        return HTTP_FAIL_BROKEN;
    }
}

/* "scheme://host:port" of @url (up to the path), lower-cased, as the key of http->answered. */
static char *origin_of(const char *url)
{
    const char *host = strstr(url, "://");
    const char *end = host ? host + 3 + strcspn(host + 3, "/?#") : url + strlen(url);

    return g_ascii_strdown(url, end - url);
}

/* Whether @url's origin has given an HTTP answer before (see http_perform). */
static bool has_answered(struct http *http, const char *url)
{
    g_autofree char *origin = origin_of(url);
    bool yes;

    g_mutex_lock(&http->answered_lock);
    yes = g_hash_table_contains(http->answered, origin);
    g_mutex_unlock(&http->answered_lock);
    return yes;
}

static void mark_answered(struct http *http, const char *url)
{
    char *origin = origin_of(url);

    g_mutex_lock(&http->answered_lock);
    g_hash_table_add(http->answered, origin);
    g_mutex_unlock(&http->answered_lock);
}

/* libcurl's error text for @rc as one printable line, for the failures whose name is not
 * enough; NULL for the others. Caller frees. */
static char *reason_of(enum http_failure f, CURLcode rc, const char *errbuf)
{
    const char *text = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    char *r;

    if (f != HTTP_FAIL_TLS && f != HTTP_FAIL_NOT_HTTP && f != HTTP_FAIL_BROKEN &&
        f != HTTP_FAIL_BAD_URL && f != HTTP_FAIL_INTERNAL)
        return NULL;
    r = g_utf8_make_valid(text, MIN(strlen(text), 200));
    g_strstrip(r);
    for (char *p = r; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    return r;
}

/* One request on one easy handle, bounded by @deadline. */
static enum http_failure attempt_once(struct http *http, const struct http_request *req,
                                      struct http_response *resp)
{
    struct curl_slist *headers = NULL;
    struct attempt a = {.resp = resp, .max_body = http->cfg.max_body};
    gint64 left_ms = (req->deadline - g_get_monotonic_time()) / 1000;
    char errbuf[CURL_ERROR_SIZE] = "";
    enum http_failure f;
    CURLcode rc;
    CURL *easy;

    g_clear_pointer(&resp->reason, g_free);
    if (left_ms <= 0)
        return HTTP_FAIL_TIMEOUT;
    easy = easy_get(http);
    if (!easy)
        return HTTP_FAIL_INTERNAL;
    g_byte_array_set_size(resp->body, 0);
    g_hash_table_remove_all(resp->headers);
    resp->status = 0;

    for (const char *const *h = req->headers; h && *h; h++)
        headers = curl_slist_append(headers, *h);
    headers = curl_slist_append(headers, "Expect:");

    curl_easy_setopt(easy, CURLOPT_SHARE, http->share);
    curl_easy_setopt(easy, CURLOPT_URL, req->url);
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, req->method);
    if (req->body) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    } else if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    /* libcurl sends a request again by itself when a reused connection turns out closed:
     * a call that may change something gets a connection of its own, so it never is. */
    if (req->once)
        curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(easy, CURLOPT_USERAGENT, http->user_agent);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)left_ms);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)MIN(left_ms, (gint64)http->cfg.connect_timeout_ms));
    curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)http->cfg.max_body);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &a);
    curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &a);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, http->cfg.insecure ? 0L : 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, http->cfg.insecure ? 0L : 2L);
    if (http->cacert)
        curl_easy_setopt(easy, CURLOPT_CAINFO, http->cacert);
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(easy, CURLOPT_XFERINFODATA, http);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);

    rc = curl_easy_perform(easy);
    f = failure_from_curl(rc, &a, req->url);
    if (f == HTTP_OK) {
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &resp->status);
        mark_answered(http, req->url);
    } else {
        resp->reason = reason_of(f, rc, errbuf);
        log_debug("http: %s %s: %s (%s)", req->method, req->url, http_failure_name(f),
                  errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
    curl_slist_free_all(headers);
    easy_put(http, easy);
    return f;
}

/* Refused is retried only where something answered before (see http_perform in http.h). */
static bool retryable(struct http *http, const struct http_request *req, enum http_failure f,
                      long status)
{
    const char *url = req->url;

    if (req->once) /* it may have been carried out: only a connection never made is safe */
        return f == HTTP_FAIL_REFUSED && has_answered(http, url);
    if (f == HTTP_FAIL_BROKEN)
        return true;
    if (f == HTTP_FAIL_REFUSED)
        return has_answered(http, url);
    return f == HTTP_OK && (status == 429 || status >= 500);
}

enum http_failure http_perform(struct http *http, const struct http_request *req,
                               struct http_response *resp)
{
    gint64 start = g_get_monotonic_time();
    struct backoff b, throttled;

    backoff_init(&b, (gint64)http->cfg.backoff_base_ms * 1000,
                 (gint64)http->cfg.backoff_cap_ms * 1000);
    backoff_init(&throttled, (gint64)MAX(http->cfg.throttle_base_ms, 1) * 1000,
                 (gint64)http->cfg.backoff_cap_ms * 1000);
    resp->attempts = 0;
    retry_budget_earn(http);
    for (;;) {
        if (!slot_acquire(http, req->deadline)) {
            resp->failure = cancelled(http) ? HTTP_FAIL_CANCELLED : HTTP_FAIL_TIMEOUT;
            break;
        }
        gint64 attempt_start = g_get_monotonic_time();
        resp->failure = attempt_once(http, req, resp);
        slot_release(http);
        resp->attempts++;
        atomic_fetch_add(&http->attempts, 1);
        if (http->cfg.on_attempt) {
            struct http_attempt a = {
                .label = req->label,
                .status = resp->failure == HTTP_OK ? resp->status : 0,
                .failure = resp->failure,
                .number = resp->attempts,
                .elapsed_us = g_get_monotonic_time() - attempt_start,
            };
            http->cfg.on_attempt(&a, http->cfg.on_attempt_data);
        }
        if (!retryable(http, req, resp->failure, resp->status) ||
            (http->cfg.max_attempts > 0 && resp->attempts >= http->cfg.max_attempts))
            break;
        gint64 delay = backoff_next_us(resp->status == 429 ? &throttled : &b);
        if (g_get_monotonic_time() + delay >= req->deadline)
            break;
        if (!retry_budget_take(http)) {
            log_debug("http: %s %s: not retried, the retry budget is spent", req->method, req->url);
            break;
        }
        log_debug("http: retrying %s %s in %lld ms (%s, status %ld)", req->method, req->url,
                  (long long)(delay / 1000), http_failure_name(resp->failure), resp->status);
        atomic_fetch_add(&http->retries, 1);
        for (gint64 end = g_get_monotonic_time() + delay; !cancelled(http);) {
            gint64 left = end - g_get_monotonic_time();
            if (left <= 0)
                break;
            g_usleep((gulong)MIN(left, 50000));
        }
    }
    resp->elapsed_us = g_get_monotonic_time() - start;
    return resp->failure;
}
