/* error_log: a mutex-protected ring of failure lines (see error_log.h). */
#include "viasfs/error_log.h"

struct error_log {
    GMutex lock;    /* protects lines and total */
    GQueue lines;   /* char *, owned, oldest first */
    guint capacity; /* immutable */
    guint64 total;
};

struct error_log *error_log_new(guint capacity)
{
    struct error_log *log = g_new0(struct error_log, 1);

    g_mutex_init(&log->lock);
    g_queue_init(&log->lines);
    log->capacity = MAX(capacity, 1);
    return log;
}

void error_log_free(struct error_log *log)
{
    if (!log)
        return;
    g_queue_clear_full(&log->lines, g_free);
    g_mutex_clear(&log->lock);
    g_free(log);
}

void error_log_add(const struct api_error *e, void *data)
{
    g_autofree char *text = api_error_describe(e);

    error_log_add_text(data, text);
}

void error_log_add_text(struct error_log *log, const char *text)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    char *line = g_strdup_printf("%s %s", stamp, text);

    g_mutex_lock(&log->lock);
    g_queue_push_tail(&log->lines, line);
    while (log->lines.length > log->capacity)
        g_free(g_queue_pop_head(&log->lines));
    log->total++;
    g_mutex_unlock(&log->lock);
}

char *error_log_render(struct error_log *log)
{
    GString *s = g_string_new(NULL);

    g_mutex_lock(&log->lock);
    for (GList *l = log->lines.head; l; l = l->next)
        g_string_append_printf(s, "%s\n", (char *)l->data);
    g_mutex_unlock(&log->lock);
    return g_string_free(s, FALSE);
}

char *error_log_last(struct error_log *log)
{
    char *last;

    g_mutex_lock(&log->lock);
    last = g_strdup(g_queue_peek_tail(&log->lines));
    g_mutex_unlock(&log->lock);
    return last;
}

guint64 error_log_total(struct error_log *log)
{
    guint64 n;

    g_mutex_lock(&log->lock);
    n = log->total;
    g_mutex_unlock(&log->lock);
    return n;
}
