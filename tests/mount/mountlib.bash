# Shared helpers for the mount tests (tests/mount/*.sh). Not a test itself: run.sh runs only
# *.sh. Source it from the repository root; it sources tests/lib.sh (TAP helpers, emu_start,
# api, ctl) and adds:
#   require_fuse                 exit 77, loudly, when /dev/fuse is missing, or python3 or curl,
#                                which the helpers below use (tests/lib.sh require_tool)
#   mnt_start NAME [OPTS...]     mount viasfs at $TEST_TMP/NAME against the emulator; sets MNT
#   mnt_stop DIR                 unmount, wait for the daemon to exit, one TAP line about it
#   counts                       the emulator's API counters as "list.200=3 detail.400=1"
#   stats_reset                  zero the emulator's counters
#   proxy_start / proxy_log      a recording HTTP proxy in front of the emulator (or a hostile one)
#   py_tap SCRIPT ARGS...        run a Python helper whose "ok\t.." lines become TAP lines
# Every exit path unmounts what was mounted, stops the proxy and the emulator (by PID).
#
# The daemon runs in the background (viasfs's own `-f` is refused by libfuse, see
# cli_startup.sh), so sanitizer reports are sent to files with ASAN_OPTIONS/UBSAN_OPTIONS
# log_path and checked by mnt_stop after the daemon has exited. With VIASFS_WRAPPER (see
# tests/lib.sh; `make check-valgrind`) every viasfs runs under it, and mnt_stop checks the
# wrapper's logs of the mount too.

. tests/lib.sh
MOUNT_DIR=tests/mount
VIASFS_BIN=${VIASFS_BIN:-$BUILD/viasfs}
wrapper_install # tests/lib.sh: with VIASFS_WRAPPER, VIASFS_BIN runs viasfs under it
MOUNTS=()
PROXY_PID=
unset VIAS_ENDPOINT VIAS_PROJECT_ID VIAS_TOKEN_FILE VIAS_TOKEN

require_fuse() {
    if [ ! -c /dev/fuse ]; then
        echo "##########################################################################" >&2
        echo "# SKIPPING $0: /dev/fuse is missing: NO MOUNT TEST WAS RUN" >&2
        echo "##########################################################################" >&2
        echo "# SKIP: /dev/fuse is missing, no mount test was run"
        exit 77
    fi
    require_tool python3 curl
    command -v fusermount3 >/dev/null || { echo "Bail out! fusermount3 is not installed"; exit 1; }
    [ -x "$VIASFS_REAL_BIN" ] || { echo "Bail out! $VIASFS_REAL_BIN is not built (run make)"; exit 1; }
    [ -x "$EMU_BIN" ] || { echo "Bail out! $EMU_BIN is not built (run make)"; exit 1; }
}

is_mounted() { awk -v d="$1" '$2 == d { f = 1 } END { exit !f }' /proc/mounts; }

# The PID of the viasfs daemon serving mountpoint $1 (started by this test: the mountpoint is
# in this test's private temporary directory).
mnt_pid() {
    local p
    for p in /proc/[0-9]*; do
        is_viasfs "${p#/proc/}" || continue
        tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF -- "$1" && echo "${p#/proc/}"
    done
}

# mnt_start NAME [viasfs options...]: mounts at $TEST_TMP/NAME with the emulator's endpoint,
# project and the token file $MNT_TOKEN_FILE (a chmod 600 copy of the emulator's token by
# default); when the array MNT_AUTH_ARGS is set, with those options (endpoint and credential)
# instead, and --log-level=debug, so that the logs the secrets scan reads are the fullest.
# Sets MNT and MNT_PID. Returns non-zero (with diagnostics) if it did not mount.
mnt_start() {
    local name=$1 i rc
    shift
    MNT=$TEST_TMP/$name
    mkdir -p "$MNT"
    local auth=()
    if [ -n "${MNT_AUTH_ARGS+set}" ]; then
        auth=("${MNT_AUTH_ARGS[@]}" --log-level=debug)
    else
        if [ -z "${MNT_TOKEN_FILE:-}" ]; then
            MNT_TOKEN_FILE=$TEST_TMP/viasfs-token
            cp "$EMU_TOKEN_FILE" "$MNT_TOKEN_FILE"
        fi
        chmod 600 "$MNT_TOKEN_FILE"
        auth=(--endpoint="$EMU_URL" --project-id="$EMU_PROJECT" --token-file="$MNT_TOKEN_FILE")
    fi
    VIASFS_WRAPPER_LOG=$TEST_TMP/wrapper-$name \
    ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-$name:${ASAN_OPTIONS:-}" \
    UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-$name:print_stacktrace=1:${UBSAN_OPTIONS:-}" \
        "$VIASFS_BIN" "${auth[@]}" --log="$TEST_TMP/viasfs-$name.log" "$@" "$MNT" \
        >"$TEST_TMP/viasfs-$name.out" 2>&1
    rc=$?
    for i in $(seq 1 "$(scaled 100)"); do
        is_mounted "$MNT" && break
        sleep 0.05
    done
    if ! is_mounted "$MNT"; then
        diag "viasfs $* $MNT did not mount (exit $rc):"
        sed 's/^/#   /' "$TEST_TMP/viasfs-$name.out" "$TEST_TMP/viasfs-$name.log" 2>/dev/null
        return 1
    fi
    MOUNTS+=("$MNT")
    MNT_PID=$(mnt_pid "$MNT")
    return 0
}

# mnt_stop DIR: unmounts with fusermount3 -u (retrying while busy), waits up to 15 s (times
# VIASFS_TIME_SCALE) for the daemon to exit, then prints one TAP line: unmounted, exited, no
# sanitizer report (and, under a wrapper, no report in its logs).
mnt_stop() {
    local dir=$1 name pid i ok_=1 why=
    name=$(basename "$dir")
    pid=$(mnt_pid "$dir")
    for i in $(seq 1 50); do
        is_mounted "$dir" || break
        fusermount3 -u "$dir" 2>/dev/null && break
        sleep 0.1
    done
    if is_mounted "$dir"; then
        ok_=0 why="still mounted after fusermount3 -u"
        fusermount3 -uz "$dir" 2>/dev/null
    fi
    local keep=() m
    for m in "${MOUNTS[@]}"; do [ "$m" = "$dir" ] || keep+=("$m"); done
    MOUNTS=("${keep[@]}")
    if [ -n "$pid" ]; then
        for i in $(seq 1 "$(scaled 150)"); do
            [ -d "/proc/$pid" ] || break
            sleep 0.1
        done
        if [ -d "/proc/$pid" ]; then
            ok_=0 why="$why; daemon $pid still running $(scaled 15) s after unmount"
            kill "$pid" 2>/dev/null
            for i in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
        fi
    fi
    if sanitizer_reports "$name"; then
        ok_=0 why="$why; sanitizer report"
    fi
    if [ -n "$VIASFS_WRAPPER" ] && wrapper_reports "$name"; then
        ok_=0 why="$why; report in the wrapper's log"
    fi
    if [ "$ok_" = 1 ]; then
        ok "$name: unmounted, daemon exited, no sanitizer report"
    else
        fail "$name: unmounted, daemon exited, no sanitizer report"
        diag "$why"
        [ -s "$TEST_TMP/viasfs-$name.log" ] && tail -5 "$TEST_TMP/viasfs-$name.log" | sed 's/^/#   log: /'
    fi
}

proxy_stop() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null && wait "$PROXY_PID" 2>/dev/null
    PROXY_PID=
}

mount_cleanup() {
    local d pid
    cd "$TOP" 2>/dev/null
    for d in "${MOUNTS[@]}"; do
        [ -n "$d" ] || continue
        pid=$(mnt_pid "$d")
        fusermount3 -u "$d" 2>/dev/null || { sleep 0.3; fusermount3 -u "$d" 2>/dev/null; } ||
            fusermount3 -uz "$d" 2>/dev/null
        if [ -n "$pid" ]; then
            for _ in $(seq 1 "$(scaled 50)"); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
            [ -d "/proc/$pid" ] && kill "$pid" 2>/dev/null
        fi
    done
    MOUNTS=()
    proxy_stop
    cleanup # tests/lib.sh: stops the emulator by PID, removes $TEST_TMP
}
TOP=$(pwd)
trap mount_cleanup EXIT
trap 'exit 130' INT TERM

stats_reset() { ctl DELETE /_emulator/stats >/dev/null; }

# The API counters, e.g. "list.200=3 detail.400=1" (only non-zero ones; "none" if none).
counts() {
    ctl GET /_emulator/stats | python3 -c '
import json, sys
d = json.load(sys.stdin)["requests"]
out = ["%s.%s=%d" % (ep, st, n) for ep in ("list", "detail", "other")
       for st, n in sorted(d.get(ep, {}).items()) if n]
print(" ".join(out) or "none")'
}

# proxy_start [SHAPE MIB]: a recording HTTP proxy in front of the emulator; sets PROXY_URL and
# PROXY_LOG (one "METHOD path?query" line per forwarded request), and PROXY_GHOSTS (a file of
# ids whose detail call the proxy answers 400 "no task" while the list names them). With SHAPE
# and MIB, a hostile one whose detail answers carry MIB MiB of junk, gzipped (see proxy.py).
proxy_start() {
    PROXY_LOG=$TEST_TMP/proxy.log
    : >"$PROXY_LOG"
    rm -f "$TEST_TMP/proxy.port"
    PROXY_GHOSTS=$TEST_TMP/proxy.ghosts # ids whose detail the proxy answers "no task"
    : >"$PROXY_GHOSTS"
    PROXY_GHOSTS=$PROXY_GHOSTS python3 "$MOUNT_DIR/proxy.py" "$EMU_URL" "$TEST_TMP/proxy.port" \
        "$PROXY_LOG" "$@" \
        2>"$TEST_TMP/proxy.err" &
    PROXY_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$TEST_TMP/proxy.port" ] && break
        sleep 0.05
    done
    [ -s "$TEST_TMP/proxy.port" ] || { diag "proxy did not start"; cat "$TEST_TMP/proxy.err"; return 1; }
    PROXY_URL="http://127.0.0.1:$(cat "$TEST_TMP/proxy.port")"
}

# fetch_details DIR: saves the emulator's detail answer of every task as DIR/<id>.json and
# the list of ids as DIR/ids (with curl, the same API calls viasfs makes).
fetch_details() {
    local dir=$1 page=1 n cfg
    mkdir -p "$dir"
    : >"$dir/ids"
    while :; do
        curl -sS -g -f -H "X-Auth-Token: $EMU_TOKEN" \
            "$EMU_URL/v2/$EMU_PROJECT/tasks?page=$page&page_size=1000" >"$dir/page$page" || return 1
        n=$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["tasks"]
print("\n".join(x["id"] for x in t))' "$dir/page$page" | tee -a "$dir/ids" | wc -l)
        [ "$n" -lt 1000 ] && break
        page=$((page + 1))
    done
    cfg=$dir/curl.cfg
    : >"$cfg"
    while read -r id; do
        printf 'url = "%s/v2/%s/tasks/%s"\noutput = "%s/%s.json"\n' \
            "$EMU_URL" "$EMU_PROJECT" "$id" "$dir" "$id" >>"$cfg"
    done <"$dir/ids"
    curl -sS -g -f -H "X-Auth-Token: $EMU_TOKEN" -K "$cfg"
}

# py_tap SCRIPT ARGS...: runs a Python helper; its "ok<TAB>desc" / "not ok<TAB>desc" lines
# become TAP lines, "#" lines pass through; a Python failure is a test failure.
py_tap() {
    local line
    while IFS= read -r line; do
        case "$line" in
        "ok	"*) ok "${line#ok	}" ;;
        "not ok	"*) fail "${line#not ok	}" ;;
        "py_exit	0") ;;
        "py_exit	"*) fail "python helper $1 exited with status ${line#py_exit	}" ;;
        "#"*) echo "$line" ;;
        *) echo "# $line" ;;
        esac
    done < <(python3 "$@" 2>&1; echo "py_exit	$?")
}

# stderr_of CMD...: runs CMD, prints the last line of its stderr (where tools print strerror).
stderr_of() { "$@" 2>&1 >/dev/null | tail -1; }

# spread N [STATE]: N task ids (in STATE, if given), every two of them more than 20 apart both
# in list order and in id order, so that reading them one after another never looks like a
# walk through the tasks (which makes viasfs fetch the next ones ahead: src/scan.c).
spread() {
    curl -sS -H "X-Auth-Token: $EMU_TOKEN" "$EMU_URL/v2/$EMU_PROJECT/tasks?page_size=1000" |
        python3 -c '
import json, random, sys
tasks = json.load(sys.stdin)["tasks"]
ids = [t["id"] for t in tasks]
rank = {x: i for i, x in enumerate(sorted(ids))}
ok = [i for i, t in enumerate(tasks) if len(sys.argv) < 3 or t["state"] == sys.argv[2]]
want, rng = int(sys.argv[1]), random.Random(1)
for _ in range(20000):
    pick = rng.sample(ok, want) if len(ok) >= want else []
    if pick and all(abs(p - q) > 20 and abs(rank[ids[p]] - rank[ids[q]]) > 20
                    for p in pick for q in pick if p < q):
        print(" ".join(ids[p] for p in pick))
        break' "$@"
}
