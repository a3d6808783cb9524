/* datafile: a --data file, the task records a user supplies instead of generated ones.
 *
 * The file is a JSON array of task objects, or an object {"tasks":[...]}. Each element must
 * be an object; members it lacks are generated later (generator_fill), and a "_hidden" object
 * may give the hidden attributes (source_data_type, batch_id, video_group_id). This only reads
 * and checks the shape; making tasks is task.c's job. */
#pragma once

#include <glib.h>

/* The records of the file at path (cJSON *, the array frees them). NULL with *error set (a
 * message naming the file and the problem) when it cannot be read or has the wrong shape. */
GPtrArray *datafile_load(const char *path, GError **error);
