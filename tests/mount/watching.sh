#!/usr/bin/env bash
# The cost of watching (issue 18), with --refresh=1, --page-size=5 (60 tasks: a walk of every
# task is 13 list requests, a watched task's detail 1) and short --idle-after, counted at the
# emulator (/_emulator/stats). In pairs:
#   - a mount used once and then left alone goes idle and makes no request over 3 periods;
#     the same mount with --idle-after=3600 walks every period;
#   - `inotifywait -m` on one state file, nothing open: the status counts it, each period
#     costs one detail request and no list request, and the task's change reaches
#     inotifywait; an unwatched task changed at the same time still reads its old state
#     (within --ttl: nobody asked for it);
#   - a new watch on tasks/ ends the idle pace: list requests again;
#   - a watch on by-state/RUNNING: that view is walked, and a task entering it is seen;
#   - .viasfs/events open: every task is walked every period within the default --max-rate,
#     and the period stretches with --max-rate=1 (the status says so).
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse
require_tool inotifywait timeout

BG=()
bg_start() { # OUT CMD...: CMD in the background, stdout to OUT, stderr to OUT.err; sets BG_PID
    local out=$1
    shift
    "$@" >"$out" 2>"$out.err" &
    BG_PID=$!
    BG+=("$BG_PID")
}
bg_stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
trap 'for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done; mount_cleanup' EXIT

wait_for() { # SECONDS CMD...: retry CMD every 0.1 s until it succeeds or time runs out
    local end=$((SECONDS + $(scaled "$1")))
    shift
    until "$@"; do
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.1
    done
}
status() { cat "$1/.viasfs/status"; }
# check_status LABEL MOUNT ERE: the mount's status has a line matching ERE within 10 s (the
# status's watching lines are shown when not)
check_status() {
    if wait_for 10 eval "status '$2' | grep -qE '$3'"; then
        ok "$1"
    else
        fail "$1"
        status "$2" | sed -n '/^pace/,/^watch_scan/p' | sed 's/^/#   /'
    fi
}
walked() { ! status "$1" | grep -q '^list_age: never'; }
pace_is() { status "$1" | grep -q "^pace: $2"; }
# requests ENDPOINT: how many the emulator answered with 200 since the last stats_reset
requests() { counts | tr ' ' '\n' | sed -n "s/^$1\.200=//p" | grep . || echo 0; }
has_requests() { [ "$(requests "$1")" -gt 0 ]; }
watch_start() { # OUT PATH...: inotifywait -m, once its watches are established; sets BG_PID
    bg_start "$1" inotifywait -m --format '%w|%e|%f' "${@:2}"
    wait_for 10 grep -qs 'Watches established' "$1.err"
}
state_of() { # ID: the task's state at the API
    ctl GET "/_emulator/tasks/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task"]["state"])'
}
set_state() { ctl PUT "/_emulator/tasks/$1/state" "{\"state\":\"$2\"}" >/dev/null; }

emu_start --tasks 60 --seed 18 || { fail "emulator starts"; finish; exit; }
OPTS=(--refresh=1 --page-size=5 --ttl=60 --idle-refresh=3600)

# ---------------------------------------------------------------- idle: the pair
mnt_start busy "${OPTS[@]}" --idle-after=3600 || { fail "viasfs mounts (busy)"; finish; exit; }
wait_for 10 walked "$MNT" || fail "busy: the first walk ends"
ls "$MNT/tasks" >/dev/null
stats_reset
sleep 3
n=$(requests list)
check "--idle-after=3600, tasks/ listed once: the mount walks every task every period ($n list requests in 3 s)" \
    [ "$n" -ge 13 ]
mnt_stop "$MNT"

mnt_start idle "${OPTS[@]}" --idle-after=2 || { fail "viasfs mounts (idle)"; finish; exit; }
A=$MNT
wait_for 10 walked "$A" || fail "idle: the first walk ends"
ls "$A/tasks" >"$TEST_TMP/ids"
check "--idle-after=2, tasks/ listed once, then nothing: the status says idle" wait_for 10 pace_is "$A" idle
stats_reset
sleep 3
check_eq "... and the mount makes no request over 3 periods" "none" "$(counts)"

# ---------------------------------------------------------------- one watched state file
X=$(sed -n 7p "$TEST_TMP/ids") Y=$(sed -n 8p "$TEST_TMP/ids")
x_old=$(cat "$A/tasks/$X/state") y_old=$(cat "$A/tasks/$Y/state")
check "inotifywait -m on tasks/X/state establishes its watch" watch_start "$TEST_TMP/inw-x" "$A/tasks/$X/state"
INW=$BG_PID
check_status "the status counts one watched file, found by the inotify scan" "$A" '^watched: 1 file,.*\(inotify 1,'
check "... and the pace is normal again" wait_for 5 pace_is "$A" normal
stats_reset
sleep 3
d=$(requests detail) l=$(requests list)
check "a watched state file costs detail requests, not walks ($d detail, $l list in 3 s)" \
    [ "$d" -ge 1 ] && [ "$l" = 0 ]
x_new=RUNNING; [ "$x_old" = RUNNING ] && x_new=STOPPED
y_new=RUNNING; [ "$y_old" = RUNNING ] && y_new=STOPPED
set_state "$X" "$x_new"
set_state "$Y" "$y_new"
check "the watched task's change reaches inotifywait (nothing open)" \
    wait_for 10 grep -qE "tasks/$X/state\|(MODIFY|ATTRIB)" "$TEST_TMP/inw-x"
check_eq "... and its state file shows it" "$x_new" "$(cat "$A/tasks/$X/state")"
check_eq "the unwatched task changed at the same time still shows its old state (within --ttl)" \
    "$y_old" "$(cat "$A/tasks/$Y/state")"
bg_stop "$INW"

# ---------------------------------------------------------------- a new watch ends the idle pace
check_status "with the watch gone, the mount is idle again" "$A" '^pace: idle' 
stats_reset
check "inotifywait -m on tasks/ establishes its watch" watch_start "$TEST_TMP/inw-tasks" "$A/tasks"
INW=$BG_PID
check "a new watch on tasks/ brings the walks back within a few periods" wait_for 10 has_requests list
check_status "... and the status counts it as needing every task" "$A" '^watched: .*1 of everything \(inotify 1,'
bg_stop "$INW"

# ---------------------------------------------------------------- a watched view
check_status "with the watch gone, the mount is idle again" "$A" '^pace: idle' 
Z=$(ls "$A/by-state/STOPPED" | head -1)
check "inotifywait -m on by-state/RUNNING establishes its watch" \
    watch_start "$TEST_TMP/inw-view" "$A/by-state/RUNNING"
INW=$BG_PID
check_status "the status counts one watched view" "$A" '^watched: .*1 view,.*\(inotify 1,'
check_status "... walked alone, not with every task" "$A" '^last_round: 0 tasks and [0-9]+ view pages?,'
set_state "$Z" RUNNING
check "a task entering the watched view reaches inotifywait (CREATE)" \
    wait_for 10 grep -q "|CREATE|$Z\$" "$TEST_TMP/inw-view"
bg_stop "$INW"

# ---------------------------------------------------------------- the events stream and the budget
bg_start "$TEST_TMP/ev-a" cat "$A/.viasfs/events"
EVA=$BG_PID
check_status ".viasfs/events open: every task is walked every period" "$A" '^last_round: a walk of every task, 13 requests \(something needs'
check "... at the normal pace within the default --max-rate" pace_is "$A" normal
bg_stop "$EVA"
mnt_start slow "${OPTS[@]}" --idle-after=2 --max-rate=1 || fail "viasfs mounts (slow)"
B=$MNT
wait_for 10 walked "$B" || fail "slow: the first walk ends"
bg_start "$TEST_TMP/ev-b" cat "$B/.viasfs/events"
EVB=$BG_PID
check_status "--max-rate=1 with .viasfs/events open: the status shows the period stretched, and why" "$B" '^pace: stretched, every 13 s instead of 1 s \(a round costs 13 requests; --max-rate is 1 a second\)'
bg_stop "$EVB"
mnt_stop "$B"
mnt_stop "$A"
finish
