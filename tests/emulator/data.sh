#!/usr/bin/env bash
# The generated data: deterministic (same seed and size, same bytes; another seed, other
# bytes), realistic (every state, the documented input and output kinds, schedules, errors on
# failure states, times, hidden attributes), and --hostile's stress tasks, all valid JSON.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

# snapshot FILE: the bytes of every list page (both modes of sort) and of every detail.
snapshot() {
    py_tap "$1" <<'EOF'
import sys
from emutap import *
with open(sys.argv[1], "wb") as f:
    for sort in ("desc", "asc"):
        for page in range(1, 5):
            f.write(api(query=qs(page=page, page_size=100, sort_dir=sort)).body + b"\n")
    for t in walk(page_size=1000):
        f.write(api("/tasks/" + t["id"]).body + b"\n")
ok("snapshot taken")
EOF
}

emu_start --tasks 300 --seed 7 || { fail "emulator starts"; finish; exit 1; }
snapshot "$TEST_TMP/a"
emu_stop
emu_start --tasks 300 --seed 7 || { fail "emulator starts again"; finish; exit 1; }
snapshot "$TEST_TMP/b"
emu_stop
emu_start --tasks 300 --seed 8 || { fail "emulator starts with another seed"; finish; exit 1; }
snapshot "$TEST_TMP/c"
emu_stop
check "same seed and size: byte-identical list pages and details" cmp -s "$TEST_TMP/a" "$TEST_TMP/b"
check "the snapshot is not empty" test "$(wc -c <"$TEST_TMP/a")" -gt 100000
check "another seed: different bytes" test "$(head -c 4000 "$TEST_TMP/a" | md5sum)" != "$(head -c 4000 "$TEST_TMP/c" | md5sum)"

emu_start --tasks 17 || { fail "emulator starts (17 tasks)"; finish; exit 1; }
py_tap <<'EOF'
from emutap import *
eq("17 tasks hold all 17 states", sorted(STATES), sorted(t["state"] for t in walk()))
EOF
emu_stop

emu_start --tasks 3000 || { fail "emulator starts (3000 tasks)"; finish; exit 1; }
py_tap <<'EOF'
import json, re, time
from collections import Counter
from emutap import *

full = details()
n = len(full)
eq("3000 tasks", 3000, n)
states = Counter(t["state"] for t in full)
eq("every state present", set(STATES), set(states))
check("most tasks RUNNING or STOPPED", states["RUNNING"] + states["STOPPED"] > n * 0.6, states)
check("ids are 32 lower-case hex digits, unique",
      all(re.fullmatch("[0-9a-f]{32}", t["id"]) for t in full) and len({t["id"] for t in full}) == n)
cams = {t["video_source_name"] for t in full}
check("about N/10 cameras", n / 20 <= len(cams) <= n / 10, len(cams))
check("camera names like cam-0042-gate", any(re.fullmatch(r"cam-\d{4}-[a-z-]+", c) for c in cams), sorted(cams)[:3])
titles = {t["title"] for t in full}
check("several algorithms, Chinese and ASCII titles",
      len(titles) >= 8 and any(re.search("[\u4e00-\u9fa5]", x) for x in titles)
      and any(re.fullmatch("[a-z_-]+", x) for x in titles), titles)
check("every title passes the title rule", all(re.fullmatch("[a-zA-Z0-9\u4e00-\u9fa5_,-]{2,64}", x) for x in titles))
eq("project_id is the project", {PROJECT}, {t["project_id"] for t in full})

inputs = Counter(t["input"]["type"] for t in full)
eq("every documented input type", {"video_source", "url", "obs", "edgecamera", "restful", "vcn"}, set(inputs))
check("video_source is the most common input", inputs.most_common(1)[0][0] == "video_source", inputs)
def of(kind):
    return [t for t in full if t["input"]["type"] == kind]
check("restful inputs carry headers with secret-looking values",
      all(t["input"]["data"][0]["headers"]["Authorization"].startswith("Bearer ") for t in of("restful")))
check("vcn inputs carry ip, port, username and password",
      all(set(t["input"]["vcn"]) == {"ip", "port", "username", "password"} for t in of("vcn")))
check("url and obs inputs are cloud tasks, edgecamera and vcn edge tasks",
      all(t["type"] == "cloud" for t in of("url") + of("obs")) and all(t["type"] == "edge" for t in of("edgecamera") + of("vcn")))
outs = Counter(k for t in full for k in t["output"] if k != "event_center")
eq("webhook, dis and obs outputs", {"webhook", "dis", "obs"}, set(outs))
check("webhooks have a url and secret headers",
      all(t["output"]["webhook"]["url"].startswith("https://") and t["output"]["webhook"]["headers"]
          for t in full if "webhook" in t["output"]))
check("event_center is a boolean everywhere", all(isinstance(t["output"]["event_center"], bool) for t in full))
sched = [t for t in full if t["schedule"] is not None]
check("some weekly schedules", 0.05 * n < len(sched) < 0.3 * n, len(sched))
check("schedules have type, timezone, days_of_week and periods",
      all(s["schedule"]["type"] == "weekly" and s["schedule"]["timezone"] and s["schedule"]["days_of_week"]
          and s["schedule"]["periods"] and s["schedule_status"] in ("ACTIVATED", "INACTIVATED") for s in sched))
failing = {"FAILED", "ABNORMAL", "CREATE_FAILED", "START_FAILED"}
check("failure states have a status and an error {code, message}",
      all(isinstance(t["status"], str) and t["status"] and set(t["error"]) == {"code", "message"}
          and 8 <= len(t["error"]["code"]) <= 36 for t in full if t["state"] in failing))
check("other states have null status and error",
      all(t["status"] is None and t["error"] is None for t in full if t["state"] not in failing))
check("config.common is an object", all(isinstance(t["config"]["common"], dict) for t in full))
check("task_config is a string holding JSON", all(isinstance(json.loads(t["task_config"]), dict) for t in full))
check("edge tasks have a device_id", all(t["device_id"] for t in full if t["type"] == "edge"))
created = [int(t["created_at"]) for t in full]
check("created_at and updated_at are epoch-millisecond strings",
      all(re.fullmatch(r"\d{13}", t["created_at"]) and re.fullmatch(r"\d{13}", t["updated_at"]) for t in full))
check("updated_at is never before created_at", all(int(t["updated_at"]) >= int(t["created_at"]) for t in full))
check("created_at values are distinct", len(set(created)) > 0.99 * n)
check("created_at spread over the past months", max(created) - min(created) > 90 * 86400000
      and max(created) < time.time() * 1000)
hid = ctl("GET", "/tasks").json["tasks"]
check("hidden attributes generated", all(h["source_data_type"] in ("async_task", "sync_task") for h in hid)
      and len({h["batch_id"] for h in hid}) > 10 and len({h["video_group_id"] for h in hid}) > 10)
check("hidden attributes never shown", all("batch_id" not in t and "_hidden" not in t for t in full))
EOF
emu_stop

emu_start --tasks 20 --hostile --list-fields full || { fail "emulator starts (hostile)"; finish; exit 1; }
py_tap <<'EOF'
import json
from emutap import *

r = api(query=qs(page_size=1000))
try:
    body = json.loads(r.body.decode("utf-8"), strict=True)
    ok("the whole hostile list is valid JSON and UTF-8")
except ValueError as e:
    fail("the whole hostile list is valid JSON and UTF-8", e)
    body = {"tasks": []}
tasks = body["tasks"]
names = [t["name"] for t in tasks]
cams = [t["video_source_name"] for t in tasks]
titles = [t["title"] for t in tasks]
strings = names + cams + titles
kinds = {
    "a slash": any("/" in s for s in names) and any("/" in s for s in cams),
    "a percent sign": any("%" in s for s in strings),
    "'.' and '..' names": "." in names and ".." in names and ".." in cams,
    "control bytes \\x01 \\n \\t": any("\x01" in s for s in strings) and any("\n" in s for s in strings)
                                  and any("\t" in s for s in strings),
    "a 1024-character name": any(len(s) == 1024 for s in names),
    "a 255-character camera": any(len(s) == 255 for s in cams),
    "long Unicode (over 255 bytes, non-BMP)": any(len(s.encode()) > 255 and any(ord(c) > 0xFFFF for c in s) for s in names),
    "JSON-looking strings": any(s.startswith("{") for s in strings) and any('"' in s and "\\" in s for s in strings),
    "duplicate names": len(names) - len(set(names)) >= 1,
    "empty strings": "" in names and "" in cams and "" in titles,
    "names differing only in case": len({s.lower() for s in names}) < len(set(names)),
    "an undocumented state": any(t["state"] not in STATES for t in tasks),
    "identical created_at": len({t["created_at"] for t in tasks}) < len(tasks),
}
for what, present in kinds.items():
    check("--hostile includes " + what, present)
eq("every hostile task has a working detail", [], [t["id"] for t in tasks if api("/tasks/" + t["id"]).json != t])
EOF

finish
