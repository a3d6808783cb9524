#!/usr/bin/env bash
# Start-up: every refusal (missing endpoint, project or credential, a token on the command
# line, an unusable mountpoint, a rejected token, nothing listening, something that is not
# the API, not HTTP, an untrusted certificate, a missing --cacert, a mistyped option) is one
# line on stderr, "viasfs: error: ...", with the way out, a non-zero exit status (2 for usage
# errors) and nothing mounted or left running; mounting on a live or dead viasfs mount says
# which and what to do; the documented foreground and FUSE flags (-f, -s) mount.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

EXTRA_PIDS=() # servers this test starts besides the emulator, stopped by PID at exit
trap 'for p in "${EXTRA_PIDS[@]}"; do kill "$p" 2>/dev/null; done; mount_cleanup' EXIT

emu_start --tasks 5 || { fail "emulator starts"; finish; exit; }
TOKEN_FILE=$TEST_TMP/token
cp "$EMU_TOKEN_FILE" "$TOKEN_FILE"
chmod 600 "$TOKEN_FILE"
MP=$TEST_TMP/mp
mkdir -p "$MP"

# refused DESCRIPTION PATTERN viasfs-ARGS...: viasfs exits non-zero within 20 s with exactly
# one line on stderr, "viasfs: error: ...", matching the (grep -E) PATTERN, nothing on stdout,
# and $MP is not mounted and no viasfs serves it. With WANT_RC set, the exit status is that.
refused() {
    local d=$1 pat=$2 rc lines why=
    shift 2
    timeout 20 "$VIASFS_BIN" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    rc=$?
    lines=$(wc -l <"$TEST_TMP/err")
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || why="exit status $rc"
    [ -z "${WANT_RC:-}" ] || [ "$rc" = "$WANT_RC" ] || why="$why; exit status $rc, not $WANT_RC"
    [ "$lines" = 1 ] || why="$why; $lines lines on stderr"
    grep -q '^viasfs: error: ' "$TEST_TMP/err" || why="$why; stderr does not start 'viasfs: error: '"
    grep -qE -- "$pat" "$TEST_TMP/err" || why="$why; stderr does not match /$pat/"
    [ -s "$TEST_TMP/out" ] && why="$why; output on stdout"
    if is_mounted "$MP"; then why="$why; mounted"; fusermount3 -u "$MP"; fi
    [ -z "$(mnt_pid "$MP")" ] || why="$why; a viasfs process serves $MP"
    if [ -z "$why" ]; then ok "refused: $d"; else fail "refused: $d"; diag "${why#; }"; fi
    sed 's/^/#   stderr: /' "$TEST_TMP/err" | head -3
}

lacks() { ! grep -q -- "$1" "$2"; } # lacks PATTERN FILE

E=--endpoint=$EMU_URL
P=--project-id=$EMU_PROJECT
T=--token-file=$TOKEN_FILE
refused "no endpoint" "endpoint" "$P" "$T" "$MP"
refused "no project id" "project" "$E" "$T" "$MP"
refused "no credential at all" "token|credential" "$E" "$P" "$MP"
refused "a token file that does not exist" "$TEST_TMP/no-such-file" "$E" "$P" \
    --token-file="$TEST_TMP/no-such-file" "$MP"
refused "--token=... on the command line (says how to pass it)" "token-file|VIAS_TOKEN" \
    "$E" "$P" --token="argv-token-$$" "$MP"
refused "-o token=... on the command line (says how to pass it)" "token-file|VIAS_TOKEN" \
    "$E" "$P" -o token="argv-token-$$" "$MP"
refused "a mountpoint that does not exist" "$TEST_TMP/no-such-dir" "$E" "$P" "$T" "$TEST_TMP/no-such-dir"
touch "$TEST_TMP/a-file"
refused "a mountpoint that is a file" "a-file" "$E" "$P" "$T" "$TEST_TMP/a-file"
refused "no mountpoint" "mountpoint|MOUNTPOINT" "$E" "$P" "$T"
WANT_RC=2 refused "an unknown option (exit 2, one hint)" "no-such-option \(see viasfs --help\)$" \
    "$E" "$P" "$T" --no-such-option "$MP"
WANT_RC=2 refused "a mistyped option: the nearest one, one hint, exit 2" \
    "^viasfs: error: unknown option --tll \(did you mean --ttl\?\)$" "$E" "$P" "$T" --tll=3 "$MP"
WANT_RC=2 refused "a --cacert file that does not exist, with an http:// endpoint (exit 2)" \
    "--cacert=$TEST_TMP/no-such-ca.pem: No such file or directory" "$E" "$P" "$T" \
    --cacert="$TEST_TMP/no-such-ca.pem" "$MP"
refused "--ttl out of range" "ttl" "$E" "$P" "$T" --ttl=-1 "$MP"
refused "--page-size out of range" "page-size|page_size" "$E" "$P" "$T" --page-size=1001 "$MP"
echo "wrong-token-$$" >"$TEST_TMP/wrong-token"
chmod 600 "$TEST_TMP/wrong-token"
refused "a wrong token at start (the API's code in the line)" "APIG.0301" "$E" "$P" \
    --token-file="$TEST_TMP/wrong-token" "$MP"
refused "a wrong project id (403)" "APIG.0302|project" "$E" --project-id=ffffffffffffffffffffffffffffffff "$T" "$MP"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Nothing listens: said at once, without retrying (which said "after 8 attempts", 8 s).
WANT_RC=1 refused "an endpoint with nothing listening: connection refused, not retried" \
    "127.0.0.1:$port: GET [^ ]*: connection refused \(nothing listens there: check --endpoint" \
    --endpoint="http://127.0.0.1:$port" "$P" "$T" "$MP"
check "... after one attempt (the line counts no retries)" lacks attempts "$TEST_TMP/err"

# A server that is not HTTP: it answers every connection with a line of another protocol,
# and counts the connections.
cat >"$TEST_TMP/nothttp.py" <<'PY'
import socket, sys
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
n = 0
while True:
    c, _ = s.accept()
    n += 1
    open(sys.argv[1], "w").write("%d\n" % n)
    try:
        c.recv(4096)
        c.sendall(b"SSH-2.0-OpenSSH_9.2 not HTTP\r\n")
    except OSError:
        pass
    c.close()
PY
python3 "$TEST_TMP/nothttp.py" "$TEST_TMP/nothttp.count" >"$TEST_TMP/nothttp.port" &
EXTRA_PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$TEST_TMP/nothttp.port" ] && break; sleep 0.05; done
nport=$(cat "$TEST_TMP/nothttp.port")
WANT_RC=1 refused "a server that does not speak HTTP: named, not 'bad URL'" \
    "127.0.0.1:$nport: .*the server did not answer with HTTP.*check the port in --endpoint" \
    --endpoint="http://127.0.0.1:$nport" "$P" "$T" "$MP"
check "... and the line does not say 'bad URL'" lacks "bad URL" "$TEST_TMP/err"
check_eq "... after one connection (not retried)" 1 "$(cat "$TEST_TMP/nothttp.count" 2>/dev/null)"

# TLS with a self-signed certificate: libcurl's reason and --cacert are named.
if (cd "$TEST_TMP" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout self.key \
    -out self.pem 2>openssl.log); then
    rm -f "$TEST_TMP/tls.port"
    "$EMU_BIN" --port 0 --port-file "$TEST_TMP/tls.port" --project-id "$EMU_PROJECT" \
        --token-file "$EMU_TOKEN_FILE" --tls-cert "$TEST_TMP/self.pem" \
        --tls-key "$TEST_TMP/self.key" 2>"$TEST_TMP/emulator-tls.log" &
    EXTRA_PIDS+=($!)
    for _ in $(seq 1 200); do [ -s "$TEST_TMP/tls.port" ] && break; sleep 0.05; done
    WANT_RC=1 refused "a self-signed certificate: libcurl's reason and --cacert" \
        "TLS failure: SSL certificate problem: self-signed certificate.*--cacert=FILE" \
        --endpoint="https://127.0.0.1:$(cat "$TEST_TMP/tls.port")" "$P" "$T" "$MP"
    if "$VIASFS_BIN" --endpoint="https://127.0.0.1:$(cat "$TEST_TMP/tls.port")" "$P" "$T" \
        --cacert="$TEST_TMP/self.pem" "$MP" 2>"$TEST_TMP/err" && is_mounted "$MP"; then
        ok "... and with --cacert=that certificate it mounts"
        MOUNTS+=("$MP")
        mnt_stop "$MP"
    else
        fail "... and with --cacert=that certificate it mounts"
        sed 's/^/#   stderr: /' "$TEST_TMP/err"
    fi
else
    fail "openssl makes a self-signed certificate"
    sed 's/^/#   /' "$TEST_TMP/openssl.log"
fi
# An HTTP server that is not the API (answers 404 with an HTML page to everything).
mkdir -p "$TEST_TMP/www"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$TEST_TMP/www" >"$TEST_TMP/www.log" 2>&1 &
WWW_PID=$!
for _ in $(seq 1 100); do
    wport=$(grep -o 'port [0-9]*' "$TEST_TMP/www.log" | head -1 | cut -d' ' -f2)
    [ -n "$wport" ] && break
    sleep 0.05
done
refused "an endpoint that is not the VIAS API" "127.0.0.1:$wport|VIAS" --endpoint="http://127.0.0.1:$wport" \
    "$P" "$T" "$MP"
kill "$WWW_PID" 2>/dev/null
wait "$WWW_PID" 2>/dev/null

# The same refusals through the environment and -o, the way fstab passes options.
VIAS_ENDPOINT=$EMU_URL VIAS_PROJECT_ID=$EMU_PROJECT refused "environment, but no credential" \
    "token|credential" "$MP"
if VIAS_ENDPOINT=$EMU_URL VIAS_PROJECT_ID=$EMU_PROJECT VIAS_TOKEN_FILE=$TOKEN_FILE \
    "$VIASFS_BIN" -o ttl=5 "$MP" 2>"$TEST_TMP/err" && is_mounted "$MP"; then
    ok "mounts with VIAS_ENDPOINT, VIAS_PROJECT_ID, VIAS_TOKEN_FILE and -o ttl=5"
    MOUNTS+=("$MP")
    check_eq "... and lists the 5 tasks" 5 "$(ls "$MP/tasks" | wc -l)"
    mnt_stop "$MP"
else
    fail "mounts with VIAS_ENDPOINT, VIAS_PROJECT_ID, VIAS_TOKEN_FILE and -o ttl=5"
    sed 's/^/#   /' "$TEST_TMP/err"
fi

# Mounting on a live viasfs mount says it is already mounted (was "Read-only file system"),
# and on a dead one (daemon killed: "Transport endpoint is not connected") says to unmount it.
if "$VIASFS_BIN" "$E" "$P" "$T" "$MP" 2>"$TEST_TMP/err" && is_mounted "$MP"; then
    MOUNTS+=("$MP")
    first=$(mnt_pid "$MP")
    "$VIASFS_BIN" "$E" "$P" "$T" "$MP" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    check_eq "mounting twice on the same directory: exit 2" 2 "$?"
    check "... one line saying it is already mounted, with the way out: $(cat "$TEST_TMP/err")" \
        grep -qxE "viasfs: error: mountpoint $MP: viasfs is already mounted there \(unmount it with fusermount3 -u $MP\)" \
        "$TEST_TMP/err"
    check_eq "... and the first mount still serves" "$first 5" "$(mnt_pid "$MP") $(ls "$MP/tasks" | wc -l)"
    kill -9 "$first"
    for _ in $(seq 1 100); do [ -d "/proc/$first" ] || break; sleep 0.05; done
    rm -f "$TEST_TMP"/wrapper-*."$first" # killed on purpose: a wrapper's log has no summary
    "$VIASFS_BIN" "$E" "$P" "$T" "$MP" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    check_eq "mounting on a dead mount (daemon killed): exit 2" 2 "$?"
    check "... one line saying to run fusermount3 -u first: $(cat "$TEST_TMP/err")" \
        grep -qxE "viasfs: error: mountpoint $MP: a FUSE mount whose daemon is gone \(Transport endpoint is not connected\): run fusermount3 -u $MP first" \
        "$TEST_TMP/err"
    check "... and fusermount3 -u unmounts it" fusermount3 -u "$MP"
    MOUNTS=()
    if "$VIASFS_BIN" "$E" "$P" "$T" "$MP" 2>"$TEST_TMP/err" && is_mounted "$MP"; then
        ok "... after which it mounts again"
        MOUNTS+=("$MP")
        mnt_stop "$MP"
    else
        fail "... after which it mounts again"
        sed 's/^/#   stderr: /' "$TEST_TMP/err"
    fi
else
    fail "mounts (to mount again on it)"
    sed 's/^/#   stderr: /' "$TEST_TMP/err"
fi

# Warnings at start are in the errors' form: "viasfs: warning: ..." (an open token file).
cp "$TOKEN_FILE" "$TEST_TMP/open-token" && chmod 644 "$TEST_TMP/open-token"
if "$VIASFS_BIN" "$E" "$P" --token-file="$TEST_TMP/open-token" "$MP" 2>"$TEST_TMP/err" &&
    is_mounted "$MP"; then
    MOUNTS+=("$MP")
    check "a warning at start reads 'viasfs: warning: ...': $(head -1 "$TEST_TMP/err")" \
        grep -q "^viasfs: warning: .*readable by group or others" "$TEST_TMP/err"
    mnt_stop "$MP"
else
    fail "mounts with a token file others can read"
    sed 's/^/#   stderr: /' "$TEST_TMP/err"
fi

# -f: stays in the foreground (the process we started serves the mount until unmounted).
fg_mount() { # fg_mount DESCRIPTION FLAG...
    local d=$1 pid i
    shift
    "$VIASFS_BIN" "$E" "$P" "$T" "$@" "$MP" >"$TEST_TMP/fg.out" 2>"$TEST_TMP/fg.err" &
    pid=$!
    for i in $(seq 1 100); do
        is_mounted "$MP" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if is_mounted "$MP" && kill -0 "$pid" 2>/dev/null && [ "$(mnt_pid "$MP")" = "$pid" ]; then
        ok "$d"
        check_eq "... and lists the 5 tasks" 5 "$(ls "$MP/tasks" | wc -l)"
        fusermount3 -u "$MP"
        for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        wait "$pid"
        check_eq "... and exits 0 when unmounted" 0 "$?"
    else
        fail "$d"
        sed 's/^/#   stderr: /' "$TEST_TMP/fg.err" | head -3
        is_mounted "$MP" && fusermount3 -u "$MP"
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
}
fg_mount "-f keeps viasfs in the foreground, serving the mount" -f
# -s: single-threaded, one of the FUSE options --help says go to FUSE.
if "$VIASFS_BIN" "$E" "$P" "$T" -s "$MP" 2>"$TEST_TMP/err" && is_mounted "$MP"; then
    ok "-s (a FUSE option --help lists) mounts"
    MOUNTS+=("$MP")
    mnt_stop "$MP"
else
    fail "-s (a FUSE option --help lists) mounts"
    sed 's/^/#   stderr: /' "$TEST_TMP/err"
fi
fg_mount "-d mounts in the foreground with traces" -d
finish
