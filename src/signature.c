/*
 * signature: SDK-HMAC-SHA256 (see signature.h), as the gateway's signing guide describes it.
 * GLib's GChecksum and GHmac do the hashing.
 */
#include "viasfs/signature.h"
#include "viasfs/uri.h"

#include <string.h>

#define ALGORITHM "SDK-HMAC-SHA256"

/* Decodes %XX escapes of @s[0..len) (malformed escapes are kept as they are). */
static char *unescape(const char *s, size_t len)
{
    GString *out = g_string_sized_new(len);

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' && i + 2 < len && g_ascii_isxdigit(s[i + 1]) &&
            g_ascii_isxdigit(s[i + 2])) {
            g_string_append_c(
                out, (char)(g_ascii_xdigit_value(s[i + 1]) * 16 + g_ascii_xdigit_value(s[i + 2])));
            i += 2;
        } else
            g_string_append_c(out, s[i]);
    }
    return g_string_free(out, FALSE);
}

static void append_canonical_path(GString *out, const char *path)
{
    const char *p = path && *path ? path : "/";

    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        g_autofree char *segment = unescape(p, len);

        uri_append_escaped(out, segment);
        if (!slash)
            break;
        g_string_append_c(out, '/');
        p = slash + 1;
    }
    if (out->len == 0 || out->str[out->len - 1] != '/')
        g_string_append_c(out, '/');
}

/* Decoded, then re-encoded and sorted by uri_query: the gateway's canonical form. */
static void append_canonical_query(GString *out, const char *query)
{
    struct uri_query q;
    g_autofree char *text = NULL;
    const char *p = query;

    uri_query_init(&q);
    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);

        if (len > 0) {
            g_autofree char *name = unescape(p, eq ? (size_t)(eq - p) : len);
            g_autofree char *value =
                eq ? unescape(eq + 1, len - (size_t)(eq + 1 - p)) : g_strdup("");

            uri_query_add(&q, name, value);
        }
        p = amp ? amp + 1 : NULL;
    }
    text = uri_query_to_string(&q, true);
    g_string_append(out, text);
    uri_query_release(&q);
}

static int header_cmp(gconstpointer a, gconstpointer b)
{
    const struct signature_header *const *x = a, *const *y = b;

    return g_ascii_strcasecmp((*x)->name, (*y)->name);
}

/* @in's headers sorted by name. The array holds borrowed pointers. */
static GPtrArray *sorted_headers(const struct signature_input *in)
{
    GPtrArray *h = g_ptr_array_sized_new((guint)in->n_headers);

    for (size_t i = 0; i < in->n_headers; i++)
        g_ptr_array_add(h, (gpointer)&in->headers[i]);
    g_ptr_array_sort(h, header_cmp);
    return h;
}

char *signature_signed_headers(const struct signature_input *in)
{
    g_autoptr(GPtrArray) h = sorted_headers(in);
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < h->len; i++) {
        const struct signature_header *hd = h->pdata[i];
        g_autofree char *lower = g_ascii_strdown(hd->name, -1);

        if (i)
            g_string_append_c(out, ';');
        g_string_append(out, lower);
    }
    return g_string_free(out, FALSE);
}

char *signature_canonical_request(const struct signature_input *in)
{
    g_autoptr(GPtrArray) h = sorted_headers(in);
    g_autofree char *names = signature_signed_headers(in);
    g_autofree char *body_hash = g_compute_checksum_for_data(
        G_CHECKSUM_SHA256, in->body ? in->body : (const void *)"", in->body ? in->body_len : 0);
    GString *out = g_string_new(in->method);

    g_string_append_c(out, '\n');
    append_canonical_path(out, in->path);
    g_string_append_c(out, '\n');
    append_canonical_query(out, in->query);
    g_string_append_c(out, '\n');
    for (guint i = 0; i < h->len; i++) {
        const struct signature_header *hd = h->pdata[i];
        g_autofree char *lower = g_ascii_strdown(hd->name, -1);
        g_autofree char *value = g_strstrip(g_strdup(hd->value ? hd->value : ""));

        g_string_append_printf(out, "%s:%s\n", lower, value);
    }
    g_string_append_printf(out, "\n%s\n%s", names, body_hash);
    return g_string_free(out, FALSE);
}

char *signature_sign(const char *canonical, const char *sdk_date, const char *secret_key)
{
    g_autofree char *hashed = g_compute_checksum_for_string(G_CHECKSUM_SHA256, canonical, -1);
    g_autofree char *to_sign = g_strconcat(ALGORITHM "\n", sdk_date, "\n", hashed, NULL);

    return g_compute_hmac_for_string(G_CHECKSUM_SHA256, (const guchar *)secret_key,
                                     strlen(secret_key), to_sign, -1);
}

char *signature_authorization(const struct signature_input *in, const char *sdk_date,
                              const char *access_key, const char *secret_key)
{
    g_autofree char *canonical = signature_canonical_request(in);
    g_autofree char *names = signature_signed_headers(in);
    g_autofree char *sig = signature_sign(canonical, sdk_date, secret_key);

    return g_strdup_printf(ALGORITHM " Access=%s, SignedHeaders=%s, Signature=%s", access_key,
                           names, sig);
}

void signature_format_date(gint64 unix_s, char out[17])
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(unix_s);
    g_autofree char *s = g_date_time_format(t, "%Y%m%dT%H%M%SZ");

    g_strlcpy(out, s, 17);
}
