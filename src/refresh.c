/*
 * refresh: a thread that asks what is watched every period and refreshes that, at a pace
 * set by the watchers and the budget (see refresh.h). A round is planned (what, at what cost
 * in requests), drawn from the budget (waiting for it, stoppably), then carried out through
 * the cache, which reports what changed. The plan and the pace are kept for
 * .viasfs/status.
 */
#include "viasfs/refresh.h"
#include "viasfs/log.h"
#include "viasfs/purpose.h"

#include <errno.h>
#include <string.h>

/* What a round does. */
enum round_kind {
    ROUND_NONE,     /* nothing: nothing watched, or idle and not due */
    ROUND_ALL,      /* a walk of every task, then the wanted details */
    ROUND_TARGETED, /* walks of watched views, then details of watched tasks */
};

/* The pace: why the next round comes when it does. */
enum pace {
    PACE_STARTING, /* before the first round */
    PACE_NORMAL,
    PACE_IDLE,
    PACE_STRETCHED, /* the budget cannot cover a round every period */
};

struct plan {
    enum round_kind kind;
    guint cost;       /* requests, estimated */
    guint all_cost;   /* what a walk of every task would cost (for the status) */
    guint view_pages; /* ROUND_TARGETED: of the cost, the walks of views */
    const char *why;  /* static: why this kind */
    bool idle;        /* nothing watched, no recent request */
};

struct refresh {
    struct refresh_config cfg; /* immutable */
    gint64 period_us;          /* immutable */
    gint64 timeout_us;         /* immutable */
    gint64 idle_after_us;      /* immutable */
    gint64 idle_period_us;     /* immutable */
    GThread *thread;
    GMutex lock; /* protects everything below */
    GCond wake;  /* signalled on stop */
    bool stop;
    enum pace pace;
    gint64 effective_us; /* the period the last round kept to */
    gint64 last_all_us;  /* when the last walk of every task started; 0 never */
    struct plan last;    /* the last round's plan */
    guint last_watches[REFRESH_WATCH_KINDS][REFRESH_SOURCE_COUNT];
    guint last_slots, last_views;
    int last_scan_error;
    gint64 last_scan_cost_us;
    guint last_scan_processes;
    guint64 rounds[3]; /* by enum round_kind */
};

/* ---- struct refresh_watch ---- */

static void view_free(gpointer p)
{
    struct refresh_view *v = p;

    g_free(v->value);
    g_free(v);
}

void refresh_watch_init(struct refresh_watch *w)
{
    *w = (struct refresh_watch){.slots = g_array_new(FALSE, FALSE, sizeof(guint32)),
                                .views = g_ptr_array_new_with_free_func(view_free),
                                .scan_cost_us = -1};
}

void refresh_watch_release(struct refresh_watch *w)
{
    if (w->slots)
        g_array_unref(w->slots);
    if (w->views)
        g_ptr_array_unref(w->views);
    *w = (struct refresh_watch){0};
}

void refresh_watch_add_slot(struct refresh_watch *w, guint32 slot)
{
    for (guint i = 0; i < w->slots->len; i++)
        if (g_array_index(w->slots, guint32, i) == slot)
            return;
    g_array_append_val(w->slots, slot);
}

void refresh_watch_add_view(struct refresh_watch *w, const struct view *view, const char *value)
{
    struct refresh_view *v;

    for (guint i = 0; i < w->views->len; i++) {
        v = g_ptr_array_index(w->views, i);
        if (v->view == view && g_strcmp0(v->value, value) == 0)
            return;
    }
    v = g_new0(struct refresh_view, 1);
    v->view = view;
    v->value = g_strdup(value);
    g_ptr_array_add(w->views, v);
}

/* ---- planning ---- */

/* Requests a walk of @tasks tasks costs: one per page, the last one short (maybe empty). */
static guint pages(const struct refresh *r, guint tasks)
{
    guint size = (guint)MAX(r->cfg.page_size, 1);

    return tasks / size + 1;
}

/* The number of tasks in the last listing of @view's @value (every task: @view NULL), or
 * @fallback when there is none. */
static guint listing_size(struct refresh *r, const struct view *view, const char *value,
                          guint fallback)
{
    struct listing *l = cache_listing_peek(r->cfg.cache, view, value);
    guint n = fallback;

    if (l) {
        n = listing_length(l);
        listing_unref(l);
    }
    return n;
}

/* What a walk of @v costs: its pages, or those of every task when the list call cannot
 * filter by it (the walk is then of every task, filtered here). An unknown size counts as
 * one page: the walk itself then tells the next round. */
static guint view_cost(struct refresh *r, const struct refresh_view *v, guint all_pages)
{
    struct api_filter f = {0};

    if (!view_filter(v->view, v->value, &f) || !api_filter_acceptable(&f))
        return all_pages;
    return pages(r, listing_size(r, v->view, v->value, 0));
}

static bool watched_any(const struct refresh_watch *w)
{
    return w->all || w->slots->len > 0 || w->views->len > 0;
}

static struct plan plan_round(struct refresh *r, const struct refresh_watch *w, gint64 now,
                              gint64 last_all_us)
{
    struct cache_stats st;
    struct plan p = {0};
    bool recent = w->last_access_us && now - w->last_access_us < r->idle_after_us;

    cache_get_stats(r->cfg.cache, &st);
    p.all_cost = pages(r, listing_size(r, NULL, NULL, st.tasks)) + w->open_slots;
    if (!last_all_us) {
        p.kind = ROUND_ALL;
        p.why = "the first round";
    } else if (!watched_any(w) && !recent) {
        p.kind = now - last_all_us >= r->idle_period_us ? ROUND_ALL : ROUND_NONE;
        p.why = "idle";
        p.idle = true;
    } else if (w->all) {
        p.kind = ROUND_ALL;
        p.why = "something needs every task";
    } else {
        guint targeted = w->slots->len;
        for (guint i = 0; i < w->views->len; i++)
            p.view_pages += view_cost(r, g_ptr_array_index(w->views, i), p.all_cost);
        targeted += p.view_pages;
        if (targeted == 0) {
            p.kind = ROUND_NONE;
            p.why = "nothing watched";
        } else if (targeted < p.all_cost) {
            p.kind = ROUND_TARGETED;
            p.cost = targeted;
            p.why = "fewer requests than a walk of every task";
        } else {
            p.kind = ROUND_ALL;
            p.why = "a walk of every task costs no more";
        }
    }
    if (p.kind == ROUND_ALL)
        p.cost = p.all_cost;
    return p;
}

/* ---- the thread ---- */

/* Sleeps until @until or a stop. Returns false when stopping. */
static bool sleep_until(struct refresh *r, gint64 until)
{
    bool go_on;

    g_mutex_lock(&r->lock);
    while (!r->stop && g_cond_wait_until(&r->wake, &r->lock, until))
        ;
    go_on = !r->stop;
    g_mutex_unlock(&r->lock);
    return go_on;
}

/* Waits for a walk to end, checking for a stop. Returns 0, the walk's -errno, or -ECANCELED
 * when stopping. Drops @l. A walk that failed with ETIMEDOUT is done: the wait's own timeout
 * is told apart by listing_done, never by the errno. */
static int walk_wait(struct refresh *r, struct listing *l)
{
    int rc = 0;

    while (!listing_done(l, NULL, NULL) && sleep_until(r, g_get_monotonic_time()))
        listing_wait_done(l, g_get_monotonic_time() + G_USEC_PER_SEC / 4);
    if (!listing_done(l, &rc, NULL))
        rc = -ECANCELED;
    listing_unref(l);
    return rc;
}

/* A walk of every task, then the wanted details. Returns false when stopping; *@ok tells
 * whether the walk succeeded. */
static bool round_all(struct refresh *r, bool *ok)
{
    int rc = walk_wait(r, cache_walk_now(r->cfg.cache));

    *ok = rc == 0;
    if (rc == -ECANCELED)
        return false;
    if (rc == 0)
        cache_refresh_details(r->cfg.cache, g_get_monotonic_time() + r->timeout_us);
    else
        log_debug("refresh: walk failed: %s", g_strerror(-rc));
    return true;
}

/* The walks of the watched views (at once: the cache runs them side by side), then the
 * details of the watched tasks and of those the walks found changed. */
static bool round_targeted(struct refresh *r, const struct refresh_watch *w)
{
    g_autoptr(GPtrArray) walks = g_ptr_array_new();
    bool go_on = true;

    for (guint i = 0; i < w->views->len; i++) {
        struct refresh_view *v = g_ptr_array_index(w->views, i);
        g_ptr_array_add(walks, cache_walk_view_now(r->cfg.cache, v->view, v->value));
    }
    for (guint i = 0; i < walks->len; i++) {
        int rc = go_on ? walk_wait(r, g_ptr_array_index(walks, i)) : -ECANCELED;
        if (!go_on)
            listing_unref(g_ptr_array_index(walks, i));
        if (rc == -ECANCELED)
            go_on = false;
        else if (rc < 0)
            log_debug("refresh: walk of a view failed: %s", g_strerror(-rc));
    }
    if (go_on)
        cache_refresh_tasks(r->cfg.cache, (const guint32 *)w->slots->data, w->slots->len,
                            g_get_monotonic_time() + r->timeout_us);
    return go_on;
}

static void note_watch(struct refresh *r, const struct refresh_watch *w, const struct plan *p)
{
    g_mutex_lock(&r->lock);
    memcpy(r->last_watches, w->counts, sizeof r->last_watches);
    r->last_slots = w->slots->len;
    r->last_views = w->views->len;
    r->last_scan_error = w->scan_error;
    if (w->scan_cost_us >= 0) {
        r->last_scan_cost_us = w->scan_cost_us;
        r->last_scan_processes = w->scan_processes;
    }
    r->last = *p;
    g_mutex_unlock(&r->lock);
}

static void set_pace(struct refresh *r, enum pace pace, gint64 effective_us)
{
    g_mutex_lock(&r->lock);
    r->pace = pace;
    r->effective_us = effective_us;
    g_mutex_unlock(&r->lock);
}

/*
 * One period: asks what is watched, plans, waits for the budget, carries out. Returns the
 * monotonic time of the next round, or 0 when stopping.
 */
static gint64 round_run(struct refresh *r, gint64 last_all_us, gint64 *all_started_us)
{
    struct refresh_watch w;
    gint64 start = g_get_monotonic_time(), ready;
    double rate = budget_rate(r->cfg.budget);
    gint64 effective = r->period_us;
    struct plan p;
    bool go_on = true;

    refresh_watch_init(&w);
    if (r->cfg.watched)
        r->cfg.watched(&w, start - r->idle_after_us, r->cfg.watched_data);
    else
        w.all = true;
    p = plan_round(r, &w, start, last_all_us);
    note_watch(r, &w, &p);
    if (rate > 0 && p.cost > 0)
        effective = MAX(effective, (gint64)((double)p.cost / rate * G_USEC_PER_SEC));
    if (p.idle)
        set_pace(r, PACE_IDLE, r->idle_period_us);
    else
        set_pace(r, effective > r->period_us ? PACE_STRETCHED : PACE_NORMAL, effective);
    if (p.kind != ROUND_NONE) {
        /* Wait for the budget, stoppably; another drawer may come first: wait again. */
        while (go_on && !budget_try(r->cfg.budget, p.cost)) {
            ready = budget_ready_at(r->cfg.budget, p.cost);
            go_on = sleep_until(r, MAX(ready, g_get_monotonic_time() + 1000));
        }
        start =
            g_get_monotonic_time(); /* after a wait for the budget, the period counts from here */
        g_mutex_lock(&r->lock);
        r->rounds[p.kind]++;
        g_mutex_unlock(&r->lock);
        if (go_on && p.kind == ROUND_ALL) {
            gint64 started = g_get_monotonic_time();
            bool ok = false;
            go_on = round_all(r, &ok);
            /* Until a walk of every task has succeeded once, the tree is not populated: the
             * first round is tried again every period (a failed idle walk waits its turn). */
            if (ok || last_all_us)
                *all_started_us = started;
        } else if (go_on) {
            go_on = round_targeted(r, &w);
        }
    }
    refresh_watch_release(&w);
    if (!go_on)
        return 0;
    /* A round longer than the period: the next one at once. */
    return MAX(start + r->period_us, g_get_monotonic_time());
}

static gpointer refresh_main(gpointer data)
{
    struct refresh *r = data;
    gint64 next = g_get_monotonic_time() + r->period_us;
    gint64 last_all = 0;

    purpose_set(PURPOSE_REFRESH);
    while (sleep_until(r, next)) {
        gint64 all_started = last_all;

        next = round_run(r, last_all, &all_started);
        if (!next)
            break;
        last_all = all_started;
        g_mutex_lock(&r->lock);
        r->last_all_us = last_all;
        g_mutex_unlock(&r->lock);
    }
    return NULL;
}

struct refresh *refresh_start(const struct refresh_config *cfg)
{
    struct refresh *r = g_new0(struct refresh, 1);

    r->cfg = *cfg;
    r->period_us = (gint64)MAX(cfg->period_s, 1) * G_USEC_PER_SEC;
    r->timeout_us = (gint64)cfg->timeout_s * G_USEC_PER_SEC;
    r->idle_after_us = (gint64)cfg->idle_after_s * G_USEC_PER_SEC;
    r->idle_period_us = (gint64)MAX(cfg->idle_refresh_s, cfg->period_s) * G_USEC_PER_SEC;
    r->effective_us = r->period_us;
    r->last_scan_cost_us = -1;
    g_mutex_init(&r->lock);
    g_cond_init(&r->wake);
    r->thread = g_thread_new("refresh", refresh_main, r);
    return r;
}

void refresh_stop(struct refresh *r)
{
    if (!r)
        return;
    g_mutex_lock(&r->lock);
    r->stop = true;
    g_cond_signal(&r->wake);
    g_mutex_unlock(&r->lock);
    g_thread_join(r->thread);
    g_mutex_clear(&r->lock);
    g_cond_clear(&r->wake);
    g_free(r);
}

/* ---- status ---- */

static const char *plural(guint n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

char *refresh_describe(struct refresh *r)
{
    GString *s = g_string_new(NULL);
    double rate = budget_rate(r->cfg.budget);
    guint by_kind[REFRESH_WATCH_KINDS] = {0}, by_source[REFRESH_SOURCE_COUNT] = {0};
    gint64 period_s;
    double effective_s;

    g_mutex_lock(&r->lock);
    for (int k = 0; k < REFRESH_WATCH_KINDS; k++)
        for (int src = 0; src < REFRESH_SOURCE_COUNT; src++) {
            by_kind[k] += r->last_watches[k][src];
            by_source[src] += r->last_watches[k][src];
        }
    period_s = r->period_us / G_USEC_PER_SEC;
    effective_s = (double)r->effective_us / G_USEC_PER_SEC;
    switch (r->pace) {
    case PACE_STARTING:
        g_string_append_printf(
            s, "pace: starting, the first round %" G_GINT64_FORMAT " s after the mount\n",
            period_s);
        break;
    case PACE_NORMAL:
        g_string_append_printf(s, "pace: normal, every %" G_GINT64_FORMAT " s\n", period_s);
        break;
    case PACE_IDLE:
        g_string_append_printf(s,
                               "pace: idle, a walk of every task every %" G_GINT64_FORMAT
                               " s (nothing watched, no request for %" G_GINT64_FORMAT
                               " s); the normal pace again at the next access or watch\n",
                               r->idle_period_us / G_USEC_PER_SEC,
                               r->idle_after_us / G_USEC_PER_SEC);
        break;
    case PACE_STRETCHED:
        g_string_append_printf(s,
                               "pace: stretched, every %.3g s instead of %" G_GINT64_FORMAT
                               " s (a round costs %u requests; --max-rate is %g a second)\n",
                               effective_s, period_s, r->last.cost, rate);
        break;
    }
    g_string_append_printf(
        s,
        "watched: %u %s, %u task %s, %u %s, %u of everything (inotify %u, "
        "open %u, recent %u)\n",
        by_kind[REFRESH_WATCH_FILE], plural(by_kind[REFRESH_WATCH_FILE], "file", "files"),
        by_kind[REFRESH_WATCH_TASK],
        plural(by_kind[REFRESH_WATCH_TASK], "directory", "directories"),
        by_kind[REFRESH_WATCH_VIEW], plural(by_kind[REFRESH_WATCH_VIEW], "view", "views"),
        by_kind[REFRESH_WATCH_ALL], by_source[REFRESH_SOURCE_INOTIFY],
        by_source[REFRESH_SOURCE_OPEN], by_source[REFRESH_SOURCE_RECENT]);
    switch (r->last.kind) {
    case ROUND_NONE:
        g_string_append_printf(s, "last_round: none (%s)\n", r->last.why ? r->last.why : "not yet");
        break;
    case ROUND_ALL:
        g_string_append_printf(s, "last_round: a walk of every task, %u requests (%s)\n",
                               r->last.cost, r->last.why);
        break;
    case ROUND_TARGETED:
        g_string_append_printf(s,
                               "last_round: %u %s and %u view %s, %u requests, not a walk of "
                               "every task (%u)\n",
                               r->last_slots, plural(r->last_slots, "task", "tasks"),
                               r->last.view_pages, plural(r->last.view_pages, "page", "pages"),
                               r->last.cost, r->last.all_cost);
        break;
    }
    g_string_append_printf(
        s, "rounds: %" G_GUINT64_FORMAT " walks of every task, %" G_GUINT64_FORMAT " targeted\n",
        r->rounds[ROUND_ALL], r->rounds[ROUND_TARGETED]);
    if (r->last_scan_error)
        g_string_append_printf(s, "watch_scan: failed (%s)\n", g_strerror(-r->last_scan_error));
    else if (r->last_scan_cost_us >= 0)
        g_string_append_printf(s, "watch_scan: %.1f ms, %u processes read\n",
                               (double)r->last_scan_cost_us / 1000, r->last_scan_processes);
    else
        g_string_append(s, "watch_scan: none yet\n");
    g_mutex_unlock(&r->lock);
    return g_string_free(s, FALSE);
}

double refresh_period(struct refresh *r)
{
    double s;

    g_mutex_lock(&r->lock);
    s = (double)(r->pace == PACE_IDLE ? r->idle_period_us : r->effective_us) / G_USEC_PER_SEC;
    g_mutex_unlock(&r->lock);
    return s;
}
