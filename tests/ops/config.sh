#!/usr/bin/env bash
# The config file and log levels, end to end: a mount from the default config file alone
# ($XDG_CONFIG_HOME/viasfs/config, relative paths taken against it); precedence command line >
# environment > config file > defaults, seen in .viasfs/status; refusals that name the file and
# line (unknown key, bad value, a token in the file, two kinds of credential), a missing
# --config file, a broken default file (but --help still works), each one line with exit
# status 2 and nothing mounted; --log-level (and log-level in the file) deciding which lines
# reach the log, in pairs: the same run with the level that keeps them and one that drops them.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

emu_start --tasks 5 || { fail "emulator starts"; finish; exit; }
# Sanitizer reports of every viasfs this test starts (a sanitized build) go where mnt_stop looks.
export ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-mp:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-mp:print_stacktrace=1:${UBSAN_OPTIONS:-}"
XDG=$TEST_TMP/xdg
mkdir -p "$XDG/viasfs"
cp "$EMU_TOKEN_FILE" "$XDG/viasfs/token"
chmod 600 "$XDG/viasfs/token"
MP=$TEST_TMP/mp
mkdir -p "$MP"
BAD_URL=http://127.0.0.1:1 # nothing listens there

# run_viasfs NAME ARGS...: runs viasfs ARGS... $MP (the caller sets the environment), logging
# to $TEST_TMP/viasfs-NAME.log unless ARGS say otherwise; true when $MP got mounted.
run_viasfs() {
    local name=$1 i
    shift
    "$VIASFS_BIN" "$@" "$MP" >"$TEST_TMP/viasfs-$name.out" 2>&1
    for i in $(seq 1 100); do
        is_mounted "$MP" && break
        sleep 0.05
    done
    if is_mounted "$MP"; then
        MOUNTS+=("$MP")
        return 0
    fi
    diag "viasfs $* $MP did not mount:"
    sed 's/^/#   /' "$TEST_TMP/viasfs-$name.out" | head -5
    return 1
}

not() { ! "$@"; }
status_keys() { grep -E "^($1):" "$MP/.viasfs/status" | paste -sd'|'; }

# 1. The default config file alone.
cat >"$XDG/viasfs/config" <<EOF
# written by tests/ops/config.sh
[viasfs]
endpoint = $EMU_URL
project_id = $EMU_PROJECT
token-file = token
ttl = 7
log = viasfs-xdg.log
EOF
if XDG_CONFIG_HOME=$XDG run_viasfs xdg; then
    ok "mounts with nothing but \$XDG_CONFIG_HOME/viasfs/config"
    check_eq "... which gave the endpoint, project, credential and ttl" \
        "endpoint: $EMU_URL|project: $EMU_PROJECT|auth: token-file|ttl: 7 s" \
        "$(status_keys 'endpoint|project|auth|ttl')"
    check_eq "... and lists the 5 tasks" 5 "$(ls "$MP/tasks" | wc -l)"
    check "... its relative log path was taken against its directory" test -f "$XDG/viasfs/viasfs-xdg.log"
    mnt_stop "$MP"
else
    fail "mounts with nothing but \$XDG_CONFIG_HOME/viasfs/config"
fi

# 2. Precedence, all in one mount: the command line over the environment (project id) and over
#    the file (ttl), the environment over the file (endpoint), the file over the defaults
#    (refresh, page size); what none gives is the default (timeout).
cat >"$TEST_TMP/prec.conf" <<EOF
[viasfs]
endpoint = $BAD_URL
project-id = ffffffffffffffffffffffffffffffff
token-file = $XDG/viasfs/token
ttl = 7
refresh = 3
page-size = 50
EOF
if VIAS_ENDPOINT=$EMU_URL VIAS_PROJECT_ID=eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee run_viasfs prec \
    --config="$TEST_TMP/prec.conf" --ttl=9 -o "project_id=$EMU_PROJECT" \
    --log="$TEST_TMP/viasfs-prec.log"; then
    ok "mounts with --config=FILE, VIAS_ENDPOINT, VIAS_PROJECT_ID, --ttl and -o project_id"
    check_eq "... each value from the highest layer that gives it" \
        "endpoint: $EMU_URL|project: $EMU_PROJECT|ttl: 9 s|refresh: every 3 s|page_size: 50|timeout: 10 s" \
        "$(status_keys 'endpoint|project|ttl|refresh|page_size|timeout')"
    mnt_stop "$MP"
else
    fail "mounts with --config=FILE, VIAS_ENDPOINT, VIAS_PROJECT_ID, --ttl and -o project_id"
fi

# 3. Refusals: one line on stderr that matches, exit status 2, nothing mounted or running.
refused() { # refused DESCRIPTION PATTERN viasfs-ARGS...
    local d=$1 pat=$2 rc why=
    shift 2
    timeout 20 "$VIASFS_BIN" "$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
    rc=$?
    [ "$rc" = 2 ] || why="exit status $rc, not 2"
    [ "$(wc -l <"$TEST_TMP/err")" = 1 ] || why="$why; $(wc -l <"$TEST_TMP/err") lines on stderr"
    grep -qE -- "$pat" "$TEST_TMP/err" || why="$why; stderr does not match /$pat/"
    [ -s "$TEST_TMP/out" ] && why="$why; output on stdout"
    if is_mounted "$MP"; then why="$why; mounted"; fusermount3 -u "$MP"; fi
    [ -z "$(mnt_pid "$MP")" ] || why="$why; a viasfs process serves $MP"
    if [ -z "$why" ]; then ok "refused: $d"; else fail "refused: $d"; diag "${why#; }"; fi
    sed 's/^/#   stderr: /' "$TEST_TMP/err" | head -2
}
conf() { # conf NAME LINES...: a config file [viasfs] + LINES; prints its path
    local f=$TEST_TMP/$1.conf
    shift
    printf '%s\n' "[viasfs]" "$@" >"$f"
    echo "$f"
}
f=$(conf unknown "ttl = 5" "# comment" "prefetch-depth = 10")
refused "an unknown key, with the file and line" "^viasfs: error: $f:4: unknown key \"prefetch-depth\"" \
    --config="$f" "$MP"
f=$(conf badvalue "" "ttl = soon")
refused "a bad value, with the file and line" "^viasfs: error: $f:3: ttl: \"soon\" is not a number of seconds" \
    --config="$f" "$MP"
f=$(conf badbool "insecure = maybe")
refused "a flag that is not true or false" "^viasfs: error: $f:2: insecure: \"maybe\" is not true or false" \
    --config="$f" "$MP"
f=$(conf shape "endpoint: $EMU_URL")
refused "a line that is not key = value" "^viasfs: error: $f:2: .* is not \"key = value\"" \
    --config="$f" "$MP"
f=$(conf token "endpoint = $EMU_URL" "project-id = $EMU_PROJECT" "token = s3cr3t-in-config-$$")
refused "a token in the file (says to use token-file)" "^viasfs: error: $f:4: token: secrets are not read from the config file.*token-file" \
    --config="$f" "$MP"
check "... and the message does not repeat the token" not grep -qF "s3cr3t-in-config" "$TEST_TMP/err"
f=$(conf password "iam-password = pw-in-config")
refused "a password in the file (says to use iam-password-file)" "^viasfs: error: $f:2: iam-password: .*iam-password-file" \
    --config="$f" "$MP"
f=$(conf twokinds "endpoint = $EMU_URL" "project-id = $EMU_PROJECT" "token-file = $XDG/viasfs/token" \
    "credentials-file = $TEST_TMP/keys")
refused "two kinds of credential in the file, both named" \
    "two kinds of credential given: a token \(token-file at $f:4\) and AK/SK keys \(credentials-file at $f:5\)" \
    --config="$f" "$MP"
refused "a --config file that does not exist" "^viasfs: error: --config: $TEST_TMP/none.conf: No such file or directory" \
    --config="$TEST_TMP/none.conf" "$MP"
printf '[viasfs]\nrefresh = often\n' >"$XDG/viasfs/config"
XDG_CONFIG_HOME=$XDG refused "a broken default config file" "^viasfs: error: $XDG/viasfs/config:2: refresh:" "$MP"
XDG_CONFIG_HOME=$XDG "$VIASFS_BIN" --help >"$TEST_TMP/help" 2>&1
check_eq "... but --help works (exit 0) and does not read it" "0 0" "$? $(grep -c 'config:2' "$TEST_TMP/help")"
rm -f "$XDG/viasfs/config"

# 4. Log levels, in pairs. A token file that others can read is warned about (warn level) before
#    anything is fetched: seen without mounting, against an endpoint where nothing listens.
cp "$EMU_TOKEN_FILE" "$TEST_TMP/open-token"
chmod 644 "$TEST_TMP/open-token"
warned() { # warned NAME ARGS...: runs viasfs ARGS against nothing; prints how many warnings
    local name=$1
    shift
    XDG_CONFIG_HOME=$XDG timeout 20 "$VIASFS_BIN" --endpoint="$BAD_URL" --project-id="$EMU_PROJECT" \
        --token-file="$TEST_TMP/open-token" --timeout=1 --log="$TEST_TMP/viasfs-$name.log" "$@" \
        "$MP" >/dev/null 2>&1
    touch "$TEST_TMP/viasfs-$name.log"
    grep -c 'warning: .*readable by group or others' "$TEST_TMP/viasfs-$name.log"
}
check_eq "the default level (warn) logs the warning about an open token file" 1 "$(warned warn-default)"
check_eq "--log-level=error does not" 0 "$(warned warn-error --log-level=error)"
printf '[viasfs]\nlog-level = error\n' >"$XDG/viasfs/config"
check_eq "nor log-level = error in the config file" 0 "$(warned warn-config)"
rm -f "$XDG/viasfs/config"

# Debug lines (the HTTP calls) need a mount: with --log-level=debug, and with the file's debug
# overridden by -o log_level=warn.
debug_lines() { # debug_lines NAME ARGS...: mounts, reads, unmounts; DEBUG_N = debug lines
    local name=$1
    shift
    if XDG_CONFIG_HOME=$XDG run_viasfs "$name" --endpoint="$EMU_URL" --project-id="$EMU_PROJECT" \
        --token-file="$XDG/viasfs/token" --log="$TEST_TMP/viasfs-$name.log" "$@"; then
        ls "$MP/tasks" >/dev/null
        cat "$MP/tasks/$(ls "$MP/tasks" | head -1)/task.json" >/dev/null
        mnt_stop "$MP"
    else
        fail "$name: mounts"
    fi
    touch "$TEST_TMP/viasfs-$name.log"
    DEBUG_N=$(grep -c ' debug: ' "$TEST_TMP/viasfs-$name.log")
}
debug_lines debug-cli --log-level=debug
check "--log-level=debug logs debug lines ($DEBUG_N)" test "$DEBUG_N" -gt 0
printf '[viasfs]\nlog-level = debug\n' >"$XDG/viasfs/config"
debug_lines debug-over -o log_level=warn
check_eq "-o log_level=warn over the config file's debug: no debug lines" 0 "$DEBUG_N"
rm -f "$XDG/viasfs/config"
finish
