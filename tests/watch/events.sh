#!/usr/bin/env bash
# .viasfs/events with --refresh=1: `cat` streams exactly one JSON line per change, with the right
# fields (time, task_id, task_name, change, old, new), for a state change, a task added, a task
# removed, a rename, and the detail fields (status, error) of a task whose files are open when
# it fails; no line while nothing changes; two readers each get every line, a reader opened
# later gets the lines from then on; Ctrl-C (SIGINT) ends a blocked reader at once; an
# O_NONBLOCK read with nothing new gives EAGAIN; poll(POLLIN) waits for the next line.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch

emu_start --tasks 60 --seed 13 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount ev --refresh=1 || { echo "Bail out! mount failed"; exit 1; }
M=$MNT
EV=$M/.viasfs/events
T_START=$(date +%s%3N)

states_now >"$TEST_TMP/before"
mapfile -t running < <(awk '$2 == "RUNNING" { print $1 }' "$TEST_TMP/before" | head -2)
A=${running[0]} F=${running[1]}
mapfile -t others < <(awk '$2 == "STOPPED" { print $1 }' "$TEST_TMP/before" | head -2)
D=${others[0]} E=${others[1]}
field() { ctl GET "/_emulator/tasks/$1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["task"][sys.argv[1]])' "$2"; }
exists() { stat "$1" >/dev/null 2>&1; }

# Two readers from the start; the open status file of F makes viasfs keep F's detail fresh.
bg "$TEST_TMP/r1" cat "$EV"
R1=$BG_PID
bg "$TEST_TMP/r2" cat "$EV"
R2=$BG_PID
bg "$TEST_TMP/poll-f" "$POLL_STATE" "$M/tasks/$F/status" 60
PF=$BG_PID
wait_opened "$EV" "$R1" "$R2"

# While nothing happens: Ctrl-C on a blocked reader, and an O_NONBLOCK reader that then polls.
mkdir -p "$TEST_TMP/flags"
bg "$TEST_TMP/evclient" "$PY" "$WATCH_DIR/evclient.py" "$EV" "$TEST_TMP/flags"
EC=$BG_PID
"$PY" "$WATCH_DIR/sigint.py" 1.5 cat "$EV" >"$TEST_TMP/sigint"
sig() { awk -F'\t' -v k="$1" '$1 == k { print $2 "\t" $3 }' "$TEST_TMP/sigint"; }
check_eq "Ctrl-C: the reader was blocked in read (running, state S) before the signal" \
    "yes	S" "$(sig blocked)"
r=$(sig ended)
case "${r%%	*}" in
-2 | 130) ok "Ctrl-C: the blocked reader ended by SIGINT (status ${r%%	*})" ;;
*) fail "Ctrl-C: the blocked reader ended by SIGINT"; diag "$(cat "$TEST_TMP/sigint")" ;;
esac
if [ -n "$r" ] && awk -v s="${r#*	}" 'BEGIN { exit !(s < 1.0) }'; then
    ok "Ctrl-C: it ended at once (${r#*	} s)"
else
    fail "Ctrl-C: it ended at once (under 1 s)"
    diag "$(cat "$TEST_TMP/sigint")"
fi
check_eq "Ctrl-C: the reader got nothing while nothing changed" "0" "$(sig stdout | cut -f1)"
wait_until 8 test -e "$TEST_TMP/flags/armed" || diag "evclient did not arm"

# n_lines FILE N: wait (5 s at most) until FILE has at least N lines, then a little more, so
# that a line doubled in the same walk shows up too (one doubled by a later walk shows up in
# the next step or in the quiet period at the end).
n_lines() {
    wait_until 5 eval "[ \$(nlines '$1') -ge $2 ]"
    sleep 0.3
}
# step_lines FROM: the normalized lines of reader 1 after the first FROM.
step_lines() { "$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/r1" "$T_START" "$(date +%s%3N)" | tail -n +$(($1 + 1)); }

check_eq "no line before any change (reader 1)" "0" "$(nlines "$TEST_TMP/r1")"

# 1. A state change.
name_a=$(field "$A" name)
set_state "$A" STOPPED >/dev/null
n_lines "$TEST_TMP/r1" 1
check_eq "state change: exactly one line, change=state old=RUNNING new=STOPPED" \
    "state	$A	$name_a	RUNNING	STOPPED" "$(step_lines 0)"
wait_until 5 eval "! alive $EC"
ecl() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$TEST_TMP/evclient"; }
check_eq "O_NONBLOCK read with nothing new: EAGAIN" "EAGAIN" "$(ecl nb_idle)"
check_eq "poll(POLLIN) on events: no wake-up in 2 s with nothing new" "none" "$(ecl poll_idle)"
check_eq "poll(POLLIN) on events: wakes with POLLIN for the next line" "IN" "$(ecl poll_wake)"
check "O_NONBLOCK read after the wake-up: that line" \
    eval "ecl nb_read | grep -q '\"task_id\":\"$A\",.*\"change\":\"state\"'"
check_eq "O_NONBLOCK read once more: EAGAIN" "EAGAIN" "$(ecl nb_after)"

# A reader opened now gets the lines from now on only.
bg "$TEST_TMP/r3" cat "$EV"
R3=$BG_PID
wait_opened "$EV" "$R3"

# 2. At once: a task added, a task removed (its names cached in the kernel first), a rename,
# and F (whose detail viasfs keeps fresh) failing: the state and the two detail fields that
# change with it (status, error) each give one line.
name_d=$(field "$D" name)
name_e=$(field "$E" name)
name_f=$(field "$F" name)
stat "$M/tasks/$D" "$M/by-state/STOPPED/$D" >/dev/null
N=$(ctl POST /_emulator/tasks '{"count":1}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ids"][0])')
ctl DELETE "/_emulator/tasks/$D" >/dev/null
ctl PUT "/_emulator/tasks/$E" '{"name":"renamed-by-events-test"}' >/dev/null
code=$(ctl PUT "/_emulator/tasks/$F/state" '{"state":"FAILED","status":"disk full"}' |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["error"]["code"])')
name_n=$(field "$N" name)
state_n=$(field "$N" state)
n_lines "$TEST_TMP/r1" 7
step_lines 1 >"$TEST_TMP/step2"
expect_line() {
    check_eq "$1: exactly one line $2" "1" "$(grep -cxF "$3" "$TEST_TMP/step2")"
}
expect_line "task added" "change=added old=null new=its state" "added	$N	$name_n	null	$state_n"
expect_line "task removed" "change=removed old=STOPPED new=null" "removed	$D	$name_d	STOPPED	null"
expect_line "rename" "change=name old=<old name> new=<new name>, task_name the new name" \
    "name	$E	renamed-by-events-test	$name_e	renamed-by-events-test"
expect_line "failure (detail kept fresh)" "change=state old=RUNNING new=FAILED" \
    "state	$F	$name_f	RUNNING	FAILED"
expect_line "failure (detail kept fresh)" "change=status old=null new=\"disk full\"" \
    "status	$F	$name_f	null	disk full"
expect_line "failure (detail kept fresh)" "change=error old=null new=$code" \
    "error	$F	$name_f	null	$code"
check_eq "no other line for these changes" "" "$(grep -vE "^(added	$N|removed	$D|name	$E|(state|status|error)	$F)	" "$TEST_TMP/step2")"
check "task added: tasks/<id> exists" exists "$M/tasks/$N"
check "task added: by-state/$state_n/<id> exists" exists "$M/by-state/$state_n/$N"
check "task removed: tasks/<id> is gone" eval "! exists '$M/tasks/$D'"
check "task removed: by-state/STOPPED/<id> is gone" eval "! exists '$M/by-state/STOPPED/$D'"
check_eq "failure: the open status file reads the new status" "disk full" "$(tail -1 "$TEST_TMP/poll-f")"
bg_end "$PF"

# Nothing more may come: three refresh periods without a change.
before=$(nlines "$TEST_TMP/r1")
sleep 3.5
check_eq "no line in 3 refresh periods without a change" "$before" "$(nlines "$TEST_TMP/r1")"
check_eq "every line is valid JSON with the 6 fields and a time within the test" "" \
    "$("$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/r1" "$T_START" "$(date +%s%3N)" | grep -E '^(BAD|PARTIAL)')"
check_eq ".viasfs/status counts every event line" "events: $(nlines "$TEST_TMP/r1")" \
    "$(grep '^events:' "$M/.viasfs/status")"
check "two readers got the same lines" cmp -s "$TEST_TMP/r1" "$TEST_TMP/r2"
check_eq "a reader opened after the first line got every line after it, not before" \
    "$(tail -n +2 "$TEST_TMP/r1")" "$(cat "$TEST_TMP/r3")"
check "the readers are still blocked (running) after all that" eval "alive $R1 && alive $R2 && alive $R3"
diag "lines: $(nlines "$TEST_TMP/r1")"

bg_end "$R1"
bg_end "$R2"
bg_end "$R3"
w_stop "$M"
finish
