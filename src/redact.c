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

/* Members named like secrets anywhere below @node. */
static void mask_named_secrets(cJSON *node, int depth)
{
    cJSON *c, *next;

    if (depth > 64 || !(cJSON_IsObject(node) || cJSON_IsArray(node)))
        return;
    for (c = node->child; c; c = next) {
        next = c->next;
        if (cJSON_IsObject(node) && c->string && secret_name(c->string))
            mask_item(node, c);
        else
            mask_named_secrets(c, depth + 1);
    }
}

void redact_task_secrets(cJSON *task)
{
    cJSON *input = cJSON_GetObjectItemCaseSensitive(task, "input");
    cJSON *output = cJSON_GetObjectItemCaseSensitive(task, "output");
    cJSON *d;

    if (cJSON_IsObject(input)) {
        cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(input, "data"))
            mask_header_values(cJSON_GetObjectItemCaseSensitive(d, "headers"));
    }
    if (cJSON_IsObject(output)) {
        cJSON *webhook = cJSON_GetObjectItemCaseSensitive(output, "webhook");
        if (cJSON_IsObject(webhook))
            mask_header_values(cJSON_GetObjectItemCaseSensitive(webhook, "headers"));
    }
    mask_named_secrets(task, 0);
}
