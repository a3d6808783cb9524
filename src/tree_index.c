/*
 * tree_index: the index of names built from one complete listing of all tasks: the
 * directories of by-camera/ and by-algorithm/ and the links of by-name/ (see tree_i.h).
 */
#include "tree_i.h"
#include "viasfs/name.h"

#include <string.h>

struct index *tree_index_ref(struct index *x)
{
    g_atomic_int_inc(&x->refcount);
    return x;
}

void tree_index_unref(struct index *x)
{
    if (!x || !g_atomic_int_dec_and_test(&x->refcount))
        return;
    listing_unref(x->src);
    for (int k = 0; k < VIEW_COUNT; k++) {
        if (x->dirs[k])
            g_ptr_array_unref(x->dirs[k]);
        if (x->dir_enc[k])
            g_hash_table_unref(x->dir_enc[k]);
    }
    for (guint i = 0; i < x->names->len; i++)
        g_free(g_array_index(x->names, struct name_entry, i).enc);
    g_array_unref(x->names);
    g_hash_table_unref(x->name_enc);
    g_free(x);
}

static int named_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp((*(struct named *const *)a)->enc, (*(struct named *const *)b)->enc);
}

static int name_entry_cmp(gconstpointer a, gconstpointer b)
{
    return strcmp(((const struct name_entry *)a)->enc, ((const struct name_entry *)b)->enc);
}

/* by-name's display name of a task whose name other tasks share: "<name>%@<id>". */
static char *shared_name(const char *enc, const char *id)
{
    size_t room = 255 - 2 - strlen(id);
    const char *end = enc + MIN(strlen(enc), room);

    while (end > enc && (*end & 0xc0) == 0x80) /* not inside a UTF-8 sequence */
        end--;
    return g_strdup_printf("%.*s%%@%s", (int)(end - enc), enc, id);
}

static struct index *index_build(struct tree *t, struct listing *l)
{
    struct index *x = g_new0(struct index, 1);
    g_autoptr(GHashTable) name_count = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GPtrArray) tasks = g_ptr_array_new_with_free_func((GDestroyNotify)task_unref);
    g_autoptr(GArray) slots = g_array_new(FALSE, FALSE, sizeof(guint32));
    guint n = listing_length(l);

    x->refcount = 1;
    x->src = listing_ref(l);
    for (int k = 0; k < VIEW_COUNT; k++) {
        if (!tree_view_indexed(&view_table[k]))
            continue;
        x->dirs[k] = g_ptr_array_new();
        x->dir_enc[k] = g_hash_table_new(g_str_hash, g_str_equal);
    }
    x->names = g_array_new(FALSE, FALSE, sizeof(struct name_entry));
    x->name_enc = g_hash_table_new(g_str_hash, g_str_equal);

    for (guint i = 0; i < n; i++) {
        guint32 slot = listing_slot(l, i);
        struct task *task = cache_peek_slot(t->cfg.cache, slot);
        if (!task)
            continue; /* gone since */
        g_ptr_array_add(tasks, task);
        g_array_append_val(slots, slot);
        const char *nm = task->name ? task->name : "";
        g_hash_table_replace(
            name_count, (gpointer)nm,
            GUINT_TO_POINTER(GPOINTER_TO_UINT(g_hash_table_lookup(name_count, nm)) + 1));
    }

    g_mutex_lock(&t->lock);
    for (guint i = 0; i < tasks->len; i++) {
        struct task *task = g_ptr_array_index(tasks, i);
        guint32 slot = g_array_index(slots, guint32, i);
        const char *nm = task->name ? task->name : "";
        struct name_entry e = {.enc = NULL, .slot = slot};
        g_autofree char *enc = name_encode(nm);

        for (int k = 0; k < VIEW_COUNT; k++) {
            const char *value = x->dirs[k] ? view_value(&view_table[k], task) : NULL;
            if (value) {
                struct named *d = tree_named_get_locked(t, k, value);
                if (g_hash_table_insert(x->dir_enc[k], d->enc, d))
                    g_ptr_array_add(x->dirs[k], d);
            }
        }
        if (GPOINTER_TO_UINT(g_hash_table_lookup(name_count, nm)) > 1)
            e.enc = shared_name(enc, task->id);
        else
            e.enc = g_steal_pointer(&enc);
        g_array_append_val(x->names, e);
    }
    g_mutex_unlock(&t->lock);

    for (int k = 0; k < VIEW_COUNT; k++)
        if (x->dirs[k])
            g_ptr_array_sort(x->dirs[k], named_cmp);
    g_array_sort(x->names, name_entry_cmp);
    for (guint i = 0; i < x->names->len; i++) {
        struct name_entry *e = &g_array_index(x->names, struct name_entry, i);
        g_hash_table_insert(x->name_enc, e->enc, GUINT_TO_POINTER(e->slot + 1));
    }
    return x;
}

/*
 * The index of the current list of all tasks, walking the list first when it is stale
 * (waiting until @deadline). Returns 0 and a reference, or -errno.
 */
int tree_index_get(struct tree *t, gint64 deadline, struct index **out)
{
    g_autoptr(GPtrArray) hold = NULL;
    struct listing *l = cache_listing(t->cfg.cache, NULL, NULL, deadline);
    struct index *x, *old = NULL;
    int rc = listing_wait_done(l, deadline);

    if (rc < 0) {
        listing_unref(l);
        return rc;
    }
    g_mutex_lock(&t->lock);
    x = t->index && t->index->src == l ? tree_index_ref(t->index) : NULL;
    g_mutex_unlock(&t->lock);
    if (!x) {
        x = index_build(t, l);
        g_mutex_lock(&t->lock);
        old = t->index;
        t->index = tree_index_ref(x);
        g_mutex_unlock(&t->lock);
        tree_index_unref(old);
    }
    listing_unref(l);
    *out = x;
    return 0;
}

/* The index if one exists for the current listing, without walking. NULL otherwise. */
struct index *tree_index_peek(struct tree *t)
{
    struct index *x = NULL;

    g_mutex_lock(&t->lock);
    if (t->index)
        x = tree_index_ref(t->index);
    g_mutex_unlock(&t->lock);
    return x;
}
