/* Unit tests: recognising walks of reads and what to fetch ahead of them. */
#include "viasfs/scan.h"

/* Ten tasks listed as slots 0..9 with ids whose sorted order is the reverse. */
static struct scan *ten(guint depth)
{
    static const char *ids[] = {"j", "i", "h", "g", "f", "e", "d", "c", "b", "a"};
    guint32 slots[10];
    struct scan *s = scan_new(depth);

    for (guint32 i = 0; i < 10; i++)
        slots[i] = i;
    scan_set_basis(s, s, slots, ids, 10);
    return s;
}

static GArray *read_in(struct scan *s, guint32 reader, guint32 family, guint32 slot)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(guint32));

    scan_read(s, reader, family, slot, a);
    return a;
}

static GArray *read_by(struct scan *s, guint32 reader, guint32 slot)
{
    return read_in(s, reader, 0, slot);
}

static GArray *read_slot(struct scan *s, guint32 slot)
{
    return read_by(s, 1, slot);
}

static void test_listing_order(void)
{
    struct scan *s = ten(3);
    /* Each task is read twice, as a lookup and an open of one file do. */
    g_autoptr(GArray) a0 = read_slot(s, 0), b0 = read_slot(s, 0), a1 = read_slot(s, 1),
                      b1 = read_slot(s, 1), a2 = read_slot(s, 2), a3 = read_slot(s, 3);

    g_assert_cmpuint(b0->len + b1->len, ==, 0);

    g_assert_cmpuint(a0->len + a1->len, ==, 0); /* two reads are not a walk */
    g_assert_cmpuint(a2->len, ==, 3);
    g_assert_cmpuint(g_array_index(a2, guint32, 0), ==, 3);
    g_assert_cmpuint(g_array_index(a2, guint32, 2), ==, 5);
    g_assert_cmpuint(a3->len, ==, 1); /* only what was not handed out yet */
    g_assert_cmpuint(g_array_index(a3, guint32, 0), ==, 6);
    scan_free(s);
}

static void test_sorted_order(void)
{
    struct scan *s = scan_new(2);
    static const char *ids[] = {"c", "a", "e", "b", "d"};
    guint32 slots[] = {0, 1, 2, 3, 4};

    scan_set_basis(s, s, slots, ids, 5);
    /* Slots 1, 3, 0 are ids "a", "b", "c": a walk in id order; next come "d" (4), "e" (2). */
    g_autoptr(GArray) a0 = read_slot(s, 1), a1 = read_slot(s, 3), a2 = read_slot(s, 0);
    g_assert_cmpuint(a0->len + a1->len, ==, 0);
    g_assert_cmpuint(a2->len, ==, 2);
    g_assert_cmpuint(g_array_index(a2, guint32, 0), ==, 4);
    g_assert_cmpuint(g_array_index(a2, guint32, 1), ==, 2);
    scan_free(s);
}

static void test_backward(void)
{
    struct scan *s = ten(3);
    g_autoptr(GArray) a0 = read_slot(s, 9), a1 = read_slot(s, 8), a2 = read_slot(s, 7),
                      a3 = read_slot(s, 6);

    g_assert_cmpuint(a0->len + a1->len, ==, 0);
    g_assert_cmpuint(a2->len, ==, 3); /* 6, 5, 4 */
    g_assert_cmpuint(g_array_index(a2, guint32, 0), ==, 6);
    g_assert_cmpuint(g_array_index(a2, guint32, 2), ==, 4);
    g_assert_cmpuint(a3->len, ==, 1); /* 3 */
    g_assert_cmpuint(g_array_index(a3, guint32, 0), ==, 3);
    scan_free(s);
}

static void test_no_walk(void)
{
    struct scan *s = ten(2);
    guint32 reads[] = {4, 4, 4, 0, 9, 5, 1};
    guint total = 0;

    for (guint i = 0; i < G_N_ELEMENTS(reads); i++) {
        g_autoptr(GArray) a = read_slot(s, reads[i]);
        total += a->len;
    }
    g_assert_cmpuint(total, ==, 0);
    /* An unknown slot is ignored. */
    g_autoptr(GArray) u = read_slot(s, 77);
    g_assert_cmpuint(u->len, ==, 0);
    scan_free(s);
}

static void test_end_and_new_basis(void)
{
    struct scan *s = ten(5);
    g_autoptr(GArray) a = read_slot(s, 6), a2 = read_slot(s, 7), b = read_slot(s, 8);
    guint32 slots[2] = {8, 9};
    const char *ids[2] = {"x", "y"};

    g_assert_cmpuint(b->len, ==, 1); /* only slot 9 is left after 8 */
    scan_set_basis(s, ids, slots, ids, 2);
    g_autoptr(GArray) c = read_slot(s, 8);
    g_assert_cmpuint(c->len, ==, 0); /* a new basis forgets the walk */
    scan_free(s);
}

/* Two readers each reading neighbours of their own, interleaved: together they step through
 * the tasks in order, but neither walks, so nothing is fetched ahead. The pair: one reader
 * making the same reads walks. */
static void test_readers_apart(void)
{
    struct scan *s = ten(3);
    guint ahead = 0;

    /* Reader 1 reads 0, 2, 8 and reader 2 reads 1, 7, 3: together 0, 1, 2, 7, 8, 3, whose
     * first three would be a walk for one reader. */
    static const guint32 reads[][2] = {{1, 0}, {2, 1}, {1, 2}, {2, 7}, {1, 8}, {2, 3}};
    for (size_t i = 0; i < G_N_ELEMENTS(reads); i++) {
        g_autoptr(GArray) a = read_by(s, reads[i][0], reads[i][1]);
        ahead += a->len;
    }
    g_assert_cmpuint(ahead, ==, 0);
    scan_free(s);

    s = ten(3);
    ahead = 0;
    for (guint32 slot = 0; slot < 3; slot++) {
        g_autoptr(GArray) a = read_by(s, 1, slot); /* 0, 1, 2 by one reader: a walk */
        ahead += a->len;
    }
    g_assert_cmpuint(ahead, ==, 3);
    scan_free(s);
}

/* A shell loop: one process per task, each reading its task's files, children of one shell:
 * their family walks. The pairs: the same processes with no family known, and a family whose
 * children each read several tasks at random (those walk on their own, or not at all). */
static void test_family(void)
{
    struct scan *s = ten(3);
    guint ahead = 0;

    for (guint32 slot = 0; slot < 3; slot++)
        for (int file = 0; file < 2; file++) {
            g_autoptr(GArray) a = read_in(s, 100 + slot, 7, slot);
            ahead += a->len;
        }
    g_assert_cmpuint(ahead, ==, 3);
    scan_free(s);

    s = ten(3);
    ahead = 0;
    for (guint32 slot = 0; slot < 3; slot++) {
        g_autoptr(GArray) a = read_in(s, 100 + slot, 0, slot);
        ahead += a->len;
    }
    g_assert_cmpuint(ahead, ==, 0);
    scan_free(s);

    /* Children 1 and 2 of family 7 read 0 then 5, and 9 then 1, then child 3 reads 2: the
     * family saw only the first reads (0, 9, 2), no walk. */
    s = ten(3);
    ahead = 0;
    static const guint32 reads[][2] = {{1, 0}, {2, 9}, {1, 5}, {2, 1}, {3, 2}};
    for (size_t i = 0; i < G_N_ELEMENTS(reads); i++) {
        g_autoptr(GArray) a = read_in(s, reads[i][0], 7, reads[i][1]);
        ahead += a->len;
    }
    g_assert_cmpuint(ahead, ==, 0);
    scan_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/scan/listing-order", test_listing_order);
    g_test_add_func("/scan/sorted-order", test_sorted_order);
    g_test_add_func("/scan/backward", test_backward);
    g_test_add_func("/scan/no-walk", test_no_walk);
    g_test_add_func("/scan/end-and-new-basis", test_end_and_new_basis);
    g_test_add_func("/scan/readers-apart", test_readers_apart);
    g_test_add_func("/scan/family", test_family);
    return g_test_run();
}
