/*
 * tree_control: the .viasfs/refresh control file: who may write it, its language, its rate
 * limit, and the drop_* helpers that make the cache and the kernel forget what a line names
 * (see tree_write_control in tree.h).
 */
#include "tree_i.h"
#include "viasfs/log.h"

#include <errno.h>
#include <string.h>

bool tree_is_control(struct tree *t, guint64 ino)
{
    return ino == INO_REFRESH;
}

/* Root and the user who mounted may change things; other users (under allow_other) only read. */
static bool may_write(const struct tree *t, uid_t uid)
{
    return uid == 0 || uid == t->cfg.uid;
}

int tree_check_open(struct tree *t, guint64 ino, bool write, uid_t uid)
{
    if (!write)
        return 0;
    if (!tree_is_control(t, ino) && !tree_is_event_stream(t, ino)) /* "since N" */
        return -EROFS;
    return may_write(t, uid) ? 0 : -EACCES;
}

/*
 * Tells the kernel to forget the name @name in @parent (with everything it cached below it)
 * and the attributes and pages of @inos. Queued through the notifier; nothing when unmounted.
 */
static void kernel_forget(struct tree *t, guint64 parent, const char *name, const guint64 *inos,
                          guint n)
{
    g_rw_lock_reader_lock(&t->notifier_lock);
    if (t->notifier.inval_inode) {
        for (guint i = 0; i < n; i++)
            t->notifier.inval_inode(inos[i], t->notifier.data);
        if (name)
            t->notifier.inval_entry(parent, name, t->notifier.data);
    }
    g_rw_lock_reader_unlock(&t->notifier_lock);
}

/* Drops task @id: the cache fetches it again, the kernel forgets its inodes and names. */
static void drop_task(struct tree *t, const char *id)
{
    g_autoptr(Task) task = NULL;
    guint64 inos[OFF_END];
    guint32 slot;

    cache_expire_task(t->cfg.cache, id);
    if (!cache_find_slot(t->cfg.cache, id, &slot)) {
        kernel_forget(t, INO_TASKS, id, NULL, 0);
        return;
    }
    for (int off = OFF_DIR; off < OFF_END; off++)
        inos[off] = task_ino(slot, off);
    kernel_forget(t, INO_TASKS, id, inos, G_N_ELEMENTS(inos));
    task = cache_peek_slot(t->cfg.cache, slot);
    for (int k = 0; task && k < VIEW_COUNT; k++) {
        const char *value = view_table[k].per_value ? view_value(&view_table[k], task) : NULL;
        struct named *n = value ? tree_named_peek(t, k, value) : NULL;
        if (n)
            kernel_forget(t, n->ino, id, NULL, 0);
    }
    struct index *x = tree_index_peek(t);
    for (guint i = 0; x && i < x->names->len; i++) {
        struct name_entry *e = &g_array_index(x->names, struct name_entry, i);
        if (e->slot == slot)
            kernel_forget(t, INO_VIEW(VIEW_NAME), e->enc, NULL, 0);
    }
    tree_index_unref(x);
}

/* Drops one view's listing; the kernel forgets the directory and what it cached below it. */
static void drop_view(struct tree *t, const struct named *n)
{
    cache_forget_listing(t->cfg.cache, &view_table[n->kind], n->raw);
    kernel_forget(t, INO_VIEW(n->kind), n->enc, &n->ino, 1);
}

/* Drops every view of @kind. */
static void drop_views(struct tree *t, enum view_kind kind)
{
    g_autoptr(GPtrArray) list = g_ptr_array_new();

    g_mutex_lock(&t->lock);
    for (guint i = 0; i < t->named->len; i++) {
        struct named *n = g_ptr_array_index(t->named, i);
        if (n->kind == kind)
            g_ptr_array_add(list, n); /* never freed while the tree lives */
    }
    g_mutex_unlock(&t->lock);
    for (guint i = 0; i < list->len; i++)
        drop_view(t, g_ptr_array_index(list, i));
}

/* Drops the list of all tasks (tasks/, and the index behind by-name, by-camera, by-algorithm);
 * the kernel forgets the top directory @top. */
static void drop_list_all(struct tree *t, const char *top, guint64 top_ino)
{
    cache_forget_listing(t->cfg.cache, NULL, NULL);
    kernel_forget(t, TREE_ROOT_INO, top, &top_ino, 1);
}

void tree_refresh_all(struct tree *t)
{
    guint64 ino = INO_TASKS;

    g_atomic_int_inc(&t->refreshes);
    cache_expire_all(t->cfg.cache);
    kernel_forget(t, TREE_ROOT_INO, "tasks", &ino, 1);
    for (int k = 0; k < VIEW_COUNT; k++) {
        ino = INO_VIEW(k);
        kernel_forget(t, TREE_ROOT_INO, view_table[k].dir, &ino, 1);
    }
    log_info("refresh: all cached data dropped");
}

static bool is_task_file(const char *name)
{
    for (int f = OFF_STATE; f < OFF_FILES_END; f++)
        if (strcmp(tree_task_files[f].name, name) == 0)
            return true;
    return false;
}

/* What a line of .viasfs/refresh drops: one task, or a listing (which costs a walk). */
enum { DROPS_TASK = 0, DROPS_LISTING = 1 };

static int control_view_links(struct tree *t, const struct view *v, const char *const *c, guint n,
                              bool act);
static int control_view_dir(struct tree *t, const struct view *v, const char *const *c, guint n,
                            bool act);

/*
 * One line written to .viasfs/refresh: checks it (-EINVAL when it names nothing that can be
 * dropped) and, when @act, does it. Returns DROPS_TASK or DROPS_LISTING. See
 * tree_write_control for the language.
 */
static int control_line(struct tree *t, const char *line, bool act)
{
    g_auto(GStrv) parts = g_strsplit(line, "/", -1);
    const char *c[4];
    guint n = 0;

    if (strcmp(line, "all") == 0) {
        if (act)
            tree_refresh_all(t);
        return DROPS_LISTING;
    }
    for (char **p = parts; *p; p++) {
        if (!**p || strcmp(*p, ".") == 0)
            continue; /* "tasks//x/", "./tasks" */
        if (n == G_N_ELEMENTS(c) || strcmp(*p, "..") == 0)
            return -EINVAL;
        c[n++] = *p;
    }
    if (n == 0 || n > 3)
        return -EINVAL;
    if (act)
        g_atomic_int_inc(&t->refreshes);

    if (strcmp(c[0], "tasks") == 0) {
        if (n == 1) {
            if (act)
                drop_list_all(t, "tasks", INO_TASKS);
            return DROPS_LISTING;
        }
        if (!task_id_is_valid(c[1]) || (n == 3 && !is_task_file(c[2])))
            return -EINVAL;
        if (act)
            drop_task(t, c[1]);
        return DROPS_TASK;
    }
    for (int k = 0; k < VIEW_COUNT; k++) {
        const struct view *v = &view_table[k];
        if (strcmp(c[0], v->dir) == 0)
            return v->per_value ? control_view_dir(t, v, c, n, act)
                                : control_view_links(t, v, c, n, act);
    }
    return -EINVAL;
}

/* A line naming a view of links by value (by-name): the view (the list of every task behind
 * it), or one link's task. */
static int control_view_links(struct tree *t, const struct view *v, const char *const *c, guint n,
                              bool act)
{
    g_autofree char *id = NULL;
    struct index *x;
    guint32 slot;

    if (n == 1) {
        if (act)
            drop_list_all(t, v->dir, INO_VIEW(v->kind));
        return DROPS_LISTING;
    }
    if (n > 2)
        return -EINVAL;
    x = tree_index_peek(t);
    slot = x ? GPOINTER_TO_UINT(g_hash_table_lookup(x->name_enc, c[1])) : 0;
    tree_index_unref(x);
    id = slot ? cache_slot_id(t->cfg.cache, slot - 1) : NULL;
    if (!id)
        return -EINVAL;
    if (act)
        drop_task(t, id);
    return DROPS_TASK;
}

/* A line naming a view of directories by value (by-state, by-camera, by-algorithm): every
 * directory of it, one directory's listing, or one link's task. */
static int control_view_dir(struct tree *t, const struct view *v, const char *const *c, guint n,
                            bool act)
{
    struct named *dir;

    if (n == 1) {
        if (act && tree_view_indexed(v))
            drop_list_all(t, v->dir, INO_VIEW(v->kind)); /* the index behind it */
        if (act)
            drop_views(t, v->kind);
        return DROPS_LISTING;
    }
    dir = tree_named_by_enc(t, v->kind, c[1]);
    if (!dir || (n == 3 && !task_id_is_valid(c[2])))
        return -EINVAL;
    if (act && n == 2)
        drop_view(t, dir);
    if (act && n == 3)
        drop_task(t, c[2]);
    return n == 2 ? DROPS_LISTING : DROPS_TASK;
}

/*
 * Whether a write that drops a listing may go ahead now: at most one per
 * TREE_REFRESH_INTERVAL_MS, since each costs a walk of the list. A refusal is logged and kept
 * in .viasfs/errors.
 */
static bool listing_drop_allowed(struct tree *t)
{
    gint64 now = g_get_monotonic_time(), since;
    bool allowed;

    g_mutex_lock(&t->lock);
    since = now - t->listing_dropped_us;
    allowed = t->listing_dropped_us == 0 || since >= (gint64)TREE_REFRESH_INTERVAL_MS * 1000;
    if (allowed)
        t->listing_dropped_us = now;
    g_mutex_unlock(&t->lock);
    if (!allowed) {
        g_autofree char *text = g_strdup_printf(
            "write .viasfs/refresh: refused (EBUSY): a listing was dropped %lld ms ago; "
            "listings can be dropped at most once every %d ms",
            (long long)(since / 1000), TREE_REFRESH_INTERVAL_MS);
        log_warn("%s", text);
        if (t->cfg.owner.keep_error)
            t->cfg.owner.keep_error(text, t->cfg.owner.data);
    }
    return allowed;
}

int tree_write_control(struct tree *t, guint64 ino, const char *buf, size_t size, uid_t uid)
{
    g_autofree char *text = g_strndup(buf, size);
    g_auto(GStrv) lines = NULL;
    guint done = 0;
    bool listing = false;
    int rc;

    if (!tree_is_control(t, ino))
        return -EROFS;
    if (!may_write(t, uid)) {
        log_info("write .viasfs/refresh by uid %u refused: only uid %u and root may", (unsigned)uid,
                 (unsigned)t->cfg.uid);
        return -EACCES;
    }
    if (size == 0 || strlen(text) != size || !g_utf8_validate(text, -1, NULL))
        return -EINVAL; /* empty, NUL bytes, not text */
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        g_strchomp(*l); /* "\r\n", trailing blanks */
        if (!**l)
            continue;
        if ((rc = control_line(t, *l, false)) < 0)
            return -EINVAL;
        listing |= rc == DROPS_LISTING;
        done++;
    }
    if (!done)
        return -EINVAL;
    if (listing && !listing_drop_allowed(t))
        return -EBUSY;
    for (char **l = lines; *l; l++)
        if (**l)
            control_line(t, *l, true);
    /* The write returns once the kernel has forgotten: the next access asks us. */
    g_rw_lock_reader_lock(&t->notifier_lock);
    if (t->notifier.flush)
        t->notifier.flush(t->notifier.data);
    g_rw_lock_reader_unlock(&t->notifier_lock);
    return 0;
}
