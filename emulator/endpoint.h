/* endpoint: the classes of API request that the emulator counts and can fault.
 *
 * Only a name list: api.c decides which class a request is, stats.c counts by it and
 * faults.c selects by it. */
#pragma once

enum endpoint {
    ENDPOINT_LIST,   /* /v2/{project_id}/tasks, any method */
    ENDPOINT_DETAIL, /* /v2/{project_id}/tasks/{task_id}, any method */
    ENDPOINT_OTHER,  /* every other API path: action calls, unknown paths */
    ENDPOINT_COUNT
};

/* "list", "detail", "other". */
static inline const char *endpoint_name(enum endpoint e)
{
    return e == ENDPOINT_LIST ? "list" : e == ENDPOINT_DETAIL ? "detail" : "other";
}
