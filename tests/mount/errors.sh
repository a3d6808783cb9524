#!/usr/bin/env bash
# Failures as a user meets them: an unknown task id is ENOENT after exactly one detail
# request (remembered, so a second stat adds none); a rejected token (wrong in viasfs's
# token file, or revoked by the server) is EACCES with the API's code in .viasfs/errors,
# without a burst of requests, and a rotated token file is picked up; every write is EROFS.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

emu_start --tasks 20 --seed 5 || { fail "emulator starts"; finish; exit; }
ids=$(curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000" |
    python3 -c 'import json,sys; print("\n".join(t["id"] for t in json.load(sys.stdin)["tasks"]))')
id1=$(echo "$ids" | sed -n 1p)
id2=$(echo "$ids" | sed -n 2p)
id3=$(echo "$ids" | sed -n 3p)

# ------------------------------------------------------------------------ unknown task ids
mnt_start enoent --refresh=0 || { fail "viasfs mounts"; finish; exit; }
stats_reset
unknown=0123456789abcdef0123456789abcdef
check_eq "stat tasks/<unknown id> fails with ENOENT" \
    "stat: cannot statx '$MNT/tasks/$unknown': No such file or directory" \
    "$(stderr_of stat "$MNT/tasks/$unknown")"
check_eq "... after exactly one detail request (the API's 400 VIAS.00010007)" "detail.400=1" "$(counts)"
sleep 1
stat "$MNT/tasks/$unknown" >/dev/null 2>&1
cat "$MNT/tasks/$unknown/state" >/dev/null 2>&1
ls "$MNT/tasks/$unknown" >/dev/null 2>&1
check_eq "a second stat, a cat and an ls of it a second later add no request" "detail.400=1" "$(counts)"
check_eq "cat tasks/<unknown id>/state is ENOENT too" \
    "cat: $MNT/tasks/$unknown/state: No such file or directory" \
    "$(stderr_of cat "$MNT/tasks/$unknown/state")"
stats_reset
check_eq "a name that cannot be a task id (with a space) is ENOENT without a request" \
    "stat: cannot statx '$MNT/tasks/no such task': No such file or directory none" \
    "$(stderr_of stat "$MNT/tasks/no such task") $(counts)"
check_eq "an unknown file in a task directory is ENOENT" \
    "stat: cannot statx '$MNT/tasks/$id1/nosuchfile': No such file or directory" \
    "$(stderr_of stat "$MNT/tasks/$id1/nosuchfile")"
check_eq ".viasfs/errors does not list a missing task, and status counts no error (an answer, not a failure: README, manual)" \
    "0 lines, errors: 0, last_error: none" \
    "$(wc -l <"$MNT/.viasfs/errors") lines, $(grep -E '^(errors|last_error): ' "$MNT/.viasfs/status" | paste -sd, - | sed 's/,/, /')"

# ------------------------------------------------------------------- EROFS for every write
f=$MNT/tasks/$id1/state
before=$(cat "$f")
erofs() { # erofs DESCRIPTION COMMAND...: the command fails and says "Read-only file system"
    local d=$1 out
    shift
    out=$("$@" 2>&1 >/dev/null)
    if [ $? -ne 0 ] && [[ $out == *"Read-only file system"* ]]; then ok "EROFS: $d"; else
        fail "EROFS: $d"; diag "got: $out"; fi
}
erofs "echo > tasks/<id>/state" sh -c "echo FAILED > '$f'"
erofs "echo >> tasks/<id>/state" sh -c "echo FAILED >> '$f'"
erofs "touch tasks/<id>/state" touch "$f"
erofs "touch tasks/<id>/new-file" touch "$MNT/tasks/$id1/new-file"
erofs "truncate -s 0 tasks/<id>/name" truncate -s 0 "$MNT/tasks/$id1/name"
erofs "chmod 600 tasks/<id>/name" chmod 600 "$MNT/tasks/$id1/name"
erofs "mkdir tasks/<id>/dir" mkdir "$MNT/tasks/$id1/dir"
erofs "mkdir by-state/NEWSTATE" mkdir "$MNT/by-state/NEWSTATE"
erofs "rm tasks/<id>/state" rm -f "$f"
erofs "rm -r tasks/<id>" rm -rf "$MNT/tasks/$id1"
erofs "rmdir by-state/RUNNING" rmdir "$MNT/by-state/RUNNING"
erofs "rm by-name/<link>" rm -f "$MNT/by-name/$(ls "$MNT/by-name" | head -1)"
erofs "mv tasks/<id> tasks/<other name>" mv "$MNT/tasks/$id1" "$MNT/tasks/renamed"
erofs "mv tasks/<id>/name tasks/<id>/name2" mv "$MNT/tasks/$id1/name" "$MNT/tasks/$id1/name2"
erofs "ln -s in by-name/" ln -s ../tasks/$id1 "$MNT/by-name/my-link"
erofs "ln (hard link) in tasks/<id>/" ln "$f" "$MNT/tasks/$id1/state2"
erofs "cp a file into tasks/<id>/" cp /etc/hostname "$MNT/tasks/$id1/hostname"
erofs "setfattr / xattr write" python3 -c "import os,sys; os.setxattr(sys.argv[1], 'user.x', b'1')" "$f"
check_eq "after all that the file and the task are unchanged" "$before $(echo "$ids" | wc -l)" \
    "$(cat "$f") $(ls "$MNT/tasks" | wc -l)"
mnt_stop "$MNT"

# --------------------------------------------------- a wrong token in viasfs's token file
MNT_TOKEN_FILE=$TEST_TMP/token-rotating
echo "$EMU_TOKEN" >"$MNT_TOKEN_FILE"
mnt_start badtoken --ttl=1 --refresh=0 || { fail "viasfs mounts"; finish; exit; }
ls "$MNT/tasks" >/dev/null
state1=$(cat "$MNT/tasks/$id1/state")
# A task the mount has never seen: created after the listing.
id2=$(ctl POST /_emulator/tasks '{"name":"created after the listing"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo "wrong-token-$$" >"$MNT_TOKEN_FILE"
sleep 1.2 # the ttl: what was read is stale now
stats_reset
check_eq "wrong token: stat tasks/<id never seen> fails with EACCES" \
    "stat: cannot statx '$MNT/tasks/$id2': Permission denied" "$(stderr_of stat "$MNT/tasks/$id2")"
check_eq "... after exactly one request, not retried (401 APIG.0301)" "detail.401=1" "$(counts)"
check_eq "wrong token: a task read before is served from the cache, stale (PRODUCT.md §3)" \
    "$state1" "$(cat "$MNT/tasks/$id1/state" 2>&1)"
check_eq "wrong token: ls by-state/FAILED (never listed) fails with EACCES" \
    "ls: reading directory '$MNT/by-state/FAILED': Permission denied" \
    "$(stderr_of ls "$MNT/by-state/FAILED")"
line=$(grep -F "GET /v2/$EMU_PROJECT/tasks/$id2:" "$MNT/.viasfs/errors" | tail -1)
check "wrong token: .viasfs/errors has a line with the time, the call, HTTP 401, APIG.0301 and the message" \
    grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z GET /v2/$EMU_PROJECT/tasks/$id2: HTTP 401 APIG\.0301: [A-Za-z]" <<<"$line"
diag "errors line: $line"
check "wrong token: .viasfs/status says the data is stale and names the failure" \
    grep -q "APIG.0301" "$MNT/.viasfs/status"
# PRODUCT.md §3: authentication failures are not retried in a loop (the service locks a key
# after repeated failures). Reading the whole (cached, stale) tree with the same rejected
# token must not send that token again and again.
stats_reset
grep -r --exclude-dir=.viasfs -c . "$MNT/tasks" >/dev/null 2>&1
n401=$(ctl GET /_emulator/stats | python3 -c 'import json,sys; d=json.load(sys.stdin)["requests"]
print(sum(n for ep in d.values() for st, n in ep.items() if st == "401"))')
check "wrong token: grep -r over 21 stale tasks sends the rejected token at most twice (sent $n401 times)" \
    [ "$n401" -le 2 ]
echo "$EMU_TOKEN" >"$MNT_TOKEN_FILE"
sleep 0.2
check_eq "token file rotated to the right token: stat tasks/<id> works again" "directory" \
    "$(stat -c %F "$MNT/tasks/$id2" 2>&1)"
check_eq "... and ls by-state/FAILED too" "0" "$(ls "$MNT/by-state/FAILED" >/dev/null 2>&1; echo $?)"
mnt_stop "$MNT"

# ---------------------------------------------------------- a token the server revokes
MNT_TOKEN_FILE=
mnt_start revoked --refresh=0 || { fail "viasfs mounts"; finish; exit; }
ls "$MNT/tasks" >/dev/null
echo "another-token-$$" >"$EMU_TOKEN_FILE" # the emulator re-reads it: ours is revoked
sleep 0.3
stats_reset
check_eq "revoked token: cat tasks/<id>/task.json (detail not fetched yet) fails with EACCES" \
    "cat: $MNT/tasks/$id3/task.json: Permission denied" "$(stderr_of cat "$MNT/tasks/$id3/task.json")"
check_eq "... after exactly one request" "detail.401=1" "$(counts)"
check "revoked token: .viasfs/errors has a line with HTTP 401 APIG.0301" \
    grep -q "GET /v2/$EMU_PROJECT/tasks/$id3: HTTP 401 APIG.0301" "$MNT/.viasfs/errors"
cat "$MNT/tasks/$id3/task.json" >/dev/null 2>&1
stat "$MNT/tasks/$id3/config.json" >/dev/null 2>&1
check_eq "revoked token: reading again right after sends no second request with it" "detail.401=1" "$(counts)"
echo "$EMU_TOKEN" >"$EMU_TOKEN_FILE"
m1=$(stat -c %Y.%y "$MNT/.viasfs/errors")
sleep 1.1
m2=$(stat -c %Y.%y "$MNT/.viasfs/errors")
check_eq ".viasfs/errors keeps its mtime while nothing new fails (rsync, make and pollers rely on it)" "$m1" "$m2"
mnt_stop "$MNT"
finish
