/* event_log: a ring of lines with sequence numbers (see event_log.h). */
#include "viasfs/event_log.h"

#include <string.h>

struct event_log {
    GMutex lock;                  /* protects lines, first */
    GPtrArray *lines;             /* char * with "\n", owned; ring of capacity entries */
    guint capacity;               /* immutable */
    guint64 first;                /* sequence number of the oldest kept line */
    guint64 next;                 /* sequence number of the next line */
    void (*listener)(void *data); /* set once before use */
    void *listener_data;
};

struct event_log *event_log_new(guint capacity)
{
    struct event_log *log = g_new0(struct event_log, 1);

    g_mutex_init(&log->lock);
    log->capacity = MAX(capacity, 1);
    log->lines = g_ptr_array_new_full(log->capacity, g_free);
    g_ptr_array_set_size(log->lines, (gint)log->capacity);
    return log;
}

void event_log_free(struct event_log *log)
{
    if (!log)
        return;
    g_ptr_array_unref(log->lines);
    g_mutex_clear(&log->lock);
    g_free(log);
}

void event_log_set_listener(struct event_log *log, void (*fn)(void *data), void *data)
{
    log->listener = fn;
    log->listener_data = data;
}

void event_log_append(struct event_log *log, const char *line)
{
    char *copy = g_strconcat(line, "\n", NULL);
    gpointer *slot;

    g_mutex_lock(&log->lock);
    slot = &log->lines->pdata[log->next % log->capacity];
    g_free(*slot);
    *slot = copy;
    log->next++;
    if (log->next - log->first > log->capacity)
        log->first = log->next - log->capacity;
    g_mutex_unlock(&log->lock);
    if (log->listener)
        log->listener(log->listener_data);
}

guint64 event_log_end(struct event_log *log)
{
    guint64 n;

    g_mutex_lock(&log->lock);
    n = log->next;
    g_mutex_unlock(&log->lock);
    return n;
}

size_t event_log_read(struct event_log *log, struct event_cursor *cursor, GString *out, size_t max)
{
    size_t copied = 0;

    g_mutex_lock(&log->lock);
    if (cursor->seq < log->first) {
        cursor->seq = log->first; /* fell behind the ring: skip what is gone */
        cursor->offset = 0;
    }
    while (cursor->seq < log->next && copied < max) {
        const char *line = log->lines->pdata[cursor->seq % log->capacity];
        size_t n = strlen(line) - cursor->offset;
        if (copied + n > max) {
            if (copied == 0) { /* a line longer than the read: give what fits, keep the rest */
                g_string_append_len(out, line + cursor->offset, (gssize)max);
                cursor->offset += max;
                copied = max;
            }
            break;
        }
        g_string_append_len(out, line + cursor->offset, (gssize)n);
        copied += n;
        cursor->seq++;
        cursor->offset = 0;
    }
    g_mutex_unlock(&log->lock);
    return copied;
}

guint64 event_log_total(struct event_log *log)
{
    return event_log_end(log);
}
