#!/usr/bin/env bash
# follow-events.sh: follow the changes a viasfs mount sees, one readable line per event.
#
#   examples/follow-events.sh MOUNT [TASK_ID]
#
# Reads MOUNT/.viasfs/events (a stream: each read waits for the next line) and prints, for
# every event from now on (only those of TASK_ID when given):
#
#   2026-11-28T17:21:12.911Z 003b9d0a61e82dc641e33e9d710b47ae "cam-0002-hall": state RUNNING -> FAILED
#   2026-11-28T17:21:13.102Z 7c1e...  "new task": added, STOPPED
#   2026-11-28T17:21:13.102Z 9a0b...  "old task": removed, was RUNNING
#   2026-11-28T17:21:14.007Z 003b...  "cam-0002-hall": status - -> "disk full"
#   2026-11-28T17:21:15.210Z 003b...  control: stop by uid 1000 pid 4242: ok
#   2026-11-28T17:21:16.001Z -  lost: events 17..42 are gone: re-scan
#
# (a field's old or new value is "-" when it had none). Ctrl-C ends it (status 130); so does
# the mount going away (status 1). Needs python3 for the JSON.
set -u
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: follow-events.sh MOUNT [TASK_ID]" >&2
    exit 2
fi
events=$1/.viasfs/events
[ -e "$events" ] || { echo "follow-events: $events: not a viasfs mount" >&2; exit 2; }
command -v python3 >/dev/null || { echo "follow-events: python3 not found" >&2; exit 2; }

exec python3 -u -c '
import json, os, signal, sys

path, only = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)

def show(v):
    if v is None:
        return "-"
    return json.dumps(v, ensure_ascii=False)  # quoted, control characters escaped

def describe(e):
    if e.get("type") == "control":  # an action through the tree (--allow-control)
        what = e.get("verb") + (" " + e["part"] if e.get("part") else "")
        return "control: %s by uid %s pid %s: %s%s" % (
            what, e.get("uid"), e.get("pid"), e.get("result"),
            " (%s)" % e["message"] if e.get("message") else "")
    if e.get("type") == "lost":
        return "lost: events %s..%s are gone: re-scan" % (e.get("from"), e.get("to"))
    c, old, new = e.get("change"), e.get("old"), e.get("new")
    if c == "state":
        return "state %s -> %s" % (old, new)
    if c == "added":
        return "added, %s" % new
    if c == "removed":
        return "removed, was %s" % old
    if c == "detail":
        return "detail changed"
    return "%s %s -> %s" % (c, show(old), show(new))

def main():
    fd = os.open(path, os.O_RDONLY)
    buf = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError as err:
            print("follow-events: %s: %s" % (path, err.strerror), file=sys.stderr)
            return 1
        if not chunk:
            return 0
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for raw in lines:
            try:
                e = json.loads(raw)
            except ValueError:
                print("follow-events: not JSON: %r" % raw, file=sys.stderr)
                continue
            if only is not None and e.get("task_id") != only:
                continue
            if e.get("type") in ("control", "lost"):
                print("%s %s %s" % (e.get("time"), e.get("task_id") or "-", describe(e)))
                continue
            print("%s %s %s: %s" % (e.get("time"), e.get("task_id"), show(e.get("task_name")),
                                    describe(e)))

try:
    sys.exit(main())
except KeyboardInterrupt:
    sys.exit(130)
except BrokenPipeError:
    sys.stderr.close()
    sys.exit(0)
' "$events" ${2+"$2"}
