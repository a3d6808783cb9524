/*
 * view: the ways the tree groups tasks besides tasks/ (by-state, by-camera, by-algorithm,
 * by-name), one row each: its directory, the task field it groups by, how the list call
 * filters by it, which values always have a directory, and how deep its links are. A new
 * view is one row of view_table (and the tree numbers its inodes from its kind). Immutable:
 * safe from any thread.
 */
#ifndef VIASFS_VIEW_H
#define VIASFS_VIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "viasfs/api.h"
#include "viasfs/task.h"

enum view_kind { VIEW_STATE, VIEW_CAMERA, VIEW_ALGORITHM, VIEW_NAME, VIEW_COUNT };

/* view.filter of a view the list call cannot filter by (it is taken from every task). */
#define VIEW_NO_FILTER ((size_t)-1)

struct view {
    enum view_kind kind;
    const char *dir;           /* the top directory, "by-state" */
    size_t field;              /* offsetof(struct task, the string it groups by) */
    size_t filter;             /* offsetof(struct api_filter, its filter), or VIEW_NO_FILTER */
    bool per_value;            /* a directory per value holding links to tasks (by-state/S/id);
                                  false: one link per task, named after its value (by-name) */
    const char *const *values; /* values whose directory exists before any task has them;
                                  NULL: only the values tasks have */
    int link_depth;            /* directories between a link and the mount's root */
};

/* Every view, by kind. */
extern const struct view view_table[VIEW_COUNT];

/* The value @t has in view @v (borrowed from @t; NULL when it has none). */
const char *view_value(const struct view *v, const struct task *t);
/* Whether @t belongs in view @v's directory @value exactly (a server may match loosely); with
 * @v NULL (the list of every task), always. */
bool view_matches(const struct view *v, const char *value, const struct task *t);
/* Sets @f to list the tasks of @v's directory @value; false (and @f untouched) when the list
 * call has no such filter. */
bool view_filter(const struct view *v, const char *value, struct api_filter *f);

#endif
