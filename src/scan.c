/*
 * scan: see scan.h. For each of the two orders it keeps the position of every slot, the
 * position of the last miss, and how far ahead fetches were handed out, so that a walk keeps
 * @depth fetches in front of it without asking for any task twice.
 */
#include "viasfs/scan.h"

#include <stdbool.h>
#include <string.h>

enum { ORDER_LISTING, ORDER_SORTED, ORDERS };

struct order {
    GArray *slots;        /* guint32, in this order */
    GHashTable *position; /* slot + 1 -> index + 1 */
    gint64 last;          /* index of the last read, -2 when none */
    gint64 ahead_to;      /* walking forward: handed out up to this index (exclusive) */
    gint64 behind_to;     /* walking backward: handed out down to this index (inclusive) */
    int run;              /* reads in a row that went the same way (+: forward, -: back) */
};

struct scan {
    guint depth;
    gconstpointer basis;
    struct order orders[ORDERS];
};

struct scan *scan_new(guint depth)
{
    struct scan *s = g_new0(struct scan, 1);

    s->depth = MAX(depth, 1);
    for (int o = 0; o < ORDERS; o++) {
        s->orders[o].slots = g_array_new(FALSE, FALSE, sizeof(guint32));
        s->orders[o].position = g_hash_table_new(g_direct_hash, g_direct_equal);
        s->orders[o].last = -2;
    }
    return s;
}

void scan_free(struct scan *s)
{
    if (!s)
        return;
    for (int o = 0; o < ORDERS; o++) {
        g_array_unref(s->orders[o].slots);
        g_hash_table_unref(s->orders[o].position);
    }
    g_free(s);
}

gconstpointer scan_basis(const struct scan *s)
{
    return s->basis;
}

struct keyed {
    const char *id;
    guint32 slot;
};

static int keyed_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const struct keyed *)a)->id, ((const struct keyed *)b)->id);
}

static void order_fill(struct order *o, const guint32 *slots, guint n)
{
    g_array_set_size(o->slots, 0);
    g_array_append_vals(o->slots, slots, n);
    g_hash_table_remove_all(o->position);
    for (guint i = 0; i < n; i++)
        g_hash_table_replace(o->position, GUINT_TO_POINTER(slots[i] + 1), GUINT_TO_POINTER(i + 1));
    o->last = -2;
    o->ahead_to = 0;
    o->behind_to = n;
    o->run = 0;
}

void scan_set_basis(struct scan *s, gconstpointer basis, const guint32 *slots,
                    const char *const *ids, guint n)
{
    struct keyed *k;
    guint32 *sorted;

    if (basis == s->basis)
        return;
    s->basis = basis;
    order_fill(&s->orders[ORDER_LISTING], slots, n);
    k = g_new(struct keyed, MAX(n, 1));
    sorted = g_new(guint32, MAX(n, 1));
    for (guint i = 0; i < n; i++)
        k[i] = (struct keyed){ids[i], slots[i]};
    qsort(k, n, sizeof(*k), keyed_cmp);
    for (guint i = 0; i < n; i++)
        sorted[i] = k[i].slot;
    order_fill(&s->orders[ORDER_SORTED], sorted, n);
    g_free(sorted);
    g_free(k);
}

void scan_read(struct scan *s, guint32 slot, GArray *ahead)
{
    for (int oi = 0; oi < ORDERS; oi++) {
        struct order *o = &s->orders[oi];
        gpointer p = g_hash_table_lookup(o->position, GUINT_TO_POINTER(slot + 1));
        gint64 pos;

        if (!p)
            continue;
        pos = (gint64)GPOINTER_TO_UINT(p) - 1;
        /* A walk: this read comes a little after (or before: a shell builds its glob list
         * backwards before sorting it) the last one in this order. */
        gint64 step = pos - o->last, depth = (gint64)s->depth;
        if (step == 0)
            continue; /* the same task again (a lookup, then the open): not a step */
        bool forward = o->last >= 0 && step > 0 && step <= depth + 1;
        bool backward = o->last >= 0 && step < 0 && step >= -depth - 1;
        o->last = pos;
        /* Three reads in a row the same way make a walk: two could be a person reading
         * neighbouring tasks. */
        o->run = forward ? MAX(o->run, 0) + 1 : backward ? MIN(o->run, 0) - 1 : 0;
        if (o->run < 2 && o->run > -2)
            continue;
        if (forward) {
            gint64 end = MIN(pos + 1 + depth, (gint64)o->slots->len);
            for (gint64 i = MAX(pos + 1, o->ahead_to); i < end; i++)
                g_array_append_val(ahead, g_array_index(o->slots, guint32, i));
            o->ahead_to = MAX(o->ahead_to, end);
        } else if (backward) {
            gint64 end = MAX(pos - depth, 0);
            for (gint64 i = MIN(pos - 1, o->behind_to - 1); i >= end; i--)
                g_array_append_val(ahead, g_array_index(o->slots, guint32, i));
            o->behind_to = MIN(o->behind_to, end);
        } else
            continue;
        return; /* one order is enough */
    }
}
