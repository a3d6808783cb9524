/*
 * task_cjson: the api layer's private bridge from a parsed cJSON object to a struct task.
 * Only api-layer files include this header; cJSON types do not leave the api layer.
 */
#ifndef VIASFS_TASK_CJSON_H
#define VIASFS_TASK_CJSON_H

#include <cjson/cJSON.h>
#include "viasfs/task.h"

/*
 * Builds a task from @obj, which it may modify (secrets are redacted, invalid UTF-8 is
 * replaced). Returns 0 and a new reference, or -EBADMSG with *@why set (caller frees).
 */
int task_from_cjson(cJSON *obj, const struct task_parse_opts *opts, struct task **out, char **why);

/*
 * At most this many JSON values in one answer. cJSON spends about 80 bytes on each value, so
 * an answer of "[0,0,0,...]" would cost 40 times its length (2.5 GB for 61 MB); this bounds
 * a parse tree to about 85 MB. A page of 1000 whole tasks holds about 62,000 values.
 */
#define TASK_MAX_JSON_VALUES (1 << 20)

/* Parses @len bytes of JSON (not necessarily NUL-terminated). NULL with *@why set (caller
 * frees) when it is not JSON or holds more than TASK_MAX_JSON_VALUES values. */
cJSON *task_cjson_parse(const char *text, size_t len, char **why);

#endif
