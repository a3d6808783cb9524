/*
 * history: the state changes viasfs has seen for each task, oldest first, behind
 * tasks/<id>/history: the state when the task was first seen, then one line per change of its
 * state. Kept per task id, at most HISTORY_MAX_LINES lines each (the oldest go first), for
 * the life of the mount and across remounts through the snapshot (persist.h). Each line is one
 * JSON object:
 *   {"time":"2026-11-28T17:00:00.123Z","old":"RUNNING","new":"FAILED","updated_at":"..."}
 * time: when viasfs saw it; old: null on the first line; updated_at: the task's updated_at
 * when the API gave one with the change (a detail; a list summary has none), else null.
 * It knows nothing about inodes or notifications: the tree asks it and tells the kernel.
 * Thread-safe: one mutex; every function may be called from any thread.
 */
#ifndef VIASFS_HISTORY_H
#define VIASFS_HISTORY_H

#include <stdbool.h>
#include <glib.h>

/* Lines kept per task (documented in the README and the manual). */
#define HISTORY_MAX_LINES 100

struct history;

/* One line. Strings are owned by the struct history they came from (or the caller's). */
struct history_entry {
    gint64 seen_ms;        /* epoch milliseconds */
    gint64 updated_ms;     /* epoch milliseconds, -1: the API gave none */
    const char *old_state; /* NULL on the first line */
    const char *new_state; /* never NULL */
};

struct history *history_new(guint max_lines);
void history_free(struct history *h);

/*
 * Task @id was seen in @new_state at @seen_ms (@updated_ms: the API's updated_at, or -1). Adds
 * the first line when the task has none, or a line from the last line's state when the state
 * differs from it; nothing otherwise. Returns true when a line was added.
 */
bool history_note(struct history *h, const char *id, const char *new_state, gint64 seen_ms,
                  gint64 updated_ms);

/* The file's content (empty when the task has no line) and the time of its last line (0 when
 * none). New reference. */
GBytes *history_render(struct history *h, const char *id, gint64 *mtime_ms);

/* A copy of @id's lines, oldest first (struct history_entry whose strings the array owns:
 * free with g_array_unref); NULL when it has none. For the snapshot. */
GArray *history_get(struct history *h, const char *id);

/* Replaces @id's lines with @n entries (copied; the newest HISTORY_MAX_LINES kept). For a
 * snapshot being loaded. */
void history_set(struct history *h, const char *id, const struct history_entry *entries, guint n);

/* Tasks with lines, and lines in all. */
void history_count(struct history *h, guint *tasks, guint64 *lines);

#endif
