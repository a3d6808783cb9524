/*
 * task_page: one answer of the list call, parsed. The envelope ({count, tasks, page,
 * page_size}) must be well formed or the whole page is rejected; a malformed item inside an
 * otherwise good page is left out and counted, so one bad task cannot hide the others.
 */
#ifndef VIASFS_TASK_PAGE_H
#define VIASFS_TASK_PAGE_H

#include "viasfs/task.h"

struct task_page {
    GPtrArray *tasks;   /* struct task *, owned references, in the API's order */
    gint64 count;       /* "count" as sent: items on the page, or a total; -1 if absent */
    gint64 page;        /* -1 if absent */
    gint64 page_size;   /* -1 if absent */
    guint items;        /* array length as sent, including rejected items */
    guint rejected;     /* items left out as malformed */
    char *first_reject; /* why the first rejected item was left out, or NULL */
    void *json;         /* private: the parsed answer while items remain to be read */
    void *next_item;    /* private: the next item task_page_read converts */
};

void task_page_free(struct task_page *p);
typedef struct task_page TaskPage; /* for g_autoptr(TaskPage) only */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TaskPage, task_page_free)

/*
 * Parses a list answer. Returns 0 and a new page in *@out, or -EBADMSG with a description in
 * *@why (caller frees) when the text is not a JSON object with a "tasks" array and integer
 * (or absent) count/page/page_size.
 */
int task_page_parse(const char *text, size_t len, const struct task_parse_opts *opts,
                    struct task_page **out, char **why);

/*
 * The same in two steps, so that a caller can act on the envelope (is there a next page?)
 * before the items are converted: task_page_open checks the envelope and fills count, page,
 * page_size and items, with no tasks yet (same results as task_page_parse otherwise);
 * task_page_read then converts up to @max more items, appending to tasks (and counting the
 * rejected), and returns how many items it consumed: 0 once all are.
 */
int task_page_open(const char *text, size_t len, struct task_page **out, char **why);
guint task_page_read(struct task_page *p, guint max, const struct task_parse_opts *opts);

#endif
