/* query: the query parameters of the list call (see query.h).
 *
 * Lengths are counted in code points. Empty camera_name, task_name and company mean "no
 * filter" (they have no pattern that forbids emptiness); every other parameter has a pattern,
 * an enumeration or a type that an empty value breaks. */
#include "query.h"

#include <errno.h>
#include <string.h>

static void query_error_set(struct query_error *err, const char *param, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

static void query_error_set(struct query_error *err, const char *param, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err->param = param;
    err->detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

void query_error_release(struct query_error *err)
{
    g_clear_pointer(&err->detail, g_free);
}

/* A decimal integer, optionally signed: 0, -EINVAL (not an integer) or -ERANGE. */
static int parse_integer(const char *v, gint64 min, gint64 max, gint64 *out)
{
    const char *p = v;
    bool neg = false;
    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (*p == '\0' || strspn(p, "0123456789") != strlen(p))
        return -EINVAL;
    gint64 x = 0;
    for (; *p != '\0'; p++) {
        if (x > (G_MAXINT64 - 9) / 10)
            return -ERANGE;
        x = x * 10 + (*p - '0');
    }
    x = neg ? -x : x;
    if (x < min || x > max)
        return -ERANGE;
    *out = x;
    return 0;
}

/* ^[a-zA-Z0-9\u4e00-\u9fa5-_,]{2,64}$, counted in code points. */
static bool title_ok(const char *v)
{
    glong n = 0;
    for (const char *p = v; *p != '\0'; p = g_utf8_next_char(p), n++) {
        gunichar c = g_utf8_get_char(p);
        bool ok = (c < 128 && (g_ascii_isalnum((char)c) || c == '-' || c == '_' || c == ',')) ||
                  (c >= 0x4e00 && c <= 0x9fa5);
        if (!ok)
            return false;
    }
    return n >= 2 && n <= 64;
}

/* ^[a-z0-9-_]{4,36}$ */
static bool batch_id_ok(const char *v)
{
    size_t n = strlen(v);
    return n >= 4 && n <= 36 && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

/* ^[0-9a-f]{8}-[0-9a-f]{4}-[4][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ */
static bool alg_id_ok(const char *v)
{
    if (strlen(v) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = v[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return v[14] == '4' && strchr("89ab", v[19]) != NULL;
}

static void query_add_filter(struct query *q, enum task_key key, bool loose, const char *value,
                             bool split)
{
    struct query_filter *f = &q->filters[q->n_filters];
    f->values = g_ptr_array_new_with_free_func(g_free);
    if (split) {
        g_auto(GStrv) parts = g_strsplit(value, ",", -1);
        for (char **p = parts; *p != NULL; p++)
            if (**p != '\0')
                g_ptr_array_add(f->values, g_strdup(*p));
    } else {
        g_ptr_array_add(f->values, g_strdup(value));
    }
    f->key = key;
    f->loose = loose;
    q->n_filters++;
}

static char *state_list(void)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < TASK_STATE_COUNT; i++)
        g_string_append_printf(s, "%s%s", i > 0 ? ", " : "", task_states[i]);
    return g_string_free(s, FALSE);
}

/* The documented parameters, in documentation order. */
static const char *const params[] = {
    "source_data_type", "title",          "camera_name", "task_state",
    "task_name",        "page_size",      "page",        "sort_dir",
    "batch_id",         "video_group_id", "company",     "alg_id",
};

static int query_check(struct query *q, const char *name, const char *v, bool exact,
                       struct query_error *err)
{
    gint64 n = 0;
    int rc;
    if (strcmp(name, "source_data_type") == 0) {
        if (strcmp(v, "async_task") != 0 && strcmp(v, "sync_task") != 0)
            goto bad_enum;
        query_add_filter(q, TASK_KEY_SOURCE_DATA_TYPE, false, v, false);
    } else if (strcmp(name, "title") == 0) {
        if (!title_ok(v)) {
            query_error_set(err, "title",
                            "The parameter title must match ^[a-zA-Z0-9\\u4e00-\\u9fa5-_,]{2,64}$: "
                            "2 to 64 characters, each an ASCII letter or digit, a Chinese "
                            "character (U+4E00 to U+9FA5), '-', '_' or ','.");
            return -EINVAL;
        }
        query_add_filter(q, TASK_KEY_TITLE, !exact, v, false);
    } else if (strcmp(name, "camera_name") == 0 || strcmp(name, "task_name") == 0) {
        bool camera = name[0] == 'c';
        glong max = camera ? 255 : 1024;
        if (g_utf8_strlen(v, -1) > max) {
            query_error_set(err, camera ? "camera_name" : "task_name",
                            "The parameter %s must be at most %ld characters long.", name, max);
            return -EINVAL;
        }
        if (*v != '\0')
            query_add_filter(q, camera ? TASK_KEY_CAMERA : TASK_KEY_NAME, !exact, v, false);
    } else if (strcmp(name, "task_state") == 0) {
        if (!task_state_is_known(v)) {
            g_autofree char *states = state_list();
            query_error_set(err, "task_state", "The parameter task_state must be one of %s.",
                            states);
            return -EINVAL;
        }
        query_add_filter(q, TASK_KEY_STATE, false, v, false);
    } else if (strcmp(name, "page_size") == 0) {
        rc = parse_integer(v, QUERY_PAGE_SIZE_MIN, QUERY_PAGE_SIZE_MAX, &n);
        if (rc < 0) {
            query_error_set(err, "page_size",
                            rc == -EINVAL ? "The parameter page_size must be an integer."
                                          : "The parameter page_size must be an integer from 5 "
                                            "to 1000.");
            return -EINVAL;
        }
        q->page_size = (guint)n;
    } else if (strcmp(name, "page") == 0) {
        rc = parse_integer(v, 1, QUERY_PAGE_MAX, &n);
        if (rc < 0) {
            query_error_set(err, "page",
                            rc == -EINVAL ? "The parameter page must be an integer."
                                          : "The parameter page must be an integer from 1 to "
                                            "2147483647.");
            return -EINVAL;
        }
        q->page = n;
    } else if (strcmp(name, "sort_dir") == 0) {
        if (strcmp(v, "asc") != 0 && strcmp(v, "desc") != 0) {
            query_error_set(err, "sort_dir", "The parameter sort_dir must be asc or desc.");
            return -EINVAL;
        }
        q->asc = v[0] == 'a';
    } else if (strcmp(name, "batch_id") == 0) {
        if (!batch_id_ok(v)) {
            query_error_set(err, "batch_id",
                            "The parameter batch_id must match ^[a-z0-9-_]{4,36}$: 4 to 36 "
                            "lower-case letters, digits, '-' or '_'.");
            return -EINVAL;
        }
        query_add_filter(q, TASK_KEY_BATCH_ID, false, v, false);
    } else if (strcmp(name, "video_group_id") == 0) {
        glong len = g_utf8_strlen(v, -1);
        if (len < 4 || len > 2048) {
            query_error_set(err, "video_group_id",
                            "The parameter video_group_id must be 4 to 2048 characters long "
                            "(video group IDs separated by commas).");
            return -EINVAL;
        }
        query_add_filter(q, TASK_KEY_VIDEO_GROUP_ID, false, v, true);
    } else if (strcmp(name, "company") == 0) {
        if (*v != '\0')
            query_add_filter(q, TASK_KEY_COMPANY, false, v, true);
    } else if (strcmp(name, "alg_id") == 0) {
        if (!alg_id_ok(v)) {
            query_error_set(err, "alg_id",
                            "The parameter alg_id must match ^[0-9a-f]{8}-[0-9a-f]{4}-[4][0-9a-f]"
                            "{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ (a lower-case version 4 UUID).");
            return -EINVAL;
        }
        query_add_filter(q, TASK_KEY_ALG_ID, false, v, false);
    }
    return 0;

bad_enum:
    query_error_set(err, "source_data_type",
                    "The parameter source_data_type must be async_task or sync_task.");
    return -EINVAL;
}

int query_parse(struct query *q, const struct request *r, bool exact, struct query_error *err)
{
    memset(q, 0, sizeof(*q));
    q->page = 1;
    q->page_size = QUERY_PAGE_SIZE_DEFAULT;
    err->param = NULL;
    err->detail = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(params); i++) {
        size_t len = 0;
        const char *v = request_arg(r, params[i], &len);
        if (v == NULL)
            continue;
        if (!g_utf8_validate_len(v, len, NULL)) {
            query_error_set(err, params[i],
                            "The parameter %s must be valid UTF-8 text without NUL characters.",
                            params[i]);
            query_release(q);
            return -EINVAL;
        }
        if (query_check(q, params[i], v, exact, err) < 0) {
            query_release(q);
            return -EINVAL;
        }
    }
    return 0;
}

void query_release(struct query *q)
{
    for (guint i = 0; i < q->n_filters; i++)
        g_clear_pointer(&q->filters[i].values, g_ptr_array_unref);
    q->n_filters = 0;
}
