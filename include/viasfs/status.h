/*
 * status: the text of .viasfs/status, rendered from a sampled struct (as metrics.h renders
 * .viasfs/metrics), so that this module depends on nothing: whoever owns the parts (the tree,
 * its owner's credential and error log) fills the sample. Keys are one a line, "key: value",
 * in a fixed order that the README and the manual show.
 */
#ifndef VIASFS_STATUS_H
#define VIASFS_STATUS_H

#include <stdbool.h>
#include <glib.h>

struct status_sample {
    const char *endpoint, *project, *auth_kind; /* borrowed */
    gint64 token_expires_s;                     /* unix time; 0 unknown (or none, for AK/SK) */
    gint64 mounted_s;                           /* unix time */
    int ttl_s, refresh_s, page_size, timeout_s;
    bool inotify;
    bool control; /* --allow-control */
    guint64 events; /* event lines so far */
    /* the retained window of .viasfs/events (event_log_window) */
    guint64 events_lines, events_bytes, events_first_seq, events_last_seq;
    guint64 events_max_lines, events_max_bytes;
    guint tasks_known;
    double list_age_s;    /* since the last complete walk of every task; < 0 never */
    gint64 stale_since_s; /* unix time of the first failure since the last success; 0 none */
    double stale_for_s;   /* how long ago that was */
    guint64 stale_served, list_walks, detail_fetches, api_requests, manual_refreshes, errors;
    const char *last_error; /* borrowed; NULL none */
    const char *pacing; /* borrowed: the refresh's lines (refresh_describe); or NULL */
    /* The snapshot (persist.h). snapshot_path NULL: --cache-dir=none. */
    const char *snapshot_path;  /* borrowed */
    gint64 snapshot_loaded_ms;  /* when the snapshot the mount started from was written; 0 none */
    bool snapshot_offline;      /* the API could not be reached at mount */
    guint snapshot_seeded;      /* tasks it held */
    guint snapshot_unconfirmed; /* of which the API has not answered for yet */
    bool listed;                /* a walk of every task succeeded during this mount */
    guint64 snapshot_writes, snapshot_bytes;
    gint64 snapshot_written_ms; /* the last write; 0 none */
    double snapshot_write_s;
    gint64 now_s; /* unix time the sample was taken (token expiry is counted from it) */
};

/* The status text. Caller frees. */
char *status_render(const struct status_sample *s);

#endif
