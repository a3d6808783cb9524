# Shared helpers for the watching tests (tests/watch/*.sh). Not a test itself: run.sh runs
# only *.sh. Source it from the repository root. It sources tests/lib.sh (TAP helpers,
# emu_start, api, ctl) and adds:
#   require_watch [TOOL...]    exit 77, loudly, when /dev/fuse or fusermount3 is missing, or
#                              python3, curl or a TOOL the test names (tests/lib.sh
#                              require_tool); bail out when a program is not built
#   w_mount NAME [OPTS...]     mount viasfs at $TEST_TMP/mnt-NAME against the emulator and wait for
#                              its first complete walk; sets MNT and MNT_PID (the daemon)
#   w_stop DIR                 unmount, wait for the daemon, one TAP line: exited 0, no
#                              sanitizer report
#   bg OUT CMD...              start CMD in the background, stdout to OUT, stderr to OUT.err;
#                              sets BG_PID; every such process is stopped (by PID) on exit
#   bg_end PID                 SIGTERM, then SIGKILL after 3 s; waits for it
#   ino_start OUT PATHS...     `inotifywait -m` (format "%w|%e|%f") in the background, once its
#                              watches are established; sets BG_PID
#   wait_until SECONDS CMD...  retries CMD every 0.05 s until it succeeds or time runs out
#   set_state ID STATE [TEXT]  the emulator's control call; prints the new updated_at (ms)
#   states_now                 "id state" lines for every task, from the API itself
#   nlines FILE                number of lines in FILE (0 when absent)
# Every exit path stops the background processes it started, unmounts what it mounted and
# stops the emulator, each by its recorded PID.
#
# The daemon is started under tests/watch/reaper.py (a child subreaper): viasfs daemonizes,
# and the reaper collects the daemon's exit status into $TEST_TMP/daemon-NAME.exit. With
# VIASFS_WRAPPER (see tests/lib.sh; `make check-valgrind`) every viasfs runs under it, w_stop
# checks the wrapper's logs too, and the waits for a mount, its first walk and the daemon's
# end are VIASFS_TIME_SCALE times longer.

. tests/lib.sh
WATCH_DIR=tests/watch
VIASFS_BIN=${VIASFS_BIN:-$BUILD/viasfs}
wrapper_install # tests/lib.sh: with VIASFS_WRAPPER, VIASFS_BIN runs viasfs under it
POLL_STATE=${POLL_STATE:-$BUILD/examples/poll-state}
# The real interpreter, once: a version-manager shim costs most of a second per start.
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
W_MOUNTS=()
W_PIDS=()
declare -A W_DAEMON=() W_REAPER=() W_NAME=()
unset VIAS_ENDPOINT VIAS_PROJECT_ID VIAS_TOKEN_FILE VIAS_TOKEN

require_watch() {
    local missing='' t
    [ -c /dev/fuse ] || missing="/dev/fuse"
    command -v fusermount3 >/dev/null || missing="$missing fusermount3"
    if [ -n "$missing" ]; then
        echo "##########################################################################" >&2
        echo "# SKIPPING $0: $missing not available: NO WATCH TEST WAS RUN" >&2
        echo "##########################################################################" >&2
        echo "# SKIP: $missing not available"
        exit 77
    fi
    for t in "$VIASFS_REAL_BIN" "$EMU_BIN" "$POLL_STATE"; do
        [ -x "$t" ] || { echo "Bail out! $t is not built (run make)"; exit 1; }
    done
    require_tool python3 curl timeout "$@"
    [ -x "$PY" ] || { echo "Bail out! python3 does not run"; exit 1; }
}

is_mounted() { awk -v d="$1" '$2 == d { f = 1 } END { exit !f }' /proc/mounts; }

wait_until() {
    local limit=$1 end
    shift
    end=$(($(date +%s%N) + ${limit%.*} * 1000000000))
    until "$@"; do
        [ "$(date +%s%N)" -ge "$end" ] && return 1
        sleep 0.05
    done
}

# The first complete walk is done (events are only emitted after it).
walked() { ! grep -q '^list_age: never' "$1/.viasfs/status" 2>/dev/null; }

w_mount() {
    local name=$1 prefix
    shift
    MNT=$TEST_TMP/mnt-$name
    prefix=$TEST_TMP/daemon-$name
    mkdir -p "$MNT"
    cp "$EMU_TOKEN_FILE" "$TEST_TMP/token-$name"
    chmod 600 "$TEST_TMP/token-$name"
    VIASFS_WRAPPER_LOG=$TEST_TMP/wrapper-$name \
    ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-$name:${ASAN_OPTIONS:-}" \
    UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-$name:print_stacktrace=1:${UBSAN_OPTIONS:-}" \
        "$PY" "$WATCH_DIR/reaper.py" "$prefix" -- "$VIASFS_BIN" --endpoint="$EMU_URL" \
        --project-id="$EMU_PROJECT" --token-file="$TEST_TMP/token-$name" \
        --log="$TEST_TMP/viasfs-$name.log" "$@" "$MNT" >"$TEST_TMP/viasfs-$name.out" 2>&1 &
    W_REAPER[$MNT]=$!
    W_NAME[$MNT]=$name
    W_MOUNTS+=("$MNT")
    if ! wait_until "$(scaled 10)" test -s "$prefix.pid" || ! is_mounted "$MNT"; then
        diag "viasfs $* $MNT did not mount (exit $(cat "$prefix.start" 2>/dev/null)):"
        sed 's/^/#   /' "$TEST_TMP/viasfs-$name.out" "$TEST_TMP/viasfs-$name.log" 2>/dev/null
        return 1
    fi
    MNT_PID=$(cat "$prefix.pid")
    W_DAEMON[$MNT]=$MNT_PID
    ls "$MNT/tasks" >/dev/null 2>&1
    if ! wait_until "$(scaled 10)" walked "$MNT"; then
        diag "$MNT: no complete walk within $(scaled 10) s"
        return 1
    fi
}

# The daemon of mount DIR has ended (its reaper wrote the exit status).
daemon_ended() { [ -s "$TEST_TMP/daemon-${W_NAME[$1]}.exit" ]; }
daemon_status() { cat "$TEST_TMP/daemon-${W_NAME[$1]}.exit" 2>/dev/null; }

forget_mount() {
    local keep=() m
    for m in "${W_MOUNTS[@]}"; do [ "$m" = "$1" ] || keep+=("$m"); done
    W_MOUNTS=("${keep[@]}")
}

w_stop() {
    local dir=$1 name=${W_NAME[$1]} why=''
    for _ in $(seq 1 50); do
        is_mounted "$dir" || break
        fusermount3 -u "$dir" 2>/dev/null && break
        sleep 0.1
    done
    if is_mounted "$dir"; then
        why="still mounted after fusermount3 -u;"
        fusermount3 -uz "$dir" 2>/dev/null
    fi
    if ! wait_until "$(scaled 15)" daemon_ended "$dir"; then
        why="$why daemon ${W_DAEMON[$dir]} still running $(scaled 15) s after unmount;"
        kill "${W_DAEMON[$dir]}" 2>/dev/null
        wait_until 5 daemon_ended "$dir"
    elif [ "$(daemon_status "$dir")" != 0 ]; then
        why="$why daemon exit status $(daemon_status "$dir");"
    fi
    wait "${W_REAPER[$dir]}" 2>/dev/null
    forget_mount "$dir"
    sanitizer_reports "$name" && why="$why sanitizer report"
    [ -n "$VIASFS_WRAPPER" ] && wrapper_reports "$name" && why="$why report in the wrapper's log"
    if [ -z "$why" ]; then
        ok "$name: unmounted, daemon exited 0, no sanitizer report"
    else
        fail "$name: unmounted, daemon exited 0, no sanitizer report"
        diag "$why"
        tail -5 "$TEST_TMP/viasfs-$name.log" 2>/dev/null | sed 's/^/#   log: /'
    fi
}

bg() {
    local out=$1
    shift
    "$@" >"$out" 2>"$out.err" &
    BG_PID=$!
    W_PIDS+=("$BG_PID")
}

alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

bg_end() {
    local pid=$1
    if alive "$pid"; then
        kill "$pid" 2>/dev/null
        wait_until 3 eval "! alive $pid" || kill -9 "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    return 0
}

ino_start() {
    local out=$1
    shift
    bg "$out" inotifywait -m --format '%w|%e|%f' "$@"
    wait_until 10 grep -q 'Watches established' "$out.err"
}

set_state() {
    local body
    body=$(printf '{"state":"%s"%s}' "$2" "${3:+,\"status\":\"$3\"}")
    ctl PUT "/_emulator/tasks/$1/state" "$body" |
        "$PY" -c 'import json,sys; print(json.load(sys.stdin)["updated_at"])'
}

states_now() {
    "$PY" - "$EMU_URL" "$EMU_PROJECT" "$EMU_TOKEN" <<'EOF'
import json, sys, urllib.request
url, project, token = sys.argv[1:4]
page = 1
while True:
    req = urllib.request.Request(f"{url}/v2/{project}/tasks?page_size=1000&page={page}",
                                 headers={"X-Auth-Token": token})
    tasks = json.load(urllib.request.urlopen(req))["tasks"]
    for t in tasks:
        print(t["id"], t["state"])
    if len(tasks) < 1000:
        break
    page += 1
EOF
}

nlines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

watch_cleanup() {
    local pid d
    cd "$TOP" 2>/dev/null || true
    for pid in "${W_PIDS[@]}"; do
        alive "$pid" && kill "$pid" 2>/dev/null
    done
    for pid in "${W_PIDS[@]}"; do
        for _ in $(seq 1 30); do alive "$pid" || break; sleep 0.1; done
        alive "$pid" && kill -9 "$pid" 2>/dev/null
    done
    for d in "${W_MOUNTS[@]}"; do
        [ -n "$d" ] || continue
        fusermount3 -u "$d" 2>/dev/null || { sleep 0.3; fusermount3 -u "$d" 2>/dev/null; } ||
            fusermount3 -uz "$d" 2>/dev/null
        for _ in $(seq 1 "$(scaled 50)"); do daemon_ended "$d" && break; sleep 0.1; done
        daemon_ended "$d" || kill "${W_DAEMON[$d]}" 2>/dev/null
        kill "${W_REAPER[$d]}" 2>/dev/null
    done
    W_MOUNTS=()
    cleanup # tests/lib.sh: stops the emulator by PID, removes $TEST_TMP
}
TOP=$(pwd)
trap watch_cleanup EXIT
trap 'exit 130' INT TERM

# opened PID PATH: process PID has PATH open (a stream reader gets every line from its open on).
opened() {
    local f
    for f in /proc/"$1"/fd/*; do
        [ "$(readlink "$f" 2>/dev/null)" = "$2" ] && return 0
    done
    return 1
}
# wait_opened PATH PID...: waits (10 s at most) until every PID has PATH open.
wait_opened() {
    local path=$1 p
    shift
    for p in "$@"; do
        wait_until 10 opened "$p" "$path" || { diag "process $p did not open $path"; return 1; }
    done
}
