/*
 * api_control: the calls that change the service: start, stop, delete, update, create (see
 * api.h). Each is one request that is never repeated once it may have reached the service;
 * when no answer came, the task is read again to learn what happened.
 */
#include "api_i.h"
#include "task_cjson.h"
#include "task_edit.h"
#include "viasfs/log.h"
#include "viasfs/uri.h"

#include <errno.h>
#include <string.h>

const char *api_verb_name(enum api_verb v)
{
    switch (v) {
    case API_VERB_START:
        return "start";
    case API_VERB_STOP:
        return "stop";
    case API_VERB_DELETE:
        return "delete";
    }
    return "?";
}

/* "/v2/<project>/tasks/<id>". Caller frees. */
static char *task_path(struct api *api, const char *id)
{
    GString *path = g_string_new(api_base_path(api));

    g_string_append(path, "/tasks/");
    uri_append_escaped(path, id);
    return g_string_free(path, FALSE);
}

bool api_answer_lost(const struct api_error *err)
{
    return !err->no_credential && err->http_status == 0 &&
           (err->failure == HTTP_FAIL_TIMEOUT || err->failure == HTTP_FAIL_BROKEN ||
            err->failure == HTTP_FAIL_CANCELLED);
}

/* The deadline of the reading-again that follows a lost answer: as long as the call had. */
static gint64 reread_deadline(gint64 started, gint64 deadline)
{
    return g_get_monotonic_time() + MAX(deadline - started, G_USEC_PER_SEC);
}

/* Adds to @err's message what reading the task again showed, and reports it. */
static void note_not_done(struct api *api, struct api_error *err, const char *seen)
{
    char *m = g_strdup_printf("%s%sno answer came, so it may have been carried out: %s; not "
                              "retried",
                              err->message ? err->message : "", err->message ? "; " : "", seen);

    g_free(err->message);
    err->message = m;
    api_fail(api, err);
}

/* The detail as the API sends it (secrets included). */
static int get_detail_text(struct api *api, const char *id, gint64 deadline, GByteArray **out,
                           struct api_error *err)
{
    g_autofree char *path = task_path(api, id);
    struct call c = {.method = "GET", .path = path, .label = "detail", .deadline = deadline};
    struct http_response resp;
    int rc;

    http_response_init(&resp);
    rc = api_call(api, &c, &resp, err);
    if (rc == 0)
        *out = g_byte_array_ref(resp.body);
    http_response_release(&resp);
    return rc;
}

/* Whether the task's state (NULL: gone) shows @verb was carried out. */
static bool shows_verb(enum api_verb verb, const char *state)
{
    static const char *const started[] = {"STARTING", "RUNNING", "START_FAILED", NULL};
    static const char *const stopped[] = {"STOPPING", "STOPPED", NULL};
    const char *const *ok = verb == API_VERB_START ? started : stopped;

    if (verb == API_VERB_DELETE)
        return !state || strcmp(state, "DELETING") == 0;
    for (; state && *ok; ok++)
        if (strcmp(state, *ok) == 0)
            return true;
    return false;
}

int api_task_action(struct api *api, const char *id, enum api_verb verb, gint64 deadline,
                    bool *late, struct api_error *err)
{
    g_autofree char *path = task_path(api, id);
    g_autofree char *action_path = NULL;
    gint64 started = g_get_monotonic_time();
    struct call c = {.once = true, .deadline = deadline};
    struct http_response resp;
    int rc;

    *late = false;
    if (verb == API_VERB_DELETE) {
        c.method = "DELETE";
        c.path = path;
        c.label = "delete";
    } else {
        action_path = g_strconcat(path, "/action/", api_verb_name(verb), NULL);
        c.method = "PUT";
        c.path = action_path;
        c.label = "action";
    }
    http_response_init(&resp);
    rc = api_call(api, &c, &resp, err);
    http_response_release(&resp);
    if (rc < 0 && api_answer_lost(err)) {
        g_autoptr(Task) task = NULL;
        struct api_error again;
        int got;

        api_error_init(&again);
        got = api_get_task(api, id, reread_deadline(started, deadline), &task, &again);
        if ((got == 0 || got == -ENOENT) && shows_verb(verb, got == 0 ? task->state : NULL)) {
            log_warn("%s: no answer, but the task now shows it done (%s)", err->call,
                     got == 0 ? task->state : "gone");
            *late = true;
            rc = 0;
        } else {
            g_autofree char *seen =
                got == 0     ? g_strdup_printf("the task, read again, is %s", task->state)
                : got == -ENOENT ? g_strdup("the task, read again, is gone")
                                 : g_strdup("the task could not be read again");
            note_not_done(api, err, seen);
        }
        api_error_release(&again);
    }
    return rc;
}

/* A control call refused before sending: @err says why (takes @why) and is reported. */
static int refuse(struct api *api, struct api_error *err, const char *method, const char *path,
                  char *why)
{
    api_error_clear(err);
    err->call = g_strconcat(method, " ", path, NULL);
    err->message = g_strconcat("not sent: ", why, NULL);
    g_free(why);
    api_fail(api, err);
    return -EINVAL;
}

int api_update_task(struct api *api, const char *id, enum api_part part, const char *text,
                    size_t len, gint64 deadline, bool *late, struct api_error *err)
{
    g_autofree char *path = task_path(api, id);
    g_autoptr(GByteArray) detail = NULL;
    g_autofree char *body = NULL;
    char *why = NULL;
    gint64 started = g_get_monotonic_time();
    struct http_response resp;
    int rc;

    *late = false;
    if (task_edit_check(part, text, len, &why) < 0) /* nothing to read for */
        return refuse(api, err, "PUT", path, why);
    rc = get_detail_text(api, id, deadline, &detail, err);
    if (rc < 0)
        return rc;
    rc = task_edit_update_body((const char *)detail->data, detail->len, part, text, len, &body,
                               &why);
    if (rc == -EBADMSG) {
        struct http_response fake;
        http_response_init(&fake);
        fake.status = 200;
        rc = api_fail_malformed(api, err, &fake, g_steal_pointer(&why));
        http_response_release(&fake);
        return rc;
    }
    if (rc < 0)
        return refuse(api, err, "PUT", path, g_steal_pointer(&why));
    struct call c = {.method = "PUT",
                     .path = path,
                     .body = body,
                     .body_len = strlen(body),
                     .label = "update",
                     .once = true,
                     .deadline = deadline};
    http_response_init(&resp);
    rc = api_call(api, &c, &resp, err);
    http_response_release(&resp);
    if (rc < 0 && api_answer_lost(err)) {
        g_autoptr(GByteArray) now = NULL;
        struct api_error again;

        api_error_init(&again);
        if (get_detail_text(api, id, reread_deadline(started, deadline), &now, &again) == 0 &&
            task_edit_applied((const char *)now->data, now->len, part, body)) {
            log_warn("%s: no answer, but the task now shows the change", err->call);
            *late = true;
            rc = 0;
        } else {
            note_not_done(api, err, "the task, read again, does not show the change");
        }
        api_error_release(&again);
    }
    return rc;
}

/* The new tasks' ids in a create answer, {"tasks":[{"id":"..."},...]} (one per input.data
 * entry), one a line; NULL when one is not a valid id or there is none. */
static char *created_ids(const GByteArray *answer)
{
    g_autofree char *why = NULL;
    cJSON *root = task_cjson_parse((const char *)answer->data, answer->len, &why);
    cJSON *tasks = cJSON_GetObjectItemCaseSensitive(root, "tasks"), *t;
    GString *out = g_string_new(NULL);
    bool ok = cJSON_IsArray(tasks) && cJSON_GetArraySize(tasks) > 0;

    cJSON_ArrayForEach(t, tasks)
    {
        cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
        ok = ok && cJSON_IsString(id) && task_id_is_valid(id->valuestring);
        if (ok)
            g_string_append_printf(out, "%s%s", out->len ? "\n" : "", id->valuestring);
    }
    cJSON_Delete(root);
    return g_string_free(out, !ok);
}

int api_create_check(const char *text, size_t len, char **why)
{
    g_autofree char *service = NULL, *body = NULL;

    return task_edit_create_body(text, len, &service, &body, why);
}

int api_create_task(struct api *api, const char *text, size_t len, gint64 deadline, char **id,
                    struct api_error *err)
{
    g_autofree char *service = NULL, *body = NULL;
    char *why = NULL;
    GString *path;
    struct http_response resp;
    int rc;

    *id = NULL;
    rc = task_edit_create_body(text, len, &service, &body, &why);
    if (rc == -EAGAIN)
        return rc;
    if (rc < 0) {
        g_autofree char *where = g_strconcat(api_base_path(api), "/services/.../tasks", NULL);
        return refuse(api, err, "POST", where, why);
    }
    path = g_string_new(api_base_path(api));
    g_string_append(path, "/services/");
    uri_append_escaped(path, service);
    g_string_append(path, "/tasks");
    struct call c = {.method = "POST",
                     .path = path->str,
                     .body = body,
                     .body_len = strlen(body),
                     .label = "create",
                     .once = true,
                     .deadline = deadline};
    http_response_init(&resp);
    rc = api_call(api, &c, &resp, err);
    if (rc == 0) {
        *id = created_ids(resp.body);
        if (!*id)
            rc = api_fail_malformed(api, err, &resp,
                                    g_strdup("the task was created, but the answer names no "
                                             "valid task id"));
    } else if (api_answer_lost(err)) {
        note_not_done(api, err, "a new task may exist (its id is unknown)");
    }
    http_response_release(&resp);
    g_string_free(path, TRUE);
    return rc;
}
