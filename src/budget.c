/*
 * budget: a token bucket of background requests (see budget.h), kept as the time the bucket
 * was (or will be) empty, empty_at: its level now is (now - empty_at) x rate, and empty_at is
 * never taken as earlier than now - burst (a full bucket). A draw of n moves empty_at forward
 * by n / rate. It may start once the bucket holds n, or, for n above the burst, once it is
 * full; empty_at may then lie in the future: that is the debt the next draws wait for.
 */
#include "viasfs/budget.h"

#include <errno.h>

#define BURST_S 2.0 /* seconds' worth of tokens the bucket holds */

struct budget {
    double rate; /* immutable; 0 unlimited */
    GMutex lock; /* protects everything below */
    GCond cond;  /* broadcast when closing */
    gint64 empty_at_us;
    bool closing;
    int waiting; /* budget_take calls inside the wait */
    struct budget_stats stats;
};

struct budget *budget_new(double rate)
{
    struct budget *b = g_new0(struct budget, 1);

    b->rate = rate > 0 ? rate : 0;
    g_mutex_init(&b->lock);
    g_cond_init(&b->cond);
    b->empty_at_us = g_get_monotonic_time() - (gint64)(BURST_S * G_USEC_PER_SEC);
    return b;
}

void budget_free(struct budget *b)
{
    if (!b)
        return;
    g_mutex_lock(&b->lock);
    b->closing = true;
    g_cond_broadcast(&b->cond);
    while (b->waiting > 0) {
        g_mutex_unlock(&b->lock);
        g_usleep(1000);
        g_mutex_lock(&b->lock);
    }
    g_mutex_unlock(&b->lock);
    g_mutex_clear(&b->lock);
    g_cond_clear(&b->cond);
    g_free(b);
}

double budget_rate(const struct budget *b)
{
    return b ? b->rate : 0;
}

/* The cost of @n in microseconds of accrual, and when it could be drawn. Lock held. */
static gint64 cost_us_locked(const struct budget *b, guint n)
{
    return (gint64)((double)n / b->rate * G_USEC_PER_SEC);
}

static gint64 ready_at_locked(const struct budget *b, guint n, gint64 now)
{
    gint64 burst_us = (gint64)(BURST_S * G_USEC_PER_SEC);
    gint64 floor_us = now - burst_us; /* a full bucket holds no more than the burst */
    gint64 empty_at = MAX(b->empty_at_us, floor_us);

    /* Holds n when now - empty_at >= cost; a draw above the burst waits for a full one. */
    return empty_at + MIN(cost_us_locked(b, n), burst_us);
}

static void draw_locked(struct budget *b, guint n, gint64 now)
{
    gint64 floor_us = now - (gint64)(BURST_S * G_USEC_PER_SEC);

    b->empty_at_us = MAX(b->empty_at_us, floor_us) + cost_us_locked(b, n);
    b->stats.drawn += n;
}

int budget_take(struct budget *b, guint n, gint64 deadline)
{
    gint64 start = g_get_monotonic_time(), at;
    int rc = 0;

    if (!b || b->rate <= 0 || n == 0)
        return 0;
    g_mutex_lock(&b->lock);
    b->waiting++;
    for (;;) {
        gint64 now = g_get_monotonic_time();
        if (b->closing) {
            rc = -ECANCELED;
            break;
        }
        at = ready_at_locked(b, n, now);
        if (at <= now) {
            draw_locked(b, n, now);
            b->stats.waited_us += (guint64)(now - start);
            break;
        }
        if (at > deadline) {
            rc = -ETIMEDOUT;
            break;
        }
        g_cond_wait_until(&b->cond, &b->lock, at);
    }
    b->waiting--;
    g_mutex_unlock(&b->lock);
    return rc;
}

void budget_charge(struct budget *b, guint n)
{
    gint64 now = g_get_monotonic_time();
    gint64 burst_us = (gint64)(BURST_S * G_USEC_PER_SEC);

    if (!b || b->rate <= 0 || n == 0)
        return;
    g_mutex_lock(&b->lock);
    /* Drawn at once, into debt if need be, but never more than one burst of it. */
    b->empty_at_us = MIN(MAX(b->empty_at_us, now - burst_us) + cost_us_locked(b, n), now + burst_us);
    b->stats.drawn += n;
    g_mutex_unlock(&b->lock);
}

bool budget_try(struct budget *b, guint n)
{
    gint64 now = g_get_monotonic_time();
    bool ok;

    if (!b || b->rate <= 0 || n == 0)
        return true;
    g_mutex_lock(&b->lock);
    ok = !b->closing && ready_at_locked(b, n, now) <= now;
    if (ok)
        draw_locked(b, n, now);
    else
        b->stats.refused++;
    g_mutex_unlock(&b->lock);
    return ok;
}

gint64 budget_ready_at(struct budget *b, guint n)
{
    gint64 now = g_get_monotonic_time(), at;

    if (!b || b->rate <= 0 || n == 0)
        return now;
    g_mutex_lock(&b->lock);
    at = ready_at_locked(b, n, now);
    g_mutex_unlock(&b->lock);
    return MAX(at, now);
}

void budget_get_stats(struct budget *b, struct budget_stats *out)
{
    if (!b) {
        *out = (struct budget_stats){0};
        return;
    }
    g_mutex_lock(&b->lock);
    *out = b->stats;
    g_mutex_unlock(&b->lock);
}
