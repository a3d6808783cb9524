/*
 * fs: libfuse low-level operations over the tree (see fs.h). Every handler replies exactly
 * once on every path. Open files keep a snapshot of their content (GBytes) so that a read
 * sequence sees one version; directories keep a tree_dir. Invalidations go through a queue
 * to the notifier thread; "no such entry" answers from the kernel are expected and ignored.
 */
#define FUSE_USE_VERSION 312
#include "viasfs/fs.h"
#include "viasfs/log.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <string.h>
#include <sys/stat.h>

struct fs {
    struct tree *tree;
    struct fuse_session *se;
    gint64 timeout_us;
    GAsyncQueue *notes;     /* struct note *: invalidations waiting for the notifier */
    GThread *notifier;
};

enum note_kind { NOTE_INODE, NOTE_ENTRY, NOTE_DELETE, NOTE_STOP };

struct note {
    enum note_kind kind;
    guint64 ino;    /* NOTE_INODE: the inode; NOTE_DELETE: the child */
    guint64 parent; /* NOTE_ENTRY, NOTE_DELETE */
    char *name;
};

static struct fs *fs_of(fuse_req_t req)
{
    return fuse_req_userdata(req);
}

static gint64 deadline_of(struct fs *fs)
{
    return g_get_monotonic_time() + fs->timeout_us;
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
    e->entry_timeout = a->timeout_s;
    to_stat(fs, a, &e->attr);
}

static void op_init(void *data, struct fuse_conn_info *conn)
{
    if (conn->capable & FUSE_CAP_READDIRPLUS)
        conn->want |= FUSE_CAP_READDIRPLUS;
    /* Always send attributes with listings, so `ls -l` costs no request per entry. */
    conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
    struct fs *fs = fs_of(req);
    struct tree_attr a;
    struct fuse_entry_param e;
    int rc = tree_lookup(fs->tree, parent, name, deadline_of(fs), &a);

    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    fill_entry(fs, &a, &e);
    fuse_reply_entry(req, &e);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
    /* Inode numbers are computed, not allocated: nothing to release. */
    fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
    fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct fs *fs = fs_of(req);
    struct tree_attr a;
    struct stat st;
    int rc = tree_getattr(fs->tree, ino, deadline_of(fs), &a);

    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    to_stat(fs, &a, &st);
    fuse_reply_attr(req, &st, a.timeout_s);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
    struct fs *fs = fs_of(req);
    g_autofree char *target = NULL;
    int rc = tree_readlink(fs->tree, ino, deadline_of(fs), &target);

    if (rc < 0)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_readlink(req, target);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct fs *fs = fs_of(req);
    GBytes *content = NULL;
    int rc;

    if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & O_TRUNC)) {
        fuse_reply_err(req, EROFS);
        return;
    }
    rc = tree_read_file(fs->tree, ino, deadline_of(fs), &content);
    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)content;
    fi->direct_io = tree_is_volatile(fs->tree, ino);
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) != 0)
        g_bytes_unref(content); /* the open was interrupted: no release will come */
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    struct fuse_file_info *fi)
{
    GBytes *content = (GBytes *)(uintptr_t)fi->fh;
    gsize len;
    const char *data = g_bytes_get_data(content, &len);

    if (off < 0 || (gsize)off >= len) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    fuse_reply_buf(req, data + off, MIN(size, len - (gsize)off));
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    g_bytes_unref((GBytes *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    struct fs *fs = fs_of(req);
    struct tree_dir *d = NULL;
    int rc = tree_opendir(fs->tree, ino, &d);

    if (rc < 0) {
        fuse_reply_err(req, -rc);
        return;
    }
    fi->fh = (uint64_t)(uintptr_t)d;
    if (fuse_reply_open(req, fi) != 0)
        tree_dir_free(d);
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
    int rc = 0;

    for (guint64 index = (guint64)off;; index++) {
        struct tree_dirent de = {0};
        size_t need;

        rc = tree_dir_get(fs->tree, d, index, deadline_of(fs), used == 0, &de);
        if (rc < 0)
            break;
        if (plus) {
            struct fuse_entry_param e;
            fill_entry(fs, &de.attr, &e);
            if (index < 2) /* "." and "..": no lookup count for the kernel to take */
                e.ino = 0, e.attr.st_ino = de.attr.ino;
            need = fuse_add_direntry_plus(req, buf + used, size - used, de.name, &e,
                                          (off_t)index + 1);
        } else {
            struct stat st;
            to_stat(fs, &de.attr, &st);
            need = fuse_add_direntry(req, buf + used, size - used, de.name, &st,
                                     (off_t)index + 1);
        }
        g_free(de.name);
        if (need > size - used)
            break; /* full: this entry comes first in the next call */
        used += need;
    }
    if (used == 0 && rc < 0 && rc != -ENOENT && rc != -EAGAIN)
        fuse_reply_err(req, -rc);
    else
        fuse_reply_buf(req, buf, used);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
    readdir_common(req, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                           struct fuse_file_info *fi)
{
    readdir_common(req, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
    tree_dir_free((struct tree_dir *)(uintptr_t)fi->fh);
    fuse_reply_err(req, 0);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
    struct statvfs sv = {.f_bsize = 4096, .f_frsize = 4096, .f_namemax = 255};
    fuse_reply_statfs(req, &sv);
}

static void op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
    fuse_reply_err(req, (mask & W_OK) ? EROFS : 0);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
    fuse_reply_err(req, ENODATA);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
    if (size == 0)
        fuse_reply_xattr(req, 0);
    else
        fuse_reply_buf(req, NULL, 0);
}

/* Everything that would change the tree: it is read-only. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                       struct fuse_file_info *fi)
{
    fuse_reply_err(req, EROFS);
}
static void op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t r)
{
    fuse_reply_err(req, EROFS);
}
static void op_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{
    fuse_reply_err(req, EROFS);
}
static void op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
    fuse_reply_err(req, EROFS);
}
static void op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
    fuse_reply_err(req, EROFS);
}
static void op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np,
                      const char *nn, unsigned int flags)
{
    fuse_reply_err(req, EROFS);
}
static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t np, const char *nn)
{
    fuse_reply_err(req, EROFS);
}
static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                     struct fuse_file_info *fi)
{
    fuse_reply_err(req, EROFS);
}
static void op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m,
                      struct fuse_file_info *fi)
{
    fuse_reply_err(req, EROFS);
}
static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
                        size_t size, int flags)
{
    fuse_reply_err(req, EROFS);
}
static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
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
    .rmdir = op_unlink,
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
};

/* ---- invalidations ---- */

static void note_push(struct fs *fs, enum note_kind kind, guint64 parent, guint64 ino,
                      const char *name)
{
    struct note *n = g_new0(struct note, 1);
    n->kind = kind;
    n->parent = parent;
    n->ino = ino;
    n->name = g_strdup(name);
    g_async_queue_push(fs->notes, n);
}

static void want_inval_inode(guint64 ino, void *data)
{
    note_push(data, NOTE_INODE, 0, ino, NULL);
}

static void want_inval_entry(guint64 parent, const char *name, void *data)
{
    note_push(data, NOTE_ENTRY, parent, 0, name);
}

static void want_delete(guint64 parent, guint64 child, const char *name, void *data)
{
    note_push(data, NOTE_DELETE, parent, child, name);
}

static gpointer notifier_main(gpointer data)
{
    struct fs *fs = data;

    for (;;) {
        struct note *n = g_async_queue_pop(fs->notes);
        enum note_kind kind = n->kind;
        int rc = 0;

        switch (kind) {
        case NOTE_INODE: rc = fuse_lowlevel_notify_inval_inode(fs->se, n->ino, 0, 0); break;
        case NOTE_ENTRY:
            rc = fuse_lowlevel_notify_inval_entry(fs->se, n->parent, n->name, strlen(n->name));
            break;
        case NOTE_DELETE:
            rc = fuse_lowlevel_notify_delete(fs->se, n->parent, n->ino, n->name,
                                             strlen(n->name));
            break;
        case NOTE_STOP: break;
        }
        /* -ENOENT: the kernel had nothing cached. -ENOTCONN/-EBADF: unmounting. */
        if (rc < 0 && rc != -ENOENT && rc != -ENOTCONN && rc != -EBADF)
            log_debug("fuse notify (%d) failed: %s", (int)kind, g_strerror(-rc));
        g_free(n->name);
        g_free(n);
        if (kind == NOTE_STOP)
            return NULL;
    }
}

/* ---- session ---- */

int fs_run(const struct fs_config *cfg, char **why)
{
    struct fs fs = {.tree = cfg->tree, .timeout_us = (gint64)cfg->timeout_s * G_USEC_PER_SEC};
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    struct fuse_args args;
    struct fuse_loop_config *loop;
    struct tree_notifier notifier = {want_inval_inode, want_inval_entry, want_delete, &fs};
    int rc = 0;

    for (guint i = 0; i < cfg->fuse_argv->len; i++)
        g_ptr_array_add(argv, g_ptr_array_index(cfg->fuse_argv, i));
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
    tree_set_notifier(cfg->tree, &notifier);
    fs.notifier = g_thread_new("notifier", notifier_main, &fs);

    loop = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(loop, 64);
    fuse_loop_cfg_set_idle_threads(loop, 8);
    if (fuse_session_loop_mt(fs.se, loop) != 0)
        log_warn("the FUSE session ended with an error");
    fuse_loop_cfg_destroy(loop);

    note_push(&fs, NOTE_STOP, 0, 0, NULL);
    g_thread_join(fs.notifier);
    tree_set_notifier(cfg->tree, &(struct tree_notifier){0});
    g_async_queue_unref(fs.notes);
out_unmount:
    fuse_session_unmount(fs.se);
out_signals:
    fuse_remove_signal_handlers(fs.se);
out_destroy:
    fuse_session_destroy(fs.se);
    return rc;
}
