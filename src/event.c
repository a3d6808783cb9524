/* event: JSON lines for .viasfs/events (see event.h). Hand-written: cJSON stays in the api
 * layer, and a flat object of strings needs only correct string escaping. */
#include "viasfs/event.h"

static void append_string(GString *out, const char *s)
{
    g_autofree char *valid = NULL;

    if (!s) {
        g_string_append(out, "null");
        return;
    }
    valid = g_utf8_make_valid(s, -1);
    g_string_append_c(out, '"');
    for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
        switch (*p) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(out, "\\u%04x", *p);
            else
                g_string_append_c(out, (char)*p);
        }
    }
    g_string_append_c(out, '"');
}

char *event_to_json(const struct event *e)
{
    GString *out = g_string_new("{\"time\":");
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(e->time_ms / 1000);
    g_autofree char *stamp = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%S");
    g_autofree char *when = g_strdup_printf("%s.%03dZ", stamp, (int)(e->time_ms % 1000));

    append_string(out, when);
    g_string_append(out, ",\"task_id\":");
    append_string(out, e->task_id);
    g_string_append(out, ",\"task_name\":");
    append_string(out, e->task_name);
    g_string_append(out, ",\"change\":");
    append_string(out, e->change);
    g_string_append(out, ",\"old\":");
    append_string(out, e->old_value);
    g_string_append(out, ",\"new\":");
    append_string(out, e->new_value);
    g_string_append_c(out, '}');
    return g_string_free(out, FALSE);
}
