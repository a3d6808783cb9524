/* persist: loading the snapshot at start, writing it while mounted and at the end (persist.h). */
#include "viasfs/persist.h"
#include "viasfs/log.h"
#include "viasfs/snapshot.h"

#include <errno.h>

struct persist {
    char *dir, *endpoint, *project, *path; /* immutable */
    bool details;                          /* immutable */
    gint64 period_us;                      /* immutable */
    struct snapshot_reader *reader;        /* the snapshot opened, until read whole */
    guint64 first_seq;                     /* immutable once loaded */

    struct cache *cache; /* borrowed, set by persist_start */
    struct history *history;
    struct event_log *events;
    GThread *thread;

    GMutex lock; /* protects everything below */
    GCond wake;  /* signalled on stop */
    bool stop;
    bool seeding; /* persist_seed began seeding the cache; it is not complete yet */
    bool offline_start;
    gint64 loaded_written_ms;
    guint64 written_generation; /* the cache's generation and the last seq when last written */
    guint64 written_seq;
    bool written_once;
    guint64 writes, last_bytes;
    gint64 last_write_ms;
    double last_write_s;
};

struct persist *persist_new(const struct persist_config *cfg)
{
    struct persist *p = g_new0(struct persist, 1);

    p->dir = g_strdup(cfg->dir);
    p->endpoint = g_strdup(cfg->endpoint);
    p->project = g_strdup(cfg->project);
    p->path = snapshot_path(cfg->dir, cfg->endpoint, cfg->project);
    p->details = cfg->details;
    p->period_us = (gint64)cfg->period_s * G_USEC_PER_SEC;
    p->first_seq = event_log_seq_from_clock();
    g_mutex_init(&p->lock);
    g_cond_init(&p->wake);
    return p;
}

const char *persist_path(const struct persist *p)
{
    return p->path;
}

bool persist_load(struct persist *p)
{
    g_autofree char *why = NULL;
    struct snapshot_reader *r = NULL;
    int rc = snapshot_open(p->path, p->endpoint, p->project, &r, &why);

    if (rc == -ENOENT) {
        log_info("no snapshot at %s: the mount starts cold", p->path);
        return false;
    }
    if (rc < 0) {
        log_warn("snapshot %s ignored: %s", p->path, why);
        return false;
    }
    const struct snapshot *h = snapshot_reader_head(r);
    p->reader = r;
    p->loaded_written_ms = h->written_ms;
    /* After a clean unmount, nothing came after last_seq: go on from there. Otherwise the
     * mount that wrote it may have numbered events since: start past anything it could have. */
    p->first_seq = h->clean ? h->last_seq + 1 : MAX(h->last_seq + 1, event_log_seq_from_clock());
    log_info("snapshot %s: %u tasks, written %" G_GINT64_FORMAT " ms ago%s", p->path,
             snapshot_reader_count(r), g_get_real_time() / 1000 - h->written_ms,
             h->clean ? "" : " by a mount that did not end cleanly");
    return true;
}

guint64 persist_first_seq(const struct persist *p)
{
    return p->first_seq;
}

gint64 persist_loaded_at(const struct persist *p)
{
    return p->loaded_written_ms;
}

void persist_seed(struct persist *p, struct cache *cache, bool offline)
{
    if (!p->reader)
        return;
    cache_seed_begin(cache, offline);
    g_mutex_lock(&p->lock);
    p->seeding = true;
    p->offline_start = offline;
    g_mutex_unlock(&p->lock);
}

/* Whether the thread is to stop. */
static bool stopping(struct persist *p)
{
    bool stop;

    g_mutex_lock(&p->lock);
    stop = p->stop;
    g_mutex_unlock(&p->lock);
    return stop;
}

/*
 * On the thread: reads the snapshot a batch at a time into the histories and the cache, which
 * shows each batch as it comes. A snapshot that turns out damaged past its check (a writer's
 * bug) stops there with one warning: what was read stays, the rest comes from the API.
 * Returns true when it was read whole.
 */
static bool seed(struct persist *p)
{
    struct snapshot_reader *r = g_steal_pointer(&p->reader);
    g_autofree char *why = NULL;
    bool whole = false;
    int n;

    for (;;) {
        g_autoptr(Snapshot) batch = snapshot_new("", "");
        g_autoptr(GPtrArray) tasks = NULL;

        if (stopping(p))
            break;
        n = snapshot_reader_next(r, 1000, batch, &why);
        if (n < 0)
            log_warn("snapshot %s: reading stopped part-way (%s); the rest comes from the API",
                     p->path, why);
        if (n <= 0) {
            whole = n == 0;
            break;
        }
        tasks = g_ptr_array_new_full(batch->tasks->len, (GDestroyNotify)task_unref);
        for (guint i = 0; i < batch->tasks->len; i++) {
            struct snapshot_task *st = g_ptr_array_index(batch->tasks, i);
            /* --show-secrets: no detail comes out of a snapshot (it holds masked values). */
            struct task *t =
                st->task->complete && !p->details ? task_summary_of(st->task) : task_ref(st->task);
            if (!t)
                continue;
            /* Its history first: once the task shows, so does its history. */
            if (st->history)
                history_set(p->history, t->id, (const struct history_entry *)st->history->data,
                            st->history->len);
            g_ptr_array_add(tasks, t);
        }
        cache_seed_add(p->cache, (struct task *const *)tasks->pdata, tasks->len);
    }
    cache_seed_end(p->cache);
    snapshot_reader_free(r);
    struct cache_stats st;
    cache_get_stats(p->cache, &st);
    g_mutex_lock(&p->lock);
    p->seeding = !whole; /* a part is no picture to write over the file with, until listed */
    /* The file holds this picture already: the next write is for a change. */
    p->written_once = true;
    p->written_generation = st.generation;
    p->written_seq = p->first_seq - 1;
    g_mutex_unlock(&p->lock);
    return whole;
}

/*
 * Writes the picture when it changed since the last write (or always, with @clean). Returns
 * false when nothing was written.
 */
static bool write_picture(struct persist *p, bool clean)
{
    struct cache_stats st;
    bool complete;
    gint64 t0 = g_get_monotonic_time();
    g_autofree char *why = NULL;
    guint64 seq = event_log_last_seq(p->events), bytes = 0;
    g_autoptr(Snapshot) s = NULL;
    g_autoptr(GPtrArray) tasks = NULL;
    int rc;

    cache_get_stats(p->cache, &st); /* the generation before collecting: a change while
                                       collecting makes the next round write again */
    g_mutex_lock(&p->lock);
    bool same = p->written_once && st.generation == p->written_generation && seq == p->written_seq;
    bool partial = p->seeding && !st.last_walk_us; /* part of a snapshot, not yet listed */
    g_mutex_unlock(&p->lock);
    if ((same && !clean) || partial)
        return false;
    tasks = cache_export(p->cache, &complete);
    if (!complete) {
        log_debug("snapshot: not written: no complete list of the tasks yet");
        return false;
    }
    s = snapshot_new(p->endpoint, p->project);
    s->written_ms = g_get_real_time() / 1000;
    s->last_seq = seq;
    s->clean = clean;
    s->details = p->details;
    for (guint i = 0; i < tasks->len; i++) {
        struct task *t = g_ptr_array_index(tasks, i);
        g_autoptr(Task) summary = t->complete && !p->details ? task_summary_of(t) : NULL;

        if (t->complete && !p->details && !summary)
            continue;
        snapshot_add(s, summary ? summary : t, history_get(p->history, t->id));
    }
    rc = snapshot_save(s, p->path, &bytes, &why);
    if (rc < 0) {
        log_warn("snapshot not written: %s", why);
        return false;
    }
    g_mutex_lock(&p->lock);
    p->written_once = true;
    p->written_generation = st.generation;
    p->written_seq = seq;
    p->writes++;
    p->last_bytes = bytes;
    p->last_write_ms = s->written_ms;
    p->last_write_s = (double)(g_get_monotonic_time() - t0) / G_USEC_PER_SEC;
    g_mutex_unlock(&p->lock);
    log_debug("snapshot written: %u tasks, %" G_GUINT64_FORMAT " bytes, %.1f ms%s", s->tasks->len,
              bytes, (double)(g_get_monotonic_time() - t0) / 1000, clean ? " (clean)" : "");
    return true;
}

/* Sleeps until @until or a stop. Returns false when stopping. */
static bool sleep_until(struct persist *p, gint64 until)
{
    bool go_on;

    g_mutex_lock(&p->lock);
    while (!p->stop && g_cond_wait_until(&p->wake, &p->lock, until))
        ;
    go_on = !p->stop;
    g_mutex_unlock(&p->lock);
    return go_on;
}

static gpointer persist_main(gpointer data)
{
    struct persist *p = data;

    if (p->reader && seed(p)) {
        /* Confirm the snapshot now, not at the first refresh; held, so the walk goes on. */
        struct listing *l = cache_walk_now(p->cache);
        while (!listing_done(l, NULL, NULL) && sleep_until(p, g_get_monotonic_time()))
            listing_wait_done(l, g_get_monotonic_time() + G_USEC_PER_SEC / 4);
        listing_unref(l);
    }
    /* At most once a period, and never more than a tenth of the time (a large picture takes
     * a while to write: 0.4 s for 100,000 tasks, bench/RESULTS.md). */
    for (;;) {
        g_mutex_lock(&p->lock);
        gint64 pause = MAX(p->period_us, (gint64)(p->last_write_s * 10 * G_USEC_PER_SEC));
        g_mutex_unlock(&p->lock);
        if (p->period_us <= 0 || !sleep_until(p, g_get_monotonic_time() + pause))
            break;
        write_picture(p, false);
    }
    return NULL;
}

void persist_start(struct persist *p, struct cache *cache, struct history *history,
                   struct event_log *events)
{
    p->cache = cache;
    p->history = history;
    p->events = events;
    p->thread = g_thread_new("persist", persist_main, p);
}

static void thread_stop(struct persist *p)
{
    if (!p->thread)
        return;
    g_mutex_lock(&p->lock);
    p->stop = true;
    g_cond_signal(&p->wake);
    g_mutex_unlock(&p->lock);
    g_thread_join(p->thread);
    p->thread = NULL;
}

void persist_stop(struct persist *p)
{
    if (!p || !p->cache)
        return;
    thread_stop(p);
    write_picture(p, true);
}

void persist_info(struct persist *p, struct persist_info *out)
{
    g_mutex_lock(&p->lock);
    *out = (struct persist_info){.path = p->path,
                                 .loaded_written_ms = p->loaded_written_ms,
                                 .offline_start = p->offline_start,
                                 .writes = p->writes,
                                 .last_write_ms = p->last_write_ms,
                                 .last_bytes = p->last_bytes,
                                 .last_write_s = p->last_write_s};
    g_mutex_unlock(&p->lock);
}

void persist_free(struct persist *p)
{
    if (!p)
        return;
    thread_stop(p);
    snapshot_reader_free(p->reader);
    g_mutex_clear(&p->lock);
    g_cond_clear(&p->wake);
    g_free(p->dir);
    g_free(p->endpoint);
    g_free(p->project);
    g_free(p->path);
    g_free(p);
}
