/* Unit tests: task parsing, rendering, redaction and timestamps. */
#include "viasfs/task.h"
#include "viasfs/task_page.h"
#include "../../src/task_cjson.h" /* TASK_MAX_JSON_VALUES */

#include <errno.h>
#include <string.h>

static const struct task_parse_opts redact = {.show_secrets = false};
static const struct task_parse_opts reveal = {.show_secrets = true};

static const char DETAIL[] =
    "{\"id\":\"0123456789abcdef0123456789abcdef\",\"name\":\"gate/night\",\"creator\":\"ops\","
    "\"project_id\":\"p1\",\"created_at\":\"1686034773024\",\"updated_at\":\"1686034780000\","
    "\"state\":\"FAILED\",\"status\":\"stream lost\","
    "\"error\":{\"code\":\"VIAS.0001\",\"message\":\"camera offline\"},"
    "\"schedule\":null,"
    "\"input\":{\"type\":\"vcn\",\"data\":[{\"device_id\":\"d1\",\"headers\":{\"X-Key\":\"k1\"}}],"
    "\"vcn\":{\"ip\":\"10.0.0.1\",\"port\":9000,\"username\":\"admin\",\"password\":\"hunter2\"}},"
    "\"output\":{\"webhook\":{\"url\":\"https://h/cb\",\"headers\":{\"Authorization\":\"Bearer "
    "s3\","
    "\"X-Trace\":\"t\"}},\"event_center\":false},"
    "\"config\":{\"common\":{\"threshold\":0.5}},"
    "\"video_source_name\":\"cam-0001\",\"title\":\"人脸识别\",\"type\":\"cloud\","
    "\"algorithm_publish_id\":\"a1\"}";

static struct task *parse_ok(const char *json, const struct task_parse_opts *o)
{
    struct task *t = NULL;
    g_autofree char *why = NULL;
    int rc = task_from_json(json, strlen(json), o, &t, &why);
    if (rc != 0)
        g_test_message("parse failed: %s", why);
    g_assert_cmpint(rc, ==, 0);
    return t;
}

static void test_detail_fields(void)
{
    g_autoptr(Task) t = parse_ok(DETAIL, &redact);

    g_assert_cmpstr(t->id, ==, "0123456789abcdef0123456789abcdef");
    g_assert_cmpstr(t->name, ==, "gate/night");
    g_assert_cmpstr(t->state, ==, "FAILED");
    g_assert_cmpstr(t->status, ==, "stream lost");
    g_assert_cmpstr(t->video_source_name, ==, "cam-0001");
    g_assert_cmpstr(t->title, ==, "人脸识别");
    g_assert_cmpstr(t->error_code, ==, "VIAS.0001");
    g_assert_cmpstr(t->error_message, ==, "camera offline");
    g_assert_cmpint(t->created_ms, ==, 1686034773024);
    g_assert_cmpint(t->updated_ms, ==, 1686034780000);
    g_assert_cmpint(task_mtime_ms(t), ==, 1686034780000);
    g_assert_true(t->complete);
    g_assert_cmpstr(t->schedule_json, ==, "null\n");
    g_assert_true(g_str_has_suffix(t->task_json, "}\n"));
    g_assert_true(g_str_has_prefix(t->config_json, "{"));
}

static void test_key_order_kept(void)
{
    g_autoptr(Task) t = parse_ok(DETAIL, &redact);
    const char *keys[] = {"\"id\"",         "\"name\"",       "\"creator\"",
                          "\"project_id\"", "\"created_at\"", "\"state\"",
                          "\"input\"",      "\"output\"",     "\"algorithm_publish_id\""};
    const char *prev = t->task_json;

    for (size_t i = 0; i < G_N_ELEMENTS(keys); i++) {
        const char *at = strstr(t->task_json, keys[i]);
        g_assert_nonnull(at);
        g_assert_true(at >= prev);
        prev = at;
    }
}

static void test_redaction(void)
{
    g_autoptr(Task) t = parse_ok(DETAIL, &redact);
    g_autoptr(Task) s = parse_ok(DETAIL, &reveal);
    const char *secrets[] = {"hunter2", "Bearer s3", "\"k1\"", "\"t\""};

    for (size_t i = 0; i < G_N_ELEMENTS(secrets); i++) {
        g_assert_null(strstr(t->task_json, secrets[i]));
        g_assert_null(strstr(t->input_json, secrets[i]));
        g_assert_null(strstr(t->output_json, secrets[i]));
        g_assert_nonnull(strstr(s->task_json, secrets[i]));
    }
    g_assert_nonnull(strstr(t->input_json, "\"password\":\t\"***\""));
    g_assert_nonnull(strstr(t->output_json, "\"Authorization\":\t\"***\""));
    /* Non-secrets stay. */
    g_assert_nonnull(strstr(t->input_json, "\"username\":\t\"admin\""));
    g_assert_nonnull(strstr(t->output_json, "https://h/cb"));
}

static void test_summary(void)
{
    const char *json = "{\"id\":\"abc\",\"name\":\"qqqq_task\",\"service_id\":\"s\","
                       "\"created_at\":\"1686034773\",\"state\":\"PENDING\","
                       "\"video_source_name\":\"url_test\",\"title\":\"testwjh\",\"type\":\"0\","
                       "\"algorithm_publish_id\":\"x\"}";
    g_autoptr(Task) t = parse_ok(json, &redact);

    g_assert_false(t->complete);
    g_assert_cmpint(t->created_ms, ==, 1686034773000);
    g_assert_cmpint(t->updated_ms, ==, -1);
    g_assert_cmpint(task_mtime_ms(t), ==, 1686034773000);
    g_assert_cmpstr(t->input_json, ==, "null\n");
    g_assert_null(t->status);
}

static void expect_reject(const char *json, const char *why_part)
{
    struct task *t = NULL;
    g_autofree char *why = NULL;

    g_assert_cmpint(task_from_json(json, strlen(json), &redact, &t, &why), ==, -EBADMSG);
    g_assert_null(t);
    g_assert_nonnull(why);
    if (!strstr(why, why_part))
        g_error("reason \"%s\" lacks \"%s\"", why, why_part);
}

static void test_rejects(void)
{
    expect_reject("", "not valid JSON");
    expect_reject("{\"id\":", "not valid JSON");
    expect_reject("[]", "not a JSON object");
    expect_reject("{\"state\":\"RUNNING\"}", "no id");
    expect_reject("{\"id\":null,\"state\":\"RUNNING\"}", "no id");
    expect_reject("{\"id\":42,\"state\":\"RUNNING\"}", "\"id\" is not a string");
    expect_reject("{\"id\":\"\",\"state\":\"RUNNING\"}", "plain identifier");
    expect_reject("{\"id\":\"a/b\",\"state\":\"RUNNING\"}", "plain identifier");
    expect_reject("{\"id\":\"..\",\"state\":\"RUNNING\"}", "plain identifier");
    expect_reject("{\"id\":\"a\"}", "no state");
    expect_reject("{\"id\":\"a\",\"state\":\"\"}", "no state");
    expect_reject("{\"id\":\"a\",\"state\":\"RUNNING\",\"name\":[1]}", "\"name\" is not a string");
    expect_reject("{\"id\":\"a\",\"state\":\"RUNNING\",\"input\":\"x\"}",
                  "\"input\" is not an object");
    expect_reject("{\"id\":\"a\",\"state\":\"RUNNING\",\"error\":7}", "\"error\" is not an object");
    expect_reject("{\"id\":\"a\",\"state\":\"RUNNING\",\"error\":{\"code\":1}}",
                  "\"code\" is not a string");
    g_autofree char *long_id = g_strnfill(129, 'a');
    g_autofree char *json = g_strdup_printf("{\"id\":\"%s\",\"state\":\"RUNNING\"}", long_id);
    expect_reject(json, "plain identifier");
}

static void test_open_state_and_nulls(void)
{
    g_autoptr(Task) t = parse_ok("{\"id\":\"a\",\"state\":\"BRAND_NEW_STATE\",\"name\":null,"
                                 "\"error\":null,\"created_at\":null,\"extra\":{\"k\":1}}",
                                 &redact);
    g_assert_cmpstr(t->state, ==, "BRAND_NEW_STATE");
    g_assert_null(t->name);
    g_assert_cmpstr(t->error_json, ==, "null\n");
    g_assert_cmpint(task_mtime_ms(t), ==, 0);
}

static void test_invalid_utf8_replaced(void)
{
    g_autoptr(Task) t = parse_ok("{\"id\":\"a\",\"state\":\"RUNNING\",\"name\":\"bad\xff\xfe\","
                                 "\"input\":{\"k\xc3\":\"v\xe4\"}}",
                                 &redact);
    g_assert_true(g_utf8_validate(t->name, -1, NULL));
    g_assert_true(g_str_has_prefix(t->name, "bad"));
    g_assert_true(g_utf8_validate(t->task_json, -1, NULL));
    g_assert_true(g_utf8_validate(t->input_json, -1, NULL));
}

static void test_times(void)
{
    g_assert_cmpint(task_parse_time("1686034773024"), ==, 1686034773024);
    g_assert_cmpint(task_parse_time("1686034773"), ==, 1686034773000);
    g_assert_cmpint(task_parse_time("2023-06-06T06:59:33Z"), ==, 1686034773000);
    g_assert_cmpint(task_parse_time("2023-06-06T06:59:33.024+00:00"), ==, 1686034773024);
    g_assert_cmpint(task_parse_time("2023-06-06T08:59:33+02:00"), ==, 1686034773000);
    g_assert_cmpint(task_parse_time("2023-06-06T06:59:33"), ==, 1686034773000); /* UTC */
    g_assert_cmpint(task_parse_time(""), ==, -1);
    g_assert_cmpint(task_parse_time(NULL), ==, -1);
    g_assert_cmpint(task_parse_time("12abc"), ==, -1);
    g_assert_cmpint(task_parse_time("99999999999999999999"), ==, -1);
    g_assert_cmpint(task_parse_time("-5"), ==, -1);
    /* Found by fuzz_detail: dates before 1970 gave negative times, not -1. */
    g_assert_cmpint(task_parse_time("1969-12-31T23:59:59Z"), ==, -1);
    g_assert_cmpint(task_parse_time("0001-01-01T00:00:00Z"), ==, -1);
    g_assert_cmpint(task_parse_time("1970-01-01T00:00:00Z"), ==, 0);
}

/* {"l0":{"l1":...{LEAF}...}} nested @depth objects deep. */
static char *nested(int depth, const char *leaf)
{
    GString *s = g_string_new(NULL);

    for (int i = 0; i < depth; i++)
        g_string_append_printf(s, "{\"l%d\":", i);
    g_string_append(s, leaf);
    for (int i = 0; i < depth; i++)
        g_string_append_c(s, '}');
    return g_string_free(s, FALSE);
}

/* Found by fuzz_detail (fuzz/edge/deep-secret.json): below depth 64 secrets were shown. */
static void test_redaction_deep(void)
{
    g_autofree char *deep = nested(200, "{\"password\":\"hunter2\"}");
    g_autofree char *json =
        g_strdup_printf("{\"id\":\"a\",\"state\":\"RUNNING\",\"config\":{\"common\":%s}}", deep);
    g_autoptr(Task) t = parse_ok(json, &redact);
    g_autoptr(Task) s = parse_ok(json, &reveal);

    g_assert_null(strstr(t->task_json, "hunter2"));
    g_assert_null(strstr(t->config_json, "hunter2"));
    g_assert_nonnull(strstr(t->config_json, "\"password\":\t\"***\""));
    g_assert_nonnull(strstr(s->config_json, "hunter2"));
}

/*
 * Found by fuzz_detail (fuzz/edge/dup-input.json, dup-data.json): with a key given twice
 * only the first "input", "data", "headers" or "webhook" was redacted, and readers that take
 * the last duplicate (Python's json, jq) saw the header values of the other.
 */
static void test_redaction_duplicate_keys(void)
{
    const char *json =
        "{\"id\":\"a\",\"state\":\"RUNNING\","
        "\"input\":{\"data\":[{\"headers\":{\"A\":\"s1\"},\"headers\":{\"B\":\"s2\"}}],"
        "\"data\":[{\"headers\":{\"C\":\"s3\"}}]},"
        "\"input\":{\"data\":[{\"headers\":{\"D\":\"s4\"}}]},"
        "\"output\":{\"webhook\":{\"headers\":{\"E\":\"s5\"}},"
        "\"webhook\":{\"headers\":{\"F\":\"s6\"}}},"
        "\"output\":{\"webhook\":{\"headers\":{\"G\":\"s7\"}}}}";
    const char *secrets[] = {"s1", "s2", "s3", "s4", "s5", "s6", "s7"};
    g_autoptr(Task) t = parse_ok(json, &redact);
    g_autoptr(Task) s = parse_ok(json, &reveal);

    for (size_t i = 0; i < G_N_ELEMENTS(secrets); i++) {
        g_autofree char *quoted = g_strdup_printf("\"%s\"", secrets[i]);
        if (strstr(t->task_json, quoted))
            g_error("header value %s is shown in task.json", secrets[i]);
        g_assert_null(strstr(t->input_json, quoted));
        g_assert_null(strstr(t->output_json, quoted));
        g_assert_nonnull(strstr(s->task_json, quoted));
    }
}

/* Found by fuzz_detail (fuzz/edge/deep-utf8.json): below depth 64 invalid UTF-8 stayed. */
static void test_invalid_utf8_deep(void)
{
    g_autofree char *deep = nested(200, "\"bad\xff\xfe\"");
    g_autofree char *json =
        g_strdup_printf("{\"id\":\"a\",\"state\":\"RUNNING\",\"config\":%s}", deep);
    g_autoptr(Task) t = parse_ok(json, &redact);

    g_assert_true(g_utf8_validate(t->task_json, -1, NULL));
    g_assert_true(g_utf8_validate(t->config_json, -1, NULL));
}

static void test_refcount(void)
{
    struct task *t = parse_ok(DETAIL, &redact);
    struct task *r = task_ref(t);
    g_assert_true(r == t);
    task_unref(t);
    g_assert_cmpstr(r->state, ==, "FAILED"); /* still alive */
    task_unref(r);
}

static struct task_page *page_ok(const char *json)
{
    struct task_page *p = NULL;
    g_autofree char *why = NULL;
    int rc = task_page_parse(json, strlen(json), &redact, &p, &why);
    if (rc)
        g_test_message("page parse failed: %s", why);
    g_assert_cmpint(rc, ==, 0);
    return p;
}

static void test_page(void)
{
    g_autoptr(TaskPage) p = page_ok("{\"count\":3,\"tasks\":[{\"id\":\"a\",\"state\":\"RUNNING\"},"
                                    "{\"state\":\"RUNNING\"},{\"id\":\"c\",\"state\":\"STOPPED\"}],"
                                    "\"page\":1,\"page_size\":10}");
    g_assert_cmpuint(p->tasks->len, ==, 2);
    g_assert_cmpuint(p->items, ==, 3);
    g_assert_cmpuint(p->rejected, ==, 1);
    g_assert_cmpstr(p->first_reject, ==, "task has no id");
    g_assert_cmpint(p->count, ==, 3);
    g_assert_cmpint(p->page, ==, 1);
    g_assert_cmpint(p->page_size, ==, 10);
    g_assert_cmpstr(((struct task *)p->tasks->pdata[1])->id, ==, "c");

    g_autoptr(TaskPage) bare = page_ok("{\"tasks\":[]}");
    g_assert_cmpint(bare->count, ==, -1);
    g_assert_cmpuint(bare->items, ==, 0);
}

static void page_reject(const char *json)
{
    struct task_page *p = NULL;
    g_autofree char *why = NULL;
    g_assert_cmpint(task_page_parse(json, strlen(json), &redact, &p, &why), ==, -EBADMSG);
    g_assert_null(p);
    g_assert_nonnull(why);
}

static void test_page_rejects(void)
{
    page_reject("");
    page_reject("<html>");
    page_reject("{\"count\":1,\"tasks\":[{\"id\":\"a\",\"state\":\"R\"}");
    page_reject("[]");
    page_reject("{\"count\":0}");
    page_reject("{\"tasks\":{}}");
    page_reject("{\"tasks\":[],\"count\":\"3\"}");
    page_reject("{\"tasks\":[],\"count\":-1}");
    page_reject("{\"tasks\":[],\"page\":1.5}");
    page_reject("{\"tasks\":[],\"page_size\":1e300}");
}

/* An escaped NUL would cut a string short: "x\u0000y" and "x" would be one id. The id is
 * left out as malformed; a name keeps its length (U+FFFD stands for the NUL); an escaped
 * backslash followed by "u0000" is text (the pair). */
static void test_nul_escape(void)
{
    static const char page[] = "{\"tasks\":[{\"id\":\"x\\u0000y\",\"state\":\"RUNNING\"},"
                               "{\"id\":\"x\",\"state\":\"RUNNING\",\"name\":\"a\\u0000b\"},"
                               "{\"id\":\"z\",\"state\":\"RUNNING\",\"name\":\"c\\\\u0000\"}]}";
    g_autoptr(TaskPage) p = NULL;
    g_autofree char *why = NULL;

    g_assert_cmpint(task_page_parse(page, strlen(page), &redact, &p, &why), ==, 0);
    g_assert_cmpuint(p->rejected, ==, 1);
    g_assert_cmpuint(p->tasks->len, ==, 2);
    struct task *x = g_ptr_array_index(p->tasks, 0), *z = g_ptr_array_index(p->tasks, 1);
    g_assert_cmpstr(x->id, ==, "x");
    g_assert_cmpstr(x->name, ==, "a\xef\xbf\xbd" "b");
    g_assert_cmpstr(z->name, ==, "c\\u0000");
}

/* {"id":"t1","state":"RUNNING","junk":[0,...]} holding @values JSON values in all. */
static GString *task_with_values(size_t values)
{
    GString *s = g_string_new("{\"id\":\"t1\",\"state\":\"RUNNING\",\"junk\":[0");

    /* the object, its 3 members (the array one) and the array's first element: 5 */
    for (size_t n = 5; n < values; n++)
        g_string_append(s, ",0");
    g_string_append(s, "]}");
    return s;
}

/* The value cap, at its edge: TASK_MAX_JSON_VALUES values parse, one more does not (nothing
 * is parsed: the count comes first); commas and brackets inside strings do not count. */
static void test_value_cap(void)
{
    g_autoptr(GString) fits = task_with_values(TASK_MAX_JSON_VALUES);
    g_autoptr(GString) over = task_with_values(TASK_MAX_JSON_VALUES + 1);
    g_autoptr(GString) page = g_string_new("{\"tasks\":[");
    g_autoptr(GString) quoted = g_string_new("{\"id\":\"t1\",\"state\":\"RUNNING\",\"name\":\"");
    g_autoptr(TaskPage) p = NULL;
    g_autofree char *why = NULL;
    struct task *t = NULL;

    g_assert_cmpint(TASK_MAX_JSON_VALUES, ==, 1 << 20);
    g_assert_cmpint(task_from_json(fits->str, fits->len, &reveal, &t, &why), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpint(task_from_json(over->str, over->len, &reveal, &t, &why), ==, -EBADMSG);
    g_assert_null(t);
    g_assert_cmpstr(why, ==, "answer holds more than 1048576 JSON values");
    g_clear_pointer(&why, g_free);

    /* A list answer: the same cap, said of the list. */
    g_string_append(page, over->str);
    g_string_append(page, "]}");
    g_assert_cmpint(task_page_parse(page->str, page->len, &reveal, &p, &why), ==, -EBADMSG);
    g_assert_cmpstr(why, ==, "list answer holds more than 1048576 JSON values");
    g_clear_pointer(&why, g_free);

    /* 2M commas, brackets and escaped quotes inside a string: one value. */
    for (int i = 0; i < (1 << 20); i++)
        g_string_append(quoted, i % 2 ? ",[{" : "\\\"");
    g_string_append(quoted, "\"}");
    g_assert_cmpint(task_from_json(quoted->str, quoted->len, &reveal, &t, &why), ==, 0);
    g_assert_cmpuint(strlen(t->name), ==, 1u << 21);
    task_unref(t);
}

/* task_size counts every string and rendered file: a long name is held twice (name and
 * task.json), a long input three times (input.json, and task.json's pretty copy). */
static void test_size(void)
{
    g_autoptr(GString) big = g_string_new("{\"id\":\"t1\",\"state\":\"RUNNING\",\"name\":\"");
    g_autoptr(Task) small =
        parse_ok("{\"id\":\"t1\",\"state\":\"RUNNING\",\"name\":\"n\"}", &reveal);
    g_autoptr(Task) t = NULL;

    for (int i = 0; i < 100000; i++)
        g_string_append_c(big, 'x');
    g_string_append(big, "\",\"input\":{\"x\":\"");
    for (int i = 0; i < 100000; i++)
        g_string_append_c(big, 'y');
    g_string_append(big, "\"}}");
    t = parse_ok(big->str, &reveal);
    g_assert_cmpuint(task_size(small), >=, sizeof(struct task) + strlen(small->task_json));
    g_assert_cmpuint(task_size(t), >=, task_size(small) + 2 * 100000 + 2 * 100000);
    g_assert_cmpuint(task_size(t), <, task_size(small) + 5 * 100000);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/task/detail-fields", test_detail_fields);
    g_test_add_func("/task/key-order-kept", test_key_order_kept);
    g_test_add_func("/task/redaction", test_redaction);
    g_test_add_func("/task/redaction-deep", test_redaction_deep);
    g_test_add_func("/task/redaction-duplicate-keys", test_redaction_duplicate_keys);
    g_test_add_func("/task/summary", test_summary);
    g_test_add_func("/task/rejects", test_rejects);
    g_test_add_func("/task/open-state-and-nulls", test_open_state_and_nulls);
    g_test_add_func("/task/invalid-utf8-replaced", test_invalid_utf8_replaced);
    g_test_add_func("/task/invalid-utf8-deep", test_invalid_utf8_deep);
    g_test_add_func("/task/times", test_times);
    g_test_add_func("/task/refcount", test_refcount);
    g_test_add_func("/task/value-cap", test_value_cap);
    g_test_add_func("/task/size", test_size);
    g_test_add_func("/task_page/parse", test_page);
    g_test_add_func("/task_page/rejects", test_page_rejects);
    g_test_add_func("/task_page/nul-escape", test_nul_escape);
    return g_test_run();
}
