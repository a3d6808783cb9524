/* linefile: a text file of one record per line, parsed into a hash table, re-read when it
 * changes.
 *
 * The emulator's credential files (tokens, IAM users, access keys) are linefiles: a test can
 * rewrite one (best by rename) and the next request sees the new content. The file is
 * stat()ed on every linefile_get() (cheap) and re-read when its identity, size, mtime or
 * ctime changes. A file that becomes unreadable or invalid keeps the last good table, so an
 * atomic replace never opens a window of refusals; the warning it prints names the file and
 * the line number, never the line (it holds secrets).
 *
 * It knows nothing of any line format: a parse callback turns each line into table entries. */
#pragma once

#include <glib.h>
#include <stdbool.h>

/* Parses one line (NUL-terminated, without its '\n' or a trailing '\r'; the callback may
 * modify it) into `into`. lineno counts from 1. 0, or -EINVAL with *error set (a message that
 * must not quote the line). */
typedef int (*linefile_parse_fn)(GHashTable *into, char *line, unsigned lineno, GError **error);

struct linefile;

/* Reads path into a table of string keys (owned, g_free) and values freed with value_free
 * (may be NULL). NULL with *error set when the file cannot be read or parsed at start. */
struct linefile *linefile_new(const char *path, linefile_parse_fn parse, GDestroyNotify value_free,
                              GError **error);
void linefile_free(struct linefile *f);

/* The table as of the file's current content (re-read first if the file changed). A new
 * reference: release it with g_hash_table_unref(). Never NULL. Thread-safe. */
GHashTable *linefile_get(struct linefile *f);
