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
 *   viasfs-snapshot 1 <body bytes> <check of the body: 16 hex digits>\n
 *   body: str endpoint, str project, u64 written_ms, u64 last_seq, u8 flags (1: written at a
 *         clean unmount, 2: holds details), u32 task count, the tasks, u32 0x21444e45 ("END!")
 *   task: u8 complete, 14 str (id, name, state, status, video_source_name, title, type,
 *         service_id, algorithm_publish_id, creator, description, company, error_code,
 *         error_message), i64 created_ms, i64 updated_ms, 6 str (task.json, input.json,
 *         output.json, schedule.json, config.json, error.json), u32 history lines, each:
 *         i64 seen_ms, i64 updated_ms, str old state, str new state
 *   str: u32 length then the bytes (no NUL), or u32 0xffffffff for none; numbers little-endian.
 * The check is a 64-bit multiply-xor hash of the body's 8-byte words (snapshot.c): it detects
 * damage (any one changed word, always), not tampering; the file is its owner's, mode 0600.
 * Binary rather than JSON, and checked with a hash this cheap, so that 100,000 tasks load in a
 * fraction of what a JSON parse or SHA-256 would take (bench/RESULTS.md). A reader refuses
 * anything that is not exactly that (another version, a wrong length or check, a string that
 * is not UTF-8, a task that breaks task.h's invariants, a duplicate id, bytes after the end).
 * The first line, the length, the check and the header are verified when a file is opened
 * (snapshot_open), before anything is used; the tasks are then read a batch at a time
 * (snapshot_reader_next), so that a mount can show the first ones while it reads the rest.
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

/* A file being read: opened (first line, length, check and header verified), its tasks read
 * a batch at a time. Owns the file's bytes. */
struct snapshot_reader;

/*
 * Opens the bytes of a file (a reference is taken). Returns 0 with *@out, or -EBADMSG with
 * *@why (one line, caller frees) for anything that is not a version-1 snapshot with the right
 * length, check and header; -EPROTO (with *@why) for another version.
 */
int snapshot_reader_new(GBytes *file, struct snapshot_reader **out, char **why);
void snapshot_reader_free(struct snapshot_reader *r);
/* The header: endpoint, project, written_ms, last_seq, clean, details; no tasks. Borrowed. */
const struct snapshot *snapshot_reader_head(const struct snapshot_reader *r);
/* The number of tasks the file holds. */
guint snapshot_reader_count(const struct snapshot_reader *r);
/*
 * Reads up to @max more tasks (in file order) into @into's tasks. Returns how many were read
 * (0: all were, and the file ends where it should), or -EBADMSG with *@why. Never reads past
 * the file; allocates no more than a small multiple of what it reads.
 */
int snapshot_reader_next(struct snapshot_reader *r, guint max, struct snapshot *into, char **why);

/* The whole of a file's bytes, read at once (tests, the fuzzer): 0 with *@out, or as
 * snapshot_reader_new and snapshot_reader_next refuse it. */
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
 * Opens @path. Returns 0 with *@out, -ENOENT when there is none, or another -errno (a file that
 * cannot be read or is not a regular one, larger than SNAPSHOT_MAX_BYTES, refused by
 * snapshot_reader_new: -EBADMSG, -EPROTO; or of another endpoint or project: -ESTALE) with
 * *@why (caller frees).
 */
int snapshot_open(const char *path, const char *endpoint, const char *project,
                  struct snapshot_reader **out, char **why);

/* snapshot_open, then every task: the whole picture. */
int snapshot_load(const char *path, const char *endpoint, const char *project,
                  struct snapshot **out, char **why);

#endif
