/*
 * http: the only user of libcurl. One struct http is shared by every thread: it reuses
 * connections (a pool of easy handles; DNS and TLS sessions in a curl share handle), accepts gzip,
 * caps every body, verifies TLS, bounds concurrent requests, and retries 429, 5xx and broken
 * connections with jittered backoff inside the caller's deadline. It knows nothing about
 * VIAS: bodies are bytes, statuses are numbers, and failures are an enum that the api layer
 * maps to errno.
 */
#ifndef VIASFS_HTTP_H
#define VIASFS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct http;
struct http_attempt;

struct http_config {
    int max_requests;       /* requests in flight at once across all threads; >= 1 */
    int connect_timeout_ms; /* per attempt, never beyond the request's deadline */
    size_t max_body;        /* a longer answer, counted decoded (after gzip), fails with
                               HTTP_FAIL_TOO_LARGE */
    int max_attempts;       /* 1 = no retries; 0 = as many as the deadline and the retry
                               budget allow (the default) */
    int backoff_base_ms;    /* first retry delay scale (see backoff.h) */
    int backoff_cap_ms;
    int throttle_base_ms; /* first delay after a 429: the gateway advises seconds */
    const char *cacert;   /* extra CA bundle file, or NULL */
    bool insecure;        /* skip TLS verification (the caller warns) */
    const char *user_agent;
    /* Called after every attempt (struct http_attempt below), from the requesting thread,
     * with no http lock held; or NULL. For the owner's counters. */
    void (*on_attempt)(const struct http_attempt *a, void *data);
    void *on_attempt_data;
};

/* The default cap on one answer, decoded: 100 KB of gzip can decode to 61 MB. A page of 1000
 * whole tasks is about 1.3 MB. */
#define HTTP_MAX_BODY_DEFAULT (16u << 20)

/* Fills @cfg with the defaults: 8 requests, 5 s connect, 16 MiB bodies, attempts bounded by
 * the deadline and the retry budget only, retry delays from 100 ms (from 1 s after a 429) up
 * to 4 s. */
void http_config_defaults(struct http_config *cfg);

/* Why no HTTP answer was obtained. HTTP_OK means an answer arrived, whatever its status. */
enum http_failure {
    HTTP_OK = 0,
    HTTP_FAIL_TIMEOUT,   /* the deadline passed (connecting, waiting or reading) */
    HTTP_FAIL_REFUSED,   /* connection refused or host unreachable */
    HTTP_FAIL_RESOLVE,   /* host name not found */
    HTTP_FAIL_BROKEN,    /* connection dropped, truncated or garbled answer */
    HTTP_FAIL_TOO_LARGE, /* body exceeded max_body */
    HTTP_FAIL_TLS,       /* TLS handshake or certificate verification failed */
    HTTP_FAIL_NOT_HTTP,  /* something answered, but not with HTTP (another protocol) */
    HTTP_FAIL_BAD_URL,   /* the URL cannot be requested (syntax, scheme) */
    HTTP_FAIL_INTERNAL,  /* out of resources inside libcurl */
    HTTP_FAIL_CANCELLED, /* http_cancel_all was called */
};

/* A short English description of @f, for messages. Static storage. */
const char *http_failure_name(enum http_failure f);

struct http_request {
    const char *method;         /* "GET", "POST", ... */
    const char *url;            /* complete, already encoded */
    const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL; may hold
                                   secrets, so they are never logged */
    const char *body;           /* request body or NULL */
    size_t body_len;
    gint64 deadline;   /* g_get_monotonic_time() value after which to give up */
    const char *label; /* what the request is ("list", "detail", "iam"), for on_attempt; or NULL */
    bool once; /* a call that may change something (a control call): an attempt that may have
                  reached the server is never repeated; only a refused connection is retried */
};

/* One attempt of a request, as on_attempt is told about it. */
struct http_attempt {
    const char *label;         /* the request's label, or NULL */
    long status;               /* the HTTP status, 0 when no answer arrived */
    enum http_failure failure; /* HTTP_OK when an answer arrived */
    int number;                /* 1 for the first attempt, 2 for the first retry, ... */
    gint64 elapsed_us;         /* how long the attempt took */
};

struct http_response {
    long status;         /* HTTP status of the last attempt, 0 if none arrived */
    GByteArray *body;    /* body of the last attempt (never NULL after init) */
    GHashTable *headers; /* lower-case name -> value of the last attempt */
    enum http_failure failure;
    int attempts;      /* requests actually sent */
    gint64 elapsed_us; /* from the call to its return */
    char *reason;      /* libcurl's words for a failure whose name does not say it all (TLS,
                          not HTTP, broken, bad URL), e.g. "SSL certificate problem:
                          self-signed certificate": one line, no secret; else NULL. Owned */
};

void http_response_init(struct http_response *resp);
void http_response_release(struct http_response *resp);
/* A response header by lower-case name; borrowed from @resp, or NULL. */
const char *http_response_header(const struct http_response *resp, const char *name);

/* Returns NULL and sets *@why (caller frees) when libcurl cannot be set up. */
struct http *http_new(const struct http_config *cfg, char **why);
void http_free(struct http *http);
/* The cap on one answer's decoded length (http_config.max_body). */
size_t http_max_body(const struct http *http);

/*
 * Performs @req, retrying 429, 5xx, broken and refused connections while attempts, the
 * deadline and a retry budget shared by all requests allow (20 retries at once, then one per
 * five requests and two a second). A refused connection is retried only when the same
 * scheme://host:port has answered this struct http before (a server restarting): refused by
 * one that never answered, nothing listens there, and waiting does not cure that. Blocks the
 * calling thread; takes no lock of the caller's. Returns HTTP_OK when @resp holds an answer (any
 * status), else the failure, also stored in @resp.
 * @resp must be initialised; it is overwritten.
 */
enum http_failure http_perform(struct http *http, const struct http_request *req,
                               struct http_response *resp);

/* Counters since http_new: attempts sent and retries made. Atomic reads. */
struct http_stats {
    guint64 attempts;
    guint64 retries;
    guint64 retries_denied; /* retries the shared budget refused (see http_perform) */
};
void http_get_stats(struct http *http, struct http_stats *out);

/*
 * Shutting down: requests in flight are aborted within about a second (libcurl's progress
 * callback), waiting and later ones fail at once with HTTP_FAIL_CANCELLED. Thread-safe;
 * irreversible.
 */
void http_cancel_all(struct http *http);

#endif
