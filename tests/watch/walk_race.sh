#!/usr/bin/env bash
# A task removed while a walk is between its pages. 1200 tasks make two list pages; the
# emulator answers each API call after 500 ms, so page 2 is asked for 0.5 s into the walk and
# computed at 1.0 s; the task at the top of page 1 is deleted in between, and the 1001st task
# slides from page 2 onto the already-fetched page 1, unseen by that walk. The removed task
# must give exactly one "removed" line and no other task any line: the slider still exists
# (it must not be reported removed and then added back, nor vanish from the tree meanwhile).
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch

emu_start --tasks 1200 --seed 16 --latency 500 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount race --refresh=2 || { echo "Bail out! mount failed"; exit 1; }
M=$MNT
bg "$TEST_TMP/r1" cat "$M/.viasfs/events"
R1=$BG_PID
wait_opened "$M/.viasfs/events" "$R1"

# The newest task (top of page 1) goes; the 1001st (top of page 2) slides onto page 1.
curl -sS -g -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["id"])' >"$TEST_TMP/newest"
curl -sS -g -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000&page=2" |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["id"])' >"$TEST_TMP/slider"
GONE=$(cat "$TEST_TMP/newest")
SLIDER=$(cat "$TEST_TMP/slider")

walks() { awk '/^list_walks:/ { print $2 }' "$M/.viasfs/status"; }
w0=$(walks)
wait_until 5 eval "[ \$(walks) -gt $w0 ]"
t0=$(date +%s%3N)
sleep 0.6
t_del=$(($(date +%s%3N) - t0))
ctl DELETE "/_emulator/tasks/$GONE" >/dev/null
check "(the deletion landed while page 2 was asked for: $t_del ms after the walk started, in 550..900)" \
    eval "[ $t_del -ge 550 ] && [ $t_del -le 900 ]"
# Is the slider still in the tree while the next walks run?
missing=0
for _ in $(seq 1 40); do
    stat "$M/tasks/$SLIDER" >/dev/null 2>&1 || missing=$((missing + 1))
    sleep 0.1
done
"$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/r1" >"$TEST_TMP/lines"
check_eq "the removed task: exactly one removed line" "1" \
    "$(grep -c "^removed	$GONE	" "$TEST_TMP/lines")"
check_eq "no line for any other task" "" "$(grep -v "	$GONE	" "$TEST_TMP/lines")"
check_eq "the task that slid onto page 1 never disappeared from tasks/ (40 stats over 4 s)" \
    "0" "$missing"
check "tasks/ lists the slider" eval "ls '$M/tasks' | grep -qx '$SLIDER'"

bg_end "$R1"
w_stop "$M"
finish
