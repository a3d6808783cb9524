/* store: the emulator's data set, the tasks it serves.
 *
 * Tasks are kept in one array ordered by (created_at, id), which the list call pages through
 * in either direction, a hash by id for the detail call, and one index per filter key. A
 * filtered list marks the matching positions in a bitmap per filter (from the indexes, never
 * by scanning tasks), ANDs them and walks the result, so a page costs about the number of
 * matching tasks plus N/64 word operations, not a sort.
 *
 * Locking: one GRWLock. Readers (list, detail) copy pre-rendered text out under the read
 * lock; every change happens under the write lock and swaps whole tasks (task.h), so no
 * reader sees a half-made task. No function returns a pointer into the store.
 *
 * It does not parse HTTP (api.c) or make up tasks (generator.c). */
#pragma once

#include "query.h"
#include "task.h"

#include <glib.h>
#include <stdbool.h>

struct store;

struct store *store_new(void);
void store_free(struct store *s);

/* Adds the tasks in `tasks` (struct task *), taking them all: the array is left empty (its
 * free function, if any, is not called on them). When an id is already stored or repeated in
 * the batch, nothing is added (those tasks are freed) and -EEXIST is returned with the id in
 * *error. */
int store_add(struct store *s, GPtrArray *tasks, GError **error);

/* Removes task id. 0 or -ENOENT. */
int store_remove(struct store *s, const char *id);

/* Removes task id only while its state is `state`. 0, -ENOENT, or -ESTALE when its state is
 * another (the task stays). */
int store_remove_in_state(struct store *s, const char *id, const char *state);

/* Edits task id atomically: under the write lock, edit() changes the task's record (task.h)
 * and the task is made anew from it. edit returns 0 or -errno (then nothing changes and that
 * is returned). The id cannot change (-EINVAL). On success *json, when given, gets the new
 * whole object (caller frees). -ENOENT when unknown; -EINVAL with *error when the edited
 * record is unusable. */
typedef int (*store_edit_fn)(cJSON *record, void *data);
int store_update(struct store *s, const char *id, store_edit_fn edit, void *data, char **json,
                 GError **error);

/* The whole object of task id, compact JSON (caller frees), with its length in *len; NULL
 * when unknown. */
char *store_detail(struct store *s, const char *id, size_t *len);

/* The record (object plus "_hidden") of task id, or NULL. Caller frees. */
cJSON *store_record(struct store *s, const char *id);

/* Appends the list body for q to out: {"count":..,"tasks":[..],"page":..,"page_size":..}.
 * full: whole objects, else 9-field summaries. total: count is the number of matching tasks,
 * else the number on this page. */
void store_list(struct store *s, const struct query *q, bool full, bool total, GString *out);

/* The number of tasks. */
guint store_count(struct store *s);

/* The id of a task drawn with rng (NULL when empty). Caller frees. */
char *store_random_id(struct store *s, GRand *rng);

/* [{"id":..,"source_data_type":..,"batch_id":..,"video_group_id":..}, ...] in ascending order:
 * the hidden attributes, for tests. Caller frees. */
cJSON *store_hidden(struct store *s);
