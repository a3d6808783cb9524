#!/usr/bin/env bash
# .viasfs/refresh and SIGHUP, counted at the emulator (/_emulator/stats), in pairs: within
# --ttl nothing is fetched again; after `echo all > .viasfs/refresh` the next read (cat) and
# the next stat (which the kernel would otherwise answer from its own cache) fetch again; a
# task path refetches that task only, a view path that view only; anything else is EINVAL and
# drops nothing; SIGHUP does what "all" does and does not unmount. Also .viasfs/status: the
# fields are there and the token is not. --refresh=0: no background request.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

# R COMMAND: echo it to the control file. A write that drops a listing less than a second after
# the last one is refused (EBUSY; tests/mount/other_users.sh tests that): R tries again, for 3 s.
R() {
    local i
    for i in $(seq 1 30); do
        { printf '%s\n' "$1" >"$MNT/.viasfs/refresh"; } 2>/dev/null && return 0
        sleep 0.1
    done
    fail "echo '$1' > .viasfs/refresh is still refused after 3 s"
}
# W TEXT: writes TEXT to the control file in one write(2) (shells may split lines); prints
# "ok" or the error, as strerror says it
W() {
    python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
try:
    os.write(fd, sys.argv[2].encode()); print("ok")
except OSError as e:
    print(e.strerror)' "$MNT/.viasfs/refresh" "$1"
}


emu_start --tasks 200 --seed 7 || { fail "emulator starts"; finish; exit; }
read -r a b c <<<"$(spread 3 RUNNING)"
[ -n "$c" ] || { fail "the data set has 3 RUNNING tasks far apart"; finish; exit; }
mnt_start ctl --ttl=60 --refresh=0 || { fail "viasfs mounts"; finish; exit; }
M=$MNT

# ---- the file
check_eq "ls -l .viasfs/refresh: a regular file, rw for its owner only, size 0" "-rw------- 0" \
    "$(stat -c '%A %s' "$M/.viasfs/refresh")"
check_eq "reading it gives nothing, without an error (tar and rsync copy the mount)" "0:" \
    "$(cat "$M/.viasfs/refresh" 2>&1; echo "$?:")"
check_eq "writing anything else in the tree is still EROFS" "Read-only file system" \
    "$(stderr_of sh -c "echo x >'$M/tasks/$a/state'" | sed 's/.*: //')"

# ---- warm up, then nothing is fetched within the ttl
ls "$M/tasks" >/dev/null
cat "$M/tasks/$a/status" "$M/tasks/$b/status" >/dev/null
stat "$M/tasks/$c/state" >/dev/null
ls "$M/by-state/RUNNING" "$M/by-state/STOPPED" >/dev/null
stats_reset
ls "$M/tasks" "$M/by-state/RUNNING" "$M/by-state/STOPPED" >/dev/null
cat "$M/tasks/$a/status" "$M/tasks/$b/status" >/dev/null
stat "$M/tasks/$c/state" >/dev/null
check_eq "without a refresh: ls, cat and stat within --ttl fetch nothing" "none" "$(counts)"

# ---- all
stats_reset
R all
check_eq "echo all > refresh succeeds and fetches nothing by itself" "none" "$(counts)"
cat "$M/tasks/$a/status" >/dev/null
check_eq "after all: cat status fetches the task's detail again" "detail.200=1" "$(counts)"
ls "$M/tasks" >/dev/null
check_eq "after all: ls tasks walks the list again" "list.200=1 detail.200=1" "$(counts)"

# ---- the kernel's caches: a lookup's answer is kept for the freshness left (a listing's
# entries are not), so these stats are answered by the kernel until it is told to forget
stat "$M/tasks/$c/state" >/dev/null
stats_reset
stat "$M/tasks/$c/state" >/dev/null
check_eq "stat of a looked-up file within --ttl: the kernel answers, nothing is fetched" "none" "$(counts)"
R all
stat "$M/tasks/$c/state" >/dev/null
check_eq "after all: the same stat asks again (the kernel forgot) and fetches" "detail.200=1" "$(counts)"
stat "$M/tasks/$a/state" "$M/tasks/$c/state" >/dev/null
stats_reset
R "tasks/$c"
stat "$M/tasks/$a/state" "$M/tasks/$c/state" >/dev/null
check_eq "after tasks/<c>: stat of a and c asks again for c only" "detail.200=1" "$(counts)"

# ---- one task
cat "$M/tasks/$a/status" "$M/tasks/$b/status" >/dev/null
stats_reset
R "tasks/$a"
cat "$M/tasks/$a/status" "$M/tasks/$b/status" >/dev/null
check_eq "tasks/<a>: cat a and b: only a is fetched again" "detail.200=1" "$(counts)"
ctl PUT "/_emulator/tasks/$a/state" '{"state":"FAILED"}' >/dev/null
check_eq "a state change within --ttl is not seen" "RUNNING" "$(cat "$M/tasks/$a/state")"
R "tasks/$a/state"
check_eq "after tasks/<a>/state (a file names its task): the new state, and stat agrees" "FAILED 7" \
    "$(cat "$M/tasks/$a/state") $(stat -c %s "$M/tasks/$a/state")"
stats_reset
R "by-state/STOPPED/$b"
stat "$M/tasks/$b/state" "$M/tasks/$c/state" >/dev/null
check_eq "by-state/<S>/<b> (a link names its task): stat of b and c fetches only b" "detail.200=1" "$(counts)"

# ---- one view
ls "$M/by-state/RUNNING" "$M/by-state/STOPPED" >/dev/null
stats_reset
R by-state/RUNNING
check_eq "by-state/RUNNING: nothing fetched by the write" "none" "$(counts)"
ls "$M/by-state/RUNNING" >"$TEST_TMP/running" && ls "$M/by-state/STOPPED" >/dev/null
check_eq "... ls by-state/RUNNING walks that view again, by-state/STOPPED does not" "list.200=1" "$(counts)"
check "... and the listing no longer holds the task that failed" sh -c "! grep -qx '$a' '$TEST_TMP/running'"
stats_reset
cat "$M/tasks/$b/status" >/dev/null
check_eq "... a view refresh leaves the tasks' details cached" "none" "$(counts)"
stats_reset
R tasks
ls "$M/tasks" >/dev/null
cat "$M/tasks/$b/status" >/dev/null
check_eq "tasks (the view of all tasks): one list walk, no detail" "list.200=1" "$(counts)"

# ---- anything else: EINVAL, nothing dropped
stats_reset
nbad=0
for bad in bogus ALL "tasks/../tasks" by-state/NO_SUCH_STATE ".viasfs/status" "tasks/$a/nofile" \
    "by-name/no such name" "/" "all
bogus" "tasks/$b
nonsense"; do
    err=$(W "$bad
")
    [ "$err" = "Invalid argument" ] || { fail "writing '$bad' gives EINVAL (got: $err)"; continue; }
    nbad=$((nbad + 1))
done
check_eq "ten kinds of wrong writes give Invalid argument" 10 "$nbad"
check_eq "... and so does a path of four parts" "Invalid argument" "$(W "by-state/RUNNING/$a/state")"
cat "$M/tasks/$a/status" "$M/tasks/$b/status" >/dev/null
ls "$M/tasks" >/dev/null
check_eq "... and drop nothing (a bad line anywhere cancels the whole write)" "none" "$(counts)"
check_eq "two good lines (and an empty one) in one write are accepted" ok "$(W "tasks/$a

tasks/$b")"
cat "$M/tasks/$a/status" "$M/tasks/$b/status" "$M/tasks/$c/status" >/dev/null
check_eq "two good lines in one write: both tasks (and only they) are fetched again" "detail.200=2" "$(counts)"

# ---- SIGHUP
stats_reset
cat "$M/tasks/$b/status" >/dev/null
check_eq "before SIGHUP: nothing fetched" "none" "$(counts)"
before=$(sed -n 's/^manual_refreshes: //p' "$M/.viasfs/status")
kill -HUP "$MNT_PID"
for _ in $(seq 1 40); do
    [ "$(sed -n 's/^manual_refreshes: //p' "$M/.viasfs/status")" != "$before" ] && break
    sleep 0.05
done
check "SIGHUP leaves the daemon running and mounted" sh -c "kill -0 $MNT_PID && awk -v d='$M' '\$2 == d { f = 1 } END { exit !f }' /proc/mounts"
check_eq "SIGHUP counts as a refresh in status" "$((before + 1))" "$(sed -n 's/^manual_refreshes: //p' "$M/.viasfs/status")"
cat "$M/tasks/$b/status" >/dev/null
ls "$M/tasks" >/dev/null
check_eq "after SIGHUP: cat and ls fetch again" "list.200=1 detail.200=1" "$(counts)"

# The other forms the README and the manual document are accepted (whether they drop the
# right thing is checked above for each kind).
sleep 1.1 # listing refreshes are accepted once a second (tests/mount/other_users.sh)
check_eq "accepted: ./, doubled and trailing slashes, CRLF, trailing blanks, by-state, by-camera, by-algorithm, by-name" \
    ok "$(W "$(printf './tasks//%s/\r\ntasks/%s   \nby-state\nby-camera\nby-algorithm\nby-name' "$a" "$b")")"

# ---- status
cat "$M/.viasfs/status" >"$TEST_TMP/status"
for key in version endpoint project auth token_expires mounted ttl refresh list_age stale \
    last_error api_requests manual_refreshes; do
    grep -q "^$key: " "$TEST_TMP/status" || fail "status has no $key: line"
done
ok "status has version, endpoint, project, auth, token_expires, data age, stale, last_error..."
check_eq "status: endpoint, project and auth kind as mounted" \
    "$EMU_URL $EMU_PROJECT token-file" \
    "$(sed -n 's/^endpoint: //p;s/^project: //p;s/^auth: //p' "$TEST_TMP/status" | tr '\n' ' ' | sed 's/ $//')"
check "status never shows the token" sh -c "! grep -qF '$EMU_TOKEN' '$TEST_TMP/status'"
check "(the token check can fail: the token is in the emulator's token file)" grep -qF "$EMU_TOKEN" "$EMU_TOKEN_FILE"
ctl PUT /_emulator/faults '{"endpoints":"detail","error_500":{"rate":1}}' >/dev/null
R "tasks/$c"
cat "$M/tasks/$c/state" >/dev/null
cat "$M/.viasfs/status" >"$TEST_TMP/status-stale"
ctl DELETE /_emulator/faults >/dev/null
check "while the API fails: stale: yes, since <time>" \
    grep -qE '^stale: yes, since [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z' "$TEST_TMP/status-stale"
check "... and last_error names the failure" grep -q '^last_error: .*HTTP 500' "$TEST_TMP/status-stale"
check_eq "(before that: stale: no)" "stale: no" "$(grep '^stale:' "$TEST_TMP/status")"
check_eq "with a token file, the expiry is unknown" "token_expires: unknown" \
    "$(grep '^token_expires:' "$TEST_TMP/status")"
mnt_stop "$MNT"
emu_stop

# ---- with an IAM login: status and metrics show when the token expires, never the secrets
PW="$SECRET_MARK-pw-$$"
(umask 077 && printf '%s\n' "acme:alice:$PW" >"$TEST_TMP/users" && printf '%s\n' "$PW" >"$TEST_TMP/password")
emu_start --tasks 5 --seed 3 --iam-users-file "$TEST_TMP/users" --token-ttl 3600 ||
    { fail "emulator with IAM users starts"; finish; exit; }
MNT_AUTH_ARGS=(--endpoint="$EMU_URL" --iam-endpoint="$EMU_URL" --iam-user=alice --iam-domain=acme
    --iam-password-file="$TEST_TMP/password" --region=cn-north-4)
t0=$(date +%s)
mnt_start iam --ttl=60 --refresh=0 || { fail "viasfs mounts with an IAM login"; finish; exit; }
ls "$MNT/tasks" >/dev/null
cat "$MNT/.viasfs/status" >"$TEST_TMP/status-iam"
cat "$MNT/.viasfs/metrics" >"$TEST_TMP/metrics-iam"
check_eq "IAM: status says auth: iam" "auth: iam" "$(grep '^auth:' "$TEST_TMP/status-iam")"
exp=$(sed -n 's/^token_expires: \([0-9TZ:-]*\) (in [0-9.]* h)$/\1/p' "$TEST_TMP/status-iam")
exp_s=$(date -d "$exp" +%s 2>/dev/null || echo 0)
check "IAM: token_expires is the token's expiry, an hour after the login ($exp)" \
    [ "$exp_s" -ge $((t0 + 3600 - 60)) -a "$exp_s" -le $((t0 + 3600 + 60)) ]
check_eq "IAM: metrics give the same expiry" "$exp_s" \
    "$(awk '$1 == "viasfs_auth_token_expiry_timestamp_seconds" { printf "%d", $2 }' "$TEST_TMP/metrics-iam")"
check_eq "IAM: metrics count the IAM requests the emulator served" \
    "$(ctl GET /_emulator/stats | python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["requests"].get("iam", {}).values()))')" \
    "$(awk 'index($1, "viasfs_api_requests_total{endpoint=\"iam\"") == 1 { s += $2 } END { print s + 0 }' "$TEST_TMP/metrics-iam")"
check "IAM: neither status nor metrics shows the password" \
    sh -c "! grep -qF '$PW' '$TEST_TMP/status-iam' '$TEST_TMP/metrics-iam'"
mnt_stop "$MNT"
finish
