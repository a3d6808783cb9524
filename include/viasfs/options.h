/*
 * options: viasfs's command line, parsed once. Every option works as --name=value,
 * --name value, and -o name=value (so fstab and mount -t fuse.viasfs work); environment
 * variables fill what the command line leaves unset; defaults fill the rest; every value is
 * validated. Options this parser does not know (standard FUSE options such as allow_other,
 * -f, -d, -s) are passed through to FUSE in fuse_argv. It opens no files and talks to no one.
 */
#ifndef VIASFS_OPTIONS_H
#define VIASFS_OPTIONS_H

#include <stdbool.h>
#include <glib.h>

struct options {
    char *source;         /* SOURCE argument, or NULL */
    char *mountpoint;     /* required unless help or version */
    char *endpoint;       /* --endpoint, env VIAS_ENDPOINT, or from SOURCE */
    char *project_id;     /* --project-id, env VIAS_PROJECT_ID, or from SOURCE */
    char *token_file;     /* --token-file, env VIAS_TOKEN_FILE */
    char *token;          /* env VIAS_TOKEN only (a secret: never from argv) */
    char *log_target;     /* --log: "stderr" (default), "syslog" or a file path */
    char *cacert;         /* --cacert */
    int ttl;              /* --ttl seconds, 0..86400, default 30 */
    int refresh;          /* --refresh seconds, 0..86400, default 5 (0 = off) */
    int page_size;        /* --page-size 5..1000, default 1000 */
    int timeout;          /* --timeout seconds 1..3600, default 10 */
    int max_requests;     /* --max-requests 1..256, default 8 */
    bool show_secrets;    /* --show-secrets */
    bool insecure;        /* --insecure */
    bool no_inotify;      /* --no-inotify: no operations through the mountpoint on changes */
    bool foreground;      /* -f, or -d */
    bool debug;           /* -d: FUSE and HTTP traces */
    bool show_help;       /* -h, --help */
    bool show_version;    /* -V, --version */
    GPtrArray *fuse_argv; /* char *, owned: argv[0] then options for FUSE ("-o", "allow_other",
                             "-s", ...) */
};

/*
 * Parses @argv (argv[0] is the program name) and the environment into @o, which the caller
 * passes uninitialised and releases with options_release. Returns 0, or -EINVAL with one line
 * in *@why (caller frees) that names the option and what is wrong with it: unknown --option,
 * a bad number, a value out of range, a token given on the command line (--token or
 * -o token=...: the message says to use --token-file or VIAS_TOKEN instead), a missing
 * mountpoint, too many arguments. Missing endpoint/project/credential are NOT errors here
 * (options_check_ready reports them) so that --help and --version work alone.
 */
int options_parse(struct options *o, int argc, char **argv, char **why);

/*
 * Checks what mounting needs: endpoint, project id, and a credential (token file or
 * VIAS_TOKEN). Returns 0 or -EINVAL with one line in *@why saying which is missing and how to
 * give it.
 */
int options_check_ready(const struct options *o, char **why);

/* The --help text (every option, its default, its environment variable). Static storage. */
const char *options_usage(void);

void options_release(struct options *o);

#endif
