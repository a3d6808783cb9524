#!/usr/bin/env bash
# examples/viasfs@.service: `systemd-analyze verify` accepts an instance of it without a word
# (and, the pair, complains about a copy with a typo); it restarts on failure, stays in the
# foreground, stops with fusermount3 -u and has no setting that would hide the mount in a
# namespace of its own. Then its command lines, with systemd's %i and %f worked out by
# systemd-escape for a mount point in the test's directory (and /etc/viasfs/ moved there too):
# ExecStart mounts from /etc/viasfs/%i.conf and serves the mount from the process systemd
# would watch, ExecStop unmounts and that process exits 0 (no restart); after a crash
# (SIGKILL) ExecStartPre clears the dead mount so that the restart mounts again. systemd
# itself is not run: this container has no systemd as PID 1.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse
UNIT=examples/viasfs@.service
BIN=$(realpath "${VIASFS_REAL_BIN:-$VIASFS_BIN}")
not() { ! "$@"; }

emu_start --tasks 3 || { fail "emulator starts"; finish; exit; }
# Sanitizer reports of every viasfs this test starts (a sanitized build) go where mnt_stop looks.
export ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-mp:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-mp:print_stacktrace=1:${UBSAN_OPTIONS:-}"
MP=$TEST_TMP/mp
mkdir -p "$MP"
if command -v systemd-escape >/dev/null; then
    NAME=$(systemd-escape --path --template=viasfs@.service "$MP")
    INSTANCE=${NAME#viasfs@}
    INSTANCE=${INSTANCE%.service}
    check_eq "systemd-escape --unescape gives the mount point back (%f)" "$MP" \
        "$(systemd-escape --unescape --path "$INSTANCE")"
else
    echo "# systemd-escape is missing: the instance name is escaped by hand" >&2
    INSTANCE=$(echo "${MP#/}" | sed 's/-/\\x2d/g; s|/|-|g')
    NAME="viasfs@$INSTANCE.service"
fi

# The unit as installed, but running the built viasfs; man finds the page it documents.
mkdir -p "$TEST_TMP/units" "$TEST_TMP/man/man1"
cp man/viasfs.1 "$TEST_TMP/man/man1/"
sed "s|/usr/local/bin/viasfs|$BIN|" "$UNIT" >"$TEST_TMP/units/$NAME"
verify() { MANPATH=$TEST_TMP/man SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$1" 2>&1; }
printf '[Unit]\nDescription=known good\n[Service]\nExecStart=/bin/true\n' >"$TEST_TMP/units/good.service"
if ! command -v systemd-analyze >/dev/null || [ -n "$(verify "$TEST_TMP/units/good.service")" ]; then
    echo "##########################################################################" >&2
    echo "# SKIPPING systemd-analyze verify: it does not work here: NOT CHECKED" >&2
    echo "##########################################################################" >&2
    skip "systemd-analyze verify does not work here (a known-good unit fails): unit NOT verified"
else
    out=$(verify "$TEST_TMP/units/$NAME")
    check_eq "systemd-analyze verify accepts $NAME without a word" "" "$out"
    sed 's/^Restart=on-failure$/Restart=on-failures/; s/^ExecStop=/ExecStopp=/' \
        "$TEST_TMP/units/$NAME" >"$TEST_TMP/units/typo@$INSTANCE.service"
    out=$(verify "$TEST_TMP/units/typo@$INSTANCE.service")
    check "... and complains about a copy with two typos" grep -q 'ExecStopp' <<<"$out"
fi

key() { sed -n "s/^$1=//p" "$UNIT"; }
check_eq "Restart=on-failure" on-failure "$(key Restart)"
check "ExecStart runs viasfs in the foreground (-f) with /etc/viasfs/%i.conf on %f" \
    grep -qx 'ExecStart=/usr/local/bin/viasfs -f --config=/etc/viasfs/%i.conf %f' "$UNIT"
check_eq "ExecStop unmounts with fusermount3 -u" "/bin/fusermount3 -u %f" "$(key ExecStop)"
check_eq "no setting gives the service a mount namespace of its own" "" \
    "$(grep -E '^(PrivateTmp|PrivateMounts|ProtectSystem|ProtectHome|PrivateDevices|ProtectKernelModules|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|RootDirectory|MountAPIVFS)=' "$UNIT")"
check "it waits for the network" grep -qx 'After=network-online.target' "$UNIT"

# The command lines, as systemd would run them for $NAME.
mkdir -p "$TEST_TMP/etc/viasfs"
cp "$EMU_TOKEN_FILE" "$TEST_TMP/etc/viasfs/token"
chmod 600 "$TEST_TMP/etc/viasfs/token"
printf '[viasfs]\nendpoint = %s\nproject-id = %s\ntoken-file = token\nlog = %s\n' \
    "$EMU_URL" "$EMU_PROJECT" "$TEST_TMP/viasfs-unit.log" >"$TEST_TMP/etc/viasfs/$INSTANCE.conf"
# cmdline KEY: the unit's KEY= command with %i, %f and the paths resolved, "-" prefix dropped.
cmdline() {
    key "$1" | sed -e 's/^-//' -e "s|/usr/local/bin/viasfs|$BIN|" -e "s|/etc/viasfs/|$TEST_TMP/etc/viasfs/|" \
        -e "s|%i|$(printf '%s' "$INSTANCE" | sed 's/[\\&|]/\\&/g')|g" -e "s|%f|$MP|g"
}
read -ra START <<<"$(cmdline ExecStart)"
read -ra STOP <<<"$(cmdline ExecStop)"
read -ra PRE <<<"$(cmdline ExecStartPre)"

# exec_start: runs ExecStartPre (failure ignored) then ExecStart in the background, as the
# unit's main process; sets MAIN. True when $MP got mounted by MAIN itself.
exec_start() {
    local i
    "${PRE[@]}" >/dev/null 2>&1
    "${START[@]}" >"$TEST_TMP/viasfs-unit.out" 2>&1 &
    MAIN=$!
    for i in $(seq 1 100); do
        is_mounted "$MP" && break
        kill -0 "$MAIN" 2>/dev/null || break
        sleep 0.05
    done
    is_mounted "$MP" && MOUNTS+=("$MP") && [ "$(mnt_pid "$MP")" = "$MAIN" ]
}
if exec_start; then
    ok "ExecStart mounts from /etc/viasfs/%i.conf, served by the main process"
    check_eq "... the 3 tasks" 3 "$(ls "$MP/tasks" | wc -l)"
    "${STOP[@]}" >"$TEST_TMP/stop.out" 2>&1
    check_eq "ExecStop unmounts" "0 no" "$? $(is_mounted "$MP" && echo yes || echo no)"
    for _ in $(seq 1 100); do kill -0 "$MAIN" 2>/dev/null || break; sleep 0.05; done
    wait "$MAIN"
    check_eq "... and the main process exits 0 (so Restart=on-failure does not restart it)" 0 "$?"
else
    fail "ExecStart mounts from /etc/viasfs/%i.conf, served by the main process"
    sed 's/^/#   /' "$TEST_TMP/viasfs-unit.out" | head -5
    kill "$MAIN" 2>/dev/null
fi

# A crash leaves a dead mount; the restart's ExecStartPre clears it and ExecStart mounts again.
if exec_start; then
    kill -9 "$MAIN"
    wait "$MAIN" 2>/dev/null
    check "after a crash (SIGKILL) the mount is dead" not ls "$MP/tasks" 2>/dev/null
    if exec_start; then
        ok "... and the restart (ExecStartPre, ExecStart) mounts again"
        check_eq "... the 3 tasks" 3 "$(ls "$MP/tasks" | wc -l)"
    else
        fail "... and the restart (ExecStartPre, ExecStart) mounts again"
        sed 's/^/#   /' "$TEST_TMP/viasfs-unit.out" | head -5
    fi
    mnt_stop "$MP"
else
    fail "ExecStart mounts for the crash test"
fi
finish
