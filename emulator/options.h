/* options: the command line of vias-emulator.
 *
 * Every option works as `--name value` and as `--name=value`. Parsing checks types and
 * ranges and reports the first problem in one line; it opens no file (the emulator does).
 * The usage text (--help) lives here. */
#pragma once

#include <glib.h>
#include <stdbool.h>

enum list_fields { LIST_FIELDS_SUMMARY, LIST_FIELDS_FULL };
enum count_mode { COUNT_PAGE, COUNT_TOTAL };
enum match_mode { MATCH_LOOSE, MATCH_EXACT };

#define OPTIONS_TASKS_MAX     2000000
#define OPTIONS_SECONDS_MAX   315360000 /* ten years: the bound of every seconds option */
#define OPTIONS_MS_MAX        3600000   /* an hour: the bound of every milliseconds option */
#define OPTIONS_DELAY_DEFAULT 3000      /* --action-delay and --delete-delay, milliseconds */

struct options {
    unsigned port;    /* 0: any free port */
    char *port_file;  /* owned, or NULL */
    char *bind;       /* owned; an IPv4 or IPv6 address */
    char *project_id; /* owned */
    char *token_file; /* owned, or NULL: any non-empty token */
    unsigned tasks;
    guint64 seed;
    char *data; /* owned, or NULL: generate */
    bool hostile;
    enum list_fields list_fields;
    enum count_mode count;
    enum match_mode match;
    unsigned latency_ms;
    double churn;             /* state changes per second */
    unsigned action_delay_ms; /* STARTING/STOPPING/PENDING -> settled state after a control call */
    unsigned delete_delay_ms; /* DELETING -> removed after a delete call */
    bool verbose;
    char *region;          /* owned; the IAM project name a token must be scoped to */
    char *iam_users_file;  /* owned, or NULL: no IAM user can log in */
    unsigned token_ttl;    /* seconds an issued IAM token lasts */
    char *aksk_file;       /* owned, or NULL: no AK/SK is known */
    unsigned aksk_lockout; /* seconds an AK stays locked after 5 bad signatures; 0: never */
    gint64 clock_skew;     /* seconds added to the real time wherever auth reads the clock */
    char *tls_cert;        /* owned, or NULL: plain HTTP; set together with tls_key */
    char *tls_key;         /* owned, or NULL */
};

/* Fills o from argv. 0 to run; 1 when --help or --version was printed (exit 0); -EINVAL with
 * a one-line message in *error (caller frees; exit 2). Release o with options_release(). */
int options_parse(struct options *o, int argc, char **argv, char **error);
void options_release(struct options *o);
