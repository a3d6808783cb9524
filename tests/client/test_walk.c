/*
 * Client tests against the real emulator: list walks over every boundary of page size and
 * task count in both count modes and both list-field modes, de-duplication while tasks are
 * added, every filter, and failures (unknown task, bad token, faults, stalls, bad bodies).
 */
#include "emu.h"
#include "viasfs/api.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

struct client {
    struct http *http;
    struct auth *auth;
    struct api *api;
};

static void client_init(struct client *c, struct emu *e, const char *token)
{
    struct http_config hc;
    g_autofree char *why = NULL;

    http_config_defaults(&hc);
    hc.max_attempts = 5; /* the tests count a bounded number of attempts */
    hc.backoff_base_ms = 10;
    hc.throttle_base_ms = 10;
    hc.backoff_cap_ms = 50;
    c->http = http_new(&hc, &why);
    c->auth = auth_new_token(token ? token : e->token, &why);
    struct api_config ac = {
        .endpoint = e->url, .project_id = e->project_id, .http = c->http, .auth = c->auth};
    c->api = api_new(&ac, &why);
    g_assert_nonnull(c->api);
}

static void client_release(struct client *c)
{
    api_free(c->api);
    auth_free(c->auth);
    http_free(c->http);
}

/* A page timeout of @s seconds. */
static gint64 secs(int s)
{
    return (gint64)s * G_USEC_PER_SEC;
}

/* Collects every task a walk hands over, counting duplicates. */
struct walk {
    GHashTable *ids; /* id -> struct task * (owned ref) */
    guint delivered;
    guint duplicates;
    guint pages;
    gboolean complete_seen, summary_seen;
    /* Optional hook run after the first page (for changes during a walk). */
    void (*after_first)(void *data);
    void *after_first_data;
};

static void walk_init(struct walk *w)
{
    memset(w, 0, sizeof(*w));
    w->ids = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)task_unref);
}

static void walk_release(struct walk *w)
{
    g_hash_table_unref(w->ids);
}

static int on_page(GPtrArray *tasks, const struct api_page_info *info, void *data)
{
    struct walk *w = data;

    w->pages++;
    for (guint i = 0; i < tasks->len; i++) {
        struct task *t = g_ptr_array_index(tasks, i);
        w->delivered++;
        if (g_hash_table_contains(w->ids, t->id))
            w->duplicates++;
        else
            g_hash_table_insert(w->ids, t->id, task_ref(t));
        if (t->complete)
            w->complete_seen = TRUE;
        else
            w->summary_seen = TRUE;
    }
    if (info->page == 1 && w->after_first) {
        w->after_first(w->after_first_data);
        w->after_first = NULL; /* once: a page may come in several calls */
    }
    return 0;
}

static void test_walk_matrix(void)
{
    static const int counts[] = {0, 1, 999, 1000, 1001, 2500};
    static const int sizes[] = {5, 7, 1000};
    static const char *const count_modes[] = {"--count=page", "--count=total"};
    static const char *const field_modes[] = {"--list-fields=summary", "--list-fields=full"};

    for (size_t n = 0; n < G_N_ELEMENTS(counts); n++)
        for (size_t cm = 0; cm < 2; cm++)
            for (size_t fm = 0; fm < 2; fm++) {
                g_autofree char *tasks = g_strdup_printf("--tasks=%d", counts[n]);
                const char *args[] = {tasks, count_modes[cm], field_modes[fm], NULL};
                struct emu *e = emu_start(args);
                struct client c;

                client_init(&c, e, NULL);
                for (size_t s = 0; s < G_N_ELEMENTS(sizes); s++) {
                    struct walk w;
                    struct api_error err;
                    long before = emu_served(e, "list", 200);

                    walk_init(&w);
                    api_error_init(&err);
                    g_assert_cmpint(
                        api_list_tasks(c.api, NULL, sizes[s], secs(60), on_page, &w, NULL, &err),
                        ==, 0);
                    if (g_hash_table_size(w.ids) != (guint)counts[n] || w.duplicates)
                        g_error("%s %s %s page_size=%d: %u tasks, %u duplicates", tasks,
                                count_modes[cm], field_modes[fm], sizes[s],
                                g_hash_table_size(w.ids), w.duplicates);
                    /* Exactly the pages needed: full pages, then one short (maybe empty). */
                    g_assert_cmpint(emu_served(e, "list", 200) - before, ==,
                                    counts[n] / sizes[s] + 1);
                    if (counts[n]) {
                        g_assert_true(fm == 1 ? w.complete_seen : w.summary_seen);
                        g_assert_false(fm == 1 ? w.summary_seen : w.complete_seen);
                    }
                    api_error_release(&err);
                    walk_release(&w);
                }
                client_release(&c);
                emu_stop(e);
            }
}

struct adder {
    struct emu *e;
};

static void add_three(void *data)
{
    struct adder *a = data;
    g_autofree char *out = NULL;
    long status = emu_control(a->e, "POST", "/_emulator/tasks", "{\"count\":3}", &out);
    g_assert_true(status == 200 || status == 201);
}

static void test_dedup_during_walk(void)
{
    /* Page 2 is requested while page 1 is read: the latency (the emulator waits before it
     * computes an answer) lets the additions made after page 1 land before page 2 is cut. */
    const char *args[] = {"--tasks=50", "--latency=500", NULL};
    struct emu *e = emu_start(args);
    struct adder a = {e};
    struct client c;
    struct walk w;
    struct api_error err;

    client_init(&c, e, NULL);
    walk_init(&w);
    api_error_init(&err);
    w.after_first = add_three;
    w.after_first_data = &a;
    /* Newest first: the 3 new tasks push 3 seen ones from page 1 onto page 2. */
    g_assert_cmpint(api_list_tasks(c.api, NULL, 10, secs(30), on_page, &w, NULL, &err), ==, 0);
    g_assert_cmpuint(w.duplicates, ==, 0);
    g_assert_cmpuint(w.delivered, ==, 50);
    g_assert_cmpuint(g_hash_table_size(w.ids), ==, 50);
    /* The server did send the shifted ones again: 53 items over 6 pages. */
    g_assert_cmpint(emu_served(e, "list", 200), ==, 6);

    /* Pair: the same walk without additions sees the same 50 and no more pages. */
    struct walk w2;
    walk_init(&w2);
    emu_control(e, "DELETE", "/_emulator/stats", NULL, NULL);
    g_assert_cmpint(api_list_tasks(c.api, NULL, 10, secs(30), on_page, &w2, NULL, &err), ==, 0);
    g_assert_cmpuint(g_hash_table_size(w2.ids), ==, 53);
    g_assert_cmpint(emu_served(e, "list", 200), ==, 6);
    walk_release(&w2);

    api_error_release(&err);
    walk_release(&w);
    client_release(&c);
    emu_stop(e);
}

/*
 * The next page is on its way while a full page is read: during the first call for each
 * page, the walk is held for 1.5 s (the emulator answers after 300 ms). A full page: by then
 * the emulator has answered the next page too. The pair: after the last, short page, nothing
 * more is asked. The batches: a 250-task page reaches the function in several calls.
 */
struct ahead {
    struct emu *e;
    int last_page;
    guint calls, tasks;
    long served_after_hold[8]; /* by page */
};

static int hold_page(GPtrArray *tasks, const struct api_page_info *info, void *data)
{
    struct ahead *a = data;

    a->calls++;
    a->tasks += tasks->len;
    int page = info->page;

    if (page != a->last_page && page < (int)G_N_ELEMENTS(a->served_after_hold)) {
        a->last_page = page;
        g_usleep(1500 * 1000);
        a->served_after_hold[page] = emu_served(a->e, "list", 200);
    }
    return 0;
}

static void test_next_page_ahead(void)
{
    const char *args[] = {"--tasks=600", "--latency=300", NULL};
    struct emu *e = emu_start(args);
    struct ahead a = {.e = e};
    struct client c;
    struct api_error err;

    client_init(&c, e, NULL);
    api_error_init(&err);
    g_assert_cmpint(api_list_tasks(c.api, NULL, 250, secs(30), hold_page, &a, NULL, &err), ==, 0);
    g_assert_cmpuint(a.tasks, ==, 600);
    /* Pages 1 and 2 are full: page 2, then 3, were answered while they were held. */
    g_assert_cmpint(a.served_after_hold[1], ==, 2);
    g_assert_cmpint(a.served_after_hold[2], ==, 3);
    /* Page 3 (100 tasks) is short: no page 4 was asked for, then or later. */
    g_assert_cmpint(a.served_after_hold[3], ==, 3);
    g_assert_cmpint(emu_served(e, "list", 200), ==, 3);
    /* Batches of at most 100: 3 + 3 + 1 calls. */
    g_assert_cmpuint(a.calls, ==, 7);
    api_error_release(&err);
    client_release(&c);
    emu_stop(e);
}

/* Every task of a full walk, for computing expected filter results locally. */
static GHashTable *all_tasks(struct client *c)
{
    struct walk w;
    struct api_error err;
    GHashTable *ids;

    walk_init(&w);
    api_error_init(&err);
    g_assert_cmpint(api_list_tasks(c->api, NULL, 1000, secs(60), on_page, &w, NULL, &err), ==, 0);
    api_error_release(&err);
    ids = g_hash_table_ref(w.ids);
    walk_release(&w);
    return ids;
}

typedef gboolean (*match_fn)(const struct task *t, const char *value);

static gboolean match_state(const struct task *t, const char *v)
{
    return g_strcmp0(t->state, v) == 0;
}
static gboolean match_camera(const struct task *t, const char *v)
{
    return t->video_source_name && strstr(t->video_source_name, v);
}
static gboolean match_title(const struct task *t, const char *v)
{
    return t->title && strstr(t->title, v);
}
static gboolean match_name(const struct task *t, const char *v)
{
    return t->name && strstr(t->name, v);
}
static gboolean match_company(const struct task *t, const char *v)
{
    g_auto(GStrv) parts = g_strsplit(v, ",", -1);
    for (char **p = parts; *p; p++)
        if (g_strcmp0(t->company, *p) == 0)
            return TRUE;
    return FALSE;
}
static gboolean match_alg(const struct task *t, const char *v)
{
    return g_strcmp0(t->algorithm_publish_id, v) == 0;
}

/* Walks with @filter and checks the result is exactly the tasks of @all that match. */
static void check_filter(struct client *c, GHashTable *all, const struct api_filter *filter,
                         match_fn match, const char *value)
{
    struct walk w;
    struct api_error err;
    GHashTableIter it;
    gpointer key, val;
    guint expected = 0;

    walk_init(&w);
    api_error_init(&err);
    g_assert_cmpint(api_list_tasks(c->api, filter, 7, secs(60), on_page, &w, NULL, &err), ==, 0);
    g_hash_table_iter_init(&it, all);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        if (!match(val, value))
            continue;
        expected++;
        if (!g_hash_table_contains(w.ids, key))
            g_error("filter %s: task %s missing", value, (char *)key);
    }
    g_hash_table_iter_init(&it, w.ids);
    while (g_hash_table_iter_next(&it, &key, &val))
        if (!match(val, value))
            g_error("filter %s: task %s does not match", value, (char *)key);
    g_assert_cmpuint(g_hash_table_size(w.ids), ==, expected);
    g_assert_cmpuint(expected, >, 0); /* the sample value comes from the data */
    api_error_release(&err);
    walk_release(&w);
}

static void test_filters(void)
{
    const char *args[] = {"--tasks=600", "--list-fields=full", NULL};
    struct emu *e = emu_start(args);
    struct client c;
    g_autoptr(GHashTable) all = NULL;
    struct task *sample = NULL, *chinese = NULL;
    GHashTableIter it;
    gpointer val;

    client_init(&c, e, NULL);
    all = all_tasks(&c);
    g_assert_cmpuint(g_hash_table_size(all), ==, 600);
    g_hash_table_iter_init(&it, all);
    while (g_hash_table_iter_next(&it, NULL, &val)) {
        struct task *t = val;
        if (!sample && t->video_source_name && t->title && t->name && t->company &&
            t->algorithm_publish_id)
            sample = t;
        if (!chinese && t->title && !g_str_is_ascii(t->title))
            chinese = t;
    }
    g_assert_nonnull(sample);
    g_assert_nonnull(chinese);

    struct api_filter f = {.task_state = "RUNNING"};
    check_filter(&c, all, &f, match_state, "RUNNING");
    f = (struct api_filter){.task_state = "FAILED"};
    check_filter(&c, all, &f, match_state, "FAILED");
    f = (struct api_filter){.camera_name = sample->video_source_name};
    check_filter(&c, all, &f, match_camera, sample->video_source_name);
    f = (struct api_filter){.title = sample->title};
    check_filter(&c, all, &f, match_title, sample->title);
    f = (struct api_filter){.title = chinese->title};
    check_filter(&c, all, &f, match_title, chinese->title);
    f = (struct api_filter){.task_name = sample->name};
    check_filter(&c, all, &f, match_name, sample->name);
    f = (struct api_filter){.company = sample->company};
    check_filter(&c, all, &f, match_company, sample->company);
    f = (struct api_filter){.alg_id = sample->algorithm_publish_id};
    check_filter(&c, all, &f, match_alg, sample->algorithm_publish_id);

    /* Filters on attributes the task object does not show: a proper, non-empty subset. */
    static const struct {
        const char *name;
        struct api_filter f;
    } hidden[] = {{"source_data_type", {.source_data_type = "async_task"}},
                  {"sort_dir", {.sort_dir = "asc"}}};
    for (size_t i = 0; i < G_N_ELEMENTS(hidden); i++) {
        struct walk w;
        struct api_error err;
        walk_init(&w);
        api_error_init(&err);
        g_assert_cmpint(api_list_tasks(c.api, &hidden[i].f, 100, secs(60), on_page, &w, NULL, &err),
                        ==, 0);
        g_assert_cmpuint(g_hash_table_size(w.ids), >, 0);
        g_assert_cmpuint(g_hash_table_size(w.ids), <=, 600);
        g_assert_cmpuint(w.duplicates, ==, 0);
        api_error_release(&err);
        walk_release(&w);
    }

    /* An invalid filter value is the API's 400, mapped to EINVAL, never retried. */
    struct walk w;
    struct api_error err;
    walk_init(&w);
    api_error_init(&err);
    emu_control(e, "DELETE", "/_emulator/stats", NULL, NULL);
    f = (struct api_filter){.alg_id = "not-a-uuid"};
    g_assert_cmpint(api_list_tasks(c.api, &f, 10, secs(10), on_page, &w, NULL, &err), ==, -EINVAL);
    g_assert_cmpstr(err.code, ==, "VIAS.00010001");
    g_assert_cmpint(emu_served(e, "list", 0), ==, 1);
    api_error_release(&err);
    walk_release(&w);

    client_release(&c);
    emu_stop(e);
}

static void test_errors(void)
{
    const char *args[] = {"--tasks=20", NULL};
    struct emu *e = emu_start(args);
    struct client c, bad;
    struct api_error err;
    struct task *t = NULL;
    struct walk w;

    client_init(&c, e, NULL);
    client_init(&bad, e, "wrong-token");
    api_error_init(&err);

    g_assert_cmpint(api_get_task(c.api, "ffffffffffffffffffffffffffffffff",
                                 g_get_monotonic_time() + secs(10), &t, &err),
                    ==, -ENOENT);
    g_assert_cmpstr(err.code, ==, "VIAS.00010007");

    g_assert_cmpint(api_get_task(bad.api, "ffffffffffffffffffffffffffffffff",
                                 g_get_monotonic_time() + secs(10), &t, &err),
                    ==, -EACCES);
    g_assert_cmpstr(err.code, ==, "APIG.0301");
    walk_init(&w);
    emu_control(e, "DELETE", "/_emulator/stats", NULL, NULL);
    g_assert_cmpint(api_list_tasks(bad.api, NULL, 10, secs(10), on_page, &w, NULL, &err), ==,
                    -EACCES);
    /* The rejected token is not sent again while it has not changed: no loop, no lockout. */
    g_assert_cmpint(emu_served(e, "list", 0), ==, 0);
    g_assert_true(err.no_credential);
    walk_release(&w);

    /* A task from the list can be fetched in detail, and the detail is complete. */
    walk_init(&w);
    g_assert_cmpint(api_list_tasks(c.api, NULL, 10, secs(10), on_page, &w, NULL, &err), ==, 0);
    GHashTableIter it;
    gpointer id;
    g_hash_table_iter_init(&it, w.ids);
    g_assert_true(g_hash_table_iter_next(&it, &id, NULL));
    g_assert_cmpint(api_get_task(c.api, id, g_get_monotonic_time() + secs(10), &t, &err), ==, 0);
    g_assert_true(t->complete);
    g_assert_cmpstr(t->id, ==, id);
    g_assert_cmpint(t->updated_ms, >, 0);
    g_clear_pointer(&t, task_unref);
    walk_release(&w);

    api_error_release(&err);
    client_release(&bad);
    client_release(&c);
    emu_stop(e);
}

static void test_faults(void)
{
    const char *args[] = {"--tasks=20", NULL};
    struct emu *e = emu_start(args);
    struct client c;
    struct api_error err;
    struct walk w;
    gint64 start;

    client_init(&c, e, NULL);
    api_error_init(&err);

    /* Two 429s, then success: retried, and the walk completes. */
    g_assert_cmpint(emu_control(e, "PUT", "/_emulator/faults",
                                "{\"error_429\":{\"rate\":1,\"count\":2}}", NULL),
                    ==, 200);
    emu_control(e, "DELETE", "/_emulator/stats", NULL, NULL);
    walk_init(&w);
    g_assert_cmpint(api_list_tasks(c.api, NULL, 1000, secs(10), on_page, &w, NULL, &err), ==, 0);
    g_assert_cmpuint(g_hash_table_size(w.ids), ==, 20);
    g_assert_cmpint(emu_served(e, "list", 429), ==, 2);
    g_assert_cmpint(emu_served(e, "list", 200), ==, 1);
    walk_release(&w);

    /* Three 500s, then success. */
    emu_control(e, "PUT", "/_emulator/faults", "{\"error_500\":{\"rate\":1,\"count\":3}}", NULL);
    emu_control(e, "DELETE", "/_emulator/stats", NULL, NULL);
    walk_init(&w);
    g_assert_cmpint(api_list_tasks(c.api, NULL, 1000, secs(10), on_page, &w, NULL, &err), ==, 0);
    g_assert_cmpint(emu_served(e, "list", 500), ==, 3);
    g_assert_cmpuint(g_hash_table_size(w.ids), ==, 20);
    walk_release(&w);

    /* Dropped connections and truncated bodies are retried too. */
    emu_control(e, "PUT", "/_emulator/faults",
                "{\"drop\":{\"rate\":1,\"count\":1},\"truncate\":{\"rate\":1,\"count\":1}}", NULL);
    walk_init(&w);
    g_assert_cmpint(api_list_tasks(c.api, NULL, 1000, secs(10), on_page, &w, NULL, &err), ==, 0);
    g_assert_cmpuint(g_hash_table_size(w.ids), ==, 20);
    walk_release(&w);

    /* Malformed body: EIO, not retried. */
    emu_control(e, "PUT", "/_emulator/faults", "{\"malformed\":{\"rate\":1,\"count\":1}}", NULL);
    emu_control(e, "DELETE", "/_emulator/stats", NULL, NULL);
    walk_init(&w);
    g_assert_cmpint(api_list_tasks(c.api, NULL, 1000, secs(10), on_page, &w, NULL, &err), ==, -EIO);
    g_assert_true(err.malformed);
    g_assert_cmpint(emu_served(e, "list", 0), ==, 1);
    walk_release(&w);

    /* A stalled server: ETIMEDOUT at the deadline, not at the end of the stall. */
    emu_control(e, "PUT", "/_emulator/faults", "{\"stall\":{\"rate\":1},\"stall_ms\":0}", NULL);
    walk_init(&w);
    start = g_get_monotonic_time();
    g_assert_cmpint(api_list_tasks(c.api, NULL, 1000, 700 * 1000, on_page, &w, NULL, &err), ==,
                    -ETIMEDOUT);
    g_assert_cmpint(g_get_monotonic_time() - start, <, 3 * G_USEC_PER_SEC);
    walk_release(&w);
    g_assert_cmpint(emu_control(e, "DELETE", "/_emulator/faults", NULL, NULL), ==, 200);

    /* And after the faults are cleared, it works again with the same client. */
    walk_init(&w);
    g_assert_cmpint(api_list_tasks(c.api, NULL, 1000, secs(10), on_page, &w, NULL, &err), ==, 0);
    g_assert_cmpuint(g_hash_table_size(w.ids), ==, 20);
    walk_release(&w);

    api_error_release(&err);
    client_release(&c);
    emu_stop(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/walk/matrix", test_walk_matrix);
    g_test_add_func("/walk/dedup-during-walk", test_dedup_during_walk);
    g_test_add_func("/walk/next-page-ahead", test_next_page_ahead);
    g_test_add_func("/walk/filters", test_filters);
    g_test_add_func("/walk/errors", test_errors);
    g_test_add_func("/walk/faults", test_faults);
    return g_test_run();
}
