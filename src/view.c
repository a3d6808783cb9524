/* view: the table of views (see view.h). */
#include "viasfs/view.h"

#include <glib.h>

const struct view view_table[VIEW_COUNT] = {
    [VIEW_STATE] = {.kind = VIEW_STATE,
                    .dir = "by-state",
                    .field = G_STRUCT_OFFSET(struct task, state),
                    .filter = G_STRUCT_OFFSET(struct api_filter, task_state),
                    .per_value = true,
                    .values = api_documented_states,
                    .link_depth = 2},
    [VIEW_CAMERA] = {.kind = VIEW_CAMERA,
                     .dir = "by-camera",
                     .field = G_STRUCT_OFFSET(struct task, video_source_name),
                     .filter = G_STRUCT_OFFSET(struct api_filter, camera_name),
                     .per_value = true,
                     .link_depth = 2},
    [VIEW_ALGORITHM] = {.kind = VIEW_ALGORITHM,
                        .dir = "by-algorithm",
                        .field = G_STRUCT_OFFSET(struct task, title),
                        .filter = G_STRUCT_OFFSET(struct api_filter, title),
                        .per_value = true,
                        .link_depth = 2},
    [VIEW_NAME] = {.kind = VIEW_NAME,
                   .dir = "by-name",
                   .field = G_STRUCT_OFFSET(struct task, name),
                   .filter = VIEW_NO_FILTER,
                   .per_value = false,
                   .link_depth = 1},
};

const char *view_value(const struct view *v, const struct task *t)
{
    return G_STRUCT_MEMBER(const char *, t, v->field);
}

bool view_matches(const struct view *v, const char *value, const struct task *t)
{
    return !v || g_strcmp0(view_value(v, t), value) == 0;
}

bool view_filter(const struct view *v, const char *value, struct api_filter *f)
{
    if (!v || v->filter == VIEW_NO_FILTER)
        return false;
    G_STRUCT_MEMBER(const char *, f, v->filter) = value;
    return true;
}
