/*
 * tree: inodes, names, contents and attributes of the mounted tree (see tree.h).
 *
 * Inode numbers: fixed ones below 64 for the static directories and .viasfs files; 64 and up
 * for named directories (by-state/S, by-camera/C, by-algorithm/T) from a registry that never
 * forgets; 2^32 + slot * 16 + offset for everything of one task (its directory, its nine
 * files and its four links), so a task's inodes follow from its cache slot alone.
 *
 * Locking: t->lock protects the named-directory registry and the derived index of names;
 * it is never held across a cache call that may fetch, nor across a notifier call.
 * t->notifier_lock (read side) is held while a change is reported, so the notifier cannot be
 * swapped out from under a report; the notifier's calls only queue work.
 */
#include "viasfs/tree.h"
#include "viasfs/log.h"
#include "viasfs/event.h"
#include "viasfs/name.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

enum {
    INO_TASKS = 2,
    INO_BY_STATE,
    INO_BY_CAMERA,
    INO_BY_NAME,
    INO_BY_ALG,
    INO_META,
    INO_STATUS,
    INO_ERRORS,
    INO_EVENTS,
    INO_METRICS,
    INO_REFRESH,
    INO_NAMED_BASE = 64,
};
#define INO_TASK_BASE (G_GUINT64_CONSTANT(1) << 32)
#define TASK_STRIDE   16

/* Offsets inside a task's block of inode numbers. */
enum task_off {
    OFF_DIR = 0,
    OFF_STATE,
    OFF_STATUS,
    OFF_NAME,
    OFF_TASK_JSON,
    OFF_INPUT,
    OFF_OUTPUT,
    OFF_SCHEDULE,
    OFF_CONFIG,
    OFF_ERROR,
    OFF_FILES_END,
    OFF_LINK_STATE = OFF_FILES_END,
    OFF_LINK_NAME,
    OFF_LINK_CAMERA,
    OFF_LINK_ALG,
};

static const struct {
    const char *name;
    bool detail; /* only the detail call (or a whole-object list) has it */
} task_files[OFF_FILES_END] = {
    [OFF_STATE] = {"state", false},
    [OFF_STATUS] = {"status", true},
    [OFF_NAME] = {"name", false},
    [OFF_TASK_JSON] = {"task.json", true},
    [OFF_INPUT] = {"input.json", true},
    [OFF_OUTPUT] = {"output.json", true},
    [OFF_SCHEDULE] = {"schedule.json", true},
    [OFF_CONFIG] = {"config.json", true},
    [OFF_ERROR] = {"error.json", true},
};

enum named_kind { NAMED_STATE, NAMED_CAMERA, NAMED_ALG };

/* A directory named after a remote string. Never freed while the tree lives. */
struct named {
    enum named_kind kind;
    char *raw; /* the remote string */
    char *enc; /* its file name */
    guint64 ino;
};

/* One entry of by-name/: a display name and its task. */
struct name_entry {
    char *enc;
    guint32 slot;
};

/* Names derived from one complete listing of all tasks. Immutable once built; shared. */
struct index {
    gint refcount;
    struct listing *src;    /* the LISTING_ALL listing it was built from */
    GPtrArray *cameras;     /* struct named *, borrowed from the registry, by name */
    GPtrArray *titles;      /* struct named *, same */
    GHashTable *camera_enc; /* enc -> struct named * */
    GHashTable *title_enc;  /* enc -> struct named * */
    GArray *names;          /* struct name_entry, by enc */
    GHashTable *name_enc;   /* enc -> GUINT_TO_POINTER(slot + 1) */
};

struct tree {
    struct tree_config cfg; /* strings below are owned copies */
    char *endpoint, *project_id, *auth_kind;
    gint64 mount_ms;
    GRWLock notifier_lock;         /* writers: tree_set_notifier; readers: a change report */
    struct tree_notifier notifier; /* protected by notifier_lock */

    GMutex lock;               /* protects named_by_key, named, index and listing_dropped_us */
    GHashTable *named_by_key;  /* "k:raw" (owned) -> struct named * */
    GPtrArray *named;          /* struct named * (owned), by ino - INO_NAMED_BASE */
    struct index *index;       /* reference, or NULL */
    gint64 listing_dropped_us; /* monotonic: when a write to .viasfs/refresh last dropped a
                                  listing; 0 never */

    gint refreshes; /* atomic: commands done through .viasfs/refresh or SIGHUP */
};

/* ---- small helpers ---- */

static gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

static double seconds_left(gint64 until_us)
{
    gint64 left = until_us - g_get_monotonic_time();
    return left > 0 ? (double)left / G_USEC_PER_SEC : 0.0;
}

static guint64 task_ino(guint32 slot, enum task_off off)
{
    return INO_TASK_BASE + (guint64)slot * TASK_STRIDE + off;
}

static bool ino_is_task(guint64 ino, guint32 *slot, enum task_off *off)
{
    if (ino < INO_TASK_BASE)
        return false;
    *slot = (guint32)((ino - INO_TASK_BASE) / TASK_STRIDE);
    *off = (enum task_off)((ino - INO_TASK_BASE) % TASK_STRIDE);
    return *off <= OFF_LINK_ALG;
}

static void named_free(gpointer p)
{
    struct named *n = p;
    g_free(n->raw);
    g_free(n->enc);
    g_free(n);
}

/* The named directory of (@kind, @raw), registered on first use. Call with t->lock held. */
static struct named *named_get_locked(struct tree *t, enum named_kind kind, const char *raw)
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

static struct named *named_by_ino(struct tree *t, guint64 ino)
{
    struct named *n = NULL;

    g_mutex_lock(&t->lock);
    if (ino >= INO_NAMED_BASE && ino - INO_NAMED_BASE < t->named->len)
        n = g_ptr_array_index(t->named, ino - INO_NAMED_BASE);
    g_mutex_unlock(&t->lock);
    return n; /* never freed while the tree lives */
}

static struct named *named_find(struct tree *t, enum named_kind kind, const char *raw)
{
    struct named *n;

    g_mutex_lock(&t->lock);
    n = named_get_locked(t, kind, raw);
    g_mutex_unlock(&t->lock);
    return n;
}

/* ---- the index of names from the list of all tasks ---- */

static struct index *index_ref(struct index *x)
{
    g_atomic_int_inc(&x->refcount);
    return x;
}

static void index_unref(struct index *x)
{
    if (!x || !g_atomic_int_dec_and_test(&x->refcount))
        return;
    listing_unref(x->src);
    g_ptr_array_unref(x->cameras);
    g_ptr_array_unref(x->titles);
    g_hash_table_unref(x->camera_enc);
    g_hash_table_unref(x->title_enc);
    for (guint i = 0; i < x->names->len; i++)
        g_free(g_array_index(x->names, struct name_entry, i).enc);
    g_array_unref(x->names);
    g_hash_table_unref(x->name_enc);
    g_free(x);
}

static int named_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp((*(struct named *const *)a)->enc, (*(struct named *const *)b)->enc);
}

static int name_entry_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const struct name_entry *)a)->enc, ((const struct name_entry *)b)->enc);
}

/* by-name's display name of a task whose name other tasks share: "<name>%@<id>". */
static char *shared_name(const char *enc, const char *id)
{
    size_t room = 255 - 2 - strlen(id);
    const char *end = enc + MIN(strlen(enc), room);

    while (end > enc && (*end & 0xc0) == 0x80) /* not inside a UTF-8 sequence */
        end--;
    return g_strdup_printf("%.*s%%@%s", (int)(end - enc), enc, id);
}

static struct index *index_build(struct tree *t, struct listing *l)
{
    struct index *x = g_new0(struct index, 1);
    g_autoptr(GHashTable) name_count = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func((GDestroyNotify)task_unref);
    g_autoptr(GArray) slots = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint n = listing_length(l);

    x->refcount = 1;
    x->src = listing_ref(l);
    x->cameras = g_ptr_array_new();
    x->titles = g_ptr_array_new();
    x->camera_enc = g_hash_table_new(g_str_hash, g_str_equal);
    x->title_enc = g_hash_table_new(g_str_hash, g_str_equal);
    x->names = g_array_new(FALSE, FALSE, sizeof(struct name_entry));
    x->name_enc = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < n; i++) {
        guint32 slot = listing_slot(l, i);
        struct task *task = cache_peek_slot(t->cfg.cache, slot);
        if (!task)
            continue; /* gone since */
        g_ptr_array_add(tasks, task);
        g_array_append_val(slots, slot);
        const char *nm = task->name ? task->name : "";
        g_hash_table_replace(
            name_count, (gpointer)nm,
            GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(name_count, nm)) + 1));
    }

    g_mutex_lock(&t->lock);
    for (guint i = 0; i < tasks->len; i++) {
        struct task *task = g_ptr_array_index(tasks, i);
        guint32 slot = g_array_index(slots, guint32, i);
        const char *nm = task->name ? task->name : "";
        struct name_entry e = {NULL, slot};
        g_autofree char *enc = name_encode(nm);

        if (task->video_source_name) {
            struct named *c = named_get_locked(t, NAMED_CAMERA, task->video_source_name);
            if (g_hash_table_insert(x->camera_enc, c->enc, c))
                g_ptr_array_add(x->cameras, c);
        }
        if (task->title) {
            struct named *a = named_get_locked(t, NAMED_ALG, task->title);
            if (g_hash_table_insert(x->title_enc, a->enc, a))
                g_ptr_array_add(x->titles, a);
        }
        if (GPOINTER_TO_UINT(g_hash_table_lookup(name_count, nm)) > 1)
            e.enc = shared_name(enc, task->id);
        else
            e.enc = g_steal_pointer(&enc);
        g_array_append_val(x->names, e);
    }
    g_mutex_unlock(&t->lock);

    g_ptr_array_sort(x->cameras, named_cmp);
    g_ptr_array_sort(x->titles, named_cmp);
    g_array_sort(x->names, name_entry_cmp);
    for (guint i = 0; i < x->names->len; i++) {
        struct name_entry *e = &g_array_index(x->names, struct name_entry, i);
        g_hash_table_insert(x->name_enc, e->enc, GUINT_TO_POINTER(e->slot + 1));
    }
    return x;
}

/*
 * The index of the current list of all tasks, walking the list first when it is stale
 * (waiting until @deadline). Returns 0 and a reference, or -errno.
 */
static int index_get(struct tree *t, gint64 deadline, struct index **out)
{
    g_autoptr(GPtrArray) hold = NULL;
    struct listing *l = cache_listing(t->cfg.cache, LISTING_ALL, NULL, deadline);
    struct index *x, *old = NULL;
    int rc = listing_wait_done(l, deadline);

    if (rc < 0) {
        listing_unref(l);
        return rc;
    }
    g_mutex_lock(&t->lock);
    x = t->index && t->index->src == l ? index_ref(t->index) : NULL;
    g_mutex_unlock(&t->lock);
    if (!x) {
        x = index_build(t, l);
        g_mutex_lock(&t->lock);
        old = t->index;
        t->index = index_ref(x);
        g_mutex_unlock(&t->lock);
        index_unref(old);
    }
    listing_unref(l);
    *out = x;
    return 0;
}

/* The index if one exists for the current listing, without walking. NULL otherwise. */
static struct index *index_peek(struct tree *t)
{
    struct index *x = NULL;

    g_mutex_lock(&t->lock);
    if (t->index)
        x = index_ref(t->index);
    g_mutex_unlock(&t->lock);
    return x;
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
    attr_init(a, n->ino, S_IFDIR | (n->kind == NAMED_STATE ? 0755 : 0555), 2, 0, mtime_ms, timeout);
}

static void attr_file(struct tree_attr *a, guint64 ino, guint64 size, gint64 mtime_ms,
                      double timeout)
{
    attr_init(a, ino, S_IFREG | 0444, 1, size, mtime_ms, timeout);
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

/* A file's content. A JSON file's bytes are the task's own, shared with a reference to it (a
 * task never changes): an open file or a stat costs no copy of a file of megabytes. */
static GBytes *task_file_content(const struct task *task, enum task_off off)
{
    const char *json = NULL;

    switch (off) {
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

static char *link_target(const char *id, enum task_off off)
{
    return g_strconcat(off == OFF_LINK_NAME ? "../tasks/" : "../../tasks/", id, NULL);
}

/* A task's inode: fetches what that inode needs (detail-only files need the detail). */
static int task_attr(struct tree *t, guint32 slot, enum task_off off, gint64 deadline,
                     struct tree_attr *a)
{
    g_autoptr(Task) task = NULL;
    gint64 until = 0; /* not set when the fetch fails; seconds_left reads it anyway */
    bool need = off > OFF_DIR && off < OFF_FILES_END && task_files[off].detail;
    int rc = cache_get_slot(t->cfg.cache, slot, need, deadline, &task, &until);
    double timeout = seconds_left(until);
    guint64 ino = task_ino(slot, off);

    if (rc < 0)
        return rc;
    if (off == OFF_DIR) {
        attr_dir(a, ino, 2, task_mtime_ms(task), timeout);
    } else if (off < OFF_FILES_END) {
        g_autoptr(GBytes) b = task_file_content(task, off);
        attr_file(a, ino, g_bytes_get_size(b), task_mtime_ms(task), timeout);
    } else {
        g_autofree char *target = link_target(task->id, off);
        attr_link(a, ino, strlen(target), task_mtime_ms(task), timeout);
    }
    return 0;
}

/*
 * nlink of tasks/: 2 + one per task, once a listing of all tasks is complete; until then 1, the
 * Linux convention for "unknown" that find(1) respects. Never waits: opendir() stats the
 * directory first, and a listing must stream.
 */
static guint32 tasks_nlink(struct tree *t)
{
    struct listing *l = cache_listing_peek(t->cfg.cache, LISTING_ALL, NULL);
    guint32 n = 1;
    int err;

    if (l && listing_done(l, &err, NULL) && err == 0)
        n = 2 + listing_length(l);
    listing_unref(l);
    return n;
}

/* nlink of by-camera/ or by-algorithm/, the same way. */
static guint32 index_nlink(struct tree *t, guint64 ino)
{
    struct index *x = index_peek(t);
    guint32 n = x ? 2 + (ino == INO_BY_CAMERA ? x->cameras->len : x->titles->len) : 1;

    index_unref(x);
    return n;
}

static char *render_status(struct tree *t);
static char *render_metrics(struct tree *t);

/* Content of a .viasfs file, rendered now. */
static GBytes *meta_content(struct tree *t, guint64 ino)
{
    char *text = ino == INO_STATUS    ? render_status(t)
                 : ino == INO_METRICS ? render_metrics(t)
                                      : error_log_render(t->cfg.errors);
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
    guint32 n;

    switch (ino) {
    case TREE_ROOT_INO:
        attr_dir(a, ino, 2 + 6, t->mount_ms, ttl);
        return 0;
    case INO_TASKS:
        attr_dir(a, ino, tasks_nlink(t), t->mount_ms, 0);
        return 0;
    case INO_BY_STATE:
        g_mutex_lock(&t->lock);
        n = 0;
        for (guint i = 0; i < t->named->len; i++)
            n += ((struct named *)g_ptr_array_index(t->named, i))->kind == NAMED_STATE;
        g_mutex_unlock(&t->lock);
        attr_dir(a, ino, 2 + n, t->mount_ms, 0);
        return 0;
    case INO_BY_CAMERA:
    case INO_BY_ALG:
        attr_dir(a, ino, index_nlink(t, ino), t->mount_ms, 0);
        return 0;
    case INO_BY_NAME:
        attr_dir(a, ino, 2, t->mount_ms, 0);
        return 0;
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
    case INO_EVENTS:
        attr_file(a, ino, 0, t->mount_ms, 0);
        return 0;
    case INO_REFRESH:
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
    n = named_by_ino(t, ino);
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
    switch (n->kind) {
    case NAMED_STATE:
        have = task->state, off = OFF_LINK_STATE;
        break;
    case NAMED_CAMERA:
        have = task->video_source_name, off = OFF_LINK_CAMERA;
        break;
    default:
        have = task->title, off = OFF_LINK_ALG;
        break;
    }
    if (g_strcmp0(have, n->raw) != 0)
        return -ENOENT;
    g_autofree char *target = link_target(task->id, off);
    attr_link(out, task_ino(slot, off), strlen(target), task_mtime_ms(task), seconds_left(until));
    return 0;
}

static int lookup_named_dir(struct tree *t, enum named_kind kind, const char *name, gint64 deadline,
                            struct tree_attr *out)
{
    struct named *n = NULL;

    if (kind == NAMED_STATE) {
        g_mutex_lock(&t->lock);
        for (guint i = 0; i < t->named->len && !n; i++) {
            struct named *c = g_ptr_array_index(t->named, i);
            if (c->kind == NAMED_STATE && strcmp(c->enc, name) == 0)
                n = c;
        }
        g_mutex_unlock(&t->lock);
    } else {
        struct index *x = NULL;
        int rc = index_get(t, deadline, &x);
        if (rc < 0)
            return rc;
        n = g_hash_table_lookup(kind == NAMED_CAMERA ? x->camera_enc : x->title_enc, name);
        index_unref(x);
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
    int rc = index_get(t, deadline, &x);

    if (rc < 0)
        return rc;
    slot = GPOINTER_TO_UINT(g_hash_table_lookup(x->name_enc, name));
    index_unref(x);
    if (!slot)
        return -ENOENT;
    return task_attr(t, slot - 1, OFF_LINK_NAME, deadline, out);
}

int tree_lookup(struct tree *t, guint64 parent, const char *name, gint64 deadline,
                struct tree_attr *out)
{
    static const struct {
        guint64 parent;
        const char *name;
        guint64 ino;
    } fixed[] = {
        {TREE_ROOT_INO, "tasks", INO_TASKS},
        {TREE_ROOT_INO, "by-state", INO_BY_STATE},
        {TREE_ROOT_INO, "by-camera", INO_BY_CAMERA},
        {TREE_ROOT_INO, "by-name", INO_BY_NAME},
        {TREE_ROOT_INO, "by-algorithm", INO_BY_ALG},
        {TREE_ROOT_INO, ".viasfs", INO_META},
        {INO_META, "status", INO_STATUS},
        {INO_META, "errors", INO_ERRORS},
        {INO_META, "events", INO_EVENTS},
        {INO_META, "metrics", INO_METRICS},
        {INO_META, "refresh", INO_REFRESH},
    };
    guint32 slot;
    enum task_off off;
    struct named *n;

    for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
        if (fixed[i].parent == parent && strcmp(fixed[i].name, name) == 0)
            return static_attr(t, fixed[i].ino, out);

    if (ino_is_task(parent, &slot, &off)) {
        if (off != OFF_DIR)
            return -ENOTDIR;
        for (int f = OFF_STATE; f < OFF_FILES_END; f++)
            if (strcmp(task_files[f].name, name) == 0)
                return task_attr(t, slot, f, deadline, out);
        return -ENOENT;
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
        attr_dir(out, task_ino(slot, OFF_DIR), 2, task_mtime_ms(task), seconds_left(until));
        return 0;
    }
    case INO_BY_STATE:
        return lookup_named_dir(t, NAMED_STATE, name, deadline, out);
    case INO_BY_CAMERA:
        return lookup_named_dir(t, NAMED_CAMERA, name, deadline, out);
    case INO_BY_ALG:
        return lookup_named_dir(t, NAMED_ALG, name, deadline, out);
    case INO_BY_NAME:
        return lookup_by_name(t, name, deadline, out);
    }
    n = named_by_ino(t, parent);
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
    if (ino == INO_EVENTS || ino == INO_REFRESH) {
        *out = g_bytes_new(NULL, 0); /* a stream the fuse layer reads itself; a control */
        return 0;
    }
    if (!ino_is_task(ino, &slot, &off))
        return ino < INO_TASK_BASE && ino != INO_STATUS ? -EISDIR : -ENOENT;
    if (off == OFF_DIR)
        return -EISDIR;
    if (off >= OFF_FILES_END)
        return -EINVAL;
    rc = cache_get_slot(t->cfg.cache, slot, task_files[off].detail, deadline, &task, &until);
    if (rc < 0)
        return rc;
    *out = task_file_content(task, off);
    return 0;
}

bool tree_is_volatile(struct tree *t, guint64 ino)
{
    return ino == INO_STATUS || ino == INO_ERRORS || ino == INO_EVENTS || ino == INO_METRICS ||
           ino == INO_REFRESH;
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
}

void tree_file_closed(struct tree *t, guint64 ino)
{
    file_hold(t, ino, false);
}

int tree_readlink(struct tree *t, guint64 ino, gint64 deadline, char **out)
{
    g_autofree char *id = NULL;
    guint32 slot;
    enum task_off off;

    if (!ino_is_task(ino, &slot, &off) || off < OFF_LINK_STATE)
        return -EINVAL;
    id = cache_slot_id(t->cfg.cache, slot);
    if (!id)
        return -ENOENT;
    *out = link_target(id, off);
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
    struct fixed_entry e = {g_strdup(name), ino};
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
            add_entry(d->entries, task_files[f].name, task_ino(slot, f));
        d->filled = d->fixed = true;
    } else if (ino == INO_TASKS) {
        d->listing = cache_listing(t->cfg.cache, LISTING_ALL, NULL, deadline);
        d->link_off = OFF_DIR;
    } else if ((n = named_by_ino(t, ino))) {
        static const enum listing_view views[] = {LISTING_STATE, LISTING_CAMERA, LISTING_TITLE};
        static const enum task_off offs[] = {OFF_LINK_STATE, OFF_LINK_CAMERA, OFF_LINK_ALG};
        d->listing = cache_listing(t->cfg.cache, views[n->kind], n->raw, deadline);
        d->link_off = offs[n->kind];
    } else if (ino == TREE_ROOT_INO) {
        add_entry(d->entries, "tasks", INO_TASKS);
        add_entry(d->entries, "by-state", INO_BY_STATE);
        add_entry(d->entries, "by-camera", INO_BY_CAMERA);
        add_entry(d->entries, "by-name", INO_BY_NAME);
        add_entry(d->entries, "by-algorithm", INO_BY_ALG);
        add_entry(d->entries, ".viasfs", INO_META);
        d->filled = d->fixed = true;
    } else if (ino == INO_META) {
        add_entry(d->entries, "status", INO_STATUS);
        add_entry(d->entries, "errors", INO_ERRORS);
        add_entry(d->entries, "events", INO_EVENTS);
        add_entry(d->entries, "metrics", INO_METRICS);
        add_entry(d->entries, "refresh", INO_REFRESH);
        d->filled = d->fixed = true;
    } else if (ino == INO_BY_STATE) {
        g_mutex_lock(&t->lock);
        for (guint i = 0; i < t->named->len; i++) {
            struct named *c = g_ptr_array_index(t->named, i);
            if (c->kind == NAMED_STATE)
                add_entry(d->entries, c->enc, c->ino);
        }
        g_mutex_unlock(&t->lock);
        d->filled = true;
    } else if (ino != INO_BY_CAMERA && ino != INO_BY_ALG && ino != INO_BY_NAME) {
        tree_dir_free(d);
        return ino < INO_NAMED_BASE && ino > INO_META ? -ENOTDIR : -ENOENT;
    }
    *out = d;
    return 0;
}

/* Fills the entries of by-camera/, by-algorithm/ and by-name/ from the index. */
static int fill_from_index(struct tree *t, struct tree_dir *d, gint64 deadline)
{
    struct index *x = NULL;
    int rc = index_get(t, deadline, &x);

    if (rc < 0)
        return rc;
    if (d->ino == INO_BY_NAME) {
        d->index_until = cache_listing_fresh_until(t->cfg.cache, x->src);
        for (guint i = 0; i < x->names->len; i++) {
            struct name_entry *e = &g_array_index(x->names, struct name_entry, i);
            add_entry(d->entries, e->enc, task_ino(e->slot, OFF_LINK_NAME));
        }
    } else {
        GPtrArray *list = d->ino == INO_BY_CAMERA ? x->cameras : x->titles;
        for (guint i = 0; i < list->len; i++) {
            struct named *n = g_ptr_array_index(list, i);
            add_entry(d->entries, n->enc, n->ino);
        }
    }
    index_unref(x);
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
        if (task_files[off].detail && (!task || !task->complete)) {
            attr_file(a, ino, 0, task ? task_mtime_ms(task) : t->mount_ms, 0);
            a->unknown = true;
            return 0;
        }
        bool need = task_files[off].detail || (task && task->complete);
        g_clear_pointer(&task, task_unref);
        int rc = cache_get_slot(t->cfg.cache, slot, need, deadline, &task, &until);
        if (rc < 0)
            return rc;
        g_autoptr(GBytes) b = task_file_content(task, off);
        attr_file(a, ino, g_bytes_get_size(b), task_mtime_ms(task), seconds_left(until));
        return 0;
    }
    if (ino_is_task(ino, &slot, &off) && (off == OFF_DIR || off >= OFF_LINK_STATE)) {
        g_autoptr(Task) task = cache_peek_slot(t->cfg.cache, slot);
        g_autofree char *id = cache_slot_id(t->cfg.cache, slot);
        if (!id)
            return -ENOENT;
        gint64 mtime = task ? task_mtime_ms(task) : t->mount_ms;
        double listed = seconds_left(listed_until);
        if (off == OFF_DIR) {
            attr_dir(a, ino, 2, mtime, task ? listed : 0);
        } else {
            g_autofree char *target = link_target(id, off);
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

/* ---- status ---- */

/* @unix_s as "2026-11-28T17:00:00Z". Caller frees. */
static char *utc_time(gint64 unix_s)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_s);

    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

/* The wall-clock time of monotonic time @mono_us. */
static gint64 unix_of_monotonic(gint64 mono_us)
{
    return (g_get_real_time() - (g_get_monotonic_time() - mono_us)) / G_USEC_PER_SEC;
}

static void append_age(GString *s, const char *key, gint64 since_us)
{
    if (!since_us)
        g_string_append_printf(s, "%s: never\n", key);
    else
        g_string_append_printf(s, "%s: %.1f s\n", key,
                               (double)(g_get_monotonic_time() - since_us) / G_USEC_PER_SEC);
}

/* "token_expires: <time> (in 23.5 h)"; the token itself is never shown. */
static void append_token_expiry(GString *s, struct tree *t)
{
    gint64 at = t->cfg.auth ? auth_expires_at(t->cfg.auth) : 0;
    gint64 left = at - g_get_real_time() / G_USEC_PER_SEC;
    g_autofree char *when = NULL;

    if (at <= 0) {
        g_string_append(s, g_strcmp0(t->auth_kind, "aksk") == 0
                               ? "token_expires: none (AK/SK: every request is signed)\n"
                               : "token_expires: unknown\n");
        return;
    }
    when = utc_time(at);
    if (left >= 0)
        g_string_append_printf(s, "token_expires: %s (in %.1f h)\n", when, (double)left / 3600);
    else
        g_string_append_printf(s, "token_expires: %s (expired %.1f h ago)\n", when,
                               (double)-left / 3600);
}

static char *render_status(struct tree *t)
{
    GString *s = g_string_new(NULL);
    g_autofree char *last = error_log_last(t->cfg.errors);
    g_autofree char *mounted = utc_time(t->mount_ms / 1000);
    struct cache_stats st;

    cache_get_stats(t->cfg.cache, &st);
    g_string_append_printf(s, "version: %s\n", VIASFS_VERSION);
    g_string_append_printf(s, "endpoint: %s\n", t->endpoint);
    g_string_append_printf(s, "project: %s\n", t->project_id);
    g_string_append_printf(s, "auth: %s\n", t->auth_kind);
    append_token_expiry(s, t);
    g_string_append_printf(s, "mounted: %s\n", mounted);
    g_string_append_printf(s, "ttl: %d s\n", t->cfg.ttl_s);
    if (t->cfg.refresh_s > 0)
        g_string_append_printf(s, "refresh: every %d s\n", t->cfg.refresh_s);
    else
        g_string_append(s, "refresh: off\n");
    g_string_append_printf(s, "inotify: %s\n", t->cfg.inotify ? "on" : "off");
    g_string_append_printf(s, "events: %" G_GUINT64_FORMAT "\n", event_log_total(t->cfg.events));
    g_string_append_printf(s, "page_size: %d\n", t->cfg.page_size);
    g_string_append_printf(s, "timeout: %d s\n", t->cfg.timeout_s);
    g_string_append_printf(s, "tasks_known: %u\n", st.tasks);
    append_age(s, "list_age", st.last_walk_us);
    if (st.stale_since_us) {
        g_autofree char *since = utc_time(unix_of_monotonic(st.stale_since_us));
        g_string_append_printf(
            s, "stale: yes, since %s, %.1f s ago (the last fetch failed)\n", since,
            (double)(g_get_monotonic_time() - st.stale_since_us) / G_USEC_PER_SEC);
    } else {
        g_string_append(s, "stale: no\n");
    }
    g_string_append_printf(s, "stale_served: %" G_GUINT64_FORMAT "\n", st.stale_served);
    g_string_append_printf(s, "list_walks: %" G_GUINT64_FORMAT "\n", st.walks);
    g_string_append_printf(s, "detail_fetches: %" G_GUINT64_FORMAT "\n", st.detail_fetches);
    g_string_append_printf(s, "api_requests: %" G_GUINT64_FORMAT "\n",
                           metrics_attempts(t->cfg.metrics));
    g_string_append_printf(s, "manual_refreshes: %d\n", g_atomic_int_get(&t->refreshes));
    g_string_append_printf(s, "errors: %" G_GUINT64_FORMAT "\n", error_log_total(t->cfg.errors));
    g_string_append_printf(s, "last_error: %s\n", last ? last : "none");
    return g_string_free(s, FALSE);
}

/* ---- metrics ---- */

static char *render_metrics(struct tree *t)
{
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
    m.errors = error_log_total(t->cfg.errors);
    m.refreshes = (guint64)g_atomic_int_get(&t->refreshes);
    m.stale = st.stale_since_us != 0;
    m.list_age_s =
        st.last_walk_us ? (double)(g_get_monotonic_time() - st.last_walk_us) / G_USEC_PER_SEC : -1;
    m.auth_expires_at_s = t->cfg.auth ? auth_expires_at(t->cfg.auth) : 0;
    return metrics_render(t->cfg.metrics, &m);
}

struct metrics *tree_metrics(struct tree *t)
{
    return t->cfg.metrics;
}

/* ---- changes ---- */

/* The path of a task's link in a state directory, relative to the mountpoint. */
static char *state_link_path(const struct named *dir, const char *id)
{
    return g_strdup_printf("by-state/%s/%s", dir->enc, id);
}

static void emit(struct tree *t, const char *id, const char *name, const char *change,
                 const char *old_value, const char *new_value)
{
    struct event e = {now_ms(), id, name, change, old_value, new_value};
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
static bool file_changed(const struct task *o, const struct task *n, enum task_off off,
                         bool unknown_counts)
{
    if (task_files[off].detail && (!o->complete || !n->complete))
        return unknown_counts;
    g_autoptr(GBytes) a = task_file_content(o, off);
    g_autoptr(GBytes) b = task_file_content(n, off);
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
    guint64 link = task_ino(c->slot, OFF_LINK_STATE);
    struct cache_stats st;
    bool news;

    if (!nf->inval_inode)
        return;
    if (o && o->state)
        from = named_find(t, NAMED_STATE, o->state);
    if (n && n->state)
        to = named_find(t, NAMED_STATE, n->state); /* registers new states too */
    if (from == to)
        from = to = NULL;
    cache_get_stats(t->cfg.cache, &st);
    /* The first walk of all tasks populates the tree: that is no news to anyone. */
    news = st.last_walk_us != 0 || o;
    if (!news)
        return;

    /* 1. the kernel's caches */
    if (o && n)
        for (int off = OFF_DIR; off < OFF_FILES_END; off++)
            nf->inval_inode(task_ino(c->slot, off), nf->data);
    if (!o || !n)
        nf->inval_inode(INO_TASKS, nf->data);
    if (from) {
        nf->inval_inode(from->ino, nf->data);
        cache_forget_listing(t->cfg.cache, LISTING_STATE, from->raw);
    }
    if (to) {
        nf->inval_inode(to->ino, nf->data);
        nf->inval_entry(to->ino, c->id, nf->data);
        cache_forget_listing(t->cfg.cache, LISTING_STATE, to->raw);
    }
    if (o && n && g_strcmp0(o->name, n->name) != 0)
        nf->inval_inode(INO_BY_NAME, nf->data);

    /* 2. names that no longer exist leave the kernel now, not at a timeout */
    if (!n)
        nf->delete_entry(INO_TASKS, task_ino(c->slot, OFF_DIR), c->id, nf->data);
    if (from)
        nf->delete_entry(from->ino, link, c->id, nf->data);

    /* 3. poll()ers of open files that changed */
    if (o && n)
        for (int off = OFF_STATE; off < OFF_FILES_END; off++)
            if (file_changed(o, n, off, true))
                nf->wake(task_ino(c->slot, off), nf->data);

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
            if (file_changed(o, n, off, false)) { /* a touch of an unknown detail fetches it */
                g_autofree char *path = g_strdup_printf("tasks/%s/%s", c->id, task_files[off].name);
                nf->own_touch(path, nf->data);
            }
    if (from) {
        g_autofree char *path = state_link_path(from, c->id);
        nf->own_unlink(from->ino, c->id, link, path, nf->data);
    }
    if (to) {
        g_autofree char *path = state_link_path(to, c->id);
        g_autofree char *target = link_target(c->id, OFF_LINK_STATE);
        nf->own_symlink(to->ino, c->id, path, target, nf->data);
    }
}

/* ---- .viasfs/refresh ---- */

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
    if (!tree_is_control(t, ino))
        return -EROFS;
    return may_write(t, uid) ? 0 : -EACCES;
}

/* The named directory of (@kind, @raw) if registered, without registering it. */
static struct named *named_peek(struct tree *t, enum named_kind kind, const char *raw)
{
    g_autofree char *key = g_strdup_printf("%d:%s", (int)kind, raw);
    struct named *n;

    g_mutex_lock(&t->lock);
    n = g_hash_table_lookup(t->named_by_key, key);
    g_mutex_unlock(&t->lock);
    return n;
}

/* The named directory of @kind whose file name is @enc, or NULL. */
static struct named *named_by_enc(struct tree *t, enum named_kind kind, const char *enc)
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
    guint64 inos[OFF_LINK_ALG + 1];
    guint32 slot;

    cache_expire_task(t->cfg.cache, id);
    if (!cache_find_slot(t->cfg.cache, id, &slot)) {
        kernel_forget(t, INO_TASKS, id, NULL, 0);
        return;
    }
    for (int off = OFF_DIR; off <= OFF_LINK_ALG; off++)
        inos[off] = task_ino(slot, off);
    kernel_forget(t, INO_TASKS, id, inos, G_N_ELEMENTS(inos));
    task = cache_peek_slot(t->cfg.cache, slot);
    if (task) {
        const struct {
            enum named_kind kind;
            const char *raw;
        } views[] = {{NAMED_STATE, task->state},
                     {NAMED_CAMERA, task->video_source_name},
                     {NAMED_ALG, task->title}};
        for (size_t i = 0; i < G_N_ELEMENTS(views); i++) {
            struct named *n = views[i].raw ? named_peek(t, views[i].kind, views[i].raw) : NULL;
            if (n)
                kernel_forget(t, n->ino, id, NULL, 0);
        }
    }
    struct index *x = index_peek(t);
    for (guint i = 0; x && i < x->names->len; i++) {
        struct name_entry *e = &g_array_index(x->names, struct name_entry, i);
        if (e->slot == slot)
            kernel_forget(t, INO_BY_NAME, e->enc, NULL, 0);
    }
    index_unref(x);
}

/* Drops one view's listing; the kernel forgets the directory and what it cached below it. */
static void drop_view(struct tree *t, const struct named *n)
{
    static const enum listing_view views[] = {LISTING_STATE, LISTING_CAMERA, LISTING_TITLE};
    static const guint64 parents[] = {INO_BY_STATE, INO_BY_CAMERA, INO_BY_ALG};

    cache_forget_listing(t->cfg.cache, views[n->kind], n->raw);
    kernel_forget(t, parents[n->kind], n->enc, &n->ino, 1);
}

/* Drops every view of @kind. */
static void drop_views(struct tree *t, enum named_kind kind)
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
    cache_forget_listing(t->cfg.cache, LISTING_ALL, NULL);
    kernel_forget(t, TREE_ROOT_INO, top, &top_ino, 1);
}

void tree_refresh_all(struct tree *t)
{
    static const struct {
        const char *name;
        guint64 ino;
    } tops[] = {{"tasks", INO_TASKS},
                {"by-state", INO_BY_STATE},
                {"by-camera", INO_BY_CAMERA},
                {"by-name", INO_BY_NAME},
                {"by-algorithm", INO_BY_ALG}};

    g_atomic_int_inc(&t->refreshes);
    cache_expire_all(t->cfg.cache);
    for (size_t i = 0; i < G_N_ELEMENTS(tops); i++)
        kernel_forget(t, TREE_ROOT_INO, tops[i].name, &tops[i].ino, 1);
    log_info("refresh: all cached data dropped");
}

static bool is_task_file(const char *name)
{
    for (int f = OFF_STATE; f < OFF_FILES_END; f++)
        if (strcmp(task_files[f].name, name) == 0)
            return true;
    return false;
}

/* What a line of .viasfs/refresh drops: one task, or a listing (which costs a walk). */
enum { DROPS_TASK = 0, DROPS_LISTING = 1 };

/*
 * One line written to .viasfs/refresh: checks it (-EINVAL when it names nothing that can be
 * dropped) and, when @act, does it. Returns DROPS_TASK or DROPS_LISTING. See
 * tree_write_control for the language.
 */
static int control_line(struct tree *t, const char *line, bool act)
{
    static const struct {
        const char *name;
        enum named_kind kind;
        guint64 ino;
    } views[] = {{"by-state", NAMED_STATE, INO_BY_STATE},
                 {"by-camera", NAMED_CAMERA, INO_BY_CAMERA},
                 {"by-algorithm", NAMED_ALG, INO_BY_ALG}};
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
    if (strcmp(c[0], "by-name") == 0) {
        struct index *x;
        guint32 slot;
        if (n == 1) {
            if (act)
                drop_list_all(t, "by-name", INO_BY_NAME);
            return DROPS_LISTING;
        }
        if (n > 2)
            return -EINVAL;
        x = index_peek(t);
        slot = x ? GPOINTER_TO_UINT(g_hash_table_lookup(x->name_enc, c[1])) : 0;
        index_unref(x);
        g_autofree char *id = slot ? cache_slot_id(t->cfg.cache, slot - 1) : NULL;
        if (!id)
            return -EINVAL;
        if (act)
            drop_task(t, id);
        return DROPS_TASK;
    }
    for (size_t v = 0; v < G_N_ELEMENTS(views); v++) {
        struct named *dir;
        if (strcmp(c[0], views[v].name) != 0)
            continue;
        if (n == 1) {
            if (act && views[v].kind != NAMED_STATE)
                drop_list_all(t, views[v].name, views[v].ino); /* the index behind it */
            if (act)
                drop_views(t, views[v].kind);
            return DROPS_LISTING;
        }
        dir = named_by_enc(t, views[v].kind, c[1]);
        if (!dir || (n == 3 && !task_id_is_valid(c[2])))
            return -EINVAL;
        if (act && n == 2)
            drop_view(t, dir);
        if (act && n == 3)
            drop_task(t, c[2]);
        return n == 2 ? DROPS_LISTING : DROPS_TASK;
    }
    return -EINVAL;
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
        if (t->cfg.errors)
            error_log_add_text(t->cfg.errors, text);
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
    t->named_by_key = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    t->named = g_ptr_array_new_with_free_func(named_free);
    /* by-state has the documented states' directories before any task is seen. */
    for (const char *const *st = api_documented_states; *st; st++)
        named_get_locked(t, NAMED_STATE, *st);
    return t;
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
    index_unref(t->index);
    g_hash_table_unref(t->named_by_key);
    g_ptr_array_unref(t->named);
    g_mutex_clear(&t->lock);
    g_rw_lock_clear(&t->notifier_lock);
    g_free(t->endpoint);
    g_free(t->project_id);
    g_free(t->auth_kind);
    g_free(t);
}

uid_t tree_uid(const struct tree *t)
{
    return t->cfg.uid;
}

gid_t tree_gid(const struct tree *t)
{
    return t->cfg.gid;
}
