#!/usr/bin/env bash
# After a state change at the emulator, with --refresh=1, with and without --no-inotify:
# `cat state` shows the new state; `stat` shows the new size and an mtime no older than the
# change; the by-state link has moved (the old name is gone from `ls` and from `stat`, even
# though it was in the kernel's cache); and an untouched task, and the changed one once it has
# settled, do not move at all during three more refresh periods.
cd "$(dirname "$0")/../.." || exit 1
. tests/watch/watchlib.bash
require_watch

emu_start --tasks 60 --seed 11 || { echo "Bail out! emulator did not start"; exit 1; }
w_mount st --refresh=1 || { echo "Bail out! mount failed"; exit 1; }
M1=$MNT
w_mount st-noinotify --refresh=1 --no-inotify || { echo "Bail out! mount failed"; exit 1; }
M2=$MNT

states_now >"$TEST_TMP/before"
# Two RUNNING tasks for each mount: one changes, one must not move.
mapfile -t running < <(awk '$2 == "RUNNING" { print $1 }' "$TEST_TMP/before" | head -4)
[ "${#running[@]}" = 4 ] || { echo "Bail out! fewer than 4 RUNNING tasks"; exit 1; }

mtime_ms() { local v; v=$(stat -c %.3Y "$1") && echo "${v/./}"; }
# stat -L style facts that must not change for an untouched task.
facts() { stat -c '%s %.3Y %i' "$1/tasks/$2/state" "$1/tasks/$2"; readlink "$1/by-state/RUNNING/$2"; cat "$1/tasks/$2/state"; }
sorted_ls() { ls "$1" | sort; }
exists() { stat "$1" >/dev/null 2>&1; }

check_mount() {
    local m=$1 a=$2 b=$3 label=$4 upd t0 before_b
    # Fill the kernel's caches first: the old link must leave them, not just the server.
    check_eq "$label: before: cat state" "RUNNING" "$(cat "$m/tasks/$a/state")"
    check_eq "$label: before: stat size" "8" "$(stat -c %s "$m/tasks/$a/state")"
    check "$label: before: stat by-state/RUNNING/<id> works" exists "$m/by-state/RUNNING/$a"
    check "$label: before: by-state/SUCCEEDED/<id> does not exist" \
        eval "! exists '$m/by-state/SUCCEEDED/$a'"
    ls -l "$m/by-state/RUNNING" "$m/by-state/SUCCEEDED" >/dev/null
    before_b=$(facts "$m" "$b")

    t0=$(date +%s%3N)
    upd=$(set_state "$a" SUCCEEDED)
    if wait_until 5 eval "[ \"\$(cat '$m/tasks/$a/state')\" = SUCCEEDED ]"; then
        ok "$label: cat state shows SUCCEEDED within 5 s ($(($(date +%s%3N) - t0)) ms)"
    else
        fail "$label: cat state shows SUCCEEDED within 5 s"
        diag "still: $(cat "$m/tasks/$a/state")"
    fi
    check_eq "$label: after: cat state" "SUCCEEDED" "$(cat "$m/tasks/$a/state")"
    check_eq "$label: after: stat size is that of \"SUCCEEDED\\n\"" "10" "$(stat -c %s "$m/tasks/$a/state")"
    local mt
    mt=$(mtime_ms "$m/tasks/$a/state")
    if [ "$mt" -ge "$upd" ] && [ "$mt" -le "$(date +%s%3N)" ]; then
        ok "$label: after: stat mtime is the change's time or later"
    else
        fail "$label: after: stat mtime is the change's time or later"
        diag "mtime $mt ms, change (updated_at) $upd ms: $(((upd - mt) / 1000)) s older"
    fi
    check_eq "$label: after: by-state/RUNNING listing lacks the task" "" \
        "$(ls "$m/by-state/RUNNING" | grep -x "$a")"
    check_eq "$label: after: by-state/SUCCEEDED lists the task once" "$a" \
        "$(ls "$m/by-state/SUCCEEDED" | grep -x "$a")"
    check_eq "$label: after: stat by-state/RUNNING/<id>" "No such file or directory" \
        "$(stat "$m/by-state/RUNNING/$a" 2>&1 >/dev/null | sed 's/.*: //')"
    check_eq "$label: after: readlink by-state/SUCCEEDED/<id>" "../../tasks/$a" \
        "$(readlink "$m/by-state/SUCCEEDED/$a")"
    check_eq "$label: after: cat by-state/SUCCEEDED/<id>/state" "SUCCEEDED" \
        "$(cat "$m/by-state/SUCCEEDED/$a/state")"
    echo "$mt" >"$TEST_TMP/settled-$label"
    echo "$before_b" >"$TEST_TMP/before-b-$label"
}

check_mount "$M1" "${running[0]}" "${running[1]}" inotify
check_mount "$M2" "${running[2]}" "${running[3]}" no-inotify

# Nothing moves: three refresh periods with no change at the emulator.
sleep 3.5
states_now >"$TEST_TMP/after"
check_mount_still() {
    local m=$1 a=$2 b=$3 label=$4 s
    check_eq "$label: untouched task: state, size, mtime, inode and link unchanged" \
        "$(cat "$TEST_TMP/before-b-$label")" "$(facts "$m" "$b")"
    check_eq "$label: changed task: still SUCCEEDED" "SUCCEEDED" "$(cat "$m/tasks/$a/state")"
    check_eq "$label: changed task: mtime unchanged since it settled" \
        "$(cat "$TEST_TMP/settled-$label")" "$(mtime_ms "$m/tasks/$a/state")"
    for s in RUNNING SUCCEEDED STOPPED; do
        check_eq "$label: ls by-state/$s equals the API's $s tasks" \
            "$(awk -v s=$s '$2 == s { print $1 }' "$TEST_TMP/after" | sort)" "$(sorted_ls "$m/by-state/$s")"
    done
}
check_mount_still "$M1" "${running[0]}" "${running[1]}" inotify
check_mount_still "$M2" "${running[2]}" "${running[3]}" no-inotify

w_stop "$M1"
w_stop "$M2"
finish
