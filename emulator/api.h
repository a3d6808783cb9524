/* api: the emulated VIAS task API, as the gateway and the service answer it.
 *
 * Routes /v2/{project_id}/tasks (list), /v2/{project_id}/tasks/{task_id} (detail) and
 * .../action/{start|stop}, and checks in the documented order: path, token, project, method,
 * parameters. Faults and latency (faults.c) come after routing and before the token check, as
 * a gateway's throttling would. Every API request is counted (stats.c).
 *
 * Room is left for POST /v3/auth/tokens (IAM) and AK/SK signatures: both go through auth.c.
 * The control interface is control.c; the HTTP server is server.c. */
#pragma once

#include "emulator.h"
#include "reply.h"
#include "request.h"

/* Answers API request r into out (out->mode may ask for a fault on the wire). */
void api_handle(struct emulator *e, struct request *r, struct reply *out);
