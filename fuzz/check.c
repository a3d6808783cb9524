/*
 * check: invariant checks shared by the fuzz targets (see check.h). The rendered files are
 * parsed back with cJSON, which the library uses too: this checks what a reader of the files
 * would see, not how the library got there. It fixes nothing and never returns on failure.
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <glib.h>

#include "viasfs/event.h"
#include "viasfs/name.h"

enum { NAME_LIMIT = 255 };

void check_fail(const char *file, int line, const char *cond, const char *what)
{
    fprintf(stderr, "%s:%d: check failed: %s (%s)\n", file, line, cond, what);
    abort();
}

void check_init(void)
{
    g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
}

static bool utf8_or_null(const char *s)
{
    return !s || g_utf8_validate(s, -1, NULL);
}

/* A member name that redact.c promises to mask, as documented in redact.h. */
static bool secret_name(const char *key)
{
    static const char *const marks[] = {"password", "passwd",     "secret",
                                        "token",    "credential", "authorization",
                                        "api_key",  "apikey",     "private_key"};
    g_autofree char *k = g_ascii_strdown(key, -1);

    for (size_t i = 0; i < G_N_ELEMENTS(marks); i++)
        if (strstr(k, marks[i]))
            return true;
    return false;
}

static bool masked(const cJSON *v)
{
    return cJSON_IsNull(v) || (cJSON_IsString(v) && strcmp(v->valuestring, "***") == 0);
}

/* No member named like a secret below @node holds anything but "***" or null. */
static void check_no_named_secret(const cJSON *node)
{
    for (const cJSON *c = node ? node->child : NULL; c; c = c->next) {
        if (cJSON_IsObject(node) && c->string && secret_name(c->string))
            CHECK(masked(c), c->string);
        else
            check_no_named_secret(c);
    }
}

/* Every value of every member @key of @obj that is an object is masked. Duplicate keys
 * count: readers differ on which one they take (cJSON the first, Python's json the last). */
static void check_headers_masked(const cJSON *obj, const char *key)
{
    for (const cJSON *h = obj ? obj->child : NULL; h; h = h->next) {
        if (!h->string || strcmp(h->string, key) != 0 || !cJSON_IsObject(h))
            continue;
        for (const cJSON *v = h->child; v; v = v->next)
            CHECK(masked(v), "header value");
    }
}

/* The documented places of header secrets, under every duplicate of each key. */
static void check_no_header_secret(const cJSON *task)
{
    for (const cJSON *m = task->child; m; m = m->next) {
        if (!m->string || !cJSON_IsObject(m))
            continue;
        if (strcmp(m->string, "input") == 0) {
            for (const cJSON *d = m->child; d; d = d->next)
                if (d->string && strcmp(d->string, "data") == 0)
                    for (const cJSON *item = d->child; item; item = item->next)
                        check_headers_masked(item, "headers");
        } else if (strcmp(m->string, "output") == 0) {
            for (const cJSON *w = m->child; w; w = w->next)
                if (w->string && strcmp(w->string, "webhook") == 0)
                    check_headers_masked(w, "headers");
        }
    }
}

/* A rendered file: text ending in one newline, valid UTF-8, JSON a reader can parse. */
static cJSON *check_rendered(const char *text, const char *file, bool object_or_null)
{
    size_t n;
    cJSON *root;

    CHECK(text != NULL, file);
    n = strlen(text);
    CHECK(n >= 2 && text[n - 1] == '\n', file);
    CHECK(g_utf8_validate(text, (gssize)n, NULL), file);
    root = cJSON_ParseWithLength(text, n);
    CHECK(root != NULL, file);
    if (object_or_null)
        CHECK(cJSON_IsObject(root) || cJSON_IsNull(root), file);
    return root;
}

static void check_file_secrets(const char *text, const char *file, bool show_secrets, bool is_task)
{
    cJSON *root = check_rendered(text, file, true);

    if (!show_secrets) {
        check_no_named_secret(root);
        if (is_task)
            check_no_header_secret(root);
    }
    cJSON_Delete(root);
}

/* The file name of @s: valid, bounded, stable. */
static char *check_name(const char *s)
{
    char *enc = name_encode(s);
    g_autofree char *again = name_encode(s);

    CHECK(enc != NULL, "name_encode");
    CHECK(name_is_valid(enc), enc);
    CHECK(strlen(enc) <= NAME_LIMIT, enc);
    CHECK(strchr(enc, '/') == NULL, enc);
    CHECK(strcmp(enc, ".") != 0 && strcmp(enc, "..") != 0, enc);
    CHECK(strcmp(enc, again) == 0, "name_encode is not stable");
    return enc;
}

/* Distinct remote strings never share a file name (name.h: the encoding is injective). */
static void check_names(const struct task *t)
{
    const char *raw[] = {t->id, t->name, t->state, t->video_source_name, t->title, t->status};
    char *enc[G_N_ELEMENTS(raw)];

    for (size_t i = 0; i < G_N_ELEMENTS(raw); i++)
        enc[i] = check_name(raw[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(raw); i++)
        for (size_t k = i + 1; k < G_N_ELEMENTS(raw); k++)
            if (g_strcmp0(raw[i] ? raw[i] : "", raw[k] ? raw[k] : "") != 0)
                CHECK(strcmp(enc[i], enc[k]) != 0, enc[i]);
    for (size_t i = 0; i < G_N_ELEMENTS(raw); i++)
        g_free(enc[i]);
}

/* The .viasfs/events line a change of this task gives: one JSON object, valid UTF-8. */
static void check_event(const struct task *t)
{
    struct event e = {1700000000123, t->id, t->name, "state", t->state, t->status};
    g_autofree char *line = event_to_json(&e);
    g_autofree char *name = t->name ? g_utf8_make_valid(t->name, -1) : NULL;
    cJSON *root;
    const cJSON *n;

    CHECK(line && g_utf8_validate(line, -1, NULL), "event line");
    CHECK(strchr(line, '\n') == NULL, "event line has a newline");
    root = cJSON_Parse(line);
    CHECK(cJSON_IsObject(root), line);
    CHECK(cJSON_GetArraySize(root) == 6, line);
    n = cJSON_GetObjectItemCaseSensitive(root, "task_name");
    if (name)
        CHECK(cJSON_IsString(n) && strcmp(n->valuestring, name) == 0, line);
    else
        CHECK(cJSON_IsNull(n), line);
    CHECK(strcmp(cJSON_GetObjectItemCaseSensitive(root, "task_id")->valuestring, t->id) == 0, line);
    cJSON_Delete(root);
}

void check_task(const struct task *t, bool show_secrets)
{
    const char *strings[] = {
        t->name,        t->status,     t->video_source_name,    t->title,
        t->type,        t->service_id, t->algorithm_publish_id, t->creator,
        t->description, t->company,    t->error_code,           t->error_message};

    CHECK(t->id && task_id_is_valid(t->id), "id");
    CHECK(t->state && t->state[0] && g_utf8_validate(t->state, -1, NULL), "state");
    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++)
        CHECK(utf8_or_null(strings[i]), "string field is not UTF-8");
    CHECK(t->created_ms >= -1 && t->updated_ms >= -1, "timestamps");
    CHECK(task_mtime_ms(t) >= 0, "mtime");

    check_file_secrets(t->task_json, "task.json", show_secrets, true);
    check_file_secrets(t->input_json, "input.json", show_secrets, false);
    check_file_secrets(t->output_json, "output.json", show_secrets, false);
    check_file_secrets(t->schedule_json, "schedule.json", show_secrets, false);
    check_file_secrets(t->config_json, "config.json", show_secrets, false);
    check_file_secrets(t->error_json, "error.json", show_secrets, false);

    check_names(t);
    check_event(t);
    /* Remote text as a timestamp: the time parser takes any string. */
    (void)task_parse_time(t->name);
    (void)task_parse_time(t->status);
}

void check_same_fields(const struct task *a, const struct task *b)
{
    CHECK(strcmp(a->id, b->id) == 0, "id");
    CHECK(strcmp(a->state, b->state) == 0, "state");
    CHECK(g_strcmp0(a->name, b->name) == 0, "name");
    CHECK(g_strcmp0(a->video_source_name, b->video_source_name) == 0, "camera");
    CHECK(g_strcmp0(a->title, b->title) == 0, "title");
    CHECK(g_strcmp0(a->status, b->status) == 0, "status");
    CHECK(g_strcmp0(a->error_code, b->error_code) == 0, "error_code");
    CHECK(a->created_ms == b->created_ms && a->updated_ms == b->updated_ms, "times");
    CHECK(a->complete == b->complete, "complete");
}
