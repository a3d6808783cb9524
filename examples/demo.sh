#!/usr/bin/env bash
# examples/demo.sh: the emulator with a few thousand changing tasks, mounted at ./mnt.
#
# Run it with `make demo` (which installs what is missing and builds first); BUILD names the
# build directory (default build). It starts build/vias-emulator on a free loopback port with
# DEMO_TASKS tasks (default 3000) of which DEMO_CHURN (default 2) change state every second,
# writes a random token to a mode-600 file in a temporary directory, runs build/viasfs in the
# foreground (as a child of this script) on ./mnt at the repository root, prints what to try,
# and waits. Ctrl-C (or SIGTERM) unmounts ./mnt, stops both programs by PID, removes the
# temporary directory and exits 0 (1 if ./mnt could not be unmounted): a Ctrl-C is how the
# demo is meant to end, so `make demo` reports no error for it. It installs nothing and
# touches nothing outside ./mnt and that directory.
# shellcheck disable=SC2317 # the clean-up functions below run from the EXIT trap
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
EMU=$BUILD/vias-emulator
FS=$BUILD/viasfs
MNT=$PWD/mnt
PROJECT=0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d
TASKS=${DEMO_TASKS:-3000}
CHURN=${DEMO_CHURN:-2}
TTL=${DEMO_TTL:-10}
TMP=
EMU_PID=
FS_PID=
SLEEP_PID=

say() { echo "demo: $*"; }
warn() { echo "demo: $*" >&2; }

# alive PID: the process exists and is not a zombie (reads /proc; procps may be absent).
alive() {
    local stat
    [ -n "$1" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

# mounted: something (ours or not, alive or dead) is mounted on $MNT.
mounted() { findmnt -M "$MNT" >/dev/null 2>&1; }

# stop PID NAME GRACE: wait GRACE tenths of a second for it to end, then SIGTERM, then SIGKILL.
stop() {
    local pid=$1 name=$2 grace=$3 i
    [ -n "$pid" ] || return 0
    for ((i = 0; i < grace; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
    fi
    if alive "$pid"; then
        warn "$name (PID $pid) ignored SIGTERM; killing it"
        kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
}

# unmount: fusermount3 -u, retried for about 5 s while busy, then lazily as a last resort.
unmount() {
    local i
    for ((i = 0; i < 10; i++)); do
        mounted || return 0
        fusermount3 -u "$MNT" 2>/dev/null && return 0
        [ "$i" = 0 ] && say "./mnt is busy (a shell or program is using it); retrying for 5 s"
        sleep 0.5
    done
    mounted || return 0
    warn "WARNING: ./mnt is still busy; detaching it lazily (fusermount3 -u -z). Programs still"
    warn "WARNING: inside it will get errors: leave it (cd) and close the files they hold."
    fusermount3 -u -z "$MNT"
}

cleanup() {
    trap '' INT TERM # a second Ctrl-C must not cut the clean-up short
    if [ -z "$EMU_PID" ]; then
        [ -n "$TMP" ] && rm -rf "$TMP"
        return 0
    fi
    echo
    [ -n "$SLEEP_PID" ] && kill "$SLEEP_PID" 2>/dev/null
    if [ -n "$FS_PID" ]; then
        mounted && say "unmounting ./mnt"
        unmount
        stop "$FS_PID" viasfs 30
    fi
    stop "$EMU_PID" vias-emulator 0
    rm -rf "$TMP"
    if [ -n "$FS_PID" ] && mounted; then
        warn "./mnt is still mounted: run fusermount3 -u $MNT"
        exit 1
    fi
    say "stopped; nothing left running"
}
trap cleanup EXIT
# Ctrl-C reaches the whole foreground process group (make, this script, viasfs, the emulator):
# each cleans up; this script's clean end is status 0, so make does not call it a failure.
trap 'exit 0' INT TERM

for bin in "$EMU" "$FS"; do
    [ -x "$bin" ] || { warn "$bin is missing: run make demo from the repository root"; exit 1; }
done
if mounted; then
    warn "./mnt ($MNT) is already a mount point:"
    findmnt -M "$MNT" >&2
    warn "unmount it first (fusermount3 -u $MNT) or stop the demo that uses it"
    exit 1
fi
mkdir -p "$MNT" || exit 1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/viasfs-demo.XXXXXX") || exit 1

# The token: random, in a file only we can read (viasfs refuses a token on the command line).
(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$TMP/token" && echo >>"$TMP/token")
chmod 600 "$TMP/token"

say "starting the emulator: $TASKS tasks, $CHURN state changes per second"
"$EMU" --port 0 --port-file "$TMP/port" --project-id "$PROJECT" --token-file "$TMP/token" \
    --tasks "$TASKS" --churn "$CHURN" 2>"$TMP/emulator.log" &
EMU_PID=$!
for ((i = 0; i < 200; i++)); do
    [ -s "$TMP/port" ] && break
    alive "$EMU_PID" || break
    sleep 0.05
done
if [ ! -s "$TMP/port" ]; then
    warn "the emulator did not start:"
    cat "$TMP/emulator.log" >&2
    exit 1
fi
URL=http://127.0.0.1:$(cat "$TMP/port")

say "mounting it at ./mnt"
# --allow-control: the tree acts on the emulator's tasks (README, Acting on tasks); the
# snapshot goes with the rest of the demo's files, not into ~/.cache (each run's port is new).
"$FS" -f --endpoint="$URL" --project-id="$PROJECT" --token-file="$TMP/token" --ttl="$TTL" \
    --allow-control --cache-dir="$TMP/cache" "$MNT" &
FS_PID=$!
for ((i = 0; i < 150; i++)); do
    mounted && [ -d "$MNT/tasks" ] && break
    alive "$FS_PID" || break
    sleep 0.1
done
if ! alive "$FS_PID" || ! [ -d "$MNT/tasks" ]; then
    warn "viasfs did not mount ./mnt (its message, if any, is above)"
    exit 1
fi
# A task to suggest: a RUNNING one, so that setting it to FAILED shows a change. Asked of the
# emulator, not of the mount, so that nothing is cached before the user looks.
ID=$(curl -s -H "X-Auth-Token: $(cat "$TMP/token")" \
    "$URL/v2/$PROJECT/tasks?task_state=RUNNING&page_size=5" | grep -o '"id":"[^"]*"' | head -n 1)
ID=${ID#'"id":"'}
ID=${ID%'"'}
if [ -z "$ID" ] || ! alive "$FS_PID"; then
    warn "no task to suggest, or viasfs has exited; see the messages above"
    exit 1
fi
cat <<EOF

viasfs is serving $TASKS emulated tasks at ./mnt ($CHURN change state every second).
  emulator  $URL  (PID $EMU_PID, project $PROJECT)
  token     $TMP/token
  viasfs    PID $FS_PID, --ttl=$TTL: data older than $TTL s is fetched again when read

In another terminal:
  cd $(printf %q "$PWD")
  ls -a mnt
  ls mnt/tasks | wc -l
  id=$ID
  cat mnt/tasks/\$id/state mnt/tasks/\$id/name
  cat mnt/tasks/\$id/task.json
  ls -l mnt/by-state/RUNNING | head -5
  grep -rl '"vcn"' mnt/tasks --include=input.json | head -5
  find mnt/tasks -type f | wc -l
  cat mnt/.viasfs/status

Change that task's state in the emulator and watch the file follow within $TTL s:
  curl -s -o /dev/null -w '%{http_code}\\n' -X PUT -d '{"state":"FAILED"}' $URL/_emulator/tasks/\$id/state
  while sleep 1; do cat mnt/tasks/\$id/state; done

Act on it through the tree (this mount has --allow-control):
  cat mnt/tasks/\$id/ctl; echo stop > mnt/tasks/\$id/ctl; cat mnt/tasks/\$id/state
  cat mnt/tasks/\$id/history

Ask the emulator's API directly (the same requests viasfs makes):
  curl -s -H "X-Auth-Token: \$(cat $TMP/token)" '$URL/v2/$PROJECT/tasks?task_state=FAILED&page_size=5'

Press Ctrl-C here to unmount and stop everything.
EOF

# Wait for Ctrl-C or SIGTERM (the traps exit), or for one of the two programs to end on its own.
# A short sleep waited for in the background: bash runs a trap as soon as `wait` is interrupted.
while alive "$FS_PID" && alive "$EMU_PID"; do
    sleep 1 &
    SLEEP_PID=$!
    wait "$SLEEP_PID"
    SLEEP_PID=
done
if ! alive "$FS_PID"; then
    wait "$FS_PID"
    warn "viasfs exited on its own (status $?): was ./mnt unmounted from elsewhere?"
else
    warn "the emulator exited on its own:"
    cat "$TMP/emulator.log" >&2
fi
exit 1
