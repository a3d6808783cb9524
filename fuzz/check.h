/*
 * check: what the fuzz targets assert about every task a parser accepts, beyond "no crash,
 * no leak, no undefined behaviour" (which the sanitizers check). It follows each parsed task
 * to what the filesystem derives from it: the file names (name_encode), the rendered files
 * (parsed back, secrets looked for), the event line and the timestamps. A broken invariant
 * aborts, which libFuzzer reports as a crash with the input saved.
 */
#ifndef VIASFS_FUZZ_CHECK_H
#define VIASFS_FUZZ_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "viasfs/task.h"

/* Makes GLib criticals and warnings fatal (a g_return_if_fail hit is a bug). Call once. */
void check_init(void);

/* Every invariant of task.h, name.h and event.h that @t and what is derived from it must
 * hold; with !@show_secrets, no secret left in any rendered file. Aborts on failure. */
void check_task(const struct task *t, bool show_secrets);

/* The two parses of one object, with and without secrets, agree on every field. */
void check_same_fields(const struct task *redacted, const struct task *revealed);

/* Aborts with @what and the location when @cond is false (assert() that NDEBUG cannot drop). */
#define CHECK(cond, what) ((cond) ? (void)0 : check_fail(__FILE__, __LINE__, #cond, (what)))
void check_fail(const char *file, int line, const char *cond, const char *what)
    __attribute__((noreturn));

#endif
