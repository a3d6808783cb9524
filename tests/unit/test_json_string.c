/* Unit tests: JSON string literals written by hand (events, the IAM request). */
#include "viasfs/json_string.h"

/* @s as json_string_append writes it. Caller frees. */
static char *quoted(const char *s)
{
    GString *out = g_string_new(NULL);

    json_string_append(out, s);
    return g_string_free(out, FALSE);
}

/* One input and the exact literal expected. */
static void check(const char *in, const char *expected)
{
    g_autofree char *got = quoted(in);

    g_assert_cmpstr(got, ==, expected);
}

static void test_plain(void)
{
    check("", "\"\"");
    check("RUNNING", "\"RUNNING\"");
    check(NULL, "null");
}

static void test_quotes_and_backslashes(void)
{
    check("a\"b", "\"a\\\"b\"");
    check("C:\\dir\\", "\"C:\\\\dir\\\\\"");
    check("\\\"", "\"\\\\\\\"\"");
    check("\\u0041", "\"\\\\u0041\"");
    check("</script>", "\"</script>\"");
}

static void test_control_bytes(void)
{
    check("a\nb\rc\td", "\"a\\nb\\rc\\td\"");
    check("\x01\x08\x0b\x0c\x1b\x1f", "\"\\u0001\\u0008\\u000b\\u000c\\u001b\\u001f\"");
    check("x\x7fy", "\"x\\u007fy\"");
    check(" ~", "\" ~\"");
}

static void test_non_ascii_kept(void)
{
    check("人脸识别", "\"人脸识别\"");
    check("gate 1/å", "\"gate 1/å\"");
    check("\xf0\x9f\x93\xb9", "\"\xf0\x9f\x93\xb9\""); /* U+1F4F9, four bytes */
    check("\xc2\x80\xc2\x9f", "\"\xc2\x80\xc2\x9f\""); /* C1 controls are valid UTF-8 */
}

static void test_invalid_utf8_replaced(void)
{
    /* Each invalid byte becomes one U+FFFD, as g_utf8_make_valid does. */
    check("\xff", "\"\xef\xbf\xbd\"");
    check("a\xfe\xffz", "\"a\xef\xbf\xbd\xef\xbf\xbdz\"");
    check("\xe4\xba", "\"\xef\xbf\xbd\xef\xbf\xbd\"");                 /* cut short */
    check("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");                 /* overlong '/' */
    check("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* a surrogate */
    check("\xff\n\"", "\"\xef\xbf\xbd\\n\\\"\"");
    check("人\x80脸", "\"人\xef\xbf\xbd脸\"");
}

/* The same as g_utf8_make_valid() then escaping: what events.c wrote before. */
static void test_same_as_make_valid(void)
{
    static const char *const inputs[] = {"\xe4\xba\xba\xba", "\xf4\x90\x80\x80", "a\xc3", "\xc3("};

    for (size_t i = 0; i < G_N_ELEMENTS(inputs); i++) {
        g_autofree char *valid = g_utf8_make_valid(inputs[i], -1);
        g_autofree char *from_valid = quoted(valid);
        g_autofree char *got = quoted(inputs[i]);

        g_assert_cmpstr(got, ==, from_valid);
    }
}

static void test_appends(void)
{
    g_autoptr(GString) out = g_string_new("{\"k\":");

    json_string_append(out, "v");
    g_string_append_c(out, '}');
    g_assert_cmpstr(out->str, ==, "{\"k\":\"v\"}");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json-string/plain", test_plain);
    g_test_add_func("/json-string/quotes-and-backslashes", test_quotes_and_backslashes);
    g_test_add_func("/json-string/control-bytes", test_control_bytes);
    g_test_add_func("/json-string/non-ascii-kept", test_non_ascii_kept);
    g_test_add_func("/json-string/invalid-utf8-replaced", test_invalid_utf8_replaced);
    g_test_add_func("/json-string/same-as-make-valid", test_same_as_make_valid);
    g_test_add_func("/json-string/appends", test_appends);
    return g_test_run();
}
