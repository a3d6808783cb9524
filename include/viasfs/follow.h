/*
 * follow: keeps a task closely watched after an action changed it (PRODUCT.md section 8): its
 * detail is fetched at once and then about once a second, whatever --refresh says, until it
 * settles (a state that is not on its way to another), is gone, or a bound passes. The cache
 * reports what each fetch finds, so every watcher sees STOPPING, then STOPPED, or the task go.
 * One thread, started with the first task followed. Its fetches are background work: they
 * count as PURPOSE_CONTROL and draw on the mount's request budget (budget.h); a fetch the
 * budget cannot cover within a period waits for the next.
 */
#ifndef VIASFS_FOLLOW_H
#define VIASFS_FOLLOW_H

#include <stdbool.h>
#include <glib.h>

#include "viasfs/budget.h"
#include "viasfs/cache.h"

struct follow;

/* How long a task is followed at most before the refresh alone watches it again. */
#define FOLLOW_BOUND_S 300

/* Fetches are bounded by @timeout_s each; a task is followed for at most @bound_s. @budget
 * (borrowed; NULL: none) paces the fetches. */
struct follow *follow_new(struct cache *c, struct budget *budget, int timeout_s, int bound_s);
/* Stops following (after the fetch in flight) and frees. NULL is fine. */
void follow_free(struct follow *f);

/* Follows @id from now on (again from now if it already is). @state_before is its state before
 * the action (NULL: none, a new task): a task that still shows it has not moved yet. */
void follow_task(struct follow *f, const char *id, const char *state_before);

/* Tasks followed now. */
guint follow_count(struct follow *f);

/* Whether @state is one a task passes through on its way to another (STARTING, STOPPING,
 * DELETING, PENDING, ...). */
bool follow_state_is_transient(const char *state);

#endif
