/* json: the emulator's cJSON conventions.
 *
 * g_autoptr(cJSON) support, and a few readers that take a member of a given type or fail.
 * This is not a JSON library: parsing and printing are cJSON's; everything here is a thin
 * wrapper so callers need no cJSON boilerplate on every error path. */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdbool.h>

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

/* The string value of member `name` of `obj`, or NULL when absent or not a string. Borrowed. */
const char *json_string(const cJSON *obj, const char *name);

/* Prints `item` compactly. Caller frees with g_free(); *len (if given) gets the length. */
char *json_print(const cJSON *item, size_t *len);

/* Replaces (or adds) member `name` of `obj` with `value`, taking ownership of `value`. */
void json_set(cJSON *obj, const char *name, cJSON *value);

/* Puts the members of `obj` named in keys[0..n) first, in that order; the others follow in
 * their own order. Only the order changes. */
void json_reorder(cJSON *obj, const char *const *keys, size_t n);
