/*
 * event: one change as the user reads it in .viasfs/events, and its JSON line:
 *   {"time":"2026-11-28T17:00:00.123Z","task_id":"...","task_name":"...",
 *    "change":"state","old":"RUNNING","new":"FAILED"}
 * change is "state", "added", "removed", or the name of a changed detail field ("name",
 * "status", "error", "camera", "algorithm", "detail"); old/new are strings or null. The event
 * log puts "seq" first (event_log.h).
 * A reader that resumes with "since N" and cannot have every line after N first gets
 *   {"seq":B,"time":"...","type":"lost","from":A,"to":B,"reason":"..."}
 * (event_lost_to_json): lines A..B are not coming; B is the number to resume after.
 */
#ifndef VIASFS_EVENT_H
#define VIASFS_EVENT_H

#include <stdbool.h>
#include <glib.h>

struct event {
    gint64 time_ms; /* epoch milliseconds */
    const char *task_id;
    const char *task_name; /* NULL -> null */
    const char *change;
    const char *old_value; /* NULL -> null */
    const char *new_value; /* NULL -> null */
};

/* The event as one JSON line without a newline. Invalid UTF-8 is replaced. Caller frees. */
char *event_to_json(const struct event *e);

/*
 * One control call (PRODUCT.md section 8), audited:
 *   {"time":"...","type":"control","verb":"stop","task_id":"...","part":null,"uid":1000,
 *    "pid":4242,"result":"ok","message":null}
 * verb is start, stop, delete, update (part names what: "config", "name", ...) or create
 * (task_id is the new task's, null when none was made); result is "ok" or the errno's name
 * ("EINVAL"); message says why it failed, or that an unanswered call was found done.
 */
struct event_control {
    gint64 time_ms;
    const char *verb;
    const char *task_id; /* NULL -> null */
    const char *part;    /* NULL -> null */
    guint32 uid;
    gint32 pid;
    int rc; /* 0 or -errno */
    const char *message; /* NULL -> null */
};
char *event_control_to_json(const struct event_control *e);
/* The "lost" line for lines @from..@to (@to < @from: none had a number yet), said to come from
 * another history when @ahead (see event_log_seek). Caller frees. */
char *event_lost_to_json(gint64 time_ms, guint64 from, guint64 to, bool ahead);

#endif
