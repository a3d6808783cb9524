"""Readers that walk a mounted tree over and over and check every answer against the tree the
API's data says it must be (a helper of tests/mount/faults.sh, load.sh and bench/soak.sh, not
a test). The expected tree comes from tests/mount/treemodel.py, computed from the emulator's
detail answers saved by fetch_details (mountlib.bash).

  faultwalk.py walk DETAILS_DIR MOUNT SECONDS SEED OUT.json [churn]
      One reader: at least once and until SECONDS have passed (0: exactly once), walks
      the whole tree in an order shuffled with SEED: lists every directory (the listing must
      hold exactly the expected names), lstat()s and reads every file (mode, st_size and
      every byte must be as expected), readlink()s every link (the exact target). .viasfs/status, errors and metrics are read (their
      contents are volatile: only the read is checked); .viasfs/events (a stream) and
      .viasfs/refresh (a control) are not. Every failed call is recorded with its errno and
      how long it took; every wrong answer with the expected and actual bytes. Writes a JSON
      summary to OUT.json. With "churn" (the emulator changes task states as it runs), the
      files churn changes are checked for what they can be: state one of the 17 states,
      status one line, error.json null or an object as cJSON prints it, task.json exactly
      the snapshot's rendering with state, updated_at, status and error as it shows them;
      by-state/ listings hold task ids, and an entry of one may be gone (ENOENT, counted as
      "moved") by the time it is read; every other byte is still compared exactly.
  faultwalk.py report TIMEOUT LABEL MODE FIGURES OUT.json...
      Merges the readers' summaries and prints "ok<TAB>..."/"not ok<TAB>..." lines (for
      py_tap) and "#" diagnostics. MODE "clean": no call may fail. MODE "faults": a call may
      fail only with ETIMEDOUT, EIO or EAGAIN after at least TIMEOUT / 2 seconds: its
      deadline passed, or the next retry's backoff (up to 4 s) would have passed it. In both modes there must be no wrong answer, and no call may take longer than
      4 x TIMEOUT (a hang: one call is a few FUSE operations, each bounded by TIMEOUT).
      Appends the figures to FIGURES as "LABEL.key<TAB>value" lines.
  faultwalk.py expect DETAILS_DIR PATH
      prints the bytes the file PATH (relative to the mount) must hold, or for a directory
      its entries, one a line, sorted.
"""
import errno
import json
import os
import random
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treemodel  # noqa: E402  (the expected tree: one model for every test)

TOPS = [b"tasks", b"by-state", b"by-camera", b"by-name", b"by-algorithm", b".viasfs"]
META_READ = [b"status", b"errors", b"metrics"]  # events streams; refresh is a control
MAX_RECORDED = 200  # wrong answers kept in full per reader (all are counted)
MUTABLE = (b"state", b"status", b"task.json", b"error.json")  # the files churn changes


def expected(ddir):
    """(files/links {path: (kind, data)}, dirs {path: set of names})."""
    tree, _ = treemodel.expected_tree(treemodel.load_details(ddir))
    dirs = {b"": set(TOPS)}
    for p, (k, _) in tree.items():
        if k == "d":
            dirs.setdefault(p, set())
    for p in tree:
        parent, _, name = p.rpartition(b"/")
        if parent in dirs:
            dirs[parent].add(name)
    return tree, dirs


CHURNED = ("state", "updated_at", "status", "error")  # what /_emulator/churn changes
STATE_LINES = set(treemodel.one_line(x) for x in treemodel.STATES)


class Reader:
    def __init__(self, ddir, root, seconds, seed, churn=False):
        self.tree, self.dirs = expected(ddir)
        self.churn = churn
        if churn:
            self.tasks = {t.get("id").encode(): t for t in treemodel.load_details(ddir)}
        self.root = os.fsencode(root)
        self.once = seconds <= 0  # exactly one whole walk
        self.end = float("inf") if self.once else time.monotonic() + seconds
        self.rng = random.Random(seed)
        self.n = {"calls": 0, "reads": 0, "bytes": 0, "listings": 0, "links": 0, "walks": 0,
                  "failures": 0, "wrong": 0, "moved": 0}
        self.failures = []  # [op, path, errno name, seconds]: every one
        self.wrong = []     # [what, path, expected, actual]
        self.slowest = 0.0
        self.errnos = {}

    def call(self, op, rel, fn):
        """Runs fn(); returns (True, value) or (False, None) after recording the failure."""
        t0 = time.monotonic()
        try:
            v = fn()
            ok = True
        except OSError as e:
            v, ok = e, False
        dt = time.monotonic() - t0
        self.n["calls"] += 1
        self.slowest = max(self.slowest, dt)
        if ok:
            return True, v
        if self.churn and v.errno == errno.ENOENT and rel.startswith(b"by-state/") and \
                rel.count(b"/") == 2:
            self.n["moved"] += 1  # listed, then moved to another state before this call
            return False, None
        name = errno.errorcode.get(v.errno, str(v.errno))
        self.n["failures"] += 1
        self.errnos[name] = self.errnos.get(name, 0) + 1
        self.failures.append([op, rel.decode("utf-8", "backslashreplace"), name, round(dt, 3)])
        return False, None

    def bad(self, what, rel, want, got):
        self.n["wrong"] += 1
        if len(self.wrong) < MAX_RECORDED:
            def s(x):
                if isinstance(x, bytes):
                    x = x.decode("utf-8", "backslashreplace")
                x = repr(x)
                return x if len(x) < 400 else x[:400] + "..."
            self.wrong.append([what, rel.decode("utf-8", "backslashreplace"), s(want), s(got)])

    def full(self, rel):
        return os.path.join(self.root, rel) if rel else self.root

    def listdir(self, rel):
        ok, entries = self.call("listdir", rel, lambda: os.listdir(self.full(rel)))
        if not ok:
            return None
        self.n["listings"] += 1
        got = set(entries)
        if rel == b".viasfs":
            if not set(META_READ[:2]) <= got:
                self.bad("listing", rel, sorted(META_READ[:2]), sorted(got))
            return entries
        want = self.dirs.get(rel)
        if self.churn and rel.startswith(b"by-state/"):
            # tasks move between states: a subset of the task ids, in a known state
            if want is None and rel.count(b"/") == 1:
                self.bad("a state directory that should not exist", rel, None, sorted(got))
            elif not got <= self.dirs[b"tasks"] or len(entries) != len(got):
                self.bad("listing (churned)", rel, "task ids", sorted(got - self.dirs[b"tasks"])[:5])
            return entries
        if want is None:
            self.bad("listing of a directory that should not exist", rel, None, sorted(got))
        elif got != want or len(entries) != len(got):
            self.bad("listing", rel, sorted(want - got)[:5], sorted(got - want)[:5])
        return entries

    def file(self, rel):
        ok, st = self.call("lstat", rel, lambda: os.lstat(self.full(rel)))
        want = self.tree.get(rel)
        mutable = self.churn and rel.rsplit(b"/", 1)[-1] in MUTABLE
        if ok:
            if want is None or want[0] != "f":
                self.bad("a file that should not exist", rel, want and want[0], st.st_mode)
                return
            if st.st_mode != stat.S_IFREG | 0o444:
                self.bad("mode", rel, oct(stat.S_IFREG | 0o444), oct(st.st_mode))
            if want[1] is not None and st.st_size != len(want[1]) and not mutable:
                self.bad("st_size", rel, len(want[1]), st.st_size)

        def read():
            with open(self.full(rel), "rb") as f:
                return f.read()
        ok, data = self.call("read", rel, read)
        if not ok:
            return
        self.n["reads"] += 1
        self.n["bytes"] += len(data)
        if mutable:
            self.churned_file(rel, data)
        elif want is not None and want[1] is not None and data != want[1]:
            self.bad("bytes", rel, want[1], data)

    def churned_file(self, rel, data):
        """A file that churn changes: it must be what the snapshot renders once the churned
        members (state, updated_at, status, error) take some value the emulator gives."""
        _, tid, f = rel.split(b"/")
        if f == b"state":
            if data not in STATE_LINES:
                self.bad("state (churned)", rel, "one of the 17 states", data)
        elif f == b"status":
            if not data.endswith(b"\n") or b"\n" in data[:-1]:
                self.bad("status (churned)", rel, "one line", data)
        elif f == b"error.json":
            try:
                v = treemodel.parse_json(data)
                good = data == (treemodel.cj_print(v) + "\n").encode() and \
                    (v is None or isinstance(v, treemodel.Obj))
            except ValueError:
                good = False
            if not good:
                self.bad("error.json (churned)", rel, "null or an object, printed by cJSON", data)
        elif f == b"task.json":
            want = None
            try:
                got = treemodel.parse_json(data)
                task = treemodel.clone(self.tasks[tid])
                for i, (k, v) in enumerate(task):
                    if k in CHURNED:
                        task[i] = (k, got.get(k))
                want = (treemodel.cj_print(treemodel.redact(task)) + "\n").encode()
            except (ValueError, AttributeError):
                pass
            if data != want:
                self.bad("task.json (churned)", rel, want, data)

    def link(self, rel):
        ok, target = self.call("readlink", rel, lambda: os.readlink(self.full(rel)))
        if not ok:
            return
        self.n["links"] += 1
        want = self.tree.get(rel)
        if self.churn and rel.startswith(b"by-state/"):
            tid = rel.rsplit(b"/", 1)[-1]
            want = ("l", b"../../tasks/" + tid) if tid in self.dirs[b"tasks"] else None
        if want is None or want[0] != "l":
            self.bad("a link that should not exist", rel, want and want[0], target)
        elif target != want[1]:
            self.bad("link target", rel, want[1], target)

    def out_of_time(self):
        return self.n["walks"] > 0 and time.monotonic() >= self.end

    def walk(self):
        """One whole-tree walk; False when the time ran out in the middle (never in the
        first walk: every reader covers the whole tree at least once)."""
        self.listdir(b"")
        tops = list(TOPS)
        self.rng.shuffle(tops)
        for top in tops:
            if self.out_of_time():
                return False
            entries = self.listdir(top)
            if entries is None:
                continue
            entries = list(entries)
            self.rng.shuffle(entries)
            for e in entries:
                if self.out_of_time():
                    return False
                rel = top + b"/" + e
                if top == b".viasfs":
                    if e in META_READ:
                        ok, data = self.call("read", rel, lambda: open(self.full(rel), "rb").read())
                        if ok:
                            self.n["reads"] += 1
                    continue
                if top == b"by-name":
                    self.link(rel)
                elif top == b"tasks":
                    names = self.listdir(rel)
                    for f in names or []:
                        self.file(rel + b"/" + f)
                else:
                    for f in self.listdir(rel) or []:
                        self.link(rel + b"/" + f)
        return True

    def run(self):
        while self.n["walks"] == 0 or time.monotonic() < self.end:
            if self.walk():
                self.n["walks"] += 1
            if self.once:
                break
        return {"counts": self.n, "failures": self.failures, "wrong": self.wrong,
                "errnos": self.errnos, "slowest": round(self.slowest, 3)}


def out(ok, desc):
    print("%s\t%s" % ("ok" if ok else "not ok", desc))


def report(timeout, label, mode, figures, files):
    rs = []
    for f in files:
        try:
            with open(f) as fh:
                rs.append(json.load(fh))
        except (OSError, ValueError) as e:
            out(False, "%s: reader summary %s is readable (%s)" % (label, f, e))
    n = {}
    for r in rs:
        for k, v in r["counts"].items():
            n[k] = n.get(k, 0) + v
    errnos = {}
    for r in rs:
        for k, v in r["errnos"].items():
            errnos[k] = errnos.get(k, 0) + v
    failures = [x for r in rs for x in r["failures"]]
    wrong = [x for r in rs for x in r["wrong"]]
    slowest = max([r["slowest"] for r in rs] or [0])
    print("# %s: %d readers, %d whole walks, %d calls, %d files read (%d bytes), %d listings, "
          "%d links, %d failed calls %s, slowest call %.2f s%s" %
          (label, len(rs), n.get("walks", 0), n.get("calls", 0), n.get("reads", 0),
           n.get("bytes", 0), n.get("listings", 0), n.get("links", 0), n.get("failures", 0),
           json.dumps(errnos, sort_keys=True), slowest,
           "; %d by-state entries had moved on when read" % n["moved"] if n.get("moved") else ""))
    every = all(r["counts"]["walks"] >= 1 for r in rs)
    out(len(rs) > 0 and every, "%s: each of the %d readers finished at least one whole walk" %
        (label, len(rs)))
    out(n.get("wrong", 0) == 0 and n.get("reads", 0) > 0,
        "%s: zero wrong answers in %d file reads, %d listings and %d links (every byte, name "
        "and target against the emulator's data)" %
        (label, n.get("reads", 0), n.get("listings", 0), n.get("links", 0)))
    for w in wrong[:10]:
        print("#   wrong %s %s:\n#     expected %s\n#     actual   %s" % tuple(w))
    if mode == "clean":
        out(n.get("failures", 0) == 0, "%s: no call failed (%d calls)" % (label, n.get("calls", 0)))
        unexplained = failures
    else:
        unexplained = [x for x in failures if x[2] not in ("ETIMEDOUT", "EIO", "EAGAIN") or
                       x[3] < timeout / 2]
        out(not unexplained,
            "%s: every failed call (%d of %d, %.3f%%) is ETIMEDOUT/EIO/EAGAIN after at least "
            "--timeout / 2 = %g s (its deadline passed, or would have before another retry)" %
            (label, n.get("failures", 0), n.get("calls", 0),
             100.0 * n.get("failures", 0) / max(n.get("calls", 1), 1), timeout / 2))
    for x in unexplained[:10]:
        print("#   failed %s %s: %s after %.3f s" % tuple(x))
    if failures:
        print("#   failed calls took %.2f..%.2f s" % (min(x[3] for x in failures),
                                                     max(x[3] for x in failures)))
    for x in failures[:5]:
        print("#   e.g. %s %s: %s after %.3f s" % tuple(x))
    hang = 4 * timeout
    out(slowest <= hang, "%s: no call hung: the slowest took %.2f s (limit 4 x --timeout = %d s)"
        % (label, slowest, hang))
    with open(figures, "a") as f:
        for k in ("walks", "calls", "reads", "bytes", "listings", "links", "failures", "wrong",
                  "moved"):
            f.write("%s.%s\t%d\n" % (label, k, n.get(k, 0)))
        f.write("%s.errnos\t%s\n" % (label, json.dumps(errnos, sort_keys=True)))
        f.write("%s.slowest_call_s\t%.2f\n" % (label, slowest))


def main():
    cmd = sys.argv[1]
    if cmd == "walk":
        ddir, root, seconds, seed, dest = sys.argv[2:7]
        churn = sys.argv[7:8] == ["churn"]
        r = Reader(ddir, root, float(seconds), int(seed), churn).run()
        tmp = dest + ".tmp"
        with open(tmp, "w") as f:
            json.dump(r, f)
        os.rename(tmp, dest)
    elif cmd == "report":
        report(float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:])
    elif cmd == "expect":
        tree, dirs = expected(sys.argv[2])
        p = os.fsencode(sys.argv[3])
        if p in dirs:
            sys.stdout.buffer.write(b"".join(x + b"\n" for x in sorted(dirs[p])))
        elif p in tree and tree[p][0] == "f":
            sys.stdout.buffer.write(tree[p][1])
        else:
            sys.exit("no such file in the expected tree: " + sys.argv[3])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
