#!/usr/bin/env bash
# Load: 64 concurrent readers over 10,000 tasks, every answer checked against the API's data
# (tests/mount/loadreaders.py: file bytes rendered by treemodel.py, listings by exact name).
# Phase "same": all 64 read the nine files of one cold task and list tasks/ at once: the
# emulator serves exactly one detail request and one walk of the list (10,000/1000 + 1 pages:
# a walk stops at the first short page). Phase "mixed": each reads state and task.json of 150
# of 999 tasks (each task read by about 10 readers) and lists 3 of 16 views (states, cameras,
# algorithms, several pages each for the big states): every task's detail is requested
# exactly once (the emulator's -v log, per task id), and the list requests are exactly one
# walk per view. The emulator answers after 300 ms in "same" and 20 ms in "mixed", so that
# readers really do ask while a request is in flight. --ttl=600 and --refresh=0: nothing goes stale or is fetched in the
# background during the test. The pair: the "same" phase on a mount with --ttl=0 makes more
# than one detail request, so the count does catch repeated fetches.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

N=${LOAD_TASKS:-10000}
READERS=64
SUBSET=1000
D=$TEST_TMP/data
mkdir -p "$D"
emu_start --tasks "$N" --seed 71 -v || { fail "emulator starts"; finish; exit 1; }
t=$SECONDS
python3 "$MOUNT_DIR/loadreaders.py" prepare "$EMU_URL" "$EMU_PROJECT" "$EMU_TOKEN_FILE" \
    "$SUBSET" 71 "$D" || { fail "the expected data is fetched from the API"; finish; exit 1; }
for phase in same mixed; do
    python3 "$MOUNT_DIR/loadreaders.py" plan "$D" "$phase" "$READERS" 7 || fail "plan $phase"
done
python3 "$MOUNT_DIR/loadreaders.py" pages "$D" same >"$D/pages-same" &&
    python3 "$MOUNT_DIR/loadreaders.py" pages "$D" mixed >"$D/pages-mixed" || fail "view sizes are asked of the API"
diag "expected data for $N tasks ($SUBSET details) fetched in $((SECONDS - t)) s"
diag "mixed views (list requests per walk): $(tr '\n' ' ' <"$D/pages-mixed")"

# phase NAME: the readers of NAME's plan, started together on $MNT; their verdicts as TAP.
phase() {
    rm -f "$D/r-$1-"*
    python3 "$MOUNT_DIR/loadreaders.py" run "$D" "$1" "$MNT" "$READERS" 2>"$D/run-$1.err"
    head -10 "$D/run-$1.err" | sed 's/^/# readers: /'
    py_tap "$MOUNT_DIR/loadreaders.py" report "$D" "$1" "$D/r-$1-"*.json
}
# details_per_task FROM_LINE: "<requests> <id>" per task id whose detail the emulator served
# since line FROM_LINE of its log.
details_per_task() {
    tail -n +"$1" "$TEST_TMP/emulator.log" |
        sed -n "s|^vias-emulator: GET /v2/$EMU_PROJECT/tasks/\([0-9a-f]*\) 200 .*|\1|p" | sort | uniq -c
}
loglines() { wc -l <"$TEST_TMP/emulator.log"; }
sum_pages() { awk '{ s += $2 } END { print s + 0 }' "$1"; }

mnt_start load --ttl=600 --refresh=0 || { fail "viasfs mounts $N tasks"; finish; exit 1; }
# Every API answer takes 300 ms: the 64 readers, released together, all ask while the first
# request is still in flight.
ctl PUT /_emulator/faults '{"latency_ms":300}' >/dev/null
stats_reset
from=$(($(loglines) + 1))
phase same
x=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["subset"][0])' "$D/expected.json")
check_eq "same: 64 readers of one cold task and of the cold tasks/ listing: one detail request, one walk ($(sum_pages "$D/pages-same") pages)" \
    "list.200=$(sum_pages "$D/pages-same") detail.200=1" "$(counts)"
check_eq "same: the one detail request is the task's" "1 $x" "$(details_per_task "$from" | sed 's/^ *//')"

ctl PUT /_emulator/faults '{"latency_ms":20}' >/dev/null
stats_reset
from=$(($(loglines) + 1))
phase mixed
touched=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["tasks"]))' "$D/plan-mixed.json")
details_per_task "$from" >"$D/details-mixed"
python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))["tasks"]))' "$D/plan-mixed.json" >"$D/touched-mixed"
reads=$(python3 -c 'import json,sys; print(sum(1 for o in json.load(open(sys.argv[1]))["ops"] for k, p in o if p.endswith("task.json")))' "$D/plan-mixed.json")
# (The views come from the listing of every task the same phase walked, fresh for --ttl=600:
# no list request at all; $(sum_pages ...) is what filtered walks would have cost.)
check_eq "mixed: $reads concurrent task.json reads of $touched tasks: $touched detail requests, no list request (views from the fresh full listing, not $(sum_pages "$D/pages-mixed") filtered pages)" \
    "detail.200=$touched" "$(counts)"
check_eq "mixed: each of the $touched tasks' detail was requested exactly once (single flight)" \
    "$(sort "$D/touched-mixed" | sed 's/^/1 /')" "$(awk '{ print $1, $2 }' "$D/details-mixed" | sort -k2)"
diag "mixed: most requests for one task's detail: $(sort -rn "$D/details-mixed" | head -1)"
printf 'load.tasks\t%s\nload.readers\t%s\nload.same.counts\t%s\nload.mixed.reads\t%s\nload.mixed.tasks\t%s\nload.mixed.list_pages\t%s\n' \
    "$N" "$READERS" "list.200=$(sum_pages "$D/pages-same") detail.200=1" "$reads" "$touched" "$(sum_pages "$D/pages-mixed")" \
    >"$D/figures"
mnt_stop "$MNT"

# The pair: with --ttl=0 nothing stays fresh, and the same 64 readers cause more than one
# detail request (so the exact counts above can fail).
mnt_start nottl --ttl=0 --refresh=0 || fail "viasfs mounts with --ttl=0"
stats_reset
phase same
n=$(ctl GET /_emulator/stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"]["detail"].get("200", 0))')
check "pair: with --ttl=0 the same phase makes more than one detail request ($n)" [ "$n" -gt 1 ]
mnt_stop "$MNT"
[ -n "${LOAD_FIGURES:-}" ] && cp "$D/figures" "$LOAD_FIGURES"
diag "load.sh ran $SECONDS s"
finish
