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

#endif
