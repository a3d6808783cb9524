/*
 * scan: see scan.h. For each of the two orders it keeps the position of every slot and, per
 * reader, the position of its last read and how far ahead fetches were handed out for it, so
 * that each reader's walk keeps @depth fetches in front of it without asking for any task
 * twice, and readers reading at random never add up to a walk.
 */
#include "viasfs/scan.h"

#include <stdbool.h>
#include <string.h>

enum { ORDER_LISTING, ORDER_SORTED, ORDERS };

struct order {
    GArray *slots;        /* guint32, in this order */
    GHashTable *position; /* slot + 1 -> index + 1 */
};

/* Where one reader's walk is in one order. */
struct cursor {
    gint64 last;      /* index of the last read, -2 when none */
    gint64 ahead_to;  /* walking forward: handed out up to this index (exclusive) */
    gint64 behind_to; /* walking backward: handed out down to this index (inclusive) */
    int run;          /* reads in a row that went the same way (+: forward, -: back) */
};

/* One reader's cursors, in the order of their last read (most recent first). */
struct reader {
    guint32 id;         /* a process id, or FAMILY | its parent's */
    guint32 first_slot; /* slot + 1 of its first read; 0 none */
    bool several;       /* it has read more than one task */
    struct cursor at[ORDERS];
    GList link; /* in scan.readers (link.data = the reader) */
};

enum { MAX_READERS = 64 };
#define FAMILY (1u << 31) /* above every pid (pid_max <= 2^22) */

struct scan {
    guint depth;
    gconstpointer basis;
    struct order orders[ORDERS];
    GHashTable *by_id; /* id -> struct reader * (owned) */
    GQueue readers;    /* the same, most recently read first */
};

struct scan *scan_new(guint depth)
{
    struct scan *s = g_new0(struct scan, 1);

    s->depth = MAX(depth, 1);
    for (int o = 0; o < ORDERS; o++) {
        s->orders[o].slots = g_array_new(FALSE, FALSE, sizeof(guint32));
        s->orders[o].position = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    s->by_id = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
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
    g_hash_table_unref(s->by_id);
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
}

static void cursor_reset(struct cursor *c, const struct order *o)
{
    *c = (struct cursor){.last = -2, .ahead_to = 0, .behind_to = o->slots->len, .run = 0};
}

/* Reader @id's cursors, made (and the least recent reader's dropped past MAX_READERS). */
static struct reader *reader_get(struct scan *s, guint32 id)
{
    struct reader *r = g_hash_table_lookup(s->by_id, GUINT_TO_POINTER(id));

    if (r) {
        g_queue_unlink(&s->readers, &r->link);
        g_queue_push_head_link(&s->readers, &r->link);
        return r;
    }
    if (s->readers.length >= MAX_READERS) {
        struct reader *old = g_queue_peek_tail(&s->readers);
        g_queue_unlink(&s->readers, &old->link);
        g_hash_table_remove(s->by_id, GUINT_TO_POINTER(old->id));
    }
    r = g_new0(struct reader, 1);
    r->id = id;
    r->link.data = r;
    for (int o = 0; o < ORDERS; o++)
        cursor_reset(&r->at[o], &s->orders[o]);
    g_hash_table_insert(s->by_id, GUINT_TO_POINTER(id), r);
    g_queue_push_head_link(&s->readers, &r->link);
    return r;
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
    g_queue_init(&s->readers); /* every walk starts again on the new basis */
    g_hash_table_remove_all(s->by_id);
    g_free(sorted);
    g_free(k);
}

/* One read of @slot in @rd's walks: appends what to fetch ahead. */
static void cursor_read(struct scan *s, struct reader *rd, guint32 slot, GArray *ahead)
{
    bool handed = false; /* one order is enough; the others' cursors still move */

    for (int oi = 0; oi < ORDERS; oi++) {
        struct order *o = &s->orders[oi];
        struct cursor *c = &rd->at[oi];
        gpointer p = g_hash_table_lookup(o->position, GUINT_TO_POINTER(slot + 1));
        gint64 pos;

        if (!p)
            continue;
        pos = (gint64)GPOINTER_TO_UINT(p) - 1;
        /* A walk: this read comes a little after (or before: a shell builds its glob list
         * backwards before sorting it) the last one in this order. */
        gint64 step = pos - c->last, depth = (gint64)s->depth;
        if (step == 0)
            continue; /* the same task again (a lookup, then the open): not a step */
        bool forward = c->last >= 0 && step > 0 && step <= depth + 1;
        bool backward = c->last >= 0 && step < 0 && step >= -depth - 1;
        c->last = pos;
        /* Three reads in a row the same way make a walk: two could be a person reading
         * neighbouring tasks. */
        c->run = forward ? MAX(c->run, 0) + 1 : backward ? MIN(c->run, 0) - 1 : 0;
        if ((c->run < 2 && c->run > -2) || handed)
            continue;
        if (forward) {
            gint64 end = MIN(pos + 1 + depth, (gint64)o->slots->len);
            for (gint64 i = MAX(pos + 1, c->ahead_to); i < end; i++)
                g_array_append_val(ahead, g_array_index(o->slots, guint32, i));
            c->ahead_to = MAX(c->ahead_to, end);
        } else if (backward) {
            gint64 end = MAX(pos - depth, 0);
            for (gint64 i = MIN(pos - 1, c->behind_to - 1); i >= end; i--)
                g_array_append_val(ahead, g_array_index(o->slots, guint32, i));
            c->behind_to = MIN(c->behind_to, end);
        } else
            continue;
        handed = true;
    }
}

void scan_read(struct scan *s, guint32 reader, guint32 family, guint32 slot, GArray *ahead)
{
    struct reader *rd = reader_get(s, reader);

    cursor_read(s, rd, slot, ahead);
    /* A process that has read one task only may be a step of its family's walk: a shell
     * loop starts one process per task. A process that reads several walks on its own. */
    if (rd->first_slot == 0)
        rd->first_slot = slot + 1;
    else if (rd->first_slot != slot + 1)
        rd->several = true;
    if (family && !rd->several)
        cursor_read(s, reader_get(s, FAMILY | family), slot, ahead);
}
