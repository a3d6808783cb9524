"""Many concurrent readers of a large mount, every answer checked (a helper of
tests/mount/load.sh, not a test).

  loadreaders.py prepare API_URL PROJECT TOKEN_FILE SUBSET SEED DIR
      Reads the whole task list from the API (pages of 1000) and the detail of SUBSET tasks
      chosen with SEED, and writes DIR/expected.json: the bytes each of their nine files must
      hold (tests/mount/treemodel.py renders them), the entries of tasks/ and of every
      by-state/, by-camera/ and by-algorithm/ directory (exact names, as viasfs filters
      them), and how many list requests a walk of tasks/ costs (pages of 1000 until one comes
      back short).
  loadreaders.py plan DIR PHASE READERS SEED
      Writes DIR/plan-PHASE.json (one list of operations per reader) and DIR/plan-PHASE-I.json
      (reader I's operations with their expected answers):
        same     every reader reads the nine files of one task (the first of the subset)
                 and lists tasks/, each in its own order;
        mixed    every reader reads state and task.json of 150 tasks of the subset and
                 lists 3 of 16 views (6 states, 6 cameras, 4 algorithms), shared with others;
      and the views and tasks the phase touches (for the request counts).
  loadreaders.py pages DIR PHASE
      For each view PHASE's plan lists, "<path> <list requests one walk of it costs>",
      asked of the API (with prepare's credentials) before the mount.
  loadreaders.py run DIR PHASE MOUNT READERS
      Forks READERS processes, each with its operations of PHASE loaded, releases them at
      once, and waits for them; reader I writes what it did and what went wrong to
      DIR/r-PHASE-I.json.
  loadreaders.py report DIR PHASE OUT.json...
      "ok<TAB>.."/"not ok<TAB>.." lines for py_tap: every reader finished, no call failed,
      every answer was right.
"""
import base64
import json
import os
import random
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import treemodel  # noqa: E402

PAGE = 1000


def get(url, token):
    req = urllib.request.Request(url, headers={"X-Auth-Token": token})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def walk_pages(base, token, query=""):
    """(items, requests): every item the API lists for QUERY, and the pages asked for."""
    items, page = [], 1
    while True:
        url = "%s/tasks?%spage=%d&page_size=%d" % (base, query, page, PAGE)
        got = json.loads(get(url, token))["tasks"]
        items += got
        if len(got) < PAGE:
            return items, page
        page += 1


def prepare(api, project, token_file, subset, seed, d):
    token = open(token_file).read().strip()
    base = "%s/v2/%s" % (api, project)
    items, pages = walk_pages(base, token)
    ids = [t["id"] for t in items]
    rng = random.Random(seed)
    chosen = rng.sample(ids, subset)
    files = {}
    for tid in chosen:
        task = treemodel.parse_json(get("%s/tasks/%s" % (base, tid), token))
        tree, _ = treemodel.expected_tree([task])
        for f in treemodel.FILES:
            p = "tasks/%s/%s" % (tid, f)
            files[p] = base64.b64encode(tree[p.encode()][1]).decode()
    dirs = {"tasks": sorted(ids)}
    walks = {"tasks": pages}
    views = {}
    for t in items:
        for top, key in (("by-state", "state"), ("by-camera", "video_source_name"),
                         ("by-algorithm", "title")):
            v = t.get(key)
            if isinstance(v, str):
                views.setdefault((top, v), []).append(t["id"])
    query_key = {"by-state": "task_state", "by-camera": "camera_name", "by-algorithm": "title"}
    view_list = []
    for (top, v), members in sorted(views.items()):
        path = "%s/%s" % (top, treemodel.name_encode(v).decode("utf-8", "surrogateescape"))
        dirs[path] = sorted(members)
        view_list.append([top, v, path])
    expected = {"files": files, "dirs": dirs, "walks": walks, "subset": chosen,
                "views": view_list, "query_key": query_key, "tasks": len(ids)}
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f)


def view_pages(d, paths):
    """How many list requests a walk of each view in PATHS costs, asked of the API: its loose
    filters may match more tasks than the view shows, and a walk asks for pages of 1000
    until one comes back short."""
    cfg = json.load(open(os.path.join(d, "api.json")))
    e = json.load(open(os.path.join(d, "expected.json")))
    token = open(cfg["token_file"]).read().strip()
    base = "%s/v2/%s" % (cfg["api"], cfg["project"])
    out = {}
    for top, v, path in e["views"]:
        if path in paths:
            q = urllib.parse.urlencode({e["query_key"][top]: v}) + "&"
            out[path] = walk_pages(base, token, q)[1]
    return out


def plan(d, phase, readers, seed):
    e = json.load(open(os.path.join(d, "expected.json")))
    rng = random.Random(seed)
    ops = []
    touched_tasks, touched_views = set(), set()
    if phase == "same":
        tid = e["subset"][0]
        for _ in range(readers):
            o = [["cat", "tasks/%s/%s" % (tid, f)] for f in treemodel.FILES] + [["ls", "tasks"]]
            rng.shuffle(o)
            ops.append(o)
        touched_tasks.add(tid)
        touched_views.add("tasks")
    elif phase == "mixed":
        by_top = {}
        for top, v, path in e["views"]:
            by_top.setdefault(top, []).append(path)
        # the biggest states (several pages each), and cameras and algorithms at random
        states = sorted(by_top["by-state"], key=lambda p: -len(e["dirs"][p]))[:6]
        views = states + rng.sample(by_top["by-camera"], 6) + rng.sample(by_top["by-algorithm"], 4)
        pool = e["subset"][1:]
        for _ in range(readers):
            o = []
            for tid in rng.sample(pool, 150):
                o += [["cat", "tasks/%s/state" % tid], ["cat", "tasks/%s/task.json" % tid]]
                touched_tasks.add(tid)
            for v in rng.sample(views, 3):
                o.append(["ls", v])
                touched_views.add(v)
            rng.shuffle(o)
            ops.append(o)
    else:
        sys.exit("unknown phase " + phase)
    with open(os.path.join(d, "plan-%s.json" % phase), "w") as f:
        json.dump({"ops": ops, "tasks": sorted(touched_tasks), "views": sorted(touched_views)}, f)
    for i, o in enumerate(ops):  # each reader's operations with their answers: small to load
        with open(os.path.join(d, "plan-%s-%d.json" % (phase, i)), "w") as f:
            json.dump([[k, p, e["files"][p] if k == "cat" else e["dirs"][p]] for k, p in o], f)


def run(d, phase, mount, readers):
    """Forks the readers (one process each, so that their calls are concurrent), each with its
    operations loaded, and releases them together: they block reading a pipe whose write end
    the parent then closes. Returns once every reader has written DIR/r-PHASE-I.json."""
    r, w = os.pipe()
    pids = []
    for i in range(readers):
        pid = os.fork()
        if pid == 0:
            os.close(w)
            code = 1
            try:
                ops = json.load(open(os.path.join(d, "plan-%s-%d.json" % (phase, i))))
                os.read(r, 1)  # EOF when the parent closes the write end: go
                read(ops, mount, os.path.join(d, "r-%s-%d.json" % (phase, i)))
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    os.close(r)
    time.sleep(0.5)  # let the last ones load their operations
    t0 = time.monotonic()
    os.close(w)
    bad = 0
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        bad += status != 0
    print("# %s: %d readers ran %.1f s%s" % (phase, readers, time.monotonic() - t0,
                                            ", %d exited with an error" % bad if bad else ""))


def read(ops, mount, dest):
    res = {"ops": 0, "bytes": 0, "entries": 0, "failed": [], "wrong": []}
    t0 = time.monotonic()
    for kind, path, want in ops:
        full = os.path.join(mount, path)
        try:
            if kind == "cat":
                with open(full, "rb") as f:
                    data = f.read()
                want = base64.b64decode(want)
                res["bytes"] += len(data)
                if data != want:
                    res["wrong"].append([path, len(want), len(data),
                                         data[:200].decode("utf-8", "replace")])
            else:
                names = sorted(os.listdir(full))
                res["entries"] += len(names)
                if names != want:
                    miss = sorted(set(want) - set(names))
                    extra = sorted(set(names) - set(want))
                    res["wrong"].append([path, len(want), len(names),
                                         "missing %s extra %s" % (miss[:3], extra[:3])])
        except OSError as x:
            res["failed"].append([path, x.strerror])
        res["ops"] += 1
    res["seconds"] = time.monotonic() - t0
    with open(dest + ".tmp", "w") as f:
        json.dump(res, f)
    os.rename(dest + ".tmp", dest)


def report(d, phase, files):
    p = json.load(open(os.path.join(d, "plan-%s.json" % phase)))
    rs = []
    for f in files:
        try:
            rs.append(json.load(open(f)))
        except (OSError, ValueError):
            pass
    planned = sum(len(o) for o in p["ops"])
    done = sum(r["ops"] for r in rs)
    failed = [x for r in rs for x in r["failed"]]
    wrong = [x for r in rs for x in r["wrong"]]
    print("# %s: %d readers, %d operations (%d file reads, %d listings), %d bytes, %d entries "
          "listed; the slowest reader took %.1f s" %
          (phase, len(rs), done, sum(1 for o in p["ops"] for k, _ in o if k == "cat"),
           sum(1 for o in p["ops"] for k, _ in o if k == "ls"), sum(r["bytes"] for r in rs),
           sum(r["entries"] for r in rs), max([r["seconds"] for r in rs] or [0])))
    print("ok\t" if len(rs) == len(p["ops"]) and done == planned else "not ok\t", end="")
    print("%s: all %d readers did all %d operations" % (phase, len(p["ops"]), planned))
    print(("ok" if not failed else "not ok") + "\t%s: no operation failed (%d failed)" %
          (phase, len(failed)))
    for x in failed[:8]:
        print("#   %s: %s" % tuple(x))
    print(("ok" if not wrong and done else "not ok") + "\t%s: every answer is right: each "
          "file's bytes and each listing's names equal the API's data" % phase)
    for x in wrong[:8]:
        print("#   %s: expected %s, got %s: %r" % tuple(x))


def main():
    cmd = sys.argv[1]
    if cmd == "prepare":
        prepare(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]),
                sys.argv[7])
        with open(os.path.join(sys.argv[7], "api.json"), "w") as f:
            json.dump({"api": sys.argv[2], "project": sys.argv[3], "token_file": sys.argv[4]}, f)
    elif cmd == "plan":
        plan(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "pages":
        # pages DIR PHASE: the list requests one walk of each view of PHASE's plan costs
        d, phase = sys.argv[2], sys.argv[3]
        p = json.load(open(os.path.join(d, "plan-%s.json" % phase)))
        e = json.load(open(os.path.join(d, "expected.json")))
        views = [v for v in p["views"] if v != "tasks"]
        n = view_pages(d, set(views))
        for v in p["views"]:
            print("%s %d" % (v, e["walks"]["tasks"] if v == "tasks" else n[v]))
    elif cmd == "run":
        run(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif cmd == "report":
        report(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
