/*
 * fs: libfuse low-level operations over the tree (see fs.h). Every handler replies exactly
 * once on every path. Open files keep a snapshot of their content so that a read sequence
 * sees one version, and are registered by inode so a change can wake their poll()ers
 * (sysfs style: POLLPRI|POLLERR until the next read from offset 0 fetches the new content).
 * Open directory handles are registered too, so that those whose release never came are
 * freed when the session ends.
 * Reads of .viasfs/events that find nothing new are parked and answered when a line arrives,
 * or with EINTR when interrupted. Everything the tree asks on a change goes through one
 * queue to the notifier thread, in order; its operations through the mountpoint (for
 * inotify) are recognised by the handlers by its thread id and answered as its own.
 */
#define FUSE_USE_VERSION 312
#include "viasfs/fs.h"
#include "viasfs/hangup.h"
#include "viasfs/interrupt.h"
#include "viasfs/requester.h"
#include "viasfs/log.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One open regular file. */
struct open_file {
    guint64 ino;
    GBytes *content;            /* snapshot; protected by fs->lock once registered */
    bool changed;               /* changed since this handle last read from offset 0 */
    bool stream;                /* .viasfs/events */
    struct event_cursor cursor; /* stream: what to deliver next */
    struct fuse_pollhandle *ph; /* waiting poll(), or NULL */
};

/* A read of the event stream waiting for a line. */
struct parked_read {
    fuse_req_t req;
    struct open_file *f;
    size_t size;
};

struct fs {
    struct tree *tree;
    struct fuse_session *se;
    gint64 timeout_us;
    char *mountpoint;   /* absolute, for operations through the mount */
    GAsyncQueue *notes; /* struct note *: work for the notifier, in order */
    GThread *notifier;
    gint own_tid;  /* the notifier's thread id: its requests are our own */
    gint stopping; /* atomic: the session is ending */

    GMutex lock;         /* protects files, dirs, parked, scripts and open_file fields */
    GHashTable *files;   /* ino -> GList of struct open_file * */
    GHashTable *dirs;    /* set of struct tree_dir *: open directory handles, owned */
    GList *parked;       /* struct parked_read * */
    GHashTable *scripts; /* "parent/name" -> GUINT64 child + 1, or 0 meaning "absent" */
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

struct note {
    enum note_kind kind;
    guint64 ino;       /* INODE, WAKE: the inode; DELETE, UNLINK: the child */
    guint64 parent;    /* ENTRY, DELETE, UNLINK, SYMLINK */
    char *name;        /* ENTRY, DELETE, UNLINK, SYMLINK: entry name; EVENT: the line */
    char *path;        /* TOUCH, UNLINK, SYMLINK: relative to the mountpoint */
    char *target;      /* SYMLINK */
    GAsyncQueue *done; /* FLUSH: a reference, told when the note is reached */
};

static struct fs *fs_of(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

/* Counts @n requests of kind @op in the metrics. */
static void count_op(fuse_req_t req, enum metrics_fuse_op op, guint64 n)
{
    metrics_count_fuse_op(tree_metrics(fs_of(req)->tree), op, n);
}

static gint64 deadline_of(struct fs *fs)
{
    return g_get_monotonic_time() + fs->timeout_us;
}

static bool own_request(struct fs *fs, fuse_req_t req)
{
    return fuse_req_ctx(req)->pid == (pid_t)g_atomic_int_get(&fs->own_tid);
}

static char *script_key(guint64 parent, const char *name)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT "/%s", parent, name);
}

/* What the notifier's own lookup of @parent/@name must find: true with *@child set when
 * scripted present, true with 0 when scripted absent, false when not scripted. */
static bool script_lookup(struct fs *fs, guint64 parent, const char *name, guint64 *child)
{
    g_autofree char *key = script_key(parent, name);
    gpointer value;
    bool found;

    g_mutex_lock(&fs->lock);
    found = g_hash_table_lookup_extended(fs->scripts, key, NULL, &value);
    g_mutex_unlock(&fs->lock);
    *child = found ? GPOINTER_TO_SIZE(value) : 0;
    if (*child)
        (*child)--;
    return found;
}

static void script_set(struct fs *fs, guint64 parent, const char *name, bool present, guint64 child)
{
    g_mutex_lock(&fs->lock);
    g_hash_table_replace(fs->scripts, script_key(parent, name),
                         GSIZE_TO_POINTER(present ? child + 1 : 0));
    g_mutex_unlock(&fs->lock);
}

static void script_clear(struct fs *fs, guint64 parent, const char *name)
{
    g_autofree char *key = script_key(parent, name);

    g_mutex_lock(&fs->lock);
    g_hash_table_remove(fs->scripts, key);
    g_mutex_unlock(&fs->lock);
}

static void to_stat(const struct fs *fs, const struct tree_attr *a, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_ino = a->ino;
    st->st_mode = a->mode;
    st->st_nlink = a->nlink;
    st->st_size = (off_t)a->size;
    st->st_uid = tree_uid(fs->tree);
    st->st_gid = tree_gid(fs->tree);
    st->st_blksize = 4096;
    st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
    st->st_mtim.tv_sec = a->mtime_ms / 1000;
    st->st_mtim.tv_nsec = (a->mtime_ms % 1000) * 1000000;
    st->st_atim = st->st_mtim;
    st->st_ctim = st->st_mtim;
}

static void fill_entry(struct fs *fs, const struct tree_attr *a, struct fuse_entry_param *e)
{
    memset(e, 0, sizeof(*e));
    e->ino = a->ino;
    e->generation = 1;
    e->attr_timeout = a->timeout_s;
    e->entry_timeout = MAX(a->timeout_s, a->entry_timeout_s);
    to_stat(fs, a, &e->attr);
}

static void op_init(void *data, struct fuse_conn_info *conn)
{
    if (conn->capable & FUSE_CAP_READDIRPLUS)
        conn->want |= FUSE_CAP_READDIRPLUS;
    /* Always send attributes with listings, so `ls -l` costs no request per entry. */
    conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
    /* The kernel keeps link targets like file pages: readlink costs no request per link.
     * Every change invalidates the link's inode (tree_on_change), which drops the target. */
    if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
        conn->want |= FUSE_CAP_CACHE_SYMLINKS;
}

/*
 * A file operation that may wait (for a listing or a detail fetch). Its interruption by the
 * kernel (the caller got a signal: Ctrl-C) reaches every wait made for it (interrupt.h), so
 * it answers EINTR at once instead of at its deadline.
 */
struct op {
    fuse_req_t req;
    gint interrupted; /* atomic; set by libfuse's interrupt callback */
};

static void op_on_interrupt(fuse_req_t req, void *data)
{
    struct op *op = data;

    g_atomic_int_set(&op->interrupted, 1);
}

static void op_begin(struct op *op, fuse_req_t req)
{
    op->req = req;
    op->interrupted = 0;
    fuse_req_interrupt_func(req, op_on_interrupt, op);
    interrupt_watch(&op->interrupted);
    requester_set((guint32)fuse_req_ctx(req)->pid);
}

/* Call before replying: once it returns, no interrupt callback runs on @op any more. */
static void op_end(struct op *op)
{
    interrupt_unwatch();
    requester_set(0);
    fuse_req_interrupt_func(op->req, NULL, NULL);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    count_op(req, METRICS_OP_LOOKUP, 1);
    struct fs *fs = fs_of(req);
    struct tree_attr a;
    struct fuse_entry_param e;
    guint64 child;
    int rc;

    if (own_request(fs, req) && script_lookup(fs, parent, name, &child)) {
        if (!child) {
            fuse_reply_err(req, ENOENT);
            return;
        }
        /* A link being removed: it must still be found for the unlink to reach us. */
        a = (struct tree_attr){.ino = child, .mode = S_IFLNK | 0777, .nlink = 1, .size = 0};
        fill_entry(fs, &a, &e);
        fuse_reply_entry(req, &e);
        return;
    }
    struct op op;
    op_begin(&op, req);
    rc = tree_lookup(fs->tree, parent, name, deadline_of(fs), &a);
    op_end(&op);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    fill_entry(fs, &a, &e);
    fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    count_op(req, METRICS_OP_FORGET, 1);
    /* Inode numbers are computed, not allocated: nothing to release. */
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    count_op(req, METRICS_OP_FORGET, count);
    fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_GETATTR, 1);
    struct fs *fs = fs_of(req);
    struct tree_attr a;
    struct stat st;
    struct op op;
    int rc;

    op_begin(&op, req);
    rc = tree_getattr(fs->tree, ino, deadline_of(fs), &a);
    op_end(&op);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    to_stat(fs, &a, &st);
    fuse_reply_attr(req, &st, a.timeout_s);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
    count_op(req, METRICS_OP_READLINK, 1);
    struct fs *fs = fs_of(req);
    g_autofree char *target = NULL;
    struct op op;
    int rc;

    op_begin(&op, req);
    rc = tree_readlink(fs->tree, ino, deadline_of(fs), &target);
    op_end(&op);

    if (rc < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_readlink(req, target);
}

/* At the end: open files whose release never came (the daemon was stopped under them). */
static void files_free_remaining(struct fs *fs)
{
    GHashTableIter it;
    gpointer list;

    g_hash_table_iter_init(&it, fs->files);
    while (g_hash_table_iter_next(&it, NULL, &list)) {
        for (GList *l = list; l; l = l->next) {
            struct open_file *f = l->data;
            if (f->ph)
                fuse_pollhandle_destroy(f->ph);
            g_bytes_unref(f->content);
            g_free(f);
        }
        g_list_free(list);
        g_hash_table_iter_remove(&it);
    }
}

static void file_register(struct fs *fs, struct open_file *f)
{
    g_mutex_lock(&fs->lock);
    GList *list = g_hash_table_lookup(fs->files, &f->ino);
    g_hash_table_insert(fs->files, g_memdup2(&f->ino, sizeof(f->ino)), g_list_prepend(list, f));
    g_mutex_unlock(&fs->lock);
}

static void file_unregister(struct fs *fs, struct open_file *f)
{
    GList *parked_here = NULL;

    g_mutex_lock(&fs->lock);
    GList *list = g_list_remove(g_hash_table_lookup(fs->files, &f->ino), f);
    if (list)
        g_hash_table_insert(fs->files, g_memdup2(&f->ino, sizeof(f->ino)), list);
    else
        g_hash_table_remove(fs->files, &f->ino);
    for (GList *l = fs->parked; l;) {
        GList *next = l->next;
        struct parked_read *p = l->data;
        if (p->f == f) {
            fs->parked = g_list_remove_link(fs->parked, l);
            parked_here = g_list_concat(parked_here, l);
        }
        l = next;
    }
    g_mutex_unlock(&fs->lock);
    for (GList *l = parked_here; l; l = l->next) {
        struct parked_read *p = l->data;
        fuse_reply_err(p->req, EBADF);
        g_free(p);
    }
    g_list_free(parked_here);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_OPEN, 1);
    struct fs *fs = fs_of(req);
    struct open_file *f;
    GBytes *content = NULL;
    int rc;

    int access = fi->flags & O_ACCMODE;
    rc = tree_check_open(fs->tree, ino, access != O_RDONLY || (fi->flags & O_TRUNC),
                         fuse_req_ctx(req)->uid);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    struct op op;
    op_begin(&op, req);
    rc = tree_read_file(fs->tree, ino, deadline_of(fs), &content);
    op_end(&op);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    f = g_new0(struct open_file, 1);
    f->ino = ino;
    f->content = content;
    f->stream = tree_is_event_stream(fs->tree, ino);
    if (f->stream) {
        f->cursor.seq = event_log_end(tree_events(fs->tree));
        fi->nonseekable = 1;
    }
    fi->fh = (uint64_t)(uintptr_t)f;
    fi->direct_io = tree_is_volatile(fs->tree, ino);
    /* Pages read before stay valid across opens: every change of a file's content goes
     * through tree_on_change, which invalidates its inode (and with it those pages). */
    fi->keep_cache = !fi->direct_io && !f->stream;
    file_register(fs, f);
    if (fuse_reply_open(req, fi) != 0) {
        file_unregister(fs, f); /* the open was interrupted: no release will come */
        g_bytes_unref(f->content);
        g_free(f);
        return;
    }
    tree_file_opened(fs->tree, ino);
}

/* Lines for a stream handle, or 0 bytes when none are new. Call with fs->lock held. */
static size_t stream_take_locked(struct fs *fs, struct open_file *f, size_t size, GString *out)
{
    return event_log_read(tree_events(fs->tree), &f->cursor, out, size);
}

static void on_read_interrupt(fuse_req_t req, void *data)
{
    struct fs *fs = fuse_req_userdata(req);
    struct parked_read *found = NULL;

    g_mutex_lock(&fs->lock);
    for (GList *l = fs->parked; l; l = l->next) {
        struct parked_read *p = l->data;
        if (p->req == req) {
            found = p;
            fs->parked = g_list_delete_link(fs->parked, l);
            break;
        }
    }
    g_mutex_unlock(&fs->lock);
    if (found) {
        fuse_reply_err(req, EINTR);
        g_free(found);
    }
}

static void stream_read(struct fs *fs, fuse_req_t req, struct open_file *f, size_t size,
                        struct fuse_file_info *fi)
{
    g_autoptr(GString) out = g_string_new(NULL);
    struct parked_read *p;

    g_mutex_lock(&fs->lock);
    if (stream_take_locked(fs, f, size, out) > 0 || (fi->flags & O_NONBLOCK) ||
        g_atomic_int_get(&fs->stopping)) {
        g_mutex_unlock(&fs->lock);
        if (out->len)
            fuse_reply_buf(req, out->str, out->len);
        else
            fuse_reply_err(req, (fi->flags & O_NONBLOCK) ? EAGAIN : EINTR);
        return;
    }
    g_mutex_unlock(&fs->lock);
    /* Register first (it runs the callback at once if the interrupt already came, finding
     * nothing), then park under the lock, unless the request was interrupted meanwhile. */
    fuse_req_interrupt_func(req, on_read_interrupt, NULL);
    g_mutex_lock(&fs->lock);
    if (fuse_req_interrupted(req)) {
        g_mutex_unlock(&fs->lock);
        fuse_reply_err(req, EINTR);
        return;
    }
    if (stream_take_locked(fs, f, size, out) > 0) { /* a line came meanwhile */
        g_mutex_unlock(&fs->lock);
        fuse_reply_buf(req, out->str, out->len);
        return;
    }
    p = g_new0(struct parked_read, 1);
    p->req = req;
    p->f = f;
    p->size = size;
    fs->parked = g_list_append(fs->parked, p);
    g_mutex_unlock(&fs->lock);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_READ, 1);
    struct fs *fs = fs_of(req);
    struct open_file *f = (struct open_file *)(uintptr_t)fi->fh;
    GBytes *content = NULL, *fresh = NULL;
    gsize len;

    if (f->stream) {
        stream_read(fs, req, f, size, fi);
        return;
    }
    g_mutex_lock(&fs->lock);
    bool refetch = off == 0 && f->changed;
    f->changed = false;
    g_mutex_unlock(&fs->lock);
    /* A changed file read again from the start: the sysfs way to see the new value. */
    struct op op;
    op_begin(&op, req);
    bool got = refetch && tree_read_file(fs->tree, ino, deadline_of(fs), &fresh) == 0;
    op_end(&op);
    if (got) {
        g_mutex_lock(&fs->lock);
        g_bytes_unref(f->content);
        f->content = fresh;
        g_mutex_unlock(&fs->lock);
    }
    g_mutex_lock(&fs->lock);
    content = g_bytes_ref(f->content);
    g_mutex_unlock(&fs->lock);
    const char *data = g_bytes_get_data(content, &len);
    if (off < 0 || (gsize)off >= len)
        fuse_reply_buf(req, NULL, 0);
    else
        fuse_reply_buf(req, data + off, MIN(size, len - (gsize)off));
    g_bytes_unref(content);
}

static void op_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi,
                    struct fuse_pollhandle *ph)
{
    count_op(req, METRICS_OP_POLL, 1);
    struct fs *fs = fs_of(req);
    struct open_file *f = (struct open_file *)(uintptr_t)fi->fh;
    unsigned revents;
    struct fuse_pollhandle *old = NULL;

    g_mutex_lock(&fs->lock);
    if (f->stream)
        revents = f->cursor.seq < event_log_end(tree_events(fs->tree)) ? POLLIN | POLLRDNORM : 0;
    else
        revents = POLLIN | POLLRDNORM | (f->changed ? POLLPRI | POLLERR : 0);
    if (ph) {
        old = f->ph;
        f->ph = ph;
    }
    g_mutex_unlock(&fs->lock);
    if (old)
        fuse_pollhandle_destroy(old);
    fuse_reply_poll(req, revents);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_RELEASE, 1);
    struct fs *fs = fs_of(req);
    struct open_file *f = (struct open_file *)(uintptr_t)fi->fh;

    file_unregister(fs, f);
    tree_file_closed(fs->tree, ino);
    if (f->ph)
        fuse_pollhandle_destroy(f->ph);
    g_bytes_unref(f->content);
    g_free(f);
    fuse_reply_err(req, 0);
}

/* The registry owns @d from here: freed by dir_unregister, or at the end of the session. */
static void dir_register(struct fs *fs, struct tree_dir *d)
{
    g_mutex_lock(&fs->lock);
    g_hash_table_add(fs->dirs, d);
    g_mutex_unlock(&fs->lock);
}

/* Takes @d out of the registry and frees it. */
static void dir_unregister(struct fs *fs, struct tree_dir *d)
{
    g_mutex_lock(&fs->lock);
    g_hash_table_steal(fs->dirs, d);
    g_mutex_unlock(&fs->lock);
    tree_dir_free(d);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_OPENDIR, 1);
    struct fs *fs = fs_of(req);
    struct tree_dir *d = NULL;
    struct op op;
    int rc;

    op_begin(&op, req);
    rc = tree_opendir(fs->tree, ino, deadline_of(fs), &d);
    op_end(&op);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)d;
    /* Names that never change: the kernel keeps the listing across opens (`find` then costs
     * no READDIR for a task it has listed before). Attributes keep their own timeouts. */
    fi->cache_readdir = fi->keep_cache = tree_dir_is_fixed(d);
    dir_register(fs, d);
    if (fuse_reply_open(req, fi) != 0)
        dir_unregister(fs, d); /* the open was interrupted: no release will come */
}

/*
 * Fills one reply buffer from @off on. Waits (until the deadline) only for the first entry;
 * after that it sends what has arrived, so a listing streams page by page.
 */
static void readdir_common(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi,
                           bool plus)
{
    struct fs *fs = fs_of(req);
    struct tree_dir *d = (struct tree_dir *)(uintptr_t)fi->fh;
    g_autofree char *buf = g_malloc(size);
    size_t used = 0;
    struct op op;
    int rc = 0;

    op_begin(&op, req);
    for (guint64 index = (guint64)off;; index++) {
        struct tree_dirent de = {0};
        size_t need;

        rc = tree_dir_get(fs->tree, d, &index, deadline_of(fs), used == 0, &de);
        if (rc != 0)
            break;
        if (plus) {
            struct fuse_entry_param e;
            fill_entry(fs, &de.attr, &e);
            /* "." and "..": no lookup count for the kernel to take; an entry whose
             * attributes would need a fetch: the name only (a lookup fetches if needed). */
            if (index < 2 || de.attr.unknown)
                e.ino = 0, e.attr.st_ino = de.attr.ino;
            need =
                fuse_add_direntry_plus(req, buf + used, size - used, de.name, &e, (off_t)index + 1);
        } else {
            struct stat st;
            to_stat(fs, &de.attr, &st);
            need = fuse_add_direntry(req, buf + used, size - used, de.name, &st, (off_t)index + 1);
        }
        g_free(de.name);
        if (need > size - used)
            break; /* full: this entry comes first in the next call */
        used += need;
    }
    op_end(&op);
    if (used == 0 && rc < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_buf(req, buf, used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_READDIR, 1);
    readdir_common(req, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                           struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_READDIRPLUS, 1);
    readdir_common(req, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_RELEASEDIR, 1);
    dir_unregister(fs_of(req), (struct tree_dir *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    count_op(req, METRICS_OP_STATFS, 1);
    struct statvfs sv = {.f_bsize = 4096, .f_frsize = 4096, .f_namemax = 255};
    fuse_reply_statfs(req, &sv);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
    count_op(req, METRICS_OP_ACCESS, 1);
    fuse_reply_err(req,
                   -tree_check_open(fs_of(req)->tree, ino, mask & W_OK, fuse_req_ctx(req)->uid));
}

/* An attribute value or name list, with the size probe: @size 0 asks for the length, and a
 * buffer too small for the value is ERANGE. */
static void reply_xattr(fuse_req_t req, int rc, GBytes *value, size_t size)
{
    gsize len = 0;
    const void *data = rc < 0 ? NULL : g_bytes_get_data(value, &len);

    if (rc < 0)
        fuse_reply_err(req, -rc);
    else if (size == 0)
        fuse_reply_xattr(req, len);
    else if (size < len)
        fuse_reply_err(req, ERANGE);
    else
        fuse_reply_buf(req, data, len);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    count_op(req, METRICS_OP_GETXATTR, 1);
    struct fs *fs = fs_of(req);
    g_autoptr(GBytes) value = NULL;
    struct op op;
    int rc;

    op_begin(&op, req);
    rc = tree_getxattr(fs->tree, ino, name, deadline_of(fs), &value);
    op_end(&op);
    reply_xattr(req, rc, value, size);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    count_op(req, METRICS_OP_LISTXATTR, 1);
    struct fs *fs = fs_of(req);
    g_autoptr(GBytes) names = NULL;
    struct op op;
    int rc;

    op_begin(&op, req);
    rc = tree_listxattr(fs->tree, ino, deadline_of(fs), &names);
    op_end(&op);
    reply_xattr(req, rc, names, size);
}

/* Everything that would change the tree: it is read-only. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_SETATTR, 1);
    struct fs *fs = fs_of(req);
    struct tree_attr a;
    struct stat st;

    /* The notifier touching a changed file so inotify sees it: answer with the truth. */
    if (own_request(fs, req) && tree_getattr(fs->tree, ino, deadline_of(fs), &a) == 0) {
        to_stat(fs, &a, &st);
        fuse_reply_attr(req, &st, 0);
        return;
    }
    /* The control file: truncating it to 0 (shells do, for "echo all >") or touching it is
     * accepted and changes nothing. */
    const int harmless = FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                         FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME;
    int rc = tree_check_open(fs->tree, ino, true, fuse_req_ctx(req)->uid);
    if (rc == 0 && !(to_set & ~harmless) &&
        (!(to_set & FUSE_SET_ATTR_SIZE) || attr->st_size == 0) &&
        tree_getattr(fs->tree, ino, deadline_of(fs), &a) == 0) {
        to_stat(fs, &a, &st);
        fuse_reply_attr(req, &st, 0);
        return;
    }
    fuse_reply_err(req, rc == -EACCES ? EACCES : EROFS);
}
static void op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t r)
{
    count_op(req, METRICS_OP_MKNOD, 1);
    fuse_reply_err(req, EROFS);
}
static void op_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{
    count_op(req, METRICS_OP_MKDIR, 1);
    fuse_reply_err(req, EROFS);
}
static void op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
    count_op(req, METRICS_OP_UNLINK, 1);
    struct fs *fs = fs_of(req);
    guint64 child;

    if (own_request(fs, req) && script_lookup(fs, p, n, &child) && child) {
        fuse_reply_err(req, 0); /* the tree has already dropped it */
        return;
    }
    fuse_reply_err(req, EROFS);
}
static void op_rmdir(fuse_req_t req, fuse_ino_t p, const char *n)
{
    count_op(req, METRICS_OP_RMDIR, 1);
    fuse_reply_err(req, EROFS);
}
static void op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
    count_op(req, METRICS_OP_SYMLINK, 1);
    struct fs *fs = fs_of(req);
    struct tree_attr a;
    struct fuse_entry_param e;
    guint64 child;

    if (own_request(fs, req) && script_lookup(fs, p, n, &child) && !child &&
        tree_lookup(fs->tree, p, n, deadline_of(fs), &a) == 0) {
        fill_entry(fs, &a, &e); /* the link the tree now has */
        fuse_reply_entry(req, &e);
        return;
    }
    fuse_reply_err(req, EROFS);
}
static void op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn,
                      unsigned int flags)
{
    count_op(req, METRICS_OP_RENAME, 1);
    fuse_reply_err(req, EROFS);
}
static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *nn)
{
    count_op(req, METRICS_OP_LINK, 1);
    fuse_reply_err(req, EROFS);
}
/* Only the control file (.viasfs/refresh) takes writes: each is one or more commands. The
 * writer's uid is checked at every write, not only at open: a descriptor can change hands. */
static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_WRITE, 1);
    int rc = tree_write_control(fs_of(req)->tree, ino, buf, size, fuse_req_ctx(req)->uid);

    if (rc < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_write(req, size);
}
static void op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m,
                      struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_CREATE, 1);
    fuse_reply_err(req, EROFS);
}
static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags)
{
    count_op(req, METRICS_OP_SETXATTR, 1);
    fuse_reply_err(req, EROFS);
}
static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
    count_op(req, METRICS_OP_REMOVEXATTR, 1);
    fuse_reply_err(req, EROFS);
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .release = op_release,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .statfs = op_statfs,
    .access = op_access,
    .create = op_create,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .setxattr = op_setxattr,
    .removexattr = op_removexattr,
    .poll = op_poll,
};

/* ---- the notifier ---- */

static struct note *note_new(enum note_kind kind)
{
    struct note *n = g_new0(struct note, 1);
    n->kind = kind;
    return n;
}

static void want_inval_inode(guint64 ino, void *data)
{
    struct note *n = note_new(NOTE_INODE);
    n->ino = ino;
    g_async_queue_push(((struct fs *)data)->notes, n);
}

static void want_inval_entry(guint64 parent, const char *name, void *data)
{
    struct note *n = note_new(NOTE_ENTRY);
    n->parent = parent;
    n->name = g_strdup(name);
    g_async_queue_push(((struct fs *)data)->notes, n);
}

static void want_delete(guint64 parent, guint64 child, const char *name, void *data)
{
    struct note *n = note_new(NOTE_DELETE);
    n->parent = parent;
    n->ino = child;
    n->name = g_strdup(name);
    g_async_queue_push(((struct fs *)data)->notes, n);
}

static void want_wake(guint64 ino, void *data)
{
    struct note *n = note_new(NOTE_WAKE);
    n->ino = ino;
    g_async_queue_push(((struct fs *)data)->notes, n);
}

static void want_event(const char *line, void *data)
{
    struct note *n = note_new(NOTE_EVENT);
    n->name = g_strdup(line);
    g_async_queue_push(((struct fs *)data)->notes, n);
}

static void want_touch(const char *path, void *data)
{
    struct note *n = note_new(NOTE_TOUCH);
    n->path = g_strdup(path);
    g_async_queue_push(((struct fs *)data)->notes, n);
}

static void want_unlink(guint64 parent, const char *name, guint64 child, const char *path,
                        void *data)
{
    struct note *n = note_new(NOTE_UNLINK);
    n->parent = parent;
    n->name = g_strdup(name);
    n->ino = child;
    n->path = g_strdup(path);
    g_async_queue_push(((struct fs *)data)->notes, n);
}

static void want_symlink(guint64 parent, const char *name, const char *path, const char *target,
                         void *data)
{
    struct note *n = note_new(NOTE_SYMLINK);
    n->parent = parent;
    n->name = g_strdup(name);
    n->path = g_strdup(path);
    n->target = g_strdup(target);
    g_async_queue_push(((struct fs *)data)->notes, n);
}

/*
 * Waits until the notes queued before this call have been sent, for at most a second (the
 * notifier may itself be waiting for the kernel). Does not wait on the notifier thread.
 */
static void want_flush(void *data)
{
    struct fs *fs = data;
    GAsyncQueue *done;
    struct note *n;

    if ((gint)gettid() == g_atomic_int_get(&fs->own_tid))
        return;
    done = g_async_queue_new();
    n = note_new(NOTE_FLUSH);
    n->done = g_async_queue_ref(done);
    g_async_queue_push(fs->notes, n);
    g_async_queue_timeout_pop(done, G_USEC_PER_SEC);
    g_async_queue_unref(done);
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

/*
 * Wakes poll()ers of @ino and marks its handles changed (they re-read from offset 0). The
 * kernel's pages go first, or that read would be answered from them and never reach us.
 */
static void wake_files(struct fs *fs, guint64 ino)
{
    g_autoptr(GPtrArray) handles = g_ptr_array_new();

    fuse_lowlevel_notify_inval_inode(fs->se, ino, 0, 0);

    g_mutex_lock(&fs->lock);
    for (GList *l = g_hash_table_lookup(fs->files, &ino); l; l = l->next) {
        struct open_file *f = l->data;
        f->changed = true;
        if (f->ph) {
            g_ptr_array_add(handles, f->ph);
            f->ph = NULL;
        }
    }
    g_mutex_unlock(&fs->lock);
    for (guint i = 0; i < handles->len; i++) {
        fuse_lowlevel_notify_poll(handles->pdata[i]);
        fuse_pollhandle_destroy(handles->pdata[i]);
    }
}

/* A line arrived: answer parked reads that can now be answered, wake stream poll()ers. */
static void on_event_appended(void *data)
{
    struct fs *fs = data;
    g_autoptr(GPtrArray) handles = g_ptr_array_new();
    GList *ready = NULL;

    g_mutex_lock(&fs->lock);
    for (GList *l = fs->parked; l;) {
        GList *next = l->next;
        struct parked_read *p = l->data;
        GString *out = g_string_new(NULL);
        if (stream_take_locked(fs, p->f, p->size, out) > 0) {
            fs->parked = g_list_remove_link(fs->parked, l);
            l->data = g_ptr_array_new(); /* reuse the link: (parked read, text) */
            g_ptr_array_add(l->data, p);
            g_ptr_array_add(l->data, out);
            ready = g_list_concat(ready, l);
        } else {
            g_string_free(out, TRUE);
        }
        l = next;
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, fs->files);
    while (g_hash_table_iter_next(&it, NULL, &value))
        for (GList *l = value; l; l = l->next) {
            struct open_file *f = l->data;
            if (f->stream && f->ph) {
                g_ptr_array_add(handles, f->ph);
                f->ph = NULL;
            }
        }
    g_mutex_unlock(&fs->lock);
    for (GList *l = ready; l; l = l->next) {
        GPtrArray *pair = l->data;
        struct parked_read *p = pair->pdata[0];
        GString *out = pair->pdata[1];
        fuse_reply_buf(p->req, out->str, out->len);
        g_string_free(out, TRUE);
        g_free(p);
        g_ptr_array_unref(pair);
    }
    g_list_free(ready);
    for (guint i = 0; i < handles->len; i++) {
        fuse_lowlevel_notify_poll(handles->pdata[i]);
        fuse_pollhandle_destroy(handles->pdata[i]);
    }
}

/* Operations through the mountpoint, so inotify sees them. Failures only get logged. */
static void own_operation(struct fs *fs, struct note *n)
{
    g_autofree char *path = g_build_filename(fs->mountpoint, n->path, NULL);
    struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_NOW}};
    int rc = 0;

    if (g_atomic_int_get(&fs->stopping))
        return;
    switch (n->kind) {
    case NOTE_TOUCH:
        rc = utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
        break;
    case NOTE_UNLINK:
        script_set(fs, n->parent, n->name, true, n->ino);
        rc = unlink(path);
        script_clear(fs, n->parent, n->name);
        break;
    case NOTE_SYMLINK:
        /* Any cached name must go, or the kernel answers EEXIST without asking us. */
        fuse_lowlevel_notify_inval_entry(fs->se, n->parent, n->name, strlen(n->name));
        script_set(fs, n->parent, n->name, false, 0);
        rc = symlink(n->target, path);
        script_clear(fs, n->parent, n->name);
        break;
    default:
        break;
    }
    if (rc < 0)
        log_debug("inotify helper: %s: %s", n->path, g_strerror(errno));
}

static gpointer notifier_main(gpointer data)
{
    struct fs *fs = data;

    g_atomic_int_set(&fs->own_tid, (gint)gettid());
    for (;;) {
        struct note *n = g_async_queue_pop(fs->notes);
        enum note_kind kind = n->kind;
        int rc = 0;

        switch (kind) {
        case NOTE_INODE:
            rc = fuse_lowlevel_notify_inval_inode(fs->se, n->ino, 0, 0);
            break;
        case NOTE_ENTRY:
            rc = fuse_lowlevel_notify_inval_entry(fs->se, n->parent, n->name, strlen(n->name));
            break;
        case NOTE_DELETE:
            rc = fuse_lowlevel_notify_delete(fs->se, n->parent, n->ino, n->name, strlen(n->name));
            break;
        case NOTE_WAKE:
            wake_files(fs, n->ino);
            break;
        case NOTE_EVENT:
            tree_emit_event(fs->tree, n->name);
            break;
        case NOTE_TOUCH:
        case NOTE_UNLINK:
        case NOTE_SYMLINK:
            own_operation(fs, n);
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

/* ---- session ---- */

/* SIGHUP, on the hangup thread: drop every cached thing, as writing "all" to .viasfs/refresh
 * does. */
static void on_hangup(void *data)
{
    struct fs *fs = data;

    log_info("SIGHUP: dropping all cached data");
    tree_refresh_all(fs->tree);
}

/*
 * SIGINT and SIGTERM end the session through libfuse's handlers, but the session loop waits
 * for every operation in progress, and one waiting for a silent API would hold it until its
 * deadline. Ours run first and make every waiting operation give up at once (interrupt_all
 * is async-signal-safe), then call libfuse's.
 */
static const int exit_signals[] = {SIGINT, SIGTERM};
static struct sigaction exit_signals_libfuse[G_N_ELEMENTS(exit_signals)];

static void on_exit_signal(int sig, siginfo_t *info, void *ctx)
{
    interrupt_all();
    for (size_t i = 0; i < G_N_ELEMENTS(exit_signals); i++) {
        const struct sigaction *old = &exit_signals_libfuse[i];

        if (exit_signals[i] != sig)
            continue;
        if (old->sa_flags & SA_SIGINFO)
            old->sa_sigaction(sig, info, ctx);
        else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN)
            old->sa_handler(sig);
    }
}

static void exit_signals_chain(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(exit_signals); i++) {
        struct sigaction sa;

        sigaction(exit_signals[i], NULL, &exit_signals_libfuse[i]);
        sa = exit_signals_libfuse[i];
        sa.sa_flags |= SA_SIGINFO;
        sa.sa_sigaction = on_exit_signal;
        sigaction(exit_signals[i], &sa, NULL);
    }
}

static void exit_signals_unchain(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(exit_signals); i++)
        sigaction(exit_signals[i], &exit_signals_libfuse[i], NULL);
}

/*
 * At the end of the session: answer parked reads, invalidate the attributes of open files and
 * wake their poll()ers, so that a reader's next read reaches the ending connection and fails
 * instead of being served old pages forever (with FUSE_CAP_AUTO_INVAL_DATA, libfuse's
 * default, every cached read first revalidates the attributes). Pages are not dropped: that
 * waits for each page's lock, which a READ still queued holds until it is answered, and the
 * session loop that would answer it has ended: the daemon would hang in D state.
 */
static void let_readers_go(struct fs *fs)
{
    g_autoptr(GArray) open_inos = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GPtrArray) handles = g_ptr_array_new();
    GHashTableIter it;
    gpointer key, value;
    GList *parked;

    g_mutex_lock(&fs->lock);
    parked = g_steal_pointer(&fs->parked);
    g_hash_table_iter_init(&it, fs->files);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        g_array_append_val(open_inos, *(guint64 *)key);
        for (GList *l = value; l; l = l->next) {
            struct open_file *f = l->data;
            if (f->ph)
                g_ptr_array_add(handles, g_steal_pointer(&f->ph));
        }
    }
    g_mutex_unlock(&fs->lock);
    for (GList *l = parked; l; l = l->next) {
        fuse_reply_err(((struct parked_read *)l->data)->req, EINTR);
        g_free(l->data);
    }
    g_list_free(parked);
    for (guint i = 0; i < open_inos->len; i++)
        fuse_lowlevel_notify_inval_inode(fs->se, g_array_index(open_inos, guint64, i), -1, 0);
    for (guint i = 0; i < handles->len; i++) {
        fuse_lowlevel_notify_poll(handles->pdata[i]);
        fuse_pollhandle_destroy(handles->pdata[i]);
    }
}

int fs_run(const struct fs_config *cfg, char **why)
{
    struct fs fs = {.tree = cfg->tree, .timeout_us = (gint64)cfg->timeout_s * G_USEC_PER_SEC};
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autofree char *mountpoint = realpath(cfg->mountpoint, NULL);
    struct fuse_args args;
    struct fuse_loop_config *loop;
    struct tree_notifier notifier = {
        want_inval_inode, want_inval_entry, want_delete,  want_wake,  want_event,
        want_touch,       want_unlink,      want_symlink, want_flush, &fs};
    struct hangup *hangup = NULL;
    g_autofree char *hangup_why = NULL;
    int rc = 0, loop_rc;

    fs.mountpoint = mountpoint ? mountpoint : (char *)cfg->mountpoint;
    g_mutex_init(&fs.lock);
    fs.files = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    fs.dirs =
        g_hash_table_new_full(g_direct_hash, g_direct_equal, (GDestroyNotify)tree_dir_free, NULL);
    fs.scripts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    fs.own_tid = -1;

    bool single_thread = false;

    /* -f and -s are command-line conventions, not session options: act on them here. */
    for (guint i = 0; i < cfg->fuse_argv->len; i++) {
        const char *a = g_ptr_array_index(cfg->fuse_argv, i);
        if (i > 0 && strcmp(a, "-f") == 0)
            continue;
        if (i > 0 && strcmp(a, "-s") == 0) {
            single_thread = true;
            continue;
        }
        g_ptr_array_add(argv, (gpointer)a);
    }
    /* So that mount(8), findmnt and df show what this is: "viasfs on /mnt type fuse.viasfs".
     * default_permissions, always: the kernel checks the modes, so that under allow_other
     * other users read but cannot write the control files (the handlers check again). */
    g_ptr_array_add(argv, "-o");
    g_ptr_array_add(argv, "fsname=viasfs,subtype=viasfs,default_permissions");
    args = (struct fuse_args)FUSE_ARGS_INIT((int)argv->len, (char **)argv->pdata);

    fs.se = fuse_session_new(&args, &ops, sizeof(ops), &fs);
    fuse_opt_free_args(&args);
    if (!fs.se) {
        *why = g_strdup("the FUSE options were not accepted (see above)");
        return -EINVAL;
    }
    if (fuse_set_signal_handlers(fs.se) != 0) {
        *why = g_strdup("cannot install signal handlers");
        rc = -EIO;
        goto out_destroy;
    }
    exit_signals_chain();
    if (fuse_session_mount(fs.se, cfg->mountpoint) != 0) {
        *why = g_strdup_printf("cannot mount on %s (see above)", cfg->mountpoint);
        rc = -EIO;
        goto out_signals;
    }
    if (fuse_daemonize(cfg->foreground) != 0) {
        *why = g_strdup("cannot go to the background");
        rc = -EIO;
        goto out_unmount;
    }
    fs.notes = g_async_queue_new();
    event_log_set_listener(tree_events(cfg->tree), on_event_appended, &fs);
    tree_set_notifier(cfg->tree, &notifier);
    fs.notifier = g_thread_new("notifier", notifier_main, &fs);
    /* SIGHUP drops the caches instead of unmounting (libfuse's handler does that). */
    hangup = hangup_start(on_hangup, &fs, &hangup_why);
    if (!hangup)
        log_warn("%s: SIGHUP will unmount", hangup_why);
    if (cfg->on_mounted)
        cfg->on_mounted(cfg->on_mounted_data);

    if (single_thread) {
        loop_rc = fuse_session_loop(fs.se);
    } else {
        loop = fuse_loop_cfg_create();
        fuse_loop_cfg_set_max_threads(loop, 64);
        fuse_loop_cfg_set_idle_threads(loop, 8);
        loop_rc = fuse_session_loop_mt(fs.se, loop);
        fuse_loop_cfg_destroy(loop);
    }
    /* A positive value is the signal that ended the session: a normal stop. */
    if (loop_rc < 0)
        log_warn("the FUSE session ended with an error: %s", g_strerror(-loop_rc));
    hangup_stop(hangup); /* SIGHUP is libfuse's again until its handlers are removed */

    /* Ending: blocked readers are let go; operations through the mount stop. */
    g_atomic_int_set(&fs.stopping, 1);
    tree_set_notifier(cfg->tree, &(struct tree_notifier){0});
    let_readers_go(&fs);
    /* Unmounting aborts a request the notifier may still be waiting for, so it can end. */
    fuse_session_unmount(fs.se);
    g_async_queue_push(fs.notes, note_new(NOTE_STOP));
    g_thread_join(fs.notifier);
    event_log_set_listener(tree_events(cfg->tree), NULL, NULL);
    g_async_queue_unref(fs.notes);
    goto out_signals;
out_unmount:
    fuse_session_unmount(fs.se);
out_signals:
    exit_signals_unchain();
    fuse_remove_signal_handlers(fs.se);
out_destroy:
    fuse_session_destroy(fs.se);
    files_free_remaining(&fs);
    g_hash_table_unref(fs.files);
    g_hash_table_unref(fs.dirs); /* frees the directories whose release never came */
    g_hash_table_unref(fs.scripts);
    g_mutex_clear(&fs.lock);
    return rc;
}
