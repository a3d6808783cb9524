#!/usr/bin/env bash
# Run last by tests/run.sh: every secret the suite uses carries the mark "s3cr3t" (see
# tests/lib.sh). While the suite ran, run.sh sampled the argv of every viasfs and vias-emulator
# process, and each test appended to $VIASFS_LEAKS any daemon or emulator log line, status
# or errors snapshot holding the mark. Here: nothing may have been found, and the test output
# of the whole suite holds no secret either. The pair: a planted leak is found.
set -u
. "$(dirname "$0")/lib.sh"
: "${VIASFS_LEAKS:?run by tests/run.sh}"
: "${VIASFS_PS_SAMPLES:?run by tests/run.sh}"

samples=$(grep -c '^sample' "$VIASFS_PS_SAMPLES")
check "the process list was sampled during the suite ($samples samples)" [ "$samples" -gt 10 ]
leaks=$(grep -v '^sample' "$VIASFS_PS_SAMPLES" | grep -cF "$SECRET_MARK")
check_eq "no viasfs or vias-emulator argv held a secret" 0 "$leaks"
[ "$leaks" = 0 ] || grep -F "$SECRET_MARK" "$VIASFS_PS_SAMPLES" | head -3 | sed 's/s3cr3t[^ ]*/<secret>/g; s/^/# /'

n=$(grep -c . "$VIASFS_LEAKS")
check_eq "no daemon log, emulator log, status or errors file held a secret" 0 "$n"
[ "$n" = 0 ] || cut -d: -f1-2 "$VIASFS_LEAKS" | sort | uniq -c | head -5 | sed 's/^/# /'

out=$(grep -lF "$SECRET_MARK" "$(dirname "$VIASFS_LEAKS")"/*.log 2>/dev/null | grep -v secrets_scan)
check_eq "no test's output held a secret" "" "$out"

# The scan can fail: a log line with a secret in a test's temporary directory is found.
echo "viasfs: X-Auth-Token: $SECRET_MARK-planted" >"$TEST_TMP/viasfs-planted.log"
planted=$(mktemp)
(VIASFS_LEAKS=$planted cleanup) # scans and removes $TEST_TMP, as at the end of every test
check "a planted secret in a daemon log is caught" grep -q "viasfs-planted.log" "$planted"
rm -f "$planted"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/viasfs-test.XXXXXX")
finish
