#!/usr/bin/env bash
# inotify, with --refresh=1: `inotifywait -m` on a task's state file, on its directory and on
# by-state/OLD/ and by-state/NEW/ reports a state change (MODIFY or ATTRIB on the file, CREATE
# in NEW, DELETE in OLD), and a task added (CREATE) and removed (DELETE) in their by-state
# directories; nothing for a task that did not change, and nothing more in three refresh
# periods without a change. With --no-inotify (same emulator, same changes, watched the same
# way) none of these are reported, while .viasfs/events still gets its lines.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch inotifywait

emu_start --tasks 60 --seed 14 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount ino --refresh=1 || { echo "Bail out! mount failed"; exit 1; }
M1=$MNT
w_mount ino-off --refresh=1 --no-inotify || { echo "Bail out! mount failed"; exit 1; }
M2=$MNT

states_now >"$TEST_TMP/before"
mapfile -t running < <(awk '$2 == "RUNNING" { print $1 }' "$TEST_TMP/before" | head -2)
A=${running[0]} B=${running[1]}
D=$(awk '$2 == "STOPPED" { print $1; exit }' "$TEST_TMP/before")

watch_mount() { # MOUNT LABEL
    # Look every watched name up first, as a watcher's own `ls` would.
    ls "$1/by-state/RUNNING" "$1/by-state/STOPPED" >/dev/null
    if ino_start "$TEST_TMP/inw-$2" "$1/tasks/$A/state" "$1/tasks/$A" "$1/tasks/$B/state" \
        "$1/by-state/RUNNING" "$1/by-state/STOPPED"; then
        ok "$2: inotifywait -m established its watches"
    else
        fail "$2: inotifywait -m established its watches"
        sed 's/^/#   /' "$TEST_TMP/inw-$2.err"
    fi
    INO_PID=$BG_PID
    bg "$TEST_TMP/ev-$2" cat "$1/.viasfs/events"
    EV_PID=$BG_PID
    wait_opened "$1/.viasfs/events" "$EV_PID"
}
watch_mount "$M1" on
INO1=$INO_PID EV1=$EV_PID
watch_mount "$M2" off
INO2=$INO_PID EV2=$EV_PID

# Every change at once: A RUNNING -> STOPPED, a task added, D (STOPPED) removed.
set_state "$A" STOPPED >/dev/null
N=$(ctl POST /_emulator/tasks '{"count":1}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ids"][0])')
state_n=$(ctl GET "/_emulator/tasks/$N" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["task"]["state"])')
ctl DELETE "/_emulator/tasks/$D" >/dev/null
diag "added task $N is $state_n"
[ "$state_n" = RUNNING ] || [ "$state_n" = STOPPED ] ||
    diag "(its by-state directory is not watched: only the other checks apply to it)"

# Wait for both event streams (3 lines each), then for inotify to settle.
wait_until 6 eval "[ \$(nlines '$TEST_TMP/ev-on') -ge 3 ] && [ \$(nlines '$TEST_TMP/ev-off') -ge 3 ]"
wait_until 4 grep -q "|DELETE|$D\$" "$TEST_TMP/inw-on"
sleep 1

# count LABEL REGEX: watch events (of the kinds that mean a change) matching REGEX.
changes() { grep -E '\|(MODIFY|ATTRIB|CREATE|DELETE|DELETE_SELF|MOVED_TO|MOVED_FROM|CLOSE_WRITE)' "$TEST_TMP/inw-$1"; }
count() { changes "$1" | grep -cE "$2"; }
S=$M1/tasks/$A/state
check "inotify: MODIFY or ATTRIB on the changed state file" \
    eval "[ \$(count on '^${S//./\\.}\\|(MODIFY|ATTRIB)') -ge 1 ]"
check "inotify: MODIFY or ATTRIB for state in a watch on the task's directory" \
    eval "[ \$(count on '^$M1/tasks/$A/\\|(MODIFY|ATTRIB)(,[A-Z_]*)?\\|state\$') -ge 1 ]"
check_eq "inotify: CREATE of the task in by-state/STOPPED/ (once)" "1" \
    "$(count on "^$M1/by-state/STOPPED/\|CREATE\|$A\$")"
check_eq "inotify: DELETE of the task in by-state/RUNNING/ (once)" "1" \
    "$(count on "^$M1/by-state/RUNNING/\|DELETE\|$A\$")"
check_eq "inotify: DELETE of the removed task in by-state/STOPPED/ (once)" "1" \
    "$(count on "^$M1/by-state/STOPPED/\|DELETE\|$D\$")"
if [ "$state_n" = RUNNING ] || [ "$state_n" = STOPPED ]; then
    check_eq "inotify: CREATE of the added task in by-state/$state_n/ (once)" "1" \
        "$(count on "^$M1/by-state/$state_n/\|CREATE\|$N\$")"
fi
check_eq "inotify: nothing for the unchanged task's state file" "" \
    "$(grep -F "$M1/tasks/$B/state|" "$TEST_TMP/inw-on")"
check_eq "inotify: no CREATE/DELETE in by-state for any other task" "" \
    "$(changes on | grep -E '\|(CREATE|DELETE)' | grep -vE "\|($A|$D|$N)\$")"
check_eq "events stream (inotify on): 3 lines" "3" "$(nlines "$TEST_TMP/ev-on")"

check_eq "--no-inotify: no MODIFY/ATTRIB/CREATE/DELETE at all" "" "$(changes off)"
check_eq "--no-inotify: the events stream still got its 3 lines" "3" "$(nlines "$TEST_TMP/ev-off")"
check_eq "--no-inotify: the same lines as with inotify (change, task, old, new)" \
    "$("$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/ev-on" | sort)" \
    "$("$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/ev-off" | sort)"

# Nothing more in three refresh periods without a change.
n_on=$(changes on | wc -l)
sleep 3.5
check_eq "inotify: no further MODIFY/ATTRIB/CREATE/DELETE in 3 refresh periods" "$n_on" "$(changes on | wc -l)"
check_eq "--no-inotify: still nothing" "" "$(changes off)"
# The notifier's own operations must not have been refused or left traces.
check_eq "by-state/STOPPED lists the task once, by-state/RUNNING not" "$A" \
    "$(ls "$M1/by-state/STOPPED" "$M1/by-state/RUNNING" | grep -x "$A")"
check_eq "the log has no inotify helper failure" "" \
    "$(grep -i 'inotify helper' "$TEST_TMP/viasfs-ino.log")"
# The watches were live all along: a read of the state file shows up in both.
cat "$M1/tasks/$A/state" "$M2/tasks/$A/state" >/dev/null
for l in on off; do
    m=$M1; [ $l = off ] && m=$M2
    check "$l: the watches are live (a read of the state file is reported: OPEN)" \
        wait_until 3 grep -qF "$m/tasks/$A/state|OPEN|" "$TEST_TMP/inw-$l"
done
diag "inotify (on) saw: $(changes on | sed "s|$M1/||" | tr '\n' ' ')"

bg_end "$INO1"
bg_end "$INO2"
bg_end "$EV1"
bg_end "$EV2"
w_stop "$M1"
w_stop "$M2"
finish
