/* auth: who may call the emulated API, as the gateway decides it.
 *
 * A request signed with AK/SK (an "Authorization: SDK-HMAC-SHA256 ..." header) is verified by
 * aksk.c, and only so: a good X-Auth-Token next to a bad signature does not help. Otherwise
 * the X-Auth-Token header decides: a token issued by the emulated IAM (iam.c) is accepted
 * until it expires or is revoked (then APIG.0307: the token must be updated); any other token
 * is checked against the token file (one token per line, re-read whenever the file changes,
 * so a test can rotate tokens) or, without a file, accepted when non-empty.
 *
 * It answers with an outcome and the gateway's message; building the 401 body and counting
 * are api.c's job. */
#pragma once

#include "aksk.h"
#include "iam.h"
#include "request.h"

#include <glib.h>

struct auth;

/* An authenticator reading tokens from token_file, or accepting any non-empty token when
 * token_file is NULL, and asking iam and aksk (borrowed; they must outlive it). NULL with
 * *error set when the file cannot be read at start. */
struct auth *auth_new(const char *token_file, struct iam *iam, struct aksk *aksk, GError **error);
void auth_free(struct auth *a);
typedef struct auth auth; /* only for g_autoptr(auth) */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(auth, auth_free)

enum auth_outcome {
    AUTH_TOKEN_OK,      /* a known (or, without a token file, any) X-Auth-Token */
    AUTH_AKSK_OK,       /* a verified AK/SK signature */
    AUTH_DENIED,        /* no or an unknown token: APIG.0301 */
    AUTH_TOKEN_EXPIRED, /* an issued token that expired or was revoked: APIG.0307 */
    AUTH_AKSK_FAILED,   /* a refused signature: APIG.0301 */
    AUTH_AKSK_LOCKED,   /* a locked AK: APIG.0301 */
};

/* Whether the outcome lets the request through. */
static inline bool auth_ok(enum auth_outcome o)
{
    return o == AUTH_TOKEN_OK || o == AUTH_AKSK_OK;
}

/* Checks the credentials of r. When refused, *message gets the gateway's error_msg (caller
 * frees). Thread-safe. */
enum auth_outcome auth_check(struct auth *a, const struct request *r, char **message);
