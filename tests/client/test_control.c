/*
 * Client tests of the control calls against the scripted stub server (PRODUCT.md section 8):
 * the exact requests and bodies, that a call that may have reached the service is never sent
 * twice, what a lost answer leads to (the task read again), and that a masked secret is never
 * sent.
 */
#include "stub.h"
#include "viasfs/api.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A detail with a secret header, as the API sends it (unmasked). */
static const char DETAIL[] =
    "{\"id\":\"t1\",\"name\":\"cam-1\",\"description\":\"d\",\"state\":\"RUNNING\","
    "\"schedule\":null,"
    "\"input\":{\"type\":\"restful\",\"data\":[{\"url\":\"https://s/1\","
    "\"headers\":{\"X-Api-Key\":\"sk-real\",\"Accept\":\"json\"}}]},"
    "\"output\":{\"webhook\":{\"url\":\"https://h\"}},"
    "\"config\":{\"common\":{\"fps\":5}},\"resource_order_id\":\"\",\"creator\":\"x\"}";

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

static void setup(struct fixture *f, gconstpointer unused)
{
    struct http_config hc;
    g_autofree char *why = NULL;

    f->stub = stub_new();
    http_config_defaults(&hc);
    hc.backoff_base_ms = 10;
    hc.throttle_base_ms = 10;
    hc.backoff_cap_ms = 40;
    f->http = http_new(&hc, &why);
    g_assert_nonnull(f->http);
    f->dir = g_dir_make_tmp("viasfs-ctl-XXXXXX", NULL);
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

static const struct stub_request *req(struct fixture *f, guint i)
{
    return stub_request(f->stub, i);
}

static void test_exact_verbs(struct fixture *f, gconstpointer unused)
{
    static const struct {
        enum api_verb verb;
        const char *method, *uri;
    } cases[] = {
        {API_VERB_START, "PUT", "/v2/proj%201/tasks/t1/action/start"},
        {API_VERB_STOP, "PUT", "/v2/proj%201/tasks/t1/action/stop"},
        {API_VERB_DELETE, "DELETE", "/v2/proj%201/tasks/t1"},
    };
    bool late = true;

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        stub_push(f->stub, 200, "{}", 0);
        g_assert_cmpint(api_task_action(f->api, "t1", cases[i].verb, in_ms(5000), &late, &f->err),
                        ==, 0);
        g_assert_false(late);
        g_assert_cmpuint(stub_count(f->stub), ==, i + 1);
        g_assert_cmpstr(req(f, i)->method, ==, cases[i].method);
        g_assert_cmpstr(req(f, i)->uri, ==, cases[i].uri);
        g_assert_cmpstr(req(f, i)->body, ==, "");
        g_assert_cmpstr(g_hash_table_lookup(req(f, i)->headers, "x-auth-token"), ==, "tok-one");
    }
    g_assert_cmpint(f->errors_reported, ==, 0);
}

/* A refusal, a server error and a throttle: each one request, never repeated. */
static void test_refusals_not_repeated(struct fixture *f, gconstpointer unused)
{
    static const struct {
        int status;
        const char *body;
        int rc;
    } cases[] = {
        {400,
         "{\"error_code\":\"VIAS.00010004\",\"error_msg\":\"the task is running\",\"detail\":\"\","
         "\"params\":[]}",
         -EINVAL},
        {500, "{\"error_code\":\"VIAS.00010006\",\"error_msg\":\"internal\"}", -EIO},
        {503, "<html>", -EIO},
        {429, "{\"error_code\":\"APIG.0308\",\"error_msg\":\"throttled\"}", -EAGAIN},
        {403, "{\"error_code\":\"APIG.0302\",\"error_msg\":\"forbidden\"}", -EACCES},
        {400, "{\"error_code\":\"VIAS.00010007\",\"error_msg\":\"no task\"}", -ENOENT},
    };
    bool late;

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint before = stub_count(f->stub);
        /* a repeat would be answered too (the stub's empty queue answers 599) and counted */
        stub_push(f->stub, cases[i].status, cases[i].body, 0);
        g_assert_cmpint(api_task_action(f->api, "t1", API_VERB_START, in_ms(5000), &late, &f->err),
                        ==, cases[i].rc);
        g_assert_cmpuint(stub_count(f->stub), ==, before + 1);
        g_assert_false(late);
    }
}

/* No answer (a stall past the deadline): the task is read again; it decides. */
static void test_lost_answer_read_again(struct fixture *f, gconstpointer unused)
{
    bool late = false;
    g_autofree char *text = NULL;

    /* Pair 1: the task shows STOPPING: the stop counts as done. */
    stub_push(f->stub, 200, "{}", 1500);
    stub_push(f->stub, 200, "{\"id\":\"t1\",\"state\":\"STOPPING\"}", 0);
    g_assert_cmpint(api_task_action(f->api, "t1", API_VERB_STOP, in_ms(400), &late, &f->err), ==,
                    0);
    g_assert_true(late);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
    g_assert_cmpstr(req(f, 0)->method, ==, "PUT");
    g_assert_cmpstr(req(f, 1)->method, ==, "GET");
    g_assert_cmpstr(req(f, 1)->uri, ==, "/v2/proj%201/tasks/t1");

    /* Pair 2: the task still shows RUNNING: the stop failed, and was not sent again. */
    stub_push(f->stub, 200, "{}", 1500);
    stub_push(f->stub, 200, "{\"id\":\"t1\",\"state\":\"RUNNING\"}", 0);
    g_assert_cmpint(api_task_action(f->api, "t1", API_VERB_STOP, in_ms(400), &late, &f->err), ==,
                    -ETIMEDOUT);
    g_assert_false(late);
    g_assert_cmpuint(stub_count(f->stub), ==, 4);
    g_assert_cmpstr(req(f, 2)->method, ==, "PUT");
    g_assert_cmpstr(req(f, 3)->method, ==, "GET");
    text = api_error_describe(&f->err);
    g_assert_nonnull(strstr(text, "RUNNING"));
    g_assert_nonnull(strstr(text, "not retried"));
}

/* A dropped connection is never repeated either (a GET would be); a delete whose task is gone
 * afterwards counts as done. */
static void test_dropped_not_repeated(struct fixture *f, gconstpointer unused)
{
    bool late = false;

    stub_push_drop(f->stub);
    stub_push(f->stub, 400, "{\"error_code\":\"VIAS.00010007\",\"error_msg\":\"no task\"}", 0);
    g_assert_cmpint(api_task_action(f->api, "t1", API_VERB_DELETE, in_ms(3000), &late, &f->err),
                    ==, 0);
    g_assert_true(late);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
    g_assert_cmpstr(req(f, 0)->method, ==, "DELETE");
    g_assert_cmpstr(req(f, 1)->method, ==, "GET");

    /* the pair: the task is still there, not DELETING */
    stub_push_drop(f->stub);
    stub_push(f->stub, 200, "{\"id\":\"t1\",\"state\":\"RUNNING\"}", 0);
    g_assert_cmpint(api_task_action(f->api, "t1", API_VERB_DELETE, in_ms(3000), &late, &f->err),
                    ==, -EIO);
    g_assert_false(late);
    g_assert_cmpuint(stub_count(f->stub), ==, 4);
}

/* The update body: the detail's members, the written part replaced, "***" restored. */
static void test_update_body(struct fixture *f, gconstpointer unused)
{
    static const char written[] =
        "{\"type\":\"restful\",\"data\":[{\"url\":\"https://s/2\","
        "\"headers\":{\"X-Api-Key\":\"***\",\"Accept\":\"json\"}}]}\n";
    bool late;

    stub_push(f->stub, 200, DETAIL, 0);
    stub_push(f->stub, 200, "{}", 0);
    g_assert_cmpint(api_update_task(f->api, "t1", API_PART_INPUT, written, strlen(written),
                                    in_ms(5000), &late, &f->err),
                    ==, 0);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
    g_assert_cmpstr(req(f, 0)->method, ==, "GET");
    g_assert_cmpstr(req(f, 1)->method, ==, "PUT");
    g_assert_cmpstr(req(f, 1)->uri, ==, "/v2/proj%201/tasks/t1");
    g_assert_cmpstr(req(f, 1)->body, ==,
                    "{\"name\":\"cam-1\",\"description\":\"d\",\"input\":{\"type\":\"restful\","
                    "\"data\":[{\"url\":\"https://s/2\",\"headers\":{\"X-Api-Key\":\"sk-real\","
                    "\"Accept\":\"json\"}}]},\"output\":{\"webhook\":{\"url\":\"https://h\"}},"
                    "\"config\":{\"common\":{\"fps\":5}}}");
    g_assert_cmpstr(g_hash_table_lookup(req(f, 1)->headers, "content-type"), ==,
                    "application/json;charset=UTF-8");

    /* the name: one line, its newline dropped */
    stub_push(f->stub, 200, DETAIL, 0);
    stub_push(f->stub, 200, "{}", 0);
    g_assert_cmpint(api_update_task(f->api, "t1", API_PART_NAME, "cam-2\n", 6, in_ms(5000), &late,
                                    &f->err),
                    ==, 0);
    g_assert_nonnull(strstr(req(f, 3)->body, "\"name\":\"cam-2\""));
    g_assert_cmpint(f->errors_reported, ==, 0);
}

/* Nothing is sent that is not valid, and never a masked value. */
static void test_update_refused(struct fixture *f, gconstpointer unused)
{
    static const struct {
        enum api_part part;
        const char *text;
        guint gets; /* detail reads before the refusal */
        const char *why;
    } cases[] = {
        {API_PART_CONFIG, "{\"common\":", 0, "not JSON"},
        {API_PART_CONFIG, "[1,2]", 0, "not a JSON object"},
        {API_PART_NAME, "", 0, "empty"},
        {API_PART_NAME, "a\nb\n", 0, "one line"},
        /* a mask where nothing is stored */
        {API_PART_CONFIG, "{\"common\":{\"fps\":5,\"token\":\"***\"}}", 1, "config.common.token"},
        {API_PART_INPUT, "{\"type\":\"restful\",\"data\":[{},{\"x\":\"***\"}]}", 1, "input.data[1].x"},
    };
    bool late;

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        guint before = stub_count(f->stub);
        int reported = f->errors_reported;
        for (guint g = 0; g < cases[i].gets; g++)
            stub_push(f->stub, 200, DETAIL, 0);
        g_assert_cmpint(api_update_task(f->api, "t1", cases[i].part, cases[i].text,
                                        strlen(cases[i].text), in_ms(5000), &late, &f->err),
                        ==, -EINVAL);
        g_assert_cmpuint(stub_count(f->stub), ==, before + cases[i].gets);
        for (guint r = before; r < stub_count(f->stub); r++)
            g_assert_cmpstr(req(f, r)->method, ==, "GET");
        g_autofree char *text = api_error_describe(&f->err);
        g_assert_nonnull(strstr(text, cases[i].why));
        g_assert_nonnull(strstr(text, "not sent"));
        g_assert_cmpint(f->errors_reported, ==, reported + 1);
    }
}

/* A detail that carries "***" itself (the API masked it): an update would send it back. */
static void test_update_detail_masked(struct fixture *f, gconstpointer unused)
{
    bool late;
    g_autofree char *masked = g_strdup(DETAIL);
    char *p = strstr(masked, "sk-real\"");

    memcpy(p, "***\"    ", 8); /* "sk-real" -> "***"    (blanks outside the string) */
    stub_push(f->stub, 200, masked, 0);
    g_assert_cmpint(api_update_task(f->api, "t1", API_PART_CONFIG, "{\"common\":{\"fps\":7}}", 20,
                                    in_ms(5000), &late, &f->err),
                    ==, -EINVAL);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
    g_autofree char *text = api_error_describe(&f->err);
    g_assert_nonnull(strstr(text, "input.data[0].headers.X-Api-Key"));
}

/* An update whose answer was lost: read again, it counts when the detail shows it. */
static void test_update_lost_answer(struct fixture *f, gconstpointer unused)
{
    g_autofree char *after = g_strdup(DETAIL);
    bool late = false;

    memcpy(strstr(after, "\"fps\":5"), "\"fps\":7", 7);
    stub_push(f->stub, 200, DETAIL, 0);
    stub_push(f->stub, 200, "{}", 1500);
    stub_push(f->stub, 200, after, 0);
    g_assert_cmpint(api_update_task(f->api, "t1", API_PART_CONFIG, "{\"common\":{\"fps\":7}}", 20,
                                    in_ms(500), &late, &f->err),
                    ==, 0);
    g_assert_true(late);
    g_assert_cmpuint(stub_count(f->stub), ==, 3);

    /* the pair: the detail still shows 5 */
    late = false;
    stub_push(f->stub, 200, DETAIL, 0);
    stub_push(f->stub, 200, "{}", 1500);
    stub_push(f->stub, 200, DETAIL, 0);
    g_assert_cmpint(api_update_task(f->api, "t1", API_PART_CONFIG, "{\"common\":{\"fps\":7}}", 20,
                                    in_ms(500), &late, &f->err),
                    ==, -ETIMEDOUT);
    g_assert_false(late);
    g_assert_cmpuint(stub_count(f->stub), ==, 6);
    g_assert_cmpstr(req(f, 4)->method, ==, "PUT");
    g_assert_cmpstr(req(f, 5)->method, ==, "GET");
}

static void test_create(struct fixture *f, gconstpointer unused)
{
    static const char text[] = "{\"service_name\":\"face detect\",\"name\":\"n1\","
                               "\"input\":{\"type\":\"url\",\"data\":[{\"url\":\"rtsp://x\"}]}}\n";
    g_autofree char *id = NULL, *why = NULL;

    g_assert_cmpint(api_create_check(text, 20, &why), ==, -EAGAIN);
    g_assert_cmpint(api_create_check(text, strlen(text), &why), ==, 0);
    stub_push(f->stub, 200, "{\"tasks\":[{\"id\":\"new-1\"}]}", 0);
    g_assert_cmpint(api_create_task(f->api, text, strlen(text), in_ms(5000), &id, &f->err), ==,
                    0);
    g_assert_cmpstr(id, ==, "new-1");
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
    g_assert_cmpstr(req(f, 0)->method, ==, "POST");
    g_assert_cmpstr(req(f, 0)->uri, ==, "/v2/proj%201/services/face%20detect/tasks");
    g_assert_cmpstr(req(f, 0)->body, ==,
                    "{\"name\":\"n1\",\"input\":{\"type\":\"url\",\"data\":[{\"url\":\"rtsp://x\"}]}}");

    /* an answer without an id: created, but the id is unknown */
    g_clear_pointer(&id, g_free);
    stub_push(f->stub, 200, "{}", 0);
    g_assert_cmpint(api_create_task(f->api, text, strlen(text), in_ms(5000), &id, &f->err), ==,
                    -EIO);
    g_assert_null(id);
}

static void test_create_refused(void)
{
    static const struct {
        const char *text;
        int rc;
    } cases[] = {
        {"", -EAGAIN},
        {"  \n", -EAGAIN},
        {"{\"service_name\":\"s\",\"name\":\"a}b\"", -EAGAIN}, /* a brace inside a string */
        {"[1]", -EINVAL},
        {"{\"name\":\"n\"}", -EINVAL},             /* no service_name */
        {"{\"service_name\":\"\"}", -EINVAL},      /* empty */
        {"{\"service_name\":7}", -EINVAL},         /* not a string */
        {"{\"service_name\":\"s\"} {}", -EINVAL},  /* two objects */
        {"{\"service_name\":\"s\",\"input\":{\"k\":\"***\"}}", -EINVAL},
        {"{\"service_name\":\"s\",}", -EINVAL}, /* whole, but not JSON */
    };

    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *why = NULL;
        g_assert_cmpint(api_create_check(cases[i].text, strlen(cases[i].text), &why), ==,
                        cases[i].rc);
        if (cases[i].rc == -EINVAL)
            g_assert_nonnull(why);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, struct fixture, NULL, setup, fn, teardown)
    ADD("/control/exact-verbs", test_exact_verbs);
    ADD("/control/refusals-not-repeated", test_refusals_not_repeated);
    ADD("/control/lost-answer-read-again", test_lost_answer_read_again);
    ADD("/control/dropped-not-repeated", test_dropped_not_repeated);
    ADD("/control/update-body", test_update_body);
    ADD("/control/update-refused", test_update_refused);
    ADD("/control/update-detail-masked", test_update_detail_masked);
    ADD("/control/update-lost-answer", test_update_lost_answer);
    ADD("/control/create", test_create);
    g_test_add_func("/control/create-refused", test_create_refused);
    return g_test_run();
}
