/* store: the emulator's data set (see store.h). */
#include "store.h"

#include "index.h"

#include <errno.h>
#include <string.h>

struct store {
    GRWLock lock;                       /* protects everything below */
    GPtrArray *order;                   /* struct task *, owned; ascending (created_ms, id);
                                           order->pdata[i]->pos == i */
    GHashTable *by_id;                  /* task->id (borrowed) -> struct task * (borrowed) */
    struct index index[TASK_KEY_COUNT]; /* one per filter key (index.h) */
};

static int store_order_cmp(const struct task *a, const struct task *b)
{
    if (a->created_ms != b->created_ms)
        return a->created_ms < b->created_ms ? -1 : 1;
    return strcmp(a->id, b->id);
}

static void store_task_free(gpointer t, gpointer unused)
{
    task_free(t);
}

static gint store_order_cmp_indirect(gconstpointer a, gconstpointer b)
{
    return store_order_cmp(*(struct task *const *)a, *(struct task *const *)b);
}

struct store *store_new(void)
{
    struct store *s = g_new0(struct store, 1);
    g_rw_lock_init(&s->lock);
    s->order = g_ptr_array_new();
    s->by_id = g_hash_table_new(g_str_hash, g_str_equal);
    for (int k = 0; k < TASK_KEY_COUNT; k++)
        index_init(&s->index[k]);
    return s;
}

void store_free(struct store *s)
{
    if (s == NULL)
        return;
    for (int k = 0; k < TASK_KEY_COUNT; k++)
        index_release(&s->index[k]);
    g_hash_table_unref(s->by_id);
    g_ptr_array_foreach(s->order, store_task_free, NULL);
    g_ptr_array_unref(s->order);
    g_rw_lock_clear(&s->lock);
    g_free(s);
}

/* Caller holds the write lock. */
static void store_renumber(struct store *s, guint from)
{
    for (guint i = from; i < s->order->len; i++)
        ((struct task *)s->order->pdata[i])->pos = i;
}

/* Caller holds the write lock. */
static void store_index_task(struct store *s, struct task *t, bool add)
{
    for (int k = 0; k < TASK_KEY_COUNT; k++) {
        if (add)
            index_add(&s->index[k], t->keys[k], t);
        else
            index_remove(&s->index[k], t->keys[k], t);
    }
}

/* Inserts t at its place in the order. Caller holds the write lock. */
static void store_insert_sorted(struct store *s, struct task *t)
{
    guint lo = 0, hi = s->order->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (store_order_cmp(s->order->pdata[mid], t) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    g_ptr_array_insert(s->order, (gint)lo, t);
    store_renumber(s, lo);
}

int store_add(struct store *s, GPtrArray *tasks, GError **error)
{
    g_rw_lock_writer_lock(&s->lock);
    g_autoptr(GHashTable) batch = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < tasks->len; i++) {
        struct task *t = tasks->pdata[i];
        if (g_hash_table_contains(s->by_id, t->id) || !g_hash_table_add(batch, t->id)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_EXIST, "task id %s already exists",
                        t->id);
            g_rw_lock_writer_unlock(&s->lock);
            g_ptr_array_foreach(tasks, store_task_free, NULL);
            g_free(g_ptr_array_steal(tasks, NULL));
            return -EEXIST;
        }
    }
    guint first = s->order->len;
    bool in_order = true;
    for (guint i = 0; i < tasks->len; i++) {
        struct task *t = tasks->pdata[i];
        if (s->order->len > 0 && store_order_cmp(s->order->pdata[s->order->len - 1], t) > 0)
            in_order = false;
        g_ptr_array_add(s->order, t);
        g_hash_table_insert(s->by_id, t->id, t);
        store_index_task(s, t, true);
    }
    if (!in_order) {
        g_ptr_array_sort(s->order, store_order_cmp_indirect);
        first = 0;
    }
    store_renumber(s, first);
    g_rw_lock_writer_unlock(&s->lock);
    g_free(g_ptr_array_steal(tasks, NULL)); /* the store owns the tasks now */
    return 0;
}

int store_remove(struct store *s, const char *id)
{
    return store_remove_in_state(s, id, NULL);
}

int store_remove_in_state(struct store *s, const char *id, const char *state)
{
    g_rw_lock_writer_lock(&s->lock);
    struct task *t = g_hash_table_lookup(s->by_id, id);
    if (t == NULL) {
        g_rw_lock_writer_unlock(&s->lock);
        return -ENOENT;
    }
    if (state != NULL && g_strcmp0(t->keys[TASK_KEY_STATE], state) != 0) {
        g_rw_lock_writer_unlock(&s->lock);
        return -ESTALE;
    }
    g_hash_table_remove(s->by_id, id);
    store_index_task(s, t, false);
    guint pos = t->pos;
    g_ptr_array_remove_index(s->order, pos);
    store_renumber(s, pos);
    g_rw_lock_writer_unlock(&s->lock);
    task_free(t);
    return 0;
}

int store_update(struct store *s, const char *id, store_edit_fn edit, void *data, char **json,
                 GError **error)
{
    g_rw_lock_writer_lock(&s->lock);
    struct task *old = g_hash_table_lookup(s->by_id, id);
    if (old == NULL) {
        g_rw_lock_writer_unlock(&s->lock);
        return -ENOENT;
    }
    g_autoptr(cJSON) record = task_to_record(old);
    int rc = edit(record, data);
    if (rc < 0) {
        g_rw_lock_writer_unlock(&s->lock);
        return rc;
    }
    if (g_strcmp0(json_string(record, "id"), old->id) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "the id of a task cannot change");
        g_rw_lock_writer_unlock(&s->lock);
        return -EINVAL;
    }
    struct task *t = task_new(record, error);
    if (t == NULL) {
        g_rw_lock_writer_unlock(&s->lock);
        return -EINVAL;
    }
    for (int k = 0; k < TASK_KEY_COUNT; k++) {
        if (g_strcmp0(old->keys[k], t->keys[k]) == 0) {
            index_replace(&s->index[k], t->keys[k], old, t);
        } else {
            index_remove(&s->index[k], old->keys[k], old);
            index_add(&s->index[k], t->keys[k], t);
        }
    }
    if (t->created_ms == old->created_ms) {
        t->pos = old->pos;
        s->order->pdata[t->pos] = t;
    } else {
        g_ptr_array_remove_index(s->order, old->pos);
        store_renumber(s, old->pos);
        store_insert_sorted(s, t);
    }
    g_hash_table_replace(s->by_id, t->id, t);
    if (json != NULL)
        *json = g_strndup(t->full, t->full_len);
    g_rw_lock_writer_unlock(&s->lock);
    task_free(old);
    return 0;
}

char *store_detail(struct store *s, const char *id, size_t *len)
{
    char *out = NULL;
    g_rw_lock_reader_lock(&s->lock);
    const struct task *t = g_hash_table_lookup(s->by_id, id);
    if (t != NULL) {
        out = g_strndup(t->full, t->full_len);
        *len = t->full_len;
    }
    g_rw_lock_reader_unlock(&s->lock);
    return out;
}

cJSON *store_record(struct store *s, const char *id)
{
    cJSON *out = NULL;
    g_rw_lock_reader_lock(&s->lock);
    const struct task *t = g_hash_table_lookup(s->by_id, id);
    if (t != NULL)
        out = task_to_record(t);
    g_rw_lock_reader_unlock(&s->lock);
    return out;
}

guint store_count(struct store *s)
{
    g_rw_lock_reader_lock(&s->lock);
    guint n = s->order->len;
    g_rw_lock_reader_unlock(&s->lock);
    return n;
}

char *store_random_id(struct store *s, GRand *rng)
{
    char *id = NULL;
    g_rw_lock_reader_lock(&s->lock);
    if (s->order->len > 0) {
        const struct task *t = s->order->pdata[g_rand_int_range(rng, 0, (gint32)s->order->len)];
        id = g_strdup(t->id);
    }
    g_rw_lock_reader_unlock(&s->lock);
    return id;
}

cJSON *store_hidden(struct store *s)
{
    cJSON *arr = cJSON_CreateArray();
    g_rw_lock_reader_lock(&s->lock);
    for (guint i = 0; i < s->order->len; i++) {
        const struct task *t = s->order->pdata[i];
        cJSON *h = task_hidden_to_json(t);
        cJSON_AddItemToObject(h, "id", cJSON_CreateString(t->id));
        const char *const first[] = {"id"};
        json_reorder(h, first, 1);
        cJSON_AddItemToArray(arr, h);
    }
    g_rw_lock_reader_unlock(&s->lock);
    return arr;
}

/* A bitmap over positions in the order: one bit per task. */
struct bitmap {
    guint64 *words;
    guint n_words;
};

static void bitmap_mark(struct task *t, void *data)
{
    struct bitmap *b = data;
    b->words[t->pos >> 6] |= G_GUINT64_CONSTANT(1) << (t->pos & 63);
}

/* The positions matching filter f. Caller holds a lock; caller frees words. */
static void store_filter_bitmap(struct store *s, const struct query_filter *f, struct bitmap *b)
{
    b->n_words = (s->order->len + 63) / 64;
    b->words = g_new0(guint64, MAX(1, b->n_words));
    for (guint v = 0; v < f->values->len; v++)
        index_match(&s->index[f->key], f->values->pdata[v], f->loose, bitmap_mark, b);
}

static void store_append_task(GString *out, const struct task *t, bool full, bool *first)
{
    if (!*first)
        g_string_append_c(out, ',');
    *first = false;
    if (full)
        g_string_append_len(out, t->full, (gssize)t->full_len);
    else
        g_string_append_len(out, t->summary, (gssize)t->summary_len);
}

/* Appends the `want` tasks after skipping `skip` set bits, walking up (asc) or down. */
static void store_walk_bitmap(struct store *s, const struct bitmap *b, bool asc, guint64 skip,
                              guint want, bool full, GString *out)
{
    bool first = true;
    for (guint step = 0; step < b->n_words && want > 0; step++) {
        guint w = asc ? step : b->n_words - 1 - step;
        guint64 word = b->words[w];
        guint c = (guint)__builtin_popcountll(word);
        if (skip >= c) {
            skip -= c;
            continue;
        }
        while (word != 0 && want > 0) {
            guint bit = asc ? (guint)__builtin_ctzll(word) : 63 - (guint)__builtin_clzll(word);
            word &= ~(G_GUINT64_CONSTANT(1) << bit);
            if (skip > 0) {
                skip--;
                continue;
            }
            store_append_task(out, s->order->pdata[w * 64 + bit], full, &first);
            want--;
        }
    }
}

void store_list(struct store *s, const struct query *q, bool full, bool total, GString *out)
{
    g_rw_lock_reader_lock(&s->lock);
    guint n = s->order->len;
    struct bitmap bits = {0};
    guint64 matching = n;
    if (q->n_filters > 0) {
        store_filter_bitmap(s, &q->filters[0], &bits);
        for (guint i = 1; i < q->n_filters; i++) {
            struct bitmap more = {0};
            store_filter_bitmap(s, &q->filters[i], &more);
            for (guint w = 0; w < bits.n_words; w++)
                bits.words[w] &= more.words[w];
            g_free(more.words);
        }
        matching = 0;
        for (guint w = 0; w < bits.n_words; w++)
            matching += (guint64)__builtin_popcountll(bits.words[w]);
    }
    guint64 offset = (guint64)(q->page - 1) * q->page_size;
    guint want = offset < matching ? (guint)MIN((guint64)q->page_size, matching - offset) : 0;

    g_string_append_printf(out, "{\"count\":%" G_GUINT64_FORMAT ",\"tasks\":[",
                           total ? matching : (guint64)want);
    if (q->n_filters > 0) {
        store_walk_bitmap(s, &bits, q->asc, offset, want, full, out);
    } else {
        bool first = true;
        for (guint k = 0; k < want; k++) {
            guint64 i = q->asc ? offset + k : n - 1 - offset - k;
            store_append_task(out, s->order->pdata[i], full, &first);
        }
    }
    g_rw_lock_reader_unlock(&s->lock);
    g_free(bits.words);
    g_string_append_printf(out, "],\"page\":%" G_GINT64_FORMAT ",\"page_size\":%u}", q->page,
                           q->page_size);
}
