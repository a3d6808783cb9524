#!/usr/bin/env bash
# follow-resume.sh: follow a viasfs mount's changes without missing one, across restarts of
# this script (and remounts that start from their snapshot).
#
#   examples/follow-resume.sh MOUNT STATE_FILE
#
# Prints every .viasfs/events line it handles, as it is, on stdout. It remembers the "seq" of
# the last line it handled in STATE_FILE (replaced atomically after each line), and on start
# writes "since <that seq>" to the events file it opened read-write, so that the mount first
# gives it every event it missed while it was not running, then the live ones. When some of
# those are no longer retained (or it never ran before: STATE_FILE absent means "since 0"),
# the first line is {"type":"lost",...}: it then re-scans every task's state and prints
#
#   scan <task id> <state>
#
# for each, before going on. Handle the changes where it says "handle" below. Only the user
# who mounted (or root) may open .viasfs/events read-write. Ctrl-C ends it (status 130), the
# mount going away too (status 1).
set -u
if [ $# != 2 ]; then
    echo "usage: follow-resume.sh MOUNT STATE_FILE" >&2
    exit 2
fi
mount=$1 state=$2
events=$mount/.viasfs/events
[ -e "$events" ] || { echo "follow-resume: $events: not a viasfs mount" >&2; exit 2; }
last=$(cat "$state" 2>/dev/null) || last=0
case $last in '' | *[!0-9]*) last=0 ;; esac

# Every task's state now: what a consumer does when it cannot know what it missed.
rescan() {
    local f id
    for f in "$mount"/tasks/*/state; do
        [ -e "$f" ] || continue
        id=${f%/state}
        id=${id##*/}
        printf 'scan %s %s\n' "$id" "$(cat "$f" 2>/dev/null)"
    done
}

trap 'exit 130' INT TERM
exec 3<>"$events" || exit 1
printf 'since %s\n' "$last" >&3 || { echo "follow-resume: cannot resume on $events" >&2; exit 1; }
while IFS= read -r line <&3; do
    seq=${line#\{\"seq\":}
    seq=${seq%%[!0-9]*}
    case $line in
    *'"type":"lost"'*) rescan ;;
    *) printf '%s\n' "$line" ;; # handle: one change, as a JSON line
    esac
    # Handled: remember it (a restart resumes after it), atomically.
    printf '%s\n' "$seq" >"$state.tmp" && mv -f "$state.tmp" "$state"
done
echo "follow-resume: $events: the mount went away" >&2
exit 1
