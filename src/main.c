/*
 * main: the viasfs command. Parses options, checks what mounting needs (mountpoint,
 * credential, the API answering), wires the layers together (http -> api -> cache -> tree ->
 * fs) and runs the mount. Every refusal is one line on stderr, "viasfs: error: WHAT (WAY
 * OUT)", and a non-zero exit status: 2 for usage errors, 1 for everything else.
 */
#include "viasfs/action.h"
#include "viasfs/api.h"
#include "viasfs/budget.h"
#include "viasfs/cache.h"
#include "viasfs/error_log.h"
#include "viasfs/event_log.h"
#include "viasfs/follow.h"
#include "viasfs/fs.h"
#include "viasfs/heap.h"
#include "viasfs/log.h"
#include "viasfs/metrics.h"
#include "viasfs/options.h"
#include "viasfs/persist.h"
#include "viasfs/refresh.h"
#include "viasfs/tree.h"
#include "viasfs/watchers.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

static int refuse(int status, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static int refuse(int status, const char *fmt, ...)
{
    va_list ap;

    fputs("viasfs: error: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

/* Whether a viasfs is mounted on the directory @path (as /proc/self/mounts says). */
static bool viasfs_mounted_on(const char *path)
{
    g_autofree char *real = realpath(path, NULL);
    struct mntent *m;
    bool found = false;
    FILE *f;

    if (!real || !(f = setmntent("/proc/self/mounts", "re")))
        return false;
    while ((m = getmntent(f)))
        if (strcmp(m->mnt_dir, real) == 0)
            found = strcmp(m->mnt_type, "fuse.viasfs") == 0; /* the last mount there is seen */
    endmntent(f);
    return found;
}

static int check_mountpoint(const char *path)
{
    struct statfs fs;
    struct stat st;

    /* statfs, unlike stat, is never answered from the kernel's cache: a dead mount fails. */
    if ((statfs(path, &fs) < 0 || stat(path, &st) < 0) && errno == ENOTCONN)
        return refuse(2,
                      "mountpoint %s: a FUSE mount whose daemon is gone (%s): run "
                      "fusermount3 -u %s first",
                      path, g_strerror(ENOTCONN), path);
    if (stat(path, &st) < 0)
        return refuse(2, "mountpoint %s: %s", path, g_strerror(errno));
    if (viasfs_mounted_on(path))
        return refuse(2,
                      "mountpoint %s: viasfs is already mounted there (unmount it with "
                      "fusermount3 -u %s)",
                      path, path);
    if (!S_ISDIR(st.st_mode))
        return refuse(2, "mountpoint %s: not a directory", path);
    if (access(path, R_OK | W_OK | X_OK) < 0)
        return refuse(2, "mountpoint %s: %s", path, g_strerror(errno));
    return 0;
}

/* What to do about a request to @option's URL that failed with @err, as " (...)", or "".
 * Caller frees. */
static char *way_out(const struct api_error *err, const char *option)
{
    switch (err->failure) {
    case HTTP_FAIL_REFUSED:
        return g_strdup_printf(" (nothing listens there: check %s, and that the server runs)",
                               option);
    case HTTP_FAIL_RESOLVE:
        return g_strdup_printf(" (check the host name in %s)", option);
    case HTTP_FAIL_TLS:
        if (err->message && strstr(err->message, "wrong version number"))
            return g_strdup(" (the server does not speak TLS there: is the URL http://?)");
        return g_strdup(" (if a private CA signed the server's certificate, trust that CA "
                        "with --cacert=FILE)");
    case HTTP_FAIL_NOT_HTTP:
        return g_strdup_printf(" (check the port in %s; a TLS server needs an https:// URL)",
                               option);
    case HTTP_FAIL_BAD_URL:
        return g_strdup_printf(" (check %s)", option);
    default:
        return g_strdup("");
    }
}

/* --cacert names a readable file, whatever the endpoint's scheme (a typo must not wait for
 * the day the endpoint becomes https://). */
static int check_cacert(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return refuse(2, "--cacert=%s: %s", path, g_strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return refuse(2, "--cacert=%s: not a file of PEM certificates", path);
    }
    close(fd);
    return 0;
}

/*
 * One small list request before mounting: a rejected credential or an endpoint that is not
 * there is refused now (a refused connection at once: nothing listens, see http_perform); an
 * API that is failing (5xx, timeouts) is mounted anyway and reported in .viasfs/status. With a
 * snapshot (@snapshot_ms, when it was written; 0 none), an API that cannot be reached (refused,
 * unknown host, broken, timed out) or is failing mounts from the snapshot, said in one line,
 * and *@offline is set; a rejected credential is refused all the same.
 */
static int probe(struct api *api, int timeout_s, gint64 snapshot_ms, bool *offline)
{
    g_autoptr(TaskPage) page = NULL;
    g_autofree char *text = NULL, *hint = NULL;
    enum log_level level = log_get_level();
    struct api_error err;
    int rc;

    api_error_init(&err);
    log_set_level(LOG_LEVEL_ERROR); /* the one line below says it all */
    rc = api_list_page(api, NULL, 1, 5, g_get_monotonic_time() + (gint64)timeout_s * 1000000, &page,
                       &err);
    log_set_level(level);
    text = rc < 0 ? api_error_describe(&err) : NULL;
    hint = way_out(&err, "--endpoint");
    bool unreachable = err.failure == HTTP_FAIL_TIMEOUT || err.failure == HTTP_FAIL_REFUSED ||
                       err.failure == HTTP_FAIL_RESOLVE || err.failure == HTTP_FAIL_BROKEN;
    *offline = false;
    if (rc == -EACCES) {
        rc = refuse(1, "the API rejected the credential: %s", text);
    } else if (rc < 0 && snapshot_ms && (unreachable || err.failure == HTTP_OK) && rc != -EINVAL &&
               rc != -ENOENT) {
        g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(snapshot_ms / 1000);
        g_autofree char *when = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
        log_warn("cannot reach %s (%s): mounting from the snapshot written %s, stale until the "
                 "API answers",
                 api_endpoint(api), text, when);
        *offline = true;
        rc = 0;
    } else if (err.failure != HTTP_OK && err.failure != HTTP_FAIL_TIMEOUT)
        rc = refuse(1, "cannot reach %s: %s%s", api_endpoint(api), text, hint);
    else if (rc == -EINVAL || rc == -ENOENT)
        rc = refuse(1, "%s does not answer like the VIAS API: %s", api_endpoint(api), text);
    else if (rc < 0) {
        log_warn("the API is failing (%s); mounting anyway", text);
        rc = 0;
    }
    api_error_release(&err);
    return rc;
}

/* The credential the options name (options_check_ready made sure there is exactly one). */
static struct auth *make_auth(const struct options *o, struct http *http, char **why)
{
    switch (o->auth_method) {
    case OPTIONS_AUTH_IAM: {
        struct auth_iam_config c = {.endpoint = o->iam_endpoint,
                                    .user = o->iam_user,
                                    .domain = o->iam_domain,
                                    .region = o->region,
                                    .password_file = o->iam_password_file,
                                    .http = http};
        return auth_new_iam(&c, why);
    }
    case OPTIONS_AUTH_AKSK:
        return auth_new_aksk_file(o->credentials_file, why);
    default:
        return o->token_file ? auth_new_token_file(o->token_file, why)
                             : auth_new_token(o->token, why);
    }
}

/* IAM without --project-id: a token is needed now, for the project it names. */
static int prepare_iam(struct auth *auth, int timeout_s)
{
    struct api_error err;
    g_autofree char *text = NULL, *hint = NULL;
    int rc;

    api_error_init(&err);
    rc = auth_prepare(auth, g_get_monotonic_time() + (gint64)timeout_s * G_USEC_PER_SEC, &err);
    if (rc < 0) {
        text = api_error_describe(&err);
        hint = way_out(&err, "--iam-endpoint");
        rc = rc == -EACCES ? refuse(1, "IAM refused the login: %s", text)
                           : refuse(1, "cannot get an IAM token: %s%s", text, hint);
    }
    api_error_release(&err);
    return rc;
}

struct refresh_start_args {
    struct refresh **out;
    struct refresh_config cfg;
    struct persist *persist; /* NULL: no cache directory */
    struct tree *tree;
    struct event_log *events;
};

/* Once mounted (and daemonized: threads do not survive a fork), start refreshing and trimming. */
static void start_threads(void *data)
{
    struct refresh_start_args *a = data;

    if (a->cfg.period_s > 0)
        *a->out = refresh_start(&a->cfg);
    if (a->persist)
        persist_start(a->persist, a->cfg.cache, tree_history(a->tree), a->events);
    heap_trimmer_start();
}

/* The retained window's bound in lines: EVENT_LOG_MAX_LINES, or VIASFS_EVENTS_RETAIN (1 to
 * that), which the tests use to see events dropped from the window. */
static guint events_retain(void)
{
    const char *v = g_getenv("VIASFS_EVENTS_RETAIN");
    guint64 n;

    if (v && g_ascii_string_to_unsigned(v, 10, 1, EVENT_LOG_MAX_LINES, &n, NULL))
        return (guint)n;
    return EVENT_LOG_MAX_LINES;
}

/* What the tree shows of the mount's credential, error log, refresh and snapshot (struct
 * tree_owner). */
struct owner {
    struct auth *auth;
    struct error_log *errors;
    struct refresh **refresh; /* set once mounted; NULL inside until then */
    struct persist *persist;  /* NULL: --cache-dir=none */
};

static char *owner_refresh_text(void *data)
{
    struct refresh *r = *((struct owner *)data)->refresh;

    return r ? refresh_describe(r) : NULL;
}

static gint64 owner_token_expires_at(void *data)
{
    return auth_expires_at(((struct owner *)data)->auth);
}

static char *owner_errors_text(void *data)
{
    return error_log_render(((struct owner *)data)->errors);
}

static char *owner_last_error(void *data)
{
    return error_log_last(((struct owner *)data)->errors);
}

static guint64 owner_errors_total(void *data)
{
    return error_log_total(((struct owner *)data)->errors);
}

static void owner_keep_error(const char *text, void *data)
{
    error_log_add_text(((struct owner *)data)->errors, text);
}

static bool owner_persist_info(struct persist_info *out, void *data)
{
    struct persist *p = ((struct owner *)data)->persist;

    if (!p)
        return false;
    persist_info(p, out);
    return true;
}

int main(int argc, char **argv)
{
    struct options o;
    g_autofree char *why = NULL;
    struct http_config hc;
    struct http *http = NULL;
    struct auth *auth = NULL;
    g_autofree char *project_from_token = NULL;
    struct api *api = NULL;
    struct error_log *errors = NULL;
    struct event_log *events = NULL;
    struct refresh *refresh = NULL;
    struct cache *cache = NULL;
    struct follow *follow = NULL;
    struct action *action = NULL;
    struct tree *tree = NULL;
    struct metrics *metrics = NULL;
    struct budget *budget = NULL;
    struct watchers *watchers = NULL;
    g_autofree char *mount_path = NULL;
    struct persist *persist = NULL;
    bool offline = false;
    int status = 1, rc;

    signal(SIGPIPE, SIG_IGN);
    heap_setup();
    if (options_parse(&o, argc, argv, &why) < 0)
        return refuse(2, "%s", why); /* the line holds its own hint */
    if (o.show_help) {
        fputs(options_usage(), stdout);
        options_release(&o);
        return 0;
    }
    if (o.show_version) {
        printf("viasfs %s\n", VIASFS_VERSION);
        options_release(&o);
        return 0;
    }
    if (options_check_ready(&o, &why) < 0) {
        status = refuse(2, "%s", why);
        goto out;
    }
    if ((status = check_mountpoint(o.mountpoint)) != 0 ||
        (o.cacert && (status = check_cacert(o.cacert)) != 0))
        goto out;
    status = 1;
    log_set_level(o.log_level); /* --log-level, config log-level; -d makes it debug */
    if (o.log_target && (rc = log_set_target(o.log_target)) < 0) {
        status = refuse(2, "--log=%s: %s", o.log_target, g_strerror(-rc));
        goto out;
    }

    http_config_defaults(&hc);
    metrics = metrics_new();
    hc.on_attempt = metrics_count_attempt;
    hc.on_attempt_data = metrics;
    hc.max_requests = o.max_requests;
    hc.cacert = o.cacert;
    hc.insecure = o.insecure;
    if (o.insecure)
        log_warn("--insecure: TLS certificates are NOT verified; anyone on the path can read "
                 "and change the traffic, credentials included");
    http = http_new(&hc, &why);
    if (!http) {
        refuse(1, "%s", why);
        goto out;
    }
    auth = make_auth(&o, http, &why);
    if (!auth) {
        refuse(1, "%s", why);
        goto out;
    }
    if (!o.project_id) { /* IAM: the token names the project */
        if (prepare_iam(auth, o.timeout) != 0)
            goto out;
        project_from_token = auth_project_id(auth);
    }
    errors = error_log_new(100);
    struct api_config ac = {.endpoint = o.endpoint,
                            .project_id = o.project_id ? o.project_id : project_from_token,
                            .http = http,
                            .auth = auth,
                            .show_secrets = o.show_secrets,
                            .on_error = error_log_add,
                            .on_error_data = errors};
    api = api_new(&ac, &why);
    if (!api) {
        refuse(1, "%s", why);
        goto out;
    }
    if (o.cache_dir) {
        persist = persist_new(&(struct persist_config){.dir = o.cache_dir,
                                                       .endpoint = api_endpoint(api),
                                                       .project = api_project_id(api),
                                                       .details = !o.show_secrets,
                                                       .period_s = o.refresh});
        persist_load(persist);
    }
    if (probe(api, o.timeout, persist ? persist_loaded_at(persist) : 0, &offline) != 0)
        goto out;

    events = event_log_new(events_retain(), EVENT_LOG_MAX_BYTES,
                           persist ? persist_first_seq(persist) : event_log_seq_from_clock());
    budget = budget_new(o.max_rate);
    mount_path = realpath(o.mountpoint, NULL);
    if (!o.no_inotify && mount_path) /* with --no-inotify nobody expects inotify to work */
        watchers = watchers_new(mount_path);
    struct owner own = {.auth = auth, .errors = errors, .refresh = &refresh, .persist = persist};
    struct tree_config tc = {.owner = {.token_expires_at = owner_token_expires_at,
                                       .errors_text = owner_errors_text,
                                       .last_error = owner_last_error,
                                       .errors_total = owner_errors_total,
                                       .keep_error = owner_keep_error,
                                       .refresh_text = owner_refresh_text,
                                       .persist_info = owner_persist_info,
                                       .data = &own},
                             .events = events,
                             .metrics = metrics,
                             .watch = watchers,
                             .inotify = !o.no_inotify,
                             .refresh_s = o.refresh,
                             .endpoint = api_endpoint(api),
                             .project_id = api_project_id(api),
                             .auth_kind = auth_kind(auth),
                             .ttl_s = o.ttl,
                             .page_size = o.page_size,
                             .timeout_s = o.timeout,
                             .uid = getuid(),
                             .gid = getgid()};
    struct cache_config cc = {.api = api,
                              .ttl_s = o.ttl,
                              .timeout_s = o.timeout,
                              .page_size = o.page_size,
                              .max_walks = 4,
                              .max_detail_bytes = (size_t)o.cache_size_mib << 20,
                              .max_walk_tasks = (guint)o.max_tasks,
                              .budget = budget,
                              .on_change = tree_on_change};
    tree = tree_new(&tc);
    cc.on_change_data = tree;
    cache = cache_new(&cc);
    tree_set_cache(tree, cache);
    if (o.allow_control) { /* PRODUCT.md section 8: the tree acts */
        follow = follow_new(cache, budget, o.timeout, FOLLOW_BOUND_S);
        action = action_new(&(struct action_config){.api = api,
                                                    .cache = cache,
                                                    .follow = follow,
                                                    .timeout_s = o.timeout,
                                                    .on_report = tree_on_action_report,
                                                    .data = tree});
        tree_set_action(tree, action);
        log_info("--allow-control: tasks may be started, stopped, deleted, edited and created "
                 "through the tree by uid %u", (unsigned)getuid());
    }
    if (persist)
        persist_seed(persist, cache, offline);

    struct fs_config fc = {.tree = tree,
                           .mountpoint = o.mountpoint,
                           .fuse_argv = o.fuse_argv,
                           .foreground = o.foreground,
                           .timeout_s = o.timeout};
    fc.on_mounted = start_threads;
    struct refresh_start_args ra = {.out = &refresh,
                                    .cfg = {.cache = cache,
                                            .budget = budget,
                                            .period_s = o.refresh,
                                            .timeout_s = o.timeout,
                                            .idle_after_s = o.idle_after,
                                            .idle_refresh_s = o.idle_refresh,
                                            .page_size = o.page_size,
                                            .watched = tree_watched,
                                            .watched_data = tree},
                                    .persist = persist,
                                    .tree = tree,
                                    .events = events};
    fc.on_mounted_data = &ra;
    rc = fs_run(&fc, &why);
    http_cancel_all(http); /* unmounted: nobody waits for an answer any more */
    refresh_stop(refresh);
    refresh = NULL;
    action_free(action); /* calls in flight end (cancelled), are reported */
    follow_free(follow);
    if (rc == 0)
        persist_stop(persist); /* the last picture, clean: no event comes after it */
    heap_trimmer_stop();
    /* -EINVAL: FUSE did not accept its options (a usage error, as libfuse's line says). */
    status = rc == 0 ? 0 : refuse(rc == -EINVAL ? 2 : 1, "%s", why);
out:
    persist_free(persist);
    cache_free(cache);
    budget_free(budget);
    event_log_free(events);
    tree_free(tree);
    watchers_free(watchers);
    api_free(api);
    error_log_free(errors);
    http_free(http);
    metrics_free(metrics);
    auth_free(auth);
    options_release(&o);
    return status;
}
