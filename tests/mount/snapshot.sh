#!/usr/bin/env bash
# A warm, offline start (issue 16), in pairs:
# - an unmount leaves the snapshot (mode 0600 in a 0700 directory, per endpoint and project);
# - a remount while the API stalls mounts from it: `ls tasks`, `cat`, a view and a task's
#   history answer from it, status says stale with the snapshot's age, the log says so in one
#   line; without a snapshot (another --cache-dir) the same remount has nothing to show;
# - the API refusing connections: with a snapshot, mount; without, refused in one line;
# - a state changed at the API while unmounted: the remount from the snapshot shows the old
#   state at once, then the change arrives as an ordinary change (an event, a history line),
#   and an unchanged task gets none;
# - the events' seq goes on from the snapshot's after a clean unmount: "since <last seq>" loses
#   nothing, "since <last seq - 1>" is told what it lost;
# - a corrupt, truncated, foreign-version or unreadable snapshot is ignored with one warning
#   and the mount starts cold; the intact one is used;
# - a credential the API rejects refuses the mount even with a snapshot;
# - --cache-dir=none reads and writes nothing;
# - secrets: the snapshot holds details masked as shown; with --show-secrets it holds no
#   detail (and the secret nowhere), and a --show-secrets mount reads none from one that has.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

emu_start --tasks 30 --seed 7 || { fail "emulator starts"; finish; exit 1; }
PORT=${EMU_URL##*:}
D=$TEST_TMP/cache
snap() { ls "$D"/*.snapshot 2>/dev/null | head -1; }
status_of() { sed -n "s/^$1: //p" "$MNT/.viasfs/status"; }
ids_api() {
    curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000" |
        python3 -c 'import json,sys; print("\n".join(sorted(t["id"] for t in json.load(sys.stdin)["tasks"])))'
}
state_api() { ctl GET "/_emulator/tasks/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["task"]["state"])'; }
set_state() { ctl PUT "/_emulator/tasks/$1/state" "{\"state\":\"$2\"}" >/dev/null; }
until_true() {
    local n=$(($(scaled "$1") * 10))
    shift
    for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
    return 1
}
seq_of() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seq"])' "$1"; }
since() { python3 tests/watch/since.py "$@"; }
all=$(ids_api)
mapfile -t run < <(for id in $all; do [ "$(state_api "$id")" = RUNNING ] && echo "$id"; done | head -3)
A=${run[0]} B=${run[1]} C=${run[2]}

# ---- An unmount leaves the snapshot.
mnt_start first --cache-dir="$D" --refresh=1 --ttl=2 || { fail "viasfs mounts"; finish; exit 1; }
ls "$MNT/tasks" >/dev/null
cat "$MNT/tasks/$A/task.json" >/dev/null # a detail, kept in the snapshot
set_state "$B" STOPPED
until_true 5 eval "[ \"\$(cat '$MNT/tasks/$B/state')\" = STOPPED ]" || diag "the change did not arrive"
until_true 5 eval "[ \$(wc -l <'$MNT/tasks/$B/history') = 2 ]"
timeout 2 cat "$MNT/.viasfs/events" >/dev/null # nothing: a reader from now on
last_line=$(python3 - "$MNT/.viasfs/events" <<'PYEOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.write(fd, b"since 0\n")
lines = []
import select
while select.select([fd], [], [], 1)[0]:
    lines += os.read(fd, 65536).decode().splitlines()
print(lines[-1] if lines else "")
PYEOF
)
LAST=$(seq_of "$last_line")
check "the mount's events: since 0 gave its lines, the last one a state change of B" \
    eval "echo '$last_line' | grep -q '\"task_id\":\"$B\"'"
mnt_stop "$MNT"
S=$(snap)
check "unmounted: a snapshot file in --cache-dir" test -n "$S"
check_eq "its mode 0600, its directory's 0700" "600 700" "$(stat -c %a "$S") $(stat -c %a "$D")"
check "it holds the task's detail masked as shown (\"***\" in it)" grep -aq '"\*\*\*"' "$S"

# ---- A remount while the API stalls: from the snapshot; without one: nothing to show.
kill -STOP "$EMU_PID"
mnt_start stalled --cache-dir="$D" --refresh=1 --ttl=2 --timeout=2 ||
    { fail "viasfs mounts from the snapshot while the API stalls"; }
check_eq "stalled API, snapshot: ls tasks lists every task" "$all" "$(ls "$MNT/tasks" 2>&1 | sort)"
check_eq "... cat state answers from it (B: STOPPED, as last seen)" "STOPPED" "$(cat "$MNT/tasks/$B/state" 2>&1)"
check_eq "... a view answers from it (B in by-state/STOPPED)" "$B" "$(ls "$MNT/by-state/STOPPED" 2>&1 | grep -x "$B")"
check_eq "... a detail kept in it answers too (task.json of A)" "$A" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$MNT/tasks/$A/task.json" 2>&1)"
check_eq "... B's history came with it (2 lines, RUNNING then STOPPED)" "RUNNING STOPPED" \
    "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["new"] for l in open(sys.argv[1])))' "$MNT/tasks/$B/history" 2>&1)"
check "... status: stale, from the snapshot, with its age" \
    eval 'status_of stale | grep -Eq "^yes, the snapshot written .*, [0-9.]+ s old"'
check "... status: loaded, the API could not be reached at mount" \
    eval 'status_of snapshot_loaded | grep -q "^yes.*could not be reached"'
check_eq "... the log says so in one line" "1" \
    "$(grep -c 'mounting from the snapshot' "$TEST_TMP/viasfs-stalled.log")"
check_eq "... the events' seq goes on after the snapshot's (clean unmount): since <last> is not lost" \
    "" "$(since "$MNT/.viasfs/events" "since $LAST" 1 0.5)"
check "... and since <last - 1> is told it lost <last>" \
    eval "since '$MNT/.viasfs/events' 'since $((LAST - 1))' 1 0.5 | grep -q '\"type\":\"lost\",\"from\":$LAST,\"to\":$LAST'"
mnt_stop "$MNT"
cp -a "$D" "$TEST_TMP/cache-shown" # its own copy: this mount rewrites it without details
mnt_start stalled-shown --cache-dir="$TEST_TMP/cache-shown" --refresh=1 --ttl=2 --timeout=2 \
    --show-secrets || fail "viasfs --show-secrets mounts from the snapshot"
check_eq "--show-secrets, stalled API: the list answers from the snapshot" "$all" \
    "$(ls "$MNT/tasks" 2>&1 | sort)"
check "... but no detail comes out of it: task.json of A is not served (the API stalls)" \
    eval "! timeout 10 cat '$MNT/tasks/$A/task.json' >/dev/null 2>&1"
mnt_stop "$MNT"
mnt_start stalled-cold --cache-dir="$TEST_TMP/empty" --refresh=1 --ttl=2 --timeout=2 ||
    diag "(no snapshot, stalled API: did not mount)"
if [ -n "$(ls "$TEST_TMP/empty" 2>/dev/null)" ] || is_mounted "$TEST_TMP/stalled-cold"; then
    out=$(timeout 10 ls "$TEST_TMP/stalled-cold/tasks" 2>&1)
    check_eq "the pair: stalled API, no snapshot: ls tasks lists nothing" "" "$(echo "$out" | grep -x "$A")"
    mnt_stop "$TEST_TMP/stalled-cold"
else
    ok "the pair: stalled API, no snapshot: not mounted"
fi
kill -CONT "$EMU_PID"

# ---- A change made while unmounted arrives as an ordinary change after a warm start.
set_state "$C" STOPPED
mnt_start warm --cache-dir="$D" --refresh=1 --ttl=2 || { fail "viasfs mounts"; finish; exit 1; }
# Every event of this mount, from its first (the walk that confirms the snapshot starts at once).
until_true 10 eval "since '$MNT/.viasfs/events' 'since 0' 100 1 | grep -q '\"task_id\":\"$C\"'"
since "$MNT/.viasfs/events" "since 0" 100 1 >"$TEST_TMP/warm-events"
check "warm start: the change made while unmounted is an event (C: RUNNING -> STOPPED)" \
    grep -q "\"task_id\":\"$C\",.*\"change\":\"state\",\"old\":\"RUNNING\",\"new\":\"STOPPED\"" "$TEST_TMP/warm-events"
check_eq "... and a history line" "RUNNING STOPPED" \
    "$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["new"] for l in open(sys.argv[1])))' "$MNT/tasks/$C/history")"
check_eq "the pair: an unchanged task (A) got no event" "" "$(grep "\"task_id\":\"$A\"" "$TEST_TMP/warm-events")"
check "... the API confirmed every task: status snapshot_unconfirmed 0, stale no" \
    until_true 5 eval 'status_of snapshot_unconfirmed | grep -q "^0 of" && [ "$(status_of stale)" = no ]'
mnt_stop "$MNT"

# ---- A rejected credential refuses the mount even with a snapshot.
echo "s3cr3t-wrong-token" >"$TEST_TMP/bad-token"
chmod 600 "$TEST_TMP/bad-token"
out=$("$VIASFS_BIN" --endpoint="$EMU_URL" --project-id="$EMU_PROJECT" --token-file="$TEST_TMP/bad-token" \
    --cache-dir="$D" "$TEST_TMP/first" 2>&1)
rc=$?
check_eq "rejected credential, with a snapshot: refused (exit 1), one line" "1 1" "$rc $(echo "$out" | wc -l)"
check "... saying the credential was rejected" eval "echo '$out' | grep -q 'rejected the credential'"
check "... not mounted" eval "! is_mounted '$TEST_TMP/first'"

# ---- Corrupt, truncated, foreign-version, unreadable: ignored with one warning.
cp "$S" "$TEST_TMP/good.snapshot"
corrupt() { # KIND: damage the snapshot file
    cp "$TEST_TMP/good.snapshot" "$S"
    case $1 in
    flipped) printf '\x5a' | dd of="$S" bs=1 seek=$(($(stat -c %s "$S") / 2)) conv=notrunc 2>/dev/null ;;
    truncated) truncate -s $(($(stat -c %s "$S") * 2 / 3)) "$S" ;;
    version) sed -i '1s/^viasfs-snapshot 1 /viasfs-snapshot 9 /' "$S" ;;
    garbage) head -c 5000 /dev/urandom >"$S" ;;
    empty) : >"$S" ;;
    directory) rm -f "$S"; mkdir "$S" ;;
    esac
}
for kind in flipped truncated version garbage empty directory; do
    corrupt "$kind"
    if mnt_start "corrupt-$kind" --cache-dir="$D" --refresh=0 --log-level=info; then
        check_eq "$kind snapshot: ignored, the mount starts cold and lists every task" "$all" "$(ls "$MNT/tasks" | sort)"
        check_eq "... status: snapshot_loaded no" "no" "$(status_of snapshot_loaded)"
        check_eq "... one warning" "1" "$(grep -c 'warning: snapshot .* ignored' "$TEST_TMP/viasfs-corrupt-$kind.log")"
        mnt_stop "$MNT"
    else
        fail "$kind snapshot: the mount starts"
    fi
    [ -d "$S" ] && rmdir "$S"
done
cp "$TEST_TMP/good.snapshot" "$S"
mnt_start intact --cache-dir="$D" --refresh=0 || fail "viasfs mounts"
check "the pair: the intact snapshot is loaded" eval 'status_of snapshot_loaded | grep -q "^yes"'
mnt_stop "$MNT"

# ---- --cache-dir=none reads and writes nothing; --show-secrets writes no detail.
cp "$S" "$TEST_TMP/before-none.snapshot"
mnt_start none --cache-dir=none --refresh=1 || fail "viasfs mounts"
check_eq "--cache-dir=none: status says off" "off (--cache-dir=none)" "$(status_of snapshot)"
mnt_stop "$MNT"
check "... and the snapshot was not rewritten" cmp -s "$TEST_TMP/before-none.snapshot" "$S"
secret=$(ctl GET "/_emulator/tasks/$A" | python3 -c '
import json, sys, re
m = re.search(r"Bearer eyJ[A-Za-z0-9]+|\"password\": *\"([^\"]+)\"", json.dumps(json.load(sys.stdin)))
print(m.group(0) if m else "")')
mnt_start shown --cache-dir="$TEST_TMP/shown" --refresh=0 --show-secrets || fail "viasfs mounts"
ls "$MNT/tasks" >/dev/null # a complete picture: written at unmount
cat "$MNT/tasks/$A/task.json" >/dev/null
mnt_stop "$MNT"
S2=$(ls "$TEST_TMP"/shown/*.snapshot 2>/dev/null | head -1)
check "--show-secrets: a snapshot is written (summaries)" test -s "$S2"
check "... holding no detail: no masked value, no input.json" eval "! grep -aq '\"\\*\\*\\*\"\\|\"input\"' '$S2'"
if [ -n "$secret" ]; then
    check "... and not the secret" eval "! grep -aqF '$secret' '$S2'"
    check "the pair: the normal snapshot holds it masked, not in clear" eval "! grep -aqF '$secret' '$S'"
else
    skip "task $A has no secret to look for"
fi

# ---- The default directory: $XDG_CACHE_HOME/viasfs (tests/lib.sh sets VIAS_CACHE_DIR=none).
(
    unset VIAS_CACHE_DIR
    export XDG_CACHE_HOME=$TEST_TMP/xdg
    mnt_start default --refresh=0 && ls "$MNT/tasks" >/dev/null && mnt_stop "$MNT" >/dev/null
)
check "no --cache-dir: the snapshot goes to \$XDG_CACHE_HOME/viasfs/" \
    eval "ls '$TEST_TMP'/xdg/viasfs/*.snapshot >/dev/null 2>&1"
check_eq "... the same file name as with --cache-dir for this endpoint and project" \
    "$(basename "$S")" "$(basename "$(ls "$TEST_TMP"/xdg/viasfs/*.snapshot 2>/dev/null)")"

# ---- The API refusing connections: with a snapshot, mount; without, refused in one line.
emu_stop
mnt_start refused --cache-dir="$D" --refresh=0 --timeout=2 || fail "API refusing, snapshot: mounts"
check_eq "API refusing connections, snapshot: ls tasks lists every task" "$all" "$(ls "$MNT/tasks" 2>&1 | sort)"
mnt_stop "$MNT"
out=$("$VIASFS_BIN" --endpoint="$EMU_URL" --project-id="$EMU_PROJECT" --token-file="$MNT_TOKEN_FILE" \
    --cache-dir="$TEST_TMP/empty2" "$TEST_TMP/first" 2>&1)
rc=$?
check_eq "the pair: no snapshot: refused (exit 1) in one line" "1 1" "$rc $(echo "$out" | wc -l)"
check "... saying it cannot reach the endpoint" eval "echo '$out' | grep -q 'cannot reach'"
finish
