/* api: the emulated VIAS task API (see api.h).
 *
 * The start/stop control calls are implemented (start sets RUNNING, stop sets STOPPED, 200
 * with an empty body, as documented); other methods on the list and detail paths answer the
 * service's 500 VIAS.00010006, as the real service does for a wrong method. */
#include "api.h"

#include <errno.h>
#include <string.h>

enum route {
    ROUTE_NONE,   /* no such API: 404 APIG.0101 */
    ROUTE_LIST,   /* /v2/{project_id}/tasks */
    ROUTE_DETAIL, /* /v2/{project_id}/tasks/{task_id} */
    ROUTE_ACTION, /* /v2/{project_id}/tasks/{task_id}/action/{start|stop} */
    ROUTE_IAM,    /* /v3/auth/tokens: IAM's token service (iam.c) */
};

struct api_path {
    enum route route;
    char *project; /* owned */
    char *task;    /* owned */
    bool start;    /* ROUTE_ACTION: start, else stop */
};

static void api_path_release(struct api_path *p)
{
    g_free(p->project);
    g_free(p->task);
}

/* Splits the path into segments; every segment must be non-empty. */
static void api_route(const char *path, struct api_path *p)
{
    memset(p, 0, sizeof(*p));
    if (strcmp(path, "/v3/auth/tokens") == 0) {
        p->route = ROUTE_IAM;
        return;
    }
    if (path[0] != '/')
        return;
    g_auto(GStrv) seg = g_strsplit(path + 1, "/", 8);
    guint n = g_strv_length(seg);
    for (guint i = 0; i < n; i++)
        if (seg[i][0] == '\0')
            return;
    if (n < 3 || strcmp(seg[0], "v2") != 0 || strcmp(seg[2], "tasks") != 0)
        return;
    if (n == 3)
        p->route = ROUTE_LIST;
    else if (n == 4)
        p->route = ROUTE_DETAIL;
    else if (n == 6 && strcmp(seg[4], "action") == 0 &&
             (strcmp(seg[5], "start") == 0 || strcmp(seg[5], "stop") == 0)) {
        p->route = ROUTE_ACTION;
        p->start = strcmp(seg[5], "start") == 0;
    } else
        return;
    p->project = g_strdup(seg[1]);
    p->task = n >= 4 ? g_strdup(seg[3]) : NULL;
}

static enum endpoint api_endpoint(enum route r)
{
    switch (r) {
    case ROUTE_LIST:
        return ENDPOINT_LIST;
    case ROUTE_DETAIL:
        return ENDPOINT_DETAIL;
    case ROUTE_IAM:
        return ENDPOINT_IAM;
    default:
        return ENDPOINT_OTHER;
    }
}

static void api_internal_error(struct reply *out, const char *detail, const char *reason)
{
    reply_service_error(out, 500, "VIAS.00010006", "Internal error.", detail, NULL, reason,
                        "Try again later. If the problem persists, contact technical support.");
}

static void api_no_task(struct reply *out, const char *id)
{
    g_autofree char *detail = g_strdup_printf("No task is found based on the task ID %s.", id);
    reply_service_error(out, 400, "VIAS.00010007", "No task is found based on the task ID.", detail,
                        "task_id", "The task does not exist or has been deleted.",
                        "Check the task ID and try again.");
}

static void api_list(struct emulator *e, struct request *r, struct reply *out)
{
    struct query q;
    struct query_error qe;
    if (query_parse(&q, r, e->opts->match == MATCH_EXACT, &qe) < 0) {
        reply_service_error(out, 400, "VIAS.00010001", "Invalid parameters.", qe.detail, qe.param,
                            "A request parameter does not meet the requirements.",
                            "Correct the parameter as the detail says and try again.");
        query_error_release(&qe);
        return;
    }
    GString *body = g_string_sized_new(4096);
    store_list(e->store, &q, e->opts->list_fields == LIST_FIELDS_FULL,
               e->opts->count == COUNT_TOTAL, body);
    query_release(&q);
    size_t len = body->len;
    reply_take(out, 200, g_string_free(body, FALSE), len);
}

static void api_detail(struct emulator *e, const char *id, struct reply *out)
{
    size_t len = 0;
    char *body = store_detail(e->store, id, &len);
    if (body == NULL)
        api_no_task(out, id);
    else
        reply_take(out, 200, body, len);
}

static int api_action_edit(cJSON *record, void *data)
{
    const char *state = data;
    task_record_set_state(record, state, NULL, task_time_now());
    return 0;
}

static void api_action(struct emulator *e, const struct api_path *p, struct reply *out)
{
    const char *state = p->start ? "RUNNING" : "STOPPED";
    if (store_update(e->store, p->task, api_action_edit, (void *)state, NULL, NULL) == -ENOENT)
        api_no_task(out, p->task);
    else
        reply_take(out, 200, g_strdup(""), 0);
}

/* Answers a request the faults plan spoiled before it reached the service; true if so. */
static bool api_fault_answer(enum fault_kind k, const struct request *r, enum route route,
                             struct reply *out)
{
    if (k == FAULT_ERROR_500 && route == ROUTE_IAM) {
        reply_iam_error(out, 500, "Internal Server Error",
                        "An unexpected error prevented the server from fulfilling your request.");
        return true;
    }
    switch (k) {
    case FAULT_DROP:
        out->mode = REPLY_DROP;
        return true;
    case FAULT_ERROR_429:
        reply_gateway_error(out, 429, "APIG.0308",
                            "The request is throttled: the throttling threshold has been reached",
                            r->id);
        return true;
    case FAULT_ERROR_500:
        api_internal_error(out, "An internal error occurred while processing the request.",
                           "The service failed to process the request.");
        return true;
    default:
        return false;
    }
}

/* Asks auth.c and counts its decision; false after answering the refusal into out. */
static bool api_authorized(struct emulator *e, struct request *r, struct reply *out)
{
    g_autofree char *why = NULL;
    enum auth_outcome o = auth_check(e->auth, r, &why);
    if (o == AUTH_AKSK_OK)
        stats_count_auth(&e->stats, STATS_AKSK_ACCEPTED);
    else if (o == AUTH_AKSK_FAILED)
        stats_count_auth(&e->stats, STATS_AKSK_FAILED);
    else if (o == AUTH_AKSK_LOCKED)
        stats_count_auth(&e->stats, STATS_AKSK_LOCKED);
    else if (o == AUTH_TOKEN_EXPIRED)
        stats_count_auth(&e->stats, STATS_TOKENS_EXPIRED);
    if (auth_ok(o))
        return true;
    reply_gateway_error(out, 401, o == AUTH_TOKEN_EXPIRED ? "APIG.0307" : "APIG.0301", why, r->id);
    return false;
}

static void api_dispatch(struct emulator *e, struct request *r, const struct api_path *p,
                         struct reply *out)
{
    if (p->route == ROUTE_NONE) {
        reply_gateway_error(out, 404, "APIG.0101",
                            "The API does not exist or has not been published in the environment",
                            r->id);
        return;
    }
    if (p->route == ROUTE_IAM) {
        bool issued = iam_handle(e->iam, r, out);
        stats_count_auth(&e->stats, issued ? STATS_TOKENS_ISSUED : STATS_IAM_FAILURES);
        return;
    }
    if (!api_authorized(e, r, out))
        return;
    if (strcmp(p->project, e->opts->project_id) != 0) {
        g_autofree char *msg = g_strdup_printf(
            "The IAM user is not authorized to access project %s with this token", p->project);
        reply_gateway_error(out, 403, "APIG.0302", msg, r->id);
        return;
    }
    bool get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    bool ok = p->route == ROUTE_ACTION ? strcmp(r->method, "PUT") == 0 : get;
    if (!ok) {
        g_autofree char *detail =
            g_strdup_printf("The method %s is not supported for this resource.", r->method);
        api_internal_error(out, detail, "The request method is not supported.");
        return;
    }
    if (p->route == ROUTE_LIST)
        api_list(e, r, out);
    else if (p->route == ROUTE_DETAIL)
        api_detail(e, p->task, out);
    else
        api_action(e, p, out);
}

void api_handle(struct emulator *e, struct request *r, struct reply *out)
{
    struct api_path p;
    api_route(r->path, &p);
    enum endpoint ep = api_endpoint(p.route);
    struct fault_plan plan;
    size_t page_len;
    const char *page = ep == ENDPOINT_LIST ? request_arg(r, "page", &page_len) : NULL;
    faults_plan(e->faults, ep, page ? strtol(page, NULL, 10) : (ep == ENDPOINT_LIST), &plan);
    if (faults_wait(e->faults, &plan) < 0)
        plan.outcome = FAULT_DROP; /* shutting down: do not hold the connection */

    if (!api_fault_answer(plan.outcome, r, p.route, out))
        api_dispatch(e, r, &p, out);
    if (plan.outcome == FAULT_TRUNCATE)
        out->mode = REPLY_TRUNCATE;
    else if (plan.outcome == FAULT_MALFORMED)
        out->mode = REPLY_MALFORMED;
    stats_count(&e->stats, ep, out->mode == REPLY_DROP ? 0 : out->status);
    api_path_release(&p);
}
