/*
 * tree_i.h: what the files of the tree share and nothing outside them sees, as libfuse keeps
 * fuse_i.h: the inode numbering, the registry of named directories, the index of names, and
 * struct tree itself. tree.c holds inodes, attributes, lookups, directories and extended
 * attributes; tree_index.c the index of names behind by-name, by-camera and by-algorithm;
 * tree_changes.c the translation of cache changes into notifier calls; tree_control.c the
 * .viasfs/refresh language; tree_edit.c what writes do with --allow-control (ctl, edits,
 * .viasfs/create, renames); tree_draft.c the temporary files editors make in a task's
 * directory. Locking is described on struct tree.
 *
 * Inode numbers: fixed ones below 64 for the static directories and .viasfs files; 64 and up
 * for named directories (by-state/S, by-camera/C, by-algorithm/T) from a registry that never
 * forgets; 2^32 + slot * 16 + offset for everything of one task (its directory, its ten
 * files from the task, its four links, and its history file), so a task's inodes follow from
 * its cache slot alone; 2^62 and up for drafts (temporary files), numbered in creation order.
 */
#ifndef VIASFS_TREE_I_H
#define VIASFS_TREE_I_H

#include "viasfs/tree.h"
#include "viasfs/view.h"

enum {
    INO_TASKS = 2,
    INO_VIEWS, /* the top directory of view kind k (by-state/...) is INO_VIEWS + k */
    INO_META = INO_VIEWS + VIEW_COUNT,
    INO_STATUS,
    INO_ERRORS,
    INO_EVENTS,
    INO_METRICS,
    INO_REFRESH,
    INO_CREATE,
    INO_NAMED_BASE = 64,
};
#define INO_TASK_BASE  (G_GUINT64_CONSTANT(1) << 32)
#define INO_DRAFT_BASE (G_GUINT64_CONSTANT(1) << 62)
#define TASK_STRIDE    16
#define INO_VIEW(kind) ((guint64)INO_VIEWS + (guint64)(kind))

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
    OFF_CTL,
    OFF_FILES_END,
    OFF_LINKS = OFF_FILES_END, /* the task's link in view kind k is OFF_LINKS + k */
    OFF_LINKS_END = OFF_LINKS + VIEW_COUNT,
    OFF_HISTORY = OFF_LINKS_END, /* tasks/<id>/history: from the tree's history, not the task */
    OFF_END,
};
#define OFF_LINK(kind) ((enum task_off)(OFF_LINKS + (kind)))

static inline bool off_is_link(enum task_off off)
{
    return off >= OFF_LINKS && off < OFF_LINKS_END;
}

/* A file of a task's directory. */
struct tree_file {
    const char *name;
    bool detail;   /* only the detail call (or a whole-object list) has it */
    bool writable; /* with --allow-control: an update of one part of the task */
    bool control;  /* exists only with --allow-control (ctl) */
};
/* The files of a task's directory, by offset (OFF_STATE .. OFF_CTL). Defined in tree.c. */
extern const struct tree_file tree_task_files[OFF_FILES_END];

/* A directory of a view named after a remote string (by-state/S, by-camera/C,
 * by-algorithm/T). Never freed while the tree lives. */
struct named {
    enum view_kind kind;
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
    struct listing *src;             /* the LISTING_ALL listing it was built from */
    GPtrArray *dirs[VIEW_COUNT];     /* of a view whose directories come from the tasks
                                        (tree_view_indexed): struct named *, borrowed from
                                        the registry, by name; NULL for the other views */
    GHashTable *dir_enc[VIEW_COUNT]; /* enc -> struct named *, the same views */
    GArray *names;                   /* struct name_entry, by enc */
    GHashTable *name_enc;            /* enc -> GUINT_TO_POINTER(slot + 1) */
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

    gint refreshes;          /* atomic: commands done through .viasfs/refresh or SIGHUP */
    struct history *history; /* owned; thread-safe on its own (history.h) */

    GMutex drafts_lock; /* protects the drafts (tree_draft.c); taken alone */
    GHashTable *drafts; /* ino (guint64 *) -> struct draft * (owned) */
    guint64 next_draft; /* the next draft's ino - INO_DRAFT_BASE */
    gsize draft_bytes;  /* their content, together */

    struct tree_watch *watch; /* who watches what (tree_watch.c); its own lock */
};

/*
 * Locking: t->lock protects the named-directory registry, the derived index of names and the
 * refresh limit; it is never held across a cache call that may fetch, nor across a notifier
 * call. t->notifier_lock (read side) is held while a change is reported, so the notifier
 * cannot be swapped out from under a report; the notifier's calls only queue work.
 */

static inline gint64 now_ms(void)
{
    return g_get_real_time() / 1000;
}

static inline double seconds_left(gint64 until_us)
{
    gint64 left = until_us - g_get_monotonic_time();
    return left > 0 ? (double)left / G_USEC_PER_SEC : 0.0;
}

static inline guint64 task_ino(guint32 slot, enum task_off off)
{
    return INO_TASK_BASE + (guint64)slot * TASK_STRIDE + off;
}

static inline bool ino_is_draft(guint64 ino)
{
    return ino >= INO_DRAFT_BASE;
}

static inline bool ino_is_task(guint64 ino, guint32 *slot, enum task_off *off)
{
    if (ino < INO_TASK_BASE || ino_is_draft(ino))
        return false;
    *slot = (guint32)((ino - INO_TASK_BASE) / TASK_STRIDE);
    *off = (enum task_off)((ino - INO_TASK_BASE) % TASK_STRIDE);
    return *off < OFF_END;
}

/* ---- the registry of named directories (tree.c) ---- */

/* The named directory of (@kind, @raw), registered on first use. Call with t->lock held. */
struct named *tree_named_get_locked(struct tree *t, enum view_kind kind, const char *raw);
/* The same, taking the lock. Never NULL; never freed while the tree lives. */
struct named *tree_named_find(struct tree *t, enum view_kind kind, const char *raw);
/* The named directory of (@kind, @raw) if registered, without registering it; or NULL. */
struct named *tree_named_peek(struct tree *t, enum view_kind kind, const char *raw);
/* The named directory with inode @ino, or NULL. */
struct named *tree_named_by_ino(struct tree *t, guint64 ino);
/* The named directory of @kind whose file name is @enc, or NULL. */
struct named *tree_named_by_enc(struct tree *t, enum view_kind kind, const char *enc);

/* Whether the tree acts (--allow-control): writable files, ctl, .viasfs/create, drafts. */
static inline bool tree_controls(const struct tree *t)
{
    return t->cfg.action != NULL;
}

/* Whether task file @off exists in this mount (ctl only with --allow-control). */
static inline bool tree_task_file_shown(const struct tree *t, enum task_off off)
{
    return !tree_task_files[off].control || tree_controls(t);
}

/* Root and the user who mounted may change things; other users (under allow_other) only read. */
static inline bool tree_may_write(const struct tree *t, uid_t uid)
{
    return uid == 0 || uid == t->cfg.uid;
}

/* ---- contents (tree.c) ---- */

/* Permission bits of task file @off: 0600 for what the mounting user may write, else 0444. */
mode_t tree_task_file_mode(const struct tree *t, enum task_off off);
/* Permission bits of a task's directory: 0755 with --allow-control (editors make temporary
 * files there), else 0555. */
mode_t tree_task_dir_mode(const struct tree *t);

/* The bytes of a task's file @off (OFF_STATE .. OFF_ERROR). New reference. */
GBytes *tree_file_content(const struct task *task, enum task_off off);
/* The target of a task's link @off (OFF_LINK_*), relative to the link. Caller frees. */
char *tree_link_target(const char *id, enum task_off off);

/* ---- who watches (tree_watch.c) ---- */

struct tree_watch *tree_watch_new(struct watchers *watchers);
void tree_watch_free(struct tree_watch *w); /* NULL is fine */
/* An open (@delta 1) or release (-1) of @ino. */
void tree_watch_open(struct tree *t, guint64 ino, int delta);
/* The content of tasks/<id>/history and its mtime (tree.c). New reference. */
GBytes *tree_history_content(struct tree *t, const char *id, gint64 *mtime_ms);

/* ---- the index of names (tree_index.c) ---- */

/* Whether @v's directories are those of the values the tasks have (by-camera, by-algorithm),
 * found in the index; the others' come from the registry (by-state: every documented state
 * and every state seen) or are links (by-name). */
static inline bool tree_view_indexed(const struct view *v)
{
    return v->per_value && !v->values;
}

struct index *tree_index_ref(struct index *x);
void tree_index_unref(struct index *x); /* NULL is fine */
/*
 * The index of the current list of all tasks, walking the list first when it is stale
 * (waiting until @deadline). Returns 0 and a reference, or -errno.
 */
int tree_index_get(struct tree *t, gint64 deadline, struct index **out);
/* The index if one was built, without walking; a reference, or NULL. */
struct index *tree_index_peek(struct tree *t);

/* ---- drafts: temporary files in task directories (tree_draft.c) ---- */

/*
 * A draft is a file that an editor or `sed -i` creates in a task's directory while it writes
 * (sedXXXXXX, .config.json.swp, 4913, config.json~). It lives in memory only, shows up by
 * lookup (not in listings), and goes when it is removed, renamed onto a writable file (that
 * is an update, tree_edit.c), or left closed and unchanged for TREE_DRAFT_IDLE_S.
 */
#define TREE_DRAFT_IDLE_S    600
#define TREE_DRAFT_MAX_BYTES (16u << 20) /* one draft */
#define TREE_DRAFTS_MAX_BYTES (64u << 20) /* all of them */
#define TREE_DRAFTS_MAX      1024

void tree_drafts_init(struct tree *t);
void tree_drafts_free(struct tree *t);
/* The draft @name in task directory @slot. 0 with @out, or -ENOENT. */
int tree_draft_lookup(struct tree *t, guint32 slot, const char *name, struct tree_attr *out);
int tree_draft_getattr(struct tree *t, guint64 ino, struct tree_attr *out);
/* A new draft holding @content (NULL: empty). -EEXIST, -ENAMETOOLONG, -ENOSPC, -EFBIG. */
int tree_draft_new(struct tree *t, guint32 slot, const char *name, mode_t mode, uid_t uid,
                   gid_t gid, GBytes *content, struct tree_attr *out);
/* -ENOENT when there is no such draft. */
int tree_draft_remove(struct tree *t, guint32 slot, const char *name);
/* Renames a draft within its directory, replacing a draft of the new name. -ENOENT, -EEXIST
 * (with @noreplace). */
int tree_draft_rename(struct tree *t, guint32 slot, const char *from, const char *to,
                      bool noreplace);
/* The content of draft @name in @slot, or of draft @ino (@name NULL). New reference. */
int tree_draft_content(struct tree *t, guint32 slot, const char *name, guint64 ino, GBytes **out);
/* SETATTR on draft @ino by @uid (see tree_setattr). */
int tree_draft_setattr(struct tree *t, guint64 ino, const struct tree_setattr *s, uid_t uid,
                       struct tree_attr *out);
/* A handle on draft @ino was opened (@delta 1) or closed (-1): an open draft never expires. */
void tree_draft_hold(struct tree *t, guint64 ino, int delta);
/* The task directory (slot) draft @ino lives in; false when there is no such draft. */
bool tree_draft_slot(struct tree *t, guint64 ino, guint32 *slot);

#endif
