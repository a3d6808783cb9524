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
int task_from_cjson(cJSON *obj, const struct task_parse_opts *opts, struct task **out,
                    char **why);

/* Parses @len bytes of JSON (not necessarily NUL-terminated). NULL if not JSON. */
cJSON *task_cjson_parse(const char *text, size_t len);

#endif
