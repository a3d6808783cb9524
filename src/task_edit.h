/*
 * task_edit: the bodies of the update and create calls, built from what a user wrote into the
 * tree (PRODUCT.md section 8). Text in, text out: the api layer calls it with the task's
 * detail as the API sent it (secrets unmasked) and sends what it builds. Pure: no I/O, no
 * state. The one place that turns a "***" back into the secret it stands for, and that makes
 * sure no masked value is ever sent. api-layer private (it parses with cJSON).
 */
#ifndef VIASFS_TASK_EDIT_H
#define VIASFS_TASK_EDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "viasfs/api.h"

/*
 * The update body for @part of a task replaced by @text: from @detail (the detail answer, with
 * its secrets), the members an update takes (name, description, schedule, input, output,
 * config, and resource_order_id when set), in that order, with @part's member replaced.
 * @text is, for API_PART_NAME, one line (a final newline is dropped; empty or a second line is
 * refused); for the others a JSON object. A string "***" in @text stands for the value at the
 * same place in @detail's member and is replaced by it; when there is none (or it is itself
 * "***"), nothing is built. Returns 0 and the body (compact JSON, caller frees), or -EINVAL
 * with *@why (caller frees) saying what is wrong with @text, or -EBADMSG when @detail is not a
 * task object.
 */
int task_edit_update_body(const char *detail, size_t detail_len, enum api_part part,
                          const char *text, size_t len, char **body, char **why);

/* Whether @text has the form @part takes (see task_edit_update_body), before anything is
 * read: 0, or -EINVAL with *@why (caller frees). */
int task_edit_check(enum api_part part, const char *text, size_t len, char **why);

/*
 * Whether @detail (a detail answer) shows @body's (an update body's) value for @part: the
 * update was carried out. For a call that got no answer.
 */
bool task_edit_applied(const char *detail, size_t detail_len, enum api_part part,
                       const char *body);

/*
 * The create call from @text: one JSON object holding the create body and "service_name".
 * Returns 0 with the body without service_name (compact JSON) and the service name (both
 * caller frees); -EAGAIN when @text is so far the beginning of a JSON object (more is to
 * come); -EINVAL with *@why (caller frees) otherwise: not one object, service_name missing or
 * not a non-empty string, anything after the object but blanks, or a "***" anywhere (it stands
 * for no stored value here).
 */
int task_edit_create_body(const char *text, size_t len, char **service_name, char **body,
                          char **why);

#endif
