#!/usr/bin/env bash
# fstab and mount(8): `mount -t fuse.viasfs SOURCE DIR -o ...` and fstab lines of type
# fuse.viasfs mount through the fuse3 package's mount.fuse3, which runs `viasfs` from
# /bin/sh's default PATH (mount clears PATH and HOME). SOURCE may carry the endpoint and the
# project (http://HOST:PORT/v2/PROJECT), or be a plain word with everything in -o; fstab's
# _netdev, nofail, noauto, x-systemd.* and comment= are accepted; config= names a config
# file; FUSE's own options (allow_other) pass through; `mount -a` skips noauto lines; a wrong
# token makes mount fail with viasfs's one line. Runs in a private mount namespace where a
# tmpfs on /usr/local/sbin holds a link to the built viasfs; /etc/fstab is never touched
# (mount -T reads a temporary one).
cd "$(dirname "$0")/../.." || exit 1
. tests/ops/private_ns.bash
. tests/mount/mountlib.bash
require_fuse
[ -x /sbin/mount.fuse3 ] || [ -x /usr/sbin/mount.fuse3 ] ||
    { echo "Bail out! mount.fuse3 (Debian package fuse3) is not installed"; exit 1; }

emu_start --tasks 7 || { fail "emulator starts"; finish; exit; }
# Sanitizer reports of every viasfs this test starts (a sanitized build) go where mnt_stop looks.
export ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-mp:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-mp:print_stacktrace=1:${UBSAN_OPTIONS:-}"
hide_root_config
if cover_dir /usr/local/sbin && ln -s "$(realpath "$VIASFS_BIN")" /usr/local/sbin/viasfs; then
    ok "a private /usr/local/sbin holds viasfs"
else
    fail "a private /usr/local/sbin holds viasfs"
    finish
    exit
fi
check_eq "mount.fuse3's shell, with no PATH, finds it there" /usr/local/sbin/viasfs \
    "$(env -i /bin/sh -c 'command -v viasfs')"

TOKEN_FILE=$TEST_TMP/token
cp "$EMU_TOKEN_FILE" "$TOKEN_FILE"
chmod 600 "$TOKEN_FILE"
MP=$TEST_TMP/mp
MP2=$TEST_TMP/mp2
mkdir -p "$MP" "$MP2"
SRC=$EMU_URL/v2/$EMU_PROJECT
FSTAB=$TEST_TMP/fstab

not() { ! "$@"; }
fstype_of() { awk -v d="$1" '$2 == d { print $3 }' /proc/mounts; }
mount_opts_of() { awk -v d="$1" '$2 == d { print $4 }' /proc/mounts; }

# mounted_via DESCRIPTION TTL COMMAND...: COMMAND mounts $MP; the mount is of type fuse.viasfs,
# its .viasfs/status shows the emulator's endpoint and project and the TTL given, it lists the
# emulator's 7 tasks, and it unmounts with the daemon exiting (mnt_stop).
mounted_via() {
    local d=$1 ttl=$2 rc
    shift 2
    timeout 30 "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    rc=$?
    if [ "$rc" != 0 ] || ! is_mounted "$MP"; then
        fail "$d"
        diag "exit status $rc; stderr:"
        sed 's/^/#   /' "$TEST_TMP/err" | head -5
        is_mounted "$MP" && fusermount3 -u "$MP"
        return 1
    fi
    MOUNTS+=("$MP")
    ok "$d"
    check_eq "... the mount's type is fuse.viasfs" fuse.viasfs "$(fstype_of "$MP")"
    check_eq "... status shows the endpoint, the project and ttl $ttl" \
        "endpoint: $EMU_URL|project: $EMU_PROJECT|ttl: $ttl s" \
        "$(grep -E '^(endpoint|project|ttl):' "$MP/.viasfs/status" | paste -sd'|')"
    check_eq "... it lists the emulator's 7 tasks" 7 "$(ls "$MP/tasks" | wc -l)"
    return 0
}

# 1. By hand, SOURCE carrying the endpoint and the project.
if mounted_via "mount -t fuse.viasfs http://HOST:PORT/v2/PROJECT DIR -o token_file=...,ttl=7" 7 \
    mount -t fuse.viasfs "$SRC" "$MP" -o "token_file=$TOKEN_FILE,ttl=7"; then
    mnt_stop "$MP"
fi

# 2. By hand, everything in -o (the fstab way), with a FUSE option passed through.
if mounted_via "mount -t fuse.viasfs viasfs DIR -o endpoint=...,project_id=...,token_file=..." 30 \
    mount -t fuse.viasfs viasfs "$MP" \
    -o "endpoint=$EMU_URL,project_id=$EMU_PROJECT,token_file=$TOKEN_FILE,allow_other"; then
    check "... allow_other reached FUSE" grep -q allow_other <<<"$(mount_opts_of "$MP")"
    mnt_stop "$MP"
fi

# 3. An fstab line with _netdev, read from a temporary fstab.
printf '%s %s fuse.viasfs _netdev,token_file=%s,ttl=8 0 0\n' "$SRC" "$MP" "$TOKEN_FILE" >"$FSTAB"
if mounted_via "an fstab line with _netdev: mount -T FSTAB DIR" 8 mount -T "$FSTAB" "$MP"; then
    mnt_stop "$MP"
fi

# 4. An fstab line with config=, a relative token file in the config file, and every fstab and
#    systemd option that viasfs must ignore.
mkdir -p "$TEST_TMP/etc"
cp "$TOKEN_FILE" "$TEST_TMP/etc/vias.token"
chmod 600 "$TEST_TMP/etc/vias.token"
cat >"$TEST_TMP/etc/vias.conf" <<EOF
# viasfs config for the fstab test
[viasfs]
endpoint = $EMU_URL
project-id = $EMU_PROJECT
token-file = vias.token
ttl = 9
EOF
printf '%s %s fuse.viasfs %s 0 0\n' viasfs "$MP" \
    "_netdev,nofail,noauto,x-systemd.automount,x-systemd.idle-timeout=60,comment=vias,config=$TEST_TMP/etc/vias.conf" \
    >"$FSTAB"
if mounted_via "an fstab line with config=, nofail, noauto, x-systemd.*, comment=" 9 \
    mount -T "$FSTAB" "$MP"; then
    mnt_stop "$MP"
fi

# 5. mount -a: the _netdev line is mounted, the noauto line is not.
{
    printf '%s %s fuse.viasfs _netdev,token_file=%s,ttl=6 0 0\n' "$SRC" "$MP" "$TOKEN_FILE"
    printf '%s %s fuse.viasfs noauto,token_file=%s 0 0\n' "$SRC" "$MP2" "$TOKEN_FILE"
} >"$FSTAB"
if mounted_via "mount -a -T FSTAB -t fuse.viasfs mounts the _netdev line" 6 \
    mount -a -T "$FSTAB" -t fuse.viasfs; then
    check "... and not the noauto line" not is_mounted "$MP2"
    mnt_stop "$MP"
fi
is_mounted "$MP2" && { MOUNTS+=("$MP2"); mnt_stop "$MP2"; }

# 6. A wrong token: mount fails, viasfs's one line says why, nothing stays mounted or running.
echo "wrong-s3cr3t-$$" >"$TEST_TMP/wrong-token"
chmod 600 "$TEST_TMP/wrong-token"
printf '%s %s fuse.viasfs _netdev,token_file=%s 0 0\n' "$SRC" "$MP" "$TEST_TMP/wrong-token" >"$FSTAB"
timeout 30 mount -T "$FSTAB" "$MP" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
if [ "$rc" != 0 ] && grep -q 'APIG.0301' "$TEST_TMP/err" && ! is_mounted "$MP" &&
    [ -z "$(mnt_pid "$MP")" ]; then
    ok "an fstab line with a wrong token fails (exit $rc) with viasfs's reason"
else
    fail "an fstab line with a wrong token fails with viasfs's reason"
    diag "exit status $rc; stderr:"
    sed 's/^/#   /' "$TEST_TMP/err" | head -5
    is_mounted "$MP" && { MOUNTS+=("$MP"); mnt_stop "$MP"; }
fi
check "... and the token is not in what it printed" not grep -qF "wrong-s3cr3t" "$TEST_TMP/err"
finish
