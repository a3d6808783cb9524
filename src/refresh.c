/* refresh: a periodic walk-and-refetch thread over the cache (see refresh.h). */
#include "viasfs/refresh.h"
#include "viasfs/log.h"

#include <errno.h>

struct refresh {
    struct cache *cache; /* borrowed */
    gint64 period_us;    /* immutable */
    gint64 timeout_us;   /* immutable */
    GThread *thread;
    GMutex lock; /* protects stop */
    GCond wake;  /* signalled on stop */
    bool stop;
};

/* Sleeps until @until or a stop. Returns false when stopping. */
static bool sleep_until(struct refresh *r, gint64 until)
{
    bool go_on;

    g_mutex_lock(&r->lock);
    while (!r->stop && g_cond_wait_until(&r->wake, &r->lock, until))
        ;
    go_on = !r->stop;
    g_mutex_unlock(&r->lock);
    return go_on;
}

static gpointer refresh_main(gpointer data)
{
    struct refresh *r = data;
    gint64 next = g_get_monotonic_time() + r->period_us;

    while (sleep_until(r, next)) {
        struct listing *l = cache_walk_now(r->cache);
        int rc;

        next = g_get_monotonic_time() + r->period_us;
        /* A long walk is bounded per page by the api; wait for it, checking for a stop. A
         * walk that failed with ETIMEDOUT is done: the wait's own timeout is told apart by
         * listing_done, never by the errno. */
        while (!listing_done(l, NULL, NULL) && sleep_until(r, g_get_monotonic_time()))
            listing_wait_done(l, g_get_monotonic_time() + G_USEC_PER_SEC / 4);
        if (!listing_done(l, &rc, NULL)) {
            listing_unref(l);
            break; /* stopping */
        }
        listing_unref(l);
        if (rc == 0)
            cache_refresh_details(r->cache, g_get_monotonic_time() + r->timeout_us);
        else
            log_debug("refresh: walk failed: %s", g_strerror(-rc));
        if (next < g_get_monotonic_time())
            next = g_get_monotonic_time(); /* a walk longer than the period: go again */
    }
    return NULL;
}

struct refresh *refresh_start(struct cache *c, int period_s, int timeout_s)
{
    struct refresh *r = g_new0(struct refresh, 1);

    r->cache = c;
    r->period_us = (gint64)period_s * G_USEC_PER_SEC;
    r->timeout_us = (gint64)timeout_s * G_USEC_PER_SEC;
    g_mutex_init(&r->lock);
    g_cond_init(&r->wake);
    r->thread = g_thread_new("refresh", refresh_main, r);
    return r;
}

void refresh_stop(struct refresh *r)
{
    if (!r)
        return;
    g_mutex_lock(&r->lock);
    r->stop = true;
    g_cond_signal(&r->wake);
    g_mutex_unlock(&r->lock);
    g_thread_join(r->thread);
    g_mutex_clear(&r->lock);
    g_cond_clear(&r->wake);
    g_free(r);
}
