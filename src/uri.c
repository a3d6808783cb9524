/*
 * uri: percent-encoding and ordered query parameters (see uri.h). Strings are treated as
 * bytes; UTF-8 is encoded byte by byte, as the gateway and the signer expect.
 */
#include "viasfs/uri.h"

#include <stdlib.h>
#include <string.h>

static bool is_unreserved(unsigned char c)
{
    return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

void uri_append_escaped(GString *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (is_unreserved(*p)) {
            g_string_append_c(out, (char)*p);
        } else {
            g_string_append_c(out, '%');
            g_string_append_c(out, hex[*p >> 4]);
            g_string_append_c(out, hex[*p & 15]);
        }
    }
}

void uri_query_init(struct uri_query *q)
{
    q->names = g_ptr_array_new_with_free_func(g_free);
    q->values = g_ptr_array_new_with_free_func(g_free);
}

void uri_query_release(struct uri_query *q)
{
    g_clear_pointer(&q->names, g_ptr_array_unref);
    g_clear_pointer(&q->values, g_ptr_array_unref);
}

void uri_query_add(struct uri_query *q, const char *name, const char *value)
{
    if (!value)
        return;
    g_ptr_array_add(q->names, g_strdup(name));
    g_ptr_array_add(q->values, g_strdup(value));
}

void uri_query_add_int(struct uri_query *q, const char *name, long value)
{
    char buf[32];

    g_snprintf(buf, sizeof(buf), "%ld", value);
    uri_query_add(q, name, buf);
}

struct encoded_pair {
    char *name;
    char *value;
};

static int pair_cmp(const void *a, const void *b)
{
    const struct encoded_pair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

char *uri_query_to_string(const struct uri_query *q, bool sorted)
{
    guint n = q->names->len;
    g_autofree struct encoded_pair *pairs = g_new0(struct encoded_pair, n ? n : 1);
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < n; i++) {
        GString *s = g_string_new(NULL);
        uri_append_escaped(s, g_ptr_array_index(q->names, i));
        pairs[i].name = g_string_free(s, FALSE);
        s = g_string_new(NULL);
        uri_append_escaped(s, g_ptr_array_index(q->values, i));
        pairs[i].value = g_string_free(s, FALSE);
    }
    if (sorted)
        qsort(pairs, n, sizeof(*pairs), pair_cmp);
    for (guint i = 0; i < n; i++) {
        if (i)
            g_string_append_c(out, '&');
        g_string_append_printf(out, "%s=%s", pairs[i].name, pairs[i].value);
        g_free(pairs[i].name);
        g_free(pairs[i].value);
    }
    return g_string_free(out, FALSE);
}
