#!/usr/bin/env bash
# Long event lines and small reads: a task renamed to a 1000-character CJK name (a ~6 KB
# "name" line), then to another (a ~9 KB line: old and new names both long). Every reader of
# .viasfs/events gets every byte of every line, whatever its read size: `cat` (128 KiB reads),
# `dd bs=64` (64-byte reads, as a pipe would serve them) and Python's `for line in open(...)`
# (8 KiB buffered reads) all get the same two complete JSON lines; nothing while nothing
# changes.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch

emu_start --tasks 30 --seed 19 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount long --refresh=1 || { echo "Bail out! mount failed"; exit 1; }
M=$MNT
EV=$M/.viasfs/events
bg "$TEST_TMP/cat" cat "$EV"
PC=$BG_PID
bg "$TEST_TMP/dd" dd if="$EV" bs=64 status=none
PD=$BG_PID
bg "$TEST_TMP/py" "$PY" -c '
import json, sys
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    try:
        json.loads(line)
        print("json", len(line.encode()), flush=True)
    except ValueError:
        print("broken", len(line.encode()), flush=True)
    if i == 1:
        break' "$EV"
PP=$BG_PID
wait_opened "$EV" "$PC" "$PD" "$PP"
A=$(states_now | awk '$2 == "RUNNING" { print $1; exit }')
name0=$(ctl GET "/_emulator/tasks/$A" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["task"]["name"])')
long1=$("$PY" -c 'print("长" * 1000)')
long2=$("$PY" -c 'print("短" * 1000)')

ctl PUT "/_emulator/tasks/$A" "{\"name\":\"$long1\"}" >/dev/null
wait_until 5 eval "[ \$(nlines '$TEST_TMP/cat') -ge 1 ]"
ctl PUT "/_emulator/tasks/$A" "{\"name\":\"$long2\"}" >/dev/null
wait_until 5 eval "[ \$(nlines '$TEST_TMP/cat') -ge 2 ]"
sleep 2.5
check_eq "cat: two lines" "2" "$(nlines "$TEST_TMP/cat")"
check_eq "cat: both are the name changes, complete" \
    "name	$A	$long1	$name0	$long1
name	$A	$long2	$long1	$long2" "$("$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/cat")"
diag "line sizes: $(awk '{ print length($0) + 1 }' "$TEST_TMP/cat" | tr '\n' ' ')bytes (cat), $(wc -c <"$TEST_TMP/dd") bytes in all (dd bs=64)"
check "dd bs=64 got the same bytes as cat" cmp -s "$TEST_TMP/cat" "$TEST_TMP/dd"
check_eq "python line iteration: two complete JSON lines of the same sizes" \
    "$(awk '{ print "json", length($0) + 1 }' "$TEST_TMP/cat")" "$(cat "$TEST_TMP/py")"
check "cat and dd still follow the stream" eval "alive $PC && alive $PD"
sleep 1.5
check_eq "nothing more while nothing changes" "2" "$(nlines "$TEST_TMP/cat")"

bg_end "$PC"
bg_end "$PD"
bg_end "$PP"
w_stop "$M"
finish
