/*
 * api_error: everything known about one failed API call, and the one function that turns it
 * into an errno. Every error body shape is parsed here: the service's
 * {error_code, error_msg, detail, params, ...}, the gateway's {error_code, error_msg,
 * request_id} and IAM's {"error": {code, title, message}}. The text it holds never contains a
 * secret.
 */
#ifndef VIASFS_API_ERROR_H
#define VIASFS_API_ERROR_H

#include <stdbool.h>
#include <stddef.h>
#include "viasfs/http.h"

struct api_error {
    char *call;                /* "GET /v2/<project>/tasks?page=2", or NULL */
    enum http_failure failure; /* HTTP_OK when an answer arrived */
    long http_status;          /* 0 when none arrived */
    bool malformed;            /* an answer arrived but could not be understood */
    bool no_credential;        /* no request was sent: the credential is unusable */
    char *code;                /* "VIAS.00010007", "APIG.0301"... or NULL */
    char *message;             /* error_msg, libcurl's reason, or our own description */
    char *detail;              /* detail (service errors), or NULL */
    char *request_id;          /* from the body or the X-Request-Id header, or NULL */
    int attempts;              /* requests sent for this call, retries included */
};

void api_error_init(struct api_error *e);
void api_error_release(struct api_error *e);
/* Releases and re-initialises: the error describes nothing. */
void api_error_clear(struct api_error *e);

/*
 * Fills @e from a non-2xx answer: status, and code/message/detail/request_id from any body
 * shape (IAM's title becomes the code) when the body is JSON (a body that is not JSON keeps only
 * the status and a short excerpt as message).
 */
void api_error_set_answer(struct api_error *e, long status, const char *body, size_t len,
                          const char *request_id);

/* Fills @e from a request that got no answer (@resp->failure is not HTTP_OK): the failure,
 * the attempts, and libcurl's reason, if any, as the message. */
void api_error_set_failure(struct api_error *e, const struct http_response *resp);

/*
 * The one map from failures to errno, returned negative: VIAS.00010002/7/8 -> -ENOENT,
 * 401/403 and unusable credentials -> -EACCES, 429 -> -EAGAIN, other 4xx -> -EINVAL, 5xx and
 * malformed answers -> -EIO, timeouts -> -ETIMEDOUT, refused connections -> -ECONNREFUSED, unknown
 * hosts -> -EHOSTUNREACH, other transport failures -> -EIO. 0 when @e holds no failure.
 */
int api_error_errno(const struct api_error *e);

/* One line for logs and .viasfs/errors, e.g. "GET /v2/p/tasks/x: HTTP 400 VIAS.00010007:
 * No task is found (request abc)". Caller frees. */
char *api_error_describe(const struct api_error *e);

#endif
