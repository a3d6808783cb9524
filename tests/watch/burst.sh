#!/usr/bin/env bash
# A burst: 500 state changes (500 different tasks of 1200, RUNNING <-> STOPPED) made within one
# refresh period (--refresh=3, right after a walk starts) give exactly 500 state lines in
# .viasfs/events, one per task with the right old and new state, none lost, none doubled, no
# other line, the same for a second reader; inotifywait on by-state/RUNNING and
# by-state/STOPPED reports exactly one CREATE and one DELETE per changed task; and afterwards
# the by-state directories list exactly what the API says.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch inotifywait

N=500
emu_start --tasks 1200 --seed 15 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount burst --refresh=3 || { echo "Bail out! mount failed"; exit 1; }
M=$MNT

states_now >"$TEST_TMP/before"
awk '$2 == "RUNNING" || $2 == "STOPPED" { print $1, ($2 == "RUNNING" ? "STOPPED" : "RUNNING") }' \
    "$TEST_TMP/before" | head -$N >"$TEST_TMP/changes"
[ "$(nlines "$TEST_TMP/changes")" = $N ] || { echo "Bail out! fewer than $N RUNNING/STOPPED tasks"; exit 1; }
# The expected lines: "state id old new".
awk 'NR == FNR { old[$1] = $2; next } { print "state", $1, old[$1], $2 }' \
    "$TEST_TMP/before" "$TEST_TMP/changes" | sort >"$TEST_TMP/expected"

ls "$M/by-state/RUNNING" "$M/by-state/STOPPED" >/dev/null
ino_start "$TEST_TMP/inw" -e create -e delete "$M/by-state/RUNNING" "$M/by-state/STOPPED" ||
    diag "inotifywait did not start"
INO=$BG_PID
bg "$TEST_TMP/r1" cat "$M/.viasfs/events"
R1=$BG_PID
bg "$TEST_TMP/r2" cat "$M/.viasfs/events"
R2=$BG_PID
wait_opened "$M/.viasfs/events" "$R1" "$R2"

# Start right after a walk starts, so the burst has a whole period to itself.
walks() { awk '/^list_walks:/ { print $2 }' "$M/.viasfs/status"; }
w0=$(walks)
wait_until 5 eval "[ \$(walks) -gt $w0 ]"
sleep 0.1
ctl DELETE /_emulator/stats >/dev/null
"$PY" "$WATCH_DIR/burst.py" "$EMU_URL" "$TEST_TMP/changes" "$TEST_TMP/burst"
read -r n secs _ b1 <"$TEST_TMP/burst"
w1=$(walks)
check_eq "the burst made $N changes" "$N" "$n"
if [ "$w1" = "$(($w0 + 1))" ]; then
    ok "the burst ($secs s) fell within one refresh period (no walk started during it)"
else
    fail "the burst ($secs s) fell within one refresh period (no walk started during it)"
    diag "walks before: $w0, after: $w1 (the rest of the test still applies)"
fi

wait_until 20 eval "[ \$(nlines '$TEST_TMP/r1') -ge $N ]"
t_all=$(($(date +%s%3N) - b1))
wait_until 10 eval "[ \$(grep -c '|CREATE|' '$TEST_TMP/inw') -ge $N ]"
t_ino=$(($(date +%s%3N) - b1))
sleep 3.5 # one more period: anything doubled or late shows up
"$PY" "$WATCH_DIR/evnorm.py" "$TEST_TMP/r1" | awk -F'\t' '{ print $1, $2, $4, $5 }' | sort >"$TEST_TMP/got"
check_eq "exactly $N lines" "$N" "$(nlines "$TEST_TMP/r1")"
check_eq "no line lost: every change has its line" "" \
    "$(comm -23 "$TEST_TMP/expected" "$TEST_TMP/got" | head -5)"
check_eq "no line doubled or unexpected" "" "$(comm -13 "$TEST_TMP/expected" "$TEST_TMP/got" | head -5)"
check_eq "no task has two lines" "" "$(awk '{ print $2 }' "$TEST_TMP/got" | sort | uniq -d | head -5)"
check "the second reader got the same lines" cmp -s "$TEST_TMP/r1" "$TEST_TMP/r2"
diag "all $N lines within $t_all ms of the burst's end; inotify CREATEs within $t_ino ms"

# inotify: one CREATE in the new directory and one DELETE in the old one per change.
awk -F'|' -v m="$M/by-state/" '{ d = $1; sub(m, "", d); sub("/$", "", d); print $2, d, $3 }' \
    "$TEST_TMP/inw" | sort >"$TEST_TMP/ino-got"
awk '{ print "CREATE", $4, $2; print "DELETE", $3, $2 }' "$TEST_TMP/expected" | sort >"$TEST_TMP/ino-expected"
check_eq "inotify: exactly one CREATE in NEW and one DELETE in OLD per change ($((2 * N)) events)" \
    "" "$(diff "$TEST_TMP/ino-expected" "$TEST_TMP/ino-got" | head -6)"
check_eq "inotify: no queue overflow" "" "$(grep -F 'Q_OVERFLOW' "$TEST_TMP/inw")"

states_now >"$TEST_TMP/after"
for s in RUNNING STOPPED; do
    check_eq "ls by-state/$s equals the API's $s tasks" \
        "$(awk -v s=$s '$2 == s { print $1 }' "$TEST_TMP/after" | sort | md5sum)" \
        "$(ls "$M/by-state/$s" | sort | md5sum)"
done
diag "API requests from the burst until now: $(ctl GET /_emulator/stats | "$PY" -c '
import json, sys
d = json.load(sys.stdin)["requests"]
print(", ".join("%s %s: %d" % (ep, st, n) for ep in d for st, n in sorted(d[ep].items()) if n) or "none")')"

bg_end "$INO"
bg_end "$R1"
bg_end "$R2"
w_stop "$M"
finish
