/* task_edit: update and create bodies from written text (see task_edit.h). */
#include "task_edit.h"
#include "task_cjson.h"

#include <errno.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <glib.h>

static const char MASK[] = "***";

/* The detail members an update body takes, in the order it is built. */
static const char *const update_members[] = {"name",   "description", "schedule",         "input",
                                             "output", "config",      "resource_order_id"};

static const char *part_member(enum api_part part)
{
    switch (part) {
    case API_PART_NAME:
        return "name";
    case API_PART_INPUT:
        return "input";
    case API_PART_OUTPUT:
        return "output";
    case API_PART_SCHEDULE:
        return "schedule";
    case API_PART_CONFIG:
        return "config";
    }
    return "name";
}

static bool is_mask(const cJSON *v)
{
    return cJSON_IsString(v) && strcmp(v->valuestring, MASK) == 0;
}

/* Appends the place of child @c (of @parent) to @path: ".key" or "[i]". */
static void path_push(GString *path, const cJSON *parent, const cJSON *c, int i)
{
    if (cJSON_IsObject(parent))
        g_string_append_printf(path, ".%s", c->string ? c->string : "");
    else
        g_string_append_printf(path, "[%d]", i);
}

/*
 * Replaces every "***" below @w (written) by the value at the same place below @d (stored; may
 * be NULL). -EINVAL with *@why when a mask has nothing real to stand for.
 */
static int unmask(cJSON *w, const cJSON *d, GString *path, int depth, char **why)
{
    cJSON *c, *next;
    int i = 0;

    if (depth > CJSON_NESTING_LIMIT || !(cJSON_IsObject(w) || cJSON_IsArray(w)))
        return 0;
    for (c = w->child; c; c = next, i++) {
        const cJSON *dc = NULL;
        gsize mark = path->len;
        int rc = 0;

        next = c->next;
        if (cJSON_IsObject(w) && cJSON_IsObject(d) && c->string)
            dc = cJSON_GetObjectItemCaseSensitive(d, c->string);
        else if (cJSON_IsArray(w) && cJSON_IsArray(d))
            dc = cJSON_GetArrayItem(d, i);
        path_push(path, w, c, i);
        if (is_mask(c)) {
            cJSON *real;
            if (!dc || is_mask(dc) || cJSON_IsNull(dc)) {
                *why = g_strdup_printf("\"***\" at %s stands for no stored value there: write "
                                       "the value itself",
                                       path->str);
                return -EINVAL;
            }
            real = cJSON_Duplicate(dc, true);
            if (!real) {
                *why = g_strdup("out of memory");
                return -ENOMEM;
            }
            if (c->string) {
                cJSON_free(real->string); /* the duplicate's own key, if it had one */
                real->string = cJSON_malloc(strlen(c->string) + 1);
                if (!real->string) {
                    cJSON_Delete(real);
                    *why = g_strdup("out of memory");
                    return -ENOMEM;
                }
                strcpy(real->string, c->string);
            }
            cJSON_ReplaceItemViaPointer(w, c, real);
        } else {
            rc = unmask(c, dc, path, depth + 1, why);
        }
        g_string_truncate(path, mark);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The place of the first "***" below @v, or NULL. Caller frees. */
static char *find_mask(const cJSON *v, GString *path, int depth)
{
    const cJSON *c;
    int i = 0;

    if (is_mask(v))
        return g_strdup(path->str);
    if (depth > CJSON_NESTING_LIMIT || !(cJSON_IsObject(v) || cJSON_IsArray(v)))
        return NULL;
    for (c = v->child; c; c = c->next, i++) {
        gsize mark = path->len;
        char *found;

        path_push(path, v, c, i);
        found = find_mask(c, path, depth + 1);
        g_string_truncate(path, mark);
        if (found)
            return found;
    }
    return NULL;
}

/* The written name: one line, its final newline dropped, not empty. NULL with *@why. */
static char *written_name(const char *text, size_t len, char **why)
{
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (len > 0 && text[len - 1] == '\r')
        len--;
    if (len == 0) {
        *why = g_strdup("the name is empty");
        return NULL;
    }
    if (memchr(text, '\n', len) || memchr(text, '\r', len) || memchr(text, '\0', len)) {
        *why = g_strdup("a name is one line");
        return NULL;
    }
    if (!g_utf8_validate(text, (gssize)len, NULL)) {
        *why = g_strdup("the name is not UTF-8 text");
        return NULL;
    }
    return g_strndup(text, len);
}

/* Parses written JSON that must be an object. NULL with *@why. */
static cJSON *written_object(const char *text, size_t len, char **why)
{
    g_autofree char *parse_why = NULL;
    cJSON *v = task_cjson_parse(text, len, &parse_why);

    size_t blank = 0;
    while (!v && blank < len && g_ascii_isspace(text[blank]))
        blank++;
    if (!v && blank == len) {
        *why = g_strdup("empty: nothing to send");
        return NULL;
    }
    if (!v) {
        const char *end = NULL;
        cJSON *again = cJSON_ParseWithLengthOpts(text, len, &end, false);
        cJSON_Delete(again);
        if (again) /* parsed the second time: it was too big the first */
            *why = g_strdup_printf("too many JSON values (more than %d)", TASK_MAX_JSON_VALUES);
        else
            *why = end ? g_strdup_printf("not JSON (at byte %td of %zu)", end - text, len)
                       : g_strdup("not JSON");
        return NULL;
    }
    if (!cJSON_IsObject(v)) {
        cJSON_Delete(v);
        *why = g_strdup("not a JSON object");
        return NULL;
    }
    return v;
}

int task_edit_check(enum api_part part, const char *text, size_t len, char **why)
{
    if (part == API_PART_NAME) {
        g_autofree char *name = written_name(text, len, why);
        return name ? 0 : -EINVAL;
    }
    cJSON *w = written_object(text, len, why);
    cJSON_Delete(w);
    return w ? 0 : -EINVAL;
}

int task_edit_update_body(const char *detail, size_t detail_len, enum api_part part,
                          const char *text, size_t len, char **body, char **why)
{
    g_autofree char *parse_why = NULL;
    const char *member = part_member(part);
    cJSON *d = task_cjson_parse(detail, detail_len, &parse_why);
    cJSON *w = NULL, *out = NULL;
    g_autoptr(GString) path = g_string_new(member);
    char *masked = NULL;
    int rc = -EINVAL;

    *body = NULL;
    if (!cJSON_IsObject(d)) {
        *why = g_strdup_printf("the task's detail is not an object: %s",
                               parse_why ? parse_why : "another JSON value");
        rc = -EBADMSG;
        goto out;
    }
    if (part == API_PART_NAME) {
        g_autofree char *name = written_name(text, len, why);
        if (!name)
            goto out;
        w = cJSON_CreateString(name);
    } else {
        w = written_object(text, len, why);
        if (!w)
            goto out;
        rc = unmask(w, cJSON_GetObjectItemCaseSensitive(d, member), path, 0, why);
        if (rc < 0)
            goto out;
        rc = -EINVAL;
    }
    out = cJSON_CreateObject();
    if (!w || !out) {
        *why = g_strdup("out of memory");
        rc = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(update_members); i++) {
        const char *m = update_members[i];
        cJSON *v;

        if (strcmp(m, member) == 0) {
            cJSON_AddItemToObject(out, m, g_steal_pointer(&w));
            continue;
        }
        v = cJSON_GetObjectItemCaseSensitive(d, m);
        if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]))
            continue; /* not set: not sent */
        cJSON_AddItemToObject(out, m, cJSON_Duplicate(v, true));
    }
    g_string_assign(path, "");
    masked = find_mask(out, path, 0);
    if (masked) {
        *why = g_strdup_printf("the value at %s is \"***\" as the API gave it, and would be "
                               "sent back masked",
                               masked[0] == '.' ? masked + 1 : masked);
        g_free(masked);
        goto out;
    }
    *body = cJSON_PrintUnformatted(out);
    rc = *body ? 0 : -ENOMEM;
    if (rc < 0)
        *why = g_strdup("out of memory");
out:
    cJSON_Delete(w);
    cJSON_Delete(out);
    cJSON_Delete(d);
    return rc;
}

bool task_edit_applied(const char *detail, size_t detail_len, enum api_part part,
                       const char *body)
{
    g_autofree char *why1 = NULL, *why2 = NULL;
    const char *member = part_member(part);
    cJSON *d = task_cjson_parse(detail, detail_len, &why1);
    cJSON *b = task_cjson_parse(body, strlen(body), &why2);
    bool same = cJSON_IsObject(d) && cJSON_IsObject(b) &&
                cJSON_Compare(cJSON_GetObjectItemCaseSensitive(d, member),
                              cJSON_GetObjectItemCaseSensitive(b, member), true);

    cJSON_Delete(d);
    cJSON_Delete(b);
    return same;
}

/*
 * Where the first JSON object of @text ends (just past its closing brace): 0 when @text holds
 * only blanks or the beginning of an object, -1 when it does not start like an object.
 */
static gssize object_end(const char *text, size_t len)
{
    size_t i = 0;
    int depth = 0;
    bool in_string = false, escaped = false;

    while (i < len && g_ascii_isspace(text[i]))
        i++;
    if (i == len)
        return 0;
    if (text[i] != '{')
        return -1;
    for (; i < len; i++) {
        char ch = text[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (ch == '\\')
                escaped = true;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0)
                return (gssize)(i + 1);
        }
    }
    return 0;
}

int task_edit_create_body(const char *text, size_t len, char **service_name, char **body,
                          char **why)
{
    gssize end = object_end(text, len);
    g_autoptr(GString) path = g_string_new("");
    cJSON *w, *svc;
    char *masked;
    int rc = -EINVAL;

    *service_name = *body = NULL;
    if (end == 0)
        return -EAGAIN;
    if (end < 0) {
        *why = g_strdup("not a JSON object");
        return -EINVAL;
    }
    for (size_t i = (size_t)end; i < len; i++)
        if (!g_ascii_isspace(text[i])) {
            *why = g_strdup("more than one JSON value: write one object");
            return -EINVAL;
        }
    w = written_object(text, (size_t)end, why);
    if (!w)
        return -EINVAL;
    svc = cJSON_DetachItemFromObjectCaseSensitive(w, "service_name");
    if (!cJSON_IsString(svc) || !svc->valuestring[0]) {
        *why = g_strdup("\"service_name\" (the algorithm's service name, a string) is missing");
        goto out;
    }
    masked = find_mask(w, path, 0);
    if (masked) {
        *why = g_strdup_printf("the value at %s is \"***\": a new task has no stored value for "
                               "it to stand for",
                               masked[0] == '.' ? masked + 1 : masked);
        g_free(masked);
        goto out;
    }
    *body = cJSON_PrintUnformatted(w);
    *service_name = g_strdup(svc->valuestring);
    rc = 0;
out:
    cJSON_Delete(svc);
    cJSON_Delete(w);
    return rc;
}
