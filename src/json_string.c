/*
 * json_string: JSON string literals written by hand (see json_string.h). The input is walked
 * in place, valid run by valid run, the way g_utf8_make_valid() replaces invalid bytes, so
 * that no copy of a secret is left in freed memory.
 */
#include "viasfs/json_string.h"

#include <string.h>

/* The UTF-8 of U+FFFD REPLACEMENT CHARACTER. */
#define REPLACEMENT "\xef\xbf\xbd"

/* Appends the @len valid UTF-8 bytes at @p, escaped. */
static void append_escaped(GString *out, const char *p, size_t len)
{
    for (const unsigned char *c = (const unsigned char *)p; c < (const unsigned char *)p + len;
         c++) {
        switch (*c) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        default:
            if (*c < 0x20 || *c == 0x7f)
                g_string_append_printf(out, "\\u%04x", *c);
            else
                g_string_append_c(out, (char)*c);
        }
    }
}

void json_string_append(GString *out, const char *s)
{
    const char *invalid;

    if (!s) {
        g_string_append(out, "null");
        return;
    }
    g_string_append_c(out, '"');
    while (!g_utf8_validate(s, -1, &invalid)) {
        append_escaped(out, s, (size_t)(invalid - s));
        g_string_append(out, REPLACEMENT);
        s = invalid + 1;
    }
    append_escaped(out, s, strlen(s));
    g_string_append_c(out, '"');
}
