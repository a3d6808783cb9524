/* task: one VIAS task as the emulator stores it.
 *
 * A task is immutable once made: its JSON text is rendered once, in the documented key
 * order (the whole object for the detail call, and the 9-field summary for list items), and
 * the strings the list filters compare are kept beside it. A change makes a new task from
 * the old one's record (task_to_record), so readers never see a half-changed task.
 *
 * The "record" is the cJSON form used to build tasks: the task object plus an optional
 * "_hidden" object with the attributes the list call filters on but never returns
 * (source_data_type, batch_id, video_group_id). Data files and the control interface use
 * the same form.
 *
 * This is not the data set (store.c) and does not make up values (generator.c). */
#pragma once

#include "json.h"

#include <glib.h>
#include <stdbool.h>

/* The strings a list filter can compare, one per filtering query parameter. */
enum task_key {
    TASK_KEY_STATE,            /* state; query task_state */
    TASK_KEY_CAMERA,           /* video_source_name; query camera_name */
    TASK_KEY_TITLE,            /* title; query title */
    TASK_KEY_NAME,             /* name; query task_name */
    TASK_KEY_COMPANY,          /* company; query company */
    TASK_KEY_ALG_ID,           /* algorithm_publish_id; query alg_id */
    TASK_KEY_SOURCE_DATA_TYPE, /* hidden; query source_data_type */
    TASK_KEY_BATCH_ID,         /* hidden; query batch_id */
    TASK_KEY_VIDEO_GROUP_ID,   /* hidden; query video_group_id */
    TASK_KEY_COUNT
};

/* The names of the hidden attributes inside a record's "_hidden" object. */
#define TASK_HIDDEN "_hidden"

/* The 17 documented states, in documentation order. */
#define TASK_STATE_COUNT 17
extern const char *const task_states[TASK_STATE_COUNT];

/* The keys of the whole task object, in the order the detail call emits them. */
#define TASK_FIELD_COUNT 28
extern const char *const task_fields[TASK_FIELD_COUNT];

/* The keys of a list item in summary mode, in order. */
#define TASK_SUMMARY_FIELD_COUNT 9
extern const char *const task_summary_fields[TASK_SUMMARY_FIELD_COUNT];

struct task {
    char *id;                   /* owned; never NULL */
    gint64 created_ms;          /* created_at as epoch milliseconds: the sort key */
    char *keys[TASK_KEY_COUNT]; /* owned; NULL when absent or not a string */
    char *full;                 /* owned: the whole object, compact JSON */
    size_t full_len;
    char *summary; /* owned: the 9-field list item, compact JSON */
    size_t summary_len;
    guint pos; /* index in the store's order; written under the store's write lock */
};

/* Makes a task from `record`, whose members it puts in the documented order ("_hidden" last);
 * their content is not changed. Documented keys are emitted in the documented order, other
 * keys after them in their own order, "_hidden" never. Needs a non-empty string "id" and a
 * "created_at" given as epoch digits (seconds or milliseconds, string or number) or ISO-8601.
 * Returns NULL with *error set when the record is unusable. Caller frees. */
struct task *task_new(cJSON *record, GError **error);
void task_free(struct task *t);

/* The record a task was made from (the object with "_hidden"). Caller frees. */
cJSON *task_to_record(const struct task *t);

/* The hidden attributes as an object {"source_data_type":..,"batch_id":..,"video_group_id":..}.
 * Caller frees. */
cJSON *task_hidden_to_json(const struct task *t);

/* Merges `patch` into `record`: each top-level member of the patch replaces the record's;
 * members of a "_hidden" object in the patch replace the record's hidden ones. */
void task_record_merge(cJSON *record, const cJSON *patch);

/* Sets status and error to fit `state`: for failure states the given status (or a stock one)
 * and a stock error object; for others `status` or null, and a null error. */
void task_record_set_status(cJSON *record, const char *state, const char *status);

/* Sets state, updated_at = now_ms, and status and error as task_record_set_status() does. */
void task_record_set_state(cJSON *record, const char *state, const char *status, gint64 now_ms);

/* True for the states that carry a status text and an error object. */
bool task_state_is_failure(const char *state);

/* True when `state` is one of the 17 documented states. */
bool task_state_is_known(const char *state);

/* Parses a created_at/updated_at value into epoch milliseconds. 0 or -EINVAL. */
int task_time_parse(const cJSON *value, gint64 *ms);

/* The wall clock in epoch milliseconds: the time of a change. */
gint64 task_time_now(void);

/* "1700000000000": the emulator's format for times. Caller frees. */
char *task_time_format(gint64 ms);
