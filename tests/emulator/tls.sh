#!/usr/bin/env bash
# HTTPS: --tls-cert/--tls-key serve the API, IAM and the control interface over TLS with a
# throwaway CA made here (tests/lib.sh make_test_ca); a client that trusts the CA succeeds for
# 127.0.0.1 and localhost, one that does not fails with a certificate error, plain HTTP gets
# no answer; unusable certificate files are refused at start.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash
require_tool openssl
# A sanitized build (BUILD=build-sanitize) reports into files checked at the end.
export ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-emulator:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-emulator:print_stacktrace=1:${UBSAN_OPTIONS:-}"

CA=$TEST_TMP/ca
make_test_ca "$CA" || { fail "make_test_ca makes a CA and a server certificate"; finish; exit 1; }
ok "make_test_ca makes a CA and a server certificate"
check "make_test_ca: ca.pem, server.pem, server.key" test -s "$CA/ca.pem" -a -s "$CA/server.pem" -a -s "$CA/server.key"
check "the server certificate names 127.0.0.1 and localhost" \
    sh -c "openssl x509 -in '$CA/server.pem' -noout -text | grep -q 'IP Address:127.0.0.1.*DNS:localhost'"

USERS=$TEST_TMP/users
printf '%s\n' 'acme:alice:tls test password' >"$USERS"
emu_start --tasks 10 --tls-cert "$CA/server.pem" --tls-key "$CA/server.key" --iam-users-file "$USERS" ||
    { fail "emulator starts with --tls-cert and --tls-key"; finish; exit 1; }
PORT=$(cat "$TEST_TMP/port")
EMU_URL=https://127.0.0.1:$PORT
check "the start-up line says https" grep -q "listening on https://127.0.0.1:$PORT/" "$TEST_TMP/emulator.log"

code() { curl -sS -o /dev/null -w '%{http_code}' "$@" 2>"$TEST_TMP/curl.err"; }
check_eq "curl --cacert: the control interface over HTTPS" 200 "$(code --cacert "$CA/ca.pem" "$EMU_URL/_emulator/health")"
check_eq "curl --cacert: the API over HTTPS with the token" 200 \
    "$(code --cacert "$CA/ca.pem" -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks")"
check_eq "curl --cacert: https://localhost (the DNS name in the certificate)" 200 \
    "$(code --cacert "$CA/ca.pem" "https://localhost:$PORT/_emulator/health")"
code "$EMU_URL/_emulator/health" >/dev/null
rc=$?
check_eq "without --cacert curl refuses the certificate (exit 60)" 60 "$rc"
check "... with a certificate error" grep -qi "certificate" "$TEST_TMP/curl.err"
make_test_ca "$TEST_TMP/other-ca" >/dev/null 2>&1
code --cacert "$TEST_TMP/other-ca/ca.pem" "$EMU_URL/_emulator/health" >/dev/null
check_eq "trusting another CA: refused too (exit 60)" 60 "$?"
code "http://127.0.0.1:$PORT/_emulator/health" >/dev/null
rc=$?
check "plain HTTP to the HTTPS port gets no HTTP answer (curl exit $rc)" test "$rc" != 0

EMU_CACERT=$CA/ca.pem EMU_URL=$EMU_URL py_tap <<'EOF'
from emutap import *
eq("python (ssl, verifying): the list over HTTPS", 200, api().status)
r = iam_login("alice", "tls test password", "acme")
eq("python: an IAM login over HTTPS", 201, r.status)
eq("python: its token works over HTTPS", 200, api(token=r.headers.get("X-Subject-Token", "")).status)
EOF
emu_stop

# Unusable certificate files: exit 2 (input) or 1 (TLS does not start), one line (besides the
# warning that there is no --token-file).
start_fails() {
    local want=$1 desc=$2
    shift 2
    timeout 10 "$EMU_BIN" --port 0 --tasks 1 "$@" >/dev/null 2>"$TEST_TMP/err"
    local rc=$? lines
    lines=$(grep -vc "warning: no --token-file" "$TEST_TMP/err")
    if [ "$rc" = "$want" ] && [ "$lines" = 1 ]; then ok "$desc: exit $want, one line"; else
        fail "$desc: exit $want, one line"
        diag "status $rc: $(head -3 "$TEST_TMP/err")"
    fi
}
start_fails 2 "--tls-cert without --tls-key" --tls-cert "$CA/server.pem"
start_fails 2 "--tls-key without --tls-cert" --tls-key "$CA/server.key"
start_fails 2 "a missing certificate file" --tls-cert "$TEST_TMP/nope.pem" --tls-key "$CA/server.key"
check "... naming it" grep -q "nope.pem" "$TEST_TMP/err"
start_fails 2 "a certificate file that is not PEM" --tls-cert "$USERS" --tls-key "$CA/server.key"
start_fails 2 "the certificate given as the key" --tls-cert "$CA/server.pem" --tls-key "$CA/server.pem"
start_fails 1 "a key that does not match the certificate" --tls-cert "$CA/server.pem" --tls-key "$TEST_TMP/other-ca/server.key"
check "... says TLS failed to start" grep -q "TLS" "$TEST_TMP/err"

emu_stop
if sanitizer_reports emulator; then fail "no sanitizer report from the emulator"; else
    ok "no sanitizer report from the emulator"
fi
finish
