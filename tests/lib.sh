# Shared helpers for shell tests: TAP output and an emulator on a free port.
# Source it; call `emu_start [emulator options...]`; it sets EMU_URL, EMU_PROJECT, EMU_TOKEN_FILE
# and stops the emulator (by PID) on exit. `ok`/`fail`/`check` print TAP lines; `finish`
# prints the plan and sets the exit status.
BUILD=${BUILD:-build}
EMU_BIN=${EMU_BIN:-$BUILD/vias-emulator}
TAP_N=0
TAP_FAILED=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/viasfs-test.XXXXXX")
EMU_PID=

ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
fail() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N # SKIP $*"; }
diag() { echo "# $*"; }
# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1"; diag "expected: $2"; diag "actual:   $3"; fi
}
finish() { echo "1..$TAP_N"; [ "$TAP_FAILED" = 0 ]; }

# Every secret the tests use contains $SECRET_MARK, so that tests/run.sh can scan the whole
# suite's logs and process lists for secrets (tests/secrets_scan.sh).
SECRET_MARK=${VIASFS_SECRET_MARK:-s3cr3t}
cleanup() {
    if [ -n "$EMU_PID" ]; then kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null; fi
    if [ -n "${VIASFS_LEAKS:-}" ]; then
        grep -rsF --include='viasfs*.log' --include='viasfs*.out' --include='emulator*.log' \
            --include='status*' --include='errors*' "$SECRET_MARK" "$TEST_TMP" |
            sed "s|^|${0##*/}: |" >>"$VIASFS_LEAKS"
    fi
    rm -rf "$TEST_TMP"
}
trap cleanup EXIT

EMU_PROJECT=0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d
# emu_start [options]: start the emulator on port 0 with a token file; wait until it listens.
emu_start() {
    EMU_TOKEN_FILE=$TEST_TMP/tokens
    echo "s3cr3t-token-$$" >"$EMU_TOKEN_FILE"
    EMU_TOKEN="s3cr3t-token-$$"
    rm -f "$TEST_TMP/port"
    "$EMU_BIN" --port 0 --port-file "$TEST_TMP/port" --project-id "$EMU_PROJECT" \
        --token-file "$EMU_TOKEN_FILE" "$@" 2>"$TEST_TMP/emulator.log" &
    EMU_PID=$!
    local i
    for i in $(seq 1 200); do
        [ -s "$TEST_TMP/port" ] && break
        kill -0 "$EMU_PID" 2>/dev/null || { diag "emulator exited:"; sed 's/^/# /' "$TEST_TMP/emulator.log"; return 1; }
        sleep 0.05
    done
    EMU_URL="http://127.0.0.1:$(cat "$TEST_TMP/port")"
}
emu_stop() { [ -n "$EMU_PID" ] && kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null; EMU_PID=; }
# api PATH_AND_QUERY: GET with the token; prints the body, then "HTTP <code>" on the last line.
api() { curl -sS -g -H "X-Auth-Token: $EMU_TOKEN" -w '\nHTTP %{http_code}\n' "$EMU_URL$1"; }
# ctl METHOD PATH [JSON]: the emulator's control interface.
ctl() { curl -sS -g -X "$1" ${3:+-H 'Content-Type: application/json' --data "$3"} "$EMU_URL$2"; }
# sanitizer_reports NAME: true when $TEST_TMP/sanitizer-NAME.* holds an ASan/UBSan/LSan report
# (printed as diagnostics). Mount tests point ASAN_OPTIONS/UBSAN_OPTIONS log_path there.
sanitizer_reports() {
    local f found=1
    for f in "$TEST_TMP"/sanitizer-"$1".*; do
        [ -f "$f" ] || continue
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error|SUMMARY: ' "$f"; then
            diag "sanitizer report in $f:"
            head -40 "$f" | sed 's/^/#   /'
            found=0
        fi
    done
    return $found
}
