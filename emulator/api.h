/* api: the emulated VIAS task API, as the gateway and the service answer it.
 *
 * Routes /v2/{project_id}/tasks (list), /v2/{project_id}/tasks/{task_id} (detail; PUT:
 * update, DELETE: delete), .../tasks/{task_id}/action/{command} (start, stop) and
 * /v2/{project_id}/services/{service_name}/tasks (create), and checks in the documented
 * order: path, credentials (auth.c: token or AK/SK signature), project, method, then the
 * call's parameters (query.c, taskctl.c). /v3/auth/tokens goes to the emulated
 * IAM (iam.c), which needs no credentials. Faults and latency (faults.c) come after routing
 * and before the credential check, as a gateway's throttling would. Every API request is
 * counted (stats.c), and so is what authentication decided; every control request is entered
 * in the audit record (audit.c) on arrival, before latency and faults.
 *
 * The control interface is control.c; the HTTP server is server.c. */
#pragma once

#include "emulator.h"
#include "reply.h"
#include "request.h"

/* Answers API request r into out (out->mode may ask for a fault on the wire). */
void api_handle(struct emulator *e, struct request *r, struct reply *out);
