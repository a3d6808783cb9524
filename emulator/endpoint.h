/* endpoint: the classes of request that the emulator counts and can fault.
 *
 * Only a name list: api.c decides which class a request is, stats.c counts by it and
 * faults.c selects by it. The order is the order of the stats' "requests" object. */
#pragma once

#include <stdbool.h>
#include <string.h>

enum endpoint {
    ENDPOINT_LIST,   /* /v2/{project_id}/tasks, any method */
    ENDPOINT_DETAIL, /* /v2/{project_id}/tasks/{task_id}, any method but PUT and DELETE */
    ENDPOINT_OTHER,  /* every other API path: unknown paths */
    ENDPOINT_IAM,    /* /v3/auth/tokens, any method (IAM, not VIAS) */
    ENDPOINT_ACTION, /* /v2/{project_id}/tasks/{task_id}/action/{command}, any method */
    ENDPOINT_DELETE, /* DELETE /v2/{project_id}/tasks/{task_id} */
    ENDPOINT_UPDATE, /* PUT /v2/{project_id}/tasks/{task_id} */
    ENDPOINT_CREATE, /* /v2/{project_id}/services/{service_name}/tasks, any method */
    ENDPOINT_COUNT
};

static const char *const endpoint_names[ENDPOINT_COUNT] = {
    [ENDPOINT_LIST] = "list",     [ENDPOINT_DETAIL] = "detail", [ENDPOINT_OTHER] = "other",
    [ENDPOINT_IAM] = "iam",       [ENDPOINT_ACTION] = "action", [ENDPOINT_DELETE] = "delete",
    [ENDPOINT_UPDATE] = "update", [ENDPOINT_CREATE] = "create",
};

/* "list", "detail", "other", "iam", "action", "delete", "update", "create". */
static inline const char *endpoint_name(enum endpoint e)
{
    return e >= 0 && e < ENDPOINT_COUNT ? endpoint_names[e] : "other";
}

/* The endpoint called `name` (n bytes); false when there is none. */
static inline bool endpoint_from_name(const char *name, size_t n, enum endpoint *out)
{
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        if (strlen(endpoint_names[e]) == n && strncmp(endpoint_names[e], name, n) == 0) {
            *out = (enum endpoint)e;
            return true;
        }
    }
    return false;
}

/* True for the endpoints of the task control calls (start/stop, delete, update, create). */
static inline bool endpoint_is_control(enum endpoint e)
{
    return e == ENDPOINT_ACTION || e == ENDPOINT_DELETE || e == ENDPOINT_UPDATE ||
           e == ENDPOINT_CREATE;
}
