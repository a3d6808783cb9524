#!/usr/bin/env bash
# Extended attributes of task directories: user.vias.{id,name,state,camera,algorithm,
# created_at,updated_at} equal the emulator's detail answer for every task (each only when the
# task has a value), getfattr -d shows them, the size probe works (size 0 gives the length, a
# short buffer ERANGE), other names are ENODATA, other inodes have none, setxattr and
# removexattr are EROFS. Costs: ls -l (which asks for security xattrs) fetches nothing, the
# first getfattr of a task one detail request, the next none; after the task changes, the
# attributes follow once the data is fetched again, and not before.
cd "$(dirname "$0")/../.." || exit 1
. tests/mount/mountlib.bash
require_fuse
require_tool getfattr

emu_start --tasks 25 --seed 11 --hostile || { fail "emulator starts"; finish; exit; }
fetch_details "$TEST_TMP/api" || { fail "the emulator's details can be fetched"; finish; exit; }
mnt_start xattr --ttl=60 --refresh=0 || { fail "viasfs mounts"; finish; exit; }
M=$MNT
ls "$M/tasks" >/dev/null
stats_reset
ls -l "$M/tasks" "$M/by-state/RUNNING" >/dev/null
check_eq "ls -l (which asks for security.* and ACL attributes) fetches no detail" "none" \
    "$(counts | sed 's/list\.200=[0-9]* *//;s/^$/none/')"

id=$(head -1 "$TEST_TMP/api/ids")
stats_reset
getfattr -d "$M/tasks/$id" >"$TEST_TMP/getfattr.1" 2>/dev/null
check_eq "getfattr -d of a task not yet fetched: one detail request" "detail.200=1" "$(counts)"
getfattr -d "$M/tasks/$id" >"$TEST_TMP/getfattr.2" 2>/dev/null
check_eq "getfattr -d again: none" "detail.200=1" "$(counts)"
state=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$TEST_TMP/api/$id.json")
check "getfattr -d shows user.vias.state=\"$state\" and user.vias.id" \
    grep -qx "user.vias.state=\"$state\"" "$TEST_TMP/getfattr.1"
check "... and user.vias.id=\"$id\"" grep -qx "user.vias.id=\"$id\"" "$TEST_TMP/getfattr.1"
check_eq "getfattr -n user.vias.state --only-values" "$state" \
    "$(getfattr -n user.vias.state --only-values "$M/tasks/$id" 2>/dev/null)"

# Every task, byte for byte, with the size probe, through the system calls themselves.
py_tap /dev/stdin "$M" "$TEST_TMP/api" <<'EOF'
import ctypes, errno, json, os, sys
mnt, api = sys.argv[1], sys.argv[2]
libc = ctypes.CDLL(None, use_errno=True)
libc.getxattr.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.getxattr.restype = ctypes.c_ssize_t
libc.listxattr.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t]
libc.listxattr.restype = ctypes.c_ssize_t

def tap(good, what):
    print(("ok\t" if good else "not ok\t") + what)

def raw_get(path, name, size):
    buf = ctypes.create_string_buffer(max(size, 1))
    n = libc.getxattr(path.encode(), name.encode(), buf if size else None, size)
    return (n, ctypes.get_errno()) if n < 0 else (n, buf.raw[:n] if size else None)

FIELDS = [("id", "id"), ("name", "name"), ("state", "state"), ("camera", "video_source_name"),
          ("algorithm", "title"), ("created_at", "created_at"), ("updated_at", "updated_at")]
ids = open(os.path.join(api, "ids")).read().split()
bad = []
for tid in ids:
    d = json.load(open(os.path.join(api, tid + ".json")))
    want = [("user.vias." + x, str(d[k])) for x, k in FIELDS if d.get(k) is not None]
    path = os.path.join(mnt, "tasks", tid)
    names = os.listxattr(path)
    if names != [n for n, _ in want]:
        bad.append("%s: listxattr %r, want %r" % (tid, names, [n for n, _ in want]))
        continue
    for name, value in want:
        got = os.getxattr(path, name)
        if got != value.encode():
            bad.append("%s: %s = %r, want %r" % (tid, name, got, value))
tap(not bad, "listxattr and getxattr of all %d tasks equal the detail answers" % len(ids))
for b in bad[:5]:
    print("# " + b)

tid = ids[0]
path = os.path.join(mnt, "tasks", tid)
name = json.load(open(os.path.join(api, tid + ".json")))["name"].encode()
n, _ = raw_get(path, "user.vias.name", 0)
tap(n == len(name), "getxattr size 0 gives the length (%d, want %d)" % (n, len(name)))
n, e = raw_get(path, "user.vias.name", len(name) - 1)
tap(n < 0 and e == errno.ERANGE, "getxattr with a buffer one byte short: ERANGE")
n, v = raw_get(path, "user.vias.name", len(name))
tap(n == len(name) and v == name, "getxattr with an exact buffer: the value")
total = libc.listxattr(path.encode(), None, 0)
tap(total == sum(len(x) + 1 for x in os.listxattr(path)), "listxattr size 0 gives the length")
buf = ctypes.create_string_buffer(total)
n = libc.listxattr(path.encode(), buf, total - 1)
tap(n < 0 and ctypes.get_errno() == errno.ERANGE, "listxattr with a short buffer: ERANGE")

def err_of(f, *a):
    try:
        f(*a)
        return 0
    except OSError as ex:
        return ex.errno
tap(err_of(os.getxattr, path, "user.vias.nope") == errno.ENODATA, "an unknown name: ENODATA")
tap(err_of(os.getxattr, path, "security.selinux") == errno.ENODATA, "security.selinux: ENODATA")
for other in ("tasks", "tasks/%s/state" % tid, ".viasfs/status", ""):
    p = os.path.join(mnt, other)
    tap(os.listxattr(p) == [] and err_of(os.getxattr, p, "user.vias.state") == errno.ENODATA,
        "/%s has no attributes" % other)
tap(err_of(os.setxattr, path, "user.vias.state", b"X") == errno.EROFS, "setxattr: EROFS")
tap(err_of(os.removexattr, path, "user.vias.state") == errno.EROFS, "removexattr: EROFS")
EOF

# The attributes follow the data: not within the ttl, at once after the task is fetched again.
ctl PUT "/_emulator/tasks/$id/state" '{"state":"FROZEN"}' >"$TEST_TMP/put.json"
updated=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["updated_at"])' "$TEST_TMP/put.json")
check_eq "within --ttl after a change: user.vias.state is still $state" "$state" \
    "$(getfattr -n user.vias.state --only-values "$M/tasks/$id" 2>/dev/null)"
echo "tasks/$id" >"$M/.viasfs/refresh"
check_eq "fetched again: user.vias.state FROZEN, user.vias.updated_at the new updated_at" \
    "FROZEN $updated" \
    "$(getfattr -n user.vias.state --only-values "$M/tasks/$id" 2>/dev/null) $(getfattr -n user.vias.updated_at --only-values "$M/tasks/$id" 2>/dev/null)"
mnt_stop "$MNT"
finish
