/* main: vias-emulator's entry point.
 *
 * Parses the options, builds the emulator, starts the server, writes the port file, then
 * waits for SIGINT or SIGTERM (blocked in every thread and taken with sigwait, so no handler
 * runs in a random thread) and stops cleanly with status 0. Bad options and unusable input
 * files (data, tokens, users, keys, TLS certificate and key) exit with status 2 and one line
 * on stderr; a failure to listen (or to start TLS) exits with 1. */
#include "emulator.h"
#include "options.h"
#include "server.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Writes "PORT\n" to path atomically (a reader never sees a partial file). */
static int write_port_file(const char *path, unsigned port, GError **error)
{
    g_autofree char *text = g_strdup_printf("%u\n", port);
    return g_file_set_contents(path, text, -1, error) ? 0 : -EIO;
}

/* Reads the --tls-cert and --tls-key files (when given) into *cert and *key. */
static int read_tls_files(const struct options *o, char **cert, char **key, GError **error)
{
    *cert = *key = NULL;
    if (o->tls_cert == NULL)
        return 0;
    GError *err = NULL;
    if (!g_file_get_contents(o->tls_cert, cert, NULL, &err) ||
        strstr(*cert, "-----BEGIN CERTIFICATE-----") == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--tls-cert: %s%s",
                    err != NULL ? err->message : o->tls_cert,
                    err != NULL ? "" : ": not a PEM certificate");
        g_clear_error(&err);
        return -EINVAL;
    }
    if (!g_file_get_contents(o->tls_key, key, NULL, &err) ||
        strstr(*key, "PRIVATE KEY-----") == NULL) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "--tls-key: %s%s",
                    err != NULL ? err->message : o->tls_key,
                    err != NULL ? "" : ": not a PEM private key");
        g_clear_error(&err);
        return -EINVAL;
    }
    return 0;
}

/* Wipes and frees a key read from a file. */
static void free_secret(char *s)
{
    if (s != NULL)
        memset(s, 0, strlen(s));
    g_free(s);
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
    g_autofree char *tls_cert = NULL;
    char *tls_key = NULL;
    if (read_tls_files(&opts, &tls_cert, &tls_key, &err) < 0) {
        fprintf(stderr, "vias-emulator: %s\n", err->message);
        free_secret(tls_key);
        options_release(&opts);
        return 2;
    }
    struct emulator *e = emulator_new(&opts, &err);
    if (e == NULL) {
        fprintf(stderr, "vias-emulator: %s\n", err->message);
        free_secret(tls_key);
        options_release(&opts);
        return 2;
    }
    struct server_config sc = {.addr = opts.bind,
                               .port = opts.port,
                               .verbose = opts.verbose,
                               .tls_cert_pem = tls_cert,
                               .tls_key_pem = tls_key};
    struct server *s = server_start(e, &sc, &err);
    free_secret(tls_key);
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
    fprintf(stderr,
            "vias-emulator: listening on %s://%s%s%s:%u/ (%u tasks, project %s, region %s, "
            "%.2fs)\n",
            opts.tls_cert != NULL ? "https" : "http", strchr(opts.bind, ':') ? "[" : "", opts.bind,
            strchr(opts.bind, ':') ? "]" : "", server_port(s), store_count(e->store),
            opts.project_id, opts.region, (double)(g_get_monotonic_time() - t0) / 1e6);

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
