/* emulator: the parts of vias-emulator wired together.
 *
 * Owns the data set, its generator, the emulated IAM, the access keys, the authenticator, the
 * fault injector, the counters, the lifecycle (delayed state changes of the control calls)
 * and its thread, the audit record of control requests, and the churn thread, built from the
 * options. The HTTP handlers
 * (api.c, control.c) get one struct emulator and reach everything through it. It does not speak
 * HTTP (server.c) and does not parse the command line (options.c). */
#pragma once

#include "aksk.h"
#include "audit.h"
#include "auth.h"
#include "churn.h"
#include "faults.h"
#include "generator.h"
#include "iam.h"
#include "lifecycle.h"
#include "options.h"
#include "stats.h"
#include "store.h"

#include <glib.h>

/* Error domain of emulator_new(): a problem with the user's input (exit status 2). */
#define EMULATOR_ERROR (emulator_error_quark())
GQuark emulator_error_quark(void);

struct emulator {
    const struct options *opts;  /* borrowed; outlives the emulator */
    struct store *store;         /* owned; locks itself */
    struct generator *generator; /* owned; locks itself */
    struct iam *iam;             /* owned; locks itself */
    struct aksk *aksk;           /* owned; locks itself */
    struct auth *auth;           /* owned; borrows iam and aksk */
    struct faults *faults;       /* owned; locks itself */
    struct stats stats;          /* atomics */
    struct lifecycle *lifecycle; /* owned; its thread runs until emulator_free() */
    struct audit *audit;         /* owned; locks itself */
    struct churn *churn;         /* owned; its thread runs until emulator_free() */
};

/* Builds the data set (generated, or loaded from opts->data) and everything else. NULL with
 * *error set when the input is unusable (EMULATOR_ERROR: bad data, token, users or key file). */
struct emulator *emulator_new(const struct options *opts, GError **error);

/* Wakes every waiting request (stalls, latency) for good: the server is about to stop. */
void emulator_shutdown(struct emulator *e);

/* Stops the churn and lifecycle threads and frees everything. Call after the server has stopped. */
void emulator_free(struct emulator *e);
