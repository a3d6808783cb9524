/* stats: counts of the API requests the emulator served, by endpoint and HTTP status, and of
 * what authentication decided.
 *
 * Lock-free: each counter is an atomic int. Control requests are not counted. A request that
 * was dropped (closed without an answer) counts in the total only. The fault counters live in
 * faults.c; the control interface shows both together. */
#pragma once

#include "endpoint.h"
#include "json.h"

#define STATS_STATUS_MAX 600

/* What authentication decided, for the counters. */
enum stats_auth {
    STATS_TOKENS_ISSUED,  /* POST /v3/auth/tokens answered 201 */
    STATS_IAM_FAILURES,   /* POST /v3/auth/tokens refused (400, 401, 405, ...) */
    STATS_TOKENS_EXPIRED, /* an issued token refused as expired or revoked (APIG.0307) */
    STATS_AKSK_ACCEPTED,  /* a request whose AK/SK signature verified */
    STATS_AKSK_FAILED,    /* an AK/SK request refused, except while its AK was locked */
    STATS_AKSK_LOCKED,    /* an AK/SK request refused because its AK was locked */
    STATS_AUTH_COUNT
};

struct stats {
    gint total;                                    /* atomic */
    gint status[ENDPOINT_COUNT][STATS_STATUS_MAX]; /* atomic; index = HTTP status */
    gint auth[STATS_AUTH_COUNT];                   /* atomic */
};

void stats_init(struct stats *s);
/* Counts one API request; status 0 means it got no answer (dropped). */
void stats_count(struct stats *s, enum endpoint e, unsigned status);
/* Counts one authentication event. */
void stats_count_auth(struct stats *s, enum stats_auth what);
/* Sets every counter to zero. */
void stats_reset(struct stats *s);
/* {"total":N,"requests":{"list":{"200":n,...},"detail":{...},...one per endpoint (endpoint.h)},
 *  "auth":{"tokens_issued":n,"iam_failures":n,"tokens_expired":n,"aksk_accepted":n,
 *          "aksk_failed":n,"aksk_locked":n}}. Caller frees. */
cJSON *stats_to_json(struct stats *s);
