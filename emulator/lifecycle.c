/* lifecycle: what the task control calls do to a task's state (see lifecycle.h). */
#include "lifecycle.h"

#include <errno.h>
#include <string.h>

/* The states each verb is allowed from; delete and update are allowed from every state but
 * DELETING (undocumented states included), start and stop only from these. */
static const char *const start_from[] = {"STOPPED", "FAILED", "START_FAILED", "SUCCEEDED",
                                         "LACK_OF_RESOURCES"};
static const char *const stop_from[] = {"RUNNING",    "STARTING", "PENDING",  "SCHEDULING",
                                        "RECOVERING", "ABNORMAL", "UPGRADING"};

static const char *const verb_names[LIFECYCLE_VERB_COUNT] = {
    [LIFECYCLE_START] = "start",
    [LIFECYCLE_STOP] = "stop",
    [LIFECYCLE_DELETE] = "delete",
    [LIFECYCLE_UPDATE] = "update",
};

const char *lifecycle_verb_name(enum lifecycle_verb v)
{
    return verb_names[v];
}

static bool in_list(const char *state, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (g_strcmp0(state, list[i]) == 0)
            return true;
    return false;
}

bool lifecycle_allows(const char *state, enum lifecycle_verb v)
{
    switch (v) {
    case LIFECYCLE_START:
        return in_list(state, start_from, G_N_ELEMENTS(start_from));
    case LIFECYCLE_STOP:
        return in_list(state, stop_from, G_N_ELEMENTS(stop_from));
    default:
        return g_strcmp0(state, "DELETING") != 0;
    }
}

const char *lifecycle_allowed_from(enum lifecycle_verb v)
{
    switch (v) {
    case LIFECYCLE_START:
        return "STOPPED, FAILED, START_FAILED, SUCCEEDED, LACK_OF_RESOURCES";
    case LIFECYCLE_STOP:
        return "RUNNING, STARTING, PENDING, SCHEDULING, RECOVERING, ABNORMAL, UPGRADING";
    default:
        return "every state but DELETING";
    }
}

/* A change due later: task in `from` becomes `to` (NULL: removed). */
struct pending {
    gint64 due_us;    /* monotonic */
    const char *from; /* static */
    const char *to;   /* static, or NULL */
};

struct lifecycle {
    struct store *store; /* borrowed */
    GThread *thread;
    GMutex lock; /* protects everything below, and is held across the store calls */
    GCond wake;  /* signalled on a new transition and on stop */
    unsigned action_ms;
    unsigned delete_ms;
    GHashTable *pending; /* task id (owned) -> struct pending * (owned) */
    bool stop;
};

struct transition {
    const char *from; /* NULL: any state allowing verb */
    const char *to;
    enum lifecycle_verb verb;
    char *refused; /* out: the state that refused the verb (owned) */
};

/* Moves the record from `from` (or a state allowing the verb) to `to`. */
static int transition_edit(cJSON *record, void *data)
{
    struct transition *t = data;
    const char *state = json_string(record, "state");
    bool ok = t->from != NULL ? g_strcmp0(state, t->from) == 0 : lifecycle_allows(state, t->verb);
    if (!ok) {
        t->refused = g_strdup(state != NULL ? state : "");
        return -EPERM;
    }
    task_record_set_state(record, t->to, NULL, task_time_now());
    return 0;
}

/* Applies p to task id now. Caller holds l->lock. */
static void lifecycle_settle(struct lifecycle *l, const char *id, const struct pending *p)
{
    if (p->to == NULL) {
        store_remove_in_state(l->store, id, p->from);
        return;
    }
    struct transition t = {.from = p->from, .to = p->to};
    store_update(l->store, id, transition_edit, &t, NULL, NULL);
    g_free(t.refused);
}

/* Settles task id from `from` to `to` after delay_ms (0: now). Caller holds l->lock. */
static void lifecycle_schedule(struct lifecycle *l, const char *id, const char *from,
                               const char *to, unsigned delay_ms)
{
    struct pending p = {g_get_monotonic_time() + (gint64)delay_ms * 1000, from, to};
    if (delay_ms == 0) {
        g_hash_table_remove(l->pending, id);
        lifecycle_settle(l, id, &p);
        return;
    }
    g_hash_table_replace(l->pending, g_strdup(id), g_memdup2(&p, sizeof(p)));
    g_cond_broadcast(&l->wake);
}

static gpointer lifecycle_run(gpointer data)
{
    struct lifecycle *l = data;
    g_mutex_lock(&l->lock);
    while (!l->stop) {
        gint64 now = g_get_monotonic_time();
        gint64 first = G_MAXINT64;
        g_autoptr(GPtrArray) due = g_ptr_array_new_with_free_func(g_free);
        GHashTableIter it;
        gpointer key, value;
        g_hash_table_iter_init(&it, l->pending);
        while (g_hash_table_iter_next(&it, &key, &value)) {
            const struct pending *p = value;
            if (p->due_us <= now)
                g_ptr_array_add(due, g_strdup(key));
            else
                first = MIN(first, p->due_us);
        }
        for (guint i = 0; i < due->len; i++) {
            const char *id = due->pdata[i];
            struct pending p = *(struct pending *)g_hash_table_lookup(l->pending, id);
            g_hash_table_remove(l->pending, id);
            lifecycle_settle(l, id, &p);
        }
        if (due->len > 0)
            continue;
        if (first == G_MAXINT64)
            g_cond_wait(&l->wake, &l->lock);
        else
            g_cond_wait_until(&l->wake, &l->lock, first);
    }
    g_mutex_unlock(&l->lock);
    return NULL;
}

struct lifecycle *lifecycle_new(struct store *s, unsigned action_ms, unsigned delete_ms)
{
    struct lifecycle *l = g_new0(struct lifecycle, 1);
    l->store = s;
    l->action_ms = action_ms;
    l->delete_ms = delete_ms;
    l->pending = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_mutex_init(&l->lock);
    g_cond_init(&l->wake);
    l->thread = g_thread_new("lifecycle", lifecycle_run, l);
    return l;
}

void lifecycle_free(struct lifecycle *l)
{
    if (l == NULL)
        return;
    g_mutex_lock(&l->lock);
    l->stop = true;
    g_cond_broadcast(&l->wake);
    g_mutex_unlock(&l->lock);
    g_thread_join(l->thread);
    g_hash_table_unref(l->pending);
    g_cond_clear(&l->wake);
    g_mutex_clear(&l->lock);
    g_free(l);
}

void lifecycle_delays(struct lifecycle *l, unsigned *action_ms, unsigned *delete_ms)
{
    g_mutex_lock(&l->lock);
    *action_ms = l->action_ms;
    *delete_ms = l->delete_ms;
    g_mutex_unlock(&l->lock);
}

void lifecycle_set_delays(struct lifecycle *l, unsigned action_ms, unsigned delete_ms)
{
    g_mutex_lock(&l->lock);
    l->action_ms = action_ms;
    l->delete_ms = delete_ms;
    g_mutex_unlock(&l->lock);
}

guint lifecycle_pending_count(struct lifecycle *l)
{
    g_mutex_lock(&l->lock);
    guint n = g_hash_table_size(l->pending);
    g_mutex_unlock(&l->lock);
    return n;
}

int lifecycle_edit_idle(struct lifecycle *l, const char *id, store_edit_fn edit, void *data)
{
    g_mutex_lock(&l->lock);
    int rc = g_hash_table_contains(l->pending, id)
                 ? -EBUSY
                 : store_update(l->store, id, edit, data, NULL, NULL);
    g_mutex_unlock(&l->lock);
    return rc;
}

int lifecycle_act(struct lifecycle *l, const char *id, enum lifecycle_verb v, const char **entered,
                  char **state)
{
    static const char *const transient[] = {
        [LIFECYCLE_START] = "STARTING",
        [LIFECYCLE_STOP] = "STOPPING",
        [LIFECYCLE_DELETE] = "DELETING",
    };
    static const char *const settled[] = {
        [LIFECYCLE_START] = "RUNNING",
        [LIFECYCLE_STOP] = "STOPPED",
        [LIFECYCLE_DELETE] = NULL,
    };
    g_return_val_if_fail(v != LIFECYCLE_UPDATE, -EINVAL);
    struct transition t = {.from = NULL, .to = transient[v], .verb = v};
    g_mutex_lock(&l->lock);
    int rc = store_update(l->store, id, transition_edit, &t, NULL, NULL);
    if (rc == 0) {
        *entered = transient[v];
        lifecycle_schedule(l, id, transient[v], settled[v],
                           v == LIFECYCLE_DELETE ? l->delete_ms : l->action_ms);
    } else if (rc == -EPERM) {
        *state = g_steal_pointer(&t.refused);
    }
    g_mutex_unlock(&l->lock);
    g_free(t.refused);
    return rc == -ENOENT || rc == -EPERM ? rc : rc < 0 ? -EIO : 0;
}

int lifecycle_add(struct lifecycle *l, GPtrArray *tasks, GError **error)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < tasks->len; i++)
        g_ptr_array_add(ids, g_strdup(((struct task *)tasks->pdata[i])->id));
    g_mutex_lock(&l->lock);
    int rc = store_add(l->store, tasks, error);
    for (guint i = 0; rc == 0 && i < ids->len; i++)
        lifecycle_schedule(l, ids->pdata[i], "PENDING", "RUNNING", l->action_ms);
    g_mutex_unlock(&l->lock);
    return rc;
}
