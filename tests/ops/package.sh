#!/usr/bin/env bash
# The Debian packages (debian/, issue 17): `dpkg-buildpackage -us -uc -b` in a clean clone of
# HEAD builds viasfs_VERSION_ARCH.deb and vias-emulator_VERSION_ARCH.deb; each holds exactly
# the files it should, with the right modes; Depends carries the shared libraries (shlibs)
# and fuse3; the extracted programs run (--version, --help) and say the version of
# debian/changelog, as do both manuals; vias-emulator.1 renders cleanly and lists every
# option of `vias-emulator --help`; lintian reports no error and no warning (those it would,
# overridden, are explained in debian/README.source). Then, as root in a private mount
# namespace where /usr/bin is overlaid with the package's and /usr/local/{bin,sbin} are
# empty, as after `apt install ./viasfs_*.deb`: `mount -t fuse.viasfs` and an fstab line
# whose config= is the packaged example configuration mount the packaged emulator.
# Uncommitted changes are not built (a clone of HEAD). Skipped (exit 77), loudly, without
# dpkg-buildpackage, debhelper, dpkg-deb or lintian, which `make check-deps` installs.
cd "$(dirname "$0")/../.." || exit 1
# The mount checks need a private mount namespace (root, unshare); the rest runs without one.
if [ -z "${VIASFS_OPS_PRIVATE_NS:-}" ] && [ "$(id -u)" = 0 ] &&
    unshare -m --propagation private true 2>/dev/null; then
    VIASFS_OPS_PRIVATE_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. tests/mount/mountlib.bash

# Packaging tools: named with their Debian packages (tests/lib.sh knows only test tools).
missing=
for t in dpkg-buildpackage:dpkg-dev dh:debhelper dpkg-deb:dpkg lintian:lintian git:git; do
    on_path "${t%%:*}" || missing="$missing, ${t%%:*} (Debian package ${t#*:})"
done
if [ -n "$missing" ]; then
    skip_banner "$0" "missing ${missing#, }: NO PACKAGE WAS BUILT OR CHECKED"
    echo "# SKIP: missing ${missing#, }"
    exit 77
fi
# This test's make, if any, is not the package build's: its flags and variables stay out.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES BUILD SANITIZE WERROR CFLAGS CPPFLAGS LDFLAGS

# ---- Build, in a clean clone of HEAD.
head=$(git rev-parse HEAD)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] ||
    diag "the working tree has uncommitted changes: the packages are built from HEAD ($head)"
SRC=$TEST_TMP/src/viasfs
start=$SECONDS
if git clone -q --no-checkout "$PWD" "$SRC" 2>"$TEST_TMP/clone.err" &&
    git -C "$SRC" checkout -q --detach "$head" 2>>"$TEST_TMP/clone.err"; then
    ok "a clean clone of HEAD (${head:0:12})"
else
    fail "a clean clone of HEAD"
    sed 's/^/#   /' "$TEST_TMP/clone.err"
    finish
    exit
fi
VERSION=$(cd "$SRC" && dpkg-parsechangelog -S Version)
ARCH=$(dpkg --print-architecture)
if (cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$TEST_TMP/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b builds it"
else
    fail "dpkg-buildpackage -us -uc -b builds it"
    tail -25 "$TEST_TMP/build.log" | sed 's/^/#   /'
    finish
    exit
fi
diag "clone and package build: $((SECONDS - start)) s"
DEB=$TEST_TMP/src/viasfs_${VERSION}_$ARCH.deb
EMU_DEB=$TEST_TMP/src/vias-emulator_${VERSION}_$ARCH.deb
check "... into viasfs_${VERSION}_$ARCH.deb and vias-emulator_${VERSION}_$ARCH.deb" \
    test -f "$DEB" -a -f "$EMU_DEB"
[ -f "$DEB" ] && [ -f "$EMU_DEB" ] || { finish; exit; }
# The unit tests run in the package build, every one, unless DEB_BUILD_OPTIONS says nocheck.
units=$(ls tests/unit/test_*.c | wc -l)
case " ${DEB_BUILD_OPTIONS:-} " in *" nocheck "*) units=0 ;; esac
check_eq "... running the $units unit tests (tests/unit) on the way" "$units" \
    "$(grep -c '^  TEST    build-deb/tests/unit/test_' "$TEST_TMP/build.log")"

# ---- Contents: exactly these files (dpkg-deb -c), with these modes and owners.
# files_of DEB: "MODE OWNER PATH" of every file (not directory) of DEB, sorted.
files_of() { dpkg-deb -c "$1" | awk '$1 !~ /^d/ { print $1, $2, $6 }' | sort -k3; }
expected_viasfs() {
    local f
    {
        echo "-rwxr-xr-x root/root ./usr/bin/viasfs"
        echo "-rw-r--r-- root/root ./usr/share/man/man1/viasfs.1.gz"
        echo "-rw-r--r-- root/root ./lib/systemd/system/viasfs@.service"
        echo "-rw-r--r-- root/root ./lib/systemd/system/plocate-updatedb.service.d/viasfs.conf"
        for f in README.md.gz README.Debian changelog.gz copyright examples/srv-vias.conf; do
            echo "-rw-r--r-- root/root ./usr/share/doc/viasfs/$f"
        done
        for f in examples/*; do
            case $f in
            examples/demo.sh | examples/viasfs@.service) ;;
            *.sh) echo "-rwxr-xr-x root/root ./usr/share/doc/viasfs/$f" ;;
            *) echo "-rw-r--r-- root/root ./usr/share/doc/viasfs/$f" ;;
            esac
        done
        echo "-rw-r--r-- root/root ./usr/share/lintian/overrides/viasfs"
    } | sort -k3
}
check_eq "viasfs holds the program, manual, unit template, updatedb drop-in, docs and examples" \
    "$(expected_viasfs)" "$(files_of "$DEB")"
check_eq "vias-emulator holds the program, its manual and docs" \
    "$(printf '%s\n' "-rwxr-xr-x root/root ./usr/bin/vias-emulator" \
        "-rw-r--r-- root/root ./usr/share/man/man1/vias-emulator.1.gz" \
        "-rw-r--r-- root/root ./usr/share/doc/vias-emulator/README.md.gz" \
        "-rw-r--r-- root/root ./usr/share/doc/vias-emulator/changelog.gz" \
        "-rw-r--r-- root/root ./usr/share/doc/vias-emulator/copyright" | sort -k3)" \
    "$(files_of "$EMU_DEB")"

# ---- Control fields.
# depends_names DEB: the package names of its Depends, one a line, sorted.
depends_names() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort; }
check_eq "viasfs: Package, Version, Architecture" "viasfs $VERSION $ARCH" \
    "$(dpkg-deb -f "$DEB" Package Version Architecture | cut -d' ' -f2 | paste -sd' ')"
check_eq "viasfs Depends: the libraries it links (shlibs) and fuse3, for mount.fuse3 and fusermount3" \
    "fuse3 libc6 libcjson1 libcurl4 libfuse3-3 libglib2.0-0" "$(depends_names "$DEB" | paste -sd' ')"
check "... with versions from the libraries' shlibs (libfuse3-3 (>= ...))" \
    grep -q 'libfuse3-3 (>= [0-9.]*)' <(dpkg-deb -f "$DEB" Depends)
check_eq "vias-emulator Depends: the libraries it links, no fuse3" \
    "libc6 libcjson1 libglib2.0-0 libmicrohttpd12" "$(depends_names "$EMU_DEB" | paste -sd' ')"

# ---- The extracted packages.
ROOT=$TEST_TMP/root
dpkg-deb -x "$DEB" "$ROOT" && dpkg-deb -x "$EMU_DEB" "$ROOT"
check_eq "the packaged viasfs --version says debian/changelog's version" "viasfs $VERSION" \
    "$("$ROOT/usr/bin/viasfs" --version 2>&1)"
"$ROOT/usr/bin/viasfs" --help >"$TEST_TMP/help" 2>&1
check_eq "... and --help prints the usage (status 0)" "0 Usage: viasfs [OPTIONS] [SOURCE] MOUNTPOINT" \
    "$? $(head -1 "$TEST_TMP/help")"
check_eq "the packaged vias-emulator --version says it too" "vias-emulator $VERSION" \
    "$("$ROOT/usr/bin/vias-emulator" --version 2>&1)"
"$ROOT/usr/bin/vias-emulator" --help >"$TEST_TMP/emu-help" 2>&1
check_eq "... and its --help the usage (status 0)" "0 Usage: vias-emulator [OPTIONS]" \
    "$? $(head -1 "$TEST_TMP/emu-help")"
th_version() { zcat "$1" | sed -n 's/^\.TH [^ ]* 1 [^ ]* "\([^"]*\)".*/\1/p'; }
check_eq "viasfs.1 is of the same version" "viasfs $VERSION" \
    "$(th_version "$ROOT/usr/share/man/man1/viasfs.1.gz")"
check_eq "vias-emulator.1 too" "vias-emulator $VERSION" \
    "$(th_version "$ROOT/usr/share/man/man1/vias-emulator.1.gz")"
check_eq "the unit template runs /usr/bin/viasfs" \
    "ExecStart=/usr/bin/viasfs -f --config=/etc/viasfs/%i.conf %f" \
    "$(grep '^ExecStart=' "$ROOT/lib/systemd/system/viasfs@.service")"
check_eq "the drop-in runs plocate's updatedb with fuse.viasfs pruned" \
    "ExecStart= ExecStart=/usr/sbin/updatedb.plocate --add-prunefs fuse.viasfs" \
    "$(grep '^ExecStart=' "$ROOT/lib/systemd/system/plocate-updatedb.service.d/viasfs.conf" | paste -sd' ')"
if have_tool man; then
    MANWIDTH=80 man --warnings -l "$ROOT/usr/share/man/man1/vias-emulator.1.gz" \
        >"$TEST_TMP/emu-man" 2>"$TEST_TMP/emu-man.warn"
    check_eq "vias-emulator.1 renders without warnings" "" "$(cat "$TEST_TMP/emu-man.warn")"
    check_eq "... within 80 columns" "" "$(awk 'length > 80' "$TEST_TMP/emu-man")"
    absent=
    for o in $(grep -oE '^  (-v, )?--[a-z][a-z-]*' "$TEST_TMP/emu-help" | grep -oE -- '--[a-z-]+'); do
        grep -qE -- "(^|[^-a-z])$o([^-a-z]|$)" "$TEST_TMP/emu-man" || absent="$absent $o"
    done
    check_eq "... and has every option vias-emulator --help lists" "" "$absent"
else
    skip "vias-emulator.1 renders without warnings (man is missing)"
fi

# ---- lintian, on the .changes (both packages and their -dbgsym).
start=$SECONDS
lintian --pedantic -I -E --show-overrides --fail-on error,warning \
    "$TEST_TMP/src/viasfs_${VERSION}_$ARCH.changes" >"$TEST_TMP/lintian" 2>&1
rc=$?
diag "lintian: $((SECONDS - start)) s; its tags (O: overridden, explained in debian/README.source):"
grep -E '^[A-Z]: ' "$TEST_TMP/lintian" | sed 's/^/#   /'
check_eq "lintian: no error and no warning (status 0)" "0" \
    "$rc$(grep -E '^[EW]: ' "$TEST_TMP/lintian" | sed 's/^/ /')"

# ---- As installed: mount -t fuse.viasfs and fstab find /usr/bin/viasfs.
if [ -z "${VIASFS_OPS_PRIVATE_NS:-}" ] || [ ! -c /dev/fuse ] || ! on_path fusermount3 ||
    ! { [ -x /sbin/mount.fuse3 ] || [ -x /usr/sbin/mount.fuse3 ]; }; then
    skip_banner "the mount checks of $0" "they need root, unshare -m, /dev/fuse and fuse3"
    skip "mount -t fuse.viasfs runs the packaged /usr/bin/viasfs (not root, or no FUSE)"
    finish
    exit
fi
# Nothing else named viasfs comes first on mount.fuse3's PATH; root's own config stays out.
home=$(getent passwd 0 | cut -d: -f6)
for d in /usr/local/sbin /usr/local/bin ${home:+"$home/.config/viasfs"}; do
    [ -d "$d" ] && mount -t tmpfs -o mode=0755 viasfs-test "$d"
done
if mount -t overlay viasfs-test -o "lowerdir=$ROOT/usr/bin:/usr/bin" /usr/bin 2>"$TEST_TMP/ovl.err"; then
    ok "(a private /usr/bin holds the package's programs, as after installing it)"
else
    skip "mount -t fuse.viasfs runs the packaged /usr/bin/viasfs (no overlayfs: $(cat "$TEST_TMP/ovl.err"))"
    finish
    exit
fi
check_eq "mount.fuse3's shell, with no PATH, finds /usr/bin/viasfs" /usr/bin/viasfs \
    "$(env -i /bin/sh -c 'command -v viasfs')"
EMU_BIN=/usr/bin/vias-emulator
emu_start --tasks 5 || { fail "the packaged emulator starts"; finish; exit; }
VIASFS_BIN=/usr/bin/viasfs VIASFS_REAL_BIN=/usr/bin/viasfs # for mnt_pid and mnt_stop
cp "$EMU_TOKEN_FILE" "$TEST_TMP/token" && chmod 600 "$TEST_TMP/token"
MP=$TEST_TMP/mp
mkdir -p "$MP"
timeout 30 mount -t fuse.viasfs "$EMU_URL/v2/$EMU_PROJECT" "$MP" -o "token_file=$TEST_TMP/token" \
    >"$TEST_TMP/mount.out" 2>&1
if is_mounted "$MP"; then
    MOUNTS+=("$MP")
    check_eq "mount -t fuse.viasfs mounts with /usr/bin/viasfs, and the 5 tasks are there" \
        "/usr/bin/viasfs 5" "$(readlink "/proc/$(mnt_pid "$MP")/exe") $(ls "$MP/tasks" | wc -l)"
    mnt_stop "$MP"
else
    fail "mount -t fuse.viasfs mounts with /usr/bin/viasfs"
    sed 's/^/#   /' "$TEST_TMP/mount.out" | head -5
fi
# The packaged example configuration, pointed at the emulator, in an fstab line.
sed -e "s|^endpoint = .*|endpoint = $EMU_URL|" -e "s|^project-id = .*|project-id = $EMU_PROJECT|" \
    -e "s|^token-file = .*|token-file = $TEST_TMP/token|" \
    "$ROOT/usr/share/doc/viasfs/examples/srv-vias.conf" >"$TEST_TMP/srv-vias.conf"
printf 'viasfs %s fuse.viasfs _netdev,config=%s 0 0\n' "$MP" "$TEST_TMP/srv-vias.conf" >"$TEST_TMP/fstab"
timeout 30 mount -T "$TEST_TMP/fstab" "$MP" >"$TEST_TMP/mount2.out" 2>&1
if is_mounted "$MP"; then
    MOUNTS+=("$MP")
    check_eq "an fstab line with config= the packaged example (its endpoint, project, token file set) mounts" \
        "5" "$(ls "$MP/tasks" | wc -l)"
    mnt_stop "$MP"
else
    fail "an fstab line with config= the packaged example mounts"
    sed 's/^/#   /' "$TEST_TMP/mount2.out" | head -5
fi
finish
