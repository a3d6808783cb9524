/*
 * watchers: the inotify watches other processes hold on this mount, found without their
 * help. The kernel lists every watch of an inotify descriptor in /proc/PID/fdinfo/FD, one
 * line each: "inotify wd:N ino:HEX sdev:HEX ...". ino is the watched inode's number (on a
 * FUSE mount: the inode number the filesystem gave it) and sdev its superblock's device in
 * the kernel's internal encoding (major << 20 | minor, not the st_dev encoding stat(2)
 * returns; checked on Linux 6.18: a FUSE mount at 0:40 shows sdev:28). A scan reads, for
 * every process whose /proc/PID/fd it may read (its own user's; all of them as root), the
 * links of its descriptors, and the fdinfo of those that are inotify instances.
 * The mount's device comes from /proc/self/mountinfo, at the first scan (the mount exists
 * by then); no request is made through the mount.
 *
 * It is not: a judge of what a watch means (the tree classifies inode numbers) or a timer
 * (the refresh decides when to scan). Threads: watchers_scan is called by one thread at a
 * time (the refresh); watchers_get_stats from any.
 */
#ifndef VIASFS_WATCHERS_H
#define VIASFS_WATCHERS_H

#include <glib.h>

struct watchers;

/* For the mount at @mountpoint (absolute, as /proc/self/mountinfo shows it; copied). */
struct watchers *watchers_new(const char *mountpoint);
void watchers_free(struct watchers *w); /* NULL is fine */

/*
 * Appends to @inos (guint64) the inode number of every inotify watch on the mount's device,
 * one per watch (an inode watched twice comes twice). Returns the number appended, or -ENOENT
 * when the mount is not in /proc/self/mountinfo (-errno when /proc cannot be read).
 */
int watchers_scan(struct watchers *w, GArray *inos);

struct watchers_stats {
    guint64 scans;       /* scans made */
    gint64 last_at_us;   /* monotonic time the last scan ended; 0 never */
    gint64 last_cost_us; /* how long it took */
    guint processes;     /* processes whose descriptors it read */
    guint descriptors;   /* descriptors it looked at */
    guint instances;     /* inotify instances found (any filesystem) */
    guint watches;       /* watches on this mount */
};
void watchers_get_stats(struct watchers *w, struct watchers_stats *out);

#endif
