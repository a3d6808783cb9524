/* aksk: access keys and SDK-HMAC-SHA256 verification (see aksk.h). */
#include "aksk.h"

#include "linefile.h"
#include "signature.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define AKSK_PREFIX "Incorrect IAM authentication information: "
#define AKSK_AK_MAX 128 /* longer AKs are not quoted back */

struct aksk_key {
    char *sk;             /* owned; never printed */
    char *security_token; /* owned, or NULL; never printed */
};

/* The recent failures of one AK. */
struct aksk_failures {
    unsigned count;      /* bad signatures in a row */
    gint64 locked_until; /* monotonic us; 0: not locked */
};

struct aksk {
    struct linefile *keys; /* owned, or NULL: no keys */
    gint64 lockout_us;
    gint64 skew_us;
    bool verbose;
    GMutex lock;          /* protects failures */
    GHashTable *failures; /* AK (owned) -> struct aksk_failures (owned) */
};

static void aksk_key_free(gpointer p)
{
    struct aksk_key *k = p;
    if (k == NULL)
        return;
    g_free(k->sk);
    g_free(k->security_token);
    g_free(k);
}

static int aksk_parse_key(GHashTable *into, char *line, unsigned lineno, GError **error)
{
    g_auto(GStrv) all = g_strsplit_set(line, " \t", -1);
    const char *f[4] = {NULL};
    unsigned n = 0;
    for (char **p = all; *p != NULL; p++) {
        if (**p == '\0')
            continue;
        if (n == 0 && **p == '#')
            return 0;
        if (n == 3) {
            n = 4;
            break;
        }
        f[n++] = *p;
    }
    if (n == 0)
        return 0;
    if (n < 2 || n > 3) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "line %u: expected AK SK [SECURITY_TOKEN]", lineno);
        return -EINVAL;
    }
    if (g_hash_table_contains(into, f[0])) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "line %u: a second entry for an AK",
                    lineno);
        return -EINVAL;
    }
    struct aksk_key *k = g_new0(struct aksk_key, 1);
    k->sk = g_strdup(f[1]);
    k->security_token = g_strdup(f[2]);
    g_hash_table_insert(into, g_strdup(f[0]), k);
    return 0;
}

struct aksk *aksk_new(const struct aksk_config *cfg, GError **error)
{
    struct aksk *k = g_new0(struct aksk, 1);
    g_mutex_init(&k->lock);
    k->failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    k->lockout_us = (gint64)cfg->lockout * G_USEC_PER_SEC;
    k->skew_us = cfg->clock_skew * G_USEC_PER_SEC;
    k->verbose = cfg->verbose;
    if (cfg->keys_file != NULL) {
        k->keys = linefile_new(cfg->keys_file, aksk_parse_key, aksk_key_free, error);
        if (k->keys == NULL) {
            aksk_free(k);
            return NULL;
        }
    }
    return k;
}

void aksk_free(struct aksk *k)
{
    if (k == NULL)
        return;
    linefile_free(k->keys);
    g_hash_table_unref(k->failures);
    g_mutex_clear(&k->lock);
    g_free(k);
}

/* The AK as it may be quoted back: printable ASCII of a sane length. */
static const char *aksk_quotable(const char *ak)
{
    size_t n = 0;
    for (const char *p = ak; *p != '\0'; p++, n++)
        if (!g_ascii_isgraph(*p) || n >= AKSK_AK_MAX)
            return "(invalid)";
    return ak;
}

/* Seconds left of the AK's lock (ending an expired one), or 0 when it is not locked. */
static gint64 aksk_locked_for(struct aksk *k, const char *ak)
{
    gint64 left = 0;
    g_mutex_lock(&k->lock);
    struct aksk_failures *f = g_hash_table_lookup(k->failures, ak);
    if (f != NULL && f->locked_until != 0) {
        gint64 now = g_get_monotonic_time();
        if (now < f->locked_until) {
            left = (f->locked_until - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
        } else {
            f->locked_until = 0;
            f->count = 0;
        }
    }
    g_mutex_unlock(&k->lock);
    return left;
}

/* Records a signature result for ak: a success resets, a failure counts and may lock. */
static void aksk_record(struct aksk *k, const char *ak, bool good)
{
    g_mutex_lock(&k->lock);
    struct aksk_failures *f = g_hash_table_lookup(k->failures, ak);
    if (good) {
        if (f != NULL)
            g_hash_table_remove(k->failures, ak);
    } else {
        if (f == NULL) {
            f = g_new0(struct aksk_failures, 1);
            g_hash_table_insert(k->failures, g_strdup(ak), f);
        }
        if (++f->count >= AKSK_FAILURES_MAX && k->lockout_us > 0)
            f->locked_until = g_get_monotonic_time() + k->lockout_us;
    }
    g_mutex_unlock(&k->lock);
}

static const char *aksk_header(void *data, const char *name)
{
    return request_header(data, name);
}

/* Checks X-Sdk-Date: present, signed, well-formed, within the window. NULL or a message. */
static char *aksk_check_date(struct aksk *k, const struct request *r,
                             const struct signature_authorization *a)
{
    const char *date = request_header(r, "X-Sdk-Date");
    if (date == NULL || !g_strv_contains((const char *const *)a->signed_headers, "x-sdk-date"))
        return g_strdup(AKSK_PREFIX "verify aksk signature fail: X-Sdk-Date must be sent and "
                                    "listed in SignedHeaders");
    gint64 t = 0;
    if (signature_date_parse(date, &t) < 0)
        return g_strdup(AKSK_PREFIX "verify aksk signature fail: X-Sdk-Date is not a UTC time "
                                    "of the form YYYYMMDDTHHMMSSZ");
    gint64 now = (g_get_real_time() + k->skew_us) / G_USEC_PER_SEC;
    if (t < now - AKSK_DATE_WINDOW || t > now + AKSK_DATE_WINDOW)
        return g_strdup_printf(AKSK_PREFIX "the request time X-Sdk-Date is out of range: it is "
                                           "%+" G_GINT64_FORMAT " s from the server time and "
                                           "must be within %d minutes of it",
                               t - now, AKSK_DATE_WINDOW / 60);
    return NULL;
}

/* The signature the request should carry, or NULL when a signed header is absent. */
static char *aksk_expected(struct aksk *k, const struct request *r,
                           const struct signature_authorization *a, const char *sk)
{
    const char *payload = request_header(r, "X-Sdk-Content-Sha256");
    g_autofree char *body_hash = payload != NULL && strcmp(payload, "UNSIGNED-PAYLOAD") == 0
                                     ? g_strdup("UNSIGNED-PAYLOAD")
                                     : signature_sha256_hex(r->body->data, r->body->len);
    g_autoptr(GArray) got = request_args(r);
    g_autofree struct signature_arg *args = g_new0(struct signature_arg, got->len + 1);
    for (guint i = 0; i < got->len; i++) {
        const struct request_arg *g = &g_array_index(got, struct request_arg, i);
        args[i] = (struct signature_arg){g->name, g->name_len, g->value, g->value_len};
    }
    g_autofree char *canon = signature_canonical_request(
        r->method, r->path, args, got->len, a->signed_headers, aksk_header, (void *)r, body_hash);
    if (canon == NULL)
        return NULL;
    if (k->verbose) {
        g_autofree char *h = signature_sha256_hex(canon, strlen(canon));
        fprintf(stderr, "vias-emulator: aksk: %s: canonical request sha256 %s\n",
                aksk_quotable(a->access), h);
    }
    g_autofree char *sts = signature_string_to_sign(request_header(r, "X-Sdk-Date"), canon);
    return signature_hmac_hex(sk, sts);
}

enum aksk_result aksk_verify(struct aksk *k, const struct request *r, char **message)
{
    g_auto(signature_authorization) a = {0};
    if (signature_authorization_parse(request_header(r, "Authorization"), &a) < 0) {
        *message = g_strdup(AKSK_PREFIX "verify aksk signature fail: the Authorization header "
                                        "is not 'SDK-HMAC-SHA256 Access=AK, SignedHeaders=h1;h2, "
                                        "Signature=hex'");
        return AKSK_FAILED;
    }
    g_autoptr(GHashTable) keys = k->keys != NULL ? linefile_get(k->keys) : NULL;
    const struct aksk_key *key = keys != NULL ? g_hash_table_lookup(keys, a.access) : NULL;
    if (key == NULL) {
        *message = g_strdup_printf(AKSK_PREFIX "Get secretKey failed,ak:%s,err:ak not exist",
                                   aksk_quotable(a.access));
        return AKSK_FAILED;
    }
    gint64 left = aksk_locked_for(k, a.access);
    if (left > 0) {
        *message = g_strdup_printf(AKSK_PREFIX "AK access failed to reach the limit,forbidden. "
                                               "The AK is locked for %" G_GINT64_FORMAT
                                               " more seconds after %d failed signatures in a row",
                                   left, AKSK_FAILURES_MAX);
        return AKSK_LOCKED;
    }
    if ((*message = aksk_check_date(k, r, &a)) != NULL)
        return AKSK_FAILED;
    if (key->security_token != NULL) {
        const char *st = request_header(r, "X-Security-Token");
        if (st == NULL || !signature_equal(st, key->security_token)) {
            *message = g_strdup(AKSK_PREFIX "verify aksk signature fail: this AK is temporary: "
                                            "its security token must be sent in "
                                            "X-Security-Token");
            return AKSK_FAILED;
        }
    }
    g_autofree char *expected = aksk_expected(k, r, &a, key->sk);
    bool good = expected != NULL && signature_equal(expected, a.signature);
    aksk_record(k, a.access, good);
    if (!good) {
        *message = g_strdup(expected == NULL ? AKSK_PREFIX "verify aksk signature fail: a header "
                                                           "listed in SignedHeaders is missing"
                                             : AKSK_PREFIX "verify aksk signature fail");
        return AKSK_FAILED;
    }
    return AKSK_ACCEPTED;
}
