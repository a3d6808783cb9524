/*
 * tree_draft: the temporary files editors make in a task's directory (see tree_i.h). They live
 * in memory under t->drafts_lock, which is taken alone; a draft left closed and unchanged for
 * TREE_DRAFT_IDLE_S is dropped when the next one is made.
 */
#include "tree_i.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

struct draft {
    guint64 ino;
    guint32 slot; /* of the task directory it lives in */
    char *name;
    GByteArray *data;
    mode_t mode; /* permission bits */
    uid_t uid;
    gid_t gid;
    gint64 mtime_ms;
    guint opens;          /* open handles */
    gint64 idle_since_us; /* monotonic: last change or close */
};

static void draft_free(gpointer p)
{
    struct draft *d = p;

    g_free(d->name);
    g_byte_array_unref(d->data);
    g_free(d);
}

void tree_drafts_init(struct tree *t)
{
    g_mutex_init(&t->drafts_lock);
    t->drafts = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, draft_free);
}

void tree_drafts_free(struct tree *t)
{
    g_hash_table_unref(t->drafts);
    g_mutex_clear(&t->drafts_lock);
}

static struct draft *find_locked(struct tree *t, guint32 slot, const char *name)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, t->drafts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        struct draft *d = v;
        if (d->slot == slot && strcmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

static struct draft *by_ino_locked(struct tree *t, guint64 ino)
{
    return g_hash_table_lookup(t->drafts, &ino);
}

static void attr_of(const struct draft *d, struct tree_attr *a)
{
    *a = (struct tree_attr){.ino = d->ino,
                            .mode = S_IFREG | (d->mode & 07777),
                            .nlink = 1,
                            .size = d->data->len,
                            .mtime_ms = d->mtime_ms,
                            .timeout_s = 0};
}

static void remove_locked(struct tree *t, struct draft *d)
{
    t->draft_bytes -= d->data->len;
    g_hash_table_remove(t->drafts, &d->ino);
}

/* Drops drafts left closed and unchanged for TREE_DRAFT_IDLE_S. */
static void expire_locked(struct tree *t)
{
    gint64 before = g_get_monotonic_time() - (gint64)TREE_DRAFT_IDLE_S * G_USEC_PER_SEC;
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, t->drafts);
    while (g_hash_table_iter_next(&it, NULL, &v)) {
        struct draft *d = v;
        if (d->opens == 0 && d->idle_since_us < before) {
            t->draft_bytes -= d->data->len;
            g_hash_table_iter_remove(&it);
        }
    }
}

int tree_draft_lookup(struct tree *t, guint32 slot, const char *name, struct tree_attr *out)
{
    struct draft *d;

    g_mutex_lock(&t->drafts_lock);
    d = find_locked(t, slot, name);
    if (d)
        attr_of(d, out);
    g_mutex_unlock(&t->drafts_lock);
    return d ? 0 : -ENOENT;
}

int tree_draft_getattr(struct tree *t, guint64 ino, struct tree_attr *out)
{
    struct draft *d;

    g_mutex_lock(&t->drafts_lock);
    d = by_ino_locked(t, ino);
    if (d)
        attr_of(d, out);
    g_mutex_unlock(&t->drafts_lock);
    return d ? 0 : -ENOENT;
}

int tree_draft_new(struct tree *t, guint32 slot, const char *name, mode_t mode, uid_t uid,
                   gid_t gid, GBytes *content, struct tree_attr *out)
{
    gsize len = content ? g_bytes_get_size(content) : 0;
    struct draft *d;
    int rc = 0;

    if (strlen(name) > 255)
        return -ENAMETOOLONG;
    if (len > TREE_DRAFT_MAX_BYTES)
        return -EFBIG;
    g_mutex_lock(&t->drafts_lock);
    expire_locked(t);
    if (find_locked(t, slot, name))
        rc = -EEXIST;
    else if (g_hash_table_size(t->drafts) >= TREE_DRAFTS_MAX ||
             t->draft_bytes + len > TREE_DRAFTS_MAX_BYTES)
        rc = -ENOSPC;
    if (rc == 0) {
        d = g_new0(struct draft, 1);
        d->ino = INO_DRAFT_BASE + t->next_draft++;
        d->slot = slot;
        d->name = g_strdup(name);
        d->data = g_byte_array_new();
        if (len)
            g_byte_array_append(d->data, g_bytes_get_data(content, NULL), (guint)len);
        d->mode = mode & 07777;
        d->uid = uid;
        d->gid = gid;
        d->mtime_ms = now_ms();
        d->idle_since_us = g_get_monotonic_time();
        t->draft_bytes += len;
        g_hash_table_insert(t->drafts, &d->ino, d);
        attr_of(d, out);
    }
    g_mutex_unlock(&t->drafts_lock);
    return rc;
}

int tree_draft_remove(struct tree *t, guint32 slot, const char *name)
{
    struct draft *d;

    g_mutex_lock(&t->drafts_lock);
    d = find_locked(t, slot, name);
    if (d)
        remove_locked(t, d);
    g_mutex_unlock(&t->drafts_lock);
    return d ? 0 : -ENOENT;
}

int tree_draft_rename(struct tree *t, guint32 slot, const char *from, const char *to,
                      bool noreplace)
{
    struct draft *d, *old;
    int rc = 0;

    if (strlen(to) > 255)
        return -ENAMETOOLONG;
    g_mutex_lock(&t->drafts_lock);
    d = find_locked(t, slot, from);
    old = find_locked(t, slot, to);
    if (!d)
        rc = -ENOENT;
    else if (old && noreplace)
        rc = -EEXIST;
    else if (old != d) {
        if (old)
            remove_locked(t, old);
        g_free(d->name);
        d->name = g_strdup(to);
        d->idle_since_us = g_get_monotonic_time();
    }
    g_mutex_unlock(&t->drafts_lock);
    return rc;
}

int tree_draft_content(struct tree *t, guint32 slot, const char *name, guint64 ino, GBytes **out)
{
    struct draft *d;

    g_mutex_lock(&t->drafts_lock);
    d = name ? find_locked(t, slot, name) : by_ino_locked(t, ino);
    if (d)
        *out = g_bytes_new(d->data->data, d->data->len);
    g_mutex_unlock(&t->drafts_lock);
    return d ? 0 : -ENOENT;
}

int tree_draft_write(struct tree *t, guint64 ino, const char *buf, size_t size, off_t off)
{
    struct draft *d;
    int rc = (int)size;

    if (off < 0 || (guint64)off + size > TREE_DRAFT_MAX_BYTES)
        return -EFBIG;
    g_mutex_lock(&t->drafts_lock);
    d = by_ino_locked(t, ino);
    if (!d) {
        rc = -ENOENT;
    } else {
        gsize end = MAX(d->data->len, (gsize)off + size);
        if (t->draft_bytes - d->data->len + end > TREE_DRAFTS_MAX_BYTES) {
            rc = -ENOSPC;
        } else {
            guint was = d->data->len;
            t->draft_bytes += end - was;
            g_byte_array_set_size(d->data, (guint)end);
            if ((gsize)off > was) /* a hole reads as zeros */
                memset(d->data->data + was, 0, (gsize)off - was);
            memcpy(d->data->data + off, buf, size);
            d->mtime_ms = now_ms();
            d->idle_since_us = g_get_monotonic_time();
        }
    }
    g_mutex_unlock(&t->drafts_lock);
    return rc;
}

/* SETATTR on a draft (tree_setattr). */
int tree_draft_setattr(struct tree *t, guint64 ino, const struct tree_setattr *s, uid_t uid,
                       struct tree_attr *out)
{
    struct draft *d;
    int rc = 0;

    if (s->set_size && s->size > TREE_DRAFT_MAX_BYTES)
        return -EFBIG;
    g_mutex_lock(&t->drafts_lock);
    d = by_ino_locked(t, ino);
    if (!d) {
        rc = -ENOENT;
    } else if ((s->set_uid && s->uid != t->cfg.uid && s->uid != uid) ||
               (s->set_gid && s->gid != t->cfg.gid && s->gid != d->gid)) {
        rc = -EPERM; /* a draft belongs to the mounting user or its maker, as they say */
    } else {
        if (s->set_size) {
            guint was = d->data->len;
            t->draft_bytes = t->draft_bytes - was + s->size;
            g_byte_array_set_size(d->data, (guint)s->size);
            if (s->size > was)
                memset(d->data->data + was, 0, s->size - was);
        }
        if (s->set_mode)
            d->mode = s->mode & 07777;
        if (s->set_uid)
            d->uid = s->uid;
        if (s->set_gid)
            d->gid = s->gid;
        d->mtime_ms = now_ms();
        d->idle_since_us = g_get_monotonic_time();
        attr_of(d, out);
    }
    g_mutex_unlock(&t->drafts_lock);
    return rc;
}

/* A handle on draft @ino opened (@delta 1) or closed (-1). */
void tree_draft_hold(struct tree *t, guint64 ino, int delta)
{
    struct draft *d;

    g_mutex_lock(&t->drafts_lock);
    d = by_ino_locked(t, ino);
    if (d) {
        d->opens = (guint)((int)d->opens + delta);
        d->idle_since_us = g_get_monotonic_time();
    }
    g_mutex_unlock(&t->drafts_lock);
}

/* The slot a draft lives in. */
bool tree_draft_slot(struct tree *t, guint64 ino, guint32 *slot)
{
    struct draft *d;

    g_mutex_lock(&t->drafts_lock);
    d = by_ino_locked(t, ino);
    if (d)
        *slot = d->slot;
    g_mutex_unlock(&t->drafts_lock);
    return d != NULL;
}
