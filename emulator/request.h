/* request: one HTTP request as the emulator's handlers see it.
 *
 * Wraps the MHD connection for the life of one request: method, decoded path, query
 * arguments (decoded by MHD: percent escapes and '+'), headers, the body (bounded by
 * REQUEST_BODY_MAX) and the X-Request-Id the answer will carry. It does not answer
 * (reply.c) and does not route (server.c). */
#pragma once

#include <glib.h>
#include <microhttpd.h>
#include <stdbool.h>

/* Bodies beyond this are cut and flagged: control bodies are small JSON objects. */
#define REQUEST_BODY_MAX (16u << 20)

struct request {
    struct MHD_Connection *conn; /* borrowed; valid until the request completes */
    char *method;                /* owned */
    char *path;                  /* owned; as MHD decoded it, without the query */
    GByteArray *body;            /* owned; at most REQUEST_BODY_MAX bytes */
    bool body_too_large;         /* the client sent more than REQUEST_BODY_MAX */
    char id[33];                 /* the X-Request-Id: 32 lower-case hex digits */
    gint64 start_us;             /* monotonic time of arrival */
};

/* A request for connection c. Caller frees with request_free(). */
struct request *request_new(struct MHD_Connection *c, const char *method, const char *url);
void request_free(struct request *r);

/* Appends upload data, up to REQUEST_BODY_MAX. */
void request_append_body(struct request *r, const char *data, size_t len);

/* The value of header `name` (case-insensitive), or NULL. Borrowed from MHD. */
const char *request_header(const struct request *r, const char *name);

/* One decoded query argument as MHD parsed it; strings borrowed from MHD, may hold NUL. */
struct request_arg {
    const char *name;
    size_t name_len;
    const char *value; /* "" for an argument without '=' */
    size_t value_len;
};

/* Every query argument in the order received. Caller frees the array (g_array_unref); the
 * strings stay MHD's. */
GArray *request_args(const struct request *r);

/* The first value of query argument `name`, decoded, with its length in *len (it may hold NUL
 * bytes); "" for an argument without a value; NULL when absent. Borrowed from MHD. */
const char *request_arg(const struct request *r, const char *name, size_t *len);
