/* signature: the SDK-HMAC-SHA256 request signature (see signature.h). */
#include "signature.h"

#include <errno.h>
#include <string.h>

/* Header values this long are refused outright: no gateway takes them. */
#define SIGNATURE_HEADER_MAX 8192

bool signature_is_sdk_hmac(const char *header)
{
    size_t n = strlen(SIGNATURE_ALGORITHM);
    return header != NULL && strncmp(header, SIGNATURE_ALGORITHM, n) == 0 &&
           (header[n] == ' ' || header[n] == '\t');
}

void signature_authorization_release(struct signature_authorization *a)
{
    g_clear_pointer(&a->access, g_free);
    g_clear_pointer(&a->signed_headers, g_strfreev);
    g_clear_pointer(&a->signature, g_free);
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "a;B;c" -> {"a","b","c"} sorted and unique; NULL if a name is empty or has a space. */
static char **signature_header_list(const char *list)
{
    g_auto(GStrv) names = g_strsplit(list, ";", -1);
    g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
    for (char **n = names; *n != NULL; n++) {
        if (**n == '\0' || strpbrk(*n, " \t:") != NULL)
            return NULL;
        g_ptr_array_add(out, g_ascii_strdown(*n, -1));
    }
    if (out->len == 0)
        return NULL;
    g_ptr_array_sort(out, compare_strings);
    for (guint i = 1; i < out->len; i++)
        if (strcmp(out->pdata[i - 1], out->pdata[i]) == 0)
            g_ptr_array_remove_index(out, i--);
    g_ptr_array_add(out, NULL);
    g_ptr_array_set_free_func(out, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
}

int signature_authorization_parse(const char *header, struct signature_authorization *out)
{
    memset(out, 0, sizeof(*out));
    if (!signature_is_sdk_hmac(header) || strlen(header) > SIGNATURE_HEADER_MAX)
        return -EINVAL;
    g_auto(GStrv) parts = g_strsplit(header + strlen(SIGNATURE_ALGORITHM), ",", -1);
    struct signature_authorization a = {0};
    int rc = 0;
    for (char **p = parts; *p != NULL && rc == 0; p++) {
        char *item = g_strstrip(*p);
        char *eq = strchr(item, '=');
        if (eq == NULL) {
            rc = -EINVAL;
            break;
        }
        *eq = '\0';
        const char *value = eq + 1;
        if (*value == '\0')
            rc = -EINVAL;
        else if (strcmp(item, "Access") == 0 && a.access == NULL)
            a.access = g_strdup(value);
        else if (strcmp(item, "SignedHeaders") == 0 && a.signed_headers == NULL)
            rc = (a.signed_headers = signature_header_list(value)) != NULL ? 0 : -EINVAL;
        else if (strcmp(item, "Signature") == 0 && a.signature == NULL)
            a.signature = g_strdup(value);
        else
            rc = -EINVAL;
    }
    if (rc == 0 && (a.access == NULL || a.signed_headers == NULL || a.signature == NULL))
        rc = -EINVAL;
    if (rc < 0) {
        signature_authorization_release(&a);
        return rc;
    }
    *out = a;
    return 0;
}

static bool unreserved(unsigned char c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void encode_into(GString *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (unreserved(c)) {
            g_string_append_c(out, (char)c);
        } else {
            g_string_append_c(out, '%');
            g_string_append_c(out, hex[c >> 4]);
            g_string_append_c(out, hex[c & 15]);
        }
    }
}

char *signature_encode(const char *s, size_t len)
{
    GString *out = g_string_sized_new(len + 8);
    encode_into(out, s, len);
    return g_string_free(out, FALSE);
}

char *signature_sha256_hex(const void *data, size_t len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

/* One query argument, encoded, for sorting. */
struct encoded_arg {
    char *name;  /* owned */
    char *value; /* owned */
};

static int compare_args(gconstpointer a, gconstpointer b)
{
    const struct encoded_arg *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : strcmp(x->value, y->value);
}

static void encoded_arg_clear(gpointer p)
{
    struct encoded_arg *e = p;
    g_free(e->name);
    g_free(e->value);
}

static void canonical_query(GString *out, const struct signature_arg *args, size_t nargs)
{
    g_autoptr(GArray) enc = g_array_sized_new(FALSE, FALSE, sizeof(struct encoded_arg), nargs);
    g_array_set_clear_func(enc, encoded_arg_clear);
    for (size_t i = 0; i < nargs; i++) {
        struct encoded_arg e = {signature_encode(args[i].name, args[i].name_len),
                                signature_encode(args[i].value, args[i].value_len)};
        g_array_append_val(enc, e);
    }
    g_array_sort(enc, compare_args);
    for (guint i = 0; i < enc->len; i++) {
        const struct encoded_arg *e = &g_array_index(enc, struct encoded_arg, i);
        if (i > 0)
            g_string_append_c(out, '&');
        g_string_append_printf(out, "%s=%s", e->name, e->value);
    }
}

static void canonical_path(GString *out, const char *path)
{
    g_auto(GStrv) seg = g_strsplit(path, "/", -1);
    for (char **s = seg; *s != NULL; s++) {
        if (s != seg)
            g_string_append_c(out, '/');
        encode_into(out, *s, strlen(*s));
    }
    if (out->len == 0 || out->str[out->len - 1] != '/')
        g_string_append_c(out, '/');
}

char *signature_canonical_request(const char *method, const char *path,
                                  const struct signature_arg *args, size_t nargs,
                                  char *const *signed_headers, signature_header_fn header,
                                  void *data, const char *body_hash)
{
    g_autoptr(GString) out = g_string_sized_new(512);
    g_string_append_printf(out, "%s\n", method);
    canonical_path(out, path);
    g_string_append_c(out, '\n');
    canonical_query(out, args, nargs);
    g_string_append_c(out, '\n');
    for (char *const *h = signed_headers; *h != NULL; h++) {
        const char *v = header(data, *h);
        if (v == NULL)
            return NULL;
        g_autofree char *trimmed = g_strstrip(g_strdup(v));
        g_string_append_printf(out, "%s:%s\n", *h, trimmed);
    }
    g_string_append_c(out, '\n');
    for (char *const *h = signed_headers; *h != NULL; h++)
        g_string_append_printf(out, "%s%s", h == signed_headers ? "" : ";", *h);
    g_string_append_printf(out, "\n%s", body_hash);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

char *signature_string_to_sign(const char *date, const char *canonical_request)
{
    g_autofree char *hash = signature_sha256_hex(canonical_request, strlen(canonical_request));
    return g_strdup_printf("%s\n%s\n%s", SIGNATURE_ALGORITHM, date, hash);
}

char *signature_hmac_hex(const char *key, const char *text)
{
    return g_compute_hmac_for_data(G_CHECKSUM_SHA256, (const guchar *)key, strlen(key),
                                   (const guchar *)text, strlen(text));
}

bool signature_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    if (n != strlen(b))
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* The number in s[0..n), which must be all digits. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!g_ascii_isdigit(s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int signature_date_parse(const char *s, gint64 *unix_seconds)
{
    if (s == NULL || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z')
        return -EINVAL;
    int y = digits(s, 4), mo = digits(s + 4, 2), d = digits(s + 6, 2);
    int h = digits(s + 9, 2), mi = digits(s + 11, 2), se = digits(s + 13, 2);
    if (y < 1 || mo < 1 || d < 1 || h < 0 || mi < 0 || se < 0 || h > 23 || mi > 59 || se > 59)
        return -EINVAL;
    g_autoptr(GDateTime) dt = g_date_time_new_utc(y, mo, d, h, mi, se);
    if (dt == NULL)
        return -EINVAL;
    *unix_seconds = g_date_time_to_unix(dt);
    return 0;
}
