/* heap: glibc malloc settings and the trimmer thread (see heap.h). */
#include "viasfs/heap.h"

#include <glib.h>
#include <malloc.h>
#include <stdbool.h>

#define TRIM_PERIOD_US (60 * G_USEC_PER_SEC)

static struct {
    GThread *thread;
    GMutex lock; /* protects stop */
    GCond wake;  /* signalled on stop */
    bool stop;
} trimmer;

void heap_setup(void)
{
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

static gpointer trimmer_main(gpointer unused)
{
    g_mutex_lock(&trimmer.lock);
    while (!trimmer.stop) {
        gint64 until = g_get_monotonic_time() + TRIM_PERIOD_US;

        while (!trimmer.stop && g_cond_wait_until(&trimmer.wake, &trimmer.lock, until))
            continue;
        if (!trimmer.stop)
            malloc_trim(0);
    }
    g_mutex_unlock(&trimmer.lock);
    return unused;
}

void heap_trim_after_parse(size_t answer_bytes)
{
    if (answer_bytes >= HEAP_LARGE_ANSWER)
        malloc_trim(0);
}

void heap_trimmer_start(void)
{
    if (!trimmer.thread)
        trimmer.thread = g_thread_new("trimmer", trimmer_main, NULL);
}

void heap_trimmer_stop(void)
{
    if (!trimmer.thread)
        return;
    g_mutex_lock(&trimmer.lock);
    trimmer.stop = true;
    g_cond_signal(&trimmer.wake);
    g_mutex_unlock(&trimmer.lock);
    g_thread_join(trimmer.thread);
    trimmer.thread = NULL;
}
