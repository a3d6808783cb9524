/*
 * iam: the password token call (see iam.h). The request body is written by hand so that the
 * only copy of the password besides the caller's is this body, which is wiped.
 */
#include "viasfs/iam.h"
#include "viasfs/json_string.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

enum { MAX_TOKEN = 64 * 1024 };

static GString *request_body(const struct iam_credentials *c)
{
    GString *b = g_string_sized_new(512);

    g_string_append(b, "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{"
                       "\"user\":{\"name\":");
    json_string_append(b, c->user);
    g_string_append(b, ",\"password\":");
    json_string_append(b, c->password);
    g_string_append(b, ",\"domain\":{\"name\":");
    json_string_append(b, c->domain);
    g_string_append(b, "}}}},\"scope\":{\"project\":{\"name\":");
    json_string_append(b, c->project);
    g_string_append(b, "}}}}");
    return b;
}

static void wipe_string(GString *s)
{
    explicit_bzero(s->str, s->allocated_len);
    g_string_free(s, TRUE);
}

/* An ISO-8601 time ("2020-01-04T09:05:22.701000Z") as unix microseconds, or -1. */
static gint64 parse_time(const cJSON *v)
{
    g_autoptr(GDateTime) t = NULL;

    if (!cJSON_IsString(v) || !v->valuestring)
        return -1;
    t = g_date_time_new_from_iso8601(v->valuestring, NULL);
    if (!t)
        return -1;
    return g_date_time_to_unix(t) * G_USEC_PER_SEC + g_date_time_get_microsecond(t);
}

/* Reads the answer of a 2xx. Returns 0, or -EIO with err->message set. */
static int parse_answer(const struct http_response *resp, struct iam_token *out,
                        struct api_error *err)
{
    const char *token = http_response_header(resp, "x-subject-token");
    cJSON *root = cJSON_ParseWithLength((const char *)resp->body->data, resp->body->len);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "token");
    const cJSON *project = cJSON_GetObjectItemCaseSensitive(t, "project");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(project, "id");
    gint64 now = g_get_real_time();
    int rc = -EIO;

    err->malformed = true;
    if (!token || !token[0] || strlen(token) > MAX_TOKEN)
        err->message = g_strdup("the answer carries no usable X-Subject-Token header");
    else if (!cJSON_IsObject(t))
        err->message = g_strdup("the answer has no token object");
    else if ((out->expires_at = parse_time(cJSON_GetObjectItemCaseSensitive(t, "expires_at"))) < 0)
        err->message = g_strdup("the answer has no valid token.expires_at");
    else if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) > 128)
        err->message = g_strdup("the answer has no token.project.id");
    else {
        out->issued_at = parse_time(cJSON_GetObjectItemCaseSensitive(t, "issued_at"));
        if (out->issued_at < 0 || out->issued_at > out->expires_at)
            out->issued_at = now;
        out->token = g_strdup(token);
        out->project_id = g_strdup(id->valuestring);
        err->malformed = false;
        rc = 0;
    }
    cJSON_Delete(root);
    return rc;
}

int iam_request_token(struct http *http, const struct iam_credentials *c, gint64 deadline,
                      struct iam_token *out, struct api_error *err)
{
    g_autofree char *url = g_strconcat(c->endpoint, "/v3/auth/tokens?nocatalog=true", NULL);
    const char *headers[] = {"Content-Type: application/json;charset=utf8",
                             "Accept: application/json", NULL};
    GString *body = request_body(c);
    struct http_request req = {.method = "POST",
                               .url = url,
                               .headers = headers,
                               .body = body->str,
                               .body_len = body->len,
                               .deadline = deadline,
                               .label = "iam"};
    struct http_response resp;
    enum http_failure f;
    int rc;

    memset(out, 0, sizeof(*out));
    api_error_clear(err);
    err->call = g_strconcat("POST ", url, NULL);
    http_response_init(&resp);
    f = http_perform(http, &req, &resp);
    wipe_string(body);
    err->attempts = resp.attempts;
    if (f != HTTP_OK) {
        api_error_set_failure(err, &resp);
        rc = api_error_errno(err);
    } else if (resp.status < 200 || resp.status >= 300) {
        api_error_set_answer(err, resp.status, (const char *)resp.body->data, resp.body->len,
                             http_response_header(&resp, "x-request-id"));
        rc = api_error_errno(err);
    } else {
        err->http_status = resp.status;
        rc = parse_answer(&resp, out, err);
    }
    /* The answer's header table holds a copy of the token: wipe it before it is freed. */
    if (resp.headers) {
        char *copy = g_hash_table_lookup(resp.headers, "x-subject-token");
        if (copy)
            explicit_bzero(copy, strlen(copy));
    }
    http_response_release(&resp);
    return rc < 0 ? rc : 0;
}

void iam_token_clear(struct iam_token *t)
{
    if (t->token)
        explicit_bzero(t->token, strlen(t->token));
    g_free(t->token);
    g_free(t->project_id);
    memset(t, 0, sizeof(*t));
}
