/* backoff: exponential delay with equal jitter (see backoff.h). Thread-safe randomness. */
#include "viasfs/backoff.h"

void backoff_init(struct backoff *b, gint64 base_us, gint64 cap_us)
{
    b->base_us = base_us > 0 ? base_us : 1;
    b->cap_us = cap_us >= b->base_us ? cap_us : b->base_us;
    b->attempt = 0;
}

gint64 backoff_next_us(struct backoff *b)
{
    gint64 d = b->base_us;

    for (int i = 0; i < b->attempt && d < b->cap_us; i++)
        d *= 2;
    if (d > b->cap_us)
        d = b->cap_us;
    b->attempt++;
    return d / 2 + (gint64)(g_random_double() * (double)(d - d / 2));
}
