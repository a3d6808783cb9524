/*
 * poll-state: print a viasfs state file's value each time it changes, the sysfs way:
 * poll() for POLLPRI|POLLERR, then lseek to 0 and read the same descriptor again.
 *
 *   poll-state MOUNT/tasks/<id>/state [TIMEOUT_SECONDS]
 *
 * Prints the current value, then one line per change. Exits 0 after the timeout (default:
 * wait forever), 1 on errors. Built by `make` as build/examples/poll-state.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int read_value(int fd, char *buf, size_t size)
{
    ssize_t n;

    if (lseek(fd, 0, SEEK_SET) < 0)
        return -1;
    n = read(fd, buf, size - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

int main(int argc, char **argv)
{
    char value[4096];
    int timeout_ms = argc > 2 ? atoi(argv[2]) * 1000 : -1;
    int fd;

    if (argc < 2) {
        fprintf(stderr, "usage: poll-state FILE [TIMEOUT_SECONDS]\n");
        return 1;
    }
    fd = open(argv[1], O_RDONLY);
    if (fd < 0 || read_value(fd, value, sizeof(value)) < 0) {
        fprintf(stderr, "poll-state: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    printf("%s", value);
    fflush(stdout);
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLPRI | POLLERR};
        int n = poll(&p, 1, timeout_ms);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "poll-state: poll: %s\n", strerror(errno));
            return 1;
        }
        if (n == 0)
            return 0; /* timed out with no change */
        /* viasfs signals a change with POLLPRI|POLLERR; POLLERR alone is the kernel saying
         * the file system is gone (unmounted or its daemon stopped). */
        if (!(p.revents & POLLPRI) || (p.revents & (POLLNVAL | POLLHUP))) {
            fprintf(stderr, "poll-state: %s: the file system went away\n", argv[1]);
            return 1;
        }
        if (read_value(fd, value, sizeof(value)) < 0 || value[0] == '\0') {
            /* A state file is never empty: an empty read means it is gone (unmounted). */
            fprintf(stderr, "poll-state: read: %s\n", value[0] ? strerror(errno) : "no data");
            return 1;
        }
        printf("%s", value);
        fflush(stdout);
    }
}
