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

#define OPTIONS_TASKS_MAX 2000000

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
    double churn; /* state changes per second */
    bool verbose;
};

/* Fills o from argv. 0 to run; 1 when --help or --version was printed (exit 0); -EINVAL with
 * a one-line message in *error (caller frees; exit 2). Release o with options_release(). */
int options_parse(struct options *o, int argc, char **argv, char **error);
void options_release(struct options *o);
