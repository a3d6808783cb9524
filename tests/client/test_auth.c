/*
 * Client tests for credentials against the scripted stub: AK/SK signatures as they leave
 * the client, credentials file formats and rotation, IAM password tokens (request body,
 * project id, renewal, 401 renew-and-retry once, rejected passwords not resent).
 */
#include "stub.h"
#include "viasfs/api.h"
#include "viasfs/signature.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char TASK[] = "{\"id\":\"t1\",\"name\":\"n\",\"state\":\"RUNNING\"}";
static const char EXPIRED[] = "{\"error_code\":\"APIG.0307\",\"error_msg\":\"The token must be "
                              "updated.\",\"request_id\":\"r1\"}";

struct fixture {
    struct stub *stub;
    struct http *http;
    struct auth *auth;
    struct api *api;
    struct api_error err;
    char *dir;
};

static void setup(struct fixture *f, gconstpointer unused)
{
    struct http_config hc;
    g_autofree char *why = NULL;

    f->stub = stub_new();
    http_config_defaults(&hc);
    hc.max_attempts = 5; /* the tests count a bounded number of attempts */
    hc.backoff_base_ms = 10;
    hc.backoff_cap_ms = 40;
    f->http = http_new(&hc, &why);
    g_assert_nonnull(f->http);
    f->dir = g_dir_make_tmp("viasfs-auth-XXXXXX", NULL);
    api_error_init(&f->err);
}

static void teardown(struct fixture *f, gconstpointer unused)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);

    api_error_release(&f->err);
    api_free(f->api);
    auth_free(f->auth);
    http_free(f->http);
    stub_free(f->stub);
    g_assert_cmpint(system(cmd), ==, 0);
    g_free(f->dir);
}

static char *write_file(struct fixture *f, const char *name, const char *text)
{
    char *path = g_build_filename(f->dir, name, NULL);

    g_assert_true(g_file_set_contents(path, text, -1, NULL));
    chmod(path, 0600);
    return path;
}

static void make_api(struct fixture *f, const char *project)
{
    g_autofree char *why = NULL;
    struct api_config ac = {
        .endpoint = stub_url(f->stub), .project_id = project, .http = f->http, .auth = f->auth};

    f->api = api_new(&ac, &why);
    g_assert_nonnull(f->api);
}

static gint64 in_ms(int ms)
{
    return g_get_monotonic_time() + (gint64)ms * 1000;
}

/* Recomputes the signature of a recorded request from what arrived, with @sk. */
static void assert_signed(const struct stub_request *r, const char *ak, const char *sk)
{
    const char *authz = g_hash_table_lookup(r->headers, "authorization");
    const char *date = g_hash_table_lookup(r->headers, "x-sdk-date");
    g_autofree char *path = NULL, *expected = NULL;
    const char *q = strchr(r->uri, '?');
    g_autofree char *signed_list = NULL;
    g_auto(GStrv) names = NULL;
    struct signature_header h[8];
    guint n;

    g_assert_nonnull(authz);
    g_assert_nonnull(date);
    g_assert_cmpuint(strlen(date), ==, 16);
    /* The signed header list, as the header states it. */
    const char *sh = strstr(authz, "SignedHeaders=");
    g_assert_nonnull(sh);
    sh += strlen("SignedHeaders=");
    signed_list = g_strndup(sh, strcspn(sh, ","));
    g_assert_nonnull(strstr(signed_list, "host"));
    g_assert_nonnull(strstr(signed_list, "x-sdk-date"));
    names = g_strsplit(signed_list, ";", -1);
    n = g_strv_length(names);
    g_assert_cmpuint(n, <=, G_N_ELEMENTS(h));
    for (guint i = 0; i < n; i++) {
        h[i].name = names[i];
        h[i].value = g_hash_table_lookup(r->headers, names[i]);
        g_assert_nonnull(h[i].value);
    }
    path = q ? g_strndup(r->uri, q - r->uri) : g_strdup(r->uri);
    struct signature_input in = {.method = r->method,
                                 .path = path,
                                 .query = q ? q + 1 : NULL,
                                 .headers = h,
                                 .n_headers = n,
                                 .body = r->body,
                                 .body_len = strlen(r->body)};
    expected = signature_authorization(&in, date, ak, sk);
    g_assert_cmpstr(authz, ==, expected);
}

static void test_aksk_signs_what_it_sends(struct fixture *f, gconstpointer unused)
{
    g_autofree char *path = write_file(f, "cred", "# keys\naccess_key = AKONE\nsecret_key=SKONE\n");
    g_autofree char *why = NULL;
    struct api_filter filter = {.camera_name = "gate 1/å", .task_state = "RUNNING"};
    g_autoptr(TaskPage) p = NULL;
    struct task *t = NULL;

    f->auth = auth_new_aksk_file(path, &why);
    g_assert_nonnull(f->auth);
    g_assert_cmpstr(auth_kind(f->auth), ==, "aksk");
    make_api(f, "proj 1");
    stub_push(f->stub, 200, "{\"count\":0,\"tasks\":[]}", 0);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_list_page(f->api, &filter, 2, 50, in_ms(5000), &p, &f->err), ==, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    task_unref(t);
    for (guint i = 0; i < 2; i++) {
        const struct stub_request *r = stub_request(f->stub, i);

        g_assert_null(g_hash_table_lookup(r->headers, "x-auth-token"));
        g_assert_null(g_hash_table_lookup(r->headers, "x-security-token"));
        g_assert_true(g_str_has_prefix(g_hash_table_lookup(r->headers, "authorization"),
                                       "SDK-HMAC-SHA256 Access=AKONE, "));
        assert_signed(r, "AKONE", "SKONE");
    }
    /* The check can fail: a wrong key does not reproduce the signature. */
    {
        const struct stub_request *r = stub_request(f->stub, 0);
        const char *date = g_hash_table_lookup(r->headers, "x-sdk-date");
        const struct signature_header h[] = {{"host", g_hash_table_lookup(r->headers, "host")},
                                             {"x-sdk-date", date}};
        const char *q = strchr(r->uri, '?');
        g_autofree char *path2 = g_strndup(r->uri, q - r->uri);
        struct signature_input in = {
            .method = "GET", .path = path2, .query = q + 1, .headers = h, .n_headers = 2};
        g_autofree char *wrong = signature_authorization(&in, date, "AKONE", "SKTWO");

        g_assert_cmpstr(g_hash_table_lookup(r->headers, "authorization"), !=, wrong);
    }
}

static void test_aksk_csv_security_token_and_rotation(struct fixture *f, gconstpointer unused)
{
    g_autofree char *path = write_file(f, "credentials.csv",
                                       "User Name,Access Key Id,Secret Access Key\r\n"
                                       "\"alice\",AKCSV,SKCSV\r\n");
    g_autofree char *why = NULL;
    struct task *t = NULL;
    guint64 gen;

    f->auth = auth_new_aksk_file(path, &why);
    g_assert_nonnull(f->auth);
    make_api(f, "p");
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    assert_signed(stub_request(f->stub, 0), "AKCSV", "SKCSV");
    gen = auth_generation(f->auth);

    /* Rotated in place to temporary credentials with a security token. */
    g_usleep(20000);
    g_assert_true(g_file_set_contents(
        path, "access_key=AKTMP\nsecret_key=SKTMP\nsecurity_token=ST-123\n", -1, NULL));
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(auth_generation(f->auth), !=, gen);
    const struct stub_request *r = stub_request(f->stub, 1);
    g_assert_cmpstr(g_hash_table_lookup(r->headers, "x-security-token"), ==, "ST-123");
    g_assert_nonnull(strstr(g_hash_table_lookup(r->headers, "authorization"),
                            "SignedHeaders=host;x-sdk-date;x-security-token,"));
    assert_signed(r, "AKTMP", "SKTMP");
}

static void test_aksk_bad_files(struct fixture *f, gconstpointer unused)
{
    const char *bad[] = {"",
                         "access_key=A\n",
                         "secret_key=S\n",
                         "access_key=A\nsecret_key=S S\n",
                         "nonsense line\n",
                         "password=x\naccess_key=A\nsecret_key=S\n"};

    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *path = write_file(f, "bad", bad[i]);
        g_autofree char *why = NULL;
        struct auth *a = auth_new_aksk_file(path, &why);

        g_assert_null(a);
        g_assert_nonnull(why);
        g_assert_nonnull(strstr(why, path));
        /* Never the secret itself in the message. */
        g_assert_null(strstr(why, "S S"));
    }
}

/* An IAM answer for a token valid @ttl_s seconds from now. */
static void push_iam_token(struct fixture *f, const char *token, int ttl_s)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autoptr(GDateTime) exp = g_date_time_add_seconds(now, ttl_s);
    g_autofree char *issued_s = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
    g_autofree char *exp_s = g_date_time_format(exp, "%Y-%m-%dT%H:%M:%S.%fZ");
    g_autofree char *body = g_strdup_printf(
        "{\"token\":{\"expires_at\":\"%s\",\"issued_at\":\"%s\",\"methods\":[\"password\"],"
        "\"project\":{\"id\":\"proj-from-iam\",\"name\":\"cn-north-4\"},"
        "\"user\":{\"name\":\"bob\"}}}",
        exp_s, issued_s);

    stub_push(f->stub, 201, body, 0);
    stub_push_header(f->stub, "X-Subject-Token", token);
}

static void iam_setup(struct fixture *f, const char *password)
{
    g_autofree char *pw = write_file(f, "password", password);
    g_autofree char *why = NULL;
    g_autofree char *iam = g_strconcat(stub_url(f->stub), "/", NULL);
    struct auth_iam_config c = {.endpoint = iam,
                                .user = "bob",
                                .domain = "acme \"corp\"",
                                .region = "cn-north-4",
                                .password_file = pw,
                                .http = f->http};

    f->auth = auth_new_iam(&c, &why);
    g_assert_nonnull(f->auth);
    g_assert_cmpstr(auth_kind(f->auth), ==, "iam");
}

static void test_iam_token_and_project(struct fixture *f, gconstpointer unused)
{
    g_autofree char *long_token = g_strnfill(8000, 'M');
    g_autofree char *project = NULL;
    const struct stub_request *r;
    struct task *t = NULL;

    iam_setup(f, "pa\"ss\\word\n");
    push_iam_token(f, long_token, 3600);
    g_assert_cmpint(auth_prepare(f->auth, in_ms(5000), &f->err), ==, 0);
    project = auth_project_id(f->auth);
    g_assert_cmpstr(project, ==, "proj-from-iam");
    g_assert_cmpint(auth_expires_at(f->auth), >, g_get_real_time() / G_USEC_PER_SEC + 3500);
    r = stub_request(f->stub, 0);
    g_assert_cmpstr(r->method, ==, "POST");
    g_assert_cmpstr(r->uri, ==, "/v3/auth/tokens?nocatalog=true");
    g_assert_cmpstr(
        r->body, ==,
        "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":"
        "{\"name\":\"bob\",\"password\":\"pa\\\"ss\\\\word\",\"domain\":{\"name\":"
        "\"acme \\\"corp\\\"\"}}}},\"scope\":{\"project\":{\"name\":\"cn-north-4\"}}}}");
    make_api(f, project);
    stub_push(f->stub, 200, TASK, 0);
    stub_push(f->stub, 200, TASK, 0);
    for (int i = 0; i < 2; i++) {
        g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
        g_clear_pointer(&t, task_unref);
    }
    g_assert_cmpuint(stub_count(f->stub), ==, 3); /* one token for both */
    r = stub_request(f->stub, 2);
    g_assert_cmpstr(r->uri, ==, "/v2/proj-from-iam/tasks/t1");
    g_assert_cmpstr(g_hash_table_lookup(r->headers, "x-auth-token"), ==, long_token);
}

static void test_iam_401_renews_once(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    iam_setup(f, "pw");
    push_iam_token(f, "TOK1", 3600);
    g_assert_cmpint(auth_prepare(f->auth, in_ms(5000), &f->err), ==, 0);
    make_api(f, "p");
    /* Revoked early: 401, a new token, one retry. */
    stub_push(f->stub, 401, EXPIRED, 0);
    push_iam_token(f, "TOK2", 3600);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, 4);
    g_assert_cmpstr(stub_request(f->stub, 2)->method, ==, "POST");
    g_assert_cmpstr(g_hash_table_lookup(stub_request(f->stub, 3)->headers, "x-auth-token"), ==,
                    "TOK2");
    /* Rejected again right after renewal: EACCES, no loop, and not sent again. */
    stub_push(f->stub, 401, EXPIRED, 0);
    push_iam_token(f, "TOK3", 3600);
    stub_push(f->stub, 401, EXPIRED, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EACCES);
    g_assert_cmpuint(stub_count(f->stub), ==, 7);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EACCES);
    g_assert_cmpuint(stub_count(f->stub), ==, 7);
}

static void test_iam_renews_before_expiry(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    iam_setup(f, "pw");
    push_iam_token(f, "SHORT1", 2); /* renewed after 1.5 s, not used after 1.8 s */
    stub_push(f->stub, 200, TASK, 0);
    make_api(f, "p");
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_usleep(1600 * 1000);
    push_iam_token(f, "SHORT2", 2);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, 4);
    g_assert_cmpstr(stub_request(f->stub, 2)->method, ==, "POST");
    g_assert_cmpstr(g_hash_table_lookup(stub_request(f->stub, 3)->headers, "x-auth-token"), ==,
                    "SHORT2");
}

static void test_iam_wrong_password_not_resent(struct fixture *f, gconstpointer unused)
{
    g_autofree char *pw = NULL;
    g_autofree char *text = NULL;
    struct task *t = NULL;

    iam_setup(f, "wrong");
    make_api(f, "p");
    stub_push(f->stub, 401,
              "{\"error\":{\"code\":401,\"title\":\"Unauthorized\",\"message\":\"The username or "
              "password is wrong.\"}}",
              0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EACCES);
    text = api_error_describe(&f->err);
    g_assert_nonnull(strstr(text, "The username or password is wrong."));
    g_assert_null(strstr(text, "wrong\""));
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, -EACCES);
    g_assert_cmpint(auth_prepare(f->auth, in_ms(5000), &f->err), ==, -EACCES);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
    /* A corrected password file is tried at once. */
    g_usleep(20000);
    pw = write_file(f, "password", "right");
    push_iam_token(f, "GOOD", 3600);
    stub_push(f->stub, 200, TASK, 0);
    g_assert_cmpint(api_get_task(f->api, "t1", in_ms(5000), &t, &f->err), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, 3);
}

static void test_iam_unreachable_is_not_eacces(struct fixture *f, gconstpointer unused)
{
    g_autofree char *pw = write_file(f, "password", "pw");
    g_autofree char *why = NULL;
    struct auth_iam_config c = {.endpoint = "http://127.0.0.1:1",
                                .user = "bob",
                                .domain = "d",
                                .region = "r",
                                .password_file = pw,
                                .http = f->http};

    f->auth = auth_new_iam(&c, &why);
    g_assert_nonnull(f->auth);
    g_assert_cmpint(auth_prepare(f->auth, in_ms(3000), &f->err), ==, -ECONNREFUSED);
    g_assert_cmpint(f->err.failure, ==, HTTP_FAIL_REFUSED);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, struct fixture, NULL, setup, fn, teardown)
    ADD("/auth/aksk/signs-what-it-sends", test_aksk_signs_what_it_sends);
    ADD("/auth/aksk/csv-security-token-rotation", test_aksk_csv_security_token_and_rotation);
    ADD("/auth/aksk/bad-files", test_aksk_bad_files);
    ADD("/auth/iam/token-and-project", test_iam_token_and_project);
    ADD("/auth/iam/401-renews-once", test_iam_401_renews_once);
    ADD("/auth/iam/renews-before-expiry", test_iam_renews_before_expiry);
    ADD("/auth/iam/wrong-password-not-resent", test_iam_wrong_password_not_resent);
    ADD("/auth/iam/unreachable", test_iam_unreachable_is_not_eacces);
    return g_test_run();
}
