#!/usr/bin/env bash
# The README's credentials walk-through (between <!-- readme-credentials --> markers), run as
# written: the emulator's port 8080 becomes a free one and HOME a temporary directory; build/
# becomes $BUILD/. Each of the three mounts must work and leave nothing mounted.
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
check "3. AK/SK: a state was read" grep -qE '^[A-Z_]+$' <<<"$(echo "$out" | tail -1)"
check "nothing is left mounted" bash -c "! grep -q '$TEST_TMP' /proc/mounts"
finish
