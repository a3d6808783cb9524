#!/usr/bin/env bash
# What a walk may cost (issue 13, item 9): a list longer than --max-tasks fails the listing
# with EFBIG (File too large) and says so in the log, instead of growing without bound; and a
# walk nobody waits for any more (the reader went away) stops instead of paging on. Each with
# its counterpart.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

list_requests() { counts | tr ' ' '\n' | sed -n 's/^list\.200=//p'; }

emu_start --tasks 3000 --seed 8 || { fail "emulator starts"; finish; exit 1; }

mnt_start cap --max-tasks=1000 --page-size=100 --refresh=0 || { fail "viasfs mounts"; finish; exit 1; }
ls "$MNT/tasks" >/dev/null 2>"$TEST_TMP/cap.err"
check_eq "3000 tasks, --max-tasks=1000: ls tasks fails" 2 "$?"
check "with File too large (EFBIG)" grep -q "File too large" "$TEST_TMP/cap.err"
check "and the log says which option" grep -q -- "--max-tasks" "$TEST_TMP/viasfs-cap.log"
mnt_stop "$MNT"
mnt_start nocap --max-tasks=5000 --page-size=100 --refresh=0 || { fail "viasfs mounts"; finish; exit 1; }
check_eq "the pair: --max-tasks=5000 lists all 3000" 3000 "$(ls "$MNT/tasks" | wc -l)"
mnt_stop "$MNT"

# 30 pages of 100 at 200 ms each: about 6 s for the whole walk.
for reader in gone stays; do
    mnt_start "unwanted-$reader" --page-size=100 --refresh=0 --timeout=2 || { fail "viasfs mounts"; continue; }
    ctl PUT /_emulator/faults '{"endpoints":"list","latency_ms":200}' >/dev/null
    stats_reset
    if [ "$reader" = gone ]; then
        ls -f "$MNT/tasks" | head -1 >/dev/null # head exits: ls dies of SIGPIPE, the directory closes
    else
        ls -f "$MNT/tasks" >/dev/null &
        lister=$!
    fi
    sleep 8
    n=$(list_requests)
    if [ "$reader" = gone ]; then
        check "the reader went away: the walk stopped within the deadline ($n of 31 pages)" test "${n:-0}" -lt 25
    else
        wait "$lister"
        check_eq "the pair: a reader to the end: the whole walk (30 pages and the last, short one)" 31 "$n"
    fi
    ctl DELETE /_emulator/faults >/dev/null
    mnt_stop "$MNT"
done

finish
