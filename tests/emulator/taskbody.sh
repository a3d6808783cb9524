#!/usr/bin/env bash
# The bodies of the update and create calls: a valid update replaces the members given and
# keeps the others; every rule refused with 400 VIAS.00010001 naming the parameter, changing
# nothing, each beside a value that passes; "***" anywhere refused; the order of checks
# (parameters before the task); create's required members, service_version, several
# input.data entries making several tasks, and nothing created on a refusal.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

emu_start --tasks 20 --action-delay 0 --delete-delay 0 || { fail "emulator starts"; finish; exit 1; }

py_tap <<'EOF'
import copy, time
from emutap import *

JSON = {"Content-Type": "application/json"}

def put(tid, body, headers=JSON, raw=False):
    h = dict(headers or {})
    h["X-Auth-Token"] = TOKEN
    data = body if raw else json.dumps(body)
    return request("PUT", "/v2/%s/tasks/%s" % (PROJECT, tid), body=data, headers=h)

def create(body, service="face", headers=JSON, raw=False):
    h = dict(headers or {})
    h["X-Auth-Token"] = TOKEN
    data = body if raw else json.dumps(body)
    return request("POST", "/v2/%s/services/%s/tasks" % (PROJECT, service), body=data, headers=h)

ids = [t["id"] for t in ctl("GET", "/tasks").json["tasks"]]
tid = ids[0]
ctl("PUT", "/tasks/" + tid, {"schedule": None, "schedule_status": None, "description": "kept",
                             "resource_order_id": "order-0001"})
GOOD = {"name": "cam-01_人脸-x", "input": {"type": "video_source", "data": [{"video_source_id": "v-1", "stream_name": "main"}]},
        "output": {"webhook": {"url": "https://h.example.com/x", "headers": {"X-Api-Key": "k1"}}, "event_center": True},
        "config": {"common": {"threshold": 0.8}}}

# A valid update.
before = api("/tasks/" + tid).json
r = put(tid, GOOD)
eq("a valid update: 200 with the id", (200, {"id": tid, "status_code": 200, "status_msg": "success"}), (r.status, r.json))
d = api("/tasks/" + tid).json
eq("the members given are replaced", [GOOD[k] for k in ("name", "input", "output", "config")],
   [d[k] for k in ("name", "input", "output", "config")])
eq("the others are kept (description, resource_order_id, schedule, state, created_at, title)",
   [before[k] for k in ("description", "resource_order_id", "schedule", "state", "created_at", "title")],
   [d[k] for k in ("description", "resource_order_id", "schedule", "state", "created_at", "title")])
check("updated_at is now", abs(int(d["updated_at"]) - time.time() * 1000) < 5000, d["updated_at"])
eq("task_name finds the new name", [tid], [t["id"] for t in walk(task_name="cam-01_人脸-x")])
sched = {"type": "weekly", "timezone": "GMT+08:00", "days_of_week": [1, 2], "periods": [["08:00", "12:00"]]}
put(tid, dict(GOOD, schedule=sched, description="", resource_order_id="", is_saved_as_template=True))
d = api("/tasks/" + tid).json
eq("a schedule given: stored and ACTIVATED; empty description and resource_order_id stored",
   (sched, "ACTIVATED", "", ""), (d["schedule"], d["schedule_status"], d["description"], d["resource_order_id"]))
check("is_saved_as_template is not a task member", "is_saved_as_template" not in d, list(d))
put(tid, dict(GOOD, schedule=None))
d = api("/tasks/" + tid).json
eq("schedule null: no schedule", (None, None), (d["schedule"], d["schedule_status"]))

# Refusals: (what, body or raw bytes, headers, param). Each leaves the task as it was.
def with_(path, value, base=GOOD):
    b = copy.deepcopy(base)
    o = b
    for k in path[:-1]:
        o = o[k]
    if value is KeyError:
        del o[path[-1]]
    else:
        o[path[-1]] = value
    return b

CASES = [
    ("an empty Content-Type", GOOD, {"Content-Type": ""}, "Content-Type"),
    ("Content-Type text/plain", GOOD, {"Content-Type": "text/plain"}, "Content-Type"),
    ("Content-Type application/x-www-form-urlencoded (curl -d)", GOOD, {"Content-Type": "application/x-www-form-urlencoded"}, "Content-Type"),
    ("not JSON", b"{not json", JSON, None),
    ("a JSON array", b"[1]", JSON, None),
    ("JSON null", b"null", JSON, None),
    ("an empty body", b"", JSON, None),
    ("invalid UTF-8", b'{"name":"\xff"}', JSON, None),
    ("\"***\" in a header value", with_(["input", "data", 0, "headers"], {"Authorization": "***"}), JSON, "input.data[0].headers.Authorization"),
    ("\"***\" in config", with_(["config", "common", "password"], "***"), JSON, "config.common.password"),
    ("\"***\" as the name", with_(["name"], "***"), JSON, "name"),
    ("\"***\" in an array", with_(["output", "webhook", "data_category"], ["alarm", "***"]), JSON, "output.webhook.data_category[1]"),
    ("an unknown member (id)", with_(["id"], tid), JSON, "id"),
    ("an unknown member (state)", with_(["state"], "RUNNING"), JSON, "state"),
    ("service_version on an update", with_(["service_version"], "1.0.0"), JSON, "service_version"),
    ("name given twice", b'{"name":"a","name":"b","input":{"type":"url","data":[{"url":"u"}]}}', JSON, "name"),
    ("input missing", with_(["input"], KeyError), JSON, "input"),
    ("name empty", with_(["name"], ""), JSON, "name"),
    ("name with a space", with_(["name"], "a b"), JSON, "name"),
    ("name with an accent", with_(["name"], "café"), JSON, "name"),
    ("name of 101 characters", with_(["name"], "n" * 101), JSON, "name"),
    ("name a number", with_(["name"], 5), JSON, "name"),
    ("description of 501 characters", with_(["description"], "é" * 501), JSON, "description"),
    ("description null", with_(["description"], None), JSON, "description"),
    ("schedule a string", with_(["schedule"], "weekly"), JSON, "schedule"),
    ("input an array", with_(["input"], []), JSON, "input"),
    ("input.type unknown", with_(["input", "type"], "rtmp"), JSON, "input.type"),
    ("input.type missing", with_(["input", "type"], KeyError), JSON, "input.type"),
    ("input.data missing", with_(["input", "data"], KeyError), JSON, "input.data"),
    ("input.data with two entries (an update takes one)", with_(["input", "data"], [{"url": "a"}, {"url": "b"}]), JSON, "input.data"),
    ("input.data empty", with_(["input", "data"], []), JSON, "input.data"),
    ("input.data entry a string", with_(["input", "data"], ["rtsp://x"]), JSON, "input.data"),
    ("output without a method", with_(["output"], {"event_center": True}), JSON, "output"),
    ("output empty", with_(["output"], {}), JSON, "output"),
    ("output.webhook a string", with_(["output", "webhook"], "https://x"), JSON, "output.webhook"),
    ("output.event_center a string", with_(["output", "event_center"], "yes"), JSON, "output.event_center"),
    ("config an array", with_(["config"], []), JSON, "config"),
    ("config.common a number", with_(["config"], {"common": 5}), JSON, "config"),
    ("is_saved_as_template a string", with_(["is_saved_as_template"], "yes"), JSON, "is_saved_as_template"),
    ("resource_order_id with capitals", with_(["resource_order_id"], "ORDER-1"), JSON, "resource_order_id"),
    ("resource_order_id of 3 characters", with_(["resource_order_id"], "abc"), JSON, "resource_order_id"),
    ("resource_order_id of 37 characters", with_(["resource_order_id"], "a" * 37), JSON, "resource_order_id"),
]
before = api("/tasks/" + tid).json
for what, body, headers, param in CASES:
    raw = isinstance(body, bytes)
    r = put(tid, body, headers=headers, raw=raw)
    check("update with %s: 400 VIAS.00010001 naming %s" % (what, param), is_service_error(r, 400, "VIAS.00010001", param), r)
eq("none of them changed the task", before, api("/tasks/" + tid).json)

# The values beside each rule that pass.
PASS = [
    ("Content-Type with a charset", GOOD, {"Content-Type": "application/json; charset=UTF-8"}),
    ("a string that merely holds ***", with_(["config", "common", "note"], "a***"), JSON),
    ("**** (four)", with_(["config", "common", "note"], "****"), JSON),
    ("a name of 100 characters", with_(["name"], "n" * 100), JSON),
    ("a Chinese name", with_(["name"], "南门人脸识别"), JSON),
    ("a description of 500 characters", with_(["description"], "é" * 500), JSON),
    ("every documented input type", with_(["input", "type"], "restful"), JSON),
    ("output with only localpath", with_(["output"], {"localpath": {"path": "/data"}}), JSON),
    ("config without common", with_(["config"], {}), JSON),
    ("a resource_order_id of 36", with_(["resource_order_id"], "a-" * 18), JSON),
    ("a resource_order_id of 4 with _", with_(["resource_order_id"], "a_b-"), JSON),
    ("only input", {"input": GOOD["input"]}, JSON),
]
for what, body, headers in PASS:
    r = put(tid, body, headers=headers)
    eq("update with %s: 200" % what, 200, r.status) or print("#\t%r" % r)

# The order of checks: parameters, then the task, then its state.
r = put("0123456789abcdef0123456789abcdef", GOOD)
check("a valid update of an unknown task: 400 VIAS.00010007", is_service_error(r, 400, "VIAS.00010007", "task_id"), r)
r = put("0123456789abcdef0123456789abcdef", with_(["name"], ""))
check("an invalid update of an unknown task: the parameter first (VIAS.00010001)", is_service_error(r, 400, "VIAS.00010001", "name"), r)
ctl("PUT", "/tasks/%s/state" % ids[1], {"state": "DELETING"})
r = put(ids[1], GOOD)
check("an update of a DELETING task: 400 VIAS.00010004", is_service_error(r, 400, "VIAS.00010004", "task_id"), r)
for state in ["RUNNING", "STARTING", "FAILED", "HIBERNATING"]:
    ctl("PUT", "/tasks/%s/state" % ids[2], {"state": state})
    eq("an update of a %s task: 200" % state, 200, put(ids[2], GOOD).status)

# Create.
C = dict(GOOD, service_version="1.2.0")
n0 = ctl("GET", "/health").json["tasks"]
for what, body, param in [
        ("no name", with_(["name"], KeyError, C), "name"),
        ("no input", with_(["input"], KeyError, C), "input"),
        ("no output", with_(["output"], KeyError, C), "output"),
        ("service_version too short", with_(["service_version"], "1."), "service_version"),
        ("service_version with capitals", with_(["service_version"], "V1.0"), "service_version"),
        ("service_version a number", with_(["service_version"], 1.0), "service_version"),
        ("no input.data entry", with_(["input", "data"], [], C), "input.data"),
        ("101 input.data entries", with_(["input", "data"], [{"url": "u%d" % i} for i in range(101)], C), "input.data"),
        ("a masked secret", with_(["output", "webhook", "headers", "X-Api-Key"], "***", C), "output.webhook.headers.X-Api-Key"),
        ("an unknown member", with_(["service_name"], "face", C), "service_name")]:
    r = create(body)
    check("create with %s: 400 VIAS.00010001 naming %s" % (what, param), is_service_error(r, 400, "VIAS.00010001", param), r)
r = create(C, headers={"Content-Type": "text/plain"})
check("create without Content-Type application/json: 400 naming Content-Type", is_service_error(r, 400, "VIAS.00010001", "Content-Type"), r)
eq("the refused creates made nothing", n0, ctl("GET", "/health").json["tasks"])
r = create(with_(["service_version"], KeyError, C))
eq("create without service_version: 200", 200, r.status)
r = create(with_(["input", "data"], [{"video_source_id": "v-%d" % i} for i in range(3)], C), service="vehicle")
eq("create with three input.data entries: three tasks", (200, 3), (r.status, len(r.json.get("tasks", []))))
made = [api("/tasks/" + t["id"]).json for t in r.json["tasks"]]
eq("each with one of the entries", [[{"video_source_id": "v-%d" % i}] for i in range(3)], [m["input"]["data"] for m in made])
eq("and the service's title, settled at once with --action-delay 0", [("车辆检测", "RUNNING")] * 3, [(m["title"], m["state"]) for m in made])
eq("the ids differ", 3, len({m["id"] for m in made}))
eq("health counts 4 new tasks", n0 + 4, ctl("GET", "/health").json["tasks"])
EOF

# No Content-Type at all (curl sends none when told to drop it).
code=$(curl -s -o "$TEST_TMP/noct.body" -w '%{http_code}' -X PUT -H 'Content-Type:' -H "X-Auth-Token: $EMU_TOKEN" \
    --data-binary '{"input":{"type":"url","data":[{"url":"rtsp://x"}]}}' \
    "$EMU_URL/v2/$EMU_PROJECT/tasks/$(ctl GET /_emulator/tasks | python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["id"])')")
check_eq "an update without Content-Type: 400" 400 "$code"
check "... naming Content-Type" grep -q '"params":\["Content-Type"\]' "$TEST_TMP/noct.body"

finish
