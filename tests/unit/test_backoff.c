/* Unit tests: backoff delays grow, stay within [d/2, d] and respect the cap. */
#include "viasfs/backoff.h"

static void test_bounds(void)
{
    for (int round = 0; round < 200; round++) {
        struct backoff b;
        gint64 d = 100000;
        backoff_init(&b, 100000, 1000000);
        for (int i = 0; i < 8; i++) {
            gint64 v = backoff_next_us(&b);
            g_assert_cmpint(v, >=, d / 2);
            g_assert_cmpint(v, <=, d);
            d = MIN(d * 2, 1000000);
        }
    }
}

static void test_jitter_spreads(void)
{
    gint64 first = -1;
    gboolean differ = FALSE;

    for (int i = 0; i < 50 && !differ; i++) {
        struct backoff b;
        backoff_init(&b, 1000000, 1000000);
        gint64 v = backoff_next_us(&b);
        if (first < 0)
            first = v;
        else if (v != first)
            differ = TRUE;
    }
    g_assert_true(differ);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/backoff/bounds", test_bounds);
    g_test_add_func("/backoff/jitter-spreads", test_jitter_spreads);
    return g_test_run();
}
