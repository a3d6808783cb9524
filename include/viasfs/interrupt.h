/*
 * interrupt: lets the interruption of a file operation (Ctrl-C on the process that made it)
 * reach every wait made on its behalf, however deep. The thread serving the operation watches
 * a flag for its duration; waits on condition variables made through interrupt_cond_wait
 * return -EINTR within a few milliseconds of the flag being set, and -ETIMEDOUT when their
 * deadline passes. Threads that watch nothing wait only for the deadline.
 */
#ifndef VIASFS_INTERRUPT_H
#define VIASFS_INTERRUPT_H

#include <stdbool.h>
#include <glib.h>

/* Until interrupt_unwatch, waits of the calling thread end when *@flag (atomic) is non-zero. */
void interrupt_watch(const gint *flag);
void interrupt_unwatch(void);

/* Shutting down: every watched wait, now and later, ends as if interrupted. Irreversible;
 * async-signal-safe (a signal handler may call it). */
void interrupt_all(void);

/* Whether the calling thread's operation has been interrupted. */
bool interrupt_pending(void);

/*
 * g_cond_wait_until on @cond with @mutex held, also ending when the calling thread's
 * operation is interrupted. Returns 0 when woken (maybe spuriously: re-check the condition),
 * -ETIMEDOUT when @deadline (monotonic) has passed, -EINTR when interrupted.
 */
int interrupt_cond_wait(GCond *cond, GMutex *mutex, gint64 deadline);

#endif
