/* index: tasks grouped by one string key (see index.h). */
#include "index.h"

#include <string.h>

/* The tasks of one key. Most keys (names) have one task, kept inline: a loose search that
 * hits many keys then touches one cache line per key instead of three. */
struct index_entry {
    guint len, cap;
    struct task **tasks; /* borrowed tasks, in no particular order; &first while cap == 1 */
    struct task *first;
    char folded[]; /* the key in ASCII lower case */
};

static struct index_entry *index_entry_new(const char *key)
{
    size_t n = strlen(key);
    struct index_entry *e = g_malloc0(sizeof(*e) + n + 1);
    for (size_t i = 0; i < n; i++)
        e->folded[i] = g_ascii_tolower(key[i]);
    e->cap = 1;
    e->tasks = &e->first;
    return e;
}

static void index_entry_free(gpointer p)
{
    struct index_entry *e = p;
    if (e->tasks != &e->first)
        g_free(e->tasks);
    g_free(e);
}

static void index_entry_add(struct index_entry *e, struct task *t)
{
    if (e->len == e->cap) {
        guint cap = e->cap * 4;
        struct task **grown = g_new(struct task *, cap);
        memcpy(grown, e->tasks, e->len * sizeof(*grown));
        if (e->tasks != &e->first)
            g_free(e->tasks);
        e->tasks = grown;
        e->cap = cap;
    }
    e->tasks[e->len++] = t;
}

/* The slot of t in e, or -1. */
static gint index_entry_find(const struct index_entry *e, const struct task *t)
{
    for (guint i = 0; i < e->len; i++)
        if (e->tasks[i] == t)
            return (gint)i;
    return -1;
}

void index_init(struct index *ix)
{
    ix->entries = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, index_entry_free);
    ix->dirty = true;
    g_mutex_init(&ix->search_lock);
    ix->search = g_string_new(NULL);
    ix->search_entries = g_ptr_array_new();
    ix->search_offsets = g_array_new(FALSE, FALSE, sizeof(guint));
}

void index_release(struct index *ix)
{
    g_clear_pointer(&ix->entries, g_hash_table_unref);
    g_string_free(ix->search, TRUE);
    g_ptr_array_unref(ix->search_entries);
    g_array_unref(ix->search_offsets);
    g_mutex_clear(&ix->search_lock);
}

void index_add(struct index *ix, const char *key, struct task *t)
{
    if (key == NULL)
        return;
    struct index_entry *e = g_hash_table_lookup(ix->entries, key);
    if (e == NULL) {
        e = index_entry_new(key);
        g_hash_table_insert(ix->entries, g_strdup(key), e);
        ix->dirty = true;
    }
    index_entry_add(e, t);
}

void index_remove(struct index *ix, const char *key, struct task *t)
{
    if (key == NULL)
        return;
    struct index_entry *e = g_hash_table_lookup(ix->entries, key);
    if (e == NULL)
        return;
    gint i = index_entry_find(e, t);
    if (i >= 0)
        e->tasks[i] = e->tasks[--e->len];
    if (e->len == 0) {
        g_hash_table_remove(ix->entries, key);
        ix->dirty = true;
    }
}

void index_replace(struct index *ix, const char *key, struct task *was, struct task *now)
{
    if (key == NULL)
        return;
    struct index_entry *e = g_hash_table_lookup(ix->entries, key);
    gint i = e != NULL ? index_entry_find(e, was) : -1;
    if (i >= 0)
        e->tasks[i] = now;
}

static guint index_entry_each(const struct index_entry *e, void (*fn)(struct task *, void *),
                              void *data)
{
    for (guint i = 0; i < e->len; i++)
        fn(e->tasks[i], data);
    return e->len;
}

static gint index_entry_address_cmp(gconstpointer a, gconstpointer b)
{
    guintptr x = (guintptr) * (void *const *)a, y = (guintptr) * (void *const *)b;
    return x < y ? -1 : x > y;
}

/* Rebuilds the search buffer. Caller holds ix->search_lock and the owner's read lock. */
static void index_build_search(struct index *ix)
{
    g_string_truncate(ix->search, 0);
    g_ptr_array_set_size(ix->search_entries, 0);
    g_array_set_size(ix->search_offsets, 0);
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, ix->entries);
    while (g_hash_table_iter_next(&it, &key, &val))
        g_ptr_array_add(ix->search_entries, val);
    /* In address order, the entries (and the tasks behind them, allocated alongside) are
     * visited roughly sequentially: several times faster than hash order for many hits. */
    g_ptr_array_sort(ix->search_entries, index_entry_address_cmp);
    for (guint i = 0; i < ix->search_entries->len; i++) {
        const struct index_entry *e = ix->search_entries->pdata[i];
        guint at = (guint)ix->search->len;
        g_array_append_val(ix->search_offsets, at);
        g_string_append_len(ix->search, e->folded, (gssize)strlen(e->folded) + 1);
    }
    ix->dirty = false;
}

/* The entry whose key holds buffer offset `at`. */
static guint index_search_entry(const struct index *ix, guint at)
{
    const guint *off = (const guint *)(void *)ix->search_offsets->data;
    guint lo = 0, hi = ix->search_offsets->len;
    while (hi - lo > 1) {
        guint mid = lo + (hi - lo) / 2;
        if (off[mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

guint index_match(struct index *ix, const char *value, bool loose,
                  void (*fn)(struct task *t, void *data), void *data)
{
    if (!loose) {
        const struct index_entry *e = g_hash_table_lookup(ix->entries, value);
        return e != NULL ? index_entry_each(e, fn, data) : 0;
    }
    g_autofree char *needle = g_ascii_strdown(value, -1);
    size_t nlen = strlen(needle);
    guint n = 0;
    g_mutex_lock(&ix->search_lock);
    if (ix->dirty)
        index_build_search(ix);
    const char *buf = ix->search->str;
    const char *end = buf + ix->search->len;
    const char *p = buf;
    while (p < end && (p = memmem(p, (size_t)(end - p), needle, nlen)) != NULL) {
        /* A hit cannot span two keys: the needle holds no NUL. */
        guint i = index_search_entry(ix, (guint)(p - buf));
        n += index_entry_each(ix->search_entries->pdata[i], fn, data);
        p = i + 1 < ix->search_offsets->len ? buf + g_array_index(ix->search_offsets, guint, i + 1)
                                            : end;
    }
    g_mutex_unlock(&ix->search_lock);
    return n;
}
