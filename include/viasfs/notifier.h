/*
 * notifier: part of the fuse layer (it calls libfuse). What the tree asks on a change (struct
 * tree_notifier) is queued here and carried out in order on one thread of its own, never
 * inside a request handler and with no lock held: kernel cache invalidations, wake-ups of
 * open files, event lines, and, with inotify on, the replay of the change as operations
 * through the mountpoint (touch, unlink, symlink) so that inotify watchers see it.
 *
 * Those operations come back as requests to this filesystem. The handlers pass each request
 * that may be one of them to a notifier_reply_own_*() function, which recognises the
 * notifier's own requests by the thread id of the caller and answers them as the replay
 * needs (a removed link still found until it is unlinked, a new link not found until it is
 * created). It is not: the open-file registry, poll handles or parked reads (fs.c keeps
 * those, and does the wake-up through notifier_config.wake_files).
 *
 * Thread-safety: notifier_new and notifier_free belong to the session's thread; the tree's
 * callbacks and the notifier_reply_own_*() functions may be called from any thread.
 */
#ifndef VIASFS_NOTIFIER_H
#define VIASFS_NOTIFIER_H

#include <stdbool.h>
#include <glib.h>

#include "viasfs/tree.h"

struct fuse_session;
struct fuse_req; /* fuse_req_t */
struct notifier;

struct notifier_config {
    struct fuse_session *se; /* borrowed; outlives the notifier */
    struct tree *tree;       /* borrowed; outlives the notifier */
    const char *mountpoint;  /* absolute, for the operations through the mount; copied */
    /* On the notifier thread, in order with the rest: open files of @ino changed (their
     * poll()ers are to be woken, their next read from offset 0 is to fetch again). */
    void (*wake_files)(guint64 ino, void *data);
    void *data;
};

/*
 * Starts the notifier thread and installs its callbacks as the tree's notifier
 * (tree_set_notifier). Call once the session is mounted, before it serves. Free with
 * notifier_free.
 */
struct notifier *notifier_new(const struct notifier_config *cfg);

/*
 * The session is ending: no more operations through the mountpoint are made, and the tree's
 * notifier is removed (once this returns, no change report reaches the queue). Notes already
 * queued are still carried out. Call before unmounting.
 */
void notifier_stop(struct notifier *n);

/*
 * Ends the thread and frees @n. Call after notifier_stop and fuse_session_unmount: unmounting
 * aborts a request the notifier may still be waiting for, so that it can end.
 */
void notifier_free(struct notifier *n);

/* Whether @req comes from the notifier's own thread (a replay through the mountpoint), which is
 * no use of the mount by anyone (tree_note_use). NULL @n: false. */
bool notifier_owns(struct notifier *n, struct fuse_req *req);

/*
 * The answers to the notifier's own requests. Each replies to @req and returns true when
 * @req is the notifier's own request of that kind during a replay; otherwise it replies
 * nothing and returns false, and the handler answers as usual. @deadline (monotonic) bounds
 * the tree call some of them make.
 */
/* A lookup of @parent/@name during an unlink or symlink replay: the link being removed (a
 * symlink inode @child, so that the unlink reaches us), or ENOENT for the one being made. */
bool notifier_reply_own_lookup(struct notifier *n, struct fuse_req *req, guint64 parent,
                               const char *name);
/* The touch of a changed file: its attributes as they are now. */
bool notifier_reply_own_setattr(struct notifier *n, struct fuse_req *req, guint64 ino,
                                gint64 deadline);
/* The unlink of a link the tree has already dropped: success. */
bool notifier_reply_own_unlink(struct notifier *n, struct fuse_req *req, guint64 parent,
                               const char *name);
/* The symlink of a link the tree now has: that link's entry. */
bool notifier_reply_own_symlink(struct notifier *n, struct fuse_req *req, guint64 parent,
                                const char *name, gint64 deadline);

#endif
