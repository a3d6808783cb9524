/*
 * fs: the FUSE layer, the only user of libfuse. Thin low-level handlers (decode, one call
 * into the tree, one reply) and the session around them: mount, daemonize, the
 * multi-threaded loop, signals, unmount. Kernel cache invalidations asked for by the tree
 * are queued and sent from a notifier thread (notifier.h), never from inside a request handler.
 */
#ifndef VIASFS_FS_H
#define VIASFS_FS_H

#include <stdbool.h>
#include <glib.h>

#include "viasfs/tree.h"

struct fs_config {
    struct tree *tree; /* borrowed */
    const char *mountpoint;
    GPtrArray *fuse_argv; /* char *: argv[0] then FUSE options; borrowed */
    bool foreground;      /* false: daemonize once mounted */
    int timeout_s;        /* deadline of one operation */
    /* Called once mounted and in the background, before serving (start threads here). */
    void (*on_mounted)(void *data);
    void *on_mounted_data;
};

/*
 * Mounts, serves until unmounted or signalled (SIGINT and SIGTERM unmount cleanly; SIGHUP
 * drops the caches, as tree_refresh_all), and unmounts. Returns 0, or -errno with *@why
 * (caller frees) when the mount could not be made: -EINVAL when FUSE did not accept its
 * options (libfuse has said which on stderr). The tree's notifier is installed here.
 */
int fs_run(const struct fs_config *cfg, char **why);

#endif
