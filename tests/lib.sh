# Shared helpers for shell tests: TAP output and an emulator on a free port.
# Source it; call `emu_start [emulator options...]`; it sets EMU_URL, EMU_PROJECT, EMU_TOKEN_FILE
# and stops the emulator (by PID) on exit. `ok`/`fail`/`check` print TAP lines; `finish`
# prints the plan and sets the exit status.
BUILD=${BUILD:-build}
# Debian's python3 (installed by the Makefile's check-deps step) before any version manager's
# shim: a pyenv shim costs over a second per start, which ttl-bound tests cannot afford.
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
EMU_BIN=${EMU_BIN:-$BUILD/vias-emulator}
TAP_N=0
TAP_FAILED=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/viasfs-test.XXXXXX")
# Every mount starts cold and leaves no snapshot behind (--cache-dir, issue 16), so that tests
# neither share pictures through ~/.cache/viasfs nor start from another run's: the tests of the
# snapshot (tests/mount/snapshot.sh) give --cache-dir, or unset this, themselves.
export VIAS_CACHE_DIR=none
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

# ---- Test tools. The build needs none of them: `make check-deps` (which `make check` runs)
# installs them (Makefile: TEST_PKGS). Run directly without one, a test skips, loudly.
# tool_package TOOL: the Debian package that provides TOOL.
tool_package() {
    case $1 in
    inotifywait) echo inotify-tools ;;
    getfattr | setfattr) echo attr ;;
    promtool) echo prometheus ;;
    man) echo man-db ;;
    systemd-analyze) echo systemd ;;
    timeout) echo coreutils ;;
    *) echo "$1" ;;
    esac
}
# on_path TOOL: TOOL is an executable on PATH (bash's `command -v` alone also finds a file
# that cannot be executed).
on_path() { local p; p=$(command -v "$1" 2>/dev/null) && [ -x "$p" ]; }
# missing_tools TOOL...: prints "TOOL (Debian package PKG)" for each one not on PATH.
missing_tools() {
    local t
    for t in "$@"; do
        on_path "$t" || echo "$t (Debian package $(tool_package "$t"))"
    done
}
# skip_banner WHAT REASON: a banner on stderr that a run's log cannot hide.
skip_banner() {
    echo "##########################################################################" >&2
    echo "# SKIPPING $1: $2" >&2
    echo "# (make check-deps installs the test tools)" >&2
    echo "##########################################################################" >&2
}
# require_tool TOOL...: exit 77 (the whole test is skipped), loudly, unless every TOOL is on
# PATH: a banner on stderr, a "# SKIP" line for tests/run.sh.
require_tool() {
    local missing
    missing=$(missing_tools "$@" | paste -sd, - | sed 's/,/, /g')
    [ -z "$missing" ] && return 0
    skip_banner "$0" "missing $missing: NOTHING IN IT WAS TESTED"
    echo "# SKIP: missing $missing"
    exit 77
}
# have_tool TOOL: true when TOOL is on PATH; otherwise a banner naming the checks left out
# (the test then reports each of them with `skip`).
have_tool() {
    on_path "$1" && return 0
    skip_banner "the $1 checks of $0" "$1 is missing (Debian package $(tool_package "$1"))"
    return 1
}

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
    # In a session of its own: a test that stops it (SIGSTOP, a blackhole) must not see the
    # kernel hang it up when the suite's process group is orphaned meanwhile (POSIX sends
    # SIGHUP to an orphaned group with a stopped member: `make check &` from a shell that
    # exits). Not a group leader in a script, so setsid does not fork: $! is the emulator.
    setsid "$EMU_BIN" --port 0 --port-file "$TEST_TMP/port" --project-id "$EMU_PROJECT" \
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
# make_test_ca DIR: a throwaway certificate authority and a server certificate it signed, made
# with openssl in DIR: ca.pem (trust this one, e.g. curl --cacert), server.pem and server.key
# (unencrypted PEM) for 127.0.0.1, ::1 and localhost, valid for two days. Keys are P-256
# (fast to make). Returns non-zero, with the reason on stderr, when openssl fails.
make_test_ca() {
    local d=$1
    mkdir -p "$d" || return 1
    printf '%s\n' "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" "basicConstraints=CA:FALSE" \
        "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/server.ext"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "/CN=viasfs test CA" -keyout "$d/ca.key" -out "$d/ca.pem" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        2>"$d/openssl.log" &&
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
            -keyout "$d/server.key" -out "$d/server.csr" 2>>"$d/openssl.log" &&
        openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
            -days 2 -extfile "$d/server.ext" -out "$d/server.pem" 2>>"$d/openssl.log" ||
        { cat "$d/openssl.log" >&2; return 1; }
}

# ---- viasfs under a wrapper (`make check-valgrind`). The mount and watch libraries run every
# viasfs as $VIASFS_WRAPPER (default empty: none) followed by the binary, with
# VIASFS_WRAPPER_LOG in its environment set to a path prefix in $TEST_TMP: wrapper-NAME for
# the mount NAME, wrapper-direct for a test's own runs of $VIASFS_BIN. A valgrind wrapper
# writes there with --log-file=%q{VIASFS_WRAPPER_LOG}.%p (one log per process: %p).
# VIASFS_WRAPPER_ARGS are viasfs options put before each run's own (valgrind needs
# --no-inotify: see the Makefile). The libraries' waits for a mount to appear or a daemon to
# end are multiplied by VIASFS_TIME_SCALE (an integer, default 1); what tests assert is not.
VIASFS_WRAPPER=${VIASFS_WRAPPER:-}
VIASFS_WRAPPER_ARGS=${VIASFS_WRAPPER_ARGS:-}
VIASFS_TIME_SCALE=${VIASFS_TIME_SCALE:-1}
# scaled N: N times VIASFS_TIME_SCALE.
scaled() { echo $(($1 * VIASFS_TIME_SCALE)); }

# wrapper_install: with a wrapper, $VIASFS_BIN becomes a script in $TEST_TMP that runs the
# real binary ($VIASFS_REAL_BIN, absolute) under it, so a test's own runs are wrapped too.
wrapper_install() {
    VIASFS_REAL_BIN=$VIASFS_BIN
    [ -n "$VIASFS_WRAPPER" ] || return 0
    VIASFS_REAL_BIN=$(realpath "$VIASFS_BIN")
    VIASFS_BIN=$TEST_TMP/viasfs-wrapped
    cat >"$VIASFS_BIN" <<WRAPPER
#!/bin/sh
VIASFS_WRAPPER_LOG=\${VIASFS_WRAPPER_LOG:-$TEST_TMP/wrapper-direct}
export VIASFS_WRAPPER_LOG
exec $VIASFS_WRAPPER "$VIASFS_REAL_BIN" $VIASFS_WRAPPER_ARGS "\$@"
WRAPPER
    chmod +x "$VIASFS_BIN"
}

# is_viasfs PID: PID is a viasfs process (run directly, or under the wrapper with the real
# binary as one of its arguments).
is_viasfs() {
    [ "/proc/$1/exe" -ef "$VIASFS_REAL_BIN" ] && return 0
    [ -n "$VIASFS_WRAPPER" ] && tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | grep -qxF -- "$VIASFS_REAL_BIN"
}

# wrapper_reports NAME: true when a log $TEST_TMP/wrapper-NAME.<pid> of an ended process
# reports an error (valgrind's "ERROR SUMMARY" not 0: an invalid access, an uninitialised
# value, a definite leak) or has no summary (the process was killed); the report is printed
# as diagnostics. Each log is checked once: it then moves to $TEST_TMP/wrapper-checked/.
wrapper_reports() {
    local f found=1
    mkdir -p "$TEST_TMP/wrapper-checked"
    for f in "$TEST_TMP"/wrapper-$1.*; do # unquoted: NAME may be a pattern
        [ -f "$f" ] || continue
        [ -d "/proc/${f##*.}" ] && is_viasfs "${f##*.}" && continue # still running
        if ! grep -q 'ERROR SUMMARY: ' "$f"; then
            diag "wrapper log $f has no summary (the process was killed?):"
            tail -5 "$f" | sed 's/^/#   /'
            found=0
        elif grep -q 'ERROR SUMMARY: [1-9]' "$f"; then
            diag "valgrind report in $f:"
            sed -n '/Parent PID:/,$p' "$f" | grep -v '^==[0-9]*== *$' | head -80 | sed 's/^/#   /'
            found=0
        fi
        mv "$f" "$TEST_TMP/wrapper-checked/"
    done
    return $found
}

# With a wrapper, finish first gives one more TAP line for the wrapped processes no mnt_stop
# or w_stop checked (a test's own runs of $VIASFS_BIN, mounts left to the exit trap).
if [ -n "$VIASFS_WRAPPER" ]; then
    eval "lib_$(declare -f finish)"
    finish() {
        local f n=0
        for f in "$TEST_TMP"/wrapper-*.*; do [ -f "$f" ] && n=$((n + 1)); done
        if [ "$n" -gt 0 ]; then
            if wrapper_reports '*'; then
                fail "the other wrapped viasfs runs ($n logs): no valgrind report"
            else
                ok "the other wrapped viasfs runs ($n logs): no valgrind report"
            fi
        fi
        lib_finish
    }
fi
