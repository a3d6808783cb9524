/* status: the text of .viasfs/status from a sample (see status.h). */
#include "viasfs/status.h"

/* @unix_s as "2026-11-28T17:00:00Z". Caller frees. */
static char *utc_time(gint64 unix_s)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(unix_s);

    return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("?");
}

/* "token_expires: <time> (in 23.5 h)"; the token itself is never shown. */
static void append_token_expiry(GString *s, const struct status_sample *x)
{
    gint64 left = x->token_expires_s - x->now_s;
    g_autofree char *when = NULL;

    if (x->token_expires_s <= 0) {
        g_string_append(s, g_strcmp0(x->auth_kind, "aksk") == 0
                               ? "token_expires: none (AK/SK: every request is signed)\n"
                               : "token_expires: unknown\n");
        return;
    }
    when = utc_time(x->token_expires_s);
    if (left >= 0)
        g_string_append_printf(s, "token_expires: %s (in %.1f h)\n", when, (double)left / 3600);
    else
        g_string_append_printf(s, "token_expires: %s (expired %.1f h ago)\n", when,
                               (double)-left / 3600);
}

/* The snapshot's lines (persist.h): always the same four keys. */
static void append_snapshot(GString *s, const struct status_sample *x)
{
    if (x->snapshot_path)
        g_string_append_printf(s, "snapshot: %s\n", x->snapshot_path);
    else
        g_string_append(s, "snapshot: off (--cache-dir=none)\n");
    if (x->snapshot_loaded_ms) {
        g_autofree char *when = utc_time(x->snapshot_loaded_ms / 1000);
        g_string_append_printf(
            s, "snapshot_loaded: yes, written %s, %u tasks%s\n", when, x->snapshot_seeded,
            x->snapshot_offline ? ", the API could not be reached at mount" : "");
    } else {
        g_string_append(s, "snapshot_loaded: no\n");
    }
    g_string_append_printf(s, "snapshot_unconfirmed: %u of %u tasks\n", x->snapshot_unconfirmed,
                           x->snapshot_seeded);
    if (x->snapshot_written_ms) {
        g_autofree char *when = utc_time(x->snapshot_written_ms / 1000);
        g_string_append_printf(s,
                               "snapshot_written: %s, %" G_GUINT64_FORMAT
                               " bytes in %.1f ms (%" G_GUINT64_FORMAT " writes)\n",
                               when, x->snapshot_bytes, x->snapshot_write_s * 1000,
                               x->snapshot_writes);
    } else {
        g_string_append(s, "snapshot_written: never\n");
    }
}

char *status_render(const struct status_sample *x)
{
    GString *s = g_string_new(NULL);
    g_autofree char *mounted = utc_time(x->mounted_s);

    g_string_append_printf(s, "version: %s\n", VIASFS_VERSION);
    g_string_append_printf(s, "endpoint: %s\n", x->endpoint);
    g_string_append_printf(s, "project: %s\n", x->project);
    g_string_append_printf(s, "auth: %s\n", x->auth_kind);
    append_token_expiry(s, x);
    g_string_append_printf(s, "mounted: %s\n", mounted);
    g_string_append_printf(s, "ttl: %d s\n", x->ttl_s);
    if (x->refresh_s > 0)
        g_string_append_printf(s, "refresh: every %d s\n", x->refresh_s);
    else
        g_string_append(s, "refresh: off\n");
    if (x->pacing)
        g_string_append(s, x->pacing);
    g_string_append_printf(s, "inotify: %s\n", x->inotify ? "on" : "off");
    g_string_append_printf(s, "control: %s\n", x->control ? "on" : "off");
    g_string_append_printf(s, "events: %" G_GUINT64_FORMAT "\n", x->events);
    if (x->events_lines)
        g_string_append_printf(s,
                               "events_retained: %" G_GUINT64_FORMAT " lines, %" G_GUINT64_FORMAT
                               " bytes, seq %" G_GUINT64_FORMAT "..%" G_GUINT64_FORMAT
                               " (at most %" G_GUINT64_FORMAT " lines, %" G_GUINT64_FORMAT
                               " bytes)\n",
                               x->events_lines, x->events_bytes, x->events_first_seq,
                               x->events_last_seq, x->events_max_lines, x->events_max_bytes);
    else
        g_string_append_printf(s,
                               "events_retained: 0 lines, next seq %" G_GUINT64_FORMAT
                               " (at most %" G_GUINT64_FORMAT " lines, %" G_GUINT64_FORMAT
                               " bytes)\n",
                               x->events_last_seq + 1, x->events_max_lines, x->events_max_bytes);
    g_string_append_printf(s, "page_size: %d\n", x->page_size);
    g_string_append_printf(s, "timeout: %d s\n", x->timeout_s);
    g_string_append_printf(s, "tasks_known: %u\n", x->tasks_known);
    if (x->list_age_s < 0)
        g_string_append(s, "list_age: never\n");
    else
        g_string_append_printf(s, "list_age: %.1f s\n", x->list_age_s);
    if (x->snapshot_loaded_ms && !x->listed && x->snapshot_unconfirmed) {
        g_autofree char *when = utc_time(x->snapshot_loaded_ms / 1000);
        g_string_append_printf(s,
                               "stale: yes, the snapshot written %s, %.1f s old (the API has not "
                               "listed the tasks yet)\n",
                               when, (double)(x->now_s * 1000 - x->snapshot_loaded_ms) / 1000);
    } else if (x->stale_since_s) {
        g_autofree char *since = utc_time(x->stale_since_s);
        g_string_append_printf(s, "stale: yes, since %s, %.1f s ago (the last fetch failed)\n",
                               since, x->stale_for_s);
    } else {
        g_string_append(s, "stale: no\n");
    }
    g_string_append_printf(s, "stale_served: %" G_GUINT64_FORMAT "\n", x->stale_served);
    g_string_append_printf(s, "list_walks: %" G_GUINT64_FORMAT "\n", x->list_walks);
    g_string_append_printf(s, "detail_fetches: %" G_GUINT64_FORMAT "\n", x->detail_fetches);
    g_string_append_printf(s, "api_requests: %" G_GUINT64_FORMAT "\n", x->api_requests);
    g_string_append_printf(s, "manual_refreshes: %" G_GUINT64_FORMAT "\n", x->manual_refreshes);
    g_string_append_printf(s, "errors: %" G_GUINT64_FORMAT "\n", x->errors);
    g_string_append_printf(s, "last_error: %s\n", x->last_error ? x->last_error : "none");
    append_snapshot(s, x);
    return g_string_free(s, FALSE);
}
