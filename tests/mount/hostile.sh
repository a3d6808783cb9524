#!/usr/bin/env bash
# The emulator's --hostile data set (names, cameras and titles with '/', '.', '..', '%',
# control bytes, quotes, 1024-character names, long Unicode, duplicates, empty strings, an
# undocumented state...) mounts, every entry is reachable (find reports no error, stat works
# on every path find lists, every link resolves) and distinct (no directory lists a name
# twice), every name is valid, and the whole tree still equals what the API holds.
# Then a hostile server (tests/mount/proxy.py with junk in every detail answer, gzipped),
# measured at /proc/PID/status and .viasfs/metrics, in pairs: an answer that decodes past
# 16 MiB (61 MiB from about 60 KB on the wire) fails with EIO, says so in .viasfs/errors and
# leaves no memory behind (it took 2.5 GB), while a small one is read; an answer of a value
# every two bytes past 2^20 values (15 MiB: 7.8 million) fails the same way (it took 650 MB);
# one under both caps is read, and what parsing it took is given back: the resident size grows
# by about what the cache says it holds (it grew by 90 MB for 6 MB).
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

for mode in summary full; do
    emu_start --tasks 20 --hostile --list-fields "$mode" || { fail "$mode: emulator starts"; continue; }
    fetch_details "$TEST_TMP/details-$mode" || fail "$mode: curl fetches every detail"
    n=$(wc -l <"$TEST_TMP/details-$mode/ids")
    mnt_start "hostile-$mode" --refresh=0 || { fail "$mode: the hostile data set mounts"; emu_stop; continue; }
    ok "$mode: the hostile data set ($n tasks) mounts"

    # Reachable: find walks everything without an error; stat works on every path it lists.
    find "$MNT" -print0 >"$TEST_TMP/paths" 2>"$TEST_TMP/find.err"
    rc=$?
    check_eq "$mode: find lists the whole mount without an error" "0:" \
        "$rc:$(head -c 1500 "$TEST_TMP/find.err")"
    xargs -0 stat -c '%n' <"$TEST_TMP/paths" >/dev/null 2>"$TEST_TMP/stat.err"
    check_eq "$mode: stat succeeds on every one of the $(tr -cd '\0' <"$TEST_TMP/paths" | wc -c) paths find lists" \
        "" "$(head -5 "$TEST_TMP/stat.err")"
    check_eq "$mode: every link resolves to a task directory (find -xtype l finds none broken)" \
        "" "$(find "$MNT/by-state" "$MNT/by-camera" "$MNT/by-name" "$MNT/by-algorithm" -xtype l 2>/dev/null | head -5)"
    check_eq "$mode: find -type f counts 10 files per task outside .viasfs (9 + history)" "$((10 * n))" \
        "$(find "$MNT" -type f -not -path "$MNT/.viasfs/*" 2>/dev/null | wc -l)"

    # Distinct and valid names.
    for d in by-name by-camera by-algorithm by-state tasks; do
        check_eq "$mode: ls -A $d | sort | uniq -d is empty" "" "$(ls -A "$MNT/$d" | sort | uniq -d | head -5)"
    done
    py_tap - "$MNT" "$mode" <<'EOF'
import os, sys
root, mode = os.fsencode(sys.argv[1]), sys.argv[2]
dups, bad, dirs = [], [], 0
for top, subdirs, files in os.walk(root):
    if top.endswith(b"/.viasfs"):
        continue
    dirs += 1
    names = os.listdir(top)  # what readdir returned, in order, duplicates included
    if len(names) != len(set(names)):
        seen = set()
        dups += [(top, x) for x in names if x in seen or seen.add(x)]
    for x in names:
        try:
            x.decode("utf-8")
        except UnicodeDecodeError:
            bad.append((top, x, "not UTF-8"))
        if len(x) > 255 or any(c < 0x20 or c == 0x7F for c in x) or b"/" in x or x in (b".", b".."):
            bad.append((top, x, "invalid"))
print("%s\t%s: no directory lists a name twice (%d directories, readdir order)" % (
    "not ok" if dups else "ok", mode, dirs))
for t, x in dups[:5]:
    print("#   %r lists %r twice" % (t, x))
print("%s\t%s: every name is valid UTF-8, at most 255 bytes, without control bytes or '/'" % (
    "not ok" if bad else "ok", mode))
for t, x, why in bad[:5]:
    print("#   %r in %r: %s" % (x, t, why))
EOF

    # The whole tree, bytes and names, against the model computed from the API.
    py_tap "$MOUNT_DIR/treemodel.py" compare "$TEST_TMP/details-$mode" "$MNT" "$mode"

    # Spot checks, spelled out.
    check_eq "$mode: by-name holds %00, %2E, %2E%2E and a%2Fb%2Fc" "%00 %2E %2E%2E a%2Fb%2Fc" \
        "$(cd "$MNT/by-name" && for x in %00 %2E %2E%2E a%2Fb%2Fc; do [ -L "$x" ] && printf '%s ' "$x"; done | sed 's/ $//')"
    check_eq "$mode: the two tasks named duplicate-name are duplicate-name%@<id>" 2 \
        "$(ls "$MNT/by-name" | grep -c '^duplicate-name%@[0-9a-f]\{32\}$')"
    id=$(python3 -c 'import json,sys,os
d=sys.argv[1]
for i in open(os.path.join(d,"ids")).read().split():
    if json.load(open(os.path.join(d,i+".json")))["name"].startswith("long-name-"): print(i)' "$TEST_TMP/details-$mode")
    long=$(ls "$MNT/by-name" | grep '^long-name-')
    hash=$(python3 -c 'import hashlib,json,sys; print(hashlib.sha256(json.load(open(sys.argv[1]))["name"].encode()).hexdigest()[:16])' "$TEST_TMP/details-$mode/$id.json")
    check_eq "$mode: the 1024-character name is cut to at most 255 bytes ending in %~<sha256>" \
        "yes ../tasks/$id" "$([ "$(printf %s "$long" | wc -c)" -le 255 ] && [ "${long##*%~}" = "$hash" ] && echo yes) $(readlink "$MNT/by-name/$long")"
    hib=$(python3 -c 'import json,sys,os
d=sys.argv[1]
for i in open(os.path.join(d,"ids")).read().split():
    if json.load(open(os.path.join(d,i+".json")))["state"] == "HIBERNATING": print(i)' "$TEST_TMP/details-$mode")
    check_eq "$mode: ls by-state/HIBERNATING (a state the API does not document) lists its task" \
        "$hib" "$(ls "$MNT/by-state/HIBERNATING" 2>&1)"
    bad=0 total=0
    while IFS= read -r -d '' d; do
        total=$((total + 1))
        if ! ls "$d" >/dev/null 2>"$TEST_TMP/ls.err"; then
            bad=$((bad + 1))
            [ "$bad" -le 3 ] && diag "ls ${d#"$MNT"/}: $(cat "$TEST_TMP/ls.err")"
        fi
    done < <(find "$MNT/by-algorithm" -mindepth 1 -maxdepth 1 -type d -print0)
    check_eq "$mode: ls works in every one of the $total by-algorithm/ directories" 0 "$bad"
    check_eq "$mode: .viasfs/errors is empty" "" "$(head -c 600 "$MNT/.viasfs/errors")"
    mnt_stop "$MNT"
    emu_stop
done

kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$MNT_PID/status"; } # kb VmRSS|VmHWM
# Resident sizes mean something only with glibc's malloc: not under ASan or a wrapper (valgrind).
if [ -z "$VIASFS_WRAPPER" ] && ! ldd "$VIASFS_REAL_BIN" 2>/dev/null | grep -q libasan; then
    rss_check() { check "$@"; }
else
    rss_check() { skip "$1 (another allocator: sanitizer or wrapper)"; }
fi
cache_bytes() { sed -n 's/^viasfs_cache_bytes //p' "$MNT/.viasfs/metrics"; }
# hostile_mount SHAPE MIB: the emulator (20 tasks) behind proxy.py serving SHAPE junk; mounted.
hostile_mount() {
    emu_start --tasks 20 --seed 2 || return 1
    proxy_start "$1" "$2" || return 1
    EMU_URL=$PROXY_URL mnt_start "hostile-$1-$2" --refresh=0 --timeout=30 || return 1
    ids=($(ls "$MNT/tasks" | sed -n '1p;8p;15p'))
}
hostile_unmount() { mnt_stop "$MNT"; proxy_stop; emu_stop; }

# ---- a gzip bomb: 61 MiB of numbers, about 60 KB on the wire
if hostile_mount numbers 61; then
    wire=$(curl -sS -H "X-Auth-Token: $EMU_TOKEN" --compressed -o "$TEST_TMP/bomb" \
        -w '%{size_download}' "$PROXY_URL/v2/$EMU_PROJECT/tasks/${ids[0]}")
    check "(the server: $wire bytes on the wire decode to $(wc -c <"$TEST_TMP/bomb"))" \
        [ "$wire" -lt 1000000 -a "$(wc -c <"$TEST_TMP/bomb")" -gt 60000000 ]
    check_eq "an answer that decodes past 16 MiB: cat task.json fails with EIO" "Input/output error" \
        "$(stderr_of cat "$MNT/tasks/${ids[0]}/task.json" | sed 's/.*: //')"
    check ".viasfs/errors says the answer is longer than 16 MiB once decoded" \
        grep -q "tasks/${ids[0]}: answer too large: longer than 16 MiB once decoded" "$MNT/.viasfs/errors"
    rss_check "... and the daemon's peak resident size stayed under 256 MB (VmHWM $(kb VmHWM) kB)" \
        [ "$(kb VmHWM)" -lt 262144 ]
    hostile_unmount
else
    fail "the gzip bomb server mounts"
fi
if hostile_mount string 1; then
    check_eq "(the pair) a gzipped answer of 1 MiB of junk is read whole" \
        "yes" "$(grep -q '"bloat":[[:space:]]*"xxxx' "$MNT/tasks/${ids[0]}/task.json" && echo yes)"
    hostile_unmount
else
    fail "the 1 MiB junk server mounts"
fi

# ---- a value every two bytes: 15 MiB of numbers (7.8 million values; cJSON: 80 bytes each)
if hostile_mount numbers 15; then
    check_eq "an answer of more than 2^20 JSON values: cat task.json fails with EIO" \
        "Input/output error" "$(stderr_of cat "$MNT/tasks/${ids[0]}/task.json" | sed 's/.*: //')"
    check ".viasfs/errors says it holds more than 1048576 JSON values" \
        grep -q "tasks/${ids[0]}: HTTP 200 malformed answer: answer holds more than 1048576 JSON values" \
        "$MNT/.viasfs/errors"
    rss_check "... and the daemon's peak resident size stayed under 256 MB (VmHWM $(kb VmHWM) kB)" \
        [ "$(kb VmHWM)" -lt 262144 ]
    hostile_unmount
else
    fail "the 15 MiB numbers server mounts"
fi

# ---- under both caps (1.99 MiB: 1,043,000 values): read, and the parse given back
if hostile_mount numbers 1.99; then
    rss0=$(kb VmRSS) bytes0=$(cache_bytes) read=0
    for id in "${ids[@]}"; do
        read=$((read + $(wc -c <"$MNT/tasks/$id/task.json")))
    done
    rss1=$(kb VmRSS) bytes1=$(cache_bytes)
    diag "3 tasks of 1.99 MiB of numbers: VmRSS $rss0 -> $rss1 kB (peak $(kb VmHWM) kB), cache $bytes0 -> $bytes1 bytes, $read bytes of task.json read"
    check "3 answers of a million values each are read (task.json: $read bytes)" [ "$read" -gt 9000000 ]
    check "viasfs_cache_bytes counts what the cache holds: at least the task.json read" \
        [ $((bytes1 - bytes0)) -ge "$read" ]
    rss_check "the resident size grew by at most the cache's growth + 40 MB: the parse trees were given back" \
        [ $((rss1 - rss0)) -le $(((bytes1 - bytes0) / 1024 + 40 * 1024)) ]
    hostile_unmount
else
    fail "the 1.99 MiB numbers server mounts"
fi
finish
