/* endpoint: the classes of request that the emulator counts and can fault.
 *
 * Only a name list: api.c decides which class a request is, stats.c counts by it and
 * faults.c selects by it. */
#pragma once

enum endpoint {
    ENDPOINT_LIST,   /* /v2/{project_id}/tasks, any method */
    ENDPOINT_DETAIL, /* /v2/{project_id}/tasks/{task_id}, any method */
    ENDPOINT_OTHER,  /* every other API path: action calls, unknown paths */
    ENDPOINT_IAM,    /* /v3/auth/tokens, any method (IAM, not VIAS) */
    ENDPOINT_COUNT
};

/* "list", "detail", "other", "iam". */
static inline const char *endpoint_name(enum endpoint e)
{
    switch (e) {
    case ENDPOINT_LIST:
        return "list";
    case ENDPOINT_DETAIL:
        return "detail";
    case ENDPOINT_IAM:
        return "iam";
    default:
        return "other";
    }
}
