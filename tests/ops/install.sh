#!/usr/bin/env bash
# make install / make uninstall: with DESTDIR and the default PREFIX (/usr/local), exactly
# bin/viasfs, bin/vias-emulator, share/man/man1/viasfs.1 and share/doc/viasfs/examples/* but
# demo.sh (it runs only in the repository) with the right modes, a working binary and the unit pointing at it; PREFIX=/usr moves them; make
# uninstall removes every one. Then for real, in a private mount namespace with a tmpfs on
# /usr/local: man finds the page, and `mount -t fuse.viasfs` finds the installed viasfs (that
# is all mount(8) needs: mount.fuse3 runs viasfs from /bin/sh's default PATH). The build is
# not redone: make is told that the binaries are up to date (-o).
cd "$(dirname "$0")/../.." || exit 1
. tests/ops/private_ns.bash
. tests/mount/mountlib.bash
require_fuse
require_tool man

# mk ARGS...: make in the repository with the test's build directory, never rebuilding.
mk() { make -s --no-print-directory -o "$BUILD/viasfs" -o "$BUILD/vias-emulator" BUILD="$BUILD" "$@"; }
not() { ! "$@"; }
mode_of() { stat -c %a "$1"; }

# expected_files PREFIX: the files make install must create, relative to DESTDIR, sorted.
expected_files() {
    local f
    {
        echo "${1#/}/bin/viasfs"
        echo "${1#/}/bin/vias-emulator"
        echo "${1#/}/share/man/man1/viasfs.1"
        for f in examples/*; do
            [ "$f" = examples/demo.sh ] || echo "${1#/}/share/doc/viasfs/examples/${f#examples/}"
        done
    } | sort
}
files_in() { (cd "$1" && find . -type f | sed 's|^\./||' | sort); }

D1=$TEST_TMP/stage1
if mk install DESTDIR="$D1" >"$TEST_TMP/install.out" 2>&1; then
    ok "make install DESTDIR=... (default PREFIX)"
else
    fail "make install DESTDIR=... (default PREFIX)"
    sed 's/^/#   /' "$TEST_TMP/install.out" | tail -5
fi
check_eq "... installs exactly the binaries, the man page and the examples under /usr/local" \
    "$(expected_files /usr/local)" "$(files_in "$D1")"
U=$D1/usr/local
check "... but not demo.sh, which works only in the repository" test ! -e "$U/share/doc/viasfs/examples/demo.sh"
check_eq "... binaries 755, man page 644, scripts 755, other examples 644" \
    "755 755 644 755 644" \
    "$(mode_of "$U/bin/viasfs") $(mode_of "$U/bin/vias-emulator") $(mode_of "$U/share/man/man1/viasfs.1") $(mode_of "$U/share/doc/viasfs/examples/follow-events.sh") $(mode_of "$U/share/doc/viasfs/examples/viasfs@.service")"
check_eq "... the installed viasfs runs" "$("$VIASFS_BIN" --version)" "$("$U/bin/viasfs" --version 2>&1)"
check "... the installed man page is man/viasfs.1" cmp -s man/viasfs.1 "$U/share/man/man1/viasfs.1"
check_eq "... and man finds it there" "$U/share/man/man1/viasfs.1" \
    "$(MANPATH=$U/share/man man -w viasfs 2>&1)"
check_eq "... the installed unit runs the installed viasfs" \
    "ExecStart=/usr/local/bin/viasfs -f --config=/etc/viasfs/%i.conf %f" \
    "$(grep '^ExecStart=' "$U/share/doc/viasfs/examples/viasfs@.service")"

D2=$TEST_TMP/stage2
mk install DESTDIR="$D2" PREFIX=/usr >"$TEST_TMP/install2.out" 2>&1
check_eq "make install PREFIX=/usr puts everything under /usr" "$(expected_files /usr)" "$(files_in "$D2")"
check_eq "... and the unit runs /usr/bin/viasfs" \
    "ExecStart=/usr/bin/viasfs -f --config=/etc/viasfs/%i.conf %f" \
    "$(grep '^ExecStart=' "$D2/usr/share/doc/viasfs/examples/viasfs@.service")"

mk uninstall DESTDIR="$D1" >"$TEST_TMP/uninstall.out" 2>&1
check_eq "make uninstall removes every installed file" "" "$(files_in "$D1")"
check "... and the doc directory" not test -e "$U/share/doc/viasfs"
mk uninstall DESTDIR="$D2" PREFIX=/usr >>"$TEST_TMP/uninstall.out" 2>&1
check_eq "make uninstall PREFIX=/usr too" "" "$(files_in "$D2")"

# For real, in this private namespace: /usr/local is an empty tmpfs here and nowhere else.
if ! cover_dir /usr/local; then
    fail "an empty private /usr/local"
    finish
    exit
fi
hide_root_config
if mk install >"$TEST_TMP/install3.out" 2>&1 && [ -x /usr/local/bin/viasfs ]; then
    ok "make install (no DESTDIR) installs into /usr/local"
else
    fail "make install (no DESTDIR) installs into /usr/local"
    sed 's/^/#   /' "$TEST_TMP/install3.out" | tail -5
fi
check_eq "... man viasfs finds the page" /usr/local/share/man/man1/viasfs.1 "$(man -w viasfs 2>&1)"

emu_start --tasks 4 || { fail "emulator starts"; finish; exit; }
# Sanitizer reports of every viasfs this test starts (a sanitized build) go where mnt_stop looks.
export ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-mp:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-mp:print_stacktrace=1:${UBSAN_OPTIONS:-}"
cp "$EMU_TOKEN_FILE" "$TEST_TMP/token"
chmod 600 "$TEST_TMP/token"
MP=$TEST_TMP/mp
mkdir -p "$MP"
timeout 30 mount -t fuse.viasfs "$EMU_URL/v2/$EMU_PROJECT" "$MP" -o "token_file=$TEST_TMP/token" \
    >"$TEST_TMP/mount.out" 2>&1
if is_mounted "$MP"; then
    MOUNTS+=("$MP")
    # mnt_pid and mnt_stop look for the installed binary
    VIASFS_BIN=/usr/local/bin/viasfs VIASFS_REAL_BIN=/usr/local/bin/viasfs
    ok "mount -t fuse.viasfs runs the installed viasfs"
    check "... which serves the mount" test -n "$(mnt_pid "$MP")"
    check_eq "... and lists the 4 tasks" 4 "$(ls "$MP/tasks" | wc -l)"
    mnt_stop "$MP"
else
    fail "mount -t fuse.viasfs runs the installed viasfs"
    sed 's/^/#   /' "$TEST_TMP/mount.out" | head -5
fi
mk uninstall >"$TEST_TMP/uninstall3.out" 2>&1
check_eq "make uninstall (no DESTDIR) leaves /usr/local as it found it" "" "$(files_in /usr/local)"
finish
