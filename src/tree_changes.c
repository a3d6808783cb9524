/*
 * tree_changes: what a change the cache found means for the kernel and for watchers, in the
 * order they are told: the kernel's caches, names that went, poll()ers, the event stream,
 * then inotify through the mountpoint (see tree.h's struct tree_notifier).
 */
#include "tree_i.h"
#include "viasfs/event.h"
#include "viasfs/history.h"

#include <string.h>

/* The path of a task's link in a state directory, relative to the mountpoint. */
static char *state_link_path(const struct named *dir, const char *id)
{
    return g_strdup_printf("by-state/%s/%s", dir->enc, id);
}

static void emit(struct tree *t, const char *id, const char *name, const char *change,
                 const char *old_value, const char *new_value)
{
    struct event e = {.time_ms = now_ms(),
                      .task_id = id,
                      .task_name = name,
                      .change = change,
                      .old_value = old_value,
                      .new_value = new_value};
    g_autofree char *line = event_to_json(&e);

    t->notifier.event(line, t->notifier.data);
}

/* One event per detail field that changed (state has its own). */
static void emit_field_changes(struct tree *t, const struct task *o, const struct task *n)
{
    static const struct {
        const char *change;
        size_t offset;
    } fields[] = {
        {"name", G_STRUCT_OFFSET(struct task, name)},
        {"status", G_STRUCT_OFFSET(struct task, status)},
        {"error", G_STRUCT_OFFSET(struct task, error_code)},
        {"camera", G_STRUCT_OFFSET(struct task, video_source_name)},
        {"algorithm", G_STRUCT_OFFSET(struct task, title)},
    };
    bool any = false;

    for (size_t i = 0; i < G_N_ELEMENTS(fields); i++) {
        const char *a = G_STRUCT_MEMBER(const char *, o, fields[i].offset);
        const char *b = G_STRUCT_MEMBER(const char *, n, fields[i].offset);
        /* A summary lacks detail fields: absent is not a change. */
        if ((!o->complete || !n->complete) && (!a || !b))
            continue;
        if (g_strcmp0(a, b) != 0) {
            emit(t, n->id, n->name, fields[i].change, a, b);
            any = true;
        }
    }
    if (!any && o->complete && n->complete && g_strcmp0(o->state, n->state) == 0)
        emit(t, n->id, n->name, "detail", NULL, NULL);
}

/*
 * Whether the bytes of a task file differ between two versions of the task. A detail-only file
 * of a summary is unknown: @unknown_counts says what to answer then (true for poll wake-ups,
 * where a spurious one is harmless and a missed one is not; false for inotify touches, which
 * would cost a detail request each).
 */
static bool file_changed(const struct tree *t, const struct task *o, const struct task *n,
                         enum task_off off, bool unknown_counts)
{
    if (!tree_task_file_shown(t, off))
        return false;
    if (tree_task_files[off].detail && (!o->complete || !n->complete))
        return unknown_counts;
    g_autoptr(GBytes) a = tree_file_content(o, off);
    g_autoptr(GBytes) b = tree_file_content(n, off);
    return !g_bytes_equal(a, b);
}

static void on_change_locked(struct tree *t, const struct cache_change *c);

/*
 * Holds the notifier for reading during the whole report, so that once tree_set_notifier
 * returns no report is using the old one. The notifier's calls only queue work.
 */
void tree_on_change(const struct cache_change *c, void *data)
{
    struct tree *t = data;

    g_rw_lock_reader_lock(&t->notifier_lock);
    on_change_locked(t, c);
    g_rw_lock_reader_unlock(&t->notifier_lock);
}

static void on_change_locked(struct tree *t, const struct cache_change *c)
{
    const struct task *o = c->old_task, *n = c->new_task;
    const struct tree_notifier *nf = &t->notifier;
    struct named *from = NULL, *to = NULL;
    guint64 link = task_ino(c->slot, OFF_LINK(VIEW_STATE));
    struct cache_stats st;
    bool news, history = false;

    /* tasks/<id>/history: the first state seen, then every change (whoever is watching). */
    if (n && (!o || g_strcmp0(o->state, n->state) != 0))
        history =
            history_note(t->history, c->id, n->state, now_ms(), n->complete ? n->updated_ms : -1) &&
            o;
    if (!nf->inval_inode)
        return;
    if (o && o->state)
        from = tree_named_find(t, VIEW_STATE, o->state);
    if (n && n->state && !(to = tree_named_peek(t, VIEW_STATE, n->state))) {
        to = tree_named_find(t, VIEW_STATE, n->state); /* a new state: a new directory */
        nf->inval_inode(INO_VIEW(VIEW_STATE), nf->data);
    }
    if (from == to)
        from = to = NULL;
    cache_get_stats(t->cfg.cache, &st);
    /* The first walk of all tasks populates the tree: that is no news to anyone, unless the
     * tree started from a snapshot (what the walk finds differs from what was shown). */
    news = st.last_walk_us != 0 || st.seeded || o;
    if (!news)
        return;

    /* 1. the kernel's caches */
    if (o && n)
        for (int off = OFF_DIR; off < OFF_FILES_END; off++)
            nf->inval_inode(task_ino(c->slot, off), nf->data);
    if (history)
        nf->inval_inode(task_ino(c->slot, OFF_HISTORY), nf->data);
    if (!o || !n)
        nf->inval_inode(INO_TASKS, nf->data);
    if (from) {
        nf->inval_inode(from->ino, nf->data);
        cache_forget_listing(t->cfg.cache, &view_table[VIEW_STATE], from->raw);
    }
    if (to) {
        nf->inval_inode(to->ino, nf->data);
        nf->inval_entry(to->ino, c->id, nf->data);
        cache_forget_listing(t->cfg.cache, &view_table[VIEW_STATE], to->raw);
    }
    if (o && n && g_strcmp0(o->name, n->name) != 0)
        nf->inval_inode(INO_VIEW(VIEW_NAME), nf->data);

    /* 2. names that no longer exist leave the kernel now, not at a timeout */
    if (!n)
        nf->delete_entry(INO_TASKS, task_ino(c->slot, OFF_DIR), c->id, nf->data);
    if (from)
        nf->delete_entry(from->ino, link, c->id, nf->data);

    /* 3. poll()ers of open files that changed */
    if (o && n)
        for (int off = OFF_STATE; off < OFF_FILES_END; off++)
            if (file_changed(t, o, n, off, true))
                nf->wake(task_ino(c->slot, off), nf->data);
    if (history)
        nf->wake(task_ino(c->slot, OFF_HISTORY), nf->data);

    /* 4. the event stream */
    if (!o)
        emit(t, c->id, n->name, "added", NULL, n->state);
    else if (!n)
        emit(t, c->id, o->name, "removed", o->state, NULL);
    else {
        if (g_strcmp0(o->state, n->state) != 0)
            emit(t, c->id, n->name, "state", o->state, n->state);
        emit_field_changes(t, o, n);
    }

    /* 5. inotify watchers, through the mountpoint */
    if (!t->cfg.inotify)
        return;
    if (o && n)
        for (int off = OFF_STATE; off < OFF_FILES_END; off++)
            if (file_changed(t, o, n, off, false)) { /* a touch of an unknown detail fetches it */
                g_autofree char *path =
                    g_strdup_printf("tasks/%s/%s", c->id, tree_task_files[off].name);
                nf->own_touch(path, nf->data);
            }
    if (history) {
        g_autofree char *path = g_strdup_printf("tasks/%s/history", c->id);
        nf->own_touch(path, nf->data);
    }
    if (from) {
        g_autofree char *path = state_link_path(from, c->id);
        nf->own_unlink(from->ino, c->id, link, path, nf->data);
    }
    if (to) {
        g_autofree char *path = state_link_path(to, c->id);
        g_autofree char *target = tree_link_target(c->id, OFF_LINK(VIEW_STATE));
        nf->own_symlink(to->ino, c->id, path, target, nf->data);
    }
}
