/*
 * notifier: the tree's change reports carried out in order on one thread, and the inotify
 * replay through the mountpoint with the answers to its own requests (see notifier.h).
 * Every tree callback turns its call into a note on one queue; the thread takes them in
 * order, so that a reader woken by a note sees the invalidations queued before it done.
 * During an unlink or symlink replay, a script says what the notifier's own lookups of that
 * name must find, since the tree has already changed.
 */
#define FUSE_USE_VERSION 312
#include "viasfs/notifier.h"
#include "viasfs/kernel_attr.h"
#include "viasfs/log.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct notifier {
    struct notifier_config cfg; /* mountpoint owned */
    GAsyncQueue *notes;         /* struct note *: work for the thread, in order; owned */
    GThread *thread;
    gint own_tid;  /* atomic: the thread's id, -1 before it runs: its requests are our own */
    gint stopping; /* atomic: the session is ending: no operations through the mount */

    GMutex lock;         /* protects scripts */
    GHashTable *scripts; /* "parent/name" (owned) -> GUINT64 child + 1, or 0 meaning "absent" */
};

enum note_kind {
    NOTE_INODE,
    NOTE_ENTRY,
    NOTE_DELETE,
    NOTE_WAKE,
    NOTE_EVENT,
    NOTE_TOUCH,
    NOTE_UNLINK,
    NOTE_SYMLINK,
    NOTE_FLUSH,
    NOTE_STOP
};

/* One queued call; owned by the queue, then by the thread, which frees it with note_free. */
struct note {
    enum note_kind kind;
    guint64 ino;       /* INODE, WAKE: the inode; DELETE, UNLINK: the child */
    guint64 parent;    /* ENTRY, DELETE, UNLINK, SYMLINK */
    char *name;        /* ENTRY, DELETE, UNLINK, SYMLINK: entry name; EVENT: the line */
    char *path;        /* TOUCH, UNLINK, SYMLINK: relative to the mountpoint */
    char *target;      /* SYMLINK */
    GAsyncQueue *done; /* FLUSH: a reference, told when the note is reached */
};

static struct note *note_new(enum note_kind kind)
{
    struct note *n = g_new0(struct note, 1);
    n->kind = kind;
    return n;
}

static void note_free(struct note *n)
{
    if (n->done)
        g_async_queue_unref(n->done);
    g_free(n->name);
    g_free(n->path);
    g_free(n->target);
    g_free(n);
}

/* ---- scripts: what the notifier's own lookups must find during a replay ---- */

static char *script_key(guint64 parent, const char *name)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT "/%s", parent, name);
}

/* What the notifier's own lookup of @parent/@name must find: true with *@child set when
 * scripted present, true with 0 when scripted absent, false when not scripted. */
static bool script_lookup(struct notifier *nf, guint64 parent, const char *name, guint64 *child)
{
    g_autofree char *key = script_key(parent, name);
    gpointer value;
    bool found;

    g_mutex_lock(&nf->lock);
    found = g_hash_table_lookup_extended(nf->scripts, key, NULL, &value);
    g_mutex_unlock(&nf->lock);
    *child = found ? GPOINTER_TO_SIZE(value) : 0;
    if (*child)
        (*child)--;
    return found;
}

static void script_set(struct notifier *nf, guint64 parent, const char *name, bool present,
                       guint64 child)
{
    g_mutex_lock(&nf->lock);
    g_hash_table_replace(nf->scripts, script_key(parent, name),
                         GSIZE_TO_POINTER(present ? child + 1 : 0));
    g_mutex_unlock(&nf->lock);
}

static void script_clear(struct notifier *nf, guint64 parent, const char *name)
{
    g_autofree char *key = script_key(parent, name);

    g_mutex_lock(&nf->lock);
    g_hash_table_remove(nf->scripts, key);
    g_mutex_unlock(&nf->lock);
}

/* ---- the tree's callbacks: each queues one note ---- */

static void want_inval_inode(guint64 ino, void *data)
{
    struct note *n = note_new(NOTE_INODE);
    n->ino = ino;
    g_async_queue_push(((struct notifier *)data)->notes, n);
}

static void want_inval_entry(guint64 parent, const char *name, void *data)
{
    struct note *n = note_new(NOTE_ENTRY);
    n->parent = parent;
    n->name = g_strdup(name);
    g_async_queue_push(((struct notifier *)data)->notes, n);
}

static void want_delete(guint64 parent, guint64 child, const char *name, void *data)
{
    struct note *n = note_new(NOTE_DELETE);
    n->parent = parent;
    n->ino = child;
    n->name = g_strdup(name);
    g_async_queue_push(((struct notifier *)data)->notes, n);
}

static void want_wake(guint64 ino, void *data)
{
    struct note *n = note_new(NOTE_WAKE);
    n->ino = ino;
    g_async_queue_push(((struct notifier *)data)->notes, n);
}

static void want_event(const char *line, void *data)
{
    struct note *n = note_new(NOTE_EVENT);
    n->name = g_strdup(line);
    g_async_queue_push(((struct notifier *)data)->notes, n);
}

static void want_touch(const char *path, void *data)
{
    struct note *n = note_new(NOTE_TOUCH);
    n->path = g_strdup(path);
    g_async_queue_push(((struct notifier *)data)->notes, n);
}

static void want_unlink(guint64 parent, const char *name, guint64 child, const char *path,
                        void *data)
{
    struct note *n = note_new(NOTE_UNLINK);
    n->parent = parent;
    n->name = g_strdup(name);
    n->ino = child;
    n->path = g_strdup(path);
    g_async_queue_push(((struct notifier *)data)->notes, n);
}

static void want_symlink(guint64 parent, const char *name, const char *path, const char *target,
                         void *data)
{
    struct note *n = note_new(NOTE_SYMLINK);
    n->parent = parent;
    n->name = g_strdup(name);
    n->path = g_strdup(path);
    n->target = g_strdup(target);
    g_async_queue_push(((struct notifier *)data)->notes, n);
}

/*
 * Waits until the notes queued before this call have been sent, for at most a second (the
 * notifier may itself be waiting for the kernel). Does not wait on the notifier thread.
 */
static void want_flush(void *data)
{
    struct notifier *nf = data;
    GAsyncQueue *done;
    struct note *n;

    if ((gint)gettid() == g_atomic_int_get(&nf->own_tid))
        return;
    done = g_async_queue_new();
    n = note_new(NOTE_FLUSH);
    n->done = g_async_queue_ref(done);
    g_async_queue_push(nf->notes, n);
    g_async_queue_timeout_pop(done, G_USEC_PER_SEC);
    g_async_queue_unref(done);
}

/* ---- the thread ---- */

/* Operations through the mountpoint, so inotify sees them. Failures only get logged. */
static void own_operation(struct notifier *nf, struct note *n)
{
    g_autofree char *path = g_build_filename(nf->cfg.mountpoint, n->path, NULL);
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_NOW}};
    int rc = 0;

    if (g_atomic_int_get(&nf->stopping))
        return;
    switch (n->kind) {
    case NOTE_TOUCH:
        rc = utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
        break;
    case NOTE_UNLINK:
        script_set(nf, n->parent, n->name, true, n->ino);
        rc = unlink(path);
        script_clear(nf, n->parent, n->name);
        break;
    case NOTE_SYMLINK:
        /* Any cached name must go, or the kernel answers EEXIST without asking us. */
        fuse_lowlevel_notify_inval_entry(nf->cfg.se, n->parent, n->name, strlen(n->name));
        script_set(nf, n->parent, n->name, false, 0);
        rc = symlink(n->target, path);
        script_clear(nf, n->parent, n->name);
        break;
    default:
        break;
    }
    if (rc < 0)
        log_debug("inotify helper: %s: %s", n->path, g_strerror(errno));
}

static gpointer notifier_main(gpointer data)
{
    struct notifier *nf = data;
    struct fuse_session *se = nf->cfg.se;

    g_atomic_int_set(&nf->own_tid, (gint)gettid());
    for (;;) {
        struct note *n = g_async_queue_pop(nf->notes);
        enum note_kind kind = n->kind;
        int rc = 0;

        switch (kind) {
        case NOTE_INODE:
            rc = fuse_lowlevel_notify_inval_inode(se, n->ino, 0, 0);
            break;
        case NOTE_ENTRY:
            rc = fuse_lowlevel_notify_inval_entry(se, n->parent, n->name, strlen(n->name));
            break;
        case NOTE_DELETE:
            rc = fuse_lowlevel_notify_delete(se, n->parent, n->ino, n->name, strlen(n->name));
            break;
        case NOTE_WAKE:
            nf->cfg.wake_files(n->ino, nf->cfg.data);
            break;
        case NOTE_EVENT:
            tree_emit_event(nf->cfg.tree, n->name);
            break;
        case NOTE_TOUCH:
        case NOTE_UNLINK:
        case NOTE_SYMLINK:
            own_operation(nf, n);
            break;
        case NOTE_FLUSH:
            g_async_queue_push(n->done, GINT_TO_POINTER(1));
            break;
        case NOTE_STOP:
            break;
        }
        /* -ENOENT: the kernel had nothing cached. -ENOTCONN/-EBADF: unmounting. */
        if (rc < 0 && rc != -ENOENT && rc != -ENOTCONN && rc != -EBADF)
            log_debug("fuse notify (%d) failed: %s", (int)kind, g_strerror(-rc));
        note_free(n);
        if (kind == NOTE_STOP)
            return NULL;
    }
}

/* ---- lifecycle ---- */

struct notifier *notifier_new(const struct notifier_config *cfg)
{
    struct notifier *nf = g_new0(struct notifier, 1);
    const struct tree_notifier callbacks = {
        .inval_inode = want_inval_inode,
        .inval_entry = want_inval_entry,
        .delete_entry = want_delete,
        .wake = want_wake,
        .event = want_event,
        .own_touch = want_touch,
        .own_unlink = want_unlink,
        .own_symlink = want_symlink,
        .flush = want_flush,
        .data = nf,
    };

    nf->cfg = *cfg;
    nf->cfg.mountpoint = g_strdup(cfg->mountpoint);
    nf->notes = g_async_queue_new();
    nf->own_tid = -1;
    g_mutex_init(&nf->lock);
    nf->scripts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    tree_set_notifier(nf->cfg.tree, &callbacks);
    nf->thread = g_thread_new("notifier", notifier_main, nf);
    return nf;
}

void notifier_stop(struct notifier *nf)
{
    g_atomic_int_set(&nf->stopping, 1);
    tree_set_notifier(nf->cfg.tree, &(struct tree_notifier){0});
}

void notifier_free(struct notifier *nf)
{
    g_async_queue_push(nf->notes, note_new(NOTE_STOP));
    g_thread_join(nf->thread);
    g_async_queue_unref(nf->notes);
    g_hash_table_unref(nf->scripts);
    g_mutex_clear(&nf->lock);
    g_free((char *)nf->cfg.mountpoint);
    g_free(nf);
}

/* ---- answers to the notifier's own requests ---- */

static bool own_request(struct notifier *nf, fuse_req_t req)
{
    return fuse_req_ctx(req)->pid == (pid_t)g_atomic_int_get(&nf->own_tid);
}

bool notifier_owns(struct notifier *nf, fuse_req_t req)
{
    return nf && own_request(nf, req);
}

bool notifier_reply_own_lookup(struct notifier *nf, fuse_req_t req, guint64 parent,
                               const char *name)
{
    struct tree_attr a;
    struct fuse_entry_param e;
    guint64 child;

    if (!own_request(nf, req) || !script_lookup(nf, parent, name, &child))
        return false;
    if (!child) {
        fuse_reply_err(req, ENOENT);
        return true;
    }
    /* A link being removed: it must still be found for the unlink to reach us. */
    a = (struct tree_attr){.ino = child, .mode = S_IFLNK | 0777, .nlink = 1, .size = 0};
    kernel_attr_entry(nf->cfg.tree, &a, &e);
    fuse_reply_entry(req, &e);
    return true;
}

bool notifier_reply_own_setattr(struct notifier *nf, fuse_req_t req, guint64 ino, gint64 deadline)
{
    struct tree_attr a;
    struct stat st;

    /* The notifier touching a changed file so inotify sees it: answer with the truth. */
    if (!own_request(nf, req) || tree_getattr(nf->cfg.tree, ino, deadline, &a) != 0)
        return false;
    kernel_attr_stat(nf->cfg.tree, &a, &st);
    fuse_reply_attr(req, &st, 0);
    return true;
}

bool notifier_reply_own_unlink(struct notifier *nf, fuse_req_t req, guint64 parent,
                               const char *name)
{
    guint64 child;

    if (!own_request(nf, req) || !script_lookup(nf, parent, name, &child) || !child)
        return false;
    fuse_reply_err(req, 0); /* the tree has already dropped it */
    return true;
}

bool notifier_reply_own_symlink(struct notifier *nf, fuse_req_t req, guint64 parent,
                                const char *name, gint64 deadline)
{
    struct tree_attr a;
    struct fuse_entry_param e;
    guint64 child;

    if (!own_request(nf, req) || !script_lookup(nf, parent, name, &child) || child ||
        tree_lookup(nf->cfg.tree, parent, name, deadline, &a) != 0)
        return false;
    kernel_attr_entry(nf->cfg.tree, &a, &e); /* the link the tree now has */
    fuse_reply_entry(req, &e);
    return true;
}
