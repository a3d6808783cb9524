/*
 * listing: the result of one walk of a list view (all tasks, or those of one directory of a
 * view: one state, camera or algorithm), as task slots in the API's order. It grows while its walk
 * runs, so a reader can consume the first page while later pages are still being fetched; once done
 * it never changes. Shared by reference between the walking thread and every reader. It does not
 * fetch anything itself (the cache runs walks) and holds no task data, only slots.
 */
#ifndef VIASFS_LISTING_H
#define VIASFS_LISTING_H

#include <stdbool.h>
#include <glib.h>

#include "viasfs/view.h"

struct listing;

/* A new, empty, running listing of @view's directory @value, or of every task (@view and
 * @value NULL). */
struct listing *listing_new(const struct view *view, const char *value);
struct listing *listing_ref(struct listing *l);
void listing_unref(struct listing *l);

const struct view *listing_view(const struct listing *l); /* NULL: every task */
const char *listing_value(const struct listing *l);       /* borrowed; NULL for every task */

/* Walker side: append slots (in order), then finish once with 0 or -errno. Thread-safe. */
void listing_append(struct listing *l, const guint32 *slots, guint n);
void listing_finish(struct listing *l, int error);
/* The same, dated @done_us (monotonic): a listing derived from another is as old as it. */
void listing_finish_at(struct listing *l, int error, gint64 done_us);
/* Walker side: whether anyone but @owners holders (the walk, the cache's table) still holds
 * @l, so that a walk nobody waits for can stop. */
bool listing_is_wanted(struct listing *l, int owners);

/* listing_wait's answer when the walk completed with no entry @index: the end, not an error. */
#define LISTING_END 1

/*
 * Reader side: waits until entry @index exists or the walk ended, at most until @deadline.
 * Returns 0 (entry exists), LISTING_END (the walk succeeded and has fewer entries), the
 * walk's -errno (it failed before reaching @index, whatever the errno: never an end), or
 * -ETIMEDOUT, or -EINTR when the calling thread's operation was interrupted (interrupt.h).
 */
int listing_wait(struct listing *l, guint index, gint64 deadline);
/* Waits until the walk is done; returns its result, -ETIMEDOUT or -EINTR. */
int listing_wait_done(struct listing *l, gint64 deadline);

/* Entry @index; only valid after listing_wait returned 0 for it. */
guint32 listing_slot(struct listing *l, guint index);
/* Entries so far. */
guint listing_length(struct listing *l);
/* Whether the walk has ended, its result, and when it ended (monotonic us, 0 if running). */
bool listing_done(struct listing *l, int *error, gint64 *done_us);

#endif
