/*
 * cache: task table, single-flight detail fetches and background list walks (see cache.h).
 * Locking: one mutex (c->lock) protects the table, the flights, the listings and the stats.
 * It is never held across an api call or a change callback: work that finds changes collects
 * them under the lock and reports them after unlocking.
 */
#include "viasfs/cache.h"
#include "viasfs/interrupt.h"
#include "viasfs/log.h"
#include "viasfs/scan.h"

#include <errno.h>
#include <string.h>

enum { MAX_MISSING = 4096 };

/* One task id ever seen. Never freed while the cache lives, so slots stay stable. */
struct record {
    char *id;
    guint32 slot;
    struct task *task;       /* latest known, NULL when gone */
    gint64 fetched_us;       /* when the task was last confirmed (list or detail); 0 never */
    gint64 complete_us;      /* when its detail-only fields were last confirmed; 0 never */
    gint64 missing_until_us; /* known absent until then */
    int holds;               /* open files using the detail (cache_hold) */
    bool detail_wanted;      /* a walk found the state changed after a detail fetch */
    GList lru;               /* in c->lru while task is complete (lru.data = the record) */
    size_t bytes;            /* task_size of the complete task counted in c->detail_bytes */
};

/* A fetch in progress that other threads wait for instead of repeating it. */
struct flight {
    GCond cond; /* broadcast when done */
    bool done;
    int rc;
    int waiters; /* threads waiting; the last one out frees a finished flight */
};

struct cache {
    struct cache_config cfg; /* immutable */
    gint64 ttl_us;           /* immutable */
    gint64 timeout_us;       /* immutable */
    gint64 negative_us;      /* immutable: how long an unknown id is remembered */
    GThreadPool *walkers;    /* runs struct walk jobs */
    GThreadPool *fetchers;   /* runs struct fetch_job: every detail request */

    GMutex lock;                  /* protects everything below */
    GHashTable *by_id;            /* id (owned by the record) -> struct record * */
    GPtrArray *records;           /* slot -> struct record * (owned) */
    GHashTable *missing;          /* char *id (owned) -> gint64 * expiry: never-seen absent ids */
    GHashTable *flights;          /* char *id (owned) -> struct flight * */
    GHashTable *listings;         /* char *key (owned) -> struct listing * (reference) */
    GQueue lru;                   /* records holding a complete task, most recently read first */
    size_t detail_bytes;          /* their task_size total; kept under cfg.max_detail_bytes */
    struct scan *scan;            /* reads walking the tasks in order, to fetch ahead of */
    struct listing *scan_listing; /* the listing whose order scan knows (reference) */
    GHashTable *previous;         /* key -> the last good listing, served while the API fails and
                                     the walk that replaces it runs */
    struct cache_stats stats;
};

/* A change collected under the lock, reported after it. */
struct pending {
    char *id;
    guint32 slot;
    struct task *old_task, *new_task; /* references or NULL */
};

static void pending_clear(gpointer p)
{
    struct pending *x = p;
    g_free(x->id);
    task_unref(x->old_task);
    task_unref(x->new_task);
}

static GArray *pending_new(void)
{
    GArray *a = g_array_new(FALSE, TRUE, sizeof(struct pending));
    g_array_set_clear_func(a, pending_clear);
    return a;
}

static void report(struct cache *c, GArray *changes)
{
    for (guint i = 0; c->cfg.on_change && i < changes->len; i++) {
        struct pending *p = &g_array_index(changes, struct pending, i);
        struct cache_change ch = {p->id, p->slot, p->old_task, p->new_task};
        c->cfg.on_change(&ch, c->cfg.on_change_data);
    }
}

static void push_change(GArray *changes, struct record *r, struct task *old_task,
                        struct task *new_task)
{
    struct pending p = {g_strdup(r->id), r->slot, old_task ? task_ref(old_task) : NULL,
                        new_task ? task_ref(new_task) : NULL};
    g_array_append_val(changes, p);
}

static void record_free(gpointer p)
{
    struct record *r = p;
    task_unref(r->task);
    g_free(r->id);
    g_free(r);
}

/*
 * The fields a 9-field summary and a whole object share and mean the same by. Not "type":
 * the list says "0"/"1" where the detail says "cloud"/"edge".
 */
static bool summary_same(const struct task *a, const struct task *b)
{
    return g_strcmp0(a->state, b->state) == 0 && g_strcmp0(a->name, b->name) == 0 &&
           g_strcmp0(a->video_source_name, b->video_source_name) == 0 &&
           g_strcmp0(a->title, b->title) == 0 && g_strcmp0(a->service_id, b->service_id) == 0 &&
           g_strcmp0(a->algorithm_publish_id, b->algorithm_publish_id) == 0 &&
           a->created_ms == b->created_ms;
}

static bool task_same(const struct task *a, const struct task *b)
{
    if (!a || !b)
        return a == b;
    if (a->complete == b->complete)
        return strcmp(a->task_json, b->task_json) == 0;
    return summary_same(a, b);
}

static struct record *record_for_locked(struct cache *c, const char *id)
{
    struct record *r = g_hash_table_lookup(c->by_id, id);

    if (r)
        return r;
    r = g_new0(struct record, 1);
    r->id = g_strdup(id);
    r->slot = c->records->len;
    g_ptr_array_add(c->records, r);
    g_hash_table_insert(c->by_id, r->id, r);
    g_hash_table_remove(c->missing, id);
    return r;
}

/*
 * Stores what a fetch returned for one task. An answer that says nothing new keeps the object
 * already stored (a summary never replaces a whole object that agrees with it; a whole object
 * replaces an agreeing summary, as it knows more). A real change is reported; when the new
 * version carries no updated_at (a list summary), the time the change was seen stands in for
 * it, so the files' mtime moves forward with the change.
 */
/*
 * The memory bound (--cache-size): records holding a complete task are kept in read order;
 * past the bound, the least recently read lose their detail-only fields (a summary of the
 * task stays, so listings and state files still answer) until read again. Open files' tasks
 * (holds) and tasks being fetched are skipped. Called with c->lock held.
 */
static void lru_evict_locked(struct cache *c)
{
    GList *l = c->lru.tail;

    /* The most recent (the task just stored or read) always stays. */
    while (c->cfg.max_detail_bytes && c->detail_bytes > c->cfg.max_detail_bytes && l &&
           l != c->lru.head) {
        struct record *r = l->data;
        struct task *summary;

        l = l->prev;
        if (r->holds > 0 || g_hash_table_contains(c->flights, r->id))
            continue;
        summary = task_summary_of(r->task);
        if (!summary)
            break;
        task_unref(r->task);
        r->task = summary;
        r->complete_us = 0;
        g_queue_unlink(&c->lru, &r->lru);
        c->detail_bytes -= r->bytes;
        r->bytes = 0;
        c->stats.evictions++;
    }
}

/* @r's task was set or read: its place in the read order and its bytes. */
static void lru_note_locked(struct cache *c, struct record *r)
{
    bool linked = r->lru.data != NULL;

    if (linked) {
        g_queue_unlink(&c->lru, &r->lru);
        c->detail_bytes -= r->bytes;
        r->bytes = 0;
        r->lru.data = NULL;
    }
    if (!r->task || !r->task->complete)
        return;
    r->lru.data = r;
    r->bytes = task_size(r->task);
    c->detail_bytes += r->bytes;
    g_queue_push_head_link(&c->lru, &r->lru);
    lru_evict_locked(c);
}

static struct record *upsert_locked(struct cache *c, struct task *t, gint64 now, GArray *changes)
{
    struct record *r = record_for_locked(c, t->id);
    struct task *old = r->task;

    r->fetched_us = now;
    r->missing_until_us = 0;
    if (old && task_same(old, t)) {
        if (t->complete) {
            r->complete_us = now;
            if (!old->complete) {
                r->task = task_ref(t);
                task_unref(old);
            }
        }
        lru_note_locked(c, r);
        return r;
    }
    if (old && t->updated_ms < 0)
        t->updated_ms = g_get_real_time() / 1000; /* not yet shared: safe to fill in */
    push_change(changes, r, old, t);
    /* The detail-only fields (status, error...) may have changed with the state. */
    if (old && !t->complete && (old->complete || r->holds) && g_strcmp0(old->state, t->state) != 0)
        r->detail_wanted = true;
    r->task = task_ref(t);
    task_unref(old);
    r->complete_us = t->complete ? now : 0;
    lru_note_locked(c, r);
    return r;
}

static bool fresh_locked(struct cache *c, const struct record *r, bool need_complete, gint64 now,
                         gint64 *until)
{
    gint64 u;

    if (!r->task)
        return false;
    if (need_complete && !r->task->complete)
        return false;
    u = (need_complete ? r->complete_us : r->fetched_us) + c->ttl_us;
    if (until)
        *until = u;
    return now < u;
}

/* While the API fails, how long an operation waits for a fetch that might find it back before
 * it is answered with the stale data it has. */
#define FAILING_GRACE_US (G_USEC_PER_SEC)

static void note_failure_locked(struct cache *c)
{
    if (!c->stats.stale_since_us)
        c->stats.stale_since_us = g_get_monotonic_time();
}

static void note_success_locked(struct cache *c)
{
    c->stats.stale_since_us = 0;
}

static void flight_release_locked(struct cache *c, struct flight *f)
{
    if (f->done && f->waiters == 0) {
        g_cond_clear(&f->cond);
        g_free(f);
    }
}

/* A detail fetch handed to a fetcher thread. */
struct fetch_job {
    char *id;
    struct flight *flight; /* the flight it completes */
    gint64 deadline;
};

/*
 * Fetcher thread: performs one detail request and stores the result, then completes the
 * flight, which its waiters may have left already (they were interrupted or gave up).
 */
static void fetch_run(gpointer data, gpointer pool_data)
{
    struct fetch_job *job = data;
    struct cache *c = pool_data;
    g_autoptr(GArray) changes = pending_new();
    const char *id = job->id;
    struct flight *f = job->flight;
    struct task *t = NULL;
    struct api_error err;
    gint64 now;
    int rc;

    api_error_init(&err);
    rc = api_get_task(c->cfg.api, id, job->deadline, &t, &err);
    api_error_release(&err);

    g_mutex_lock(&c->lock);
    now = g_get_monotonic_time();
    if (rc == 0) {
        upsert_locked(c, t, now, changes);
        note_success_locked(c);
    } else if (rc == -ENOENT) {
        struct record *r = g_hash_table_lookup(c->by_id, id);
        note_success_locked(c);
        if (r) {
            if (r->task)
                push_change(changes, r, r->task, NULL);
            g_clear_pointer(&r->task, task_unref);
            lru_note_locked(c, r);
            r->missing_until_us = now + c->negative_us;
        } else {
            if (g_hash_table_size(c->missing) >= MAX_MISSING)
                g_hash_table_remove_all(c->missing);
            gint64 *until = g_new(gint64, 1);
            *until = now + c->negative_us;
            g_hash_table_replace(c->missing, g_strdup(id), until);
        }
    } else {
        note_failure_locked(c);
    }
    g_mutex_unlock(&c->lock);
    /* Changes are reported before the waiters wake: whoever asked sees the tree already
     * updated (links moved, caches invalidated) when its answer comes. */
    report(c, changes);

    g_mutex_lock(&c->lock);
    f->done = true;
    f->rc = rc;
    g_cond_broadcast(&f->cond);
    g_hash_table_remove(c->flights, id);
    flight_release_locked(c, f);
    g_mutex_unlock(&c->lock);

    task_unref(t);
    g_free(job->id);
    g_free(job);
}

/*
 * Fetches @id's detail once however many threads ask, and stores the result. The request
 * runs on a fetcher thread, never on the caller's: the caller only waits, and can leave at
 * its deadline (or earlier, at @wait_until) or when its operation is interrupted while the
 * fetch goes on and fills the table for the next reader. Returns the fetch's result (0,
 * -ENOENT, or another -errno), -ETIMEDOUT when the wait ended first, or -EINTR.
 */
/* The flight fetching @id: the one in progress, or a new one handed to a fetcher thread. */
static struct flight *flight_start_locked(struct cache *c, const char *id, gint64 deadline)
{
    struct flight *f = g_hash_table_lookup(c->flights, id);
    struct fetch_job *job;

    if (f)
        return f;
    f = g_new0(struct flight, 1);
    g_cond_init(&f->cond);
    g_hash_table_insert(c->flights, g_strdup(id), f);
    c->stats.detail_fetches++;
    job = g_new0(struct fetch_job, 1);
    job->id = g_strdup(id);
    job->flight = f;
    job->deadline = MIN(deadline, g_get_monotonic_time() + c->timeout_us);
    g_thread_pool_push(c->fetchers, job, NULL);
    return f;
}

static int fetch_detail(struct cache *c, const char *id, gint64 deadline, gint64 wait_until,
                        bool only_if_stale, bool need_complete)
{
    struct flight *f;
    int rc = 0;

    g_mutex_lock(&c->lock);
    f = g_hash_table_lookup(c->flights, id);
    if (!f && only_if_stale) {
        /* A fetch (a read-ahead, another reader's) may have completed since the caller
         * looked: then there is nothing to fetch. */
        struct record *r = g_hash_table_lookup(c->by_id, id);
        if (r && r->task && fresh_locked(c, r, false, g_get_monotonic_time(), NULL) &&
            fresh_locked(c, r, need_complete, g_get_monotonic_time(), NULL)) {
            g_mutex_unlock(&c->lock);
            return 0;
        }
    }
    f = flight_start_locked(c, id, deadline);
    f->waiters++;
    while (!f->done && rc == 0)
        rc = interrupt_cond_wait(&f->cond, &c->lock, MIN(deadline, wait_until));
    if (f->done)
        rc = f->rc;
    f->waiters--;
    flight_release_locked(c, f);
    g_mutex_unlock(&c->lock);
    return rc;
}

/*
 * A read needed @r's detail: when reads walk the tasks (scan.h), start fetches for the next
 * ones, so that the walk finds them fetched or in flight. Called with c->lock held.
 */
static void read_ahead_locked(struct cache *c, struct record *r, gint64 now)
{
    struct listing *all = g_hash_table_lookup(c->listings, "0:");
    g_autoptr(GArray) ahead = NULL;
    int error;

    if (!all || !listing_done(all, &error, NULL) || error)
        return;
    if (c->scan_listing != all) {
        guint n = listing_length(all);
        g_autofree guint32 *slots = g_new(guint32, MAX(n, 1));
        g_autofree const char **ids = g_new(const char *, MAX(n, 1));

        for (guint i = 0; i < n; i++) {
            slots[i] = listing_slot(all, i);
            ids[i] = ((struct record *)g_ptr_array_index(c->records, slots[i]))->id;
        }
        scan_set_basis(c->scan, all, slots, ids, n);
        if (c->scan_listing)
            listing_unref(c->scan_listing);
        c->scan_listing = listing_ref(all); /* held: its address stays its own */
    }
    ahead = g_array_new(FALSE, FALSE, sizeof(guint32));
    scan_read(c->scan, r->slot, ahead);
    for (guint i = 0; i < ahead->len; i++) {
        struct record *next = g_ptr_array_index(c->records, g_array_index(ahead, guint32, i));

        if (!next->task || fresh_locked(c, next, true, now, NULL) ||
            g_hash_table_contains(c->flights, next->id))
            continue;
        flight_start_locked(c, next->id, now + c->timeout_us);
        c->stats.prefetches++;
    }
}

/*
 * The shared path of cache_get_task and cache_get_slot: answer from the table when fresh,
 * else fetch once and answer from the table (or stale data if the fetch failed).
 */
static int get_task(struct cache *c, const char *id, bool need_complete, gint64 deadline,
                    struct task **out, guint32 *slot, gint64 *fresh_until)
{
    gint64 wait_until = G_MAXINT64;
    bool fetched = false;
    int rc = 0;

    for (;;) {
        gint64 now = g_get_monotonic_time(), until = 0;
        struct record *r;
        gint64 *missing;

        g_mutex_lock(&c->lock);
        r = g_hash_table_lookup(c->by_id, id);
        missing = r ? NULL : g_hash_table_lookup(c->missing, id);
        if (r && need_complete && !fetched)
            read_ahead_locked(c, r, now);
        if (r && fresh_locked(c, r, need_complete, now, &until)) {
            c->stats.detail_hits += !fetched;
            if (need_complete && !fetched)
                lru_note_locked(c, r);
            *out = task_ref(r->task);
            *slot = r->slot;
            *fresh_until = until;
            g_mutex_unlock(&c->lock);
            return 0;
        }
        if ((r && !r->task && now < r->missing_until_us) || (missing && now < *missing)) {
            c->stats.detail_hits += !fetched;
            g_mutex_unlock(&c->lock);
            return -ENOENT;
        }
        if (!fetched && r && r->task && (!need_complete || r->task->complete) &&
            c->stats.stale_since_us) {
            /* The API is failing: what we have is served, marked stale, after at most a short
             * wait for a fetch that finds out whether the API is back (no wait at all while
             * another fetch is doing that). The fetch goes on in the background. */
            if (g_hash_table_size(c->flights) > 0) {
                *out = task_ref(r->task);
                *slot = r->slot;
                *fresh_until = now;
                c->stats.stale_served++;
                g_mutex_unlock(&c->lock);
                return 0;
            }
            wait_until = now + FAILING_GRACE_US;
        }
        if (fetched && r && r->task && rc != -ENOENT && (!need_complete || r->task->complete)) {
            /* The fetch failed (or raced): serve what we have, marked stale. */
            *out = task_ref(r->task);
            *slot = r->slot;
            *fresh_until = now;
            if (rc)
                c->stats.stale_served++;
            g_mutex_unlock(&c->lock);
            return 0;
        }
        c->stats.detail_misses += !fetched;
        g_mutex_unlock(&c->lock);
        if (fetched)
            return rc ? rc : -EIO;
        rc = fetch_detail(c, id, deadline, wait_until, true, need_complete);
        fetched = true;
    }
}

int cache_get_task(struct cache *c, const char *id, bool need_complete, gint64 deadline,
                   struct task **out, guint32 *slot, gint64 *fresh_until)
{
    return get_task(c, id, need_complete, deadline, out, slot, fresh_until);
}

int cache_get_slot(struct cache *c, guint32 slot, bool need_complete, gint64 deadline,
                   struct task **out, gint64 *fresh_until)
{
    g_autofree char *id = cache_slot_id(c, slot);
    guint32 s;

    if (!id)
        return -ENOENT;
    return get_task(c, id, need_complete, deadline, out, &s, fresh_until);
}

struct task *cache_peek_slot(struct cache *c, guint32 slot)
{
    struct task *t = NULL;

    g_mutex_lock(&c->lock);
    if (slot < c->records->len) {
        struct record *r = g_ptr_array_index(c->records, slot);
        if (r->task)
            t = task_ref(r->task);
    }
    g_mutex_unlock(&c->lock);
    return t;
}

char *cache_slot_id(struct cache *c, guint32 slot)
{
    char *id = NULL;

    g_mutex_lock(&c->lock);
    if (slot < c->records->len)
        id = g_strdup(((struct record *)g_ptr_array_index(c->records, slot))->id);
    g_mutex_unlock(&c->lock);
    return id;
}

bool cache_find_slot(struct cache *c, const char *id, guint32 *slot)
{
    struct record *r;

    g_mutex_lock(&c->lock);
    r = g_hash_table_lookup(c->by_id, id);
    if (r)
        *slot = r->slot;
    g_mutex_unlock(&c->lock);
    return r != NULL;
}

/* ---- list walks ---- */

struct walk {
    struct cache *cache;
    struct listing *listing; /* reference */
    struct listing *prev;    /* reference to the listing this one replaces, or NULL */
    char *key;               /* the listing's key in c->listings */
    gint64 started_us;
    GHashTable *seen; /* slots (GUINT_TO_POINTER(slot + 1)) the walk returned */
};

/* Whether a task belongs in a view exactly (the server may match loosely). */
static bool view_matches(enum listing_view view, const char *value, const struct task *t)
{
    switch (view) {
    case LISTING_ALL:
        return true;
    case LISTING_STATE:
        return g_strcmp0(t->state, value) == 0;
    case LISTING_CAMERA:
        return g_strcmp0(t->video_source_name, value) == 0;
    case LISTING_TITLE:
        return g_strcmp0(t->title, value) == 0;
    }
    return false;
}

/*
 * Stores one page of a walk. A summary that contradicts a whole object we hold is not stored
 * as is: the task's detail is fetched instead, so the change is reported once, with every
 * field that changed (state, status, error...), as the refresh contract asks.
 */
static int walk_page(GPtrArray *tasks, int page, void *data)
{
    struct walk *w = data;
    struct cache *c = w->cache;
    g_autoptr(GArray) changes = pending_new();
    g_autoptr(GArray) slots = g_array_sized_new(FALSE, FALSE, sizeof(guint32), tasks->len);
    g_autoptr(GPtrArray) deferred = g_ptr_array_new_with_free_func((GDestroyNotify)task_unref);
    enum listing_view view = listing_view(w->listing);
    const char *value = listing_value(w->listing);
    gint64 now = g_get_monotonic_time();

    g_mutex_lock(&c->lock);
    for (guint i = 0; i < tasks->len; i++) {
        struct task *t = g_ptr_array_index(tasks, i);
        struct record *r = g_hash_table_lookup(c->by_id, t->id);

        if (r && r->task && r->task->complete && !t->complete && !summary_same(r->task, t))
            g_ptr_array_add(deferred, task_ref(t));
        else
            r = upsert_locked(c, t, now, changes);
        if (view_matches(view, value, t)) {
            g_array_append_val(slots, r->slot);
            g_hash_table_add(w->seen, GUINT_TO_POINTER(r->slot + 1));
        }
    }
    note_success_locked(c);
    g_mutex_unlock(&c->lock);
    report(c, changes);
    g_array_set_size(changes, 0);

    for (guint i = 0; i < deferred->len; i++) {
        struct task *t = g_ptr_array_index(deferred, i);
        int rc =
            fetch_detail(c, t->id, g_get_monotonic_time() + c->timeout_us, G_MAXINT64, false, true);
        if (rc == 0 || rc == -ENOENT)
            continue;
        g_mutex_lock(&c->lock); /* no detail: the summary still tells the state */
        upsert_locked(c, t, g_get_monotonic_time(), changes);
        g_mutex_unlock(&c->lock);
    }
    report(c, changes);
    listing_append(w->listing, (const guint32 *)slots->data, slots->len);
    return 0;
}

/*
 * After a complete walk of a view: a task we hold as belonging to the view that the walk did
 * not return (and that nothing fetched since the walk started) has changed, gone, or slid
 * between pages while others were added or removed. Its detail decides, and reports what
 * changed; the fetch reports it gone only when the API says so.
 */
static void sweep_unseen(struct walk *w)
{
    struct cache *c = w->cache;
    g_autoptr(GPtrArray) unseen = g_ptr_array_new_with_free_func(g_free);
    enum listing_view view = listing_view(w->listing);
    const char *value = listing_value(w->listing);

    g_mutex_lock(&c->lock);
    for (guint i = 0; i < c->records->len; i++) {
        struct record *r = g_ptr_array_index(c->records, i);
        if (!r->task || r->fetched_us >= w->started_us || !view_matches(view, value, r->task) ||
            g_hash_table_contains(w->seen, GUINT_TO_POINTER(r->slot + 1)))
            continue;
        g_ptr_array_add(unseen, g_strdup(r->id));
    }
    if (view == LISTING_ALL)
        c->stats.last_walk_us = g_get_monotonic_time();
    g_mutex_unlock(&c->lock);
    for (guint i = 0; i < unseen->len; i++)
        fetch_detail(c, g_ptr_array_index(unseen, i), g_get_monotonic_time() + c->timeout_us,
                     G_MAXINT64, false, true);
}

static void walk_run(gpointer data, gpointer pool_data)
{
    struct walk *w = data;
    struct cache *c = w->cache;
    struct api_filter filter = {0};
    struct api_error err;
    const char *value = listing_value(w->listing);
    int rc;

    switch (listing_view(w->listing)) {
    case LISTING_ALL:
        break;
    case LISTING_STATE:
        filter.task_state = value;
        break;
    case LISTING_CAMERA:
        filter.camera_name = value;
        break;
    case LISTING_TITLE:
        filter.title = value;
        break;
    }
    /* A value the service would refuse (an undocumented state, a title outside its rules):
     * walk everything and keep the exact matches (walk_page filters every view). */
    if (!api_filter_acceptable(&filter))
        filter = (struct api_filter){0};
    api_error_init(&err);
    /* Each page gets a little less than an operation's deadline, so that a reader waiting for
     * the first page gets the last good listing (adopted below) rather than a timeout. */
    rc = api_list_tasks(c->cfg.api, &filter, c->cfg.page_size, c->timeout_us - c->timeout_us / 10,
                        walk_page, w, &err);
    api_error_release(&err);
    if (rc == 0)
        sweep_unseen(w);
    if (rc < 0) {
        int prev_err = 0;
        g_mutex_lock(&c->lock);
        note_failure_locked(c);
        g_mutex_unlock(&c->lock);
        if (w->prev && listing_length(w->listing) == 0 && listing_done(w->prev, &prev_err, NULL) &&
            prev_err == 0) {
            /* Nothing new arrived: keep serving the last good listing, marked stale. */
            listing_adopt(w->listing, w->prev);
            g_mutex_lock(&c->lock);
            c->stats.stale_served++;
            g_mutex_unlock(&c->lock);
            rc = 0;
        }
    }
    listing_finish(w->listing, rc);
    g_mutex_lock(&c->lock);
    if (w->prev && g_hash_table_lookup(c->previous, w->key) == w->prev)
        g_hash_table_remove(c->previous, w->key);
    g_mutex_unlock(&c->lock);
    listing_unref(w->listing);
    if (w->prev)
        listing_unref(w->prev);
    g_hash_table_unref(w->seen);
    g_free(w->key);
    g_free(w);
}

static char *listing_key(enum listing_view view, const char *value)
{
    return g_strdup_printf("%d:%s", (int)view, value ? value : "");
}

/*
 * A view (by-state, by-camera, by-algorithm) taken from the listing of every task while that
 * one is complete and fresh, instead of a filtered walk: the same tasks, as fresh, and no
 * request. Dated like the full listing, so it is not fresh for longer. NULL when there is no
 * such listing. Called with c->lock held.
 */
static struct listing *derive_locked(struct cache *c, enum listing_view view, const char *value)
{
    struct listing *all = g_hash_table_lookup(c->listings, "0:"), *l;
    g_autoptr(GArray) slots = NULL;
    gint64 done_us;
    int error;

    if (!all || !listing_done(all, &error, &done_us) || error || listing_stale(all) ||
        g_get_monotonic_time() >= done_us + c->ttl_us)
        return NULL;
    slots = g_array_new(FALSE, FALSE, sizeof(guint32));
    for (guint i = 0, n = listing_length(all); i < n; i++) {
        guint32 slot = listing_slot(all, i);
        struct record *r = g_ptr_array_index(c->records, slot);

        if (r->task && view_matches(view, value, r->task))
            g_array_append_val(slots, slot);
    }
    l = listing_new(view, value);
    listing_append(l, (const guint32 *)slots->data, slots->len);
    listing_finish_at(l, 0, done_us);
    return l;
}

struct listing *cache_listing(struct cache *c, enum listing_view view, const char *value)
{
    g_autofree char *key = listing_key(view, value);
    struct listing *l, *fresh, *prev;
    struct walk *w;
    gint64 done_us;
    int error = 0;
    bool done;

    g_mutex_lock(&c->lock);
    l = g_hash_table_lookup(c->listings, key);
    done = l && listing_done(l, &error, &done_us);
    if (l && (!done || (error == 0 && g_get_monotonic_time() < done_us + c->ttl_us))) {
        prev = done ? NULL : g_hash_table_lookup(c->previous, key);
        if (prev && c->stats.stale_since_us) {
            /* The API is failing and the walk that would replace this listing is waiting:
             * serve the last good one, marked stale, at once. */
            c->stats.stale_served++;
            l = prev;
        } else
            c->stats.listing_hits++;
        listing_ref(l);
        g_mutex_unlock(&c->lock);
        return l;
    }
    if (view != LISTING_ALL && (fresh = derive_locked(c, view, value))) {
        g_hash_table_replace(c->listings, g_steal_pointer(&key), listing_ref(fresh));
        c->stats.listings_derived++;
        g_mutex_unlock(&c->lock);
        return fresh;
    }
    fresh = listing_new(view, value);
    w = g_new0(struct walk, 1);
    w->cache = c;
    w->listing = listing_ref(fresh);
    w->prev = l ? listing_ref(l) : NULL;
    w->key = g_strdup(key);
    w->started_us = g_get_monotonic_time();
    w->seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_replace(c->listings, g_strdup(key), listing_ref(fresh));
    c->stats.walks++;
    if (l && error == 0 && c->stats.stale_since_us) {
        /* Failing API: this walk finds out whether it is back; its caller waits a moment for
         * it, other callers get the old listing at once. */
        g_hash_table_replace(c->previous, g_steal_pointer(&key), listing_ref(l));
        listing_ref(l);
        g_mutex_unlock(&c->lock);
        g_thread_pool_push(c->walkers, w, NULL);
        if (listing_wait_done(fresh, g_get_monotonic_time() + FAILING_GRACE_US) == 0) {
            listing_unref(l);
            return fresh;
        }
        g_mutex_lock(&c->lock);
        c->stats.stale_served++;
        g_mutex_unlock(&c->lock);
        listing_unref(fresh);
        return l;
    }
    g_mutex_unlock(&c->lock);
    g_thread_pool_push(c->walkers, w, NULL);
    return fresh;
}

struct listing *cache_listing_peek(struct cache *c, enum listing_view view, const char *value)
{
    g_autofree char *key = listing_key(view, value);
    struct listing *l;

    g_mutex_lock(&c->lock);
    l = g_hash_table_lookup(c->listings, key);
    if (l)
        listing_ref(l);
    g_mutex_unlock(&c->lock);
    return l;
}

gint64 cache_listing_fresh_until(struct cache *c, struct listing *l)
{
    gint64 done_us;

    if (!listing_done(l, NULL, &done_us))
        return g_get_monotonic_time() + c->ttl_us;
    return done_us + c->ttl_us;
}

struct listing *cache_walk_now(struct cache *c)
{
    g_autofree char *key = listing_key(LISTING_ALL, NULL);
    struct listing *l;

    g_mutex_lock(&c->lock);
    l = g_hash_table_lookup(c->listings, key);
    if (l && !listing_done(l, NULL, NULL)) {
        listing_ref(l);
        g_mutex_unlock(&c->lock);
        return l;
    }
    g_hash_table_remove(c->listings, key); /* so cache_listing starts a new walk */
    c->stats.refresh_walks++;
    g_mutex_unlock(&c->lock);
    return cache_listing(c, LISTING_ALL, NULL);
}

guint cache_refresh_details(struct cache *c, gint64 deadline)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);

    g_mutex_lock(&c->lock);
    for (guint i = 0; i < c->records->len; i++) {
        struct record *r = g_ptr_array_index(c->records, i);
        if (r->task && (r->detail_wanted || r->holds > 0))
            g_ptr_array_add(ids, g_strdup(r->id));
        r->detail_wanted = false;
    }
    g_mutex_unlock(&c->lock);
    for (guint i = 0; i < ids->len && g_get_monotonic_time() < deadline; i++)
        fetch_detail(c, g_ptr_array_index(ids, i), deadline, G_MAXINT64, false, true);
    return ids->len;
}

static void hold(struct cache *c, guint32 slot, int delta)
{
    g_mutex_lock(&c->lock);
    if (slot < c->records->len)
        ((struct record *)g_ptr_array_index(c->records, slot))->holds += delta;
    g_mutex_unlock(&c->lock);
}

void cache_hold(struct cache *c, guint32 slot)
{
    hold(c, slot, 1);
}

void cache_unhold(struct cache *c, guint32 slot)
{
    hold(c, slot, -1);
}

void cache_forget_listing(struct cache *c, enum listing_view view, const char *value)
{
    g_autofree char *key = listing_key(view, value);

    g_mutex_lock(&c->lock);
    g_hash_table_remove(c->listings, key);
    g_mutex_unlock(&c->lock);
}

void cache_expire_all(struct cache *c)
{
    g_mutex_lock(&c->lock);
    for (guint i = 0; i < c->records->len; i++) {
        struct record *r = g_ptr_array_index(c->records, i);
        r->fetched_us = 0;
        r->complete_us = 0;
        r->missing_until_us = 0;
    }
    g_hash_table_remove_all(c->missing);
    g_hash_table_remove_all(c->listings);
    g_mutex_unlock(&c->lock);
}

void cache_expire_task(struct cache *c, const char *id)
{
    struct record *r;

    g_mutex_lock(&c->lock);
    r = g_hash_table_lookup(c->by_id, id);
    if (r) {
        r->fetched_us = 0;
        r->complete_us = 0;
        r->missing_until_us = 0;
    }
    g_hash_table_remove(c->missing, id);
    g_mutex_unlock(&c->lock);
}

void cache_get_size(struct cache *c, guint64 *tasks, guint64 *bytes)
{
    *tasks = 0;
    *bytes = 0;
    g_mutex_lock(&c->lock);
    for (guint i = 0; i < c->records->len; i++) {
        struct record *r = g_ptr_array_index(c->records, i);
        *bytes += sizeof(*r) + strlen(r->id) + 1;
        if (r->task) {
            (*tasks)++;
            *bytes += task_size(r->task);
        }
    }
    g_mutex_unlock(&c->lock);
}

void cache_get_stats(struct cache *c, struct cache_stats *out)
{
    g_mutex_lock(&c->lock);
    *out = c->stats;
    out->tasks = c->records->len;
    out->detail_bytes = c->detail_bytes;
    g_mutex_unlock(&c->lock);
}

struct cache *cache_new(const struct cache_config *cfg)
{
    struct cache *c = g_new0(struct cache, 1);

    c->cfg = *cfg;
    c->ttl_us = (gint64)cfg->ttl_s * G_USEC_PER_SEC;
    c->timeout_us = (gint64)MAX(cfg->timeout_s, 1) * G_USEC_PER_SEC;
    c->negative_us = MIN(c->ttl_us, 5 * G_USEC_PER_SEC);
    g_mutex_init(&c->lock);
    c->by_id = g_hash_table_new(g_str_hash, g_str_equal);
    c->records = g_ptr_array_new_with_free_func(record_free);
    c->missing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->flights = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->listings =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)listing_unref);
    c->previous =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)listing_unref);
    c->scan = scan_new(cfg->max_fetches > 0 ? cfg->max_fetches : 16);
    c->walkers = g_thread_pool_new(walk_run, c, MAX(cfg->max_walks, 1), FALSE, NULL);
    c->fetchers =
        g_thread_pool_new(fetch_run, c, cfg->max_fetches > 0 ? cfg->max_fetches : 16, FALSE, NULL);
    return c;
}

void cache_free(struct cache *c)
{
    if (!c)
        return;
    g_thread_pool_free(c->walkers, FALSE, TRUE);
    g_thread_pool_free(c->fetchers, FALSE, TRUE);
    g_hash_table_unref(c->listings);
    g_hash_table_unref(c->previous);
    scan_free(c->scan);
    if (c->scan_listing)
        listing_unref(c->scan_listing);
    g_hash_table_unref(c->flights);
    g_hash_table_unref(c->missing);
    g_hash_table_unref(c->by_id);
    g_ptr_array_unref(c->records);
    g_mutex_clear(&c->lock);
    g_free(c);
}
