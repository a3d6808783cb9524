/*
 * tree: the directory tree of PRODUCT.md §2 over the cache. It owns the inode numbering
 * (stable for the life of the mount: derived from cache slots and a registry of named
 * directories), the names (every remote string goes through name_encode), the contents and
 * exact sizes of every file, link targets, link counts, mtimes, and how long the kernel may
 * cache each answer (the freshness left). It turns cache changes into invalidations through
 * the owner's notifier. It knows nothing about FUSE types: the fuse layer translates.
 */
#ifndef VIASFS_TREE_H
#define VIASFS_TREE_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "viasfs/cache.h"
#include "viasfs/error_log.h"
#include "viasfs/event_log.h"

#define TREE_ROOT_INO 1

struct tree;

/* What the kernel is told about one inode. */
struct tree_attr {
    guint64 ino;
    mode_t mode; /* type and permission bits */
    guint32 nlink;
    guint64 size;
    gint64 mtime_ms;  /* epoch milliseconds */
    double timeout_s; /* how long the kernel may cache this answer */
};

/*
 * What the tree asks of the layer above when data changes, in the order it asks: kernel cache
 * invalidations, link moves, poll wake-ups, the event line, then (with inotify on) the
 * operations made through the mountpoint that make inotify see the change. Called from the
 * thread that found the change, with no tree or cache lock held: the receiver queues them.
 */
struct tree_notifier {
    void (*inval_inode)(guint64 ino, void *data);
    void (*inval_entry)(guint64 parent, const char *name, void *data);
    void (*delete_entry)(guint64 parent, guint64 child, const char *name, void *data);
    /* Open files of @ino changed: wake their poll()ers. */
    void (*wake)(guint64 ino, void *data);
    /* Append @line to .viasfs/events (via tree_emit_event, so it comes in this order). */
    void (*event)(const char *line, void *data);
    /* Through the mountpoint (paths relative to it): set the file's mtime to now... */
    void (*own_touch)(const char *path, void *data);
    /* ...remove a link the tree no longer has (lookups of it must still find @child)... */
    void (*own_unlink)(guint64 parent, const char *name, guint64 child, const char *path,
                       void *data);
    /* ...and create a link the tree now has (lookups of it must not find it yet). */
    void (*own_symlink)(guint64 parent, const char *name, const char *path, const char *target,
                        void *data);
    void *data;
};

struct tree_config {
    struct cache *cache;      /* borrowed; may be set later with tree_set_cache */
    struct error_log *errors; /* borrowed */
    struct event_log *events; /* borrowed */
    bool inotify;             /* ask for operations through the mountpoint on changes */
    int refresh_s;            /* for .viasfs/status */
    const char *endpoint;     /* for .viasfs/status */
    const char *project_id;
    const char *auth_kind;
    int ttl_s;
    int page_size;
    int timeout_s;
    uid_t uid;
    gid_t gid;
};

/* Creates the tree; @notifier may be set later with tree_set_notifier. */
struct tree *tree_new(const struct tree_config *cfg);
void tree_free(struct tree *t);
void tree_set_notifier(struct tree *t, const struct tree_notifier *n);
/* The cache and the tree refer to each other (the cache reports changes to the tree): create
 * the tree, then the cache with tree_on_change, then give the cache to the tree. */
void tree_set_cache(struct tree *t, struct cache *c);
/* The cache change callback: give it to cache_config.on_change with the tree as data. */
void tree_on_change(const struct cache_change *c, void *tree);

/* Owner and group of every inode. */
uid_t tree_uid(const struct tree *t);
gid_t tree_gid(const struct tree *t);

/* Name @name in directory @parent. 0 with @out filled, or -ENOENT, -ENOTDIR, -errno. */
int tree_lookup(struct tree *t, guint64 parent, const char *name, gint64 deadline,
                struct tree_attr *out);
int tree_getattr(struct tree *t, guint64 ino, gint64 deadline, struct tree_attr *out);
/* The whole content of a regular file, as it is now. -EISDIR for directories. */
int tree_read_file(struct tree *t, guint64 ino, gint64 deadline, GBytes **out);
/* true for files whose content changes on every read (.viasfs files): no page cache. */
bool tree_is_volatile(struct tree *t, guint64 ino);
/* true for .viasfs/events: a stream of lines (see event_log.h), not a file with a size. */
bool tree_is_event_stream(struct tree *t, guint64 ino);
struct event_log *tree_events(struct tree *t);
/* Appends @line to the event stream (the notifier's event call ends here). */
void tree_emit_event(struct tree *t, const char *line);
/* A file was opened or closed: open task files keep their task's detail refreshed. */
void tree_file_opened(struct tree *t, guint64 ino);
void tree_file_closed(struct tree *t, guint64 ino);
/* A symlink's target. -EINVAL when @ino is not a link. Caller frees. */
int tree_readlink(struct tree *t, guint64 ino, gint64 deadline, char **out);

/* An open directory: entries are produced on demand, streaming where the view allows. */
struct tree_dir;
struct tree_dirent {
    char *name; /* owned by the caller after tree_dir_get: g_free */
    struct tree_attr attr;
};
/* -ENOTDIR, -ENOENT, or 0 with a handle. Does not wait for the network. */
int tree_opendir(struct tree *t, guint64 ino, struct tree_dir **out);
/*
 * Entry number @index ("." is 0, ".." is 1). When the entry comes from a listing that has not
 * reached it yet: waits until @deadline if @may_wait, else returns -EAGAIN at once (so a
 * caller can send what it has and come back). Fetches an entry's attributes need (a task's
 * detail) are always bounded by @deadline. 0 with @out filled, -ENOENT past the end, or
 * -errno.
 */
int tree_dir_get(struct tree *t, struct tree_dir *d, guint64 index, gint64 deadline, bool may_wait,
                 struct tree_dirent *out);
void tree_dir_free(struct tree_dir *d);

#endif
