/* event_log: a window of lines with sequence numbers (see event_log.h). */
#include "viasfs/event_log.h"

#include <errno.h>
#include <string.h>

struct event_log {
    GMutex lock;                  /* protects lines, first, next, bytes */
    GPtrArray *lines;             /* char * with "\n", owned; ring of capacity entries, NULL
                                     where a line was dropped */
    guint capacity;               /* immutable: the bound in lines */
    size_t max_bytes;             /* immutable: the bound in bytes */
    guint64 base;                 /* immutable: the number of the first line ever appended */
    guint64 first;                /* sequence number of the oldest kept line */
    guint64 next;                 /* sequence number of the next line */
    size_t bytes;                 /* bytes of the kept lines */
    void (*listener)(void *data); /* set once before use */
    void *listener_data;
};

struct event_log *event_log_new(guint max_lines, size_t max_bytes, guint64 first_seq)
{
    struct event_log *log = g_new0(struct event_log, 1);

    g_mutex_init(&log->lock);
    log->capacity = MAX(max_lines, 1);
    log->max_bytes = MAX(max_bytes, 1);
    log->base = log->first = log->next = MAX(first_seq, 1);
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

/* Drops the oldest kept line. Call with log->lock held and at least one line kept. */
static void drop_oldest_locked(struct event_log *log)
{
    gpointer *slot = &log->lines->pdata[log->first % log->capacity];

    log->bytes -= strlen(*slot);
    g_clear_pointer(slot, g_free);
    log->first++;
}

void event_log_append(struct event_log *log, const char *line)
{
    char *copy;

    g_mutex_lock(&log->lock);
    if (line[0] == '{') /* the number goes in under the lock: it is exactly the line's */
        copy = g_strdup_printf("{\"seq\":%" G_GUINT64_FORMAT "%s%s\n", log->next,
                               line[1] == '}' ? "" : ",", line + 1);
    else
        copy = g_strconcat(line, "\n", NULL);
    if (log->next - log->first == log->capacity)
        drop_oldest_locked(log);
    log->lines->pdata[log->next % log->capacity] = copy;
    log->bytes += strlen(copy);
    log->next++;
    while (log->bytes > log->max_bytes && log->next - log->first > 1)
        drop_oldest_locked(log);
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
        cursor->seq = log->first; /* fell behind the window: skip what is gone */
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

bool event_log_seek(struct event_log *log, struct event_cursor *cursor, guint64 since,
                    struct event_gap *gap)
{
    bool lost = false;

    *gap = (struct event_gap){0};
    g_mutex_lock(&log->lock);
    cursor->offset = 0;
    if (since >= log->next) {
        /* A number this log never gave: the reader followed another history. */
        gap->ahead = lost = true;
        gap->from = log->base;
        gap->to = log->next - 1;
        cursor->seq = log->next;
    } else if (since + 1 < log->first) {
        lost = true;
        gap->from = since + 1;
        gap->to = log->first - 1;
        cursor->seq = log->first;
    } else {
        cursor->seq = since + 1;
    }
    g_mutex_unlock(&log->lock);
    return lost;
}

bool event_log_behind(struct event_log *log, struct event_cursor *cursor, struct event_gap *gap)
{
    bool behind;

    *gap = (struct event_gap){0};
    g_mutex_lock(&log->lock);
    behind = cursor->seq < log->first;
    if (behind) {
        gap->from = cursor->seq + (cursor->offset > 0); /* a line begun counts as had */
        gap->to = log->first - 1;
        cursor->seq = log->first;
        cursor->offset = 0;
    }
    g_mutex_unlock(&log->lock);
    return behind && gap->from <= gap->to;
}

void event_log_window(struct event_log *log, struct event_window *out)
{
    g_mutex_lock(&log->lock);
    out->lines = log->next - log->first;
    out->bytes = log->bytes;
    out->first_seq = log->first;
    out->last_seq = log->next - 1;
    out->max_lines = log->capacity;
    out->max_bytes = log->max_bytes;
    g_mutex_unlock(&log->lock);
}

guint64 event_log_total(struct event_log *log)
{
    guint64 n;

    g_mutex_lock(&log->lock);
    n = log->next - log->base;
    g_mutex_unlock(&log->lock);
    return n;
}

guint64 event_log_last_seq(struct event_log *log)
{
    return event_log_end(log) - 1;
}

int event_log_parse_since(const char *buf, size_t size, guint64 *since)
{
    char digits[24];
    size_t n;

    if (size > 0 && buf[size - 1] == '\n')
        size--;
    if (size < 7 || memcmp(buf, "since ", 6) != 0)
        return -EINVAL;
    n = size - 6;
    if (n >= sizeof(digits))
        return -EINVAL;
    memcpy(digits, buf + 6, n);
    digits[n] = '\0';
    if (strspn(digits, "0123456789") != n ||
        !g_ascii_string_to_unsigned(digits, 10, 0, G_MAXUINT64 - 1, since, NULL))
        return -EINVAL;
    return 0;
}

guint64 event_log_seq_from_clock(void)
{
    return (guint64)(g_get_real_time() / 1000) * 1000;
}
