#!/usr/bin/env python3
"""evnorm.py FILE [T0_MS T1_MS]: one tab-separated line per line of a .viasfs/events capture:
"change  task_id  task_name  old  new" (null as "null"), after checking that the line is a JSON
object with exactly the keys seq, time, task_id, task_name, change, old, new (in that order),
that seq is an integer one more than the line before's, that every other value is a string or
null, and, when T0_MS and T1_MS are given, that "time"
(YYYY-MM-DDTHH:MM:SS.mmmZ, UTC) lies within [T0_MS - 1 s, T1_MS + 1 s]. A line failing a check
prints as "BAD  <why>  <line>"; a last line without a newline as "PARTIAL  <text>"."""
import datetime
import json
import sys

KEYS = ["time", "task_id", "task_name", "change", "old", "new"]
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
t0 = int(sys.argv[2]) if len(sys.argv) > 3 else None
t1 = int(sys.argv[3]) if len(sys.argv) > 3 else None
lines = data.split("\n")
prev_seq = None
if lines and lines[-1] != "":
    print("PARTIAL\t" + lines[-1])
for line in lines[:-1]:
    try:
        obj = json.loads(line, object_pairs_hook=list)
        keys = [k for k, _ in obj]
        if keys != ["seq"] + KEYS:
            raise ValueError(f"keys {keys}")
        d = dict(obj)
        if not isinstance(d["seq"], int) or isinstance(d["seq"], bool) or d["seq"] < 1:
            raise ValueError("seq is not a positive integer")
        if prev_seq is not None and d["seq"] != prev_seq + 1:
            prev_seq = d["seq"]
            raise ValueError(f"seq {d['seq']} does not follow the line before's")
        prev_seq = d["seq"]
        for k in KEYS:
            if d[k] is not None and not isinstance(d[k], str):
                raise ValueError(f"{k} is not a string")
        when = datetime.datetime.strptime(d["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
        if len(d["time"]) != 24:
            raise ValueError("time is not YYYY-MM-DDTHH:MM:SS.mmmZ")
        ms = int(when.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
        if t0 is not None and not (t0 - 1000 <= ms <= t1 + 1000):
            raise ValueError(f"time {d['time']} outside the test's window")
    except (ValueError, TypeError) as e:
        print(f"BAD\t{e}\t{line}")
        continue
    print("\t".join("null" if d[k] is None else d[k] for k in KEYS[3:4] + KEYS[1:3] + KEYS[4:]))
