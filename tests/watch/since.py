#!/usr/bin/env python3
"""since.py EVENTS TEXT COUNT SECONDS [AS_UID]: opens EVENTS (.viasfs/events) read-write,
writes TEXT (for example "since 12\\n") in one write(2), then reads until COUNT lines have come
or SECONDS have passed, and prints them. A write or open that fails prints "ERR <strerror>"
and nothing else. With AS_UID, the process first becomes that user (to check refusals)."""
import os
import select
import sys
import time

path, text, count, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
if len(sys.argv) > 5:
    uid = int(sys.argv[5])
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
try:
    fd = os.open(path, os.O_RDWR)
    os.write(fd, text.encode())
except OSError as e:
    print("ERR", e.strerror)
    sys.exit(0)
end = time.monotonic() + seconds
buf = b""
while buf.count(b"\n") < count:
    left = end - time.monotonic()
    if left <= 0:
        break
    r, _, _ = select.select([fd], [], [], left)
    if not r:
        break
    chunk = os.read(fd, 65536)
    if not chunk:
        break
    buf += chunk
sys.stdout.write(buf.decode("utf-8", "replace"))
