/* control: the emulator's own interface for tests (see control.h and README.md). */
#include "control.h"

#include <errno.h>
#include <string.h>

#define CONTROL_ADD_MAX 1000000 /* tasks one POST may generate */

static bool control_method_is(const struct request *r, const char *method)
{
    return strcmp(r->method, method) == 0;
}

static void control_method_not_allowed(struct reply *out, const char *allow)
{
    reply_control_error(out, 405, "method not allowed on this control path");
    out->allow = allow;
}

/* The request body as JSON, or NULL after answering 400/413 into out. Caller frees. */
static cJSON *control_body(const struct request *r, struct reply *out)
{
    if (r->body_too_large) {
        reply_control_error(out, 413, "request body too large");
        return NULL;
    }
    cJSON *body = cJSON_ParseWithLength((const char *)r->body->data, r->body->len);
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        reply_control_error(out, 400, "the request body must be a JSON object");
        return NULL;
    }
    return body;
}

static void control_stats(struct emulator *e, struct request *r, struct reply *out)
{
    if (control_method_is(r, "DELETE")) {
        stats_reset(&e->stats);
        faults_fired_reset(e->faults);
    } else if (!control_method_is(r, "GET")) {
        control_method_not_allowed(out, "GET, DELETE");
        return;
    }
    g_autoptr(cJSON) s = stats_to_json(&e->stats);
    cJSON_AddItemToObject(s, "faults", faults_fired_to_json(e->faults));
    reply_json(out, 200, s);
}

static void control_faults(struct emulator *e, struct request *r, struct reply *out)
{
    if (control_method_is(r, "PUT")) {
        g_autoptr(cJSON) body = control_body(r, out);
        if (body == NULL)
            return;
        g_autofree char *err = NULL;
        if (faults_set(e->faults, body, &err) < 0) {
            reply_control_error(out, 400, err);
            return;
        }
    } else if (control_method_is(r, "DELETE")) {
        faults_clear(e->faults);
    } else if (!control_method_is(r, "GET")) {
        control_method_not_allowed(out, "GET, PUT, DELETE");
        return;
    }
    g_autoptr(cJSON) cfg = faults_to_json(e->faults);
    reply_json(out, 200, cfg);
}

static void control_churn(struct emulator *e, struct request *r, struct reply *out)
{
    if (control_method_is(r, "PUT")) {
        g_autoptr(cJSON) body = control_body(r, out);
        if (body == NULL)
            return;
        const cJSON *rate = cJSON_GetObjectItemCaseSensitive(body, "rate");
        if (!cJSON_IsNumber(rate) || rate->valuedouble < 0 || rate->valuedouble > 100000) {
            reply_control_error(out, 400, "rate must be a number from 0 to 100000");
            return;
        }
        churn_set_rate(e->churn, rate->valuedouble);
    } else if (!control_method_is(r, "GET")) {
        control_method_not_allowed(out, "GET, PUT");
        return;
    }
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "rate", churn_rate(e->churn));
    cJSON_AddNumberToObject(b, "changes", (double)churn_changes(e->churn));
    reply_json(out, 200, b);
}

/* Adds generated tasks created now (one millisecond apart, so they keep their order). */
static void control_generate(struct emulator *e, double count, struct reply *out)
{
    if (count < 1 || count > CONTROL_ADD_MAX || count != (double)(gint64)count) {
        reply_control_error(out, 400, "count must be an integer from 1 to 1000000");
        return;
    }
    gint64 now = task_time_now();
    g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func((GDestroyNotify)task_free);
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON *ids = cJSON_AddArrayToObject(b, "ids");
    for (gint64 i = 0; i < (gint64)count; i++) {
        g_autoptr(cJSON) rec = generator_record(e->generator, now + i);
        g_autoptr(GError) err = NULL;
        struct task *t = task_new(rec, &err);
        if (t == NULL) {
            reply_control_error(out, 500, err->message);
            return;
        }
        cJSON_AddItemToArray(ids, cJSON_CreateString(t->id));
        g_ptr_array_add(tasks, t);
    }
    g_autoptr(GError) err = NULL;
    if (store_add(e->store, tasks, &err) < 0) {
        reply_control_error(out, 409, err->message);
        return;
    }
    reply_json(out, 200, b);
}

/* Adds one task from a (partial) record; what it lacks is generated, created_at = now. */
static void control_add_record(struct emulator *e, cJSON *rec, struct reply *out)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
    if (id != NULL && (!cJSON_IsString(id) || id->valuestring[0] == '\0')) {
        reply_control_error(out, 400, "id must be a non-empty string");
        return;
    }
    generator_fill(e->generator, rec, task_time_now());
    g_autoptr(GError) err = NULL;
    struct task *t = task_new(rec, &err);
    if (t == NULL) {
        reply_control_error(out, 400, err->message);
        return;
    }
    char *full = g_strndup(t->full, t->full_len);
    size_t len = t->full_len;
    g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func((GDestroyNotify)task_free);
    g_ptr_array_add(tasks, t);
    if (store_add(e->store, tasks, &err) < 0) {
        g_free(full);
        reply_control_error(out, 409, err->message);
        return;
    }
    reply_take(out, 200, full, len);
}

static void control_tasks(struct emulator *e, struct request *r, struct reply *out)
{
    if (control_method_is(r, "GET")) {
        g_autoptr(cJSON) b = cJSON_CreateObject();
        cJSON *all = store_hidden(e->store);
        cJSON_AddNumberToObject(b, "count", cJSON_GetArraySize(all));
        cJSON_AddItemToObject(b, "tasks", all);
        reply_json(out, 200, b);
        return;
    }
    if (!control_method_is(r, "POST")) {
        control_method_not_allowed(out, "GET, POST");
        return;
    }
    g_autoptr(cJSON) body = control_body(r, out);
    if (body == NULL)
        return;
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(body, "count");
    if (count != NULL && cJSON_GetArraySize(body) == 1) {
        if (!cJSON_IsNumber(count)) {
            reply_control_error(out, 400, "count must be an integer from 1 to 1000000");
            return;
        }
        control_generate(e, count->valuedouble, out);
    } else {
        control_add_record(e, body, out);
    }
}

struct control_patch {
    const cJSON *patch;
};

/* Merges the patch; updated_at becomes now unless the patch sets it. */
static int control_patch_edit(cJSON *record, void *data)
{
    const struct control_patch *p = data;
    task_record_merge(record, p->patch);
    if (cJSON_GetObjectItemCaseSensitive(p->patch, "updated_at") == NULL) {
        g_autofree char *now = task_time_format(task_time_now());
        json_set(record, "updated_at", cJSON_CreateString(now));
    }
    return 0;
}

struct control_state {
    const char *state;
    const char *status; /* may be NULL */
};

static int control_state_edit(cJSON *record, void *data)
{
    const struct control_state *s = data;
    task_record_set_state(record, s->state, s->status, task_time_now());
    return 0;
}

/* Answers a store_update() result: the new object, 404, or 400. */
static void control_updated(int rc, char *json, GError *err, const char *id, struct reply *out)
{
    if (rc == 0) {
        reply_take(out, 200, json, strlen(json));
        return;
    }
    g_autofree char *msg = rc == -ENOENT ? g_strdup_printf("no task %s", id)
                                         : g_strdup(err != NULL ? err->message : "invalid");
    reply_control_error(out, rc == -ENOENT ? 404 : 400, msg);
}

static void control_task(struct emulator *e, struct request *r, const char *id, struct reply *out)
{
    if (control_method_is(r, "GET")) {
        g_autoptr(cJSON) rec = store_record(e->store, id);
        if (rec == NULL) {
            g_autofree char *msg = g_strdup_printf("no task %s", id);
            reply_control_error(out, 404, msg);
            return;
        }
        cJSON *hidden = cJSON_DetachItemFromObjectCaseSensitive(rec, TASK_HIDDEN);
        g_autoptr(cJSON) b = cJSON_CreateObject();
        cJSON_AddItemToObject(b, "task", g_steal_pointer(&rec));
        cJSON_AddItemToObject(b, "hidden", hidden);
        reply_json(out, 200, b);
    } else if (control_method_is(r, "DELETE")) {
        if (store_remove(e->store, id) < 0) {
            g_autofree char *msg = g_strdup_printf("no task %s", id);
            reply_control_error(out, 404, msg);
            return;
        }
        g_autoptr(cJSON) b = cJSON_CreateObject();
        cJSON_AddStringToObject(b, "deleted", id);
        reply_json(out, 200, b);
    } else if (control_method_is(r, "PUT")) {
        g_autoptr(cJSON) body = control_body(r, out);
        if (body == NULL)
            return;
        struct control_patch p = {body};
        char *json = NULL;
        g_autoptr(GError) err = NULL;
        int rc = store_update(e->store, id, control_patch_edit, &p, &json, &err);
        control_updated(rc, json, err, id, out);
    } else {
        control_method_not_allowed(out, "GET, PUT, DELETE");
    }
}

static void control_task_state(struct emulator *e, struct request *r, const char *id,
                               struct reply *out)
{
    if (!control_method_is(r, "PUT")) {
        control_method_not_allowed(out, "PUT");
        return;
    }
    g_autoptr(cJSON) body = control_body(r, out);
    if (body == NULL)
        return;
    const char *state = json_string(body, "state");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(body, "status");
    if (state == NULL || *state == '\0' ||
        (status != NULL && !cJSON_IsString(status) && !cJSON_IsNull(status))) {
        reply_control_error(out, 400, "expected {\"state\":\"STATE\"[,\"status\":\"text\"]}");
        return;
    }
    struct control_state s = {state, cJSON_IsString(status) ? status->valuestring : NULL};
    char *json = NULL;
    g_autoptr(GError) err = NULL;
    int rc = store_update(e->store, id, control_state_edit, &s, &json, &err);
    control_updated(rc, json, err, id, out);
}

/* GET /controls: the task control requests served; DELETE clears the record. */
static void control_controls(struct emulator *e, struct request *r, struct reply *out)
{
    if (control_method_is(r, "DELETE")) {
        audit_clear(e->audit);
    } else if (!control_method_is(r, "GET")) {
        control_method_not_allowed(out, "GET, DELETE");
        return;
    }
    g_autoptr(cJSON) b = audit_to_json(e->audit);
    reply_json(out, 200, b);
}

static int control_delay_member(const cJSON *body, const char *name, unsigned *out, char **error)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    if (v == NULL)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > OPTIONS_MS_MAX ||
        v->valuedouble != (double)(gint64)v->valuedouble) {
        *error = g_strdup_printf("%s must be an integer from 0 to %d", name, OPTIONS_MS_MAX);
        return -EINVAL;
    }
    *out = (unsigned)v->valuedouble;
    return 0;
}

/* GET/PUT /delays: the lifecycle's delays ({"action_ms","delete_ms"}; members left out keep
 * their value) and how many transitions are waiting. */
static void control_delays(struct emulator *e, struct request *r, struct reply *out)
{
    unsigned action_ms, delete_ms;
    lifecycle_delays(e->lifecycle, &action_ms, &delete_ms);
    if (control_method_is(r, "PUT")) {
        g_autoptr(cJSON) body = control_body(r, out);
        if (body == NULL)
            return;
        for (const cJSON *m = body->child; m != NULL; m = m->next) {
            if (strcmp(m->string, "action_ms") != 0 && strcmp(m->string, "delete_ms") != 0) {
                g_autofree char *msg = g_strdup_printf("unknown member \"%s\"", m->string);
                reply_control_error(out, 400, msg);
                return;
            }
        }
        g_autofree char *err = NULL;
        if (control_delay_member(body, "action_ms", &action_ms, &err) < 0 ||
            control_delay_member(body, "delete_ms", &delete_ms, &err) < 0) {
            reply_control_error(out, 400, err);
            return;
        }
        lifecycle_set_delays(e->lifecycle, action_ms, delete_ms);
    } else if (!control_method_is(r, "GET")) {
        control_method_not_allowed(out, "GET, PUT");
        return;
    }
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "action_ms", action_ms);
    cJSON_AddNumberToObject(b, "delete_ms", delete_ms);
    cJSON_AddNumberToObject(b, "pending", lifecycle_pending_count(e->lifecycle));
    reply_json(out, 200, b);
}

/* GET /tokens: what became of the issued IAM tokens (counts only, never a token). */
static void control_tokens(struct emulator *e, struct request *r, struct reply *out)
{
    if (!control_method_is(r, "GET")) {
        control_method_not_allowed(out, "GET");
        return;
    }
    g_autoptr(cJSON) b = iam_tokens_to_json(e->iam);
    reply_json(out, 200, b);
}

/* POST /tokens/revoke: every issued token is refused from now on (APIG.0307). */
static void control_tokens_revoke(struct emulator *e, struct request *r, struct reply *out)
{
    if (!control_method_is(r, "POST")) {
        control_method_not_allowed(out, "POST");
        return;
    }
    g_autoptr(cJSON) b = cJSON_CreateObject();
    cJSON_AddNumberToObject(b, "revoked", iam_revoke_all(e->iam));
    reply_json(out, 200, b);
}

void control_handle(struct emulator *e, struct request *r, struct reply *out)
{
    const char *rest = r->path + strlen(CONTROL_PREFIX);
    g_auto(GStrv) seg = g_strsplit(rest[0] == '/' ? rest + 1 : rest, "/", 4);
    guint n = g_strv_length(seg);

    if (n == 1 && strcmp(seg[0], "health") == 0) {
        if (!control_method_is(r, "GET")) {
            control_method_not_allowed(out, "GET");
            return;
        }
        g_autoptr(cJSON) b = cJSON_CreateObject();
        cJSON_AddNumberToObject(b, "tasks", store_count(e->store));
        reply_json(out, 200, b);
    } else if (n == 1 && strcmp(seg[0], "stats") == 0) {
        control_stats(e, r, out);
    } else if (n == 1 && strcmp(seg[0], "faults") == 0) {
        control_faults(e, r, out);
    } else if (n == 1 && strcmp(seg[0], "churn") == 0) {
        control_churn(e, r, out);
    } else if (n == 1 && strcmp(seg[0], "controls") == 0) {
        control_controls(e, r, out);
    } else if (n == 1 && strcmp(seg[0], "delays") == 0) {
        control_delays(e, r, out);
    } else if (n == 1 && strcmp(seg[0], "tokens") == 0) {
        control_tokens(e, r, out);
    } else if (n == 2 && strcmp(seg[0], "tokens") == 0 && strcmp(seg[1], "revoke") == 0) {
        control_tokens_revoke(e, r, out);
    } else if (n == 1 && strcmp(seg[0], "tasks") == 0) {
        control_tasks(e, r, out);
    } else if (n == 2 && strcmp(seg[0], "tasks") == 0 && seg[1][0] != '\0') {
        control_task(e, r, seg[1], out);
    } else if (n == 3 && strcmp(seg[0], "tasks") == 0 && seg[1][0] != '\0' &&
               strcmp(seg[2], "state") == 0) {
        control_task_state(e, r, seg[1], out);
    } else {
        reply_control_error(out, 404, "no such control path");
    }
}
