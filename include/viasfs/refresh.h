/*
 * refresh: the thread that keeps watched data current. Every period it walks the list of all
 * tasks (one request per page of up to 1000 tasks: the cheapest way to see every state at
 * once), then re-fetches the details the cache marks as wanted (tasks with open files, tasks
 * whose state changed). The cache reports what changed; refresh only sets the pace.
 */
#ifndef VIASFS_REFRESH_H
#define VIASFS_REFRESH_H

#include "viasfs/cache.h"

struct refresh;

/* Starts the thread; @period_s > 0. The first walk comes one period after the start. */
struct refresh *refresh_start(struct cache *c, int period_s, int timeout_s);
/* Stops the thread (at once, or after the request in flight) and frees. NULL is fine. */
void refresh_stop(struct refresh *r);

#endif
