/*
 * iam: asks Huawei Cloud IAM for a project-scoped token with a user's password
 * (POST /v3/auth/tokens). One call, no state: renewal and caching are auth's job. The
 * password is only read; the request body that carries it is wiped after use.
 */
#ifndef VIASFS_IAM_H
#define VIASFS_IAM_H

#include "viasfs/api_error.h"
#include "viasfs/http.h"

struct iam_credentials {
    const char *endpoint; /* "https://iam.cn-north-4.myhuaweicloud.com" (no path) */
    const char *user;
    const char *domain;   /* the account name */
    const char *project;  /* the scope: a project name, which is the region name */
    const char *password; /* secret */
};

struct iam_token {
    char *token;       /* X-Subject-Token; secret: wiped by iam_token_clear */
    gint64 issued_at;  /* unix microseconds (our clock when the answer has none) */
    gint64 expires_at; /* unix microseconds */
    char *project_id;  /* token.project.id */
};

/*
 * Requests a token. Returns 0 and fills @out, or -errno (the api_error map: -EACCES for a
 * rejected password) with @err filled in; never retries a rejection. Logs nothing.
 */
int iam_request_token(struct http *http, const struct iam_credentials *c, gint64 deadline,
                      struct iam_token *out, struct api_error *err);

/* Wipes the token and frees the members; @t may be reused afterwards. */
void iam_token_clear(struct iam_token *t);

#endif
