/*
 * Client tests of the cache against the scripted stub server: single flight, freshness and
 * its expiry, negative answers, streaming listings, stale data on failure, and the change
 * reports that drive kernel invalidation. Each caching test comes with its counterpart.
 */
#include "stub.h"
#include "viasfs/cache.h"

#include <errno.h>
#include <string.h>

struct fixture {
    struct stub *stub;
    struct http *http;
    struct auth *auth;
    struct api *api;
    struct cache *cache;
    GMutex lock;        /* protects changes */
    GPtrArray *changes; /* char *: "id:OLD>NEW" with "-" for none */
};

static void on_change(const struct cache_change *c, void *data)
{
    struct fixture *f = data;
    g_mutex_lock(&f->lock);
    g_ptr_array_add(f->changes,
                    g_strdup_printf("%s:%s>%s", c->id, c->old_task ? c->old_task->state : "-",
                                    c->new_task ? c->new_task->state : "-"));
    g_mutex_unlock(&f->lock);
}

/* Waits (5 s at most) until @n changes were reported: a walk reports the tasks it checks
 * after its listing is done. Returns how many there are. */
static guint wait_changes(struct fixture *f, guint n)
{
    guint have = 0;

    for (int i = 0; i < 500; i++) {
        g_mutex_lock(&f->lock);
        have = f->changes->len;
        g_mutex_unlock(&f->lock);
        if (have >= n)
            break;
        g_usleep(10000);
    }
    return have;
}

static size_t setup_max_detail_bytes; /* for the next setup_ttl; 0 = no bound */

static void setup_ttl(struct fixture *f, int ttl)
{
    struct http_config hc;
    g_autofree char *why = NULL;

    f->stub = stub_new();
    http_config_defaults(&hc);
    hc.max_attempts = 5; /* the tests count a bounded number of attempts */
    hc.backoff_base_ms = 5;
    hc.throttle_base_ms = 5;
    hc.backoff_cap_ms = 10;
    f->http = http_new(&hc, &why);
    f->auth = auth_new_token("tok", &why);
    struct api_config ac = {
        .endpoint = stub_url(f->stub), .project_id = "p", .http = f->http, .auth = f->auth};
    f->api = api_new(&ac, &why);
    g_mutex_init(&f->lock);
    f->changes = g_ptr_array_new_with_free_func(g_free);
    struct cache_config cc = {.api = f->api,
                              .ttl_s = ttl,
                              .timeout_s = 5,
                              .page_size = 5,
                              .max_walks = 2,
                              .max_detail_bytes = setup_max_detail_bytes,
                              .on_change = on_change,
                              .on_change_data = f};
    f->cache = cache_new(&cc);
}

static void setup(struct fixture *f, gconstpointer unused)
{
    setup_ttl(f, 30);
}

static void setup_ttl1(struct fixture *f, gconstpointer unused)
{
    setup_ttl(f, 1);
}

static void setup_ttl0(struct fixture *f, gconstpointer unused)
{
    setup_ttl(f, 0);
}

static void teardown(struct fixture *f, gconstpointer unused)
{
    cache_free(f->cache);
    api_free(f->api);
    auth_free(f->auth);
    http_free(f->http);
    stub_free(f->stub);
    g_ptr_array_unref(f->changes);
    g_mutex_clear(&f->lock);
}

/* A memory bound of about three of this file's tasks. */
static void setup_small(struct fixture *f, gconstpointer unused)
{
    setup_max_detail_bytes = 3 * 400;
    setup_ttl(f, 30);
    setup_max_detail_bytes = 0;
}

static char *task_json(const char *id, const char *state)
{
    return g_strdup_printf("{\"id\":\"%s\",\"name\":\"n-%s\",\"state\":\"%s\","
                           "\"updated_at\":\"1700000000000\",\"input\":null}",
                           id, id, state);
}

static char *page_json(const char *const *ids, const char *state)
{
    GString *s = g_string_new("{\"tasks\":[");
    int n = 0;
    for (const char *const *id = ids; *id; id++, n++)
        g_string_append_printf(s, "%s{\"id\":\"%s\",\"name\":\"n-%s\",\"state\":\"%s\"}",
                               n ? "," : "", *id, *id, state);
    g_string_append_printf(s, "],\"count\":%d}", n);
    return g_string_free(s, FALSE);
}

static gint64 soon(void)
{
    return g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
}

static int get(struct fixture *f, const char *id, bool complete, struct task **out)
{
    guint32 slot;
    gint64 until;
    return cache_get_task(f->cache, id, complete, soon(), out, &slot, &until);
}

static gpointer reader(gpointer data)
{
    struct fixture *f = data;
    struct task *t = NULL;
    int rc = get(f, "t1", true, &t);
    if (rc == 0 && strcmp(t->id, "t1") != 0)
        rc = -EPROTO;
    task_unref(t);
    return GINT_TO_POINTER(rc);
}

static void test_single_flight(struct fixture *f, gconstpointer unused)
{
    g_autofree char *body = task_json("t1", "RUNNING");
    GThread *th[8];

    stub_push(f->stub, 200, body, 300);
    stub_push(f->stub, 200, body, 0); /* would be used by a second request */
    for (int i = 0; i < 8; i++)
        th[i] = g_thread_new("reader", reader, f);
    for (int i = 0; i < 8; i++)
        g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(th[i])), ==, 0);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
}

static void test_fresh_then_expired(struct fixture *f, gconstpointer unused)
{
    g_autofree char *body = task_json("t1", "RUNNING");
    struct task *t = NULL;

    stub_push(f->stub, 200, body, 0);
    stub_push(f->stub, 200, body, 0);
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0); /* within the ttl: no request */
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
    g_usleep(1100 * 1000);
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0); /* after it: fetched again */
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
}

static void test_negative(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    stub_push(f->stub, 400, "{\"error_code\":\"VIAS.00010007\",\"error_msg\":\"No task\"}", 0);
    g_assert_cmpint(get(f, "nope", false, &t), ==, -ENOENT);
    g_assert_cmpint(get(f, "nope", false, &t), ==, -ENOENT);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
    g_assert_null(t);
}

static void test_slid_not_removed(struct fixture *f, gconstpointer unused)
{
    /* The pair of removal-sweep: missing from a walk but there when asked: not removed. */
    const char *both[] = {"a", "b", NULL}, *one[] = {"a", NULL};
    g_autofree char *p1 = page_json(both, "RUNNING");
    g_autofree char *p2 = page_json(one, "RUNNING");
    g_autofree char *b = g_strdup("{\"id\":\"b\",\"name\":\"n-b\",\"state\":\"RUNNING\"}");
    struct listing *l;

    stub_push(f->stub, 200, p1, 0);
    stub_push(f->stub, 200, p2, 0);
    stub_push(f->stub, 200, b, 0);
    for (int i = 0; i < 2; i++) {
        l = cache_listing(f->cache, NULL, NULL, soon());
        g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
        g_assert_cmpuint(listing_length(l), ==, 2); /* "b" too, though page 2 skipped it */
        listing_unref(l);
    }
    for (int i = 0; i < 500 && stub_count(f->stub) < 3; i++)
        g_usleep(10000);
    g_usleep(50000);                             /* a change the check would report */
    g_assert_cmpuint(wait_changes(f, 2), ==, 2); /* the two additions only */
    g_assert_cmpuint(stub_count(f->stub), ==, 3);
}

static void test_changed_summary_fetches_detail(struct fixture *f, gconstpointer unused)
{
    /* A whole object, then a walk whose summary shows another state: the detail is fetched
     * and the change reported once, with the detail's fields. */
    const char *ids[] = {"t1", NULL};
    g_autofree char *running = task_json("t1", "RUNNING");
    g_autofree char *page = page_json(ids, "FAILED");
    g_autofree char *failed =
        g_strdup("{\"id\":\"t1\",\"name\":\"n-t1\",\"state\":\"FAILED\","
                 "\"status\":\"disk full\",\"updated_at\":\"1700000001000\"}");
    struct task *t = NULL;
    struct listing *l;

    stub_push(f->stub, 200, running, 0);
    stub_push(f->stub, 200, page, 0);
    stub_push(f->stub, 200, failed, 0);
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0);
    g_clear_pointer(&t, task_unref);
    l = cache_listing(f->cache, NULL, NULL, soon());
    g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
    listing_unref(l);
    g_assert_cmpuint(stub_count(f->stub), ==, 3);
    g_assert_cmpuint(f->changes->len, ==, 2);
    g_assert_cmpstr(f->changes->pdata[1], ==, "t1:RUNNING>FAILED");
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0);
    g_assert_cmpstr(t->status, ==, "disk full");
    g_clear_pointer(&t, task_unref);
}

static void test_summary_needs_detail(struct fixture *f, gconstpointer unused)
{
    const char *ids[] = {"a", "b", NULL};
    g_autofree char *page = page_json(ids, "RUNNING");
    g_autofree char *detail = task_json("a", "RUNNING");
    struct listing *l;
    struct task *t = NULL;

    stub_push(f->stub, 200, page, 0);
    stub_push(f->stub, 200, detail, 0);
    l = cache_listing(f->cache, NULL, NULL, soon());
    g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
    listing_unref(l);
    g_assert_cmpint(get(f, "a", false, &t), ==, 0); /* the summary answers state/name */
    g_assert_false(t->complete);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
    g_assert_cmpint(get(f, "a", true, &t), ==, 0); /* detail-only fields: one request */
    g_assert_true(t->complete);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
    /* Two new tasks reported; the detail agreeing with the summary is no change. */
    g_assert_cmpuint(f->changes->len, ==, 2);
}

static void test_streaming(struct fixture *f, gconstpointer unused)
{
    const char *p1[] = {"a", "b", "c", "d", "e", NULL}, *p2[] = {"f", "g", NULL};
    g_autofree char *b1 = page_json(p1, "RUNNING");
    g_autofree char *b2 = page_json(p2, "STOPPED");
    struct listing *l;
    gint64 start = g_get_monotonic_time();

    stub_push(f->stub, 200, b1, 0);
    stub_push(f->stub, 200, b2, 800);
    l = cache_listing(f->cache, NULL, NULL, soon());
    g_assert_cmpint(listing_wait(l, 4, soon()), ==, 0);
    /* The first page is usable while the second is still on its way. */
    g_assert_false(listing_done(l, NULL, NULL));
    g_assert_cmpint(g_get_monotonic_time() - start, <, 700 * 1000);
    g_assert_cmpint(listing_wait(l, 5, soon()), ==, 0);
    g_assert_cmpint(listing_wait(l, 7, soon()), ==, LISTING_END);
    g_assert_cmpuint(listing_length(l), ==, 7);
    listing_unref(l);

    /* Within the ttl the same listing is served: no new walk. */
    l = cache_listing(f->cache, NULL, NULL, soon());
    g_assert_true(listing_done(l, NULL, NULL));
    g_assert_cmpuint(listing_length(l), ==, 7);
    listing_unref(l);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
}

static void test_view_exact(struct fixture *f, gconstpointer unused)
{
    /* A server matching loosely returns a near miss; the view keeps only exact matches. */
    const char *body = "{\"tasks\":[{\"id\":\"a\",\"state\":\"RUNNING\",\"video_source_name\":"
                       "\"gate\"},{\"id\":\"b\",\"state\":\"RUNNING\",\"video_source_name\":"
                       "\"gate-2\"}]}";
    struct listing *l;

    stub_push(f->stub, 200, body, 0);
    l = cache_listing(f->cache, &view_table[VIEW_CAMERA], "gate", soon());
    g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
    g_assert_cmpuint(listing_length(l), ==, 1);
    listing_unref(l);
    g_assert_nonnull(strstr(stub_request(f->stub, 0)->uri, "camera_name=gate&"));
}

static void test_stale_on_error(struct fixture *f, gconstpointer unused)
{
    const char *ids[] = {"a", "b", NULL};
    g_autofree char *page = page_json(ids, "RUNNING");
    struct cache_stats st;
    struct listing *l;
    int err;

    stub_push(f->stub, 200, page, 0);
    l = cache_listing(f->cache, NULL, NULL, soon());
    g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
    listing_unref(l);
    /* ttl 0: the next access walks again, and the API now fails every attempt. */
    for (int i = 0; i < 5; i++)
        stub_push(f->stub, 503, "{}", 0);
    g_autoptr(GTimer) timer = g_timer_new();
    struct listing *good = l;
    l = cache_listing(f->cache, NULL, NULL, soon());
    /* The walk brings nothing within a second: the last good listing, whole. */
    g_assert_true(l == good);
    g_assert_true(listing_done(l, &err, NULL));
    g_assert_cmpint(err, ==, 0);
    g_assert_cmpuint(listing_length(l), ==, 2);
    listing_unref(l);
    cache_get_stats(f->cache, &st);
    g_assert_cmpuint(st.stale_served, ==, 1);
    /* The walk fails in the background; "stale" is noted then. */
    while (st.stale_since_us == 0 && g_timer_elapsed(timer, NULL) < 10) {
        g_usleep(20000);
        cache_get_stats(f->cache, &st);
    }
    g_assert_cmpint(st.stale_since_us, >, 0);
    /* While the API is known to fail, the last good listing comes without a wait. */
    l = cache_listing(f->cache, NULL, NULL, soon());
    g_assert_true(l == good);
    listing_unref(l);
    cache_get_stats(f->cache, &st);
    g_assert_cmpuint(st.stale_served, ==, 2);

    /* A stale task is served when its refetch fails, and a success clears "stale". */
    struct task *t = NULL;
    for (int i = 0; i < 5; i++)
        stub_push(f->stub, 500, "{}", 0);
    g_assert_cmpint(get(f, "a", false, &t), ==, 0);
    g_assert_cmpstr(t->id, ==, "a");
    g_clear_pointer(&t, task_unref);
    g_autofree char *detail = task_json("a", "RUNNING");
    stub_push(f->stub, 200, detail, 0);
    g_assert_cmpint(get(f, "a", true, &t), ==, 0);
    g_clear_pointer(&t, task_unref);
    cache_get_stats(f->cache, &st);
    g_assert_cmpint(st.stale_since_us, ==, 0);
}

static void test_stale_needs_data(struct fixture *f, gconstpointer unused)
{
    struct task *t = NULL;

    /* Nothing cached: the failure is the answer, not invented data. */
    for (int i = 0; i < 5; i++)
        stub_push(f->stub, 500, "{}", 0);
    g_assert_cmpint(get(f, "x", false, &t), ==, -EIO);
    g_assert_null(t);
}

static void test_changes(struct fixture *f, gconstpointer unused)
{
    g_autofree char *running = task_json("t1", "RUNNING");
    g_autofree char *failed = task_json("t1", "FAILED");
    struct task *t = NULL;

    stub_push(f->stub, 200, running, 0);
    stub_push(f->stub, 200, running, 0);
    stub_push(f->stub, 200, failed, 0);
    for (int i = 0; i < 3; i++) {
        g_assert_cmpint(get(f, "t1", true, &t), ==, 0);
        g_clear_pointer(&t, task_unref);
    }
    g_assert_cmpuint(stub_count(f->stub), ==, 3); /* ttl 0: every access fetches */
    /* New, then unchanged (no report), then changed. */
    g_assert_cmpuint(f->changes->len, ==, 2);
    g_assert_cmpstr(f->changes->pdata[0], ==, "t1:->RUNNING");
    g_assert_cmpstr(f->changes->pdata[1], ==, "t1:RUNNING>FAILED");
}

static void test_removal_sweep(struct fixture *f, gconstpointer unused)
{
    const char *both[] = {"a", "b", NULL}, *one[] = {"a", NULL};
    g_autofree char *p1 = page_json(both, "RUNNING");
    g_autofree char *p2 = page_json(one, "RUNNING");
    struct listing *l;
    struct task *t = NULL;

    stub_push(f->stub, 200, p1, 0);
    stub_push(f->stub, 200, p2, 0);
    /* "b" is missing from the second walk: its detail is asked, and the API says gone. */
    stub_push(f->stub, 400, "{\"error_code\":\"VIAS.00010007\",\"error_msg\":\"No task\"}", 0);
    for (int i = 0; i < 2; i++) {
        l = cache_listing(f->cache, NULL, NULL, soon());
        g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
        /* "b" stays listed until its check says it is gone: nothing that exists goes
         * missing from a listing whose pages skipped it. */
        g_assert_cmpuint(listing_length(l), ==, 2);
        listing_unref(l);
    }
    g_assert_cmpuint(wait_changes(f, 3), ==, 3);
    g_assert_cmpstr(f->changes->pdata[2], ==, "b:RUNNING>-");
    g_assert_cmpstr(stub_request(f->stub, 2)->uri, ==, "/v2/p/tasks/b");
    /* The removed task holds no data any more; "a" still does. */
    guint32 slot;
    g_assert_true(cache_find_slot(f->cache, "b", &slot));
    g_assert_null(cache_peek_slot(f->cache, slot));
    g_assert_true(cache_find_slot(f->cache, "a", &slot));
    t = cache_peek_slot(f->cache, slot);
    g_assert_nonnull(t);
    task_unref(t);
}

/*
 * The memory bound: details read least recently lose their detail-only fields (a summary
 * stays) and are fetched again when next read; the ones read recently are not (the pair).
 */
static void test_memory_bound(struct fixture *f, gconstpointer unused)
{
    const char *ids[] = {"t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7"};
    struct cache_stats st;
    struct task *t = NULL;
    guint n;

    for (guint i = 0; i < G_N_ELEMENTS(ids); i++) {
        g_autofree char *body = task_json(ids[i], "RUNNING");
        stub_push(f->stub, 200, body, 0);
        g_assert_cmpint(get(f, ids[i], true, &t), ==, 0);
        g_assert_true(t->complete);
        g_clear_pointer(&t, task_unref);
    }
    cache_get_stats(f->cache, &st);
    g_test_message("detail bytes %" G_GUINT64_FORMAT ", evictions %" G_GUINT64_FORMAT,
                   st.detail_bytes, st.evictions);
    g_assert_cmpuint(st.evictions, >=, 4);
    g_assert_cmpuint(st.detail_bytes, <=, 3 * 400);
    n = stub_count(f->stub);
    /* The last read is still complete: no request. */
    g_assert_cmpint(get(f, "t7", true, &t), ==, 0);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, n);
    /* The first one kept its summary (no request for list data) but not its detail. */
    g_assert_cmpint(get(f, "t0", false, &t), ==, 0);
    g_assert_false(t->complete);
    g_assert_cmpstr(t->state, ==, "RUNNING");
    g_assert_cmpint(task_mtime_ms(t), ==, 1700000000000);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, n);
    g_autofree char *again = task_json("t0", "RUNNING");
    stub_push(f->stub, 200, again, 0);
    g_assert_cmpint(get(f, "t0", true, &t), ==, 0);
    g_assert_true(t->complete);
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(stub_count(f->stub), ==, n + 1);
    g_assert_cmpuint(f->changes->len, ==, G_N_ELEMENTS(ids)); /* evictions are not changes */
}

/* Waits (5 s at most) until the stub has received @n requests. */
static void wait_requests(struct fixture *f, guint n)
{
    for (int i = 0; i < 500 && stub_count(f->stub) < n; i++)
        g_usleep(10000);
    g_assert_cmpuint(stub_count(f->stub), >=, n);
}

/*
 * The race answers are dated for: a detail fetch sent before a change lands after a walk
 * that saw the change. The walk does not take the slow fetch's answer for its own: it waits
 * for it, then fetches anew, and the newer state stands (no flip back), reported once.
 */
static void test_slow_fetch_loses_to_newer_walk(struct fixture *f, gconstpointer unused)
{
    const char *ids[] = {"t1", NULL};
    g_autofree char *running = task_json("t1", "RUNNING");
    g_autofree char *page = page_json(ids, "FAILED");
    g_autofree char *failed = task_json("t1", "FAILED");
    struct task *t = NULL;
    struct listing *l;
    GThread *slow;

    stub_push(f->stub, 200, running, 0);
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0);
    g_clear_pointer(&t, task_unref);
    cache_expire_task(f->cache, "t1");
    stub_push(f->stub, 200, running, 600); /* sent now, answers the old state late */
    slow = g_thread_new("slow", reader, f);
    wait_requests(f, 2);
    stub_push(f->stub, 200, page, 0);   /* the walk sees FAILED */
    stub_push(f->stub, 200, failed, 0); /* and its own detail fetch */
    l = cache_listing(f->cache, NULL, NULL, soon());
    g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
    listing_unref(l);
    g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(slow)), ==, 0);
    g_assert_cmpuint(stub_count(f->stub), ==, 4);
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0);
    g_assert_cmpstr(t->state, ==, "FAILED");
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(wait_changes(f, 2), ==, 2);
    g_assert_cmpstr(f->changes->pdata[1], ==, "t1:RUNNING>FAILED");
}

/* The pair: a slow fetch with nothing newer meanwhile is stored, and its change reported. */
static void test_slow_fetch_stored(struct fixture *f, gconstpointer unused)
{
    g_autofree char *running = task_json("t1", "RUNNING");
    g_autofree char *failed = task_json("t1", "FAILED");
    struct task *t = NULL;

    stub_push(f->stub, 200, running, 0);
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0);
    g_clear_pointer(&t, task_unref);
    cache_expire_task(f->cache, "t1");
    stub_push(f->stub, 200, failed, 600);
    g_assert_cmpint(get(f, "t1", true, &t), ==, 0);
    g_assert_cmpstr(t->state, ==, "FAILED");
    g_clear_pointer(&t, task_unref);
    g_assert_cmpuint(f->changes->len, ==, 2);
}

/* A detail sent before a walk's page that agrees with it lands after it: the detail's fields
 * are kept (the reader that asked for them gets them, no second request). */
static void test_slow_detail_completes_newer_summary(struct fixture *f, gconstpointer unused)
{
    const char *ids[] = {"t1", NULL};
    g_autofree char *running = task_json("t1", "RUNNING");
    g_autofree char *page = page_json(ids, "RUNNING");
    struct listing *l;
    GThread *slow;

    stub_push(f->stub, 200, running, 600);
    slow = g_thread_new("slow", reader, f);
    wait_requests(f, 1);
    stub_push(f->stub, 200, page, 0);
    l = cache_listing(f->cache, NULL, NULL, soon());
    g_assert_cmpint(listing_wait_done(l, soon()), ==, 0);
    listing_unref(l);
    g_assert_cmpint(GPOINTER_TO_INT(g_thread_join(slow)), ==, 0);
    g_assert_cmpuint(stub_count(f->stub), ==, 2);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn, s) g_test_add(path, struct fixture, NULL, s, fn, teardown)
    ADD("/cache/single-flight", test_single_flight, setup);
    ADD("/cache/memory-bound", test_memory_bound, setup_small);
    ADD("/cache/fresh-then-expired", test_fresh_then_expired, setup_ttl1);
    ADD("/cache/negative", test_negative, setup);
    ADD("/cache/summary-needs-detail", test_summary_needs_detail, setup);
    ADD("/cache/streaming", test_streaming, setup);
    ADD("/cache/view-exact", test_view_exact, setup);
    ADD("/cache/stale-on-error", test_stale_on_error, setup_ttl0);
    ADD("/cache/stale-needs-data", test_stale_needs_data, setup);
    ADD("/cache/changes", test_changes, setup_ttl0);
    ADD("/cache/removal-sweep", test_removal_sweep, setup_ttl0);
    ADD("/cache/slid-not-removed", test_slid_not_removed, setup_ttl0);
    ADD("/cache/changed-summary-fetches-detail", test_changed_summary_fetches_detail, setup);
    ADD("/cache/slow-fetch-loses-to-newer-walk", test_slow_fetch_loses_to_newer_walk, setup);
    ADD("/cache/slow-fetch-stored", test_slow_fetch_stored, setup);
    ADD("/cache/slow-detail-completes-newer-summary", test_slow_detail_completes_newer_summary,
        setup);
    return g_test_run();
}
