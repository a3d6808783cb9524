#!/usr/bin/env bash
# wait-for-state.sh: wait until a task of a viasfs mount reaches a state, with inotifywait.
#
#   examples/wait-for-state.sh MOUNT TASK_ID STATE [TIMEOUT_SECONDS]
#
# Exits 0 as soon as MOUNT/tasks/TASK_ID/state says STATE (at once if it already does), 1 when
# TIMEOUT_SECONDS pass first (default: wait for ever), 2 on a usage error, when the task does
# not exist or goes away, or when inotifywait (package inotify-tools) is missing.
#
#   examples/wait-for-state.sh /mnt/vias 3f2a...e1 RUNNING 300 && echo "it runs"
#
# The watch is in place before the state is read, so a change that lands between the read
# and the wait is not missed: it is queued in the watch and wakes the wait at once. The state
# is also read again every 5 s whatever happens, so the script still works on a mount with
# --no-inotify (only slower).
set -u
prog=wait-for-state
if [ $# -lt 3 ] || [ $# -gt 4 ]; then
    echo "usage: $prog MOUNT TASK_ID STATE [TIMEOUT_SECONDS]" >&2
    exit 2
fi
mount=$1 id=$2 want=$3 timeout=${4:-}
file=$mount/tasks/$id/state
case "$timeout" in
'' | *[!0-9]*) [ -z "$timeout" ] || { echo "$prog: TIMEOUT_SECONDS must be a whole number" >&2; exit 2; } ;;
esac
command -v inotifywait >/dev/null || { echo "$prog: inotifywait not found (install inotify-tools)" >&2; exit 2; }
[ -f "$file" ] || { echo "$prog: $file: no such task" >&2; exit 2; }

now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
[ -n "$timeout" ] && deadline=$(($(now_ms) + timeout * 1000))

# 1. The watch first. inotifywait reports on stderr when its watch is in place.
coproc WATCH { exec inotifywait -m -e modify -e attrib -e close_write -e delete_self \
    --format '%e' "$file" 2>&1; }
trap 'kill "$WATCH_PID" 2>/dev/null' EXIT
exec {events}<&"${WATCH[0]}" # our own copy: bash closes the coproc's when it ends
watching=0
while IFS= read -r -t 10 line <&"$events"; do
    case "$line" in
    "Watches established.") watching=1; break ;;
    "Setting up watches."*) ;;
    *) echo "$prog: inotifywait: $line" >&2; break ;;
    esac
done
[ "$watching" = 1 ] || echo "$prog: no inotify watch; reading the state every 5 s instead" >&2

# 2. Then read, and read again after every event (or every 5 s).
while :; do
    if ! state=$(cat -- "$file" 2>/dev/null); then
        echo "$prog: $file: the task is gone" >&2
        exit 2
    fi
    [ "$state" = "$want" ] && exit 0
    wait_ms=5000
    if [ -n "$timeout" ]; then
        left=$((deadline - $(now_ms)))
        [ "$left" -le 0 ] && exit 1
        [ "$left" -lt "$wait_ms" ] && wait_ms=$left
    fi
    secs=$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))
    if [ "$watching" = 1 ]; then
        # An event, or the time is up; either way, read the state again. Several queued
        # events need only one read: take what is already there.
        if IFS= read -r -t "$secs" line <&"$events"; then
            while IFS= read -r -t 0.01 line <&"$events"; do :; done
        elif [ $? -le 128 ]; then
            watching=0 # inotifywait ended (the mount went away?): poll from now on
        fi
    else
        sleep "$secs"
    fi
done
