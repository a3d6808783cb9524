/* Unit tests: the budget of background requests (budget.h): a burst goes at once, then draws
 * wait for the rate; a draw that cannot start by its deadline takes nothing; rate 0 and a
 * NULL budget never limit. No timing asserts beyond "later than" and "not yet". */
#include "viasfs/budget.h"

#include <errno.h>

static void test_burst_then_refused(void)
{
    struct budget *b = budget_new(10); /* 10 a second: a burst of 20 */
    struct budget_stats st;
    guint drawn = 0;

    while (drawn < 100 && budget_try(b, 1))
        drawn++;
    /* The pair: what a full bucket gives at once, then nothing until it refills. */
    g_assert_cmpuint(drawn, >=, 20);
    g_assert_cmpuint(drawn, <=, 21);
    g_assert_false(budget_try(b, 1));
    g_assert_cmpint(budget_ready_at(b, 1), >, g_get_monotonic_time());
    budget_get_stats(b, &st);
    g_assert_cmpuint(st.drawn, ==, drawn);
    g_assert_cmpuint(st.refused, ==, 2); /* the loop's last try and the one after */
    budget_free(b);
}

static void test_take_deadline(void)
{
    struct budget *b = budget_new(1); /* a burst of 2 */
    gint64 now = g_get_monotonic_time();

    g_assert_cmpint(budget_take(b, 2, now), ==, 0);
    /* Empty: one more needs a second; a deadline before that fails and draws nothing. */
    g_assert_cmpint(budget_take(b, 1, g_get_monotonic_time() + 100000), ==, -ETIMEDOUT);
    g_assert_cmpint(budget_ready_at(b, 1), >, g_get_monotonic_time() + 500000);
    /* Waiting is allowed: it succeeds, later. */
    g_assert_cmpint(budget_take(b, 1, g_get_monotonic_time() + 3 * G_USEC_PER_SEC), ==, 0);
    g_assert_cmpint(g_get_monotonic_time() - now, >=, 900000);
    budget_free(b);
}

static void test_big_draw_goes_into_debt(void)
{
    struct budget *b = budget_new(100); /* a burst of 200 */

    /* A round larger than the burst starts once the bucket is full (now), then the next
     * draws wait for its cost. */
    g_assert_true(budget_try(b, 1000));
    g_assert_false(budget_try(b, 1));
    g_assert_cmpint(budget_ready_at(b, 1), >, g_get_monotonic_time() + 7 * G_USEC_PER_SEC);
    budget_free(b);
}

/* Read-ahead's charge: drawn at once however empty the bucket, holding the others back, but
 * by at most one burst however much is charged. */
static void test_charge(void)
{
    struct budget *b = budget_new(10); /* a burst of 20: 2 s */
    struct budget_stats st;
    gint64 now = g_get_monotonic_time();

    for (int i = 0; i < 1000; i++)
        budget_charge(b, 1);
    budget_get_stats(b, &st);
    g_assert_cmpuint(st.drawn, ==, 1000); /* none refused, none waited */
    g_assert_cmpuint(st.waited_us, ==, 0);
    /* The pair: a draw now is refused (the bucket is in debt)... */
    g_assert_false(budget_try(b, 1));
    /* ...but 1000 charges (100 s at the rate) hold it back by no more than the burst. */
    gint64 ready = budget_ready_at(b, 1);
    g_assert_cmpint(ready, >, now + G_USEC_PER_SEC);
    g_assert_cmpint(ready, <=, g_get_monotonic_time() + 2 * G_USEC_PER_SEC + G_USEC_PER_SEC / 10);
    budget_free(b);
}

static void test_unlimited(void)
{
    struct budget *b = budget_new(0);

    for (int i = 0; i < 10000; i++)
        g_assert_true(budget_try(b, 1000));
    g_assert_cmpint(budget_take(b, 1000000, 0), ==, 0);
    budget_free(b);
    g_assert_true(budget_try(NULL, 5));
    g_assert_cmpint(budget_take(NULL, 5, 0), ==, 0);
    g_assert_cmpfloat(budget_rate(NULL), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/budget/burst-then-refused", test_burst_then_refused);
    g_test_add_func("/budget/take-deadline", test_take_deadline);
    g_test_add_func("/budget/big-draw-goes-into-debt", test_big_draw_goes_into_debt);
    g_test_add_func("/budget/charge", test_charge);
    g_test_add_func("/budget/unlimited", test_unlimited);
    return g_test_run();
}
