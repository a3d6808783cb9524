/* generator: makes up realistic VIAS tasks, deterministically (see generator.h).
 *
 * Every draw goes through g->rng in a fixed order; changing the order of draws changes every
 * generated data set, so add new draws at the end of generator_draw() only. */
#include "generator.h"

#include "task.h"

#include <string.h>

#define DAY_MS G_GINT64_CONSTANT(86400000)

static const struct {
    const char *title; /* matches the title query rule, so clients can filter by it */
    const char *slug;
    const char *vendor;
    const char *classes;
    guint weight;
} algorithms[] = {
    {"人脸识别", "face", "huawei", "[\"face\"]", 16},
    {"车辆检测", "vehicle", "huawei", "[\"car\",\"truck\",\"bus\"]", 14},
    {"安全帽检测", "helmet", "acme-vision", "[\"person\",\"helmet\"]", 10},
    {"perimeter_intrusion", "perimeter", "hikvision", "[\"person\"]", 10},
    {"crowd-density", "crowd", "dahua", "[\"person\"]", 8},
    {"smoke_fire_detection", "smoke-fire", "uniview", "[\"smoke\",\"fire\"]", 8},
    {"license_plate", "plate", "huawei", "[\"plate\"]", 8},
    {"客流统计", "footfall", "华为云", "[\"person\"]", 8},
    {"fall-detection", "fall", "acme-vision", "[\"person\"]", 6},
    {"垃圾满溢检测", "garbage", "sensetime", "[\"bin\"]", 6},
    {"ppe_vest", "vest", "hikvision", "[\"person\",\"vest\"]", 6},
};
#define N_ALGORITHMS G_N_ELEMENTS(algorithms)

static const char *const vendors[] = {"huawei",      "hikvision", "dahua", "uniview",
                                      "acme-vision", "sensetime", "华为云"};
static const char *const places[] = {"gate",      "lobby",    "parking", "east-door",
                                     "warehouse", "dock",     "roof",    "corridor",
                                     "canteen",   "platform", "tunnel",  "yard"};
static const char *const places_zh[] = {"南门", "停车场", "大厅", "仓库", "东入口", "食堂"};
static const char *const creators[] = {"vias_admin", "ops-zhang", "li.wei", "deploy-bot",
                                       "wang_fang"};
static const char *const descriptions[] = {"",
                                           "",
                                           "",
                                           "Production analysis task.",
                                           "Pilot: evaluate false alarm rate for two weeks.",
                                           "夜间重点区域监控",
                                           "Created by the deployment pipeline.",
                                           "临时任务，活动结束后删除"};
static const char *const timezones[] = {"GMT+08:00", "GMT+00:00", "GMT-05:00", "GMT+05:30"};

/* States and their weights (they add up to 100): mostly RUNNING and STOPPED. */
static const guint state_weights[TASK_STATE_COUNT] = {
    2 /* PENDING */,           1 /* RECOVERING */,   2 /* STARTING */,  1 /* UPGRADING */,
    2 /* CREATE_FAILED */,     2 /* START_FAILED */, 45 /* RUNNING */,  1 /* STOPPING */,
    27 /* STOPPED */,          4 /* ABNORMAL */,     3 /* SUCCEEDED */, 4 /* FAILED */,
    1 /* DELETING */,          1 /* FREEZING */,     1 /* FROZEN */,    2 /* SCHEDULING */,
    1 /* LACK_OF_RESOURCES */,
};

struct algorithm_ids {
    char *service_id;
    char *release_id;
    char *publish_id; /* UUID v4, matches the alg_id query rule */
    char *package_id;
};

struct camera {
    char *name;
    char *video_source_id;
    guint ip[2];
};

struct generator {
    GMutex lock; /* protects everything below after generator_new() */
    GRand *rng;
    guint seq; /* records made so far: numbers names, forces all states first */
    char *project_id;
    struct algorithm_ids alg[N_ALGORITHMS];
    GArray *cameras;       /* struct camera, owns its strings */
    GPtrArray *batches;    /* char*, owned */
    GPtrArray *vgroups;    /* char*, owned */
    GPtrArray *edge_nodes; /* char*, owned */
};

static guint64 rand_u64(GRand *r)
{
    guint64 hi = g_rand_int(r);
    return hi << 32 | g_rand_int(r);
}

static guint rand_below(GRand *r, guint n)
{
    return n <= 1 ? 0 : (guint)g_rand_int_range(r, 0, (gint32)n);
}

static bool rand_percent(GRand *r, guint pct)
{
    return rand_below(r, 100) < pct;
}

/* n characters drawn from `alphabet`. Caller frees. */
static char *rand_chars(GRand *r, guint n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    char *s = g_malloc(n + 1);
    for (guint i = 0; i < n; i++)
        s[i] = alphabet[rand_below(r, (guint)k)];
    s[n] = '\0';
    return s;
}

static char *rand_hex(GRand *r, guint n)
{
    return rand_chars(r, n, "0123456789abcdef");
}

static char *rand_uuid4(GRand *r)
{
    g_autofree char *h = rand_hex(r, 32);
    h[12] = '4';
    h[16] = "89ab"[rand_below(r, 4)];
    return g_strdup_printf("%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

const char *generator_state(GRand *rng)
{
    guint x = rand_below(rng, 100);
    for (guint i = 0; i < TASK_STATE_COUNT; i++) {
        if (x < state_weights[i])
            return task_states[i];
        x -= state_weights[i];
    }
    return "RUNNING";
}

static void camera_clear(gpointer p)
{
    struct camera *c = p;
    g_free(c->name);
    g_free(c->video_source_id);
}

struct generator *generator_new(guint64 seed, guint n_tasks, const char *project_id)
{
    struct generator *g = g_new0(struct generator, 1);
    guint32 words[2] = {(guint32)seed, (guint32)(seed >> 32)};
    g_mutex_init(&g->lock);
    g->rng = g_rand_new_with_seed_array(words, 2);
    g->project_id = g_strdup(project_id);
    for (size_t i = 0; i < N_ALGORITHMS; i++) {
        g->alg[i].service_id = rand_uuid4(g->rng);
        g->alg[i].release_id = rand_uuid4(g->rng);
        g->alg[i].publish_id = rand_uuid4(g->rng);
        g->alg[i].package_id = rand_hex(g->rng, 32);
    }
    guint n_cameras = MAX(1, n_tasks / 10);
    g->cameras = g_array_sized_new(FALSE, TRUE, sizeof(struct camera), n_cameras);
    g_array_set_clear_func(g->cameras, camera_clear);
    for (guint i = 0; i < n_cameras; i++) {
        struct camera c = {0};
        if (rand_percent(g->rng, 12))
            c.name = g_strdup_printf("摄像头-%04u-%s", i + 1,
                                     places_zh[rand_below(g->rng, G_N_ELEMENTS(places_zh))]);
        else
            c.name = g_strdup_printf("cam-%04u-%s", i + 1,
                                     places[rand_below(g->rng, G_N_ELEMENTS(places))]);
        c.video_source_id = rand_hex(g->rng, 32);
        c.ip[0] = rand_below(g->rng, 250) + 1;
        c.ip[1] = rand_below(g->rng, 250) + 1;
        g_array_append_val(g->cameras, c);
    }
    g->batches = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < MAX(1, n_tasks / 50); i++)
        g_ptr_array_add(g->batches, i % 4 == 3 ? g_strdup_printf("nightly_%03u", i)
                                               : g_strdup_printf("batch-%04u", i + 1));
    g->vgroups = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < MAX(1, n_tasks / 20); i++)
        g_ptr_array_add(g->vgroups, rand_hex(g->rng, 32));
    g->edge_nodes = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < MAX(1, n_tasks / 50); i++)
        g_ptr_array_add(g->edge_nodes, rand_hex(g->rng, 32));
    return g;
}

void generator_free(struct generator *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < N_ALGORITHMS; i++) {
        g_free(g->alg[i].service_id);
        g_free(g->alg[i].release_id);
        g_free(g->alg[i].publish_id);
        g_free(g->alg[i].package_id);
    }
    g_array_unref(g->cameras);
    g_ptr_array_unref(g->batches);
    g_ptr_array_unref(g->vgroups);
    g_ptr_array_unref(g->edge_nodes);
    g_rand_free(g->rng);
    g_free(g->project_id);
    g_mutex_clear(&g->lock);
    g_free(g);
}

/* Members with literal keys: cJSON keeps the key pointer instead of copying it, which
 * matters when a hundred thousand records are made. */
static void put(cJSON *o, const char *key, cJSON *v)
{
    cJSON_AddItemToObjectCS(o, key, v);
}

static void put_str(cJSON *o, const char *key, const char *v)
{
    put(o, key, cJSON_CreateString(v));
}

static void put_num(cJSON *o, const char *key, double v)
{
    put(o, key, cJSON_CreateNumber(v));
}

static void put_bool(cJSON *o, const char *key, bool v)
{
    put(o, key, cJSON_CreateBool(v));
}

static void put_null(cJSON *o, const char *key)
{
    put(o, key, cJSON_CreateNull());
}

static cJSON *put_obj(cJSON *o, const char *key)
{
    cJSON *v = cJSON_CreateObject();
    put(o, key, v);
    return v;
}

static cJSON *put_arr(cJSON *o, const char *key)
{
    cJSON *v = cJSON_CreateArray();
    put(o, key, v);
    return v;
}

/* Constant JSON, printed verbatim (no number formatting at render time). */
static cJSON *raw(const char *json)
{
    return cJSON_CreateRaw(json);
}

static guint pick_algorithm(GRand *r)
{
    guint total = 0;
    for (size_t i = 0; i < N_ALGORITHMS; i++)
        total += algorithms[i].weight;
    guint x = rand_below(r, total);
    for (guint i = 0; i < N_ALGORITHMS; i++) {
        if (x < algorithms[i].weight)
            return i;
        x -= algorithms[i].weight;
    }
    return 0;
}

static cJSON *make_secret_headers(GRand *r)
{
    cJSON *h = cJSON_CreateObject();
    g_autofree char *tok =
        rand_chars(r, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    g_autofree char *bearer = g_strdup_printf("Bearer eyJ%s", tok);
    g_autofree char *key = rand_hex(r, 32);
    g_autofree char *sk = g_strdup_printf("sk-%s", key);
    put_str(h, "Authorization", bearer);
    put_str(h, "X-Api-Key", sk);
    put_str(h, "Content-Type", "application/json");
    return h;
}

/* The input object; url and obs are cloud-only, edgecamera and vcn edge-only. */
static cJSON *make_input(struct generator *g, const struct camera *cam, bool edge)
{
    GRand *r = g->rng;
    guint x = rand_below(r, 100);
    const char *type = x < 55   ? "video_source"
                       : x < 65 ? (edge ? "edgecamera" : "url")
                       : x < 73 ? (edge ? "vcn" : "obs")
                       : x < 88 ? "restful"
                       : edge   ? "vcn"
                                : "video_source";
    cJSON *in = cJSON_CreateObject();
    put_str(in, "type", type);
    cJSON *data = put_arr(in, "data");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddItemToArray(data, d);
    if (strcmp(type, "video_source") == 0) {
        put_str(d, "video_source_id", cam->video_source_id);
        put_str(d, "stream_name", rand_percent(r, 80) ? "main" : "sub");
    } else if (strcmp(type, "url") == 0) {
        g_autofree char *url =
            rand_percent(r, 50)
                ? g_strdup_printf("rtsp://10.20.%u.%u:554/live/ch1", cam->ip[0], cam->ip[1])
                : g_strdup_printf("https://media.example.com/recordings/%s/2026-10-%02u.mp4",
                                  cam->video_source_id, rand_below(r, 28) + 1);
        put_str(d, "url", url);
    } else if (strcmp(type, "obs") == 0) {
        g_autofree char *path = g_strdup_printf("videos/%s/", cam->video_source_id);
        put_str(d, "bucket", "vias-input-videos");
        put_str(d, "path", path);
    } else if (strcmp(type, "edgecamera") == 0) {
        g_autofree char *id = rand_hex(r, 32);
        put_str(d, "id", id);
    } else if (strcmp(type, "restful") == 0) {
        g_autofree char *url =
            g_strdup_printf("https://streams.example.com/api/v1/streams/%s", cam->video_source_id);
        put_str(d, "url", url);
        put(d, "headers", make_secret_headers(r));
        put_bool(d, "certificate_check", rand_percent(r, 70));
        put_str(d, "rtsp_path_in_response", "data.rtsp_url");
    } else {
        g_autofree char *dev = g_strdup_printf("%020" G_GUINT64_FORMAT "#%s",
                                               rand_u64(r) % G_GUINT64_CONSTANT(100000000000000000),
                                               cam->video_source_id);
        g_autofree char *ip = g_strdup_printf("192.168.%u.%u", cam->ip[0], cam->ip[1]);
        g_autofree char *pw =
            rand_chars(r, 16, "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789@#!");
        put_str(d, "device_id", dev);
        put_num(d, "stream_type", rand_below(r, 3) + 1);
        cJSON *vcn = put_obj(in, "vcn");
        put_str(vcn, "ip", ip);
        put_num(vcn, "port", 9900);
        put_str(vcn, "username", "vcn_admin");
        put_str(vcn, "password", pw);
    }
    return in;
}

static cJSON *make_output(struct generator *g, const struct camera *cam)
{
    GRand *r = g->rng;
    cJSON *out = cJSON_CreateObject();
    guint x = rand_below(r, 100);
    if (x < 45) {
        cJSON *w = put_obj(out, "webhook");
        g_autofree char *hook = rand_hex(r, 12);
        g_autofree char *url = g_strdup_printf("https://hooks.example.com/vias/%s", hook);
        put_str(w, "url", url);
        put(w, "headers", make_secret_headers(r));
        put(w, "data_category", raw("[\"alarm\"]"));
    } else if (x < 75) {
        cJSON *d = put_obj(out, "dis");
        g_autofree char *stream = g_strdup_printf("dis-vias-%02u", rand_below(r, 20) + 1);
        put_str(d, "stream_name", stream);
        put_arr(d, "data_category");
    } else {
        cJSON *o = put_obj(out, "obs");
        g_autofree char *path = g_strdup_printf("results/%s/", cam->video_source_id);
        put_str(o, "bucket", "vias-results");
        put_str(o, "path", path);
        put_arr(o, "data_category");
    }
    put_bool(out, "event_center", rand_percent(r, 40));
    return out;
}

static cJSON *make_schedule(GRand *r)
{
    cJSON *s = cJSON_CreateObject();
    put_str(s, "type", "weekly");
    put_str(s, "timezone", timezones[rand_below(r, G_N_ELEMENTS(timezones))]);
    cJSON *days = put_arr(s, "days_of_week");
    guint first = rand_percent(r, 70) ? 1 : 6;
    guint last = first == 1 ? 5 : 7;
    for (guint d = first; d <= last; d++)
        cJSON_AddItemToArray(days, cJSON_CreateNumber(d));
    cJSON *periods = put_arr(s, "periods");
    guint start = 6 + rand_below(r, 4);
    const char *p1[] = {NULL, "12:00"};
    g_autofree char *st = g_strdup_printf("%02u:00", start);
    p1[0] = st;
    cJSON_AddItemToArray(periods, cJSON_CreateStringArray(p1, 2));
    const char *p2[] = {"13:30", "18:00"};
    cJSON_AddItemToArray(periods, cJSON_CreateStringArray(p2, 2));
    return s;
}

static cJSON *make_config(GRand *r)
{
    cJSON *cfg = cJSON_CreateObject();
    cJSON *c = put_obj(cfg, "common");
    put_num(c, "threshold", (50 + rand_below(r, 46)) / 100.0);
    put_num(c, "frame_interval_ms", 40 * (1 + rand_below(r, 25)));
    put_num(c, "alarm_interval_s", 10 * (1 + rand_below(r, 30)));
    put_bool(c, "draw_boxes", rand_percent(r, 50));
    put(c, "roi", raw("[[0,0],[1920,0],[1920,1080],[0,1080]]"));
    return cfg;
}

/* Draws one record. Caller holds g->lock. */
static cJSON *generator_draw(struct generator *g, gint64 created_ms)
{
    GRand *r = g->rng;
    guint seq = g->seq++;
    guint a = pick_algorithm(r);
    const struct camera *cam =
        &g_array_index(g->cameras, struct camera, rand_below(r, g->cameras->len));
    g_autofree char *id = rand_hex(r, 32);
    const char *state = generator_state(r);
    if (seq < TASK_STATE_COUNT)
        state = task_states[seq]; /* every state is present in any set of 17 or more */
    if (created_ms < 0) {
        guint64 back = rand_u64(r) % (guint64)(180 * DAY_MS);
        created_ms = GENERATOR_EPOCH_MS - (gint64)back;
    }
    gint64 room = MIN(GENERATOR_EPOCH_MS - created_ms, 30 * DAY_MS);
    gint64 updated_ms = created_ms + (room > 0 ? (gint64)(rand_u64(r) % (guint64)room) : 0);
    bool edge = rand_percent(r, 30);

    g_autofree char *name = NULL;
    guint style = rand_below(r, 10);
    if (style < 7)
        name = g_strdup_printf("%s-%s-%05u", algorithms[a].slug, cam->name, seq);
    else if (style < 9)
        name = g_strdup_printf("%s任务-%05u", algorithms[a].title, seq);
    else
        name = g_strdup_printf("%s_%s_%u", algorithms[a].slug, edge ? "edge" : "cloud", seq);

    cJSON *rec = cJSON_CreateObject();
    g_autofree char *created = task_time_format(created_ms);
    g_autofree char *updated = task_time_format(updated_ms);
    put_str(rec, "id", id);
    put_str(rec, "name", name);
    put_str(rec, "creator", creators[rand_below(r, G_N_ELEMENTS(creators))]);
    put_str(rec, "project_id", g->project_id);
    put_str(rec, "description", descriptions[rand_below(r, G_N_ELEMENTS(descriptions))]);
    put_str(rec, "release_id", g->alg[a].release_id);
    put_str(rec, "service_id", g->alg[a].service_id);
    put_str(rec, "created_at", created);
    put_str(rec, "updated_at", updated);
    put_str(rec, "state", state);
    put_null(rec, "status");
    put_null(rec, "error");
    task_record_set_status(rec, state, NULL);
    if (rand_percent(r, 15)) {
        put_str(rec, "schedule_status", rand_percent(r, 80) ? "ACTIVATED" : "INACTIVATED");
        put(rec, "schedule", make_schedule(r));
    } else {
        put_null(rec, "schedule_status");
        put_null(rec, "schedule");
    }
    put(rec, "input", make_input(g, cam, edge));
    put(rec, "output", make_output(g, cam));
    put(rec, "config", make_config(r));
    put_str(rec, "video_source_name", cam->name);
    put_str(rec, "title", algorithms[a].title);
    guint grp = rand_below(r, 10);
    g_autofree char *group = grp < 4   ? g_strdup("")
                             : grp < 8 ? g_strdup_printf("group-%02u", grp)
                                       : g_strdup_printf("group-%02u,group-%02u", grp, grp + 10);
    put_str(rec, "group_name", group);
    put_str(rec, "company",
            rand_percent(r, 80) ? algorithms[a].vendor
                                : vendors[rand_below(r, G_N_ELEMENTS(vendors))]);
    g_autofree char *task_config =
        g_strdup_printf("{\"model_version\":\"%u.%u.%u\",\"confidence\":0.%02u,\"classes\":%s}",
                        1 + rand_below(r, 3), rand_below(r, 10), rand_below(r, 20),
                        50 + rand_below(r, 50), algorithms[a].classes);
    put_str(rec, "task_config", task_config);
    put_str(rec, "type", edge ? "edge" : "cloud");
    g_autofree char *order = !edge && rand_percent(r, 50) ? rand_hex(r, 32) : g_strdup("");
    put_str(rec, "resource_order_id", order);
    put_str(rec, "package_id", edge ? g->alg[a].package_id : "");
    const char *node = g->edge_nodes->pdata[rand_below(r, g->edge_nodes->len)];
    put_str(rec, "device_id", edge ? node : "");
    g_autofree char *addr =
        edge ? g_strdup_printf("https://192.168.%u.%u:8443", cam->ip[1], cam->ip[0]) : g_strdup("");
    put_str(rec, "access_address", addr);
    put_str(rec, "algorithm_publish_id", g->alg[a].publish_id);

    cJSON *hidden = put_obj(rec, TASK_HIDDEN);
    put_str(hidden, "source_data_type", rand_percent(r, 85) ? "async_task" : "sync_task");
    put_str(hidden, "batch_id",
            rand_percent(r, 80) ? (const char *)g->batches->pdata[rand_below(r, g->batches->len)]
                                : "");
    put_str(hidden, "video_group_id", g->vgroups->pdata[rand_below(r, g->vgroups->len)]);
    return rec;
}

cJSON *generator_record(struct generator *g, gint64 created_ms)
{
    g_mutex_lock(&g->lock);
    cJSON *rec = generator_draw(g, created_ms);
    g_mutex_unlock(&g->lock);
    return rec;
}

void generator_fill(struct generator *g, cJSON *record, gint64 created_ms)
{
    const char *state = json_string(record, "state");
    bool had_status = cJSON_GetObjectItemCaseSensitive(record, "status") != NULL;
    bool had_error = cJSON_GetObjectItemCaseSensitive(record, "error") != NULL;
    const cJSON *created = cJSON_GetObjectItemCaseSensitive(record, "created_at");
    bool had_updated = cJSON_GetObjectItemCaseSensitive(record, "updated_at") != NULL;
    g_autoptr(cJSON) made = generator_record(g, created_ms);

    /* A given state decides status and error unless both are given too. */
    if (state != NULL && !(had_status && had_error))
        task_record_set_status(made, state, had_status ? json_string(record, "status") : NULL);
    if (created != NULL && !had_updated)
        json_set(made, "updated_at", cJSON_Duplicate(created, true));
    for (cJSON *c = made->child; c != NULL;) {
        cJSON *next = c->next;
        cJSON *mine = cJSON_GetObjectItemCaseSensitive(record, c->string);
        if (mine == NULL) {
            cJSON_AddItemToObject(record, c->string, cJSON_DetachItemViaPointer(made, c));
        } else if (strcmp(c->string, TASK_HIDDEN) == 0 && cJSON_IsObject(mine)) {
            for (cJSON *h = c->child; h != NULL;) {
                cJSON *hnext = h->next;
                if (cJSON_GetObjectItemCaseSensitive(mine, h->string) == NULL)
                    cJSON_AddItemToObject(mine, h->string, cJSON_DetachItemViaPointer(c, h));
                h = hnext;
            }
        }
        c = next;
    }
}

bool generator_service(struct generator *g, const char *name, cJSON *record)
{
    for (guint a = 0; a < N_ALGORITHMS; a++) {
        if (strcmp(name, algorithms[a].slug) != 0)
            continue;
        g_mutex_lock(&g->lock);
        json_set(record, "service_id", cJSON_CreateString(g->alg[a].service_id));
        json_set(record, "release_id", cJSON_CreateString(g->alg[a].release_id));
        json_set(record, "algorithm_publish_id", cJSON_CreateString(g->alg[a].publish_id));
        g_mutex_unlock(&g->lock);
        json_set(record, "title", cJSON_CreateString(algorithms[a].title));
        json_set(record, "company", cJSON_CreateString(algorithms[a].vendor));
        return true;
    }
    return false;
}

/* Builds a string of exactly n_chars code points by repeating `unit`. Caller frees. */
static char *repeat_to(const char *prefix, const char *unit, glong n_chars)
{
    GString *s = g_string_new(prefix);
    while (g_utf8_strlen(s->str, -1) < n_chars)
        g_string_append(s, unit);
    while (g_utf8_strlen(s->str, -1) > n_chars)
        g_string_truncate(s, g_utf8_prev_char(s->str + s->len) - s->str);
    return g_string_free(s, FALSE);
}

/* The hostile kinds. Every string is valid UTF-8 (so the JSON stays valid) but breaks some
 * naive assumption: path separators, dot names, percent signs, control bytes, quotes,
 * over-long names, non-BMP and invisible characters, duplicates, case-only differences,
 * empty strings, a state outside the documented set and identical created_at values. */
static const struct {
    const char *kind;
    const char *name;
    const char *camera;
    const char *title;
} hostile[] = {
    {"slash", "a/b/c", "cam/with/slash", "alg/slash"},
    {"traversal", "../../etc/passwd", "../cam", "..%2F.."},
    {"percent", "100% done %2F %s %n", "cam%2Fencoded%00", "%s%x"},
    {"dot", ".", ".", "."},
    {"dotdot", "..", "..", ".."},
    {"control",
     "ctrl\x01"
     "char",
     "tab\tcam", "line\nbreak"},
    {"control", "cr\r\nlf", "bell\a\x1b[31mred", "del\x7f"},
    {"quotes", "\"quoted\" and \\backslash\\", "{\"json\":true}", "[1,2,3]"},
    {"escapes", "\\u0041 is not an escape", "</script><script>alert(1)</script>", "null"},
    {"duplicate", "duplicate-name", "dup-cam", "dup-title"},
    {"duplicate", "duplicate-name", "dup-cam", "dup-title"},
    {"empty", "", "", ""},
    {"case", "CaseName", "Cam-Case", "CaseAlg"},
    {"case", "casename", "cam-case", "casealg"},
    {"case", "CASENAME", "CAM-CASE", "CASEALG"},
    {"spaces", " leading and trailing ", "trailing dot.", " "},
    {"emoji", "emoji \xf0\x9f\x8e\xa5\xf0\x9f\x93\xb9", "cam \xf0\x9f\x93\xb7 four-byte",
     "\xf0\x9f\x98\x80"},
    {"normalization", "caf\xc3\xa9 composed", "cafe\xcc\x81 decomposed", "caf\xc3\xa9"},
    {"invisible", "zero\xe2\x80\x8bwidth",
     "rtl \xe2\x80\xae"
     "evil",
     "bom\xef\xbb\xbf"},
    {"glob", "-starts-with-dash", "~tilde", "*glob?[x]"},
    {"comma", "name, with, commas", "a,b,c", "a,b"},
    {"backslash", "back\\slash\\path", "C:\\cams\\gate", "..\\.."},
    {"long-ascii", NULL, NULL, NULL},
    {"long-unicode", NULL, NULL, NULL},
    {"unknown-state", "state-not-documented", "cam-odd-state", "odd-state"},
    {"same-time", "same-time-1", "cam-same-time", "same_time"},
    {"same-time", "same-time-2", "cam-same-time", "same_time"},
    {"same-time", "same-time-3", "cam-same-time", "same_time"},
};

GPtrArray *generator_hostile(struct generator *g)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)cJSON_Delete);
    for (size_t i = 0; i < G_N_ELEMENTS(hostile); i++) {
        cJSON *rec = generator_record(g, -1);
        g_autofree char *name = NULL, *camera = NULL, *title = NULL;
        if (strcmp(hostile[i].kind, "long-ascii") == 0) {
            name = repeat_to("long-name-", "0123456789abcdef", 1024);
            camera = repeat_to("long-camera-", "ABCDEFGHIJ", 255);
            title = repeat_to("LongTitle_", "0123456789", 64);
        } else if (strcmp(hostile[i].kind, "long-unicode") == 0) {
            name = repeat_to("很长的任务名称", "视频分析任务\xf0\x9f\x8e\xa5", 600);
            camera = repeat_to("摄像头", "东南西北门", 255);
            title = repeat_to("", "人脸识别", 64);
        } else {
            name = g_strdup(hostile[i].name);
            camera = g_strdup(hostile[i].camera);
            title = g_strdup(hostile[i].title);
        }
        json_set(rec, "name", cJSON_CreateString(name));
        json_set(rec, "video_source_name", cJSON_CreateString(camera));
        json_set(rec, "title", cJSON_CreateString(title));
        if (strcmp(hostile[i].kind, "unknown-state") == 0) {
            json_set(rec, "state", cJSON_CreateString("HIBERNATING"));
            task_record_set_status(rec, "HIBERNATING", "A state the documentation does not list.");
        }
        if (strcmp(hostile[i].kind, "same-time") == 0) {
            g_autofree char *t = task_time_format(GENERATOR_EPOCH_MS - 7 * DAY_MS);
            json_set(rec, "created_at", cJSON_CreateString(t));
            json_set(rec, "updated_at", cJSON_CreateString(t));
        }
        g_ptr_array_add(out, rec);
    }
    return out;
}
