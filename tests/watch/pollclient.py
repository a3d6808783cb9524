#!/usr/bin/env python3
"""pollclient.py FILE FLAGDIR: a sysfs-style watcher of a viasfs state file for poll.sh.

Opens FILE, reads it, then for each of poll(), select() and epoll in turn: waits 2.5 s with no
change (must not wake), writes FLAGDIR/armed-N and waits up to 10 s for the change the test
then makes, prints what woke it, seeks to 0 and reads the new value on the same descriptor.
Output lines (tab-separated): "idle MECH REVENTS", "wake MECH REVENTS SECONDS", "value MECH V"."""
import os
import select
import sys
import time

path, flags = sys.argv[1], sys.argv[2]
fd = os.open(path, os.O_RDONLY)
print("value\tinitial\t" + os.read(fd, 4096).decode().strip(), flush=True)

E = {select.POLLIN: "IN", select.POLLPRI: "PRI", select.POLLERR: "ERR",
     select.POLLHUP: "HUP", select.POLLRDNORM: "RDNORM", select.POLLNVAL: "NVAL"}


def names(mask):
    return "|".join(n for b, n in sorted(E.items()) if mask & b) or "0"


def by_poll(timeout):
    p = select.poll()
    p.register(fd, select.POLLPRI | select.POLLERR)
    r = p.poll(timeout * 1000)
    return names(r[0][1]) if r else "none"


def by_select(timeout):
    _, _, x = select.select([], [], [fd], timeout)
    return "exceptfds" if x else "none"


def by_epoll(timeout):
    ep = select.epoll()
    ep.register(fd, select.EPOLLPRI)
    r = ep.poll(timeout)
    ep.close()
    if not r:
        return "none"
    m = r[0][1]
    return "|".join(n for b, n in ((select.EPOLLIN, "IN"), (select.EPOLLPRI, "PRI"),
                                    (select.EPOLLERR, "ERR"), (select.EPOLLHUP, "HUP"))
                    if m & b)


for i, (mech, fn) in enumerate((("poll", by_poll), ("select", by_select), ("epoll", by_epoll))):
    print(f"idle\t{mech}\t{fn(2.5)}", flush=True)
    open(os.path.join(flags, f"armed-{i}"), "w").close()
    t = time.monotonic()
    r = fn(10)
    print(f"wake\t{mech}\t{r}\t{time.monotonic() - t:.2f}", flush=True)
    os.lseek(fd, 0, os.SEEK_SET)
    print(f"value\t{mech}\t" + os.read(fd, 4096).decode().strip(), flush=True)
