/* event: JSON lines for .viasfs/events (see event.h). Hand-written: cJSON stays in the api
 * layer, and a flat object of strings needs only correct string escaping (json_string). */
#include "viasfs/event.h"
#include "viasfs/json_string.h"

#include <string.h>

/* @time_ms as "2026-11-28T17:00:00.123Z". Caller frees. */
static char *event_time(gint64 time_ms)
{
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(time_ms / 1000);
    g_autofree char *stamp = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");

    return g_strdup_printf("%s.%03dZ", stamp, (int)(time_ms % 1000));
}

char *event_control_to_json(const struct event_control *e)
{
    GString *out = g_string_new("{\"time\":");
    g_autofree char *when = event_time(e->time_ms);
    const char *name = e->rc < 0 ? strerrorname_np(-e->rc) : NULL;

    json_string_append(out, when);
    g_string_append(out, ",\"type\":\"control\",\"verb\":");
    json_string_append(out, e->verb);
    g_string_append(out, ",\"task_id\":");
    json_string_append(out, e->task_id);
    g_string_append(out, ",\"part\":");
    json_string_append(out, e->part);
    g_string_append_printf(out, ",\"uid\":%u,\"pid\":%d,\"result\":", (unsigned)e->uid,
                           (int)e->pid);
    json_string_append(out, e->rc == 0 ? "ok" : name ? name : "EIO");
    g_string_append(out, ",\"message\":");
    json_string_append(out, e->message);
    g_string_append_c(out, '}');
    return g_string_free(out, FALSE);
}

char *event_to_json(const struct event *e)
{
    GString *out = g_string_new("{\"time\":");
    g_autofree char *when = event_time(e->time_ms);

    json_string_append(out, when);
    g_string_append(out, ",\"task_id\":");
    json_string_append(out, e->task_id);
    g_string_append(out, ",\"task_name\":");
    json_string_append(out, e->task_name);
    g_string_append(out, ",\"change\":");
    json_string_append(out, e->change);
    g_string_append(out, ",\"old\":");
    json_string_append(out, e->old_value);
    g_string_append(out, ",\"new\":");
    json_string_append(out, e->new_value);
    g_string_append_c(out, '}');
    return g_string_free(out, FALSE);
}

char *event_lost_to_json(gint64 time_ms, guint64 from, guint64 to, bool ahead)
{
    g_autofree char *when = event_time(time_ms);

    return g_strdup_printf(
        "{\"seq\":%" G_GUINT64_FORMAT
        ",\"time\":\"%s\",\"type\":\"lost\",\"from\":%" G_GUINT64_FORMAT
        ",\"to\":%" G_GUINT64_FORMAT ",\"reason\":\"%s\"}",
        to, when, from, to,
        ahead ? "since names a number this mount never gave (it did not start from the snapshot "
                "that number came from): re-scan"
              : "no longer retained: re-scan");
}
