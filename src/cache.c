/*
 * cache: task table, single-flight detail fetches and background list walks (see cache.h).
 * Locking: one mutex (c->lock) protects the table, the flights, the listings and the stats.
 * It is never held across an api call or a change callback: work that finds changes collects
 * them under the lock and reports them after unlocking.
 * Versions: every answer is dated by when its request was sent, and an answer older than the
 * one a record holds is not stored (a slow detail fetch never overwrites a newer list page),
 * as sshfs's cache checks a counter sampled before its request.
 */
#include "viasfs/cache.h"
#include "viasfs/budget.h"
#include "viasfs/interrupt.h"
#include "viasfs/log.h"
#include "viasfs/purpose.h"
#include "viasfs/requester.h"
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
    gint64 version_us;       /* when the request whose answer is stored was sent; 0 none */
    gint64 expired_us;       /* answers to requests sent before then are stored, not fresh */
    int holds;               /* open files using the detail (cache_hold) */
    bool disowned;           /* the detail said "no such task": list pages that still name it
                                are not believed (a ghost) until a detail answers again */
    bool detail_wanted;      /* a walk found the state changed after a detail fetch */
    bool seeded;             /* from a snapshot (cache_seed_add), not yet confirmed by the API */
    GList lru;               /* in c->lru while task is complete (lru.data = the record) */
    size_t bytes;            /* task_size of the complete task counted in c->detail_bytes */
};

/* A fetch in progress that other threads wait for instead of repeating it. */
struct flight {
    GCond cond;        /* broadcast when done */
    gint64 created_us; /* its request is sent after this */
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
    char *all_key;                /* immutable: the key of the listing of every task */
    GHashTable *listings;         /* char *key (owned) -> struct listing * (reference) */
    GQueue lru;                   /* records holding a complete task, most recently read first */
    size_t detail_bytes;          /* their task_size total; kept under cfg.max_detail_bytes */
    struct scan *scan;            /* reads walking the tasks in order, to fetch ahead of */
    struct listing *scan_listing; /* the listing whose order scan knows (reference) */
    gint64 expired_all_us;        /* cache_expire_all: answers sent before are not fresh */
    GHashTable *good;             /* key -> the last listing of that view whose walk succeeded:
                                     served, stale, while the API fails or stalls */
    struct listing *seeded;       /* every task of the snapshot (cache_seed_*), in its order;
                                     served until a walk of every task succeeds; or NULL */
    bool seeding;                 /* between cache_seed_begin and cache_seed_end */
    GCond seeded_cond;            /* broadcast at cache_seed_end */
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
        struct cache_change ch = {
            .id = p->id, .slot = p->slot, .old_task = p->old_task, .new_task = p->new_task};
        c->cfg.on_change(&ch, c->cfg.on_change_data);
    }
}

/* Collects a change of @r for the report. Call with c->lock held. */
static void push_change(struct cache *c, GArray *changes, struct record *r, struct task *old_task,
                        struct task *new_task)
{
    c->stats.generation++;
    struct pending p = {.id = g_strdup(r->id),
                        .slot = r->slot,
                        .old_task = old_task ? task_ref(old_task) : NULL,
                        .new_task = new_task ? task_ref(new_task) : NULL};
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

/* The API answered for @r: it is no longer only the snapshot's. Call with c->lock held. */
static void confirm_locked(struct cache *c, struct record *r)
{
    if (r->seeded) {
        r->seeded = false;
        c->stats.unconfirmed--;
    }
}

/*
 * Stores what a fetch returned for one task (@t, answered to a request sent at @sent_us),
 * unless the record holds a newer answer; an answer to a request sent before the record was
 * expired is stored but not fresh. An answer that says nothing new keeps the object already
 * stored (a summary never replaces a whole object that agrees with it; a whole object
 * replaces an agreeing summary, as it knows more). A real change is reported; when the new
 * version carries no updated_at (a list summary), the time the change was seen stands in for
 * it, so the files' mtime moves forward with the change.
 */
static struct record *upsert_locked(struct cache *c, struct task *t, gint64 sent_us,
                                    GArray *changes)
{
    struct record *r = record_for_locked(c, t->id);
    struct task *old = r->task;
    gint64 now = sent_us >= MAX(r->expired_us, c->expired_all_us) ? sent_us : 0;

    confirm_locked(c, r);
    if (sent_us < r->version_us) {
        /* Older than what is held: not stored, unless it is a detail that a newer summary
         * agrees with, which then only adds the detail-only fields. */
        if (!t->complete || !old || old->complete || !summary_same(old, t))
            return r;
        r->task = task_ref(t);
        task_unref(old);
        r->complete_us = now;
        c->stats.generation++;
        lru_note_locked(c, r);
        return r;
    }
    r->version_us = sent_us;
    r->fetched_us = now;
    r->missing_until_us = 0;
    if (old && task_same(old, t)) {
        if (t->complete) {
            r->complete_us = now;
            if (!old->complete) {
                r->task = task_ref(t);
                task_unref(old);
                c->stats.generation++;
            }
        }
        lru_note_locked(c, r);
        return r;
    }
    if (old)
        task_fill_updated(t, g_get_real_time() / 1000); /* not yet seen by other threads */
    push_change(c, changes, r, old, t);
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
    if (r->seeded && !c->stats.last_walk_us && !r->expired_us) {
        /* The snapshot answers at once until the API has listed every task (the kernel
         * keeps nothing of it: the walk's differences come as changes). */
        if (until)
            *until = now;
        return true;
    }
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
    enum purpose purpose; /* the starting thread's (purpose.h): what the request is for */
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
    gint64 now, sent_us = g_get_monotonic_time();
    int rc;

    api_error_init(&err);
    purpose_set(job->purpose);
    rc = api_get_task(c->cfg.api, id, job->deadline, &t, &err);
    purpose_set(PURPOSE_FOREGROUND);
    api_error_release(&err);

    g_mutex_lock(&c->lock);
    now = g_get_monotonic_time();
    if (rc == 0) {
        upsert_locked(c, t, sent_us, changes)->disowned = false;
        note_success_locked(c);
    } else if (rc == -ENOENT) {
        struct record *r = g_hash_table_lookup(c->by_id, id);
        note_success_locked(c);
        if (r)
            confirm_locked(c, r);
        if (r && sent_us >= r->version_us) {
            if (r->task)
                push_change(c, changes, r, r->task, NULL);
            g_clear_pointer(&r->task, task_unref);
            lru_note_locked(c, r);
            r->version_us = sent_us;
            r->missing_until_us = now + c->negative_us;
            r->disowned = true;
        } else if (!r) {
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

/* The flight fetching @id: the one in progress, or a new one handed to a fetcher thread. */
static struct flight *flight_start_locked(struct cache *c, const char *id, gint64 deadline)
{
    struct flight *f = g_hash_table_lookup(c->flights, id);
    struct fetch_job *job;

    if (f)
        return f;
    f = g_new0(struct flight, 1);
    g_cond_init(&f->cond);
    f->created_us = g_get_monotonic_time();
    g_hash_table_insert(c->flights, g_strdup(id), f);
    c->stats.detail_fetches++;
    job = g_new0(struct fetch_job, 1);
    job->id = g_strdup(id);
    job->flight = f;
    job->deadline = MIN(deadline, g_get_monotonic_time() + c->timeout_us);
    job->purpose = purpose_current();
    g_thread_pool_push(c->fetchers, job, NULL);
    return f;
}

/* Waits for flight @f until it is done or @until; returns its result, -ETIMEDOUT or -EINTR.
 * Called with c->lock held, which the wait releases. */
static int flight_wait_locked(struct cache *c, struct flight *f, gint64 until)
{
    int rc = 0;

    f->waiters++;
    while (!f->done && rc == 0)
        rc = interrupt_cond_wait(&f->cond, &c->lock, until);
    if (f->done)
        rc = f->rc;
    f->waiters--;
    flight_release_locked(c, f);
    return rc;
}

/*
 * Fetches @id's detail once however many threads ask, and stores the result. The request
 * runs on a fetcher thread, never on the caller's: the caller only waits, and can leave at
 * its deadline (or earlier, at @wait_until) or when its operation is interrupted while the
 * fetch goes on and fills the table for the next reader. A flight started before
 * @not_before_us is waited for and followed by a new one (its answer may predate what the
 * caller knows). Returns the fetch's result (0, -ENOENT, or another -errno), -ETIMEDOUT when
 * the wait ended first, or -EINTR.
 */
static int fetch_detail(struct cache *c, const char *id, gint64 deadline, gint64 wait_until,
                        bool only_if_stale, bool need_complete, gint64 not_before_us)
{
    struct flight *f;
    int rc = 0;

    g_mutex_lock(&c->lock);
    while ((f = g_hash_table_lookup(c->flights, id)) && f->created_us < not_before_us &&
           (rc = flight_wait_locked(c, f, MIN(deadline, wait_until))) != -ETIMEDOUT && rc != -EINTR)
        ;
    if (rc == -ETIMEDOUT || rc == -EINTR) {
        g_mutex_unlock(&c->lock);
        return rc;
    }
    rc = 0;
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
    rc = flight_wait_locked(c, f, MIN(deadline, wait_until));
    g_mutex_unlock(&c->lock);
    return rc;
}

/*
 * A read by process @reader (child of @family) needed @r's detail: when reads walk the tasks
 * (scan.h), start fetches for the next ones, so that the walk finds them fetched or in
 * flight. Called with c->lock held.
 */
static void read_ahead_locked(struct cache *c, struct record *r, gint64 now, guint32 reader,
                              guint32 family)
{
    struct listing *all = g_hash_table_lookup(c->listings, c->all_key);
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
    scan_read(c->scan, reader, family, r->slot, ahead);
    for (guint i = 0; i < ahead->len; i++) {
        struct record *next = g_ptr_array_index(c->records, g_array_index(ahead, guint32, i));

        if (!next->task || fresh_locked(c, next, true, now, NULL) ||
            g_hash_table_contains(c->flights, next->id))
            continue;
        /* What the reader is about to read: charged to the budget (the refresh waits while
         * someone reads), never delayed by it. */
        budget_charge(c->cfg.budget, 1);
        purpose_set(PURPOSE_READAHEAD);
        flight_start_locked(c, next->id, now + c->timeout_us);
        purpose_set(PURPOSE_FOREGROUND);
        c->stats.prefetches++;
    }
}

/*
 * The shared path of cache_get_task and cache_get_slot: answer from the table when fresh,
 * else fetch and answer from the table (or stale data if the fetch failed). A fetch whose
 * answer a newer one overtook (a walk saw the task change meanwhile) is followed by one more.
 */
static int get_task(struct cache *c, const char *id, bool need_complete, gint64 deadline,
                    struct task **out, guint32 *slot, gint64 *fresh_until)
{
    gint64 wait_until = G_MAXINT64;
    guint32 reader = need_complete ? requester_current() : 0;
    guint32 family = reader ? requester_parent(reader) : 0; /* before the lock: reads /proc */
    int fetches = 0;
    int rc = 0;

    for (;;) {
        gint64 now = g_get_monotonic_time(), until = 0;
        struct record *r;
        gint64 *missing;

        g_mutex_lock(&c->lock);
        r = g_hash_table_lookup(c->by_id, id);
        /* An id the snapshot being read may hold: after it, not from the API. */
        while (!r && c->seeding &&
               (rc = interrupt_cond_wait(&c->seeded_cond, &c->lock, deadline)) == 0)
            r = g_hash_table_lookup(c->by_id, id);
        if (!r && c->seeding) {
            g_mutex_unlock(&c->lock);
            return rc;
        }
        missing = r ? NULL : g_hash_table_lookup(c->missing, id);
        bool fetched = fetches > 0;
        if (r && need_complete && !fetched)
            read_ahead_locked(c, r, now, reader, family);
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
        if (rc || fetches == 2)
            return rc ? rc : -EIO;
        rc = fetch_detail(c, id, deadline, wait_until, true, need_complete, 0);
        fetches++;
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

bool cache_slot_in_view(struct cache *c, guint32 slot, const struct listing *l)
{
    bool in = false;

    g_mutex_lock(&c->lock);
    if (slot < c->records->len) {
        struct record *r = g_ptr_array_index(c->records, slot);
        in = r->task && view_matches(listing_view(l), listing_value(l), r->task);
    }
    g_mutex_unlock(&c->lock);
    return in;
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
    char *key;               /* the listing's key in c->listings */
    gint64 started_us;
    enum purpose why; /* the starting thread's purpose (purpose.h) */
    GHashTable *seen; /* slots (GUINT_TO_POINTER(slot + 1)) in the listing */
    guint received;   /* tasks this pass of the walk received (the cap's measure) */
};

/*
 * Whether anyone still waits for @w's listing: a reader, the refresh, or the table through
 * which the next reader finds it. A walk whose listing has been replaced in the table and
 * that nobody holds stops at its next page. Called with c->lock held.
 */
static bool walk_wanted_locked(struct walk *w)
{
    bool in_table = g_hash_table_lookup(w->cache->listings, w->key) == w->listing;

    return listing_is_wanted(w->listing, in_table ? 2 : 1) ||
           (in_table && g_get_monotonic_time() < w->started_us + w->cache->timeout_us);
}

/*
 * Stores one page of a walk. A summary that contradicts a whole object we hold is not stored
 * as is: the task's detail is fetched instead (by a request sent after the page's), so the
 * change is reported once, with every field that changed (state, status, error...), as the
 * refresh contract asks. Stops the walk (-ECANCELED) when nobody waits for it any more, and
 * (-EFBIG) past the cap on tasks per walk.
 */
static int walk_page(GPtrArray *tasks, const struct api_page_info *info, void *data)
{
    struct walk *w = data;
    struct cache *c = w->cache;
    g_autoptr(GArray) changes = pending_new();
    g_autoptr(GArray) slots = g_array_sized_new(FALSE, FALSE, sizeof(guint32), tasks->len);
    g_autoptr(GPtrArray) deferred = g_ptr_array_new_with_free_func((GDestroyNotify)task_unref);
    const struct view *view = listing_view(w->listing);
    const char *value = listing_value(w->listing);

    g_mutex_lock(&c->lock);
    if (!walk_wanted_locked(w)) {
        g_mutex_unlock(&c->lock);
        log_debug("walk %s: nobody waits for it any more; stopped", w->key);
        return -ECANCELED;
    }
    w->received += tasks->len;
    if (c->cfg.max_walk_tasks && w->received > c->cfg.max_walk_tasks) {
        g_mutex_unlock(&c->lock);
        log_warn("the list has more than %u tasks (--max-tasks): the listing fails with EFBIG",
                 c->cfg.max_walk_tasks);
        return -EFBIG;
    }
    for (guint i = 0; i < tasks->len; i++) {
        struct task *t = g_ptr_array_index(tasks, i);
        struct record *r = g_hash_table_lookup(c->by_id, t->id);

        if (r && r->disowned)
            continue;
        if (r && r->task && r->task->complete && !t->complete && !summary_same(r->task, t) &&
            info->sent_us >= r->version_us)
            g_ptr_array_add(deferred, task_ref(t));
        else
            r = upsert_locked(c, t, info->sent_us, changes);
        if (view_matches(view, value, t) &&
            g_hash_table_add(w->seen, GUINT_TO_POINTER(r->slot + 1)))
            g_array_append_val(slots, r->slot);
    }
    note_success_locked(c);
    g_mutex_unlock(&c->lock);
    report(c, changes);
    g_array_set_size(changes, 0);

    for (guint i = 0; i < deferred->len; i++) {
        struct task *t = g_ptr_array_index(deferred, i);
        int rc = fetch_detail(c, t->id, g_get_monotonic_time() + c->timeout_us, G_MAXINT64, false,
                              true, info->sent_us);
        if (rc == 0 || rc == -ENOENT)
            continue;
        g_mutex_lock(&c->lock); /* no detail: the summary still tells the state */
        upsert_locked(c, t, info->sent_us, changes);
        g_mutex_unlock(&c->lock);
    }
    report(c, changes);
    listing_append(w->listing, (const guint32 *)slots->data, slots->len);
    return 0;
}

/* Whether a walk's pages disagree with the total the server gave (tasks slid between pages
 * while others were deleted, or the list changed under the walk). */
static bool walk_inconsistent(const struct api_walk *a)
{
    return a->total >= 0 && (a->shifted || (gint64)a->items < a->total);
}

/*
 * After a complete walk of a view: the tasks we hold as belonging to the view that the walk
 * did not return have changed, gone, or slid between pages while others were deleted. They
 * stay in the listing (nothing that exists goes missing); the ones no fetch has confirmed
 * since the walk started are returned (ids, to free) for walk_check.
 */
static GPtrArray *walk_add_unseen(struct walk *w)
{
    struct cache *c = w->cache;
    GPtrArray *check = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GArray) slots = g_array_new(FALSE, FALSE, sizeof(guint32));
    const struct view *view = listing_view(w->listing);
    const char *value = listing_value(w->listing);

    g_mutex_lock(&c->lock);
    for (guint i = 0; i < c->records->len; i++) {
        struct record *r = g_ptr_array_index(c->records, i);
        if (!r->task || !view_matches(view, value, r->task) ||
            !g_hash_table_add(w->seen, GUINT_TO_POINTER(r->slot + 1)))
            continue;
        g_array_append_val(slots, r->slot);
        if (r->version_us < w->started_us)
            g_ptr_array_add(check, g_strdup(r->id));
    }
    g_mutex_unlock(&c->lock);
    listing_append(w->listing, (const guint32 *)slots->data, slots->len);
    return check;
}

/*
 * Fetches the details of @ids at once (as many at a time as the fetchers allow) and waits
 * for them: each reports what changed, a task that is gone included.
 */
static void walk_check(struct cache *c, GPtrArray *ids)
{
    g_autoptr(GPtrArray) flights = g_ptr_array_new();
    gint64 deadline = g_get_monotonic_time() + c->timeout_us;

    g_mutex_lock(&c->lock);
    for (guint i = 0; i < ids->len; i++) {
        struct flight *f = flight_start_locked(c, g_ptr_array_index(ids, i), deadline);
        f->waiters++;
        g_ptr_array_add(flights, f);
    }
    for (guint i = 0; i < flights->len; i++) {
        struct flight *f = g_ptr_array_index(flights, i);
        while (!f->done && g_cond_wait_until(&f->cond, &c->lock, deadline))
            ;
        f->waiters--;
        flight_release_locked(c, f);
    }
    g_mutex_unlock(&c->lock);
}

static void walk_free(struct walk *w)
{
    listing_unref(w->listing);
    g_hash_table_unref(w->seen);
    g_free(w->key);
    g_free(w);
}

static void walk_run(gpointer data, gpointer pool_data)
{
    struct walk *w = data;
    struct cache *c = w->cache;
    struct api_filter filter = {0};
    struct api_walk learnt;
    struct api_error err;
    g_autoptr(GPtrArray) unseen = NULL;
    const char *value = listing_value(w->listing);
    int rc;

    purpose_set(w->why);
    view_filter(listing_view(w->listing), value, &filter);
    /* A value the service would refuse (an undocumented state, a title outside its rules):
     * walk everything and keep the exact matches (walk_page filters every view). */
    if (!api_filter_acceptable(&filter))
        filter = (struct api_filter){0};
    api_error_init(&err);
    for (int pass = 1;; pass++) {
        /* Each page gets a little less than an operation's deadline, so that a reader waiting
         * for the first page gets the last good listing rather than a timeout. */
        w->received = 0;
        rc = api_list_tasks(c->cfg.api, &filter, c->cfg.page_size,
                            c->timeout_us - c->timeout_us / 10, walk_page, w, &learnt, &err);
        if (rc < 0 || pass == 2 || !walk_inconsistent(&learnt))
            break;
        log_info("walk %s: %u distinct tasks where the server counts %lld%s; walking again", w->key,
                 learnt.items, (long long)learnt.total,
                 learnt.shifted ? " (the count changed during the walk)" : "");
    }
    api_error_release(&err);
    if (rc == 0)
        unseen = walk_add_unseen(w);
    /* The table is settled before the listing is done: whoever saw it done finds it there. */
    g_mutex_lock(&c->lock);
    if (rc == 0) {
        g_hash_table_replace(c->good, g_strdup(w->key), listing_ref(w->listing));
        if (!listing_view(w->listing))
            c->stats.last_walk_us = g_get_monotonic_time();
    } else if (rc != -ECANCELED) {
        note_failure_locked(c);
    }
    if (rc < 0 && g_hash_table_lookup(c->listings, w->key) == w->listing)
        g_hash_table_remove(c->listings, w->key); /* the next reader walks again */
    g_mutex_unlock(&c->lock);
    listing_finish(w->listing, rc);
    if (unseen && unseen->len)
        walk_check(c, unseen);
    purpose_set(PURPOSE_FOREGROUND);
    walk_free(w);
}

/* The key of a view's listing in c->listings ("all" for every task). */
static char *listing_key(const struct view *view, const char *value)
{
    return view ? g_strdup_printf("%s/%s", view->dir, value) : g_strdup("all");
}

/*
 * A view (by-state, by-camera, by-algorithm) taken from the listing of every task while that
 * one is complete and fresh, instead of a filtered walk: the same tasks, as fresh, and no
 * request. Dated like the full listing, so it is not fresh for longer. NULL when there is no
 * such listing. Called with c->lock held.
 */
static struct listing *derive_locked(struct cache *c, const struct view *view, const char *value)
{
    struct listing *all = g_hash_table_lookup(c->listings, c->all_key), *l;
    g_autoptr(GArray) slots = NULL;
    gint64 done_us;
    int error;

    if (!all || !listing_done(all, &error, &done_us) || error ||
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

/* A new listing of a view, in the table under @key, whose walk starts now. Called with
 * c->lock held. Returns a new reference. */
static struct listing *walk_start_locked(struct cache *c, const struct view *view,
                                         const char *value, const char *key)
{
    struct listing *l = listing_new(view, value);
    struct walk *w = g_new0(struct walk, 1);

    w->cache = c;
    w->listing = listing_ref(l);
    w->key = g_strdup(key);
    w->started_us = g_get_monotonic_time();
    w->why = purpose_current();
    w->seen = g_hash_table_new(g_direct_hash, g_direct_equal);
    g_hash_table_replace(c->listings, g_strdup(key), listing_ref(l));
    c->stats.walks++;
    g_thread_pool_push(c->walkers, w, NULL);
    return l;
}

/*
 * While the API has not listed every task since the cache was seeded: the snapshot's listing
 * (or a view of it), at once, counted as stale, with a walk of every task started behind it
 * when none runs. Called with c->lock held. Returns a new reference.
 */
static struct listing *seeded_listing_locked(struct cache *c, const struct view *view,
                                             const char *value, gint64 deadline)
{
    struct listing *all = g_hash_table_lookup(c->listings, c->all_key), *l;
    g_autoptr(GArray) slots = NULL;
    gint64 done_us = g_get_monotonic_time() - c->ttl_us - 1; /* never fresh */

    c->stats.stale_served++;
    if (!c->seeding && (!all || listing_done(all, NULL, NULL)))
        listing_unref(walk_start_locked(c, NULL, NULL, c->all_key));
    if (!view) /* every task: streams while the snapshot is read */
        return listing_ref(c->seeded);
    /* A view of it: once the snapshot is read whole (a view does not stream). */
    while (c->seeding && interrupt_cond_wait(&c->seeded_cond, &c->lock, deadline) == 0)
        ;
    listing_done(c->seeded, NULL, &done_us);
    slots = g_array_new(FALSE, FALSE, sizeof(guint32));
    for (guint i = 0, n = listing_length(c->seeded); i < n; i++) {
        guint32 slot = listing_slot(c->seeded, i);
        struct record *r = g_ptr_array_index(c->records, slot);

        if (r->task && view_matches(view, value, r->task))
            g_array_append_val(slots, slot);
    }
    l = listing_new(view, value);
    listing_append(l, (const guint32 *)slots->data, slots->len);
    listing_finish_at(l, 0, done_us);
    return l;
}

struct listing *cache_listing(struct cache *c, const struct view *view, const char *value,
                              gint64 deadline)
{
    g_autofree char *key = listing_key(view, value);
    struct listing *l, *good;
    gint64 done_us;
    int error = 0, rc;

    g_mutex_lock(&c->lock);
    if (c->seeded && !c->stats.last_walk_us) {
        l = seeded_listing_locked(c, view, value, deadline);
        g_mutex_unlock(&c->lock);
        return l;
    }
    l = g_hash_table_lookup(c->listings, key);
    if (l && listing_done(l, &error, &done_us)) {
        if (error == 0 && g_get_monotonic_time() < done_us + c->ttl_us) {
            c->stats.listing_hits++;
            listing_ref(l);
            g_mutex_unlock(&c->lock);
            return l;
        }
        l = NULL; /* expired: walked again below */
    }
    if (l) {
        c->stats.listing_hits++; /* its walk runs */
        listing_ref(l);
    } else if (view && (l = derive_locked(c, view, value))) {
        g_hash_table_replace(c->listings, g_strdup(key), listing_ref(l));
        g_hash_table_replace(c->good, g_steal_pointer(&key), listing_ref(l));
        c->stats.listings_derived++;
        g_mutex_unlock(&c->lock);
        return l;
    } else {
        l = walk_start_locked(c, view, value, key);
    }
    good = g_hash_table_lookup(c->good, key);
    if (!good) {
        g_mutex_unlock(&c->lock);
        return l;
    }
    listing_ref(good);
    if (!c->stats.stale_since_us) {
        /* The walk's first page decides, within a moment: the listing streams from it, or,
         * when the API does not answer, the last good one is served, marked stale. */
        g_mutex_unlock(&c->lock);
        rc = listing_wait(l, 0, MIN(deadline, g_get_monotonic_time() + FAILING_GRACE_US));
        if (rc == 0 || rc == LISTING_END) {
            listing_unref(good);
            return l;
        }
        g_mutex_lock(&c->lock);
    }
    c->stats.stale_served++;
    g_mutex_unlock(&c->lock);
    listing_unref(l);
    return good;
}

struct listing *cache_listing_peek(struct cache *c, const struct view *view, const char *value)
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

struct listing *cache_walk_view_now(struct cache *c, const struct view *view, const char *value)
{
    g_autofree char *key = listing_key(view, value);
    struct listing *l;

    g_mutex_lock(&c->lock);
    l = g_hash_table_lookup(c->listings, key);
    if (l && !listing_done(l, NULL, NULL))
        listing_ref(l);
    else
        l = walk_start_locked(c, view, value, key);
    c->stats.refresh_walks++;
    g_mutex_unlock(&c->lock);
    return l;
}

struct listing *cache_walk_now(struct cache *c)
{
    return cache_walk_view_now(c, NULL, NULL);
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
        fetch_detail(c, g_ptr_array_index(ids, i), deadline, G_MAXINT64, false, true, 0);
    return ids->len;
}

guint cache_refresh_tasks(struct cache *c, const guint32 *slots, guint n, gint64 deadline)
{
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GHashTable) chosen = g_hash_table_new(g_direct_hash, g_direct_equal);

    g_mutex_lock(&c->lock);
    for (guint i = 0; i < n; i++) {
        struct record *r =
            slots[i] < c->records->len ? g_ptr_array_index(c->records, slots[i]) : NULL;
        if (r && r->task && g_hash_table_add(chosen, r))
            g_ptr_array_add(ids, g_strdup(r->id));
    }
    for (guint i = 0; i < c->records->len; i++) {
        struct record *r = g_ptr_array_index(c->records, i);
        if (r->task && r->detail_wanted && g_hash_table_add(chosen, r))
            g_ptr_array_add(ids, g_strdup(r->id));
        r->detail_wanted = false;
    }
    g_mutex_unlock(&c->lock);
    for (guint i = 0; i < ids->len && g_get_monotonic_time() < deadline; i++)
        fetch_detail(c, g_ptr_array_index(ids, i), deadline, G_MAXINT64, false, true, 0);
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

void cache_forget_listing(struct cache *c, const struct view *view, const char *value)
{
    g_autofree char *key = listing_key(view, value);

    g_mutex_lock(&c->lock);
    g_hash_table_remove(c->listings, key);
    g_mutex_unlock(&c->lock);
}

/* @r's data is no longer fresh, nor is any answer in flight. Called with c->lock held. */
static void expire_locked(struct record *r, gint64 now)
{
    r->fetched_us = 0;
    r->complete_us = 0;
    r->missing_until_us = 0;
    r->expired_us = now;
}

void cache_expire_all(struct cache *c)
{
    gint64 now = g_get_monotonic_time();

    g_mutex_lock(&c->lock);
    c->expired_all_us = now;
    for (guint i = 0; i < c->records->len; i++)
        expire_locked(g_ptr_array_index(c->records, i), now);
    g_hash_table_remove_all(c->missing);
    g_hash_table_remove_all(c->listings);
    g_mutex_unlock(&c->lock);
}

void cache_expire_task(struct cache *c, const char *id)
{
    struct record *r;

    g_mutex_lock(&c->lock);
    r = g_hash_table_lookup(c->by_id, id);
    if (!r && g_hash_table_contains(c->flights, id))
        r = record_for_locked(c, id); /* a first fetch in flight: its answer is not fresh */
    if (r)
        expire_locked(r, g_get_monotonic_time());
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

void cache_seed_begin(struct cache *c, bool api_failing)
{
    g_mutex_lock(&c->lock);
    c->seeded = listing_new(NULL, NULL);
    c->seeding = true;
    g_hash_table_replace(c->good, g_strdup(c->all_key), listing_ref(c->seeded));
    if (api_failing)
        note_failure_locked(c);
    g_mutex_unlock(&c->lock);
}

void cache_seed_add(struct cache *c, struct task *const *tasks, guint n)
{
    g_autoptr(GArray) slots = g_array_sized_new(FALSE, FALSE, sizeof(guint32), n);

    g_mutex_lock(&c->lock);
    for (guint i = 0; i < n; i++) {
        struct record *r = record_for_locked(c, tasks[i]->id);

        if (r->task)
            continue; /* the API answered for it first, or the snapshot had it twice */
        r->task = task_ref(tasks[i]);
        r->seeded = true;
        c->stats.unconfirmed++;
        lru_note_locked(c, r);
        g_array_append_val(slots, r->slot);
    }
    c->stats.seeded += slots->len;
    /* Appended under the cache lock: a reader that finds an entry finds its record. */
    listing_append(c->seeded, (const guint32 *)slots->data, slots->len);
    g_mutex_unlock(&c->lock);
}

void cache_seed_end(struct cache *c)
{
    g_mutex_lock(&c->lock);
    /* Done long ago: never fresh, so the kernel is told to keep none of it. */
    listing_finish_at(c->seeded, 0, g_get_monotonic_time() - c->ttl_us - 1);
    c->seeding = false;
    g_cond_broadcast(&c->seeded_cond);
    g_mutex_unlock(&c->lock);
}

GPtrArray *cache_export(struct cache *c, bool *complete)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)task_unref);
    struct listing *order;
    g_autoptr(GHashTable) done = g_hash_table_new(g_direct_hash, g_direct_equal);

    g_mutex_lock(&c->lock);
    *complete = c->stats.last_walk_us != 0 || (c->seeded && !c->seeding);
    order = g_hash_table_lookup(c->good, c->all_key);
    for (guint i = 0, n = order ? listing_length(order) : 0; i < n; i++) {
        struct record *r = g_ptr_array_index(c->records, listing_slot(order, i));

        if (r->task && g_hash_table_add(done, r))
            g_ptr_array_add(out, task_ref(r->task));
    }
    for (guint i = 0; i < c->records->len; i++) { /* found since, by a lookup or a detail */
        struct record *r = g_ptr_array_index(c->records, i);

        if (r->task && g_hash_table_add(done, r))
            g_ptr_array_add(out, task_ref(r->task));
    }
    g_mutex_unlock(&c->lock);
    return out;
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
    g_cond_init(&c->seeded_cond);
    c->by_id = g_hash_table_new(g_str_hash, g_str_equal);
    c->records = g_ptr_array_new_with_free_func(record_free);
    c->missing = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c->flights = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    c->listings =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)listing_unref);
    c->good = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)listing_unref);
    c->all_key = listing_key(NULL, NULL);
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
    g_hash_table_unref(c->good);
    if (c->seeded)
        listing_unref(c->seeded);
    g_free(c->all_key);
    scan_free(c->scan);
    if (c->scan_listing)
        listing_unref(c->scan_listing);
    g_hash_table_unref(c->flights);
    g_hash_table_unref(c->missing);
    g_hash_table_unref(c->by_id);
    g_ptr_array_unref(c->records);
    g_cond_clear(&c->seeded_cond);
    g_mutex_clear(&c->lock);
    g_free(c);
}
