#!/usr/bin/env bash
# make demo, ended the way a user ends it: Ctrl-C, which the terminal sends to the whole
# foreground process group (make, examples/demo.sh, viasfs, the emulator). The demo mounts,
# then after SIGINT to the group: it says it stopped everything, make prints no
# "make: *** [...] Interrupt" or "Error", nothing is left mounted or running, and the
# temporary directory is gone. The pair: the same demo under a recipe that runs it through a
# shell (the old `make demo`) does get make's "Interrupt", so the check can fail.
# It runs in a copy of examples/ in the test's directory (the demo mounts ./mnt next to it),
# with the real Makefile and build (make -o all: nothing is rebuilt), and 40 tasks.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse
TOP=$(pwd)
BUILD_ABS=$(realpath "$BUILD")
unset MAKEFLAGS MFLAGS MAKELEVEL # a make of its own, not a sub-make of make check's
REPO=$TEST_TMP/repo
mkdir -p "$REPO/examples"
cp examples/demo.sh "$REPO/examples/"

DEMO_PGID=
# group_alive: some process of the demo's process group still exists.
group_alive() { [ -n "$DEMO_PGID" ] && ps -o pid= -g "$DEMO_PGID" >/dev/null 2>&1; }
stop_group() { group_alive && kill -KILL -- "-$DEMO_PGID" 2>/dev/null; }
trap 'stop_group; is_mounted "$REPO/mnt" && fusermount3 -uz "$REPO/mnt"; mount_cleanup' EXIT

# run_demo LABEL MAKE_ARGS...: make demo in $REPO in a session of its own, SIGINT to its process
# group once the demo waits; sets OUT (its output), RC (make's status), TMPDIR_USED.
run_demo() {
    local label=$1 i
    shift
    OUT=$TEST_TMP/$label.out
    # A session of its own, with SIGINT at its default: a non-interactive shell starts
    # background commands with SIGINT ignored, which a terminal's foreground job never has.
    DEMO_TASKS=40 python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execvp(sys.argv[1], sys.argv[1:])' make --no-print-directory -C "$REPO" "$@" >"$OUT" 2>&1 &
    DEMO_PGID=$!
    for i in $(seq 1 "$(scaled 300)"); do
        grep -q 'Press Ctrl-C here' "$OUT" && break
        kill -0 "$DEMO_PGID" 2>/dev/null || break
        sleep 0.1
    done
    TMPDIR_USED=$(sed -n 's/^  token     \(.*\)\/token$/\1/p' "$OUT")
    check "$label: the demo mounts ./mnt and waits for Ctrl-C" \
        sh -c "grep -q 'Press Ctrl-C here' '$OUT' && awk -v d='$REPO/mnt' '\$2 == d { f = 1 } END { exit !f }' /proc/mounts"
    check "$label: make is the leader of its process group" \
        [ "$(awk '{ print $5 }' "/proc/$DEMO_PGID/stat" 2>/dev/null)" = "$DEMO_PGID" ]
    check "$label: with SIGINT not ignored, as in a terminal" \
        sh -c "! grep -q '^SigIgn:.*[2367abef]\$' /proc/$DEMO_PGID/status"
    kill -INT -- "-$DEMO_PGID"
    wait "$DEMO_PGID"
    RC=$?
    for i in $(seq 1 "$(scaled 100)"); do group_alive || break; sleep 0.1; done
}

run_demo exec -f "$TOP/Makefile" -o all BUILD="$BUILD_ABS" demo
sed 's/^/# /' "$OUT" | tail -4
check "after Ctrl-C the demo says it stopped everything" grep -qx 'demo: stopped; nothing left running' "$OUT"
check_eq "... and make reports no error (no \"make: ***\" line)" "" "$(grep 'make: \*\*\*' "$OUT")"
check_eq "... make ends as a Ctrl-C'd program does, by SIGINT (status 130), which shells do not report" 130 "$RC"
check "... nothing is left mounted on ./mnt" bash -c "! awk -v d='$REPO/mnt' '\$2 == d { f = 1 } END { exit !f }' /proc/mounts"
check "... no process of the demo is left" bash -c "! ps -o pid= -g $DEMO_PGID >/dev/null"
check "... and its temporary directory is gone" [ -n "$TMPDIR_USED" -a ! -e "$TMPDIR_USED" ]

# The pair: the recipe as it was, through a shell that re-raises the SIGINT it saw.
printf 'demo:\n\t@BUILD=%s examples/demo.sh\n' "$BUILD_ABS" >"$TEST_TMP/old.mk"
run_demo through-a-shell -f "$TEST_TMP/old.mk" demo
check "(the check can fail: a recipe that runs the demo through a shell gets make's Interrupt)" \
    grep -q 'make: \*\*\*.*Interrupt' "$OUT"
check "(... although the demo itself stopped cleanly)" grep -qx 'demo: stopped; nothing left running' "$OUT"
finish
