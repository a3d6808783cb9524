/*
 * api: the VIAS task API as C calls: one list page, a whole list walk, one task's detail.
 * The only user of cJSON (through task.c and task_page.c). It builds URLs, adds credentials,
 * turns answers into struct task and failures into struct api_error, logs each failure once
 * and reports it to the owner's callback. It keeps no cache and no state between calls.
 */
#ifndef VIASFS_API_H
#define VIASFS_API_H

#include "viasfs/api_error.h"
#include "viasfs/auth.h"
#include "viasfs/http.h"
#include "viasfs/task.h"
#include "viasfs/task_page.h"

struct api;

struct api_config {
    const char *endpoint; /* "https://vias.cn-north-4.myhuaweicloud.com" (no path) */
    const char *project_id;
    struct http *http; /* borrowed; must outlive the api */
    struct auth *auth; /* borrowed; must outlive the api */
    int max_pages;     /* a walk fails past this many pages; 0 = 100000 */
    bool show_secrets; /* do not redact task secrets */
    /* Called once per failed call, from the calling thread, with no api lock held. */
    void (*on_error)(const struct api_error *e, void *data);
    void *on_error_data;
};

/* The list call's filters; NULL members are not sent. Strings are borrowed. */
struct api_filter {
    const char *source_data_type;
    const char *title;
    const char *camera_name;
    const char *task_state;
    const char *task_name;
    const char *sort_dir;
    const char *batch_id;
    const char *video_group_id;
    const char *company;
    const char *alg_id;
};

/* The 17 documented task states, NULL-terminated. The set is open: others may appear. */
extern const char *const api_documented_states[];

/*
 * Whether the service would accept @f as documented (task_state one of the documented states;
 * title 2..64 characters of A-Z a-z 0-9, CJK U+4E00..U+9FA5, '-', '_', ','; camera_name at
 * most 255 and task_name at most 1024 characters; none empty). A view whose filter it would
 * reject is listed unfiltered and filtered by the caller instead.
 */
bool api_filter_acceptable(const struct api_filter *f);

/* Returns NULL with *@why (caller frees) when the endpoint or project id is unusable. */
struct api *api_new(const struct api_config *cfg, char **why);
void api_free(struct api *api);
const char *api_endpoint(const struct api *api);
const char *api_project_id(const struct api *api);

/*
 * GET /v2/{project}/tasks/{id}. Returns 0 and a new reference in *@out, or -errno (through
 * api_error_errno; -ENOENT for a task the API does not know) with @err filled in.
 * @err must be initialised; it is overwritten.
 */
int api_get_task(struct api *api, const char *id, gint64 deadline, struct task **out,
                 struct api_error *err);

/* GET /v2/{project}/tasks?...&page=@page&page_size=@page_size. As api_get_task. */
int api_list_page(struct api *api, const struct api_filter *filter, int page, int page_size,
                  gint64 deadline, struct task_page **out, struct api_error *err);

/* Where a batch of a walk comes from. */
struct api_page_info {
    int page;       /* 1-based page number */
    gint64 sent_us; /* monotonic time its request was sent: the answer is at least this new */
};

/*
 * Receives tasks of a page that were not seen earlier in the walk (struct task *, borrowed:
 * take a reference to keep one), in order, a batch at a time: a page comes in several calls.
 * Returns 0 to go on or -errno to stop the walk, which then returns that value.
 */
typedef int (*api_page_fn)(GPtrArray *tasks, const struct api_page_info *info, void *data);

/* What a walk learnt about the list as a whole. */
struct api_walk {
    gint64 total; /* the server's count when its answers show it is a total (a count larger
                     than the page it came with), else -1 */
    guint items;  /* distinct tasks received, malformed ones included */
    bool shifted; /* the total changed between pages: the list changed under the walk */
};

/*
 * Walks the list with @filter: page 1, 2, ... until a page shorter than the page size (never
 * trusting "count" as a total to stop), handing each page's new tasks to @fn as the page is
 * read. Once a full page says there is a next one, that one is requested at once, while this
 * one is read (so each page costs one round trip, not a round trip plus its reading). Tasks
 * seen on an earlier page of the walk (shifted by additions) are left out.
 * Each page request has @page_timeout_us to complete, so a long walk is not bound by one
 * deadline while a stalled page still fails in time.
 * Returns 0, @fn's error, or -errno with @err filled in; -EIO past max_pages. @out (may be
 * NULL) receives what the walk learnt, also when it failed.
 */
int api_list_tasks(struct api *api, const struct api_filter *filter, int page_size,
                   gint64 page_timeout_us, api_page_fn fn, void *data, struct api_walk *out,
                   struct api_error *err);

/* ---- Control calls (PRODUCT.md section 8) ----
 * Each makes exactly one request that may change the service, never repeated once it may have
 * reached it (a call that timed out may have been carried out): when no answer came (a
 * timeout, a dropped connection), the task is read again and the call counts as done when the
 * task shows it (*@late is then set), else it fails with the transport's errno and a message
 * saying that it was not retried. A refusal maps through api_error_errno (400 -> EINVAL,
 * 401/403 -> EACCES, no such task -> ENOENT, 429 -> EAGAIN, 5xx -> EIO). Failures are logged
 * and reported to on_error like every call's. */

enum api_verb { API_VERB_START, API_VERB_STOP, API_VERB_DELETE };

/* The verb's name ("start", "stop", "delete"). */
const char *api_verb_name(enum api_verb v);

/* PUT /v2/{project}/tasks/{id}/action/start|stop, or DELETE /v2/{project}/tasks/{id}. */
int api_task_action(struct api *api, const char *id, enum api_verb verb, gint64 deadline,
                    bool *late, struct api_error *err);

/* The parts of a task an update replaces, named after its members. */
enum api_part { API_PART_NAME, API_PART_INPUT, API_PART_OUTPUT, API_PART_SCHEDULE, API_PART_CONFIG };

/*
 * PUT /v2/{project}/tasks/{id} with a body built from the task's detail, read first (one GET,
 * secrets as stored), with @part replaced by @text (see task_edit_update_body: one line for
 * the name, a JSON object otherwise; a "***" stands for the stored value at its place).
 * -EINVAL and nothing sent when @text is not valid for @part or a masked value would be
 * sent (@err says why, and is reported like a failed call); otherwise as above.
 */
int api_update_task(struct api *api, const char *id, enum api_part part, const char *text,
                    size_t len, gint64 deadline, bool *late, struct api_error *err);

/*
 * Whether @text is a create request (one JSON object: the create body plus "service_name"):
 * 0 when it is whole and valid, -EAGAIN when it is so far the beginning of an object, -EINVAL
 * with *@why (caller frees) when it is not valid. Sends nothing.
 */
int api_create_check(const char *text, size_t len, char **why);

/*
 * POST /v2/{project}/services/{service_name}/tasks with the body and the service name taken
 * from @text (see api_create_check). 0 with the new tasks' ids in *@id, one a line (one task
 * per input.data entry; caller frees); -EINVAL
 * and nothing sent when @text is not valid (@err says why and is reported); otherwise as
 * above, except that a create that got no answer cannot be checked (the new id is unknown):
 * it fails, and the message says the task may exist.
 */
int api_create_task(struct api *api, const char *text, size_t len, gint64 deadline, char **id,
                    struct api_error *err);

#endif
