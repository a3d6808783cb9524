#!/usr/bin/env bash
# bench/emulator.sh: how fast vias-emulator serves list pages from a 100,000-task data set.
#
# Starts build/vias-emulator (BUILD selects another build dir) with --tasks 100000 on a free
# loopback port, then times with curl (-w %{time_total}, REPEAT requests per case on one
# keep-alive connection after WARMUP unmeasured ones, median and 90th percentile) the first, a middle and
# the last page at page_size=1000: unfiltered, with task_state=RUNNING, with a loose
# camera_name substring and with one exact camera; plus page_size=10 (the ratio to 1000 says
# what a page costs per item) and the detail call. Prints a Markdown table and appends it,
# with the command, the machine and the date, to bench/RESULTS.md (NO_APPEND=1: print only).
# The emulator runs with --count total so the script knows the last page; counting is done
# for every filtered page in either mode, so this does not change the cost.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
BIN=$BUILD/vias-emulator
TASKS=${TASKS:-100000}
REPEAT=${REPEAT:-40}
WARMUP=${WARMUP:-5}
[ -x "$BIN" ] || { echo "bench: $BIN is missing: run make $BIN" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vias-bench.XXXXXX")
echo bench-token >"$tmp/tokens"
start=$(date +%s.%N)
"$BIN" --port 0 --port-file "$tmp/port" --token-file "$tmp/tokens" --tasks "$TASKS" --count total \
    2>"$tmp/log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1200); do
    [ -s "$tmp/port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/log" >&2; exit 1; }
    sleep 0.05
done
ready=$(date +%s.%N)
url="http://127.0.0.1:$(cat "$tmp/port")/v2/0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d/tasks"

# total QUERY: the number of tasks QUERY matches.
total() {
    curl -sf -H 'X-Auth-Token: bench-token' "$url?page_size=5&$1" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'
}

# measure LABEL PATH_AND_QUERY: one table row.
measure() {
    local label=$1 target=$2 args=() i
    for i in $(seq 1 $((WARMUP + REPEAT))); do args+=(-o /dev/null "$target"); done
    curl -s -H 'X-Auth-Token: bench-token' \
        -w '%{http_code} %{size_download} %{time_total}\n' "${args[@]}" | tail -n +$((WARMUP + 1)) |
        python3 -c '
import statistics, sys
rows = [l.split() for l in sys.stdin if l.strip()]
codes = {r[0] for r in rows}
t = sorted(float(r[2]) * 1000 for r in rows)
p90 = t[int(len(t) * 0.9) - 1]
print("| %s | %s | %s | %.2f | %.2f |" % (sys.argv[1], "/".join(sorted(codes)), rows[0][1],
                                         statistics.median(t), p90))
' "$label"
}

camera=$(curl -sf -H 'X-Auth-Token: bench-token' "$url?page_size=5" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["video_source_name"])')
camera_q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$camera")
task=$(curl -sf -H 'X-Auth-Token: bench-token' "$url?page_size=5" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["id"])')

rows=()
for filter in "" "task_state=RUNNING" "camera_name=cam-0" "camera_name=$camera_q"; do
    n=$(total "$filter")
    last=$(((n + 999) / 1000))
    [ "$last" -ge 1 ] || last=1
    name=${filter:-unfiltered}
    [ "$filter" = "camera_name=$camera_q" ] && name="camera_name=<one camera> (loose)"
    [ "$filter" = "camera_name=cam-0" ] && name="camera_name=cam-0 (loose substring)"
    for page in $(printf '%s\n' 1 $(((last + 1) / 2)) "$last" | uniq); do
        rows+=("$(measure "$name, $n matching, page $page of $last" "$url?page_size=1000&page=$page${filter:+&$filter}")")
    done
done
rows+=("$(measure "unfiltered, page_size=10, page 1" "$url?page_size=10&page=1")")
rows+=("$(measure "detail of one task" "$url/$task")")

ratio=$(printf '%s\n' "${rows[0]}" "${rows[${#rows[@]} - 2]}" |
    awk -F'|' '{ gsub(/ /, "", $5); m[NR] = $5 } END { printf "%.1f", m[1] / m[2] }')
startup=$(awk "BEGIN { printf \"%.1f\", $ready - $start }")
rss=$(awk '/VmRSS/ { printf "%d MB", $2 / 1024 }' "/proc/$pid/status")

report=$(
    echo "## vias-emulator: list pages from $TASKS tasks ($(date -u +%Y-%m-%d))"
    echo
    echo "Command: \`bench/emulator.sh\` (TASKS=$TASKS REPEAT=$REPEAT WARMUP=$WARMUP, $BIN). Machine: $(nproc) CPUs," \
        "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(uname -r)." \
        "Startup with $TASKS generated tasks: ${startup} s, resident memory after the run: $rss." \
        "Times are curl's time_total on a keep-alive loopback connection, in milliseconds."
    echo
    echo "| request | status | bytes | median ms | p90 ms |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "A 1000-item page costs ${ratio}x a 10-item page."
)
echo "$report"
if [ -z "${NO_APPEND:-}" ]; then
    [ -f bench/RESULTS.md ] || printf '# Benchmark results\n' >bench/RESULTS.md
    printf '\n%s\n' "$report" >>bench/RESULTS.md
    echo "(appended to bench/RESULTS.md)"
fi
