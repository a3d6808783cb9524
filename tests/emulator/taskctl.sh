#!/usr/bin/env bash
# The task control calls: start/stop allowed and refused from every documented state (and an
# undocumented one), the transient states and the delays (STARTING then RUNNING, STOPPING then
# STOPPED, DELETING then gone, PENDING then RUNNING for a created task, measured on updated_at),
# delay 0, a stop that cancels a pending start, delete and its refusals, create then listed,
# /_emulator/delays, the record of control requests (/_emulator/controls), faults and counters
# on the new endpoints, and the churn sparing a task in transition.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

emu_start --tasks 60 --action-delay 400 --delete-delay 400 || { fail "emulator starts"; finish; exit 1; }

py_tap <<'EOF'
import re, time
from emutap import *

START_OK = {"STOPPED", "FAILED", "START_FAILED", "SUCCEEDED", "LACK_OF_RESOURCES"}
STOP_OK = {"RUNNING", "STARTING", "PENDING", "SCHEDULING", "RECOVERING", "ABNORMAL", "UPGRADING"}
ACCEPTED = lambda tid: {"id": tid, "status_code": 200, "status_msg": "success"}

def now_ms():
    return int(time.time() * 1000)

def detail(tid):
    return api("/tasks/" + tid)

def act(tid, command):
    return api("/tasks/%s/action/%s" % (tid, command), method="PUT")

def wait_state(tid, want, timeout=5.0):
    """Polls the detail until the state is `want` (None: the task is gone); the last answer."""
    end = time.time() + timeout
    while True:
        r = detail(tid)
        state = r.json.get("state") if r.status == 200 else None
        if state == want or time.time() > end:
            return r
        time.sleep(0.05)

ids = [t["id"] for t in ctl("GET", "/tasks").json["tasks"]]
pool = iter(ids)

# 1. The transition table, each (state, verb) on its own task.
for state in STATES + ["HIBERNATING"]:
    for verb, allowed in (("start", START_OK), ("stop", STOP_OK)):
        tid = next(pool)
        before = ctl("PUT", "/tasks/%s/state" % tid, {"state": state}).json
        r = act(tid, verb)
        if state in allowed:
            eq("%s a %s task: 200 with the id" % (verb, state), (200, ACCEPTED(tid)), (r.status, r.json))
            want = "STARTING" if verb == "start" else "STOPPING"
            eq("... it is %s at once" % want, want, detail(tid).json["state"])
        else:
            ok_ = check("%s a %s task: 400 VIAS.00010004 naming task_id" % (verb, state),
                        is_service_error(r, 400, "VIAS.00010004", "task_id"), r)
            if ok_:
                check("... the detail names the state", state in r.json["detail"], r.json["detail"])
            eq("... and changes nothing (not even updated_at)", before, detail(tid).json)
        ctl("PUT", "/tasks/%s/state" % tid, {"state": "STOPPED"})  # drops its transition

# 2. Delays: the transient state is visible in the detail and the list, then settles.
def list_state(tid, state):
    return tid in [t["id"] for t in walk(task_state=state)]

fresh = ctl("POST", "/tasks", {"count": 12}).json["ids"]
a, b, c, d, e, f = fresh[:6]
ctl("PUT", "/tasks/%s/state" % a, {"state": "STOPPED"})
before = detail(a).json
eq("start a STOPPED task: 200", 200, act(a, "start").status)
d1 = detail(a).json
eq("the detail says STARTING", "STARTING", d1["state"])
check("updated_at moved to now", int(d1["updated_at"]) >= int(before["updated_at"]) and abs(int(d1["updated_at"]) - now_ms()) < 5000, d1["updated_at"])
check("the list says STARTING (task_state=STARTING finds it)", list_state(a, "STARTING"))
d2 = wait_state(a, "RUNNING").json
eq("then RUNNING", "RUNNING", d2["state"])
gap = int(d2["updated_at"]) - int(d1["updated_at"])
check("after the action delay (400 ms; updated_at moved by %d ms)" % gap, 380 <= gap < 3000, gap)
check("the list says RUNNING", list_state(a, "RUNNING") and not list_state(a, "STARTING"))

eq("stop the RUNNING task: 200", 200, act(a, "stop").status)
d1 = detail(a).json
eq("the detail says STOPPING", "STOPPING", d1["state"])
check("the list says STOPPING", list_state(a, "STOPPING"))
check("stop again while STOPPING: 400 VIAS.00010004", is_service_error(act(a, "stop"), 400, "VIAS.00010004", "task_id"))
check("start while STOPPING: 400 VIAS.00010004", is_service_error(act(a, "start"), 400, "VIAS.00010004", "task_id"))
d2 = wait_state(a, "STOPPED").json
gap = int(d2["updated_at"]) - int(d1["updated_at"])
eq("then STOPPED", "STOPPED", d2["state"])
check("after the action delay (%d ms)" % gap, 380 <= gap < 3000, gap)

# A stop during STARTING cancels the RUNNING to come.
ctl("PUT", "/tasks/%s/state" % b, {"state": "STOPPED"})
act(b, "start")
eq("stop during STARTING: 200", 200, act(b, "stop").status)
eq("... STOPPING", "STOPPING", detail(b).json["state"])
time.sleep(1.0)
eq("... it ends STOPPED and never became RUNNING", "STOPPED", detail(b).json["state"])

# A state set through the control interface meanwhile wins: the pending transition is dropped.
g = fresh[6]
ctl("PUT", "/tasks/%s/state" % g, {"state": "STOPPED"})
act(g, "start")
ctl("PUT", "/tasks/%s/state" % g, {"state": "FAILED"})
time.sleep(0.7)
eq("start, then the control interface sets FAILED: it stays FAILED after the delay", "FAILED", detail(g).json["state"])

# 3. Delete.
ctl("PUT", "/tasks/%s/state" % c, {"state": "RUNNING"})
r = api("/tasks/" + c, method="DELETE")
eq("DELETE a RUNNING task: 200 with the id", (200, ACCEPTED(c)), (r.status, r.json))
d1 = detail(c)
eq("the detail still answers, with state DELETING", (200, "DELETING"), (d1.status, d1.json.get("state")))
check("it is listed, as DELETING", list_state(c, "DELETING"))
for what, r in [("delete", api("/tasks/" + c, method="DELETE")), ("start", act(c, "start")), ("stop", act(c, "stop")),
                ("update", request("PUT", "/v2/%s/tasks/%s" % (PROJECT, c), headers={"X-Auth-Token": TOKEN},
                                   body={"input": {"type": "url", "data": [{"url": "rtsp://x"}]}}))]:
    check("%s a DELETING task: 400 VIAS.00010004" % what, is_service_error(r, 400, "VIAS.00010004", "task_id"), r)
eq("... none of them changed it", d1.json, detail(c).json)
t0 = time.time()
r = wait_state(c, None)
check("then it is gone: 400 VIAS.00010007", is_service_error(r, 400, "VIAS.00010007", "task_id"), r)
check("and not listed", c not in [t["id"] for t in walk()])
check("delete it again: 400 VIAS.00010007", is_service_error(api("/tasks/" + c, method="DELETE"), 400, "VIAS.00010007", "task_id"))
check("start it: 400 VIAS.00010007", is_service_error(act(c, "start"), 400, "VIAS.00010007", "task_id"))
r = api("/tasks/0123456789abcdef0123456789abcdef", method="DELETE")
check("delete an unknown task: 400 VIAS.00010007", is_service_error(r, 400, "VIAS.00010007", "task_id"), r)
r = act(d, "pause")
check("an unknown command: 400 VIAS.00010001 naming command", is_service_error(r, 400, "VIAS.00010001", "command"), r)
r = api("/tasks/0123456789abcdef0123456789abcdef/action/pause", method="PUT")
check("an unknown command on an unknown task: the command first (VIAS.00010001)", is_service_error(r, 400, "VIAS.00010001", "command"), r)
r = api("/tasks/%s/action/start" % d, method="PUT", token=False)
check("start without a token: 401 APIG.0301", is_gateway_error(r, 401, "APIG.0301"), r)
r = api("/tasks/%s/action/start" % d, method="PUT", project="ffffffffffffffffffffffffffffffff")
check("start in another project: 403 APIG.0302", is_gateway_error(r, 403, "APIG.0302"), r)

# 4. Create: PENDING, then RUNNING; listed first.
BODY = {"name": "created-by-test", "input": {"type": "url", "data": [{"url": "rtsp://10.1.1.1/live"}]},
        "output": {"webhook": {"url": "https://hooks.example.com/x", "headers": {"X-Key": "k"}}},
        "config": {"common": {"threshold": 0.7}}, "service_version": "2.1.0"}
n0 = ctl("GET", "/health").json["tasks"]
r = request("POST", "/v2/%s/services/face/tasks" % PROJECT, body=BODY, headers={"X-Auth-Token": TOKEN})
eq("create: 200 {tasks:[{id}]}", (200, ["tasks"], 1), (r.status, list(r.json), len(r.json.get("tasks", []))))
new = r.json["tasks"][0]["id"]
check("a new 32-hex id", re.fullmatch("[0-9a-f]{32}", new) and new not in ids, new)
d1 = detail(new).json
eq("the new task is PENDING", "PENDING", d1["state"])
check("created_at and updated_at are now", abs(int(d1["created_at"]) - now_ms()) < 5000 and d1["created_at"] == d1["updated_at"], d1)
eq("it has the body's members", (BODY["name"], BODY["input"], BODY["output"], BODY["config"]),
   (d1["name"], d1["input"], d1["output"], d1["config"]))
eq("and the service's title; complete object", ("人脸识别", DETAIL_KEYS), (d1["title"], list(d1)))
first = api(query=qs(page_size=5)).json["tasks"][0]
eq("it leads the (desc) list", (new, "PENDING"), (first["id"], first["state"]))
eq("health counts it", n0 + 1, ctl("GET", "/health").json["tasks"])
d2 = wait_state(new, "RUNNING").json
gap = int(d2["updated_at"]) - int(d1["updated_at"])
eq("then RUNNING", "RUNNING", d2["state"])
check("after the action delay (%d ms)" % gap, 380 <= gap < 3000, gap)
r = request("POST", "/v2/%s/services/no-such-service/tasks" % PROJECT, body=BODY, headers={"X-Auth-Token": TOKEN})
check("create for an unknown service: 400 VIAS.00010002 naming service_name", is_service_error(r, 400, "VIAS.00010002", "service_name"), r)
eq("... creates nothing", n0 + 1, ctl("GET", "/health").json["tasks"])

# 5. /_emulator/delays, and delay 0: settled before the answer.
eq("GET delays", {"action_ms": 400, "delete_ms": 400}, {k: v for k, v in ctl("GET", "/delays").json.items() if k != "pending"})
r = ctl("PUT", "/delays", {"action_ms": 0})
eq("PUT delays: members left out keep their value", (200, 0, 400), (r.status, r.json["action_ms"], r.json["delete_ms"]))
for body in [{"action_ms": -1}, {"delete_ms": 1.5}, {"action_ms": "0"}, {"delay": 1}, {"action_ms": 3600001}]:
    eq("PUT delays %r: 400" % body, 400, ctl("PUT", "/delays", body).status)
eq("... and changes nothing", 400, ctl("GET", "/delays").json["delete_ms"])
ctl("PUT", "/tasks/%s/state" % e, {"state": "STOPPED"})
ctl("DELETE", "/controls")
eq("action delay 0: start answers 200", 200, act(e, "start").status)
eq("... the task is RUNNING at once", "RUNNING", detail(e).json["state"])
eq("... the record shows it passed through STARTING", "STARTING", ctl("GET", "/controls").json["controls"][0]["state"])
ctl("PUT", "/delays", {"delete_ms": 0})
eq("delete delay 0: delete answers 200", 200, api("/tasks/" + e, method="DELETE").status)
check("... the task is gone at once", is_service_error(detail(e), 400, "VIAS.00010007", "task_id"))
eq("no transition waits", 0, ctl("GET", "/delays").json["pending"])
ctl("PUT", "/delays", {"action_ms": 400, "delete_ms": 400})
EOF

# 6. The record of control requests, the faults and the counters on the new endpoints.
py_tap <<'EOF'
import time
from emutap import *

def act(tid, command, **kw):
    return api("/tasks/%s/action/%s" % (tid, command), method="PUT", **kw)

ids = ctl("POST", "/tasks", {"count": 6}).json["ids"]
for tid in ids:
    ctl("PUT", "/tasks/%s/state" % tid, {"state": "STOPPED"})
a, b, c, d, e, f = ids
eq("DELETE /controls: 200, empty", (200, {"count": 0, "controls": []}), (lambda r: (r.status, r.json))(ctl("DELETE", "/controls")))
ctl("DELETE", "/stats")
UPDATE = '{"name":"edited","input":{"type":"url","data":[{"url":"rtsp://h/a"}]}}'
act(a, "start")
act(a, "start")                                           # refused: STARTING
api("/tasks/" + a)                                        # a detail: not a control request
api(query="?page_size=5")                                 # a list: not either
request("PUT", "/v2/%s/tasks/%s" % (PROJECT, b), body=UPDATE, headers={"X-Auth-Token": TOKEN})
api("/tasks/" + c, method="DELETE")
act(d, "stop", token=False)                               # 401
api("/tasks/%s/action/start" % d, method="GET")          # 500
act(d, "pause")                                           # 400 VIAS.00010001
r = ctl("GET", "/controls").json
eq("count", 7, r["count"])
got = [(x["method"], x["verb"], x["task_id"], x["status"], x["error_code"], x["state"]) for x in r["controls"]]
eq("every control request, in order, with its verb, status, error code and the state it set", [
    ("PUT", "start", a, 200, None, "STARTING"),
    ("PUT", "start", a, 400, "VIAS.00010004", None),
    ("PUT", "update", b, 200, None, None),
    ("DELETE", "delete", c, 200, None, "DELETING"),
    ("PUT", "stop", d, 401, "APIG.0301", None),
    ("GET", "start", d, 500, "VIAS.00010006", None),
    ("PUT", "pause", d, 400, "VIAS.00010001", None)], got)
x = r["controls"][2]
eq("an entry's keys", ["method", "path", "task_id", "verb", "body", "status", "error_code", "time_ms", "state", "fault"], list(x))
eq("the body as received, a string", UPDATE, x["body"])
eq("the path", "/v2/%s/tasks/%s" % (PROJECT, b), x["path"])
eq("no body: null", None, r["controls"][0]["body"])
check("time_ms is now, in order", all(abs(y["time_ms"] - time.time() * 1000) < 10000 for y in r["controls"])
      and [y["time_ms"] for y in r["controls"]] == sorted(y["time_ms"] for y in r["controls"]), r["controls"])
s = ctl("GET", "/stats").json["requests"]
eq("stats per endpoint", ({"200": 1, "400": 2, "401": 1, "500": 1}, {"200": 1}, {"200": 1}),
   (s["action"], s["update"], s["delete"]))
r = request("POST", "/v2/%s/services/face/tasks" % PROJECT, body={"name": "x", "input": {"type": "url", "data": [{"url": "u"}]},
            "output": {"obs": {"bucket": "b"}}}, headers={"X-Auth-Token": TOKEN})
x = ctl("GET", "/controls").json["controls"][-1]
eq("a create is recorded with the new id as task_id, and ids", ("create", r.json["tasks"][0]["id"], [r.json["tasks"][0]["id"]], "PENDING"),
   (x["verb"], x["task_id"], x.get("ids"), x["state"]))
eq("PATCH /controls: 405", 405, ctl("PATCH", "/controls").status)

# Faults select the new endpoints by name.
ctl("PUT", "/faults", {"endpoints": "action", "error_429": {"rate": 1}})
eq("endpoints=action: the list is spared", 200, api().status)
r = act(e, "start")
check("endpoints=action: start gets 429", is_gateway_error(r, 429, "APIG.0308"), r)
eq("... and the task did not start", "STOPPED", api("/tasks/" + e).json["state"])
eq("the configuration echoes the names", "action", ctl("GET", "/faults").json["endpoints"])
ctl("PUT", "/faults", {"endpoints": "delete,update,create", "error_500": {"rate": 1}})
eq("a list of names: action spared", 200, act(e, "start").status)
r = api("/tasks/" + f, method="DELETE")
check("... delete gets 500 VIAS.00010006", is_service_error(r, 500, "VIAS.00010006"), r)
eq("... and the task is not DELETING", "STOPPED", api("/tasks/" + f).json["state"])
eq("the configuration echoes the list", "delete,update,create", ctl("GET", "/faults").json["endpoints"])
for bad in ["actions", "action,,delete", "delete;update"]:
    eq("endpoints %r: 400" % bad, 400, ctl("PUT", "/faults", {"endpoints": bad}).status)
ctl("PUT", "/faults", {"error_500": {"rate": 1}})
r = api("/tasks/" + f, method="DELETE")
check("endpoints=all covers delete", is_service_error(r, 500, "VIAS.00010006"), r)
ctl("DELETE", "/faults")
x = ctl("GET", "/controls").json["controls"][-1]
eq("a faulted request is recorded with its fault", (500, "VIAS.00010006", "error_500", None), (x["status"], x["error_code"], x["fault"], x["state"]))
EOF

# Dropped and stalled control requests: curl sees what happened on the wire.
T=$(ctl POST /_emulator/tasks '{"count":3}' | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["ids"]))')
set -- $T
for id in "$@"; do ctl PUT "/_emulator/tasks/$id/state" '{"state":"STOPPED"}' >/dev/null; done
state() { curl -s -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("state"))'; }
last_entry() { ctl GET /_emulator/controls | python3 -c 'import json,sys; x=json.load(sys.stdin)["controls"][-1]; print(x["verb"], x["status"], x["fault"], x["state"])'; }
put_start() { curl -sS -o /dev/null -X PUT -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks/$1/action/start" 2>/dev/null; }

ctl PUT /_emulator/faults '{"endpoints":"action","drop":{"count":1}}' >/dev/null
put_start "$1"
check_eq "drop on start: no answer (curl 52)" 52 "$?"
check_eq "... the start was not carried out" STOPPED "$(state "$1")"
check_eq "... recorded with status 0 and the fault" "start 0 drop None" "$(last_entry)"

ctl PUT /_emulator/faults '{"endpoints":"action","drop":{"count":1,"after":true}}' >/dev/null
put_start "$2"
check_eq "drop after: true on start: no answer (curl 52)" 52 "$?"
check_eq "... but the start was carried out" STARTING "$(state "$2")"
check_eq "... recorded with status 0, the fault and the state set" "start 0 drop STARTING" "$(last_entry)"

ctl PUT /_emulator/faults '{"endpoints":"action","stall":{"count":1},"stall_ms":0}' >/dev/null
curl -s --max-time 20 -o "$TEST_TMP/stalled.body" -w '%{http_code}' -X PUT -H "X-Auth-Token: $EMU_TOKEN" \
    "$EMU_URL/v2/$EMU_PROJECT/tasks/$3/action/start" >"$TEST_TMP/stalled.code" &
client=$!
for i in $(seq 1 40); do [ "$(last_entry)" = "start 0 None None" ] && break; sleep 0.05; done
check_eq "a stalled start is recorded at once, with status 0" "start 0 None None" "$(last_entry)"
check_eq "... not carried out while stalled" STOPPED "$(state "$3")"
ctl DELETE /_emulator/faults >/dev/null
wait "$client"
check_eq "cleared: the stalled start is answered 200" 200 "$(cat "$TEST_TMP/stalled.code")"
check_eq "... its entry completed" "start 200 stall STARTING" "$(last_entry)"
check_eq "both drops and the stall counted" "2 1" \
    "$(ctl GET /_emulator/stats | python3 -c 'import json,sys; f=json.load(sys.stdin)["faults"]; print(f["drop"], f["stall"])')"

# The churn leaves a task in transition alone: with 2000 changes a second, every started
# task is still STARTING, and becomes RUNNING once the churn has stopped.
py_tap <<'EOF'
import time
from emutap import *
ctl("PUT", "/delays", {"action_ms": 3000})
ctl("PUT", "/churn", {"rate": 2000})
started = []
for i in range(40):
    for t in walk(task_state="STOPPED")[:3]:
        r = api("/tasks/%s/action/start" % t["id"], method="PUT")
        if r.status == 200:
            started.append((t["id"], time.time()))
    if len(started) >= 5:
        break
check("five tasks started under churn", len(started) >= 5, len(started))
time.sleep(0.8)  # about 20 churn changes per task meanwhile
states = [api("/tasks/" + i).json["state"] for i, t in started]
young = time.time() - started[0][1] < 2.5
check("after 0.8 s of churn they are all still STARTING", states == ["STARTING"] * len(started) or not young, states)
ctl("PUT", "/churn", {"rate": 0})
time.sleep(max(0, started[-1][1] + 3.5 - time.time()))
eq("then RUNNING", ["RUNNING"] * len(started), [api("/tasks/" + i).json["state"] for i, t in started])
ctl("PUT", "/delays", {"action_ms": 400})
EOF

finish
