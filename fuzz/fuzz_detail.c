/*
 * fuzz_detail: libFuzzer target for the answers of the detail call. The input is one HTTP
 * body, read three ways as viasfs reads bodies: as a task with secrets redacted, as a task
 * with them shown (--show-secrets), and as an error body (a non-2xx answer). Each parsed task
 * is followed through check_task to its file names, files and event line.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "viasfs/api_error.h"
#include "viasfs/task.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    check_init();
    return 0;
}

/* Parses @text with @show_secrets; checks the result or the reason. */
static int parse(const char *text, size_t len, bool show_secrets, struct task **out)
{
    const struct task_parse_opts opts = {.show_secrets = show_secrets};
    g_autofree char *why = NULL;
    int rc = task_from_json(text, len, &opts, out, &why);

    CHECK(rc == 0 || rc == -EBADMSG, "task_from_json result");
    if (rc == 0) {
        CHECK(*out && !why, "success with a reason");
        check_task(*out, show_secrets);
    } else {
        CHECK(!*out && why && g_utf8_validate(why, -1, NULL), "failure without a reason");
    }
    return rc;
}

static void error_body(const char *text, size_t len)
{
    struct api_error e;
    g_autofree char *line = NULL;

    api_error_init(&e);
    api_error_set_answer(&e, 400, text, len, "fuzz-request");
    CHECK(api_error_errno(&e) < 0, "a 400 answer maps to an errno");
    line = api_error_describe(&e);
    /* One line of .viasfs/errors. */
    CHECK(g_utf8_validate(line, -1, NULL), "error line is not UTF-8");
    CHECK(!strchr(line, '\n') && !strchr(line, '\r'), "error line has a line break");
    api_error_release(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct task *redacted = NULL, *revealed = NULL;
    int rc1 = parse(text, size, false, &redacted);
    int rc2 = parse(text, size, true, &revealed);

    CHECK(rc1 == rc2, "show_secrets changes whether a task parses");
    if (rc1 == 0)
        check_same_fields(redacted, revealed);
    task_unref(redacted);
    task_unref(revealed);
    error_body(text, size);
    return 0;
}
