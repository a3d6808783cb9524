/*
 * error_log: the recent failures a user can read in .viasfs/errors, newest last: API calls
 * (time, call, HTTP status, the API's code and message) and requests viasfs itself refused.
 * A bounded ring; thread-safe. It stores descriptions (never secrets) and does not log (the
 * caller already did).
 */
#ifndef VIASFS_ERROR_LOG_H
#define VIASFS_ERROR_LOG_H

#include <glib.h>
#include "viasfs/api_error.h"

struct error_log;

/* Keeps the last @capacity failures. */
struct error_log *error_log_new(guint capacity);
void error_log_free(struct error_log *log);

/* Records @e now. Usable directly as an api_config.on_error callback (data = the log). */
void error_log_add(const struct api_error *e, void *log);
/* Records a failure of viasfs's own (no API call), described by one line of @text, now. */
void error_log_add_text(struct error_log *log, const char *text);

/* Every kept line ("2026-11-28T16:30:54Z GET ...: HTTP 401 APIG.0301: ...\n"). Caller frees. */
char *error_log_render(struct error_log *log);
/* The newest line without the newline, or NULL when there is none. Caller frees. */
char *error_log_last(struct error_log *log);
/* Failures recorded since the start. */
guint64 error_log_total(struct error_log *log);

#endif
