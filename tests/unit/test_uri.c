/* Unit tests: percent-encoding and query strings. */
#include "viasfs/uri.h"

static void test_escape(void)
{
    g_autoptr(GString) s = g_string_new(NULL);
    uri_append_escaped(s, "a b/c%d~e_f.g-h+i&j=k");
    g_assert_cmpstr(s->str, ==, "a%20b%2Fc%25d~e_f.g-h%2Bi%26j%3Dk");
    g_string_truncate(s, 0);
    uri_append_escaped(s, "人脸");
    g_assert_cmpstr(s->str, ==, "%E4%BA%BA%E8%84%B8");
    g_string_truncate(s, 0);
    uri_append_escaped(s, "\x01\n\x7f");
    g_assert_cmpstr(s->str, ==, "%01%0A%7F");
}

static void test_query_order(void)
{
    struct uri_query q;
    g_autofree char *plain = NULL, *sorted = NULL;

    uri_query_init(&q);
    uri_query_add(&q, "title", "b c");
    uri_query_add(&q, "skipped", NULL);
    uri_query_add_int(&q, "page", 2);
    uri_query_add(&q, "a", "z");
    uri_query_add(&q, "a", "y");
    plain = uri_query_to_string(&q, false);
    sorted = uri_query_to_string(&q, true);
    g_assert_cmpstr(plain, ==, "title=b%20c&page=2&a=z&a=y");
    g_assert_cmpstr(sorted, ==, "a=y&a=z&page=2&title=b%20c");
    uri_query_release(&q);
}

static void test_query_empty(void)
{
    struct uri_query q;
    g_autofree char *s = NULL;

    uri_query_init(&q);
    s = uri_query_to_string(&q, true);
    g_assert_cmpstr(s, ==, "");
    uri_query_release(&q);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/uri/escape", test_escape);
    g_test_add_func("/uri/query-order", test_query_order);
    g_test_add_func("/uri/query-empty", test_query_empty);
    return g_test_run();
}
