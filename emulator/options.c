/* options: the command line of vias-emulator (see options.h). */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* VIASFS_VERSION: the Makefile's, from debian/changelog, so both programs say the same. */
#define VERSION VIASFS_VERSION

static const char usage[] =
    "Usage: vias-emulator [OPTIONS]\n"
    "Serves the Huawei Cloud VIAS task API (list, detail and the task control calls) from a\n"
    "local data set, with IAM password tokens (POST /v3/auth/tokens), AK/SK signatures,\n"
    "optional HTTPS, and a control interface under /_emulator/ for tests (see\n"
    "emulator/README.md).\n"
    "\n"
    "  --port N             listen on port N (default 8080; 0 picks a free port)\n"
    "  --port-file F        write the port to F once listening\n"
    "  --bind ADDR          listen address (default 127.0.0.1)\n"
    "  --project-id ID      the project (default 0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d)\n"
    "  --token-file F       X-Auth-Tokens accepted besides issued IAM tokens, one per line,\n"
    "                       re-read when F changes (without it any non-empty token is\n"
    "                       accepted)\n"
    "  --tasks N            generate N tasks (default 100)\n"
    "  --seed S             generator and fault seed (default 1)\n"
    "  --data FILE.json     serve these tasks instead: a JSON array of task objects or\n"
    "                       {\"tasks\":[...]}; missing fields are generated\n"
    "  --hostile            add tasks whose names, cameras and titles stress clients\n"
    "  --list-fields MODE   summary (9 fields per list item, default) or full\n"
    "  --count MODE         page (count = items on the page, default) or total\n"
    "  --match MODE         loose (substring, default) or exact, for title, camera_name\n"
    "                       and task_name\n"
    "  --latency MS         delay every API answer by MS milliseconds\n"
    "  --churn R            make R random state changes per second\n"
    "  --action-delay MS    how long a started, stopped or created task stays STARTING,\n"
    "                       STOPPING or PENDING (default 3000; 0: it settles at once)\n"
    "  --delete-delay MS    how long a deleted task stays DELETING before it is gone\n"
    "                       (default 3000; 0: at once)\n"
    "\n"
    "Authentication (see emulator/README.md, \"Authentication\"):\n"
    "  --region NAME        the region, which an IAM token's scope must name (default\n"
    "                       cn-north-4)\n"
    "  --iam-users-file F   IAM users for POST /v3/auth/tokens, one DOMAIN:USER:PASSWORD\n"
    "                       per line (the password is the rest of the line), re-read when\n"
    "                       F changes; without it no one can get a token\n"
    "  --token-ttl SECONDS  lifetime of an issued token (default 86400)\n"
    "  --aksk-file F        accepted access keys, one 'AK SK [SECURITY_TOKEN]' per line,\n"
    "                       '#' comments, re-read when F changes: enables SDK-HMAC-SHA256\n"
    "                       signature verification\n"
    "  --aksk-lockout SECONDS  lock an AK this long after 5 bad signatures in a row\n"
    "                       (default 300; 0 never locks)\n"
    "  --clock-skew SECONDS shift the emulator's clock (X-Sdk-Date check, token times) by\n"
    "                       SECONDS (may be negative)\n"
    "  --tls-cert F         serve HTTPS with this PEM certificate (chain); needs --tls-key\n"
    "  --tls-key F          the certificate's PEM private key (unencrypted)\n"
    "\n"
    "  -v, --verbose        log every request to stderr\n"
    "  --help, --version\n";

enum {
    OPT_PORT = 256,
    OPT_PORT_FILE,
    OPT_BIND,
    OPT_PROJECT,
    OPT_TOKEN_FILE,
    OPT_TASKS,
    OPT_SEED,
    OPT_DATA,
    OPT_HOSTILE,
    OPT_LIST_FIELDS,
    OPT_COUNT,
    OPT_MATCH,
    OPT_LATENCY,
    OPT_CHURN,
    OPT_ACTION_DELAY,
    OPT_DELETE_DELAY,
    OPT_REGION,
    OPT_IAM_USERS_FILE,
    OPT_TOKEN_TTL,
    OPT_AKSK_FILE,
    OPT_AKSK_LOCKOUT,
    OPT_CLOCK_SKEW,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_HELP,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"bind", required_argument, NULL, OPT_BIND},
    {"project-id", required_argument, NULL, OPT_PROJECT},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"tasks", required_argument, NULL, OPT_TASKS},
    {"seed", required_argument, NULL, OPT_SEED},
    {"data", required_argument, NULL, OPT_DATA},
    {"hostile", no_argument, NULL, OPT_HOSTILE},
    {"list-fields", required_argument, NULL, OPT_LIST_FIELDS},
    {"count", required_argument, NULL, OPT_COUNT},
    {"match", required_argument, NULL, OPT_MATCH},
    {"latency", required_argument, NULL, OPT_LATENCY},
    {"churn", required_argument, NULL, OPT_CHURN},
    {"action-delay", required_argument, NULL, OPT_ACTION_DELAY},
    {"delete-delay", required_argument, NULL, OPT_DELETE_DELAY},
    {"region", required_argument, NULL, OPT_REGION},
    {"iam-users-file", required_argument, NULL, OPT_IAM_USERS_FILE},
    {"token-ttl", required_argument, NULL, OPT_TOKEN_TTL},
    {"aksk-file", required_argument, NULL, OPT_AKSK_FILE},
    {"aksk-lockout", required_argument, NULL, OPT_AKSK_LOCKOUT},
    {"clock-skew", required_argument, NULL, OPT_CLOCK_SKEW},
    {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, OPT_TLS_KEY},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, OPT_HELP},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static int parse_unsigned(const char *name, const char *v, guint64 max, guint64 *out, char **error)
{
    g_autoptr(GError) err = NULL;
    if (!g_ascii_string_to_unsigned(v, 10, 0, max, out, &err)) {
        *error = g_strdup_printf("--%s: '%s' is not an integer from 0 to %" G_GUINT64_FORMAT, name,
                                 v, max);
        return -EINVAL;
    }
    return 0;
}

static int parse_choice(const char *name, const char *v, const char *a, const char *b, int *out,
                        char **error)
{
    if (strcmp(v, a) == 0)
        *out = 0;
    else if (strcmp(v, b) == 0)
        *out = 1;
    else {
        *error = g_strdup_printf("--%s: '%s' is not %s or %s", name, v, a, b);
        return -EINVAL;
    }
    return 0;
}

static void set_string(char **field, const char *arg)
{
    g_free(*field);
    *field = g_strdup(arg);
}

/* A region name as Huawei Cloud spells them: lower-case letters, digits and '-'. */
static bool region_valid(const char *s)
{
    if (*s == '\0' || strlen(s) > 64)
        return false;
    for (; *s != '\0'; s++)
        if (!g_ascii_islower(*s) && !g_ascii_isdigit(*s) && *s != '-')
            return false;
    return true;
}

/* The authentication options; 1 when opt is not one of them. */
static int options_set_auth(struct options *o, int opt, const char *arg, char **error)
{
    guint64 u = 0;
    gint64 i = 0;
    switch (opt) {
    case OPT_REGION:
        if (!region_valid(arg)) {
            *error = g_strdup_printf("--region: '%s' is not a region name like cn-north-4", arg);
            return -EINVAL;
        }
        set_string(&o->region, arg);
        return 0;
    case OPT_IAM_USERS_FILE:
        set_string(&o->iam_users_file, arg);
        return 0;
    case OPT_TOKEN_TTL:
        if (parse_unsigned("token-ttl", arg, OPTIONS_SECONDS_MAX, &u, error) < 0)
            return -EINVAL;
        if (u == 0) {
            *error = g_strdup("--token-ttl: a token must last at least 1 second");
            return -EINVAL;
        }
        o->token_ttl = (unsigned)u;
        return 0;
    case OPT_AKSK_FILE:
        set_string(&o->aksk_file, arg);
        return 0;
    case OPT_AKSK_LOCKOUT:
        if (parse_unsigned("aksk-lockout", arg, OPTIONS_SECONDS_MAX, &u, error) < 0)
            return -EINVAL;
        o->aksk_lockout = (unsigned)u;
        return 0;
    case OPT_CLOCK_SKEW:
        if (!g_ascii_string_to_signed(arg, 10, -OPTIONS_SECONDS_MAX, OPTIONS_SECONDS_MAX, &i,
                                      NULL)) {
            *error = g_strdup_printf("--clock-skew: '%s' is not an integer from %d to %d", arg,
                                     -OPTIONS_SECONDS_MAX, OPTIONS_SECONDS_MAX);
            return -EINVAL;
        }
        o->clock_skew = i;
        return 0;
    case OPT_TLS_CERT:
        set_string(&o->tls_cert, arg);
        return 0;
    case OPT_TLS_KEY:
        set_string(&o->tls_key, arg);
        return 0;
    }
    return 1;
}

static int options_set(struct options *o, int opt, const char *arg, char **error)
{
    guint64 u = 0;
    int choice = 0;
    switch (opt) {
    case OPT_PORT:
        if (parse_unsigned("port", arg, 65535, &u, error) < 0)
            return -EINVAL;
        o->port = (unsigned)u;
        return 0;
    case OPT_PORT_FILE:
        g_free(o->port_file);
        o->port_file = g_strdup(arg);
        return 0;
    case OPT_BIND: {
        unsigned char addr[sizeof(struct in6_addr)];
        if (inet_pton(AF_INET, arg, addr) != 1 && inet_pton(AF_INET6, arg, addr) != 1) {
            *error = g_strdup_printf("--bind: '%s' is not an IPv4 or IPv6 address", arg);
            return -EINVAL;
        }
        g_free(o->bind);
        o->bind = g_strdup(arg);
        return 0;
    }
    case OPT_PROJECT:
        if (*arg == '\0' || strchr(arg, '/') != NULL || strchr(arg, '?') != NULL) {
            *error =
                g_strdup_printf("--project-id: '%s' must be non-empty without '/' or '?'", arg);
            return -EINVAL;
        }
        g_free(o->project_id);
        o->project_id = g_strdup(arg);
        return 0;
    case OPT_TOKEN_FILE:
        g_free(o->token_file);
        o->token_file = g_strdup(arg);
        return 0;
    case OPT_TASKS:
        if (parse_unsigned("tasks", arg, OPTIONS_TASKS_MAX, &u, error) < 0)
            return -EINVAL;
        o->tasks = (unsigned)u;
        return 0;
    case OPT_SEED:
        return parse_unsigned("seed", arg, G_MAXUINT64, &o->seed, error);
    case OPT_DATA:
        g_free(o->data);
        o->data = g_strdup(arg);
        return 0;
    case OPT_HOSTILE:
        o->hostile = true;
        return 0;
    case OPT_LIST_FIELDS:
        if (parse_choice("list-fields", arg, "summary", "full", &choice, error) < 0)
            return -EINVAL;
        o->list_fields = choice ? LIST_FIELDS_FULL : LIST_FIELDS_SUMMARY;
        return 0;
    case OPT_COUNT:
        if (parse_choice("count", arg, "page", "total", &choice, error) < 0)
            return -EINVAL;
        o->count = choice ? COUNT_TOTAL : COUNT_PAGE;
        return 0;
    case OPT_MATCH:
        if (parse_choice("match", arg, "loose", "exact", &choice, error) < 0)
            return -EINVAL;
        o->match = choice ? MATCH_EXACT : MATCH_LOOSE;
        return 0;
    case OPT_LATENCY:
        if (parse_unsigned("latency", arg, OPTIONS_MS_MAX, &u, error) < 0)
            return -EINVAL;
        o->latency_ms = (unsigned)u;
        return 0;
    case OPT_ACTION_DELAY:
        if (parse_unsigned("action-delay", arg, OPTIONS_MS_MAX, &u, error) < 0)
            return -EINVAL;
        o->action_delay_ms = (unsigned)u;
        return 0;
    case OPT_DELETE_DELAY:
        if (parse_unsigned("delete-delay", arg, OPTIONS_MS_MAX, &u, error) < 0)
            return -EINVAL;
        o->delete_delay_ms = (unsigned)u;
        return 0;
    case OPT_CHURN: {
        char *end = NULL;
        double r = g_ascii_strtod(arg, &end);
        if (*arg == '\0' || end == NULL || *end != '\0' || !(r >= 0 && r <= 100000)) {
            *error = g_strdup_printf("--churn: '%s' is not a number from 0 to 100000", arg);
            return -EINVAL;
        }
        o->churn = r;
        return 0;
    }
    case 'v':
        o->verbose = true;
        return 0;
    }
    return options_set_auth(o, opt, arg, error) == 0 ? 0 : -EINVAL;
}

int options_parse(struct options *o, int argc, char **argv, char **error)
{
    memset(o, 0, sizeof(*o));
    o->port = 8080;
    o->bind = g_strdup("127.0.0.1");
    o->project_id = g_strdup("0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d");
    o->tasks = 100;
    o->seed = 1;
    o->region = g_strdup("cn-north-4");
    o->token_ttl = 86400;
    o->aksk_lockout = 300;
    o->action_delay_ms = OPTIONS_DELAY_DEFAULT;
    o->delete_delay_ms = OPTIONS_DELAY_DEFAULT;

    opterr = 0; /* we print one line of our own */
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":v", long_options, NULL)) != -1) {
        const char *bad = optind > 1 && optind - 1 < argc ? argv[optind - 1] : "?";
        switch (opt) {
        case '?':
            *error = g_strdup_printf(strchr(bad, '=') != NULL
                                         ? "unknown option, or option without a value: '%s'"
                                         : "unknown option '%s'",
                                     bad);
            return -EINVAL;
        case ':':
            *error = g_strdup_printf("option '%s' needs a value", bad);
            return -EINVAL;
        case OPT_HELP:
            fputs(usage, stdout);
            return 1;
        case OPT_VERSION:
            printf("vias-emulator %s\n", VERSION);
            return 1;
        default:
            if (options_set(o, opt, optarg, error) < 0)
                return -EINVAL;
        }
    }
    if (optind < argc) {
        *error = g_strdup_printf("unexpected argument '%s'", argv[optind]);
        return -EINVAL;
    }
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        *error = g_strdup("--tls-cert and --tls-key go together");
        return -EINVAL;
    }
    return 0;
}

void options_release(struct options *o)
{
    g_clear_pointer(&o->port_file, g_free);
    g_clear_pointer(&o->bind, g_free);
    g_clear_pointer(&o->project_id, g_free);
    g_clear_pointer(&o->token_file, g_free);
    g_clear_pointer(&o->data, g_free);
    g_clear_pointer(&o->region, g_free);
    g_clear_pointer(&o->iam_users_file, g_free);
    g_clear_pointer(&o->aksk_file, g_free);
    g_clear_pointer(&o->tls_cert, g_free);
    g_clear_pointer(&o->tls_key, g_free);
}
