/*
 * tree: inodes, attributes, lookups, directories and extended attributes of the mounted tree
 * (see tree.h; what the tree's files share is in tree_i.h, with the inode numbering and the
 * locking).
 */
#include "tree_i.h"
#include "viasfs/history.h"
#include "viasfs/log.h"
#include "viasfs/name.h"
#include "viasfs/status.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

const struct tree_file tree_task_files[OFF_FILES_END] = {
    [OFF_STATE] = {"state", false, false, false},
    [OFF_STATUS] = {"status", true, false, false},
    [OFF_NAME] = {"name", false, true, false},
    [OFF_TASK_JSON] = {"task.json", true, false, false},
    [OFF_INPUT] = {"input.json", true, true, false},
    [OFF_OUTPUT] = {"output.json", true, true, false},
    [OFF_SCHEDULE] = {"schedule.json", true, true, false},
    [OFF_CONFIG] = {"config.json", true, true, false},
    [OFF_ERROR] = {"error.json", true, false, false},
    [OFF_CTL] = {"ctl", false, false, true},
};

mode_t tree_task_file_mode(const struct tree *t, enum task_off off)
{
    if (tree_controls(t) && (tree_task_files[off].writable || tree_task_files[off].control))
        return 0600;
    return 0444;
}

mode_t tree_task_dir_mode(const struct tree *t)
{
    return tree_controls(t) ? 0755 : 0555;
}

/* ---- small helpers ---- */

static void named_free(gpointer p)
{
    struct named *n = p;
    g_free(n->raw);
    g_free(n->enc);
    g_free(n);
}

/* The named directory of (@kind, @raw), registered on first use. Call with t->lock held. */
struct named *tree_named_get_locked(struct tree *t, enum view_kind kind, const char *raw)
{
    g_autofree char *key = g_strdup_printf("%d:%s", (int)kind, raw);
    struct named *n = g_hash_table_lookup(t->named_by_key, key);

    if (n)
        return n;
    n = g_new0(struct named, 1);
    n->kind = kind;
    n->raw = g_strdup(raw);
    n->enc = name_encode(raw);
    n->ino = INO_NAMED_BASE + t->named->len;
    g_ptr_array_add(t->named, n);
    g_hash_table_insert(t->named_by_key, g_steal_pointer(&key), n);
    return n;
}

struct named *tree_named_by_ino(struct tree *t, guint64 ino)
{
    struct named *n = NULL;

    g_mutex_lock(&t->lock);
    if (ino >= INO_NAMED_BASE && ino - INO_NAMED_BASE < t->named->len)
        n = g_ptr_array_index(t->named, ino - INO_NAMED_BASE);
    g_mutex_unlock(&t->lock);
    return n; /* never freed while the tree lives */
}

struct named *tree_named_find(struct tree *t, enum view_kind kind, const char *raw)
{
    struct named *n;

    g_mutex_lock(&t->lock);
    n = tree_named_get_locked(t, kind, raw);
    g_mutex_unlock(&t->lock);
    return n;
}

/* The named directory of (@kind, @raw) if registered, without registering it. */
struct named *tree_named_peek(struct tree *t, enum view_kind kind, const char *raw)
{
    g_autofree char *key = g_strdup_printf("%d:%s", (int)kind, raw);
    struct named *n;

    g_mutex_lock(&t->lock);
    n = g_hash_table_lookup(t->named_by_key, key);
    g_mutex_unlock(&t->lock);
    return n;
}

/* The named directory of @kind whose file name is @enc, or NULL. */
struct named *tree_named_by_enc(struct tree *t, enum view_kind kind, const char *enc)
{
    struct named *n = NULL;

    g_mutex_lock(&t->lock);
    for (guint i = 0; i < t->named->len && !n; i++) {
        struct named *c = g_ptr_array_index(t->named, i);
        if (c->kind == kind && strcmp(c->enc, enc) == 0)
            n = c;
    }
    g_mutex_unlock(&t->lock);
    return n;
}

/* ---- attributes ---- */

static void attr_init(struct tree_attr *a, guint64 ino, mode_t mode, guint32 nlink, guint64 size,
                      gint64 mtime_ms, double timeout)
{
    *a = (struct tree_attr){.ino = ino,
                            .mode = mode,
                            .nlink = nlink,
                            .size = size,
                            .mtime_ms = mtime_ms,
                            .timeout_s = timeout};
}

static void attr_dir(struct tree_attr *a, guint64 ino, guint32 nlink, gint64 mtime_ms,
                     double timeout)
{
    attr_init(a, ino, S_IFDIR | 0555, nlink, 0, mtime_ms, timeout);
}

/*
 * A view's directory. by-state/<S> is writable by its owner: the mount has
 * default_permissions, so without it the kernel would refuse viasfs's own link changes there,
 * made through the mountpoint for inotify (any other change there is EROFS).
 */
static void attr_named(struct tree_attr *a, const struct named *n, gint64 mtime_ms, double timeout)
{
    attr_init(a, n->ino, S_IFDIR | (n->kind == VIEW_STATE ? 0755 : 0555), 2, 0, mtime_ms, timeout);
}

static void attr_file(struct tree_attr *a, guint64 ino, guint64 size, gint64 mtime_ms,
                      double timeout)
{
    attr_init(a, ino, S_IFREG | 0444, 1, size, mtime_ms, timeout);
}

/* A file of a task's directory. */
static void attr_task_file(const struct tree *t, struct tree_attr *a, guint64 ino,
                           enum task_off off, guint64 size, gint64 mtime_ms, double timeout)
{
    attr_init(a, ino, S_IFREG | tree_task_file_mode(t, off), 1, size, mtime_ms, timeout);
}

/* A task's directory. */
static void attr_task_dir(const struct tree *t, struct tree_attr *a, guint64 ino,
                          gint64 mtime_ms, double timeout)
{
    attr_init(a, ino, S_IFDIR | tree_task_dir_mode(t), 2, 0, mtime_ms, timeout);
}

static void attr_link(struct tree_attr *a, guint64 ino, guint64 size, gint64 mtime_ms,
                      double timeout)
{
    attr_init(a, ino, S_IFLNK | 0777, 1, size, mtime_ms, timeout);
}

/* "one line" files: the value with line breaks flattened, and a newline. */
static GBytes *one_line(const char *s)
{
    g_autofree char *v = g_strdup(s ? s : "");

    g_strdelimit(v, "\r\n", ' ');
    return g_bytes_new_take(g_strconcat(v, "\n", NULL), strlen(v) + 1);
}

/* ctl: the verbs the task's state allows, one a line (the API has the last word). */
static GBytes *ctl_content(const struct task *task)
{
    static const char *const startable[] = {"STOPPED", "FAILED",   "START_FAILED", "CREATE_FAILED",
                                            "ABNORMAL", "SUCCEEDED", NULL};
    static const char *const stoppable[] = {"RUNNING", "STARTING", NULL};
    GString *s = g_string_new(NULL);

    for (const char *const *x = startable; *x; x++)
        if (strcmp(task->state, *x) == 0)
            g_string_append(s, "start\n");
    for (const char *const *x = stoppable; *x; x++)
        if (strcmp(task->state, *x) == 0)
            g_string_append(s, "stop\n");
    if (strcmp(task->state, "DELETING") != 0)
        g_string_append(s, "delete\n");
    return g_string_free_to_bytes(s);
}

/* A file's content. A JSON file's bytes are the task's own, shared with a reference to it (a
 * task never changes): an open file or a stat costs no copy of a file of megabytes. */
GBytes *tree_file_content(const struct task *task, enum task_off off)
{
    const char *json = NULL;

    switch (off) {
    case OFF_CTL:
        return ctl_content(task);
    case OFF_STATE:
        return one_line(task->state);
    case OFF_STATUS:
        return one_line(task->status);
    case OFF_NAME:
        return one_line(task->name);
    case OFF_TASK_JSON:
        json = task->task_json;
        break;
    case OFF_INPUT:
        json = task->input_json;
        break;
    case OFF_OUTPUT:
        json = task->output_json;
        break;
    case OFF_SCHEDULE:
        json = task->schedule_json;
        break;
    case OFF_CONFIG:
        json = task->config_json;
        break;
    case OFF_ERROR:
        json = task->error_json;
        break;
    default:
        return NULL;
    }
    return g_bytes_new_with_free_func(json, strlen(json), (GDestroyNotify)task_unref,
                                      task_ref((struct task *)task));
}

char *tree_link_target(const char *id, enum task_off off)
{
    GString *s = g_string_new(NULL);

    for (int i = 0; i < view_table[off - OFF_LINKS].link_depth; i++)
        g_string_append(s, "../");
    g_string_append_printf(s, "tasks/%s", id);
    return g_string_free(s, FALSE);
}

/* A task's inode: fetches what that inode needs (detail-only files need the detail). */
static int task_attr(struct tree *t, guint32 slot, enum task_off off, gint64 deadline,
                     struct tree_attr *a)
{
    if (off > OFF_DIR && off < OFF_FILES_END && !tree_task_file_shown(t, off))
        return -ENOENT;
    g_autoptr(Task) task = NULL;
    gint64 until = 0; /* not set when the fetch fails; seconds_left reads it anyway */
    bool need = off > OFF_DIR && off < OFF_FILES_END && tree_task_files[off].detail;
    int rc = cache_get_slot(t->cfg.cache, slot, need, deadline, &task, &until);
    double timeout = seconds_left(until);
    guint64 ino = task_ino(slot, off);

    if (rc < 0)
        return rc;
    if (off == OFF_DIR) {
        attr_task_dir(t, a, ino, task_mtime_ms(task), timeout);
    } else if (off == OFF_HISTORY) {
        gint64 mtime;
        g_autoptr(GBytes) b = tree_history_content(t, task->id, &mtime);
        attr_file(a, ino, g_bytes_get_size(b), mtime ? mtime : task_mtime_ms(task), timeout);
    } else if (off < OFF_FILES_END) {
        g_autoptr(GBytes) b = tree_file_content(task, off);
        attr_task_file(t, a, ino, off, g_bytes_get_size(b), task_mtime_ms(task), timeout);
    } else {
        g_autofree char *target = tree_link_target(task->id, off);
        attr_link(a, ino, strlen(target), task_mtime_ms(task), timeout);
    }
    return 0;
}

/*
 * nlink of tasks/: 2 + one per task, once a listing of all tasks is complete; until then 1, the
 * Linux convention for "unknown" that find(1) respects. Never waits: opendir() stats the
 * directory first, and a listing must stream.
 */
static guint32 tasks_nlink(struct tree *t, double *timeout)
{
    struct listing *l = cache_listing_peek(t->cfg.cache, NULL, NULL);
    guint32 n = 1;
    int err;

    *timeout = 0;
    if (l && listing_done(l, &err, NULL) && err == 0) {
        n = 2 + listing_length(l);
        /* Until the listing expires: a task added or removed before then invalidates tasks/
         * (tree_changes.c). The kernel then need not ask again on every path walked through
         * tasks/, which default_permissions' checks would otherwise make it do. */
        *timeout = seconds_left(cache_listing_fresh_until(t->cfg.cache, l));
    }
    listing_unref(l);
    return n;
}

/* nlink of a view's top directory: 2 + its directories (by-state: the registry's; by-camera,
 * by-algorithm: the index's, 1 until there is one); 2 for by-name, which holds links. */
static guint32 view_nlink(struct tree *t, const struct view *v, double *timeout)
{
    struct index *x;
    guint32 n = 2;

    /* The kernel may keep it while it holds: with default_permissions, every path walked
     * through the directory would otherwise cost a GETATTR. A new state's directory
     * invalidates by-state/ (tree_changes.c); an index lasts as long as its listing. */
    *timeout = t->cfg.ttl_s;
    if (!v->per_value)
        return 2;
    if (tree_view_indexed(v)) {
        x = tree_index_peek(t);
        n = x ? 2 + x->dirs[v->kind]->len : 1;
        *timeout = x ? seconds_left(cache_listing_fresh_until(t->cfg.cache, x->src)) : 0;
        tree_index_unref(x);
        return n;
    }
    g_mutex_lock(&t->lock);
    for (guint i = 0; i < t->named->len; i++)
        n += ((struct named *)g_ptr_array_index(t->named, i))->kind == v->kind;
    g_mutex_unlock(&t->lock);
    return n;
}

static char *render_status(struct tree *t);
static char *render_metrics(struct tree *t);
static char *render_errors(struct tree *t);

/* Content of a .viasfs file, rendered now. */
static GBytes *meta_content(struct tree *t, guint64 ino)
{
    char *text = ino == INO_STATUS    ? render_status(t)
                 : ino == INO_METRICS ? render_metrics(t)
                                      : render_errors(t);
    return g_bytes_new_take(text, strlen(text));
}

/* Attributes of the fixed inodes. Nothing is fetched. Their names never change, so the
 * kernel may keep looking them up for a day even where their attributes (link counts) must
 * be asked for every time. */
static int static_attr_of(struct tree *t, guint64 ino, struct tree_attr *a);
static int static_attr(struct tree *t, guint64 ino, struct tree_attr *a)
{
    int rc = static_attr_of(t, ino, a);

    a->entry_timeout_s = 86400;
    return rc;
}

static int static_attr_of(struct tree *t, guint64 ino, struct tree_attr *a)
{
    double ttl = t->cfg.ttl_s;

    if (ino >= INO_VIEWS && ino < INO_VIEWS + VIEW_COUNT) {
        double timeout;
        guint32 nlink = view_nlink(t, &view_table[ino - INO_VIEWS], &timeout);
        attr_dir(a, ino, nlink, t->mount_ms, timeout);
        return 0;
    }
    switch (ino) {
    case TREE_ROOT_INO:
        attr_dir(a, ino, 2 + 2 + VIEW_COUNT, t->mount_ms, ttl); /* tasks, .viasfs, views */
        return 0;
    case INO_TASKS: {
        double timeout;
        guint32 nlink = tasks_nlink(t, &timeout);
        attr_dir(a, ino, nlink, t->mount_ms, timeout);
        return 0;
    }
    case INO_META:
        attr_dir(a, ino, 2, t->mount_ms, ttl);
        return 0;
    case INO_METRICS:
        /* Counted operations (this stat too) change its length all the time: like a /proc
         * file it says 0, and a read (direct I/O) returns all of it. */
        attr_file(a, ino, 0, t->mount_ms, 0);
        return 0;
    case INO_STATUS:
    case INO_ERRORS: {
        /* Content is rendered at each open; the mtime stays the mount's so that copying
         * tools do not see a file that changes under them on every stat. */
        g_autoptr(GBytes) b = meta_content(t, ino);
        attr_file(a, ino, g_bytes_get_size(b), t->mount_ms, 0);
        return 0;
    }
    case INO_EVENTS: /* its owner may write "since N" (tree_events_since) */
        attr_init(a, ino, S_IFREG | 0644, 1, 0, t->mount_ms, 0);
        return 0;
    case INO_REFRESH:
        attr_init(a, ino, S_IFREG | 0600, 1, 0, t->mount_ms, 0);
        return 0;
    case INO_CREATE:
        if (!tree_controls(t))
            return -ENOENT;
        attr_init(a, ino, S_IFREG | 0600, 1, 0, t->mount_ms, 0);
        return 0;
    }
    return -ENOENT;
}

/* ---- lookups ---- */

int tree_getattr(struct tree *t, guint64 ino, gint64 deadline, struct tree_attr *out)
{
    guint32 slot;
    enum task_off off;
    struct named *n;

    if (ino_is_task(ino, &slot, &off))
        return task_attr(t, slot, off, deadline, out);
    if (ino_is_draft(ino))
        return tree_draft_getattr(t, ino, out);
    n = tree_named_by_ino(t, ino);
    if (n) {
        attr_named(out, n, t->mount_ms, t->cfg.ttl_s);
        return 0;
    }
    return static_attr(t, ino, out);
}

/* A task's link in a view directory: present when the task belongs there now. */
static int view_link_lookup(struct tree *t, const struct named *n, const char *name,
                            gint64 deadline, struct tree_attr *out)
{
    g_autoptr(Task) task = NULL;
    guint32 slot;
    gint64 until;
    const char *have;
    enum task_off off;
    int rc;

    if (!task_id_is_valid(name))
        return -ENOENT;
    rc = cache_get_task(t->cfg.cache, name, false, deadline, &task, &slot, &until);
    if (rc < 0)
        return rc;
    have = view_value(&view_table[n->kind], task);
    off = OFF_LINK(n->kind);
    if (g_strcmp0(have, n->raw) != 0)
        return -ENOENT;
    g_autofree char *target = tree_link_target(task->id, off);
    attr_link(out, task_ino(slot, off), strlen(target), task_mtime_ms(task), seconds_left(until));
    return 0;
}

static int lookup_named_dir(struct tree *t, enum view_kind kind, const char *name, gint64 deadline,
                            struct tree_attr *out)
{
    struct named *n = NULL;

    if (!tree_view_indexed(&view_table[kind])) {
        n = tree_named_by_enc(t, kind, name);
    } else {
        struct index *x = NULL;
        int rc = tree_index_get(t, deadline, &x);
        if (rc < 0)
            return rc;
        n = g_hash_table_lookup(x->dir_enc[kind], name);
        tree_index_unref(x);
    }
    if (!n)
        return -ENOENT;
    attr_named(out, n, t->mount_ms, t->cfg.ttl_s);
    return 0;
}

static int lookup_by_name(struct tree *t, const char *name, gint64 deadline, struct tree_attr *out)
{
    struct index *x = NULL;
    guint32 slot;
    int rc = tree_index_get(t, deadline, &x);

    if (rc < 0)
        return rc;
    slot = GPOINTER_TO_UINT(g_hash_table_lookup(x->name_enc, name));
    tree_index_unref(x);
    if (!slot)
        return -ENOENT;
    return task_attr(t, slot - 1, OFF_LINK(VIEW_NAME), deadline, out);
}

int tree_lookup(struct tree *t, guint64 parent, const char *name, gint64 deadline,
                struct tree_attr *out)
{
    static const struct {
        guint64 parent;
        const char *name;
        guint64 ino;
    } fixed[] = {
        {TREE_ROOT_INO, "tasks", INO_TASKS}, {TREE_ROOT_INO, ".viasfs", INO_META},
        {INO_META, "status", INO_STATUS},    {INO_META, "errors", INO_ERRORS},
        {INO_META, "events", INO_EVENTS},    {INO_META, "metrics", INO_METRICS},
        {INO_META, "refresh", INO_REFRESH},  {INO_META, "create", INO_CREATE},
    };
    guint32 slot;
    enum task_off off;
    struct named *n;

    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
        if (fixed[i].parent == parent && strcmp(fixed[i].name, name) == 0)
            return static_attr(t, fixed[i].ino, out);
    for (int k = 0; parent == TREE_ROOT_INO && k < VIEW_COUNT; k++)
        if (strcmp(view_table[k].dir, name) == 0)
            return static_attr(t, INO_VIEW(k), out);
    if (parent >= INO_VIEWS && parent < INO_VIEWS + VIEW_COUNT) {
        const struct view *v = &view_table[parent - INO_VIEWS];
        return v->per_value ? lookup_named_dir(t, v->kind, name, deadline, out)
                            : lookup_by_name(t, name, deadline, out);
    }

    if (ino_is_task(parent, &slot, &off)) {
        if (off != OFF_DIR)
            return -ENOTDIR;
        for (int f = OFF_STATE; f < OFF_FILES_END; f++)
            if (strcmp(tree_task_files[f].name, name) == 0 && tree_task_file_shown(t, f))
                return task_attr(t, slot, f, deadline, out);
        if (strcmp(name, "history") == 0)
            return task_attr(t, slot, OFF_HISTORY, deadline, out);
        return tree_controls(t) ? tree_draft_lookup(t, slot, name, out) : -ENOENT;
    }
    switch (parent) {
    case TREE_ROOT_INO:
    case INO_META:
        return -ENOENT;
    case INO_TASKS: {
        g_autoptr(Task) task = NULL;
        gint64 until;
        int rc;
        if (!task_id_is_valid(name))
            return -ENOENT;
        rc = cache_get_task(t->cfg.cache, name, false, deadline, &task, &slot, &until);
        if (rc < 0)
            return rc;
        attr_task_dir(t, out, task_ino(slot, OFF_DIR), task_mtime_ms(task), seconds_left(until));
        return 0;
    }
    }
    n = tree_named_by_ino(t, parent);
    if (n)
        return view_link_lookup(t, n, name, deadline, out);
    if (parent >= INO_STATUS && parent < INO_NAMED_BASE)
        return -ENOTDIR;
    return -ENOENT;
}

int tree_read_file(struct tree *t, guint64 ino, gint64 deadline, GBytes **out)
{
    g_autoptr(Task) task = NULL;
    guint32 slot;
    enum task_off off;
    gint64 until;
    int rc;

    if (ino == INO_STATUS || ino == INO_ERRORS || ino == INO_METRICS) {
        *out = meta_content(t, ino);
        return 0;
    }
    if (ino == INO_EVENTS || ino == INO_REFRESH || ino == INO_CREATE) {
        *out = g_bytes_new(NULL, 0); /* a stream the fuse layer reads itself; a control */
        return 0;
    }
    if (ino_is_draft(ino))
        return tree_draft_content(t, 0, NULL, ino, out);
    if (!ino_is_task(ino, &slot, &off))
        return ino < INO_TASK_BASE && ino != INO_STATUS ? -EISDIR : -ENOENT;
    if (off == OFF_DIR)
        return -EISDIR;
    if (off == OFF_HISTORY) {
        gint64 mtime;
        rc = cache_get_slot(t->cfg.cache, slot, false, deadline, &task, &until);
        if (rc < 0)
            return rc;
        *out = tree_history_content(t, task->id, &mtime);
        return 0;
    }
    if (off >= OFF_FILES_END)
        return -EINVAL;
    if (!tree_task_file_shown(t, off))
        return -ENOENT;
    rc = cache_get_slot(t->cfg.cache, slot, tree_task_files[off].detail, deadline, &task, &until);
    if (rc < 0)
        return rc;
    *out = tree_file_content(task, off);
    return 0;
}

bool tree_is_volatile(struct tree *t, guint64 ino)
{
    return ino == INO_STATUS || ino == INO_ERRORS || ino == INO_EVENTS || ino == INO_METRICS ||
           ino == INO_REFRESH || ino == INO_CREATE || ino_is_draft(ino);
}

bool tree_is_event_stream(struct tree *t, guint64 ino)
{
    return ino == INO_EVENTS;
}

struct event_log *tree_events(struct tree *t)
{
    return t->cfg.events;
}

void tree_emit_event(struct tree *t, const char *line)
{
    event_log_append(t->cfg.events, line);
}

static void file_hold(struct tree *t, guint64 ino, bool opened)
{
    guint32 slot;
    enum task_off off;

    if (ino_is_draft(ino))
        tree_draft_hold(t, ino, opened ? 1 : -1);
    if (!ino_is_task(ino, &slot, &off) || off == OFF_DIR || off >= OFF_FILES_END)
        return;
    if (opened)
        cache_hold(t->cfg.cache, slot);
    else
        cache_unhold(t->cfg.cache, slot);
}

void tree_file_opened(struct tree *t, guint64 ino)
{
    file_hold(t, ino, true);
    tree_watch_open(t, ino, 1);
}

void tree_file_closed(struct tree *t, guint64 ino)
{
    file_hold(t, ino, false);
    tree_watch_open(t, ino, -1);
}

int tree_readlink(struct tree *t, guint64 ino, gint64 deadline, char **out)
{
    g_autofree char *id = NULL;
    guint32 slot;
    enum task_off off;

    if (!ino_is_task(ino, &slot, &off) || !off_is_link(off))
        return -EINVAL;
    id = cache_slot_id(t->cfg.cache, slot);
    if (!id)
        return -ENOENT;
    *out = tree_link_target(id, off);
    return 0;
}

/* ---- directories ---- */

/* An entry known when the directory is opened (or first read). */
struct fixed_entry {
    char *name;
    guint64 ino;
};

struct tree_dir {
    guint64 ino;
    struct listing *listing; /* streaming views: reference, or NULL */
    enum task_off link_off;  /* for view listings: which link inode entries are */
    GArray *entries;         /* struct fixed_entry, filled at first need; or NULL */
    bool filled;
    gint64 index_until; /* by-name/: how long the listing its links came from is fresh */
    bool fixed;         /* see tree_dir_is_fixed */
};

static void add_entry(GArray *a, const char *name, guint64 ino)
{
    struct fixed_entry e = {.name = g_strdup(name), .ino = ino};
    g_array_append_val(a, e);
}

static void clear_entry(gpointer p)
{
    g_free(((struct fixed_entry *)p)->name);
}

int tree_opendir(struct tree *t, guint64 ino, gint64 deadline, struct tree_dir **out)
{
    struct tree_dir *d = g_new0(struct tree_dir, 1);
    guint32 slot;
    enum task_off off;
    struct named *n = NULL;

    d->ino = ino;
    d->entries = g_array_new(FALSE, TRUE, sizeof(struct fixed_entry));
    g_array_set_clear_func(d->entries, clear_entry);
    if (ino_is_task(ino, &slot, &off)) {
        if (off != OFF_DIR) {
            tree_dir_free(d);
            return -ENOTDIR;
        }
        for (int f = OFF_STATE; f < OFF_FILES_END; f++)
            if (tree_task_file_shown(t, f))
                add_entry(d->entries, tree_task_files[f].name, task_ino(slot, f));
        add_entry(d->entries, "history", task_ino(slot, OFF_HISTORY));
        d->filled = d->fixed = true;
    } else if (ino == INO_TASKS) {
        d->listing = cache_listing(t->cfg.cache, NULL, NULL, deadline);
        d->link_off = OFF_DIR;
    } else if ((n = tree_named_by_ino(t, ino))) {
        d->listing = cache_listing(t->cfg.cache, &view_table[n->kind], n->raw, deadline);
        d->link_off = OFF_LINK(n->kind);
    } else if (ino == TREE_ROOT_INO) {
        add_entry(d->entries, "tasks", INO_TASKS);
        for (int k = 0; k < VIEW_COUNT; k++)
            add_entry(d->entries, view_table[k].dir, INO_VIEW(k));
        add_entry(d->entries, ".viasfs", INO_META);
        d->filled = d->fixed = true;
    } else if (ino == INO_META) {
        add_entry(d->entries, "status", INO_STATUS);
        add_entry(d->entries, "errors", INO_ERRORS);
        add_entry(d->entries, "events", INO_EVENTS);
        add_entry(d->entries, "metrics", INO_METRICS);
        add_entry(d->entries, "refresh", INO_REFRESH);
        if (tree_controls(t))
            add_entry(d->entries, "create", INO_CREATE);
        d->filled = d->fixed = true;
    } else if (ino >= INO_VIEWS && ino < INO_VIEWS + VIEW_COUNT) {
        const struct view *v = &view_table[ino - INO_VIEWS];
        if (v->per_value && !tree_view_indexed(v)) { /* its directories: the registry's */
            g_mutex_lock(&t->lock);
            for (guint i = 0; i < t->named->len; i++) {
                struct named *c = g_ptr_array_index(t->named, i);
                if (c->kind == v->kind)
                    add_entry(d->entries, c->enc, c->ino);
            }
            g_mutex_unlock(&t->lock);
            d->filled = true;
        } /* else filled from the index at first need */
    } else {
        tree_dir_free(d);
        return ino < INO_NAMED_BASE && ino > INO_META ? -ENOTDIR : -ENOENT;
    }
    *out = d;
    return 0;
}

/* Fills the entries of a view's top directory from the index: its directories (by-camera,
 * by-algorithm) or its links (by-name). */
static int fill_from_index(struct tree *t, struct tree_dir *d, gint64 deadline)
{
    struct index *x = NULL;
    int rc = tree_index_get(t, deadline, &x);

    if (rc < 0)
        return rc;
    const struct view *v = &view_table[d->ino - INO_VIEWS];

    if (!v->per_value) {
        d->index_until = cache_listing_fresh_until(t->cfg.cache, x->src);
        for (guint i = 0; i < x->names->len; i++) {
            struct name_entry *e = &g_array_index(x->names, struct name_entry, i);
            add_entry(d->entries, e->enc, task_ino(e->slot, OFF_LINK(v->kind)));
        }
    } else {
        GPtrArray *list = x->dirs[v->kind];
        for (guint i = 0; i < list->len; i++) {
            struct named *n = g_ptr_array_index(list, i);
            add_entry(d->entries, n->enc, n->ino);
        }
    }
    tree_index_unref(x);
    d->filled = true;
    return 0;
}

/*
 * Attributes for a directory entry without fetching anything the listing did not bring.
 * @listed_until: until when the listing the entry comes from is fresh (0 for none): a task's
 * directory or link in a listing stays valid that long, and changes found before then are
 * invalidated explicitly, as for a lookup.
 */
static int entry_attr(struct tree *t, guint64 ino, gint64 deadline, gint64 listed_until,
                      struct tree_attr *a)
{
    guint32 slot;
    enum task_off off;

    if (ino_is_task(ino, &slot, &off) && off > OFF_DIR && off < OFF_FILES_END) {
        /* Listing a task's directory: a file whose size needs the detail, when the detail is
         * not cached, is listed by name only (its attributes come with a lookup if anyone
         * asks), so `find` costs no detail request. Otherwise one detail fetch serves every
         * file, and every file then shows the same mtime. */
        g_autoptr(Task) task = cache_peek_slot(t->cfg.cache, slot);
        gint64 until;
        if (tree_task_files[off].detail && (!task || !task->complete)) {
            attr_task_file(t, a, ino, off, 0, task ? task_mtime_ms(task) : t->mount_ms, 0);
            a->unknown = true;
            return 0;
        }
        bool need = tree_task_files[off].detail || (task && task->complete);
        g_clear_pointer(&task, task_unref);
        int rc = cache_get_slot(t->cfg.cache, slot, need, deadline, &task, &until);
        if (rc < 0)
            return rc;
        g_autoptr(GBytes) b = tree_file_content(task, off);
        attr_task_file(t, a, ino, off, g_bytes_get_size(b), task_mtime_ms(task),
                       seconds_left(until));
        return 0;
    }
    if (ino_is_task(ino, &slot, &off) && (off == OFF_DIR || off_is_link(off))) {
        g_autoptr(Task) task = cache_peek_slot(t->cfg.cache, slot);
        g_autofree char *id = cache_slot_id(t->cfg.cache, slot);
        if (!id)
            return -ENOENT;
        gint64 mtime = task ? task_mtime_ms(task) : t->mount_ms;
        double listed = seconds_left(listed_until);
        if (off == OFF_DIR) {
            attr_task_dir(t, a, ino, mtime, task ? listed : 0);
        } else {
            g_autofree char *target = tree_link_target(id, off);
            attr_link(a, ino, strlen(target), mtime, task ? listed : 0);
        }
        a->entry_timeout_s = listed;
        return 0;
    }
    if (ino < INO_NAMED_BASE)
        return static_attr(t, ino, a);
    return tree_getattr(t, ino, deadline, a);
}

/* The slot of entry @index of @d's listing; a task gone or moved to another view since is
 * skipped (*@index moves on). See tree_dir_get for the answers. */
static int listing_entry(struct tree *t, struct tree_dir *d, guint64 *index, gint64 deadline,
                         bool may_wait, guint32 *slot)
{
    for (;; (*index)++) {
        guint i = (guint)(*index - 2);
        int rc;

        if (!may_wait && i >= listing_length(d->listing))
            return listing_done(d->listing, &rc, NULL) && rc == 0 ? TREE_DIR_END : TREE_DIR_LATER;
        rc = listing_wait(d->listing, i, deadline);
        if (rc == LISTING_END)
            return TREE_DIR_END;
        if (rc < 0)
            return rc;
        *slot = listing_slot(d->listing, i);
        if (cache_slot_in_view(t->cfg.cache, *slot, d->listing))
            return 0;
    }
}

int tree_dir_get(struct tree *t, struct tree_dir *d, guint64 *index, gint64 deadline, bool may_wait,
                 struct tree_dirent *out)
{
    guint64 ino;
    int rc;

    if (*index == 0 || *index == 1) {
        /* Attributes as a lookup gives them: "." must not wait for the whole listing. */
        out->name = g_strdup(*index ? ".." : ".");
        if (entry_attr(t, d->ino, deadline, 0, &out->attr) < 0)
            attr_dir(&out->attr, d->ino, 2, t->mount_ms, 0);
        return 0;
    }
    if (d->listing) {
        guint32 slot;
        rc = listing_entry(t, d, index, deadline, may_wait, &slot);
        if (rc != 0)
            return rc;
        out->name = cache_slot_id(t->cfg.cache, slot);
        ino = task_ino(slot, d->link_off);
    } else {
        if (!d->filled && (rc = fill_from_index(t, d, deadline)) < 0)
            return rc;
        if (*index - 2 >= d->entries->len)
            return TREE_DIR_END;
        struct fixed_entry *e = &g_array_index(d->entries, struct fixed_entry, *index - 2);
        out->name = g_strdup(e->name);
        ino = e->ino;
    }
    rc = entry_attr(t, ino, deadline,
                    d->listing ? cache_listing_fresh_until(t->cfg.cache, d->listing)
                               : d->index_until,
                    &out->attr);
    if (rc < 0)
        g_clear_pointer(&out->name, g_free);
    return rc;
}

bool tree_dir_is_fixed(const struct tree_dir *d)
{
    return d->fixed;
}

void tree_dir_free(struct tree_dir *d)
{
    if (!d)
        return;
    listing_unref(d->listing);
    g_array_unref(d->entries);
    g_free(d);
}

/* ---- .viasfs/status and metrics ---- */

static char *render_errors(struct tree *t)
{
    const struct tree_owner *owner = &t->cfg.owner;

    return owner->errors_text ? owner->errors_text(owner->data) : g_strdup("");
}

static char *render_status(struct tree *t)
{
    const struct tree_owner *owner = &t->cfg.owner;
    g_autofree char *last = owner->last_error ? owner->last_error(owner->data) : NULL;
    g_autofree char *pace = owner->refresh_text ? owner->refresh_text(owner->data) : NULL;
    gint64 now_us = g_get_real_time(), mono = g_get_monotonic_time();
    struct status_sample x = {0};
    struct cache_stats st;

    cache_get_stats(t->cfg.cache, &st);
    x.endpoint = t->endpoint;
    x.project = t->project_id;
    x.auth_kind = t->auth_kind;
    x.token_expires_s = owner->token_expires_at ? owner->token_expires_at(owner->data) : 0;
    x.mounted_s = t->mount_ms / 1000;
    x.ttl_s = t->cfg.ttl_s;
    x.refresh_s = t->cfg.refresh_s;
    x.page_size = t->cfg.page_size;
    x.timeout_s = t->cfg.timeout_s;
    x.inotify = t->cfg.inotify;
    x.control = tree_controls(t);
    x.events = event_log_total(t->cfg.events);
    struct event_window w;
    event_log_window(t->cfg.events, &w);
    x.events_lines = w.lines;
    x.events_bytes = w.bytes;
    x.events_first_seq = w.first_seq;
    x.events_last_seq = w.last_seq;
    x.events_max_lines = w.max_lines;
    x.events_max_bytes = w.max_bytes;
    x.tasks_known = st.tasks;
    x.list_age_s = st.last_walk_us ? (double)(mono - st.last_walk_us) / G_USEC_PER_SEC : -1;
    if (st.stale_since_us) {
        x.stale_for_s = (double)(mono - st.stale_since_us) / G_USEC_PER_SEC;
        x.stale_since_s = (now_us - (mono - st.stale_since_us)) / G_USEC_PER_SEC;
    }
    x.stale_served = st.stale_served;
    x.list_walks = st.walks;
    x.detail_fetches = st.detail_fetches;
    x.api_requests = metrics_attempts(t->cfg.metrics);
    x.manual_refreshes = (guint64)g_atomic_int_get(&t->refreshes);
    x.errors = owner->errors_total ? owner->errors_total(owner->data) : 0;
    x.last_error = last;
    x.pacing = pace;
    x.now_s = now_us / G_USEC_PER_SEC;
    struct persist_info pi;
    if (owner->persist_info && owner->persist_info(&pi, owner->data)) {
        x.snapshot_path = pi.path;
        x.snapshot_loaded_ms = pi.loaded_written_ms;
        x.snapshot_offline = pi.offline_start;
        x.snapshot_writes = pi.writes;
        x.snapshot_bytes = pi.last_bytes;
        x.snapshot_written_ms = pi.last_write_ms;
        x.snapshot_write_s = pi.last_write_s;
    }
    x.snapshot_seeded = st.seeded;
    x.snapshot_unconfirmed = st.unconfirmed;
    x.listed = st.last_walk_us != 0;
    return status_render(&x);
}

static char *render_metrics(struct tree *t)
{
    const struct tree_owner *owner = &t->cfg.owner;
    struct metrics_sample m = {0};
    struct cache_stats st;

    cache_get_stats(t->cfg.cache, &st);
    cache_get_size(t->cfg.cache, &m.tasks_cached, &m.bytes_cached);
    m.detail_hits = st.detail_hits;
    m.detail_misses = st.detail_misses;
    m.listing_hits = st.listing_hits;
    m.listing_misses = st.walks > st.refresh_walks ? st.walks - st.refresh_walks : 0;
    m.refresh_walks = st.refresh_walks;
    m.detail_fetches = st.detail_fetches;
    m.prefetches = st.prefetches;
    m.stale_served = st.stale_served;
    m.events = event_log_total(t->cfg.events);
    struct event_window w;
    event_log_window(t->cfg.events, &w);
    m.events_retained_lines = w.lines;
    m.events_retained_bytes = w.bytes;
    m.events_last_seq = w.lines ? w.last_seq : 0;
    m.errors = owner->errors_total ? owner->errors_total(owner->data) : 0;
    m.refreshes = (guint64)g_atomic_int_get(&t->refreshes);
    m.stale = st.stale_since_us != 0;
    m.list_age_s =
        st.last_walk_us ? (double)(g_get_monotonic_time() - st.last_walk_us) / G_USEC_PER_SEC : -1;
    m.auth_expires_at_s = owner->token_expires_at ? owner->token_expires_at(owner->data) : 0;
    struct persist_info pi = {0};
    m.snapshot_age_s = -1;
    if (owner->persist_info && owner->persist_info(&pi, owner->data) && pi.loaded_written_ms) {
        m.snapshot_loaded = true;
        m.snapshot_age_s = (double)(g_get_real_time() / 1000 - pi.loaded_written_ms) / 1000;
    }
    m.snapshot_unconfirmed = st.unconfirmed;
    m.snapshot_writes = pi.writes;
    m.snapshot_bytes = pi.last_bytes;
    m.snapshot_write_s = pi.last_write_s;
    return metrics_render(t->cfg.metrics, &m);
}

struct metrics *tree_metrics(struct tree *t)
{
    return t->cfg.metrics;
}

/* ---- extended attributes ---- */

enum { XA_ID, XA_NAME, XA_STATE, XA_CAMERA, XA_ALGORITHM, XA_CREATED, XA_UPDATED, XA_COUNT };
static const char *const xattr_names[XA_COUNT] = {
    [XA_ID] = "user.vias.id",
    [XA_NAME] = "user.vias.name",
    [XA_STATE] = "user.vias.state",
    [XA_CAMERA] = "user.vias.camera",
    [XA_ALGORITHM] = "user.vias.algorithm",
    [XA_CREATED] = "user.vias.created_at",
    [XA_UPDATED] = "user.vias.updated_at",
};

/* Attribute @which of @task, or NULL when the task has no value for it. Caller frees. */
static char *xattr_value(const struct task *task, int which)
{
    switch (which) {
    case XA_ID:
        return g_strdup(task->id);
    case XA_NAME:
        return g_strdup(task->name);
    case XA_STATE:
        return g_strdup(task->state);
    case XA_CAMERA:
        return g_strdup(task->video_source_name);
    case XA_ALGORITHM:
        return g_strdup(task->title);
    case XA_CREATED:
        return task->created_ms >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT, task->created_ms)
                                     : NULL;
    case XA_UPDATED:
        return task->updated_ms >= 0 ? g_strdup_printf("%" G_GINT64_FORMAT, task->updated_ms)
                                     : NULL;
    }
    return NULL;
}

/* The task behind a task directory's attributes (its detail); -ENODATA for other inodes. */
static int xattr_task(struct tree *t, guint64 ino, gint64 deadline, struct task **out)
{
    guint32 slot;
    enum task_off off;
    gint64 until;

    if (!ino_is_task(ino, &slot, &off) || off != OFF_DIR)
        return -ENODATA;
    return cache_get_slot(t->cfg.cache, slot, true, deadline, out, &until);
}

int tree_listxattr(struct tree *t, guint64 ino, gint64 deadline, GBytes **out)
{
    g_autoptr(Task) task = NULL;
    GString *names = g_string_new(NULL);
    int rc = xattr_task(t, ino, deadline, &task);

    if (rc < 0 && rc != -ENODATA) {
        g_string_free(names, TRUE);
        return rc;
    }
    for (int i = 0; task && i < XA_COUNT; i++) {
        g_autofree char *v = xattr_value(task, i);
        if (v)
            g_string_append_len(names, xattr_names[i], (gssize)strlen(xattr_names[i]) + 1);
    }
    *out = g_string_free_to_bytes(names);
    return 0;
}

int tree_getxattr(struct tree *t, guint64 ino, const char *name, gint64 deadline, GBytes **out)
{
    g_autoptr(Task) task = NULL;
    char *v;
    int which = -1, rc;

    for (int i = 0; i < XA_COUNT && which < 0; i++)
        if (strcmp(name, xattr_names[i]) == 0)
            which = i;
    if (which < 0)
        return -ENODATA; /* without fetching anything */
    rc = xattr_task(t, ino, deadline, &task);
    if (rc < 0)
        return rc;
    v = xattr_value(task, which);
    if (!v)
        return -ENODATA;
    *out = g_bytes_new_take(v, strlen(v));
    return 0;
}

/* ---- life cycle ---- */

struct tree *tree_new(const struct tree_config *cfg)
{
    struct tree *t = g_new0(struct tree, 1);

    t->cfg = *cfg;
    t->endpoint = g_strdup(cfg->endpoint);
    t->project_id = g_strdup(cfg->project_id);
    t->auth_kind = g_strdup(cfg->auth_kind);
    t->cfg.endpoint = t->endpoint;
    t->cfg.project_id = t->project_id;
    t->cfg.auth_kind = t->auth_kind;
    t->mount_ms = now_ms();
    g_mutex_init(&t->lock);
    g_rw_lock_init(&t->notifier_lock);
    t->history = history_new(HISTORY_MAX_LINES);
    t->named_by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    t->named = g_ptr_array_new_with_free_func(named_free);
    t->watch = tree_watch_new(cfg->watch);
    /* by-state has the documented states' directories before any task is seen. */
    for (const char *const *st = api_documented_states; *st; st++)
        tree_named_get_locked(t, VIEW_STATE, *st);
    tree_drafts_init(t);
    return t;
}

void tree_set_action(struct tree *t, struct action *a)
{
    t->cfg.action = a;
}

void tree_set_cache(struct tree *t, struct cache *c)
{
    t->cfg.cache = c;
}

void tree_set_notifier(struct tree *t, const struct tree_notifier *n)
{
    g_rw_lock_writer_lock(&t->notifier_lock);
    t->notifier = *n;
    g_rw_lock_writer_unlock(&t->notifier_lock);
}

void tree_free(struct tree *t)
{
    if (!t)
        return;
    tree_index_unref(t->index);
    tree_drafts_free(t);
    tree_watch_free(t->watch);
    g_hash_table_unref(t->named_by_key);
    g_ptr_array_unref(t->named);
    g_mutex_clear(&t->lock);
    g_rw_lock_clear(&t->notifier_lock);
    history_free(t->history);
    g_free(t->endpoint);
    g_free(t->project_id);
    g_free(t->auth_kind);
    g_free(t);
}

GBytes *tree_history_content(struct tree *t, const char *id, gint64 *mtime_ms)
{
    return history_render(t->history, id, mtime_ms);
}

struct history *tree_history(struct tree *t)
{
    return t->history;
}

uid_t tree_uid(const struct tree *t)
{
    return t->cfg.uid;
}

gid_t tree_gid(const struct tree *t)
{
    return t->cfg.gid;
}
