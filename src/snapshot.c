/*
 * snapshot: the picture's file format, name, atomic write and careful read (see snapshot.h).
 * The reader treats the file as untrusted bytes: every length is checked against what is left
 * before anything is allocated for it, every string is checked as task.h asks.
 */
#include "viasfs/snapshot.h"
#include "viasfs/history.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC       "viasfs-snapshot"
#define END_MARK    0x21444e45u /* "END!" read little-endian */
#define NO_STRING   0xffffffffu
#define FLAG_CLEAN  1u
#define FLAG_DETAIL 2u
enum { TASK_STRINGS = 14, TASK_FILES = 6 };
/* The least bytes one task takes: complete, the strings' lengths, two times, the count. */
#define MIN_TASK_BYTES (1 + (TASK_STRINGS + TASK_FILES) * 4 + 16 + 4)
#define MIN_LINE_BYTES (16 + 8)

/* The task's strings in file order: pointers to its fields. */
static void task_string_fields(struct task *t, char **f[TASK_STRINGS])
{
    char **const fields[TASK_STRINGS] = {
        &t->id,
        &t->name,
        &t->state,
        &t->status,
        &t->video_source_name,
        &t->title,
        &t->type,
        &t->service_id,
        &t->algorithm_publish_id,
        &t->creator,
        &t->description,
        &t->company,
        &t->error_code,
        &t->error_message,
    };
    memcpy(f, fields, sizeof(fields));
}

static void task_file_fields(struct task *t, char **f[TASK_FILES])
{
    char **const fields[TASK_FILES] = {&t->task_json,     &t->input_json,  &t->output_json,
                                       &t->schedule_json, &t->config_json, &t->error_json};
    memcpy(f, fields, sizeof(fields));
}

/* ---- the picture ---- */

static void snapshot_task_free(gpointer p)
{
    struct snapshot_task *st = p;

    task_unref(st->task);
    if (st->history)
        g_array_unref(st->history);
    g_free(st);
}

struct snapshot *snapshot_new(const char *endpoint, const char *project)
{
    struct snapshot *s = g_new0(struct snapshot, 1);

    s->endpoint = g_strdup(endpoint);
    s->project = g_strdup(project);
    s->tasks = g_ptr_array_new_with_free_func(snapshot_task_free);
    return s;
}

void snapshot_free(struct snapshot *s)
{
    if (!s)
        return;
    g_ptr_array_unref(s->tasks);
    g_free(s->endpoint);
    g_free(s->project);
    g_free(s);
}

void snapshot_add(struct snapshot *s, struct task *task, GArray *history)
{
    struct snapshot_task *st = g_new0(struct snapshot_task, 1);

    st->task = task_ref(task);
    st->history = history;
    g_ptr_array_add(s->tasks, st);
}

/* ---- writing ---- */

static void put_u8(GByteArray *b, guint8 v)
{
    g_byte_array_append(b, &v, 1);
}

static void put_u32(GByteArray *b, guint32 v)
{
    guint32 le = GUINT32_TO_LE(v);
    g_byte_array_append(b, (const guint8 *)&le, 4);
}

static void put_u64(GByteArray *b, guint64 v)
{
    guint64 le = GUINT64_TO_LE(v);
    g_byte_array_append(b, (const guint8 *)&le, 8);
}

static void put_str(GByteArray *b, const char *s)
{
    if (!s) {
        put_u32(b, NO_STRING);
        return;
    }
    size_t n = strlen(s);
    put_u32(b, (guint32)n);
    g_byte_array_append(b, (const guint8 *)s, (guint)n);
}

/*
 * The check of a body: a multiply-xor hash of its 8-byte little-endian words (the last one
 * padded with zeros) and its length. Every step is a bijection of the state for a given word,
 * so any one changed word changes the result. Not cryptographic (see snapshot.h).
 */
static guint64 body_check(const guint8 *p, size_t n)
{
    const guint64 k = G_GUINT64_CONSTANT(0x9e3779b97f4a7c15);
    guint64 h = G_GUINT64_CONSTANT(0x6a09e667f3bcc908) ^ (guint64)n, w;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ GUINT64_FROM_LE(w)) * k;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, p + i, n - i);
    h = (h ^ GUINT64_FROM_LE(w)) * k;
    h ^= h >> 29;
    return h;
}

/* The body of @s. */
static GByteArray *encode_body(const struct snapshot *s)
{
    GByteArray *body = g_byte_array_sized_new(1 << 16);

    put_str(body, s->endpoint);
    put_str(body, s->project);
    put_u64(body, (guint64)s->written_ms);
    put_u64(body, s->last_seq);
    put_u8(body, (s->clean ? FLAG_CLEAN : 0) | (s->details ? FLAG_DETAIL : 0));
    put_u32(body, s->tasks->len);
    for (guint i = 0; i < s->tasks->len; i++) {
        const struct snapshot_task *st = g_ptr_array_index(s->tasks, i);
        struct task *t = st->task;
        char **strings[TASK_STRINGS], **files[TASK_FILES];

        task_string_fields(t, strings);
        task_file_fields(t, files);
        put_u8(body, t->complete);
        for (int k = 0; k < TASK_STRINGS; k++)
            put_str(body, *strings[k]);
        put_u64(body, (guint64)t->created_ms);
        put_u64(body, (guint64)t->updated_ms);
        for (int k = 0; k < TASK_FILES; k++)
            put_str(body, *files[k]);
        put_u32(body, st->history ? st->history->len : 0);
        for (guint k = 0; st->history && k < st->history->len; k++) {
            const struct history_entry *e = &g_array_index(st->history, struct history_entry, k);
            put_u64(body, (guint64)e->seen_ms);
            put_u64(body, (guint64)e->updated_ms);
            put_str(body, e->old_state);
            put_str(body, e->new_state);
        }
    }
    put_u32(body, END_MARK);
    return body;
}

/* The first line for @body. Caller frees. */
static char *head_for(const GByteArray *body)
{
    return g_strdup_printf(MAGIC " %d %u %016" G_GINT64_MODIFIER "x\n", SNAPSHOT_VERSION, body->len,
                           body_check(body->data, body->len));
}

GBytes *snapshot_encode(const struct snapshot *s)
{
    GByteArray *body = encode_body(s);
    g_autofree char *head = head_for(body);
    GByteArray *file = g_byte_array_sized_new((guint)strlen(head) + body->len);

    g_byte_array_append(file, (const guint8 *)head, (guint)strlen(head));
    g_byte_array_append(file, body->data, body->len);
    g_byte_array_unref(body);
    return g_byte_array_free_to_bytes(file);
}

/* ---- reading ---- */

/* A cursor over the body. Every get_* fails (false, with why set once) past the end. */
struct reader {
    const guint8 *p, *end;
    char *why;
};

static bool bad(struct reader *r, const char *what)
{
    if (!r->why)
        r->why = g_strdup(what);
    return false;
}

static bool get_bytes(struct reader *r, size_t n, const guint8 **out)
{
    if ((size_t)(r->end - r->p) < n)
        return bad(r, "it is truncated");
    *out = r->p;
    r->p += n;
    return true;
}

static bool get_u8(struct reader *r, guint8 *v)
{
    const guint8 *b;

    if (!get_bytes(r, 1, &b))
        return false;
    *v = b[0];
    return true;
}

static bool get_u32(struct reader *r, guint32 *v)
{
    const guint8 *b;
    guint32 le;

    if (!get_bytes(r, 4, &b))
        return false;
    memcpy(&le, b, 4);
    *v = GUINT32_FROM_LE(le);
    return true;
}

static bool get_u64(struct reader *r, guint64 *v)
{
    const guint8 *b;
    guint64 le;

    if (!get_bytes(r, 8, &b))
        return false;
    memcpy(&le, b, 8);
    *v = GUINT64_FROM_LE(le);
    return true;
}

/* A time: -1 (none) or from 1970 on. */
static bool get_time(struct reader *r, gint64 *v)
{
    guint64 u;

    if (!get_u64(r, &u))
        return false;
    *v = (gint64)u;
    return *v >= -1 ? true : bad(r, "a time is out of range");
}

/* A string (NULL for none) without NUL, and valid UTF-8 when @utf8 (a task's strings are
 * checked by task_check). *@out is allocated (caller frees). */
static bool get_str_as(struct reader *r, char **out, bool utf8)
{
    const guint8 *b;
    guint32 n;

    *out = NULL;
    if (!get_u32(r, &n))
        return false;
    if (n == NO_STRING)
        return true;
    if (!get_bytes(r, n, &b))
        return false;
    if (memchr(b, '\0', n) || (utf8 && !g_utf8_validate_len((const char *)b, n, NULL)))
        return bad(r, "a string is not UTF-8 text");
    *out = g_strndup((const char *)b, n);
    return true;
}

static bool get_str(struct reader *r, char **out)
{
    return get_str_as(r, out, true);
}

static void entry_clear(gpointer p)
{
    struct history_entry *e = p;

    g_free((char *)e->old_state);
    g_free((char *)e->new_state);
}

static bool get_history(struct reader *r, GArray **out)
{
    guint32 n;

    *out = NULL;
    if (!get_u32(r, &n))
        return false;
    if ((size_t)n > (size_t)(r->end - r->p) / MIN_LINE_BYTES)
        return bad(r, "a history is longer than the file");
    if (n == 0)
        return true;
    *out = g_array_sized_new(FALSE, TRUE, sizeof(struct history_entry), n);
    g_array_set_clear_func(*out, entry_clear);
    for (guint32 i = 0; i < n; i++) {
        struct history_entry e = {0};
        char *old_state = NULL, *new_state = NULL;
        bool ok = get_time(r, &e.seen_ms) && get_time(r, &e.updated_ms) && get_str(r, &old_state) &&
                  get_str(r, &new_state);

        e.old_state = old_state;
        e.new_state = new_state;
        g_array_append_val(*out, e); /* freed with the array, whatever happens */
        if (!ok)
            return false;
        if (!new_state || !*new_state)
            return bad(r, "a history line has no state");
    }
    return true;
}

static bool get_task(struct reader *r, struct snapshot *s, GHashTable *ids)
{
    struct task *t = task_new_blank();
    char **strings[TASK_STRINGS], **files[TASK_FILES];
    GArray *history = NULL;
    g_autofree char *why = NULL;
    guint8 complete = 0;
    bool ok;

    task_string_fields(t, strings);
    task_file_fields(t, files);
    ok = get_u8(r, &complete);
    for (int k = 0; ok && k < TASK_STRINGS; k++)
        ok = get_str_as(r, strings[k], false);
    ok = ok && get_time(r, &t->created_ms) && get_time(r, &t->updated_ms);
    for (int k = 0; ok && k < TASK_FILES; k++)
        ok = get_str_as(r, files[k], false);
    ok = ok && get_history(r, &history);
    if (ok && complete > 1)
        ok = bad(r, "a task's flag is out of range");
    t->complete = complete == 1;
    if (ok && task_check(t, &why) < 0)
        ok = bad(r, why);
    if (ok && !g_hash_table_add(ids, g_strdup(t->id)))
        ok = bad(r, "a task is there twice");
    if (ok)
        snapshot_add(s, t, g_steal_pointer(&history));
    if (history)
        g_array_unref(history);
    task_unref(t);
    return ok;
}

/* Parses the first line: version, body length and check. */
static int parse_head(const char *data, size_t len, size_t *body_at, guint64 *body_len,
                      guint64 *check, char **why)
{
    const char *nl = memchr(data, '\n', MIN(len, 128));
    g_autofree char *line = NULL;
    g_auto(GStrv) parts = NULL;
    guint64 version;

    if (!nl || len < sizeof(MAGIC) || memcmp(data, MAGIC " ", sizeof(MAGIC)) != 0) {
        *why = g_strdup("not a viasfs snapshot");
        return -EBADMSG;
    }
    line = g_strndup(data, (gsize)(nl - data));
    parts = g_strsplit(line, " ", -1);
    if (g_strv_length(parts) != 4 ||
        !g_ascii_string_to_unsigned(parts[1], 10, 1, G_MAXUINT32, &version, NULL)) {
        *why = g_strdup("its first line is not a snapshot's");
        return -EBADMSG;
    }
    if (version != SNAPSHOT_VERSION) {
        *why = g_strdup_printf("it is of version %" G_GUINT64_FORMAT ", this viasfs reads %d",
                               version, SNAPSHOT_VERSION);
        return -EPROTO;
    }
    if (!g_ascii_string_to_unsigned(parts[2], 10, 0, G_MAXUINT32, body_len, NULL) ||
        strlen(parts[3]) != 16 || strspn(parts[3], "0123456789abcdef") != 16 ||
        !g_ascii_string_to_unsigned(parts[3], 16, 0, G_MAXUINT64, check, NULL)) {
        *why = g_strdup("its first line is not a snapshot's");
        return -EBADMSG;
    }
    /* Exactly as written (no NUL inside, no leading zeros, no other spelling). */
    g_autofree char *want =
        g_strdup_printf(MAGIC " %d %" G_GUINT64_FORMAT " %016" G_GINT64_MODIFIER "x",
                        SNAPSHOT_VERSION, *body_len, *check);
    if ((size_t)(nl - data) != strlen(want) || memcmp(data, want, strlen(want)) != 0) {
        *why = g_strdup("its first line is not a snapshot's");
        return -EBADMSG;
    }
    *body_at = (size_t)(nl - data) + 1;
    return 0;
}

struct snapshot_reader {
    GBytes *file;          /* the bytes read */
    struct reader r;       /* the cursor in the body */
    struct snapshot *head; /* the header; no tasks */
    guint count, done;     /* tasks the file holds, tasks read */
    bool ended;            /* all read, and the end checked */
    GHashTable *ids;       /* of the tasks read: no id twice */
};

void snapshot_reader_free(struct snapshot_reader *sr)
{
    if (!sr)
        return;
    g_bytes_unref(sr->file);
    g_free(sr->r.why);
    snapshot_free(sr->head);
    g_hash_table_unref(sr->ids);
    g_free(sr);
}

int snapshot_reader_new(GBytes *file, struct snapshot_reader **out, char **why)
{
    struct snapshot_reader *sr;
    g_autofree char *endpoint = NULL, *project = NULL;
    guint64 body_len, check, written = 0, seq = 0;
    gsize len;
    const char *data = g_bytes_get_data(file, &len);
    size_t body_at;
    guint32 n = 0;
    guint8 flags = 0;
    int rc;

    *out = NULL;
    if (!data)
        data = "";
    if ((rc = parse_head(data, len, &body_at, &body_len, &check, why)) < 0)
        return rc;
    if (len - body_at != body_len) {
        *why = g_strdup_printf(
            "it is %s (%zu bytes where its first line says %" G_GUINT64_FORMAT ")",
            len - body_at < body_len ? "truncated" : "too long", len - body_at, body_len);
        return -EBADMSG;
    }
    if (body_check((const guint8 *)data + body_at, body_len) != check) {
        *why = g_strdup("its check does not match (the file is damaged)");
        return -EBADMSG;
    }
    sr = g_new0(struct snapshot_reader, 1);
    sr->file = g_bytes_ref(file);
    sr->ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    sr->r.p = (const guint8 *)data + body_at;
    sr->r.end = sr->r.p + body_len;
    if (get_str(&sr->r, &endpoint) && get_str(&sr->r, &project) && get_u64(&sr->r, &written) &&
        get_u64(&sr->r, &seq) && get_u8(&sr->r, &flags) && get_u32(&sr->r, &n)) {
        if (!endpoint || !project || flags > (FLAG_CLEAN | FLAG_DETAIL) || (gint64)written < 0)
            bad(&sr->r, "its header is not a snapshot's");
        else if ((size_t)n > (size_t)(sr->r.end - sr->r.p) / MIN_TASK_BYTES)
            bad(&sr->r, "it counts more tasks than it holds");
    }
    if (sr->r.why) {
        *why = g_steal_pointer(&sr->r.why);
        snapshot_reader_free(sr);
        return -EBADMSG;
    }
    sr->head = snapshot_new(endpoint, project);
    sr->head->written_ms = (gint64)written;
    sr->head->last_seq = seq;
    sr->head->clean = flags & FLAG_CLEAN;
    sr->head->details = flags & FLAG_DETAIL;
    sr->count = n;
    *out = sr;
    return 0;
}

const struct snapshot *snapshot_reader_head(const struct snapshot_reader *sr)
{
    return sr->head;
}

guint snapshot_reader_count(const struct snapshot_reader *sr)
{
    return sr->count;
}

int snapshot_reader_next(struct snapshot_reader *sr, guint max, struct snapshot *into, char **why)
{
    guint32 end = 0;
    guint n = 0;

    while (!sr->r.why && n < max && sr->done < sr->count && get_task(&sr->r, into, sr->ids)) {
        sr->done++;
        n++;
    }
    if (!sr->r.why && n == 0 && sr->done == sr->count && !sr->ended) { /* the end must follow */
        if (get_u32(&sr->r, &end) && end != END_MARK)
            bad(&sr->r, "it does not end where it should");
        else if (!sr->r.why && sr->r.p != sr->r.end)
            bad(&sr->r, "it holds bytes after its end");
        sr->ended = !sr->r.why;
    }
    if (sr->r.why) {
        *why = g_strdup(sr->r.why);
        return -EBADMSG;
    }
    return (int)n;
}

/* Every task of @sr, which it frees, as one picture in *@out. */
static int read_all(struct snapshot_reader *sr, struct snapshot **out, char **why)
{
    const struct snapshot *h = snapshot_reader_head(sr);
    g_autoptr(Snapshot) s = snapshot_new(h->endpoint, h->project);
    int rc;

    s->written_ms = h->written_ms;
    s->last_seq = h->last_seq;
    s->clean = h->clean;
    s->details = h->details;
    while ((rc = snapshot_reader_next(sr, 1024, s, why)) > 0)
        ;
    snapshot_reader_free(sr);
    if (rc < 0)
        return rc;
    *out = g_steal_pointer(&s);
    return 0;
}

int snapshot_decode(const char *data, size_t len, struct snapshot **out, char **why)
{
    g_autoptr(GBytes) file = g_bytes_new_static(data, len);
    struct snapshot_reader *sr = NULL;
    int rc;

    *out = NULL;
    if ((rc = snapshot_reader_new(file, &sr, why)) < 0)
        return rc;
    return read_all(sr, out, why);
}

/* ---- files ---- */

char *snapshot_path(const char *dir, const char *endpoint, const char *project)
{
    g_autofree char *key = g_strdup_printf("%s\n%s", endpoint, project);
    g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
    g_autofree char *name = g_strdup_printf("%.32s.snapshot", sum);

    return g_build_filename(dir, name, NULL);
}

/* Writes all of @data to @fd. 0 or -errno. */
static int write_all(int fd, const guint8 *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int snapshot_save(const struct snapshot *s, const char *path, guint64 *bytes, char **why)
{
    g_autoptr(GByteArray) body = encode_body(s);
    g_autofree char *head = head_for(body);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *tmp = g_strdup_printf("%s.XXXXXX", path);
    int fd, dfd, rc;

    if (g_mkdir_with_parents(dir, 0700) < 0) {
        rc = -errno;
        *why = g_strdup_printf("cannot create %s: %s", dir, g_strerror(-rc));
        return rc;
    }
    fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = -errno;
        *why = g_strdup_printf("cannot create a file in %s: %s", dir, g_strerror(-rc));
        return rc;
    }
    rc = write_all(fd, (const guint8 *)head, strlen(head));
    if (rc == 0)
        rc = write_all(fd, body->data, body->len);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) < 0)
        rc = -errno;
    if (rc < 0) {
        *why = g_strdup_printf("cannot write %s: %s", path, g_strerror(-rc));
        unlink(tmp);
        return rc;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { /* the rename itself reaches the disk */
        fsync(dfd);
        close(dfd);
    }
    if (bytes)
        *bytes = strlen(head) + body->len;
    return 0;
}

int snapshot_open(const char *path, const char *endpoint, const char *project,
                  struct snapshot_reader **out, char **why)
{
    g_autoptr(GBytes) file = NULL;
    char *data;
    struct stat st;
    ssize_t got;
    size_t len = 0;
    int fd, rc = 0;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        rc = -errno;
        if (rc != -ENOENT)
            *why = g_strdup_printf("cannot open it: %s", g_strerror(-rc));
        return rc;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        *why = g_strdup("it is not a regular file");
        return -EINVAL;
    }
    if (st.st_size > SNAPSHOT_MAX_BYTES) {
        close(fd);
        *why = g_strdup_printf("it is larger than %" G_GINT64_FORMAT " bytes", SNAPSHOT_MAX_BYTES);
        return -EFBIG;
    }
    data = g_malloc((gsize)st.st_size + 1);
    while (len < (size_t)st.st_size) {
        got = read(fd, data + len, (size_t)st.st_size - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            rc = got < 0 ? -errno : 0;
            break;
        }
        len += (size_t)got;
    }
    close(fd);
    file = g_bytes_new_take(data, len);
    if (rc < 0) {
        *why = g_strdup_printf("cannot read it: %s", g_strerror(-rc));
        return rc;
    }
    if ((rc = snapshot_reader_new(file, out, why)) < 0)
        return rc;
    const struct snapshot *h = snapshot_reader_head(*out);
    if (strcmp(h->endpoint, endpoint) != 0 || strcmp(h->project, project) != 0) {
        g_clear_pointer(out, snapshot_reader_free);
        *why = g_strdup("it is of another endpoint or project");
        return -ESTALE;
    }
    return 0;
}

int snapshot_load(const char *path, const char *endpoint, const char *project,
                  struct snapshot **out, char **why)
{
    struct snapshot_reader *sr = NULL;
    int rc;

    *out = NULL;
    if ((rc = snapshot_open(path, endpoint, project, &sr, why)) < 0)
        return rc;
    return read_all(sr, out, why);
}
