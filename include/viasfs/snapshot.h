/*
 * snapshot: the last complete picture of one endpoint and project that a mount keeps in its
 * cache directory (--cache-dir), as a file: its format, its name, and writing and reading it.
 * It is not the policy of when to write or what to do with a picture (persist.h).
 *
 * The picture: every task as viasfs showed it (its fields and rendered files, secrets masked
 * as shown; only the list summary when the picture holds no details), in the order of the
 * list, each with its history (history.h), and the "seq" of the last event line.
 *
 * The file, version 1: one text line, then a binary body.
 *   viasfs-snapshot 1 <body bytes> <SHA-256 of the body, hex>\n
 *   body: str endpoint, str project, u64 written_ms, u64 last_seq, u8 flags (1: written at a
 *         clean unmount, 2: holds details), u32 task count, the tasks, u32 0x21444e45 ("END!")
 *   task: u8 complete, 14 str (id, name, state, status, video_source_name, title, type,
 *         service_id, algorithm_publish_id, creator, description, company, error_code,
 *         error_message), i64 created_ms, i64 updated_ms, 6 str (task.json, input.json,
 *         output.json, schedule.json, config.json, error.json), u32 history lines, each:
 *         i64 seen_ms, i64 updated_ms, str old state, str new state
 *   str: u32 length then the bytes (no NUL), or u32 0xffffffff for none; numbers little-endian.
 * Binary rather than JSON: 100,000 tasks load in a fraction of the time a JSON parse takes
 * (bench/RESULTS.md), and nothing but this module reads it. A reader refuses anything that is
 * not exactly that (another version, a wrong length or checksum, a string that is not UTF-8,
 * a task that breaks task.h's invariants, a duplicate id, bytes after the end): a snapshot is
 * used whole or not at all.
 */
#ifndef VIASFS_SNAPSHOT_H
#define VIASFS_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <glib.h>

#include "viasfs/task.h"

#define SNAPSHOT_VERSION 1
/* A file larger than this is refused unread (1 GiB). */
#define SNAPSHOT_MAX_BYTES (G_GINT64_CONSTANT(1) << 30)

/* One task of a picture. */
struct snapshot_task {
    struct task *task; /* a reference */
    GArray *history;   /* struct history_entry whose strings it owns; NULL when none */
};

struct snapshot {
    char *endpoint, *project;
    gint64 written_ms; /* epoch milliseconds */
    guint64 last_seq;  /* of .viasfs/events when written */
    bool clean;        /* written at an unmount (no event came after last_seq) */
    bool details;      /* complete tasks are kept as such (else summaries only) */
    GPtrArray *tasks;  /* struct snapshot_task *, in list order, owned */
};

/* An empty picture of @endpoint and @project. Free with snapshot_free. */
struct snapshot *snapshot_new(const char *endpoint, const char *project);
void snapshot_free(struct snapshot *s);
/* For g_autoptr(Snapshot) only; code names the type "struct snapshot". */
typedef struct snapshot Snapshot;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Snapshot, snapshot_free)

/* Adds @task (a reference is taken) with @history (taken; may be NULL). */
void snapshot_add(struct snapshot *s, struct task *task, GArray *history);

/* The file's bytes. New reference. */
GBytes *snapshot_encode(const struct snapshot *s);

/*
 * Reads the bytes of a file. Returns 0 with a new picture in *@out, or -EBADMSG with *@why
 * (one line, caller frees) for anything that is not a version-1 snapshot in every byte;
 * -EPROTO (with *@why) for another version. Never reads past @len; allocates no more than a
 * small multiple of @len.
 */
int snapshot_decode(const char *data, size_t len, struct snapshot **out, char **why);

/* The file of @endpoint and @project in directory @dir: "<dir>/<hex>.snapshot", hex being the
 * first 32 digits of the SHA-256 of "endpoint\nproject". Caller frees. */
char *snapshot_path(const char *dir, const char *endpoint, const char *project);

/*
 * Writes @s to @path atomically: a temporary file in the same directory (mode 0600), fsync,
 * rename, fsync of the directory. Creates the directory (0700) if missing. Returns 0 and the
 * bytes written in *@bytes (may be NULL), or -errno with *@why (caller frees).
 */
int snapshot_save(const struct snapshot *s, const char *path, guint64 *bytes, char **why);

/*
 * Reads @path. Returns 0 with *@out, -ENOENT when there is none, or another -errno (a file that
 * cannot be read, larger than SNAPSHOT_MAX_BYTES, or refused by snapshot_decode: -EBADMSG,
 * -EPROTO; or of another endpoint or project: -ESTALE) with *@why (caller frees).
 */
int snapshot_load(const char *path, const char *endpoint, const char *project,
                  struct snapshot **out, char **why);

#endif
