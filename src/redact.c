/*
 * redact: secret removal from task objects (see redact.h). It knows the documented places
 * where VIAS tasks carry secrets; it does not decide whether to redact (the caller does).
 */
#include "redact.h"

#include <stdbool.h>
#include <string.h>
#include <glib.h>

static const char MASK[] = "***";

/* Replaces a member's value (of any type but null) with MASK, keeping its key and position. */
static void mask_item(cJSON *parent, cJSON *item)
{
    cJSON *masked;

    if (cJSON_IsNull(item))
        return;
    masked = cJSON_CreateString(MASK);
    if (!masked)
        return;
    if (item->string) {
        masked->string = cJSON_malloc(strlen(item->string) + 1);
        if (!masked->string) {
            cJSON_Delete(masked);
            return;
        }
        strcpy(masked->string, item->string);
    }
    cJSON_ReplaceItemViaPointer(parent, item, masked);
}

/* Every value of a {"Header": "value"} object. */
static void mask_header_values(cJSON *headers)
{
    cJSON *h, *next;

    if (!cJSON_IsObject(headers))
        return;
    for (h = headers->child; h; h = next) {
        next = h->next;
        mask_item(headers, h);
    }
}

/* Member names that announce a secret, compared in lower case as substrings. */
static bool secret_name(const char *key)
{
    static const char *const marks[] = {"password", "passwd",     "secret",
                                        "token",    "credential", "authorization",
                                        "api_key",  "apikey",     "private_key"};
    g_autofree char *k = g_ascii_strdown(key, -1);

    for (size_t i = 0; i < G_N_ELEMENTS(marks); i++)
        if (strstr(k, marks[i]))
            return true;
    return false;
}

/* Members named like secrets anywhere below @node. cJSON parses no deeper than
 * CJSON_NESTING_LIMIT, so the bound only guards the stack and never leaves a secret. */
static void mask_named_secrets(cJSON *node, int depth)
{
    cJSON *c, *next;

    if (depth > CJSON_NESTING_LIMIT || !(cJSON_IsObject(node) || cJSON_IsArray(node)))
        return;
    for (c = node->child; c; c = next) {
        next = c->next;
        if (cJSON_IsObject(node) && c->string && secret_name(c->string))
            mask_item(node, c);
        else
            mask_named_secrets(c, depth + 1);
    }
}

/*
 * The next member of @obj after @prev (NULL: the first) named @key. A key may be given twice:
 * every one is visited, as readers differ on which one counts (cJSON the first, Python the last).
 */
static cJSON *next_named(const cJSON *obj, cJSON *prev, const char *key)
{
    cJSON *c = prev ? prev->next : (cJSON_IsObject(obj) ? obj->child : NULL);

    while (c && !(c->string && strcmp(c->string, key) == 0))
        c = c->next;
    return c;
}

/* The header values of every "headers" member of @obj. */
static void mask_headers_of(cJSON *obj)
{
    cJSON *headers = NULL;

    while ((headers = next_named(obj, headers, "headers")))
        mask_header_values(headers);
}

void redact_task_secrets(cJSON *task)
{
    cJSON *input = NULL, *output = NULL, *data, *d, *webhook;

    while ((input = next_named(task, input, "input")))
        for (data = NULL; (data = next_named(input, data, "data"));)
            for (d = data->child; d; d = d->next)
                mask_headers_of(d);
    while ((output = next_named(task, output, "output")))
        for (webhook = NULL; (webhook = next_named(output, webhook, "webhook"));)
            mask_headers_of(webhook);
    mask_named_secrets(task, 0);
}
