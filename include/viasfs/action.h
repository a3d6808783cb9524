/*
 * action: the calls that change the service, made for the tree (PRODUCT.md section 8):
 * start, stop and delete a task, update one part of it, create one. Each call is made once
 * (api.h) on a thread of its own, so that the writer's Ctrl-C ends its wait and not the call:
 * an interrupted call still finishes, is reported and followed. Every call, whatever its
 * result, is one log line at info level and one report to the owner (the tree writes it to
 * .viasfs/events). After a call that changed a task, the task is fetched again (an update at
 * once, before the call returns) and followed until it settles (follow.h); a new task is
 * fetched and the list of all tasks walked again at its next use.
 */
#ifndef VIASFS_ACTION_H
#define VIASFS_ACTION_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "viasfs/api.h"
#include "viasfs/cache.h"
#include "viasfs/follow.h"

/* What became of one call, as the owner is told. Strings are borrowed for the callback. */
struct action_report {
    const char *verb;    /* "start", "stop", "delete", "update" or "create" */
    const char *task;    /* the task's id; a create's new ids (one a line: one task per
                            input.data entry), NULL when it failed */
    const char *part;    /* an update's member ("name", "config", ...), else NULL */
    uid_t uid;           /* who asked */
    pid_t pid;
    int rc;              /* 0, or -errno */
    const char *message; /* why it failed (the API's code and message), or NULL */
    bool late;           /* no answer came, but the task, read again, shows it done */
};

struct action_config {
    struct api *api;       /* borrowed; outlives the action */
    struct cache *cache;   /* borrowed */
    struct follow *follow; /* borrowed */
    int timeout_s;         /* for the fetches after a call */
    /* Called once per call that was sent (or refused before sending: not for incomplete
     * input), from the calling thread, with no action lock held. */
    void (*on_report)(const struct action_report *r, void *data);
    void *data;
};

struct action;

struct action *action_new(const struct action_config *cfg);
/* Waits for calls in flight (cancel the http layer first to make that quick), then frees. */
void action_free(struct action *a);

/*
 * start, stop or delete task @id for user @uid's process @pid, waiting for the answer until
 * @deadline (the call itself has that deadline too). 0 when the service accepted it, -EINTR
 * when the caller's operation was interrupted (the call goes on), or the call's -errno with
 * *@why (caller frees) saying why.
 */
int action_verb(struct action *a, const char *id, enum api_verb verb, uid_t uid, pid_t pid,
                gint64 deadline, char **why);

/* An update of @part of task @id to @text (see api_update_task). As action_verb; -EINVAL with
 * *@why when @text is not valid (nothing sent). */
int action_update(struct action *a, const char *id, enum api_part part, const char *text,
                  size_t len, uid_t uid, pid_t pid, gint64 deadline, char **why);

/* A create from @text (see api_create_task): 0 and the new ids in *@id (one a line; caller
 * frees);
 * -EAGAIN when @text is not a whole object yet (nothing sent, nothing reported). As above. */
int action_create(struct action *a, const char *text, size_t len, uid_t uid, pid_t pid,
                  gint64 deadline, char **id, char **why);

/* Calls made since action_new, and calls that failed. */
void action_get_stats(struct action *a, guint64 *calls, guint64 *failed);

#endif
