/* follow: tasks fetched every second after an action until they settle (see follow.h). */
#include "viasfs/follow.h"
#include "viasfs/log.h"
#include "viasfs/purpose.h"

#include <errno.h>
#include <string.h>

#define FOLLOW_PERIOD_US G_USEC_PER_SEC
/* A task that still shows its old state is given this long to show the action. */
#define FOLLOW_GRACE_US (10 * G_USEC_PER_SEC)

struct followed {
    char *id;
    char *state_before; /* NULL for a new task */
    gint64 since_us;    /* monotonic: when following began */
};

struct follow {
    struct cache *cache;   /* borrowed */
    struct budget *budget; /* borrowed; may be NULL */
    gint64 timeout_us;
    gint64 bound_us;
    GMutex lock;     /* protects tasks, stop, thread */
    GCond wake;      /* a task added, or stop */
    GPtrArray *tasks; /* struct followed * */
    GThread *thread;
    gint stop; /* atomic */
};

static void followed_free(gpointer p)
{
    struct followed *x = p;

    g_free(x->id);
    g_free(x->state_before);
    g_free(x);
}

bool follow_state_is_transient(const char *state)
{
    static const char *const transient[] = {"PENDING",  "STARTING",   "STOPPING",  "DELETING",
                                            "RECOVERING", "UPGRADING", "FREEZING", "SCHEDULING",
                                            NULL};

    for (const char *const *s = transient; state && *s; s++)
        if (strcmp(state, *s) == 0)
            return true;
    return false;
}

/* One fetch of @x. Returns true when it has settled (or cannot be followed any more). */
static bool follow_one(struct follow *f, const struct followed *x)
{
    g_autoptr(Task) task = NULL;
    guint32 slot;
    gint64 until, now = g_get_monotonic_time();
    int rc;

    /* Background work: within the budget, or at the next round. */
    if (budget_take(f->budget, 1, now + FOLLOW_PERIOD_US) < 0)
        return now - x->since_us > f->bound_us;
    cache_expire_task(f->cache, x->id);
    rc = cache_get_task(f->cache, x->id, true, now + f->timeout_us, &task, &slot, &until);
    if (rc == -ENOENT)
        return true; /* gone: the cache has told the tree */
    if (now - x->since_us > f->bound_us) {
        log_info("follow: %s has not settled after %lld s; left to the refresh", x->id,
                 (long long)(f->bound_us / G_USEC_PER_SEC));
        return true;
    }
    if (rc < 0)
        return false; /* try again next second */
    if (follow_state_is_transient(task->state))
        return false;
    /* Still the state it had before the action: the service may not show the change yet. */
    if (x->state_before && strcmp(task->state, x->state_before) == 0 &&
        now - x->since_us < FOLLOW_GRACE_US)
        return false;
    return true;
}

static gpointer follow_main(gpointer data)
{
    struct follow *f = data;

    purpose_set(PURPOSE_CONTROL);
    g_mutex_lock(&f->lock);
    while (!f->stop) {
        if (f->tasks->len == 0) {
            g_cond_wait(&f->wake, &f->lock);
            continue;
        }
        /* Work on copies: follow_task may add while a fetch runs. */
        g_autoptr(GPtrArray) round = g_ptr_array_new_with_free_func(followed_free);
        for (guint i = 0; i < f->tasks->len; i++) {
            struct followed *x = g_ptr_array_index(f->tasks, i), *y = g_new0(struct followed, 1);
            *y = (struct followed){g_strdup(x->id), g_strdup(x->state_before), x->since_us};
            g_ptr_array_add(round, y);
        }
        g_mutex_unlock(&f->lock);
        g_autoptr(GPtrArray) settled = g_ptr_array_new();
        for (guint i = 0; i < round->len && !g_atomic_int_get(&f->stop); i++)
            if (follow_one(f, g_ptr_array_index(round, i)))
                g_ptr_array_add(settled, g_ptr_array_index(round, i));
        g_mutex_lock(&f->lock);
        /* Drop the settled ones, unless followed again (since_us moved) meanwhile. */
        for (guint i = 0; i < settled->len; i++) {
            const struct followed *s = g_ptr_array_index(settled, i);
            for (guint j = 0; j < f->tasks->len; j++) {
                struct followed *x = g_ptr_array_index(f->tasks, j);
                if (strcmp(x->id, s->id) == 0 && x->since_us == s->since_us) {
                    g_ptr_array_remove_index(f->tasks, j);
                    break;
                }
            }
        }
        gint64 next = g_get_monotonic_time() + FOLLOW_PERIOD_US;
        while (!f->stop && g_cond_wait_until(&f->wake, &f->lock, next))
            ;
    }
    g_mutex_unlock(&f->lock);
    return NULL;
}

struct follow *follow_new(struct cache *c, struct budget *budget, int timeout_s, int bound_s)
{
    struct follow *f = g_new0(struct follow, 1);

    f->cache = c;
    f->budget = budget;
    f->timeout_us = (gint64)MAX(timeout_s, 1) * G_USEC_PER_SEC;
    f->bound_us = (gint64)MAX(bound_s, 1) * G_USEC_PER_SEC;
    g_mutex_init(&f->lock);
    g_cond_init(&f->wake);
    f->tasks = g_ptr_array_new_with_free_func(followed_free);
    return f;
}

void follow_free(struct follow *f)
{
    if (!f)
        return;
    g_mutex_lock(&f->lock);
    g_atomic_int_set(&f->stop, 1);
    g_cond_broadcast(&f->wake);
    g_mutex_unlock(&f->lock);
    if (f->thread)
        g_thread_join(f->thread);
    g_ptr_array_unref(f->tasks);
    g_mutex_clear(&f->lock);
    g_cond_clear(&f->wake);
    g_free(f);
}

void follow_task(struct follow *f, const char *id, const char *state_before)
{
    struct followed *x = NULL;

    g_mutex_lock(&f->lock);
    for (guint i = 0; i < f->tasks->len && !x; i++)
        if (strcmp(((struct followed *)g_ptr_array_index(f->tasks, i))->id, id) == 0)
            x = g_ptr_array_index(f->tasks, i);
    if (!x) {
        x = g_new0(struct followed, 1);
        x->id = g_strdup(id);
        g_ptr_array_add(f->tasks, x);
    }
    g_free(x->state_before);
    x->state_before = g_strdup(state_before);
    x->since_us = g_get_monotonic_time();
    if (!f->thread && !f->stop)
        f->thread = g_thread_new("follow", follow_main, f);
    g_cond_broadcast(&f->wake);
    g_mutex_unlock(&f->lock);
}

guint follow_count(struct follow *f)
{
    guint n;

    g_mutex_lock(&f->lock);
    n = f->tasks->len;
    g_mutex_unlock(&f->lock);
    return n;
}
