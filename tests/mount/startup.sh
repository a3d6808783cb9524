#!/usr/bin/env bash
# Start-up: every refusal (missing endpoint, project or credential, a token on the command
# line, an unusable mountpoint, a rejected token, nothing listening, something that is not
# the API) is one line on stderr, a non-zero exit status and nothing mounted or left
# running; the documented foreground and FUSE flags (-f, -s) mount.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

emu_start --tasks 5 || { fail "emulator starts"; finish; exit; }
TOKEN_FILE=$TEST_TMP/token
cp "$EMU_TOKEN_FILE" "$TOKEN_FILE"
chmod 600 "$TOKEN_FILE"
MP=$TEST_TMP/mp
mkdir -p "$MP"

# refused DESCRIPTION PATTERN viasfs-ARGS...: viasfs exits non-zero within 20 s with exactly
# one line on stderr matching the (grep -E) PATTERN, nothing on stdout, and $MP is not mounted
# and no viasfs serves it.
refused() {
    local d=$1 pat=$2 rc lines why=
    shift 2
    timeout 20 "$VIASFS_BIN" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    rc=$?
    lines=$(wc -l <"$TEST_TMP/err")
    [ "$rc" != 0 ] && [ "$rc" != 124 ] || why="exit status $rc"
    [ "$lines" = 1 ] || why="$why; $lines lines on stderr"
    grep -qE -- "$pat" "$TEST_TMP/err" || why="$why; stderr does not match /$pat/"
    [ -s "$TEST_TMP/out" ] && why="$why; output on stdout"
    if is_mounted "$MP"; then why="$why; mounted"; fusermount3 -u "$MP"; fi
    [ -z "$(mnt_pid "$MP")" ] || why="$why; a viasfs process serves $MP"
    if [ -z "$why" ]; then ok "refused: $d"; else fail "refused: $d"; diag "${why#; }"; fi
    sed 's/^/#   stderr: /' "$TEST_TMP/err" | head -3
}

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
refused "an unknown option" "no-such-option" "$E" "$P" "$T" --no-such-option "$MP"
refused "--ttl out of range" "ttl" "$E" "$P" "$T" --ttl=-1 "$MP"
refused "--page-size out of range" "page-size|page_size" "$E" "$P" "$T" --page-size=1001 "$MP"
echo "wrong-token-$$" >"$TEST_TMP/wrong-token"
chmod 600 "$TEST_TMP/wrong-token"
refused "a wrong token at start (the API's code in the line)" "APIG.0301" "$E" "$P" \
    --token-file="$TEST_TMP/wrong-token" "$MP"
refused "a wrong project id (403)" "APIG.0302|project" "$E" --project-id=ffffffffffffffffffffffffffffffff "$T" "$MP"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
refused "an endpoint with nothing listening" "127.0.0.1:$port" --endpoint="http://127.0.0.1:$port" \
    "$P" "$T" "$MP"
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
