"""The tree viasfs must show, computed independently from the API's detail answers, and
comparisons of real directory trees against it (a helper of tests/mount/*.sh, not a test).

  treemodel.py compare DETAILS_DIR TREE LABEL
      DETAILS_DIR holds <id>.json (the emulator's detail answer of every task) and ids (the
      list order). Walks TREE (a mount or a copy of one) without following links and prints
      one "ok<TAB>..." / "not ok<TAB>..." line per part of the tree: root, tasks/, by-state/,
      by-camera/, by-name/, by-algorithm/, then modes, directory link counts, mtimes.
  treemodel.py same-tree A B LABEL
      A and B hold the same entries: types, modes, bytes, link targets, mtimes
      (.viasfs/status is volatile: only its presence is compared; .viasfs mtimes are not).
  treemodel.py sizes FILE...
      prints "<bytes read> <name>" for each file (one process instead of one cat per file).
  treemodel.py render FILE
      prints FILE (JSON) as cJSON_Print would, with secrets redacted (for checks by eye).

The reference behaviour, written from PRODUCT.md, issue 3 and include/viasfs/name.h:
  - one-line files: the value with CR and LF turned into spaces, then "\\n" ("" when null);
  - JSON files: cJSON_Print of the object (tabs; "key":<TAB>value; arrays on one line with
    ", "; "{\\n<tabs>}" for an empty object), then "\\n"; "null\\n" when absent or null;
  - secrets "***": input.data[].headers values, output.webhook.headers values, and members
    whose name contains "password", "secret" or "token" (any case);
  - names: name.h's encoder; by-name entries shared by several tasks are "<enc>%@<id>"
    (the encoding cut at a character boundary so that the whole is at most 255 bytes).
"""
import difflib
import hashlib
import json
import os
import stat
import sys
from datetime import datetime, timezone

STATES = ["PENDING", "RECOVERING", "STARTING", "UPGRADING", "CREATE_FAILED", "START_FAILED",
          "RUNNING", "STOPPING", "STOPPED", "ABNORMAL", "SUCCEEDED", "FAILED", "DELETING",
          "FREEZING", "FROZEN", "SCHEDULING", "LACK_OF_RESOURCES"]
FILES = ["state", "status", "name", "task.json", "input.json", "output.json", "schedule.json",
         "config.json", "error.json"]


def out(ok, desc):
    print("%s\t%s" % ("ok" if ok else "not ok", desc))
    sys.stdout.flush()


def diag(msg):
    for line in str(msg).splitlines() or [""]:
        print("#   " + line)


# ---- JSON as cJSON parses and prints it ----

class Obj(list):
    """A JSON object: its (key, value) pairs in order, duplicates kept (as cJSON does)."""

    def get(self, key, default=None):
        for k, v in self:
            if k == key:
                return v
        return default


def cut_nul(s):
    return s.split("\0", 1)[0]  # cJSON strings end at a NUL byte


def parse_json(data):
    def pairs(p):
        return Obj((cut_nul(k), v) for k, v in p)

    def fix(v):
        if isinstance(v, str):
            return cut_nul(v)
        if isinstance(v, Obj):
            return Obj((k, fix(x)) for k, x in v)
        if isinstance(v, list):
            return [fix(x) for x in v]
        return v

    return fix(json.loads(data.decode("utf-8"), object_pairs_hook=pairs))


def cj_number(v):
    d = float(v)
    if d != d or d in (float("inf"), float("-inf")):
        return "null"
    vi = 2147483647 if d >= 2147483647 else -2147483648 if d <= -2147483648 else int(d)
    if d == float(vi):
        return "%d" % vi
    s = "%1.15g" % d
    if abs(float(s) - d) > max(abs(float(s)), abs(d)) * sys.float_info.epsilon:
        s = "%1.17g" % d
    return s


def cj_string(s):
    o = ['"']
    for ch in s:
        c = ord(ch)
        if ch == '"':
            o.append('\\"')
        elif ch == "\\":
            o.append("\\\\")
        elif ch == "\b":
            o.append("\\b")
        elif ch == "\f":
            o.append("\\f")
        elif ch == "\n":
            o.append("\\n")
        elif ch == "\r":
            o.append("\\r")
        elif ch == "\t":
            o.append("\\t")
        elif c < 32:
            o.append("\\u%04x" % c)
        else:
            o.append(ch)
    o.append('"')
    return "".join(o)


def cj_print(v, depth=0):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return cj_number(v)
    if isinstance(v, str):
        return cj_string(v)
    if isinstance(v, Obj):
        s = "{\n"
        for i, (k, x) in enumerate(v):
            s += "\t" * (depth + 1) + cj_string(k) + ":\t" + cj_print(x, depth + 1)
            s += ("," if i + 1 < len(v) else "") + "\n"
        return s + "\t" * depth + "}"
    if isinstance(v, list):
        return "[" + ", ".join(cj_print(x, depth + 1) for x in v) + "]"
    raise TypeError(type(v))


# ---- secrets ----

MASK = "***"


def secret_key(k):
    k = k.lower()
    return "password" in k or "secret" in k or "token" in k


def scalar(v):
    return isinstance(v, (str, int, float)) and v is not None


def mask_headers(h):
    if isinstance(h, Obj):
        for i, (k, v) in enumerate(h):
            if scalar(v):
                h[i] = (k, MASK)


def mask_named(node):
    if isinstance(node, Obj):
        for i, (k, v) in enumerate(node):
            if secret_key(k) and scalar(v):
                node[i] = (k, MASK)
            else:
                mask_named(v)
    elif isinstance(node, list):
        for x in node:
            mask_named(x)


def redact(task):
    inp, outp = task.get("input"), task.get("output")
    if isinstance(inp, Obj) and isinstance(inp.get("data"), list):
        for d in inp.get("data"):
            if isinstance(d, Obj):
                mask_headers(d.get("headers"))
    if isinstance(outp, Obj) and isinstance(outp.get("webhook"), Obj):
        mask_headers(outp.get("webhook").get("headers"))
    mask_named(task)
    return task


# ---- names (include/viasfs/name.h) ----

def utf8_len(b, p):
    n = 2 if 0xC2 <= b[p] <= 0xDF else 3 if 0xE0 <= b[p] <= 0xEF else 4 if 0xF0 <= b[p] <= 0xF4 else 0
    if n == 0 or p + n > len(b):
        return 0
    try:
        b[p:p + n].decode("utf-8")
    except UnicodeDecodeError:
        return 0
    return n


def name_encode(s):
    b = (s or "").encode("utf-8")
    if b == b"":
        return b"%00"
    if b == b".":
        return b"%2E"
    if b == b"..":
        return b"%2E%2E"
    o, p, cut = bytearray(), 0, 0
    while p < len(b) and len(o) <= 255:
        c = b[p]
        n = 1 if c < 0x80 else utf8_len(b, p)
        if n == 0 or (n == 1 and (c in b"%/" or c < 0x20 or c == 0x7F)):
            o += b"%%%02X" % c
            p += 1
        else:
            o += b[p:p + n]
            p += n
        if len(o) <= 255 - 18:
            cut = len(o)
    if len(o) <= 255:
        return bytes(o)
    return bytes(o[:cut]) + b"%~" + hashlib.sha256(b).hexdigest()[:16].encode()


def shared_name(enc, task_id):
    end = min(len(enc), 255 - 2 - len(task_id))
    while 0 < end < len(enc) and (enc[end] & 0xC0) == 0x80:
        end -= 1
    return enc[:end] + b"%@" + task_id.encode()


# ---- the expected tree ----

def one_line(v):
    v = v if isinstance(v, str) else ""
    return (v.replace("\r", " ").replace("\n", " ") + "\n").encode("utf-8")


def parse_time_ms(s):
    if isinstance(s, (int, float)) and not isinstance(s, bool):
        s = "%.0f" % s
    if not isinstance(s, str) or not s:
        return None
    if s.isdigit():
        return int(s) * 1000 if len(s) <= 10 else int(s)
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(dt.timestamp() * 1000)


def clone(v):
    if isinstance(v, Obj):
        return Obj((k, clone(x)) for k, x in v)
    if isinstance(v, list):
        return [clone(x) for x in v]
    return v


def load_details(ddir):
    ids = [l.strip() for l in open(os.path.join(ddir, "ids")) if l.strip()]
    tasks = []
    for i in ids:
        with open(os.path.join(ddir, i + ".json"), "rb") as f:
            tasks.append(parse_json(f.read()))
    return tasks


def expected_tree(tasks):
    """{path bytes: (kind, data)}: kind 'd' (data None), 'f' (bytes) or 'l' (target)."""
    t = {}
    for d in (b"tasks", b"by-state", b"by-camera", b"by-name", b"by-algorithm", b".viasfs"):
        t[d] = ("d", None)
    t[b".viasfs/status"] = ("f", None)
    t[b".viasfs/errors"] = ("f", None)
    mtimes = {}
    names = {}
    for task in tasks:
        nm = task.get("name") if isinstance(task.get("name"), str) else ""
        names[nm] = names.get(nm, 0) + 1
    states = set(STATES)
    for task in tasks:
        tid = task.get("id")
        bid = tid.encode()
        ms = parse_time_ms(task.get("updated_at"))
        if ms is None:
            ms = parse_time_ms(task.get("created_at")) or 0
        base = b"tasks/" + bid
        t[base] = ("d", None)
        mtimes[base] = ms
        red = redact(clone(task))
        content = {
            "state": one_line(task.get("state")),
            "status": one_line(task.get("status")),
            "name": one_line(task.get("name")),
            "task.json": (cj_print(red) + "\n").encode(),
        }
        for f, key in (("input.json", "input"), ("output.json", "output"),
                       ("schedule.json", "schedule"), ("config.json", "config"),
                       ("error.json", "error")):
            v = red.get(key)
            content[f] = b"null\n" if v is None else (cj_print(v) + "\n").encode()
        for f in FILES:
            t[base + b"/" + f.encode()] = ("f", content[f])
            mtimes[base + b"/" + f.encode()] = ms
        # The states seen (issue 16): its content depends on when; checked by history.sh.
        t[base + b"/history"] = ("f", None)
        target = b"../../tasks/" + bid
        st = task.get("state")
        states.add(st)
        p = b"by-state/" + name_encode(st) + b"/" + bid
        t[p] = ("l", target)
        mtimes[p] = ms
        for top, key in ((b"by-camera/", "video_source_name"), (b"by-algorithm/", "title")):
            v = task.get(key)
            if isinstance(v, str):
                t[top + name_encode(v)] = ("d", None)
                t[top + name_encode(v) + b"/" + bid] = ("l", target)
                mtimes[top + name_encode(v) + b"/" + bid] = ms
        nm = task.get("name") if isinstance(task.get("name"), str) else ""
        enc = name_encode(nm)
        entry = shared_name(enc, tid) if names[nm] > 1 else enc
        t[b"by-name/" + entry] = ("l", b"../tasks/" + bid)
        mtimes[b"by-name/" + entry] = ms
    for s in states:
        t[b"by-state/" + name_encode(s)] = ("d", None)
    return t, mtimes


# ---- the actual tree ----

READ_META = (b".viasfs/status", b".viasfs/errors")


def walk(root):
    """{path bytes: (kind, data, lstat or None)}; kind 'e' with the error text on failure."""
    root = os.fsencode(root)
    t = {}

    def visit(rel):
        full = os.path.join(root, rel) if rel else root
        try:
            st = os.lstat(full)
        except OSError as e:
            t[rel] = ("e", "lstat: " + e.strerror, None)
            return
        if stat.S_ISLNK(st.st_mode):
            try:
                t[rel] = ("l", os.readlink(full), st)
            except OSError as e:
                t[rel] = ("e", "readlink: " + e.strerror, st)
        elif stat.S_ISREG(st.st_mode):
            if rel.startswith(b".viasfs/") and rel not in READ_META:
                t[rel] = ("f", None, st)  # .viasfs/events streams: a read would block
                return
            try:
                with open(full, "rb") as f:
                    t[rel] = ("f", f.read(), st)
            except OSError as e:
                t[rel] = ("e", "read: " + e.strerror, st)
        elif stat.S_ISDIR(st.st_mode):
            try:
                entries = os.listdir(full)
            except OSError as e:
                if rel:
                    t[rel] = ("e", "listdir: " + e.strerror, st)
                return
            if rel:
                t[rel] = ("d", sorted(entries), st)
            else:
                t[b""] = ("d", sorted(entries), st)
            for e in entries:
                visit(os.path.join(rel, e) if rel else e)
        else:
            t[rel] = ("e", "unexpected file type %o" % st.st_mode, st)

    visit(b"")
    return t


def show(p):
    return repr(p.decode("utf-8", "backslashreplace"))


def diff_bytes(a, b):
    la = a.decode("utf-8", "backslashreplace").splitlines(True)
    lb = b.decode("utf-8", "backslashreplace").splitlines(True)
    d = list(difflib.unified_diff(la, lb, "expected", "actual", n=1))
    return "".join(x if x.endswith("\n") else x + "\n" for x in d[:14]).rstrip("\n")


def compare(ddir, root, label):
    tasks = load_details(ddir)
    exp, mtimes = expected_tree(tasks)
    act = walk(root)
    root_entries = act.get(b"", ("e", None, None))[1] or []
    want_root = sorted([b"tasks", b"by-state", b"by-camera", b"by-name", b"by-algorithm", b".viasfs"])
    out(sorted(root_entries) == want_root, "%s: the root holds exactly %s" %
        (label, b" ".join(want_root).decode()))
    if sorted(root_entries) != want_root:
        diag("actual: %r" % root_entries)
    act.pop(b"", None)

    for top in (b"tasks", b"by-state", b"by-camera", b"by-name", b"by-algorithm", b".viasfs"):
        e = {p: v for p, v in exp.items() if p == top or p.startswith(top + b"/")}
        a = {p: v for p, v in act.items() if p == top or p.startswith(top + b"/")}
        problems = []
        for p in sorted(set(e) - set(a)):
            problems.append("missing %s (%s)" % (show(p), e[p][0]))
        for p in sorted(set(a) - set(e)):
            if top == b".viasfs" and a[p][0] != "e":
                diag("%s also holds %s" % (label, show(p)))
                continue
            problems.append("unexpected %s (%s%s)" % (show(p), a[p][0],
                            ": " + a[p][1] if a[p][0] == "e" else ""))
        for p in sorted(set(a) & set(e)):
            ek, ed = e[p]
            ak, ad, _ = a[p]
            if ak == "e":
                problems.append("%s: %s" % (show(p), ad))
            elif ak != ek:
                problems.append("%s: is %s, expected %s" % (show(p), ak, ek))
            elif ek == "l" and ad != ed:
                problems.append("%s -> %s, expected -> %s" % (show(p), show(ad), show(ed)))
            elif ek == "f" and ed is not None and ad != ed:
                problems.append("%s: content differs:\n%s" % (show(p), diff_bytes(ed, ad)))
        nf = sum(1 for v in e.values() if v[0] == "f")
        nl = sum(1 for v in e.values() if v[0] == "l")
        nd = sum(1 for v in e.values() if v[0] == "d")
        if top == b".viasfs":
            out(not problems, "%s: .viasfs/ holds status and errors, both readable" % label)
        else:
            out(not problems, "%s: %s/ equals the API: %d directories, %d files (every byte), "
                "%d links (every target), every name" % (label, top.decode(), nd, nf, nl))
        for x in problems[:8]:
            diag(x)
        if len(problems) > 8:
            diag("... and %d more" % (len(problems) - 8))

    bad = []
    for p, (k, d, st) in sorted(act.items()):
        if st is None or k == "e":
            continue
        want = {"f": stat.S_IFREG | 0o444, "d": stat.S_IFDIR | 0o555, "l": stat.S_IFLNK | 0o777}[k]
        if p == b".viasfs/refresh":
            want = stat.S_IFREG | 0o600  # the control file
        if p == b".viasfs/events":
            want = stat.S_IFREG | 0o644  # its owner may write "since N"
        if k == "d" and p.startswith(b"by-state/") and p.count(b"/") == 1:
            want = stat.S_IFDIR | 0o755  # for viasfs's own link changes under default_permissions
        if st.st_mode != want:
            bad.append("%s: mode %o, expected %o" % (show(p), st.st_mode, want))
        if k == "f" and d is not None and st.st_size != len(d) and p != b".viasfs/status":
            bad.append("%s: st_size %d, %d bytes read" % (show(p), st.st_size, len(d)))
        if k == "l" and st.st_size != len(d):
            bad.append("%s: link st_size %d, target has %d bytes" % (show(p), st.st_size, len(d)))
    out(not bad, "%s: files are 0444 with st_size = bytes read, directories 0555 (by-state/<S> 0755), links "
        "0777 with st_size = target length" % label)
    for x in bad[:8]:
        diag(x)

    again = walk(root)  # everything has been read once: every listing and detail is cached
    bad = []
    for p, (k, d, st) in sorted(again.items()):
        if k != "d" or st is None:
            continue
        subdirs = sum(1 for n in d if (again.get(os.path.join(p, n)) or ("", "", None))[2]
                      is not None and stat.S_ISDIR(again[os.path.join(p, n)][2].st_mode))
        if st.st_nlink != 2 + subdirs:
            bad.append("%s: st_nlink %d, has %d subdirectories" % (show(p), st.st_nlink, subdirs))
    out(not bad, "%s: once listed, every directory's link count is 2 + its subdirectories" % label)
    for x in bad[:8]:
        diag(x)

    bad = []
    for p, ms in sorted(mtimes.items()):
        a = again.get(p)
        if not a or a[2] is None:
            continue
        got = a[2].st_mtime_ns // 1000000
        if got != ms:
            bad.append("%s: mtime %d ms, updated_at/created_at is %d ms" % (show(p), got, ms))
    out(not bad, "%s: after a full read, every task directory, file and link has mtime = "
        "updated_at (else created_at)" % label)
    for x in bad[:8]:
        diag(x)
    if len(bad) > 8:
        diag("... and %d more" % (len(bad) - 8))

    moved = [p for p, v in act.items() if v[2] is not None and p in again and
             again[p][2] is not None and again[p][2].st_ino != v[2].st_ino]
    out(not moved, "%s: inode numbers are the same on a second walk" % label)
    for p in moved[:8]:
        diag("%s: %d then %d" % (show(p), act[p][2].st_ino, again[p][2].st_ino))


def same_tree(a_root, b_root, label):
    a, b = walk(a_root), walk(b_root)
    problems = []
    for p in sorted(set(a) | set(b)):
        if p not in a or p not in b:
            problems.append("%s only in %s" % (show(p), "the mount" if p in a else "the copy"))
            continue
        (ak, ad, ast), (bk, bd, bst) = a[p], b[p]
        if ak != bk:
            problems.append("%s: %s in the mount, %s in the copy" % (show(p), ak, bk))
            continue
        if ak == "e":
            problems.append("%s: %s" % (show(p), ad))
            continue
        if p != b".viasfs/status" and ad != bd:
            problems.append("%s: contents/entries/target differ" % show(p))
        if ast.st_mode != bst.st_mode:
            problems.append("%s: mode %o vs %o" % (show(p), ast.st_mode, bst.st_mode))
        if ast.st_mtime_ns // 1000000000 != bst.st_mtime_ns // 1000000000 and \
                not p.startswith(b".viasfs/"):
            problems.append("%s: mtime %d vs %d" % (show(p), ast.st_mtime_ns, bst.st_mtime_ns))
    out(not problems, "%s: the copy has the same entries, types, modes, mtimes (but of the "
        "volatile .viasfs files), bytes and link targets as the mount (%d entries)" % (label, len(a)))
    for x in problems[:8]:
        diag(x)
    if len(problems) > 8:
        diag("... and %d more" % (len(problems) - 8))


def main():
    cmd = sys.argv[1]
    if cmd == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "same-tree":
        same_tree(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "sizes":
        for f in sys.argv[2:]:
            with open(f, "rb") as fh:
                print(len(fh.read()), f)
    elif cmd == "render":
        with open(sys.argv[2], "rb") as f:
            sys.stdout.write(cj_print(redact(parse_json(f.read()))) + "\n")
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
