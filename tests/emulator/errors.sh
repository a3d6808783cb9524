#!/usr/bin/env bash
# The emulator's error answers: every error path with its exact status, code and body shape,
# the documented order of checks (path, token, project, method, parameters), the headers every
# answer carries, and the start/stop control calls (more in taskctl.sh).
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

emu_start --tasks 40 --action-delay 0 || { fail "emulator starts"; finish; exit 1; }

py_tap <<'EOF'
import re
from emutap import *

task = walk()[0]["id"]

# 401: missing, empty and unknown tokens.
r = api(token=False)
check("no X-Auth-Token: 401 APIG.0301 gateway body", is_gateway_error(r, 401, "APIG.0301"), r)
check("no X-Auth-Token: message says not found", "x-auth-token not found" in r.json.get("error_msg", ""), r)
r = api(token="")
check("empty X-Auth-Token: 401 APIG.0301", is_gateway_error(r, 401, "APIG.0301"), r)
r = api(token="not-a-known-token")
check("unknown token: 401 APIG.0301", is_gateway_error(r, 401, "APIG.0301"), r)
check("unknown token: message says verify failed", "token verify failed" in r.json.get("error_msg", ""), r)
r = api("/tasks/" + task, token="not-a-known-token")
check("unknown token on the detail path: 401", is_gateway_error(r, 401, "APIG.0301"), r)

# 403: another project.
r = api(project="ffffffffffffffffffffffffffffffff")
check("another project: 403 APIG.0302", is_gateway_error(r, 403, "APIG.0302"), r)
r = api("/tasks/" + task, project="ffffffffffffffffffffffffffffffff")
check("another project on the detail path: 403", is_gateway_error(r, 403, "APIG.0302"), r)

# 404: unknown paths, with or without a token.
for path in ["/", "/v2", "/v1/%s/tasks" % PROJECT, "/v2/%s" % PROJECT, "/v2/%s/task" % PROJECT,
             "/v2/%s/tasks/" % PROJECT, "/v2//tasks", "/v2/%s/tasks/%s/extra" % (PROJECT, task),
             "/v2/%s/tasks/%s/action" % (PROJECT, task), "/v2/%s/tasks/%s/action/start/now" % (PROJECT, task),
             "/v2/%s/services/face" % PROJECT, "/v2/%s/services/face/tasks/x" % PROJECT,
             "/v2/%s/service/face/tasks" % PROJECT, "/v3/auth/token", "/v3/auth"]:
    r = request("GET", path, headers={"X-Auth-Token": TOKEN})
    check("unknown path %s: 404 APIG.0101" % path, is_gateway_error(r, 404, "APIG.0101"), r)
r = request("POST", "/v3/auth/tokens", body={"auth": {}})
check("POST /v3/auth/tokens is routed (the emulated IAM: 400 for this body, not 404)", r.status == 400 and "error" in r.json, r)
r = request("GET", "/nothing/here")
check("unknown path without a token: still 404 (routing comes first)", is_gateway_error(r, 404, "APIG.0101"), r)
check("404 message", r.json["error_msg"] == "The API does not exist or has not been published in the environment", r)

# 500: wrong methods on known paths.
for method in ["POST", "PUT", "DELETE", "PATCH"]:
    r = api(method=method)
    check("%s on the list path: 500 VIAS.00010006" % method, is_service_error(r, 500, "VIAS.00010006"), r)
for method in ["POST", "PATCH"]:
    r = api("/tasks/" + task, method=method)
    check("%s on the detail path: 500 VIAS.00010006" % method, is_service_error(r, 500, "VIAS.00010006"), r)
for method in ["GET", "POST", "DELETE"]:
    r = api("/tasks/%s/action/start" % task, method=method)
    check("%s on an action path: 500" % method, is_service_error(r, 500, "VIAS.00010006"), r)
r = api("/tasks/%s/action/pause" % task, method="GET")
check("GET on an unknown command's action path: 500 (method before parameters)", is_service_error(r, 500, "VIAS.00010006"), r)
for method in ["GET", "PUT", "DELETE"]:
    r = api("/services/face/tasks", method=method)
    check("%s on the create path: 500" % method, is_service_error(r, 500, "VIAS.00010006"), r)
eq("the wrong method did not delete the task", 200, api("/tasks/" + task).status)

# 400: unknown task.
r = api("/tasks/0123456789abcdef0123456789abcdef")
check("unknown task id: 400 VIAS.00010007 naming task_id", is_service_error(r, 400, "VIAS.00010007", "task_id"), r)
r = api("/tasks/not-even-hex")
check("malformed task id: 400 VIAS.00010007", is_service_error(r, 400, "VIAS.00010007", "task_id"), r)

# The order of checks.
r = request("POST", "/v2/%s/tasks?page_size=1" % "ffffffffffffffffffffffffffffffff")
check("no token, other project, wrong method: token first (401)", is_gateway_error(r, 401, "APIG.0301"), r)
r = api(method="POST", project="ffffffffffffffffffffffffffffffff", query="?page_size=1")
check("other project, wrong method, bad parameter: project first (403)", is_gateway_error(r, 403, "APIG.0302"), r)
r = api(method="POST", query="?page_size=1")
check("wrong method and bad parameter: method first (500)", is_service_error(r, 500, "VIAS.00010006"), r)
r = api(query="?page_size=1")
check("then the parameter (400 naming page_size)", is_service_error(r, 400, "VIAS.00010001", "page_size"), r)

# Headers of every answer.
ids = set()
for r in [api(), api("/tasks/" + task), api(token=False), request("GET", "/nope"),
          api(method="PUT"), api(query="?page=0"), api(project="x")]:
    rid = r.headers.get("X-Request-Id", "")
    check("HTTP %d carries a 32-hex X-Request-Id" % r.status, re.fullmatch("[0-9a-f]{32}", rid), r.headers)
    eq("HTTP %d Content-Type" % r.status, "application/json;charset=UTF-8", r.headers.get("Content-Type"))
    ids.add(rid)
eq("request ids differ", 7, len(ids))

# HEAD is GET without a body.
r = api(method="HEAD")
check("HEAD on the list path: 200 with no body", r.status == 200 and r.body == b"", r)

# The documented start/stop calls (with --action-delay 0 the task settles before the answer).
ctl("PUT", "/tasks/%s/state" % task, {"state": "RUNNING"})
r = api("/tasks/%s/action/stop" % task, method="PUT")
eq("PUT action/stop: 200 {id, status_code, status_msg}", (200, {"id": task, "status_code": 200, "status_msg": "success"}), (r.status, r.json))
eq("stop sets STOPPED", "STOPPED", api("/tasks/" + task).json["state"])
r = api("/tasks/%s/action/start" % task, method="PUT")
eq("PUT action/start: 200", 200, r.status)
eq("start sets RUNNING", "RUNNING", api("/tasks/" + task).json["state"])
r = api("/tasks/%s/action/pause" % task, method="PUT")
check("PUT action/pause: 400 VIAS.00010001 naming command", is_service_error(r, 400, "VIAS.00010001", "command"), r)
r = api("/tasks/0123456789abcdef0123456789abcdef/action/start", method="PUT")
check("start of an unknown task: 400 VIAS.00010007", is_service_error(r, 400, "VIAS.00010007", "task_id"), r)
r = api("/tasks/%s/action/start" % task, method="PUT", token=False)
check("start without a token: 401", is_gateway_error(r, 401, "APIG.0301"), r)
EOF

finish
