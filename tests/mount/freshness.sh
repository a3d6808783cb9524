#!/usr/bin/env bash
# Freshness: a state change made through the emulator's control interface shows in
# tasks/<id>/state (content, size, mtime), status, error.json and by-state/ after --ttl has
# expired, and not before; a state that grows (RUNNING -> LACK_OF_RESOURCES) is read whole
# even though the kernel had cached the old size; the by-state views agree with the state
# files. Both --list-fields modes. The mounts run with --refresh=0: this is about the ttl, not
# about background refreshes.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

TTL=3
for mode in summary full; do
    emu_start --tasks 30 --seed 9 --list-fields "$mode" || { fail "$mode: emulator starts"; continue; }
    read -r a b < <(curl -sS -H "X-Auth-Token: $EMU_TOKEN" \
        "$EMU_URL/v2/$EMU_PROJECT/tasks?task_state=RUNNING&page_size=1000" |
        python3 -c 'import json,sys; t=json.load(sys.stdin)["tasks"]; print(t[0]["id"], t[1]["id"])')
    c=$(curl -sS -H "X-Auth-Token: $EMU_TOKEN" \
        "$EMU_URL/v2/$EMU_PROJECT/tasks?task_state=STOPPED&page_size=1000" |
        python3 -c 'import json,sys; t=json.load(sys.stdin)["tasks"]; print(t[0]["id"])')
    mnt_start "fresh-$mode" --ttl=$TTL --refresh=0 || { fail "$mode: viasfs mounts"; emu_stop; continue; }
    S=$MNT/tasks/$a/state
    t0=$EPOCHREALTIME
    ls "$MNT/tasks" >/dev/null
    check_eq "$mode: before: state is RUNNING, 8 bytes; by-state/RUNNING holds the task, FAILED not" \
        "RUNNING 8 yes no" "$(cat "$S") $(stat -c %s "$S") $(ls "$MNT/by-state/RUNNING" | grep -qx "$a" && echo yes || echo no) $(ls "$MNT/by-state/FAILED" | grep -qx "$a" && echo yes || echo no)"
    mtime0=$(stat -c %Y "$S")
    ls -l "$MNT/tasks/$b/" >/dev/null # the kernel now holds state's size (8) for task b
    stat "$MNT/tasks/$b/state" >/dev/null

    ctl PUT "/_emulator/tasks/$a/state" '{"state":"FAILED"}' >"$TEST_TMP/put.json"
    ctl PUT "/_emulator/tasks/$b/state" '{"state":"LACK_OF_RESOURCES"}' >/dev/null
    updated=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["updated_at"]) // 1000)' "$TEST_TMP/put.json")

    # Within the ttl: the cached state, everywhere.
    check_eq "$mode: within --ttl=$TTL: cat state still shows RUNNING (8 bytes)" "RUNNING 8" \
        "$(cat "$S") $(stat -c %s "$S")"
    check_eq "$mode: within --ttl=$TTL: by-state/FAILED does not hold the task yet, RUNNING does" "no yes" \
        "$(ls "$MNT/by-state/FAILED" | grep -qx "$a" && echo yes || echo no) $(ls "$MNT/by-state/RUNNING" | grep -qx "$a" && echo yes || echo no)"
    elapsed=$(python3 -c "print('%.2f' % ($EPOCHREALTIME - $t0))")
    diag "$mode: the within-ttl checks ended $elapsed s after the listing"
    check "$mode: (the within-ttl checks ran within the ttl: $elapsed s < $TTL s)" \
        python3 -c "import sys; sys.exit(not $elapsed < $TTL)"

    # After the ttl: the new state, everywhere.
    sleep "$(python3 -c "print(max(0, $TTL + 0.3 - ($EPOCHREALTIME - $t0)))")"
    check_eq "$mode: after --ttl=$TTL: cat state shows FAILED, stat -c %s says 7" "FAILED 7" \
        "$(cat "$S") $(stat -c %s "$S")"
    check_eq "$mode: after --ttl=$TTL: state's mtime is the new updated_at" "$updated" "$(stat -c %Y "$S")"
    diag "$mode: mtime went from $mtime0 to $(stat -c %Y "$S")"
    check_eq "$mode: after --ttl=$TTL: status and error.json come with the failure" "yes yes" \
        "$([ -n "$(cat "$MNT/tasks/$a/status")" ] && echo yes) $(grep -q '"code"' "$MNT/tasks/$a/error.json" && echo yes)"
    check_eq "$mode: after --ttl=$TTL: by-state/FAILED holds the task, RUNNING does not" "yes no" \
        "$(ls "$MNT/by-state/FAILED" | grep -qx "$a" && echo yes || echo no) $(ls "$MNT/by-state/RUNNING" | grep -qx "$a" && echo yes || echo no)"
    check_eq "$mode: after --ttl=$TTL: by-state/FAILED/<id> -> ../../tasks/<id>" "../../tasks/$a" \
        "$(readlink "$MNT/by-state/FAILED/$a")"
    check_eq "$mode: after --ttl=$TTL: a state that grew is read whole (LACK_OF_RESOURCES, 18 bytes)" \
        "LACK_OF_RESOURCES 18" "$(cat "$MNT/tasks/$b/state") $(stat -c %s "$MNT/tasks/$b/state")"
    check_eq "$mode: after --ttl=$TTL: task.json says FAILED too" '"state":	"FAILED",' \
        "$(grep -F '"state":' "$MNT/tasks/$a/task.json" | tr -d '\t' | sed 's/:/:\t/')"

    # The views agree with the task table: a filtered walk that no longer returns a task the
    # table has in that state must not leave the task in no by-state directory at all.
    cat "$MNT/tasks/$c/state" >/dev/null # fresh now (the earlier data had expired)
    ctl PUT "/_emulator/tasks/$c/state" '{"state":"FAILED"}' >/dev/null
    ls "$MNT/by-state/STOPPED" >"$TEST_TMP/stopped" # never listed before: walked now
    st=$(cat "$MNT/tasks/$c/state")
    check_eq "$mode: by-state/<the state cat shows> lists the task, right after the state changed" \
        "$c" "$(ls "$MNT/by-state/$st" | grep -x "$c")"
    diag "$mode: cat state says $st; by-state/STOPPED $(grep -qx "$c" "$TEST_TMP/stopped" && echo holds || echo lacks) it; by-state/FAILED $(ls "$MNT/by-state/FAILED" | grep -qx "$c" && echo holds || echo lacks) it"
    mnt_stop "$MNT"
    emu_stop
done
finish
