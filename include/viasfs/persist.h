/*
 * persist: a mount's memory across time, through its cache directory (--cache-dir). Before the
 * session, the snapshot of this endpoint and project (snapshot.h), if there is a usable one,
 * seeds the cache (which answers from it at once, stale, until the API confirms or replaces
 * each task: cache_seed_*), the histories and the events' numbers; the tasks are read on its
 * thread after mounting, a batch at a time, so that the first show at once. While mounted,
 * the thread writes the picture again when it changed (the cache's generation, the last
 * event's number), at most once per period and never more than a tenth of the time; at the
 * end, once more, marked clean. It decides when to
 * write and what a picture holds; the format is snapshot.c's, the serving the cache's.
 *
 * What it keeps: every task as shown (secrets masked as shown: the api layer redacts them
 * before anything is kept), their histories, the last event's "seq". With --show-secrets
 * (details = false) only the list summaries of the tasks go into or come out of a snapshot,
 * never their details. A picture is written only when complete: after a walk of every task
 * succeeded, or when the mount started from a snapshot.
 *
 * A snapshot that cannot be used (unreadable, damaged, truncated, of another version or of
 * another endpoint or project) is ignored with one warning; the mount goes on without it. The
 * whole file is read and checked before the mount (snapshot_open), so that a damaged one is
 * never partly shown.
 *
 * Threads: persist_new, persist_load, persist_seed, persist_start and persist_stop belong to
 * main's thread, in that order; persist_info may be called from any thread.
 */
#ifndef VIASFS_PERSIST_H
#define VIASFS_PERSIST_H

#include <stdbool.h>
#include <glib.h>

#include "viasfs/cache.h"
#include "viasfs/event_log.h"
#include "viasfs/history.h"

struct persist;

struct persist_config {
    const char *dir;      /* the cache directory; copied */
    const char *endpoint; /* copied */
    const char *project;  /* copied */
    bool details;         /* false with --show-secrets: summaries only, in and out */
    int period_s;         /* at most one write per period (--refresh); 0: only at the end */
};

struct persist *persist_new(const struct persist_config *cfg);
/* Stops the thread if persist_stop was not called (writing nothing), and frees. */
void persist_free(struct persist *p);

/* The snapshot's file. Borrowed. */
const char *persist_path(const struct persist *p);

/*
 * Reads the snapshot: true when there is a usable one (kept for persist_seed). An unusable one
 * is warned about once and ignored; none at all is said at info level.
 */
bool persist_load(struct persist *p);

/* The number the event log's first line gets: the snapshot's last + 1 when it was written at
 * a clean unmount, else event_log_seq_from_clock() (or more, never less than the snapshot's). */
guint64 persist_first_seq(const struct persist *p);

/* When the loaded snapshot was written (epoch ms); 0 when none was loaded. */
gint64 persist_loaded_at(const struct persist *p);

/*
 * Begins seeding @cache (cache_seed_begin) with the loaded snapshot; its tasks and their
 * histories follow on the thread (persist_start). @offline: the API could not
 * be reached at mount (the cache counts it as failing). Nothing when none was loaded.
 */
void persist_seed(struct persist *p, struct cache *cache, bool offline);

/*
 * Starts the thread over @cache, @history and @events (borrowed; they outlive persist_stop).
 * It first reads the snapshot's tasks into them, then has every task walked, so that the
 * snapshot is confirmed without waiting for the first refresh, then writes as said above.
 */
void persist_start(struct persist *p, struct cache *cache, struct history *history,
                   struct event_log *events);

/* Ends the thread and writes the last picture, marked clean (the session has ended: no event
 * comes after it). */
void persist_stop(struct persist *p);

/* What .viasfs/status and metrics show of it. */
struct persist_info {
    const char *path;         /* borrowed (valid while @p lives) */
    gint64 loaded_written_ms; /* the snapshot the mount started from: when written; 0 none */
    bool offline_start;       /* the API could not be reached at mount */
    guint64 writes;           /* snapshots written by this mount */
    gint64 last_write_ms;     /* epoch ms of the last; 0 none */
    guint64 last_bytes;       /* its size */
    double last_write_s;      /* how long it took (collecting, encoding, writing, fsync) */
};
void persist_info(struct persist *p, struct persist_info *out);

#endif
