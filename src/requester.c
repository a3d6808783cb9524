/* requester: the process a thread serves (see requester.h). */
#include "viasfs/requester.h"

static __thread guint32 current;

void requester_set(guint32 pid)
{
    current = pid;
}

guint32 requester_current(void)
{
    return current;
}
