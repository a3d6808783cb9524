/* auth: who may call the emulated API (see auth.h).
 *
 * The token file is stat()ed on every check (cheap) and re-read when its identity, size,
 * mtime or ctime changes. If it becomes unreadable the last tokens read stay valid, so an
 * atomic replace by rename never opens a window of 401s. */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct auth {
    char *token_file;   /* owned; NULL: any non-empty token */
    GMutex lock;        /* protects tokens and seen */
    GHashTable *tokens; /* char * -> itself, owned */
    struct stat seen;   /* the token file as last read */
};

/* Reads the token file into a new set. Caller holds a->lock (or owns a alone). */
static int auth_load(struct auth *a, const struct stat *st, GError **error)
{
    g_autofree char *text = NULL;
    if (!g_file_get_contents(a->token_file, &text, NULL, error))
        return -EIO;
    GHashTable *tokens = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        char *tok = g_strstrip(*l);
        if (*tok != '\0')
            g_hash_table_add(tokens, g_strdup(tok));
    }
    if (a->tokens != NULL)
        g_hash_table_unref(a->tokens);
    a->tokens = tokens;
    a->seen = *st;
    return 0;
}

static bool stat_same(const struct stat *x, const struct stat *y)
{
    return x->st_ino == y->st_ino && x->st_dev == y->st_dev && x->st_size == y->st_size &&
           x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec &&
           x->st_ctim.tv_sec == y->st_ctim.tv_sec && x->st_ctim.tv_nsec == y->st_ctim.tv_nsec;
}

struct auth *auth_new(const char *token_file, GError **error)
{
    g_autoptr(auth) a = g_new0(struct auth, 1);
    g_mutex_init(&a->lock);
    if (token_file == NULL)
        return g_steal_pointer(&a);
    a->token_file = g_strdup(token_file);
    struct stat st;
    if (stat(token_file, &st) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", token_file,
                    g_strerror(errno));
        return NULL;
    }
    if (auth_load(a, &st, error) < 0)
        return NULL;
    return g_steal_pointer(&a);
}

void auth_free(struct auth *a)
{
    if (a == NULL)
        return;
    if (a->tokens != NULL)
        g_hash_table_unref(a->tokens);
    g_free(a->token_file);
    g_mutex_clear(&a->lock);
    g_free(a);
}

static bool auth_token_known(struct auth *a, const char *token)
{
    if (a->token_file == NULL)
        return true;
    g_mutex_lock(&a->lock);
    struct stat st;
    if (stat(a->token_file, &st) == 0 && !stat_same(&st, &a->seen)) {
        g_autoptr(GError) err = NULL;
        if (auth_load(a, &st, &err) < 0)
            g_printerr("vias-emulator: keeping the old tokens: %s\n", err->message);
    }
    bool known = g_hash_table_contains(a->tokens, token);
    g_mutex_unlock(&a->lock);
    return known;
}

int auth_check(struct auth *a, const struct request *r, const char **message)
{
    const char *token = request_header(r, "X-Auth-Token");
    if (token == NULL || *token == '\0') {
        *message = "Incorrect IAM authentication information: x-auth-token not found";
        return -EACCES;
    }
    if (!auth_token_known(a, token)) {
        *message = "Incorrect IAM authentication information: token verify failed";
        return -EACCES;
    }
    return 0;
}
