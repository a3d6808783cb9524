/* audit: the record of the task control requests the emulator served, for tests.
 *
 * Every API request to a control endpoint (start/stop, delete, update, create: endpoint.h)
 * is entered when it arrives, before latency and faults, with status 0, and completed when
 * its answer is ready; a request that never gets an answer (dropped, or stalled until now)
 * stays at status 0. Entries keep arrival order. The record is bounded: beyond
 * AUDIT_ENTRIES_MAX entries, or AUDIT_BODY_BYTES_MAX bytes of bodies, the oldest go; a body
 * beyond AUDIT_BODY_MAX bytes is kept cut, and flagged.
 *
 * Locking: one mutex. It does not route or answer requests (api.c, control.c). */
#pragma once

#include "json.h"
#include "request.h"

#include <glib.h>

#define AUDIT_ENTRIES_MAX    10000
#define AUDIT_BODY_MAX       (1u << 20)
#define AUDIT_BODY_BYTES_MAX (64u << 20)

struct audit;

struct audit *audit_new(void);
void audit_free(struct audit *a);

/* Enters request r for task task_id (NULL for create) and verb (start, stop, delete,
 * update, create, or the unknown command as sent). Returns the entry's number for
 * audit_end(). */
guint64 audit_begin(struct audit *a, const struct request *r, const char *task_id,
                    const char *verb);

/* What became of entry n (nothing when it has been dropped from the record since):
 * status (0: no answer), error_code (NULL when none), the fault that spoiled the answer
 * (NULL), the state the call put the task in (NULL when it changed none), and for create
 * the new ids (NULL, or char * borrowed; task_id becomes the first). */
void audit_end(struct audit *a, guint64 n, unsigned status, const char *error_code,
               const char *fault, const char *state, const GPtrArray *ids);

/* {"count":N,"controls":[{"method","path","task_id","verb","body","status","error_code",
 * "time_ms","state","fault"[,"ids"][,"body_truncated"|"body_base64"]},...]}, oldest first.
 * Caller frees. */
cJSON *audit_to_json(struct audit *a);

/* Forgets every entry. */
void audit_clear(struct audit *a);
