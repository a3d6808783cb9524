/* taskbody: the JSON bodies of the update and create calls, checked against the documented
 * rules and applied to a task.
 *
 * taskbody_parse() checks a body in a fixed order and stops at the first violation, naming
 * the parameter (README.md, "Update and create bodies"): Content-Type, size, UTF-8, a JSON
 * object, no string that is exactly "***" anywhere (a masked secret sent back), no member
 * the calls do not document, then each documented member in documentation order. It does not
 * know tasks' states (lifecycle.c) or answer HTTP (taskctl.c). */
#pragma once

#include "json.h"
#include "request.h"

enum taskbody_kind {
    TASKBODY_UPDATE, /* PUT /v2/{project_id}/tasks/{task_id} */
    TASKBODY_CREATE, /* POST /v2/{project_id}/services/{service_name}/tasks */
};

/* At most this many input.data entries in a create body (each becomes a task). */
#define TASKBODY_CREATE_MAX 100

struct taskbody_error {
    char *param;  /* owned, or NULL when no parameter is to blame (the body as a whole) */
    char *detail; /* owned: a sentence naming the parameter and the rule */
};

/* The body of r as a checked JSON object (caller frees), or NULL with *err filled (release
 * it with taskbody_error_release()). */
cJSON *taskbody_parse(const struct request *r, enum taskbody_kind kind, struct taskbody_error *err);
void taskbody_error_release(struct taskbody_error *err);

/* Replaces the members of record that the checked body gives (name, description, schedule,
 * input, output, config, resource_order_id); schedule_status follows schedule (null with no
 * schedule, else kept, or ACTIVATED when it was null); updated_at = now_ms. */
void taskbody_apply(cJSON *record, const cJSON *body, gint64 now_ms);
