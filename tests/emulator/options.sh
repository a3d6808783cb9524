#!/usr/bin/env bash
# The command line: bad options and unusable files exit 2 with one line on stderr; --help and
# --version; --data loading in both shapes, with generated fill-in and hidden attributes;
# the token file (re-read when it changes) and running without one; --project-id, --bind.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash

# bad_option DESCRIPTION ARGS...: the emulator exits 2 at once with one line on stderr.
bad_option() {
    local d=$1; shift
    timeout 10 "$EMU_BIN" --port 0 "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    local rc=$?
    local lines
    lines=$(wc -l <"$TEST_TMP/err")
    if [ "$rc" = 2 ] && [ "$lines" = 1 ] && [ ! -s "$TEST_TMP/out" ]; then
        ok "$d: exit 2, one line"
    else
        fail "$d: exit 2, one line"
        diag "status $rc, $lines lines: $(head -3 "$TEST_TMP/err")"
    fi
}

bad_option "unknown option" --frobnicate
bad_option "unknown short option" -x
bad_option "missing value" --tasks
bad_option "--port not a number" --port=http
bad_option "--port out of range" --port 65536
bad_option "--tasks negative" --tasks -5
bad_option "--tasks too large" --tasks 99999999
bad_option "--seed not a number" --seed abc
bad_option "--list-fields unknown" --list-fields all
bad_option "--count unknown" --count=everything
bad_option "--match unknown" --match fuzzy
bad_option "--latency negative" --latency -1
bad_option "--action-delay negative" --action-delay -1
bad_option "--action-delay beyond an hour" --action-delay 3600001
bad_option "--delete-delay not a number" --delete-delay 3s
bad_option "--delete-delay without a value" --delete-delay
bad_option "--churn not a number" --churn fast
bad_option "--bind not an address" --bind localhost:80
bad_option "--project-id with a slash" --project-id a/b
bad_option "--hostile with a value" --hostile=yes
bad_option "a stray argument" extra
bad_option "--region with capitals" --region CN-North-4
bad_option "--region empty" --region ""
bad_option "--token-ttl 0" --token-ttl 0
bad_option "--token-ttl not a number" --token-ttl 1d
bad_option "--aksk-lockout negative" --aksk-lockout -1
bad_option "--clock-skew not a number" --clock-skew soon
bad_option "--clock-skew beyond ten years" --clock-skew=-400000000
bad_option "--tls-cert without --tls-key" --tls-cert "$TEST_TMP/x.pem"
bad_option "a missing users file" --iam-users-file "$TEST_TMP/no-such-users"
bad_option "a missing key file" --aksk-file "$TEST_TMP/no-such-keys"
printf '%s\n' 'acme:alice:fine' 'acme:bob' >"$TEST_TMP/bad-users"
bad_option "a users file with a line without a password" --iam-users-file "$TEST_TMP/bad-users"
check "... names the line" grep -q "bad-users: line 2" "$TEST_TMP/err"
printf '%s\n' 'acme:alice:one' 'acme:alice:two' >"$TEST_TMP/dup-users"
bad_option "a users file with a user twice" --iam-users-file "$TEST_TMP/dup-users"
printf '%s\n' 'AK1 SK1' 'AK2 SK2 TOKEN extra-secret-field' >"$TEST_TMP/bad-keys"
bad_option "a key file with four fields" --aksk-file "$TEST_TMP/bad-keys"
check "... names the line but quotes nothing of it" sh -c "grep -q 'bad-keys: line 2' '$TEST_TMP/err' && ! grep -q 'SK2\|extra-secret' '$TEST_TMP/err'"
bad_option "a missing token file" --token-file "$TEST_TMP/no-such-file"
bad_option "a missing data file" --data "$TEST_TMP/no-such-file.json"
check "a bad option's message names it" grep -q "no-such-file" "$TEST_TMP/err"

"$EMU_BIN" --help >"$TEST_TMP/help" 2>&1
check_eq "--help: exit 0" 0 "$?"
for o in --list-fields --region --iam-users-file --token-ttl --aksk-file --aksk-lockout --clock-skew \
    --tls-cert --tls-key --action-delay --delete-delay; do
    check "--help describes $o" grep -q -- "$o" "$TEST_TMP/help"
done
check "--version prints a version" sh -c "\"$EMU_BIN\" --version | grep -Eq '^vias-emulator [0-9]+\\.'"

# Data files that must be refused.
printf '[{"id":"a","name":"x"},' >"$TEST_TMP/truncated.json"
bad_option "--data with truncated JSON" --data "$TEST_TMP/truncated.json"
check "the message names the file" grep -q "truncated.json" "$TEST_TMP/err"
echo '{"items":[]}' >"$TEST_TMP/shape.json"
bad_option "--data with the wrong shape" --data "$TEST_TMP/shape.json"
echo '[{"id":"a"}, 3]' >"$TEST_TMP/notobj.json"
bad_option "--data with a task that is not an object" --data "$TEST_TMP/notobj.json"
echo '[{"id":"a"},{"id":"a"}]' >"$TEST_TMP/dup.json"
bad_option "--data with duplicate ids" --data "$TEST_TMP/dup.json"
echo '[{"id":"a","created_at":"last tuesday"}]' >"$TEST_TMP/time.json"
bad_option "--data with a bad created_at" --data "$TEST_TMP/time.json"
echo '[{"id":""}]' >"$TEST_TMP/emptyid.json"
bad_option "--data with an empty id" --data "$TEST_TMP/emptyid.json"
echo '[{"id":"a"}] trailing' >"$TEST_TMP/trailing.json"
bad_option "--data with trailing garbage" --data "$TEST_TMP/trailing.json"

# A good data file, as an array.
cat >"$TEST_TMP/data.json" <<'JSON'
[
  {"id": "00000000000000000000000000000001", "name": "from-file-1", "state": "FAILED",
   "video_source_name": "file-cam", "created_at": "1700000000000",
   "_hidden": {"batch_id": "file-batch", "source_data_type": "sync_task"}},
  {"id": "00000000000000000000000000000002", "name": "from-file-2", "created_at": "2023-11-15T00:00:00Z",
   "custom_field": {"kept": true}},
  {"name": "no-id-given"}
]
JSON
emu_start --data "$TEST_TMP/data.json" --tasks 500 || { fail "emulator starts with --data"; finish; exit 1; }
py_tap <<'EOF'
from emutap import *
eq("--data: the file's tasks only (--tasks ignored)", 3, ctl("GET", "/health").json["tasks"])
a = api("/tasks/00000000000000000000000000000001").json
eq("given fields kept", ("from-file-1", "FAILED", "file-cam", "1700000000000"),
   (a["name"], a["state"], a["video_source_name"], a["created_at"]))
check("missing fields generated", list(a) == DETAIL_KEYS and a["input"] and a["output"] and a["title"], a)
check("a given failure state gets its status and error", a["status"] and a["error"], a)
eq("updated_at defaults to created_at", a["created_at"], a["updated_at"])
b = api("/tasks/00000000000000000000000000000002").json
eq("ISO-8601 created_at sorts with epoch ones (2023-11-14T22:13:20Z < 2023-11-15)",
   ["00000000000000000000000000000001", "00000000000000000000000000000002"],
   [t["id"] for t in walk(sort_dir="asc")][:2])
eq("extra members are kept after the documented ones", DETAIL_KEYS + ["custom_field"], list(b))
eq("hidden attributes from the file", ["00000000000000000000000000000001"],
   [t["id"] for t in walk(batch_id="file-batch", source_data_type="sync_task")])
eq("a task without an id gets one", 1, len([t for t in walk() if t["name"] == "no-id-given" and len(t["id"]) == 32]))
EOF
emu_stop

echo '{"tasks":[{"id":"wrapped-1"},{"id":"wrapped-2"}]}' >"$TEST_TMP/wrapped.json"
emu_start --data "$TEST_TMP/wrapped.json" || { fail "emulator starts with {\"tasks\":[...]}"; finish; exit 1; }
check_eq "--data {\"tasks\":[...]} loads" '{"tasks":2}' "$(ctl GET /_emulator/health)"
emu_stop

# The token file is re-read when it changes.
emu_start --tasks 5 || { fail "emulator starts"; finish; exit 1; }
code() { curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $1" "$EMU_URL/v2/$EMU_PROJECT/tasks"; }
check_eq "the token in the file is accepted" 200 "$(code "$EMU_TOKEN")"
check_eq "another token is refused" 401 "$(code rotated-token)"
printf 'rotated-token\n\n  second-token  \n' >"$EMU_TOKEN_FILE.new"
mv "$EMU_TOKEN_FILE.new" "$EMU_TOKEN_FILE"
check_eq "after rotation the new token is accepted" 200 "$(code rotated-token)"
check_eq "a second token (blank lines and spaces ignored)" 200 "$(code second-token)"
check_eq "the old token is refused" 401 "$(code "$EMU_TOKEN")"
echo "$EMU_TOKEN" >>"$EMU_TOKEN_FILE"
check_eq "an appended token is accepted" 200 "$(code "$EMU_TOKEN")"
emu_stop

# Without a token file any non-empty token is accepted, with a warning.
"$EMU_BIN" --port 0 --port-file "$TEST_TMP/p2" --tasks 5 --project-id myproject --bind 127.0.0.1 \
    2>"$TEST_TMP/notoken.log" &
EMU_PID=$!
for _ in $(seq 100); do [ -s "$TEST_TMP/p2" ] && break; sleep 0.05; done
U="http://127.0.0.1:$(cat "$TEST_TMP/p2")"
check "without --token-file: a warning" grep -q "warning.*token" "$TEST_TMP/notoken.log"
check_eq "without --token-file: any token" 200 "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Auth-Token: whatever' "$U/v2/myproject/tasks")"
check_eq "without --token-file: still not an empty one" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$U/v2/myproject/tasks")"
check_eq "--project-id sets the project" 403 "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Auth-Token: w' "$U/v2/$EMU_PROJECT/tasks")"
check "the port file holds the listening port" grep -qx '[0-9]\+' "$TEST_TMP/p2"
kill -TERM "$EMU_PID"
wait "$EMU_PID"
check_eq "SIGTERM: exit 0" 0 "$?"
EMU_PID=

# A busy port is reported.
"$EMU_BIN" --port "$(cat "$TEST_TMP/p2")" --port-file "$TEST_TMP/p3" --tasks 1 2>/dev/null &
first=$!
for _ in $(seq 100); do [ -s "$TEST_TMP/p3" ] && break; sleep 0.05; done
timeout 10 "$EMU_BIN" --port "$(cat "$TEST_TMP/p3")" --tasks 1 2>"$TEST_TMP/busy.err"
check_eq "a port in use: exit 1" 1 "$?"
check "a port in use: the reason" grep -q "in use" "$TEST_TMP/busy.err"
kill "$first"
wait "$first"

finish
