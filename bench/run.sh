#!/usr/bin/env bash
# bench/run.sh: the performance benchmark of issue 7 (`make bench`; `make bench BENCH=full`).
#
# Measures common operations on a viasfs mount (ls, ls -l of a view, cat of every state, grep
# of every output.json, find), cold and warm, with the API requests they cost and the
# daemon's peak RSS, next to the API lower bound (build/bench/lowerbound), a tmpfs copy of
# the tree, and httpdirfs and rclone mounting that copy from a local static HTTP server with
# the same latency. Default: 1,000 and 10,000 tasks x 0 and 20 ms with summary lists, plus
# full lists at 1,000 tasks: a few minutes on an idle machine (9 on a loaded one); BENCH=full
# adds 100,000 tasks, full lists at every size, more repeats and longer bounds.
# Writes its section of bench/RESULTS.md (replacing the previous one, keeping the others)
# and the raw figures to $BUILD/bench/results.json. bench/perf.py documents the method and
# the environment variables that narrow a run (BENCH_TASKS, BENCH_OPS, BENCH_REFS, ...).
#
# Needs: $BUILD/viasfs, $BUILD/vias-emulator and $BUILD/bench/lowerbound (make bench builds
# them), /dev/fuse, fusermount3, python3, and for the references httpdirfs and rclone (make
# bench installs them as root; without them their columns say "not installed"). Mounting
# the tmpfs needs root; otherwise the copy goes to /dev/shm.
set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD
for f in "$BUILD/viasfs" "$BUILD/vias-emulator" "$BUILD/bench/lowerbound"; do
    [ -x "$f" ] || { echo "bench: $f is not built (run make bench)" >&2; exit 1; }
done
for t in python3 fusermount3 bash xargs cp; do
    command -v "$t" >/dev/null || { echo "bench: $t not found" >&2; exit 1; }
done
[ -c /dev/fuse ] || { echo "bench: /dev/fuse is missing: nothing can be mounted" >&2; exit 1; }
for t in httpdirfs rclone; do
    command -v "$t" >/dev/null ||
        echo "bench: $t not found: its columns will say 'not installed'" \
            "(make bench installs it as root)" >&2
done
# perf.py, idle.py and snapshot.py undo everything they start and mount, on every exit path
# (SIGINT, SIGTERM and SIGHUP included); exec keeps the signal delivery simple for the last one.
# idle.py (issue 18: requests per hour of an idle or barely watched mount; BEFORE=path/to/an/
# older/viasfs adds its figures) and snapshot.py (issue 16: the first `ls tasks` entry cold and
# from a snapshot, at 10,000 and 100,000 tasks; the snapshot's size and write time) write their
# own sections; BENCH_SNAPSHOT=0 leaves the latter out.
python3 bench/perf.py || exit $?
python3 bench/idle.py || exit $?
[ "${BENCH_SNAPSHOT:-1}" = 0 ] && exit 0
exec python3 bench/snapshot.py
