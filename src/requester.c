/* requester: the process a thread serves, and its parent (see requester.h). */
#include "viasfs/requester.h"

#include <stdio.h>
#include <string.h>

enum { MAX_PARENTS = 1024 };

static __thread guint32 current;

static GMutex parents_lock; /* protects parents */
static GHashTable *parents; /* pid -> ppid: the processes asked about lately */

void requester_set(guint32 pid)
{
    current = pid;
}

guint32 requester_current(void)
{
    return current;
}

/* The parent of @pid from /proc/@pid/stat ("pid (comm) state ppid ..."), or 0. */
static guint32 parent_from_proc(guint32 pid)
{
    char path[64], buf[512];
    unsigned ppid = 0;
    const char *end;
    size_t n;
    FILE *f;

    snprintf(path, sizeof path, "/proc/%u/stat", pid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    end = strrchr(buf, ')'); /* the command may hold spaces and parentheses */
    if (!end || sscanf(end + 1, " %*c %u", &ppid) != 1)
        return 0;
    return ppid;
}

guint32 requester_parent(guint32 pid)
{
    gpointer v;
    guint32 ppid;

    if (!pid)
        return 0;
    g_mutex_lock(&parents_lock);
    if (!parents)
        parents = g_hash_table_new(g_direct_hash, g_direct_equal);
    v = g_hash_table_lookup(parents, GUINT_TO_POINTER(pid));
    g_mutex_unlock(&parents_lock);
    if (v)
        return GPOINTER_TO_UINT(v);
    ppid = parent_from_proc(pid);
    if (!ppid)
        return 0;
    g_mutex_lock(&parents_lock);
    if (g_hash_table_size(parents) >= MAX_PARENTS)
        g_hash_table_remove_all(parents); /* pids are reused: forget, and ask again */
    g_hash_table_replace(parents, GUINT_TO_POINTER(pid), GUINT_TO_POINTER(ppid));
    g_mutex_unlock(&parents_lock);
    return ppid;
}
