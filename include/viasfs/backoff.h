/*
 * backoff: exponential delays with jitter between retries of one request. It computes
 * delays; it does not sleep and does not decide what is retryable (the http layer does).
 */
#ifndef VIASFS_BACKOFF_H
#define VIASFS_BACKOFF_H

#include <glib.h>

struct backoff {
    gint64 base_us; /* delay scale of the first retry */
    gint64 cap_us;  /* no delay exceeds this */
    int attempt;    /* retries handed out so far */
};

void backoff_init(struct backoff *b, gint64 base_us, gint64 cap_us);
/*
 * The next delay in microseconds: uniformly random in [d/2, d] with d = min(cap, base * 2^n)
 * ("equal jitter"), so retries from many threads spread out but never collapse to zero.
 */
gint64 backoff_next_us(struct backoff *b);

#endif
