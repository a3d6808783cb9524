/*
 * fuzz_snapshot: libFuzzer target for the snapshot loader (snapshot_decode), which reads a
 * file from the cache directory that may be damaged, truncated or of another version. An
 * input that starts like a snapshot is read as the whole file; any other is read as a body,
 * given a first line with its right length and checksum, so that the fuzzer explores the body
 * parser past the checksum instead of failing it every time. A picture the loader accepts
 * must keep task.h's invariants (task_check) in every task, and be written back byte for byte
 * as it was read (the format has one encoding of each picture).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>

#include "check.h"
#include "viasfs/history.h"
#include "viasfs/snapshot.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    check_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GByteArray) file = g_byte_array_new();
    struct snapshot *s = NULL;
    g_autofree char *why = NULL;
    int rc;

    if (size >= 16 && memcmp(data, "viasfs-snapshot ", 16) == 0) {
        g_byte_array_append(file, data, (guint)size);
    } else {
        g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, size);
        g_autofree char *head =
            g_strdup_printf("viasfs-snapshot %d %zu %s\n", SNAPSHOT_VERSION, size, sum);
        g_byte_array_append(file, (const guint8 *)head, (guint)strlen(head));
        g_byte_array_append(file, data, (guint)size);
    }
    rc = snapshot_decode((const char *)file->data, file->len, &s, &why);
    CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO, "snapshot_decode result");
    if (rc != 0) {
        CHECK(!s && why && g_utf8_validate(why, -1, NULL) && !strchr(why, '\n'),
              "a refusal without a one-line reason");
        return 0;
    }
    CHECK(s && !why, "success with a reason");
    CHECK(s->endpoint && s->project && s->written_ms >= 0, "header");
    for (guint i = 0; i < s->tasks->len; i++) {
        struct snapshot_task *st = g_ptr_array_index(s->tasks, i);
        g_autofree char *twhy = NULL;

        CHECK(task_check(st->task, &twhy) == 0, "a task breaks task.h's invariants");
        for (guint k = 0; st->history && k < st->history->len; k++) {
            const struct history_entry *e = &g_array_index(st->history, struct history_entry, k);
            CHECK(e->new_state && *e->new_state, "a history line without a state");
        }
    }
    g_autoptr(GBytes) again = snapshot_encode(s);
    CHECK(g_bytes_get_size(again) == file->len &&
              memcmp(g_bytes_get_data(again, NULL), file->data, file->len) == 0,
          "written back differently from how it was read");
    snapshot_free(s);
    return 0;
}
