#!/usr/bin/env bash
# Other users and the quota, counted at the emulator (/_emulator/stats), in pairs:
# - under -o allow_other another user (nobody) reads the tasks and .viasfs/status but cannot
#   write .viasfs/refresh (EACCES, from the kernel: the mount has default_permissions), nor
#   through a descriptor root opened and handed over (EACCES from viasfs, which checks the
#   writer of every write); neither drops anything or sends a request; the mounting user's
#   same writes work and do;
# - a burst of writes that drop a listing is refused (EBUSY, said in .viasfs/errors) after
#   the first one within a second, so a loop of `echo all > refresh; ls tasks` makes about one
#   walk a second; the same writes a second apart are all accepted, one walk each; writes that
#   drop single tasks are not limited;
# - with default_permissions, a daemon without CAP_DAC_OVERRIDE (as for a mount by a user
#   who is not root) still makes its own by-state link changes, which inotify watchers see.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    echo "# SKIP: needs root and setpriv to act as another user"
    exit 77
fi

NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
as_nobody() { "${NOBODY[@]}" "$@"; }
# wr FILE TEXT [USER...]: one write(2) of TEXT to FILE, opened O_WRONLY|O_APPEND (no truncation),
# as the given command prefix; prints "ok" or strerror.
wr() {
    local f=$1 text=$2
    shift 2
    "$@" python3 -c 'import os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
    os.write(fd, sys.argv[2].encode()); print("ok")
except OSError as e:
    print(e.strerror)' "$f" "$text"
}

# wr3 TEXT [USER...]: one write(2) of TEXT to descriptor 3 (which the caller opened), as the
# given command prefix; prints "ok" or strerror.
wr3() {
    local text=$1
    shift
    "$@" python3 -c 'import os, sys
try:
    os.write(3, sys.argv[1].encode()); print("ok")
except OSError as e:
    print(e.strerror)' "$text"
}

emu_start --tasks 20 --seed 5 || { fail "emulator starts"; finish; exit; }
chmod 755 "$TEST_TMP" # nobody must reach the mountpoint
mnt_start shared -o allow_other --ttl=60 --refresh=0 || { fail "viasfs mounts with -o allow_other"; finish; exit; }
M=$MNT
R=$M/.viasfs/refresh

check "the mount has default_permissions and allow_other (/proc/mounts)" \
    awk -v d="$M" '$2 == d && $4 ~ /default_permissions/ && $4 ~ /allow_other/ { f = 1 } END { exit !f }' /proc/mounts
ls "$M/tasks" >"$TEST_TMP/ids"
id=$(head -1 "$TEST_TMP/ids")
check_eq "nobody lists tasks/ (20 entries)" 20 "$(as_nobody ls "$M/tasks" | wc -l)"
check_eq "nobody reads tasks/<id>/state and task.json" "$(cat "$M/tasks/$id/state") 0" \
    "$(as_nobody cat "$M/tasks/$id/state") $(as_nobody cat "$M/tasks/$id/task.json" >/dev/null; echo $?)"
check "nobody reads .viasfs/status" as_nobody grep -q '^endpoint: ' "$M/.viasfs/status"
check "nobody follows a by-state link" as_nobody test -f "$M/by-state/$(cat "$M/tasks/$id/state")/$id/state"

# ---- nobody's writes: refused, nothing dropped, nothing sent
stats_reset
check_eq "nobody: echo all > .viasfs/refresh fails with EACCES" "Permission denied" \
    "$(stderr_of as_nobody sh -c "echo all >'$R'" | sed 's/.*: //')"
check_eq "nobody: a write(2) of 'all' fails with EACCES" "Permission denied" "$(wr "$R" all "${NOBODY[@]}")"
check_eq "nobody: truncating .viasfs/refresh fails with EACCES" "Permission denied" \
    "$(stderr_of as_nobody truncate -s 0 "$R" | sed 's/.*: //')"
# A descriptor root opened, used by nobody: the kernel checked the open only; viasfs checks the
# writer of each write.
check_eq "nobody: writing 'all' through a descriptor root opened fails with EACCES" \
    "Permission denied" \
    "$(wr3 all "${NOBODY[@]}" 3>>"$R")"
as_nobody ls "$M/tasks" >/dev/null
as_nobody cat "$M/tasks/$id/status" >/dev/null
ls "$M/tasks" >/dev/null
check_eq "... nothing was dropped: ls tasks and cat status then send no request" "none" "$(counts)"
check "... and nothing about it in .viasfs/errors (only the mounting user's own failures)" \
    sh -c "! grep -q refresh '$M/.viasfs/errors'"

# ---- the mounting user's same writes (the pair): accepted, and the next ls walks
stats_reset
check_eq "the mounting user: a write(2) of 'all' works" ok "$(wr "$R" all)"
ls "$M/tasks" >/dev/null
check_eq "... and the next ls tasks walks the list" "list.200=1" "$(counts)"
sleep 1.1 # the rate limit below
stats_reset
check_eq "the mounting user: writing 'all' through a descriptor it opened works" ok \
    "$(wr3 all 3>>"$R")"
ls "$M/tasks" >/dev/null
check_eq "... and the next ls tasks walks the list" "list.200=1" "$(counts)"
mnt_stop "$M"

# ---- the rate limit: a burst of `echo all` and ls, then the same spaced out (the pair)
mnt_start burst --ttl=60 --refresh=0 || { fail "viasfs mounts"; finish; exit; }
M=$MNT
R=$M/.viasfs/refresh
ls "$M/tasks" >/dev/null
sleep 1.1
stats_reset
start=$(date +%s%N)
accepted=0 busy=0 other=
for i in $(seq 1 30); do
    r=$(wr "$R" all)
    case "$r" in
    ok) accepted=$((accepted + 1)) ;;
    "Device or resource busy") busy=$((busy + 1)) ;;
    *) other="$other $r" ;;
    esac
    ls "$M/tasks" >/dev/null
done
ms=$((($(date +%s%N) - start) / 1000000))
walks=$(counts | sed -n 's/.*list\.200=\([0-9]*\).*/\1/p')
diag "burst of 30 in $ms ms: $accepted accepted, $busy refused, ${walks:-0} walks; other:$other"
check_eq "burst: every write is accepted or refused with EBUSY" "" "$other"
check "burst: writes after the first within a second are refused with EBUSY" [ "$busy" -ge 1 ]
check "burst: at most one write accepted per second ($accepted in $ms ms)" \
    [ "$accepted" -le $((ms / 1000 + 1)) ]
check "burst: at most one walk per accepted write (${walks:-0} walks, $accepted accepted)" \
    [ "${walks:-0}" -le "$accepted" ]
check ".viasfs/errors says why a write was refused" \
    grep -q 'write .viasfs/refresh: refused (EBUSY): .*at most once every 1000 ms' "$M/.viasfs/errors"
check "... and so does the log" grep -q 'refresh: refused (EBUSY)' "$TEST_TMP/viasfs-burst.log"
sleep 1.1
stats_reset
spaced=
for i in 1 2 3; do
    spaced="$spaced $(wr "$R" all)"
    ls "$M/tasks" >/dev/null
    sleep 1.1
done
check_eq "spaced (1.1 s apart): every write is accepted" " ok ok ok" "$spaced"
check_eq "... and each makes one walk" "list.200=3" "$(counts)"
check_eq "writes that drop one task are not limited (3 in a row)" "ok ok ok" \
    "$(wr "$R" "tasks/$id") $(wr "$R" "tasks/$id/state") $(wr "$R" "tasks/$id")"
wr "$R" all >/dev/null
check_eq "a write with a listing line among task lines is limited as a whole (EBUSY)" \
    "Device or resource busy" "$(wr "$R" "tasks/$id
tasks")"
mnt_stop "$M"

# ---- a daemon without CAP_DAC_OVERRIDE: its own link changes pass default_permissions
if [ -n "$VIASFS_WRAPPER" ]; then
    skip "under a wrapper (make check-valgrind) viasfs runs with --no-inotify: the by-state inotify check under default_permissions"
elif command -v inotifywait >/dev/null; then
    VIASFS_BIN_SAVED=$VIASFS_BIN # mnt_start runs "$VIASFS_BIN" as one word: a script
    cat >"$TEST_TMP/nocap" <<EOF
#!/bin/sh
exec setpriv --bounding-set=-dac_override,-dac_read_search,-fowner "$VIASFS_BIN_SAVED" "\$@"
EOF
    chmod 755 "$TEST_TMP/nocap"
    VIASFS_BIN=$TEST_TMP/nocap
    if mnt_start nocap-mount --ttl=60 --refresh=1 --log-level=debug; then
        M=$MNT
        check "the daemon runs without CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER" \
            grep -q '^CapEff:.*[01]$' "/proc/$MNT_PID/status"
        mid=$(ls "$M/by-state/RUNNING" | head -1)
        check_eq "by-state/<S> directories are drwxr-xr-x (for viasfs's own link changes)" \
            "drwxr-xr-x" "$(stat -c %A "$M/by-state/RUNNING")"
        timeout 8 inotifywait -m -e create -e delete "$M/by-state/RUNNING" "$M/by-state/STOPPED" \
            >"$TEST_TMP/inotify" 2>"$TEST_TMP/inotify.err" &
        IW=$!
        for _ in $(seq 1 50); do grep -q 'Watches established' "$TEST_TMP/inotify.err" && break; sleep 0.1; done
        ctl PUT "/_emulator/tasks/$mid/state" '{"state":"STOPPED"}' >/dev/null
        for _ in $(seq 1 50); do [ "$(wc -l <"$TEST_TMP/inotify")" -ge 2 ] && break; sleep 0.1; done
        kill "$IW" 2>/dev/null
        wait "$IW" 2>/dev/null
        check_eq "inotify sees the task's link leave by-state/RUNNING and appear in by-state/STOPPED" \
            "$M/by-state/RUNNING/ DELETE $mid|$M/by-state/STOPPED/ CREATE $mid" \
            "$(sort "$TEST_TMP/inotify" | tr '\n' '|' | sed 's/|$//')"
        check "... and the log has no refused inotify helper" \
            sh -c "! grep -q 'inotify helper: .*Permission denied' '$TEST_TMP/viasfs-nocap-mount.log'"
        check_eq "the owner still cannot remove a link there (EROFS)" "Read-only file system" \
            "$(stderr_of rm -f "$M/by-state/STOPPED/$mid" | sed 's/.*: //')"
        mnt_stop "$M"
    else
        fail "viasfs mounts without CAP_DAC_OVERRIDE"
    fi
    VIASFS_BIN=$VIASFS_BIN_SAVED
else
    skip "inotifywait is not installed: the by-state inotify check under default_permissions"
fi
finish
