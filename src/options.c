/*
 * options: the command line and the environment turned into struct options (see options.h).
 * One table describes every option; the parser, the -o parser and the --help text all read
 * it. Precedence, highest first: the command line's options, the SOURCE URL, the
 * environment, the defaults. Relative paths are made absolute, because a daemonized FUSE
 * process runs in "/". It does not open files, check the mountpoint, read the token file or
 * understand FUSE's own options, which it passes on as given.
 */
#include "viasfs/options.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

enum opt_kind {
    OPT_INT,      /* int field, decimal, range-checked */
    OPT_FLAG,     /* bool field, takes no value */
    OPT_ENDPOINT, /* char * field, an http(s) URL */
    OPT_PROJECT,  /* char * field, a project id */
    OPT_PATH,     /* char * field, a file path made absolute */
    OPT_LOG,      /* char * field, "stderr", "syslog" or a file path made absolute */
};

struct opt_spec {
    const char *name; /* long name, with dashes */
    enum opt_kind kind;
    size_t offset;        /* of the field in struct options */
    bool in_o_list;       /* also accepted as -o name[=value] */
    char short_name;      /* -x equivalent, or 0 */
    const char *metavar;  /* what the value is, for --help; NULL for flags */
    int min, max, def;    /* OPT_INT */
    const char *unit;     /* OPT_INT, for messages: "a number of <unit>" */
    const char *def_text; /* the default shown by --help, for other kinds */
    const char *env;      /* environment variable, or NULL */
    const char *help;     /* one short phrase for --help */
};

#define FIELD(f) offsetof(struct options, f)

static const struct opt_spec specs[] = {
    {"endpoint", OPT_ENDPOINT, FIELD(endpoint), true, 0, "URL", 0, 0, 0, NULL, "-", "VIAS_ENDPOINT",
     "API endpoint, https://HOST[:PORT]"},
    {"project-id", OPT_PROJECT, FIELD(project_id), true, 0, "ID", 0, 0, 0, NULL, "-",
     "VIAS_PROJECT_ID", "project whose tasks are shown"},
    {"token-file", OPT_PATH, FIELD(token_file), true, 0, "PATH", 0, 0, 0, NULL, "-",
     "VIAS_TOKEN_FILE", "file holding the token (chmod 600)"},
    {"ttl", OPT_INT, FIELD(ttl), true, 0, "SECONDS", 0, 86400, 30, "seconds", NULL, NULL,
     "cache lifetime"},
    {"refresh", OPT_INT, FIELD(refresh), true, 0, "SECONDS", 0, 86400, 5, "seconds", NULL, NULL,
     "refresh period, 0 = off"},
    {"page-size", OPT_INT, FIELD(page_size), true, 0, "N", 5, 1000, 1000, "tasks", NULL, NULL,
     "tasks per list request"},
    {"timeout", OPT_INT, FIELD(timeout), true, 0, "SECONDS", 1, 3600, 10, "seconds", NULL, NULL,
     "time limit per API call"},
    {"max-requests", OPT_INT, FIELD(max_requests), true, 0, "N", 1, 256, 8, "requests", NULL, NULL,
     "API requests at once"},
    {"log", OPT_LOG, FIELD(log_target), true, 0, "TARGET", 0, 0, 0, NULL, "stderr", NULL,
     "stderr, syslog or a file path"},
    {"cacert", OPT_PATH, FIELD(cacert), true, 0, "PATH", 0, 0, 0, NULL, "system", NULL,
     "CA certificates (PEM) to trust"},
    {"show-secrets", OPT_FLAG, FIELD(show_secrets), true, 0, NULL, 0, 0, 0, NULL, "off", NULL,
     "show task passwords and headers"},
    {"insecure", OPT_FLAG, FIELD(insecure), true, 0, NULL, 0, 0, 0, NULL, "off", NULL,
     "skip TLS certificate checks"},
    {"no-inotify", OPT_FLAG, FIELD(no_inotify), true, 0, NULL, 0, 0, 0, NULL, "off", NULL,
     "no inotify for remote changes"},
    {"help", OPT_FLAG, FIELD(show_help), false, 'h', NULL, 0, 0, 0, NULL, "-", NULL,
     "print this help and exit"},
    {"version", OPT_FLAG, FIELD(show_version), false, 'V', NULL, 0, 0, 0, NULL, "-", NULL,
     "print the version and exit"},
};

/* fstab and mount(8) options that mean nothing to viasfs and confuse libfuse: dropped. */
static const char *const fstab_noise[] = {
    "rw", "ro", "_netdev", "noauto", "auto", "user", "users", "nofail", "defaults",
};

#define TOKEN_REFUSAL                                                                              \
    "a token on the command line is visible to every user (ps, /proc); put it in a file "          \
    "readable only by you and pass --token-file=PATH, or set VIAS_TOKEN"

#define SOURCE_FORM "http(s)://HOST[:PORT]/v2/PROJECT_ID"

struct parser {
    struct options *o;
    GPtrArray *positional; /* const char *, borrowed from argv */
    GString *fuse_opts;    /* unknown -o items, comma-joined and escaped for libfuse */
    char *why;             /* the first error */
};

static char **str_field(struct options *o, const struct opt_spec *s)
{
    return (char **)((char *)o + s->offset);
}

static int *int_field(struct options *o, const struct opt_spec *s)
{
    return (int *)((char *)o + s->offset);
}

static bool *bool_field(struct options *o, const struct opt_spec *s)
{
    return (bool *)((char *)o + s->offset);
}

static int fail(struct parser *p, char *why)
{
    if (!p->why)
        p->why = why;
    else
        g_free(why);
    return -EINVAL;
}

/* @v quoted and escaped, safe to print whatever bytes it holds. Caller frees. */
static char *quoted(const char *v)
{
    g_autofree char *esc = g_strescape(v, NULL);
    return g_strdup_printf("\"%s\"", esc);
}

static const struct opt_spec *spec_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(specs); i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return &specs[i];
    return NULL;
}

/* A name (dashes) under which someone tries to give the token itself. */
static bool is_token_name(const char *name, size_t len)
{
    return (len == 5 && strncmp(name, "token", 5) == 0) ||
           (len == 12 && strncmp(name, "x-auth-token", 12) == 0);
}

/* The endpoint with its scheme in lower case, or NULL when @v is not an http(s) URL. */
static char *endpoint_normalize(const char *v)
{
    const char *host;
    char *out;

    if (g_ascii_strncasecmp(v, "https://", 8) == 0)
        host = v + 8;
    else if (g_ascii_strncasecmp(v, "http://", 7) == 0)
        host = v + 7;
    else
        return NULL;
    if (*host == '\0' || *host == '/' || *host == ':')
        return NULL;
    for (const char *c = v; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '?' || *c == '#' || *c == '@')
            return NULL;
    out = g_strdup(v);
    for (char *c = out; c < out + (host - v); c++)
        *c = g_ascii_tolower(*c);
    return out;
}

/* A project id: 1 to 128 letters, digits, '-' or '_' (it becomes a URL path segment). */
static bool project_ok(const char *v, size_t len)
{
    if (len == 0 || len > 128)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_isalnum(v[i]) && v[i] != '-' && v[i] != '_')
            return false;
    return true;
}

/* @v made absolute against the current directory; ".." is kept, as symlinks may matter. */
static char *absolute_path(const char *v)
{
    g_autofree char *cwd = NULL;

    if (g_path_is_absolute(v))
        return g_strdup(v);
    while (v[0] == '.' && v[1] == '/')
        v += 2 + strspn(v + 2, "/");
    cwd = g_get_current_dir();
    return g_build_filename(cwd, v, NULL);
}

/* Decimal digits with an optional '-'; values far out of int range are clamped. */
static bool decimal_parse(const char *v, gint64 *out)
{
    const char *c = v + (*v == '-');
    gint64 n = 0;

    if (*c == '\0')
        return false;
    for (; *c; c++) {
        if (!g_ascii_isdigit(*c))
            return false;
        n = MIN(n * 10 + (*c - '0'), (gint64)G_MAXINT + 1);
    }
    *out = *v == '-' ? -n : n;
    return true;
}

/* Parses a decimal int in [min, max]; the messages quote the value as given. */
static int parse_int(struct parser *p, const struct opt_spec *s, const char *label, const char *v)
{
    g_autofree char *q = quoted(v);
    gint64 n;

    if (!decimal_parse(v, &n))
        return fail(p, g_strdup_printf("%s: %s is not a number of %s (%d..%d)", label, q, s->unit,
                                       s->min, s->max));
    if (n < s->min || n > s->max)
        return fail(p, g_strdup_printf("%s: %s is out of range (%d..%d %s)", label, q, s->min,
                                       s->max, s->unit));
    *int_field(p->o, s) = (int)n;
    return 0;
}

/* Validates @v for @s and stores it. @label names the option as the user wrote it. */
static int apply(struct parser *p, const struct opt_spec *s, const char *label, const char *v)
{
    char *value = NULL;

    if (s->kind == OPT_FLAG) {
        if (v)
            return fail(p, g_strdup_printf("%s takes no value", label));
        *bool_field(p->o, s) = true;
        return 0;
    }
    if (!v)
        return fail(p, g_strdup_printf("%s needs a value", label));
    if (s->kind == OPT_INT)
        return parse_int(p, s, label, v);
    if (*v == '\0')
        return fail(p, g_strdup_printf("%s: the value is empty", label));

    switch (s->kind) {
    case OPT_ENDPOINT:
        value = endpoint_normalize(v);
        if (!value) {
            g_autofree char *q = quoted(v);
            return fail(p,
                        g_strdup_printf("%s: %s is not a URL like https://HOST[:PORT]", label, q));
        }
        break;
    case OPT_PROJECT:
        if (!project_ok(v, strlen(v))) {
            g_autofree char *q = quoted(v);
            return fail(p, g_strdup_printf("%s: %s is not a project id (1 to 128 letters, "
                                           "digits, '-' or '_')",
                                           label, q));
        }
        value = g_strdup(v);
        break;
    case OPT_LOG:
        if (strcmp(v, "stderr") == 0 || strcmp(v, "syslog") == 0)
            value = g_strdup(v);
        else
            value = absolute_path(v);
        break;
    case OPT_PATH:
        value = absolute_path(v);
        break;
    case OPT_INT:
    case OPT_FLAG:
        g_assert_not_reached();
    }
    g_free(*str_field(p->o, s));
    *str_field(p->o, s) = value;
    return 0;
}

/* --name, --name=value or --name value (taking argv[*i + 1]). */
static int parse_long(struct parser *p, int argc, char **argv, int *i)
{
    const char *name = argv[*i] + 2;
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const struct opt_spec *s = spec_lookup(name, len);
    g_autofree char *label = g_strdup_printf("--%.*s", (int)len, name);
    g_autofree char *dashed = g_strdelimit(g_strndup(name, len), "_", '-');
    const char *v = eq ? eq + 1 : NULL;

    if (is_token_name(dashed, len))
        return fail(p, g_strdup_printf("%s: %s", label, TOKEN_REFUSAL));
    if (!s && spec_lookup(dashed, len))
        return fail(p, g_strdup_printf("unknown option %s (did you mean --%s?)", label, dashed));
    if (!s)
        return fail(p, g_strdup_printf("unknown option %s (see --help)", label));
    if (!v && s->kind != OPT_FLAG) {
        if (*i + 1 >= argc)
            return fail(p, g_strdup_printf("%s needs a value", label));
        v = argv[++*i];
    }
    return apply(p, s, label, v);
}

/*
 * Splits a -o list at unescaped commas, decoding escapes as libfuse does: "\," is ',', "\\"
 * is '\', and "\NNN" is an octal byte. Empty items are dropped.
 */
static GPtrArray *o_list_split(const char *list)
{
    GPtrArray *items = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) cur = g_string_new(NULL);

    for (const char *c = list;; c++) {
        if (*c == ',' || *c == '\0') {
            if (cur->len)
                g_ptr_array_add(items, g_strdup(cur->str));
            g_string_truncate(cur, 0);
            if (*c == '\0')
                break;
        } else if (*c == '\\' && c[1] >= '0' && c[1] <= '3' && c[2] >= '0' && c[2] <= '7' &&
                   c[3] >= '0' && c[3] <= '7') {
            g_string_append_c(cur, (char)((c[1] - '0') * 64 + (c[2] - '0') * 8 + (c[3] - '0')));
            c += 3;
        } else if (*c == '\\' && c[1]) {
            g_string_append_c(cur, *++c);
        } else {
            g_string_append_c(cur, *c);
        }
    }
    return items;
}

/* Adds @item to the -o list handed to FUSE, escaped so that libfuse splits it back. */
static void fuse_opt_add(struct parser *p, const char *item)
{
    if (p->fuse_opts->len)
        g_string_append_c(p->fuse_opts, ',');
    for (const char *c = item; *c; c++) {
        if (*c == ',' || *c == '\\')
            g_string_append_c(p->fuse_opts, '\\');
        g_string_append_c(p->fuse_opts, *c);
    }
}

static bool is_fstab_noise(const char *key, size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(fstab_noise); i++)
        if (strlen(fstab_noise[i]) == len && strncmp(fstab_noise[i], key, len) == 0)
            return true;
    return false;
}

/* One -o list: our keys (dashes or underscores) are applied, the rest go to FUSE. */
static int parse_o_list(struct parser *p, const char *list)
{
    g_autoptr(GPtrArray) items = o_list_split(list);

    for (guint k = 0; k < items->len; k++) {
        const char *item = g_ptr_array_index(items, k);
        const char *eq = strchr(item, '=');
        size_t len = eq ? (size_t)(eq - item) : strlen(item);
        g_autofree char *key = g_strndup(item, len);
        g_autofree char *dashed = g_strdelimit(g_strdup(key), "_", '-');
        g_autofree char *label = g_strdup_printf("-o %s", key);
        const struct opt_spec *s = spec_lookup(dashed, len);
        int rc;

        if (is_fstab_noise(key, len))
            continue;
        if (is_token_name(dashed, len))
            return fail(p, g_strdup_printf("%s: %s", label, TOKEN_REFUSAL));
        if (s && s->in_o_list) {
            rc = apply(p, s, label, eq ? eq + 1 : NULL);
            if (rc < 0)
                return rc;
            continue;
        }
        if (strcmp(item, "debug") == 0) /* libfuse's spelling of -d */
            p->o->debug = p->o->foreground = true;
        fuse_opt_add(p, item);
    }
    return 0;
}

/* -h, -V, -f, -d; any other single-dash flag is FUSE's. */
static void parse_short(struct parser *p, const char *arg)
{
    if (strcmp(arg, "-h") == 0) {
        p->o->show_help = true;
        return;
    }
    if (strcmp(arg, "-V") == 0) {
        p->o->show_version = true;
        return;
    }
    if (strcmp(arg, "-f") == 0)
        p->o->foreground = true;
    else if (strcmp(arg, "-d") == 0)
        p->o->debug = p->o->foreground = true;
    g_ptr_array_add(p->o->fuse_argv, g_strdup(arg));
}

/*
 * Splits @src, which starts with http:// or https://, as http(s)://HOST[:PORT]/v2/PROJECT_ID[/]
 * into a normalized endpoint and a project id.
 * Returns false when @src does not have that shape.
 */
static bool source_split(const char *src, char **endpoint, char **project)
{
    const char *authority, *path, *host_end, *id;
    g_autofree char *given = NULL;
    size_t id_len;

    authority = strstr(src, "://") + 3;
    path = strchr(authority, '/');
    if (!path || path == authority || !g_str_has_prefix(path, "/v2/"))
        return false;
    if (*authority == '[') {
        host_end = memchr(authority, ']', (size_t)(path - authority));
        if (!host_end || host_end == authority + 1)
            return false;
        host_end++;
    } else {
        host_end = memchr(authority, ':', (size_t)(path - authority));
        if (!host_end)
            host_end = path;
        if (host_end == authority)
            return false;
    }
    if (host_end < path) {
        if (*host_end != ':' || host_end + 1 == path || path - host_end > 6)
            return false;
        for (const char *c = host_end + 1; c < path; c++)
            if (!g_ascii_isdigit(*c))
                return false;
    }
    id = path + 4;
    id_len = strcspn(id, "/");
    if (!project_ok(id, id_len) || (id[id_len] == '/' && id[id_len + 1] != '\0'))
        return false;
    given = g_strndup(src, (size_t)(path - src));
    *endpoint = endpoint_normalize(given);
    if (!*endpoint)
        return false;
    *project = g_strndup(id, id_len);
    return true;
}

/*
 * SOURCE: an http(s) URL must have the shape above, and supplies the endpoint and project id
 * that the options left unset. Anything that is not a URL (fstab's "viasfs", say) is ignored.
 */
static int apply_source(struct parser *p, const char *src)
{
    g_autofree char *endpoint = NULL, *project = NULL;

    if (g_ascii_strncasecmp(src, "https://", 8) != 0 && g_ascii_strncasecmp(src, "http://", 7) != 0)
        return 0;
    if (!source_split(src, &endpoint, &project)) {
        g_autofree char *q = quoted(src);
        return fail(p, g_strdup_printf("SOURCE %s is not " SOURCE_FORM, q));
    }
    if (!p->o->endpoint)
        p->o->endpoint = g_steal_pointer(&endpoint);
    if (!p->o->project_id)
        p->o->project_id = g_steal_pointer(&project);
    return 0;
}

/* The environment fills what the command line left unset; empty variables count as unset. */
static int apply_env(struct parser *p)
{
    const char *names[] = {"endpoint", "project-id", "token-file"};
    const char *token;

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        const struct opt_spec *s = spec_lookup(names[i], strlen(names[i]));
        const char *v = g_getenv(s->env);
        int rc;

        if (*str_field(p->o, s) || !v || !*v)
            continue;
        rc = apply(p, s, s->env, v);
        if (rc < 0)
            return rc;
    }
    /* One credential: a token file, from either source, wins over VIAS_TOKEN. */
    token = g_getenv("VIAS_TOKEN");
    if (!p->o->token_file && token && *token)
        p->o->token = g_strdup(token);
    return 0;
}

static int parse_positional(struct parser *p)
{
    GPtrArray *pos = p->positional;

    if (pos->len > 2) {
        g_autofree char *q = quoted(g_ptr_array_index(pos, 2));
        return fail(p,
                    g_strdup_printf("too many arguments at %s (expected [SOURCE] MOUNTPOINT)", q));
    }
    if (pos->len == 0) {
        if (p->o->show_help || p->o->show_version)
            return 0;
        return fail(p, g_strdup("missing MOUNTPOINT (usage: viasfs [OPTIONS] [SOURCE] "
                                "MOUNTPOINT; see --help)"));
    }
    if (*(const char *)g_ptr_array_index(pos, pos->len - 1) == '\0')
        return fail(p, g_strdup("the MOUNTPOINT is an empty string"));
    p->o->mountpoint = g_strdup(g_ptr_array_index(pos, pos->len - 1));
    if (pos->len == 2) {
        p->o->source = g_strdup(g_ptr_array_index(pos, 0));
        return apply_source(p, p->o->source);
    }
    return 0;
}

int options_parse(struct options *o, int argc, char **argv, char **why)
{
    struct parser p = {.o = o};
    bool only_positional = false;
    int rc = 0;

    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < G_N_ELEMENTS(specs); i++)
        if (specs[i].kind == OPT_INT)
            *int_field(o, &specs[i]) = specs[i].def;
    o->log_target = g_strdup("stderr");
    o->fuse_argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(o->fuse_argv, g_strdup(argc > 0 && argv[0] ? argv[0] : "viasfs"));
    p.positional = g_ptr_array_new();
    p.fuse_opts = g_string_new(NULL);

    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i];

        if (only_positional || a[0] != '-' || a[1] == '\0')
            g_ptr_array_add(p.positional, (gpointer)a);
        else if (strcmp(a, "--") == 0)
            only_positional = true;
        else if (a[1] == '-')
            rc = parse_long(&p, argc, argv, &i);
        else if (a[1] == 'o' && a[2] != '\0')
            rc = parse_o_list(&p, a + 2);
        else if (a[1] == 'o' && i + 1 < argc)
            rc = parse_o_list(&p, argv[++i]);
        else if (a[1] == 'o')
            rc = fail(&p, g_strdup("-o needs a list of options"));
        else
            parse_short(&p, a);
    }
    if (rc == 0)
        rc = parse_positional(&p);
    if (rc == 0)
        rc = apply_env(&p);
    if (rc == 0 && p.fuse_opts->len) {
        g_ptr_array_add(o->fuse_argv, g_strdup("-o"));
        g_ptr_array_add(o->fuse_argv, g_strdup(p.fuse_opts->str));
    }

    g_ptr_array_unref(p.positional);
    g_string_free(p.fuse_opts, TRUE);
    if (rc < 0) {
        options_release(o);
        if (why)
            *why = g_steal_pointer(&p.why);
    }
    g_free(p.why);
    return rc;
}

int options_check_ready(const struct options *o, char **why)
{
    const char *missing = NULL;

    if (!o->mountpoint)
        missing = "missing MOUNTPOINT (usage: viasfs [OPTIONS] [SOURCE] MOUNTPOINT)";
    else if (!o->endpoint)
        missing = "no endpoint: pass --endpoint=URL, set VIAS_ENDPOINT, or give SOURCE "
                  "as " SOURCE_FORM;
    else if (!o->project_id)
        missing = "no project id: pass --project-id=ID, set VIAS_PROJECT_ID, or give SOURCE "
                  "as " SOURCE_FORM;
    else if (!o->token_file && !o->token)
        missing = "no credential: put the token in a file readable only by you and pass "
                  "--token-file=PATH, or set VIAS_TOKEN";
    if (!missing)
        return 0;
    if (why)
        *why = g_strdup(missing);
    return -EINVAL;
}

static void usage_row(GString *out, const char *left, const char *help, const char *def,
                      const char *env)
{
    g_string_append_printf(out, "  %-18s %-34s %-7s %s\n", left, help, def, env ? env : "-");
}

static char *usage_build(void)
{
    GString *out = g_string_new(NULL);

    g_string_append(out, "Usage: viasfs [OPTIONS] [SOURCE] MOUNTPOINT\n"
                         "Shows the tasks of a Huawei Cloud VIAS project as files.\n"
                         "\n"
                         "SOURCE " SOURCE_FORM " gives the endpoint and the\n"
                         "project id; any other SOURCE (such as \"viasfs\" in fstab) is ignored.\n"
                         "Each --name=VALUE may also be written --name VALUE or -o name=VALUE\n"
                         "(-o accepts name_with_underscores too). The command line wins over\n"
                         "SOURCE, which wins over the environment.\n"
                         "\n");
    usage_row(out, "option", "meaning", "default", "environment");
    for (size_t i = 0; i < G_N_ELEMENTS(specs); i++) {
        const struct opt_spec *s = &specs[i];
        g_autofree char *left = NULL, *help = NULL, *def = NULL;

        if (s->short_name)
            left = g_strdup_printf("-%c, --%s", s->short_name, s->name);
        else if (s->metavar)
            left = g_strdup_printf("--%s=%s", s->name, s->metavar);
        else
            left = g_strdup_printf("--%s", s->name);
        if (s->kind == OPT_INT) {
            help = g_strdup_printf("%s, %d..%d", s->help, s->min, s->max);
            def = g_strdup_printf("%d", s->def);
        } else {
            help = g_strdup(s->help);
            def = g_strdup(s->def_text);
        }
        usage_row(out, left, help, def, s->env);
        if (strcmp(s->name, "token-file") == 0)
            usage_row(out, "", "or the token itself, if no file", "-", "VIAS_TOKEN");
    }
    usage_row(out, "-f", "stay in the foreground", "off", NULL);
    usage_row(out, "-d", "FUSE and HTTP traces; implies -f", "off", NULL);
    g_string_append(out, "\n"
                         "A token is never taken from the command line. Other options (-s,\n"
                         "-o allow_other, ...) go to FUSE; fstab's rw, ro, _netdev, noauto, auto,\n"
                         "user, users, nofail and defaults are accepted and ignored.\n");
    return g_string_free(out, FALSE);
}

const char *options_usage(void)
{
    static gsize text;

    if (g_once_init_enter(&text))
        g_once_init_leave(&text, (gsize)usage_build());
    return (const char *)text;
}

void options_release(struct options *o)
{
    if (o->token)
        explicit_bzero(o->token, strlen(o->token));
    g_free(o->source);
    g_free(o->mountpoint);
    g_free(o->endpoint);
    g_free(o->project_id);
    g_free(o->token_file);
    g_free(o->token);
    g_free(o->log_target);
    g_free(o->cacert);
    if (o->fuse_argv)
        g_ptr_array_unref(o->fuse_argv);
    memset(o, 0, sizeof(*o));
}
