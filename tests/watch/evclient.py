#!/usr/bin/env python3
"""evclient.py EVENTS FLAGDIR: O_NONBLOCK reads and poll() on .viasfs/events, for events.sh.

Opens EVENTS with O_NONBLOCK; with no event pending a read must fail with EAGAIN and poll(POLLIN)
must not wake for 2 s. Then writes FLAGDIR/armed, waits up to 10 s in poll(POLLIN) for the
event the test then causes, reads it, and reads once more (EAGAIN again). Output lines,
tab-separated: "nb_idle ERRNO", "poll_idle REVENTS", "poll_wake REVENTS SECONDS",
"nb_read LINE", "nb_after ERRNO"."""
import errno
import os
import select
import sys
import time

path, flags = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)


def try_read():
    try:
        return os.read(fd, 65536).decode()
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def poll(timeout):
    p = select.poll()
    p.register(fd, select.POLLIN)
    r = p.poll(timeout * 1000)
    if not r:
        return "none"
    m = r[0][1]
    return "|".join(n for b, n in ((select.POLLIN, "IN"), (select.POLLRDNORM, "RDNORM"),
                                    (select.POLLPRI, "PRI"), (select.POLLERR, "ERR"),
                                    (select.POLLHUP, "HUP")) if m & b)


print("nb_idle\t" + try_read(), flush=True)
print("poll_idle\t" + poll(2), flush=True)
open(os.path.join(flags, "armed"), "w").close()
t = time.monotonic()
r = poll(10)
print(f"poll_wake\t{r}\t{time.monotonic() - t:.2f}", flush=True)
print("nb_read\t" + try_read().rstrip("\n").replace("\n", "\\n"), flush=True)
print("nb_after\t" + try_read(), flush=True)
