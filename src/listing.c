/*
 * listing: a growing, then frozen, list of task slots (see listing.h). One mutex and one
 * condition variable per listing; readers wait on the condition, the walker broadcasts.
 */
#include "viasfs/listing.h"
#include "viasfs/interrupt.h"

#include <errno.h>

struct listing {
    gint refcount;           /* atomic */
    const struct view *view; /* immutable; NULL: every task */
    char *value;             /* immutable */
    GMutex lock;             /* protects everything below */
    GCond grew;              /* broadcast on append and finish */
    GArray *slots;           /* guint32 */
    bool done;
    int error;
    gint64 done_us;
};

struct listing *listing_new(const struct view *view, const char *value)
{
    struct listing *l = g_new0(struct listing, 1);

    l->refcount = 1;
    l->view = view;
    l->value = g_strdup(value);
    g_mutex_init(&l->lock);
    g_cond_init(&l->grew);
    l->slots = g_array_new(FALSE, FALSE, sizeof(guint32));
    return l;
}

struct listing *listing_ref(struct listing *l)
{
    g_atomic_int_inc(&l->refcount);
    return l;
}

void listing_unref(struct listing *l)
{
    if (!l || !g_atomic_int_dec_and_test(&l->refcount))
        return;
    g_array_unref(l->slots);
    g_mutex_clear(&l->lock);
    g_cond_clear(&l->grew);
    g_free(l->value);
    g_free(l);
}

const struct view *listing_view(const struct listing *l)
{
    return l->view;
}

const char *listing_value(const struct listing *l)
{
    return l->value;
}

void listing_append(struct listing *l, const guint32 *slots, guint n)
{
    g_mutex_lock(&l->lock);
    g_array_append_vals(l->slots, slots, n);
    g_cond_broadcast(&l->grew);
    g_mutex_unlock(&l->lock);
}

void listing_finish(struct listing *l, int error)
{
    listing_finish_at(l, error, g_get_monotonic_time());
}

void listing_finish_at(struct listing *l, int error, gint64 done_us)
{
    g_mutex_lock(&l->lock);
    l->done = true;
    l->error = error;
    l->done_us = done_us;
    g_cond_broadcast(&l->grew);
    g_mutex_unlock(&l->lock);
}

bool listing_is_wanted(struct listing *l, int owners)
{
    return g_atomic_int_get(&l->refcount) > owners;
}

int listing_wait(struct listing *l, guint index, gint64 deadline)
{
    int rc;

    g_mutex_lock(&l->lock);
    for (;;) {
        if (index < l->slots->len) {
            rc = 0;
            break;
        }
        if (l->done) {
            rc = l->error ? l->error : LISTING_END;
            break;
        }
        rc = interrupt_cond_wait(&l->grew, &l->lock, deadline);
        if (rc < 0) {
            rc = index < l->slots->len ? 0 : rc;
            break;
        }
    }
    g_mutex_unlock(&l->lock);
    return rc;
}

int listing_wait_done(struct listing *l, gint64 deadline)
{
    int rc;

    g_mutex_lock(&l->lock);
    rc = 0;
    while (!l->done && rc == 0)
        rc = interrupt_cond_wait(&l->grew, &l->lock, deadline);
    rc = l->done ? l->error : rc;
    g_mutex_unlock(&l->lock);
    return rc;
}

guint32 listing_slot(struct listing *l, guint index)
{
    guint32 s;

    g_mutex_lock(&l->lock);
    s = g_array_index(l->slots, guint32, index);
    g_mutex_unlock(&l->lock);
    return s;
}

guint listing_length(struct listing *l)
{
    guint n;

    g_mutex_lock(&l->lock);
    n = l->slots->len;
    g_mutex_unlock(&l->lock);
    return n;
}

bool listing_done(struct listing *l, int *error, gint64 *done_us)
{
    bool d;

    g_mutex_lock(&l->lock);
    d = l->done;
    if (error)
        *error = l->error;
    if (done_us)
        *done_us = l->done_us;
    g_mutex_unlock(&l->lock);
    return d;
}
