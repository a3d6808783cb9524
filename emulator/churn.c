/* churn: a background thread that changes random tasks' states (see churn.h). */
#include "churn.h"

#include "generator.h"

struct churn {
    struct store *store;         /* borrowed */
    struct lifecycle *lifecycle; /* borrowed */
    GThread *thread;
    GMutex lock; /* protects rate and changes */
    GCond wake;  /* signalled on a new rate and on stop */
    double rate;
    gint stop; /* atomic; set under lock too, so that a waiter sees it */
    guint64 changes;
    GRand *rng; /* used by the thread only */
};

/* Gives the record a different state; data is the churn's GRand. */
static int churn_edit(cJSON *record, void *data)
{
    GRand *rng = data;
    const char *cur = json_string(record, "state");
    const char *next = generator_state(rng);
    for (int i = 0; i < 8 && g_strcmp0(cur, next) == 0; i++)
        next = generator_state(rng);
    task_record_set_state(record, next, NULL, task_time_now());
    return 0;
}

static void churn_one(struct churn *c)
{
    g_autofree char *id = store_random_id(c->store, c->rng);
    if (id == NULL)
        return;
    if (lifecycle_edit_idle(c->lifecycle, id, churn_edit, c->rng) == 0) {
        g_mutex_lock(&c->lock);
        c->changes++;
        g_mutex_unlock(&c->lock);
    }
}

static gpointer churn_run(gpointer data)
{
    struct churn *c = data;
    gint64 next = 0;
    double used = 0; /* the rate `next` was computed with */
    g_mutex_lock(&c->lock);
    while (!g_atomic_int_get(&c->stop)) {
        if (c->rate <= 0) {
            g_cond_wait(&c->wake, &c->lock);
            continue;
        }
        gint64 now = g_get_monotonic_time();
        if (c->rate != used) {
            used = c->rate; /* a new rate applies at once */
            next = now;
        }
        if (now < next) {
            g_cond_wait_until(&c->wake, &c->lock, next);
            continue;
        }
        gint64 interval = MAX((gint64)(G_USEC_PER_SEC / used), 1);
        next = MAX(next, now - G_USEC_PER_SEC); /* catch up on a second's worth at most */
        g_mutex_unlock(&c->lock);
        for (; next <= now && !g_atomic_int_get(&c->stop); next += interval)
            churn_one(c);
        g_mutex_lock(&c->lock);
    }
    g_mutex_unlock(&c->lock);
    return NULL;
}

struct churn *churn_new(struct store *s, struct lifecycle *l, guint64 seed, double rate)
{
    struct churn *c = g_new0(struct churn, 1);
    c->lifecycle = l;
    guint32 words[3] = {(guint32)seed, (guint32)(seed >> 32), 0xc4u};
    c->store = s;
    c->rate = rate;
    c->rng = g_rand_new_with_seed_array(words, 3);
    g_mutex_init(&c->lock);
    g_cond_init(&c->wake);
    c->thread = g_thread_new("churn", churn_run, c);
    return c;
}

void churn_free(struct churn *c)
{
    if (c == NULL)
        return;
    g_mutex_lock(&c->lock);
    g_atomic_int_set(&c->stop, 1);
    g_cond_broadcast(&c->wake);
    g_mutex_unlock(&c->lock);
    g_thread_join(c->thread);
    g_rand_free(c->rng);
    g_cond_clear(&c->wake);
    g_mutex_clear(&c->lock);
    g_free(c);
}

void churn_set_rate(struct churn *c, double rate)
{
    g_mutex_lock(&c->lock);
    c->rate = rate;
    g_cond_broadcast(&c->wake);
    g_mutex_unlock(&c->lock);
}

double churn_rate(struct churn *c)
{
    g_mutex_lock(&c->lock);
    double r = c->rate;
    g_mutex_unlock(&c->lock);
    return r;
}

guint64 churn_changes(struct churn *c)
{
    g_mutex_lock(&c->lock);
    guint64 n = c->changes;
    g_mutex_unlock(&c->lock);
    return n;
}
