/*
 * tree_edit: what writes do with --allow-control (PRODUCT.md section 8; see tree.h): the ctl
 * verbs, edits of a task's writable files, .viasfs/create, and the names editors use on the
 * way (drafts, renames, unlinks, SETATTR). The calls themselves are action.h's.
 */
#include "tree_i.h"
#include "viasfs/event.h"
#include "viasfs/log.h"

#include <errno.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/stat.h>

/* Keeps @text in .viasfs/errors (and the log). */
static void keep_error(struct tree *t, const char *text)
{
    log_warn("%s", text);
    if (t->cfg.owner.keep_error)
        t->cfg.owner.keep_error(text, t->cfg.owner.data);
}

/* At most 60 bytes of what a user wrote, escaped, for a message. Caller frees. */
static char *quote_written(const char *buf, size_t size)
{
    g_autofree char *cut = g_strndup(buf, MIN(size, 60));

    return g_strescape(cut, NULL);
}

bool tree_may_act(const struct tree *t, uid_t uid)
{
    return tree_may_write(t, uid);
}

void tree_edit_closed(struct tree *t, guint64 ino)
{
    g_rw_lock_reader_lock(&t->notifier_lock);
    if (t->notifier.inval_inode && !ino_is_draft(ino))
        t->notifier.inval_inode(ino, t->notifier.data);
    g_rw_lock_reader_unlock(&t->notifier_lock);
}

enum tree_writer tree_writer_of(struct tree *t, guint64 ino)
{
    guint32 slot;
    enum task_off off;

    if (ino == INO_REFRESH)
        return TREE_WRITER_REFRESH;
    if (ino == INO_EVENTS)
        return TREE_WRITER_EVENTS;
    if (!tree_controls(t))
        return TREE_WRITER_NONE;
    if (ino == INO_CREATE)
        return TREE_WRITER_CREATE;
    if (ino_is_draft(ino))
        return tree_draft_slot(t, ino, &slot) ? TREE_WRITER_DRAFT : TREE_WRITER_NONE;
    if (!ino_is_task(ino, &slot, &off) || off == OFF_DIR || off >= OFF_FILES_END)
        return TREE_WRITER_NONE;
    if (off == OFF_CTL)
        return TREE_WRITER_CTL;
    return tree_task_files[off].writable ? TREE_WRITER_EDIT : TREE_WRITER_NONE;
}

/* The id of the task owning @ino (a task inode), or NULL. Caller frees. */
static char *task_id_of(struct tree *t, guint64 ino, enum task_off *off)
{
    guint32 slot;

    if (!ino_is_task(ino, &slot, off))
        return NULL;
    return cache_slot_id(t->cfg.cache, slot);
}

int tree_write_ctl(struct tree *t, guint64 ino, const char *buf, size_t size, uid_t uid,
                   pid_t pid, gint64 deadline)
{
    static const struct {
        const char *word;
        enum api_verb verb;
    } verbs[] = {{"start", API_VERB_START}, {"stop", API_VERB_STOP}, {"delete", API_VERB_DELETE}};
    enum task_off off;
    g_autofree char *id = task_id_of(t, ino, &off);
    g_autofree char *line = NULL, *why = NULL;
    int rc;

    if (tree_writer_of(t, ino) != TREE_WRITER_CTL || !id)
        return -EROFS;
    if (!tree_may_write(t, uid))
        return -EACCES;
    /* One line, its newline optional; blanks around the verb are forgiven. */
    line = memchr(buf, '\0', size) ? g_strdup("") : g_strstrip(g_strndup(buf, size));
    for (size_t i = 0; i < G_N_ELEMENTS(verbs); i++)
        if (strcmp(line, verbs[i].word) == 0) {
            rc = action_verb(t->cfg.action, id, verbs[i].verb, uid, pid, deadline, &why);
            if (rc == -EINTR && why)
                log_info("tasks/%s/ctl: %s: %s", id, verbs[i].word, why);
            return rc;
        }
    g_autofree char *shown = quote_written(buf, size);
    g_autofree char *msg = g_strdup_printf("tasks/%s/ctl: \"%s\" is not a verb (start, stop or "
                                           "delete, one a write): nothing sent",
                                           id, shown);
    keep_error(t, msg);
    return -EINVAL;
}

static enum api_part part_of(enum task_off off)
{
    switch (off) {
    case OFF_INPUT:
        return API_PART_INPUT;
    case OFF_OUTPUT:
        return API_PART_OUTPUT;
    case OFF_SCHEDULE:
        return API_PART_SCHEDULE;
    case OFF_CONFIG:
        return API_PART_CONFIG;
    default:
        return API_PART_NAME;
    }
}

int tree_commit_edit(struct tree *t, guint64 ino, const char *data, size_t len, uid_t uid,
                     pid_t pid, gint64 deadline)
{
    enum task_off off;
    g_autofree char *id = task_id_of(t, ino, &off);
    g_autofree char *why = NULL;
    g_autoptr(GBytes) now = NULL;
    int rc;

    if (tree_writer_of(t, ino) != TREE_WRITER_EDIT || !id)
        return -EROFS;
    if (!tree_may_write(t, uid))
        return -EACCES;
    /* What the file shows already: nothing to ask for (sed -i that matched nothing). */
    rc = tree_read_file(t, ino, deadline, &now);
    if (rc == 0 && g_bytes_get_size(now) == len &&
        (len == 0 || memcmp(g_bytes_get_data(now, NULL), data, len) == 0)) {
        log_debug("tasks/%s/%s: written unchanged: nothing sent", id, tree_task_files[off].name);
        return 0;
    }
    rc = action_update(t->cfg.action, id, part_of(off), data, len, uid, pid, deadline, &why);
    if (rc == -EINTR && why)
        log_info("tasks/%s/%s: %s", id, tree_task_files[off].name, why);
    return rc;
}

int tree_write_create(struct tree *t, const char *text, size_t len, uid_t uid, pid_t pid,
                      gint64 deadline, char **id)
{
    g_autofree char *why = NULL;

    *id = NULL;
    if (!tree_controls(t))
        return -EROFS;
    if (!tree_may_write(t, uid))
        return -EACCES;
    return action_create(t->cfg.action, text, len, uid, pid, deadline, id, &why);
}

int tree_create_incomplete(struct tree *t, size_t len)
{
    g_autofree char *msg = g_strdup_printf(".viasfs/create: closed after %zu bytes that are not "
                                           "a whole JSON object: nothing sent",
                                           len);
    keep_error(t, msg);
    return -EINVAL;
}

/* Whether @parent is a task's directory; its slot. */
static bool task_dir(guint64 parent, guint32 *slot)
{
    enum task_off off;

    return ino_is_task(parent, slot, &off) && off == OFF_DIR;
}

/* The offset of a task file named @name (shown in this mount), or OFF_DIR for none. */
static enum task_off file_named(const struct tree *t, const char *name)
{
    for (int f = OFF_STATE; f < OFF_FILES_END; f++)
        if (strcmp(tree_task_files[f].name, name) == 0 && tree_task_file_shown(t, f))
            return (enum task_off)f;
    return OFF_DIR;
}

int tree_create_file(struct tree *t, guint64 parent, const char *name, mode_t mode, uid_t uid,
                     gid_t gid, struct tree_attr *out)
{
    guint32 slot;

    if (!tree_controls(t) || !task_dir(parent, &slot))
        return -EROFS;
    if (!tree_may_write(t, uid))
        return -EACCES;
    if (file_named(t, name) != OFF_DIR)
        return -EEXIST;
    return tree_draft_new(t, slot, name, mode, uid, gid, NULL, out);
}

int tree_setattr(struct tree *t, guint64 ino, const struct tree_setattr *s, uid_t uid,
                 gint64 deadline, struct tree_attr *out)
{
    enum tree_writer w = tree_writer_of(t, ino);
    int rc;

    if (w == TREE_WRITER_NONE)
        return -EROFS;
    if (!tree_may_write(t, uid))
        return -EACCES;
    if (w == TREE_WRITER_DRAFT)
        return tree_draft_setattr(t, ino, s, uid, out);
    rc = tree_getattr(t, ino, deadline, out);
    if (rc < 0)
        return rc;
    /* Times are accepted and change nothing; so are a mode and an owner that are already
     * what they are (editors and sed restore them). */
    if ((s->set_mode && (s->mode & 07777) != (out->mode & 07777)) ||
        (s->set_uid && s->uid != t->cfg.uid) || (s->set_gid && s->gid != t->cfg.gid))
        return -EPERM;
    /* Control files: truncating to 0 (shells do, for "echo x >") changes nothing. A
     * writable file's size belongs to its open handle (the fuse layer's). */
    if (s->set_size && s->size != 0)
        return w == TREE_WRITER_EDIT ? -EINVAL : -EROFS;
    return 0;
}

int tree_unlink(struct tree *t, guint64 parent, const char *name, uid_t uid)
{
    guint32 slot;

    if (!tree_controls(t) || !task_dir(parent, &slot))
        return -EROFS;
    if (!tree_may_write(t, uid))
        return -EACCES;
    if (file_named(t, name) != OFF_DIR)
        return -EPERM; /* a task's files are the task's: ctl deletes the task */
    return tree_draft_remove(t, slot, name);
}

int tree_rename(struct tree *t, guint64 parent, const char *name, guint64 newparent,
                const char *newname, unsigned int flags, uid_t uid, pid_t pid, gint64 deadline)
{
    guint32 slot, newslot;
    enum task_off from, to;
    struct tree_attr a;
    int rc;

    if (!tree_controls(t) || !task_dir(parent, &slot))
        return -EROFS;
    if (!task_dir(newparent, &newslot))
        return newparent < INO_TASK_BASE ? -EROFS : -EXDEV;
    if (!tree_may_write(t, uid))
        return -EACCES;
    if (slot != newslot)
        return -EXDEV;
    if (flags & ~RENAME_NOREPLACE)
        return -EINVAL;
    from = file_named(t, name);
    to = file_named(t, newname);
    if (from == OFF_DIR) { /* a draft */
        g_autoptr(GBytes) content = NULL;
        if (to == OFF_DIR)
            return tree_draft_rename(t, slot, name, newname, flags & RENAME_NOREPLACE);
        if (flags & RENAME_NOREPLACE)
            return -EEXIST;
        if (!tree_task_files[to].writable)
            return -EPERM;
        rc = tree_draft_content(t, slot, name, 0, &content);
        if (rc < 0)
            return rc;
        gsize len;
        const char *data = g_bytes_get_data(content, &len);
        rc = tree_commit_edit(t, task_ino(slot, to), data ? data : "", len, uid, pid, deadline);
        if (rc == 0)
            tree_draft_remove(t, slot, name);
        return rc;
    }
    /* A task's file: only a copy of it may go elsewhere (a backup); the file stays. */
    if (to != OFF_DIR || !tree_task_files[from].writable)
        return -EPERM;
    g_autoptr(GBytes) content = NULL;
    rc = tree_read_file(t, task_ino(slot, from), deadline, &content);
    if (rc < 0)
        return rc;
    if (tree_draft_lookup(t, slot, newname, &a) == 0) {
        if (flags & RENAME_NOREPLACE)
            return -EEXIST;
        tree_draft_remove(t, slot, newname);
    }
    return tree_draft_new(t, slot, newname, 0600, uid, t->cfg.gid, content, &a);
}

void tree_on_action_report(const struct action_report *r, void *data)
{
    struct tree *t = data;
    struct event_control e = {.time_ms = now_ms(),
                              .verb = r->verb,
                              .task_id = r->task,
                              .part = r->part,
                              .uid = (guint32)r->uid,
                              .pid = (gint32)r->pid,
                              .rc = r->rc,
                              .message = r->message};
    g_autofree char *late = NULL;
    g_autofree char *line = NULL;

    if (r->late)
        e.message = late = g_strdup("no answer came, but the task read again shows it done");
    line = event_control_to_json(&e);
    g_rw_lock_reader_lock(&t->notifier_lock);
    if (t->notifier.event) /* in order with the changes it causes */
        t->notifier.event(line, t->notifier.data);
    else
        tree_emit_event(t, line);
    g_rw_lock_reader_unlock(&t->notifier_lock);
}
