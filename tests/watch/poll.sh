#!/usr/bin/env bash
# poll() on a state file, the sysfs way, with --refresh=1: build/examples/poll-state blocked on
# a task's state prints one line per change with the new value, and nothing while nothing
# changes (neither for that task nor for a watched task that never changes). A Python client
# checks the details: poll() wakes with exactly POLLPRI|POLLERR, select() in exceptfds, epoll
# with EPOLLPRI|EPOLLERR; lseek(0)+read on the same descriptor gives the new value; and none of
# them wakes during 2.5 s with no change (the flag is cleared by that read: no busy loop).
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch

emu_start --tasks 60 --seed 12 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount poll --refresh=1 || { echo "Bail out! mount failed"; exit 1; }
M=$MNT
mapfile -t running < <(states_now | awk '$2 == "RUNNING" { print $1 }' | head -3)
A=${running[0]} B=${running[1]} C=${running[2]}

# The mechanisms one by one, on task C, meanwhile (driven from a background loop).
flags=$TEST_TMP/flags
mkdir -p "$flags"
bg "$TEST_TMP/pyclient" "$PY" "$WATCH_DIR/pollclient.py" "$M/tasks/$C/state" "$flags"
PC=$BG_PID
(
    i=0
    for s in STOPPED RUNNING FAILED; do
        if wait_until 8 test -e "$flags/armed-$i"; then
            set_state "$C" "$s" >/dev/null
        else
            echo "# pollclient not armed for step $i"
        fi
        i=$((i + 1))
    done
) &
DRIVER=$!

bg "$TEST_TMP/poll-a" "$POLL_STATE" "$M/tasks/$A/state" 60
PA=$BG_PID
bg "$TEST_TMP/poll-b" "$POLL_STATE" "$M/tasks/$B/state" 60
PB=$BG_PID
wait_until 5 test -s "$TEST_TMP/poll-b"
sleep 3.5
check_eq "poll-state, before any change: the value, and no wake-up in 3 refresh periods" \
    "RUNNING" "$(cat "$TEST_TMP/poll-a")"
check "poll-state is blocked, not spinning (under 0.2 s of CPU in 3.5 s)" \
    eval "[ \$(awk '{ print \$14 + \$15 }' /proc/$PA/stat) -lt 20 ]"

expect="RUNNING"
for s in STOPPED FAILED RUNNING; do
    t0=$(date +%s%3N)
    set_state "$A" "$s" >/dev/null
    expect="$expect
$s"
    n=$(echo "$expect" | wc -l)
    if wait_until 5 eval "[ \$(nlines '$TEST_TMP/poll-a') -ge $n ]"; then
        ok "poll-state wakes for the change to $s within 5 s ($(($(date +%s%3N) - t0)) ms)"
    else
        fail "poll-state wakes for the change to $s within 5 s"
    fi
done
sleep 3.5
check_eq "poll-state printed exactly one line per change (3 changes), then nothing" \
    "$expect" "$(cat "$TEST_TMP/poll-a")"
check_eq "poll-state on an unchanged task never woke" "RUNNING" "$(cat "$TEST_TMP/poll-b")"
check "poll-state is still running (blocked)" alive "$PA"
bg_end "$PA"
bg_end "$PB"

wait_until 15 eval "! alive $PC"
wait "$DRIVER"
out=$TEST_TMP/pyclient
field() { awk -F'\t' -v k="$1" -v m="$2" '$1 == k && $2 == m { print $3 }' "$out"; }
check_eq "python: initial value" "RUNNING" "$(field value initial)"
check_eq "poll(POLLPRI|POLLERR): no wake-up in 2.5 s without a change" "none" "$(field idle poll)"
check_eq "poll(POLLPRI|POLLERR): wakes with exactly POLLPRI|POLLERR" "PRI|ERR" "$(field wake poll)"
check_eq "poll: lseek(0)+read on the same fd gives the new value" "STOPPED" "$(field value poll)"
check_eq "select(exceptfds): no wake-up in 2.5 s after that read" "none" "$(field idle select)"
check_eq "select(exceptfds): wakes on the change" "exceptfds" "$(field wake select)"
check_eq "select: lseek(0)+read gives the new value" "RUNNING" "$(field value select)"
check_eq "epoll(EPOLLPRI): no wake-up in 2.5 s after that read" "none" "$(field idle epoll)"
check_eq "epoll(EPOLLPRI): wakes with EPOLLPRI|EPOLLERR" "PRI|ERR" "$(field wake epoll)"
check_eq "epoll: lseek(0)+read gives the new value" "FAILED" "$(field value epoll)"
[ -s "$out.err" ] && sed 's/^/# pollclient: /' "$out.err"
diag "$(awk -F'\t' '$1 == "wake" { printf "%s woke after %s s; ", $2, $4 }' "$out")"

w_stop "$M"
finish
