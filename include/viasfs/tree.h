/*
 * tree: the directory tree of PRODUCT.md §2 over the cache. It owns the inode numbering
 * (stable for the life of the mount: derived from cache slots and a registry of named
 * directories), the names (every remote string goes through name_encode), the contents and
 * exact sizes of every file, link targets, link counts, mtimes, and how long the kernel may
 * cache each answer (the freshness left). It turns cache changes into invalidations through
 * the owner's notifier. It knows nothing about FUSE types: the fuse layer translates.
 *
 * Threads: every function may be called from any thread at once (FUSE's worker threads, the
 * cache's fetchers through tree_on_change, the hangup thread), except tree_new, tree_free
 * and the tree_set_* calls, which the owner makes before the session starts or after it
 * ends. No tree lock is held across a cache call that may fetch or a notifier call; the
 * notifier's calls only queue work (see struct tree_notifier).
 */
#ifndef VIASFS_TREE_H
#define VIASFS_TREE_H

#include <stdbool.h>
#include <sys/types.h>
#include <glib.h>

#include "viasfs/action.h"
#include "viasfs/cache.h"
#include "viasfs/event_log.h"
#include "viasfs/metrics.h"
#include "viasfs/refresh.h"
#include "viasfs/persist.h"

#define TREE_ROOT_INO 1

struct tree;
struct watchers;
struct history;

/* What the kernel is told about one inode. */
struct tree_attr {
    guint64 ino;
    mode_t mode; /* type and permission bits */
    guint32 nlink;
    guint64 size;
    gint64 mtime_ms;        /* epoch milliseconds */
    double timeout_s;       /* how long the kernel may cache this answer */
    double entry_timeout_s; /* how long it may cache the name -> inode mapping, when longer
                               (fixed directories whose attributes change); 0: timeout_s */
    bool unknown;           /* in a listing: only the name and type are known without a fetch */
};

/*
 * What the tree asks of the layer above when data changes, in the order it asks: kernel cache
 * invalidations, link moves, poll wake-ups, the event line, then (with inotify on) the
 * operations made through the mountpoint that make inotify see the change. Called from the
 * thread that found the change, with no tree or cache lock held: the receiver queues them.
 * Two pairs of members share a type (inval_inode and wake, event and own_touch): fill it with
 * designated initialisers, never by position. Every member is set, or none is (all NULL:
 * nothing is told).
 */
struct tree_notifier {
    /* The kernel must forget what it cached of @ino: attributes, pages, a link's target. */
    void (*inval_inode)(guint64 ino, void *data);
    /* The kernel must forget the name @name in directory @parent (it asks again). */
    void (*inval_entry)(guint64 parent, const char *name, void *data);
    /* The name @name of @child in @parent is gone: the kernel drops it (and inotify hears). */
    void (*delete_entry)(guint64 parent, guint64 child, const char *name, void *data);
    /* Open files of @ino changed: wake their poll()ers. Same type as inval_inode. */
    void (*wake)(guint64 ino, void *data);
    /* Append @line to .viasfs/events (via tree_emit_event, so it comes in this order). Same
     * type as own_touch. */
    void (*event)(const char *line, void *data);
    /* Through the mountpoint (paths relative to it): set the file's mtime to now... */
    void (*own_touch)(const char *path, void *data);
    /* ...remove a link the tree no longer has (lookups of it must still find @child)... */
    void (*own_unlink)(guint64 parent, const char *name, guint64 child, const char *path,
                       void *data);
    /* ...and create a link the tree now has (lookups of it must not find it yet). */
    void (*own_symlink)(guint64 parent, const char *name, const char *path, const char *target,
                        void *data);
    /* Returns once the calls made before it have been carried out (or after a bound). */
    void (*flush)(void *data);
    void *data;
};

/*
 * What the tree shows of its owner's state (the credential, the error log), asked for when a
 * .viasfs file is read or a refusal is to be kept, from any thread, with no tree lock held.
 * Any member may be NULL: that part then shows as unknown, none or empty.
 */
struct tree_owner {
    gint64 (*token_expires_at)(void *data); /* unix time; 0 unknown or none */
    char *(*errors_text)(void *data);       /* the content of .viasfs/errors; caller frees */
    char *(*last_error)(void *data);        /* its latest line, or NULL; caller frees */
    guint64 (*errors_total)(void *data);
    void (*keep_error)(const char *text, void *data); /* add @text to .viasfs/errors */
    char *(*refresh_text)(void *data); /* the refresh's status lines (refresh_describe) */
    bool (*persist_info)(struct persist_info *out, void *data); /* false: no cache dir */
    void *data;
};

struct tree_config {
    struct cache *cache;      /* borrowed; may be set later with tree_set_cache */
    struct action *action;    /* borrowed; NULL: read-only (no --allow-control); may be set
                                 later with tree_set_action */
    struct tree_owner owner;  /* see above */
    struct event_log *events; /* borrowed */
    struct metrics *metrics;  /* borrowed; NULL: .viasfs/metrics shows only sampled values */
    struct watchers *watch;   /* borrowed; NULL: inotify watches are not looked for */
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
/* With --allow-control: the action module, created after the cache (before the session). */
void tree_set_action(struct tree *t, struct action *a);
/* The action report callback: give it to action_config.on_report with the tree as data. It
 * writes the call's line to .viasfs/events. */
void tree_on_action_report(const struct action_report *r, void *tree);

/* The state changes seen per task (tasks/<id>/history), for the snapshot. Borrowed. */
struct history *tree_history(struct tree *t);

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
/*
 * A write of @size bytes by user @uid to .viasfs/events (@ino): "since N" moves @cursor (the
 * writer's descriptor's) to the first retained event after N (event_log_seek). When some
 * after N are not retained, *@lost receives the "lost" line (with its newline) that the
 * descriptor is to read first (caller frees); else NULL. Returns 0, -EINVAL for anything but
 * one "since N" line, -EROFS when @ino is not the stream, -EACCES for a user other than root
 * and the mounting user. Call with the lock that guards @cursor held.
 */
int tree_events_since(struct tree *t, guint64 ino, const char *buf, size_t size, uid_t uid,
                      struct event_cursor *cursor, char **lost);
/* For a descriptor that resumed: when @cursor fell behind the window since, the "lost" line
 * (with its newline) naming what it missed, and the cursor moved on; else NULL. */
char *tree_events_behind(struct tree *t, struct event_cursor *cursor);
/* Appends @line to the event stream (the notifier's event call ends here). */
void tree_emit_event(struct tree *t, const char *line);
/* A file was opened or closed: open task files keep their task's detail refreshed, open
 * drafts are kept. */
void tree_file_opened(struct tree *t, guint64 ino);
void tree_file_closed(struct tree *t, guint64 ino);
/*
 * Who watches (tree_watch.c). A request that is not viasfs's own used @ino (the inode a
 * lookup found, a stat, an open, a readlink, an extended attribute; @listing: an opendir):
 * for --idle-after, what it needs is kept refreshed (a directory counts only when listed).
 */
void tree_note_use(struct tree *t, guint64 ino, bool listing);
/*
 * refresh_config.watched, with the tree as data: the inotify watches on the mount
 * (tree_config.watch, scanned now), the files open now and the inodes used since
 * @since_us, as the tasks, view directories and "every task" they need (refresh.h).
 */
void tree_watched(struct refresh_watch *out, gint64 since_us, void *tree);

/* A symlink's target. -EINVAL when @ino is not a link. Caller frees. */
int tree_readlink(struct tree *t, guint64 ino, gint64 deadline, char **out);

/* The metrics the fuse layer counts its operations in (may be NULL). Borrowed. */
struct metrics *tree_metrics(struct tree *t);

/*
 * Whether @ino may be opened for writing or truncating (@write) by user @uid: 0, -EROFS for
 * anything but a control file or .viasfs/events (which takes "since N"), -EACCES for a user
 * other than root and the mounting user (tree_config.uid). Reading is allowed everywhere (a
 * control file reads as empty, so that tar and rsync copy the mount without an error).
 * Fetches nothing.
 */
int tree_check_open(struct tree *t, guint64 ino, bool write, uid_t uid);
/* true for .viasfs/refresh, the control file (mode 0600, reads as empty). */
bool tree_is_control(struct tree *t, guint64 ino);

/* ---- writing (PRODUCT.md section 8; everything but .viasfs/refresh needs --allow-control) ----
 * Every function here checks @uid itself (root and the mounting user may act), also when the
 * kernel did: a descriptor can change hands. */

/* Whether user @uid may change things: root and the mounting user. */
bool tree_may_act(const struct tree *t, uid_t uid);

/* A descriptor opened for writing @ino was released: the kernel forgets the size it was told
 * while the descriptor wrote (the file shows the task as it is). */
void tree_edit_closed(struct tree *t, guint64 ino);

/* What a write to an inode does. */
enum tree_writer {
    TREE_WRITER_NONE,    /* not writable: EROFS */
    TREE_WRITER_REFRESH, /* .viasfs/refresh: each write is commands (tree_write_control) */
    TREE_WRITER_CTL,     /* tasks/<id>/ctl: each write is one verb (tree_write_ctl) */
    TREE_WRITER_EDIT,    /* a writable task file: the handle collects the content, which is
                            taken at flush (tree_commit_edit) */
    TREE_WRITER_CREATE,  /* .viasfs/create: the handle collects a JSON object, which is acted
                            on once whole (tree_write_create) */
    TREE_WRITER_DRAFT,   /* a draft: writes change it in place (tree_draft_write) */
    TREE_WRITER_EVENTS,  /* .viasfs/events: "since N" moves the descriptor's cursor
                            (tree_events_since); with or without --allow-control */
};
enum tree_writer tree_writer_of(struct tree *t, guint64 ino);

/*
 * A write to tasks/<id>/ctl: one line, "start", "stop" or "delete", makes that one call and
 * returns when the API answered (action.h). -EINVAL (nothing sent, the reason kept in
 * .viasfs/errors) for anything else; the call's -errno; -EINTR when interrupted (the call goes
 * on).
 */
int tree_write_ctl(struct tree *t, guint64 ino, const char *buf, size_t size, uid_t uid,
                   pid_t pid, gint64 deadline);
/*
 * The content written to a writable task file (@ino), taken at flush: content equal to what
 * the file shows sends nothing; other content is one update call (action_update). 0, -EINVAL
 * (invalid content: nothing sent, the reason in .viasfs/errors), or the call's -errno.
 */
int tree_commit_edit(struct tree *t, guint64 ino, const char *data, size_t len, uid_t uid,
                     pid_t pid, gint64 deadline);
/*
 * What has been written so far to one descriptor of .viasfs/create: -EAGAIN while it is not a
 * whole JSON object yet; once it is, the create call (action_create): 0 and the new id in
 * *@id (caller frees), or -errno (-EINVAL: not valid, nothing sent).
 */
int tree_write_create(struct tree *t, const char *text, size_t len, uid_t uid, pid_t pid,
                      gint64 deadline, char **id);
/* An incomplete create text at close: kept in .viasfs/errors. Returns -EINVAL. */
int tree_create_incomplete(struct tree *t, size_t len);

/* O_CREAT of @name in task directory @parent: a new draft. 0 with @out, -EEXIST, -EROFS
 * (not a task directory, or no --allow-control), -EACCES, -ENOSPC. */
int tree_create_file(struct tree *t, guint64 parent, const char *name, mode_t mode, uid_t uid,
                     gid_t gid, struct tree_attr *out);
/* Writes into draft @ino at @off. Returns the bytes written or -EFBIG, -ENOSPC, -ENOENT. */
int tree_draft_write(struct tree *t, guint64 ino, const char *buf, size_t size, off_t off);

/* What a SETATTR asks for. */
struct tree_setattr {
    bool set_size, set_mode, set_uid, set_gid, set_times;
    guint64 size;
    mode_t mode;
    uid_t uid;
    gid_t gid;
};
/*
 * SETATTR on @ino by @uid: a draft takes any of it (its owner only the mounting user's or the
 * caller's ids); other writable inodes take times (ignored), a mode and an owner equal to
 * what they are (editors restore them), and a size of 0 (shells truncate before writing; for
 * a task file it changes nothing until content is written through a descriptor, whose size
 * is the fuse layer's). 0 with @out, -EPERM, -EINVAL (another size), -EROFS, -EACCES.
 */
int tree_setattr(struct tree *t, guint64 ino, const struct tree_setattr *s, uid_t uid,
                 gint64 deadline, struct tree_attr *out);
/* unlink(@name) in @parent: removes a draft. -EPERM for a task's own files, -EROFS. */
int tree_unlink(struct tree *t, guint64 parent, const char *name, uid_t uid);
/*
 * rename(@name -> @newname) within one task directory: a draft onto a writable file is an
 * update with the draft's content (tree_commit_edit), after which the draft is gone; a draft
 * onto another name renames the draft; a writable file onto a new name copies it into a
 * draft (the file stays: editors keep a backup that way). -EXDEV across directories, -EPERM,
 * -EROFS, -EINVAL (RENAME_EXCHANGE), or the update's -errno.
 */
int tree_rename(struct tree *t, guint64 parent, const char *name, guint64 newparent,
                const char *newname, unsigned int flags, uid_t uid, pid_t pid, gint64 deadline);

/* Writes to .viasfs/refresh that drop a listing are accepted at most once per this period. */
#define TREE_REFRESH_INTERVAL_MS 1000

/*
 * A write of @size bytes by user @uid to the control file @ino: one command per line (a final
 * newline is optional). "all" drops every cached task and listing; a path relative to the mount
 * drops what it names: tasks/<id> (or a file in it, or a link to it in a view) that task,
 * by-state/<S>, by-camera/<C>, by-algorithm/<T> that view's listing, tasks, by-name,
 * by-camera and by-algorithm the list of all tasks, by-state every state's listing. The
 * kernel is told to forget what it cached of the same. Every line is checked before any is
 * done: -EINVAL when one names nothing of that kind, -EROFS when @ino is not a control file,
 * -EACCES when @uid is neither root nor the mounting user, -EBUSY (logged, and kept in
 * .viasfs/errors) when the write drops a listing (any line but a task's) less than
 * TREE_REFRESH_INTERVAL_MS after the last write that did. Fetches nothing: the next access does.
 */
int tree_write_control(struct tree *t, guint64 ino, const char *buf, size_t size, uid_t uid);
/* The same as writing "all" (SIGHUP's action). Safe from any thread but a signal handler. */
void tree_refresh_all(struct tree *t);

/*
 * Extended attributes: a task directory has user.vias.id, .name, .state, .camera,
 * .algorithm (the title), .created_at and .updated_at (epoch milliseconds, as the API gives
 * them), each only when the task has a value; they come from the task's detail (fetched once
 * when not cached, like status). Other inodes have none.
 * tree_listxattr: the names, each NUL-terminated, in that order. tree_getxattr: the value
 * (no terminating NUL), or -ENODATA. Both: or -errno from the fetch.
 */
int tree_listxattr(struct tree *t, guint64 ino, gint64 deadline, GBytes **out);
int tree_getxattr(struct tree *t, guint64 ino, const char *name, gint64 deadline, GBytes **out);

/* An open directory: entries are produced on demand, streaming where the view allows. */
struct tree_dir;
struct tree_dirent {
    char *name; /* owned by the caller after tree_dir_get: g_free */
    struct tree_attr attr;
};
/*
 * -ENOTDIR, -ENOENT, or 0 with a handle. Does not wait for the network, but for a listing
 * that must be walked again, up to a second (never past @deadline) for its first entry
 * before settling for the last good one (cache_listing).
 */
int tree_opendir(struct tree *t, guint64 ino, gint64 deadline, struct tree_dir **out);

/* tree_dir_get's answers besides 0 and -errno: control values, never errnos, so that an API
 * error can never be read as the end of a directory. */
enum { TREE_DIR_END = 1, TREE_DIR_LATER = 2 };

/*
 * The entry at *@index ("." is 0, ".." is 1), or the next one that still exists (a task gone
 * since its listing was made is skipped): *@index is advanced to the entry returned. When the
 * entry comes from a listing that has not reached it yet: waits until @deadline if @may_wait,
 * else returns TREE_DIR_LATER at once (so a caller can send what it has and come back).
 * Fetches an entry's attributes need (a task's detail) are always bounded by @deadline.
 * Returns 0 with @out filled, TREE_DIR_END past the end, or -errno (the walk's failure
 * included).
 */
int tree_dir_get(struct tree *t, struct tree_dir *d, guint64 *index, gint64 deadline, bool may_wait,
                 struct tree_dirent *out);
/* Whether the names in @d never change (a task's directory, the root, .viasfs/), so the kernel
 * may keep them across opens. */
bool tree_dir_is_fixed(const struct tree_dir *d);
void tree_dir_free(struct tree_dir *d);

#endif
