#!/usr/bin/env bash
# The watching examples, with --refresh=1.
# examples/wait-for-state.sh: exits 0 at once when the task is already in the state; exits 0
# soon after a change to it; exits 1 at the timeout when nothing changes (not earlier); exits
# 0 when the change lands between its read of the state and its wait (a `cat` shim delays the
# script after its first read, and the change is made during that delay: the script must be
# woken by the queued inotify event, not by its 5 s re-read); falls back to its 5 s re-read on
# a --no-inotify mount; exits 2 for an unknown task, a task removed meanwhile, bad usage.
# examples/follow-events.sh: one readable line per event, exactly, with and without a task
# filter; Ctrl-C ends it at once with status 130.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch inotifywait
WFS=examples/wait-for-state.sh
FE=examples/follow-events.sh

emu_start --tasks 60 --seed 18 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount ex --refresh=1 || { echo "Bail out! mount failed"; exit 1; }
M=$MNT
w_mount ex-off --refresh=1 --no-inotify || { echo "Bail out! mount failed"; exit 1; }
M2=$MNT
states_now >"$TEST_TMP/before"
mapfile -t R < <(awk '$2 == "RUNNING" { print $1 }' "$TEST_TMP/before" | head -8)
[ "${#R[@]}" = 8 ] || { echo "Bail out! fewer than 8 RUNNING tasks"; exit 1; }
A=${R[0]} B=${R[1]} C=${R[2]} D=${R[3]} E=${R[4]} G=${R[5]} H=${R[6]} J=${R[7]}
name() { awk -v id="$1" '$1 == id { sub(/^[^ ]+ /, ""); print }' "$TEST_TMP/names"; }
ctl GET /_emulator/tasks >/dev/null
for id in "${R[@]}"; do
    printf '%s %s\n' "$id" "$(ctl GET "/_emulator/tasks/$id" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["task"]["name"], ensure_ascii=False))')"
done >"$TEST_TMP/names"

# timed OUT CMD...: runs CMD; writes "STATUS MILLISECONDS" to OUT when it ends.
timed() {
    local out=$1 t0 rc
    shift
    t0=$(date +%s%3N)
    timeout 20 "$@" >"$out.stdout" 2>"$out.stderr"
    rc=$?
    echo "$rc $(($(date +%s%3N) - t0))" >"$out"
}
result() { cat "$TEST_TMP/$1" 2>/dev/null; }
rc_of() { result "$1" | cut -d' ' -f1; }
ms_of() { result "$1" | cut -d' ' -f2; }

# follow-events: two followers (all events; H's only), and Ctrl-C on a third.
bg "$TEST_TMP/fe-all" "$FE" "$M"
FE1=$BG_PID
bg "$TEST_TMP/fe-h" "$FE" "$M" "$H"
FE2=$BG_PID
wait_opened "$M/.viasfs/events" "$FE1" "$FE2"
"$PY" "$WATCH_DIR/sigint.py" 1.5 "$FE" "$M" >"$TEST_TMP/fe-sigint"
check_eq "follow-events: Ctrl-C while it waits ends it at once with status 130" "130" \
    "$(awk -F'\t' '$1 == "ended" && $3 < 1.0 { print $2 }' "$TEST_TMP/fe-sigint")"
check_eq "follow-events: no message on Ctrl-C" "" "$(awk -F'\t' '$1 == "stderr" { print $2 }' "$TEST_TMP/fe-sigint")"

# wait-for-state, the quick ones.
timed "$TEST_TMP/w-already" "$WFS" "$M" "$A" RUNNING 10
check_eq "wait-for-state: already in the state: exit 0" "0" "$(rc_of w-already)"
check "wait-for-state: already in the state: at once (under 1.5 s; took $(ms_of w-already) ms)" \
    test "$(ms_of w-already)" -lt 1500
timed "$TEST_TMP/w-unknown" "$WFS" "$M" 0123456789abcdef0123456789abcdef RUNNING 5
check_eq "wait-for-state: unknown task: exit 2" "2" "$(rc_of w-unknown)"
timed "$TEST_TMP/w-usage" "$WFS" "$M"
check_eq "wait-for-state: usage error: exit 2" "2" "$(rc_of w-usage)"

# The slower ones, all at once (different tasks).
shim=$TEST_TMP/shim
mkdir -p "$shim"
cat >"$shim/cat" <<EOF
#!/bin/sh
out=\$($(command -v cat) "\$@") || exit \$?
printf '%s %s\n' "\$(date +%s%3N)" "\$out" >>"$TEST_TMP/shim.log"
sleep 2.5
printf '%s\n' "\$out"
EOF
chmod +x "$shim/cat"

timed "$TEST_TMP/w-change" "$WFS" "$M" "$B" STOPPED 10 &
W_PIDS+=($!)
timed "$TEST_TMP/w-timeout" "$WFS" "$M" "$C" STOPPED 3 &
W_PIDS+=($!)
PATH="$shim:$PATH" timed "$TEST_TMP/w-race" "$WFS" "$M" "$D" STOPPED 12 &
W_PIDS+=($!)
timed "$TEST_TMP/w-noinotify" "$WFS" "$M2" "$E" STOPPED 10 &
W_PIDS+=($!)
timed "$TEST_TMP/w-removed" "$WFS" "$M" "$G" STOPPED 10 &
W_PIDS+=($!)
t_start=$(date +%s%3N)
# The race: change D once the script has read it (the shim is then asleep for 2.5 s), and note
# when the change becomes visible (this reader is not one the script watches for).
wait_until 5 test -s "$TEST_TMP/shim.log"
t_change=$(date +%s%3N)
set_state "$D" STOPPED >/dev/null
(
    wait_until 5 eval "[ \"\$($(command -v cat) '$M/tasks/$D/state')\" = STOPPED ]"
    date +%s%3N >"$TEST_TMP/t_visible"
) &
W_PIDS+=($!)
set_state "$B" STOPPED >/dev/null
set_state "$E" STOPPED >/dev/null
ctl DELETE "/_emulator/tasks/$G" >/dev/null
set_state "$H" STOPPED >/dev/null
ctl PUT "/_emulator/tasks/$J" '{"name":"renamed by examples.sh"}' >/dev/null
N=$(ctl POST /_emulator/tasks '{"count":1}' | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["ids"][0])')
n_json=$(ctl GET "/_emulator/tasks/$N" | "$PY" -c 'import json,sys; t=json.load(sys.stdin)["task"]; print(json.dumps(t["name"], ensure_ascii=False), t["state"])')
for w in w-change w-timeout w-race w-noinotify w-removed; do
    wait_until 20 test -s "$TEST_TMP/$w"
done

wait_until 5 test -s "$TEST_TMP/t_visible"
t_visible=$(cat "$TEST_TMP/t_visible")
since_change() { echo $(($(ms_of "$1") - (t_change - t_start))); }
check_eq "wait-for-state: change to the state: exit 0" "0" "$(rc_of w-change)"
check "wait-for-state: it exits after the change, within 2.5 s of it (took $(since_change w-change) ms)" \
    eval "[ $(since_change w-change) -ge 0 ] && [ $(since_change w-change) -lt 2500 ]"
check_eq "wait-for-state: no change: exit 1 at the timeout" "1" "$(rc_of w-timeout)"
check "wait-for-state: no change: after 3 s, not before, nor much after (took $(ms_of w-timeout) ms)" \
    eval "[ $(ms_of w-timeout) -ge 3000 ] && [ $(ms_of w-timeout) -lt 4500 ]"
first=$(head -1 "$TEST_TMP/shim.log")
last=$(tail -1 "$TEST_TMP/shim.log")
check_eq "wait-for-state race: its first read saw RUNNING" "RUNNING" "${first#* }"
check "wait-for-state race: the change became visible during its delay after that read" \
    eval "[ $t_visible -lt $((${first%% *} + 2500)) ]"
check_eq "wait-for-state race: exit 0" "0" "$(rc_of w-race)"
check_eq "wait-for-state race: its last read saw STOPPED" "STOPPED" "${last#* }"
check "wait-for-state race: woken by the queued event at once, not by its 5 s re-read (read again $((${last%% *} - ${first%% *} - 2500)) ms after the delay)" \
    eval "[ $((${last%% *} - ${first%% *} - 2500)) -lt 1000 ]"
check_eq "wait-for-state on a --no-inotify mount: exit 0" "0" "$(rc_of w-noinotify)"
check "wait-for-state on a --no-inotify mount: by its 5 s re-read (took $(ms_of w-noinotify) ms)" \
    eval "[ $(ms_of w-noinotify) -lt 7500 ]"
check_eq "wait-for-state: task removed while waiting: exit 2" "2" "$(rc_of w-removed)"
check_eq "wait-for-state: task removed: says so" "wait-for-state: $M/tasks/$G/state: the task is gone" \
    "$(cat "$TEST_TMP/w-removed.stderr")"

# follow-events: exactly these lines (the time first, then the rest).
sleep 1.5
expected=$(
    for id in $B $D $E $H; do echo "$id $(name "$id"): state RUNNING -> STOPPED"; done
    echo "$G $(name "$G"): removed, was RUNNING"
    echo "$J \"renamed by examples.sh\": name $(name "$J") -> \"renamed by examples.sh\""
    echo "$N ${n_json% *}: added, ${n_json##* }"
)
check_eq "follow-events: one readable line per event, exactly" "$(echo "$expected" | sort)" \
    "$(cut -d' ' -f2- "$TEST_TMP/fe-all" | sort)"
check_eq "follow-events: each line starts with the event's time" "" \
    "$(grep -vE '^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z ' "$TEST_TMP/fe-all")"
check_eq "follow-events TASK_ID: only that task's line" "$H $(name "$H"): state RUNNING -> STOPPED" \
    "$(cut -d' ' -f2- "$TEST_TMP/fe-h")"
check "follow-events: still following" eval "alive $FE1 && alive $FE2"
check_eq "follow-events: nothing on stderr" "" "$(cat "$TEST_TMP/fe-all.err" "$TEST_TMP/fe-h.err")"

bg_end "$FE1"
bg_end "$FE2"
w_stop "$M"
w_stop "$M2"
finish
