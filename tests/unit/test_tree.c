/*
 * Unit tests of the tree without a mount (it uses no FUSE types): names, attributes, views
 * and the translation of a cache change into notifier calls, over a cache fed by the stub
 * server. Each change test has its counterpart (the same fetch, nothing changed).
 */
#include "stub.h"
#include "viasfs/name.h"
#include "viasfs/tree.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

/* t1 and t2 share a name with a '/' in it; t3 is named "..". */
static const char PAGE[] =
    "{\"tasks\":["
    "{\"id\":\"t1\",\"name\":\"gate/night\",\"state\":\"RUNNING\",\"video_source_name\":\"cam-1\","
    "\"title\":\"Face\"},"
    "{\"id\":\"t2\",\"name\":\"gate/night\",\"state\":\"STOPPED\",\"video_source_name\":\"cam-1\","
    "\"title\":\"Car\"},"
    "{\"id\":\"t3\",\"name\":\"..\",\"state\":\"RUNNING\",\"video_source_name\":\"cam-2\","
    "\"title\":\"Face\"}]}";

struct fixture {
    struct stub *stub;
    struct http *http;
    struct auth *auth;
    struct api *api;
    struct cache *cache;
    struct tree *tree;
    GMutex lock;
    GPtrArray *calls; /* char *: one line per notifier call */
};

static void note(struct fixture *f, char *line)
{
    g_mutex_lock(&f->lock);
    g_ptr_array_add(f->calls, line);
    g_mutex_unlock(&f->lock);
}

static void n_inval_inode(guint64 ino, void *data)
{
    note(data, g_strdup_printf("inval_inode %" G_GUINT64_FORMAT, ino));
}
static void n_inval_entry(guint64 parent, const char *name, void *data)
{
    note(data, g_strdup_printf("inval_entry %" G_GUINT64_FORMAT " %s", parent, name));
}
static void n_delete_entry(guint64 parent, guint64 child, const char *name, void *data)
{
    note(data, g_strdup_printf("delete_entry %" G_GUINT64_FORMAT " %s", parent, name));
}
static void n_wake(guint64 ino, void *data)
{
    note(data, g_strdup_printf("wake %" G_GUINT64_FORMAT, ino));
}
static void n_event(const char *line, void *data)
{
    note(data, g_strdup_printf("event %s", line));
}
static void n_touch(const char *path, void *data)
{
    note(data, g_strdup_printf("touch %s", path));
}
static void n_unlink(guint64 parent, const char *name, guint64 child, const char *path, void *data)
{
    note(data, g_strdup_printf("unlink %s", path));
}
static void n_symlink(guint64 parent, const char *name, const char *path, const char *target,
                      void *data)
{
    note(data, g_strdup_printf("symlink %s -> %s", path, target));
}
static void n_flush(void *data)
{
}

static gint64 soon(void)
{
    return g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
}

static void setup(struct fixture *f, gconstpointer unused)
{
    struct http_config hc;
    g_autofree char *why = NULL;

    f->stub = stub_new();
    http_config_defaults(&hc);
    hc.max_attempts = 1;
    f->http = http_new(&hc, &why);
    f->auth = auth_new_token("tok", &why);
    struct api_config ac = {
        .endpoint = stub_url(f->stub), .project_id = "p", .http = f->http, .auth = f->auth};
    f->api = api_new(&ac, &why);
    g_mutex_init(&f->lock);
    f->calls = g_ptr_array_new_with_free_func(g_free);
    struct tree_config tc = {.endpoint = "http://x",
                             .project_id = "p",
                             .auth_kind = "token",
                             .ttl_s = 30,
                             .page_size = 5,
                             .timeout_s = 5,
                             .inotify = true,
                             .uid = 1000,
                             .gid = 1000};
    f->tree = tree_new(&tc);
    struct cache_config cc = {.api = f->api,
                              .ttl_s = 30,
                              .timeout_s = 5,
                              .page_size = 5,
                              .max_walks = 2,
                              .on_change = tree_on_change,
                              .on_change_data = f->tree};
    f->cache = cache_new(&cc);
    tree_set_cache(f->tree, f->cache);
    struct tree_notifier nf = {.inval_inode = n_inval_inode,
                               .inval_entry = n_inval_entry,
                               .delete_entry = n_delete_entry,
                               .wake = n_wake,
                               .event = n_event,
                               .own_touch = n_touch,
                               .own_unlink = n_unlink,
                               .own_symlink = n_symlink,
                               .flush = n_flush,
                               .data = f};
    tree_set_notifier(f->tree, &nf);
    stub_push(f->stub, 200, PAGE, 0);
}

static void teardown(struct fixture *f, gconstpointer unused)
{
    cache_free(f->cache);
    tree_free(f->tree);
    api_free(f->api);
    auth_free(f->auth);
    http_free(f->http);
    stub_free(f->stub);
    g_ptr_array_unref(f->calls);
    g_mutex_clear(&f->lock);
}

/* The inode of a path from the root, by lookups; 0 when one fails. */
static guint64 ino_of(struct fixture *f, const char *path, struct tree_attr *attr)
{
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    struct tree_attr a = {.ino = TREE_ROOT_INO};

    for (char **p = parts; *p; p++)
        if (tree_lookup(f->tree, a.ino, *p, soon(), &a) < 0)
            return 0;
    if (attr)
        *attr = a;
    return a.ino;
}

/* The names of a directory, in order, joined by spaces. */
static char *names_of(struct fixture *f, const char *path)
{
    g_autoptr(GString) s = g_string_new(NULL);
    struct tree_dir *d = NULL;
    guint64 ino = path[0] ? ino_of(f, path, NULL) : TREE_ROOT_INO;

    g_assert_cmpint(tree_opendir(f->tree, ino, soon(), &d), ==, 0);
    for (guint64 i = 2;; i++) {
        struct tree_dirent e = {0};
        int rc = tree_dir_get(f->tree, d, &i, soon(), true, &e);
        if (rc == TREE_DIR_END)
            break;
        g_assert_cmpint(rc, ==, 0);
        g_string_append_printf(s, "%s%s", s->len ? " " : "", e.name);
        g_free(e.name);
    }
    tree_dir_free(d);
    return g_strdup(s->str);
}

static void test_names(struct fixture *f, gconstpointer unused)
{
    g_autofree char *top = names_of(f, "");
    g_autofree char *tasks = names_of(f, "tasks");
    g_autofree char *by_name = names_of(f, "by-name");
    g_autofree char *dots = name_encode("..");
    g_autofree char *expect = g_strdup_printf("%s gate%%2Fnight%%@t1 gate%%2Fnight%%@t2", dots);

    g_assert_cmpstr(top, ==, "tasks by-state by-camera by-algorithm by-name .viasfs");
    g_assert_cmpstr(tasks, ==, "t1 t2 t3");
    /* Names are encoded ('/' and ".." cannot be file names) and a shared one gets the id. */
    g_assert_cmpstr(by_name, ==, expect);
    g_assert_cmpuint(stub_count(f->stub), ==, 1); /* one walk served all of it */
}

static void test_attributes(struct fixture *f, gconstpointer unused)
{
    g_autofree char *tasks = names_of(f, "tasks"); /* the walk: no detail is needed below */
    struct tree_attr a;
    char *target = NULL;

    g_assert_cmpuint(ino_of(f, "tasks/t1/state", &a), !=, 0);
    g_assert_cmpuint(a.size, ==, strlen("RUNNING\n"));
    g_assert_cmpuint(a.mode, ==, S_IFREG | 0444);
    g_assert_cmpuint(ino_of(f, "tasks/t1", &a), !=, 0);
    g_assert_cmpuint(a.mode, ==, S_IFDIR | 0555);
    g_assert_cmpuint(a.nlink, ==, 2);
    g_assert_cmpint(tree_getattr(f->tree, TREE_ROOT_INO, soon(), &a), ==, 0);
    g_assert_cmpuint(a.nlink, ==, 2 + 6); /* tasks, .viasfs and the four views */
    g_assert_cmpuint(ino_of(f, "by-state/RUNNING/t3", &a), !=, 0);
    g_assert_cmpuint(a.mode & S_IFMT, ==, S_IFLNK);
    g_assert_cmpint(tree_readlink(f->tree, a.ino, soon(), &target), ==, 0);
    g_assert_cmpstr(target, ==, "../../tasks/t3");
    g_clear_pointer(&target, g_free);
    g_assert_cmpuint(ino_of(f, "by-name/gate%2Fnight%@t2", &a), !=, 0);
    g_assert_cmpint(tree_readlink(f->tree, a.ino, soon(), &target), ==, 0);
    g_assert_cmpstr(target, ==, "../tasks/t2");
    g_free(target);
    /* A task in another state has no link here. */
    g_assert_cmpuint(ino_of(f, "by-state/RUNNING/t2", NULL), ==, 0);
}

static void test_views(struct fixture *f, gconstpointer unused)
{
    g_autofree char *tasks = names_of(f, "tasks");
    g_autofree char *running = names_of(f, "by-state/RUNNING");
    g_autofree char *stopped = names_of(f, "by-state/STOPPED");
    g_autofree char *cameras = names_of(f, "by-camera");
    g_autofree char *cam1 = names_of(f, "by-camera/cam-1");
    g_autofree char *algs = names_of(f, "by-algorithm");
    g_autofree char *face = names_of(f, "by-algorithm/Face");

    g_assert_cmpstr(running, ==, "t1 t3");
    g_assert_cmpstr(stopped, ==, "t2");
    g_assert_cmpstr(cameras, ==, "cam-1 cam-2");
    g_assert_cmpstr(cam1, ==, "t1 t2");
    g_assert_cmpstr(algs, ==, "Car Face");
    g_assert_cmpstr(face, ==, "t1 t3");
    /* Every view came from the one listing of all tasks: no filtered walk. */
    g_assert_cmpuint(stub_count(f->stub), ==, 1);
}

/* Whether a notifier call starting with @prefix was made. */
static bool called(struct fixture *f, const char *prefix)
{
    bool found = false;

    g_mutex_lock(&f->lock);
    for (guint i = 0; i < f->calls->len && !found; i++)
        found = g_str_has_prefix(f->calls->pdata[i], prefix);
    g_mutex_unlock(&f->lock);
    return found;
}

/* Lists every task, then fetches t1's detail again with @state. */
static void refetch_t1(struct fixture *f, const char *state)
{
    g_autofree char *tasks = names_of(f, "tasks");
    g_autofree char *detail = g_strdup_printf(
        "{\"id\":\"t1\",\"name\":\"gate/night\",\"state\":\"%s\",\"video_source_name\":\"cam-1\","
        "\"title\":\"Face\",\"updated_at\":\"1700000000000\"}",
        state);
    struct tree_attr a;

    g_ptr_array_set_size(f->calls, 0);
    cache_expire_task(f->cache, "t1");
    stub_push(f->stub, 200, detail, 0);
    g_assert_cmpuint(ino_of(f, "tasks/t1/state", &a), !=, 0);
    g_assert_cmpuint(a.size, ==, strlen(state) + 1);
}

static void test_change(struct fixture *f, gconstpointer unused)
{
    refetch_t1(f, "FAILED");
    g_assert_true(called(f, "inval_inode "));
    g_assert_true(called(f, "delete_entry "));
    g_assert_true(called(f, "wake "));
    g_assert_true(called(f, "event {"));
    g_assert_true(called(f, "touch tasks/t1/state"));
    g_assert_true(called(f, "unlink by-state/RUNNING/t1"));
    g_assert_true(called(f, "symlink by-state/FAILED/t1 -> ../../tasks/t1"));
    g_autofree char *failed = names_of(f, "by-state/FAILED");
    g_assert_cmpstr(failed, ==, "t1");
}

/* The pair: the same fetch with the same state moves no link and raises no state event. */
static void test_no_change(struct fixture *f, gconstpointer unused)
{
    refetch_t1(f, "RUNNING");
    g_assert_false(called(f, "delete_entry "));
    g_assert_false(called(f, "unlink "));
    g_assert_false(called(f, "symlink "));
    g_assert_false(called(f, "touch tasks/t1/state"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, struct fixture, NULL, setup, fn, teardown)
    ADD("/tree/names", test_names);
    ADD("/tree/attributes", test_attributes);
    ADD("/tree/views", test_views);
    ADD("/tree/change", test_change);
    ADD("/tree/no-change", test_no_change);
    return g_test_run();
}
