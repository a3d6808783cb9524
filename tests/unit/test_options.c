/*
 * Unit tests: command line and environment parsing. Every option in its three forms, env
 * fallback and precedence (options > SOURCE > environment > defaults), SOURCE URLs, -o lists
 * shared with FUSE and fstab, the refusal of secrets on the command line, the three kinds of
 * credential and how options_check_ready judges them, log levels, every range message, and
 * the --help text. Every expected value and message is exact. The config file layer is tested
 * in test_config.c. Not tested here: what the mount does with the options.
 */
#include "viasfs/options.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>

#define ARGS(...) ((const char *const[]){"viasfs", __VA_ARGS__, NULL})

static const char *const argv0_only[] = {"viasfs", NULL};

static const char *const env_names[] = {
    "VIAS_ENDPOINT",     "VIAS_PROJECT_ID",       "VIAS_TOKEN_FILE", "VIAS_TOKEN",
    "VIAS_IAM_ENDPOINT", "VIAS_IAM_USER",         "VIAS_IAM_DOMAIN", "VIAS_IAM_PASSWORD_FILE",
    "VIAS_REGION",       "VIAS_CREDENTIALS_FILE", "VIAS_CACHE_DIR"};

#define TOKEN_REFUSAL                                                                              \
    "a token on the command line is visible to every user (ps, /proc); put it in a file "          \
    "readable only by you and pass --token-file=PATH, or set VIAS_TOKEN"

static void env_clear(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(env_names); i++)
        g_unsetenv(env_names[i]);
}

/* Runs options_parse on a copy of @args and checks that it left argv untouched. */
static int parse(struct options *o, const char *const *args, char **why)
{
    g_auto(GStrv) argv = g_strdupv((char **)args);
    g_auto(GStrv) before = g_strdupv((char **)args);
    int rc = options_parse(o, (int)g_strv_length(argv), argv, why);

    g_assert_true(g_strv_equal((const char *const *)argv, (const char *const *)before));
    return rc;
}

static void parse_ok(struct options *o, const char *const *args)
{
    g_autofree char *why = NULL;
    int rc = parse(o, args, &why);

    if (rc != 0)
        g_error("options_parse failed: %s", why);
    g_assert_null(why);
}

/* Asserts that @args fail with exactly @want and leave nothing to release. */
static void parse_fails(const char *const *args, const char *want)
{
    struct options o;
    g_autofree char *why = NULL;

    g_assert_cmpint(parse(&o, args, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, want);
    g_assert_null(o.fuse_argv);
    g_assert_null(o.mountpoint);
    options_release(&o); /* harmless after a failure */
}

/* Asserts that fuse_argv is exactly @want (NULL-terminated). */
static void check_fuse_argv(const struct options *o, const char *const *want)
{
    guint n = g_strv_length((char **)want);

    for (guint i = 0; i < MIN(n, o->fuse_argv->len); i++)
        g_assert_cmpstr(g_ptr_array_index(o->fuse_argv, i), ==, want[i]);
    g_assert_cmpuint(o->fuse_argv->len, ==, n);
}

static char *cwd_path(const char *rel)
{
    g_autofree char *cwd = g_get_current_dir();
    return g_build_filename(cwd, rel, NULL);
}

static void test_defaults(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("/mnt/vias"));
    g_assert_cmpstr(o.mountpoint, ==, "/mnt/vias");
    g_assert_null(o.source);
    g_assert_null(o.endpoint);
    g_assert_null(o.project_id);
    g_assert_null(o.token_file);
    g_assert_null(o.token);
    g_assert_cmpstr(o.log_target, ==, "stderr");
    g_assert_null(o.cacert);
    g_assert_cmpint(o.ttl, ==, 30);
    g_assert_cmpint(o.refresh, ==, 5);
    g_assert_cmpint(o.page_size, ==, 1000);
    g_assert_cmpint(o.timeout, ==, 10);
    g_assert_cmpint(o.max_requests, ==, 8);
    g_assert_cmpint(o.max_rate, ==, 20);
    g_assert_cmpint(o.idle_after, ==, 60);
    g_assert_cmpint(o.idle_refresh, ==, 600);
    g_assert_false(o.show_secrets || o.insecure || o.foreground || o.debug || o.show_help ||
                   o.show_version || o.no_inotify);
    g_assert_null(o.iam_endpoint);
    g_assert_null(o.iam_user);
    g_assert_null(o.iam_domain);
    g_assert_null(o.iam_password_file);
    g_assert_null(o.region);
    g_assert_null(o.credentials_file);
    g_assert_null(o.config_file);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_NONE);
    for (int k = 0; k < OPTIONS_AUTH_KINDS; k++)
        g_assert_null(o.auth_given[k]);
    g_assert_cmpint(o.log_level, ==, LOG_LEVEL_WARN);
    check_fuse_argv(&o, argv0_only);
    options_release(&o);
}

/* The values every form test below gives, and what they must produce. */
static void check_all_set(const struct options *o)
{
    g_assert_cmpstr(o->endpoint, ==, "https://vias.example.com:8443");
    g_assert_cmpstr(o->project_id, ==, "0a1b2c3d");
    g_assert_cmpstr(o->token_file, ==, "/etc/viasfs/token");
    g_assert_cmpint(o->ttl, ==, 0);
    g_assert_cmpint(o->refresh, ==, 86400);
    g_assert_cmpint(o->page_size, ==, 5);
    g_assert_cmpint(o->timeout, ==, 3600);
    g_assert_cmpint(o->max_requests, ==, 256);
    g_assert_cmpstr(o->log_target, ==, "syslog");
    g_assert_cmpstr(o->cacert, ==, "/etc/ssl/ca.pem");
    g_assert_true(o->show_secrets);
    g_assert_true(o->insecure);
    g_assert_cmpstr(o->mountpoint, ==, "/mnt");
    g_assert_false(o->foreground || o->debug || o->show_help || o->show_version);
}

static void test_long_equals(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("--endpoint=https://vias.example.com:8443", "--project-id=0a1b2c3d",
                      "--token-file=/etc/viasfs/token", "--ttl=0", "--refresh=86400",
                      "--page-size=5", "--timeout=3600", "--max-requests=256", "--log=syslog",
                      "--cacert=/etc/ssl/ca.pem", "--show-secrets", "--insecure", "/mnt"));
    check_all_set(&o);
    check_fuse_argv(&o, argv0_only);
    options_release(&o);
}

static void test_long_separate(void)
{
    struct options o;

    env_clear();
    parse_ok(&o,
             ARGS("--endpoint", "https://vias.example.com:8443", "--project-id", "0a1b2c3d",
                  "--token-file", "/etc/viasfs/token", "--ttl", "0", "--refresh", "86400",
                  "--page-size", "5", "--timeout", "3600", "--max-requests", "256", "--log",
                  "syslog", "--cacert", "/etc/ssl/ca.pem", "--show-secrets", "--insecure", "/mnt"));
    check_all_set(&o);
    check_fuse_argv(&o, argv0_only);
    options_release(&o);
}

static void test_o_underscores(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("-o",
                      "endpoint=https://vias.example.com:8443,project_id=0a1b2c3d,"
                      "token_file=/etc/viasfs/token,ttl=0,refresh=86400,page_size=5",
                      "-o", "timeout=3600,max_requests=256,log=syslog,cacert=/etc/ssl/ca.pem",
                      "-oshow_secrets,insecure", "/mnt"));
    check_all_set(&o);
    check_fuse_argv(&o, argv0_only);
    options_release(&o);
}

/* --allow-control, -o allow_control and -o allow-control; off unless given. */
static void test_allow_control(void)
{
    static const char *const forms[][3] = {
        {"--allow-control", "/mnt", NULL}, {"-o", "allow_control", "/mnt"},
        {"-oallow-control", "/mnt", NULL}};
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("--endpoint=https://x.example.com", "--project-id=p", "--token-file=/t",
                      "/mnt"));
    g_assert_false(o.allow_control);
    options_release(&o);
    for (size_t i = 0; i < G_N_ELEMENTS(forms); i++) {
        parse_ok(&o, ARGS("--endpoint=https://x.example.com", "--project-id=p",
                          "--token-file=/t", forms[i][0], forms[i][1], forms[i][2]));
        g_assert_true(o.allow_control);
        options_release(&o);
    }
    parse_fails(ARGS("-o", "allow_control=yes", "/mnt"), "-o allow_control takes no value");
}

static void test_o_dashes(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("/mnt", "-o",
                      "endpoint=https://vias.example.com:8443,project-id=0a1b2c3d,"
                      "token-file=/etc/viasfs/token,ttl=0,refresh=86400,page-size=5,"
                      "timeout=3600,max-requests=256,log=syslog,cacert=/etc/ssl/ca.pem,"
                      "show-secrets,insecure"));
    check_all_set(&o);
    check_fuse_argv(&o, argv0_only);
    options_release(&o);
}

static void test_last_wins(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("--ttl=1", "-o", "ttl=2", "--ttl", "3", "--endpoint=http://a", "-o",
                      "endpoint=http://b", "/mnt"));
    g_assert_cmpint(o.ttl, ==, 3);
    g_assert_cmpstr(o.endpoint, ==, "http://b");
    options_release(&o);
}

static void test_flags(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("-f", "/mnt"));
    g_assert_true(o.foreground);
    g_assert_false(o.debug);
    check_fuse_argv(&o, ARGS("-f"));
    options_release(&o);

    parse_ok(&o, ARGS("/mnt", "-d"));
    g_assert_true(o.foreground);
    g_assert_true(o.debug);
    check_fuse_argv(&o, ARGS("-d"));
    options_release(&o);

    parse_ok(&o, ARGS("-s", "/mnt", "-f", "-x"));
    g_assert_true(o.foreground);
    g_assert_false(o.debug);
    check_fuse_argv(&o, ARGS("-s", "-f", "-x"));
    options_release(&o);

    parse_ok(&o, ARGS("-o", "debug", "/mnt"));
    g_assert_true(o.foreground);
    g_assert_true(o.debug);
    check_fuse_argv(&o, ARGS("-o", "debug"));
    options_release(&o);
}

static void test_help_version(void)
{
    const char *const *cases[] = {ARGS("--help"), ARGS("-h"), ARGS("--version"), ARGS("-V")};
    struct options o;

    env_clear();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        parse_ok(&o, cases[i]);
        g_assert_true(o.show_help == (i < 2));
        g_assert_true(o.show_version == (i >= 2));
        g_assert_null(o.mountpoint);
        check_fuse_argv(&o, argv0_only);
        options_release(&o);
    }
    parse_ok(&o, ARGS("-h", "/mnt"));
    g_assert_true(o.show_help);
    g_assert_cmpstr(o.mountpoint, ==, "/mnt");
    options_release(&o);
    parse_fails(ARGS("--help=1"), "--help takes no value");
    parse_fails(ARGS("--version=yes"), "--version takes no value");
}

static void test_o_mixing(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("-o", "ro,allow_other,endpoint=http://x,ttl=5", "viasfs", "/mnt/v", "-o",
                      "_netdev,noauto,auto,user,users,nofail,defaults,rw,default_permissions",
                      "-ouser=alice,max_read=4096", "-o", "fsname=a\\,b\\\\c,,subtype=\\166ias"));
    g_assert_cmpstr(o.endpoint, ==, "http://x");
    g_assert_cmpint(o.ttl, ==, 5);
    g_assert_cmpstr(o.source, ==, "viasfs");
    g_assert_cmpstr(o.mountpoint, ==, "/mnt/v");
    /* fstab noise is gone; FUSE's keys keep their order and their escapes. */
    check_fuse_argv(&o, ARGS("-o", "allow_other,default_permissions,max_read=4096,"
                                   "fsname=a\\,b\\\\c,subtype=vias"));
    options_release(&o);

    /* The single -o comes after the pass-through flags. */
    parse_ok(&o, ARGS("-o", "allow_other", "-s", "/mnt", "-f"));
    check_fuse_argv(&o, ARGS("-s", "-f", "-o", "allow_other"));
    options_release(&o);

    /* Only noise: no -o at all. mount(8) and systemd keep x-* and comment= for themselves. */
    parse_ok(&o, ARGS("-o", "rw,_netdev", "/mnt"));
    check_fuse_argv(&o, argv0_only);
    options_release(&o);
    parse_ok(&o, ARGS("-o", "x-systemd.automount,x-systemd.idle-timeout=60,comment=vias", "/mnt"));
    check_fuse_argv(&o, argv0_only);
    options_release(&o);

    /* -o help and -o version are not ours: they go to FUSE. */
    parse_ok(&o, ARGS("-o", "help", "/mnt"));
    g_assert_false(o.show_help);
    check_fuse_argv(&o, ARGS("-o", "help"));
    options_release(&o);
}

static void test_env(void)
{
    struct options o;
    g_autofree char *rel = cwd_path("tok");

    env_clear();
    g_setenv("VIAS_ENDPOINT", "https://env.example.com", TRUE);
    g_setenv("VIAS_PROJECT_ID", "envproj", TRUE);
    g_setenv("VIAS_TOKEN_FILE", "/run/env-token", TRUE);
    g_setenv("VIAS_TOKEN", "envsecret", TRUE);
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "https://env.example.com");
    g_assert_cmpstr(o.project_id, ==, "envproj");
    g_assert_cmpstr(o.token_file, ==, "/run/env-token");
    g_assert_null(o.token); /* a token file wins over VIAS_TOKEN */
    options_release(&o);

    g_unsetenv("VIAS_TOKEN_FILE");
    parse_ok(&o, ARGS("/mnt"));
    g_assert_null(o.token_file);
    g_assert_cmpstr(o.token, ==, "envsecret");
    options_release(&o);

    g_setenv("VIAS_TOKEN_FILE", "tok", TRUE); /* relative: made absolute */
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpstr(o.token_file, ==, rel);
    options_release(&o);

    /* Empty variables count as unset. */
    env_clear();
    g_setenv("VIAS_ENDPOINT", "", TRUE);
    g_setenv("VIAS_PROJECT_ID", "", TRUE);
    g_setenv("VIAS_TOKEN_FILE", "", TRUE);
    g_setenv("VIAS_TOKEN", "", TRUE);
    parse_ok(&o, ARGS("/mnt"));
    g_assert_null(o.endpoint);
    g_assert_null(o.project_id);
    g_assert_null(o.token_file);
    g_assert_null(o.token);
    options_release(&o);

    /* Bad values from the environment are errors that name the variable. */
    env_clear();
    g_setenv("VIAS_ENDPOINT", "nope", TRUE);
    parse_fails(ARGS("/mnt"), "VIAS_ENDPOINT: \"nope\" is not a URL like https://HOST[:PORT]");
    env_clear();
    g_setenv("VIAS_PROJECT_ID", "a b", TRUE);
    parse_fails(ARGS("/mnt"), "VIAS_PROJECT_ID: \"a b\" is not a project id (1 to 128 letters, "
                              "digits, '-' or '_')");
    env_clear();
}

static void test_env_precedence(void)
{
    struct options o;

    env_clear();
    g_setenv("VIAS_ENDPOINT", "https://env.example.com", TRUE);
    g_setenv("VIAS_PROJECT_ID", "envproj", TRUE);
    g_setenv("VIAS_TOKEN_FILE", "/run/env-token", TRUE);
    g_setenv("VIAS_TOKEN", "envsecret", TRUE);

    /* The command line's options win over the environment. */
    parse_ok(&o, ARGS("--endpoint=http://cli:1", "-o", "project_id=cliproj",
                      "--token-file=/run/cli-token", "/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "http://cli:1");
    g_assert_cmpstr(o.project_id, ==, "cliproj");
    g_assert_cmpstr(o.token_file, ==, "/run/cli-token");
    g_assert_null(o.token);
    options_release(&o);

    /* SOURCE wins over the environment. */
    parse_ok(&o, ARGS("http://src:2/v2/srcproj", "/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "http://src:2");
    g_assert_cmpstr(o.project_id, ==, "srcproj");
    g_assert_cmpstr(o.token_file, ==, "/run/env-token");
    options_release(&o);

    /* The options win over SOURCE, each on its own. */
    parse_ok(&o, ARGS("http://src:2/v2/srcproj", "/mnt", "--project-id=cliproj"));
    g_assert_cmpstr(o.endpoint, ==, "http://src:2");
    g_assert_cmpstr(o.project_id, ==, "cliproj");
    options_release(&o);
    parse_ok(&o, ARGS("-o", "endpoint=http://cli:1", "http://src:2/v2/srcproj", "/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "http://cli:1");
    g_assert_cmpstr(o.project_id, ==, "srcproj");
    options_release(&o);

    /* --token-file on the command line also wins over VIAS_TOKEN. */
    g_unsetenv("VIAS_TOKEN_FILE");
    parse_ok(&o, ARGS("--token-file", "/run/cli-token", "/mnt"));
    g_assert_cmpstr(o.token_file, ==, "/run/cli-token");
    g_assert_null(o.token);
    options_release(&o);
    env_clear();
}

static void check_source(const char *src, const char *endpoint, const char *project)
{
    struct options o;

    parse_ok(&o, ARGS(src, "/mnt"));
    g_assert_cmpstr(o.source, ==, src);
    g_assert_cmpstr(o.endpoint, ==, endpoint);
    g_assert_cmpstr(o.project_id, ==, project);
    g_assert_cmpstr(o.mountpoint, ==, "/mnt");
    options_release(&o);
}

static void test_source(void)
{
    const char *bad[] = {
        "http://host/v3/p",   "http://host/v2/",     "http://host/v2",
        "http://host/v2/p/x", "http://host/v2/p//",  "http://host",
        "http://host/",       "http:///v2/p",        "http://:80/v2/p",
        "http://host:/v2/p",  "http://host:8x/v2/p", "http://host:1234567/v2/p",
        "http://u@host/v2/p", "http://ho st/v2/p",   "http://host/v2/p?q",
        "http://host/v2/a.b", "http://[]/v2/p",      "http://[::1/v2/p",
        "https://host/V2/p",  "http://host/x/v2/p",
    };

    env_clear();
    check_source("https://vias.cn-north-4.myhuaweicloud.com/v2/0a1b2c3d4e5f",
                 "https://vias.cn-north-4.myhuaweicloud.com", "0a1b2c3d4e5f");
    check_source("http://127.0.0.1:8080/v2/proj_1-x/", "http://127.0.0.1:8080", "proj_1-x");
    check_source("http://[::1]:8080/v2/p", "http://[::1]:8080", "p");
    check_source("http://[::1]/v2/p", "http://[::1]", "p");
    check_source("HTTPS://Host.Example/v2/p", "https://Host.Example", "p");
    /* Anything that is not a URL is ignored. */
    check_source("viasfs", NULL, NULL);
    check_source("vias:/v2/p", NULL, NULL);
    check_source("ftp://host/v2/p", NULL, NULL);
    check_source("", NULL, NULL);

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *want =
            g_strdup_printf("SOURCE \"%s\" is not http(s)://HOST[:PORT]/v2/PROJECT_ID", bad[i]);
        parse_fails(ARGS(bad[i], "/mnt"), want);
    }
}

static void test_token_refused(void)
{
    const char *const *cases[] = {
        ARGS("--token=s3cr3t", "/mnt"),
        ARGS("--token", "s3cr3t", "/mnt"),
        ARGS("/mnt", "--token"),
        ARGS("--x-auth-token=s3cr3t", "/mnt"),
        ARGS("--x_auth_token=s3cr3t", "/mnt"),
    };
    const char *const *o_cases[] = {
        ARGS("-o", "token=s3cr3t", "/mnt"),
        ARGS("-o", "allow_other,x_auth_token=s3cr3t", "/mnt"),
        ARGS("-ox-auth-token=s3cr3t", "/mnt"),
        ARGS("-o", "token", "/mnt"),
    };
    const char *labels[] = {"--token", "--token", "--token", "--x-auth-token", "--x_auth_token"};
    const char *o_labels[] = {"-o token", "-o x_auth_token", "-o x-auth-token", "-o token"};

    env_clear();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *want = g_strdup_printf("%s: " TOKEN_REFUSAL, labels[i]);
        parse_fails(cases[i], want);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(o_cases); i++) {
        g_autofree char *want = g_strdup_printf("%s: " TOKEN_REFUSAL, o_labels[i]);
        parse_fails(o_cases[i], want);
    }
}

struct range_case {
    const char *name;  /* long name */
    const char *oname; /* -o spelling */
    const char *unit;
    int min, max;
};

static int int_value(const struct options *o, const char *name)
{
    if (strcmp(name, "ttl") == 0)
        return o->ttl;
    if (strcmp(name, "refresh") == 0)
        return o->refresh;
    if (strcmp(name, "page-size") == 0)
        return o->page_size;
    if (strcmp(name, "timeout") == 0)
        return o->timeout;
    if (strcmp(name, "max-rate") == 0)
        return o->max_rate;
    if (strcmp(name, "idle-after") == 0)
        return o->idle_after;
    if (strcmp(name, "idle-refresh") == 0)
        return o->idle_refresh;
    g_assert_cmpstr(name, ==, "max-requests");
    return o->max_requests;
}

static void test_numbers(void)
{
    static const struct range_case cases[] = {
        {"ttl", "ttl", "seconds", 0, 86400},
        {"refresh", "refresh", "seconds", 0, 86400},
        {"page-size", "page_size", "tasks", 5, 1000},
        {"timeout", "timeout", "seconds", 1, 3600},
        {"max-requests", "max_requests", "requests", 1, 256},
        {"max-rate", "max_rate", "requests a second", 0, 10000},
        {"idle-after", "idle_after", "seconds", 1, 86400},
        {"idle-refresh", "idle_refresh", "seconds", 1, 604800},
    };
    static const char *const not_numbers[] = {"abc", "",  "5s",   " 5",  "5 ",
                                              "+5",  "-", "0x10", "1e3", "1.5"};

    env_clear();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const struct range_case *c = &cases[i];
        int below = c->min - 1, above = c->max + 1;
        g_autofree char *lo = g_strdup_printf("--%s=%d", c->name, c->min);
        g_autofree char *hi = g_strdup_printf("%s=%d", c->oname, c->max);
        g_autofree char *zeros = g_strdup_printf("00%d", c->max);
        struct options o;

        /* Both ends of the range are accepted, and leading zeros are decimal. */
        parse_ok(&o, ARGS(lo, "/mnt"));
        g_assert_cmpint(int_value(&o, c->name), ==, c->min);
        options_release(&o);
        parse_ok(&o, ARGS("-o", hi, "/mnt"));
        g_assert_cmpint(int_value(&o, c->name), ==, c->max);
        options_release(&o);
        {
            g_autofree char *flag = g_strdup_printf("--%s", c->name);
            parse_ok(&o, ARGS(flag, zeros, "/mnt"));
            g_assert_cmpint(int_value(&o, c->name), ==, c->max);
            options_release(&o);
        }

        for (size_t k = 0; k < G_N_ELEMENTS(not_numbers); k++) {
            g_autofree char *arg = g_strdup_printf("--%s=%s", c->name, not_numbers[k]);
            g_autofree char *want =
                g_strdup_printf("--%s: \"%s\" is not a number of %s (%d..%d)", c->name,
                                not_numbers[k], c->unit, c->min, c->max);
            parse_fails(ARGS(arg, "/mnt"), want);
        }
        {
            g_autofree char *arg = g_strdup_printf("%s=x", c->oname);
            g_autofree char *want = g_strdup_printf("-o %s: \"x\" is not a number of %s (%d..%d)",
                                                    c->oname, c->unit, c->min, c->max);
            parse_fails(ARGS("-o", arg, "/mnt"), want);
        }
        {
            const char *values[] = {NULL, NULL, "99999999999999999999", "-99999999999",
                                    "4294967326"};
            g_autofree char *b = g_strdup_printf("%d", below), *a = g_strdup_printf("%d", above);

            values[0] = b;
            values[1] = a;
            for (size_t k = 0; k < G_N_ELEMENTS(values); k++) {
                g_autofree char *flag = g_strdup_printf("--%s", c->name);
                g_autofree char *want =
                    g_strdup_printf("--%s: \"%s\" is out of range (%d..%d %s)", c->name, values[k],
                                    c->min, c->max, c->unit);
                parse_fails(ARGS(flag, values[k], "/mnt"), want);
            }
        }
    }
    /* The exact messages, spelled out once. */
    parse_fails(ARGS("--ttl=abc", "/mnt"), "--ttl: \"abc\" is not a number of seconds (0..86400)");
    parse_fails(ARGS("--ttl=86401", "/mnt"), "--ttl: \"86401\" is out of range (0..86400 seconds)");
    parse_fails(ARGS("--refresh=-1", "/mnt"),
                "--refresh: \"-1\" is out of range (0..86400 seconds)");
    parse_fails(ARGS("-o", "page_size=4", "/mnt"),
                "-o page_size: \"4\" is out of range (5..1000 tasks)");
    parse_fails(ARGS("--page-size=1001", "/mnt"),
                "--page-size: \"1001\" is out of range (5..1000 tasks)");
    parse_fails(ARGS("--timeout=0", "/mnt"), "--timeout: \"0\" is out of range (1..3600 seconds)");
    parse_fails(ARGS("--timeout=3601", "/mnt"),
                "--timeout: \"3601\" is out of range (1..3600 seconds)");
    parse_fails(ARGS("-o", "max-requests=0", "/mnt"),
                "-o max-requests: \"0\" is out of range (1..256 requests)");
    parse_fails(ARGS("--max-requests=257", "/mnt"),
                "--max-requests: \"257\" is out of range (1..256 requests)");
    parse_fails(ARGS("--max-requests=many", "/mnt"),
                "--max-requests: \"many\" is not a number of requests (1..256)");
}

static void test_errors(void)
{
    env_clear();
    /* One hint: the nearest option when one is a typo away, else --help. */
    parse_fails(ARGS("--foo", "/mnt"), "unknown option --foo (see viasfs --help)");
    parse_fails(ARGS("--foo=1", "/mnt"), "unknown option --foo (see viasfs --help)");
    parse_fails(ARGS("--allow_other", "/mnt"), "unknown option --allow_other (see viasfs --help)");
    parse_fails(ARGS("--project_id=p", "/mnt"),
                "unknown option --project_id (did you mean --project-id?)");
    parse_fails(ARGS("--tll=3", "/mnt"), "unknown option --tll (did you mean --ttl?)");
    parse_fails(ARGS("--tl", "3", "/mnt"), "unknown option --tl (did you mean --ttl?)");
    parse_fails(ARGS("--endpont=http://h", "/mnt"),
                "unknown option --endpont (did you mean --endpoint?)");
    parse_fails(ARGS("--timeuot=3", "/mnt"), "unknown option --timeuot (did you mean --timeout?)");
    parse_fails(ARGS("--cachesize=3", "/mnt"),
                "unknown option --cachesize (did you mean --cache-size?)");
    parse_fails(ARGS("--xyz", "/mnt"), "unknown option --xyz (see viasfs --help)");
    parse_fails(ARGS("--page-sizes-max=3", "/mnt"),
                "unknown option --page-sizes-max (see viasfs --help)");
    parse_fails(ARGS("/mnt", "--ttl"), "--ttl needs a value");
    parse_fails(ARGS("/mnt", "--endpoint"), "--endpoint needs a value");
    parse_fails(ARGS("/mnt", "-o"), "-o needs a list of options");
    parse_fails(ARGS("-o", "ttl", "/mnt"), "-o ttl needs a value");
    parse_fails(ARGS("-o", "log", "/mnt"), "-o log needs a value");
    parse_fails(ARGS("--insecure=1", "/mnt"), "--insecure takes no value");
    parse_fails(ARGS("-o", "show_secrets=yes", "/mnt"), "-o show_secrets takes no value");
    parse_fails(ARGS("--endpoint=", "/mnt"), "--endpoint: the value is empty");
    parse_fails(ARGS("-o", "token_file=", "/mnt"), "-o token_file: the value is empty");
    parse_fails(ARGS("--log=", "/mnt"), "--log: the value is empty");
    parse_fails(ARGS("--cacert", "", "/mnt"), "--cacert: the value is empty");
    parse_fails(ARGS("--endpoint=ftp://x", "/mnt"),
                "--endpoint: \"ftp://x\" is not a URL like https://HOST[:PORT]");
    parse_fails(ARGS("--endpoint=https://", "/mnt"),
                "--endpoint: \"https://\" is not a URL like https://HOST[:PORT]");
    parse_fails(ARGS("--endpoint=https://h/a?b", "/mnt"),
                "--endpoint: \"https://h/a?b\" is not a URL like https://HOST[:PORT]");
    parse_fails(ARGS("--endpoint=https://user:pw@h", "/mnt"),
                "--endpoint: \"https://user:pw@h\" is not a URL like https://HOST[:PORT]");
    parse_fails(ARGS("--endpoint=http://h\tx", "/mnt"),
                "--endpoint: \"http://h\\tx\" is not a URL like https://HOST[:PORT]");
    parse_fails(ARGS("--project-id=a/b", "/mnt"),
                "--project-id: \"a/b\" is not a project id (1 to 128 letters, digits, '-' or "
                "'_')");
    parse_fails(ARGS("-o", "project_id=..", "/mnt"),
                "-o project_id: \"..\" is not a project id (1 to 128 letters, digits, '-' or "
                "'_')");
    parse_fails(ARGS("-f"), "missing MOUNTPOINT (usage: viasfs [OPTIONS] [SOURCE] MOUNTPOINT; "
                            "see viasfs --help)");
    parse_fails(ARGS("a", "b", "c"), "too many arguments at \"c\" (expected [SOURCE] MOUNTPOINT)");
    parse_fails(ARGS(""), "the MOUNTPOINT is an empty string");
}

static void test_project_id_limits(void)
{
    g_autofree char *p128 = g_strnfill(128, 'a'), *p129 = g_strnfill(129, 'a');
    g_autofree char *arg128 = g_strconcat("--project-id=", p128, NULL);
    g_autofree char *arg129 = g_strconcat("--project-id=", p129, NULL);
    g_autofree char *want = g_strdup_printf(
        "--project-id: \"%s\" is not a project id (1 to 128 letters, digits, '-' or '_')", p129);
    struct options o;

    env_clear();
    parse_ok(&o, ARGS(arg128, "/mnt"));
    g_assert_cmpstr(o.project_id, ==, p128);
    options_release(&o);
    parse_fails(ARGS(arg129, "/mnt"), want);
}

static void test_positional(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("--", "-weird"));
    g_assert_cmpstr(o.mountpoint, ==, "-weird");
    g_assert_null(o.source);
    options_release(&o);

    parse_ok(&o, ARGS("-f", "--", "--ttl=5", "-o"));
    g_assert_cmpstr(o.source, ==, "--ttl=5");
    g_assert_cmpstr(o.mountpoint, ==, "-o");
    g_assert_cmpint(o.ttl, ==, 30);
    check_fuse_argv(&o, ARGS("-f"));
    options_release(&o);

    parse_ok(&o, ARGS("-", "mnt"));
    g_assert_cmpstr(o.source, ==, "-");
    g_assert_cmpstr(o.mountpoint, ==, "mnt"); /* left as given: not checked or resolved */
    options_release(&o);

    /* fuse_argv[0] is argv[0], whatever it is. */
    {
        const char *const args[] = {"/usr/bin/viasfs", "/mnt", NULL};
        parse_ok(&o, args);
        check_fuse_argv(&o, (const char *const[]){"/usr/bin/viasfs", NULL});
        options_release(&o);
    }
}

static void test_paths(void)
{
    g_autofree char *tok = cwd_path("tok"), *ca = cwd_path("certs/ca.pem");
    g_autofree char *log = cwd_path("viasfs.log"), *sys = cwd_path("syslog");
    g_autofree char *up = cwd_path("../ca.pem");
    struct options o;

    env_clear();
    parse_ok(&o,
             ARGS("--token-file=tok", "-o", "cacert=certs/ca.pem", "--log", "viasfs.log", "/mnt"));
    g_assert_cmpstr(o.token_file, ==, tok);
    g_assert_cmpstr(o.cacert, ==, ca);
    g_assert_cmpstr(o.log_target, ==, log);
    options_release(&o);

    parse_ok(&o, ARGS("--log=/var/log/viasfs.log", "/mnt"));
    g_assert_cmpstr(o.log_target, ==, "/var/log/viasfs.log");
    options_release(&o);
    parse_ok(&o, ARGS("--log=stderr", "/mnt"));
    g_assert_cmpstr(o.log_target, ==, "stderr");
    options_release(&o);
    parse_ok(&o, ARGS("-o", "log=./syslog", "--token-file=.//./tok", "/mnt"));
    g_assert_cmpstr(o.log_target, ==, sys);
    g_assert_cmpstr(o.token_file, ==, tok);
    options_release(&o);
    parse_ok(&o, ARGS("--cacert=../ca.pem", "/mnt")); /* ".." is kept: symlinks may matter */
    g_assert_cmpstr(o.cacert, ==, up);
    options_release(&o);
}

/* Asserts that options_check_ready refuses @o with exactly @want. */
static void not_ready(const struct options *o, const char *want)
{
    g_autofree char *why = NULL;

    g_assert_cmpint(options_check_ready(o, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, want);
}

static void ready(const struct options *o)
{
    g_autofree char *why = NULL;

    if (options_check_ready(o, &why) != 0)
        g_error("options_check_ready refused: %s", why);
    g_assert_null(why);
}

#define NO_CREDENTIAL                                                                              \
    "no credential: give a token (--token-file=PATH, or VIAS_TOKEN), an IAM password login "       \
    "(--iam-user, --iam-domain, --iam-password-file, --region) or AK/SK keys "                     \
    "(--credentials-file=PATH)"

static void test_check_ready(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("/mnt"));
    not_ready(&o, "no endpoint: pass --endpoint=URL or --region=NAME, set VIAS_ENDPOINT or "
                  "VIAS_REGION, or give SOURCE as http(s)://HOST[:PORT]/v2/PROJECT_ID");
    g_assert_true(options_check_ready(&o, NULL) == -EINVAL); /* @why may be NULL */
    options_release(&o);

    parse_ok(&o, ARGS("--endpoint=http://h", "/mnt"));
    not_ready(&o, "no project id: pass --project-id=ID, set VIAS_PROJECT_ID, or give SOURCE as "
                  "http(s)://HOST[:PORT]/v2/PROJECT_ID");
    options_release(&o);

    parse_ok(&o, ARGS("http://h/v2/p", "/mnt"));
    not_ready(&o, NO_CREDENTIAL);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_NONE);
    options_release(&o);

    parse_ok(&o, ARGS("http://h/v2/p", "/mnt", "--token-file=/t"));
    ready(&o);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_TOKEN);
    g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_TOKEN], ==, "--token-file");
    options_release(&o);

    g_setenv("VIAS_TOKEN", "secret", TRUE);
    parse_ok(&o, ARGS("http://h/v2/p", "/mnt"));
    ready(&o);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_TOKEN);
    g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_TOKEN], ==, "VIAS_TOKEN");
    options_release(&o);
    env_clear();

    parse_ok(&o, ARGS("--version"));
    not_ready(&o, "missing MOUNTPOINT (usage: viasfs [OPTIONS] [SOURCE] MOUNTPOINT)");
    options_release(&o);
}

/* The credential options in every form, and what each kind needs. */
static void check_iam_set(const struct options *o)
{
    g_assert_cmpstr(o->iam_user, ==, "alice");
    g_assert_cmpstr(o->iam_domain, ==, "acme corp");
    g_assert_cmpstr(o->iam_password_file, ==, "/etc/viasfs/password");
    g_assert_cmpstr(o->region, ==, "cn-north-4");
    g_assert_cmpstr(o->iam_endpoint, ==, "https://iam.example.com:4443");
    g_assert_null(o->credentials_file);
    g_assert_cmpint(o->auth_method, ==, OPTIONS_AUTH_IAM);
    /* The region gives the endpoint; the token will give the project. */
    g_assert_cmpstr(o->endpoint, ==, "https://vias.cn-north-4.myhuaweicloud.com");
    g_assert_null(o->project_id);
    ready(o);
}

static void test_credential_forms(void)
{
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("--iam-user=alice", "--iam-domain=acme corp",
                      "--iam-password-file=/etc/viasfs/password", "--region=cn-north-4",
                      "--iam-endpoint=https://iam.example.com:4443", "/mnt"));
    check_iam_set(&o);
    g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_IAM], ==, "--iam-user");
    options_release(&o);

    parse_ok(&o, ARGS("--iam-user", "alice", "--iam-domain", "acme corp", "--iam-password-file",
                      "/etc/viasfs/password", "--region", "cn-north-4", "--iam-endpoint",
                      "https://iam.example.com:4443", "/mnt"));
    check_iam_set(&o);
    options_release(&o);

    parse_ok(&o, ARGS("-o",
                      "iam_password_file=/etc/viasfs/password,iam_user=alice,"
                      "iam_domain=acme corp,region=cn-north-4,"
                      "iam_endpoint=https://iam.example.com:4443",
                      "/mnt"));
    check_iam_set(&o);
    g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_IAM], ==, "-o iam_password_file");
    options_release(&o);

    parse_ok(&o, ARGS("/mnt", "-o",
                      "iam-user=alice,iam-domain=acme corp,iam-password-file=/etc/viasfs/password,"
                      "region=cn-north-4,iam-endpoint=https://iam.example.com:4443"));
    check_iam_set(&o);
    options_release(&o);

    /* AK/SK, in every form. */
    {
        const char *const *cases[] = {
            ARGS("--credentials-file=/etc/viasfs/keys", "--project-id=p", "--region=ap-southeast-1",
                 "/mnt"),
            ARGS("--credentials-file", "/etc/viasfs/keys", "--project-id", "p", "--region",
                 "ap-southeast-1", "/mnt"),
            ARGS("-o", "credentials_file=/etc/viasfs/keys,project_id=p,region=ap-southeast-1",
                 "/mnt"),
            ARGS("-o", "credentials-file=/etc/viasfs/keys,project-id=p,region=ap-southeast-1",
                 "/mnt"),
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
            parse_ok(&o, cases[i]);
            g_assert_cmpstr(o.credentials_file, ==, "/etc/viasfs/keys");
            g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_AKSK);
            g_assert_cmpstr(o.endpoint, ==, "https://vias.ap-southeast-1.myhuaweicloud.com");
            g_assert_null(o.iam_endpoint); /* only IAM gets a default IAM endpoint */
            ready(&o);
            options_release(&o);
        }
    }

    /* The IAM endpoint defaults from the region; an endpoint given wins over the region's. */
    parse_ok(&o, ARGS("--iam-user=u", "--iam-domain=d", "--iam-password-file=/p",
                      "--region=cn-east-3", "--endpoint=http://127.0.0.1:8080", "/mnt"));
    g_assert_cmpstr(o.iam_endpoint, ==, "https://iam.cn-east-3.myhuaweicloud.com");
    g_assert_cmpstr(o.endpoint, ==, "http://127.0.0.1:8080");
    ready(&o);
    options_release(&o);
    parse_ok(&o, ARGS("http://src:1/v2/srcproj", "--region=cn-east-3", "/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "http://src:1");
    options_release(&o);

    /* IAM with a project id given is fine too. */
    parse_ok(&o, ARGS("--iam-user=u", "--iam-domain=d", "--iam-password-file=/p",
                      "--region=cn-east-3", "--project-id=p1", "/mnt"));
    g_assert_cmpstr(o.project_id, ==, "p1");
    ready(&o);
    options_release(&o);

    /* Relative credential paths are made absolute. */
    {
        g_autofree char *pw = cwd_path("pw"), *keys = cwd_path("keys");

        parse_ok(&o, ARGS("--iam-password-file=pw", "/mnt"));
        g_assert_cmpstr(o.iam_password_file, ==, pw);
        options_release(&o);
        parse_ok(&o, ARGS("-o", "credentials_file=./keys", "/mnt"));
        g_assert_cmpstr(o.credentials_file, ==, keys);
        options_release(&o);
    }
}

static void test_credential_env(void)
{
    struct options o;
    g_autofree char *rel = cwd_path("pw");

    env_clear();
    g_setenv("VIAS_IAM_USER", "alice", TRUE);
    g_setenv("VIAS_IAM_DOMAIN", "acme corp", TRUE);
    g_setenv("VIAS_IAM_PASSWORD_FILE", "/etc/viasfs/password", TRUE);
    g_setenv("VIAS_REGION", "cn-north-4", TRUE);
    g_setenv("VIAS_IAM_ENDPOINT", "https://iam.example.com:4443", TRUE);
    parse_ok(&o, ARGS("/mnt"));
    check_iam_set(&o);
    g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_IAM], ==, "VIAS_IAM_USER");
    options_release(&o);

    /* The command line wins, option by option; the same kind combines across layers. */
    parse_ok(&o, ARGS("--iam-user=bob", "--region=cn-east-3", "/mnt"));
    g_assert_cmpstr(o.iam_user, ==, "bob");
    g_assert_cmpstr(o.iam_domain, ==, "acme corp");
    g_assert_cmpstr(o.region, ==, "cn-east-3");
    g_assert_cmpstr(o.iam_endpoint, ==, "https://iam.example.com:4443");
    g_assert_cmpstr(o.endpoint, ==, "https://vias.cn-east-3.myhuaweicloud.com");
    g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_IAM], ==, "--iam-user");
    options_release(&o);

    g_setenv("VIAS_IAM_PASSWORD_FILE", "pw", TRUE);
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpstr(o.iam_password_file, ==, rel);
    options_release(&o);

    env_clear();
    g_setenv("VIAS_CREDENTIALS_FILE", "/etc/viasfs/keys", TRUE);
    g_setenv("VIAS_PROJECT_ID", "p", TRUE);
    g_setenv("VIAS_ENDPOINT", "https://vias.example.com", TRUE);
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpstr(o.credentials_file, ==, "/etc/viasfs/keys");
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_AKSK);
    g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_AKSK], ==, "VIAS_CREDENTIALS_FILE");
    ready(&o);
    options_release(&o);

    /* Bad values from the environment name the variable. */
    env_clear();
    g_setenv("VIAS_REGION", "CN North", TRUE);
    parse_fails(ARGS("/mnt"), "VIAS_REGION: \"CN North\" is not a region name like cn-north-4 "
                              "(lower-case letters, digits and '-')");
    env_clear();
    g_setenv("VIAS_IAM_ENDPOINT", "iam.example.com", TRUE);
    parse_fails(ARGS("/mnt"),
                "VIAS_IAM_ENDPOINT: \"iam.example.com\" is not a URL like https://HOST[:PORT]");
    env_clear();
    g_setenv("VIAS_IAM_USER", "a\tb", TRUE);
    parse_fails(ARGS("/mnt"), "VIAS_IAM_USER: \"a\\tb\" is not a name (up to 255 bytes of UTF-8, "
                              "no control characters)");
    env_clear();
}

/*
 * The kind of credential is chosen as a whole by the highest layer that names one; two kinds
 * in one layer are refused, naming both.
 */
static void test_credential_kinds(void)
{
    struct options o;

    env_clear();
    /* Two kinds on the command line. */
    parse_ok(&o, ARGS("http://h/v2/p", "--token-file=/t", "--credentials-file=/k", "/mnt"));
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_NONE);
    not_ready(&o, "two kinds of credential given: a token (--token-file) and AK/SK keys "
                  "(--credentials-file); give only one");
    options_release(&o);
    parse_ok(&o, ARGS("http://h/v2/p", "-o", "credentials_file=/k", "--iam-user=u", "/mnt"));
    not_ready(&o, "two kinds of credential given: an IAM password login (--iam-user) and AK/SK "
                  "keys (-o credentials_file); give only one");
    options_release(&o);

    /* Two kinds in the environment. */
    g_setenv("VIAS_TOKEN", "secret", TRUE);
    g_setenv("VIAS_IAM_PASSWORD_FILE", "/pw", TRUE);
    parse_ok(&o, ARGS("http://h/v2/p", "/mnt"));
    not_ready(&o, "two kinds of credential given: a token (VIAS_TOKEN) and an IAM password login "
                  "(VIAS_IAM_PASSWORD_FILE); give only one");
    options_release(&o);
    env_clear();
    g_setenv("VIAS_TOKEN_FILE", "/t", TRUE);
    g_setenv("VIAS_CREDENTIALS_FILE", "/k", TRUE);
    parse_ok(&o, ARGS("http://h/v2/p", "/mnt"));
    not_ready(&o, "two kinds of credential given: a token (VIAS_TOKEN_FILE) and AK/SK keys "
                  "(VIAS_CREDENTIALS_FILE); give only one");

    /* A kind on the command line hides the environment's other kinds. */
    options_release(&o);
    parse_ok(&o, ARGS("http://h/v2/p", "--iam-user=u", "/mnt"));
    g_assert_null(o.token_file);
    g_assert_null(o.credentials_file);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_IAM);
    not_ready(&o, "an IAM password login (--iam-user) also needs --iam-domain=ACCOUNT, "
                  "--iam-password-file=PATH and --region=NAME");
    options_release(&o);
    env_clear();
    g_setenv("VIAS_TOKEN", "secret", TRUE);
    parse_ok(&o, ARGS("http://h/v2/p", "--credentials-file=/k", "/mnt"));
    g_assert_null(o.token);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_AKSK);
    ready(&o);
    options_release(&o);
    /* ... but a region or an IAM endpoint alone names no kind. */
    parse_ok(&o, ARGS("http://h/v2/p", "--region=cn-north-4", "--iam-endpoint=http://iam", "/mnt"));
    g_assert_cmpstr(o.token, ==, "secret");
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_TOKEN);
    g_assert_cmpstr(o.iam_endpoint, ==, "http://iam"); /* kept, unused */
    ready(&o);
    options_release(&o);
    env_clear();

    /* IAM's missing parts, each named. */
    parse_ok(&o, ARGS("--iam-password-file=/p", "--iam-user=u", "--region=r1", "/mnt"));
    not_ready(&o, "an IAM password login (--iam-password-file) also needs --iam-domain=ACCOUNT");
    options_release(&o);
    parse_ok(&o, ARGS("-o", "iam_domain=d", "--endpoint=http://h", "/mnt"));
    not_ready(&o, "an IAM password login (-o iam_domain) also needs --iam-user=NAME, "
                  "--iam-password-file=PATH and --region=NAME");
    options_release(&o);
    /* Without a project id, a token or AK/SK is refused, IAM is not. */
    parse_ok(&o, ARGS("--credentials-file=/k", "--region=r1", "/mnt"));
    not_ready(&o, "no project id: pass --project-id=ID, set VIAS_PROJECT_ID, or give SOURCE as "
                  "http(s)://HOST[:PORT]/v2/PROJECT_ID");
    options_release(&o);
    parse_ok(&o, ARGS("--token-file=/t", "--region=r1", "/mnt"));
    not_ready(&o, "no project id: pass --project-id=ID, set VIAS_PROJECT_ID, or give SOURCE as "
                  "http(s)://HOST[:PORT]/v2/PROJECT_ID");
    options_release(&o);
    parse_ok(&o, ARGS("--iam-password-file=/p", "--iam-user=u", "--iam-domain=d", "--region=r1",
                      "/mnt"));
    ready(&o);
    g_assert_cmpstr(o.endpoint, ==, "https://vias.r1.myhuaweicloud.com");
    g_assert_cmpstr(o.iam_endpoint, ==, "https://iam.r1.myhuaweicloud.com");
    options_release(&o);
}

static void test_credential_values(void)
{
    g_autofree char *n255 = g_strnfill(255, 'n'), *n256 = g_strnfill(256, 'n');
    g_autofree char *a255 = g_strconcat("--iam-user=", n255, NULL);
    g_autofree char *a256 = g_strconcat("--iam-user=", n256, NULL);
    g_autofree char *want256 = g_strdup_printf(
        "--iam-user: \"%s\" is not a name (up to 255 bytes of UTF-8, no control characters)", n256);
    g_autofree char *r63 = g_strnfill(63, 'r'), *r64 = g_strnfill(64, 'r');
    g_autofree char *ar63 = g_strconcat("--region=", r63, NULL);
    g_autofree char *ar64 = g_strconcat("--region=", r64, NULL);
    struct options o;

    env_clear();
    parse_ok(&o, ARGS(a255, "--iam-domain=Zoë & Co. 株式会社", ar63, "/mnt"));
    g_assert_cmpstr(o.iam_user, ==, n255);
    g_assert_cmpstr(o.iam_domain, ==, "Zoë & Co. 株式会社");
    g_assert_cmpstr(o.region, ==, r63);
    options_release(&o);
    parse_fails(ARGS(a256, "/mnt"), want256);
    {
        g_autofree char *want = g_strdup_printf("--region: \"%s\" is not a region name like "
                                                "cn-north-4 (lower-case letters, digits and '-')",
                                                r64);
        parse_fails(ARGS(ar64, "/mnt"), want);
    }
    static const char *const bad_regions[] = {"-cn",        "cn-",      "cn_north",
                                              "CN-north-4", "cn.north", "cn/4"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad_regions); i++) {
        g_autofree char *arg = g_strconcat("--region=", bad_regions[i], NULL);
        g_autofree char *want = g_strdup_printf("--region: \"%s\" is not a region name like "
                                                "cn-north-4 (lower-case letters, digits and '-')",
                                                bad_regions[i]);
        parse_fails(ARGS(arg, "/mnt"), want);
    }
    parse_fails(ARGS("-o", "iam_domain=a\001b", "/mnt"),
                "-o iam_domain: \"a\\001b\" is not a name (up to 255 bytes of UTF-8, no control "
                "characters)");
    parse_fails(ARGS("--iam-user=\xff", "/mnt"),
                "--iam-user: \"\\377\" is not a name (up to 255 bytes of UTF-8, no control "
                "characters)");
    parse_fails(ARGS("--iam-endpoint=ftp://iam", "/mnt"),
                "--iam-endpoint: \"ftp://iam\" is not a URL like https://HOST[:PORT]");
    parse_fails(ARGS("--iam-user=", "/mnt"), "--iam-user: the value is empty");
    parse_fails(ARGS("-o", "credentials_file=", "/mnt"), "-o credentials_file: the value is empty");
    parse_fails(ARGS("/mnt", "--iam-password-file"), "--iam-password-file needs a value");
    parse_fails(ARGS("-o", "region", "/mnt"), "-o region needs a value");
    parse_fails(ARGS("--iam_user=u", "/mnt"),
                "unknown option --iam_user (did you mean --iam-user?)");
}

#define PASSWORD_REFUSAL                                                                           \
    "a password on the command line is visible to every user (ps, /proc); put it in a file "       \
    "readable only by you and pass --iam-password-file=PATH"
#define SK_REFUSAL                                                                                 \
    "a secret key on the command line is visible to every user (ps, /proc); put the access key "   \
    "and secret key in a file readable only by you and pass --credentials-file=PATH"
#define ST_REFUSAL                                                                                 \
    "a security token on the command line is visible to every user (ps, /proc); put it in the "    \
    "credentials file with the access key and secret key and pass --credentials-file=PATH"
#define AK_REFUSAL "the access key goes in a file with the secret key: pass --credentials-file=PATH"

static void test_secrets_refused(void)
{
    static const struct {
        const char *arg, *label, *refusal;
    } cases[] = {
        {"--password=pw", "--password", PASSWORD_REFUSAL},
        {"--iam-password=pw", "--iam-password", PASSWORD_REFUSAL},
        {"--iam_password=pw", "--iam_password", PASSWORD_REFUSAL},
        {"--secret-key=sk", "--secret-key", SK_REFUSAL},
        {"--sk=sk", "--sk", SK_REFUSAL},
        {"--secret-access-key=sk", "--secret-access-key", SK_REFUSAL},
        {"--secret_access_key=sk", "--secret_access_key", SK_REFUSAL},
        {"--security-token=st", "--security-token", ST_REFUSAL},
        {"--access-key=ak", "--access-key", AK_REFUSAL},
        {"--ak=ak", "--ak", AK_REFUSAL},
    };
    static const struct {
        const char *list, *label, *refusal;
    } o_cases[] = {
        {"password=pw", "-o password", PASSWORD_REFUSAL},
        {"allow_other,iam_password=pw", "-o iam_password", PASSWORD_REFUSAL},
        {"iam-password=pw", "-o iam-password", PASSWORD_REFUSAL},
        {"secret_key=sk", "-o secret_key", SK_REFUSAL},
        {"sk=sk", "-o sk", SK_REFUSAL},
        {"secret_access_key=sk", "-o secret_access_key", SK_REFUSAL},
        {"security_token=st", "-o security_token", ST_REFUSAL},
        {"security-token", "-o security-token", ST_REFUSAL},
        {"ak=x", "-o ak", AK_REFUSAL},
    };

    env_clear();
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *want = g_strdup_printf("%s: %s", cases[i].label, cases[i].refusal);
        parse_fails(ARGS(cases[i].arg, "/mnt"), want);
    }
    /* "--password pw": refused before the value is taken. */
    parse_fails(ARGS("--password", "pw", "/mnt"), "--password: " PASSWORD_REFUSAL);
    for (size_t i = 0; i < G_N_ELEMENTS(o_cases); i++) {
        g_autofree char *want = g_strdup_printf("%s: %s", o_cases[i].label, o_cases[i].refusal);
        parse_fails(ARGS("-o", o_cases[i].list, "/mnt"), want);
    }
}

static void test_log_level(void)
{
    static const struct {
        const char *name;
        enum log_level level;
    } levels[] = {{"error", LOG_LEVEL_ERROR},
                  {"warn", LOG_LEVEL_WARN},
                  {"warning", LOG_LEVEL_WARN},
                  {"info", LOG_LEVEL_INFO},
                  {"debug", LOG_LEVEL_DEBUG}};
    struct options o;

    env_clear();
    for (size_t i = 0; i < G_N_ELEMENTS(levels); i++) {
        g_autofree char *arg = g_strconcat("--log-level=", levels[i].name, NULL);
        g_autofree char *o_arg = g_strconcat("log_level=", levels[i].name, NULL);

        parse_ok(&o, ARGS(arg, "/mnt"));
        g_assert_cmpint(o.log_level, ==, levels[i].level);
        g_assert_false(o.debug);
        options_release(&o);
        parse_ok(&o, ARGS("-o", o_arg, "/mnt"));
        g_assert_cmpint(o.log_level, ==, levels[i].level);
        options_release(&o);
    }
    g_assert_cmpstr(log_level_name(LOG_LEVEL_WARN), ==, "warn");
    g_assert_cmpstr(log_level_name(LOG_LEVEL_DEBUG), ==, "debug");
    /* -d and -o debug imply debug, whatever --log-level says. */
    parse_ok(&o, ARGS("--log-level=error", "-d", "/mnt"));
    g_assert_cmpint(o.log_level, ==, LOG_LEVEL_DEBUG);
    options_release(&o);
    parse_ok(&o, ARGS("-o", "debug", "/mnt"));
    g_assert_cmpint(o.log_level, ==, LOG_LEVEL_DEBUG);
    options_release(&o);
    parse_ok(&o, ARGS("-f", "/mnt"));
    g_assert_cmpint(o.log_level, ==, LOG_LEVEL_WARN);
    options_release(&o);
    parse_fails(ARGS("--log-level=DEBUG", "/mnt"),
                "--log-level: \"DEBUG\" is not a log level (error, warn, info or debug)");
    parse_fails(ARGS("-o", "log-level=verbose", "/mnt"),
                "-o log-level: \"verbose\" is not a log level (error, warn, info or debug)");
    parse_fails(ARGS("--log-level=", "/mnt"), "--log-level: the value is empty");
    parse_fails(ARGS("/mnt", "--log-level"), "--log-level needs a value");
}

static void test_usage(void)
{
    const char *u = options_usage();
    /* Whole lines, in this order (the table's order). */
    static const char *const rows[] = {
        "\nWhere the tasks are:\n",
        "  --endpoint=URL            API endpoint, https://HOST[:PORT] (default\n"
        "                            https://vias.REGION.myhuaweicloud.com with --region;\n"
        "                            env VIAS_ENDPOINT)\n",
        "  --project-id=ID           project whose tasks are shown (default from the\n"
        "                            token with IAM; env VIAS_PROJECT_ID)\n",
        "  --region=NAME             region, such as cn-north-4 (env VIAS_REGION)\n",
        "\nCredentials: one kind; secrets are read from files, never from the command line:\n",
        "  --token-file=PATH         file holding a ready X-Auth-Token, re-read when it\n"
        "                            changes (env VIAS_TOKEN_FILE); or the token itself\n"
        "                            in env VIAS_TOKEN\n",
        "  --iam-user=NAME           IAM password login: the user name (env\n"
        "                            VIAS_IAM_USER); also needs --iam-domain,\n"
        "                            --iam-password-file and --region\n",
        "  --iam-domain=ACCOUNT      the account the IAM user belongs to (env\n"
        "                            VIAS_IAM_DOMAIN)\n",
        "  --iam-password-file=PATH  file holding the IAM user's password (env\n"
        "                            VIAS_IAM_PASSWORD_FILE)\n",
        "  --iam-endpoint=URL        IAM endpoint (default\n"
        "                            https://iam.REGION.myhuaweicloud.com; env\n"
        "                            VIAS_IAM_ENDPOINT)\n",
        "  --credentials-file=PATH   AK/SK signing: file holding the access key and\n"
        "                            secret key (env VIAS_CREDENTIALS_FILE)\n",
        "\nFreshness and requests:\n",
        "  --ttl=SECONDS             cache lifetime, 0..86400 (default 30)\n",
        "  --refresh=SECONDS         refresh period, 0 = off, 0..86400 (default 5)\n",
        "  --page-size=N             tasks per list request, 5..1000 (default 1000)\n",
        "  --timeout=SECONDS         deadline of one file operation, 1..3600 (default 10)\n",
        "  --max-requests=N          API requests at once, 1..256 (default 8)\n",
        "  --cacert=PATH             CA certificates (PEM) to trust (default system)\n",
        "  --insecure                skip TLS certificate checks\n",
        "\nWhat is shown:\n",
        "  --show-secrets            show task passwords and header values, not \"***\"\n",
        "  --no-inotify              no inotify events for remote changes\n",
        "\nConfiguration and logs:\n",
        "  --config=PATH             config file (default ~/.config/viasfs/config);\n"
        "                            $XDG_CONFIG_HOME replaces ~/.config if set\n",
        "  --log=TARGET              stderr, syslog or a file path (default stderr)\n",
        "  --log-level=LEVEL         error, warn, info or debug (default warn)\n",
        "\nOther:\n",
        "  -h, --help                print this help and exit\n",
        "  -V, --version             print the version and exit\n",
        "  -f                        stay in the foreground\n",
        "  -d                        FUSE and HTTP traces; implies -f, --log-level=debug\n",
    };
    g_auto(GStrv) lines = g_strsplit(u, "\n", -1);
    const char *prev = NULL;

    g_assert_true(g_str_has_prefix(u, "Usage: viasfs [OPTIONS] [SOURCE] MOUNTPOINT\n"));
    g_assert_true(options_usage() == u); /* static storage */
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        const char *at = strstr(u, rows[i]);

        if (!at)
            g_error("usage lacks the row: %s\n--- the usage:\n%s", rows[i], u);
        g_assert_true(!prev || at > prev); /* in this order */
        prev = at;
    }
    for (guint i = 0; lines[i]; i++)
        if (strlen(lines[i]) > 80)
            g_error("usage line over 80 columns: %s", lines[i]);
    g_assert_nonnull(strstr(u, "-o name=VALUE"));
    g_assert_nonnull(strstr(u, "_netdev"));
}

static void test_release(void)
{
    struct options o;
    struct options zero;

    env_clear();
    g_setenv("VIAS_TOKEN", "secret", TRUE);
    parse_ok(&o, ARGS("-o", "allow_other", "viasfs", "/mnt", "--cacert=/ca"));
    g_assert_cmpstr(o.token, ==, "secret");
    options_release(&o);
    memset(&zero, 0, sizeof(zero));
    g_assert_true(memcmp(&o, &zero, sizeof(o)) == 0);
    options_release(&o); /* twice is harmless */
    env_clear();
}

/* --cache-dir: the XDG default, else ~/.cache; none; relative made absolute; env and -o. */
static void test_cache_dir(void)
{
    struct options o;
    g_autofree char *rel = cwd_path("snaps");
    g_autofree char *saved_xdg = g_strdup(g_getenv("XDG_CACHE_HOME"));
    g_autofree char *saved_home = g_strdup(g_getenv("HOME"));

    env_clear();
    g_setenv("XDG_CACHE_HOME", "/xdg/cache", TRUE);
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpstr(o.cache_dir, ==, "/xdg/cache/viasfs");
    options_release(&o);
    g_setenv("XDG_CACHE_HOME", "relative/not/used", TRUE); /* not absolute: ignored */
    g_setenv("HOME", "/home/u", TRUE);
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpstr(o.cache_dir, ==, "/home/u/.cache/viasfs");
    options_release(&o);
    parse_ok(&o, ARGS("--cache-dir=none", "/mnt"));
    g_assert_null(o.cache_dir);
    options_release(&o);
    parse_ok(&o, ARGS("-o", "cache_dir=snaps", "/mnt"));
    g_assert_cmpstr(o.cache_dir, ==, rel);
    options_release(&o);
    g_setenv("VIAS_CACHE_DIR", "none", TRUE);
    parse_ok(&o, ARGS("/mnt"));
    g_assert_null(o.cache_dir);
    options_release(&o);
    parse_ok(&o, ARGS("--cache-dir", "/c", "/mnt")); /* the command line wins */
    g_assert_cmpstr(o.cache_dir, ==, "/c");
    options_release(&o);
    parse_fails(ARGS("--cache-dir=", "/mnt"), "--cache-dir: the value is empty");
    env_clear();
    if (saved_xdg)
        g_setenv("XDG_CACHE_HOME", saved_xdg, TRUE);
    else
        g_unsetenv("XDG_CACHE_HOME");
    if (saved_home)
        g_setenv("HOME", saved_home, TRUE);
}

int main(int argc, char **argv)
{
    g_autofree char *home = g_dir_make_tmp("test_options.XXXXXX", NULL);
    int rc;

    /* No config file of the machine's may take part: both default places are empty. */
    g_assert_nonnull(home);
    g_setenv("HOME", home, TRUE);
    g_setenv("XDG_CONFIG_HOME", home, TRUE);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/options/defaults", test_defaults);
    g_test_add_func("/options/long-equals", test_long_equals);
    g_test_add_func("/options/long-separate", test_long_separate);
    g_test_add_func("/options/o-underscores", test_o_underscores);
    g_test_add_func("/options/o-dashes", test_o_dashes);
    g_test_add_func("/options/allow-control", test_allow_control);
    g_test_add_func("/options/last-wins", test_last_wins);
    g_test_add_func("/options/flags", test_flags);
    g_test_add_func("/options/help-version", test_help_version);
    g_test_add_func("/options/o-mixing", test_o_mixing);
    g_test_add_func("/options/env", test_env);
    g_test_add_func("/options/env-precedence", test_env_precedence);
    g_test_add_func("/options/source", test_source);
    g_test_add_func("/options/token-refused", test_token_refused);
    g_test_add_func("/options/numbers", test_numbers);
    g_test_add_func("/options/errors", test_errors);
    g_test_add_func("/options/project-id-limits", test_project_id_limits);
    g_test_add_func("/options/positional", test_positional);
    g_test_add_func("/options/paths", test_paths);
    g_test_add_func("/options/check-ready", test_check_ready);
    g_test_add_func("/options/credential-forms", test_credential_forms);
    g_test_add_func("/options/credential-env", test_credential_env);
    g_test_add_func("/options/credential-kinds", test_credential_kinds);
    g_test_add_func("/options/credential-values", test_credential_values);
    g_test_add_func("/options/secrets-refused", test_secrets_refused);
    g_test_add_func("/options/log-level", test_log_level);
    g_test_add_func("/options/usage", test_usage);
    g_test_add_func("/options/release", test_release);
    g_test_add_func("/options/cache-dir", test_cache_dir);
    rc = g_test_run();
    g_rmdir(home);
    return rc;
}
