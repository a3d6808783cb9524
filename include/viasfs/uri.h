/*
 * uri: percent-encoding and query strings for API URLs. Encoding keeps only the unreserved
 * set A-Za-z0-9-_.~ and writes upper-case hex (space is %20), which is both what the
 * gateway accepts and what SDK-HMAC-SHA256 signing needs. It does not parse URLs.
 */
#ifndef VIASFS_URI_H
#define VIASFS_URI_H

#include <stdbool.h>
#include <glib.h>

/* Append @s to @out, percent-encoded (every byte outside the unreserved set). */
void uri_append_escaped(GString *out, const char *s);

/* An ordered list of name=value parameters. Owns copies of its strings. */
struct uri_query {
    GPtrArray *names;  /* char *, owned */
    GPtrArray *values; /* char *, owned */
};

void uri_query_init(struct uri_query *q);
void uri_query_release(struct uri_query *q);
/* Adds a parameter; a NULL @value is ignored, so optional filters can be passed as they are. */
void uri_query_add(struct uri_query *q, const char *name, const char *value);
void uri_query_add_int(struct uri_query *q, const char *name, long value);
/*
 * The encoded query without the leading '?': in insertion order, or, when @sorted, sorted by
 * encoded name then encoded value (the canonical form signing uses). Caller frees.
 */
char *uri_query_to_string(const struct uri_query *q, bool sorted);

#endif
