#!/usr/bin/env python3
"""reaper.py PREFIX -- COMMAND...: runs a daemonizing COMMAND (viasfs) as a child subreaper,
so the daemon it forks is re-parented to this process and its exit status can be collected.

Writes PREFIX.start (the exit status of COMMAND itself), PREFIX.pid (the daemon's PID, once
COMMAND has exited and left it behind) and PREFIX.exit (the daemon's exit status, negative
for a signal: -15 is SIGTERM) when the daemon ends. Exits when the daemon is gone."""
import ctypes
import glob
import os
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.rename(tmp, path)


def children():
    pids = set()
    for f in glob.glob("/proc/self/task/*/children"):
        try:
            with open(f) as fh:
                pids.update(int(x) for x in fh.read().split())
        except OSError:
            pass
    return pids


def main():
    prefix = sys.argv[1]
    cmd = sys.argv[3:] if sys.argv[2] == "--" else sys.argv[2:]
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("reaper: prctl(PR_SET_CHILD_SUBREAPER) failed")
    rc = subprocess.Popen(cmd).wait()
    write(prefix + ".start", str(rc))
    daemon = None
    for _ in range(100):  # the daemon is re-parented as soon as COMMAND exits
        kids = children()
        if kids:
            daemon = min(kids)
            break
        time.sleep(0.01)
    if daemon is None:
        write(prefix + ".pid", "")
        write(prefix + ".exit", "none")
        return
    write(prefix + ".pid", str(daemon))
    _, status = os.waitpid(daemon, 0)
    write(prefix + ".exit", str(os.waitstatus_to_exitcode(status)))


main()
