#!/usr/bin/env bash
# The emulator's --hostile data set (names, cameras and titles with '/', '.', '..', '%',
# control bytes, quotes, 1024-character names, long Unicode, duplicates, empty strings, an
# undocumented state...) mounts, every entry is reachable (find reports no error, stat works
# on every path find lists, every link resolves) and distinct (no directory lists a name
# twice), every name is valid, and the whole tree still equals what the API holds.
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
    check_eq "$mode: find -type f counts 9 files per task outside .viasfs" "$((9 * n))" \
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
finish
