/*
 * api_error: failure description, error-body parsing and the errno map (see api_error.h).
 * It does not log; the api logs each failure once, where the call is made.
 */
#include "viasfs/api_error.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

enum { MAX_ERROR_BODY = 64 * 1024 };

void api_error_init(struct api_error *e)
{
    memset(e, 0, sizeof(*e));
}

void api_error_release(struct api_error *e)
{
    g_clear_pointer(&e->call, g_free);
    g_clear_pointer(&e->code, g_free);
    g_clear_pointer(&e->message, g_free);
    g_clear_pointer(&e->detail, g_free);
    g_clear_pointer(&e->request_id, g_free);
}

void api_error_clear(struct api_error *e)
{
    api_error_release(e);
    api_error_init(e);
}

/* A string member, bounded and made valid UTF-8 with control bytes replaced, or NULL. */
static char *member_text(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char *s;

    if (!cJSON_IsString(v) || !v->valuestring)
        return NULL;
    s = g_utf8_make_valid(v->valuestring, MIN(strlen(v->valuestring), 512));
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    return s;
}

void api_error_set_answer(struct api_error *e, long status, const char *body, size_t len,
                          const char *request_id)
{
    /* An error body is a few hundred bytes: a long one is not parsed, only quoted. */
    cJSON *root = body && len && len <= MAX_ERROR_BODY ? cJSON_ParseWithLength(body, len) : NULL;

    e->failure = HTTP_OK;
    e->http_status = status;
    g_clear_pointer(&e->code, g_free);
    g_clear_pointer(&e->message, g_free);
    g_clear_pointer(&e->detail, g_free);
    g_clear_pointer(&e->request_id, g_free);
    if (cJSON_IsObject(root) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "error"))) {
        /* IAM: {"error": {"code": 401, "title": "Unauthorized", "message": "..."}} */
        const cJSON *inner = cJSON_GetObjectItemCaseSensitive(root, "error");

        e->code = member_text(inner, "title");
        e->message = member_text(inner, "message");
    } else if (cJSON_IsObject(root)) {
        e->code = member_text(root, "error_code");
        e->message = member_text(root, "error_msg");
        e->detail = member_text(root, "detail");
        e->request_id = member_text(root, "request_id");
    } else if (body && len) {
        g_autofree char *excerpt = g_strndup(body, MIN(len, 120));
        e->message = g_utf8_make_valid(excerpt, -1);
        for (char *p = e->message; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = ' ';
    }
    if (!e->request_id && request_id)
        e->request_id = g_strndup(request_id, 128);
    cJSON_Delete(root);
}

void api_error_set_failure(struct api_error *e, const struct http_response *resp)
{
    e->failure = resp->failure;
    e->attempts = resp->attempts;
    g_free(e->message);
    e->message = g_strdup(resp->reason);
}

static bool code_is(const struct api_error *e, const char *code)
{
    return e->code && strcmp(e->code, code) == 0;
}

int api_error_errno(const struct api_error *e)
{
    if (e->no_credential)
        return -EACCES;
    switch (e->failure) {
    case HTTP_OK:
        break;
    case HTTP_FAIL_TIMEOUT:
        return -ETIMEDOUT;
    case HTTP_FAIL_REFUSED:
        return -ECONNREFUSED;
    case HTTP_FAIL_RESOLVE:
        return -EHOSTUNREACH;
    default:
        return -EIO;
    }
    if (code_is(e, "VIAS.00010007") || code_is(e, "VIAS.00010002") || code_is(e, "VIAS.00010008"))
        return -ENOENT;
    if (e->http_status == 401 || e->http_status == 403)
        return -EACCES;
    if (e->http_status == 429)
        return -EAGAIN;
    if (e->http_status >= 400 && e->http_status < 500)
        return -EINVAL;
    if (e->http_status >= 500 || e->malformed)
        return -EIO;
    if (e->http_status != 0 && (e->http_status < 200 || e->http_status >= 300))
        return -EIO; /* 1xx/3xx as a final answer: we follow no redirects */
    return 0;
}

char *api_error_describe(const struct api_error *e)
{
    GString *s = g_string_new(e->call ? e->call : "request");

    g_string_append(s, ": ");
    if (e->no_credential)
        g_string_append(s, "credential unusable");
    else if (e->failure != HTTP_OK)
        g_string_append(s, http_failure_name(e->failure));
    else if (e->http_status)
        g_string_append_printf(s, "HTTP %ld", e->http_status);
    if (e->malformed)
        g_string_append(s, " malformed answer");
    if (e->code)
        g_string_append_printf(s, " %s", e->code);
    if (e->message) /* after the call alone (a request not sent): one separator */
        g_string_append_printf(s, "%s%s", g_str_has_suffix(s->str, ": ") ? "" : ": ", e->message);
    if (e->detail && (!e->message || strcmp(e->detail, e->message) != 0))
        g_string_append_printf(s, " (%s)", e->detail);
    if (e->request_id)
        g_string_append_printf(s, " [request %s]", e->request_id);
    if (e->attempts > 1)
        g_string_append_printf(s, " after %d attempts", e->attempts);
    return g_string_free(s, FALSE);
}
