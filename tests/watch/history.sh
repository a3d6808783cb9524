#!/usr/bin/env bash
# tasks/<id>/history (issue 16), with --refresh=1, in pairs: its first line is the state when
# the task was first seen (old null); a state change adds one line (old, new, the time seen,
# and updated_at when the change came with the task's detail), oldest first; its size is exact
# (stat = bytes read); the change wakes poll() on an open history file and inotify watchers of
# it (MODIFY or ATTRIB), while an untouched task's history gets no line, no wake-up and no
# inotify event; `ls` of a task directory lists it. The bound per task is in test_history.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch inotifywait

emu_start --tasks 40 --seed 21 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount hist --refresh=1 || { echo "Bail out! mount failed"; exit 1; }
M=$MNT
states_now >"$TEST_TMP/before"
mapfile -t run < <(awk '$2 == "RUNNING" { print $1 }' "$TEST_TMP/before" | head -3)
A=${run[0]} B=${run[1]} C=${run[2]}
# hist ID: the history as "old>new|updated_at-is-null" per line, from the JSON.
hist() {
    "$PY" - "$M/tasks/$1/history" <<'PYEOF'
import json, sys, datetime
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert list(e) == ["time", "old", "new", "updated_at"], list(e)
    datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    print("%s>%s|%s" % (e["old"], e["new"], e["updated_at"] is None))
PYEOF
}
size_ok() { [ "$(stat -c %s "$M/tasks/$1/history")" = "$(wc -c <"$M/tasks/$1/history")" ]; }

check "ls tasks/<id> lists history" eval "ls '$M/tasks/$A' | grep -qx history"
check_eq "first line: the state when first seen, old null, no updated_at from a list summary" \
    "None>RUNNING|True" "$(hist "$A")"
check "its size is exact (stat = bytes read)" size_ok "$A"

# C's detail is held (its status file is open: the refresh keeps it fresh), so its change
# comes with the detail's updated_at.
bg "$TEST_TMP/poll-c" "$POLL_STATE" "$M/tasks/$C/status" 30
PC=$BG_PID
sleep 0.5
bg "$TEST_TMP/poll-a" "$POLL_STATE" "$M/tasks/$A/history" 30
PA=$BG_PID
bg "$TEST_TMP/poll-b" "$POLL_STATE" "$M/tasks/$B/history" 30
PB=$BG_PID
ino_start "$TEST_TMP/inw" "$M/tasks/$A/history" "$M/tasks/$B/history" ||
    diag "inotifywait did not establish its watches"
INW=$BG_PID
wait_until 5 test -s "$TEST_TMP/poll-a"
size_before=$(stat -c %s "$M/tasks/$A/history")
set_state "$A" STOPPED >/dev/null
upd_c=$(set_state "$C" STOPPED)
wait_until 6 eval "[ \$(wc -l <'$M/tasks/$A/history') -ge 2 ]"
wait_until 6 eval "[ \$(wc -l <'$M/tasks/$C/history') -ge 2 ]"
sleep 1.5 # a refresh period more: nothing else may come
check_eq "a change: one more line, old RUNNING new STOPPED, oldest first" \
    "$(printf '%s\n' 'None>RUNNING|True' 'RUNNING>STOPPED|True')" "$(hist "$A")"
check "its size grew and is exact" eval "size_ok '$A' && [ \$(stat -c %s '$M/tasks/$A/history') -gt $size_before ]"
check_eq "a change seen with the detail: updated_at is the API's" "$upd_c" \
    "$("$PY" -c 'import json,sys,datetime
e = json.loads(open(sys.argv[1]).readlines()[-1])
t = datetime.datetime.strptime(e["updated_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(round(t.timestamp() * 1000))' "$M/tasks/$C/history")"
check_eq "the pair: an untouched task's history still has its one line" "None>RUNNING|True" "$(hist "$B")"
check "poll() on the changed history woke, and re-read it with the new line" \
    grep -q '"old":"RUNNING","new":"STOPPED"' "$TEST_TMP/poll-a"
check_eq "the pair: poll() on the untouched one did not wake (one read only)" "1" "$(nlines "$TEST_TMP/poll-b")"
check "inotify: MODIFY or ATTRIB on the changed history" \
    grep -qE "^$M/tasks/$A/history\|(MODIFY|ATTRIB)" "$TEST_TMP/inw"
check_eq "the pair: inotify: nothing on the untouched one" "" \
    "$(grep -E "^$M/tasks/$B/history\|(MODIFY|ATTRIB)" "$TEST_TMP/inw")"
bg_end "$INW"
bg_end "$PA"
bg_end "$PB"
bg_end "$PC"
w_stop "$M"
finish
