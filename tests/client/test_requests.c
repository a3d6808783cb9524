/*
 * Client tests against the scripted stub server: the exact requests the library sends, and
 * how it treats every kind of answer (retries, deadlines, hostile bodies, credentials).
 */
#include "stub.h"
#include "viasfs/api.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char TASK[] = "{\"id\":\"t1\",\"name\":\"n\",\"state\":\"RUNNING\"}";

struct fixture {
    struct stub *stub;
    struct http *http;
    struct auth *auth;
    struct api *api;
    struct api_error err;
    char *dir;
    char *token_file;
    int errors_reported;
};

static void on_error(const struct api_error *e, void *data)
{
    struct fixture *f = data;
    f->errors_reported++;
}

static void setup_with(struct fixture *f, int max_requests, size_t max_body)
{
    struct http_config hc;
    g_autofree char *why = NULL;

    f->stub = stub_new();
    http_config_defaults(&hc);
    hc.max_attempts = 5; /* the tests count a bounded number of attempts */
    hc.max_requests = max_requests;
    hc.backoff_base_ms = 10;
    hc.throttle_base_ms = 10;
    hc.backoff_cap_ms = 40;
    if (max_body)
        hc.max_body = max_body;
    f->http = http_new(&hc, &why);
    g_assert_nonnull(f->http);
    f->dir = g_dir_make_tmp("viasfs-req-XXXXXX", NULL);
    f->token_file = g_build_filename(f->dir, "token", NULL);
    g_assert_true(g_file_set_contents(f->token_file, "tok-one\n", -1, NULL));
    chmod(f->token_file, 0600);
    f->auth = auth_new_token_file(f->token_file, &why);
    g_assert_nonnull(f->auth);
    struct api_config ac = {.endpoint = stub_url(f->stub),
                            .project_id = "proj 1",
                            .http = f->http,
                            .auth = f->auth,
                            .on_error = on_error,
                            .on_error_data = f};
    f->api = api_new(&ac, &why);
    g_assert_nonnull(f->api);
    api_error_init(&f->err);
}

static void setup(struct fixture *f, gconstpointer unused)
{
    setup_with(f, 8, 0);
}

static void teardown(struct fixture *f, gconstpointer unused)
{
    api_error_release(&f->err);
    api_free(f->api);
    auth_free(f->auth);
    http_free(f->http);
    stub_free(f->stub);
    unlink(f->token_file);
    rmdir(f->dir);
    g_free(f->token_file);
    g_free(f->dir);
}

static gint64 in_ms(int ms)
{
    return g_get_monotonic_time() + (gint64)ms * 1000;
}

static void test_exact_list_request(struct fixture *f, gconstpointer unused)
{
    struct api_filter filter = {
        .task_state = "RUNNING", .camera_name = "gate 1/å", .title = "人脸识别", .sort_dir = "asc"};
    g_autoptr(TaskPage) p = NULL;
    const struct stub_request *r;

    stub_push(f->stub, 200, "{\"count\":0,\"tasks\":[],\"page\":3,\"page_size\":50}", 0);
    g_assert_cmpint(api_list_page(f->api, &filter, 3, 50, in_ms(5000), &p, &f->err), ==, 0);
    r = stub_request(f->stub, 0);
    g_assert_cmpstr(r->method, ==, "GET");
    g_assert_cmpstr(r->uri, ==,
                    "/v2/proj%201/tasks?title=%E4%BA%BA%E8%84%B8%E8%AF%86%E5%88%AB"
                    "&camera_name=gate%201%2F%C3%A5&task_state=RUNNING&sort_dir=asc"
                    "&page=3&page_size=50");
    g_assert_cmpstr(g_hash_table_lookup(r->headers, "x-auth-token"), ==, "tok-one");
    g_assert_cmpstr(g_hash_table_lookup(r->headers, "accept"), ==, "application/json");
    g_assert_nonnull(strstr(g_hash_table_lookup(r->headers, "accept-encoding"), "gzip"));
    g_assert_true(g_str_has_prefix(g_hash_table_lookup(r->headers, "user-agent"), "viasfs/"));
    g_assert_cmpuint(p->tasks->len, ==, 0);
}

static void test_exact_detail_request(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_assert_cmpstr(stub_request(f->stub, 0)->uri, ==, "/v2/proj%201/tasks/t1");
    g_assert_cmpstr(t->name, ==, "n");
    task_unref(t);
}

static void test_retry_429_then_ok(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    stub_push(f->stub, 429, "{\"error_code\":\"APIG.0308\",\"error_msg\":\"throttled\"}", 0);
    stub_push(f->stub, 429, "{\"error_code\":\"APIG.0308\",\"error_msg\":\"throttled\"}", 0);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_assert_cmpuint(stub_count(f->stub), ==, 3);
    g_assert_cmpint(f->errors_reported, ==, 0);
    task_unref(t);
}

static void test_retry_5xx_and_drop_then_ok(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    stub_push(f->stub, 500, "{\"error_code\":\"VIAS.00010006\"}", 0);
    stub_push_drop(f->stub);
    stub_push(f->stub, 503, "<html>", 0);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_assert_cmpuint(stub_count(f->stub), ==, 4);
    task_unref(t);
}

static void test_retries_exhausted(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    for (int i = 0; i < 10; i++)
        stub_push(f->stub, 429, "{\"error_code\":\"APIG.0308\",\"error_msg\":\"slow down\"}", 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EAGAIN);
    g_assert_cmpuint(stub_count(f->stub), ==, 5); /* max_attempts */
    g_assert_cmpint(f->err.attempts, ==, 5);
    g_assert_cmpstr(f->err.code, ==, "APIG.0308");
    g_assert_cmpint(f->errors_reported, ==, 1);
    g_assert_null(t);
}

static void test_no_retry_on_4xx(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;
    g_autofree char *text = NULL;

    stub_push(f->stub, 400,
              "{\"error_code\":\"VIAS.00010007\",\"error_msg\":\"No task is found\","
              "\"detail\":\"t1\",\"params\":[],\"reason\":\"\",\"advice\":\"\"}",
              0);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -ENOENT);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
    text = api_error_describe(&f->err);
    g_assert_cmpstr(text, ==,
                    "GET /v2/proj%201/tasks/t1: HTTP 400 VIAS.00010007: No task is found (t1) "
                    "[request stub-request-id]");

    /* The queued 200 answers the next call; then a 401 must not be retried either. */
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    stub_push(f->stub, 401, "{\"error_code\":\"APIG.0301\",\"error_msg\":\"token verify failed\"}",
              0);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EACCES);
    g_assert_cmpuint(stub_count(f->stub), ==, 3);
    g_assert_null(t);
}

static void test_rejected_token_not_resent(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    stub_push(f->stub, 401, "{\"error_code\":\"APIG.0301\",\"error_msg\":\"token verify failed\"}",
              0);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EACCES);
    for (int i = 0; i < 5; i++)
        g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EACCES);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
    g_assert_true(f->err.no_credential);
    g_assert_nonnull(strstr(f->err.message, "APIG.0301"));
    /* A new token is tried at once. */
    g_assert_true(g_file_set_contents(f->token_file, "tok-fixed\n", -1, NULL));
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
    g_assert_cmpstr(g_hash_table_lookup(stub_request(f->stub, 1)->headers, "x-auth-token"), ==,
                    "tok-fixed");
    task_unref(t);
}

static void test_stall_times_out(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;
    gint64 start = g_get_monotonic_time();

    stub_push(f->stub, 200, TASK, 3000);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(400), &t, &f->err), ==, -ETIMEDOUT);
    /* Within the deadline plus scheduling slack, not after the stall ends. */
    g_assert_cmpint(g_get_monotonic_time() - start, <, 2000 * 1000);
    g_assert_cmpint(f->err.failure, ==, HTTP_FAIL_TIMEOUT);
}

static void test_malformed_bodies(struct fixture *f, gconstpointer unused)
{
    static const char *const bodies[] = {
        "{\"id\":\"t1\",\"state\":",
        "<html>ok</html>",
        "[]",
        "{\"name\":\"no id\"}",
        "{\"id\":\"other\",\"state\":\"RUNNING\"}",
        "",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bodies); i++) {
        struct task *t = NULL;
        stub_push(f->stub, 200, bodies[i], 0);
        g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EIO);
        g_assert_true(f->err.malformed);
        g_assert_null(t);
    }
    g_assert_cmpuint(stub_count(f->stub), ==, G_N_ELEMENTS(bodies)); /* not retried */

    g_autoptr(TaskPage) p = NULL;
    stub_push(f->stub, 200, "{\"tasks\":\"nope\"}", 0);
    g_assert_cmpint(api_list_page(f->api, NULL, 1, 10, in_ms(5000), &p, &f->err), ==, -EIO);
}

static void setup_small_body(struct fixture *f, gconstpointer unused)
{
    setup_with(f, 8, 1024);
}

static void test_body_cap(struct fixture *f, gconstpointer unused)
{
    g_autoptr(GString) big = g_string_new("{\"id\":\"t1\",\"state\":\"RUNNING\",\"name\":\"");
    struct task *t = NULL;

    for (int i = 0; i < 2000; i++)
        g_string_append_c(big, 'x');
    g_string_append(big, "\"}");
    stub_push(f->stub, 200, big->str, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EIO);
    g_assert_cmpint(f->err.failure, ==, HTTP_FAIL_TOO_LARGE);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
}

/* A detail answer of exactly @len bytes: a task whose name fills it. */
static GString *detail_of_length(size_t len)
{
    GString *s = g_string_new("{\"id\":\"t1\",\"state\":\"RUNNING\",\"name\":\"");
    size_t fill = len - s->len - 2;

    g_string_set_size(s, s->len + fill);
    memset(s->str + s->len - fill, 'x', fill);
    g_string_append(s, "\"}");
    g_assert_cmpuint(s->len, ==, len);
    return s;
}

/* The default cap, in pairs: an answer of HTTP_MAX_BODY_DEFAULT bytes is taken, one byte more
 * fails with EIO (not retried), and the error says what the limit is. */
static void test_default_body_cap(struct fixture *f, gconstpointer unused)
{
    g_autoptr(GString) fits = detail_of_length(HTTP_MAX_BODY_DEFAULT);
    g_autoptr(GString) over = detail_of_length(HTTP_MAX_BODY_DEFAULT + 1);
    g_autofree char *text = NULL;
    struct task *t = NULL;

    g_assert_cmpuint(HTTP_MAX_BODY_DEFAULT, ==, 16u << 20);
    stub_push(f->stub, 200, fits->str, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(20000), &t, &f->err), ==, 0);
    g_assert_cmpuint(strlen(t->name), ==, HTTP_MAX_BODY_DEFAULT - 39);
    g_clear_pointer(&t, task_unref);

    stub_push(f->stub, 200, over->str, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(20000), &t, &f->err), ==, -EIO);
    g_assert_null(t);
    g_assert_cmpint(f->err.failure, ==, HTTP_FAIL_TOO_LARGE);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
    text = api_error_describe(&f->err);
    g_test_message("%s", text);
    g_assert_nonnull(strstr(text, "longer than 16 MiB once decoded"));
    g_assert_cmpint(f->errors_reported, ==, 1);
}

static void test_token_file_rotation(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    stub_push(f->stub, 200, TASK, 0);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    /* Same size, new content: the mtime or inode tells the change. */
    g_assert_true(g_file_set_contents(f->token_file, "tok-two\n", -1, NULL));
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpstr(g_hash_table_lookup(stub_request(f->stub, 0)->headers, "x-auth-token"), ==,
                    "tok-one");
    g_assert_cmpstr(g_hash_table_lookup(stub_request(f->stub, 1)->headers, "x-auth-token"), ==,
                    "tok-two");

    /* An emptied token file is a credential failure before any request is sent. */
    g_assert_true(g_file_set_contents(f->token_file, "\n", -1, NULL));
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EACCES);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
}

/*
 * A refused connection is final where nothing ever answered (nothing listens: a wrong
 * endpoint), and retried where something did (a server restarting).
 */
static void test_refused(void)
{
    struct http_config hc;
    g_autofree char *why = NULL;
    struct api_error err;
    struct task *t = NULL;
    struct stub *s = stub_new();
    g_autofree char *url = g_strdup(stub_url(s));

    http_config_defaults(&hc);
    hc.max_attempts = 5; /* the tests count a bounded number of attempts */
    hc.backoff_base_ms = 10;
    hc.throttle_base_ms = 10;
    struct http *http = http_new(&hc, &why);
    struct http *fresh = http_new(&hc, &why);
    struct auth *auth = auth_new_token("tok", &why);
    struct api_config ac = {.endpoint = url, .project_id = "p", .http = http, .auth = auth};
    struct api *api = api_new(&ac, &why);
    ac.http = fresh;
    struct api *fresh_api = api_new(&ac, &why);

    api_error_init(&err);
    stub_push(s, 200, TASK, 0);
    g_assert_cmpint(api_get_task(api, "t1", in_ms(3000), &t, &err), ==, 0);
    g_clear_pointer(&t, task_unref);
    stub_free(s); /* the port is now closed */

    g_assert_cmpint(api_get_task(fresh_api, "t1", in_ms(3000), &t, &err), ==, -ECONNREFUSED);
    g_assert_cmpint(err.attempts, ==, 1);
    g_assert_cmpint(api_get_task(api, "t1", in_ms(3000), &t, &err), ==, -ECONNREFUSED);
    g_assert_cmpint(err.attempts, ==, 5);

    api_error_release(&err);
    api_free(fresh_api);
    api_free(api);
    auth_free(auth);
    http_free(fresh);
    http_free(http);
}

static void setup_two_slots(struct fixture *f, gconstpointer unused)
{
    setup_with(f, 2, 0);
}

static gpointer fetch_thread(gpointer data)
{
    struct fixture *f = data;
    struct api_error err;
    struct task *t = NULL;
    int rc;

    api_error_init(&err);
    rc = api_get_task(f->api, "t1", in_ms(10000), &t, &err);
    if (t)
        task_unref(t);
    api_error_release(&err);
    return GINT_TO_POINTER(rc);
}

static void test_concurrency_cap(struct fixture *f, gconstpointer unused)
{
    GThread *threads[6];

    for (int i = 0; i < 6; i++)
        stub_push(f->stub, 200, TASK, 150);
    for (int i = 0; i < 6; i++)
        threads[i] = g_thread_new("fetch", fetch_thread, f);
    for (int i = 0; i < 6; i++)
        g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(threads[i])), ==, 0);
    g_assert_cmpuint(stub_count(f->stub), ==, 6);
    g_assert_cmpuint(stub_max_in_flight(f->stub), ==, 2);
}

static void test_filter_acceptable(void)
{
    struct api_filter f = {.task_state = "RUNNING", .title = "人脸识别", .camera_name = "gate 1"};

    g_assert_true(api_filter_acceptable(&f));
    f.title = "face_detect-v2,x";
    g_assert_true(api_filter_acceptable(&f));
    f.title = "a"; /* too short */
    g_assert_false(api_filter_acceptable(&f));
    f.title = "café"; /* outside the documented characters */
    g_assert_false(api_filter_acceptable(&f));
    f.title = "has space";
    g_assert_false(api_filter_acceptable(&f));
    f.title = NULL;
    f.task_state = "HIBERNATING"; /* undocumented state */
    g_assert_false(api_filter_acceptable(&f));
    f.task_state = NULL;
    f.camera_name = "";
    g_assert_false(api_filter_acceptable(&f));
    g_autofree char *long_cam = g_strnfill(256, 'c');
    f.camera_name = long_cam;
    g_assert_false(api_filter_acceptable(&f));
    long_cam[255] = '\0';
    g_assert_true(api_filter_acceptable(&f));
}

static void test_bad_config(void)
{
    g_autofree char *why = NULL;
    struct api_config ac = {.endpoint = "ftp://x", .project_id = "p"};

    g_assert_null(api_new(&ac, &why));
    g_assert_nonnull(strstr(why, "http"));
    g_clear_pointer(&why, g_free);
    ac.endpoint = "http://x";
    ac.project_id = "";
    g_assert_null(api_new(&ac, &why));
    g_assert_nonnull(strstr(why, "project"));
    g_clear_pointer(&why, g_free);
    g_assert_null(auth_new_token("", &why));
    g_clear_pointer(&why, g_free);
    g_assert_null(auth_new_token("a b", &why));
    g_clear_pointer(&why, g_free);
    g_assert_null(auth_new_token_file("/nonexistent/token", &why));
    g_assert_nonnull(strstr(why, "/nonexistent/token"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, setup_fn) g_test_add(path, struct fixture, NULL, setup_fn, fn, teardown)
    ADD("/requests/exact-list-request", test_exact_list_request, setup);
    ADD("/requests/exact-detail-request", test_exact_detail_request, setup);
    ADD("/requests/retry-429-then-ok", test_retry_429_then_ok, setup);
    ADD("/requests/retry-5xx-and-drop-then-ok", test_retry_5xx_and_drop_then_ok, setup);
    ADD("/requests/retries-exhausted", test_retries_exhausted, setup);
    ADD("/requests/no-retry-on-4xx", test_no_retry_on_4xx, setup);
    ADD("/requests/rejected-token-not-resent", test_rejected_token_not_resent, setup);
    ADD("/requests/stall-times-out", test_stall_times_out, setup);
    ADD("/requests/malformed-bodies", test_malformed_bodies, setup);
    ADD("/requests/body-cap", test_body_cap, setup_small_body);
    ADD("/requests/default-body-cap", test_default_body_cap, setup);
    ADD("/requests/token-file-rotation", test_token_file_rotation, setup);
    ADD("/requests/concurrency-cap", test_concurrency_cap, setup_two_slots);
    g_test_add_func("/requests/refused", test_refused);
    g_test_add_func("/requests/bad-config", test_bad_config);
    g_test_add_func("/requests/filter-acceptable", test_filter_acceptable);
    return g_test_run();
}
