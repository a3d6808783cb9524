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

static const char *const auth_names[STATS_AUTH_COUNT] = {
    [STATS_TOKENS_ISSUED] = "tokens_issued",   [STATS_IAM_FAILURES] = "iam_failures",
    [STATS_TOKENS_EXPIRED] = "tokens_expired", [STATS_AKSK_ACCEPTED] = "aksk_accepted",
    [STATS_AKSK_FAILED] = "aksk_failed",       [STATS_AKSK_LOCKED] = "aksk_locked",
};

void stats_count_auth(struct stats *s, enum stats_auth what)
{
    g_atomic_int_inc(&s->auth[what]);
}

void stats_reset(struct stats *s)
{
    g_atomic_int_set(&s->total, 0);
    for (int e = 0; e < ENDPOINT_COUNT; e++)
        for (int c = 0; c < STATS_STATUS_MAX; c++)
            g_atomic_int_set(&s->status[e][c], 0);
    for (int a = 0; a < STATS_AUTH_COUNT; a++)
        g_atomic_int_set(&s->auth[a], 0);
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
    cJSON *auth = cJSON_AddObjectToObject(out, "auth");
    for (int a = 0; a < STATS_AUTH_COUNT; a++)
        cJSON_AddNumberToObject(auth, auth_names[a], g_atomic_int_get(&s->auth[a]));
    return out;
}
