#!/usr/bin/env python3
"""burst.py URL CHANGES OUT: applies "id new_state" lines from CHANGES through the emulator's
control interface on one keep-alive connection, as fast as it can; writes OUT with the
number of changes, the seconds the burst took and its start and end (epoch ms)."""
import http.client
import json
import sys
import time
import urllib.parse

url, changes_path, out_path = sys.argv[1:4]
u = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
changes = [line.split() for line in open(changes_path) if line.strip()]
t0 = time.time()
for task_id, state in changes:
    conn.request("PUT", f"/_emulator/tasks/{task_id}/state", json.dumps({"state": state}),
                 {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"burst: {task_id}: HTTP {r.status}")
t1 = time.time()
with open(out_path, "w") as f:
    f.write(f"{len(changes)} {t1 - t0:.3f} {int(t0 * 1000)} {int(t1 * 1000)}\n")
