/*
 * watchers: the inotify watches on this mount, read from /proc (see watchers.h). Each scan is
 * a walk of /proc: opendir of every process's fd directory (refused, and skipped, for
 * processes the daemon may not inspect), readlink of each descriptor, and a read of the
 * fdinfo of each inotify instance. Nothing is kept between scans but the device and the
 * counters.
 */
#include "viasfs/watchers.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FDINFO_MAX = 1 << 20 }; /* an instance with ~8000 watches; a longer fdinfo is cut */

struct watchers {
    char *mountpoint;
    bool have_dev;
    unsigned long dev; /* kernel encoding: major << 20 | minor */
    GMutex lock;       /* protects stats */
    struct watchers_stats stats;
};

struct watchers *watchers_new(const char *mountpoint)
{
    struct watchers *w = g_new0(struct watchers, 1);

    w->mountpoint = g_strdup(mountpoint);
    g_mutex_init(&w->lock);
    return w;
}

void watchers_free(struct watchers *w)
{
    if (!w)
        return;
    g_mutex_clear(&w->lock);
    g_free(w->mountpoint);
    g_free(w);
}

/* A mountinfo path field with its octal escapes (\040 for a space...) undone, in place. */
static void unescape(char *s)
{
    char *out = s;

    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *out++ = *s;
        }
    }
    *out = '\0';
}

/* The device of the last mount at w->mountpoint: "ID PARENT MAJOR:MINOR ROOT MOUNTPOINT ...". */
static int find_dev(struct watchers *w)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    char line[4096];
    bool found = false;

    if (!f)
        return -errno;
    while (fgets(line, sizeof line, f)) {
        unsigned major, minor;
        char root[2048], point[2048];

        if (sscanf(line, "%*u %*u %u:%u %2047s %2047s", &major, &minor, root, point) != 4)
            continue;
        unescape(point);
        if (strcmp(point, w->mountpoint) != 0)
            continue;
        w->dev = ((unsigned long)major << 20) | minor;
        found = true; /* the last one mounted there is the one seen */
    }
    fclose(f);
    if (!found)
        return -ENOENT;
    w->have_dev = true;
    return 0;
}

/* Reads a small /proc file relative to @dirfd into a new string, or NULL. */
static char *read_small(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    GString *s;
    char buf[4096];
    ssize_t n;

    if (fd < 0)
        return NULL;
    s = g_string_new(NULL);
    while ((n = read(fd, buf, sizeof buf)) > 0 && s->len < FDINFO_MAX)
        g_string_append_len(s, buf, n);
    close(fd);
    return g_string_free(s, FALSE);
}

/* The watches on our device in one instance's fdinfo text; returns how many. */
static guint parse_fdinfo(const struct watchers *w, const char *text, GArray *inos)
{
    guint n = 0;

    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        unsigned long ino, sdev;
        guint64 v;

        if (strncmp(p, "inotify wd:", 11) != 0)
            continue;
        if (sscanf(p, "inotify wd:%*x ino:%lx sdev:%lx", &ino, &sdev) != 2 || sdev != w->dev)
            continue;
        v = ino;
        g_array_append_val(inos, v);
        n++;
    }
    return n;
}

/* One process: its inotify instances' watches on our device. */
static void scan_process(struct watchers *w, int proc_fd, const char *pid,
                         struct watchers_stats *st, GArray *inos)
{
    g_autofree char *fd_path = g_strdup_printf("%s/fd", pid);
    g_autofree char *info_path = g_strdup_printf("%s/fdinfo", pid);
    int dfd = openat(proc_fd, fd_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int ifd = -1;
    struct dirent *e;
    DIR *d;

    if (dfd < 0)
        return; /* gone, or not ours to read */
    d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    st->processes++;
    while ((e = readdir(d))) {
        char target[64];
        ssize_t n;

        if (e->d_name[0] == '.')
            continue;
        st->descriptors++;
        n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strcmp(target, "anon_inode:inotify") != 0)
            continue;
        st->instances++;
        if (ifd < 0 && (ifd = openat(proc_fd, info_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            break;
        g_autofree char *text = read_small(ifd, e->d_name);
        if (text)
            st->watches += parse_fdinfo(w, text, inos);
    }
    if (ifd >= 0)
        close(ifd);
    closedir(d);
}

int watchers_scan(struct watchers *w, GArray *inos)
{
    struct watchers_stats st = {0};
    gint64 start = g_get_monotonic_time();
    char self[16];
    struct dirent *e;
    int rc, proc_fd;
    DIR *d;

    if (!w->have_dev && (rc = find_dev(w)) < 0)
        return rc;
    proc_fd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (proc_fd < 0)
        return -errno;
    d = fdopendir(dup(proc_fd));
    if (!d) {
        rc = -errno;
        close(proc_fd);
        return rc;
    }
    snprintf(self, sizeof self, "%d", (int)getpid());
    while ((e = readdir(d))) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9' || strcmp(e->d_name, self) == 0)
            continue;
        scan_process(w, proc_fd, e->d_name, &st, inos);
    }
    closedir(d);
    close(proc_fd);
    g_mutex_lock(&w->lock);
    st.scans = w->stats.scans + 1;
    st.last_at_us = g_get_monotonic_time();
    st.last_cost_us = st.last_at_us - start;
    w->stats = st;
    g_mutex_unlock(&w->lock);
    return (int)st.watches;
}

void watchers_get_stats(struct watchers *w, struct watchers_stats *out)
{
    if (!w) {
        *out = (struct watchers_stats){0};
        return;
    }
    g_mutex_lock(&w->lock);
    *out = w->stats;
    g_mutex_unlock(&w->lock);
}
