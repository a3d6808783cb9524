#!/usr/bin/env bash
# Soak (`make soak`; not part of `make check`): for SOAK_SECONDS (default 300) the emulator
# changes SOAK_CHURN task states a second (/_emulator/churn) and injects faults (5% 500s, 2%
# 429s, 1% dropped connections, 1% truncated bodies, 0.5% 5-second stalls) while
# SOAK_READERS (8) readers walk the whole tree of SOAK_TASKS (500) tasks over and over
# (tests/mount/faultwalk.py in its churn mode: every byte that churn cannot change is compared
# with the snapshot taken before the start, the rest checked for what it may be) and one
# `cat .viasfs/events` follows the changes. Every SOAK_SAMPLE (5) seconds the daemon's VmRSS,
# VmHWM, threads and open files go to $SOAK_OUT/rss.csv (default $BUILD/soak/).
# Fails when a read returns a wrong byte, a call fails other than after its deadline, an event
# line is not JSON, or RSS keeps growing: the largest RSS of the last third of the run exceeds
# the largest of the first third by more than SOAK_RSS_MARGIN percent (default 10).
# The result lines are TAP; the figures go to $SOAK_OUT/figures. At the end, when gdb is
# installed, malloc_trim(0) is called in the daemon and its RSS before and after is printed:
# memory malloc holds free counts in RSS but is not a leak (bench/RELIABILITY.md).
cd "$(dirname "$0")/.." || exit 1
. tests/mount/mountlib.bash
require_fuse

SOAK_SECONDS=${SOAK_SECONDS:-300}
SOAK_TASKS=${SOAK_TASKS:-500}
SOAK_READERS=${SOAK_READERS:-8}
SOAK_CHURN=${SOAK_CHURN:-5}
SOAK_SAMPLE=${SOAK_SAMPLE:-5}
SOAK_RSS_MARGIN=${SOAK_RSS_MARGIN:-10}
OUT=${SOAK_OUT:-$BUILD/soak}
TIMEOUT=8
FAULTS='{"stall_ms":5000,"error_500":{"rate":0.05},"error_429":{"rate":0.02},
 "drop":{"rate":0.01},"truncate":{"rate":0.01},"stall":{"rate":0.005}}'
mkdir -p "$OUT"
rm -f "$OUT"/r-*.json "$OUT/events.jsonl"
FIG=$OUT/figures
: >"$FIG"
figure() { printf '%s\t%s\n' "$1" "$2" >>"$FIG"; }
stats() { ctl GET /_emulator/stats | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

emu_start --tasks "$SOAK_TASKS" --seed 91 || { fail "emulator starts"; finish; exit 1; }
fetch_details "$TEST_TMP/details" || { fail "curl fetches every detail"; finish; exit 1; }
# SOAK_OPTS: more viasfs options (e.g. --no-inotify for a run under valgrind --tool=massif:
# the inotify touches are calls through the mount, which valgrind serialises into a deadlock).
mnt_start soak --ttl=2 --refresh=2 --timeout=$TIMEOUT ${SOAK_OPTS:-} || { fail "viasfs mounts"; finish; exit 1; }
diag "soak: $SOAK_SECONDS s, $SOAK_TASKS tasks, $SOAK_READERS readers, churn $SOAK_CHURN/s, daemon PID $MNT_PID"
figure soak.command "SOAK_SECONDS=$SOAK_SECONDS SOAK_TASKS=$SOAK_TASKS SOAK_READERS=$SOAK_READERS SOAK_CHURN=$SOAK_CHURN bench/soak.sh; viasfs --ttl=2 --refresh=2 --timeout=$TIMEOUT ${SOAK_OPTS:-}"
figure soak.faults "$(echo $FAULTS)"

ctl PUT /_emulator/faults "$FAULTS" >/dev/null || fail "the fault configuration is accepted"
ctl PUT /_emulator/churn "{\"rate\":$SOAK_CHURN}" >/dev/null || fail "churn starts"
stats_reset
pids=()
for i in $(seq 0 $((SOAK_READERS - 1))); do
    python3 "$MOUNT_DIR/faultwalk.py" walk "$TEST_TMP/details" "$MNT" "$SOAK_SECONDS" "$i" \
        "$OUT/r-$i.json" churn 2>"$OUT/r-$i.err" &
    pids+=($!)
done
timeout "$SOAK_SECONDS" cat "$MNT/.viasfs/events" >"$OUT/events.jsonl" 2>"$OUT/events.err" &
events_pid=$!

# sample: one CSV line about the daemon: seconds since the start, VmRSS, VmHWM, threads, open
# files; the API requests and state changes so far; the tasks and bytes the cache holds.
sample() {
    local proc mem
    proc=$(awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } /^Threads:/ { t = $2 }
        END { print r "," h "," t }' "/proc/$MNT_PID/status")
    mem=$(awk '$1 == "viasfs_cache_tasks" { t = $2 } $1 == "viasfs_cache_bytes" { b = $2 }
        END { print t + 0 "," b + 0 }' "$MNT/.viasfs/metrics")
    echo "$((SECONDS - t0)),$proc,$(ls "/proc/$MNT_PID/fd" | wc -l),$(stats 'd["total"]'),$(
        ctl GET /_emulator/churn | python3 -c 'import json,sys; print(json.load(sys.stdin)["changes"])'),$mem"
}
# The sampler runs until every reader is done.
echo "seconds,rss_kb,hwm_kb,threads,fds,api_requests,churn_changes,cache_tasks,cache_bytes" >"$OUT/rss.csv"
t0=$SECONDS
while :; do
    running=0
    for p in "${pids[@]}"; do [ -d "/proc/$p" ] && running=1; done
    [ -d "/proc/$MNT_PID" ] || { fail "the daemon (PID $MNT_PID) is still running"; break; }
    sample >>"$OUT/rss.csv"
    [ "$running" = 0 ] && break
    sleep "$SOAK_SAMPLE"
done
wait "${pids[@]}"
wait "$events_pid"
injected=$(stats 'json.dumps(d["faults"], sort_keys=True)')
total=$(stats 'd["total"]')
cnt=$(counts)
changes=$(ctl GET /_emulator/churn | python3 -c 'import json,sys; print(json.load(sys.stdin)["changes"])')
ctl PUT /_emulator/churn '{"rate":0}' >/dev/null
ctl DELETE /_emulator/faults >/dev/null
awk -v p=viasfs_api_retries_total 'index($1, p) == 1 { s += $2 } END { printf "%d\n", s + 0 }' \
    "$MNT/.viasfs/metrics" >"$OUT/retries"
diag "soak: $((SECONDS - t0)) s; $total API requests ($cnt); $changes state changes"
diag "soak: injected $injected; viasfs retried $(cat "$OUT/retries") times"
for i in $(seq 0 $((SOAK_READERS - 1))); do
    [ -s "$OUT/r-$i.err" ] && { diag "reader $i:"; head -5 "$OUT/r-$i.err" | sed 's/^/#   /'; }
done
figure soak.requests "$total"
figure soak.counts "$cnt"
figure soak.injected "$injected"
figure soak.viasfs_retries "$(cat "$OUT/retries")"
figure soak.churn_changes "$changes"

py_tap "$MOUNT_DIR/faultwalk.py" report "$TIMEOUT" soak faults "$FIG" "$OUT"/r-*.json
n=$(grep -c . "$OUT/events.jsonl")
check "events: .viasfs/events streamed $n lines during the churn, each a JSON object with a task_id" \
    python3 -c '
import json, sys
lines = open(sys.argv[1], "rb").read().splitlines()
ok = all(isinstance(json.loads(l), dict) and "task_id" in json.loads(l) for l in lines)
sys.exit(not (lines and ok))' "$OUT/events.jsonl"
figure soak.events "$n"

# RSS: the first third against the last third.
py_tap - "$OUT/rss.csv" "$SOAK_RSS_MARGIN" "$FIG" <<'EOF'
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]))]
margin = float(sys.argv[2])
t = [int(r["seconds"]) for r in rows]
rss = [int(r["rss_kb"]) for r in rows]
end = t[-1] if t else 0
first = [r for x, r in zip(t, rss) if x <= end / 3]
last = [r for x, r in zip(t, rss) if x >= 2 * end / 3]
if len(first) < 2 or len(last) < 2:
    print("not ok\tRSS: enough samples (%d)" % len(rows))
    sys.exit(0)
f, l = max(first), max(last)
# least-squares slope over the last two thirds, KB per minute (a diagnostic)
pts = [(x, r) for x, r in zip(t, rss) if x >= end / 3]
mx = sum(x for x, _ in pts) / len(pts)
my = sum(r for _, r in pts) / len(pts)
den = sum((x - mx) ** 2 for x, _ in pts) or 1
slope = sum((x - mx) * (r - my) for x, r in pts) / den * 60
print("# RSS: %d samples over %d s; start %d KB, max %d KB, end %d KB; first third max %d KB, "
      "last third max %d KB; slope over the last two thirds %+.0f KB/min" %
      (len(rows), end, rss[0], max(rss), rss[-1], f, l, slope))
print("%s\tRSS does not keep growing: the last third's max (%d KB) is within %g%% of the "
      "first third's (%d KB)" % ("ok" if l <= f * (1 + margin / 100) else "not ok", l, margin, f))
fds = [int(r["fds"]) for r in rows]
thr = [int(r["threads"]) for r in rows]
print("# open files %d..%d, threads %d..%d" % (min(fds), max(fds), min(thr), max(thr)))
with open(sys.argv[3], "a") as out:
    out.write("soak.rss_kb\tstart %d, first third max %d, last third max %d, max %d, end %d, "
              "slope %+.0f KB/min over the last two thirds\n" % (rss[0], f, l, max(rss), rss[-1], slope))
    out.write("soak.fds\t%d..%d\nsoak.threads\t%d..%d\nsoak.samples\t%d over %d s\n" %
              (min(fds), max(fds), min(thr), max(thr), len(rows), end))
EOF
# Diagnostic, not a verdict: how much of the RSS is memory malloc holds free (glibc keeps
# freed chunks in its per-thread arenas): malloc_trim(0) called in the daemon by gdb.
if command -v gdb >/dev/null; then
    before=$(awk '/^VmRSS:/ { print $2 }' "/proc/$MNT_PID/status")
    trimmed=$(timeout 60 gdb -p "$MNT_PID" -batch -ex 'call (int)malloc_trim(0)' 2>&1 | grep -c '^\$1 = ')
    after=$(awk '/^VmRSS:/ { print $2 }' "/proc/$MNT_PID/status")
    if [ "$trimmed" = 1 ]; then
        diag "RSS $before KB; after malloc_trim(0) in the daemon: $after KB (the rest was free memory malloc kept)"
        figure soak.rss_after_malloc_trim "$before KB before, $after KB after malloc_trim(0)"
    fi
fi
mnt_stop "$MNT"
diag "figures: $FIG; RSS samples: $OUT/rss.csv"
finish
