/*
 * event_log: the stream behind .viasfs/events: JSON lines, each with a sequence number,
 * kept in a bounded ring. Readers keep their own cursor (the sequence number of the next line
 * they want), so several readers each get every line from the moment they opened. A listener
 * is told after every append (the fuse layer wakes blocked reads and polls). It formats
 * nothing: the tree composes the lines.
 */
#ifndef VIASFS_EVENT_LOG_H
#define VIASFS_EVENT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct event_log;

/* Keeps the last @capacity lines; a reader that falls further behind skips ahead. */
struct event_log *event_log_new(guint capacity);
void event_log_free(struct event_log *log);

/* Called after each append, with no event_log lock held. Set once, before use. */
void event_log_set_listener(struct event_log *log, void (*fn)(void *data), void *data);

/* Appends one line (a newline is added). Thread-safe. */
void event_log_append(struct event_log *log, const char *line);

/* The sequence number the next appended line will get (a new reader's cursor). */
guint64 event_log_end(struct event_log *log);

/*
 * A reader's position: the sequence number of the line it reads next, and how many bytes of
 * that line it already has (a line longer than one read spans several).
 */
struct event_cursor {
    guint64 seq;
    size_t offset;
};

/*
 * Copies lines from @cursor on into @out, at most @max bytes: whole lines, or, when the next
 * line alone is longer than @max, the next @max bytes of it. Advances @cursor. Returns the
 * number of bytes copied; 0 when nothing is available.
 */
size_t event_log_read(struct event_log *log, struct event_cursor *cursor, GString *out, size_t max);

/* Lines appended since the start. */
guint64 event_log_total(struct event_log *log);

#endif
