/*
 * api_i.h: what the api layer's files share and nothing outside them sees: one call of the
 * service (method, path, body) made with credentials and the one failure report. api.c holds
 * the read calls (list, detail), api_control.c the control calls.
 */
#ifndef VIASFS_API_I_H
#define VIASFS_API_I_H

#include "viasfs/api.h"

/* One request of a call. Strings are borrowed. */
struct call {
    const char *method;
    const char *path;  /* below the endpoint, encoded */
    const char *query; /* encoded, or NULL */
    const char *body;  /* JSON, or NULL */
    size_t body_len;
    const char *label; /* what it is, for the metrics: "list", "detail", "action", ... */
    bool once;         /* it may change something: never repeated once it may have arrived */
    gint64 deadline;
};

/*
 * Makes the call @c. Returns 0 with a 2xx answer in @resp, or -errno with @err filled in,
 * logged and reported to on_error. A 401 is answered by renewing the credential (a new IAM
 * token, a re-read file) and repeating once: the service refused the request unread, so even
 * a control call may be repeated. A credential rejected again is remembered and not sent
 * until it changes. @resp must be initialised. A "once" call whose answer was lost is not
 * reported (see api_answer_lost).
 */
int api_call(struct api *api, const struct call *c, struct http_response *resp,
             struct api_error *err);

/* Whether a request that got no answer may have reached the service (a timeout, a dropped
 * connection, a cancel): a control call's answer was lost, and it may have been carried out.
 * api_call does not report such a failure of a call made "once": its caller does, after
 * reading the task again. */
bool api_answer_lost(const struct api_error *err);

/* Logs @err once and reports it to on_error (a local refusal included: set its call and
 * message). Returns api_error_errno(e), or -EIO when that is 0. */
int api_fail(struct api *api, struct api_error *err);

/* Records and reports an answer that could not be understood (takes @why). Returns -EIO. */
int api_fail_malformed(struct api *api, struct api_error *err, const struct http_response *resp,
                       char *why);

/* "/v2/<project>", encoded. */
const char *api_base_path(const struct api *api);

#endif
