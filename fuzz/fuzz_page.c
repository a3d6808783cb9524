/*
 * fuzz_page: libFuzzer target for the answers of the list call. The input is one HTTP body
 * parsed as a list page with secrets redacted and with them shown; the two must agree on the
 * envelope and on every task, and each task is followed through check_task to its file
 * names, files and event line.
 */
#include <errno.h>
#include <stdint.h>
#include <glib.h>

#include "check.h"
#include "viasfs/task_page.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    check_init();
    return 0;
}

/* Parses @text with @show_secrets; checks the page or the reason. */
static int parse(const char *text, size_t len, bool show_secrets, struct task_page **out)
{
    const struct task_parse_opts opts = {.show_secrets = show_secrets};
    g_autofree char *why = NULL;
    int rc = task_page_parse(text, len, &opts, out, &why);
    struct task_page *p = *out;

    CHECK(rc == 0 || rc == -EBADMSG, "task_page_parse result");
    if (rc != 0) {
        CHECK(!p && why && g_utf8_validate(why, -1, NULL), "failure without a reason");
        return rc;
    }
    CHECK(p && !why, "success with a reason");
    CHECK(p->tasks->len + p->rejected == p->items, "items = tasks + rejected");
    CHECK((p->rejected > 0) == (p->first_reject != NULL), "first_reject");
    CHECK(!p->first_reject || g_utf8_validate(p->first_reject, -1, NULL), "first_reject UTF-8");
    CHECK(p->count >= -1 && p->page >= -1 && p->page_size >= -1, "envelope numbers");
    for (guint i = 0; i < p->tasks->len; i++)
        check_task(g_ptr_array_index(p->tasks, i), show_secrets);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct task_page *a = NULL, *b = NULL;
    int rc1 = parse(text, size, false, &a);
    int rc2 = parse(text, size, true, &b);

    CHECK(rc1 == rc2, "show_secrets changes whether a page parses");
    if (rc1 == 0) {
        CHECK(a->items == b->items && a->rejected == b->rejected, "items differ");
        CHECK(a->count == b->count && a->page == b->page && a->page_size == b->page_size,
              "envelope differs");
        for (guint i = 0; i < a->tasks->len; i++)
            check_same_fields(g_ptr_array_index(a->tasks, i), g_ptr_array_index(b->tasks, i));
    }
    task_page_free(a);
    task_page_free(b);
    return 0;
}
