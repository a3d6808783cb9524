/* Unit tests: listing, the growing then frozen list of slots a walk streams into. The end of
 * a listing and a failed walk are told apart, whatever the walk's errno. */
#include "viasfs/listing.h"

#include <errno.h>

static gint64 soon(void)
{
    return g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
}

static void test_grow_then_end(void)
{
    struct listing *l = listing_new(&view_table[VIEW_STATE], "RUNNING");
    const guint32 a[] = {7, 3}, b[] = {9};
    gint64 done_us;
    int error = -1;

    g_assert_true(listing_view(l) == &view_table[VIEW_STATE]);
    g_assert_cmpstr(listing_value(l), ==, "RUNNING");
    listing_append(l, a, 2);
    g_assert_cmpint(listing_wait(l, 1, soon()), ==, 0);
    g_assert_cmpuint(listing_slot(l, 1), ==, 3);
    /* Entry 2 is not there yet and the walk runs: a wait that may not wait times out. */
    g_assert_cmpint(listing_wait(l, 2, 0), ==, -ETIMEDOUT);
    g_assert_false(listing_done(l, NULL, NULL));
    listing_append(l, b, 1);
    listing_finish_at(l, 0, 1234);
    g_assert_cmpint(listing_wait(l, 2, soon()), ==, 0);
    g_assert_cmpint(listing_wait(l, 3, soon()), ==, LISTING_END);
    g_assert_true(listing_done(l, &error, &done_us));
    g_assert_cmpint(error, ==, 0);
    g_assert_cmpint(done_us, ==, 1234);
    g_assert_cmpuint(listing_length(l), ==, 3);
    g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
    listing_unref(l);
}

/* A walk that failed, with any errno (ENOENT and EAGAIN included, which once read as "the
 * end" and "nothing yet"), fails a reader past its last entry; entries before still read. */
static void test_failure_is_not_the_end(void)
{
    const int errnos[] = {-ENOENT, -EAGAIN, -ETIMEDOUT, -EIO, -EFBIG};
    const guint32 a[] = {1, 2};

    for (size_t i = 0; i < G_N_ELEMENTS(errnos); i++) {
        struct listing *l = listing_new(NULL, NULL);
        listing_append(l, a, 2);
        listing_finish(l, errnos[i]);
        g_assert_cmpint(listing_wait(l, 1, soon()), ==, 0);
        g_assert_cmpint(listing_wait(l, 2, soon()), ==, errnos[i]);
        g_assert_cmpint(listing_wait(l, 2, soon()), !=, LISTING_END);
        g_assert_cmpint(listing_wait_done(l, soon()), ==, errnos[i]);
        listing_unref(l);
    }
}

static gpointer finish_later(gpointer data)
{
    const guint32 s = 5;

    g_usleep(100 * 1000);
    listing_append(data, &s, 1);
    listing_finish(data, 0);
    return NULL;
}

/* A reader waiting for an entry wakes when the walker appends it. */
static void test_wait_wakes(void)
{
    struct listing *l = listing_new(NULL, NULL);
    GThread *th = g_thread_new("walker", finish_later, l);

    g_assert_cmpint(listing_wait(l, 0, soon()), ==, 0);
    g_assert_cmpuint(listing_slot(l, 0), ==, 5);
    g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
    g_thread_join(th);
    listing_unref(l);
}

/* Whether anyone but the given owners holds a listing (a walk nobody waits for stops). */
static void test_is_wanted(void)
{
    struct listing *l = listing_new(NULL, NULL);

    g_assert_false(listing_is_wanted(l, 1));
    listing_ref(l);
    g_assert_true(listing_is_wanted(l, 1));
    g_assert_false(listing_is_wanted(l, 2));
    listing_unref(l);
    g_assert_false(listing_is_wanted(l, 1));
    listing_unref(l);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/listing/grow-then-end", test_grow_then_end);
    g_test_add_func("/listing/failure-is-not-the-end", test_failure_is_not_the_end);
    g_test_add_func("/listing/wait-wakes", test_wait_wakes);
    g_test_add_func("/listing/is-wanted", test_is_wanted);
    return g_test_run();
}
