/*
 * cache: the one table of tasks shared by every view, and the fetching behind it. Each task
 * id ever seen gets a slot number that never changes while mounted (the tree derives inode
 * numbers from it). Data counts as fresh for the ttl; stale or missing data is fetched again
 * when asked for, with one request in flight per task or view however many threads ask
 * (single flight). List walks run on background threads and stream into listings. When a
 * fetch finds that a task changed, appeared or disappeared, the owner's callback is told,
 * with no cache lock held. The cache knows nothing about inodes, names or FUSE.
 *
 * Threads: one struct cache is shared by every thread, and every function may be called from
 * any thread at once (one mutex guards the table; it is never held across a request or a
 * callback), except cache_new and cache_free, which its owner calls alone. Functions that
 * wait (for a fetch, a walk's first entry) are bounded by their deadline and end early when
 * the calling thread's operation is interrupted (interrupt.h). The change callback runs on
 * the fetching thread and must not call back into a cache function that waits.
 */
#ifndef VIASFS_CACHE_H
#define VIASFS_CACHE_H

#include "viasfs/api.h"
#include "viasfs/listing.h"

struct cache;
struct budget;

/* One change found by a fetch. Tasks are borrowed for the duration of the callback. */
struct cache_change {
    const char *id;
    guint32 slot;
    const struct task *old_task; /* NULL: the task is new */
    const struct task *new_task; /* NULL: the task is gone */
};

struct cache_config {
    struct api *api;         /* borrowed; outlives the cache */
    int ttl_s;               /* freshness, seconds (0: every access fetches) */
    int timeout_s;           /* deadline of one page or detail request */
    int page_size;           /* list page size, 5..1000 */
    int max_walks;           /* walks running at once; >= 1 */
    int max_fetches;         /* detail requests running at once on fetcher threads; 0 = 16 */
    size_t max_detail_bytes; /* memory for complete tasks, least recently read dropped
                                first (their summary stays); 0 = no bound */
    guint max_walk_tasks;    /* a walk receiving more tasks fails with -EFBIG; 0 = no cap */
    struct budget *budget;   /* borrowed; read-ahead is charged to it (budget.h); NULL: none */
    void (*on_change)(const struct cache_change *c, void *data);
    void *on_change_data;
};

struct cache *cache_new(const struct cache_config *cfg);
/* Waits for running walks to end, then frees. */
void cache_free(struct cache *c);

/*
 * The task with @id, fetched with one detail request when not cached, stale, or (when
 * @need_complete) missing its detail-only fields. Returns 0 with a new reference in *@out, its
 * slot, and the monotonic time until which it is fresh; or -ENOENT for a task the API does
 * not have (remembered briefly), or another -errno. When a fetch fails and an older copy
 * exists, the older copy is returned (stale) and the cache notes it.
 */
int cache_get_task(struct cache *c, const char *id, bool need_complete, gint64 deadline,
                   struct task **out, guint32 *slot, gint64 *fresh_until);
/* The same for a slot already known (from a listing or an inode). -ENOENT for a bad slot. */
int cache_get_slot(struct cache *c, guint32 slot, bool need_complete, gint64 deadline,
                   struct task **out, gint64 *fresh_until);
/* What is cached for @slot, however old, without fetching; NULL if nothing. New reference. */
struct task *cache_peek_slot(struct cache *c, guint32 slot);
/* Whether @slot's task, as cached now, exists and belongs in @l's view: a listing's entry
 * that has gone or moved to another view since is not shown. Never fetches. */
bool cache_slot_in_view(struct cache *c, guint32 slot, const struct listing *l);
/* The id of @slot (caller frees), or NULL for a slot never handed out. */
char *cache_slot_id(struct cache *c, guint32 slot);
/* The slot of @id when the id was ever seen, without fetching. */
bool cache_find_slot(struct cache *c, const char *id, guint32 *slot);

/*
 * The current listing of a view: the cached one while fresh (or while its walk runs), else a
 * new one whose walk starts on a background thread. When the view had a listing whose walk
 * succeeded, and the API is failing or the walk brings no first entry within a second (at
 * most until @deadline), that last good listing is returned instead, marked stale in the
 * stats: a failing API never shows as an empty or shortened directory. A walk that fails
 * part-way fails its listing with the API's -errno; a later call walks again. Returns a new
 * reference.
 */
struct listing *cache_listing(struct cache *c, const struct view *view, const char *value,
                              gint64 deadline);
/* The current listing of a view however old, without starting a walk; NULL if none. */
struct listing *cache_listing_peek(struct cache *c, const struct view *view, const char *value);
/* Monotonic time until which @l counts as fresh (its end + ttl; now + ttl while running). */
gint64 cache_listing_fresh_until(struct cache *c, struct listing *l);

/*
 * A new walk of every task now, whatever the freshness (the refresh thread's call); the running
 * one if a walk of every task is already under way. Returns a new reference.
 */
struct listing *cache_walk_now(struct cache *c);
/* The same for one directory of a view (@view NULL: every task). */
struct listing *cache_walk_view_now(struct cache *c, const struct view *view, const char *value);

/*
 * Re-fetches the detail of every task that is held (see cache_hold) or whose state a walk
 * found changed after its detail had been fetched, waiting for each fetch until @deadline.
 * Returns how many were fetched.
 */
guint cache_refresh_details(struct cache *c, gint64 deadline);

/*
 * Re-fetches the detail of the tasks in @slots (@n of them; slots never handed out or of tasks
 * gone are skipped) and of every task whose state a walk found changed after its detail had
 * been fetched, each once, waiting for each fetch until @deadline. Returns how many were
 * fetched. The refresh's call when it refreshes watched tasks one by one.
 */
guint cache_refresh_tasks(struct cache *c, const guint32 *slots, guint n, gint64 deadline);

/* Counts users of a task's detail (open files): held tasks are kept fresh by the refresh. */
void cache_hold(struct cache *c, guint32 slot);
void cache_unhold(struct cache *c, guint32 slot);

/* Forgets the listing of one view, so its next use walks again (a change made it wrong). */
void cache_forget_listing(struct cache *c, const struct view *view, const char *value);

/* Drops every freshness: the next access to anything fetches again, and an answer to a
 * request sent before this call does not count as fresh. */
void cache_expire_all(struct cache *c);
/* Drops the freshness of task @id (and any memory of it being absent): its next access
 * fetches again. Listings are left alone. */
void cache_expire_task(struct cache *c, const char *id);

/*
 * Seeding with a snapshot (snapshot.h), before any other use or while the cache serves:
 * cache_seed_begin, then cache_seed_add with the snapshot's tasks in list order, a batch at a
 * time, then cache_seed_end. Each task gets a slot, unconfirmed. Until a walk of every task
 * succeeds, they count as fresh (a read answers at once from them, the kernel being told to
 * keep nothing) and cache_listing answers with them: the list of every task at once, growing
 * while the snapshot is read (it streams like a walk); a view of them once it is read whole.
 * A lookup of an id not seeded yet waits for cache_seed_end (bounded by its deadline). After
 * the end, the next listing starts a walk of every task behind the answer; that walk confirms
 * or replaces each task and reports the differences as changes (the tasks it does not list
 * are checked one by one, as after any walk). @api_failing: the API could not be reached at
 * mount, so it counts as failing from the start (stale answers without waiting for a fetch).
 * Nothing is reported as a change.
 */
void cache_seed_begin(struct cache *c, bool api_failing);
void cache_seed_add(struct cache *c, struct task *const *tasks, guint n);
void cache_seed_end(struct cache *c);

/*
 * Every task the cache has (new references), in the order of the last good listing of every
 * task, then the others; *@complete says whether that is a complete picture (a walk of every
 * task succeeded, or the cache was seeded whole). For the snapshot.
 */
GPtrArray *cache_export(struct cache *c, bool *complete);

/* Tasks with data, and the approximate bytes that data and the table hold. Walks the table
 * under the lock: for .viasfs/metrics, not for hot paths. */
void cache_get_size(struct cache *c, guint64 *tasks, guint64 *bytes);

struct cache_stats {
    guint tasks;              /* slots in use */
    guint64 detail_fetches;   /* detail requests made */
    guint64 prefetches;       /* of which started ahead of a walk of reads (scan.h) */
    guint64 evictions;        /* complete tasks reduced to summaries by the memory bound */
    guint64 listings_derived; /* views taken from a fresh listing of every task, no walk */
    guint64 detail_bytes;     /* bytes of complete tasks held (the bound's measure) */
    guint64 walks;            /* list walks started */
    guint64 stale_served;     /* answers served from stale data after a failed fetch */
    guint64 detail_hits;      /* task lookups answered from the table (fresh, or known absent) */
    guint64 detail_misses;    /* task lookups that fetched, or waited for a fetch */
    guint64 listing_hits;     /* cache_listing calls answered with a fresh or running listing */
    guint64 refresh_walks;    /* walks started by cache_walk_now (the others: on demand) */
    gint64 last_walk_us;      /* monotonic time the last complete walk of every task ended; 0 */
    gint64 stale_since_us;    /* monotonic time of the first failure since the last success;
                                 0 when the last fetch succeeded */
    guint seeded;             /* tasks the cache was seeded with (cache_seed) */
    guint unconfirmed;        /* of which the API has not answered for yet */
    guint64 generation;       /* goes up with every change and every detail stored: the data
                                 to keep (cache_export) changed */
};
void cache_get_stats(struct cache *c, struct cache_stats *out);

#endif
