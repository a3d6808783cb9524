/*
 * bench/lowerbound.c: the fastest a client can fetch what an operation needs from the VIAS
 * API, for the "lower bound" column of bench/perf.py. Built by `make bench` as
 * build/bench/lowerbound; not part of viasfs (it shares no code with src/).
 *
 *   lowerbound URL PROJECT TOKEN_FILE first|list|details [QUERY] [PAGE_SIZE] [CONCURRENCY]
 *
 * first: page 1 of the list (what the first entry of a listing needs); list: the list walk,
 * page 1, 2, ... until a page holds fewer than PAGE_SIZE (1000) items; details: the walk
 * plus the detail call of every listed task. QUERY adds list filters ("task_state=RUNNING",
 * "" for none). Prints one JSON line: {"ms","requests","list","detail","tasks","cpu_ms"}.
 *
 * Why this is the lower bound of a client that wastes no request: CONCURRENCY (8, viasfs's
 * --max-requests) keep-alive connections are opened before the clock starts (by as many
 * requests of page 1, parsed and not counted, which also warms the allocator); one libcurl
 * multi loop keeps CONCURRENCY transfers in flight, list pages before details. A page is
 * asked for as soon as the previous one came back full (the API's count is per page: that is
 * the earliest a client knows a next page exists, and at an exact multiple of the page size
 * one empty page ends the walk); details are asked for as soon as their page is parsed, while
 * the walk goes on.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BODY_MAX (64u << 20) /* hard cap on one answer */

enum kind { PAGE, DETAIL, WARMUP };

struct xfer {
    enum kind kind;
    int page;
    char *buf;
    size_t len;
    int overflow;
};

static struct {
    const char *url, *project, *query, *what;
    char token_header[4096];
    int page_size, concurrency;
    CURLM *multi;
    struct curl_slist *headers;
    char **ids; /* detail queue: ids not yet requested, FIFO */
    size_t ids_len, ids_cap, ids_next;
    int next_page; /* 0: no page to ask for now */
    int in_flight;
    long n_list, n_detail, n_tasks;
    int failed;
} g;

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t add = size * n;
    if (x->len + add > BODY_MAX) {
        x->overflow = 1;
        return 0;
    }
    char *nb = realloc(x->buf, x->len + add + 1);
    if (!nb)
        return 0;
    x->buf = nb;
    memcpy(x->buf + x->len, p, add);
    x->len += add;
    x->buf[x->len] = '\0';
    return add;
}

static void start(enum kind kind, int page, const char *id)
{
    char target[8192];
    if (kind == DETAIL)
        snprintf(target, sizeof target, "%s/v2/%s/tasks/%s", g.url, g.project, id);
    else if (kind == WARMUP)
        snprintf(target, sizeof target, "%s/v2/%s/tasks?page=1&page_size=%d", g.url, g.project,
                 g.page_size);
    else
        snprintf(target, sizeof target, "%s/v2/%s/tasks?page=%d&page_size=%d%s%s", g.url,
                 g.project, page, g.page_size, *g.query ? "&" : "", g.query);
    struct xfer *x = calloc(1, sizeof *x);
    CURL *e = curl_easy_init();
    if (!x || !e) {
        fprintf(stderr, "lowerbound: out of memory\n");
        exit(1);
    }
    x->kind = kind;
    x->page = page;
    curl_easy_setopt(e, CURLOPT_URL, target);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, g.headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 600L);
    curl_multi_add_handle(g.multi, e);
    g.in_flight++;
}

/* Fill the free transfer slots: the next page first, then queued details. */
static void fill(void)
{
    while (g.in_flight < g.concurrency) {
        if (g.next_page) {
            start(PAGE, g.next_page, NULL);
            g.next_page = 0;
        } else if (g.ids_next < g.ids_len) {
            start(DETAIL, 0, g.ids[g.ids_next]);
            free(g.ids[g.ids_next]);
            g.ids[g.ids_next++] = NULL;
        } else {
            break;
        }
    }
}

static void push_id(const char *id)
{
    if (g.ids_len == g.ids_cap) {
        g.ids_cap = g.ids_cap ? g.ids_cap * 2 : 1024;
        g.ids = realloc(g.ids, g.ids_cap * sizeof *g.ids);
        if (!g.ids) {
            fprintf(stderr, "lowerbound: out of memory\n");
            exit(1);
        }
    }
    g.ids[g.ids_len++] = strdup(id);
}

static void page_done(struct xfer *x)
{
    cJSON *root = cJSON_Parse(x->buf ? x->buf : "");
    cJSON *tasks = root ? cJSON_GetObjectItemCaseSensitive(root, "tasks") : NULL;
    if (!cJSON_IsArray(tasks)) {
        fprintf(stderr, "lowerbound: page %d is not a task list\n", x->page);
        g.failed = 1;
        cJSON_Delete(root);
        return;
    }
    int n = cJSON_GetArraySize(tasks);
    g.n_tasks += n;
    if (strcmp(g.what, "first") != 0 && n >= g.page_size)
        g.next_page = x->page + 1;
    if (strcmp(g.what, "details") == 0) {
        const cJSON *t;
        cJSON_ArrayForEach(t, tasks) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(t, "id");
            if (cJSON_IsString(id))
                push_id(id->valuestring);
        }
    }
    cJSON_Delete(root);
}

/* Run the multi loop until nothing is in flight; returns 0 or -1. */
static int drain(void)
{
    while (g.in_flight > 0) {
        int running, left;
        curl_multi_perform(g.multi, &running);
        CURLMsg *m;
        while ((m = curl_multi_info_read(g.multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *e = m->easy_handle;
            struct xfer *x;
            long code = 0;
            curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
            if (m->data.result != CURLE_OK || code != 200 || x->overflow) {
                fprintf(stderr, "lowerbound: %s: HTTP %ld\n",
                        curl_easy_strerror(m->data.result), code);
                g.failed = 1;
            } else if (x->kind == PAGE) {
                g.n_list++;
                page_done(x);
            } else if (x->kind == DETAIL) {
                g.n_detail++;
            } else {
                cJSON_Delete(cJSON_Parse(x->buf ? x->buf : "")); /* warm the allocator */
            }
            curl_multi_remove_handle(g.multi, e);
            curl_easy_cleanup(e);
            free(x->buf);
            free(x);
            g.in_flight--;
            if (!g.failed)
                fill();
        }
        if (g.in_flight > 0)
            curl_multi_poll(g.multi, NULL, 0, 1000, NULL);
    }
    return g.failed ? -1 : 0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: lowerbound URL PROJECT TOKEN_FILE first|list|details "
                        "[QUERY] [PAGE_SIZE] [CONCURRENCY]\n");
        return 2;
    }
    g.url = argv[1];
    g.project = argv[2];
    g.what = argv[4];
    g.query = argc > 5 ? argv[5] : "";
    g.page_size = argc > 6 ? atoi(argv[6]) : 1000;
    g.concurrency = argc > 7 ? atoi(argv[7]) : 8;
    if (strcmp(g.what, "first") && strcmp(g.what, "list") && strcmp(g.what, "details")) {
        fprintf(stderr, "lowerbound: unknown operation %s\n", g.what);
        return 2;
    }
    if (g.page_size < 1 || g.concurrency < 1 || g.concurrency > 256) {
        fprintf(stderr, "lowerbound: bad page size or concurrency\n");
        return 2;
    }
    FILE *tf = fopen(argv[3], "r");
    char token[3000] = "";
    if (!tf || !fgets(token, sizeof token, tf)) {
        fprintf(stderr, "lowerbound: cannot read the token file %s\n", argv[3]);
        return 2;
    }
    fclose(tf);
    token[strcspn(token, "\r\n")] = '\0';
    snprintf(g.token_header, sizeof g.token_header, "X-Auth-Token: %s", token);

    curl_global_init(CURL_GLOBAL_DEFAULT);
    g.headers = curl_slist_append(NULL, g.token_header);
    g.multi = curl_multi_init();
    curl_multi_setopt(g.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)g.concurrency);
    curl_multi_setopt(g.multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)g.concurrency);
    curl_multi_setopt(g.multi, CURLMOPT_MAXCONNECTS, (long)g.concurrency);

    for (int i = 0; i < g.concurrency; i++) /* open the connections, off the clock */
        start(WARMUP, 0, NULL);
    if (drain() < 0)
        return 1;

    double c0 = cpu_ms(), t0 = now_ms();
    g.next_page = 1;
    fill();
    int rc = drain();
    double ms = now_ms() - t0, cpu = cpu_ms() - c0;
    if (rc < 0)
        return 1;
    printf("{\"ms\": %.2f, \"requests\": %ld, \"list\": %ld, \"detail\": %ld, \"tasks\": %ld, "
           "\"cpu_ms\": %.1f}\n",
           ms, g.n_list + g.n_detail, g.n_list, g.n_detail, g.n_tasks, cpu);
    curl_multi_cleanup(g.multi);
    curl_slist_free_all(g.headers);
    curl_global_cleanup();
    return 0;
}
