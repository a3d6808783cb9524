/* stats: counts of the API requests the emulator served, by endpoint and HTTP status.
 *
 * Lock-free: each counter is an atomic int. Control requests are not counted. A request that
 * was dropped (closed without an answer) counts in the total only. The fault counters live in
 * faults.c; the control interface shows both together. */
#pragma once

#include "endpoint.h"
#include "json.h"

#define STATS_STATUS_MAX 600

struct stats {
    gint total;                                    /* atomic */
    gint status[ENDPOINT_COUNT][STATS_STATUS_MAX]; /* atomic; index = HTTP status */
};

void stats_init(struct stats *s);
/* Counts one API request; status 0 means it got no answer (dropped). */
void stats_count(struct stats *s, enum endpoint e, unsigned status);
/* Sets every counter to zero. */
void stats_reset(struct stats *s);
/* {"total":N,"requests":{"list":{"200":n,...},"detail":{...},"other":{...}}}. Caller frees. */
cJSON *stats_to_json(struct stats *s);
