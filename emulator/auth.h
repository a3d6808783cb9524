/* auth: who may call the emulated API.
 *
 * Today: the X-Auth-Token header, checked against a token file (one token per line, re-read
 * whenever the file changes, so a test can rotate tokens), or, without a file, any non-empty
 * token. Reserved for later: IAM token issue (POST /v3/auth/tokens, routed by api.c) and
 * AK/SK signature verification (the Authorization header), both of which belong here.
 *
 * It answers yes or no with the gateway's message; building the 401 body is api.c's job. */
#pragma once

#include "request.h"

#include <glib.h>

struct auth;

/* An authenticator reading tokens from token_file, or accepting any non-empty token when
 * token_file is NULL. NULL with *error set when the file cannot be read at start. */
struct auth *auth_new(const char *token_file, GError **error);
void auth_free(struct auth *a);
typedef struct auth auth; /* only for g_autoptr(auth) */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(auth, auth_free)

/* Checks the credentials of r. 0 when accepted; -EACCES with *message (static) set to the
 * gateway's error_msg when not. Thread-safe. */
int auth_check(struct auth *a, const struct request *r, const char **message);
