/* event: JSON lines for .viasfs/events (see event.h). Hand-written: cJSON stays in the api
 * layer, and a flat object of strings needs only correct string escaping (json_string). */
#include "viasfs/event.h"
#include "viasfs/json_string.h"

char *event_to_json(const struct event *e)
{
    GString *out = g_string_new("{\"time\":");
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(e->time_ms / 1000);
    g_autofree char *stamp = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
    g_autofree char *when = g_strdup_printf("%s.%03dZ", stamp, (int)(e->time_ms % 1000));

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
