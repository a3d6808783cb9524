#!/usr/bin/env bash
# Stopping the daemon (SIGTERM to its PID) while readers are blocked: two `cat .viasfs/events`,
# a poll(POLLIN) on events, build/examples/poll-state and a generic sysfs-style poller (any
# wake-up: lseek(0)+read; a failed read: the end) on a state file, and `inotifywait -m` on it. Before the signal they are all blocked (running, in S state); after it every reader
# ends within 5 s (none left running, none in D state), the mount leaves /proc/mounts, and the
# daemon exits with status 0 without logging a warning; inotifywait is not stuck either. Then a second mount, with a change in flight (the
# notifier busy with inotify operations on 300 changed tasks) when SIGTERM comes: the same.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch inotifywait

emu_start --tasks 1000 --seed 17 || { echo "Bail out! emulator did not start"; exit 1; }

# A Python poll(POLLIN) on the events file, without a timeout of its own.
POLLER='import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
p = select.poll(); p.register(fd, select.POLLIN)
print(p.poll(), flush=True)'

# A generic sysfs-style poller: any wake-up means "read again"; a failed read means the file
# is gone. (It does not rely on POLLERR-without-POLLPRI meaning "unmounted", as poll-state does.)
SYSFS_POLLER='import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.read(fd, 4096)
p = select.poll(); p.register(fd, select.POLLPRI | select.POLLERR)
reads = 0
while True:
    p.poll()
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        os.read(fd, 4096)
    except OSError as e:
        print("read failed after", reads, "more reads:", e.strerror, flush=True)
        sys.exit(0)
    reads += 1'

pstate() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || echo gone; }

# run_case LABEL MOUNT-NAME [BEFORE-SIGNAL-COMMAND]
run_case() {
    local label=$1 name=$2 prep=$3 pids=() p states t0 dstuck mounted=1 n
    w_mount "$name" --refresh=1 || { fail "$label: mount"; return; }
    local m=$MNT daemon=$MNT_PID id
    id=$(ls "$m/by-state/RUNNING" | head -1)
    local -A label_of=()
    bg "$TEST_TMP/$name-cat1" cat "$m/.viasfs/events"; pids+=("$BG_PID"); label_of[$BG_PID]="cat events"
    bg "$TEST_TMP/$name-cat2" cat "$m/.viasfs/events"; pids+=("$BG_PID"); label_of[$BG_PID]="cat events"
    bg "$TEST_TMP/$name-pollev" "$PY" -c "$POLLER" "$m/.viasfs/events"; pids+=("$BG_PID")
    label_of[$BG_PID]="poll(POLLIN) on events"
    bg "$TEST_TMP/$name-pollstate" "$POLL_STATE" "$m/tasks/$id/state"; pids+=("$BG_PID")
    label_of[$BG_PID]="poll-state"
    bg "$TEST_TMP/$name-sysfs" "$PY" -c "$SYSFS_POLLER" "$m/tasks/$id/state"; pids+=("$BG_PID")
    label_of[$BG_PID]="sysfs-style poller"
    ino_start "$TEST_TMP/$name-inw" -e modify -e attrib -e delete_self -e unmount "$m/tasks/$id/state"
    local inw=$BG_PID
    sleep 1.5
    states=
    for p in "${pids[@]}" $inw; do states="$states$(pstate "$p")"; done
    check_eq "$label: before SIGTERM: the 5 readers and inotifywait are blocked (S S S S S S)" "SSSSSS" "$states"
    [ -n "$prep" ] && eval "$prep"
    t0=$(date +%s%3N)
    kill -TERM "$daemon"
    # Watch for up to 5 s: all readers gone, mount gone, daemon ended.
    while [ $(($(date +%s%3N) - t0)) -lt 5000 ]; do
        n=0
        for p in "${pids[@]}"; do alive "$p" && n=$((n + 1)); done
        is_mounted "$m" || mounted=0
        [ $n = 0 ] && [ $mounted = 0 ] && daemon_ended "$m" && break
        sleep 0.05
    done
    diag "$label: $(($(date +%s%3N) - t0)) ms after SIGTERM: $n readers left, mounted=$mounted"
    dstuck=
    for p in "${pids[@]}"; do
        alive "$p" && dstuck="$dstuck ${label_of[$p]} (state $(pstate "$p"), $(awk '{ print ($14 + $15) / 100 }' /proc/$p/stat) s CPU);"
    done
    check_eq "$label: every reader ended within 5 s (none left, none in D state)" "" "$dstuck"
    check "$label: the mount is gone from /proc/mounts" eval "! is_mounted '$m'"
    if wait_until 5 daemon_ended "$m"; then
        check_eq "$label: the daemon exited with status 0" "0" "$(daemon_status "$m")"
    else
        fail "$label: the daemon exited with status 0"
        diag "daemon $daemon still running (state $(pstate "$daemon"))"
    fi
    check_eq "$label: a SIGTERM stop is a normal stop: no warning or error in the log" "" \
        "$(grep -E 'warning|error' "$TEST_TMP/viasfs-$name.log" | head -3)"
    local rcs=
    for p in "${pids[@]}"; do
        if alive "$p"; then
            rcs="$rcs killed"
            bg_end "$p"
        else
            wait "$p"
            rcs="$rcs $?"
        fi
    done
    diag "$label: reader exit statuses (cat, cat, poll, poll-state, sysfs poller):$rcs"
    diag "$label: sysfs poller: $(cat "$TEST_TMP/$name-sysfs")"
    # inotifywait -m does not end when a watched file system goes away (on this kernel not
    # even tmpfs sends it IN_UNMOUNT), but it must not be stuck: SIGTERM ends it.
    check_eq "$label: inotifywait is not stuck (not in D state)" "S" "$(pstate "$inw")"
    kill "$inw" 2>/dev/null
    check "$label: inotifywait ends on SIGTERM within 2 s" wait_until 2 eval "! alive $inw"
    bg_end "$inw"
    diag "$label: cat said: $(tr '\n' ' ' <"$TEST_TMP/$name-cat1.err") poll-state said: $(tr '\n' ' ' <"$TEST_TMP/$name-pollstate.err")"
    diag "$label: poll-state printed $(nlines "$TEST_TMP/$name-pollstate") lines (1 before SIGTERM)"
    # Anything left is unmounted by the cleanup; the daemon is gone.
    is_mounted "$m" || forget_mount "$m"
}

run_case idle quiet
# With 300 changes in flight: the notifier is busy touching files through the mountpoint.
BUSY='states_now | awk '"'"'$2 == "RUNNING" { print $1, "STOPPED" }'"'"' | head -300 >"$TEST_TMP/changes"
"$PY" "$WATCH_DIR/burst.py" "$EMU_URL" "$TEST_TMP/changes" "$TEST_TMP/burst-out"
w=$(awk '"'"'/^list_walks:/ { print $2 }'"'"' "$m/.viasfs/status")
wait_until 3 eval "[ \$(awk '"'"'/^list_walks:/ { print \$2 }'"'"' '"'"'$m/.viasfs/status'"'"') -gt $w ]"
sleep 0.05'
run_case busy busy "$BUSY"
finish
