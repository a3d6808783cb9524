#!/usr/bin/env bash
# Unmounting with busy readers, and shutdown under load.
# 1. Eight readers walk the tree without pause: `fusermount3 -u` either succeeds or says
#    "busy" (the kernel's rule while a file is open, for every filesystem) and changes nothing;
#    `fusermount3 -uz` detaches at once, the readers get errors instead of hanging, and the
#    daemon exits cleanly when the last of them lets go.
# 2. A reader blocked on a silent API (SIGSTOP): `fusermount3 -uz` returns at once, the reader
#    gets its answer within --timeout, and the daemon exits. The pair: the API answering again
#    is not what ends the reader (it stays stopped until the end).
# 3. SIGTERM to the daemon with eight readers: it exits 0 within 2 s (times the time scale),
#    unmounted, no sanitizer report; the readers end with errors, none hangs.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

TIMEOUT=$(scaled 4)
# readers DIR N: starts N shell loops reading everything under DIR; their PIDs in READERS
readers() {
    local i
    READERS=()
    for i in $(seq 1 "$2"); do
        (
            while :; do
                cat "$1"/tasks/*/state >/dev/null 2>&1
                ls -l "$1"/by-state/* >/dev/null 2>&1
                grep -rl RUNNING "$1/tasks" >/dev/null 2>&1
                [ -d "$1/tasks" ] || exit 0 # unmounted: the loop ends on its own
            done
        ) &
        READERS+=($!)
    done
}
# readers_gone SECONDS: true when every reader ended within SECONDS (then killed, to be sure)
readers_gone() {
    local i p left
    for i in $(seq 1 $(($1 * 10))); do
        left=0
        for p in "${READERS[@]}"; do [ -d "/proc/$p" ] && left=1; done
        [ "$left" = 0 ] && return 0
        sleep 0.1
    done
    for p in "${READERS[@]}"; do kill "$p" 2>/dev/null; done
    return 1
}
# exited PID SECONDS: true when PID is gone within SECONDS
exited() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        [ -d "/proc/$1" ] || return 0
        # A zombie has exited: reaping it is its parent's business (here, after the daemon
        # forked, init's, which can take seconds).
        [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ] && return 0
        sleep 0.1
    done
    return 1
}
# clean_exit NAME: no sanitizer report and, under a wrapper, none in its log
clean_exit() {
    ! sanitizer_reports "$1" && { [ -z "$VIASFS_WRAPPER" ] || ! wrapper_reports "$1"; }
}
forget_mount() {
    local keep=() m
    for m in "${MOUNTS[@]}"; do [ "$m" = "$1" ] || keep+=("$m"); done
    MOUNTS=("${keep[@]}")
}

emu_start --tasks 300 --seed 23 || { fail "emulator starts"; finish; exit; }

# ---- 1. busy readers, then a lazy unmount
mnt_start busy --timeout="$TIMEOUT" --ttl=2 --refresh=1 || { fail "viasfs mounts"; finish; exit; }
M=$MNT pid=$MNT_PID
ls "$M/tasks" >/dev/null
readers "$M" 8
sleep "$(scaled 2)"
out=$(fusermount3 -u "$M" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then
    ok "fusermount3 -u with 8 readers: unmounted (no file happened to be open)"
else
    check "fusermount3 -u with 8 readers: refused as busy, and the mount still answers" \
        bash -c "echo '$out' | grep -q 'busy' && ls '$M/tasks' | grep -q ."
    start=$(date +%s%N)
    fusermount3 -uz "$M"
    check "fusermount3 -uz with 8 readers: detached at once (under 1 s)" \
        [ $((($(date +%s%N) - start) / 1000000)) -lt 1000 ]
fi
check "... the mountpoint is no longer mounted" bash -c "! awk -v d='$M' '\$2 == d { f = 1 } END { exit !f }' /proc/mounts"
forget_mount "$M"
check "... the readers end (none hangs)" readers_gone "$(scaled 10)"
check "... the daemon exits once they let go" exited "$pid" "$(scaled 10)"
check "... with no sanitizer report" clean_exit busy

# ---- 2. a reader blocked on a silent API, then a lazy unmount
mnt_start blocked --timeout="$TIMEOUT" --ttl=60 --refresh=0 || { fail "viasfs mounts"; finish; exit; }
M=$MNT pid=$MNT_PID
id=$(ls "$M/tasks" | sed -n 150p)
kill -STOP "$EMU_PID"
start=$(date +%s%N)
(cat "$M/tasks/$id/output.json" >"$TEST_TMP/blocked.out" 2>"$TEST_TMP/blocked.err"; echo $? >"$TEST_TMP/blocked.rc") &
reader=$!
sleep 0.5
out=$(fusermount3 -u "$M" 2>&1)
check "fusermount3 -u with a reader waiting: refused as busy" bash -c "echo '$out' | grep -q busy"
t0=$(date +%s%N)
fusermount3 -uz "$M"
check "fusermount3 -uz with a reader waiting: returns at once (under 1 s)" \
    [ $((($(date +%s%N) - t0) / 1000000)) -lt 1000 ]
forget_mount "$M"
READERS=("$reader")
check "... the reader gets its answer within --timeout ($TIMEOUT s) plus 2 s" readers_gone $((TIMEOUT + 2))
ms=$((($(date +%s%N) - start) / 1000000))
diag "the reader ended after $ms ms: exit $(cat "$TEST_TMP/blocked.rc" 2>/dev/null), $(head -c 200 "$TEST_TMP/blocked.err")"
check "... an error that says the API did not answer in time" grep -q "timed out" "$TEST_TMP/blocked.err"
check "... the daemon exits, the API still silent" exited "$pid" "$(scaled 10)"
check "... with no sanitizer report" clean_exit blocked
kill -CONT "$EMU_PID"

# ---- 3. SIGTERM under load
mnt_start term --timeout="$TIMEOUT" --ttl=2 --refresh=1 || { fail "viasfs mounts"; finish; exit; }
M=$MNT pid=$MNT_PID
readers "$M" 8
sleep "$(scaled 2)"
kill -TERM "$pid"
check "SIGTERM with 8 readers: the daemon exits within $(scaled 2) s" exited "$pid" "$(scaled 2)"
check "... unmounted" bash -c "! awk -v d='$M' '\$2 == d { f = 1 } END { exit !f }' /proc/mounts"
forget_mount "$M"
check "... the readers end (none hangs)" readers_gone "$(scaled 10)"
check "... no crash and no sanitizer report" clean_exit term
finish
