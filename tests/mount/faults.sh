#!/usr/bin/env bash
# Faults: 16 parallel readers walk the whole tree over and over (every listing, every file's
# bytes, every link target, checked against the emulator's data by tests/mount/faultwalk.py)
# while the emulator answers 10% of API requests with a 500, 5% with a 429, drops 3% of the
# connections, truncates 3% of the bodies and stalls 1% of the requests for 5 s, all at once.
# Half the readers use a mount that was warm when the faults began, half one mounted cold
# under the faults; --ttl=2 keeps both going back to the API. The data is static, so every
# answer has exactly one right value: zero wrong answers; a call may fail only after its
# deadline truly passed (ETIMEDOUT/EIO/EAGAIN after at least --timeout - 1 s); no call hangs;
# every kind of fault fired and viasfs retried. The pair: the same readers on a cold mount
# with the faults off have zero failed calls, and the emulator counts zero faults and viasfs
# zero retries. After the faults are cleared, one more walk on each mount is all correct.
# CLEAN_SECONDS / FAULTS_SECONDS set the two phases (default 8 and 25 s); with
# FAULTS_FIGURES=FILE the figures are copied to FILE (for bench/RELIABILITY.md).
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

TASKS=${FAULTS_TASKS:-30}
READERS=16
TIMEOUT=8
CLEAN_SECONDS=${CLEAN_SECONDS:-8}
FAULTS_SECONDS=${FAULTS_SECONDS:-25}
FAULTS='{"stall_ms":5000,"error_500":{"rate":0.10},"error_429":{"rate":0.05},
 "drop":{"rate":0.03},"truncate":{"rate":0.03},"stall":{"rate":0.01}}'
FIG=$TEST_TMP/figures
: >"$FIG"

emu_start --tasks "$TASKS" --seed 61 || { fail "emulator starts"; finish; exit 1; }
fetch_details "$TEST_TMP/details" || { fail "curl fetches every detail"; finish; exit 1; }
check_eq "the emulator holds $TASKS tasks" "$TASKS" "$(wc -l <"$TEST_TMP/details/ids")"
# --ttl=2: data goes stale within a walk, so reads keep reaching the API; --refresh=2 adds the
# background list walks to the traffic.
OPTS=(--ttl=2 --refresh=2 --timeout=$TIMEOUT)
mnt_start warm "${OPTS[@]}" || { fail "viasfs mounts"; finish; exit 1; }
WARM=$MNT

# metric NAME_PREFIX: the sum of the samples starting with it in both mounts' .viasfs/metrics.
metric() {
    local m s=0
    for m in "$WARM" ${COLD:+"$COLD"}; do
        s=$((s + $(awk -v p="$1" 'index($1, p) == 1 { s += $2 } END { printf "%d\n", s + 0 }' "$m/.viasfs/metrics")))
    done
    echo "$s"
}
stats() { ctl GET /_emulator/stats | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

# readers PHASE SECONDS MOUNT...: 16 readers for SECONDS (each at least one whole walk), each
# with its own order; reader i uses mount (i mod the number of mounts).
readers() {
    local phase=$1 secs=$2 i pids=() t=$SECONDS
    shift 2
    local mounts=("$@")
    rm -f "$TEST_TMP/r-$phase-"*
    for i in $(seq 0 $((READERS - 1))); do
        python3 "$MOUNT_DIR/faultwalk.py" walk "$TEST_TMP/details" "${mounts[i % ${#mounts[@]}]}" \
            "$secs" "$i" "$TEST_TMP/r-$phase-$i.json" 2>"$TEST_TMP/r-$phase-$i.err" &
        pids+=($!)
    done
    wait "${pids[@]}"
    diag "$phase: the readers ran $((SECONDS - t)) s"
    for i in $(seq 0 $((READERS - 1))); do
        [ -s "$TEST_TMP/r-$phase-$i.err" ] && { diag "reader $i:"; head -10 "$TEST_TMP/r-$phase-$i.err" | sed 's/^/#   /'; }
    done
}
# report PHASE MODE: faultwalk.py's verdicts as TAP lines; figures appended to $FIG.
report() { py_tap "$MOUNT_DIR/faultwalk.py" report "$TIMEOUT" "$1" "$2" "$FIG" "$TEST_TMP/r-$1-"*.json; }
figure() { printf '%s\t%s\n' "$1" "$2" >>"$FIG"; }

# ---- the pair: a cold mount, no faults
ctl DELETE /_emulator/faults >/dev/null
stats_reset
r0=$(metric viasfs_api_retries_total)
readers clean "$CLEAN_SECONDS" "$WARM"
report clean clean
check_eq "without faults: the emulator injected none" \
    '{"drop": 0, "error_429": 0, "error_500": 0, "malformed": 0, "stall": 0, "truncate": 0}' \
    "$(stats 'json.dumps(d["faults"], sort_keys=True)')"
check_eq "without faults: viasfs retried nothing" 0 "$(($(metric viasfs_api_retries_total) - r0))"
diag "without faults: $(stats 'd["total"]') API requests: $(counts)"
figure clean.requests "$(stats 'd["total"]')"
figure clean.counts "$(counts)"

# ---- bursts: N failures in a row of one kind, on reads that have nothing cached, end well
# inside the deadline (backoff from 100 ms, from 1 s after a 429), so the read must succeed
# with the right bytes, or fail only after its deadline (TIMEOUT / 2, as for the readers).
# Deterministic (a count, not a rate): the random phase below meets such bursts only rarely.
mapfile -t ids <"$TEST_TMP/details/ids"
camera=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["video_source_name"])' \
    "$TEST_TMP/details/${ids[0]}.json")
mnt_start burst "${OPTS[@]}" --refresh=0 || fail "viasfs mounts (bursts)"
BURST=$MNT
# burst KIND N ENDPOINT PATH: N answers of KIND in a row on ENDPOINT, then PATH read (cat, or
# ls for a by-* directory: one operation, no stat first) on the burst mount and compared with
# the expected tree.
burst() {
    local kind=$1 n=$2 ep=$3 path=$4 rc t0 t want got
    ctl PUT /_emulator/faults "{\"endpoints\":\"$ep\",\"$kind\":{\"rate\":1,\"count\":$n}}" >/dev/null
    stats_reset
    want=$(python3 "$MOUNT_DIR/faultwalk.py" expect "$TEST_TMP/details" "$path" | od -An -c | md5sum)
    t0=$EPOCHREALTIME
    if [[ $path = by-* ]]; then
        got=$(ls -A "$BURST/$path" 2>"$TEST_TMP/burst.err" | LC_ALL=C sort)
        rc=$?
        got=$( { [ -n "$got" ] && printf '%s\n' "$got"; } | od -An -c | md5sum)
    else
        got=$(cat "$BURST/$path" 2>"$TEST_TMP/burst.err" | od -An -c | md5sum)
        rc=${PIPESTATUS[0]}
        [ -s "$TEST_TMP/burst.err" ] && rc=1
    fi
    t=$(python3 -c "print('%.2f' % ($EPOCHREALTIME - $t0))")
    local what="$n x $kind on the $ep endpoint, then ${path%%/*}/...${path##*/} (nothing cached)"
    diag "burst: $what: ${t} s, $(head -c 150 "$TEST_TMP/burst.err"), emulator: $(counts), injected: $(ctl GET /_emulator/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["faults"])')"
    figure "burst.$kind.x$n.$ep" "$( [ -s "$TEST_TMP/burst.err" ] && echo "failed after $t s: $(head -c 80 "$TEST_TMP/burst.err" | sed 's/.*: //')" || echo "survived, $t s")"
    if [ ! -s "$TEST_TMP/burst.err" ]; then
        check_eq "burst: $what: right bytes after $t s" "$want" "$got"
    else
        check "burst: $what: fails only after its deadline (failed after $t s of $TIMEOUT s: $(sed 's/.*: //' "$TEST_TMP/burst.err" | head -1))" \
            python3 -c "import sys; sys.exit(not $t >= $TIMEOUT / 2)"
    fi
    ctl DELETE /_emulator/faults >/dev/null
}
burst error_500 6 detail "tasks/${ids[1]}/input.json"
burst truncate 6 detail "tasks/${ids[2]}/task.json"
burst drop 6 detail "tasks/${ids[3]}/output.json"
burst error_429 2 detail "tasks/${ids[4]}/config.json"
burst error_500 6 list "by-camera/$camera"
mnt_stop "$BURST"

# ---- all the faults at once; a second mount made cold under them
ctl PUT /_emulator/faults "$FAULTS" >/dev/null || fail "the fault configuration is accepted"
diag "faults: $(ctl GET /_emulator/faults)"
stats_reset
r0=$(metric viasfs_api_retries_total)
t0=$(metric viasfs_api_transport_failures_total)
if mnt_start cold "${OPTS[@]}"; then
    COLD=$MNT
    ok "viasfs mounts while the faults are on"
else
    fail "viasfs mounts while the faults are on"
fi
# The cold mount's counters start at 0; its start-up requests are in the emulator's counts.
readers faults "$FAULTS_SECONDS" "$WARM" ${COLD:+"$COLD"}
injected=$(stats 'json.dumps(d["faults"], sort_keys=True)')
total=$(stats 'd["total"]')
cnt=$(counts)
ctl DELETE /_emulator/faults >/dev/null
retries=$(($(metric viasfs_api_retries_total) - r0))
transport=$(($(metric viasfs_api_transport_failures_total) - t0))
report faults faults
diag "with faults: $total API requests ($cnt)"
diag "with faults: injected $injected"
diag "viasfs: $retries retries, $transport transport failures (.viasfs/metrics of both mounts)"
figure faults.requests "$total"
figure faults.counts "$cnt"
figure faults.injected "$injected"
figure faults.viasfs_retries "$retries"
figure faults.viasfs_transport_failures "$transport"
for f in error_500 error_429 drop truncate stall; do
    n=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$injected" "$f")
    check "with faults: the emulator injected $f ($n times)" [ "$n" -gt 0 ]
done
hard=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["error_500"]+d["error_429"]+d["drop"]+d["truncate"])' "$injected")
check "with faults: viasfs retried ($retries retries after $hard failed answers)" [ "$retries" -gt 0 ]

# ---- recovery: faults off, one more whole walk per reader is entirely correct
readers after 0 "$WARM" ${COLD:+"$COLD"}
report after clean
for m in "$WARM" ${COLD:+"$COLD"}; do
    diag "$(basename "$m") after: $(grep -E '^(stale|stale_served|errors):' "$m/.viasfs/status" | tr '\n' ' ')"
done
[ -n "${COLD:-}" ] && mnt_stop "$COLD"
mnt_stop "$WARM"
[ -n "${FAULTS_FIGURES:-}" ] && cp "$FIG" "$FAULTS_FIGURES"
diag "faults.sh ran $SECONDS s"
finish
