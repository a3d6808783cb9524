/*
 * metrics: atomic counters and the Prometheus text rendering of .viasfs/metrics (see
 * metrics.h). Every counter is a C11 atomic, updated with relaxed ordering: a reader may see
 * one counter a moment ahead of another, which the format allows. A histogram's buckets are
 * stored uncumulated and summed when rendered, so its +Inf bucket and _count always agree.
 * It is not a general metrics library: the families are fixed, and rendering them is all
 * it does with them.
 */
#include "viasfs/metrics.h"
#include "viasfs/purpose.h"

#include <stdatomic.h>
#include <string.h>

/* The endpoints requests are counted by. */
enum endpoint { EP_LIST, EP_DETAIL, EP_IAM, EP_OTHER, EP_COUNT };
static const char *const endpoint_names[EP_COUNT] = {"list", "detail", "iam", "other"};

/* Failure kinds as label values (HTTP_OK is not a failure). */
#define FAILURE_KINDS (HTTP_FAIL_INTERNAL + 1)
static const char *const failure_names[FAILURE_KINDS] = {
    [HTTP_FAIL_TIMEOUT] = "timeout",     [HTTP_FAIL_REFUSED] = "refused",
    [HTTP_FAIL_RESOLVE] = "resolve",     [HTTP_FAIL_BROKEN] = "broken",
    [HTTP_FAIL_TOO_LARGE] = "too_large", [HTTP_FAIL_TLS] = "tls",
    [HTTP_FAIL_NOT_HTTP] = "not_http",   [HTTP_FAIL_BAD_URL] = "bad_url",
    [HTTP_FAIL_INTERNAL] = "internal",
};

static const char *const op_names[METRICS_OP_COUNT] = {
    [METRICS_OP_LOOKUP] = "lookup",
    [METRICS_OP_FORGET] = "forget",
    [METRICS_OP_GETATTR] = "getattr",
    [METRICS_OP_SETATTR] = "setattr",
    [METRICS_OP_READLINK] = "readlink",
    [METRICS_OP_OPEN] = "open",
    [METRICS_OP_READ] = "read",
    [METRICS_OP_WRITE] = "write",
    [METRICS_OP_RELEASE] = "release",
    [METRICS_OP_OPENDIR] = "opendir",
    [METRICS_OP_READDIR] = "readdir",
    [METRICS_OP_READDIRPLUS] = "readdirplus",
    [METRICS_OP_RELEASEDIR] = "releasedir",
    [METRICS_OP_STATFS] = "statfs",
    [METRICS_OP_ACCESS] = "access",
    [METRICS_OP_GETXATTR] = "getxattr",
    [METRICS_OP_LISTXATTR] = "listxattr",
    [METRICS_OP_SETXATTR] = "setxattr",
    [METRICS_OP_REMOVEXATTR] = "removexattr",
    [METRICS_OP_POLL] = "poll",
    [METRICS_OP_MKNOD] = "mknod",
    [METRICS_OP_MKDIR] = "mkdir",
    [METRICS_OP_UNLINK] = "unlink",
    [METRICS_OP_RMDIR] = "rmdir",
    [METRICS_OP_SYMLINK] = "symlink",
    [METRICS_OP_RENAME] = "rename",
    [METRICS_OP_LINK] = "link",
    [METRICS_OP_CREATE] = "create",
    [METRICS_OP_FLUSH] = "flush",
    [METRICS_OP_FSYNC] = "fsync",
};

/* Upper bounds of the latency buckets, in microseconds and as the "le" label says them. */
static const gint64 bucket_us[] = {5000,   10000,   25000,   50000,   100000,   250000,
                                   500000, 1000000, 2500000, 5000000, 10000000, 30000000};
static const char *const bucket_le[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                                        "0.5",   "1",    "2.5",   "5",    "10",  "30"};
#define BUCKETS (G_N_ELEMENTS(bucket_us) + 1) /* the last one is +Inf */

/* HTTP status codes counted one by one; anything outside is counted as code "other". */
enum { STATUS_MIN = 100, STATUS_MAX = 599, STATUS_SLOTS = STATUS_MAX - STATUS_MIN + 2 };

struct metrics {
    double start_time_s; /* immutable: unix time of metrics_new */
    atomic_ullong status[EP_COUNT][STATUS_SLOTS];
    atomic_ullong failures[EP_COUNT][FAILURE_KINDS];
    atomic_ullong retries[EP_COUNT];
    atomic_ullong latency[EP_COUNT][BUCKETS];
    atomic_ullong latency_sum_us[EP_COUNT];
    atomic_ullong fuse_ops[METRICS_OP_COUNT];
    atomic_ullong purposes[PURPOSE_COUNT]; /* attempts by what they were for (purpose.h) */
};

struct metrics *metrics_new(void)
{
    struct metrics *m = g_new0(struct metrics, 1); /* zeroed atomics are valid zeros */

    m->start_time_s = (double)g_get_real_time() / G_USEC_PER_SEC;
    return m;
}

void metrics_free(struct metrics *m)
{
    g_free(m);
}

static enum endpoint endpoint_of(const char *label)
{
    for (int e = 0; e < EP_OTHER; e++)
        if (label && strcmp(label, endpoint_names[e]) == 0)
            return (enum endpoint)e;
    return EP_OTHER;
}

static void add(atomic_ullong *counter, guint64 n)
{
    atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static guint64 get(atomic_ullong *counter)
{
    return atomic_load_explicit(counter, memory_order_relaxed);
}

void metrics_count_attempt(const struct http_attempt *a, void *metrics)
{
    struct metrics *m = metrics;
    enum endpoint e = endpoint_of(a->label);
    gint64 us = MAX(a->elapsed_us, 0);
    guint b = 0;

    if (!m)
        return;
    if (a->failure == HTTP_OK) {
        long s = a->status;
        add(&m->status[e][s >= STATUS_MIN && s <= STATUS_MAX ? s - STATUS_MIN : STATUS_SLOTS - 1],
            1);
    } else if ((int)a->failure > 0 && (int)a->failure < FAILURE_KINDS) {
        add(&m->failures[e][a->failure], 1);
    }
    if (a->number > 1)
        add(&m->retries[e], 1);
    add(&m->purposes[purpose_current()], 1);
    while (b < G_N_ELEMENTS(bucket_us) && us > bucket_us[b])
        b++;
    add(&m->latency[e][b], 1);
    add(&m->latency_sum_us[e], (guint64)us);
}

void metrics_count_fuse_op(struct metrics *m, enum metrics_fuse_op op, guint64 n)
{
    if (m && (unsigned)op < METRICS_OP_COUNT)
        add(&m->fuse_ops[op], n);
}

guint64 metrics_attempts(struct metrics *m)
{
    guint64 n = 0;

    if (!m)
        return 0;
    for (int e = 0; e < EP_COUNT; e++)
        for (guint b = 0; b < BUCKETS; b++)
            n += get(&m->latency[e][b]);
    return n;
}

/* ---- rendering ---- */

static void family(GString *out, const char *name, const char *type, const char *help)
{
    g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \, " and newlines escaped as the format requires. */
static void append_label_value(GString *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            g_string_append_c(out, '\\'), g_string_append_c(out, *v);
        else if (*v == '\n')
            g_string_append(out, "\\n");
        else
            g_string_append_c(out, *v);
    }
}

/* A floating-point value, whatever the locale says about decimal points. */
static void append_double(GString *out, double v)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];

    g_string_append(out, g_ascii_formatd(buf, sizeof(buf), "%.6f", v));
}

static void sample_u(GString *out, const char *name, const char *labels, guint64 v)
{
    g_string_append_printf(out, "%s%s%s%s %" G_GUINT64_FORMAT "\n", name, labels ? "{" : "",
                           labels ? labels : "", labels ? "}" : "", v);
}

static void sample_d(GString *out, const char *name, double v)
{
    g_string_append_printf(out, "%s ", name);
    append_double(out, v);
    g_string_append_c(out, '\n');
}

/* Whether endpoint @e is shown in per-endpoint families: always, but "other" only once used. */
static bool endpoint_shown(struct metrics *m, enum endpoint e)
{
    guint64 n = 0;

    if (e != EP_OTHER)
        return true;
    for (guint b = 0; b < BUCKETS; b++)
        n += get(&m->latency[e][b]);
    return n > 0;
}

static void render_requests(GString *out, struct metrics *m)
{
    family(out, "viasfs_api_requests_total", "counter",
           "HTTP requests sent to the API (retries included) that got an answer, by endpoint "
           "and HTTP status code.");
    for (int e = 0; e < EP_COUNT; e++)
        for (int s = 0; s < STATUS_SLOTS; s++) {
            guint64 n = get(&m->status[e][s]);
            if (!n)
                continue;
            g_autofree char *labels =
                s == STATUS_SLOTS - 1
                    ? g_strdup_printf("endpoint=\"%s\",code=\"other\"", endpoint_names[e])
                    : g_strdup_printf("endpoint=\"%s\",code=\"%d\"", endpoint_names[e],
                                      s + STATUS_MIN);
            sample_u(out, "viasfs_api_requests_total", labels, n);
        }

    family(out, "viasfs_api_transport_failures_total", "counter",
           "HTTP requests sent to the API that got no answer, by endpoint and kind of failure "
           "(timeout, refused, resolve, broken, too_large, tls, not_http, bad_url, internal).");
    for (int e = 0; e < EP_COUNT; e++)
        for (int f = 1; f < FAILURE_KINDS; f++) {
            guint64 n = get(&m->failures[e][f]);
            if (!n)
                continue;
            g_autofree char *labels =
                g_strdup_printf("endpoint=\"%s\",kind=\"%s\"", endpoint_names[e], failure_names[f]);
            sample_u(out, "viasfs_api_transport_failures_total", labels, n);
        }

    family(out, "viasfs_api_requests_by_purpose_total", "counter",
           "HTTP requests sent to the API (retries included, answered or not), by what they "
           "were for: foreground (a file operation waited for it), refresh (the periodic "
           "refresh of what is watched), readahead (details fetched ahead of a walk of reads), "
           "control (the follow-ups of a task control action).");
    for (int p = 0; p < PURPOSE_COUNT; p++) {
        g_autofree char *labels = g_strdup_printf("purpose=\"%s\"", purpose_name(p));
        sample_u(out, "viasfs_api_requests_by_purpose_total", labels, get(&m->purposes[p]));
    }

    family(out, "viasfs_api_retries_total", "counter",
           "HTTP requests that repeated a failed one (429, 5xx, broken or refused connections), "
           "by endpoint.");
    for (int e = 0; e < EP_COUNT; e++)
        if (endpoint_shown(m, e)) {
            g_autofree char *labels = g_strdup_printf("endpoint=\"%s\"", endpoint_names[e]);
            sample_u(out, "viasfs_api_retries_total", labels, get(&m->retries[e]));
        }

    family(out, "viasfs_api_request_duration_seconds", "histogram",
           "Duration of each HTTP request to the API (one attempt, answered or not), by "
           "endpoint.");
    for (int e = 0; e < EP_COUNT; e++) {
        guint64 cumulative = 0;
        if (!endpoint_shown(m, e))
            continue;
        for (guint b = 0; b < BUCKETS; b++) {
            g_autofree char *labels =
                g_strdup_printf("endpoint=\"%s\",le=\"%s\"", endpoint_names[e],
                                b < G_N_ELEMENTS(bucket_le) ? bucket_le[b] : "+Inf");
            cumulative += get(&m->latency[e][b]);
            sample_u(out, "viasfs_api_request_duration_seconds_bucket", labels, cumulative);
        }
        g_string_append_printf(out, "viasfs_api_request_duration_seconds_sum{endpoint=\"%s\"} ",
                               endpoint_names[e]);
        append_double(out, (double)get(&m->latency_sum_us[e]) / G_USEC_PER_SEC);
        g_string_append_c(out, '\n');
        g_string_append_printf(out,
                               "viasfs_api_request_duration_seconds_count{endpoint=\"%s\"} "
                               "%" G_GUINT64_FORMAT "\n",
                               endpoint_names[e], cumulative);
    }
}

static void render_cache(GString *out, const struct metrics_sample *s)
{
    family(out, "viasfs_cache_lookups_total", "counter",
           "Lookups in the cache: detail = a task asked for (hit: answered from the cache, "
           "fresh or known absent; miss: fetched), listing = a directory listing asked for "
           "(hit: cached or being walked; miss: a walk started).");
    sample_u(out, "viasfs_cache_lookups_total", "cache=\"detail\",result=\"hit\"", s->detail_hits);
    sample_u(out, "viasfs_cache_lookups_total", "cache=\"detail\",result=\"miss\"",
             s->detail_misses);
    sample_u(out, "viasfs_cache_lookups_total", "cache=\"listing\",result=\"hit\"",
             s->listing_hits);
    sample_u(out, "viasfs_cache_lookups_total", "cache=\"listing\",result=\"miss\"",
             s->listing_misses);

    family(out, "viasfs_list_walks_total", "counter",
           "Walks of a task list (one or more list requests each), by what started them: a "
           "listing asked for (demand) or the periodic refresh.");
    sample_u(out, "viasfs_list_walks_total", "trigger=\"demand\"", s->listing_misses);
    sample_u(out, "viasfs_list_walks_total", "trigger=\"refresh\"", s->refresh_walks);

    family(out, "viasfs_detail_fetches_total", "counter",
           "Task detail fetches the cache made (lookups, refreshes and checks).");
    sample_u(out, "viasfs_detail_fetches_total", NULL, s->detail_fetches);

    family(out, "viasfs_detail_prefetches_total", "counter",
           "Of those fetches, the ones started ahead of reads that walk the tasks in order.");
    sample_u(out, "viasfs_detail_prefetches_total", NULL, s->prefetches);

    family(out, "viasfs_cache_tasks", "gauge", "Tasks whose data the cache holds.");
    sample_u(out, "viasfs_cache_tasks", NULL, s->tasks_cached);

    family(out, "viasfs_cache_bytes", "gauge",
           "Approximate memory held by cached task data, in bytes (the task records and their "
           "rendered files; hash tables and allocator overhead are not counted).");
    sample_u(out, "viasfs_cache_bytes", NULL, s->bytes_cached);

    family(out, "viasfs_stale_served_total", "counter",
           "Answers served from older cached data because a fetch failed.");
    sample_u(out, "viasfs_stale_served_total", NULL, s->stale_served);

    family(out, "viasfs_stale", "gauge",
           "1 while the data is stale (the last fetch failed), else 0.");
    sample_u(out, "viasfs_stale", NULL, s->stale ? 1 : 0);

    family(out, "viasfs_refreshes_total", "counter",
           "Cache drops asked for through .viasfs/refresh or SIGHUP.");
    sample_u(out, "viasfs_refreshes_total", NULL, s->refreshes);

    if (s->list_age_s >= 0) {
        family(out, "viasfs_list_age_seconds", "gauge",
               "Seconds since the last complete walk of all tasks ended.");
        sample_d(out, "viasfs_list_age_seconds", s->list_age_s);
    }
}

char *metrics_render(struct metrics *m, const struct metrics_sample *s)
{
    GString *out = g_string_new(NULL);

    family(out, "viasfs_info", "gauge", "Information about viasfs; the value is always 1.");
    g_string_append(out, "viasfs_info{version=\"");
    append_label_value(out, VIASFS_VERSION);
    g_string_append(out, "\"} 1\n");

    family(out, "process_start_time_seconds", "gauge",
           "Start time of the process since the unix epoch, in seconds.");
    sample_d(out, "process_start_time_seconds", m ? m->start_time_s : 0);

    if (m)
        render_requests(out, m);

    family(out, "viasfs_api_errors_total", "counter",
           "API calls that failed after retries (what .viasfs/errors lists).");
    sample_u(out, "viasfs_api_errors_total", NULL, s->errors);

    if (s->auth_expires_at_s > 0) {
        family(out, "viasfs_auth_token_expiry_timestamp_seconds", "gauge",
               "When the current IAM token expires, unix time in seconds.");
        sample_d(out, "viasfs_auth_token_expiry_timestamp_seconds", (double)s->auth_expires_at_s);
    }

    render_cache(out, s);

    family(out, "viasfs_snapshot_loaded", "gauge",
           "1 when the mount started from its snapshot (--cache-dir).");
    sample_u(out, "viasfs_snapshot_loaded", NULL, s->snapshot_loaded);
    family(out, "viasfs_snapshot_unconfirmed_tasks", "gauge",
           "Tasks served from the snapshot that the API has not answered for yet.");
    sample_u(out, "viasfs_snapshot_unconfirmed_tasks", NULL, s->snapshot_unconfirmed);
    if (s->snapshot_age_s >= 0) {
        family(out, "viasfs_snapshot_age_seconds", "gauge",
               "Age of the snapshot the mount started from.");
        sample_d(out, "viasfs_snapshot_age_seconds", s->snapshot_age_s);
    }
    family(out, "viasfs_snapshot_writes_total", "counter", "Snapshots written by this mount.");
    sample_u(out, "viasfs_snapshot_writes_total", NULL, s->snapshot_writes);
    family(out, "viasfs_snapshot_bytes", "gauge", "Size of the last snapshot written.");
    sample_u(out, "viasfs_snapshot_bytes", NULL, s->snapshot_bytes);
    family(out, "viasfs_snapshot_write_seconds", "gauge",
           "How long the last snapshot took to collect, encode, write and fsync.");
    sample_d(out, "viasfs_snapshot_write_seconds", s->snapshot_write_s);

    family(out, "viasfs_events_total", "counter", "Lines appended to .viasfs/events.");
    sample_u(out, "viasfs_events_total", NULL, s->events);
    family(out, "viasfs_events_retained_lines", "gauge",
           "Lines of .viasfs/events kept for readers that resume with \"since N\".");
    sample_u(out, "viasfs_events_retained_lines", NULL, s->events_retained_lines);
    family(out, "viasfs_events_retained_bytes", "gauge", "Bytes of those lines.");
    sample_u(out, "viasfs_events_retained_bytes", NULL, s->events_retained_bytes);
    family(out, "viasfs_events_last_seq", "gauge",
           "The \"seq\" of the last line of .viasfs/events (0: none yet).");
    sample_u(out, "viasfs_events_last_seq", NULL, s->events_last_seq);

    if (m) {
        family(out, "viasfs_fuse_operations_total", "counter",
               "Requests received from the kernel, by FUSE operation.");
        for (int op = 0; op < METRICS_OP_COUNT; op++) {
            g_autofree char *labels = g_strdup_printf("op=\"%s\"", op_names[op]);
            sample_u(out, "viasfs_fuse_operations_total", labels, get(&m->fuse_ops[op]));
        }
    }
    return g_string_free(out, FALSE);
}
