/*
 * auth: the credential that authenticates API requests, and the request headers it yields.
 * Four kinds, as Huawei Cloud has them:
 *  - a ready X-Auth-Token given directly (env VIAS_TOKEN);
 *  - a token file, re-read whenever it changes, so an outside tool can rotate it;
 *  - an IAM user and password: auth asks IAM for a project-scoped token when first needed,
 *    renews it when three quarters of its lifetime have passed, and gets a new one at once
 *    after the service answers 401 (auth_renew);
 *  - an access key pair (AK/SK, optional security token) from a credentials file, re-read
 *    when it changes: every request is signed with SDK-HMAC-SHA256.
 * Secrets are kept in one copy each, wiped on free, never logged. A password IAM rejected
 * is not sent again until its file changes or a minute has passed.
 */
#ifndef VIASFS_AUTH_H
#define VIASFS_AUTH_H

#include "viasfs/api_error.h"
#include "viasfs/http.h"

#include <glib.h>

struct auth;

/* A fixed token. Returns NULL with *@why when @token is empty or holds control bytes. */
struct auth *auth_new_token(const char *token, char **why);
/*
 * A token file, read now (so a bad file fails at start) and again whenever its size, mtime or
 * inode changes. Returns NULL with *@why (caller frees) when it cannot be read or is empty.
 * Warns once when the file is readable by group or others.
 */
struct auth *auth_new_token_file(const char *path, char **why);

struct auth_iam_config {
    const char *endpoint; /* IAM base URL, no path */
    const char *user;
    const char *domain;        /* account name */
    const char *region;        /* project name of the token's scope */
    const char *password_file; /* read on every token request; warned about when readable
                                  by group or others */
    struct http *http;         /* borrowed; must outlive the auth */
};
/* IAM password tokens. The password file is checked now; no request is made before
 * auth_prepare or the first auth_add_headers. Returns NULL with *@why (caller frees). */
struct auth *auth_new_iam(const struct auth_iam_config *cfg, char **why);

/*
 * AK/SK from a credentials file: either the CSV the console downloads ("User Name,Access Key
 * Id,Secret Access Key" and one row) or lines "access_key = ...", "secret_key = ...",
 * optional "security_token = ..." ('#' starts a comment). Read now and whenever it changes.
 */
struct auth *auth_new_aksk_file(const char *path, char **why);

void auth_free(struct auth *a);

/* IAM: obtains a token now (so that a wrong password fails at start). Others: nothing to do.
 * Returns 0 or -errno with @err filled in. */
int auth_prepare(struct auth *a, gint64 deadline, struct api_error *err);

/* A number that changes whenever the credential does (a rotated file, a new token). */
guint64 auth_generation(struct auth *a);

/* "token", "token-file", "iam" or "aksk": what status files show. Static storage. */
const char *auth_kind(const struct auth *a);

/* IAM: the project id of the current token (caller frees), else NULL. */
char *auth_project_id(struct auth *a);

/* IAM: when the current token expires, unix seconds; 0 when unknown or not a token kind. */
gint64 auth_expires_at(struct auth *a);

/* What a request looks like on the wire, for signing. Borrowed strings. */
struct auth_request {
    const char *method;
    const char *host;  /* the Host header's value: "host" or "host:port" */
    const char *path;  /* percent-encoded, as sent */
    const char *query; /* percent-encoded without '?', as sent; NULL for none */
    const char *body;  /* NULL for none */
    size_t body_len;
    gint64 deadline; /* for an IAM token request this may need */
};

/*
 * Appends the authentication header lines for @r to @headers (char *, owned by the array's
 * free function, which should wipe them): "X-Auth-Token: ...", or for AK/SK "Host",
 * "X-Sdk-Date", "X-Security-Token" and "Authorization". Returns 0, or -errno with @err
 * filled in (err->no_credential when the credential is unusable; the IAM call's failure when
 * a token could not be obtained). Thread-safe; may wait for IAM within r->deadline.
 */
int auth_add_headers(struct auth *a, const struct auth_request *r, GPtrArray *headers,
                     struct api_error *err);

/*
 * After the service rejected (401) a request made with credential @generation: obtain a
 * different credential if there is one (IAM: a new token, once per generation; files: re-read).
 * Returns 0 when the credential now differs from @generation, so the request may be retried
 * once; -EACCES when nothing changed, or -errno with @err filled in when IAM failed.
 */
int auth_renew(struct auth *a, guint64 generation, gint64 deadline, struct api_error *err);

#endif
