/* linefile: a text file of one record per line, re-read when it changes (see linefile.h). */
#include "linefile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

struct linefile {
    char *path; /* owned */
    linefile_parse_fn parse;
    GDestroyNotify value_free;
    GMutex lock;       /* protects table and seen */
    GHashTable *table; /* the last good content; replaced whole, so readers keep their ref */
    struct stat seen;  /* the file as last read (or found invalid) */
};

static bool stat_same(const struct stat *x, const struct stat *y)
{
    return x->st_ino == y->st_ino && x->st_dev == y->st_dev && x->st_size == y->st_size &&
           x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec &&
           x->st_ctim.tv_sec == y->st_ctim.tv_sec && x->st_ctim.tv_nsec == y->st_ctim.tv_nsec;
}

/* Parses text into a new table. NULL with *error set (prefixed with the path). */
static GHashTable *linefile_parse(struct linefile *f, const char *text, GError **error)
{
    g_autoptr(GHashTable) table =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, f->value_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    unsigned lineno = 0;
    for (char **l = lines; *l != NULL; l++) {
        lineno++;
        size_t n = strlen(*l);
        if (n > 0 && (*l)[n - 1] == '\r')
            (*l)[n - 1] = '\0';
        GError *err = NULL;
        if (f->parse(table, *l, lineno, &err) < 0) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: %s", f->path, err->message);
            g_error_free(err);
            return NULL;
        }
    }
    return g_steal_pointer(&table);
}

/* Reads the file into a new table. Caller holds f->lock (or owns f alone). -EIO when it
 * cannot be read (seen unchanged: tried again next time), -EINVAL when it is invalid (seen
 * updated: not tried again until it changes). */
static int linefile_load(struct linefile *f, const struct stat *st, GError **error)
{
    g_autofree char *text = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(f->path, &text, NULL, &err)) {
        g_propagate_error(error, err);
        return -EIO;
    }
    GHashTable *table = linefile_parse(f, text, error);
    f->seen = *st;
    if (table == NULL)
        return -EINVAL;
    if (f->table != NULL)
        g_hash_table_unref(f->table);
    f->table = table;
    return 0;
}

struct linefile *linefile_new(const char *path, linefile_parse_fn parse, GDestroyNotify value_free,
                              GError **error)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    struct linefile *f = g_new0(struct linefile, 1);
    f->path = g_strdup(path);
    f->parse = parse;
    f->value_free = value_free;
    g_mutex_init(&f->lock);
    if (linefile_load(f, &st, error) < 0) {
        linefile_free(f);
        return NULL;
    }
    return f;
}

void linefile_free(struct linefile *f)
{
    if (f == NULL)
        return;
    if (f->table != NULL)
        g_hash_table_unref(f->table);
    g_free(f->path);
    g_mutex_clear(&f->lock);
    g_free(f);
}

GHashTable *linefile_get(struct linefile *f)
{
    g_mutex_lock(&f->lock);
    struct stat st;
    if (stat(f->path, &st) == 0 && !stat_same(&st, &f->seen)) {
        g_autoptr(GError) err = NULL;
        if (linefile_load(f, &st, &err) < 0)
            fprintf(stderr, "vias-emulator: keeping the previous content: %s\n", err->message);
    }
    GHashTable *table = g_hash_table_ref(f->table);
    g_mutex_unlock(&f->lock);
    return table;
}
