/* purpose: why the calling thread makes API requests (see purpose.h). */
#include "viasfs/purpose.h"

static __thread enum purpose current; /* zero: PURPOSE_FOREGROUND */

static const char *const names[PURPOSE_COUNT] = {
    [PURPOSE_FOREGROUND] = "foreground",
    [PURPOSE_REFRESH] = "refresh",
    [PURPOSE_READAHEAD] = "readahead",
    [PURPOSE_CONTROL] = "control",
};

void purpose_set(enum purpose p)
{
    current = (unsigned)p < PURPOSE_COUNT ? p : PURPOSE_FOREGROUND;
}

enum purpose purpose_current(void)
{
    return current;
}

const char *purpose_name(enum purpose p)
{
    return (unsigned)p < PURPOSE_COUNT ? names[p] : "foreground";
}
