/* faults: the latency and failures the emulator injects (see faults.h). */
#include "faults.h"

#include <errno.h>
#include <string.h>

#define FAULTS_MS_MAX 3600000 /* an hour: longer waits are surely typos */

static const char *const fault_names[FAULT_COUNT] = {
    [FAULT_ERROR_500] = "error_500", [FAULT_ERROR_429] = "error_429",
    [FAULT_STALL] = "stall",         [FAULT_DROP] = "drop",
    [FAULT_TRUNCATE] = "truncate",   [FAULT_MALFORMED] = "malformed",
};

const char *fault_name(enum fault_kind k)
{
    return k >= 0 && k < FAULT_COUNT ? fault_names[k] : "none";
}

/* The order in which the answer-changing faults are tried; the first that fires wins. */
static const enum fault_kind outcome_order[] = {FAULT_DROP, FAULT_ERROR_429, FAULT_ERROR_500,
                                                FAULT_TRUNCATE, FAULT_MALFORMED};

struct fault_rule {
    double rate;  /* 0..1 */
    gint64 count; /* how many more times it may fire; -1: no limit */
    bool after;   /* drop only: the request is carried out before the connection closes */
};

struct config {
    unsigned latency_ms;
    unsigned endpoints; /* bit (1 << enum endpoint) per endpoint; 0: all but IAM */
    unsigned stall_ms;
    long from_page; /* list pages before this one meet nothing; 0: every page */
    struct fault_rule rule[FAULT_COUNT];
};

struct faults {
    GMutex lock;   /* protects everything below */
    GCond changed; /* signalled on a new configuration and at shutdown */
    GRand *rng;
    struct config cfg;
    guint64 generation; /* bumped by every configuration change */
    bool stopping;
    gint64 fired[FAULT_COUNT];
};

static void config_clear(struct config *c)
{
    memset(c, 0, sizeof(*c));
    for (int k = 0; k < FAULT_COUNT; k++)
        c->rule[k].count = -1;
}

struct faults *faults_new(guint64 seed, unsigned latency_ms)
{
    struct faults *f = g_new0(struct faults, 1);
    guint32 words[3] = {(guint32)seed, (guint32)(seed >> 32), 0xfa17u};
    g_mutex_init(&f->lock);
    g_cond_init(&f->changed);
    f->rng = g_rand_new_with_seed_array(words, 3);
    config_clear(&f->cfg);
    f->cfg.latency_ms = latency_ms;
    return f;
}

void faults_free(struct faults *f)
{
    if (f == NULL)
        return;
    g_rand_free(f->rng);
    g_cond_clear(&f->changed);
    g_mutex_clear(&f->lock);
    g_free(f);
}

static int parse_ms(const cJSON *v, const char *name, unsigned *out, char **error)
{
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > FAULTS_MS_MAX ||
        v->valuedouble != (double)(gint64)v->valuedouble) {
        *error = g_strdup_printf("%s must be an integer from 0 to %d", name, FAULTS_MS_MAX);
        return -EINVAL;
    }
    *out = (unsigned)v->valuedouble;
    return 0;
}

static int parse_rule(const cJSON *v, const char *name, struct fault_rule *rule, char **error)
{
    rule->rate = 0;
    rule->count = -1;
    rule->after = false;
    if (cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsObject(v)) {
        *error = g_strdup_printf("%s must be an object {\"rate\":0..1,\"count\":N}", name);
        return -EINVAL;
    }
    rule->rate = 1;
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        if (strcmp(m->string, "rate") == 0) {
            if (!cJSON_IsNumber(m) || m->valuedouble < 0 || m->valuedouble > 1) {
                *error = g_strdup_printf("%s.rate must be a number from 0 to 1", name);
                return -EINVAL;
            }
            rule->rate = m->valuedouble;
        } else if (strcmp(m->string, "count") == 0) {
            if (!cJSON_IsNumber(m) || m->valuedouble < -1 ||
                m->valuedouble != (double)(gint64)m->valuedouble) {
                *error = g_strdup_printf("%s.count must be an integer >= -1", name);
                return -EINVAL;
            }
            rule->count = (gint64)m->valuedouble;
        } else if (strcmp(m->string, "after") == 0 && strcmp(name, "drop") == 0) {
            if (!cJSON_IsBool(m)) {
                *error = g_strdup("drop.after must be a boolean");
                return -EINVAL;
            }
            rule->after = cJSON_IsTrue(m);
        } else {
            *error = g_strdup_printf("%s: unknown member \"%s\"", name, m->string);
            return -EINVAL;
        }
    }
    return 0;
}

/* "all", or a comma-separated list of endpoint names (endpoint.h). */
static int parse_endpoints(const cJSON *v, unsigned *mask, char **error)
{
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    *mask = 0;
    if (strcmp(s, "all") == 0)
        return 0;
    g_auto(GStrv) names = g_strsplit(s, ",", -1);
    for (char **n = names; *n != NULL; n++) {
        enum endpoint e;
        if (!endpoint_from_name(*n, strlen(*n), &e)) {
            *error = g_strdup("endpoints must be \"all\" or a comma-separated list of list, "
                              "detail, action, delete, update, create, other, iam");
            return -EINVAL;
        }
        *mask |= 1u << e;
    }
    return 0;
}

static int config_parse(struct config *c, const cJSON *json, char **error)
{
    config_clear(c);
    if (!cJSON_IsObject(json)) {
        *error = g_strdup("the fault configuration must be a JSON object");
        return -EINVAL;
    }
    for (const cJSON *m = json->child; m != NULL; m = m->next) {
        const char *name = m->string;
        int kind = -1;
        for (int k = 0; k < FAULT_COUNT; k++)
            if (strcmp(name, fault_names[k]) == 0)
                kind = k;
        if (kind >= 0) {
            if (parse_rule(m, name, &c->rule[kind], error) < 0)
                return -EINVAL;
        } else if (strcmp(name, "latency_ms") == 0) {
            if (parse_ms(m, name, &c->latency_ms, error) < 0)
                return -EINVAL;
        } else if (strcmp(name, "stall_ms") == 0) {
            if (parse_ms(m, name, &c->stall_ms, error) < 0)
                return -EINVAL;
        } else if (strcmp(name, "from_page") == 0) {
            if (!cJSON_IsNumber(m) || m->valuedouble < 1 || m->valuedouble > 1e6 ||
                m->valuedouble != (double)(long)m->valuedouble) {
                *error = g_strdup("from_page must be an integer from 1 to 1000000");
                return -EINVAL;
            }
            c->from_page = (long)m->valuedouble;
        } else if (strcmp(name, "endpoints") == 0) {
            if (parse_endpoints(m, &c->endpoints, error) < 0)
                return -EINVAL;
        } else {
            *error = g_strdup_printf("unknown member \"%s\"", name);
            return -EINVAL;
        }
    }
    return 0;
}

/* Installs c. Caller holds f->lock. */
static void faults_install(struct faults *f, const struct config *c)
{
    f->cfg = *c;
    f->generation++;
    g_cond_broadcast(&f->changed);
}

int faults_set(struct faults *f, const cJSON *config, char **error)
{
    struct config c;
    if (config_parse(&c, config, error) < 0)
        return -EINVAL;
    g_mutex_lock(&f->lock);
    faults_install(f, &c);
    g_mutex_unlock(&f->lock);
    return 0;
}

void faults_clear(struct faults *f)
{
    struct config c;
    config_clear(&c);
    g_mutex_lock(&f->lock);
    faults_install(f, &c);
    g_mutex_unlock(&f->lock);
}

cJSON *faults_to_json(struct faults *f)
{
    cJSON *out = cJSON_CreateObject();
    g_mutex_lock(&f->lock);
    cJSON_AddNumberToObject(out, "latency_ms", f->cfg.latency_ms);
    if (f->cfg.endpoints == 0) {
        cJSON_AddStringToObject(out, "endpoints", "all");
    } else {
        g_autoptr(GString) names = g_string_new(NULL);
        for (int e = 0; e < ENDPOINT_COUNT; e++)
            if (f->cfg.endpoints & (1u << e))
                g_string_append_printf(names, "%s%s", names->len ? "," : "",
                                       endpoint_name((enum endpoint)e));
        cJSON_AddStringToObject(out, "endpoints", names->str);
    }
    cJSON_AddNumberToObject(out, "stall_ms", f->cfg.stall_ms);
    if (f->cfg.from_page)
        cJSON_AddNumberToObject(out, "from_page", (double)f->cfg.from_page);
    for (int k = 0; k < FAULT_COUNT; k++) {
        cJSON *r = cJSON_AddObjectToObject(out, fault_names[k]);
        cJSON_AddNumberToObject(r, "rate", f->cfg.rule[k].rate);
        cJSON_AddNumberToObject(r, "count", (double)f->cfg.rule[k].count);
        if (k == FAULT_DROP)
            cJSON_AddBoolToObject(r, "after", f->cfg.rule[k].after);
    }
    g_mutex_unlock(&f->lock);
    return out;
}

/* Draws whether fault k fires, and counts it. Caller holds f->lock. */
static bool faults_fire(struct faults *f, enum fault_kind k)
{
    struct fault_rule *r = &f->cfg.rule[k];
    if (r->rate <= 0 || r->count == 0 || g_rand_double(f->rng) >= r->rate)
        return false;
    if (r->count > 0)
        r->count--;
    f->fired[k]++;
    return true;
}

void faults_plan(struct faults *f, enum endpoint e, long page, struct fault_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    plan->outcome = FAULT_NONE;
    g_mutex_lock(&f->lock);
    bool selected = f->cfg.endpoints == 0 ? e != ENDPOINT_IAM : (f->cfg.endpoints & (1u << e)) != 0;
    if (e == ENDPOINT_LIST && page < f->cfg.from_page)
        selected = false;
    if (selected) {
        plan->latency_ms = f->cfg.latency_ms;
        if (faults_fire(f, FAULT_STALL)) {
            plan->stall = true;
            plan->stall_ms = f->cfg.stall_ms;
            plan->generation = f->generation;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(outcome_order); i++) {
            if (faults_fire(f, outcome_order[i])) {
                plan->outcome = outcome_order[i];
                plan->drop_after = plan->outcome == FAULT_DROP && f->cfg.rule[FAULT_DROP].after;
                break;
            }
        }
    }
    g_mutex_unlock(&f->lock);
}

int faults_wait(struct faults *f, const struct fault_plan *plan)
{
    int rc = 0;
    g_mutex_lock(&f->lock);
    gint64 until = g_get_monotonic_time() + (gint64)plan->latency_ms * 1000;
    while (!f->stopping && g_get_monotonic_time() < until)
        g_cond_wait_until(&f->changed, &f->lock, until);
    if (plan->stall) {
        bool forever = plan->stall_ms == 0;
        until = g_get_monotonic_time() + (gint64)plan->stall_ms * 1000;
        while (!f->stopping && f->generation == plan->generation &&
               (forever || g_get_monotonic_time() < until))
            g_cond_wait_until(&f->changed, &f->lock,
                              forever ? g_get_monotonic_time() + G_TIME_SPAN_HOUR : until);
    }
    if (f->stopping)
        rc = -ECANCELED;
    g_mutex_unlock(&f->lock);
    return rc;
}

void faults_shutdown(struct faults *f)
{
    g_mutex_lock(&f->lock);
    f->stopping = true;
    g_cond_broadcast(&f->changed);
    g_mutex_unlock(&f->lock);
}

cJSON *faults_fired_to_json(struct faults *f)
{
    cJSON *out = cJSON_CreateObject();
    g_mutex_lock(&f->lock);
    for (int k = 0; k < FAULT_COUNT; k++)
        cJSON_AddNumberToObject(out, fault_names[k], (double)f->fired[k]);
    g_mutex_unlock(&f->lock);
    return out;
}

void faults_fired_reset(struct faults *f)
{
    g_mutex_lock(&f->lock);
    memset(f->fired, 0, sizeof(f->fired));
    g_mutex_unlock(&f->lock);
}
