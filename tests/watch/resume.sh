#!/usr/bin/env bash
# Resumable events (issue 16), in pairs: every .viasfs/events line carries "seq", one more per
# line; a descriptor opened read-write that writes "since N" gets the retained events after N
# in order, then the live ones, on that descriptor only (a plain reader sees no difference);
# when some after N are no longer retained (a window of 2 lines here, VIASFS_EVENTS_RETAIN),
# its first line is {"type":"lost"} naming the range, and when all are, none is; a number this
# mount never gave is "lost" too; anything else written is EINVAL; another user (allow_other)
# reads but cannot open it for writing; status and metrics show the window.
# examples/follow-resume.sh, stopped and restarted: it prints the changes made while it was
# down, once each, without a re-scan; with no state (or the window past), it re-scans.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch

emu_start --tasks 40 --seed 5 || { echo "Bail out! emulator did not start"; exit 1; }
states_now >"$TEST_TMP/before"
mapfile -t run < <(awk '$2 == "RUNNING" { print $1 }' "$TEST_TMP/before" | head -8)
[ "${#run[@]}" = 8 ] || { echo "Bail out! fewer than 8 RUNNING tasks"; exit 1; }
mapfile -t stopped < <(awk '$2 == "STOPPED" { print $1 }' "$TEST_TMP/before" | head -4)
[ "${#stopped[@]}" = 4 ] || { echo "Bail out! fewer than 4 STOPPED tasks"; exit 1; }

# since EVENTS TEXT COUNT [SECONDS [UID]]: what a read-write descriptor gets after writing TEXT.
since() { "$PY" "$WATCH_DIR/since.py" "$1" "$2" "$3" "${4:-3}" ${5:+"$5"}; }
seq_of() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$1"; }
field_of() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2]))' "$1" "$2"; }
# change ID STATE OUT N: one state change, then wait until OUT has N lines.
change() {
    set_state "$1" "$2" >/dev/null
    wait_until 5 eval "[ \$(nlines '$3') -ge $4 ]" || diag "no event line for $1 within 5 s"
}

# ---- 1. Every line retained: resume without loss.
w_mount res --refresh=1 || { echo "Bail out! mount failed"; exit 1; }
M=$MNT EV=$MNT/.viasfs/events
bg "$TEST_TMP/plain" cat "$EV"
PLAIN=$BG_PID
wait_opened "$EV" "$PLAIN"
change "${run[0]}" STOPPED "$TEST_TMP/plain" 1
change "${run[1]}" STOPPED "$TEST_TMP/plain" 2
change "${run[2]}" STOPPED "$TEST_TMP/plain" 3
check_eq "three changes: three lines, each with a seq one more than the line before's" "" \
    "$("$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/plain" | grep -E '^(BAD|PARTIAL)')"
mapfile -t L <"$TEST_TMP/plain"
S1=$(seq_of "${L[0]}") S3=$(seq_of "${L[2]}")
diag "seq of the three lines: $S1..$S3"
check_eq "since <first>: the two retained lines after it, in order, no lost line" \
    "$(printf '%s\n' "${L[1]}" "${L[2]}")" "$(since "$EV" "since $S1"$'\n' 3 2)"
check_eq "the pair: since <first - 1>: all three" "$(printf '%s\n' "${L[@]}")" \
    "$(since "$EV" "since $((S1 - 1))" 4 2)"
check_eq "since <last>: nothing (until the next change)" "" "$(since "$EV" "since $S3" 1 1.5)"

# Retained, then live, on that descriptor only.
bg "$TEST_TMP/resumed" "$PY" "$WATCH_DIR/since.py" "$EV" "since $S1" 3 8
RES=$BG_PID
wait_until 5 eval "[ \$(nlines '$TEST_TMP/resumed') -ge 2 ]"
change "${run[3]}" STOPPED "$TEST_TMP/plain" 4
wait_until 5 eval "! alive $RES"
mapfile -t L <"$TEST_TMP/plain"
check_eq "the resumed descriptor got the two retained lines, then the live one" \
    "$(printf '%s\n' "${L[1]}" "${L[2]}" "${L[3]}")" "$(cat "$TEST_TMP/resumed")"
check_eq "the plain reader got each line once, nothing replayed" "4" "$(nlines "$TEST_TMP/plain")"
check_eq "the plain reader's lines are the 4 changes, in order" "" \
    "$("$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/plain" | grep -E '^(BAD|PARTIAL)')"

# A number this mount never gave: lost, said so, then the live stream.
out=$(since "$EV" "since $((S3 + 100))" 1 2)
check_eq "since <a number ahead of this mount>: first line type lost" "lost" "$(field_of "$out" type)"
check_eq "... naming this mount's range up to its last line" "$(seq_of "${L[3]}")" "$(field_of "$out" to)"

for bad in "hello" "since" "since -1" "since 12x" "since 1 2" $'since 1\nsince 2'; do
    check_eq "write '${bad//$'\n'/\\n}': EINVAL" "ERR Invalid argument" "$(since "$EV" "$bad" 1 0.2)"
done
check "a read-only open still works: cat (O_RDONLY) is unchanged" \
    eval "timeout 1 cat '$EV' >/dev/null; [ \$? = 124 ]"
bg_end "$PLAIN"

# The follower example: a first start re-scans (it has no state); a restart resumes.
FR=examples/follow-resume.sh ST=$TEST_TMP/follower.seq
bg "$TEST_TMP/fr1" "$FR" "$M" "$ST"
FR1=$BG_PID
wait_until 10 grep -q "^scan ${run[0]} " "$TEST_TMP/fr1"
set_state "${run[4]}" STOPPED >/dev/null
wait_until 5 grep -q "\"task_id\":\"${run[4]}\"" "$TEST_TMP/fr1"
check_eq "follower, first start (no state): re-scans every task" "$(wc -l <"$TEST_TMP/before")" \
    "$(grep -c '^scan ' "$TEST_TMP/fr1")"
check "follower: prints a live change" grep -q "\"task_id\":\"${run[4]}\",.*\"new\":\"STOPPED\"" "$TEST_TMP/fr1"
wait_until 3 eval "[ \"\$(cat '$ST' 2>/dev/null)\" = \"\$(seq_of \"\$(tail -1 '$TEST_TMP/fr1')\")\" ]"
bg_end "$FR1"
set_state "${run[5]}" STOPPED >/dev/null
set_state "${run[6]}" STOPPED >/dev/null
sleep 2.5 # two refresh periods: both changes are events now, with nobody following
bg "$TEST_TMP/fr2" "$FR" "$M" "$ST"
FR2=$BG_PID
wait_until 5 eval "[ \$(nlines '$TEST_TMP/fr2') -ge 2 ]"
sleep 0.5
check_eq "follower, restarted: exactly the two changes made while it was down, no re-scan" \
    "${run[5]} ${run[6]}" "$("$PY" -c 'import json,sys
print(" ".join(json.loads(l).get("task_id", "?") for l in open(sys.argv[1])))' "$TEST_TMP/fr2")"
bg_end "$FR2"
rm -f "$ST"
bg "$TEST_TMP/fr3" "$FR" "$M" "$ST"
FR3=$BG_PID
wait_until 10 grep -q "^scan ${run[5]} " "$TEST_TMP/fr3" # the scan goes in id order
check "the pair: restarted without its state file: re-scans instead" grep -q "^scan ${run[5]} STOPPED" "$TEST_TMP/fr3"
bg_end "$FR3"
w_stop "$M"

# ---- 2. A window of 2 lines: events after N dropped, said once, first.
export VIASFS_EVENTS_RETAIN=2
chmod 755 "$TEST_TMP" # another user must reach the mountpoint
w_mount lost --refresh=1 -o allow_other || { echo "Bail out! mount failed"; exit 1; }
unset VIASFS_EVENTS_RETAIN
M=$MNT EV=$MNT/.viasfs/events
bg "$TEST_TMP/plain2" cat "$EV"
PLAIN=$BG_PID
wait_opened "$EV" "$PLAIN"
for i in 0 1 2 3; do change "${stopped[$i]}" RUNNING "$TEST_TMP/plain2" $((i + 1)); done
mapfile -t L <"$TEST_TMP/plain2"
S1=$(seq_of "${L[0]}") S2=$(seq_of "${L[1]}") S3=$(seq_of "${L[2]}")
out=$(since "$EV" "since $S1" 3 2)
first=$(echo "$out" | head -1)
check_eq "since <first> with 2 lines retained: first line is type lost" "lost" "$(field_of "$first" type)"
check_eq "... naming the dropped range (from, to, seq)" "$((S1 + 1)) $S2 $S2" \
    "$(field_of "$first" from) $(field_of "$first" to) $(field_of "$first" seq)"
check_eq "... then the two retained lines" "$(printf '%s\n' "${L[2]}" "${L[3]}")" \
    "$(echo "$out" | tail -n +2)"
check_eq "the pair: since <second> (everything after it retained): those two, no lost line" \
    "$(printf '%s\n' "${L[2]}" "${L[3]}")" "$(since "$EV" "since $S2" 3 1.5)"
check "status shows the window: 2 lines, seq $S3..$((S3 + 1)), at most 2 lines" \
    grep -q "^events_retained: 2 lines, [0-9]* bytes, seq $S3..$((S3 + 1)) (at most 2 lines" "$M/.viasfs/status"
check_eq "metrics show it: viasfs_events_retained_lines 2" "viasfs_events_retained_lines 2" \
    "$(grep '^viasfs_events_retained_lines ' "$M/.viasfs/metrics")"
check "plain reader: no lost line, 4 lines" eval "[ \$(nlines '$TEST_TMP/plain2') = 4 ] && ! grep -q lost '$TEST_TMP/plain2'"

# Another user reads the stream but cannot resume on it (kernel: mode 0644, owner root); root can.
if [ "$(id -u)" = 0 ]; then
    check_eq "another user (nobody): open read-write is refused" "ERR Permission denied" \
        "$(since "$EV" "since $S2" 1 0.5 65534)"
    check_eq "the pair: the owner (root) may" "${L[2]}" "$(since "$EV" "since $S2" 1 1 | head -1)"
    check "another user still reads it (O_RDONLY)" \
        eval "setpriv --reuid=65534 --regid=65534 --clear-groups timeout 1 cat '$EV' >/dev/null; [ \$? = 124 ]"
else
    skip "another user: needs root to act as nobody"
fi
check_eq ".viasfs/events mode" "-rw-r--r--" "$(stat -c %A "$EV")"
bg_end "$PLAIN"
w_stop "$M"
finish
