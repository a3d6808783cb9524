#!/usr/bin/env bash
# The README's credentials walk-through (between <!-- readme-credentials --> markers), run as
# written: the emulator's port 8080 becomes a free one and HOME a temporary directory; build/
# becomes $BUILD/. Each of the three mounts must work and leave nothing mounted; the IAM mount's
# grep shows what its comment says (the project, auth iam and the token's expiry).
# Then the README's sample of .viasfs/status and the manual's list of its keys (THE .viasfs
# DIRECTORY, status) against a real status file: the same keys, in the same order. Then the
# Tests section's commands for one test: the test programs' lines run and print TAP, and the
# script it names exists.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

script=$(sed -n '/<!-- readme-credentials -->/,/<!-- \/readme-credentials -->/p' README.md |
    sed '1,2d;$d' | sed '$d')
check "the README has the credentials walk-through" [ -n "$script" ]
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
script=${script//8080/$port}
script=${script//build\//$BUILD/}
out=$(HOME=$TEST_TMP timeout 60 bash -e -c "$script" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
check "the walk-through runs to its end (exit $rc)" [ "$rc" = 0 ]
check "1. a token file: 20 tasks" grep -qx 20 <<<"$out"
check "no warning (the files are chmod 600)" bash -c "! grep -q warning <<<'$out'"
check "2. IAM: the status says auth iam and names the project" \
    bash -c "grep -qiE '^auth.*iam' <<<'$out' && grep -q 0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d <<<'$out'"
check "2. IAM: ... and the token's expiry, as the comment says" \
    grep -qE '^token_expires: [0-9]{4}-[0-9]{2}-[0-9]{2}T.*\(in [0-9.]+ h\)$' <<<"$out"
check "3. AK/SK: a state was read" grep -qE '^[A-Z_]+$' <<<"$(echo "$out" | tail -1)"
check "nothing is left mounted" bash -c "! grep -q '$TEST_TMP' /proc/mounts"

# keys: the "key" of every "key: value" line on standard input, one a line.
keys() { sed -n 's/^\([a-z_]*\): .*/\1/p'; }
emu_start --tasks 5 || { fail "emulator starts"; finish; exit; }
mnt_start status --refresh=0 || { fail "a mount for its status file"; finish; exit; }
cat "$MNT/.viasfs/status" >"$TEST_TMP/status.txt"
mnt_stop "$MNT"
real=$(keys <"$TEST_TMP/status.txt")
check "a real status file has keys ($(echo $real | wc -w))" [ "$(echo "$real" | wc -l)" -ge 15 ]
sample=$(sed -n '/^\$ cat mnt\/.viasfs\/status$/,/^\$ /p' README.md | sed '1d;$d' | keys)
check_eq "the README's status sample has the real keys, in order" "$real" "$sample"
# The manual's status entry, rendered: every word of it that is a key, first mentions, in order.
if have_tool man; then
    entry=$(MANWIDTH=200 man -l man/viasfs.1 2>/dev/null |
        sed -n '/^THE .viasfs DIRECTORY/,/^ERRORS/p' | sed -n '/^       status /,/^       metrics/p')
    man_keys=$(grep -oE '[a-z_]+' <<<"$entry" | grep -xF -f <(echo "$real") | awk '!seen[$0]++')
    check_eq "the manual's status entry names every real key, in order" "$real" "$man_keys"
else
    skip "the manual's status entry names every real key: man is missing (Debian package man-db)"
fi

one=$(sed -n '/^To run one test, build/,/^```$/p' README.md | sed -n '/^```sh$/,/^```$/p' | sed '1d;$d')
check "the README says how to run one test" [ -n "$one" ]
script=$(sed -n 's/^make && BUILD=build bash \(tests\/[a-z]*\/[a-z_]*\.sh\) .*/\1/p' <<<"$one")
check "... its script line names a test script that exists ($script)" [ -n "$script" -a -f "$script" ]
n=0
while IFS= read -r line; do
    cmd=${line%%#*}
    cmd=${cmd//build\//$BUILD/}
    out=$(bash -c "$cmd" 2>&1)
    rc=$?
    check_eq "... \`$(sed 's/ *#.*//' <<<"$line")\` runs (exit 0)" 0 "$rc"
    case $cmd in
    *--tap*) check "... and prints TAP" grep -qE '^ok 1 ' <<<"$out" ;;
    *) check "... and lists test cases" grep -qE '^/' <<<"$out" ;;
    esac
    n=$((n + 1))
done < <(grep '^build/tests/' <<<"$one")
check_eq "... three test program lines were run" 3 "$n"
finish
