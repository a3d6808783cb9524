#!/usr/bin/env bash
# Blackhole: the emulator is stopped with SIGSTOP, so connections are accepted by the kernel
# and never answered. `ls`, `cat` and `stat` on cached and uncached paths each return within
# the deadline (--timeout, plus a margin for process start-up), cached ones with their data;
# Ctrl-C (SIGINT) ends a waiting operation at once, where without it the same operation waits
# for its deadline (the pair); SIGTERM and SIGINT to the daemon end it at once even with a
# reader waiting; after SIGCONT everything recovers without a remount.
# The times printed are diagnostics; the limits checked are the deadline contract, not speed.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

TIMEOUT=4
LIMIT=$((TIMEOUT + 3)) # seconds: the deadline plus start-up of the tool under a sanitizer
emu_start --tasks 40 --seed 21 || { fail "emulator starts"; finish; exit 1; }
ids=($(curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000" |
    python3 -c 'import json,sys; print(" ".join(t["id"] for t in json.load(sys.stdin)["tasks"]))'))
A=${ids[0]} B=${ids[1]} C=${ids[2]} D=${ids[3]}
mnt_start bh --ttl=1 --timeout=$TIMEOUT --refresh=0 || { fail "viasfs mounts"; finish; exit 1; }

# Warm: the list, task A's files (detail fetched).
listing0=$(ls "$MNT/tasks")
state0=$(cat "$MNT/tasks/$A/state")
json0=$(cat "$MNT/tasks/$A/task.json")
check "warm: the listing and task $A are read" [ -n "$listing0" ] && [ -n "$json0" ]

kill -STOP "$EMU_PID"
sleep 1.5 # everything cached is now past its ttl

# timed NAME EXPECT_OK COMMAND...: runs it, sets T (seconds) and OUT; checks the limit.
timed() {
    local name=$1 want=$2 t0 rc
    shift 2
    t0=$EPOCHREALTIME
    OUT=$("$@" 2>"$TEST_TMP/err")
    rc=$?
    T=$(python3 -c "print('%.2f' % ($EPOCHREALTIME - $t0))")
    diag "$name: ${T} s, exit $rc $(head -c 120 "$TEST_TMP/err")"
    check "blackhole: $name returns within the deadline (${T} s <= $LIMIT s)" \
        python3 -c "import sys; sys.exit(not $T <= $LIMIT)"
    if [ "$want" = ok ]; then
        check "blackhole: $name succeeds (cached data)" [ "$rc" = 0 ]
    else
        check "blackhole: $name fails with a clear error" [ "$rc" != 0 ] && [ -s "$TEST_TMP/err" ]
    fi
}
timed "ls tasks (cached, stale)" ok ls "$MNT/tasks"
check_eq "blackhole: ls tasks shows the cached listing" "$listing0" "$OUT"
timed "cat tasks/A/state (cached)" ok cat "$MNT/tasks/$A/state"
check_eq "blackhole: cat state shows the cached state" "$state0" "$OUT"
timed "cat tasks/A/task.json (cached detail)" ok cat "$MNT/tasks/$A/task.json"
check_eq "blackhole: task.json is the cached one" "$json0" "$OUT"
timed "stat tasks/A/state (cached)" ok stat -c %s "$MNT/tasks/$A/state"
timed "cat tasks/B/input.json (never fetched)" fail cat "$MNT/tasks/$B/input.json"
timed "stat tasks/<unknown id> (never seen)" fail stat "$MNT/tasks/0123456789abcdef0123456789abcdef"
timed "ls by-camera/<never listed>" fail ls "$MNT/by-camera/no-such-camera-$$"
grep -q "STALE\|stale" "$MNT/.viasfs/status" && ok "blackhole: .viasfs/status says the data is stale" ||
    fail "blackhole: .viasfs/status says the data is stale"

# Ctrl-C on an operation waiting for the API, on a mount with a long deadline. The pair: the
# same kind of read without the signal waits for the deadline.
mnt_start bh-long --ttl=1 --timeout=30 --refresh=0 || fail "second mount"
t0=$EPOCHREALTIME
timeout -s INT 1 cat "$MNT/tasks/$C/input.json" >/dev/null 2>&1
rc=$?
T=$(python3 -c "print('%.2f' % ($EPOCHREALTIME - $t0))")
diag "cat interrupted by SIGINT after 1 s: ended after $T s, exit $rc"
check "Ctrl-C ends a read waiting for the API at once (ended after $T s of a 30 s deadline)" \
    python3 -c "import sys; sys.exit(not $T < 5)"
check "the interrupted cat reports the interruption (exit $rc)" [ "$rc" = 124 ] || [ "$rc" = 130 ]
t0=$EPOCHREALTIME
timeout -s INT 1 ls "$MNT/by-state/FAILED" >/dev/null 2>&1
T=$(python3 -c "print('%.2f' % ($EPOCHREALTIME - $t0))")
check "Ctrl-C ends an ls waiting for a list walk at once (ended after $T s)" \
    python3 -c "import sys; sys.exit(not $T < 5)"
mnt_stop "$MNT"
# SIGTERM, then SIGINT, to the daemon while a reader waits for the silent API (30 s deadline):
# the waiting operation gives up at once, the mount goes, the reader ends, the daemon exits.
for sig in TERM INT; do
    mnt_start "bh-$sig" --ttl=1 --timeout=30 --refresh=0 || fail "mount for SIG$sig"
    cat "$MNT/tasks/${ids[4]}/input.json" >/dev/null 2>&1 &
    reader=$!
    sleep 0.5
    t0=$EPOCHREALTIME
    kill -$sig "$MNT_PID"
    for i in $(seq 1 100); do is_mounted "$MNT" || break; sleep 0.1; done
    wait "$reader" 2>/dev/null
    T=$(python3 -c "print('%.2f' % ($EPOCHREALTIME - $t0))")
    check "SIG$sig to the daemon with a reader waiting for the API: unmounted and the reader ended after $T s (< 5 s of a 30 s deadline)" \
        python3 -c "import sys; sys.exit(not ($T < 5 and not $(is_mounted "$MNT" && echo True || echo False)))"
    mnt_stop "$MNT"
done
MNT=$TEST_TMP/bh
t0=$EPOCHREALTIME
cat "$MNT/tasks/$D/input.json" >/dev/null 2>&1
T=$(python3 -c "print('%.2f' % ($EPOCHREALTIME - $t0))")
check "without the signal, the same read waits for its deadline ($T s >= $((TIMEOUT - 1)) s)" \
    python3 -c "import sys; sys.exit(not $T >= $TIMEOUT - 1)"

kill -CONT "$EMU_PID"
ctl PUT "/_emulator/tasks/$A/state" '{"state":"FAILED"}' >/dev/null
sleep 1.2
check_eq "after SIGCONT: the state change shows without a remount" "FAILED" "$(cat "$MNT/tasks/$A/state")"
check "after SIGCONT: the never-fetched input.json reads" bash -c "cat '$MNT/tasks/$B/input.json' >/dev/null"
check "after SIGCONT: ls by-state/FAILED lists task $A" bash -c "ls '$MNT/by-state/FAILED' | grep -qx '$A'"
mnt_stop "$MNT"
finish
