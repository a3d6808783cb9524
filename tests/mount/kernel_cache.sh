#!/usr/bin/env bash
# What the kernel may keep, and for how long (counted in .viasfs/metrics): names a listing
# brought (tasks/<id>, view links, by-name links) are kept as long as that listing is fresh,
# so a stat or `ls -l` after `ls` sends no LOOKUP; after --ttl the kernel asks again, and a
# task deleted at the API is gone then. A task's directory, whose names never change, is
# listed by the kernel from its own cache the second time (no READDIR), and says the same.
# Each saving comes with its pair: the same operation once the freshness has run out.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse

TTL=$(scaled 6)
# op NAME: how many FUSE operations of that kind the daemon has received so far
op() {
    awk -v k="viasfs_fuse_operations_total{op=\"$1\"}" '$1 == k { print $2 }' "$MNT/.viasfs/metrics"
}
# ops_during NAME CMD...: how many NAME operations running CMD caused
ops_during() {
    local name=$1 before
    shift
    before=$(op "$name")
    "$@" >/dev/null 2>&1
    echo $(($(op "$name") - before))
}

emu_start --tasks 200 --seed 17 || { fail "emulator starts"; finish; exit; }
read -r a b c d <<<"$(spread 4 RUNNING)"
[ -n "$d" ] || { fail "4 RUNNING tasks far apart in the list"; finish; exit; }
mnt_start kcache --ttl="$TTL" --refresh=0 || { fail "viasfs mounts"; finish; exit; }
M=$MNT
op lookup >/dev/null # .viasfs and metrics are looked up once, and kept for a day

# ---- names from listings
ls "$M/tasks" >/dev/null
check_eq "after ls tasks: stat of 3 listed task directories sends no LOOKUP" 0 \
    "$(ops_during lookup stat "$M/tasks/$a" "$M/tasks/$b" "$M/tasks/$c")"
ls "$M/by-state/RUNNING" >/dev/null
n=$(ls "$M/by-state/RUNNING" | wc -l)
check_eq "after ls by-state/RUNNING: ls -l of its $n links sends no LOOKUP" 0 \
    "$(ops_during lookup ls -l "$M/by-state/RUNNING")"
ls "$M/by-name" >/dev/null
check_eq "after ls by-name: ls -l of its links sends no LOOKUP" 0 \
    "$(ops_during lookup ls -l "$M/by-name")"

# ---- a task's directory: its names are listed from the kernel's cache the second time
first=$(ls -a "$M/tasks/$a")
check "ls tasks/<id> the first time sends READDIR(PLUS)" \
    [ "$(($(ops_during readdirplus ls "$M/tasks/$b") + $(ops_during readdir ls "$M/tasks/$c")))" -ge 1 ]
check_eq "ls tasks/<id> again: no READDIR or READDIRPLUS" "0 0" \
    "$(ops_during readdirplus ls "$M/tasks/$a") $(ops_during readdir ls "$M/tasks/$a")"
check_eq "... and the same names" "$first" "$(ls -a "$M/tasks/$a")"
check_eq "... which are the task's files" \
    ". .. config.json error.json history input.json name output.json schedule.json state status task.json" \
    "$(echo $first)"

# ---- within --ttl a deleted task is still shown (the cache's promise: at most --ttl old)
ctl DELETE "/_emulator/tasks/$d" >/dev/null
check "a task deleted at the API within --ttl: still listed, as cached" bash -c "stat '$M/tasks/$d' >/dev/null"

# ---- the pair: once the listings are older than --ttl, the kernel asks again
sleep "$((TTL + 1))"
check "after --ttl: stat of a listed task directory sends a LOOKUP" \
    [ "$(ops_during lookup stat "$M/tasks/$a")" -ge 1 ]
check "after --ttl: ls -l by-state/RUNNING sends LOOKUPs" \
    [ "$(ops_during lookup ls -l "$M/by-state/RUNNING")" -ge 1 ]
check "after --ttl: the deleted task's directory is gone" bash -c "! stat '$M/tasks/$d' 2>/dev/null"
check "... and ls tasks does not list it" bash -c "! ls '$M/tasks' | grep -qx '$d'"
check "... and ls tasks/<it> fails" bash -c "! ls '$M/tasks/$d' 2>/dev/null"
check "... and by-state/RUNNING does not list it" bash -c "! ls '$M/by-state/RUNNING' | grep -qx '$d'"
check_eq "a task still there lists the same names" "$first" "$(ls -a "$M/tasks/$a")"

mnt_stop "$M"
finish
