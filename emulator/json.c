/* json: the emulator's cJSON conventions (see json.h). */
#include "json.h"

#include <string.h>

const char *json_string(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* Printing into a reused per-thread buffer avoids cJSON's realloc-as-it-grows, which was
 * most of the cost of rendering a large data set. */
#define JSON_PRINT_BUFFER (256u << 10)

static void json_buffer_free(gpointer p)
{
    g_free(p);
}

char *json_print(const cJSON *item, size_t *len)
{
    static GPrivate buffer_key = G_PRIVATE_INIT(json_buffer_free);
    char *buf = g_private_get(&buffer_key);
    if (buf == NULL) {
        buf = g_malloc(JSON_PRINT_BUFFER);
        g_private_set(&buffer_key, buf);
    }
    if (cJSON_PrintPreallocated((cJSON *)item, buf, JSON_PRINT_BUFFER, false)) {
        size_t n = strlen(buf);
        if (len != NULL)
            *len = n;
        return g_memdup2(buf, n + 1);
    }
    char *text = cJSON_PrintUnformatted(item);
    if (text == NULL)
        g_error("json: out of memory while printing");
    /* cJSON allocates with malloc; copy so every emulator buffer is freed with g_free(). */
    size_t n = strlen(text);
    char *copy = g_memdup2(text, n + 1);
    cJSON_free(text);
    if (len != NULL)
        *len = n;
    return copy;
}

void json_set(cJSON *obj, const char *name, cJSON *value)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, name) != NULL)
        cJSON_ReplaceItemInObjectCaseSensitive(obj, name, value);
    else
        cJSON_AddItemToObject(obj, name, value);
}

/* True when obj's first n members are exactly keys[0..n) in order: the common case. */
static bool json_in_order(const cJSON *obj, const char *const *keys, size_t n)
{
    const cJSON *child = obj->child;
    for (size_t i = 0; i < n; i++, child = child->next)
        if (child == NULL || child->string == NULL || strcmp(child->string, keys[i]) != 0)
            return false;
    return true;
}

void json_reorder(cJSON *obj, const char *const *keys, size_t n)
{
    if (obj == NULL || obj->child == NULL || json_in_order(obj, keys, n))
        return;
    g_autoptr(GPtrArray) old = g_ptr_array_new();
    for (cJSON *c = obj->child; c != NULL; c = c->next)
        g_ptr_array_add(old, c);
    g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new(old->len);
    for (size_t k = 0; k < n; k++) {
        for (guint i = 0; i < old->len; i++) {
            cJSON *c = old->pdata[i];
            if (c != NULL && c->string != NULL && strcmp(c->string, keys[k]) == 0) {
                g_ptr_array_add(sorted, c);
                old->pdata[i] = NULL;
                break;
            }
        }
    }
    for (guint i = 0; i < old->len; i++)
        if (old->pdata[i] != NULL)
            g_ptr_array_add(sorted, old->pdata[i]);
    /* Relink: cJSON keeps a next-list whose head's prev points at the tail. */
    for (guint i = 0; i < sorted->len; i++) {
        cJSON *c = sorted->pdata[i];
        c->next = i + 1 < sorted->len ? sorted->pdata[i + 1] : NULL;
        c->prev = i > 0 ? sorted->pdata[i - 1] : sorted->pdata[sorted->len - 1];
    }
    obj->child = sorted->pdata[0];
}
