/*
 * auth: credentials (see auth.h). Files are checked with stat() before each request, which
 * costs microseconds and lets a rotation take effect on the next request. IAM tokens are
 * fetched by one thread at a time; the others keep using the current token while it is
 * valid, or wait for the new one within their deadline.
 */
#include "viasfs/auth.h"
#include "viasfs/iam.h"
#include "viasfs/log.h"
#include "viasfs/signature.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

enum { MAX_SECRET = 64 * 1024 };

/* After IAM rejects a password, it is not sent again for this long unless its file changes:
 * the service locks accounts after repeated failures. */
#define IAM_REJECTION_HOLD_US (60 * G_USEC_PER_SEC)
/* A token is renewed after this share of its lifetime, and not used in its last tenth
 * (at most a minute). */
#define RENEW_NUM 3
#define RENEW_DEN 4

enum auth_type { AUTH_TOKEN, AUTH_TOKEN_FILE, AUTH_IAM, AUTH_AKSK };

/* A file holding a secret, and the identity it had when last read. */
struct secret_file {
    char *path; /* immutable */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    bool loaded;
    bool warned_mode;
};

struct auth {
    enum auth_type type;
    GMutex lock;        /* protects everything below */
    GCond cond;         /* IAM: a token request ended */
    guint64 generation; /* bumped on every new credential */

    /* AUTH_TOKEN, AUTH_TOKEN_FILE */
    char *token; /* secret; wiped before free */
    /* AUTH_TOKEN_FILE (the token), AUTH_IAM (the password), AUTH_AKSK (the keys) */
    struct secret_file file;

    /* AUTH_IAM */
    char *iam_endpoint, *iam_user, *iam_domain, *iam_region; /* immutable */
    struct http *http;
    struct iam_token iam;                 /* the current token, or all zero */
    gint64 iam_renew_at;                  /* monotonic: ask for a new one from then on */
    gint64 iam_usable_to;                 /* monotonic: do not send it after this */
    bool iam_fetching;                    /* one thread is asking IAM */
    guint64 iam_round;                    /* bumped when a request to IAM ends */
    int iam_last_rc;                      /* how the last one ended: 0 or -errno */
    char *iam_last_error;                 /* its description when it failed */
    gint64 iam_rejected_until;            /* monotonic; 0 when IAM has not rejected the password */
    struct secret_file iam_rejected_file; /* the password file's identity at that time */
    char *iam_rejection;                  /* what IAM said */

    /* AUTH_AKSK */
    char *access_key, *secret_key, *security_token; /* secret_key, security_token: secrets */
};

static void secret_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        g_free(s);
    }
}

/* A usable header value: non-empty, at most MAX_SECRET, printable ASCII without spaces. */
static bool value_ok(const char *what, const char *t, char **why)
{
    size_t n = strlen(t);

    if (n == 0) {
        *why = g_strdup_printf("the %s is empty", what);
        return false;
    }
    if (n > MAX_SECRET) {
        *why = g_strdup_printf("the %s is longer than 64 KiB", what);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e) {
            *why = g_strdup_printf("the %s holds spaces or control bytes", what);
            return false;
        }
    }
    return true;
}

static bool same_identity(const struct secret_file *f, const struct stat *st)
{
    return f->loaded && st->st_dev == f->dev && st->st_ino == f->ino && st->st_size == f->size &&
           st->st_mtim.tv_sec == f->mtime.tv_sec && st->st_mtim.tv_nsec == f->mtime.tv_nsec;
}

/*
 * Reads @f when it changed since the last read: 1 and its contents in *@text (a secret:
 * caller wipes), 0 when unchanged, or -EACCES with *@why. @what names the file in messages.
 */
static int secret_file_read(struct secret_file *f, const char *what, char **text, char **why)
{
    struct stat st;
    g_autoptr(GError) err = NULL;
    gsize len = 0;

    if (stat(f->path, &st) < 0) {
        *why = g_strdup_printf("%s %s: %s", what, f->path, g_strerror(errno));
        return -EACCES;
    }
    if (same_identity(f, &st))
        return 0;
    if (st.st_size > MAX_SECRET + 2) {
        *why = g_strdup_printf("%s %s is larger than 64 KiB", what, f->path);
        return -EACCES;
    }
    if ((st.st_mode & 077) && !f->warned_mode) {
        log_warn("%s %s is readable by group or others; chmod 600 it", what, f->path);
        f->warned_mode = true;
    }
    if (!g_file_get_contents(f->path, text, &len, &err)) {
        *why = g_strdup_printf("%s %s: %s", what, f->path, err->message);
        return -EACCES;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->size = st.st_size;
    f->mtime = st.st_mtim;
    f->loaded = true;
    return 1;
}

static struct auth *auth_alloc(enum auth_type type, const char *path)
{
    struct auth *a = g_new0(struct auth, 1);

    a->type = type;
    a->file.path = g_strdup(path);
    g_mutex_init(&a->lock);
    g_cond_init(&a->cond);
    return a;
}

struct auth *auth_new_token(const char *token, char **why)
{
    struct auth *a;

    if (!value_ok("token", token, why))
        return NULL;
    a = auth_alloc(AUTH_TOKEN, NULL);
    a->token = g_strdup(token);
    return a;
}

/* Re-reads the token file when it changed. Called with a->lock held. */
static int reload_token_locked(struct auth *a, char **why)
{
    char *text = NULL;
    int rc = secret_file_read(&a->file, "token file", &text, why);

    if (rc <= 0)
        return rc;
    g_strstrip(text);
    if (!value_ok("token", text, why)) {
        g_autofree char *inner = *why;
        *why = g_strdup_printf("token file %s: %s", a->file.path, inner);
        a->file.loaded = false;
        secret_free(text);
        return -EACCES;
    }
    secret_free(a->token);
    a->token = text;
    a->generation++;
    log_debug("auth: token file %s (re)loaded", a->file.path);
    return 0;
}

struct auth *auth_new_token_file(const char *path, char **why)
{
    struct auth *a = auth_alloc(AUTH_TOKEN_FILE, path);

    if (reload_token_locked(a, why) < 0) {
        auth_free(a);
        return NULL;
    }
    return a;
}

/* Parses a credentials file's text into the three keys. Returns 0 or -EACCES with *@why. */
static int parse_aksk(const char *path, char *text, char **ak, char **sk, char **st, char **why)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    int header = -1;

    *ak = *sk = *st = NULL;
    for (int i = 0; lines[i]; i++) {
        char *line = g_strstrip(lines[i]);
        char *eq;

        if (!line[0] || line[0] == '#')
            continue;
        if (header < 0 && strstr(line, "Access Key Id")) {
            header = i; /* the console's CSV: "User Name,Access Key Id,Secret Access Key" */
            continue;
        }
        if (header >= 0) {
            g_auto(GStrv) cols = g_strsplit(line, ",", -1);
            guint n = g_strv_length(cols);

            if (n >= 3 && !*ak) {
                *ak = g_strdup(g_strstrip(cols[n - 2]));
                *sk = g_strdup(g_strstrip(cols[n - 1]));
            }
            for (guint c = 0; c < n; c++)
                explicit_bzero(cols[c], strlen(cols[c]));
            continue;
        }
        eq = strchr(line, '=');
        if (!eq) {
            *why = g_strdup_printf("credentials file %s: line %d is not \"name = value\"", path,
                                   i + 1);
            goto bad;
        }
        *eq = '\0';
        g_strstrip(line);
        char *value = g_strstrip(eq + 1);
        char **slot = NULL;
        if (!g_ascii_strcasecmp(line, "access_key") || !g_ascii_strcasecmp(line, "ak"))
            slot = ak;
        else if (!g_ascii_strcasecmp(line, "secret_key") || !g_ascii_strcasecmp(line, "sk"))
            slot = sk;
        else if (!g_ascii_strcasecmp(line, "security_token"))
            slot = st;
        else {
            *why = g_strdup_printf("credentials file %s: line %d: unknown name \"%.40s\" (use "
                                   "access_key, secret_key, security_token)",
                                   path, i + 1, line);
            goto bad;
        }
        secret_free(*slot);
        *slot = g_strdup(value);
    }
    for (int i = 0; lines[i]; i++)
        explicit_bzero(lines[i], strlen(lines[i]));
    if (!*ak || !*sk) {
        *why = g_strdup_printf("credentials file %s: no access key and secret key in it", path);
        goto bad_wiped;
    }
    {
        g_autofree char *inner = NULL;
        if (!value_ok("access key", *ak, &inner) || !value_ok("secret key", *sk, &inner) ||
            (*st && !value_ok("security token", *st, &inner))) {
            *why = g_strdup_printf("credentials file %s: %s", path, inner);
            goto bad_wiped;
        }
    }
    return 0;
bad:
    for (int i = 0; lines[i]; i++)
        explicit_bzero(lines[i], strlen(lines[i]));
bad_wiped:
    g_clear_pointer(ak, g_free);
    g_clear_pointer(sk, secret_free);
    g_clear_pointer(st, secret_free);
    return -EACCES;
}

/* Re-reads the credentials file when it changed. Called with a->lock held. */
static int reload_aksk_locked(struct auth *a, char **why)
{
    char *text = NULL, *ak, *sk, *st;
    int rc = secret_file_read(&a->file, "credentials file", &text, why);

    if (rc <= 0)
        return rc;
    rc = parse_aksk(a->file.path, text, &ak, &sk, &st, why);
    secret_free(text);
    if (rc < 0) {
        a->file.loaded = false;
        return rc;
    }
    g_free(a->access_key);
    secret_free(a->secret_key);
    secret_free(a->security_token);
    a->access_key = ak;
    a->secret_key = sk;
    a->security_token = st;
    a->generation++;
    log_debug("auth: credentials file %s (re)loaded, access key %s", a->file.path, ak);
    return 0;
}

struct auth *auth_new_aksk_file(const char *path, char **why)
{
    struct auth *a = auth_alloc(AUTH_AKSK, path);

    if (reload_aksk_locked(a, why) < 0) {
        auth_free(a);
        return NULL;
    }
    return a;
}

/* Reads the password (a secret: caller wipes). Returns 0 or -EACCES with *@why. */
static int read_password(struct secret_file *f, char **password, char **why)
{
    size_t n;
    int rc;

    f->loaded = false; /* always read: the password is not kept between requests */
    rc = secret_file_read(f, "password file", password, why);
    if (rc < 0)
        return rc;
    n = strlen(*password);
    while (n > 0 && ((*password)[n - 1] == '\n' || (*password)[n - 1] == '\r'))
        (*password)[--n] = '\0';
    if (n == 0) {
        secret_free(*password);
        *password = NULL;
        *why = g_strdup_printf("password file %s is empty", f->path);
        return -EACCES;
    }
    return 0;
}

struct auth *auth_new_iam(const struct auth_iam_config *cfg, char **why)
{
    struct auth *a = auth_alloc(AUTH_IAM, cfg->password_file);
    char *password = NULL;

    a->iam_endpoint = g_strdup(cfg->endpoint);
    while (g_str_has_suffix(a->iam_endpoint, "/"))
        a->iam_endpoint[strlen(a->iam_endpoint) - 1] = '\0';
    a->iam_user = g_strdup(cfg->user);
    a->iam_domain = g_strdup(cfg->domain);
    a->iam_region = g_strdup(cfg->region);
    a->http = cfg->http;
    if (read_password(&a->file, &password, why) < 0) {
        auth_free(a);
        return NULL;
    }
    secret_free(password);
    return a;
}

void auth_free(struct auth *a)
{
    if (!a)
        return;
    secret_free(a->token);
    g_free(a->file.path);
    g_free(a->iam_endpoint);
    g_free(a->iam_user);
    g_free(a->iam_domain);
    g_free(a->iam_region);
    iam_token_clear(&a->iam);
    g_free(a->iam_rejection);
    g_free(a->iam_last_error);
    g_free(a->access_key);
    secret_free(a->secret_key);
    secret_free(a->security_token);
    g_mutex_clear(&a->lock);
    g_cond_clear(&a->cond);
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
    switch (a->type) {
    case AUTH_TOKEN_FILE:
        return "token-file";
    case AUTH_IAM:
        return "iam";
    case AUTH_AKSK:
        return "aksk";
    default:
        return "token";
    }
}

char *auth_project_id(struct auth *a)
{
    char *id;

    g_mutex_lock(&a->lock);
    id = g_strdup(a->iam.project_id);
    g_mutex_unlock(&a->lock);
    return id;
}

gint64 auth_expires_at(struct auth *a)
{
    gint64 t;

    g_mutex_lock(&a->lock);
    t = a->iam.token ? a->iam.expires_at / G_USEC_PER_SEC : 0;
    g_mutex_unlock(&a->lock);
    return t;
}

static void fail_credential(struct api_error *err, const char *call, char *message)
{
    api_error_clear(err);
    err->call = g_strdup(call);
    err->no_credential = true;
    err->message = message;
}

/*
 * Asks IAM for a token, with a->lock held on entry and exit (released during the request).
 * Returns 0 with a->iam replaced, or -errno with @err filled in.
 */
static int iam_fetch_locked(struct auth *a, gint64 deadline, struct api_error *err)
{
    struct iam_token tok;
    char *password = NULL;
    g_autofree char *why = NULL;
    struct stat st;
    gint64 received, lifetime, margin;
    int rc;

    if (a->iam_rejected_until && g_get_monotonic_time() < a->iam_rejected_until &&
        stat(a->file.path, &st) == 0 && same_identity(&a->iam_rejected_file, &st)) {
        fail_credential(err, "IAM token",
                        g_strdup_printf("IAM rejected the password and its file has not "
                                        "changed since (%s); fix %s to retry",
                                        a->iam_rejection, a->file.path));
        return -EACCES;
    }
    if (read_password(&a->file, &password, &why) < 0) {
        fail_credential(err, "IAM token", g_steal_pointer(&why));
        return -EACCES;
    }
    struct iam_credentials c = {.endpoint = a->iam_endpoint,
                                .user = a->iam_user,
                                .domain = a->iam_domain,
                                .project = a->iam_region,
                                .password = password};
    struct secret_file used = a->file;
    a->iam_fetching = true;
    g_mutex_unlock(&a->lock);
    rc = iam_request_token(a->http, &c, deadline, &tok, err);
    received = g_get_monotonic_time();
    secret_free(password);
    g_mutex_lock(&a->lock);
    a->iam_fetching = false;
    a->iam_round++;
    a->iam_last_rc = rc;
    g_free(a->iam_last_error);
    a->iam_last_error = rc < 0 ? api_error_describe(err) : NULL;
    g_cond_broadcast(&a->cond);
    if (rc < 0) {
        if (rc == -EACCES) {
            a->iam_rejected_until = received + IAM_REJECTION_HOLD_US;
            a->iam_rejected_file = used;
            g_free(a->iam_rejection);
            a->iam_rejection = g_strdup(a->iam_last_error);
        }
        return rc;
    }
    a->iam_rejected_until = 0;
    lifetime = MAX(tok.expires_at - tok.issued_at, 0);
    margin = MIN(lifetime / 10, 60 * G_USEC_PER_SEC);
    iam_token_clear(&a->iam);
    a->iam = tok;
    a->iam_renew_at = received + lifetime / RENEW_DEN * RENEW_NUM;
    a->iam_usable_to = received + lifetime - margin;
    a->generation++;
    log_info("auth: new IAM token for project %s, valid for %lld s", a->iam.project_id,
             (long long)(lifetime / G_USEC_PER_SEC));
    return 0;
}

/*
 * Makes sure a usable IAM token is held, with a->lock held. Uses the current one while it is
 * usable and either fresh or being renewed by another thread; else fetches or waits.
 */
static int iam_ensure_locked(struct auth *a, gint64 deadline, struct api_error *err)
{
    guint64 round = a->iam_round;

    for (;;) {
        gint64 now = g_get_monotonic_time();
        bool usable = a->iam.token && now < a->iam_usable_to;

        if (usable && (now < a->iam_renew_at || a->iam_fetching))
            return 0;
        if (round != a->iam_round && a->iam_last_rc < 0) {
            /* The request this thread waited for failed: report that, do not ask again. */
            fail_credential(err, "IAM token", g_strdup(a->iam_last_error));
            err->no_credential = a->iam_last_rc == -EACCES;
            err->failure = a->iam_last_rc == -ETIMEDOUT ? HTTP_FAIL_TIMEOUT : HTTP_OK;
            return a->iam_last_rc;
        }
        if (!a->iam_fetching) {
            int rc = iam_fetch_locked(a, deadline, err);

            if (rc < 0 && a->iam.token && g_get_monotonic_time() < a->iam_usable_to) {
                g_autofree char *text = api_error_describe(err);
                log_warn("auth: renewing the IAM token failed (%s); the current one is still "
                         "valid",
                         text);
                a->iam_renew_at = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
                return 0;
            }
            return rc;
        }
        if (!g_cond_wait_until(&a->cond, &a->lock, deadline)) {
            fail_credential(err, "IAM token",
                            g_strdup("the deadline passed while waiting for an IAM token"));
            err->no_credential = false;
            err->failure = HTTP_FAIL_TIMEOUT;
            return -ETIMEDOUT;
        }
    }
}

int auth_prepare(struct auth *a, gint64 deadline, struct api_error *err)
{
    int rc = 0;

    if (a->type != AUTH_IAM)
        return 0;
    g_mutex_lock(&a->lock);
    rc = iam_ensure_locked(a, deadline, err);
    g_mutex_unlock(&a->lock);
    return rc;
}

/* Adds the AK/SK headers for @r. Called with a->lock held. */
static void add_signature_locked(struct auth *a, const struct auth_request *r, GPtrArray *headers)
{
    char date[17];
    struct signature_header h[3];
    size_t n = 0;

    signature_format_date(g_get_real_time() / G_USEC_PER_SEC, date);
    h[n++] = (struct signature_header){.name = "Host", .value = r->host};
    h[n++] = (struct signature_header){.name = "X-Sdk-Date", .value = date};
    if (a->security_token)
        h[n++] = (struct signature_header){.name = "X-Security-Token", .value = a->security_token};
    struct signature_input in = {.method = r->method,
                                 .path = r->path,
                                 .query = r->query,
                                 .headers = h,
                                 .n_headers = n,
                                 .body = r->body,
                                 .body_len = r->body ? r->body_len : 0};
    g_autofree char *authorization =
        signature_authorization(&in, date, a->access_key, a->secret_key);

    for (size_t i = 0; i < n; i++)
        g_ptr_array_add(headers, g_strconcat(h[i].name, ": ", h[i].value, NULL));
    g_ptr_array_add(headers, g_strconcat("Authorization: ", authorization, NULL));
}

int auth_add_headers(struct auth *a, const struct auth_request *r, GPtrArray *headers,
                     struct api_error *err)
{
    g_autofree char *why = NULL;
    int rc = 0;

    g_mutex_lock(&a->lock);
    switch (a->type) {
    case AUTH_TOKEN_FILE:
        rc = reload_token_locked(a, &why);
        /* fall through */
    case AUTH_TOKEN:
        if (rc == 0)
            g_ptr_array_add(headers, g_strconcat("X-Auth-Token: ", a->token, NULL));
        break;
    case AUTH_IAM:
        rc = iam_ensure_locked(a, r->deadline, err);
        if (rc == 0)
            g_ptr_array_add(headers, g_strconcat("X-Auth-Token: ", a->iam.token, NULL));
        break;
    case AUTH_AKSK:
        rc = reload_aksk_locked(a, &why);
        if (rc == 0)
            add_signature_locked(a, r, headers);
        break;
    }
    g_mutex_unlock(&a->lock);
    if (rc < 0 && why)
        fail_credential(err, "credential", g_steal_pointer(&why));
    return rc;
}

int auth_renew(struct auth *a, guint64 generation, gint64 deadline, struct api_error *err)
{
    g_autofree char *why = NULL;
    int rc = 0;

    g_mutex_lock(&a->lock);
    if (a->generation == generation) {
        switch (a->type) {
        case AUTH_TOKEN_FILE:
            rc = reload_token_locked(a, &why);
            break;
        case AUTH_AKSK:
            rc = reload_aksk_locked(a, &why);
            break;
        case AUTH_IAM:
            /* The service no longer takes this token: do not send it again. */
            a->iam_usable_to = 0;
            rc = iam_ensure_locked(a, deadline, err);
            break;
        default:
            break;
        }
        if (rc == 0 && a->generation == generation)
            rc = -EACCES;
    }
    g_mutex_unlock(&a->lock);
    if (rc < 0 && why)
        fail_credential(err, "credential", g_steal_pointer(&why));
    return rc;
}
