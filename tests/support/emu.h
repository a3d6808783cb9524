/*
 * emu: the real vias-emulator, started for one test on a free port with a token file, and
 * its control interface. The binary is $BUILD/vias-emulator (BUILD defaults to "build").
 */
#ifndef VIASFS_TEST_EMU_H
#define VIASFS_TEST_EMU_H

#include <glib.h>

struct emu {
    GPid pid;
    char *dir; /* temporary directory for the port and token files */
    char *url; /* "http://127.0.0.1:PORT" */
    char *project_id;
    char *token;
    char *token_file;
};

/* Starts the emulator with @args (NULL-terminated extra options) and waits until it listens.
 * Aborts the test when it cannot start. */
struct emu *emu_start(const char *const *args);
/* Stops it (SIGTERM, then waits) and removes its files. */
void emu_stop(struct emu *e);

/*
 * A control request: @method on "/_emulator/..." with an optional JSON @body. Returns the
 * HTTP status and, if @out is not NULL, the answer body (caller frees).
 */
long emu_control(struct emu *e, const char *method, const char *path, const char *body, char **out);

/* Requests served for "list" or "detail" with @status (0 = any status), from the counters. */
long emu_served(struct emu *e, const char *endpoint, int status);

#endif
