/* emu: start, drive and stop a vias-emulator for a test (see emu.h). Uses libcurl directly:
 * test support is not bound by the library's layering. */
#include "emu.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>

/* In the child: die with the test, so an aborted test leaves no emulator behind. */
static void die_with_parent(gpointer unused)
{
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

struct emu *emu_start(const char *const *args)
{
    struct emu *e = g_new0(struct emu, 1);
    const char *build = g_getenv("BUILD") ? g_getenv("BUILD") : "build";
    g_autofree char *bin = g_build_filename(build, "vias-emulator", NULL);
    g_autofree char *port_file = NULL;
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_autoptr(GError) err = NULL;
    char *port = NULL;

    e->dir = g_dir_make_tmp("viasfs-emu-XXXXXX", &err);
    g_assert_no_error(err);
    port_file = g_build_filename(e->dir, "port", NULL);
    e->token_file = g_build_filename(e->dir, "tokens", NULL);
    e->token = g_strdup_printf("client-s3cr3t-token-%d", (int)getpid());
    e->project_id = g_strdup("0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d");
    g_assert_true(g_file_set_contents(e->token_file, e->token, -1, NULL));

    g_ptr_array_add(argv, bin);
    g_ptr_array_add(argv, "--port=0");
    g_ptr_array_add(argv, g_strconcat("--port-file=", port_file, NULL));
    g_ptr_array_add(argv, g_strconcat("--token-file=", e->token_file, NULL));
    g_ptr_array_add(argv, g_strconcat("--project-id=", e->project_id, NULL));
    for (const char *const *a = args; a && *a; a++)
        g_ptr_array_add(argv, (char *)*a);
    g_ptr_array_add(argv, NULL);
    if (!g_spawn_async(NULL, (char **)argv->pdata, NULL, G_SPAWN_DO_NOT_REAP_CHILD, die_with_parent,
                       NULL, &e->pid, &err))
        g_error("cannot start %s: %s", bin, err->message);
    g_free(argv->pdata[2]);
    g_free(argv->pdata[3]);
    g_free(argv->pdata[4]);

    for (int i = 0; i < 600; i++) {
        int status;
        if (g_file_get_contents(port_file, &port, NULL, NULL) && port[0] && strchr(port, '\n'))
            break;
        g_clear_pointer(&port, g_free);
        if (waitpid(e->pid, &status, WNOHANG) == e->pid)
            g_error("%s exited before listening (status %d)", bin, status);
        g_usleep(20000);
    }
    if (!port) {
        /* Accept a port file without a trailing newline once it stops growing. */
        g_usleep(50000);
        g_file_get_contents(port_file, &port, NULL, NULL);
    }
    g_assert_nonnull(port);
    e->url = g_strdup_printf("http://127.0.0.1:%d", atoi(port));
    g_free(port);
    return e;
}

void emu_stop(struct emu *e)
{
    g_autofree char *port_file = g_build_filename(e->dir, "port", NULL);
    int status;

    kill(e->pid, SIGTERM);
    waitpid(e->pid, &status, 0);
    g_spawn_close_pid(e->pid);
    unlink(port_file);
    unlink(e->token_file);
    rmdir(e->dir);
    g_free(e->dir);
    g_free(e->url);
    g_free(e->project_id);
    g_free(e->token);
    g_free(e->token_file);
    g_free(e);
}

static size_t collect(char *data, size_t size, size_t n, void *ud)
{
    g_string_append_len(ud, data, (gssize)(size * n));
    return size * n;
}

long emu_control(struct emu *e, const char *method, const char *path, const char *body, char **out)
{
    CURL *c = curl_easy_init();
    g_autofree char *url = g_strconcat(e->url, path, NULL);
    GString *answer = g_string_new(NULL);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    long status = 0;

    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (out)
        *out = g_string_free(answer, FALSE);
    else
        g_string_free(answer, TRUE);
    return status;
}

long emu_served(struct emu *e, const char *endpoint, int status)
{
    g_autofree char *text = NULL;
    cJSON *root, *byep, *item;
    long n = 0;

    g_assert_cmpint(emu_control(e, "GET", "/_emulator/stats", NULL, &text), ==, 200);
    root = cJSON_Parse(text);
    g_assert_nonnull(root);
    byep = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "requests"),
                                            endpoint);
    cJSON_ArrayForEach(item, byep)
    {
        if (status == 0 || atoi(item->string) == status)
            n += (long)item->valuedouble;
    }
    cJSON_Delete(root);
    return n;
}
