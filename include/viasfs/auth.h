/*
 * auth: the credential that authenticates API requests, and the request headers it yields.
 * Today: a ready X-Auth-Token, given directly (env VIAS_TOKEN) or read from a token file that
 * is re-read whenever it changes, so an outside tool can rotate it. IAM password tokens and
 * AK/SK signing will join here. Secrets are kept in one copy, wiped on free, never logged.
 */
#ifndef VIASFS_AUTH_H
#define VIASFS_AUTH_H

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
void auth_free(struct auth *a);

/* A number that changes whenever the credential does (a rotated token file). Thread-safe. */
guint64 auth_generation(struct auth *a);

/* "token" or "token-file": what status files show. Static storage. */
const char *auth_kind(const struct auth *a);

/*
 * Appends the authentication header lines ("X-Auth-Token: ...") for one request to
 * @headers (char *, owned by the array's free function). Returns 0, or -EACCES with *@why
 * when the credential is unusable now (token file emptied or unreadable). Thread-safe.
 */
int auth_add_headers(struct auth *a, GPtrArray *headers, char **why);

#endif
