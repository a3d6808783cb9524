#!/usr/bin/env bash
# The control interface: state changes show in list and detail with a new updated_at, tasks
# are added (generated or given) and deleted, edited, their hidden attributes read and set;
# wrong control paths and methods; the churn thread.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

emu_start --tasks 60 || { fail "emulator starts"; finish; exit 1; }

py_tap <<'EOF'
import time
from emutap import *

def now_ms():
    return int(time.time() * 1000)

n = ctl("GET", "/health").json["tasks"]
eq("health counts the tasks", 60, n)
t = [x for x in walk() if x["state"] == "RUNNING"][0]
before = api("/tasks/" + t["id"]).json

# State changes.
r = ctl("PUT", "/tasks/%s/state" % t["id"], {"state": "FAILED"})
eq("PUT state: 200", 200, r.status)
d = api("/tasks/" + t["id"]).json
eq("the detail shows FAILED", "FAILED", d["state"])
check("a failure gets a status text and an error object",
      isinstance(d["status"], str) and d["status"] and set(d["error"]) == {"code", "message"}, d)
check("updated_at moves to now", int(d["updated_at"]) > int(before["updated_at"])
      and abs(int(d["updated_at"]) - now_ms()) < 5000, d["updated_at"])
eq("created_at does not move", before["created_at"], d["created_at"])
eq("the PUT answers the new object", d, r.json)
listed = {x["id"]: x for x in walk()}
eq("the list shows FAILED", "FAILED", listed[t["id"]]["state"])
check("task_state=FAILED finds it", t["id"] in [x["id"] for x in walk(task_state="FAILED")])
check("task_state=RUNNING no longer does", t["id"] not in [x["id"] for x in walk(task_state="RUNNING")])
r = ctl("PUT", "/tasks/%s/state" % t["id"], {"state": "RUNNING", "status": "back to work"})
d = api("/tasks/" + t["id"]).json
eq("a status can be given; a running task has no error", ("RUNNING", "back to work", None),
   (d["state"], d["status"], d["error"]))
ctl("PUT", "/tasks/%s/state" % t["id"], {"state": "STOPPED"})
d = api("/tasks/" + t["id"]).json
eq("no status given on a plain state: null status and error", (None, None), (d["status"], d["error"]))
r = ctl("PUT", "/tasks/%s/state" % t["id"], {"state": "MIGRATING"})
eq("an undocumented state is accepted (the set is open)", (200, "MIGRATING"), (r.status, api("/tasks/" + t["id"]).json["state"]))
for body in [{}, {"state": ""}, {"state": 3}, {"state": "X", "status": 5}]:
    r = ctl("PUT", "/tasks/%s/state" % t["id"], body)
    check("PUT state %r: 400 with an error" % body, r.status == 400 and "error" in r.json, r)
r = ctl("PUT", "/tasks/nope/state", {"state": "FAILED"})
check("PUT state of an unknown task: 404", r.status == 404 and "error" in r.json, r)
r = ctl("PUT", "/tasks/%s/state" % t["id"], b"{not json")
eq("PUT state with a broken body: 400", 400, r.status)

# Adding generated tasks.
r = ctl("POST", "/tasks", {"count": 3})
eq("POST count=3: 200", 200, r.status)
ids = r.json["ids"]
eq("three ids", 3, len(set(ids)))
eq("health counts them", 63, ctl("GET", "/health").json["tasks"])
first = [x["id"] for x in api(query=qs(page_size=5)).json["tasks"]]
eq("new tasks lead a desc listing, newest first", ids[::-1], first[:3])
d = api("/tasks/" + ids[0]).json
check("a generated task is complete and created now", list(d) == DETAIL_KEYS and abs(int(d["created_at"]) - now_ms()) < 5000, d)
for body in [{"count": 0}, {"count": -1}, {"count": 1.5}, {"count": "2"}]:
    eq("POST %r: 400" % body, 400, ctl("POST", "/tasks", body).status)

# Adding a given task.
r = ctl("POST", "/tasks", {"name": "added-by-test", "video_source_name": "cam-test-added", "state": "ABNORMAL"})
eq("POST a task object: 200", 200, r.status)
added = r.json
check("missing fields are filled in", list(added) == DETAIL_KEYS and added["id"] and added["input"], added)
eq("given fields are kept", ("added-by-test", "cam-test-added", "ABNORMAL"),
   (added["name"], added["video_source_name"], added["state"]))
check("a given failure state gets its error", added["error"] is not None and added["status"])
eq("it is served", added, api("/tasks/" + added["id"]).json)
eq("camera_name finds it", [added["id"]], [x["id"] for x in walk(camera_name="cam-test-added")])
r = ctl("POST", "/tasks", {"id": "my-own-id", "name": "mine", "created_at": "1700000000000"})
eq("POST with an id and an old created_at: 200", 200, r.status)
eq("it sorts by its created_at: last in desc order", "my-own-id", walk()[-1]["id"])
r = ctl("POST", "/tasks", {"id": "my-own-id"})
check("POST a duplicate id: 409", r.status == 409 and "error" in r.json, r)
r = ctl("POST", "/tasks", {"id": 5})
eq("POST a non-string id: 400", 400, r.status)
r = ctl("POST", "/tasks", {"name": "x", "created_at": "yesterday"})
eq("POST a bad created_at: 400", 400, r.status)

# Editing.
old = api("/tasks/" + ids[1]).json
r = ctl("PUT", "/tasks/" + ids[1], {"name": "renamed", "video_source_name": "cam-renamed"})
eq("PUT a partial object: 200", 200, r.status)
d = api("/tasks/" + ids[1]).json
eq("the fields changed, the others did not", ("renamed", "cam-renamed", old["title"], old["input"]),
   (d["name"], d["video_source_name"], d["title"], d["input"]))
check("updated_at moved", int(d["updated_at"]) >= int(old["updated_at"]))
eq("task_name finds the new name", [ids[1]], [x["id"] for x in walk(task_name="renamed")])
eq("the old camera no longer finds it", False, ids[1] in [x["id"] for x in walk(camera_name=old["video_source_name"])])
ctl("PUT", "/tasks/" + ids[1], {"created_at": "1600000000000"})
eq("a new created_at moves it in the order", ids[1], walk()[-1]["id"])
r = ctl("PUT", "/tasks/" + ids[1], {"id": "another"})
eq("the id cannot change: 400", 400, r.status)
eq("PUT an unknown task: 404", 404, ctl("PUT", "/tasks/nope", {"name": "x"}).status)

# Hidden attributes.
h = ctl("GET", "/tasks/" + ids[2]).json
eq("GET a task: the object and its hidden attributes", (api("/tasks/" + ids[2]).json, ["source_data_type", "batch_id", "video_group_id"]),
   (h["task"], list(h["hidden"])))
ctl("PUT", "/tasks/" + ids[2], {"_hidden": {"batch_id": "batch-set-by-test"}})
eq("a hidden attribute can be set, and batch_id filters on it", [ids[2]],
   [x["id"] for x in walk(batch_id="batch-set-by-test")])
eq("the other hidden attributes stay", h["hidden"]["video_group_id"], ctl("GET", "/tasks/" + ids[2]).json["hidden"]["video_group_id"])
check("hidden attributes never appear in the object", "_hidden" not in api("/tasks/" + ids[2]).json)

# Deleting.
r = ctl("DELETE", "/tasks/" + ids[0])
eq("DELETE: 200", (200, ids[0]), (r.status, r.json.get("deleted")))
r = api("/tasks/" + ids[0])
check("the deleted task's detail is 400 VIAS.00010007", is_service_error(r, 400, "VIAS.00010007", "task_id"), r)
check("it is gone from the list", ids[0] not in [x["id"] for x in walk()])
eq("DELETE it again: 404", 404, ctl("DELETE", "/tasks/" + ids[0]).status)
eq("health counts", 64, ctl("GET", "/health").json["tasks"])

# Wrong paths and methods.
for method, path in [("GET", ""), ("GET", "/"), ("GET", "/nope"), ("GET", "/tasks/a/b/c"), ("GET", "/tasks/x/state/y")]:
    r = ctl(method, path)
    check("%s /_emulator%s: 404 with a JSON error" % (method, path), r.status == 404 and "error" in r.json, r)
for method, path, allow in [("POST", "/health", "GET"), ("PUT", "/stats", "GET, DELETE"), ("POST", "/faults", "GET, PUT, DELETE"),
                            ("DELETE", "/churn", "GET, PUT"), ("DELETE", "/tasks", "GET, POST"),
                            ("POST", "/tasks/x", "GET, PUT, DELETE"), ("GET", "/tasks/x/state", "PUT")]:
    r = ctl(method, path)
    check("%s /_emulator%s: 405 with Allow: %s" % (method, path, allow),
          r.status == 405 and "error" in r.json and r.headers.get("Allow") == allow, r, r.headers.get("Allow"))
EOF
emu_stop

emu_start --tasks 200 --churn 40 || { fail "emulator starts (churn)"; finish; exit 1; }
py_tap <<'EOF'
import time
from emutap import *
eq("--churn sets the rate", 40, ctl("GET", "/churn").json["rate"])
snap = {t["id"]: (t["state"]) for t in walk()}
time.sleep(1.0)
c1 = ctl("GET", "/churn").json["changes"]
check("the churn thread changes about rate tasks a second", 20 <= c1 <= 200, c1)
now = {t["id"]: t["state"] for t in walk()}
changed = [i for i in snap if snap[i] != now[i]]
check("states changed in the list", len(changed) >= 10, len(changed))
d = api("/tasks/" + changed[0]).json
check("a churned task's detail agrees and has a fresh updated_at",
      d["state"] == now[changed[0]] and abs(int(d["updated_at"]) - time.time() * 1000) < 5000, d["state"], d["updated_at"])
eq("PUT churn rate 0", 0, ctl("PUT", "/churn", {"rate": 0}).json["rate"])
time.sleep(0.1)
c2 = ctl("GET", "/churn").json["changes"]
time.sleep(0.5)
eq("rate 0 stops the changes", c2, ctl("GET", "/churn").json["changes"])
r = ctl("PUT", "/churn", {"rate": 200})
time.sleep(0.5)
check("a higher rate makes more changes", ctl("GET", "/churn").json["changes"] - c2 >= 50)
ctl("PUT", "/churn", {"rate": 0})
for body in [{}, {"rate": -1}, {"rate": "5"}]:
    eq("PUT churn %r: 400" % body, 400, ctl("PUT", "/churn", body).status)
EOF

finish
