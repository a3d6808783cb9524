/* stats: counts of the API requests the emulator served (see stats.h). */
#include "stats.h"

#include <string.h>

void stats_init(struct stats *s)
{
    memset(s, 0, sizeof(*s));
}

void stats_count(struct stats *s, enum endpoint e, unsigned status)
{
    g_atomic_int_inc(&s->total);
    if (status > 0 && status < STATS_STATUS_MAX)
        g_atomic_int_inc(&s->status[e][status]);
}

void stats_reset(struct stats *s)
{
    g_atomic_int_set(&s->total, 0);
    for (int e = 0; e < ENDPOINT_COUNT; e++)
        for (int c = 0; c < STATS_STATUS_MAX; c++)
            g_atomic_int_set(&s->status[e][c], 0);
}

cJSON *stats_to_json(struct stats *s)
{
    cJSON *out = cJSON_CreateObject();
    cJSON_AddNumberToObject(out, "total", g_atomic_int_get(&s->total));
    cJSON *req = cJSON_AddObjectToObject(out, "requests");
    for (int e = 0; e < ENDPOINT_COUNT; e++) {
        cJSON *by = cJSON_AddObjectToObject(req, endpoint_name((enum endpoint)e));
        for (int c = 0; c < STATS_STATUS_MAX; c++) {
            gint n = g_atomic_int_get(&s->status[e][c]);
            if (n > 0) {
                char code[8];
                g_snprintf(code, sizeof(code), "%d", c);
                cJSON_AddNumberToObject(by, code, n);
            }
        }
    }
    return out;
}
