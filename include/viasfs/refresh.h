/*
 * refresh: the thread that keeps watched data current, at a pace set by who is watching.
 * Every period it asks its owner what is watched (struct refresh_watch: inotify watches, open
 * files, recent requests, classified by the tree) and refreshes that, the cheapest way:
 *   - something needs every task (tasks/, .viasfs/events, a view's top directory): a walk
 *     of the list of all tasks (one request per page of up to --page-size tasks), then the
 *     details the cache marks as wanted (tasks with open files, tasks whose state changed);
 *   - otherwise the walks of the watched views (by-state/X...) plus one detail call per
 *     watched task, unless the walk of every task costs fewer requests, which is then made;
 *   - nothing watched and no request for idle_after_s: idle; a walk of every task at most
 *     every idle_refresh_s. The first round (one period after the start) is always a walk
 *     of every task, which populates the tree.
 * The requests of a round are drawn from the budget (budget.h) before it starts; when the
 * budget cannot cover a round every period, the round waits for it, and the period
 * stretches. The cache reports what changed; refresh only chooses and sets the pace.
 */
#ifndef VIASFS_REFRESH_H
#define VIASFS_REFRESH_H

#include "viasfs/budget.h"
#include "viasfs/cache.h"

struct refresh;

/* What watches: the kinds a refresh_watch counts, and where a watch was found. */
enum refresh_watch_kind {
    REFRESH_WATCH_FILE, /* a task's file (state, status...) or a link to a task */
    REFRESH_WATCH_TASK, /* a task's directory */
    REFRESH_WATCH_VIEW, /* one directory of a view (by-state/RUNNING...) */
    REFRESH_WATCH_ALL,  /* something that needs every task */
    REFRESH_WATCH_KINDS,
};
enum refresh_watch_source {
    REFRESH_SOURCE_INOTIFY, /* an inotify watch (watchers.h) */
    REFRESH_SOURCE_OPEN,    /* an open file */
    REFRESH_SOURCE_RECENT,  /* a request within idle_after_s */
    REFRESH_SOURCE_COUNT,
};

/* One watched view directory. */
struct refresh_view {
    const struct view *view; /* static (view_table) */
    char *value;             /* owned */
};

/* What is watched, as the owner answers it each period. Init, fill, release. */
struct refresh_watch {
    bool all;              /* something needs every task */
    GArray *slots;         /* guint32, distinct: tasks watched one by one */
    GPtrArray *views;      /* struct refresh_view *, distinct, owned */
    guint open_slots;      /* of the slots, those with open files (kept by the cache) */
    gint64 last_access_us; /* monotonic time of the latest request that counts as use; 0 */
    guint counts[REFRESH_WATCH_KINDS][REFRESH_SOURCE_COUNT]; /* watches found, for status */
    int scan_error;                                          /* -errno of the inotify scan, or 0 */
    gint64 scan_cost_us;  /* how long that scan took; -1 when none was made */
    guint scan_processes; /* processes it read */
};
void refresh_watch_init(struct refresh_watch *w);
void refresh_watch_release(struct refresh_watch *w);
/* Adds a watched task, or view directory (@value copied), once. */
void refresh_watch_add_slot(struct refresh_watch *w, guint32 slot);
void refresh_watch_add_view(struct refresh_watch *w, const struct view *view, const char *value);

struct refresh_config {
    struct cache *cache;   /* borrowed */
    struct budget *budget; /* borrowed; NULL: no limit */
    int period_s;          /* > 0 */
    int timeout_s;
    int idle_after_s;   /* nothing watched and no request for this long: idle */
    int idle_refresh_s; /* the period when idle */
    int page_size;      /* tasks per list request, for the cost of a walk */
    /* Fills @out (initialised) with what is watched; @since_us: requests before that
     * monotonic time are not recent. Called on the refresh thread once per period, with no
     * lock held. NULL: everything is always watched (a walk of every task every period). */
    void (*watched)(struct refresh_watch *out, gint64 since_us, void *data);
    void *watched_data;
};

/* Starts the thread. The first round comes one period after the start. */
struct refresh *refresh_start(const struct refresh_config *cfg);
/* Stops the thread (at once, or after the request in flight) and frees. NULL is fine. */
void refresh_stop(struct refresh *r);

/*
 * The lines .viasfs/status shows about the refresh: "pace:" (normal, idle or stretched, the
 * effective period and why), "watched:" (counts by kind and source), "last_round:" (what the
 * last round did and what it cost) and "watch_scan:" (the cost of the last inotify scan).
 * Caller frees. Any thread.
 */
char *refresh_describe(struct refresh *r);

/* The effective period now, in seconds (idle: the idle period), for metrics. Any thread. */
double refresh_period(struct refresh *r);

#endif
