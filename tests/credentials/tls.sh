#!/usr/bin/env bash
# TLS (issue 5): an HTTPS emulator with a certificate from a throwaway CA. With --cacert the
# mount works; without it the mount is refused with a certificate error (verification is on
# by default); --insecure works and warns.
cd "$(dirname "$0")/../.." || exit 1
. tests/credentials/credlib.bash
require_fuse
require_tool openssl

make_test_ca "$TEST_TMP/ca" || { fail "test CA created"; finish; exit 1; }
emu_start --tasks 12 --tls-cert "$TEST_TMP/ca/server.pem" --tls-key "$TEST_TMP/ca/server.key" ||
    { fail "HTTPS emulator starts"; finish; exit 1; }
EMU_URL=${EMU_URL/http:/https:}
check "curl with the CA reaches the HTTPS emulator" \
    curl -sSf -o /dev/null --cacert "$TEST_TMP/ca/ca.pem" "$EMU_URL/_emulator/health"

cp "$EMU_TOKEN_FILE" "$TEST_TMP/token" && chmod 600 "$TEST_TMP/token"
MNT_AUTH_ARGS=(--endpoint="$EMU_URL" --project-id="$EMU_PROJECT" --token-file="$TEST_TMP/token")
mnt_start tls --cacert="$TEST_TMP/ca/ca.pem" || fail "viasfs mounts over HTTPS with --cacert"
check_eq "over HTTPS with --cacert: every task listed" 12 "$(ls "$MNT/tasks" | wc -l)"
mnt_stop "$MNT"

mkdir -p "$TEST_TMP/refused"
"$VIASFS_BIN" "${MNT_AUTH_ARGS[@]}" "$TEST_TMP/refused" >"$TEST_TMP/refused.out" 2>&1
rc=$?
check "without --cacert the mount is refused (exit $rc)" [ "$rc" = 1 ]
check "the refusal names the certificate problem: $(head -c 150 "$TEST_TMP/refused.out")" \
    grep -qi "certificate\|TLS" "$TEST_TMP/refused.out"
is_mounted "$TEST_TMP/refused" && { fail "nothing mounted"; fusermount3 -u "$TEST_TMP/refused"; } || ok "nothing mounted"

mnt_start insecure --insecure || fail "viasfs mounts with --insecure"
check_eq "with --insecure: every task listed" 12 "$(ls "$MNT/tasks" | wc -l)"
check "--insecure is warned about" grep -q "insecure.*NOT verified" "$TEST_TMP/viasfs-insecure.log" "$TEST_TMP/viasfs-insecure.out"
mnt_stop "$MNT"
finish
