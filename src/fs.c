/*
 * fs: libfuse low-level operations over the tree (see fs.h). Every handler replies exactly
 * once on every path. Open files keep a snapshot of their content so that a read sequence
 * sees one version, and are registered by inode so a change can wake their poll()ers
 * (sysfs style: POLLPRI|POLLERR until the next read from offset 0 fetches the new content).
 * Open directory handles are registered too, so that those whose release never came are
 * freed when the session ends.
 * Reads of .viasfs/events that find nothing new are parked and answered when a line arrives,
 * or with EINTR when interrupted; a write of "since N" to it moves that descriptor back.
 * Everything the tree asks on a change goes to the notifier (notifier.h), which calls back
 * wake_files for open files; the handlers that its operations through the mountpoint (for
 * inotify) reach hand those requests to it first.
 */
#define FUSE_USE_VERSION 312
#include "viasfs/fs.h"
#include "viasfs/hangup.h"
#include "viasfs/interrupt.h"
#include "viasfs/kernel_attr.h"
#include "viasfs/log.h"
#include "viasfs/notifier.h"
#include "viasfs/requester.h"

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
    GString *lost;              /* stream: the "lost" line to deliver first (after "since N"),
                                   or NULL */
    bool resumed;               /* stream: "since N" was written: falling behind is told */
    struct fuse_pollhandle *ph; /* waiting poll(), or NULL */
    /* Opened for writing (tree.h's writing section); the rest is used by one request at a
     * time (the kernel serialises a descriptor's writes, flushes and SETATTRs on an inode). */
    enum tree_writer writer; /* TREE_WRITER_NONE when opened read-only */
    GMutex edit_lock;        /* protects edit, dirty, finished, created, created_read: reads
                                and writes of one descriptor may run at once */
    GByteArray *edit;        /* EDIT and CREATE: what was written, or NULL */
    bool dirty;              /* EDIT: changed (written, truncated) since the last commit */
    bool written;            /* EDIT: a write or ftruncate came through this descriptor: a
                                close before it (a shell's dup2 and close of the file it
                                opened) takes nothing, and an O_TRUNC alone sends nothing */
    bool finished;           /* CREATE: acted on or refused; more text is refused */
    char *created;           /* CREATE: the new tasks' ids, a line each, for reads */
    gsize created_read;      /* CREATE: how much of it reads have returned (the descriptor's
                                offset is past what it wrote: reads ignore it) */
};

/* The most one descriptor of a task file or .viasfs/create collects. */
#define EDIT_MAX_BYTES (16u << 20)

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
    struct notifier *notifier; /* owned; set while the session serves */
    gint stopping;             /* atomic: the session is ending */

    GMutex lock;       /* protects files, dirs, parked and open_file fields */
    GHashTable *files; /* ino -> GList of struct open_file * */
    GHashTable *dirs;  /* set of struct tree_dir *: open directory handles, owned */
    GList *parked;     /* struct parked_read * */
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

/* A request that uses @ino (@listing: an opendir), for who-is-watching (tree_note_use);
 * the notifier's own replays through the mountpoint are nobody's use. */
static void note_use(fuse_req_t req, fuse_ino_t ino, bool listing)
{
    struct fs *fs = fs_of(req);

    if (!notifier_owns(fs->notifier, req))
        tree_note_use(fs->tree, ino, listing);
}

static gint64 deadline_of(struct fs *fs)
{
    return g_get_monotonic_time() + fs->timeout_us;
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
    /* O_TRUNC comes with the open, not as a separate SETATTR: a writable file's handle starts
     * empty instead of being truncated under it. */
    if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
        conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
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
    int rc;

    if (notifier_reply_own_lookup(fs->notifier, req, parent, name))
        return;
    struct op op;
    op_begin(&op, req);
    rc = tree_lookup(fs->tree, parent, name, deadline_of(fs), &a);
    op_end(&op);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    note_use(req, a.ino, false);
    kernel_attr_entry(fs->tree, &a, &e);
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

    note_use(req, ino, false);
    op_begin(&op, req);
    rc = tree_getattr(fs->tree, ino, deadline_of(fs), &a);
    op_end(&op);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    kernel_attr_stat(fs->tree, &a, &st);
    fuse_reply_attr(req, &st, a.timeout_s);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
    count_op(req, METRICS_OP_READLINK, 1);
    struct fs *fs = fs_of(req);
    g_autofree char *target = NULL;
    struct op op;
    int rc;

    note_use(req, ino, false);
    op_begin(&op, req);
    rc = tree_readlink(fs->tree, ino, deadline_of(fs), &target);
    op_end(&op);

    if (rc < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_readlink(req, target);
}

static void open_file_free(struct open_file *f)
{
    g_mutex_clear(&f->edit_lock);
    g_bytes_unref(f->content);
    if (f->lost)
        g_string_free(f->lost, TRUE);
    if (f->edit) {
        explicit_bzero(f->edit->data, f->edit->len); /* may hold secrets */
        g_byte_array_unref(f->edit);
    }
    g_free(f->created);
    g_free(f);
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
            open_file_free(f);
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
    bool writing = access != O_RDONLY || (fi->flags & O_TRUNC);
    rc = tree_check_open(fs->tree, ino, writing, fuse_req_ctx(req)->uid);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    enum tree_writer writer = writing ? tree_writer_of(fs->tree, ino) : TREE_WRITER_NONE;
    bool truncated = (fi->flags & O_TRUNC) || writer == TREE_WRITER_CREATE;
    note_use(req, ino, false);
    if (writer == TREE_WRITER_EDIT && truncated) {
        content = g_bytes_new(NULL, 0); /* nothing to read first */
    } else {
        struct op op;
        op_begin(&op, req);
        rc = tree_read_file(fs->tree, ino, deadline_of(fs), &content);
        op_end(&op);
        if (rc < 0) {
            fuse_reply_err(req, -rc);
            return;
        }
    }
    f = g_new0(struct open_file, 1);
    g_mutex_init(&f->edit_lock);
    f->ino = ino;
    f->content = content;
    f->writer = writer;
    if (writer == TREE_WRITER_EDIT || writer == TREE_WRITER_CREATE) {
        gsize len;
        const void *data = g_bytes_get_data(content, &len);
        f->edit = g_byte_array_new();
        if (!truncated && len)
            g_byte_array_append(f->edit, data, (guint)len);
        f->dirty = truncated && writer == TREE_WRITER_EDIT; /* O_TRUNC alone empties it */
    }
    f->stream = tree_is_event_stream(fs->tree, ino);
    if (f->stream) {
        f->cursor.seq = event_log_end(tree_events(fs->tree));
        fi->nonseekable = 1;
    }
    fi->fh = (uint64_t)(uintptr_t)f;
    fi->direct_io = tree_is_volatile(fs->tree, ino) || writer != TREE_WRITER_NONE;
    /* Pages read before stay valid across opens: every change of a file's content goes
     * through tree_on_change, which invalidates its inode (and with it those pages). */
    fi->keep_cache = !fi->direct_io && !f->stream;
    /* Only what is taken at close needs the close: every other open costs no FLUSH. */
    fi->noflush = writer != TREE_WRITER_EDIT && writer != TREE_WRITER_CREATE;
    file_register(fs, f);
    /* Counted before the reply: once the opener has its descriptor, its close (RELEASE, on
     * another thread) may come before this thread runs again. */
    tree_file_opened(fs->tree, ino);
    if (fuse_reply_open(req, fi) != 0) {
        tree_file_closed(fs->tree, ino);
        file_unregister(fs, f); /* the open was interrupted: no release will come */
        open_file_free(f);
    }
}

/* Lines for a stream handle (its "lost" line first), or 0 bytes when none are new. Call with
 * fs->lock held. */
static size_t stream_take_locked(struct fs *fs, struct open_file *f, size_t size, GString *out)
{
    size_t n = 0;

    if (f->resumed && !f->lost) {
        char *behind = tree_events_behind(fs->tree, &f->cursor);
        if (behind) {
            f->lost = g_string_new(behind);
            g_free(behind);
        }
    }
    if (f->lost) {
        n = MIN(size, f->lost->len);
        g_string_append_len(out, f->lost->str, (gssize)n);
        g_string_erase(f->lost, 0, (gssize)n);
        if (f->lost->len)
            return n;
        g_string_free(g_steal_pointer(&f->lost), TRUE);
        if (n == size)
            return n;
    }
    return n + event_log_read(tree_events(fs->tree), &f->cursor, out, size - n);
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
    if (f->writer == TREE_WRITER_CREATE || f->writer == TREE_WRITER_EDIT) {
        /* A create's new ids, once, then end of file; or what this descriptor wrote. */
        g_autofree char *part = NULL;
        gsize n = 0;
        g_mutex_lock(&f->edit_lock);
        if (f->writer == TREE_WRITER_CREATE) {
            gsize have = f->created ? strlen(f->created) : 0, from = f->created_read;
            n = MIN(size, have - from);
            part = n ? g_memdup2(f->created + from, n) : NULL;
            f->created_read += n;
        } else if (off >= 0 && (gsize)off < f->edit->len) {
            n = MIN(size, f->edit->len - (gsize)off);
            part = g_memdup2(f->edit->data + off, n);
        }
        g_mutex_unlock(&f->edit_lock);
        fuse_reply_buf(req, part, n);
        return;
    }
    g_mutex_lock(&fs->lock);
    bool refetch = (off == 0 && f->changed) || f->writer == TREE_WRITER_DRAFT;
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
        revents = f->lost || f->cursor.seq < event_log_end(tree_events(fs->tree))
                      ? POLLIN | POLLRDNORM
                      : 0;
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
    if (f->writer != TREE_WRITER_NONE)
        tree_edit_closed(fs->tree, ino);
    if (f->dirty && f->written)
        log_warn("a write to inode %" G_GUINT64_FORMAT " was never flushed: not sent", ino);
    if (f->ph)
        fuse_pollhandle_destroy(f->ph);
    open_file_free(f);
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

    note_use(req, ino, true);
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
            kernel_attr_entry(fs->tree, &de.attr, &e);
            /* "." and "..": no lookup count for the kernel to take; an entry whose
             * attributes would need a fetch: the name only (a lookup fetches if needed). */
            if (index < 2 || de.attr.unknown)
                e.ino = 0, e.attr.st_ino = de.attr.ino;
            need =
                fuse_add_direntry_plus(req, buf + used, size - used, de.name, &e, (off_t)index + 1);
        } else {
            struct stat st;
            kernel_attr_stat(fs->tree, &de.attr, &st);
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

    note_use(req, ino, false);
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

/* SETATTR: a draft changes; a writable file's open handle takes a new size; the rest of the
 * tree takes only what changes nothing (tree_setattr). */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_SETATTR, 1);
    struct fs *fs = fs_of(req);
    struct open_file *f = fi ? (struct open_file *)(uintptr_t)fi->fh : NULL;
    struct tree_setattr s = {
        .set_size = to_set & FUSE_SET_ATTR_SIZE,
        .set_mode = to_set & FUSE_SET_ATTR_MODE,
        .set_uid = to_set & FUSE_SET_ATTR_UID,
        .set_gid = to_set & FUSE_SET_ATTR_GID,
        .set_times = to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                               FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW),
        .size = (guint64)attr->st_size,
        .mode = attr->st_mode,
        .uid = attr->st_uid,
        .gid = attr->st_gid,
    };
    struct tree_attr a;
    struct stat st;
    bool handle_size = false;
    int rc;

    if (notifier_reply_own_setattr(fs->notifier, req, ino, deadline_of(fs)))
        return;
    if (s.set_size && f && f->writer == TREE_WRITER_EDIT) {
        if (s.size > EDIT_MAX_BYTES) {
            fuse_reply_err(req, EFBIG);
            return;
        }
        /* ftruncate on the descriptor: its content (vim truncates, then writes). */
        g_mutex_lock(&f->edit_lock);
        guint was = f->edit->len;
        g_byte_array_set_size(f->edit, (guint)s.size);
        if (s.size > was)
            memset(f->edit->data + was, 0, s.size - was);
        f->dirty = f->written = true;
        g_mutex_unlock(&f->edit_lock);
        s.set_size = false;
        handle_size = true;
    }
    struct op op;
    op_begin(&op, req);
    rc = tree_setattr(fs->tree, ino, &s, fuse_req_ctx(req)->uid, deadline_of(fs), &a);
    op_end(&op);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    if (handle_size)
        a.size = s.size, a.timeout_s = 0;
    kernel_attr_stat(fs->tree, &a, &st);
    fuse_reply_attr(req, &st, 0);
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

    if (!notifier_reply_own_unlink(fs->notifier, req, p, n))
        fuse_reply_err(req, -tree_unlink(fs->tree, p, n, fuse_req_ctx(req)->uid));
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

    if (!notifier_reply_own_symlink(fs->notifier, req, p, n, deadline_of(fs)))
        fuse_reply_err(req, EROFS);
}
/* Within a task's directory: a draft renamed onto a writable file is an update (tree.h). */
static void op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn,
                      unsigned int flags)
{
    count_op(req, METRICS_OP_RENAME, 1);
    struct fs *fs = fs_of(req);
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct op op;
    int rc;

    op_begin(&op, req);
    rc = tree_rename(fs->tree, p, n, np, nn, flags, ctx->uid, ctx->pid, deadline_of(fs));
    op_end(&op);
    fuse_reply_err(req, -rc);
}
static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *nn)
{
    count_op(req, METRICS_OP_LINK, 1);
    fuse_reply_err(req, EROFS);
}

/* Puts @size bytes at @off into a descriptor's collected content. Call with edit_lock held. */
static int edit_put(struct open_file *f, const char *buf, size_t size, off_t off)
{
    if (off < 0 || (guint64)off + size > EDIT_MAX_BYTES)
        return -EFBIG;
    guint was = f->edit->len;
    if ((gsize)off + size > was) {
        g_byte_array_set_size(f->edit, (guint)(off + size));
        if ((gsize)off > was)
            memset(f->edit->data + was, 0, (gsize)off - was);
    }
    memcpy(f->edit->data + off, buf, size);
    return 0;
}

/* A write to .viasfs/create: collected, then acted on once it is a whole object. */
static int create_put(fuse_req_t req, struct open_file *f, const char *buf, size_t size, off_t off)
{
    struct fs *fs = fs_of(req);
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    g_autofree char *id = NULL;
    g_autoptr(GBytes) text = NULL;
    struct op op;
    int rc;

    g_mutex_lock(&f->edit_lock);
    rc = f->finished ? -EINVAL /* one object per descriptor */ : edit_put(f, buf, size, off);
    if (rc == 0)
        text = g_bytes_new(f->edit->data, f->edit->len);
    g_mutex_unlock(&f->edit_lock);
    if (rc < 0)
        return rc;
    gsize len;
    const char *data = g_bytes_get_data(text, &len);
    op_begin(&op, req);
    rc = tree_write_create(fs->tree, data, len, ctx->uid, ctx->pid, deadline_of(fs), &id);
    op_end(&op);
    if (rc == -EAGAIN)
        return 0; /* not whole yet */
    g_mutex_lock(&f->edit_lock);
    f->finished = true;
    if (rc == 0)
        f->created = g_strconcat(id, "\n", NULL);
    g_mutex_unlock(&f->edit_lock);
    return rc;
}

static void on_event_appended(void *data);

/* "since N" on a descriptor of .viasfs/events: its cursor moves, then its waiting reads and
 * polls are answered as if a line had come. */
static int stream_write(struct fs *fs, struct open_file *f, const char *buf, size_t size, uid_t uid)
{
    g_autofree char *lost = NULL;
    int rc;

    g_mutex_lock(&fs->lock);
    rc = tree_events_since(fs->tree, f->ino, buf, size, uid, &f->cursor, &lost);
    if (rc == 0) {
        if (f->lost)
            g_string_free(f->lost, TRUE);
        f->lost = lost ? g_string_new(lost) : NULL;
        f->resumed = true;
    }
    g_mutex_unlock(&fs->lock);
    if (rc == 0)
        on_event_appended(fs);
    return rc;
}

/*
 * Writes, by what the inode is (tree.h): .viasfs/refresh and ctl act on each write; a
 * writable task file and .viasfs/create collect (the first is taken at flush, the second as
 * soon as it is a whole object); a draft changes in place; .viasfs/events takes "since N".
 * The writer's uid is checked at every write, not only at open: a descriptor can change hands.
 */
static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_WRITE, 1);
    struct fs *fs = fs_of(req);
    struct open_file *f = (struct open_file *)(uintptr_t)fi->fh;
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct op op;
    int rc;

    if (f->writer != TREE_WRITER_REFRESH && f->writer != TREE_WRITER_EVENTS &&
        !tree_may_act(fs->tree, ctx->uid)) {
        fuse_reply_err(req, EACCES);
        return;
    }
    switch (f->writer) {
    case TREE_WRITER_CTL:
        op_begin(&op, req);
        rc = tree_write_ctl(fs->tree, ino, buf, size, ctx->uid, ctx->pid, deadline_of(fs));
        op_end(&op);
        break;
    case TREE_WRITER_EDIT:
        g_mutex_lock(&f->edit_lock);
        rc = edit_put(f, buf, size, off);
        if (rc == 0)
            f->dirty = f->written = true;
        g_mutex_unlock(&f->edit_lock);
        break;
    case TREE_WRITER_CREATE:
        rc = create_put(req, f, buf, size, off);
        break;
    case TREE_WRITER_DRAFT:
        rc = tree_draft_write(fs->tree, ino, buf, size, off);
        rc = rc < 0 ? rc : 0;
        break;
    case TREE_WRITER_REFRESH:
        rc = tree_write_control(fs->tree, ino, buf, size, ctx->uid);
        break;
    case TREE_WRITER_EVENTS:
        rc = stream_write(fs, f, buf, size, ctx->uid);
        break;
    default:
        rc = -EROFS;
    }
    if (rc < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_write(req, size);
}

/* The content a descriptor collected goes at its close (FLUSH comes at every close; read-only
 * opens ask for none) and at fsync: an update when it changed (tree_commit_edit). */
static int commit(fuse_req_t req, struct open_file *f, fuse_ino_t ino)
{
    struct fs *fs = fs_of(req);
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct op op;
    int rc = 0;

    g_autoptr(GBytes) text = NULL;
    bool incomplete = false;

    g_mutex_lock(&f->edit_lock);
    if (f->writer == TREE_WRITER_CREATE && !f->finished) {
        /* Closed before the object was whole: say so once. Blanks alone are nothing, and
         * leave the descriptor open to writes (a shell closes its first copy before it
         * writes through the second). */
        for (guint i = 0; i < f->edit->len && !incomplete; i++)
            incomplete = !g_ascii_isspace(f->edit->data[i]);
        f->finished = incomplete;
    } else if (f->writer == TREE_WRITER_EDIT && f->dirty && f->written) {
        text = g_bytes_new(f->edit->data, f->edit->len);
        f->dirty = false; /* a failed content is not sent again at the next close */
    }
    g_mutex_unlock(&f->edit_lock);
    if (incomplete)
        return tree_create_incomplete(fs->tree, f->edit->len);
    if (!text)
        return 0;
    if (!tree_may_act(fs->tree, ctx->uid))
        return -EACCES;
    gsize len;
    const char *data = g_bytes_get_data(text, &len);
    op_begin(&op, req);
    rc = tree_commit_edit(fs->tree, ino, data ? data : "", len, ctx->uid, ctx->pid,
                          deadline_of(fs));
    op_end(&op);
    return rc;
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_FLUSH, 1);
    fuse_reply_err(req, -commit(req, (struct open_file *)(uintptr_t)fi->fh, ino));
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_FSYNC, 1);
    fuse_reply_err(req, -commit(req, (struct open_file *)(uintptr_t)fi->fh, ino));
}

/* O_CREAT of a new name: a draft in a task's directory (editors' temporary files). */
static void op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m,
                      struct fuse_file_info *fi)
{
    count_op(req, METRICS_OP_CREATE, 1);
    struct fs *fs = fs_of(req);
    const struct fuse_ctx *ctx = fuse_req_ctx(req);
    struct fuse_entry_param e;
    struct tree_attr a;
    struct open_file *f;
    int rc = tree_create_file(fs->tree, p, n, m & ~ctx->umask, ctx->uid, ctx->gid, &a);

    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    f = g_new0(struct open_file, 1);
    g_mutex_init(&f->edit_lock);
    f->ino = a.ino;
    f->content = g_bytes_new(NULL, 0);
    f->writer = TREE_WRITER_DRAFT;
    fi->fh = (uint64_t)(uintptr_t)f;
    fi->direct_io = 1;
    fi->noflush = 1;
    kernel_attr_entry(fs->tree, &a, &e);
    file_register(fs, f);
    tree_file_opened(fs->tree, a.ino); /* before the reply, as in op_open */
    if (fuse_reply_create(req, &e, fi) != 0) {
        tree_file_closed(fs->tree, a.ino);
        file_unregister(fs, f);
        open_file_free(f);
    }
}
/* Extended attributes are not stored: on what may be written (editors copy ACLs onto their
 * temporary files, and take "not supported" for an answer) they are not supported. */
static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags)
{
    count_op(req, METRICS_OP_SETXATTR, 1);
    fuse_reply_err(req, tree_writer_of(fs_of(req)->tree, ino) == TREE_WRITER_NONE ? EROFS
                                                                                 : EOPNOTSUPP);
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
    .flush = op_flush,
    .fsync = op_fsync,
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

/* ---- open files told of changes ---- */

/*
 * The notifier's wake_files, on its thread: wakes poll()ers of @ino and marks its handles
 * changed (they re-read from offset 0). The kernel's pages go first, or that read would be
 * answered from them and never reach us.
 */
static void wake_files(guint64 ino, void *data)
{
    struct fs *fs = data;
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
    struct hangup *hangup = NULL;
    g_autofree char *hangup_why = NULL;
    int rc = 0, loop_rc;

    g_mutex_init(&fs.lock);
    fs.files = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    fs.dirs =
        g_hash_table_new_full(g_direct_hash, g_direct_equal, (GDestroyNotify)tree_dir_free, NULL);

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
    event_log_set_listener(tree_events(cfg->tree), on_event_appended, &fs);
    fs.notifier = notifier_new(&(struct notifier_config){
        .se = fs.se,
        .tree = cfg->tree,
        .mountpoint = mountpoint ? mountpoint : cfg->mountpoint,
        .wake_files = wake_files,
        .data = &fs,
    });
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
    notifier_stop(fs.notifier);
    let_readers_go(&fs);
    /* Unmounting aborts a request the notifier may still be waiting for, so it can end. */
    fuse_session_unmount(fs.se);
    g_clear_pointer(&fs.notifier, notifier_free);
    event_log_set_listener(tree_events(cfg->tree), NULL, NULL);
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
    g_mutex_clear(&fs.lock);
    return rc;
}
