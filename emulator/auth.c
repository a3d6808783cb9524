/* auth: who may call the emulated API (see auth.h). */
#include "auth.h"

#include "linefile.h"
#include "signature.h"

#define AUTH_PREFIX "Incorrect IAM authentication information: "

struct auth {
    struct linefile *tokens; /* owned, or NULL: any non-empty token */
    struct iam *iam;         /* borrowed */
    struct aksk *aksk;       /* borrowed */
};

/* A token file line: the token, blanks around it ignored; blank lines skipped. */
static int auth_parse_token(GHashTable *into, char *line, unsigned lineno, GError **error)
{
    char *tok = g_strstrip(line);
    if (*tok != '\0')
        g_hash_table_add(into, g_strdup(tok));
    return 0;
}

struct auth *auth_new(const char *token_file, struct iam *iam, struct aksk *aksk, GError **error)
{
    g_autoptr(auth) a = g_new0(struct auth, 1);
    a->iam = iam;
    a->aksk = aksk;
    if (token_file != NULL) {
        a->tokens = linefile_new(token_file, auth_parse_token, NULL, error);
        if (a->tokens == NULL)
            return NULL;
    }
    return g_steal_pointer(&a);
}

void auth_free(struct auth *a)
{
    if (a == NULL)
        return;
    linefile_free(a->tokens);
    g_free(a);
}

static bool auth_token_listed(struct auth *a, const char *token)
{
    if (a->tokens == NULL)
        return true;
    g_autoptr(GHashTable) tokens = linefile_get(a->tokens);
    return g_hash_table_contains(tokens, token);
}

enum auth_outcome auth_check(struct auth *a, const struct request *r, char **message)
{
    if (signature_is_sdk_hmac(request_header(r, "Authorization"))) {
        switch (aksk_verify(a->aksk, r, message)) {
        case AKSK_ACCEPTED:
            return AUTH_AKSK_OK;
        case AKSK_LOCKED:
            return AUTH_AKSK_LOCKED;
        default:
            return AUTH_AKSK_FAILED;
        }
    }
    const char *token = request_header(r, "X-Auth-Token");
    if (token == NULL || *token == '\0') {
        *message = g_strdup(AUTH_PREFIX "x-auth-token not found");
        return AUTH_DENIED;
    }
    switch (iam_token_state(a->iam, token)) {
    case IAM_TOKEN_VALID:
        return AUTH_TOKEN_OK;
    case IAM_TOKEN_EXPIRED:
        *message = g_strdup("The token must be updated: it has expired");
        return AUTH_TOKEN_EXPIRED;
    case IAM_TOKEN_REVOKED:
        *message = g_strdup("The token must be updated: it has been revoked");
        return AUTH_TOKEN_EXPIRED;
    default:
        break;
    }
    if (!auth_token_listed(a, token)) {
        *message = g_strdup(AUTH_PREFIX "token verify failed");
        return AUTH_DENIED;
    }
    return AUTH_TOKEN_OK;
}
