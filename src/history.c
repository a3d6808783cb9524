/*
 * history: per-task lists of state changes seen (see history.h). State strings are shared
 * through one pool (a mount sees few distinct states), so a line costs 32 bytes.
 */
#include "viasfs/history.h"
#include "viasfs/json_string.h"

#include <string.h>

struct history {
    guint max_lines;   /* immutable */
    GMutex lock;       /* protects tasks and pool */
    GHashTable *tasks; /* id (owned) -> GArray of struct history_entry, oldest first */
    GHashTable *pool;  /* state strings (owned), shared by the entries */
};

struct history *history_new(guint max_lines)
{
    struct history *h = g_new0(struct history, 1);

    h->max_lines = MAX(max_lines, 1);
    g_mutex_init(&h->lock);
    h->tasks =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_array_unref);
    h->pool = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return h;
}

void history_free(struct history *h)
{
    if (!h)
        return;
    g_hash_table_unref(h->tasks);
    g_hash_table_unref(h->pool);
    g_mutex_clear(&h->lock);
    g_free(h);
}

/* @s from the pool (added if new); NULL stays NULL. Call with h->lock held. */
static const char *pooled_locked(struct history *h, const char *s)
{
    char *p;

    if (!s)
        return NULL;
    p = g_hash_table_lookup(h->pool, s);
    if (!p) {
        p = g_strdup(s);
        g_hash_table_add(h->pool, p);
    }
    return p;
}

/* Appends @e to @lines, dropping the oldest past the bound. Call with h->lock held. */
static void append_locked(struct history *h, GArray *lines, const struct history_entry *e)
{
    struct history_entry copy = {.seen_ms = e->seen_ms,
                                 .updated_ms = e->updated_ms,
                                 .old_state = pooled_locked(h, e->old_state),
                                 .new_state = pooled_locked(h, e->new_state)};

    if (lines->len >= h->max_lines)
        g_array_remove_range(lines, 0, lines->len - h->max_lines + 1);
    g_array_append_val(lines, copy);
}

bool history_note(struct history *h, const char *id, const char *new_state, gint64 seen_ms,
                  gint64 updated_ms)
{
    struct history_entry e = {.seen_ms = seen_ms, .updated_ms = updated_ms, .new_state = new_state};
    GArray *lines;
    bool added = false;

    if (!new_state)
        return false;
    g_mutex_lock(&h->lock);
    lines = g_hash_table_lookup(h->tasks, id);
    if (!lines) {
        lines = g_array_new(FALSE, FALSE, sizeof(struct history_entry));
        g_hash_table_insert(h->tasks, g_strdup(id), lines);
    }
    if (lines->len)
        e.old_state = g_array_index(lines, struct history_entry, lines->len - 1).new_state;
    if (!e.old_state || strcmp(e.old_state, new_state) != 0) {
        append_locked(h, lines, &e);
        added = true;
    }
    g_mutex_unlock(&h->lock);
    return added;
}

/* @ms as "2026-11-28T17:00:00.123Z", appended to @out as a JSON string. */
static void append_time(GString *out, gint64 ms)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(ms / 1000);
    g_autofree char *stamp = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S") : NULL;

    if (!stamp) {
        g_string_append(out, "null");
        return;
    }
    g_string_append_printf(out, "\"%s.%03dZ\"", stamp, (int)(ms % 1000));
}

GBytes *history_render(struct history *h, const char *id, gint64 *mtime_ms)
{
    GString *out = g_string_new(NULL);
    GArray *lines;

    *mtime_ms = 0;
    g_mutex_lock(&h->lock);
    lines = g_hash_table_lookup(h->tasks, id);
    for (guint i = 0; lines && i < lines->len; i++) {
        const struct history_entry *e = &g_array_index(lines, struct history_entry, i);

        g_string_append(out, "{\"time\":");
        append_time(out, e->seen_ms);
        g_string_append(out, ",\"old\":");
        json_string_append(out, e->old_state);
        g_string_append(out, ",\"new\":");
        json_string_append(out, e->new_state);
        g_string_append(out, ",\"updated_at\":");
        if (e->updated_ms >= 0)
            append_time(out, e->updated_ms);
        else
            g_string_append(out, "null");
        g_string_append(out, "}\n");
        *mtime_ms = e->seen_ms;
    }
    g_mutex_unlock(&h->lock);
    return g_string_free_to_bytes(out);
}

static void entry_clear(gpointer p)
{
    struct history_entry *e = p;

    g_free((char *)e->old_state);
    g_free((char *)e->new_state);
}

GArray *history_get(struct history *h, const char *id)
{
    GArray *copy = NULL, *lines;

    g_mutex_lock(&h->lock);
    lines = g_hash_table_lookup(h->tasks, id);
    if (lines && lines->len) {
        copy = g_array_sized_new(FALSE, FALSE, sizeof(struct history_entry), lines->len);
        g_array_set_clear_func(copy, entry_clear);
        for (guint i = 0; i < lines->len; i++) {
            struct history_entry e = g_array_index(lines, struct history_entry, i);
            e.old_state = g_strdup(e.old_state);
            e.new_state = g_strdup(e.new_state);
            g_array_append_val(copy, e);
        }
    }
    g_mutex_unlock(&h->lock);
    return copy;
}

void history_set(struct history *h, const char *id, const struct history_entry *entries, guint n)
{
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(struct history_entry));

    g_mutex_lock(&h->lock);
    for (guint i = n > h->max_lines ? n - h->max_lines : 0; i < n; i++)
        if (entries[i].new_state)
            append_locked(h, lines, &entries[i]);
    g_hash_table_replace(h->tasks, g_strdup(id), lines);
    g_mutex_unlock(&h->lock);
}

void history_count(struct history *h, guint *tasks, guint64 *lines)
{
    GHashTableIter it;
    gpointer value;

    *lines = 0;
    g_mutex_lock(&h->lock);
    *tasks = g_hash_table_size(h->tasks);
    g_hash_table_iter_init(&it, h->tasks);
    while (g_hash_table_iter_next(&it, NULL, &value))
        *lines += ((GArray *)value)->len;
    g_mutex_unlock(&h->lock);
}
