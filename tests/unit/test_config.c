/*
 * Unit tests: the config file. config_load's reading of a GLib key file (comments, blanks,
 * CRLF, escapes) and every refusal with its file and line; then the file as options_parse's
 * lowest layer: every key, the precedence command line > environment > config file >
 * defaults, paths relative to the file, the default place ($XDG_CONFIG_HOME, else
 * ~/.config), --config, secrets refused, and how the kind of credential is chosen across
 * layers. Every expected value and message is exact.
 */
#include "viasfs/config.h"
#include "viasfs/options.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#define ARGS(...) ((const char *const[]){"viasfs", __VA_ARGS__, NULL})

static char *tmp_dir; /* a fresh directory for this run; HOME and XDG_CONFIG_HOME point here */

static const char *const env_names[] = {
    "VIAS_ENDPOINT",     "VIAS_PROJECT_ID",      "VIAS_TOKEN_FILE", "VIAS_TOKEN",
    "VIAS_IAM_ENDPOINT", "VIAS_IAM_USER",        "VIAS_IAM_DOMAIN", "VIAS_IAM_PASSWORD_FILE",
    "VIAS_REGION",       "VIAS_CREDENTIALS_FILE"};

static void env_clear(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(env_names); i++)
        g_unsetenv(env_names[i]);
    g_setenv("HOME", tmp_dir, TRUE);
    g_setenv("XDG_CONFIG_HOME", tmp_dir, TRUE);
}

/* Writes @text (@len bytes, or all of it when -1) to tmp_dir/@name; returns the path. */
static char *write_file(const char *name, const char *text, gssize len)
{
    char *path = g_build_filename(tmp_dir, name, NULL);
    g_autofree char *dir = g_path_get_dirname(path);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path, text, len, NULL));
    return path;
}

static void entry_is(const struct config *c, guint i, const char *key, const char *value, int line)
{
    const struct config_entry *e;

    g_assert_cmpuint(i, <, c->entries->len);
    e = g_ptr_array_index(c->entries, i);
    g_assert_cmpstr(e->key, ==, key);
    g_assert_cmpstr(e->value, ==, value);
    g_assert_cmpint(e->line, ==, line);
}

static void test_load(void)
{
    g_autofree char *path = write_file("load.conf",
                                       "# a comment\n"
                                       "\n"
                                       "  [viasfs]  \n"
                                       "endpoint=https://a.example.com\n"
                                       "   ttl   =   60   \r\n"
                                       "\t# indented comment\n"
                                       "log = \\s./leading space\n"
                                       "[viasfs]\n"
                                       "iam-domain = tab\\there\n"
                                       "show_secrets=true",
                                       -1);
    struct config *c = NULL;
    char *why = NULL;

    g_assert_cmpint(config_load(path, &c, &why), ==, 0);
    g_assert_null(why);
    g_assert_cmpstr(c->path, ==, path);
    g_assert_cmpuint(c->entries->len, ==, 5);
    entry_is(c, 0, "endpoint", "https://a.example.com", 4);
    entry_is(c, 1, "ttl", "60", 5);
    entry_is(c, 2, "log", "./leading space", 7); /* \s is a space, then ends are trimmed */
    entry_is(c, 3, "iam-domain", "tab\there", 9);
    entry_is(c, 4, "show_secrets", "true", 10);
    config_free(c);
    config_free(NULL);

    /* Empty files and comments alone have no entries. */
    {
        g_autofree char *empty = write_file("empty.conf", "", 0);
        g_autofree char *comments = write_file("comments.conf", "# nothing\n\n[viasfs]\n", -1);

        g_assert_cmpint(config_load(empty, &c, &why), ==, 0);
        g_assert_cmpuint(c->entries->len, ==, 0);
        config_free(c);
        g_assert_cmpint(config_load(comments, &c, &why), ==, 0);
        g_assert_cmpuint(c->entries->len, ==, 0);
        config_free(c);
    }
}

/* Asserts that a file holding @text is refused with -@err and exactly "PATH@want". */
static void load_fails(const char *text, gssize len, int err, const char *want)
{
    g_autofree char *path = write_file("bad.conf", text, len);
    g_autofree char *full = g_strconcat(path, want, NULL);
    struct config *c = (struct config *)&c; /* must be set to NULL */
    g_autofree char *why = NULL;

    g_assert_cmpint(config_load(path, &c, &why), ==, -err);
    g_assert_null(c);
    g_assert_cmpstr(why, ==, full);
}

static void test_load_errors(void)
{
    g_autofree char *missing = g_build_filename(tmp_dir, "no-such.conf", NULL);
    g_autofree char *want_missing = g_strconcat(missing, ": No such file or directory", NULL);
    g_autofree char *want_dir = g_strconcat(tmp_dir, ": Is a directory", NULL);
    g_autofree char *big = g_strnfill(64 * 1024 + 1, '#');
    struct config *c = NULL;
    char *why = NULL;

    g_assert_cmpint(config_load(missing, &c, &why), ==, -ENOENT);
    g_assert_cmpstr(why, ==, want_missing);
    g_clear_pointer(&why, g_free);
    g_assert_cmpint(config_load(tmp_dir, &c, &why), ==, -EISDIR);
    g_assert_cmpstr(why, ==, want_dir);
    g_clear_pointer(&why, g_free);
    g_assert_null(c);

    load_fails(big, -1, EFBIG, ": bigger than 64 KiB: this is not a viasfs config file");
    /* A device that never ends is refused after 64 KiB, not read forever. */
    g_assert_cmpint(config_load("/dev/zero", &c, &why), ==, -EFBIG);
    g_assert_cmpstr(why, ==, "/dev/zero: bigger than 64 KiB: this is not a viasfs config file");
    g_clear_pointer(&why, g_free);
    big[64 * 1024] = '\0'; /* exactly 64 KiB of comment is fine */
    {
        g_autofree char *path = write_file("big.conf", big, -1);
        g_assert_cmpint(config_load(path, &c, &why), ==, 0);
        config_free(c);
    }
    load_fails("[viasfs]\nttl=1\nx\0y\n", 18, EINVAL, ":3: a NUL byte: this is not a text file");
    load_fails("[viasfs]\nlog=caf\xe9\n", -1, EINVAL, ":2: the line is not valid UTF-8");
    load_fails("[viasfs]\n\n# ok\ngarbage here\n", -1, EINVAL,
               ":4: \"garbage here\" is not \"key = value\", a [group] or a # comment");
    load_fails("[viasfs]\n  = 5\n", -1, EINVAL, ":2: no key before '='");
    load_fails("# first\nttl = 5\n[viasfs]\n", -1, EINVAL,
               ":2: key \"ttl\" comes before the [viasfs] line");
    load_fails("[viasfs]\nttl=5\n[mount /mnt]\n", -1, EINVAL,
               ":3: unknown group \"mount /mnt\" (the only group is [viasfs])");
    load_fails("[viasfs]\n[viasfs] x\n", -1, EINVAL,
               ":2: \"[viasfs] x\" is not \"key = value\", a [group] or a # comment");
    load_fails("[viasfs]\nttl=5\n\nttl=6\n", -1, EINVAL,
               ":4: key \"ttl\" is set twice (first on line 2)");
    load_fails("[viasfs]\npage-size=5\n[viasfs]\npage_size=6\n", -1, EINVAL,
               ":4: key \"page_size\" is set twice (first on line 2)");
    /* GKeyFile's own complaint about a value, at the value's line. */
    {
        g_autofree char *path = write_file("esc.conf", "[viasfs]\nttl=1\nlog=a\\qb\n", -1);
        g_autofree char *prefix = g_strconcat(path, ":3: key \"log\": ", NULL);

        g_assert_cmpint(config_load(path, &c, &why), ==, -EINVAL);
        g_assert_true(g_str_has_prefix(why, prefix));
        g_clear_pointer(&why, g_free);
    }
}

static void test_default_path(void)
{
    g_autofree char *xdg = g_build_filename(tmp_dir, "viasfs", "config", NULL);
    g_autofree char *home = g_build_filename(tmp_dir, ".config", "viasfs", "config", NULL);
    g_autofree char *p1 = NULL, *p2 = NULL, *p3 = NULL;

    env_clear();
    p1 = config_default_path();
    g_assert_cmpstr(p1, ==, xdg);
    g_unsetenv("XDG_CONFIG_HOME");
    p2 = config_default_path();
    g_assert_cmpstr(p2, ==, home);
    g_setenv("XDG_CONFIG_HOME", "relative/dir", TRUE); /* not absolute: ignored, as XDG says */
    p3 = config_default_path();
    g_assert_cmpstr(p3, ==, home);
    env_clear();
}

static void parse_ok(struct options *o, const char *const *args)
{
    g_auto(GStrv) argv = g_strdupv((char **)args);
    g_autofree char *why = NULL;

    if (options_parse(o, (int)g_strv_length(argv), argv, &why) != 0)
        g_error("options_parse failed: %s", why);
}

static void parse_fails(const char *const *args, const char *want)
{
    g_auto(GStrv) argv = g_strdupv((char **)args);
    g_autofree char *why = NULL;
    struct options o;

    g_assert_cmpint(options_parse(&o, (int)g_strv_length(argv), argv, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, want);
    g_assert_null(o.fuse_argv);
}

/* --config=PATH, as an argument (static storage, overwritten by the next call). */
static const char *config_arg(const char *path)
{
    static char *arg;

    g_free(arg);
    arg = g_strconcat("--config=", path, NULL);
    return arg;
}

static void test_every_key(void)
{
    g_autofree char *path = write_file("sub/all.conf",
                                       "[viasfs]\n"
                                       "endpoint = https://vias.example.com:8443\n"
                                       "project_id = 0a1b2c3d\n"
                                       "token-file = /etc/viasfs/token\n"
                                       "ttl = 0\n"
                                       "refresh = 86400\n"
                                       "page-size = 5\n"
                                       "timeout = 3600\n"
                                       "max_requests = 256\n"
                                       "max-rate = 0\n"
                                       "idle_after = 5\n"
                                       "idle-refresh = 3600\n"
                                       "log = syslog\n"
                                       "log-level = info\n"
                                       "cacert = certs/ca.pem\n"
                                       "show-secrets = true\n"
                                       "insecure = yes\n"
                                       "no_inotify = ON\n"
                                       "allow_control = true\n",
                                       -1);
    g_autofree char *ca = g_build_filename(tmp_dir, "sub", "certs", "ca.pem", NULL);
    struct options o;

    env_clear();
    parse_ok(&o, ARGS(config_arg(path), "/mnt"));
    g_assert_cmpstr(o.config_file, ==, path);
    g_assert_cmpstr(o.endpoint, ==, "https://vias.example.com:8443");
    g_assert_cmpstr(o.project_id, ==, "0a1b2c3d");
    g_assert_cmpstr(o.token_file, ==, "/etc/viasfs/token");
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_TOKEN);
    {
        g_autofree char *given = g_strdup_printf("token-file at %s:4", path);
        g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_TOKEN], ==, given);
    }
    g_assert_cmpint(o.ttl, ==, 0);
    g_assert_cmpint(o.refresh, ==, 86400);
    g_assert_cmpint(o.page_size, ==, 5);
    g_assert_cmpint(o.timeout, ==, 3600);
    g_assert_cmpint(o.max_requests, ==, 256);
    g_assert_cmpint(o.max_rate, ==, 0);
    g_assert_cmpint(o.idle_after, ==, 5);
    g_assert_cmpint(o.idle_refresh, ==, 3600);
    g_assert_cmpstr(o.log_target, ==, "syslog");
    g_assert_cmpint(o.log_level, ==, LOG_LEVEL_INFO);
    g_assert_cmpstr(o.cacert, ==, ca); /* relative to the config file's directory */
    g_assert_true(o.show_secrets && o.insecure && o.no_inotify && o.allow_control);
    options_release(&o);

    /* The credential keys, and false flags. */
    {
        g_autofree char *iam = write_file("iam.conf",
                                          "[viasfs]\n"
                                          "iam_user = alice\n"
                                          "iam_domain = acme corp\n"
                                          "iam_password_file = secret/pw\n"
                                          "region = cn-north-4\n"
                                          "iam_endpoint = https://iam.example.com\n"
                                          "show-secrets = false\n"
                                          "insecure = 0\n"
                                          "no-inotify = off\n",
                                          -1);
        g_autofree char *pw = g_build_filename(tmp_dir, "secret", "pw", NULL);
        g_autofree char *given = g_strdup_printf("iam_user at %s:2", iam);
        g_autofree char *why = NULL;

        parse_ok(&o, ARGS(config_arg(iam), "/mnt"));
        g_assert_cmpstr(o.iam_user, ==, "alice");
        g_assert_cmpstr(o.iam_domain, ==, "acme corp");
        g_assert_cmpstr(o.iam_password_file, ==, pw);
        g_assert_cmpstr(o.region, ==, "cn-north-4");
        g_assert_cmpstr(o.iam_endpoint, ==, "https://iam.example.com");
        g_assert_cmpstr(o.endpoint, ==, "https://vias.cn-north-4.myhuaweicloud.com");
        g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_IAM);
        g_assert_cmpstr(o.auth_given[OPTIONS_AUTH_IAM], ==, given);
        g_assert_false(o.show_secrets || o.insecure || o.no_inotify);
        g_assert_cmpint(options_check_ready(&o, &why), ==, 0);
        options_release(&o);
    }
    {
        g_autofree char *ak = write_file("aksk.conf", "[viasfs]\ncredentials-file=keys.csv\n", -1);
        g_autofree char *keys = g_build_filename(tmp_dir, "keys.csv", NULL);

        parse_ok(&o, ARGS(config_arg(ak), "-o", "project_id=p", "/mnt"));
        g_assert_cmpstr(o.credentials_file, ==, keys);
        g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_AKSK);
        options_release(&o);
    }
}

static void test_precedence(void)
{
    g_autofree char *path = write_file("prec.conf",
                                       "[viasfs]\n"
                                       "endpoint = https://config.example.com\n"
                                       "project-id = configproj\n"
                                       "ttl = 11\n"
                                       "refresh = 12\n"
                                       "insecure = false\n"
                                       "log-level = error\n",
                                       -1);
    const char *cfg = NULL;
    struct options o;

    env_clear();
    cfg = config_arg(path);
    /* The config file over the defaults. */
    parse_ok(&o, ARGS(cfg, "/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "https://config.example.com");
    g_assert_cmpstr(o.project_id, ==, "configproj");
    g_assert_cmpint(o.ttl, ==, 11);
    g_assert_cmpint(o.refresh, ==, 12);
    g_assert_cmpint(o.timeout, ==, 10); /* not in the file: the default */
    g_assert_cmpint(o.log_level, ==, LOG_LEVEL_ERROR);
    options_release(&o);

    /* The environment over the config file. */
    g_setenv("VIAS_ENDPOINT", "https://env.example.com", TRUE);
    parse_ok(&o, ARGS(cfg, "/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "https://env.example.com");
    g_assert_cmpstr(o.project_id, ==, "configproj");
    options_release(&o);

    /* The command line over both, option by option, in every form. */
    parse_ok(&o, ARGS(cfg, "--endpoint=https://cli.example.com", "-o", "ttl=21", "--insecure",
                      "--log-level", "debug", "/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "https://cli.example.com");
    g_assert_cmpstr(o.project_id, ==, "configproj");
    g_assert_cmpint(o.ttl, ==, 21);
    g_assert_cmpint(o.refresh, ==, 12);
    g_assert_true(o.insecure);
    g_assert_cmpint(o.log_level, ==, LOG_LEVEL_DEBUG);
    options_release(&o);

    /* SOURCE is the command line too. */
    parse_ok(&o, ARGS(cfg, "http://src:1/v2/srcproj", "/mnt"));
    g_assert_cmpstr(o.endpoint, ==, "http://src:1");
    g_assert_cmpstr(o.project_id, ==, "srcproj");
    options_release(&o);

    /* -d wins over the file's log level. */
    parse_ok(&o, ARGS(cfg, "-d", "/mnt"));
    g_assert_cmpint(o.log_level, ==, LOG_LEVEL_DEBUG);
    options_release(&o);

    /* A bad value in the file is an error even where a higher layer overrides it. */
    {
        g_autofree char *bad = write_file("bad-ttl.conf", "[viasfs]\n\nttl = soon\n", -1);
        g_autofree char *want =
            g_strdup_printf("%s:3: ttl: \"soon\" is not a number of seconds (0..86400)", bad);
        parse_fails(ARGS(config_arg(bad), "--ttl=5", "/mnt"), want);
    }
    env_clear();
}

static void test_default_file(void)
{
    g_autofree char *xdg = write_file("viasfs/config", "[viasfs]\nttl = 41\n", -1);
    g_autofree char *home = write_file(".config/viasfs/config", "[viasfs]\nttl = 42\n", -1);
    g_autofree char *other = write_file("other.conf", "[viasfs]\nttl = 43\n", -1);
    g_autofree char *missing = g_build_filename(tmp_dir, "missing.conf", NULL);
    g_autofree char *want = g_strdup_printf("--config: %s: No such file or directory", missing);
    struct options o;

    env_clear();
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpint(o.ttl, ==, 41);
    g_assert_cmpstr(o.config_file, ==, xdg);
    options_release(&o);

    g_unsetenv("XDG_CONFIG_HOME");
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpint(o.ttl, ==, 42);
    g_assert_cmpstr(o.config_file, ==, home);
    options_release(&o);

    /* --config replaces the default file; -o config= too (fstab). */
    parse_ok(&o, ARGS(config_arg(other), "/mnt"));
    g_assert_cmpint(o.ttl, ==, 43);
    options_release(&o);
    {
        g_autofree char *item = g_strconcat("config=", other, NULL);
        parse_ok(&o, ARGS("-o", item, "/mnt"));
        g_assert_cmpint(o.ttl, ==, 43);
        g_assert_cmpstr(o.config_file, ==, other);
        options_release(&o);
    }
    /* /dev/null reads as an empty file: no config at all. */
    parse_ok(&o, ARGS("--config=/dev/null", "/mnt"));
    g_assert_cmpint(o.ttl, ==, 30);
    options_release(&o);

    /* A missing default file is fine; a missing --config file is not. */
    g_assert_cmpint(g_unlink(xdg), ==, 0);
    g_assert_cmpint(g_unlink(home), ==, 0);
    env_clear();
    parse_ok(&o, ARGS("/mnt"));
    g_assert_cmpint(o.ttl, ==, 30);
    g_assert_null(o.config_file);
    options_release(&o);
    parse_fails(ARGS(config_arg(missing), "/mnt"), want);

    /* A broken default file is an error, but not for --help or --version. */
    {
        g_autofree char *broken = write_file("viasfs/config", "[viasfs]\nttl = forever\n", -1);
        g_autofree char *want_broken =
            g_strdup_printf("%s:2: ttl: \"forever\" is not a number of seconds (0..86400)", broken);

        parse_fails(ARGS("/mnt"), want_broken);
        parse_ok(&o, ARGS("--help"));
        g_assert_true(o.show_help);
        g_assert_null(o.config_file);
        options_release(&o);
        parse_ok(&o, ARGS("-V", "/mnt"));
        options_release(&o);
        g_assert_cmpint(g_unlink(broken), ==, 0);
    }
    /* The shape errors of config_load come through whole. */
    {
        g_autofree char *shape = write_file("shape.conf", "ttl = 1\n", -1);
        g_autofree char *want_shape =
            g_strdup_printf("%s:1: key \"ttl\" comes before the [viasfs] line", shape);
        parse_fails(ARGS(config_arg(shape), "/mnt"), want_shape);
    }
}

/* The file at tmp_dir/keys.conf holding "[viasfs]\n@line\n" is refused with "PATH:2: @want". */
static void key_fails(const char *line, const char *want)
{
    g_autofree char *text = g_strdup_printf("[viasfs]\n%s\n", line);
    g_autofree char *path = write_file("keys.conf", text, -1);
    g_autofree char *full = g_strdup_printf("%s:2: %s", path, want);

    parse_fails(ARGS(config_arg(path), "/mnt"), full);
}

#define NO_SECRETS "secrets are not read from the config file; "

static void test_bad_keys(void)
{
    env_clear();
    key_fails("allow_other = true",
              "unknown key \"allow_other\" (the keys are the long options' names)");
    key_fails("tll = 5", "unknown key \"tll\" (did you mean ttl?)");
    key_fails("page_sise = 5", "unknown key \"page_sise\" (did you mean page-size?)");
    key_fails("ttl[de] = 5", "key \"ttl[de]\": localized keys (KEY[LOCALE]) are not used");
    key_fails("config = /etc/other", "config: --config has no place in a config file");
    key_fails("help = true", "help: --help has no place in a config file");
    key_fails("version = true", "version: --version has no place in a config file");
    key_fails("show-secrets = maybe", "show-secrets: \"maybe\" is not true or false");
    key_fails("insecure =", "insecure: \"\" is not true or false");
    key_fails("endpoint = ftp://x", "endpoint: \"ftp://x\" is not a URL like https://HOST[:PORT]");
    key_fails("project_id = a/b",
              "project_id: \"a/b\" is not a project id (1 to 128 letters, digits, '-' or '_')");
    key_fails("page-size = 1001", "page-size: \"1001\" is out of range (5..1000 tasks)");
    key_fails("region = Mars", "region: \"Mars\" is not a region name like cn-north-4 "
                               "(lower-case letters, digits and '-')");
    key_fails("log-level = loud",
              "log-level: \"loud\" is not a log level (error, warn, info or debug)");
    key_fails("token-file =", "token-file: the value is empty");

    key_fails("token = abc", "token: " NO_SECRETS "put the token in a file readable only by you "
                             "and set token-file = PATH, or set VIAS_TOKEN");
    key_fails("x_auth_token = abc", "x_auth_token: " NO_SECRETS "put the token in a file "
                                    "readable only by you and set token-file = PATH, or set "
                                    "VIAS_TOKEN");
    key_fails("password = pw", "password: " NO_SECRETS "put the password in a file readable only "
                               "by you and set iam-password-file = PATH");
    key_fails("iam_password = pw", "iam_password: " NO_SECRETS "put the password in a file "
                                   "readable only by you and set iam-password-file = PATH");
    key_fails("secret_key = sk", "secret_key: " NO_SECRETS "put the access key and secret key in "
                                 "a file readable only by you and set credentials-file = PATH");
    key_fails("sk = sk", "sk: " NO_SECRETS "put the access key and secret key in a file readable "
                         "only by you and set credentials-file = PATH");
    key_fails("secret-access-key = sk",
              "secret-access-key: " NO_SECRETS "put the access key and secret key in a file "
              "readable only by you and set credentials-file = PATH");
    key_fails("security_token = st",
              "security_token: " NO_SECRETS "put it in the credentials file with the access key "
              "and secret key and set credentials-file = PATH");
    key_fails("access_key = ak", "access_key: the access key goes in a file with the secret key: "
                                 "set credentials-file = PATH");
}

/* Credentials across layers: a kind named higher hides the file's other kinds. */
static void test_credential_layers(void)
{
    g_autofree char *both = write_file("both.conf",
                                       "[viasfs]\n"
                                       "token-file = /t\n"
                                       "credentials-file = /k\n"
                                       "project-id = p\n"
                                       "endpoint = http://h\n",
                                       -1);
    g_autofree char *iam = write_file("iam-part.conf",
                                      "[viasfs]\n"
                                      "iam-domain = acme\n"
                                      "region = cn-north-4\n"
                                      "token-file = /t\n",
                                      -1);
    g_autofree char *want_both = g_strdup_printf(
        "two kinds of credential given: a token (token-file at %s:2) and AK/SK keys "
        "(credentials-file at %s:3); give only one",
        both, both);
    g_autofree char *why = NULL;
    struct options o;

    env_clear();
    /* Two kinds in the file. */
    parse_ok(&o, ARGS(config_arg(both), "/mnt"));
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_NONE);
    g_assert_cmpint(options_check_ready(&o, &why), ==, -EINVAL);
    g_assert_cmpstr(why, ==, want_both);
    g_clear_pointer(&why, g_free);
    options_release(&o);

    /* A kind on the command line hides both of the file's. */
    parse_ok(&o, ARGS(config_arg(both), "--iam-user=u", "--iam-domain=d", "--region=r",
                      "--iam-password-file=/p", "/mnt"));
    g_assert_null(o.token_file);
    g_assert_null(o.credentials_file);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_IAM);
    g_assert_cmpint(options_check_ready(&o, &why), ==, 0);
    options_release(&o);

    /* VIAS_TOKEN in the environment hides the file's token file (one token) and its keys. */
    g_setenv("VIAS_TOKEN", "secret", TRUE);
    parse_ok(&o, ARGS(config_arg(both), "/mnt"));
    g_assert_cmpstr(o.token, ==, "secret");
    g_assert_null(o.token_file);
    g_assert_null(o.credentials_file);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_TOKEN);
    options_release(&o);
    env_clear();

    /* The same kind combines: user and password file here, domain and region from the file;
     * the file's token file is hidden. */
    parse_ok(&o, ARGS(config_arg(iam), "--iam-user=u", "-o", "iam_password_file=/p", "/mnt"));
    g_assert_cmpstr(o.iam_user, ==, "u");
    g_assert_cmpstr(o.iam_domain, ==, "acme");
    g_assert_cmpstr(o.region, ==, "cn-north-4");
    g_assert_null(o.token_file);
    g_assert_cmpint(o.auth_method, ==, OPTIONS_AUTH_IAM);
    g_assert_cmpstr(o.iam_endpoint, ==, "https://iam.cn-north-4.myhuaweicloud.com");
    g_assert_cmpint(options_check_ready(&o, &why), ==, 0);
    options_release(&o);

    /* Naming no kind above, the file's IAM part and token file are two kinds. */
    parse_ok(&o, ARGS(config_arg(iam), "/mnt"));
    g_assert_cmpint(options_check_ready(&o, &why), ==, -EINVAL);
    g_assert_true(g_str_has_prefix(why, "two kinds of credential given: a token (token-file at "));
    options_release(&o);
}

/* Removes @path and, if it is a directory, everything under it. */
static void rm_rf(const char *path)
{
    GDir *dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        rm_rf(child);
    }
    if (dir)
        g_dir_close(dir);
    g_remove(path);
}

int main(int argc, char **argv)
{
    int rc;

    tmp_dir = g_dir_make_tmp("test_config.XXXXXX", NULL);
    g_assert_nonnull(tmp_dir);
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/config/load", test_load);
    g_test_add_func("/config/load-errors", test_load_errors);
    g_test_add_func("/config/default-path", test_default_path);
    g_test_add_func("/config/every-key", test_every_key);
    g_test_add_func("/config/precedence", test_precedence);
    g_test_add_func("/config/default-file", test_default_file);
    g_test_add_func("/config/bad-keys", test_bad_keys);
    g_test_add_func("/config/credential-layers", test_credential_layers);
    rc = g_test_run();
    rm_rf(tmp_dir);
    g_free(tmp_dir);
    return rc;
}
