/*
 * task_page: parser of list answers (see task_page.h). It checks the envelope strictly and
 * each item through task_from_cjson; it does not walk pages or de-duplicate (the api does).
 */
#include "viasfs/task_page.h"
#include "task_cjson.h"

#include <errno.h>

void task_page_free(struct task_page *p)
{
    if (!p)
        return;
    g_ptr_array_unref(p->tasks);
    g_free(p->first_reject);
    cJSON_Delete(p->json);
    g_free(p);
}

/* An optional integer member; false when present with another type or out of range. */
static bool opt_int(const cJSON *obj, const char *key, gint64 *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = -1;
    if (!v || cJSON_IsNull(v))
        return true;
    /* NaN fails too. No floor(): at -O0 it needs libm, which the build does not link. */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= 1e12) ||
        (double)(gint64)v->valuedouble != v->valuedouble)
        return false;
    *out = (gint64)v->valuedouble;
    return true;
}

int task_page_open(const char *text, size_t len, struct task_page **out, char **why)
{
    g_autoptr(TaskPage) p = g_new0(struct task_page, 1);
    g_autofree char *parse_why = NULL;
    cJSON *root = task_cjson_parse(text, len, &parse_why);
    cJSON *tasks;

    p->tasks = g_ptr_array_new_with_free_func((GDestroyNotify)task_unref);
    if (!root) {
        *why = g_strdup_printf("list %s", parse_why);
        return -EBADMSG;
    }
    p->json = root;
    if (!cJSON_IsObject(root)) {
        *why = g_strdup("list answer is not a JSON object");
        return -EBADMSG;
    }
    tasks = cJSON_GetObjectItemCaseSensitive(root, "tasks");
    if (!cJSON_IsArray(tasks)) {
        *why = g_strdup("list answer has no \"tasks\" array");
        return -EBADMSG;
    }
    if (!opt_int(root, "count", &p->count) || !opt_int(root, "page", &p->page) ||
        !opt_int(root, "page_size", &p->page_size)) {
        *why = g_strdup("list answer has a non-integer count, page or page_size");
        return -EBADMSG;
    }
    p->items = (guint)cJSON_GetArraySize(tasks);
    p->next_item = tasks->child;
    *out = g_steal_pointer(&p);
    return 0;
}

guint task_page_read(struct task_page *p, guint max, const struct task_parse_opts *opts)
{
    guint n = 0;

    for (cJSON *item = p->next_item; item && n < max; item = p->next_item, n++) {
        struct task *t = NULL;
        g_autofree char *item_why = NULL;

        p->next_item = item->next;
        if (task_from_cjson(item, opts, &t, &item_why) < 0) {
            p->rejected++;
            if (!p->first_reject)
                p->first_reject = g_steal_pointer(&item_why);
            continue;
        }
        g_ptr_array_add(p->tasks, t);
    }
    if (!p->next_item)
        g_clear_pointer(&p->json, cJSON_Delete); /* every item read: the text can go */
    return n;
}

int task_page_parse(const char *text, size_t len, const struct task_parse_opts *opts,
                    struct task_page **out, char **why)
{
    int rc = task_page_open(text, len, out, why);

    if (rc == 0)
        while (task_page_read(*out, G_MAXUINT, opts) > 0)
            ;
    return rc;
}
