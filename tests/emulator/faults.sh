#!/usr/bin/env bash
# Fault injection and counters: count-limited 429s, 500s, dropped connections, truncated and
# malformed bodies, latency, endpoint selection, seeded rates; a stall holds only its own
# connection and ends on clear or at shutdown; hundreds of open connections; the stats
# counters move and reset, and control requests are not counted.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

emu_start --tasks 50 || { fail "emulator starts"; finish; exit 1; }
LIST="$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=20"

py_tap <<'EOF'
import time
from emutap import *

eq("DELETE stats: zeroed", 0, ctl("DELETE", "/stats").json["total"])
r = ctl("PUT", "/faults", {"error_429": {"rate": 1, "count": 2}})
eq("PUT faults: 200 echoing the configuration", (200, 1, 2), (r.status, r.json["error_429"]["rate"], r.json["error_429"]["count"]))
rs = [api(query="?page_size=5") for _ in range(4)]
check("error_429 count 2: the next two API requests get 429 APIG.0308",
      is_gateway_error(rs[0], 429, "APIG.0308") and is_gateway_error(rs[1], 429, "APIG.0308"), rs[:2])
eq("then the requests succeed", [200, 200], [r.status for r in rs[2:]])
eq("the count is used up", 0, ctl("GET", "/faults").json["error_429"]["count"])

ctl("PUT", "/faults", {"error_500": {"rate": 1, "count": 1}})
r = api()
check("error_500: 500 VIAS.00010006 service body", is_service_error(r, 500, "VIAS.00010006"), r)
eq("error_500 count 1: then 200", 200, api().status)

ctl("PUT", "/faults", {"malformed": {"count": 1}})
r = api()
bad = False
try:
    json.loads(r.body)
except ValueError:
    bad = True
check("malformed: 200 with a body that is not JSON", r.status == 200 and bad and len(r.body) > 20, r)
eq("rate defaults to 1 and the count ends it", 200, api().status)

ctl("PUT", "/faults", {"latency_ms": 300})
t0 = time.time(); api(); dt = time.time() - t0
check("latency_ms 300 delays an answer by 0.3 s", 0.29 <= dt < 2, dt)
t0 = time.time(); ctl("GET", "/health"); dt = time.time() - t0
check("control requests are not delayed", dt < 0.25, dt)

ctl("PUT", "/faults", {"endpoints": "detail", "error_429": {"rate": 1}})
task = walk()[0]["id"]
eq("endpoints=detail: the list is spared", 200, api().status)
eq("endpoints=detail: the detail gets the fault", 429, api("/tasks/" + task).status)
ctl("PUT", "/faults", {"endpoints": "list", "error_429": {"rate": 1}})
eq("endpoints=list: the list gets the fault", 429, api().status)
eq("endpoints=list: the detail is spared", 200, api("/tasks/" + task).status)

ctl("PUT", "/faults", {"error_500": {"rate": 0.5}})
codes = [api(query="?page_size=5").status for _ in range(200)]
check("rate 0.5 fails about half the requests", 60 <= codes.count(500) <= 140, codes.count(500))

for body, why in [({"error_429": {"rate": 2}}, "rate above 1"), ({"drop": {"count": -2}}, "count below -1"),
                  ({"drop": {"after": 1}}, "drop.after not a boolean"), ({"error_500": {"after": True}}, "after on another fault"),
                  ({"stall_ms": -1}, "negative stall_ms"), ({"endpoints": "all-of-them"}, "unknown endpoints"),
                  ({"eror_500": {}}, "a misspelt fault"), ([1], "not an object")]:
    r = ctl("PUT", "/faults", body)
    check("PUT faults with %s: 400 with an error" % why, r.status == 400 and "error" in r.json, r)
r = ctl("DELETE", "/faults")
check("DELETE faults turns everything off", r.json["latency_ms"] == 0 and all(
    r.json[k]["rate"] == 0 for k in ["error_500", "error_429", "stall", "drop", "truncate", "malformed"]), r)
eq("and requests succeed", 200, api().status)
EOF

# drop and truncate need a client that reports what happened on the wire: curl.
ctl PUT /_emulator/faults '{"drop":{"rate":1,"count":1}}' >/dev/null
curl -sS -o /dev/null -H "X-Auth-Token: $EMU_TOKEN" "$LIST" 2>"$TEST_TMP/drop.err"
rc=$?
check_eq "drop: the connection closes without an answer (curl 52)" 52 "$rc"
check "drop: curl says empty reply" grep -q "Empty reply" "$TEST_TMP/drop.err"
check_eq "after the drop: 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $EMU_TOKEN" "$LIST")"

ctl PUT /_emulator/faults '{"truncate":{"count":1}}' >/dev/null
curl -sS -D "$TEST_TMP/trunc.h" -o "$TEST_TMP/trunc.body" -H "X-Auth-Token: $EMU_TOKEN" "$LIST" 2>/dev/null
rc=$?
declared=$(tr -d '\r' <"$TEST_TMP/trunc.h" | sed -n 's/^[Cc]ontent-[Ll]ength: //p')
got=$(wc -c <"$TEST_TMP/trunc.body")
check_eq "truncate: curl reports a partial transfer (18)" 18 "$rc"
check "truncate: 200 status line sent" grep -q "^HTTP/1.1 200" "$TEST_TMP/trunc.h"
check "truncate: fewer bytes than the declared Content-Length ($got < $declared)" test "$got" -lt "$declared"
check "truncate: but some bytes" test "$got" -gt 0

# A stall holds its own connection only, and ends when the faults are cleared.
ctl PUT /_emulator/faults '{"stall":{"rate":1,"count":1},"stall_ms":0}' >/dev/null
start=$(date +%s.%N)
curl -s -o "$TEST_TMP/stalled.body" -w '%{http_code}' --max-time 20 -H "X-Auth-Token: $EMU_TOKEN" "$LIST" >"$TEST_TMP/stalled.code" &
stalled=$!
sleep 0.5
check "the stalled request is still waiting" kill -0 "$stalled"
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 -H "X-Auth-Token: $EMU_TOKEN" "$LIST")
check_eq "another connection is served during the stall" 200 "${t%% *}"
check "promptly (${t#* } s)" awk "BEGIN { exit !(${t#* } < 1) }"
check_eq "control works during the stall" '{"tasks":50}' "$(ctl GET /_emulator/health)"
ctl DELETE /_emulator/faults >/dev/null
wait "$stalled"
end=$(date +%s.%N)
check_eq "clearing the faults releases the stalled request with its answer" 200 "$(cat "$TEST_TMP/stalled.code")"
check "its body is the list" grep -q '"tasks":\[' "$TEST_TMP/stalled.body"
check "it waited for the clear, not for a timeout" awk "BEGIN { d = $end - $start; exit !(d > 0.5 && d < 5) }"

ctl PUT /_emulator/faults '{"stall":{"rate":1,"count":1},"stall_ms":400}' >/dev/null
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 -H "X-Auth-Token: $EMU_TOKEN" "$LIST")
check_eq "stall_ms 400: answered" 200 "${t%% *}"
check "stall_ms 400: after about 0.4 s (${t#* } s)" awk "BEGIN { exit !(${t#* } >= 0.39 && ${t#* } < 3) }"

# Hundreds of idle and half-sent connections do not stop the server.
py_tap <<'EOF'
import socket, urllib.parse
from emutap import *
u = urllib.parse.urlsplit(URL)
socks = []
try:
    for i in range(300):
        s = socket.create_connection((u.hostname, u.port), timeout=5)
        if i % 2:
            s.sendall(b"GET /v2/" + PROJECT.encode() + b"/tasks HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    ok("300 connections open, half of them with a half-sent request")
    r = api()
    eq("a new request is still served", 200, r.status)
finally:
    for s in socks:
        s.close()
EOF

# The counters.
py_tap <<'EOF'
from emutap import *
ctl("DELETE", "/faults")
s = ctl("DELETE", "/stats").json
EMPTY = {"list": {}, "detail": {}, "other": {}, "iam": {}, "action": {}, "delete": {}, "update": {}, "create": {}}
eq("DELETE stats zeroes everything", (0, EMPTY, 0, 0),
   (s["total"], s["requests"], sum(s["faults"].values()), sum(s["auth"].values())))
task = walk()[0]["id"]
api(); api(); api(query="?page=0"); api(token=False); api("/tasks/" + task); api("/tasks/nope")
request("GET", "/nope")
ctl("GET", "/health"); ctl("GET", "/faults")
ctl("PUT", "/faults", {"error_429": {"count": 1}})
api()
s = ctl("GET", "/stats").json
eq("requests counted by endpoint and status", dict(EMPTY, **{"list": {"200": 3, "400": 1, "401": 1, "429": 1},
                                                "detail": {"200": 1, "400": 1}, "other": {"404": 1}}), s["requests"])
eq("total counts API requests only", 9, s["total"])
eq("fired faults counted", 1, s["faults"]["error_429"])
eq("stats keys", ["total", "requests", "auth", "faults"], list(s))
eq("fault counter keys", ["error_500", "error_429", "stall", "drop", "truncate", "malformed"], list(s["faults"]))
EOF

# A stall forever does not hold up shutdown.
ctl PUT /_emulator/faults '{"stall":{"rate":1},"stall_ms":0}' >/dev/null
curl -s -o /dev/null --max-time 20 -H "X-Auth-Token: $EMU_TOKEN" "$LIST" &
client=$!
sleep 0.3
start=$(date +%s.%N)
kill -TERM "$EMU_PID"
wait "$EMU_PID"
rc=$?
end=$(date +%s.%N)
EMU_PID=
check_eq "SIGTERM with a stalled request: exit status 0" 0 "$rc"
check "and promptly" awk "BEGIN { exit !($end - $start < 3) }"
wait "$client"

emu_start --tasks 10 --latency 250 --seed 3 || { fail "emulator starts (--latency)"; finish; exit 1; }
LIST="$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=20"
t=$(curl -s -o /dev/null -w '%{time_total}' -H "X-Auth-Token: $EMU_TOKEN" "$LIST")
check "--latency 250 delays API answers ($t s)" awk "BEGIN { exit !($t >= 0.24 && $t < 3) }"
check_eq "and they still succeed" 200 "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $EMU_TOKEN" "$LIST")"
check_eq "--latency shows in the configuration" 250 "$(ctl GET /_emulator/faults | python3 -c 'import json,sys; print(json.load(sys.stdin)["latency_ms"])')"
code() { curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks$1"; }
ctl PUT /_emulator/faults '{"endpoints":"list","from_page":2,"error_429":{}}' >/dev/null
check_eq "from_page 2: pages 1 (with or without page=), 2 and 3 answer 200 200 429 429" "200 200 429 429" \
    "$(code '?page_size=5') $(code '?page=1&page_size=5') $(code '?page=2&page_size=5') $(code '?page=3&page_size=5')"
check_eq "from_page shows in the configuration" 2 "$(ctl GET /_emulator/faults | python3 -c 'import json,sys; print(json.load(sys.stdin)["from_page"])')"
ctl PUT /_emulator/faults '{"endpoints":"list","error_429":{}}' >/dev/null
check_eq "without from_page: page 1 answers 429 too" 429 "$(code '?page=1&page_size=5')"
check_eq "from_page 0 is refused (400)" 400 "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data '{"from_page":0}' "$EMU_URL/_emulator/faults")"
ctl DELETE /_emulator/faults >/dev/null
kill -INT "$EMU_PID"
wait "$EMU_PID"
check_eq "SIGINT: exit status 0" 0 "$?"
EMU_PID=

finish
