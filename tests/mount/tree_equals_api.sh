#!/usr/bin/env bash
# The whole mounted tree equals what the API holds, in both --list-fields modes of the
# emulator: every file's bytes (computed independently from the emulator's detail answers by
# tests/mount/treemodel.py: cJSON formatting, redaction, one-line files), every link target,
# every name, modes, sizes, link counts, mtimes, inode stability; `find -type f` counts 9
# files per task outside .viasfs; `stat -c %s` equals the bytes read for every file; `rsync -a`
# and `tar` copy the mount without a warning and the copies equal the mount; the exact bytes
# of a few files, spelled out.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse
HAVE_RSYNC=0
have_tool rsync && HAVE_RSYNC=1 # without it, the rsync checks are skipped (loudly)

# Extra tasks on top of the generated ones: a name shared by two tasks (by-name "%@<id>"), a
# name with a line break and a slash, a failed task (status and error present).
add_tasks() {
    ctl POST /_emulator/tasks '{"id":"shared00000000000000000000000001","name":"shared name"}' >/dev/null &&
    ctl POST /_emulator/tasks '{"id":"shared00000000000000000000000002","name":"shared name"}' >/dev/null &&
    ctl POST /_emulator/tasks '{"id":"oddname0000000000000000000000001","name":"two\r\nlines/and a slash"}' >/dev/null &&
    ctl PUT /_emulator/tasks/shared00000000000000000000000001/state '{"state":"FAILED","status":"exit code 137\nOOM"}' >/dev/null &&
    ctl PUT /_emulator/tasks/shared00000000000000000000000001 '{"error":{"code":"VIAS.10031001","message":"m \"q\"\t","detail":{"exit":137,"ratio":0.1,"list":[1,{"a":[]},{}],"empty":{}}}}' >/dev/null
}

for mode in summary full; do
    emu_start --tasks 40 --seed 7 --list-fields "$mode" || { fail "$mode: emulator starts"; continue; }
    add_tasks || fail "$mode: control interface adds the extra tasks"
    fetch_details "$TEST_TMP/details-$mode" || fail "$mode: curl fetches every detail"
    n=$(wc -l <"$TEST_TMP/details-$mode/ids")
    diag "$mode: $n tasks"
    if ! mnt_start "mnt-$mode"; then
        fail "$mode: viasfs mounts"
        emu_stop
        continue
    fi

    # Whole-tree equality (the first walk of the mount: everything is cold).
    py_tap "$MOUNT_DIR/treemodel.py" compare "$TEST_TMP/details-$mode" "$MNT" "$mode"

    check_eq "$mode: find -type f counts 10 files per task outside .viasfs (9 + history)" "$((10 * n))" \
        "$(find "$MNT" -type f -not -path "$MNT/.viasfs/*" | wc -l)"
    diag "$mode: .viasfs holds $(find "$MNT/.viasfs" -type f | wc -l) files: $(ls "$MNT/.viasfs" | tr '\n' ' ')"
    check_eq "$mode: find -type l counts 4 per task (state, camera, algorithm, name)" \
        "$((4 * n))" "$(find "$MNT" -type l | wc -l)"
    check_eq "$mode: find -type d counts 1 per task + views + 6" \
        "$(python3 -c '
import json, os, sys
d = sys.argv[1]
ids = open(os.path.join(d, "ids")).read().split()
t = [json.load(open(os.path.join(d, i + ".json"))) for i in ids]
states = set(["PENDING","RECOVERING","STARTING","UPGRADING","CREATE_FAILED","START_FAILED","RUNNING","STOPPING","STOPPED","ABNORMAL","SUCCEEDED","FAILED","DELETING","FREEZING","FROZEN","SCHEDULING","LACK_OF_RESOURCES"] + [x["state"] for x in t])
print(1 + 6 + len(t) + len(states) + len(set(x["video_source_name"] for x in t)) + len(set(x["title"] for x in t)))' "$TEST_TMP/details-$mode")" \
        "$(find "$MNT" -type d | wc -l)"

    # stat -c %s against the bytes a read returns, for every file outside .viasfs (status is
    # rendered at each read; events is a stream that blocks) and .viasfs/errors. Batched: a
    # fork per file costs 20 ms here.
    find "$MNT" -type f \( -not -path "$MNT/.viasfs/*" -o -path "$MNT/.viasfs/errors" \) -print0 |
        sort -z >"$TEST_TMP/files"
    xargs -0 stat -c '%s %n' <"$TEST_TMP/files" >"$TEST_TMP/stat-sizes"
    xargs -0 python3 "$MOUNT_DIR/treemodel.py" sizes <"$TEST_TMP/files" >"$TEST_TMP/read-sizes"
    check_eq "$mode: stat -c %s equals the bytes read, for each of $(tr -cd '\0' <"$TEST_TMP/files" | wc -c) files" \
        "" "$(diff "$TEST_TMP/read-sizes" "$TEST_TMP/stat-sizes" | grep '^[<>]' | head -6)"

    # rsync -a: no warning, exit 0, the copy equals the mount; a second (dry) run finds
    # nothing to transfer (sizes and mtimes are stable).
    if [ "$HAVE_RSYNC" = 1 ]; then
        rm -rf "$TEST_TMP/rsync-$mode"
        rsync -a "$MNT/" "$TEST_TMP/rsync-$mode/" >"$TEST_TMP/rsync.out" 2>&1
        rc=$?
        check_eq "$mode: rsync -a of the mount exits 0 and prints nothing" "0:" "$rc:$(head -c 600 "$TEST_TMP/rsync.out")"
        py_tap "$MOUNT_DIR/treemodel.py" same-tree "$MNT" "$TEST_TMP/rsync-$mode" "$mode: rsync -a"
        again=$(rsync -ai --dry-run --exclude=/.viasfs/ "$MNT/" "$TEST_TMP/rsync-$mode/" 2>&1)
        check_eq "$mode: a second rsync -a finds nothing to transfer (outside .viasfs)" "" "$(echo "$again" | head -5)"
    else
        skip "$mode: rsync -a of the mount: rsync is missing (Debian package rsync)"
    fi

    # tar: no warning ("file changed as we read it", ...), exit 0, the copy equals the mount.
    rm -rf "$TEST_TMP/tar-$mode"
    mkdir -p "$TEST_TMP/tar-$mode"
    tar -C "$MNT" -cf "$TEST_TMP/tree.tar" . 2>"$TEST_TMP/tar.err"
    rc=$?
    tar -C "$TEST_TMP/tar-$mode" -xf "$TEST_TMP/tree.tar" 2>>"$TEST_TMP/tar.err"
    rc="$rc:$?"
    check_eq "$mode: tar -c of the mount and tar -x exit 0 and print nothing" "0:0:" "$rc:$(head -c 600 "$TEST_TMP/tar.err")"
    py_tap "$MOUNT_DIR/treemodel.py" same-tree "$MNT" "$TEST_TMP/tar-$mode" "$mode: tar"

    # The exact formatting of two files, spelled out (the model above could share a mistake).
    f=$MNT/tasks/shared00000000000000000000000001
    check_eq "$mode: status flattens the line break" "exit code 137 OOM" "$(cat "$f/status")"
    check_eq "$mode: error.json is cJSON's tab-indented print, byte for byte" \
        $'{\n\t"code":\t"VIAS.10031001",\n\t"message":\t"m \\"q\\"\\t",\n\t"detail":\t{\n\t\t"exit":\t137,\n\t\t"ratio":\t0.1,\n\t\t"list":\t[1, {\n\t\t\t\t"a":\t[]\n\t\t\t}, {\n\t\t\t}],\n\t\t"empty":\t{\n\t\t}\n\t}\n}' \
        "$(cat "$f/error.json")"
    check_eq "$mode: name flattens CR LF into two spaces and keeps the slash" \
        "two  lines/and a slash" "$(cat "$MNT/tasks/oddname0000000000000000000000001/name")"
    check_eq "$mode: by-name encodes the slash and the CR LF" \
        "../tasks/oddname0000000000000000000000001" "$(readlink "$MNT/by-name/two%0D%0Alines%2Fand a slash")"
    check_eq "$mode: by-name shows a shared name as <name>%@<id>" \
        "shared name%@shared00000000000000000000000001 shared name%@shared00000000000000000000000002" \
        "$(cd "$MNT/by-name" && ls -d shared* | tr '\n' ' ' | sed 's/ $//')"
    check_eq "$mode: .viasfs/errors is empty after all this" "" "$(cat "$MNT/.viasfs/errors")"

    mnt_stop "$MNT"
    emu_stop
done
finish
