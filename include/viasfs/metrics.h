/*
 * metrics: the counters behind .viasfs/metrics and their rendering in the Prometheus text
 * exposition format (version 0.0.4). It counts what no other module counts: every HTTP
 * attempt by endpoint and outcome (status code, or the kind of transport failure), attempt
 * latency as a histogram, retries, and FUSE operations by type. What other modules already
 * count (cache hits, walks, stale answers, events...) is sampled by the owner at render time
 * and handed in as a struct metrics_sample, so this module depends on nothing above http.h.
 * Counters are lock-free atomics: recording never blocks and is safe from any thread. Every
 * recording function accepts a NULL struct metrics and then does nothing, so code built
 * without metrics (unit tests) needs no special case.
 */
#ifndef VIASFS_METRICS_H
#define VIASFS_METRICS_H

#include <stdbool.h>
#include <glib.h>

#include "viasfs/http.h"

struct metrics;

/* FUSE operations, as counted by the fuse layer (one per request received). */
enum metrics_fuse_op {
    METRICS_OP_LOOKUP,
    METRICS_OP_FORGET, /* forget and batch forget: one per inode forgotten */
    METRICS_OP_GETATTR,
    METRICS_OP_SETATTR,
    METRICS_OP_READLINK,
    METRICS_OP_OPEN,
    METRICS_OP_READ,
    METRICS_OP_WRITE,
    METRICS_OP_RELEASE,
    METRICS_OP_OPENDIR,
    METRICS_OP_READDIR,
    METRICS_OP_READDIRPLUS,
    METRICS_OP_RELEASEDIR,
    METRICS_OP_STATFS,
    METRICS_OP_ACCESS,
    METRICS_OP_GETXATTR,
    METRICS_OP_LISTXATTR,
    METRICS_OP_SETXATTR,
    METRICS_OP_REMOVEXATTR,
    METRICS_OP_POLL,
    METRICS_OP_MKNOD,
    METRICS_OP_MKDIR,
    METRICS_OP_UNLINK,
    METRICS_OP_RMDIR,
    METRICS_OP_SYMLINK,
    METRICS_OP_RENAME,
    METRICS_OP_LINK,
    METRICS_OP_CREATE,
    METRICS_OP_FLUSH,
    METRICS_OP_FSYNC,
    METRICS_OP_COUNT
};

/* The counters start at zero; the process start time is taken now. */
struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/*
 * Records one HTTP attempt. Its http_request label names the endpoint ("list", "detail",
 * "iam"; anything else or NULL counts as "other"). Usable directly as the
 * http_config.on_attempt callback, with the metrics as data.
 */
void metrics_count_attempt(const struct http_attempt *a, void *metrics);

/* Counts one FUSE request of kind @op (@n of them for batch forgets). */
void metrics_count_fuse_op(struct metrics *m, enum metrics_fuse_op op, guint64 n);

/* HTTP attempts recorded so far, all endpoints and outcomes (for status and tests). */
guint64 metrics_attempts(struct metrics *m);

/* What the owner samples from other modules when .viasfs/metrics is read. */
struct metrics_sample {
    guint64 detail_hits;    /* task lookups answered from the cache (fresh or known absent) */
    guint64 detail_misses;  /* task lookups that had to fetch (or wait for a fetch) */
    guint64 listing_hits;   /* listings served from the cache (fresh, or a walk under way) */
    guint64 listing_misses; /* listings that started a walk on demand */
    guint64 refresh_walks;  /* walks started by the periodic refresh */
    guint64 detail_fetches; /* detail requests the cache made (any reason) */
    guint64 prefetches;     /* of which started ahead of a walk of reads */
    guint64 stale_served;   /* answers served from stale data after a failed fetch */
    guint64 tasks_cached;   /* tasks with data in the cache */
    guint64 bytes_cached;   /* approximate memory held by that data */
    guint64 events;         /* lines appended to .viasfs/events */
    guint64 events_retained_lines, events_retained_bytes; /* its retained window */
    guint64 events_last_seq;                              /* seq of its last line; 0 none */
    guint64 errors;       /* API failures recorded in .viasfs/errors */
    guint64 refreshes;    /* cache drops asked for (.viasfs/refresh, SIGHUP) */
    bool stale;           /* the last fetch failed */
    bool snapshot_loaded; /* the mount started from a snapshot (persist.h) */
    guint64 snapshot_unconfirmed, snapshot_writes, snapshot_bytes;
    double snapshot_age_s;    /* of the snapshot it started from, now; < 0: none */
    double snapshot_write_s;  /* the last write's duration */
    double list_age_s;        /* seconds since the last complete walk of all tasks; < 0: never */
    gint64 auth_expires_at_s; /* unix seconds; 0: unknown or not applicable */
};

/*
 * The whole exposition: # HELP and # TYPE for every family, then its samples, each family
 * once, in a fixed order. Never NULL; caller frees.
 */
char *metrics_render(struct metrics *m, const struct metrics_sample *s);

#endif
