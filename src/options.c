/*
 * options: the command line, the environment and the config file turned into struct options
 * (see options.h). One table describes every option; the parser, the -o parser, the
 * environment, the config file and the --help text all read it. Each value goes through one
 * validator whichever layer it comes from, and every message names where it came from
 * ("--ttl", "-o ttl", "VIAS_ENDPOINT", "PATH:LINE: ttl"). Relative paths are made absolute
 * (against the config file's directory for the config file's own), because a daemonized FUSE
 * process runs in "/". It does not read credential files, check the mountpoint or understand
 * FUSE's own options, which it passes on as given.
 */
#include "viasfs/options.h"
#include "viasfs/config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

enum opt_kind {
    OPT_INT,      /* int field, decimal, range-checked */
    OPT_FLAG,     /* bool field, takes no value (in the config file: true or false) */
    OPT_ENDPOINT, /* char * field, an http(s) URL */
    OPT_PROJECT,  /* char * field, a project id */
    OPT_PATH,     /* char * field, a file path made absolute */
    OPT_LOG,      /* char * field, "stderr", "syslog" or a file path made absolute */
    OPT_LEVEL,    /* enum log_level field: error, warn, info or debug */
    OPT_REGION,   /* char * field, a region name such as cn-north-4 */
    OPT_NAME,     /* char * field, a user or account name */
    OPT_DIR,      /* char * field, a directory made absolute, or "none" */
};

/* Where an option may be given besides --name. */
enum { IN_O_LIST = 1, IN_CONFIG = 2, ANYWHERE = IN_O_LIST | IN_CONFIG };

struct opt_spec {
    const char *name; /* long name, with dashes */
    enum opt_kind kind;
    size_t offset;          /* of the field in struct options */
    unsigned where;         /* IN_O_LIST, IN_CONFIG */
    char short_name;        /* -x equivalent, or 0 */
    const char *metavar;    /* what the value is, for --help; NULL for flags */
    int min, max, def;      /* OPT_INT */
    const char *unit;       /* OPT_INT, for messages: "a number of <unit>" */
    const char *def_text;   /* the default shown by --help for other kinds, or NULL */
    const char *env;        /* environment variable, or NULL */
    enum options_auth auth; /* the kind of credential it belongs to, or OPTIONS_AUTH_NONE */
    const char *section;    /* the --help heading this option starts, or NULL */
    const char *help;       /* one short phrase for --help */
    const char *note;       /* said after the default and the variable, or NULL */
};

#define FIELD(f) offsetof(struct options, f)

static const struct opt_spec specs[] = {
    {.name = "endpoint",
     .kind = OPT_ENDPOINT,
     .offset = FIELD(endpoint),
     .where = ANYWHERE,
     .metavar = "URL",
     .env = "VIAS_ENDPOINT",
     .section = "Where the tasks are",
     .def_text = "https://vias.REGION.myhuaweicloud.com with --region",
     .help = "API endpoint, https://HOST[:PORT]"},
    {.name = "project-id",
     .kind = OPT_PROJECT,
     .offset = FIELD(project_id),
     .where = ANYWHERE,
     .metavar = "ID",
     .env = "VIAS_PROJECT_ID",
     .def_text = "from the token with IAM",
     .help = "project whose tasks are shown"},
    {.name = "region",
     .kind = OPT_REGION,
     .offset = FIELD(region),
     .where = ANYWHERE,
     .metavar = "NAME",
     .env = "VIAS_REGION",
     .help = "region, such as cn-north-4"},

    {.name = "token-file",
     .kind = OPT_PATH,
     .offset = FIELD(token_file),
     .where = ANYWHERE,
     .metavar = "PATH",
     .env = "VIAS_TOKEN_FILE",
     .auth = OPTIONS_AUTH_TOKEN,
     .section = "Credentials: one kind; secrets are read from files, never from the command "
                "line",
     .help = "file holding a ready X-Auth-Token, re-read when it changes",
     .note = "or the token itself in env VIAS_TOKEN"},
    {.name = "iam-user",
     .kind = OPT_NAME,
     .offset = FIELD(iam_user),
     .where = ANYWHERE,
     .metavar = "NAME",
     .env = "VIAS_IAM_USER",
     .auth = OPTIONS_AUTH_IAM,
     .help = "IAM password login: the user name",
     .note = "also needs --iam-domain, --iam-password-file and --region"},
    {.name = "iam-domain",
     .kind = OPT_NAME,
     .offset = FIELD(iam_domain),
     .where = ANYWHERE,
     .metavar = "ACCOUNT",
     .env = "VIAS_IAM_DOMAIN",
     .auth = OPTIONS_AUTH_IAM,
     .help = "the account the IAM user belongs to"},
    {.name = "iam-password-file",
     .kind = OPT_PATH,
     .offset = FIELD(iam_password_file),
     .where = ANYWHERE,
     .metavar = "PATH",
     .env = "VIAS_IAM_PASSWORD_FILE",
     .auth = OPTIONS_AUTH_IAM,
     .help = "file holding the IAM user's password"},
    {.name = "iam-endpoint",
     .kind = OPT_ENDPOINT,
     .offset = FIELD(iam_endpoint),
     .where = ANYWHERE,
     .metavar = "URL",
     .env = "VIAS_IAM_ENDPOINT",
     .auth = OPTIONS_AUTH_IAM,
     .def_text = "https://iam.REGION.myhuaweicloud.com",
     .help = "IAM endpoint"},
    {.name = "credentials-file",
     .kind = OPT_PATH,
     .offset = FIELD(credentials_file),
     .where = ANYWHERE,
     .metavar = "PATH",
     .env = "VIAS_CREDENTIALS_FILE",
     .auth = OPTIONS_AUTH_AKSK,
     .help = "AK/SK signing: file holding the access key and secret key"},

    {.name = "ttl",
     .kind = OPT_INT,
     .offset = FIELD(ttl),
     .where = ANYWHERE,
     .metavar = "SECONDS",
     .min = 0,
     .max = 86400,
     .def = 30,
     .unit = "seconds",
     .section = "Freshness and requests",
     .help = "cache lifetime"},
    {.name = "refresh",
     .kind = OPT_INT,
     .offset = FIELD(refresh),
     .where = ANYWHERE,
     .metavar = "SECONDS",
     .min = 0,
     .max = 86400,
     .def = 5,
     .unit = "seconds",
     .help = "refresh period, 0 = off"},
    {.name = "page-size",
     .kind = OPT_INT,
     .offset = FIELD(page_size),
     .where = ANYWHERE,
     .metavar = "N",
     .min = 5,
     .max = 1000,
     .def = 1000,
     .unit = "tasks",
     .help = "tasks per list request"},
    {.name = "timeout",
     .kind = OPT_INT,
     .offset = FIELD(timeout),
     .where = ANYWHERE,
     .metavar = "SECONDS",
     .min = 1,
     .max = 3600,
     .def = 10,
     .unit = "seconds",
     .help = "deadline of one file operation"},
    {.name = "max-requests",
     .kind = OPT_INT,
     .offset = FIELD(max_requests),
     .where = ANYWHERE,
     .metavar = "N",
     .min = 1,
     .max = 256,
     .def = 8,
     .unit = "requests",
     .help = "API requests at once"},
    {.name = "max-rate",
     .kind = OPT_INT,
     .offset = FIELD(max_rate),
     .where = ANYWHERE,
     .metavar = "N",
     .min = 0,
     .max = 10000,
     .def = 20,
     .unit = "requests a second",
     .help = "background requests a second (refresh, read-ahead), 0 = no limit"},
    {.name = "idle-after",
     .kind = OPT_INT,
     .offset = FIELD(idle_after),
     .where = ANYWHERE,
     .metavar = "SECONDS",
     .min = 1,
     .max = 86400,
     .def = 60,
     .unit = "seconds",
     .help = "nothing watched or used this long: idle"},
    {.name = "idle-refresh",
     .kind = OPT_INT,
     .offset = FIELD(idle_refresh),
     .where = ANYWHERE,
     .metavar = "SECONDS",
     .min = 1,
     .max = 604800,
     .def = 600,
     .unit = "seconds",
     .help = "while idle, a walk of every task this often"},
    {.name = "cache-size",
     .kind = OPT_INT,
     .offset = FIELD(cache_size_mib),
     .where = ANYWHERE,
     .metavar = "MIB",
     .min = 1,
     .max = 1048576,
     .def = 256,
     .unit = "MiB",
     .help = "memory for task details (LRU)"},
    {.name = "max-tasks",
     .kind = OPT_INT,
     .offset = FIELD(max_tasks),
     .where = ANYWHERE,
     .metavar = "N",
     .min = 1000,
     .max = 100000000,
     .def = 500000,
     .help = "tasks one list walk may bring before it fails (EFBIG)"},
    {.name = "cacert",
     .kind = OPT_PATH,
     .offset = FIELD(cacert),
     .where = ANYWHERE,
     .metavar = "PATH",
     .def_text = "system",
     .help = "CA certificates (PEM) to trust"},
    {.name = "insecure",
     .kind = OPT_FLAG,
     .offset = FIELD(insecure),
     .where = ANYWHERE,
     .help = "skip TLS certificate checks"},

    {.name = "show-secrets",
     .kind = OPT_FLAG,
     .offset = FIELD(show_secrets),
     .where = ANYWHERE,
     .section = "What is shown",
     .help = "show task passwords and header values, not \"***\""},
    {.name = "no-inotify",
     .kind = OPT_FLAG,
     .offset = FIELD(no_inotify),
     .where = ANYWHERE,
     .help = "no inotify events for remote changes"},
    {.name = "allow-control",
     .kind = OPT_FLAG,
     .offset = FIELD(allow_control),
     .where = ANYWHERE,
     .section = "Acting on tasks",
     .help = "let the mounting user start, stop, delete, edit and create tasks through the "
             "tree (off: read-only)"},
    {.name = "cache-dir",
     .kind = OPT_DIR,
     .offset = FIELD(cache_dir),
     .where = ANYWHERE,
     .metavar = "DIR",
     .env = "VIAS_CACHE_DIR",
     .def_text = "~/.cache/viasfs",
     .section = "Memory across time",
     .help = "where the last picture of the tasks is kept for the next mount to start "
             "from; none: nowhere",
     .note = "$XDG_CACHE_HOME replaces ~/.cache if set"},

    {.name = "config",
     .kind = OPT_PATH,
     .offset = FIELD(config_file),
     .where = IN_O_LIST,
     .metavar = "PATH",
     .def_text = "~/.config/viasfs/config",
     .section = "Configuration and logs",
     .help = "config file",
     .note = "$XDG_CONFIG_HOME replaces ~/.config if set"},
    {.name = "log",
     .kind = OPT_LOG,
     .offset = FIELD(log_target),
     .where = ANYWHERE,
     .metavar = "TARGET",
     .def_text = "stderr",
     .help = "stderr, syslog or a file path"},
    {.name = "log-level",
     .kind = OPT_LEVEL,
     .offset = FIELD(log_level),
     .where = ANYWHERE,
     .metavar = "LEVEL",
     .def_text = "warn",
     .help = "error, warn, info or debug"},

    {.name = "help",
     .kind = OPT_FLAG,
     .offset = FIELD(show_help),
     .short_name = 'h',
     .section = "Other",
     .help = "print this help and exit"},
    {.name = "version",
     .kind = OPT_FLAG,
     .offset = FIELD(show_version),
     .short_name = 'V',
     .help = "print the version and exit"},
};

#define N_SPECS        G_N_ELEMENTS(specs)
#define AUTH_BIT(kind) (1u << (kind))

/* fstab and mount(8) options that mean nothing to viasfs and confuse libfuse: dropped. */
static const char *const fstab_noise[] = {
    "rw", "ro", "_netdev", "noauto", "auto", "user", "users", "nofail", "defaults",
};

#define TOKEN_REFUSAL                                                                              \
    "a token on the command line is visible to every user (ps, /proc); put it in a file "          \
    "readable only by you and pass --token-file=PATH, or set VIAS_TOKEN"

/* A name under which someone tries to give a secret, and what to do instead. */
struct secret_name {
    const char *name;   /* with dashes */
    const char *cli;    /* the refusal on the command line */
    const char *config; /* the refusal in the config file */
};

#define IN_ARGV         " on the command line is visible to every user (ps, /proc); "
#define NO_SECRETS_HERE "secrets are not read from the config file; "
#define TOKEN_CONFIG                                                                               \
    NO_SECRETS_HERE "put the token in a file readable only by you and set token-file = PATH, or "  \
                    "set VIAS_TOKEN"
#define PASSWORD_CLI                                                                               \
    "a password" IN_ARGV "put it in a file readable only by you and pass --iam-password-file=PATH"
#define PASSWORD_CONFIG                                                                            \
    NO_SECRETS_HERE "put the password in a file readable only by you and set "                     \
                    "iam-password-file = PATH"
#define KEYS_CONFIG                                                                                \
    NO_SECRETS_HERE "put the access key and secret key in a file readable only by you and set "    \
                    "credentials-file = PATH"

static const struct secret_name secret_names[] = {
    {"token", TOKEN_REFUSAL, TOKEN_CONFIG},
    {"x-auth-token", TOKEN_REFUSAL, TOKEN_CONFIG},
    {"password", PASSWORD_CLI, PASSWORD_CONFIG},
    {"iam-password", PASSWORD_CLI, PASSWORD_CONFIG},
    {"secret-key",
     "a secret key" IN_ARGV "put the access key and secret key in a file readable "
     "only by you and pass --credentials-file=PATH",
     KEYS_CONFIG},
    {"sk",
     "a secret key" IN_ARGV "put the access key and secret key in a file readable only "
     "by you and pass --credentials-file=PATH",
     KEYS_CONFIG},
    {"secret-access-key",
     "a secret key" IN_ARGV "put the access key and secret key in a file "
     "readable only by you and pass --credentials-file=PATH",
     KEYS_CONFIG},
    {"security-token",
     "a security token" IN_ARGV "put it in the credentials file with the access "
     "key and secret key and pass --credentials-file=PATH",
     NO_SECRETS_HERE "put it in the credentials file with the access key and secret key and set "
                     "credentials-file = PATH"},
    {"access-key",
     "the access key goes in a file with the secret key: pass "
     "--credentials-file=PATH",
     "the access key goes in a file with the secret key: set credentials-file = PATH"},
    {"ak", "the access key goes in a file with the secret key: pass --credentials-file=PATH",
     "the access key goes in a file with the secret key: set credentials-file = PATH"},
};

#define SOURCE_FORM "http(s)://HOST[:PORT]/v2/PROJECT_ID"

/* Where the values being applied come from, highest precedence first. */
enum layer { LAYER_CLI, LAYER_ENV, LAYER_CONFIG };

struct parser {
    struct options *o;
    GPtrArray *positional; /* const char *, borrowed from argv */
    GString *fuse_opts;    /* unknown -o items, comma-joined and escaped for libfuse */
    char *why;             /* the first error */
    enum layer layer;      /* of the values being applied */
    const char *base_dir;  /* relative paths are taken against it; NULL: the current dir */
    unsigned higher_auth;  /* AUTH_BITs of the credential kinds named by higher layers */
    bool set[N_SPECS];     /* the option was given by this layer or a higher one */
};

/* A value parsed and validated, not yet stored. */
union opt_value {
    int i;
    bool b;
    char *s; /* owned */
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

static enum log_level *level_field(struct options *o, const struct opt_spec *s)
{
    return (enum log_level *)((char *)o + s->offset);
}

static bool is_string_kind(enum opt_kind k)
{
    return k != OPT_INT && k != OPT_FLAG && k != OPT_LEVEL;
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
    for (size_t i = 0; i < N_SPECS; i++)
        if (strlen(specs[i].name) == len && strncmp(specs[i].name, name, len) == 0)
            return &specs[i];
    return NULL;
}

static const struct opt_spec *spec_named(const char *name)
{
    return spec_lookup(name, strlen(name));
}

/* Edits (a letter added, dropped or changed, two neighbours swapped) that turn @a into @b;
 * more than 64 letters in either count as far apart (G_MAXINT). */
static int edit_distance(const char *a, size_t alen, const char *b, size_t blen)
{
    enum { MAX = 64 };
    int rows[3][MAX + 1]; /* rows i-2, i-1 and i of the usual table, in turn */

    if (alen > MAX || blen > MAX)
        return G_MAXINT;
    for (size_t j = 0; j <= blen; j++)
        rows[0][j] = (int)j;
    for (size_t i = 1; i <= alen; i++) {
        int *cur = rows[i % 3], *up = rows[(i - 1) % 3], *up2 = rows[(i + 1) % 3];

        cur[0] = (int)i;
        for (size_t j = 1; j <= blen; j++) {
            int cost = a[i - 1] != b[j - 1];

            cur[j] = MIN(MIN(up[j] + 1, cur[j - 1] + 1), up[j - 1] + cost);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                cur[j] = MIN(cur[j], up2[j - 2] + 1);
        }
    }
    return rows[alen % 3][blen];
}

/*
 * The option (accepted where @where says) nearest to the unknown @name (dashes), when near
 * enough to be a typo: one edit for names of up to four letters, two for longer ones. The
 * first of equals in the table; NULL when none is near.
 */
static const struct opt_spec *spec_nearest(const char *name, size_t len, unsigned where)
{
    const struct opt_spec *best = NULL;
    int best_d = len <= 4 ? 1 : 2;

    for (size_t i = 0; i < N_SPECS; i++) {
        int d = edit_distance(name, len, specs[i].name, strlen(specs[i].name));

        if (d <= best_d && (!where || (specs[i].where & where)) && (!best || d < best_d)) {
            best = &specs[i];
            best_d = d;
        }
    }
    return best;
}

/* The refusal for a name (dashes) under which someone tries to give a secret, or NULL. */
static const struct secret_name *secret_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < G_N_ELEMENTS(secret_names); i++)
        if (strlen(secret_names[i].name) == len && strncmp(secret_names[i].name, name, len) == 0)
            return &secret_names[i];
    return NULL;
}

/* The kinds of credential @o names (AUTH_BITs). An IAM endpoint or a region alone names none. */
static unsigned auth_named(const struct options *o)
{
    unsigned bits = 0;

    if (o->token_file || o->token)
        bits |= AUTH_BIT(OPTIONS_AUTH_TOKEN);
    if (o->iam_user || o->iam_domain || o->iam_password_file)
        bits |= AUTH_BIT(OPTIONS_AUTH_IAM);
    if (o->credentials_file)
        bits |= AUTH_BIT(OPTIONS_AUTH_AKSK);
    return bits;
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

/* A region: a DNS label in lower case (it becomes part of a host name). */
static bool region_ok(const char *v)
{
    size_t len = strlen(v);

    if (len == 0 || len > 63 || v[0] == '-' || v[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!g_ascii_islower(v[i]) && !g_ascii_isdigit(v[i]) && v[i] != '-')
            return false;
    return true;
}

/* A user or account name: 1 to 255 bytes of UTF-8 without control characters. */
static bool name_ok(const char *v)
{
    if (strlen(v) > 255 || !g_utf8_validate(v, -1, NULL))
        return false;
    for (const char *c = v; *c; c = g_utf8_next_char(c))
        if (g_unichar_iscntrl(g_utf8_get_char(c)))
            return false;
    return true;
}

/* @v made absolute against @base (NULL: the current directory); ".." is kept, as symlinks
 * may matter. */
static char *absolute_path(const char *v, const char *base)
{
    g_autofree char *cwd = NULL;

    if (g_path_is_absolute(v))
        return g_strdup(v);
    while (v[0] == '.' && v[1] == '/')
        v += 2 + strspn(v + 2, "/");
    if (!base)
        base = cwd = g_get_current_dir();
    return g_build_filename(base, v, NULL);
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

/* A config file's boolean: true, false, yes, no, on, off, 1, 0 (any case). */
static bool boolean_parse(const char *v, bool *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};

    for (size_t i = 0; i < G_N_ELEMENTS(yes); i++) {
        if (g_ascii_strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (g_ascii_strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* Parses a decimal int in [min, max]; the messages quote the value as given. */
static int parse_int(struct parser *p, const struct opt_spec *s, const char *label, const char *v,
                     int *out)
{
    g_autofree char *q = quoted(v);
    gint64 n;

    if (!decimal_parse(v, &n))
        return fail(p, g_strdup_printf("%s: %s is not a number of %s (%d..%d)", label, q, s->unit,
                                       s->min, s->max));
    if (n < s->min || n > s->max)
        return fail(p, g_strdup_printf("%s: %s is out of range (%d..%d %s)", label, q, s->min,
                                       s->max, s->unit));
    *out = (int)n;
    return 0;
}

/* Validates @v (NULL: no value given) for @s into *@out. @label names the option as the user
 * wrote it. */
static int value_parse(struct parser *p, const struct opt_spec *s, const char *label, const char *v,
                       union opt_value *out)
{
    g_autofree char *q = NULL;
    enum log_level level;

    out->s = NULL;
    if (s->kind == OPT_FLAG && p->layer == LAYER_CONFIG) {
        if (!boolean_parse(v, &out->b)) {
            q = quoted(v);
            return fail(p, g_strdup_printf("%s: %s is not true or false", label, q));
        }
        return 0;
    }
    if (s->kind == OPT_FLAG) {
        if (v)
            return fail(p, g_strdup_printf("%s takes no value", label));
        out->b = true;
        return 0;
    }
    if (!v)
        return fail(p, g_strdup_printf("%s needs a value", label));
    if (s->kind == OPT_INT)
        return parse_int(p, s, label, v, &out->i);
    if (*v == '\0')
        return fail(p, g_strdup_printf("%s: the value is empty", label));

    q = quoted(v);
    switch (s->kind) {
    case OPT_ENDPOINT:
        out->s = endpoint_normalize(v);
        if (!out->s)
            return fail(p,
                        g_strdup_printf("%s: %s is not a URL like https://HOST[:PORT]", label, q));
        break;
    case OPT_PROJECT:
        if (!project_ok(v, strlen(v)))
            return fail(p, g_strdup_printf("%s: %s is not a project id (1 to 128 letters, "
                                           "digits, '-' or '_')",
                                           label, q));
        out->s = g_strdup(v);
        break;
    case OPT_REGION:
        if (!region_ok(v))
            return fail(p, g_strdup_printf("%s: %s is not a region name like cn-north-4 "
                                           "(lower-case letters, digits and '-')",
                                           label, q));
        out->s = g_strdup(v);
        break;
    case OPT_NAME:
        if (!name_ok(v))
            return fail(p, g_strdup_printf("%s: %s is not a name (up to 255 bytes of UTF-8, "
                                           "no control characters)",
                                           label, q));
        out->s = g_strdup(v);
        break;
    case OPT_LEVEL:
        if (!log_level_from_name(v, &level))
            return fail(p, g_strdup_printf("%s: %s is not a log level (error, warn, info or "
                                           "debug)",
                                           label, q));
        out->i = (int)level;
        break;
    case OPT_LOG:
        if (strcmp(v, "stderr") == 0 || strcmp(v, "syslog") == 0)
            out->s = g_strdup(v);
        else
            out->s = absolute_path(v, p->base_dir);
        break;
    case OPT_PATH:
        out->s = absolute_path(v, p->base_dir);
        break;
    case OPT_DIR:
        out->s = strcmp(v, "none") == 0 ? g_strdup(v) : absolute_path(v, p->base_dir);
        break;
    case OPT_INT:
    case OPT_FLAG:
        g_assert_not_reached();
    }
    return 0;
}

/* Stores @val (taking its string) in @s's field; @origin says where it came from. */
static void value_store(struct parser *p, const struct opt_spec *s, union opt_value *val,
                        const char *origin)
{
    struct options *o = p->o;

    p->set[s - specs] = true;
    switch (s->kind) {
    case OPT_INT:
        *int_field(o, s) = val->i;
        return;
    case OPT_FLAG:
        *bool_field(o, s) = val->b;
        return;
    case OPT_LEVEL:
        *level_field(o, s) = (enum log_level)val->i;
        return;
    default:
        break;
    }
    g_free(*str_field(o, s));
    *str_field(o, s) = g_steal_pointer(&val->s);
    /* The IAM endpoint alone names no kind of credential (see auth_named). */
    if (s->auth != OPTIONS_AUTH_NONE && s->offset != FIELD(iam_endpoint) && !o->auth_given[s->auth])
        o->auth_given[s->auth] = g_strdup(origin);
}

/* A command-line value: validated and stored (the last one given wins). */
static int apply(struct parser *p, const struct opt_spec *s, const char *label, const char *v)
{
    union opt_value val;
    int rc = value_parse(p, s, label, v, &val);

    if (rc == 0)
        value_store(p, s, &val, label);
    return rc;
}

/*
 * A value from a lower layer (environment, config file): validated in any case, stored only
 * when no higher layer gave the option, nor named another kind of credential, nor named a
 * token (a token is one value, whether from a file or VIAS_TOKEN).
 */
static int apply_lower(struct parser *p, const struct opt_spec *s, const char *label,
                       const char *origin, const char *v)
{
    union opt_value val;
    int rc = value_parse(p, s, label, v, &val);
    bool hidden = p->set[s - specs];

    if (rc < 0)
        return rc;
    if (s->auth != OPTIONS_AUTH_NONE && p->higher_auth &&
        (!(p->higher_auth & AUTH_BIT(s->auth)) || s->auth == OPTIONS_AUTH_TOKEN))
        hidden = true;
    if (hidden) {
        if (is_string_kind(s->kind))
            g_free(val.s);
        return 0;
    }
    value_store(p, s, &val, origin);
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
    const struct secret_name *secret = secret_lookup(dashed, len);
    const struct opt_spec *near;
    const char *v = eq ? eq + 1 : NULL;

    if (secret)
        return fail(p, g_strdup_printf("%s: %s", label, secret->cli));
    if (!s && (near = spec_nearest(dashed, len, 0))) /* "--page_size" too */
        return fail(p,
                    g_strdup_printf("unknown option %s (did you mean --%s?)", label, near->name));
    if (!s)
        return fail(p, g_strdup_printf("unknown option %s (see viasfs --help)", label));
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

/* fstab's own options, and the x-* and comment= ones that mount(8) and systemd keep for
 * themselves but may pass on. */
static bool is_fstab_noise(const char *key, size_t len)
{
    if (g_str_has_prefix(key, "x-") || (len == 7 && strncmp(key, "comment", 7) == 0))
        return true;
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
        const struct secret_name *secret = secret_lookup(dashed, len);
        int rc;

        if (secret) /* before the noise: "x-auth-token" starts with "x-" */
            return fail(p, g_strdup_printf("%s: %s", label, secret->cli));
        if (is_fstab_noise(key, len))
            continue;
        if (s && (s->where & IN_O_LIST)) {
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
    if (!p->o->endpoint) {
        p->o->endpoint = g_steal_pointer(&endpoint);
        p->set[spec_named("endpoint") - specs] = true;
    }
    if (!p->o->project_id) {
        p->o->project_id = g_steal_pointer(&project);
        p->set[spec_named("project-id") - specs] = true;
    }
    return 0;
}

/* The environment fills what the command line left unset; empty variables count as unset. */
static int apply_env(struct parser *p)
{
    const char *token = g_getenv("VIAS_TOKEN");
    int rc;

    p->layer = LAYER_ENV;
    p->higher_auth = auth_named(p->o);
    for (size_t i = 0; i < N_SPECS; i++) {
        const struct opt_spec *s = &specs[i];
        const char *v = s->env ? g_getenv(s->env) : NULL;

        if (!v || !*v)
            continue;
        rc = apply_lower(p, s, s->env, s->env, v);
        if (rc < 0)
            return rc;
    }
    /* The token itself: a token file, from either layer, wins over it. */
    if (token && *token && !p->o->token_file &&
        (!p->higher_auth || p->higher_auth == AUTH_BIT(OPTIONS_AUTH_TOKEN))) {
        p->o->token = g_strdup(token);
        if (!p->o->auth_given[OPTIONS_AUTH_TOKEN])
            p->o->auth_given[OPTIONS_AUTH_TOKEN] = g_strdup("VIAS_TOKEN");
    }
    return 0;
}

/* One "key = value" of the config file at @path. */
static int apply_config_entry(struct parser *p, const char *path, const struct config_entry *e)
{
    g_autofree char *dashed = g_strdelimit(g_strdup(e->key), "_", '-');
    g_autofree char *label = g_strdup_printf("%s:%d: %s", path, e->line, e->key);
    g_autofree char *origin = g_strdup_printf("%s at %s:%d", e->key, path, e->line);
    const struct secret_name *secret = secret_lookup(dashed, strlen(dashed));
    const struct opt_spec *s = spec_named(dashed);

    if (secret)
        return fail(p, g_strdup_printf("%s: %s", label, secret->config));
    if (!s) {
        g_autofree char *q = quoted(e->key);
        const struct opt_spec *near = spec_nearest(dashed, strlen(dashed), IN_CONFIG);

        if (near)
            return fail(p, g_strdup_printf("%s:%d: unknown key %s (did you mean %s?)", path,
                                           e->line, q, near->name));
        return fail(p, g_strdup_printf("%s:%d: unknown key %s (the keys are the long options' "
                                       "names)",
                                       path, e->line, q));
    }
    if (!(s->where & IN_CONFIG))
        return fail(p, g_strdup_printf("%s: --%s has no place in a config file", label, s->name));
    return apply_lower(p, s, label, origin, e->value);
}

/*
 * The config file: the one --config names (which must exist), else the default one if it
 * exists. Its relative paths are taken against its own directory.
 */
static int apply_config(struct parser *p)
{
    const struct opt_spec *cs = spec_named("config");
    bool explicit = p->set[cs - specs];
    g_autofree char *path = explicit ? g_strdup(p->o->config_file) : config_default_path();
    g_autofree char *dir = NULL;
    struct config *c = NULL;
    char *why = NULL;
    int rc;

    g_clear_pointer(&p->o->config_file, g_free);
    rc = config_load(path, &c, &why);
    if (rc == -ENOENT && !explicit) {
        g_free(why);
        return 0;
    }
    if (rc < 0) {
        /* "--config: PATH: No such file or directory"; a line's fault names only the line. */
        fail(p, explicit && rc != -EINVAL ? g_strdup_printf("--config: %s", why) : g_strdup(why));
        g_free(why);
        return -EINVAL;
    }
    p->layer = LAYER_CONFIG;
    p->higher_auth = auth_named(p->o);
    dir = g_path_get_dirname(path);
    p->base_dir = dir;
    for (guint i = 0; i < c->entries->len && rc == 0; i++)
        rc = apply_config_entry(p, path, g_ptr_array_index(c->entries, i));
    p->base_dir = NULL;
    config_free(c);
    if (rc == 0)
        p->o->config_file = g_steal_pointer(&path);
    return rc;
}

/* $XDG_CACHE_HOME/viasfs when XDG_CACHE_HOME is an absolute path, else ~/.cache/viasfs. */
static char *cache_dir_default(void)
{
    const char *xdg = g_getenv("XDG_CACHE_HOME");
    const char *home = g_getenv("HOME");

    if (xdg && g_path_is_absolute(xdg))
        return g_build_filename(xdg, "viasfs", NULL);
    if (!home || !*home)
        home = g_get_home_dir();
    return g_build_filename(home, ".cache", "viasfs", NULL);
}

/* What is left: defaults that depend on other values, and the kind of credential. */
static void apply_defaults(struct parser *p)
{
    struct options *o = p->o;
    unsigned bits = auth_named(o);

    if (o->debug)
        o->log_level = LOG_LEVEL_DEBUG;
    if (o->region && !o->endpoint)
        o->endpoint = g_strdup_printf("https://vias.%s.myhuaweicloud.com", o->region);
    o->auth_method = OPTIONS_AUTH_NONE;
    for (int k = OPTIONS_AUTH_TOKEN; k < OPTIONS_AUTH_KINDS; k++)
        if (bits == AUTH_BIT(k))
            o->auth_method = (enum options_auth)k;
    if (o->auth_method == OPTIONS_AUTH_IAM && o->region && !o->iam_endpoint)
        o->iam_endpoint = g_strdup_printf("https://iam.%s.myhuaweicloud.com", o->region);
    if (!o->cache_dir)
        o->cache_dir = cache_dir_default();
    else if (strcmp(o->cache_dir, "none") == 0)
        g_clear_pointer(&o->cache_dir, g_free);
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
                                "MOUNTPOINT; see viasfs --help)"));
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
    struct parser p = {.o = o, .layer = LAYER_CLI};
    bool only_positional = false;
    int rc = 0;

    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < N_SPECS; i++)
        if (specs[i].kind == OPT_INT)
            *int_field(o, &specs[i]) = specs[i].def;
    o->log_target = g_strdup("stderr");
    o->log_level = LOG_LEVEL_WARN;
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
    if (rc == 0 && !o->show_help && !o->show_version)
        rc = apply_config(&p);
    if (rc == 0)
        apply_defaults(&p);
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

static const char *const auth_kind_text[OPTIONS_AUTH_KINDS] = {
    [OPTIONS_AUTH_TOKEN] = "a token",
    [OPTIONS_AUTH_IAM] = "an IAM password login",
    [OPTIONS_AUTH_AKSK] = "AK/SK keys",
};

/* IAM's missing parts, as "--iam-domain=ACCOUNT and --region=NAME", or NULL. Caller frees. */
static char *iam_missing(const struct options *o)
{
    const char *parts[4];
    size_t n = 0;
    GString *out;

    if (!o->iam_user)
        parts[n++] = "--iam-user=NAME";
    if (!o->iam_domain)
        parts[n++] = "--iam-domain=ACCOUNT";
    if (!o->iam_password_file)
        parts[n++] = "--iam-password-file=PATH";
    if (!o->region)
        parts[n++] = "--region=NAME";
    if (n == 0)
        return NULL;
    out = g_string_new(parts[0]);
    for (size_t i = 1; i < n; i++)
        g_string_append_printf(out, "%s%s", i + 1 == n ? " and " : ", ", parts[i]);
    return g_string_free(out, FALSE);
}

int options_check_ready(const struct options *o, char **why)
{
    unsigned bits = auth_named(o);
    g_autofree char *missing = NULL;
    char *msg = NULL;

    if (!o->mountpoint) {
        msg = g_strdup("missing MOUNTPOINT (usage: viasfs [OPTIONS] [SOURCE] MOUNTPOINT)");
    } else if (!o->endpoint) {
        msg = g_strdup("no endpoint: pass --endpoint=URL or --region=NAME, set VIAS_ENDPOINT or "
                       "VIAS_REGION, or give SOURCE as " SOURCE_FORM);
    } else if (!o->project_id && !(bits & AUTH_BIT(OPTIONS_AUTH_IAM))) {
        msg = g_strdup("no project id: pass --project-id=ID, set VIAS_PROJECT_ID, or give SOURCE "
                       "as " SOURCE_FORM);
    } else if (bits == 0) {
        msg = g_strdup("no credential: give a token (--token-file=PATH, or VIAS_TOKEN), an IAM "
                       "password login (--iam-user, --iam-domain, --iam-password-file, --region) "
                       "or AK/SK keys (--credentials-file=PATH)");
    } else if (bits & (bits - 1)) {
        int a = -1, b = -1;

        for (int k = OPTIONS_AUTH_TOKEN; k < OPTIONS_AUTH_KINDS; k++) {
            if (!(bits & AUTH_BIT(k)))
                continue;
            if (a < 0)
                a = k;
            else if (b < 0)
                b = k;
        }
        msg = g_strdup_printf("two kinds of credential given: %s (%s) and %s (%s); give only one",
                              auth_kind_text[a], o->auth_given[a], auth_kind_text[b],
                              o->auth_given[b]);
    } else if (bits == AUTH_BIT(OPTIONS_AUTH_IAM) && (missing = iam_missing(o))) {
        msg = g_strdup_printf("an IAM password login (%s) also needs %s",
                              o->auth_given[OPTIONS_AUTH_IAM], missing);
    }
    if (!msg)
        return 0;
    if (why)
        *why = msg;
    else
        g_free(msg);
    return -EINVAL;
}

enum { USAGE_WIDTH = 80, USAGE_TEXT_COL = 28 };

/* Appends "  @left  @text", @text word-wrapped at column USAGE_TEXT_COL to USAGE_WIDTH. */
static void usage_row(GString *out, const char *left, const char *text)
{
    g_auto(GStrv) words = g_strsplit(text, " ", -1);
    gsize line_start = out->len;

    g_string_append_printf(out, "  %s", left);
    if (out->len - line_start + 2 > USAGE_TEXT_COL) {
        g_string_append_c(out, '\n');
        line_start = out->len;
    }
    for (guint i = 0; words[i]; i++) {
        gsize col = out->len - line_start;

        if (col < USAGE_TEXT_COL) {
            g_string_append_printf(out, "%*s", (int)(USAGE_TEXT_COL - col), "");
        } else if (col + 1 + strlen(words[i]) > USAGE_WIDTH) {
            g_string_append_c(out, '\n');
            line_start = out->len;
            g_string_append_printf(out, "%*s", USAGE_TEXT_COL, "");
        } else {
            g_string_append_c(out, ' ');
        }
        g_string_append(out, words[i]);
    }
    g_string_append_c(out, '\n');
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
                         "(-o accepts name_with_underscores too), or \"name = VALUE\" in the\n"
                         "[viasfs] group of the config file. The command line (and SOURCE)\n"
                         "wins over the environment, which wins over the config file.\n");
    for (size_t i = 0; i < N_SPECS; i++) {
        const struct opt_spec *s = &specs[i];
        g_autofree char *left = NULL;
        g_autoptr(GString) text = g_string_new(s->help);
        const char *sep = " (";

        if (s->section)
            g_string_append_printf(out, "\n%s:\n", s->section);
        if (s->short_name)
            left = g_strdup_printf("-%c, --%s", s->short_name, s->name);
        else if (s->metavar)
            left = g_strdup_printf("--%s=%s", s->name, s->metavar);
        else
            left = g_strdup_printf("--%s", s->name);
        if (s->kind == OPT_INT) {
            g_string_append_printf(text, ", %d..%d (default %d", s->min, s->max, s->def);
            sep = "; ";
        } else if (s->def_text) {
            g_string_append_printf(text, " (default %s", s->def_text);
            sep = "; ";
        }
        if (s->env)
            g_string_append_printf(text, "%senv %s", sep, s->env);
        if (s->env || s->kind == OPT_INT || s->def_text)
            g_string_append_c(text, ')');
        if (s->note)
            g_string_append_printf(text, "; %s", s->note);
        usage_row(out, left, text->str);
    }
    usage_row(out, "-f", "stay in the foreground");
    usage_row(out, "-d", "FUSE and HTTP traces; implies -f, --log-level=debug");
    g_string_append(out, "\n"
                         "Other options (-s, -o allow_other, ...) go to FUSE; fstab's rw, ro,\n"
                         "_netdev, noauto, auto, user, users, nofail, defaults, comment=... and\n"
                         "x-... are accepted and ignored. See man viasfs.\n");
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
    g_free(o->iam_endpoint);
    g_free(o->iam_user);
    g_free(o->iam_domain);
    g_free(o->iam_password_file);
    g_free(o->region);
    g_free(o->credentials_file);
    for (int k = 0; k < OPTIONS_AUTH_KINDS; k++)
        g_free(o->auth_given[k]);
    g_free(o->config_file);
    g_free(o->log_target);
    g_free(o->cacert);
    g_free(o->cache_dir);
    if (o->fuse_argv)
        g_ptr_array_unref(o->fuse_argv);
    memset(o, 0, sizeof(*o));
}
