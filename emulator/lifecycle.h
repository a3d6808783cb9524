/* lifecycle: what the task control calls do to a task's state, at once and later.
 *
 * The table of the verbs each state allows (README.md, "Task control"), the transient state
 * an accepted call enters (start: STARTING, stop: STOPPING, delete: DELETING, create:
 * PENDING) and a background thread that settles it after a delay: STARTING -> RUNNING,
 * STOPPING -> STOPPED and PENDING -> RUNNING after the action delay, DELETING -> removed
 * after the delete delay, each with updated_at = now. A delay of 0 settles the task in the
 * caller's thread, before the call is answered.
 *
 * A task has at most one pending transition; a new call replaces it (stop during STARTING
 * cancels the RUNNING to come). A transition is dropped when it falls due and the task is no
 * longer in the state the call left it in (the churn or the control interface changed it) or
 * is gone.
 *
 * Locking: one mutex guards the delays and the pending transitions, and is held across the
 * store calls that check and enter a state, so a check and its transition are one step. Lock
 * order: lifecycle, then store. It changes tasks only through the store's interface; it does
 * not answer HTTP (taskctl.c). */
#pragma once

#include "store.h"

#include <glib.h>
#include <stdbool.h>

enum lifecycle_verb {
    LIFECYCLE_START,
    LIFECYCLE_STOP,
    LIFECYCLE_DELETE,
    LIFECYCLE_UPDATE,
    LIFECYCLE_VERB_COUNT
};

/* "start", "stop", "delete", "update". */
const char *lifecycle_verb_name(enum lifecycle_verb v);

/* True when a task in `state` (any string, documented or not) allows verb v. */
bool lifecycle_allows(const char *state, enum lifecycle_verb v);

/* The states v is allowed from, for messages: "STOPPED, FAILED, ..." or "every state but
 * DELETING". Static. */
const char *lifecycle_allowed_from(enum lifecycle_verb v);

struct lifecycle;

/* Settles tasks of s (borrowed; must outlive the lifecycle) after action_ms and delete_ms
 * milliseconds. Starts the thread. */
struct lifecycle *lifecycle_new(struct store *s, unsigned action_ms, unsigned delete_ms);
/* Stops and joins the thread; pending transitions are dropped. */
void lifecycle_free(struct lifecycle *l);

void lifecycle_delays(struct lifecycle *l, unsigned *action_ms, unsigned *delete_ms);
/* New delays, for the calls made from now on. */
void lifecycle_set_delays(struct lifecycle *l, unsigned action_ms, unsigned delete_ms);
/* How many transitions are waiting. */
guint lifecycle_pending_count(struct lifecycle *l);

/* Edits task id as store_update() does, unless a transition is waiting for it (-EBUSY): the
 * churn's way in, so it never undoes a control call's transient state. */
int lifecycle_edit_idle(struct lifecycle *l, const char *id, store_edit_fn edit, void *data);

/* Start, stop or delete (v) task id: checks that its state allows v and enters the transient
 * state in one step, then schedules the settled state. 0 with *entered set to the transient
 * state (static); -ENOENT when there is no such task; -EPERM when its state does not allow v,
 * with *state set to that state (caller frees). */
int lifecycle_act(struct lifecycle *l, const char *id, enum lifecycle_verb v, const char **entered,
                  char **state);

/* Adds new tasks (their state should be PENDING) to the store and schedules PENDING ->
 * RUNNING for each. As store_add(): takes the tasks; -EEXIST with *error on a duplicate id. */
int lifecycle_add(struct lifecycle *l, GPtrArray *tasks, GError **error);
