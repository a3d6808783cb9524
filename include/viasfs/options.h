/*
 * options: viasfs's command line, parsed once. Every option works as --name=value,
 * --name value, and -o name=value (so fstab and mount -t fuse.viasfs work); environment
 * variables fill what the command line leaves unset; the config file (config.h) fills what
 * both leave unset; defaults fill the rest; every value is validated. Options this parser
 * does not know (standard FUSE options such as allow_other, -f, -d, -s) are passed through
 * to FUSE in fuse_argv. It reads the config file and nothing else: it does not open the
 * credential files it is given, check the mountpoint, or talk to anyone.
 */
#ifndef VIASFS_OPTIONS_H
#define VIASFS_OPTIONS_H

#include "viasfs/log.h"

#include <stdbool.h>
#include <glib.h>

/* The kind of credential the options give. */
enum options_auth {
    OPTIONS_AUTH_NONE,  /* no credential given, or more than one kind (options_check_ready
                           refuses both) */
    OPTIONS_AUTH_TOKEN, /* a ready token: token_file, else token (env VIAS_TOKEN) */
    OPTIONS_AUTH_IAM,   /* IAM password login: iam_user, iam_domain, iam_password_file,
                           region, iam_endpoint */
    OPTIONS_AUTH_AKSK,  /* AK/SK request signing: credentials_file */
};
#define OPTIONS_AUTH_KINDS 4

struct options {
    char *source;                  /* SOURCE argument, or NULL */
    char *mountpoint;              /* required unless help or version */
    char *endpoint;                /* --endpoint, SOURCE, env VIAS_ENDPOINT, config, else
                                      https://vias.<region>.myhuaweicloud.com when region is set */
    char *project_id;              /* --project-id, SOURCE, env VIAS_PROJECT_ID, config; may stay
                                      NULL with IAM (the token names the project) */
    enum options_auth auth_method; /* set when exactly one kind of credential is given */
    char *token_file;              /* --token-file, env VIAS_TOKEN_FILE */
    char *token;                   /* env VIAS_TOKEN only (a secret: never from argv or config) */
    char *iam_endpoint;            /* --iam-endpoint, env VIAS_IAM_ENDPOINT; with IAM and a region
                                      it defaults to https://iam.<region>.myhuaweicloud.com */
    char *iam_user;                /* --iam-user, env VIAS_IAM_USER */
    char *iam_domain;              /* --iam-domain (the account name), env VIAS_IAM_DOMAIN */
    char *iam_password_file;       /* --iam-password-file, env VIAS_IAM_PASSWORD_FILE */
    char *region;                  /* --region, env VIAS_REGION: "cn-north-4" */
    char *credentials_file;        /* --credentials-file (AK/SK), env VIAS_CREDENTIALS_FILE */
    /* For each enum options_auth kind, how it was first given ("--token-file", "VIAS_TOKEN",
       "iam_user at /etc/viasfs/x.conf:3"), for messages; NULL when not given. */
    char *auth_given[OPTIONS_AUTH_KINDS];
    char *config_file;        /* the config file that was read, or NULL (none, or help) */
    char *log_target;         /* --log: "stderr" (default), "syslog" or a file path */
    enum log_level log_level; /* --log-level, default LOG_LEVEL_WARN; -d makes it DEBUG */
    char *cacert;             /* --cacert */
    int ttl;                  /* --ttl seconds, 0..86400, default 30 */
    int refresh;              /* --refresh seconds, 0..86400, default 5 (0 = off) */
    int page_size;            /* --page-size 5..1000, default 1000 */
    int timeout;              /* --timeout seconds 1..3600, default 10 */
    int max_requests;         /* --max-requests 1..256, default 8 */
    int max_rate;             /* --max-rate background requests a second, 0..10000, default 20
                                 (0 = no limit) */
    int idle_after;           /* --idle-after seconds 1..86400, default 60 */
    int idle_refresh;         /* --idle-refresh seconds 1..604800, default 600 */
    int cache_size_mib;       /* --cache-size MiB of task details, 1..1048576, default 256 */
    int max_tasks;            /* --max-tasks per list walk, 1000..1e8, default 500000 */
    char *cache_dir;          /* --cache-dir, env VIAS_CACHE_DIR, config; default
                                 $XDG_CACHE_HOME/viasfs else ~/.cache/viasfs; NULL: "none" */
    bool show_secrets;        /* --show-secrets */
    bool allow_control;       /* --allow-control: the write path of PRODUCT.md section 8 */
    bool insecure;            /* --insecure */
    bool no_inotify;          /* --no-inotify: no operations through the mountpoint on changes */
    bool foreground;          /* -f, or -d */
    bool debug;               /* -d: FUSE and HTTP traces */
    bool show_help;           /* -h, --help */
    bool show_version;        /* -V, --version */
    GPtrArray *fuse_argv;     /* char *, owned: argv[0] then options for FUSE ("-o",
                                 "allow_other", "-s", ...) */
};

/*
 * Parses @argv (argv[0] is the program name), the environment and the config file into @o,
 * which the caller passes uninitialised and releases with options_release.
 *
 * Precedence, highest first: the command line (its options, then SOURCE), the environment,
 * the config file (--config=PATH, else config_default_path(); a missing default file is no
 * error, a missing --config file is), the defaults. The kind of credential is chosen as a
 * whole: a layer that names one (say --credentials-file on the command line) hides the other
 * kinds' keys in the layers below it (VIAS_TOKEN_FILE in the environment is then ignored),
 * while keys of the same kind still combine across layers. The config file is not read for
 * --help or --version.
 *
 * Returns 0, or -EINVAL with one line in *@why (caller frees) that names the option and what
 * is wrong with it: unknown --option, a bad number, a value out of range, a secret given on
 * the command line or in the config file (--token, --password, --secret-key, ...: the message
 * says which file option to use instead), a missing mountpoint, too many arguments, a config
 * file that cannot be read or holds an unknown key or a bad value ("PATH:LINE: ..."). Missing
 * endpoint/project/credential are NOT errors here (options_check_ready reports them) so that
 * --help and --version work alone.
 */
int options_parse(struct options *o, int argc, char **argv, char **why);

/*
 * Checks what mounting needs: a mountpoint, an endpoint, exactly one kind of credential,
 * complete (IAM needs iam_user, iam_domain, iam_password_file and region), and a project id
 * unless the credential is IAM. Returns 0, or -EINVAL with one line in *@why saying what is
 * missing or conflicting and how to give it (two kinds of credential are both named).
 */
int options_check_ready(const struct options *o, char **why);

/* The --help text (every option, its default, its environment variable). Static storage. */
const char *options_usage(void);

/* Wipes the token and frees everything; @o is all zero afterwards. Twice is harmless. */
void options_release(struct options *o);

#endif
