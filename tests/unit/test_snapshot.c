/*
 * Unit tests: the snapshot file (snapshot.c). A picture of a whole task and a summary with
 * their histories goes through encode and decode unchanged, and through save and load (0600
 * in a 0700 directory created for it); every truncation of it, every changed byte, another
 * version, another endpoint, a task with an invalid id or twice the same id (with a checksum
 * that matches: the body's own checks) are refused with a reason, and the intact one, their
 * pair, is accepted. The file name depends on the endpoint and project only. Not tested here:
 * what a mount does with a picture (tests/mount/snapshot.sh).
 */
#include "viasfs/history.h"
#include "viasfs/snapshot.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <glib.h>
#include <glib/gstdio.h>

static const char detail[] =
    "{\"id\":\"t-1\",\"name\":\"cam \\\"one\\\"\",\"state\":\"RUNNING\",\"created_at\":"
    "\"1764000000000\",\"updated_at\":\"1764000001000\",\"status\":\"ok\",\"input\":{\"type\":"
    "\"vcn\",\"vcn\":{\"password\":\"s3cr3t-pw\"}},\"output\":null}";
static const char summary[] = "{\"id\":\"t-2\",\"name\":\"two\",\"state\":\"STOPPED\"}";

static struct task *parsed(const char *json)
{
    struct task_parse_opts opts = {.show_secrets = false};
    struct task *t = NULL;
    g_autofree char *why = NULL;

    g_assert_cmpint(task_from_json(json, strlen(json), &opts, &t, &why), ==, 0);
    return t;
}

static GArray *two_lines(void)
{
    struct history_entry e[2] = {
        {.seen_ms = 1764000000500, .updated_ms = -1, .old_state = NULL, .new_state = "RUNNING"},
        {.seen_ms = 1764000002000,
         .updated_ms = 1764000001000,
         .old_state = "RUNNING",
         .new_state = "STOPPED"},
    };
    GArray *a = g_array_new(FALSE, FALSE, sizeof(struct history_entry));

    for (int i = 0; i < 2; i++) {
        struct history_entry c = e[i];
        c.old_state = g_strdup(c.old_state);
        c.new_state = g_strdup(c.new_state);
        g_array_append_val(a, c);
    }
    return a; /* its strings are freed by free_lines, set by the caller */
}

static void free_lines(gpointer p)
{
    struct history_entry *e = p;

    g_free((char *)e->old_state);
    g_free((char *)e->new_state);
}

static struct snapshot *picture(void)
{
    struct snapshot *s = snapshot_new("https://vias.example:8443", "p1");
    g_autoptr(Task) a = parsed(detail);
    g_autoptr(Task) b = parsed(summary);
    GArray *h = two_lines();

    g_array_set_clear_func(h, free_lines);
    s->written_ms = 1764000003000;
    s->last_seq = G_GUINT64_CONSTANT(1764000000000123);
    s->clean = true;
    s->details = true;
    snapshot_add(s, a, h);
    snapshot_add(s, b, NULL);
    return s;
}

static void test_round_trip(void)
{
    g_autoptr(Snapshot) s = picture();
    g_autoptr(GBytes) b = snapshot_encode(s);
    struct snapshot *back = NULL;
    g_autofree char *why = NULL;
    gsize len;
    const char *data = g_bytes_get_data(b, &len);

    g_assert_true(g_str_has_prefix(data, "viasfs-snapshot 1 "));
    g_assert_cmpint(snapshot_decode(data, len, &back, &why), ==, 0);
    g_assert_null(why);
    g_assert_cmpstr(back->endpoint, ==, s->endpoint);
    g_assert_cmpstr(back->project, ==, "p1");
    g_assert_cmpint(back->written_ms, ==, s->written_ms);
    g_assert_cmpuint(back->last_seq, ==, s->last_seq);
    g_assert_true(back->clean && back->details);
    g_assert_cmpuint(back->tasks->len, ==, 2);
    for (guint i = 0; i < 2; i++) {
        struct snapshot_task *x = g_ptr_array_index(s->tasks, i),
                             *y = g_ptr_array_index(back->tasks, i);
        g_assert_cmpstr(x->task->id, ==, y->task->id);
        g_assert_cmpstr(x->task->name, ==, y->task->name);
        g_assert_cmpstr(x->task->state, ==, y->task->state);
        g_assert_cmpstr(x->task->status, ==, y->task->status);
        g_assert_cmpstr(x->task->task_json, ==, y->task->task_json);
        g_assert_cmpstr(x->task->input_json, ==, y->task->input_json);
        g_assert_cmpint(x->task->complete, ==, y->task->complete);
        g_assert_cmpint(x->task->created_ms, ==, y->task->created_ms);
        g_assert_cmpint(x->task->updated_ms, ==, y->task->updated_ms);
        g_assert_cmpint(!!x->history, ==, !!y->history);
    }
    struct snapshot_task *h = g_ptr_array_index(back->tasks, 0);
    g_assert_cmpuint(h->history->len, ==, 2);
    g_assert_null(g_array_index(h->history, struct history_entry, 0).old_state);
    g_assert_cmpstr(g_array_index(h->history, struct history_entry, 1).new_state, ==, "STOPPED");
    g_assert_cmpint(g_array_index(h->history, struct history_entry, 1).updated_ms, ==,
                    1764000001000);
    /* secrets as shown: masked */
    g_assert_null(memmem(data, len, "s3cr3t-pw", 9));
    g_assert_nonnull(memmem(data, len, "\"***\"", 5));
    g_autoptr(GBytes) again = snapshot_encode(back);
    g_assert_true(g_bytes_equal(b, again));
    snapshot_free(back);
}

/* Whether @data is refused, with a one-line reason. */
static bool refused(const char *data, size_t len, int want)
{
    struct snapshot *s = NULL;
    g_autofree char *why = NULL;
    int rc = snapshot_decode(data, len, &s, &why);

    if (rc == 0)
        snapshot_free(s);
    return rc == want && !s && why && !strchr(why, '\n');
}

static void test_damaged(void)
{
    g_autoptr(Snapshot) s = picture();
    g_autoptr(GBytes) b = snapshot_encode(s);
    gsize len;
    const char *data = g_bytes_get_data(b, &len);
    g_autofree char *copy = g_memdup2(data, len);
    struct snapshot *ok = NULL;
    g_autofree char *why = NULL;

    for (gsize n = 0; n < len; n++) /* every truncation */
        g_assert_true(refused(data, n, -EBADMSG));
    for (gsize i = 0; i < len; i++) { /* every byte changed (the version digit to a non-digit) */
        copy[i] ^= 0x20;
        g_assert_true(refused(copy, len, -EBADMSG));
        copy[i] ^= 0x20;
    }
    g_autofree char *longer = g_strdup_printf("%.*sX", (int)len, data);
    g_assert_true(refused(longer, len + 1, -EBADMSG));
    /* The first line spelled otherwise: a leading zero, a NUL after the check (the fuzzer's
     * find: the line was read up to the NUL). */
    const char *nl = memchr(data, '\n', len);
    g_autofree char *zero = g_strdup_printf("viasfs-snapshot 1 0%s", data + 18);
    g_assert_true(refused(zero, len + 1, -EBADMSG));
    GByteArray *nul = g_byte_array_new();
    g_byte_array_append(nul, (const guint8 *)data, (guint)(nl - data));
    g_byte_array_append(nul, (const guint8 *)"\0\0", 2);
    g_byte_array_append(nul, (const guint8 *)nl, (guint)(len - (gsize)(nl - data)));
    g_assert_true(refused((const char *)nul->data, nul->len, -EBADMSG));
    g_byte_array_unref(nul);
    g_autofree char *v2 = g_strdup_printf("viasfs-snapshot 2%s", data + 17);
    g_assert_true(refused(v2, len, -EPROTO));
    g_assert_cmpint(snapshot_decode(copy, len, &ok, &why), ==, 0); /* the pair: intact */
    snapshot_free(ok);
}

/* A body with a right checksum whose content breaks a rule. */
static void body_refused(struct snapshot *s, const char *what)
{
    g_autoptr(GBytes) b = snapshot_encode(s);
    struct snapshot *out = NULL;
    g_autofree char *why = NULL;
    gsize len;
    const char *data = g_bytes_get_data(b, &len);

    g_assert_cmpint(snapshot_decode(data, len, &out, &why), ==, -EBADMSG);
    g_assert_nonnull(strstr(why, what));
}

static void test_body_rules(void)
{
    g_autoptr(Snapshot) dup = snapshot_new("https://e", "p");
    g_autoptr(Snapshot) badid = snapshot_new("https://e", "p");
    g_autoptr(Task) a = parsed(summary);
    struct task *t = task_new_blank();

    snapshot_add(dup, a, NULL);
    snapshot_add(dup, a, NULL);
    body_refused(dup, "twice");
    t->id = g_strdup("../x");
    t->state = g_strdup("RUNNING");
    snapshot_add(badid, t, NULL);
    task_unref(t);
    body_refused(badid, "valid id");
}

static void test_files(void)
{
    g_autofree char *dir = g_dir_make_tmp("viasfs-snap-XXXXXX", NULL);
    g_autofree char *sub = g_build_filename(dir, "a", "b", NULL);
    g_autofree char *path = snapshot_path(sub, "https://vias.example:8443", "p1");
    g_autofree char *other = snapshot_path(sub, "https://vias.example:8443", "p2");
    g_autoptr(Snapshot) s = picture();
    struct snapshot *back = NULL;
    g_autofree char *why = NULL, *why2 = NULL, *why3 = NULL;
    guint64 bytes = 0;
    GStatBuf st;

    g_assert_cmpstr(path, !=, other);
    g_assert_true(g_str_has_suffix(path, ".snapshot"));
    g_assert_cmpint(snapshot_load(path, "https://vias.example:8443", "p1", &back, &why), ==,
                    -ENOENT);
    g_assert_cmpint(snapshot_save(s, path, &bytes, &why), ==, 0);
    g_assert_cmpint(g_stat(path, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0600);
    g_assert_cmpint((gint64)st.st_size, ==, (gint64)bytes);
    g_assert_cmpint(g_stat(sub, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0700);
    g_assert_cmpint(snapshot_load(path, "https://vias.example:8443", "p1", &back, &why2), ==, 0);
    g_assert_cmpuint(back->tasks->len, ==, 2);
    snapshot_free(back);
    g_assert_cmpint(snapshot_load(path, "https://vias.example:8443", "p2", &back, &why3), ==,
                    -ESTALE);
    g_assert_null(back);
    g_remove(path);
    g_rmdir(sub);
    g_autofree char *a = g_build_filename(dir, "a", NULL);
    g_rmdir(a);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/snapshot/round-trip", test_round_trip);
    g_test_add_func("/snapshot/damaged", test_damaged);
    g_test_add_func("/snapshot/body-rules", test_body_rules);
    g_test_add_func("/snapshot/files", test_files);
    return g_test_run();
}
