/*
 * auth: token credentials (see auth.h). The token file is checked with stat() before each
 * request, which costs microseconds and lets rotation take effect on the next request.
 */
#include "viasfs/auth.h"
#include "viasfs/log.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_TOKEN = 64 * 1024 };

enum auth_type { AUTH_TOKEN, AUTH_TOKEN_FILE };

struct auth {
    enum auth_type type;
    char *path;  /* token file, immutable */
    GMutex lock; /* protects token and the file identity below */
    char *token; /* the secret; wiped before free */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    bool warned_mode;
    guint64 generation; /* bumped on every (re)load */
};

static void secret_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        g_free(s);
    }
}

/* A usable token: non-empty, at most MAX_TOKEN, printable ASCII (it becomes a header). */
static bool token_ok(const char *t, char **why)
{
    size_t n = strlen(t);

    if (n == 0) {
        *why = g_strdup("the token is empty");
        return false;
    }
    if (n > MAX_TOKEN) {
        *why = g_strdup("the token is longer than 64 KiB");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e) {
            *why = g_strdup("the token holds spaces or control bytes");
            return false;
        }
    }
    return true;
}

struct auth *auth_new_token(const char *token, char **why)
{
    struct auth *a;

    if (!token_ok(token, why))
        return NULL;
    a = g_new0(struct auth, 1);
    a->type = AUTH_TOKEN;
    a->token = g_strdup(token);
    g_mutex_init(&a->lock);
    return a;
}

/* Re-reads the token file when it changed. Called with a->lock held. */
static int reload_locked(struct auth *a, char **why)
{
    struct stat st;
    g_autoptr(GError) err = NULL;
    char *text = NULL;
    gsize len = 0;

    if (stat(a->path, &st) < 0) {
        *why = g_strdup_printf("token file %s: %s", a->path, g_strerror(errno));
        return -EACCES;
    }
    if (a->token && st.st_dev == a->dev && st.st_ino == a->ino && st.st_size == a->size &&
        st.st_mtim.tv_sec == a->mtime.tv_sec && st.st_mtim.tv_nsec == a->mtime.tv_nsec)
        return 0;
    if (st.st_size > MAX_TOKEN + 2) {
        *why = g_strdup_printf("token file %s is larger than 64 KiB", a->path);
        return -EACCES;
    }
    if ((st.st_mode & 077) && !a->warned_mode) {
        log_warn("token file %s is readable by group or others; chmod 600 it", a->path);
        a->warned_mode = true;
    }
    if (!g_file_get_contents(a->path, &text, &len, &err)) {
        *why = g_strdup_printf("token file %s: %s", a->path, err->message);
        return -EACCES;
    }
    g_strstrip(text);
    if (!token_ok(text, why)) {
        g_autofree char *inner = *why;
        *why = g_strdup_printf("token file %s: %s", a->path, inner);
        secret_free(text);
        return -EACCES;
    }
    secret_free(a->token);
    a->token = text;
    a->dev = st.st_dev;
    a->ino = st.st_ino;
    a->size = st.st_size;
    a->mtime = st.st_mtim;
    a->generation++;
    log_debug("auth: token file %s (re)loaded", a->path);
    return 0;
}

struct auth *auth_new_token_file(const char *path, char **why)
{
    struct auth *a = g_new0(struct auth, 1);

    a->type = AUTH_TOKEN_FILE;
    a->path = g_strdup(path);
    g_mutex_init(&a->lock);
    if (reload_locked(a, why) < 0) {
        auth_free(a);
        return NULL;
    }
    return a;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    secret_free(a->token);
    g_free(a->path);
    g_mutex_clear(&a->lock);
    g_free(a);
}

guint64 auth_generation(struct auth *a)
{
    guint64 g;

    g_mutex_lock(&a->lock);
    g = a->generation;
    g_mutex_unlock(&a->lock);
    return g;
}

const char *auth_kind(const struct auth *a)
{
    return a->type == AUTH_TOKEN_FILE ? "token-file" : "token";
}

int auth_add_headers(struct auth *a, GPtrArray *headers, char **why)
{
    int rc = 0;

    g_mutex_lock(&a->lock);
    if (a->type == AUTH_TOKEN_FILE)
        rc = reload_locked(a, why);
    if (rc == 0)
        g_ptr_array_add(headers, g_strconcat("X-Auth-Token: ", a->token, NULL));
    g_mutex_unlock(&a->lock);
    return rc;
}
