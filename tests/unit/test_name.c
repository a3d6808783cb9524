/*
 * Unit tests: the file name encoder. Exact outputs for every escape rule, the special names
 * and the hashed long form (digests computed independently with sha256sum), then properties
 * over a few thousand hostile strings: valid, deterministic, distinct, and decodable back to
 * the original (short names) or to a prefix of it (hashed names). Not tested here: how the
 * tree uses names.
 */
#include "viasfs/name.h"

#include <string.h>
#include <glib.h>

/* Asserts name_encode(@in) is exactly @want. */
static void check_encode(const char *in, const char *want)
{
    g_autofree char *got = name_encode(in);

    g_assert_cmpstr(got, ==, want);
    g_assert_true(name_is_valid(got));
}

static char *repeat(const char *unit, int n)
{
    GString *s = g_string_new(NULL);

    for (int i = 0; i < n; i++)
        g_string_append(s, unit);
    return g_string_free(s, FALSE);
}

static void test_plain(void)
{
    check_encode("hello", "hello");
    check_encode("a b", "a b");
    check_encode("Task-1_(copy).json", "Task-1_(copy).json");
    check_encode("人脸识别", "人脸识别");
    check_encode("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* U+1F600, 4 bytes */
    check_encode("~", "~");
    check_encode("...", "...");
    check_encode(".a", ".a");
    check_encode("a.", "a.");
    check_encode(". ", ". ");
    check_encode("\\:*?\"<>|", "\\:*?\"<>|");
}

static void test_escape_ascii(void)
{
    check_encode("%", "%25");
    check_encode("/", "%2F");
    check_encode("a/b%c", "a%2Fb%25c");
    check_encode("/etc/passwd", "%2Fetc%2Fpasswd");
    check_encode("\x01", "%01");
    check_encode("\t\n\r", "%09%0A%0D");
    check_encode("\x1f", "%1F");
    check_encode("\x7f", "%7F");
    check_encode("a\x1b[31mred", "a%1B[31mred");
    check_encode(" ", " ");
}

static void test_escape_invalid_utf8(void)
{
    check_encode("\xff", "%FF");
    check_encode("\xfe\xff", "%FE%FF");
    check_encode("\x80", "%80");   /* lone continuation byte */
    check_encode("\xc3", "%C3");   /* cut at the end */
    check_encode("\xc3(", "%C3("); /* bad continuation */
    check_encode("\xc3\xa9\xc3", "\xc3\xa9%C3");
    check_encode("\xe4\xba", "%E4%BA"); /* 3-byte char cut short */
    check_encode("\xe4\xbaX", "%E4%BAX");
    check_encode("\xc0\xaf", "%C0%AF");               /* overlong '/' */
    check_encode("\xe0\x80\xaf", "%E0%80%AF");        /* overlong '/' */
    check_encode("\xed\xa0\x80", "%ED%A0%80");        /* surrogate U+D800 */
    check_encode("\xf4\x90\x80\x80", "%F4%90%80%80"); /* above U+10FFFF */
    check_encode("\xf5\x80\x80\x80", "%F5%80%80%80");
    check_encode("a\xc3\xa9\xffz", "a\xc3\xa9%FFz");
}

static void test_special(void)
{
    check_encode(NULL, "%00");
    check_encode("", "%00");
    check_encode(".", "%2E");
    check_encode("..", "%2E%2E");
    /* Strings that look like the special results are escaped, so they stay distinct. */
    check_encode("%00", "%2500");
    check_encode("%2E", "%252E");
    check_encode("%2E%2E", "%252E%252E");
}

static void test_not_idempotent(void)
{
    g_autofree char *once = name_encode("a/b");
    g_autofree char *twice = name_encode(once);

    g_assert_cmpstr(once, ==, "a%2Fb");
    g_assert_cmpstr(twice, ==, "a%252Fb");
    check_encode("%41", "%2541");
    check_encode("%~0123456789abcdef", "%25~0123456789abcdef");
}

static void test_long_exact(void)
{
    g_autofree char *a255 = repeat("a", 255);
    g_autofree char *a256 = repeat("a", 256);
    g_autofree char *a237 = repeat("a", 237);
    g_autofree char *a252 = repeat("a", 252);
    g_autofree char *a253 = repeat("a", 253);
    g_autofree char *in = NULL, *want = NULL;

    check_encode(a255, a255); /* exactly the limit: kept whole */
    want = g_strconcat(a237, "%~02d7160d77e18c64", NULL);
    check_encode(a256, want);
    g_clear_pointer(&want, g_free);

    /* Escapes count three bytes: 252 + 3 = 255 fits, 253 + 3 does not. */
    in = g_strconcat(a252, "/", NULL);
    want = g_strconcat(a252, "%2F", NULL);
    check_encode(in, want);
    g_clear_pointer(&in, g_free);
    g_clear_pointer(&want, g_free);
    in = g_strconcat(a253, "/", NULL);
    want = g_strconcat(a237, "%~80e440b9250a07f6", NULL);
    check_encode(in, want);
    g_clear_pointer(&in, g_free);
    g_clear_pointer(&want, g_free);
}

static void test_long_boundaries(void)
{
    g_autofree char *slash85 = repeat("/", 85), *esc85 = repeat("%2F", 85);
    g_autofree char *slash100 = repeat("/", 100), *esc79 = repeat("%2F", 79);
    g_autofree char *e128 = repeat("é", 128), *e118 = repeat("é", 118);
    g_autofree char *ren85 = repeat("人", 85), *ren78 = repeat("人", 78);
    g_autofree char *want = NULL, *in = NULL;

    check_encode(slash85, esc85);                          /* 255 bytes after escaping */
    want = g_strconcat(esc79, "%~4aaecdd8a94cb7ab", NULL); /* never cut inside "%2F" */
    check_encode(slash100, want);
    g_clear_pointer(&want, g_free);

    /* Never cut inside a UTF-8 character: 118 x 2 bytes = 236, the 119th would be 238. */
    want = g_strconcat(e118, "%~e42dd264fd5cf1bc", NULL);
    check_encode(e128, want);
    g_assert_cmpuint(strlen(want), ==, 254);
    g_clear_pointer(&want, g_free);

    in = g_strconcat("aa", ren85, NULL); /* 257 bytes; "aa" + 78 x 3 = 236 */
    want = g_strconcat("aa", ren78, "%~18a787cacef273c5", NULL);
    check_encode(in, want);
    g_assert_cmpuint(strlen(want), ==, 254);
}

static void test_long_differ_at_end(void)
{
    g_autofree char *x300 = repeat("x", 300), *x237 = repeat("x", 237);
    g_autofree char *in1 = g_strconcat(x300, "1", NULL), *in2 = g_strconcat(x300, "2", NULL);
    g_autofree char *want1 = g_strconcat(x237, "%~8ab7b905bc5402e5", NULL);
    g_autofree char *want2 = g_strconcat(x237, "%~4f0977a7678df649", NULL);

    check_encode(in1, want1);
    check_encode(in2, want2);
}

static void test_is_valid(void)
{
    g_autofree char *a255 = repeat("a", 255), *a256 = repeat("a", 256);
    g_autofree char *a237 = repeat("a", 237), *a236 = repeat("a", 236);
    g_autofree char *a200 = repeat("a", 200);
    g_autofree char *hashed = g_strconcat(a237, "%~0123456789abcdef", NULL);
    g_autofree char *upper = g_strconcat(a237, "%~0123456789ABCDEF", NULL);
    g_autofree char *long17 = g_strconcat(a236, "%~0123456789abcdef0", NULL);
    g_autofree char *short15 = g_strconcat(a237, "%~0123456789abcde", NULL);
    g_autofree char *mid = g_strconcat(a200, "%~0123456789abcdefzz", NULL);
    g_autofree char *early = g_strconcat(a200, "%~0123456789abcdef", NULL);
    const char *good[] = {"a",   "%00", "%2E", "%2E%2E", "a%25b", "%2F", "%C3(", "%FF",
                          "%7F", "%01", "人",  "...",    "a b",   a255,  hashed};
    const char *bad[] = {"",
                         ".",
                         "..",
                         "a/b",
                         "a\x01",
                         "a\x7f",
                         "\xff",
                         "%",
                         "%4",
                         "%zz",
                         "%2f",
                         "%41",
                         "%2E.",
                         "x%2E",
                         "%00x",
                         "%2E%2E%2E",
                         "%~0123456789abcdef",
                         upper,
                         long17,
                         short15,
                         mid,
                         early,
                         a256,
                         "a%"};

    g_assert_false(name_is_valid(NULL));
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        if (!name_is_valid(good[i]))
            g_error("name_is_valid rejects \"%s\"", good[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        if (name_is_valid(bad[i]))
            g_error("name_is_valid accepts bad name #%zu \"%s\"", i, bad[i]);
    }
}

/* The reference decoder for short names: "%00" is "", every %XX is the byte XX. */
static char *decode(const char *enc)
{
    GString *out = g_string_new(NULL);

    if (strcmp(enc, "%00") == 0)
        return g_string_free(out, FALSE);
    for (const char *c = enc; *c; c++) {
        if (*c == '%') {
            g_assert_true(g_ascii_isxdigit(c[1]) && g_ascii_isxdigit(c[2]));
            g_string_append_c(out,
                              (char)(g_ascii_xdigit_value(c[1]) * 16 + g_ascii_xdigit_value(c[2])));
            c += 2;
        } else {
            g_string_append_c(out, *c);
        }
    }
    return g_string_free(out, FALSE);
}

/* Every property the header promises, for one input. */
static void check_properties(const char *s, const char *enc)
{
    size_t len = strlen(enc);
    g_autofree char *again = name_encode(s);
    const char *suffix = strstr(enc, "%~");

    g_assert_cmpstr(again, ==, enc);
    g_assert_true(g_utf8_validate(enc, -1, NULL));
    g_assert_cmpuint(len, >, 0);
    g_assert_cmpuint(len, <=, 255);
    g_assert_null(strchr(enc, '/'));
    for (size_t i = 0; i < len; i++)
        g_assert_true((unsigned char)enc[i] >= 0x20 && enc[i] != 0x7f);
    g_assert_cmpstr(enc, !=, ".");
    g_assert_cmpstr(enc, !=, "..");
    g_assert_true(name_is_valid(enc));
    if (!suffix) {
        g_autofree char *back = decode(enc);
        g_assert_cmpstr(back, ==, s);
    } else {
        g_autofree char *prefix = g_strndup(enc, (gsize)(suffix - enc));
        g_autofree char *back = decode(prefix);
        g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);

        g_assert_cmpuint(len, >=, 252);
        g_assert_true(g_str_has_prefix(s, back));
        g_checksum_update(sum, (const guchar *)s, -1);
        g_assert_true(strncmp(suffix + 2, g_checksum_get_string(sum), 16) == 0);
        g_assert_cmpuint(strlen(suffix), ==, 18);
    }
}

/* A few thousand hostile strings, deterministic. Returns a set of owned strings. */
static GHashTable *hostile_set(void)
{
    GHashTable *set = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GRand) rnd = g_rand_new_with_seed(20240611);
    static const char *const alphabet[] = {
        "%",    "/",    ".",    "2",    "E",    "5",    "~",    "a",  "0", "F", "\x01",
        "\x7f", "\xc3", "\xa9", "\xff", "\xe4", "\xba", "\xba", "人", "é", " ", "\n"};
    static const char *const fixed[] = {
        "",     ".",   "..",  "...",    ". ",   " .",   "%",   "%%",  "%0", "%00",
        "%000", "%2E", "%2e", "%2E%2E", "%2E.", ".%2E", "%25", "%2F", "%~", "%~0123456789abcdef",
        "~",    "a",   "A"};
    static const char *const units[] = {"a", "/", "é", "人", "\xff", "%", "\xf0\x9f\x98\x80"};
    const char *mix = "a%2E/..\x01é人\xff%25%~0123456789abcdef\xe4\xba.z";
    GPtrArray *seeds = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;

    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
        g_hash_table_add(set, g_strdup(fixed[i]));
    for (size_t n = 1; n <= strlen(mix); n++) /* every prefix, cutting characters too */
        g_hash_table_add(set, g_strndup(mix, n));
    for (int i = 0; i < 1500; i++) { /* random bytes 0x01-0xff */
        int n = g_rand_int_range(rnd, 1, 41);
        char *s = g_malloc(n + 1);

        for (int k = 0; k < n; k++)
            s[k] = (char)g_rand_int_range(rnd, 1, 256);
        s[n] = '\0';
        g_hash_table_add(set, s);
    }
    for (int i = 0; i < 1500; i++) { /* short strings from a hostile alphabet */
        int n = g_rand_int_range(rnd, 1, 9);
        GString *s = g_string_new(NULL);

        for (int k = 0; k < n; k++)
            g_string_append(s, alphabet[g_rand_int_range(rnd, 0, G_N_ELEMENTS(alphabet))]);
        g_hash_table_add(set, g_string_free(s, FALSE));
    }
    for (size_t u = 0; u < G_N_ELEMENTS(units); u++) { /* around the 255-byte limit */
        for (int n = 1; n <= 300; n++) {
            g_autofree char *r = repeat(units[u], n);

            g_hash_table_add(set, g_strdup(r));
            g_hash_table_add(set, g_strconcat("a", r, NULL)); /* shifted against the cut */
            g_hash_table_add(set, g_strconcat(r, ".", NULL));
        }
    }
    for (int i = 0; i < 200; i++) { /* long, differing only at the end */
        g_autofree char *x = repeat("x", 300), *e = repeat("é", 200), *s = repeat("/", 120);

        g_hash_table_add(set, g_strdup_printf("%s%d", x, i));
        g_hash_table_add(set, g_strdup_printf("%s%d", e, i));
        g_hash_table_add(set, g_strdup_printf("%s%d", s, i));
    }
    /* Encodings as inputs: escapes of escapes and hashed names taken literally. */
    g_hash_table_iter_init(&it, set);
    while (g_hash_table_iter_next(&it, &key, NULL))
        if (g_rand_int_range(rnd, 0, 4) == 0 || strlen(key) > 250)
            g_ptr_array_add(seeds, name_encode(key));
    for (guint i = 0; i < seeds->len; i++)
        g_hash_table_add(set, g_ptr_array_index(seeds, i));
    g_ptr_array_unref(seeds);
    return set;
}

static void test_distinct(void)
{
    g_autoptr(GHashTable) set = hostile_set();
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint hashed = 0;
    GHashTableIter it;
    gpointer key;

    g_assert_cmpuint(g_hash_table_size(set), >=, 3000);
    g_hash_table_iter_init(&it, set);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        char *enc = name_encode(key);
        const char *other = g_hash_table_lookup(seen, enc);

        if (other) {
            g_autofree char *a = g_strescape(key, NULL), *b = g_strescape(other, NULL);
            g_error("\"%s\" and \"%s\" both encode to \"%s\"", a, b, enc);
        }
        check_properties(key, enc);
        hashed += strstr(enc, "%~") != NULL;
        g_hash_table_insert(seen, enc, key);
    }
    g_assert_cmpuint(hashed, >=, 1000); /* the long forms were exercised too */
    g_test_message("%u strings, %u hashed", g_hash_table_size(set), hashed);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/name/plain", test_plain);
    g_test_add_func("/name/escape-ascii", test_escape_ascii);
    g_test_add_func("/name/escape-invalid-utf8", test_escape_invalid_utf8);
    g_test_add_func("/name/special", test_special);
    g_test_add_func("/name/not-idempotent", test_not_idempotent);
    g_test_add_func("/name/long-exact", test_long_exact);
    g_test_add_func("/name/long-boundaries", test_long_boundaries);
    g_test_add_func("/name/long-differ-at-end", test_long_differ_at_end);
    g_test_add_func("/name/is-valid", test_is_valid);
    g_test_add_func("/name/distinct", test_distinct);
    return g_test_run();
}
