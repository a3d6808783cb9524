/*
 * hangup: the self-pipe way to handle SIGHUP (see hangup.h). The pipe is made once per
 * process and never closed: a handler already running on another thread when hangup_stop
 * puts the old action back may still write to it, and must not find its descriptor closed
 * or reused. Its write end is non-blocking, so a handler never waits on a full pipe (a full
 * pipe already holds a wake-up).
 */
#include "viasfs/hangup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <glib.h>

enum { WAKE = 'h', QUIT = 'q' };

struct hangup {
    void (*fn)(void *data);
    void *data;
    struct sigaction old;
    GThread *thread;
};

/* The pipe: read end, write end. Set once, before any handler is installed. */
static int pipe_fds[2] = {-1, -1};
static GOnce pipe_once = G_ONCE_INIT;

static gpointer pipe_setup(gpointer unused)
{
    if (pipe2(pipe_fds, O_CLOEXEC) < 0)
        return GINT_TO_POINTER(errno);
    fcntl(pipe_fds[1], F_SETFL, fcntl(pipe_fds[1], F_GETFL) | O_NONBLOCK);
    return GINT_TO_POINTER(0);
}

static void on_sighup(int sig)
{
    int saved = errno;
    char c = WAKE;

    if (write(pipe_fds[1], &c, 1) < 0) {
        /* full: a wake-up is pending anyway */
    }
    errno = saved;
}

static gpointer hangup_main(gpointer data)
{
    struct hangup *h = data;

    for (;;) {
        char buf[64];
        ssize_t n = read(pipe_fds[0], buf, sizeof(buf));
        bool wake = false;

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == QUIT)
                return NULL; /* wake-ups after it are dropped: we are stopping */
            wake |= buf[i] == WAKE;
        }
        if (wake)
            h->fn(h->data);
    }
}

struct hangup *hangup_start(void (*fn)(void *data), void *data, char **why)
{
    struct hangup *h;
    struct sigaction sa;
    int err = GPOINTER_TO_INT(g_once(&pipe_once, pipe_setup, NULL));

    if (err) {
        *why = g_strdup_printf("SIGHUP: cannot make a pipe: %s", g_strerror(err));
        return NULL;
    }
    h = g_new0(struct hangup, 1);
    h->fn = fn;
    h->data = data;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sighup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGHUP, &sa, &h->old) < 0) {
        *why = g_strdup_printf("SIGHUP: cannot install a handler: %s", g_strerror(errno));
        g_free(h);
        return NULL;
    }
    h->thread = g_thread_new("hangup", hangup_main, h);
    return h;
}

void hangup_stop(struct hangup *h)
{
    char c = QUIT;

    if (!h)
        return;
    sigaction(SIGHUP, &h->old, NULL);
    /* The pipe is non-blocking: when full, the thread is draining it; try again. */
    for (;;) {
        ssize_t n = write(pipe_fds[1], &c, 1);
        if (n == 1 || (n < 0 && errno != EINTR && errno != EAGAIN))
            break;
        g_usleep(1000);
    }
    g_thread_join(h->thread);
    g_free(h);
}
