/* query: the query parameters of the list call, checked against the documented rules.
 *
 * query_parse() checks every documented parameter in documentation order and stops at the
 * first violation, naming the parameter and the rule; unknown parameters are ignored. A
 * valid query becomes paging, a sort direction and a set of filters, all combined with AND.
 * It does not run the query (store.c). */
#pragma once

#include "request.h"
#include "task.h"

#include <glib.h>
#include <stdbool.h>

#define QUERY_PAGE_SIZE_MIN     5
#define QUERY_PAGE_SIZE_MAX     1000
#define QUERY_PAGE_SIZE_DEFAULT 10
#define QUERY_PAGE_MAX          G_MAXINT32

struct query_filter {
    enum task_key key;
    bool loose;        /* substring, ignoring ASCII case; else equality */
    GPtrArray *values; /* char *, owned; a task matches when any value matches (so an
                          empty list, from a value like ",,,,", matches nothing) */
};

struct query {
    gint64 page;     /* 1..QUERY_PAGE_MAX */
    guint page_size; /* QUERY_PAGE_SIZE_MIN..QUERY_PAGE_SIZE_MAX */
    bool asc;        /* sort_dir=asc; default desc */
    guint n_filters;
    struct query_filter filters[TASK_KEY_COUNT];
};

struct query_error {
    const char *param; /* static: the parameter that broke a rule */
    char *detail;      /* owned: a sentence naming the parameter and the rule */
};

/* Parses and checks the list parameters of r. exact: camera_name, task_name and title must
 * equal (else they are substrings). 0, or -EINVAL with *err filled (release it). On success
 * release q with query_release(). */
int query_parse(struct query *q, const struct request *r, bool exact, struct query_error *err);
void query_release(struct query *q);
void query_error_release(struct query_error *err);
