/*
 * name: the remote-string-to-file-name encoder (see name.h). Short names are injective
 * because a raw '%' never survives: every '%' in a result starts either an escape "%XX" or
 * the hash suffix "%~<16 hex>", and '~' is not a hex digit, so a hashed name never equals a
 * short one. Two long names collide only if the first 64 bits of their SHA-256 do. The hash
 * digits are lower case, as sha256sum prints them. It does not decode or look names up.
 */
#include "viasfs/name.h"

#include <string.h>
#include <glib.h>

enum {
    NAME_LIMIT = 255,                       /* NAME_MAX on every Linux file system */
    HASH_DIGITS = 16,                       /* hex digits of SHA-256 kept in the suffix */
    SUFFIX_LEN = 2 + HASH_DIGITS,           /* "%~" then the digits */
    PREFIX_LIMIT = NAME_LIMIT - SUFFIX_LEN, /* bytes of encoding kept before the suffix */
};

/* Bytes that are escaped wherever they are: '%', '/', C0 controls and DEL. */
static bool ascii_needs_escape(unsigned char c)
{
    return c == '%' || c == '/' || c < 0x20 || c == 0x7f;
}

/*
 * Length of the valid UTF-8 character starting at @p (whose first byte is >= 0x80), or 0
 * when the bytes there are not one. Never reads past the terminating NUL.
 */
static size_t utf8_char_len(const unsigned char *p)
{
    size_t len;

    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        len = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        len = 4;
    else
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    /* GLib's own rules (overlongs, surrogates, > U+10FFFF), so results pass g_utf8_validate. */
    return g_utf8_validate((const char *)p, (gssize)len, NULL) ? len : 0;
}

static void append_escape(GString *out, unsigned char c)
{
    static const char hex[] = "0123456789ABCDEF";

    g_string_append_c(out, '%');
    g_string_append_c(out, hex[c >> 4]);
    g_string_append_c(out, hex[c & 15]);
}

char *name_encode(const char *s)
{
    g_autoptr(GString) out = NULL;
    g_autoptr(GChecksum) sum = NULL;
    const unsigned char *p;
    size_t cut = 0; /* longest prefix of whole units that fits before the suffix */

    if (!s || !*s)
        return g_strdup("%00");
    if (strcmp(s, ".") == 0)
        return g_strdup("%2E");
    if (strcmp(s, "..") == 0)
        return g_strdup("%2E%2E");

    out = g_string_sized_new(strlen(s) + 8);
    for (p = (const unsigned char *)s; *p && out->len <= NAME_LIMIT;) {
        size_t n = *p < 0x80 ? 1 : utf8_char_len(p);

        if (n == 0 || (n == 1 && ascii_needs_escape(*p))) {
            append_escape(out, *p);
            p++;
        } else {
            g_string_append_len(out, (const char *)p, (gssize)n);
            p += n;
        }
        if (out->len <= PREFIX_LIMIT)
            cut = out->len;
    }
    if (out->len <= NAME_LIMIT)
        return g_string_free(g_steal_pointer(&out), FALSE);

    sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(sum, (const guchar *)s, (gssize)strlen(s));
    g_string_truncate(out, cut);
    g_string_append(out, "%~");
    g_string_append_len(out, g_checksum_get_string(sum), HASH_DIGITS);
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static bool is_upper_hex(char c)
{
    return g_ascii_isdigit(c) || (c >= 'A' && c <= 'F');
}

static bool is_lower_hex(char c)
{
    return g_ascii_isdigit(c) || (c >= 'a' && c <= 'f');
}

/* The byte an escape stands for could only have been escaped (not copied) by name_encode. */
static bool escaped_byte_ok(unsigned char c)
{
    return c >= 0x80 || ascii_needs_escape(c);
}

bool name_is_valid(const char *name)
{
    size_t len;

    if (!name)
        return false;
    len = strlen(name);
    if (len == 0 || len > NAME_LIMIT || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return false;
    if (strcmp(name, "%00") == 0 || strcmp(name, "%2E") == 0 || strcmp(name, "%2E%2E") == 0)
        return true;
    if (!g_utf8_validate(name, (gssize)len, NULL))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c != '%') {
            if (ascii_needs_escape(c))
                return false;
            continue;
        }
        if (name[i + 1] == '~') {
            /* The hash suffix ends the name; the cut left at most 3 bytes unused. */
            if (len - i != SUFFIX_LEN || i + 3 < PREFIX_LIMIT)
                return false;
            for (size_t k = i + 2; k < len; k++)
                if (!is_lower_hex(name[k]))
                    return false;
            return true;
        }
        if (!is_upper_hex(name[i + 1]) || !is_upper_hex(name[i + 2]))
            return false;
        c = (unsigned char)(g_ascii_xdigit_value(name[i + 1]) * 16 +
                            g_ascii_xdigit_value(name[i + 2]));
        if (c == 0 || !escaped_byte_ok(c))
            return false;
        i += 2;
    }
    return true;
}
