#!/usr/bin/env bash
# Task control (PRODUCT.md section 8, issue 15) with real tools against a real mount, every
# control request checked at the emulator (/_emulator/controls), in pairs:
# - without --allow-control: no ctl, no .viasfs/create, every write EROFS, nothing sent;
# - with it: modes; ctl lists what the state allows; a verb the API takes (one request; the
#   task followed: events and by-state show STOPPING then STOPPED with --refresh=60) and one it
#   refuses (EINVAL, the VIAS code in .viasfs/errors); an unknown verb (EINVAL, nothing sent);
#   delete (the directory goes); sed -i on config.json (one update, the content changes), sed
#   that matches nothing (nothing sent); a secret written back as "***" kept (never sent);
#   invalid JSON (close fails with EINVAL, nothing sent); the name; vim; .viasfs/create;
#   the audit line of each call.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

# The control requests the emulator served, one "VERB STATUS TASK" line each.
controls() {
    ctl GET /_emulator/controls | python3 -c '
import json, sys
for c in json.load(sys.stdin)["controls"]:
    print(c["verb"], c["status"], c.get("task_id") or "-")'
}
controls_reset() { ctl DELETE /_emulator/controls >/dev/null; }
# The bodies of the update requests served, one a line.
update_bodies() {
    ctl GET /_emulator/controls | python3 -c '
import json, sys
for c in json.load(sys.stdin)["controls"]:
    if c["verb"] == "update": print(c["body"])'
}
# emu_task ID FIELD: a member of the emulator's stored task (JSON), unmasked.
emu_task() {
    ctl GET "/_emulator/tasks/$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["task"]
for k in sys.argv[1].split("."): t = t[int(k)] if isinstance(t, list) else t[k]
print(json.dumps(t) if not isinstance(t, str) else t)' "$2"
}
# wait_for SECONDS CMD...: until CMD succeeds; false when it never did.
wait_for() {
    local n=$(($1 * 10))
    shift
    for _ in $(seq 1 "$n"); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}
# errno_of PYTHON-STATEMENTS PATH: runs them with f = the path; prints "ok" or strerror.
py_errno() {
    python3 -c '
import os, sys
p = sys.argv[2]
try:
    exec(sys.argv[1]); print("ok")
except OSError as e:
    print(e.strerror)' "$1" "$2"
}

emu_start --tasks 200 --seed 11 --action-delay 1500 --delete-delay 1500 ||
    { fail "emulator starts"; finish; exit; }
read -r R1 R2 R3 R4 <<<"$(spread 4 RUNNING)"
read -r S1 <<<"$(spread 1 STOPPED)"
[ -n "$R4" ] && [ -n "$S1" ] || { fail "the data set has 4 RUNNING and a STOPPED task"; finish; exit; }
RESTFUL=$(curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000" |
    python3 -c 'import json,sys; print(" ".join(t["id"] for t in json.load(sys.stdin)["tasks"]))' |
    tr ' ' '\n' | while read -r id; do
        [ "$(emu_task "$id" input.type)" = restful ] && { echo "$id"; break; }
    done)

# ---- without --allow-control: read-only, nothing sent
mnt_start ro --refresh=0 || { fail "viasfs mounts"; finish; exit; }
controls_reset
check "without --allow-control: tasks/X has no ctl" test ! -e "$MNT/tasks/$R1/ctl"
check "without --allow-control: no .viasfs/create" test ! -e "$MNT/.viasfs/create"
check_eq "without --allow-control: config.json is 0444, the task directory 0555" "444 555" \
    "$(stat -c %a "$MNT/tasks/$R1/config.json") $(stat -c %a "$MNT/tasks/$R1")"
check_eq "without --allow-control: echo stop > tasks/X/ctl is EROFS" "Read-only file system" \
    "$(stderr_of sh -c "echo stop >'$MNT/tasks/$R1/ctl'" | sed 's/.*: //')"
check_eq "without --allow-control: writing config.json is EROFS" "Read-only file system" \
    "$(stderr_of sh -c "echo '{}' >'$MNT/tasks/$R1/config.json'" | sed 's/.*: //')"
check "without --allow-control: sed -i fails" \
    sh -c "! sed -i 's/a/b/' '$MNT/tasks/$R1/config.json' 2>/dev/null"
check_eq "without --allow-control: .viasfs/status says control: off" "control: off" \
    "$(grep '^control:' "$MNT/.viasfs/status")"
check_eq "without --allow-control: no control request reached the API" "" "$(controls)"
mnt_stop "$MNT"

# ---- with --allow-control (refresh slow: following an action does not wait for it)
mnt_start rw --allow-control --refresh=60 --ttl=60 --log-level=info || { fail "viasfs mounts"; finish; exit; }
M=$MNT
controls_reset
check_eq ".viasfs/status says control: on" "control: on" "$(grep '^control:' "$M/.viasfs/status")"
check_eq "modes: ctl, config.json, name 0600; state, task.json 0444; the directory 0755" \
    "600 600 600 444 444 755" \
    "$(stat -c %a "$M/tasks/$R1/ctl" "$M/tasks/$R1/config.json" "$M/tasks/$R1/name" \
        "$M/tasks/$R1/state" "$M/tasks/$R1/task.json" "$M/tasks/$R1" | tr '\n' ' ' | sed 's/ $//')"
check_eq ".viasfs/create is 0600" "600" "$(stat -c %a "$M/.viasfs/create")"
check_eq "ctl of a RUNNING task: stop, delete" "stop delete" "$(tr '\n' ' ' <"$M/tasks/$R1/ctl" | sed 's/ $//')"
check_eq "ctl of a STOPPED task: start, delete" "start delete" "$(tr '\n' ' ' <"$M/tasks/$S1/ctl" | sed 's/ $//')"
check_eq "ctl's size is exact" "$(cat "$M/tasks/$R1/ctl" | wc -c)" "$(stat -c %s "$M/tasks/$R1/ctl")"
check_eq "reading files sends nothing" "" "$(controls)"

# a verb the API takes, watched through the event stream
timeout 12 cat "$M/.viasfs/events" >"$TEST_TMP/events" 2>/dev/null &
EV=$!
sleep 0.3
check_eq "echo stop > tasks/R1/ctl succeeds" "0" "$(echo stop >"$M/tasks/$R1/ctl"; echo $?)"
check_eq "exactly one control request: stop of R1, 200" "stop 200 $R1" "$(controls)"
check "state shows STOPPING, then STOPPED, without waiting for --refresh (60 s)" \
    wait_for 8 grep -qx STOPPED "$M/tasks/$R1/state"
check "by-state/STOPPED now has it" wait_for 3 test -L "$M/by-state/STOPPED/$R1"
check "and by-state/RUNNING not" test ! -e "$M/by-state/RUNNING/$R1"
kill "$EV" 2>/dev/null
wait "$EV" 2>/dev/null
check "the event stream has the audit line (type control, verb stop, uid, pid, result ok)" \
    grep -q "\"type\":\"control\",\"verb\":\"stop\",\"task_id\":\"$R1\",\"part\":null,\"uid\":$(id -u),\"pid\":[0-9]*,\"result\":\"ok\"" "$TEST_TMP/events"
check "the event stream shows RUNNING -> STOPPING, then STOPPING -> STOPPED" \
    python3 -c '
import json, sys
seen = [(e.get("old"), e.get("new")) for e in map(json.loads, open(sys.argv[1]))
        if e.get("task_id") == sys.argv[2] and e.get("change") == "state"]
sys.exit(seen != [("RUNNING", "STOPPING"), ("STOPPING", "STOPPED")])' "$TEST_TMP/events" "$R1"
check "the log has the audit line at info level" \
    grep -q "info: control: stop of task $R1 by uid $(id -u) pid [0-9]*: done" "$TEST_TMP/viasfs-rw.log"

# a verb the API refuses: the task is stopped already
controls_reset
check_eq "echo stop > ctl of a STOPPED task: EINVAL" "Invalid argument" \
    "$(stderr_of bash -c "echo stop >'$M/tasks/$R1/ctl'" | sed 's/.*: //')"
check_eq "one request, refused with 400" "stop 400 $R1" "$(controls)"
check "the API's code is in .viasfs/errors" grep -q "VIAS\.000100" "$M/.viasfs/errors"

# an unknown verb: nothing sent
controls_reset
check_eq "echo frobnicate > ctl: EINVAL" "Invalid argument" \
    "$(stderr_of bash -c "echo frobnicate >'$M/tasks/$R2/ctl'" | sed 's/.*: //')"
check "and .viasfs/errors says it is not a verb" grep -q 'frobnicate.*is not a verb' "$M/.viasfs/errors"
check_eq "two verbs in one write: EINVAL" "Invalid argument" \
    "$(py_errno 'fd = os.open(p, os.O_WRONLY); os.write(fd, b"stop\nstart\n")' "$M/tasks/$R2/ctl")"
check_eq "nothing was sent" "" "$(controls)"

# start it again
check_eq "echo start > ctl of the STOPPED task succeeds" "0" "$(echo start >"$M/tasks/$R1/ctl"; echo $?)"
check "it is RUNNING again (STARTING first)" wait_for 8 grep -qx RUNNING "$M/tasks/$R1/state"

# delete: the directory and its links go
controls_reset
check_eq "echo delete > ctl succeeds" "0" "$(echo delete >"$M/tasks/$R3/ctl"; echo $?)"
check "tasks/R3 disappears" wait_for 10 test ! -e "$M/tasks/$R3"
check "ls tasks no longer lists it" sh -c "! ls '$M/tasks' | grep -qx '$R3'"
check "by-state/RUNNING no longer has it" test ! -e "$M/by-state/RUNNING/$R3"
check_eq "one request: delete" "delete 200 $R3" "$(controls)"

# ---- editing
F=$M/tasks/$R2/config.json
controls_reset
old=$(emu_task "$R2" config.common.frame_interval_ms)
check "sed -i on config.json succeeds" sed -i 's/"frame_interval_ms":[[:space:]]*[0-9]*/"frame_interval_ms": 4321/' "$F"
check_eq "one update request, answered 200" "update 200 $R2" "$(controls)"
check_eq "the API has the new value" "4321" "$(emu_task "$R2" config.common.frame_interval_ms)"
check "cat config.json shows it" grep -q '"frame_interval_ms":[[:space:]]*4321' "$F"
body=$(update_bodies)
check_eq "the update body names the task as the API does" "$(emu_task "$R2" name)" \
    "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["name"])' "$body")"
check_eq "the update body holds no \"***\"" "0" "$(grep -c '\*\*\*' <<<"$body")"
[ "$old" != 4321 ] || fail "the old value differed"

controls_reset
check "sed -i that matches nothing succeeds" sed -i 's/no-such-text/x/' "$F"
check_eq "and sends nothing" "" "$(controls)"

# a secret written back masked is kept
if [ -n "$RESTFUL" ]; then
    I=$M/tasks/$RESTFUL/input.json
    key=$(emu_task "$RESTFUL" input.data.0.headers.X-Api-Key)
    controls_reset
    check "input.json shows the secret masked" grep -q '"X-Api-Key":[[:space:]]*"\*\*\*"' "$I"
    check "sed -i on input.json (a URL) succeeds" sed -i 's#/api/v1/#/api/v2/#' "$I"
    check_eq "one update" "update 200 $RESTFUL" "$(controls)"
    check_eq "the API still holds the real secret" "$key" \
        "$(emu_task "$RESTFUL" input.data.0.headers.X-Api-Key)"
    check "the API has the new URL" sh -c "[ \"\$1\" != \"\${1#*/api/v2/}\" ]" _ \
        "$(emu_task "$RESTFUL" input.data.0.url)"
    check_eq "no \"***\" was sent" "0" "$(update_bodies | grep -c '\*\*\*')"
else
    fail "the data set has a restful input task"
fi

# invalid content: close fails, nothing sent
controls_reset
check_eq "writing invalid JSON to config.json: close fails with EINVAL" "Invalid argument" \
    "$(py_errno 'f = open(p, "w"); f.write("{\"common\":"); f.close()' "$F")"
check_eq "nothing was sent" "" "$(controls)"
check ".viasfs/errors says why" grep -q 'not JSON' "$M/.viasfs/errors"
check "config.json still shows the value" grep -q '"frame_interval_ms":[[:space:]]*4321' "$F"
check_eq "a JSON array in config.json: EINVAL" "Invalid argument" \
    "$(py_errno 'f = open(p, "w"); f.write("[1]"); f.close()' "$F")"

# the name
controls_reset
check_eq "echo renamed > name" "0" "$(echo renamed-task-1 >"$M/tasks/$R4/name"; echo $?)"
check_eq "the API has the new name" "renamed-task-1" "$(emu_task "$R4" name)"
check_eq "cat name shows it" "renamed-task-1" "$(cat "$M/tasks/$R4/name")"

# vim (its default settings; no swap file in ex mode)
if command -v vim >/dev/null; then
    controls_reset
    vim -u DEFAULTS -i NONE -es -c '%s/"frame_interval_ms":\s*\d\+/"frame_interval_ms": 777/' \
        -c wq "$F" </dev/null >/dev/null 2>&1
    check_eq "vim -es: one update" "update 200 $R2" "$(controls)"
    check_eq "vim -es: the API has the value" "777" "$(emu_task "$R2" config.common.frame_interval_ms)"
else
    skip "vim is not installed"
fi

# interactive vim (a terminal through script(1)): a swap file in the task directory (a draft),
# then the file written in place
if command -v vim >/dev/null && command -v script >/dev/null; then
    controls_reset
    TERM=xterm timeout 20 script -qec "vim -u DEFAULTS -i NONE -c '%s/\"frame_interval_ms\":\\s*\\d\\+/\"frame_interval_ms\": 778/' -c wq '$F'" /dev/null >/dev/null 2>&1
    check_eq "vim (interactive, swap file): one update" "update 200 $R2" "$(controls)"
    check_eq "vim: the API has the value" "778" "$(emu_task "$R2" config.common.frame_interval_ms)"
    check "vim: its swap file is gone" test ! -e "$M/tasks/$R2/.config.json.swp"
else
    skip "vim or script is not installed"
fi

# bash's echo > file: the shell opens, dup2s, and closes its first copy before it writes (a
# FLUSH before any data): nothing is taken then, and no error is kept for it
errs=$(grep -c . "$M/.viasfs/errors")
check_eq "echo renamed-task-2 > name (bash: a close before the write)" "0" \
    "$(bash -c "echo renamed-task-2 > '$M/tasks/$R4/name'"; echo $?)"
check_eq "the API has the new name" "renamed-task-2" "$(emu_task "$R4" name)"
check_eq "and .viasfs/errors gained no line" "$errs" "$(grep -c . "$M/.viasfs/errors")"
check_eq ": > config.json (truncation alone) sends nothing" "" "$(controls_reset; : >"$F"; controls)"

# tee and a plain redirection of a whole new content
controls_reset
cfg=$(cat "$F")
check "cat new.json > config.json (shell redirection) succeeds" \
    bash -c "sed 's/778/779/' <<<\"\$1\" > '$F'" _ "$cfg"
check_eq "the API has the value" "779" "$(emu_task "$R2" config.common.frame_interval_ms)"
check "tee config.json succeeds" bash -c "sed 's/778/780/' <<<\"\$1\" | tee '$F' >/dev/null" _ "$cfg"
check_eq "the API has the value" "780" "$(emu_task "$R2" config.common.frame_interval_ms)"
check_eq "two updates" "update 200 $R2,update 200 $R2" "$(controls | paste -sd,)"

# a temporary file outside a task's directory, or a task's own file removed: refused
check_eq "creating a file in tasks/ is refused (EROFS)" "Read-only file system" \
    "$(py_errno 'open(p, "w")' "$M/tasks/newfile")"
check_eq "rm tasks/X/config.json: EPERM" "Operation not permitted" \
    "$(py_errno 'os.unlink(p)' "$F")"
check_eq "a temporary file in a task's directory works (created, written, read, removed)" \
    "ok" "$(py_errno 'f = open(p, "w"); f.write("x" * 5000); f.close(); assert open(p).read() == "x" * 5000; os.unlink(p); assert not os.path.exists(p)' "$M/tasks/$R2/scratch.tmp")"

# an answer lost after the call was carried out: the task is read again, the write succeeds,
# and the call is not repeated
controls_reset
ctl PUT /_emulator/faults '{"endpoints":"action","drop":{"rate":1,"count":1,"after":true}}' >/dev/null
check_eq "echo stop > ctl whose answer is lost (carried out): succeeds" "ok" \
    "$(py_errno 'fd = os.open(p, os.O_WRONLY); os.write(fd, b"stop\n")' "$M/tasks/$R4/ctl")"
ctl DELETE /_emulator/faults >/dev/null
check_eq "one stop request, never repeated" "stop 0 $R4" "$(controls)"
check "the task stops" wait_for 8 grep -qx STOPPED "$M/tasks/$R4/state"
# and one lost before it was carried out: fails, not repeated
controls_reset
ctl PUT /_emulator/faults '{"endpoints":"action","drop":{"rate":1,"count":1}}' >/dev/null
check_eq "echo start > ctl whose request is lost: fails (EIO), not repeated" "Input/output error" \
    "$(py_errno 'fd = os.open(p, os.O_WRONLY); os.write(fd, b"start\n")' "$M/tasks/$R4/ctl")"
ctl DELETE /_emulator/faults >/dev/null
check_eq "one start request" "start 0 $R4" "$(controls)"
check ".viasfs/errors says it was not retried" grep -q 'not retried' "$M/.viasfs/errors"
check_eq "the task is still STOPPED" "STOPPED" "$(cat "$M/tasks/$R4/state")"

# Ctrl-C: a stalled call's writer gets EINTR at once; the call goes on and is reported
controls_reset
ctl PUT /_emulator/faults '{"endpoints":"action","stall_ms":2500,"stall":{"rate":1,"count":1}}' >/dev/null
# (the handler raises: Python would otherwise repeat the interrupted write itself, PEP 475)
python3 -c '
import os, signal, sys
class Interrupted(Exception): pass
def handler(*a): raise Interrupted()
signal.signal(signal.SIGINT, handler)
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    os.write(fd, b"start\n"); print("ok")
except Interrupted:
    print("interrupted")' "$M/tasks/$R4/ctl" >"$TEST_TMP/intr" 2>&1 &
W=$!
sleep 0.8
kill -INT "$W"
wait "$W"
check_eq "SIGINT during a stalled start: the write ends at once (interrupted)" "interrupted" "$(cat "$TEST_TMP/intr")"
check "the start still happens (the call was not abandoned)" wait_for 10 grep -qx RUNNING "$M/tasks/$R4/state"
ctl DELETE /_emulator/faults >/dev/null
check_eq "one start request" "start 200 $R4" "$(controls)"

# ---- the README's two loops: restart every failed task; a threshold across running tasks
controls_reset
failed=$(( $(ls "$M/by-state/FAILED" | grep -c .) + $(ls "$M/by-state/START_FAILED" | grep -c .) ))
check "for t in by-state/*FAILED/*; do echo start > \$t/ctl; done" \
    bash -c "for t in '$M'/by-state/FAILED/* '$M'/by-state/START_FAILED/*; do [ -e \"\$t\" ] || continue; echo start > \"\$t/ctl\" || exit 1; done"
check_eq "one start request per failed task ($failed)" "$failed" "$(controls | grep -c '^start 200 ')"
controls_reset
cfgs=("$M"/by-state/RUNNING/*/config.json) # the glob, once: restarted tasks arrive later
running=${#cfgs[@]}
run_ids=$(for f in "${cfgs[@]}"; do basename "$(dirname "$f")"; done)
check "sed -i over by-state/RUNNING/*/config.json (through the links)" \
    sed -i 's/"threshold":[[:space:]]*[0-9.]*/"threshold": 0.66/' "${cfgs[@]}"
n=$(controls | grep -c '^update 200 ')
check "one update per running task that has a threshold ($n of $running), no other request" \
    test "$n" -gt 0 -a "$n" -le "$running" -a "$(controls | grep -vc '^update 200 ')" = 0
check_eq "every task the glob found has threshold 0.66 at the API" "" \
    "$(for t in $run_ids; do v=$(emu_task "$t" config.common.threshold 2>/dev/null) && [ "$v" != 0.66 ] && echo "$t=$v"; done)"

# ---- creating
controls_reset
new=$(python3 -c '
import json, os, sys
body = {"service_name": "face", "name": "created-by-test",
        "input": {"type": "url", "data": [{"url": "rtsp://cam/1"}]},
        "output": {"webhook": {"url": "https://hook.example.com/x"}},
        "config": {"common": {"threshold": 0.5}}}
fd = os.open(sys.argv[1], os.O_RDWR)
os.write(fd, json.dumps(body).encode())
print(os.read(fd, 200).decode().strip())' "$M/.viasfs/create" 2>&1)
check "a create on .viasfs/create answers the new id on the same descriptor ($new)" \
    test -n "$new" -a -d "$M/tasks/$new"
check_eq "one create request" "create 200" "$(controls | cut -d' ' -f1,2)"
check_eq "the new task has its name" "created-by-test" "$(cat "$M/tasks/$new/name" 2>&1)"
check "ls tasks lists it" sh -c "ls '$M/tasks' | grep -qx '$new'"
controls_reset
check "echo '{...}' > .viasfs/create (bash: a close before the write) creates the task" \
    bash -c "echo '{\"service_name\":\"face\",\"name\":\"created-by-echo\",\"input\":{\"type\":\"url\",\"data\":[{\"url\":\"rtsp://cam/2\"}]},\"output\":{\"webhook\":{\"url\":\"https://h.example.com/y\"}}}' > '$M/.viasfs/create'"
check_eq "one create request" "create 200" "$(controls | cut -d' ' -f1,2)"
controls_reset
check_eq "an incomplete create: close fails with EINVAL" "Invalid argument" \
    "$(py_errno 'fd = os.open(p, os.O_WRONLY); os.write(fd, b"{\"service_name\": \"x\""); os.close(fd)' "$M/.viasfs/create")"
check_eq "a create without service_name: EINVAL" "Invalid argument" \
    "$(py_errno 'fd = os.open(p, os.O_WRONLY); os.write(fd, b"{\"name\": \"x\"}")' "$M/.viasfs/create")"
check_eq "nothing was sent" "" "$(controls)"

mnt_stop "$M"

# ---- other users (root mounts with -o allow_other; nobody may read what is public, not act)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    chmod 755 "$TEST_TMP" # nobody must reach the mountpoint
    mnt_start shared --allow-control -o allow_other --refresh=0 ||
        { fail "viasfs mounts with -o allow_other"; finish; exit; }
    controls_reset
    check_eq "another user reads state" "RUNNING" "$("${NOBODY[@]}" cat "$MNT/tasks/$R2/state" 2>&1)"
    check_eq "another user cannot write ctl (EACCES)" "Permission denied" \
        "$("${NOBODY[@]}" python3 -c '
import os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY); os.write(fd, b"stop\n"); print("ok")
except OSError as e:
    print(e.strerror)' "$MNT/tasks/$R2/ctl")"
    check "another user cannot sed -i config.json" \
        sh -c "! ${NOBODY[*]} sed -i 's/a/b/' '$MNT/tasks/$R2/config.json' 2>/dev/null"
    check "another user cannot create a task" \
        sh -c "! echo '{}' | ${NOBODY[*]} tee '$MNT/.viasfs/create' >/dev/null 2>&1"
    # a descriptor opened by root and handed to nobody: refused at the write
    check_eq "a ctl descriptor handed to another user: the write is refused" "Permission denied" \
        "$(python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
pid = os.fork()
if pid == 0:
    os.setgid(65534); os.setuid(65534)
    try:
        os.write(fd, b"stop\n"); print("ok")
    except OSError as e:
        print(e.strerror)
    os._exit(0)
os.waitpid(pid, 0)' "$MNT/tasks/$R2/ctl")"
    check_eq "nothing was sent" "" "$(controls)"
    mnt_stop "$MNT"
else
    skip "other users: needs root and setpriv"
fi
finish
