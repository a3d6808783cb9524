/*
 * purpose: why the calling thread is talking to the API right now: a file operation someone
 * waits for (foreground), the periodic refresh, a read-ahead, or the follow-up of a task
 * control action. A thread-local value, like requester.h's: whoever starts work on behalf of
 * one of them sets it on the thread that makes the requests (a fetcher, a walker, a page
 * thread), and the request counters (metrics.h) and the request budget (budget.h) read it.
 * It knows nothing about who sets it; threads start as foreground.
 */
#ifndef VIASFS_PURPOSE_H
#define VIASFS_PURPOSE_H

#include <stdbool.h>

enum purpose {
    PURPOSE_FOREGROUND = 0, /* a file operation waits for the answer (the default) */
    PURPOSE_REFRESH,        /* the periodic refresh of what is watched (refresh.h) */
    PURPOSE_READAHEAD,      /* details fetched ahead of a walk of reads (scan.h) */
    PURPOSE_CONTROL,        /* the follow-up requests of a task control action */
    PURPOSE_COUNT
};

/* The calling thread now works for @p. */
void purpose_set(enum purpose p);
/* What the calling thread works for (PURPOSE_FOREGROUND unless set otherwise). */
enum purpose purpose_current(void);
/* "foreground", "refresh", "readahead", "control": the metrics label. Static storage. */
const char *purpose_name(enum purpose p);
/* Whether requests for @p are background work, which the budget paces (all but foreground). */
static inline bool purpose_is_background(enum purpose p)
{
    return p != PURPOSE_FOREGROUND;
}

#endif
