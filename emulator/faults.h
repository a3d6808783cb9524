/* faults: the latency and failures the emulator injects into API requests, on request.
 *
 * A configuration (set through the control interface, see README.md) gives a latency, the
 * endpoints it applies to (a comma-separated list of endpoint names; "all" is every VIAS
 * request, unknown paths included, but not IAM's /v3/auth/tokens, which only "iam" selects, so
 * a client's token request never eats a fault meant for its API calls), and for each fault a
 * probability `rate` and an optional `count` of how many more times it may fire. Each API request
 * draws its plan from one seeded GRand, so a given sequence of requests meets the same faults. A
 * stall waits inside the request's own thread (one thread per connection), so it blocks nobody
 * else; it ends after stall_ms, when the configuration changes, or at shutdown.
 *
 * It decides and waits; carrying out a drop, a truncation or a malformed body is reply.c's
 * job, and answering 429/500 is api.c's. */
#pragma once

#include "endpoint.h"
#include "json.h"

#include <stdbool.h>

enum fault_kind {
    FAULT_ERROR_500, /* 500 with the service error body VIAS.00010006 */
    FAULT_ERROR_429, /* 429 with the gateway body APIG.0308 */
    FAULT_STALL,     /* no answer for stall_ms, then the normal answer */
    FAULT_DROP,      /* close the connection without an answer */
    FAULT_TRUNCATE,  /* full Content-Length, part of the body, then close */
    FAULT_MALFORMED, /* 200 with a body that is not JSON */
    FAULT_COUNT,
    FAULT_NONE = -1
};

/* What one request meets. */
struct fault_plan {
    unsigned latency_ms;
    bool stall;
    unsigned stall_ms;       /* 0: until the configuration changes or shutdown */
    guint64 generation;      /* the configuration the stall belongs to */
    enum fault_kind outcome; /* FAULT_NONE, or the one fault (not STALL) that fired */
    bool drop_after;         /* FAULT_DROP: carry the request out first ("after": true) */
};

struct faults;

/* Faults drawn from `seed`, starting with only a latency of latency_ms on every endpoint. */
struct faults *faults_new(guint64 seed, unsigned latency_ms);
void faults_free(struct faults *f);

/* The name of fault k ("error_500", ..., "malformed"). */
const char *fault_name(enum fault_kind k);

/* Replaces the configuration with `config`; members it lacks are off (latency 0, endpoints
 * "all"). 0, or -EINVAL with a message in *error (caller frees). Releases stalled requests. */
int faults_set(struct faults *f, const cJSON *config, char **error);
/* Turns everything off and releases stalled requests. */
void faults_clear(struct faults *f);
/* The configuration, in the form faults_set() takes. Caller frees. */
cJSON *faults_to_json(struct faults *f);

/* Decides the plan of one request to endpoint e (a list request asking for page `page`; 0
 * for other requests), counting the faults that fire. A configuration with "from_page": N
 * leaves list requests for pages before N alone (no latency, no fault): page 1 of a walk
 * succeeds, page 2 fails. */
void faults_plan(struct faults *f, enum endpoint e, long page, struct fault_plan *plan);
/* Waits out the plan's latency and stall. 0, or -ECANCELED when shutdown cut it short. */
int faults_wait(struct faults *f, const struct fault_plan *plan);
/* Wakes every waiter for good: the emulator is stopping. */
void faults_shutdown(struct faults *f);

/* {"error_500":n,"error_429":n,"stall":n,"drop":n,"truncate":n,"malformed":n}. Caller frees. */
cJSON *faults_fired_to_json(struct faults *f);
void faults_fired_reset(struct faults *f);
