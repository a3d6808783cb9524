/* taskctl: the task control calls of the API (see taskctl.h).
 *
 * Success answers {"id","status_code":200,"status_msg":"success"} (start, stop, delete,
 * update: the one body a documentation page shows; no response field is documented, so
 * clients must not depend on it) or {"tasks":[{"id"}]} (create, as documented). */
#include "taskctl.h"

#include "lifecycle.h"
#include "taskbody.h"

#include <errno.h>
#include <string.h>

void taskctl_result_release(struct taskctl_result *res)
{
    g_clear_pointer(&res->ids, g_ptr_array_unref);
    res->state = NULL;
}

void taskctl_no_task(struct reply *out, const char *id)
{
    g_autofree char *detail = g_strdup_printf("No task is found based on the task ID %s.", id);
    reply_service_error(out, 400, "VIAS.00010007", "No task is found based on the task ID.", detail,
                        "task_id", "The task does not exist or has been deleted.",
                        "Check the task ID and try again.");
}

static void taskctl_invalid(struct reply *out, const char *param, const char *detail)
{
    reply_service_error(out, 400, "VIAS.00010001", "Invalid parameters.", detail, param,
                        "A request parameter does not meet the requirements.",
                        "Correct the parameter as the detail says and try again.");
}

/* 400 VIAS.00010004: the task's state does not allow verb v. */
static void taskctl_refused(struct reply *out, const char *id, const char *state,
                            enum lifecycle_verb v)
{
    g_autofree char *detail =
        g_strdup_printf("The task %s is %s: %s is allowed from %s.", id, state,
                        lifecycle_verb_name(v), lifecycle_allowed_from(v));
    reply_service_error(out, 400, "VIAS.00010004", "Object or parameter invalid.", detail,
                        "task_id", "The task's state does not allow this operation.",
                        "Read the task's state, and try again when it allows the operation.");
}

static void taskctl_accepted(struct reply *out, const char *id)
{
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "id", id);
    cJSON_AddNumberToObject(b, "status_code", 200);
    cJSON_AddStringToObject(b, "status_msg", "success");
    reply_json(out, 200, b);
}

/* Start, stop or delete through the lifecycle, answering the outcome. */
static void taskctl_act(struct emulator *e, const char *id, enum lifecycle_verb v,
                        struct taskctl_result *res, struct reply *out)
{
    g_autofree char *state = NULL;
    int rc = lifecycle_act(e->lifecycle, id, v, &res->state, &state);
    if (rc == -ENOENT)
        taskctl_no_task(out, id);
    else if (rc == -EPERM)
        taskctl_refused(out, id, state, v);
    else if (rc < 0)
        reply_service_error(out, 500, "VIAS.00010006", "Internal error.",
                            "The task could not be changed.", NULL,
                            "The service failed to process the request.",
                            "Try again later. If the problem persists, contact technical support.");
    else
        taskctl_accepted(out, id);
}

void taskctl_action(struct emulator *e, const char *id, const char *command,
                    struct taskctl_result *res, struct reply *out)
{
    if (strcmp(command, "start") == 0) {
        taskctl_act(e, id, LIFECYCLE_START, res, out);
    } else if (strcmp(command, "stop") == 0) {
        taskctl_act(e, id, LIFECYCLE_STOP, res, out);
    } else {
        g_autofree char *detail =
            g_strdup_printf("The parameter command must be start or stop (it is %s).", command);
        taskctl_invalid(out, "command", detail);
    }
}

void taskctl_delete(struct emulator *e, const char *id, struct taskctl_result *res,
                    struct reply *out)
{
    taskctl_act(e, id, LIFECYCLE_DELETE, res, out);
}

struct taskctl_update {
    const cJSON *body;
    char *refused; /* out: the state that refused the update (owned) */
};

static int taskctl_update_edit(cJSON *record, void *data)
{
    struct taskctl_update *u = data;
    const char *state = json_string(record, "state");
    if (!lifecycle_allows(state, LIFECYCLE_UPDATE)) {
        u->refused = g_strdup(state != NULL ? state : "");
        return -EPERM;
    }
    taskbody_apply(record, u->body, task_time_now());
    return 0;
}

void taskctl_update(struct emulator *e, const struct request *r, const char *id,
                    struct taskctl_result *res, struct reply *out)
{
    struct taskbody_error err;
    g_autoptr(cJSON) body = taskbody_parse(r, TASKBODY_UPDATE, &err);
    if (body == NULL) {
        taskctl_invalid(out, err.param, err.detail);
        taskbody_error_release(&err);
        return;
    }
    struct taskctl_update u = {body, NULL};
    g_autoptr(GError) error = NULL;
    int rc = store_update(e->store, id, taskctl_update_edit, &u, NULL, &error);
    if (rc == -ENOENT)
        taskctl_no_task(out, id);
    else if (rc == -EPERM)
        taskctl_refused(out, id, u.refused, LIFECYCLE_UPDATE);
    else if (rc < 0)
        taskctl_invalid(out, NULL, error != NULL ? error->message : "The task cannot be updated.");
    else
        taskctl_accepted(out, id);
    g_free(u.refused);
}

/* The record of the index-th task a create body makes, created at now_ms. Caller frees. */
static cJSON *taskctl_new_record(struct emulator *e, const cJSON *body, const char *service,
                                 int index, gint64 now_ms)
{
    cJSON *rec = generator_record(e->generator, now_ms);
    /* One task per input.data entry, each with that entry alone. */
    cJSON *input = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(body, "input"), true);
    cJSON *entry =
        cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(input, "data"), index);
    cJSON *data = cJSON_CreateArray();
    cJSON_AddItemToArray(data, entry);
    json_set(input, "data", data);
    json_set(rec, "input", input);
    json_set(rec, "description", cJSON_CreateString(""));
    json_set(rec, "schedule", cJSON_CreateNull());
    json_set(rec, "schedule_status", cJSON_CreateNull());
    json_set(rec, "resource_order_id", cJSON_CreateString(""));
    g_autoptr(cJSON) rest = cJSON_Duplicate(body, true);
    cJSON_DeleteItemFromObjectCaseSensitive(rest, "input");
    taskbody_apply(rec, rest, now_ms);
    generator_service(e->generator, service, rec);
    g_autofree char *now = task_time_format(now_ms);
    json_set(rec, "created_at", cJSON_CreateString(now));
    json_set(rec, "project_id", cJSON_CreateString(e->opts->project_id));
    json_set(rec, "type", cJSON_CreateString("cloud"));
    json_set(rec, "package_id", cJSON_CreateString(""));
    json_set(rec, "device_id", cJSON_CreateString(""));
    json_set(rec, "access_address", cJSON_CreateString(""));
    task_record_set_state(rec, "PENDING", NULL, now_ms);
    return rec;
}

void taskctl_create(struct emulator *e, const struct request *r, const char *service,
                    struct taskctl_result *res, struct reply *out)
{
    struct taskbody_error err;
    g_autoptr(cJSON) body = taskbody_parse(r, TASKBODY_CREATE, &err);
    if (body == NULL) {
        taskctl_invalid(out, err.param, err.detail);
        taskbody_error_release(&err);
        return;
    }
    g_autoptr(cJSON) probe = cJSON_CreateObject();
    if (!generator_service(e->generator, service, probe)) {
        g_autofree char *detail =
            g_strdup_printf("No service is found with the name %s (the emulator's services: %s).",
                            service, GENERATOR_SERVICES);
        reply_service_error(out, 400, "VIAS.00010002", "Object does not exist.", detail,
                            "service_name", "The service does not exist.",
                            "Check the service name and try again.");
        return;
    }
    int n = cJSON_GetArraySize(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "input"), "data"));
    gint64 now = task_time_now();
    g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func((GDestroyNotify)task_free);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    for (int i = 0; i < n; i++) {
        g_autoptr(cJSON) rec = taskctl_new_record(e, body, service, i, now + i);
        g_autoptr(GError) error = NULL;
        struct task *t = task_new(rec, &error);
        if (t == NULL) {
            taskctl_invalid(out, NULL, error->message);
            return;
        }
        g_ptr_array_add(ids, g_strdup(t->id));
        g_ptr_array_add(tasks, t);
    }
    g_autoptr(GError) error = NULL;
    if (lifecycle_add(e->lifecycle, tasks, &error) < 0) {
        reply_service_error(out, 400, "VIAS.00010003", "Object already exists.", error->message,
                            NULL, "A task with this id already exists.", "Try again.");
        return;
    }
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(b, "tasks");
    for (guint i = 0; i < ids->len; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", ids->pdata[i]);
        cJSON_AddItemToArray(list, o);
    }
    reply_json(out, 200, b);
    res->state = "PENDING";
    res->ids = g_steal_pointer(&ids);
}
