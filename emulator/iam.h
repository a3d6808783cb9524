/* iam: the emulated IAM token service: password logins and the tokens it issued.
 *
 * POST /v3/auth/tokens[?nocatalog=...] with the documented password body logs in a user from
 * the users file (one DOMAIN:USER:PASSWORD per line, see README.md; re-read when it changes)
 * scoped to the emulator's region, and answers 201 with the token in X-Subject-Token and the
 * token document in the body. Tokens look like IAM's PKI tokens ("MII...", several KB) and
 * last token_ttl seconds. Issued tokens are remembered (by their SHA-256, never the token
 * itself) so that auth.c can tell valid, expired and revoked ones from unknown ones; the
 * oldest are forgotten past IAM_TOKENS_MAX.
 *
 * Times (issued_at, expires_at, expiry checks) use the real clock shifted by clock_skew.
 * Nothing here logs a password or a token. Routing is api.c's job; counting is stats.c's. */
#pragma once

#include "reply.h"
#include "request.h"

#include <glib.h>
#include <stdbool.h>

/* Issued tokens remembered at most; older ones become unknown. */
#define IAM_TOKENS_MAX 65536

struct iam;

struct iam_config {
    const char *users_file; /* NULL: no users, every login fails */
    const char *region;     /* the project name a token must be scoped to */
    const char *project_id; /* the id of that project */
    unsigned token_ttl;     /* seconds */
    gint64 clock_skew;      /* seconds */
};

/* NULL with *error set when the users file cannot be read or parsed. */
struct iam *iam_new(const struct iam_config *cfg, GError **error);
void iam_free(struct iam *iam);

/* Answers a request to /v3/auth/tokens (any method) into out. True when it issued a token. */
bool iam_handle(struct iam *iam, const struct request *r, struct reply *out);

enum iam_token_state {
    IAM_TOKEN_UNKNOWN, /* not issued here (or forgotten) */
    IAM_TOKEN_VALID,
    IAM_TOKEN_EXPIRED,
    IAM_TOKEN_REVOKED,
};

/* What became of a token this service issued. Thread-safe. */
enum iam_token_state iam_token_state(struct iam *iam, const char *token);

/* Revokes every token issued so far; returns how many were still valid. */
unsigned iam_revoke_all(struct iam *iam);

/* {"issued":n,"valid":n,"expired":n,"revoked":n} over the remembered tokens. Caller frees. */
cJSON *iam_tokens_to_json(struct iam *iam);
