/* Unit tests: both error body shapes and the one errno map. */
#include "viasfs/api_error.h"

#include <errno.h>
#include <string.h>

static int errno_for(long status, const char *body)
{
    struct api_error e;
    int rc;

    api_error_init(&e);
    api_error_set_answer(&e, status, body, body ? strlen(body) : 0, NULL);
    rc = api_error_errno(&e);
    api_error_release(&e);
    return rc;
}

static void test_map_answers(void)
{
    g_assert_cmpint(errno_for(400, "{\"error_code\":\"VIAS.00010007\",\"error_msg\":\"x\"}"), ==,
                    -ENOENT);
    g_assert_cmpint(errno_for(400, "{\"error_code\":\"VIAS.00010002\",\"error_msg\":\"x\"}"), ==,
                    -ENOENT);
    g_assert_cmpint(errno_for(400, "{\"error_code\":\"VIAS.00010008\",\"error_msg\":\"x\"}"), ==,
                    -ENOENT);
    g_assert_cmpint(errno_for(400, "{\"error_code\":\"VIAS.00010001\",\"error_msg\":\"x\"}"), ==,
                    -EINVAL);
    g_assert_cmpint(errno_for(401, "{\"error_code\":\"APIG.0301\",\"error_msg\":\"x\"}"), ==,
                    -EACCES);
    g_assert_cmpint(errno_for(403, "{\"error_code\":\"APIG.0302\"}"), ==, -EACCES);
    g_assert_cmpint(errno_for(404, "{\"error_code\":\"APIG.0101\"}"), ==, -EINVAL);
    g_assert_cmpint(errno_for(429, "{\"error_code\":\"APIG.0308\"}"), ==, -EAGAIN);
    g_assert_cmpint(errno_for(500, "{\"error_code\":\"VIAS.00010006\"}"), ==, -EIO);
    g_assert_cmpint(errno_for(503, "<html>busy</html>"), ==, -EIO);
    g_assert_cmpint(errno_for(302, NULL), ==, -EIO);
}

/* A failure without an answer says libcurl's reason after its name. */
static void test_transport_reason(void)
{
    struct http_response resp;
    struct api_error e;
    g_autofree char *text = NULL;

    http_response_init(&resp);
    resp.failure = HTTP_FAIL_TLS;
    resp.attempts = 1;
    resp.reason = g_strdup("SSL certificate problem: self-signed certificate");
    api_error_init(&e);
    e.call = g_strdup("GET /v2/p/tasks");
    api_error_set_failure(&e, &resp);
    text = api_error_describe(&e);
    g_assert_cmpstr(
        text, ==, "GET /v2/p/tasks: TLS failure: SSL certificate problem: self-signed certificate");
    api_error_release(&e);
    http_response_release(&resp);
}

static void test_map_transport(void)
{
    static const struct {
        enum http_failure f;
        int err;
    } cases[] = {{HTTP_FAIL_TIMEOUT, -ETIMEDOUT},    {HTTP_FAIL_REFUSED, -ECONNREFUSED},
                 {HTTP_FAIL_RESOLVE, -EHOSTUNREACH}, {HTTP_FAIL_BROKEN, -EIO},
                 {HTTP_FAIL_TOO_LARGE, -EIO},        {HTTP_FAIL_TLS, -EIO},
                 {HTTP_FAIL_NOT_HTTP, -EIO}};
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct api_error e;
        api_error_init(&e);
        e.failure = cases[i].f;
        g_assert_cmpint(api_error_errno(&e), ==, cases[i].err);
        api_error_release(&e);
    }
    struct api_error ok;
    api_error_init(&ok);
    g_assert_cmpint(api_error_errno(&ok), ==, 0);
    ok.http_status = 200;
    ok.malformed = true;
    g_assert_cmpint(api_error_errno(&ok), ==, -EIO);
    api_error_clear(&ok);
    ok.no_credential = true;
    ok.message = g_strdup("token file t: the token is empty");
    g_autofree char *text = api_error_describe(&ok);
    g_assert_cmpint(api_error_errno(&ok), ==, -EACCES);
    g_assert_cmpstr(text, ==, "request: credential unusable: token file t: the token is empty");
    api_error_release(&ok);
}

static void test_service_shape(void)
{
    const char *body = "{\"error_code\":\"VIAS.00010001\",\"error_msg\":\"Invalid parameters.\","
                       "\"detail\":\"page_size must be 5..1000\",\"params\":[\"page_size\"],"
                       "\"reason\":\"r\",\"advice\":\"a\"}";
    struct api_error e;
    g_autofree char *text = NULL;

    api_error_init(&e);
    e.call = g_strdup("GET /v2/p/tasks?page_size=3");
    api_error_set_answer(&e, 400, body, strlen(body), "hdr-id");
    g_assert_cmpstr(e.code, ==, "VIAS.00010001");
    g_assert_cmpstr(e.message, ==, "Invalid parameters.");
    g_assert_cmpstr(e.detail, ==, "page_size must be 5..1000");
    g_assert_cmpstr(e.request_id, ==, "hdr-id");
    text = api_error_describe(&e);
    g_assert_cmpstr(text, ==,
                    "GET /v2/p/tasks?page_size=3: HTTP 400 VIAS.00010001: Invalid parameters. "
                    "(page_size must be 5..1000) [request hdr-id]");
    api_error_release(&e);
}

static void test_gateway_shape(void)
{
    const char *body = "{\"error_code\":\"APIG.0301\",\"error_msg\":\"Incorrect IAM "
                       "authentication information: x-auth-token not found\","
                       "\"request_id\":\"body-id\"}";
    struct api_error e;

    api_error_init(&e);
    api_error_set_answer(&e, 401, body, strlen(body), "hdr-id");
    g_assert_cmpstr(e.code, ==, "APIG.0301");
    g_assert_cmpstr(e.request_id, ==, "body-id");
    g_assert_null(e.detail);
    api_error_release(&e);
}

static void test_hostile_body(void)
{
    const char *body = "{\"error_code\":\"X\\n\\u0001Y\",\"error_msg\":\"\xff\xfe bad\"}";
    struct api_error e;

    api_error_init(&e);
    api_error_set_answer(&e, 400, body, strlen(body), NULL);
    g_assert_cmpstr(e.code, ==, "X  Y");
    g_assert_true(g_utf8_validate(e.message, -1, NULL));
    api_error_clear(&e);
    api_error_set_answer(&e, 502, "\x01\x02garbage", 9, NULL);
    g_assert_null(e.code);
    g_assert_cmpstr(e.message, ==, "  garbage");
    api_error_release(&e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/api_error/map-answers", test_map_answers);
    g_test_add_func("/api_error/transport-reason", test_transport_reason);
    g_test_add_func("/api_error/map-transport", test_map_transport);
    g_test_add_func("/api_error/service-shape", test_service_shape);
    g_test_add_func("/api_error/gateway-shape", test_gateway_shape);
    g_test_add_func("/api_error/hostile-body", test_hostile_body);
    return g_test_run();
}
