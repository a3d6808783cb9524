/*
 * scan: recognises reads that walk the tasks one after another, in the listing's order (as
 * `find` and `ls` give them) or sorted by id (as a shell glob such as tasks/STAR/output.json
 * gives them), and says which tasks to fetch ahead so that the next reads find their data
 * already there. Pure bookkeeping: no locking (its owner's lock protects it), no fetching.
 */
#ifndef VIASFS_SCAN_H
#define VIASFS_SCAN_H

#include <glib.h>

struct scan;

/* Fetches up to @depth tasks ahead of a recognised scan. */
struct scan *scan_new(guint depth);
void scan_free(struct scan *s);

/*
 * The order tasks are walked in: @slots[0..n) in listing order, with @ids[i] the id of
 * slots[i] (borrowed for the call). @basis identifies the listing: the same basis again is
 * a no-op, so callers may call this before every scan_read.
 */
void scan_set_basis(struct scan *s, gconstpointer basis, const guint32 *slots,
                    const char *const *ids, guint n);
gconstpointer scan_basis(const struct scan *s);

/*
 * A read of @slot's detail (whether it was there or not) by process @reader, a child of
 * @family (0: unknown). Readers are told apart (the 64 most recent kept): when the read
 * continues @reader's walk in either order (its third read in a row that comes a little
 * after, or before, its previous one), appends to @ahead the slots that follow it in that
 * direction, up to the depth, skipping those already handed out for this walk. The reads of
 * processes that read one task each (a shell loop's) make a walk of their family's.
 */
void scan_read(struct scan *s, guint32 reader, guint32 family, guint32 slot, GArray *ahead);

#endif
