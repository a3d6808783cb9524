/*
 * task: one VIAS task as viasfs keeps it, immutable once another thread can see it, and
 * shared by reference across threads (the one change before that: task_fill_updated). It holds the
 * fields the tree needs as C strings and numbers, and the rendered text of every JSON file
 * (pretty-printed in the API's key order, secrets redacted unless asked otherwise). It is built
 * only by the api layer's parsers (task_from_json, task_page_parse), or from what viasfs kept of
 * one it built (a snapshot: task_new_blank, then task_check), and knows nothing about HTTP or FUSE.
 */
#ifndef VIASFS_TASK_H
#define VIASFS_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

struct task {
    gint refcount; /* atomic; see task_ref/task_unref */

    /* Strings are owned, NUL-terminated and valid UTF-8; NULL when the API gave none. */
    char *id; /* never NULL: printable ASCII, no '/', at most 128 bytes */
    char *name;
    char *state;             /* never NULL; any string the API sends (the state set is open) */
    char *status;            /* detail text, may be empty */
    char *video_source_name; /* the camera */
    char *title;             /* the algorithm name */
    char *type;
    char *service_id;
    char *algorithm_publish_id;
    char *creator;
    char *description;
    char *company;
    char *error_code;    /* from error.code */
    char *error_message; /* from error.message */
    gint64 created_ms;   /* epoch milliseconds, -1 when absent */
    gint64 updated_ms;   /* epoch milliseconds, -1 when absent; for a list summary that
                            shows a change, the cache sets the time it saw the change */

    /*
     * true when the object carried the detail-only fields (from the detail call, or a list
     * that returns whole objects); false for the 9-field list summary, whose JSON files
     * below then hold only what the summary had.
     */
    bool complete;

    /* Rendered files, each ending in "\n"; "null\n" when the task has no such object. */
    char *task_json;
    char *input_json;
    char *output_json;
    char *schedule_json;
    char *config_json;
    char *error_json;
};

/* How parsers render tasks. */
struct task_parse_opts {
    bool show_secrets; /* false: VCN passwords and header values become "***" */
};

struct task *task_ref(struct task *t);
void task_unref(struct task *t);
/* For g_autoptr(Task) only; code names the type "struct task". */
typedef struct task Task;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Task, task_unref)

/*
 * A task with a reference count of 1 and every field zero (strings NULL, times -1), for a
 * snapshot's loader to fill with strings it allocated with g_malloc (the task frees them).
 */
struct task *task_new_blank(void);

/*
 * Whether a task filled by a loader keeps the invariants the parsers give: a valid id, a
 * non-empty state, every string valid UTF-8, times -1 or later than 1970, every rendered file
 * present and ending in a newline. 0, or -EBADMSG with *@why (caller frees).
 */
int task_check(const struct task *t, char **why);

/* true when @id is usable as a task id: 1..128 bytes of [A-Za-z0-9._:-], not starting with '.'. */
bool task_id_is_valid(const char *id);

/* mtime for the tree: updated_at, else created_at, else 0. In milliseconds. */
gint64 task_mtime_ms(const struct task *t);
/* Gives a task without updated_at (a list summary) the time @ms its change was seen, so that
 * its files' mtime moves forward with the change. Only while no other thread can see @t (the
 * caller holds every reference); a task with updated_at is left as it is. */
void task_fill_updated(struct task *t, gint64 ms);

/*
 * A new task holding only what a list summary holds of @t (its detail-only fields dropped,
 * complete false), with the same mtime; NULL if out of memory. What the cache keeps of a
 * task whose detail it evicts.
 */
struct task *task_summary_of(const struct task *t);

/* Bytes @t holds: the struct and every string and rendered file, as allocated. The one
 * measure of a task's memory (the cache's bound and its size metric). */
size_t task_size(const struct task *t);

/*
 * Parses a detail answer (one task object, not wrapped). Returns 0 and a new reference in
 * *@out, or -EBADMSG with a description in *@why (caller frees) when the text is not JSON,
 * not an object, lacks a valid id or state, or has a field of the wrong type.
 */
int task_from_json(const char *text, size_t len, const struct task_parse_opts *opts,
                   struct task **out, char **why);

/*
 * Parses an epoch-seconds, epoch-milliseconds or ISO-8601 timestamp into epoch
 * milliseconds. Returns -1 when @s is none of those.
 */
gint64 task_parse_time(const char *s);

#endif
