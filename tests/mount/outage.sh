#!/usr/bin/env bash
# Outages, throttling and churn (issue 13, items 1-7): what a directory shows while the API
# throttles or stalls, recovery with nobody reading, tasks deleted while a walk runs, a
# refresh racing a fetch in flight, and a task the list names but the detail denies. Each
# check comes with its counterpart (the same without the fault or change).
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

# The ids the API lists now, sorted.
api_ids() {
    curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000${1:+&task_state=$1}" |
        python3 -c 'import json,sys; print("\n".join(sorted(t["id"] for t in json.load(sys.stdin)["tasks"])))'
}
status_of() { sed -n "s/^$1: //p" "$MNT/.viasfs/status"; }
# until_true SECONDS CMD...: runs CMD every 0.1 s until it succeeds (0) or SECONDS pass (1).
until_true() {
    local n=$(($(scaled "$1") * 10))
    shift
    for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done
    return 1
}

# ---- 1. A throttled walk never shows as a shorter or empty directory.
emu_start --tasks 12 --seed 3 || { fail "emulator starts"; finish; exit 1; }
mnt_start throttle --page-size=5 --ttl=2 --refresh=0 --timeout=4 || { fail "viasfs mounts"; finish; exit 1; }
all=$(api_ids)
check_eq "no fault: ls tasks lists all 12 tasks, exit 0" "12 0" "$(ls "$MNT/tasks" | wc -l) ${PIPESTATUS[0]}"
sleep 2.2
ctl PUT /_emulator/faults '{"endpoints":"list","from_page":2,"error_429":{}}' >/dev/null
out=$(ls "$MNT/tasks" 2>"$TEST_TMP/ls.err")
rc=$?
n=$(printf '%s' "$out" | grep -c .)
diag "page 2 throttled, past the ttl: ls tasks exit $rc, $n entries, stderr: $(head -c 200 "$TEST_TMP/ls.err")"
check "page 2 throttled: ls tasks shows all 12 or fails; never exit 0 with fewer ($rc, $n)" \
    test "$rc:$n" = "0:12" -o "$rc" != 0
check_eq "then, the API known to fail: ls tasks serves the last good listing whole (exit 0)" \
    "$all" "$(ls "$MNT/tasks" | sort)"
ctl PUT /_emulator/faults '{"endpoints":"list","error_429":{}}' >/dev/null
ls "$MNT/by-state/FAILED" >"$TEST_TMP/failed.out" 2>"$TEST_TMP/failed.err"
rc=$?
check "every page throttled, never listed: ls by-state/FAILED fails (exit $rc, $(wc -l <"$TEST_TMP/failed.out") entries), not an empty directory" \
    test "$rc" != 0
check "and says why (Resource temporarily unavailable)" grep -q "temporarily unavailable" "$TEST_TMP/failed.err"
ctl DELETE /_emulator/faults >/dev/null
check_eq "the pair: API back, ls by-state/FAILED lists what the API has, exit 0" \
    "$(api_ids FAILED) 0" "$(ls "$MNT/by-state/FAILED" | sort) ${PIPESTATUS[0]}"
mnt_stop "$MNT"

# ---- 2 and 3. A stalled API: the last good listing within about a second; recovery with
# nobody reading (the refresh loop notices within a period).
mnt_start stall --ttl=2 --refresh=1 --timeout=6 || { fail "viasfs mounts"; finish; exit 1; }
running=$(api_ids RUNNING)
check_eq "before the stall: ls tasks" "$all" "$(ls "$MNT/tasks" | sort)"
check_eq "before the stall: ls by-state/RUNNING" "$running" "$(ls "$MNT/by-state/RUNNING" | sort)"
kill -STOP "$EMU_PID"
sleep 2.5 # past the ttl, and the refresh's walk is stuck
t0=$EPOCHREALTIME
out=$(ls "$MNT/tasks" 2>&1 | sort)
diag "stalled API, past the ttl: ls tasks answered in $(python3 -c "print('%.2f' % ($EPOCHREALTIME - $t0))") s"
check_eq "stalled API, past the ttl: ls tasks serves the last good listing" "$all" "$out"
check_eq "stalled API: ls by-state/RUNNING serves its last good listing" "$running" \
    "$(ls "$MNT/by-state/RUNNING" 2>&1 | sort)"
check "stalled API: status counts stale_served ($(status_of stale_served))" test "$(status_of stale_served)" -gt 0
check "stalled API: status says stale: yes once the walk failed" until_true 15 eval 'status_of stale | grep -q "^yes"'
sleep 7 # past --timeout: every request sent before has failed; only new ones can recover
kill -CONT "$EMU_PID"
check "API back, nobody reading: status says stale: no within a few refresh periods" \
    until_true 8 eval 'status_of stale | grep -qx no'
mnt_stop "$MNT"

# A mount that started while the API stalled recovers with nobody reading, too.
kill -STOP "$EMU_PID"
mnt_start stalled-start --ttl=2 --refresh=1 --timeout=2 || fail "viasfs mounts while the API stalls"
check "started during a stall: status says stale: yes or has never listed" \
    eval 'status_of stale | grep -q "^yes" || status_of list_age | grep -qx never'
sleep 3 # past --timeout: the refresh's first walk has failed
kill -CONT "$EMU_PID"
check "API back, nobody reading: the refresh loop lists every task within a few periods" \
    until_true 8 eval '! status_of list_age | grep -qx never && status_of stale | grep -qx no'
mnt_stop "$MNT"

# ---- 6. A refresh makes the next read fetch, even with a fetch in flight when it came (its
# answer predates the refresh).
id=$(echo "$all" | sed -n 4p)
for refresh in yes no; do
    mnt_start "inflight-$refresh" --ttl=30 --refresh=0 || { fail "viasfs mounts"; continue; }
    ctl PUT /_emulator/faults '{"endpoints":"detail","latency_ms":800}' >/dev/null
    # A reader interrupted while its detail fetch is in flight: the fetch goes on and lands
    # later, with nobody to read again after it.
    cat "$MNT/tasks/$id/state" >/dev/null 2>&1 &
    reader=$!
    sleep 0.15
    kill -TERM "$reader" # (an asynchronous command of a script ignores SIGINT)
    wait "$reader" 2>/dev/null
    sleep 0.15
    [ "$refresh" = yes ] && echo all >"$MNT/.viasfs/refresh"
    sleep 1 # the fetch has landed
    ctl DELETE /_emulator/faults >/dev/null
    stats_reset
    cat "$MNT/tasks/$id/state" >/dev/null
    if [ "$refresh" = yes ]; then
        check_eq "refresh while a detail was in flight: the next cat fetches" "detail.200=1" "$(counts)"
    else
        check_eq "the pair: no refresh: the next cat is served from the cache" "none" "$(counts)"
    fi
    mnt_stop "$MNT"
done

# ---- 7. A task the list names but whose detail says "no such task" is dropped.
proxy_start || { fail "proxy starts"; finish; exit 1; }
MNT_AUTH_ARGS=(--endpoint="$PROXY_URL" --project-id="$EMU_PROJECT" --token-file="$EMU_TOKEN_FILE")
chmod 600 "$EMU_TOKEN_FILE"
mnt_start ghost --ttl=2 --refresh=0 || { fail "viasfs mounts"; finish; exit 1; }
unset MNT_AUTH_ARGS
ghost=$(echo "$all" | sed -n 2p)
gstate=$(cat "$MNT/tasks/$ghost/state")
check_eq "before: the task is listed in tasks/ and by-state/$gstate" "yes yes" \
    "$(ls "$MNT/tasks" | grep -qx "$ghost" && echo yes) $(ls "$MNT/by-state/$gstate" | grep -qx "$ghost" && echo yes)"
grep -r . "$MNT/tasks" >/dev/null 2>&1
check_eq "before: grep -r over tasks/ exits 0" 0 "$?"
echo "$ghost" >"$PROXY_GHOSTS"
sleep 2.2 # grep read every detail: past the ttl, the next read asks again
check "the detail says no such task: cat config.json fails" eval "! cat '$MNT/tasks/$ghost/config.json' >/dev/null 2>&1"
check_eq "then it is gone from tasks/ and by-state/$gstate" "no no" \
    "$(ls "$MNT/tasks" | grep -qx "$ghost" && echo yes || echo no) $(ls "$MNT/by-state/$gstate" | grep -qx "$ghost" && echo yes || echo no)"
grep -r . "$MNT/tasks" >/dev/null 2>"$TEST_TMP/grep.err"
check_eq "and grep -r over tasks/ exits 0" "0" "$?"
sleep 2.2
check_eq "past the ttl, a new walk (the list still names it): still gone" "no 11" \
    "$(ls "$MNT/tasks" | grep -qx "$ghost" && echo yes || echo no) $(ls "$MNT/tasks" | wc -l)"
: >"$PROXY_GHOSTS"
mnt_stop "$MNT"
proxy_stop
emu_stop

# ---- 4 and 5. Tasks deleted while a walk runs; a bulk delete.
for count in page total; do
    emu_start --tasks 300 --seed 5 --count "$count" || { fail "emulator starts"; continue; }
    mnt_start "churn-$count" --page-size=100 --ttl=2 --refresh=0 --timeout=4 || { fail "viasfs mounts"; emu_stop; continue; }
    [ "$count" = page ] && { ls "$MNT/tasks" >/dev/null; sleep 2.2; } # held: the unseen check
    newest=$(curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=20" |
        python3 -c 'import json,sys; print("\n".join(t["id"] for t in json.load(sys.stdin)["tasks"]))')
    ctl PUT /_emulator/faults '{"endpoints":"list","from_page":2,"latency_ms":1500}' >/dev/null
    ls "$MNT/tasks" >"$TEST_TMP/during" 2>&1 &
    lister=$!
    sleep 0.7 # page 1 is in, page 2 waits
    for t in $newest; do ctl DELETE "/_emulator/tasks/$t" >/dev/null; done
    wait "$lister"
    ctl DELETE /_emulator/faults >/dev/null
    now=$(api_ids)
    missing=$(comm -23 <(echo "$now") <(sort "$TEST_TMP/during") | wc -l)
    check_eq "count=$count: 20 deleted during the walk: no task that exists throughout is missing" 0 "$missing"
    check "count=$count: and the deleted ones go within seconds (ls tasks equals the API)" \
        until_true 5 eval '[ "$(ls "$MNT/tasks" | sort)" = "$now" ]'
    mnt_stop "$MNT"
    emu_stop
done

emu_start --tasks 200 --seed 6 || { fail "emulator starts"; finish; exit 1; }
for bulk in yes no; do
    mnt_start "bulk-$bulk" --ttl=2 --refresh=0 --timeout=4 || { fail "viasfs mounts"; continue; }
    ls "$MNT/tasks" >/dev/null
    if [ "$bulk" = yes ]; then
        for t in $(api_ids | sed -n 1,80p); do ctl DELETE "/_emulator/tasks/$t" >/dev/null; done
    fi
    sleep 2.2
    ctl PUT /_emulator/faults '{"endpoints":"detail","latency_ms":150}' >/dev/null
    now=$(api_ids)
    out=$(ls "$MNT/tasks" 2>&1)
    check_eq "bulk delete=$bulk: ls tasks succeeds at --timeout=4 (a detail costs 150 ms)" 0 "$?"
    check "bulk delete=$bulk: ls tasks equals the API once the vanished are checked" \
        until_true 5 eval '[ "$(ls "$MNT/tasks" | sort)" = "$now" ]'
    ctl DELETE /_emulator/faults >/dev/null
    mnt_stop "$MNT"
done

finish
