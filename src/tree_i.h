/*
 * tree_i.h: what the files of the tree share and nothing outside them sees, as libfuse keeps
 * fuse_i.h: the inode numbering, the registry of named directories, the index of names, and
 * struct tree itself. tree.c holds inodes, attributes, lookups, directories and extended
 * attributes; tree_index.c the index of names behind by-name, by-camera and by-algorithm;
 * tree_changes.c the translation of cache changes into notifier calls; tree_control.c the
 * .viasfs/refresh language. Locking is described on struct tree.
 *
 * Inode numbers: fixed ones below 64 for the static directories and .viasfs files; 64 and up
 * for named directories (by-state/S, by-camera/C, by-algorithm/T) from a registry that never
 * forgets; 2^32 + slot * 16 + offset for everything of one task (its directory, its nine
 * files from the task, its four links, and its history file), so a task's inodes follow from its
 * cache slot alone.
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
    INO_NAMED_BASE = 64,
};
#define INO_TASK_BASE  (G_GUINT64_CONSTANT(1) << 32)
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
    bool detail; /* only the detail call (or a whole-object list) has it */
};
/* The files of a task's directory, by offset (OFF_STATE .. OFF_ERROR). Defined in tree.c. */
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

static inline bool ino_is_task(guint64 ino, guint32 *slot, enum task_off *off)
{
    if (ino < INO_TASK_BASE)
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

/* ---- contents (tree.c) ---- */

/* The bytes of a task's file @off (OFF_STATE .. OFF_ERROR). New reference. */
GBytes *tree_file_content(const struct task *task, enum task_off off);
/* The target of a task's link @off (OFF_LINK_*), relative to the link. Caller frees. */
char *tree_link_target(const char *id, enum task_off off);

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

#endif
