/*
 * log: level filter and sink for diagnostics (stderr, syslog or a file). It formats and
 * writes; it does not decide what is secret (callers never pass secrets) and does not keep
 * history (the mount's .viasfs/errors file has its own ring).
 */
#include "viasfs/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <glib.h>

static gint current_level = LOG_LEVEL_WARN;
/* Protects sink_file and sink_syslog. */
static GMutex sink_lock;
static FILE *sink_file; /* NULL means stderr */
static bool sink_syslog;

void log_set_level(enum log_level level)
{
    g_atomic_int_set(&current_level, level);
}

enum log_level log_get_level(void)
{
    return g_atomic_int_get(&current_level);
}

bool log_enabled(enum log_level level)
{
    return (int)level <= g_atomic_int_get(&current_level);
}

int log_set_target(const char *target)
{
    FILE *f = NULL;
    bool use_syslog = false;

    if (strcmp(target, "syslog") == 0) {
        use_syslog = true;
        openlog("viasfs", LOG_PID, LOG_DAEMON);
    } else if (strcmp(target, "stderr") != 0) {
        f = fopen(target, "ae");
        if (!f)
            return -errno;
        setvbuf(f, NULL, _IOLBF, 0);
    }
    g_mutex_lock(&sink_lock);
    if (sink_file)
        fclose(sink_file);
    sink_file = f;
    sink_syslog = use_syslog;
    g_mutex_unlock(&sink_lock);
    return 0;
}

static const char *const level_names[] = {"error", "warn", "info", "debug"};

bool log_level_from_name(const char *name, enum log_level *out)
{
    for (size_t i = 0; i < G_N_ELEMENTS(level_names); i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    if (strcmp(name, "warning") == 0) {
        *out = LOG_LEVEL_WARN;
        return true;
    }
    return false;
}

const char *log_level_name(enum log_level level)
{
    return (unsigned)level < G_N_ELEMENTS(level_names) ? level_names[level] : "unknown";
}

/* The word a message line carries: "warning" reads better than the option's "warn". */
static const char *line_label(enum log_level level)
{
    static const char *const labels[] = {"error", "warning", "info", "debug"};
    return labels[level];
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    static const int syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
    va_list ap;
    g_autofree char *text = NULL;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);

    g_mutex_lock(&sink_lock);
    if (sink_syslog) {
        syslog(syslog_prio[level], "%s", text);
    } else if (!sink_file) { /* the form of main's refusals: "viasfs: error: ..." */
        fprintf(stderr, "viasfs: %s: %s\n", line_label(level), text);
    } else {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S");
        fprintf(sink_file, "%s.%03dZ viasfs: %s: %s\n", stamp,
                g_date_time_get_microsecond(now) / 1000, line_label(level), text);
    }
    g_mutex_unlock(&sink_lock);
}
