/* api: the emulated VIAS task API (see api.h).
 *
 * The list and detail calls are answered here; the task control calls (start/stop, delete,
 * update, create) by taskctl.c. Wrong methods on known paths answer the service's 500
 * VIAS.00010006, as the real service does. */
#include "api.h"

#include "taskctl.h"

#include <errno.h>
#include <string.h>

enum route {
    ROUTE_NONE,   /* no such API: 404 APIG.0101 */
    ROUTE_LIST,   /* /v2/{project_id}/tasks */
    ROUTE_DETAIL, /* /v2/{project_id}/tasks/{task_id} */
    ROUTE_ACTION, /* /v2/{project_id}/tasks/{task_id}/action/{command} */
    ROUTE_CREATE, /* /v2/{project_id}/services/{service_name}/tasks */
    ROUTE_IAM,    /* /v3/auth/tokens: IAM's token service (iam.c) */
};

struct api_path {
    enum route route;
    char *project; /* owned */
    char *task;    /* owned; ROUTE_DETAIL and ROUTE_ACTION */
    char *command; /* owned; ROUTE_ACTION: the command as sent */
    char *service; /* owned; ROUTE_CREATE */
};

static void api_path_release(struct api_path *p)
{
    g_free(p->project);
    g_free(p->task);
    g_free(p->command);
    g_free(p->service);
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
    if (n < 3 || strcmp(seg[0], "v2") != 0)
        return;
    if (n == 5 && strcmp(seg[2], "services") == 0 && strcmp(seg[4], "tasks") == 0) {
        p->route = ROUTE_CREATE;
        p->service = g_strdup(seg[3]);
    } else if (strcmp(seg[2], "tasks") != 0) {
        return;
    } else if (n == 3) {
        p->route = ROUTE_LIST;
    } else if (n == 4) {
        p->route = ROUTE_DETAIL;
    } else if (n == 6 && strcmp(seg[4], "action") == 0) {
        p->route = ROUTE_ACTION;
        p->command = g_strdup(seg[5]);
    } else {
        return;
    }
    p->project = g_strdup(seg[1]);
    p->task = n == 4 || n == 6 ? g_strdup(seg[3]) : NULL;
}

/* The endpoint of a request: its route, and on the detail path its method. */
static enum endpoint api_endpoint(enum route r, const char *method)
{
    switch (r) {
    case ROUTE_LIST:
        return ENDPOINT_LIST;
    case ROUTE_DETAIL:
        return strcmp(method, "PUT") == 0      ? ENDPOINT_UPDATE
               : strcmp(method, "DELETE") == 0 ? ENDPOINT_DELETE
                                               : ENDPOINT_DETAIL;
    case ROUTE_ACTION:
        return ENDPOINT_ACTION;
    case ROUTE_CREATE:
        return ENDPOINT_CREATE;
    case ROUTE_IAM:
        return ENDPOINT_IAM;
    default:
        return ENDPOINT_OTHER;
    }
}

/* The verb a control request is entered under in the audit record. */
static const char *api_verb(enum endpoint ep, const struct api_path *p)
{
    switch (ep) {
    case ENDPOINT_ACTION:
        return p->command;
    case ENDPOINT_DELETE:
        return "delete";
    case ENDPOINT_UPDATE:
        return "update";
    default:
        return "create";
    }
}

static void api_internal_error(struct reply *out, const char *detail, const char *reason)
{
    reply_service_error(out, 500, "VIAS.00010006", "Internal error.", detail, NULL, reason,
                        "Try again later. If the problem persists, contact technical support.");
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
        taskctl_no_task(out, id);
    else
        reply_take(out, 200, body, len);
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

/* True when method is one the route serves. */
static bool api_method_ok(enum route route, const char *method)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    switch (route) {
    case ROUTE_LIST:
        return get;
    case ROUTE_DETAIL:
        return get || strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
    case ROUTE_ACTION:
        return strcmp(method, "PUT") == 0;
    case ROUTE_CREATE:
        return strcmp(method, "POST") == 0;
    default:
        return false;
    }
}

static void api_dispatch(struct emulator *e, struct request *r, const struct api_path *p,
                         struct taskctl_result *res, struct reply *out)
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
    if (!api_method_ok(p->route, r->method)) {
        g_autofree char *detail =
            g_strdup_printf("The method %s is not supported for this resource.", r->method);
        api_internal_error(out, detail, "The request method is not supported.");
        return;
    }
    if (p->route == ROUTE_LIST)
        api_list(e, r, out);
    else if (p->route == ROUTE_ACTION)
        taskctl_action(e, p->task, p->command, res, out);
    else if (p->route == ROUTE_CREATE)
        taskctl_create(e, r, p->service, res, out);
    else if (strcmp(r->method, "PUT") == 0)
        taskctl_update(e, r, p->task, res, out);
    else if (strcmp(r->method, "DELETE") == 0)
        taskctl_delete(e, p->task, res, out);
    else
        api_detail(e, p->task, out);
}

/* The error_code of an error answer's body, or NULL. Caller frees. */
static char *api_error_code(const struct reply *out)
{
    if (out->status == 200 || out->body == NULL)
        return NULL;
    g_autoptr(cJSON) b = cJSON_ParseWithLength(out->body, out->len);
    const char *code = json_string(b, "error_code");
    return g_strdup(code);
}

void api_handle(struct emulator *e, struct request *r, struct reply *out)
{
    struct api_path p;
    api_route(r->path, &p);
    enum endpoint ep = api_endpoint(p.route, r->method);
    bool audited = endpoint_is_control(ep);
    guint64 entry = audited ? audit_begin(e->audit, r, p.task, api_verb(ep, &p)) : 0;
    struct taskctl_result res = {0};
    struct fault_plan plan;
    size_t page_len;
    const char *page = ep == ENDPOINT_LIST ? request_arg(r, "page", &page_len) : NULL;
    faults_plan(e->faults, ep, page ? strtol(page, NULL, 10) : (ep == ENDPOINT_LIST), &plan);
    if (faults_wait(e->faults, &plan) < 0)
        plan.outcome = FAULT_DROP; /* shutting down: do not hold the connection */

    if (plan.drop_after || !api_fault_answer(plan.outcome, r, p.route, out))
        api_dispatch(e, r, &p, &res, out);
    if (plan.outcome == FAULT_TRUNCATE)
        out->mode = REPLY_TRUNCATE;
    else if (plan.outcome == FAULT_MALFORMED)
        out->mode = REPLY_MALFORMED;
    else if (plan.drop_after)
        out->mode = REPLY_DROP;
    unsigned status = out->mode == REPLY_DROP ? 0 : out->status;
    stats_count(&e->stats, ep, status);
    if (audited) {
        g_autofree char *code = api_error_code(out);
        const char *fault = plan.outcome != FAULT_NONE ? fault_name(plan.outcome)
                            : plan.stall               ? fault_name(FAULT_STALL)
                                                       : NULL;
        audit_end(e->audit, entry, status, code, fault, res.state, res.ids);
    }
    taskctl_result_release(&res);
    api_path_release(&p);
}
