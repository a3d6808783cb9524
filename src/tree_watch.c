/*
 * tree_watch: who is watching what, in the tree's terms (see tree.h: tree_note_use,
 * tree_watched). Three sources: files open now (counted at open and release), inodes used by
 * recent requests (a bounded table of inode -> time), and the inotify watches other
 * processes hold on the mount (watchers.h, scanned when the refresh asks). Each inode is
 * classified by the tree's numbering (tree_i.h): a task's directory, file or link needs that
 * task; a directory of a view (by-state/RUNNING) needs that view; tasks/, a view's top
 * directory and .viasfs/events need every task; the root and the other .viasfs files need
 * nothing. It is not the refresh: it only answers what is watched.
 *
 * Locking: w->lock protects the two tables and the times; it is taken alone, never with
 * t->lock (classifying a named directory takes that one), and never across a scan.
 */
#include "tree_i.h"
#include "viasfs/watchers.h"

enum { RECENT_MAX = 4096 }; /* more inodes used within idle-after: treated as every task */

struct tree_watch {
    struct watchers *watchers; /* borrowed; NULL: no inotify scan */
    GMutex lock;               /* protects everything below */
    GHashTable *open;          /* guint64 ino -> open count (GUINT_TO_POINTER) */
    GHashTable *recent;        /* guint64 ino -> gint64 monotonic time of its last use */
    gint64 overflow_us;        /* when the recent table last overflowed; 0 never */
    gint64 last_use_us;        /* the latest use that counted; 0 never */
};

struct tree_watch *tree_watch_new(struct watchers *watchers)
{
    struct tree_watch *w = g_new0(struct tree_watch, 1);

    w->watchers = watchers;
    g_mutex_init(&w->lock);
    w->open = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    w->recent = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    return w;
}

void tree_watch_free(struct tree_watch *w)
{
    if (!w)
        return;
    g_hash_table_unref(w->open);
    g_hash_table_unref(w->recent);
    g_mutex_clear(&w->lock);
    g_free(w);
}

/*
 * What watching @ino needs: a kind, with the task's slot (FILE, TASK) or the view's
 * directory (VIEW); -1 for nothing. Directories count only with @dirs (a watch, a listing):
 * a stat of tasks/ on the way to tasks/ID/state is no interest in every task.
 */
static int classify(struct tree *t, guint64 ino, bool dirs, guint32 *slot, struct named **n)
{
    enum task_off off;

    if (ino_is_task(ino, slot, &off))
        return off == OFF_DIR ? REFRESH_WATCH_TASK : REFRESH_WATCH_FILE;
    if (ino == INO_EVENTS)
        return REFRESH_WATCH_ALL;
    if (!dirs)
        return -1;
    if (ino == INO_TASKS || (ino >= INO_VIEWS && ino < INO_VIEWS + VIEW_COUNT))
        return REFRESH_WATCH_ALL;
    if (ino >= INO_NAMED_BASE && (*n = tree_named_by_ino(t, ino)))
        return REFRESH_WATCH_VIEW;
    return -1;
}

void tree_note_use(struct tree *t, guint64 ino, bool listing)
{
    struct tree_watch *w = t->watch;
    struct named *n = NULL;
    guint32 slot;
    gint64 now;

    if (classify(t, ino, listing, &slot, &n) < 0)
        return;
    now = g_get_monotonic_time();
    g_mutex_lock(&w->lock);
    w->last_use_us = now;
    if (g_hash_table_size(w->recent) >= RECENT_MAX && !g_hash_table_contains(w->recent, &ino)) {
        g_hash_table_remove_all(w->recent);
        w->overflow_us = now;
    }
    g_hash_table_replace(w->recent, g_memdup2(&ino, sizeof ino), g_memdup2(&now, sizeof now));
    g_mutex_unlock(&w->lock);
}

/* An open (@delta 1) or release (-1) of @ino. */
void tree_watch_open(struct tree *t, guint64 ino, int delta)
{
    struct tree_watch *w = t->watch;
    struct named *named = NULL;
    guint32 slot;
    guint n;

    if (classify(t, ino, true, &slot, &named) < 0)
        return; /* .viasfs/status and the like: reading them watches nothing */
    g_mutex_lock(&w->lock);
    n = GPOINTER_TO_UINT(g_hash_table_lookup(w->open, &ino));
    n = delta > 0 ? n + 1 : n > 0 ? n - 1 : 0;
    if (n)
        g_hash_table_replace(w->open, g_memdup2(&ino, sizeof ino), GUINT_TO_POINTER(n));
    else
        g_hash_table_remove(w->open, &ino);
    if (delta > 0)
        w->last_use_us = g_get_monotonic_time();
    g_mutex_unlock(&w->lock);
}

/* Adds what @ino's watch needs to @out, found by @source. Returns its kind, or -1. */
static int add(struct tree *t, struct refresh_watch *out, guint64 ino, bool dirs,
               enum refresh_watch_source source)
{
    struct named *n = NULL;
    guint32 slot;
    int kind = classify(t, ino, dirs, &slot, &n);

    switch (kind) {
    case REFRESH_WATCH_FILE:
    case REFRESH_WATCH_TASK:
        refresh_watch_add_slot(out, slot);
        break;
    case REFRESH_WATCH_VIEW:
        refresh_watch_add_view(out, &view_table[n->kind], n->raw);
        break;
    case REFRESH_WATCH_ALL:
        out->all = true;
        break;
    default:
        return -1;
    }
    out->counts[kind][source]++;
    return kind;
}

void tree_watched(struct refresh_watch *out, gint64 since_us, void *data)
{
    struct tree *t = data;
    struct tree_watch *w = t->watch;
    g_autoptr(GArray) inos = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GArray) open = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GArray) recent = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GHashTable) open_slots = g_hash_table_new(g_direct_hash, g_direct_equal);
    GHashTableIter it;
    gpointer k, v;

    if (w->watchers) {
        struct watchers_stats st;
        int rc = watchers_scan(w->watchers, inos);
        watchers_get_stats(w->watchers, &st);
        out->scan_error = rc < 0 ? rc : 0;
        out->scan_cost_us = st.last_cost_us;
        out->scan_processes = st.processes;
    }

    g_mutex_lock(&w->lock);
    g_hash_table_iter_init(&it, w->open);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_array_append_val(open, *(guint64 *)k);
    g_hash_table_iter_init(&it, w->recent);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        if (*(gint64 *)v < since_us)
            g_hash_table_iter_remove(&it);
        else
            g_array_append_val(recent, *(guint64 *)k);
    }
    if (w->overflow_us >= since_us && w->overflow_us) {
        out->all = true;
        out->counts[REFRESH_WATCH_ALL][REFRESH_SOURCE_RECENT]++;
    }
    out->last_access_us = w->last_use_us;
    g_mutex_unlock(&w->lock);

    for (guint i = 0; i < inos->len; i++)
        add(t, out, g_array_index(inos, guint64, i), true, REFRESH_SOURCE_INOTIFY);
    for (guint i = 0; i < open->len; i++) {
        guint64 ino = g_array_index(open, guint64, i);
        guint32 slot;
        enum task_off off;
        if (add(t, out, ino, true, REFRESH_SOURCE_OPEN) == REFRESH_WATCH_FILE &&
            ino_is_task(ino, &slot, &off))
            g_hash_table_add(open_slots, GUINT_TO_POINTER(slot + 1));
    }
    out->open_slots = g_hash_table_size(open_slots);
    /* A watch or an open file is a use too: the pace stays normal while they last. */
    if (inos->len || open->len)
        out->last_access_us = g_get_monotonic_time();
    for (guint i = 0; i < recent->len; i++)
        add(t, out, g_array_index(recent, guint64, i), true, REFRESH_SOURCE_RECENT);
}
