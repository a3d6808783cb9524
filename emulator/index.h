/* index: tasks grouped by one string key (a state, a camera name, a title...).
 *
 * A hash from each distinct key to the tasks that have it, so that an exact filter touches
 * only its own tasks, and a loose (substring, ASCII-case-insensitive) filter searches the
 * distinct keys, never the tasks: the folded keys are kept end to end in one buffer, rebuilt
 * on the first loose search after the key set changed, so one memmem() pass finds them all.
 *
 * Locking: the owner (the store) guards the index with its read-write lock: index_add and
 * index_remove under the write lock, index_match under the read lock. The search buffer has
 * its own mutex, since concurrent readers may both want to rebuild it. Tasks are borrowed. */
#pragma once

#include "task.h"

#include <glib.h>
#include <stdbool.h>

struct index {
    GHashTable *entries;       /* char *key -> struct index_entry *; owns both */
    bool dirty;                /* the key set changed since the search buffer was built */
    GMutex search_lock;        /* protects the three below */
    GString *search;           /* every entry's folded key followed by a NUL */
    GPtrArray *search_entries; /* struct index_entry * (borrowed), in buffer order */
    GArray *search_offsets;    /* guint: where each entry's key starts in the buffer */
};

void index_init(struct index *ix);
void index_release(struct index *ix);

/* Files task t under key (a NULL key files nothing). */
void index_add(struct index *ix, const char *key, struct task *t);
/* Removes task t from under key; drops the key when it has no task left. */
void index_remove(struct index *ix, const char *key, struct task *t);

/* Files `now` where `was` was filed under key (both have that key). */
void index_replace(struct index *ix, const char *key, struct task *was, struct task *now);

/* Calls fn(task, data) for every task whose key equals `value` (exact) or contains it,
 * ignoring ASCII case (loose). Returns the number of calls. */
guint index_match(struct index *ix, const char *value, bool loose,
                  void (*fn)(struct task *t, void *data), void *data);
