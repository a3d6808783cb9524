/*
 * interrupt: see interrupt.h. The flag is found through a thread-local pointer, so the layers
 * between the FUSE handler and the wait need not carry it. A watched wait sleeps in slices,
 * checking the flag between them: the flag's setter (libfuse's interrupt callback) cannot
 * know which condition variable to signal, and a slice costs nothing measurable.
 */
#include "viasfs/interrupt.h"

#include <errno.h>

#define SLICE_US (20 * 1000)

static __thread const gint *watched;
static volatile gint everything; /* interrupt_all was called */

void interrupt_watch(const gint *flag)
{
    watched = flag;
}

void interrupt_unwatch(void)
{
    watched = NULL;
}

bool interrupt_pending(void)
{
    return watched && (g_atomic_int_get(watched) != 0 || g_atomic_int_get(&everything) != 0);
}

void interrupt_all(void)
{
    g_atomic_int_set(&everything, 1);
}

int interrupt_cond_wait(GCond *cond, GMutex *mutex, gint64 deadline)
{
    gint64 now = g_get_monotonic_time();

    if (interrupt_pending())
        return -EINTR;
    if (now >= deadline)
        return -ETIMEDOUT;
    if (!watched)
        return g_cond_wait_until(cond, mutex, deadline) ? 0 : -ETIMEDOUT;
    if (g_cond_wait_until(cond, mutex, MIN(deadline, now + SLICE_US)))
        return 0;
    if (interrupt_pending())
        return -EINTR;
    return g_get_monotonic_time() >= deadline ? -ETIMEDOUT : 0;
}
