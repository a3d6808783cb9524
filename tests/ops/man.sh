#!/usr/bin/env bash
# The man page, man/viasfs.1: it renders with man(1) without a single groff warning and
# within 80 columns; it has the sections a user looks for; its OPTIONS section and
# `viasfs --help` list the same options with the same defaults and environment variables
# (tests/ops/mancheck.py), and no --word in it is unknown; its version is the program's.
# The comparison is shown to fail on a page with an entry removed and on a --help with an
# option added.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
VIASFS_BIN=${VIASFS_BIN:-$BUILD/viasfs}
PAGE=man/viasfs.1
# The system's python3 when there is one: a version manager's shim can cost seconds a call.
PYTHON=python3
[ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
require_tool man python3
[ -x "$VIASFS_BIN" ] || { echo "Bail out! $VIASFS_BIN is not built (run make)"; exit 1; }

# mancheck HELP RENDERED SOURCE: runs the comparison; its ok/not ok lines become TAP lines.
mancheck() {
    local line
    while IFS= read -r line; do
        case "$line" in
        "ok	"*) ok "${line#ok	}" ;;
        "not ok	"*) fail "${line#not ok	}" ;;
        *) echo "$line" ;;
        esac
    done < <("$PYTHON" tests/ops/mancheck.py "$@" 2>&1 || echo "not ok	mancheck.py ran")
}
# fails_with HELP RENDERED SOURCE PATTERN: the comparison reports a failure matching PATTERN.
fails_with() {
    "$PYTHON" tests/ops/mancheck.py "$1" "$2" "$3" 2>&1 | grep -q "^not ok	$4"
}
render() { MANWIDTH=$1 man -l "$2" 2>/dev/null; }

MANWIDTH=80 man --warnings -l "$PAGE" >"$TEST_TMP/man80" 2>"$TEST_TMP/warnings"
check_eq "man --warnings -l $PAGE renders without warnings" "" "$(cat "$TEST_TMP/warnings")"
check "... to more than 300 lines" test "$(wc -l <"$TEST_TMP/man80")" -gt 300
long=$(awk 'length > 80' "$TEST_TMP/man80")
check_eq "... none over 80 columns at MANWIDTH=80" "" "$long"
check_eq "... and no word is hyphenated" "" "$(grep '‐' "$TEST_TMP/man80")"
missing=
for s in NAME SYNOPSIS DESCRIPTION SOURCE OPTIONS CREDENTIALS "CONFIGURATION FILE" \
    "THE TREE" FRESHNESS WATCHING "THE .viasfs DIRECTORY" ERRORS FSTAB SYSTEMD ENVIRONMENT \
    FILES "EXIT STATUS" EXAMPLES "SEE ALSO"; do
    grep -qx "$s" "$TEST_TMP/man80" || missing="$missing [$s]"
done
check_eq "it has every section" "" "$missing"

"$VIASFS_BIN" --help >"$TEST_TMP/help"
render 200 "$PAGE" >"$TEST_TMP/man200"
mancheck "$TEST_TMP/help" "$TEST_TMP/man200" "$PAGE"

# The pair: the comparison catches a page without the --ttl entry and a --help with a new option.
sed '/^\.BI \\-\\-ttl= SECONDS$/,/^Default: 30\.$/d' "$PAGE" >"$TEST_TMP/no-ttl.1"
check "(the --ttl entry was cut from the copy)" test "$(wc -l <"$TEST_TMP/no-ttl.1")" -lt "$(wc -l <"$PAGE")"
render 200 "$TEST_TMP/no-ttl.1" >"$TEST_TMP/man-no-ttl"
check "the comparison fails on a page that lacks --ttl" \
    fails_with "$TEST_TMP/help" "$TEST_TMP/man-no-ttl" "$TEST_TMP/no-ttl.1" "every option --help lists"
sed 's/^\(  --no-inotify .*\)$/\1\n  --prefetch-depth=N        tasks read ahead (default 16; env VIAS_PREFETCH)/' \
    "$TEST_TMP/help" >"$TEST_TMP/help-more"
check "the comparison fails on a --help with an option the page lacks" \
    fails_with "$TEST_TMP/help-more" "$TEST_TMP/man200" "$PAGE" "every option --help lists"
sed 's/^Default: 1000\.$/Default: 100./' "$PAGE" >"$TEST_TMP/bad-default.1"
render 200 "$TEST_TMP/bad-default.1" >"$TEST_TMP/man-bad-default"
check "the comparison fails on a page with a wrong default (--page-size)" \
    fails_with "$TEST_TMP/help" "$TEST_TMP/man-bad-default" "$TEST_TMP/bad-default.1" "each man entry gives the default"

version=$("$VIASFS_BIN" --version)
check_eq "the page's version is the program's" "$version" \
    "$(sed -n 's/^\.TH VIASFS 1 [^ ]* "\(viasfs [^"]*\)".*/\1/p' "$PAGE")"
finish
