/* action: control calls on threads of their own, reported and followed (see action.h). */
#include "viasfs/action.h"
#include "viasfs/interrupt.h"
#include "viasfs/log.h"
#include "viasfs/purpose.h"

#include <errno.h>
#include <string.h>

enum job_kind { JOB_VERB, JOB_UPDATE, JOB_CREATE };

static const char *const part_names[] = {
    [API_PART_NAME] = "name",
    [API_PART_INPUT] = "input",
    [API_PART_OUTPUT] = "output",
    [API_PART_SCHEDULE] = "schedule",
    [API_PART_CONFIG] = "config",
};

/* One call. Shared by its thread and its waiter (refs); results under the action's lock. */
struct job {
    gint refs; /* atomic */
    struct action *a;
    enum job_kind kind;
    char *id; /* the task (a create: NULL until it is known) */
    enum api_verb verb;
    enum api_part part;
    char *text;
    size_t len;
    uid_t uid;
    pid_t pid;
    gint64 deadline;
    char *state_before; /* the task's cached state before the call, or NULL */
    /* Results, under a->lock. */
    bool done;
    int rc;
    char *why;
};

struct action {
    struct action_config cfg;
    GMutex lock;   /* protects the jobs' results, running and the counters */
    GCond changed; /* a job is done */
    guint running; /* jobs whose threads have not ended */
    guint64 calls, failed;
};

static void job_unref(struct job *j)
{
    if (!g_atomic_int_dec_and_test(&j->refs))
        return;
    g_free(j->id);
    if (j->text)
        explicit_bzero(j->text, j->len); /* may hold secrets */
    g_free(j->text);
    g_free(j->state_before);
    g_free(j->why);
    g_free(j);
}

static const char *job_verb(const struct job *j)
{
    return j->kind == JOB_VERB ? api_verb_name(j->verb) : j->kind == JOB_UPDATE ? "update" : "create";
}

/* After a call that changed task @j->id: fetch it again and follow it (see action.h). */
static void after_success(struct action *a, struct job *j)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)a->cfg.timeout_s * G_USEC_PER_SEC;
    g_autoptr(Task) task = NULL;
    guint32 slot;
    gint64 until;

    switch (j->kind) {
    case JOB_UPDATE: /* the new content, before the writer's close returns */
        cache_expire_task(a->cfg.cache, j->id);
        cache_get_task(a->cfg.cache, j->id, true, deadline, &task, &slot, &until);
        break;
    case JOB_CREATE: { /* one task per input.data entry: their ids, one a line */
        g_auto(GStrv) ids = g_strsplit(j->id, "\n", -1);
        for (char **id = ids; *id; id++) {
            g_clear_pointer(&task, task_unref);
            cache_get_task(a->cfg.cache, *id, true, deadline, &task, &slot, &until);
            follow_task(a->cfg.follow, *id, NULL);
        }
        cache_forget_listing(a->cfg.cache, NULL, NULL);
        break;
    }
    case JOB_VERB:
        follow_task(a->cfg.follow, j->id, j->state_before);
        break;
    }
}

static gpointer job_run(gpointer data)
{
    struct job *j = data;
    struct action *a = j->a;
    struct api_error err;
    bool late = false;
    char *new_id = NULL;
    int rc = 0;

    /* Counted as control: the call the user asked for (not paced) and what follows it. */
    purpose_set(PURPOSE_CONTROL);
    api_error_init(&err);
    switch (j->kind) {
    case JOB_VERB:
        rc = api_task_action(a->cfg.api, j->id, j->verb, j->deadline, &late, &err);
        break;
    case JOB_UPDATE:
        rc = api_update_task(a->cfg.api, j->id, j->part, j->text, j->len, j->deadline, &late,
                             &err);
        break;
    case JOB_CREATE:
        rc = api_create_task(a->cfg.api, j->text, j->len, j->deadline, &new_id, &err);
        if (new_id)
            j->id = new_id; /* only this thread touches id until done is set */
        break;
    }
    g_autofree char *why = rc < 0 ? api_error_describe(&err) : NULL;
    if (rc == 0)
        after_success(a, j);
    else if (j->kind == JOB_VERB && rc != -EINVAL && rc != -EACCES)
        follow_task(a->cfg.follow, j->id, j->state_before); /* whatever happened: show it */

    struct action_report r = {.verb = job_verb(j),
                              .task = j->id,
                              .part = j->kind == JOB_UPDATE ? part_names[j->part] : NULL,
                              .uid = j->uid,
                              .pid = j->pid,
                              .rc = rc,
                              .message = why,
                              .late = late};
    log_info("control: %s%s%s of task %s by uid %u pid %d: %s%s", r.verb, r.part ? " " : "",
             r.part ? r.part : "", r.task ? r.task : "(none)", (unsigned)r.uid, (int)r.pid,
             rc == 0 ? "done" : g_strerror(-rc),
             late ? " (no answer, but the task read again shows it done)" : "");
    if (a->cfg.on_report)
        a->cfg.on_report(&r, a->cfg.data);
    api_error_release(&err);

    g_mutex_lock(&a->lock);
    a->calls++;
    a->failed += rc < 0;
    j->rc = rc;
    j->why = g_steal_pointer(&why);
    j->done = true;
    g_cond_broadcast(&a->changed);
    g_mutex_unlock(&a->lock);
    job_unref(j);

    g_mutex_lock(&a->lock);
    a->running--;
    g_cond_broadcast(&a->changed);
    g_mutex_unlock(&a->lock);
    return NULL;
}

/*
 * Runs @j on its own thread and waits for it, interruptibly. Returns its result, -EINTR when
 * the caller was interrupted, -ETIMEDOUT when it outlived every bound. Takes @j.
 */
static int job_start_wait(struct action *a, struct job *j, char **why, char **new_id)
{
    gint64 span = MAX(j->deadline - g_get_monotonic_time(), G_USEC_PER_SEC);
    /* A call whose answer was lost reads the task again, with as long again. */
    gint64 bound = j->deadline + span + 2 * G_USEC_PER_SEC;
    GThread *thread;
    int rc = 0;

    j->a = a;
    j->refs = 2;
    if (j->kind != JOB_CREATE) {
        guint32 slot;
        if (cache_find_slot(a->cfg.cache, j->id, &slot)) {
            g_autoptr(Task) task = cache_peek_slot(a->cfg.cache, slot);
            j->state_before = task ? g_strdup(task->state) : NULL;
        }
    }
    g_mutex_lock(&a->lock);
    a->running++;
    g_mutex_unlock(&a->lock);
    thread = g_thread_new("action", job_run, j);
    g_thread_unref(thread);

    g_mutex_lock(&a->lock);
    while (!j->done && rc == 0)
        rc = interrupt_cond_wait(&a->changed, &a->lock, bound);
    if (j->done) {
        rc = j->rc;
        if (why)
            *why = g_strdup(j->why);
        if (new_id)
            *new_id = g_strdup(j->id);
    } else if (why) {
        *why = g_strdup(rc == -EINTR ? "interrupted while waiting for the answer: the call goes "
                                       "on, and its result will be in .viasfs/events"
                                     : "no result in time: the call goes on");
    }
    g_mutex_unlock(&a->lock);
    job_unref(j);
    return rc;
}

struct action *action_new(const struct action_config *cfg)
{
    struct action *a = g_new0(struct action, 1);

    a->cfg = *cfg;
    g_mutex_init(&a->lock);
    g_cond_init(&a->changed);
    return a;
}

void action_free(struct action *a)
{
    if (!a)
        return;
    g_mutex_lock(&a->lock);
    while (a->running > 0)
        g_cond_wait(&a->changed, &a->lock);
    g_mutex_unlock(&a->lock);
    g_mutex_clear(&a->lock);
    g_cond_clear(&a->changed);
    g_free(a);
}

int action_verb(struct action *a, const char *id, enum api_verb verb, uid_t uid, pid_t pid,
                gint64 deadline, char **why)
{
    struct job *j = g_new0(struct job, 1);

    *j = (struct job){.kind = JOB_VERB,
                      .id = g_strdup(id),
                      .verb = verb,
                      .uid = uid,
                      .pid = pid,
                      .deadline = deadline};
    return job_start_wait(a, j, why, NULL);
}

int action_update(struct action *a, const char *id, enum api_part part, const char *text,
                  size_t len, uid_t uid, pid_t pid, gint64 deadline, char **why)
{
    struct job *j = g_new0(struct job, 1);

    *j = (struct job){.kind = JOB_UPDATE,
                      .id = g_strdup(id),
                      .part = part,
                      .text = g_memdup2(text, len),
                      .len = len,
                      .uid = uid,
                      .pid = pid,
                      .deadline = deadline};
    return job_start_wait(a, j, why, NULL);
}

int action_create(struct action *a, const char *text, size_t len, uid_t uid, pid_t pid,
                  gint64 deadline, char **id, char **why)
{
    struct job *j;
    int rc = api_create_check(text, len, why);

    *id = NULL;
    if (rc == -EAGAIN)
        return rc;
    j = g_new0(struct job, 1);
    *j = (struct job){.kind = JOB_CREATE,
                      .text = g_memdup2(text, len),
                      .len = len,
                      .uid = uid,
                      .pid = pid,
                      .deadline = deadline};
    if (rc < 0) { /* the API layer refuses it and reports why, like a refused call */
        g_clear_pointer(why, g_free);
    }
    return job_start_wait(a, j, why, id);
}

void action_get_stats(struct action *a, guint64 *calls, guint64 *failed)
{
    g_mutex_lock(&a->lock);
    *calls = a->calls;
    *failed = a->failed;
    g_mutex_unlock(&a->lock);
}
