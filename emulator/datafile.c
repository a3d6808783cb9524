/* datafile: a --data file (see datafile.h). */
#include "datafile.h"

#include "json.h"

#include <string.h>

GPtrArray *datafile_load(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, error))
        return NULL;
    const char *end = NULL;
    /* The length given to cJSON includes the terminating NUL (its rule for "nothing after the
     * value"), so a NUL inside the file would end the text early: refuse one. */
    g_autoptr(cJSON) root = memchr(text, '\0', len) == NULL
                                ? cJSON_ParseWithLengthOpts(text, len + 1, &end, true)
                                : NULL;
    if (root == NULL) {
        const char *at = cJSON_GetErrorPtr();
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: not valid JSON (near byte %ld)",
                    path, at != NULL && at >= text ? (long)(at - text) : 0L);
        return NULL;
    }
    cJSON *tasks = root;
    if (cJSON_IsObject(root))
        tasks = cJSON_GetObjectItemCaseSensitive(root, "tasks");
    if (!cJSON_IsArray(tasks)) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: expected a JSON array of tasks or {\"tasks\":[...]}", path);
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)cJSON_Delete);
    int i = 0;
    for (cJSON *t = tasks->child; t != NULL; t = t->next, i++) {
        if (!cJSON_IsObject(t)) {
            g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s: task %d is not a JSON object",
                        path, i);
            g_ptr_array_unref(out);
            return NULL;
        }
        g_ptr_array_add(out, cJSON_Duplicate(t, true));
    }
    return out;
}
