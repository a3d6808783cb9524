/*
 * Unit tests: the per-task history (history.c) and the event log's window and "since N"
 * (event_log.c): exact lines, the first line, no line for an unchanged state, the bound per
 * task (and the pair under it), a copy out and back in as the snapshot does; the event log's
 * "seq" member, its window bounded in lines and in bytes, and what "since N" finds retained
 * or lost. Not tested here: how the tree notifies (tests/watch/history.sh, resume.sh).
 */
#include "viasfs/event_log.h"
#include "viasfs/history.h"

#include <errno.h>
#include <string.h>
#include <glib.h>

/* 2026-11-28T17:00:00.000Z */
#define T0 G_GINT64_CONSTANT(1795885200000)

static char *render(struct history *h, const char *id)
{
    gint64 mtime;
    g_autoptr(GBytes) b = history_render(h, id, &mtime);

    return g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b));
}

static void test_lines(void)
{
    struct history *h = history_new(HISTORY_MAX_LINES);
    g_autofree char *text = NULL, *none = NULL;
    gint64 mtime;

    g_assert_true(history_note(h, "a", "RUNNING", T0, -1));
    g_assert_false(history_note(h, "a", "RUNNING", T0 + 1000, -1)); /* no change: no line */
    g_assert_true(history_note(h, "a", "FAILED", T0 + 2500, T0 + 2000));
    text = render(h, "a");
    g_assert_cmpstr(text, ==,
                    "{\"time\":\"2026-11-28T17:00:00.000Z\",\"old\":null,\"new\":\"RUNNING\","
                    "\"updated_at\":null}\n"
                    "{\"time\":\"2026-11-28T17:00:02.500Z\",\"old\":\"RUNNING\",\"new\":\"FAILED\","
                    "\"updated_at\":\"2026-11-28T17:00:02.000Z\"}\n");
    g_bytes_unref(history_render(h, "a", &mtime));
    g_assert_cmpint(mtime, ==, T0 + 2500);
    none = render(h, "b");
    g_assert_cmpstr(none, ==, "");
    g_assert_false(history_note(h, "b", NULL, T0, -1));
    history_free(h);
}

static void test_escaped(void)
{
    struct history *h = history_new(4);
    g_autofree char *text = NULL;

    history_note(h, "x", "A \"quoted\"\nstate", T0, -1);
    text = render(h, "x");
    g_assert_nonnull(strstr(text, "\"new\":\"A \\\"quoted\\\"\\nstate\""));
    g_assert_cmpint(strchr(text, '\n') - text, ==, (long)strlen(text) - 1); /* one line */
    history_free(h);
}

/* @n changes of one task into a history bounded at @bound: how many lines, and the first's old. */
static void bounded(guint bound, guint n, guint want_lines, const char *want_first_old)
{
    struct history *h = history_new(bound);
    g_autoptr(GArray) lines = NULL;
    g_autofree char *last = g_strdup_printf("S%u", n - 1);

    for (guint i = 0; i < n; i++) {
        g_autofree char *state = g_strdup_printf("S%u", i);
        g_assert_true(history_note(h, "t", state, T0 + i, -1));
    }
    lines = history_get(h, "t");
    g_assert_cmpuint(lines->len, ==, want_lines);
    g_assert_cmpstr(g_array_index(lines, struct history_entry, 0).old_state, ==, want_first_old);
    g_assert_cmpstr(g_array_index(lines, struct history_entry, lines->len - 1).new_state, ==, last);
    history_free(h);
}

static void test_bound(void)
{
    bounded(HISTORY_MAX_LINES, HISTORY_MAX_LINES, HISTORY_MAX_LINES, NULL);     /* at the bound */
    bounded(HISTORY_MAX_LINES, HISTORY_MAX_LINES + 5, HISTORY_MAX_LINES, "S4"); /* past it */
}

static void test_get_set(void)
{
    struct history *h = history_new(3), *back = history_new(3);
    g_autoptr(GArray) lines = NULL;
    g_autofree char *a = NULL, *b = NULL;

    history_note(h, "t", "RUNNING", T0, -1);
    history_note(h, "t", "STOPPED", T0 + 1, T0);
    lines = history_get(h, "t");
    history_set(back, "t", (const struct history_entry *)lines->data, lines->len);
    a = render(h, "t");
    b = render(back, "t");
    g_assert_cmpstr(a, ==, b);
    g_assert_false(history_note(back, "t", "STOPPED", T0 + 2, -1)); /* continues where it was */
    g_assert_null(history_get(h, "none"));
    history_free(h);
    history_free(back);
}

static char *drain(struct event_log *log, struct event_cursor *c)
{
    GString *out = g_string_new(NULL);

    while (event_log_read(log, c, out, 4096) > 0)
        ;
    return g_string_free(out, FALSE);
}

static void test_event_seq(void)
{
    struct event_log *log = event_log_new(3, 1 << 20, 10);
    struct event_cursor c = {.seq = event_log_end(log)};
    struct event_gap gap;
    g_autofree char *all = NULL, *after = NULL, *tail = NULL;

    event_log_append(log, "{\"a\":1}");
    event_log_append(log, "{}");
    all = drain(log, &c);
    g_assert_cmpstr(all, ==, "{\"seq\":10,\"a\":1}\n{\"seq\":11}\n");
    g_assert_false(event_log_seek(log, &c, 10, &gap)); /* retained: nothing lost */
    after = drain(log, &c);
    g_assert_cmpstr(after, ==, "{\"seq\":11}\n");
    g_assert_false(event_log_seek(log, &c, 9, &gap)); /* just before the first: all retained */
    event_log_append(log, "{\"b\":2}");
    event_log_append(log, "{\"c\":3}"); /* 3 lines kept: 11, 12, 13 */
    g_assert_true(event_log_seek(log, &c, 9, &gap));
    g_assert_cmpuint(gap.from, ==, 10);
    g_assert_cmpuint(gap.to, ==, 10);
    g_assert_false(gap.ahead);
    tail = drain(log, &c);
    g_assert_cmpstr(tail, ==, "{\"seq\":11}\n{\"seq\":12,\"b\":2}\n{\"seq\":13,\"c\":3}\n");
    g_assert_true(event_log_seek(log, &c, 13, &gap) == false);
    g_assert_true(event_log_seek(log, &c, 14, &gap)); /* a number never given */
    g_assert_true(gap.ahead);
    g_assert_cmpuint(gap.from, ==, 10);
    g_assert_cmpuint(gap.to, ==, 13);
    g_assert_cmpuint(c.seq, ==, 14);
    g_assert_cmpuint(event_log_total(log), ==, 4);
    event_log_free(log);
}

static void test_event_bytes(void)
{
    struct event_log *log = event_log_new(100, 50, 1); /* lines of 23 bytes: two fit */
    struct event_window w;
    struct event_cursor c = {.seq = 1};
    struct event_gap gap;

    for (int i = 0; i < 5; i++)
        event_log_append(log, "{\"x\":\"abcdef\"}");
    event_log_window(log, &w);
    g_assert_cmpuint(w.lines, ==, 2);
    g_assert_cmpuint(w.bytes, <=, 50);
    g_assert_cmpuint(w.first_seq, ==, 4);
    g_assert_cmpuint(w.last_seq, ==, 5);
    g_assert_true(event_log_behind(log, &c, &gap));
    g_assert_cmpuint(gap.from, ==, 1);
    g_assert_cmpuint(gap.to, ==, 3);
    g_assert_false(event_log_behind(log, &c, &gap)); /* the pair: caught up */
    event_log_append(log, "{\"x\":\"this line alone is longer than fifty bytes, much\"}");
    event_log_window(log, &w);
    g_assert_cmpuint(w.lines, ==, 1); /* the newest always stays */
    event_log_free(log);
}

static void test_parse_since(void)
{
    guint64 n = 0;

    g_assert_cmpint(event_log_parse_since("since 0\n", 8, &n), ==, 0);
    g_assert_cmpuint(n, ==, 0);
    g_assert_cmpint(event_log_parse_since("since 1796593883912000", 22, &n), ==, 0);
    g_assert_cmpuint(n, ==, G_GUINT64_CONSTANT(1796593883912000));
    static const char *const bad[] = {"",         "since",       "since ",
                                      "since -1", "since 1x",    "since 1 2",
                                      "Since 1",  "since 1\n\n", "since 99999999999999999999",
                                      "since +1", "since 1\r\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_cmpint(event_log_parse_since(bad[i], strlen(bad[i]), &n), ==, -EINVAL);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/history/lines", test_lines);
    g_test_add_func("/history/escaped", test_escaped);
    g_test_add_func("/history/bound", test_bound);
    g_test_add_func("/history/get-set", test_get_set);
    g_test_add_func("/event-log/seq-and-since", test_event_seq);
    g_test_add_func("/event-log/bytes", test_event_bytes);
    g_test_add_func("/event-log/parse-since", test_parse_since);
    return g_test_run();
}
