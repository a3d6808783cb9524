/* taskctl: the task control calls of the API, answered after api.c's checks (path,
 * credentials, project, method).
 *
 * PUT .../tasks/{id}/action/{start|stop}, DELETE .../tasks/{id}, PUT .../tasks/{id} and
 * POST .../services/{service_name}/tasks: each checks its parameters (the command, or the
 * body: taskbody.c), then the task (400 VIAS.00010007 when unknown) and whether its state
 * allows the call (lifecycle.c; 400 VIAS.00010004 when not), and changes nothing unless it
 * answers 200. The state changes themselves are lifecycle.c's. */
#pragma once

#include "emulator.h"
#include "reply.h"
#include "request.h"

/* What a call did, for the audit record (audit.h). */
struct taskctl_result {
    const char *state; /* static: the state the call put the task(s) in, or NULL */
    GPtrArray *ids;    /* create: the new ids (char *, owned), or NULL */
};

void taskctl_result_release(struct taskctl_result *res);

/* The service's answer to a call on an unknown task: 400 VIAS.00010007 naming task_id. */
void taskctl_no_task(struct reply *out, const char *id);

/* PUT .../tasks/{id}/action/{command}: start or stop; another command is 400 VIAS.00010001
 * naming command. */
void taskctl_action(struct emulator *e, const char *id, const char *command,
                    struct taskctl_result *res, struct reply *out);
/* DELETE .../tasks/{id}. */
void taskctl_delete(struct emulator *e, const char *id, struct taskctl_result *res,
                    struct reply *out);
/* PUT .../tasks/{id} with r's body. */
void taskctl_update(struct emulator *e, const struct request *r, const char *id,
                    struct taskctl_result *res, struct reply *out);
/* POST .../services/{service}/tasks with r's body: 200 {"tasks":[{"id":..},...]}. */
void taskctl_create(struct emulator *e, const struct request *r, const char *service,
                    struct taskctl_result *res, struct reply *out);
