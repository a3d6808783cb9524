#!/usr/bin/env bash
# Token file rotation (issue 5): an outside tool replaces the token in the file while the
# filesystem is mounted; the next request uses the new token, without a remount. The pair:
# when only the service rotates (the old token revoked, the file not yet updated), reads that
# need the API fail with EACCES. VIAS_TOKEN in the environment works too.
cd "$(dirname "$0")/../.." || exit 1
. tests/credentials/credlib.bash
require_fuse

emu_start --tasks 10 --seed 3 || { fail "emulator starts"; finish; exit 1; }
read -r A B C < <(curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=5" |
    python3 -c 'import json,sys; t=json.load(sys.stdin)["tasks"]; print(t[0]["id"], t[1]["id"], t[2]["id"])')
secret_file "$TEST_TMP/token" "$EMU_TOKEN"
MNT_AUTH_ARGS=(--endpoint="$EMU_URL" --project-id="$EMU_PROJECT" --token-file="$TEST_TMP/token")
mnt_start rot --ttl=1 --refresh=0 || { fail "viasfs mounts"; finish; exit 1; }
check "the first token reads task.json" bash -c "cat '$MNT/tasks/$A/task.json' >/dev/null"

NEW="$SECRET_MARK-rotated-$$"
echo "$NEW" >"$EMU_TOKEN_FILE" # the service now takes only the new token
out=$(cat "$MNT/tasks/$B/task.json" 2>&1)
rc=$?
check "the service rotated, the file not yet: a read that needs the API fails (exit $rc)" \
    [ "$rc" != 0 ] && grep -q "Permission denied" <<<"$out"
secret_file "$TEST_TMP/token.new" "$NEW"
mv "$TEST_TMP/token.new" "$TEST_TMP/token" # rotated the way tools do it: a rename
check "after the file is rotated, the next read works without a remount" \
    bash -c "cat '$MNT/tasks/$B/task.json' >/dev/null"
secret_file "$TEST_TMP/token" "$NEW " # rewritten in place, with a trailing blank
check "a token rewritten in place is read again" bash -c "cat '$MNT/tasks/$C/task.json' >/dev/null"
mnt_stop "$MNT"

mkdir -p "$TEST_TMP/env"
VIAS_TOKEN=$NEW "$VIASFS_BIN" --endpoint="$EMU_URL" --project-id="$EMU_PROJECT" "$TEST_TMP/env" \
    >"$TEST_TMP/env.out" 2>&1 || fail "VIAS_TOKEN mount"
MOUNTS+=("$TEST_TMP/env")
check_eq "env VIAS_TOKEN: the mount lists every task" 10 "$(ls "$TEST_TMP/env/tasks" | wc -l)"
mnt_stop "$TEST_TMP/env"
finish
