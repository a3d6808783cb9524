/*
 * event_log: the stream behind .viasfs/events: JSON lines, each with a sequence number, kept
 * in a window bounded in lines and in bytes. Each line that is a JSON object gets its number
 * as its first member, "seq": numbers go up by one per line, from a first number the owner
 * chooses (so that they keep going up across a remount: see persist.h). Readers keep their
 * own cursor (the number of the next line they want), so several readers each get every line
 * from the moment they opened; a reader may move its cursor back to any retained line
 * (event_log_seek: "since N"), and is told which lines it can no longer have. A listener is
 * told after every append (the fuse layer wakes blocked reads and polls). It formats nothing
 * but the "seq" member: the tree composes the lines.
 */
#ifndef VIASFS_EVENT_LOG_H
#define VIASFS_EVENT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

/* The retained window's bounds in main.c's log (documented in the README and the manual). */
#define EVENT_LOG_MAX_LINES 65536
#define EVENT_LOG_MAX_BYTES (16u << 20)

struct event_log;

/*
 * Keeps the last @max_lines lines, and no more than @max_bytes bytes of them (the newest line
 * always stays); a reader that falls further behind skips ahead. The first line appended gets
 * sequence number @first_seq (>= 1).
 */
struct event_log *event_log_new(guint max_lines, size_t max_bytes, guint64 first_seq);
void event_log_free(struct event_log *log);

/* Called after each append, with no event_log lock held. Set once, before use. */
void event_log_set_listener(struct event_log *log, void (*fn)(void *data), void *data);

/* Appends one line (a newline is added; a line starting with '{' gets "seq" as its first
 * member). Thread-safe. */
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

/* Lines that a reader asked for and can no longer have (event_log_seek). */
struct event_gap {
    guint64 from, to; /* inclusive; to < from when the range is empty (see below) */
    bool ahead;       /* the reader's number is past this log's last line: it comes from
                         another history (a mount that did not start from its snapshot) */
};

/*
 * "since @since": moves @cursor to the first retained line after @since. Returns false when
 * every line after @since is still retained (none is missed). Returns true with @gap filled
 * when some are not: lines @since+1 .. first retained - 1 were dropped from the window, or
 * (@gap->ahead) @since is past the last line appended, so the reader's history is not this
 * log's: then the cursor moves to the end (live lines only) and the gap is every line this
 * log has numbered, from its first number to its last (empty when none was appended yet).
 */
bool event_log_seek(struct event_log *log, struct event_cursor *cursor, guint64 since,
                    struct event_gap *gap);

/*
 * Whether @cursor fell behind the window (lines it had not read were dropped): then it moves
 * to the first retained line and @gap names the lines it missed. A plain reader skips them
 * silently (event_log_read); one that resumed with "since N" is told, as it was at first.
 */
bool event_log_behind(struct event_log *log, struct event_cursor *cursor, struct event_gap *gap);

/* The retained window, for .viasfs/status and metrics. */
struct event_window {
    guint64 lines, bytes;         /* retained now */
    guint64 first_seq, last_seq;  /* of the retained lines; last < first when none */
    guint64 max_lines, max_bytes; /* the bounds */
};
void event_log_window(struct event_log *log, struct event_window *out);

/* Lines appended since this log was created (this mount's events). */
guint64 event_log_total(struct event_log *log);

/* The sequence number of the last line appended, or first_seq - 1 when none was. */
guint64 event_log_last_seq(struct event_log *log);

/*
 * The first number of a log that continues no earlier one (no snapshot, or one not written at
 * a clean unmount): the time now in milliseconds times 1000, so that numbers never go back
 * across mounts (a reader's N from an earlier mount is then always before this log's lines,
 * and it is told they are lost instead of silently skipping this mount's first lines).
 */
guint64 event_log_seq_from_clock(void);

/* "since N" written to .viasfs/events: one line "since N" (decimal, a final newline
 * optional). 0 with *@since, or -EINVAL for anything else. */
int event_log_parse_since(const char *buf, size_t size, guint64 *since);

#endif
