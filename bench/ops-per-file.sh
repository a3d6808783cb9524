#!/bin/bash
# bench/ops-per-file.sh BUILD [viasfs options]: the FUSE operations per file of warm commands over
# 1,000 tasks (emulator --tasks 1000 --seed 5; viasfs --ttl=600 --refresh=0), from
# .viasfs/metrics deltas around the second of two runs of each. Operations under 1 per 1000
# files are not shown.
B=$(realpath "$1"); shift
D=$(mktemp -d); cd $D; echo tok > tokens; chmod 600 tokens
$B/vias-emulator --port 0 --port-file port --project-id P1 --token-file tokens --tasks 1000 --seed 5 2>/dev/null & E=$!
sleep 1; mkdir mnt
$B/viasfs --endpoint=http://127.0.0.1:$(cat port) --project-id=P1 --token-file=tokens --ttl=600 --refresh=0 "$@" mnt
snap() { grep '^viasfs_fuse_operations_total' mnt/.viasfs/metrics | sed 's/viasfs_fuse_operations_total{op="\(.*\)"} /\1 /'; }
delta() { join <(echo "$1" | sort) <(echo "$2" | sort) | awk -v n=$3 '$3-$2>1 {printf "%s=%.2f ", $1, ($3-$2)/n}'; echo; }
run() { local name=$1 n=$2; shift 2; eval "$@" >/dev/null 2>&1; a=$(snap); eval "$@" >/dev/null 2>&1; b=$(snap); echo "$name (per file, warm): $(delta "$a" "$b" $n)"; }
ls mnt/tasks >/dev/null; cat mnt/tasks/*/output.json >/dev/null
run "cat tasks/*/state" 1000 'cat mnt/tasks/*/state'
run "cat tasks/*/config.json" 1000 'cat mnt/tasks/*/config.json'
run "ls -l by-state/RUNNING" $(ls mnt/by-state/RUNNING | wc -l) 'ls -l mnt/by-state/RUNNING'
run "find . -type f" 1000 'find mnt -type f'
fusermount3 -u mnt; kill $E; cd /; rm -rf $D
