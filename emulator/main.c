/* main: vias-emulator's entry point.
 *
 * Parses the options, builds the emulator, starts the server, writes the port file, then
 * waits for SIGINT or SIGTERM (blocked in every thread and taken with sigwait, so no handler
 * runs in a random thread) and stops cleanly with status 0. Bad options and unusable input
 * files exit with status 2 and one line on stderr; a failure to listen exits with 1. */
#include "emulator.h"
#include "options.h"
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

/* Writes "PORT\n" to path atomically (a reader never sees a partial file). */
static int write_port_file(const char *path, unsigned port, GError **error)
{
    g_autofree char *text = g_strdup_printf("%u\n", port);
    return g_file_set_contents(path, text, -1, error) ? 0 : -EIO;
}

/* Lets the process hold as many connections as its hard limit allows. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    struct options opts;
    g_autofree char *bad = NULL;
    int rc = options_parse(&opts, argc, argv, &bad);
    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "vias-emulator: %s (see --help)\n", bad);
        options_release(&opts);
        return rc < 0 ? 2 : 0;
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* before any thread starts */
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();

    gint64 t0 = g_get_monotonic_time();
    g_autoptr(GError) err = NULL;
    struct emulator *e = emulator_new(&opts, &err);
    if (e == NULL) {
        fprintf(stderr, "vias-emulator: %s\n", err->message);
        options_release(&opts);
        return 2;
    }
    struct server *s = server_start(e, opts.bind, opts.port, opts.verbose, &err);
    if (s == NULL) {
        fprintf(stderr, "vias-emulator: %s\n", err->message);
        emulator_shutdown(e);
        emulator_free(e);
        options_release(&opts);
        return 1;
    }
    if (opts.port_file != NULL && write_port_file(opts.port_file, server_port(s), &err) < 0) {
        fprintf(stderr, "vias-emulator: --port-file: %s\n", err->message);
        emulator_shutdown(e);
        server_stop(s);
        emulator_free(e);
        options_release(&opts);
        return 1;
    }
    fprintf(stderr, "vias-emulator: listening on http://%s%s%s:%u/ (%u tasks, project %s, %.2fs)\n",
            strchr(opts.bind, ':') ? "[" : "", opts.bind, strchr(opts.bind, ':') ? "]" : "",
            server_port(s), store_count(e->store), opts.project_id,
            (double)(g_get_monotonic_time() - t0) / 1e6);

    int sig = 0;
    while (sigwait(&sigs, &sig) != 0)
        ;
    if (opts.verbose)
        fprintf(stderr, "vias-emulator: signal %d: stopping\n", sig);
    emulator_shutdown(e);
    server_stop(s);
    emulator_free(e);
    options_release(&opts);
    return 0;
}
