/*
 * log: the one place viasfs writes diagnostics. Messages go to stderr by default, or to
 * syslog or a file. Nothing logged may contain a secret: callers pass descriptions, never
 * header values or bodies that carry credentials.
 */
#ifndef VIASFS_LOG_H
#define VIASFS_LOG_H

#include <stdbool.h>

/* Each level includes those before it; the default is LOG_LEVEL_WARN. */
enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/*
 * The level named @name: "error", "warn" (or "warning"), "info" or "debug", exactly, in
 * lower case. Returns false, leaving *@out alone, for any other string.
 */
bool log_level_from_name(const char *name, enum log_level *out);

/* "error", "warn", "info" or "debug": the name --log-level takes. Static storage. */
const char *log_level_name(enum log_level level);

/* Messages above @level are dropped. Thread-safe; callable at any time. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);

/*
 * Send messages to "stderr" ("viasfs: warning: TEXT"), "syslog" or a file path (appended,
 * "2024-05-01T10:00:00.123Z viasfs: warning: TEXT"). Returns 0 or -errno
 * (the file could not be opened); on failure the previous sink stays.
 */
int log_set_target(const char *target);

/* printf-style; a newline is added. Thread-safe. */
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_DEBUG))                                                          \
            log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                                 \
    } while (0)

#endif
