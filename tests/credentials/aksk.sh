#!/usr/bin/env bash
# AK/SK (issue 5): every request signed; the credentials file rotated without a remount (the
# pair: the old key revoked at the emulator makes reads fail until the file is rotated); a
# wrong secret key and a skewed clock are refused at start with a clear line after one
# request; a key that stops working while mounted is not retried in a loop (the emulator
# locks a key after five bad signatures: it must never get there).
cd "$(dirname "$0")/../.." || exit 1
. tests/credentials/credlib.bash
require_fuse

SK1="$SECRET_MARK-sk1-$$" SK2="$SECRET_MARK-sk2-$$"
secret_file "$TEST_TMP/keys" "AKONE$$ $SK1
AKTWO$$ $SK2"
secret_file "$TEST_TMP/cred" "access_key = AKONE$$
secret_key = $SK1"
emu_start --tasks 25 --seed 8 --aksk-file "$TEST_TMP/keys" || { fail "emulator starts"; finish; exit 1; }
A=$(curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=5" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["tasks"][0]["id"])')
MNT_AUTH_ARGS=(--endpoint="$EMU_URL" --project-id="$EMU_PROJECT" --credentials-file="$TEST_TMP/cred")

stats_reset
mnt_start aksk --ttl=1 --refresh=0 || { fail "viasfs mounts with AK/SK"; finish; exit 1; }
check_eq "signed requests list every task" 25 "$(ls "$MNT/tasks" | wc -l)"
check "signed detail requests read task.json" bash -c "cat '$MNT/tasks/$A/task.json' >/dev/null"
check "the emulator verified signatures ($(auth_stat aksk_accepted) accepted, $(auth_stat aksk_failed) failed)" \
    [ "$(auth_stat aksk_accepted)" -ge 3 ] && [ "$(auth_stat aksk_failed)" = 0 ]
check "status shows the auth kind aksk" grep -qiE 'auth.*aksk' "$MNT/.viasfs/status"

# The old key is revoked at the emulator: reads that need the API fail, without a loop.
secret_file "$TEST_TMP/keys" "AKTWO$$ $SK2"
sleep 1.2
f0=$(auth_stat aksk_failed)
for i in 1 2 3 4 5 6; do cat "$MNT/tasks/$A/input.json" >/dev/null 2>&1; stat "$MNT/tasks/nope$i" >/dev/null 2>&1; done
out=$(ls "$MNT/by-state/RUNNING" 2>&1)
failed=$(($(auth_stat aksk_failed) - f0))
check "a revoked key: 13 operations made at most 2 signed attempts (made $failed), no lockout" \
    [ "$failed" -le 2 ] && [ "$(auth_stat aksk_locked)" = 0 ]
check "the errors file names the signature failure" grep -q "verify aksk signature fail\|Get secretKey failed" "$MNT/.viasfs/errors"
# Rotated: the new key is used at once, without a remount.
secret_file "$TEST_TMP/cred" "# rotated
access_key = AKTWO$$
secret_key = $SK2"
sleep 1.2
check "after rotating the credentials file, reads work again without a remount" \
    bash -c "ls '$MNT/by-state/STOPPED' >/dev/null && cat '$MNT/tasks/$A/schedule.json' >/dev/null"
mnt_stop "$MNT"
grep -qF "$SECRET_MARK-sk" "$TEST_TMP"/viasfs-*.log && fail "the debug log holds no secret key" ||
    ok "the debug log holds no secret key"

# A wrong secret key: refused at start, one signed request.
secret_file "$TEST_TMP/wrong" "access_key=AKTWO$$
secret_key=$SECRET_MARK-wrong"
f0=$(auth_stat aksk_failed)
mkdir -p "$TEST_TMP/bad"
"$VIASFS_BIN" --endpoint="$EMU_URL" --project-id="$EMU_PROJECT" --credentials-file="$TEST_TMP/wrong" \
    "$TEST_TMP/bad" >"$TEST_TMP/bad.out" 2>&1
rc=$?
check "a wrong secret key is refused at start (exit $rc)" [ "$rc" = 1 ]
check "the refusal says the signature was rejected" grep -q "verify aksk signature fail" "$TEST_TMP/bad.out"
check_eq "one signed request for a wrong key, no loop" 1 "$(($(auth_stat aksk_failed) - f0))"
check "the refusal does not show the secret key" bash -c "! grep -qF '$SECRET_MARK' '$TEST_TMP/bad.out'"
is_mounted "$TEST_TMP/bad" && { fail "nothing mounted"; fusermount3 -u "$TEST_TMP/bad"; } || ok "nothing mounted"
emu_stop

# A skewed clock: the emulator's clock is 20 minutes ahead.
emu_start --tasks 5 --aksk-file "$TEST_TMP/keys" --clock-skew 1200 || fail "skewed emulator starts"
"$VIASFS_BIN" --endpoint="$EMU_URL" --project-id="$EMU_PROJECT" --credentials-file="$TEST_TMP/cred" \
    "$TEST_TMP/bad" >"$TEST_TMP/skew.out" 2>&1
rc=$?
check "a clock 20 minutes off is refused at start (exit $rc)" [ "$rc" = 1 ]
check "the refusal says the request time is out of range" grep -q "out of range" "$TEST_TMP/skew.out"
check_eq "one request with a skewed clock, no loop" "0 1" "$(auth_stat aksk_accepted) $(req_stat list 401)"
finish
