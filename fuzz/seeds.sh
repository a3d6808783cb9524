#!/usr/bin/env bash
# Writes seed inputs for the fuzz targets from real answers of build/vias-emulator: list
# pages (summary and full items, normal and --hostile data, a total count, an empty page,
# a filtered page), detail answers of every hostile task and some normal ones, every error
# body the emulator sends, and truncated and malformed bodies from its faults (the hand-made
# cases are in fuzz/edge/, which `make fuzz` gives both targets as is). Usage: fuzz/seeds.sh OUTDIR (makes OUTDIR/fuzz_page and
# OUTDIR/fuzz_detail). The committed corpus is these seeds after `-merge=1` (fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: fuzz/seeds.sh OUTDIR}
EMU=${EMU:-build/vias-emulator}
PROJECT=0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d
tmp=$(mktemp -d)
pid=
stop() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; pid=; }
trap 'stop; rm -rf "$tmp"' EXIT
mkdir -p "$out/fuzz_page" "$out/fuzz_detail"

start() { # start OPTIONS...: an emulator on a free port; sets URL
    rm -f "$tmp/port"
    "$EMU" --port 0 --port-file "$tmp/port" --project-id "$PROJECT" "$@" 2>"$tmp/emu.log" &
    pid=$!
    for _ in $(seq 1 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
    URL="http://127.0.0.1:$(cat "$tmp/port")"
}
get() { curl -sS -g -H 'X-Auth-Token: seed' "$URL/v2/$PROJECT$1"; }
save() { cat >"$out/$1/$2"; }

n=0
for mode in summary full; do
    for data in normal hostile; do
        start --tasks 12 --seed 7 --list-fields "$mode" $([ $data = hostile ] && echo --hostile)
        for page in 1 2 3 4 5 6 7 8 9 10 11 12; do
            get "/tasks?page=$page&page_size=5" | save fuzz_page "list-$mode-$data-$page.json"
        done
        get "/tasks?page=99&page_size=5" | save fuzz_page "list-$mode-$data-empty.json"
        get "/tasks?task_state=FAILED&page_size=5" | save fuzz_page "list-$mode-$data-failed.json"
        if [ $mode = full ]; then
            get "/tasks?page_size=1000" | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tasks"]:
    print(t["id"])' >"$tmp/ids"
            while read -r id; do
                n=$((n + 1))
                get "/tasks/$id" | save fuzz_detail "detail-$data-$n.json"
            done <"$tmp/ids"
        fi
        stop
    done
done

# --count total, and the error bodies: service (400), gateway (401, 403, 429) and 500.
start --tasks 30 --seed 3 --count total
get "/tasks?page=2&page_size=5" | save fuzz_page "list-count-total.json"
for q in "/tasks?page_size=2000" "/tasks?task_state=NOPE" "/tasks/0123456789abcdef0123456789abcdef"; do
    n=$((n + 1))
    get "$q" | tee "$out/fuzz_page/error-$n.json" | save fuzz_detail "error-$n.json"
done
curl -sS "$URL/v2/$PROJECT/tasks" | save fuzz_detail "error-401.json"
curl -sS -H 'X-Auth-Token: seed' "$URL/v2/ffffffffffffffffffffffffffffffff/tasks" |
    save fuzz_detail "error-403.json"
ctl() { curl -sS -X PUT -H 'Content-Type: application/json' --data "$1" "$URL/_emulator/faults" >/dev/null; }
ctl '{"error_429":{"rate":1,"count":1}}'
get "/tasks" | save fuzz_detail "error-429.json"
ctl '{"error_500":{"rate":1,"count":1}}'
get "/tasks" | save fuzz_detail "error-500.json"
id=$(get "/tasks?page_size=5" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["id"])')
ctl '{"malformed":{"rate":1}}'
get "/tasks?page_size=5" | save fuzz_page "malformed-list.json"
get "/tasks/$id" | save fuzz_detail "malformed-detail.json"
ctl '{"truncate":{"rate":1}}'
get "/tasks?page_size=5" 2>/dev/null | save fuzz_page "truncated-list.json" || true
get "/tasks/$id" 2>/dev/null | save fuzz_detail "truncated-detail.json" || true
stop

echo "seeds: $(ls "$out/fuzz_page" | wc -l) page, $(ls "$out/fuzz_detail" | wc -l) detail inputs in $out"
