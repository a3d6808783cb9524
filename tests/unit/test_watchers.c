/* Unit tests: watchers (watchers.h) find another process's inotify watch on a filesystem by
 * its inode number, and only on that filesystem's device; with the watch gone, nothing. The
 * filesystem is the one holding a fresh temporary directory, found in /proc/self/mountinfo
 * by its mount point (df's answer, via stat's device). */
#include "viasfs/watchers.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* The mount point of the filesystem holding @path, from /proc/self/mountinfo. */
static char *mount_point_of(const char *path)
{
    struct stat st;
    char line[4096], *found = NULL;
    FILE *f = fopen("/proc/self/mountinfo", "re");

    g_assert_nonnull(f);
    g_assert_cmpint(stat(path, &st), ==, 0);
    while (fgets(line, sizeof line, f)) {
        unsigned maj, min;
        char root[2048], point[2048];
        if (sscanf(line, "%*u %*u %u:%u %2047s %2047s", &maj, &min, root, point) == 4 &&
            maj == (unsigned)major(st.st_dev) && min == (unsigned)minor(st.st_dev) &&
            strcmp(root, "/") == 0) {
            g_free(found);
            found = g_strdup(point);
        }
    }
    fclose(f);
    return found;
}

/* A child holding an inotify watch on @path until killed; its pid. */
static pid_t watch_in_child(const char *path)
{
    int ready[2];
    char c;
    pid_t pid;

    g_assert_cmpint(pipe(ready), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        int fd = inotify_init1(IN_CLOEXEC);
        if (fd < 0 || inotify_add_watch(fd, path, IN_ALL_EVENTS) < 0)
            _exit(1);
        if (write(ready[1], "x", 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    close(ready[1]);
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    close(ready[0]);
    return pid;
}

static bool has_ino(GArray *inos, guint64 ino)
{
    for (guint i = 0; i < inos->len; i++)
        if (g_array_index(inos, guint64, i) == ino)
            return true;
    return false;
}

static void test_finds_watch(void)
{
    g_autofree char *dir = g_dir_make_tmp("watchers-XXXXXX", NULL);
    g_autofree char *point = mount_point_of(dir);
    g_autoptr(GArray) before = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GArray) during = g_array_new(FALSE, FALSE, sizeof(guint64));
    g_autoptr(GArray) other = g_array_new(FALSE, FALSE, sizeof(guint64));
    struct watchers *w, *elsewhere;
    struct watchers_stats st;
    struct stat sb;
    pid_t child;
    int n;

    if (!point) {
        g_test_skip("the temporary directory's filesystem is not in mountinfo");
        return;
    }
    g_assert_cmpint(stat(dir, &sb), ==, 0);
    w = watchers_new(point);
    g_assert_cmpint(watchers_scan(w, before), >=, 0);
    g_assert_false(has_ino(before, sb.st_ino)); /* the pair: nobody watches it yet */

    child = watch_in_child(dir);
    n = watchers_scan(w, during);
    g_assert_cmpint(n, >=, 1);
    g_assert_true(has_ino(during, sb.st_ino));
    watchers_get_stats(w, &st);
    g_assert_cmpuint(st.scans, ==, 2);
    g_assert_cmpuint(st.instances, >=, 1);
    g_assert_cmpuint(st.processes, >=, 1);

    /* Another mount's watchers do not see it (the device differs). */
    elsewhere = watchers_new(strcmp(point, "/proc") == 0 ? "/sys" : "/proc");
    g_assert_cmpint(watchers_scan(elsewhere, other), >=, 0);
    g_assert_false(has_ino(other, sb.st_ino));
    watchers_free(elsewhere);

    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    g_array_set_size(during, 0);
    g_assert_cmpint(watchers_scan(w, during), >=, 0);
    g_assert_false(has_ino(during, sb.st_ino));
    watchers_free(w);
    rmdir(dir);
}

static void test_unknown_mount(void)
{
    struct watchers *w = watchers_new("/no/such/mount/point");
    g_autoptr(GArray) inos = g_array_new(FALSE, FALSE, sizeof(guint64));

    g_assert_cmpint(watchers_scan(w, inos), ==, -ENOENT);
    g_assert_cmpuint(inos->len, ==, 0);
    watchers_free(w);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/watchers/finds-watch", test_finds_watch);
    g_test_add_func("/watchers/unknown-mount", test_unknown_mount);
    return g_test_run();
}
