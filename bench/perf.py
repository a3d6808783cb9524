#!/usr/bin/env python3
"""bench/perf.py: what common operations on a viasfs mount cost, in wall time, API requests
and memory, next to the references issue 7 names, all measured in one run. Run it through
bench/run.sh (`make bench`), which checks the tools and builds build/bench/lowerbound.

For each configuration (tasks x latency x --list-fields) it starts build/vias-emulator,
mounts build/viasfs (in the foreground, in the background of this script, so that its PID
gives VmHWM) and times, as `bash -c CMD` in the mount's root:

  ls tasks | wc -l                      the whole listing
  ls -U tasks | head -1                 the first entry (-U: unsorted, so ls prints as it reads)
  ls -l by-state/RUNNING                a filtered view, with attributes and link targets
  cat tasks/*/state | sort | uniq -c    list data of every task
  grep -l webhook tasks/*/output.json   detail data of every task (a detail call each when the
                                        list is summary-only)
  find . -type f | wc -l                the whole tree

(the two globs are run as `printf '%s\\0' GLOB | xargs -0 CMD`, which is the same work but
does not hit ARG_MAX at 100,000 tasks.)

cold: the first run in a fresh mount (fresh kernel caches too: a new superblock); repeated
in a new mount each time. warm: the runs that follow in that same mount, within --ttl (the
mounts use --ttl=600 so that a slow operation cannot outlive it, and --refresh=0 so that no
background walk lands in a count, as tests/mount/request_counts.sh does). Times are medians;
a cell stops repeating once it has used its time budget. API requests are the emulator's
/_emulator/stats counters, read before each run and after it once no request has come for
0.3 s (so a walk `ls | head -1` started and left running counts for that run). VmHWM is the daemon's peak RSS
(/proc/PID/status) at the end of the operation's mount.

References, in the same run:
  lower bound   build/bench/lowerbound (bench/lowerbound.c): exactly the list pages and
                details the operation needs, --max-requests connections, nothing else;
  tmpfs         a copy of the mounted tree (without .viasfs) on a tmpfs: the warm ideal;
  httpdirfs,    the same copy served as static files by bench/static_server.py with the same
  rclone        latency per request, mounted by `httpdirfs` and `rclone mount :http:`; each
                operation bounded by REF_TIMEOUT; the requests that server saw are counted.

Default: 1,000 and 10,000 tasks at 0 and 20 ms, --list-fields summary, plus full at 1,000;
3 repeats within 5 s a cell; viasfs runs bounded at 50 s, references at 10 s: a few minutes
on an idle 2-CPU machine (much longer on a loaded one).

Environment: BENCH=full (100,000 tasks, full lists at every size, 5 repeats, 60 s a cell,
bounds 600 s and 120 s), BENCH_TASKS,
BENCH_LATENCIES, BENCH_FIELDS, BENCH_OPS (operation keys: ls first running states grep find),
BENCH_REFS (lowerbound tmpfs httpdirfs rclone), BENCH_REPEAT, BENCH_BUDGET (seconds per
cell), BENCH_TIMEOUT (seconds per viasfs run), REF_TIMEOUT (seconds per reference run),
VIASFS_OPTS (extra viasfs options), BENCH_WRITE=0 (print only, leave bench/RESULTS.md),
BUILD (build directory). BENCH_REPORT_ONLY=1 prints (and writes) the section again from the
last run's $BUILD/bench/results.json, without measuring.

Everything it starts it stops by PID; every mount is unmounted (fusermount3 -u, retried, then
-uz), the tmpfs too; its temporary directory is removed. A failing reference is reported in
its cells and does not stop the others.
"""
import json
import math
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(TOP, os.environ.get("BUILD", "build"))
PROJECT = "0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d"
FULL = os.environ.get("BENCH", "") == "full"
PAGE_SIZE = 1000


def env_list(name, default):
    return os.environ.get(name, default).split()


TASKS = [int(x) for x in env_list("BENCH_TASKS", "1000 10000 100000" if FULL else "1000 10000")]
LATENCIES = [int(x) for x in env_list("BENCH_LATENCIES", "0 20")]
FIELDS = env_list("BENCH_FIELDS", "summary full")
REFS = env_list("BENCH_REFS", "lowerbound tmpfs httpdirfs rclone")
REPEAT = int(os.environ.get("BENCH_REPEAT", "5" if FULL else "3"))
BUDGET = float(os.environ.get("BENCH_BUDGET", "60" if FULL else "5"))
OP_TIMEOUT = float(os.environ.get("BENCH_TIMEOUT", "600" if FULL else "50"))
REF_TIMEOUT = float(os.environ.get("REF_TIMEOUT", "120" if FULL else "10"))

VIASFS_OPTS = shlex.split(os.environ.get("VIASFS_OPTS", ""))
WRITE = os.environ.get("BENCH_WRITE", "1") != "0"


def wanted(tasks, fields):
    """The default run measures --list-fields full at its smallest size only (request counts
    and list-data use show there; the times scale); BENCH=full or BENCH_FIELDS, all sizes."""
    return FULL or "BENCH_FIELDS" in os.environ or fields == FIELDS[0] or tasks == min(TASKS)


def _max_requests():
    for i, o in enumerate(VIASFS_OPTS):
        m = re.match(r"--max-requests(?:=(\d+))?$", o)
        if m:
            return int(m.group(1) or VIASFS_OPTS[i + 1])
    return 8


MAX_REQUESTS = _max_requests()
RESULTS_JSON = os.path.join(BUILD, "bench", "results.json")
# What the report says about the run (saved with the figures, for BENCH_REPORT_ONLY).
SETTINGS = {"full": FULL, "tasks": TASKS, "latencies": LATENCIES, "fields": FIELDS,
            "repeat": REPEAT, "budget": BUDGET, "op_timeout": OP_TIMEOUT,
            "ref_timeout": REF_TIMEOUT, "viasfs_opts": " ".join(VIASFS_OPTS),
            "max_requests": MAX_REQUESTS}


class Op:
    def __init__(self, key, label, cmd, lb_what, lb_query="", same_output=True):
        self.key, self.label, self.cmd = key, label, cmd
        self.lb_what, self.lb_query = lb_what, lb_query
        self.same_output = same_output  # tmpfs must print the same bytes


ALL_OPS = [
    Op("ls", "`ls tasks \\| wc -l`", "ls tasks | wc -l", "list"),
    Op("first", "`ls -U tasks \\| head -1` (first entry)", "ls -U tasks | head -1", "first",
       same_output=False),
    Op("running", "`ls -l by-state/RUNNING`", "ls -l by-state/RUNNING", "list",
       "task_state=RUNNING", same_output=False),
    Op("states", "`cat tasks/*/state \\| sort \\| uniq -c`",
       "printf '%s\\0' tasks/*/state | xargs -0 cat | sort | uniq -c", "list"),
    Op("grep", "`grep -l webhook tasks/*/output.json`",
       "printf '%s\\0' tasks/*/output.json | xargs -0 grep -l webhook", "details"),
    Op("find", "`find . -type f \\| wc -l`", "find . -type f | wc -l", "list",
       same_output=False),
]
OPS = [o for o in ALL_OPS if o.key in env_list("BENCH_OPS", " ".join(o.key for o in ALL_OPS))]


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ processes and mounts
class Resources:
    """Everything started or mounted, so that every exit path undoes it (by PID, by path)."""

    def __init__(self):
        self.procs = []  # Popen objects we started
        self.mounts = []  # (path, kind): kind "fuse" or "tmpfs"
        self.extra_dirs = []  # directories outside tmp to remove (a /dev/shm copy)
        self.tmp = tempfile.mkdtemp(prefix="viasfs-bench.", dir=os.environ.get("TMPDIR", "/tmp"))

    def start(self, argv, log_path, **kw):
        f = open(log_path, "ab")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                             start_new_session=True, **kw)
        f.close()
        self.procs.append(p)
        return p

    def stop(self, p, grace=5.0):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(grace)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def unmount(self, path):
        kind = next((k for d, k in self.mounts if d == path), "fuse")
        for _ in range(50):
            if not is_mounted(path):
                break
            cmd = ["fusermount3", "-u", path] if kind == "fuse" else ["umount", path]
            if subprocess.run(cmd, stderr=subprocess.DEVNULL).returncode == 0:
                break
            time.sleep(0.2)
        if is_mounted(path):
            log("%s still busy: detaching it lazily" % path)
            subprocess.run(["fusermount3", "-uz", path] if kind == "fuse" else
                           ["umount", "-l", path], stderr=subprocess.DEVNULL)
        self.mounts = [(d, k) for d, k in self.mounts if d != path]

    def cleanup(self):
        for p in list(LIVE):  # a command still running in a mount keeps it busy
            kill_group(p)
        for d, _ in list(reversed(self.mounts)):
            self.unmount(d)
        for p in list(reversed(self.procs)):
            self.stop(p)
        if not any(is_mounted(d) for d, _ in self.mounts):
            subprocess.run(["rm", "-rf", "--one-file-system", self.tmp])
        for d in self.extra_dirs:
            subprocess.run(["rm", "-rf", "--one-file-system", d])
        self.extra_dirs = []


def is_mounted(path):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == path for line in f)


def wait_for(pred, timeout, what, proc=None):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s: the process exited (status %s)" % (what, proc.returncode))
        time.sleep(0.02)
    raise RuntimeError("%s: not ready after %.0f s" % (what, timeout))


def http_json(url, method="GET", body=None):
    req = urllib.request.Request(url, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def vm_hwm_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ------------------------------------------------------------------ timing one command
class Run:
    def __init__(self, ms, finished, rc, out, err):
        self.ms, self.finished, self.rc, self.out, self.err = ms, finished, rc, out, err


LIVE = set()  # measured commands running now (each its own process group)


def kill_group(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_cmd(cmd, cwd, timeout):
    """Runs `bash -c cmd` in cwd; wall time in ms. On timeout its process group is killed."""
    t0 = time.monotonic()
    p = subprocess.Popen(["bash", "-c", cmd], cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    LIVE.add(p)
    try:
        out, err = p.communicate(timeout=timeout)
        return Run((time.monotonic() - t0) * 1000, True, p.returncode, text(out), text(err))
    except subprocess.TimeoutExpired:
        kill_group(p)
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            out, err = b"", b""
        return Run(timeout * 1000, False, None, text(out), text(err))
    except BaseException:  # interrupted: the command must not keep the mount busy
        kill_group(p)
        raise
    finally:
        LIVE.discard(p)


def text(b):
    return b.decode("utf-8", "surrogateescape")


def med(xs):
    return statistics.median(xs) if xs else None


# ------------------------------------------------------------------ the emulator
class Emulator:
    def __init__(self, res, tasks, fields):
        self.res = res
        d = os.path.join(res.tmp, "emu-%d-%s" % (tasks, fields))
        os.makedirs(d)
        self.token_file = os.path.join(d, "token")
        with open(self.token_file, "w") as f:
            f.write("bench-token-%d\n" % os.getpid())
        os.chmod(self.token_file, 0o600)
        port_file = os.path.join(d, "port")
        self.proc = res.start([os.path.join(BUILD, "vias-emulator"), "--port", "0",
                               "--port-file", port_file, "--project-id", PROJECT,
                               "--token-file", self.token_file, "--tasks", str(tasks),
                               "--list-fields", fields], os.path.join(d, "emulator.log"))
        wait_for(lambda: os.path.exists(port_file) and os.path.getsize(port_file) > 0, 300,
                 "vias-emulator --tasks %d" % tasks, self.proc)
        with open(port_file) as f:
            self.url = "http://127.0.0.1:%d" % int(f.read().strip())

    def set_latency(self, ms):
        http_json(self.url + "/_emulator/faults", "PUT", {"latency_ms": ms})

    def counts(self):
        """API requests served so far: list, detail, and every other endpoint as other."""
        d = http_json(self.url + "/_emulator/stats")["requests"]
        c = {"list": 0, "detail": 0, "other": 0}
        for ep, by_status in d.items():
            c[ep if ep in c else "other"] += sum(by_status.values())
        return c

    def stop(self):
        self.res.stop(self.proc)


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


def settled_counts(emu, quiet=0.3, bound=10.0):
    """The emulator's counters once no request has been served for @quiet seconds (at most
    @bound): work a command left running counts as its own (`ls | head -1` ends ls early, but
    the walk it started goes on and fills the cache), not as the next run's."""
    end = time.monotonic() + bound
    c = emu.counts()
    while time.monotonic() < end:
        time.sleep(quiet)
        n = emu.counts()
        if n == c:
            break
        c = n
    return c


def fmt_req(c):
    if c is None:
        return "-"
    parts = []
    if c.get("list"):
        parts.append("%d L" % c["list"])
    if c.get("detail"):
        parts.append("%d D" % c["detail"])
    if c.get("other"):
        parts.append("%d other" % c["other"])
    return " + ".join(parts) or "0"


# ------------------------------------------------------------------ viasfs
class Viasfs:
    n = 0

    def __init__(self, res, emu, extra=()):
        Viasfs.n += 1
        self.res = res
        self.mnt = os.path.join(res.tmp, "viasfs-%d" % Viasfs.n)
        os.makedirs(self.mnt)
        logf = self.mnt + ".log"
        self.proc = res.start([os.path.join(BUILD, "viasfs"), "-f", "--endpoint=" + emu.url,
                               "--project-id=" + PROJECT, "--token-file=" + emu.token_file,
                               "--refresh=0", "--ttl=600", "--log=" + logf, *VIASFS_OPTS,
                               *extra, self.mnt], logf)
        res.mounts.append((self.mnt, "fuse"))
        wait_for(lambda: is_mounted(self.mnt), 30, "viasfs mount", self.proc)

    def hwm(self):
        return vm_hwm_kib(self.proc.pid)

    def close(self):
        self.res.unmount(self.mnt)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            log("viasfs %d still running 15 s after unmount: stopping it" % self.proc.pid)
        self.res.stop(self.proc)
        try:
            os.rmdir(self.mnt)
        except OSError:
            pass


def bench_viasfs(res, emu, op):
    """Cold runs in fresh mounts; warm runs in the first of them."""
    r = {"cold": [], "warm": [], "cold_req": [], "warm_req": [], "hwm": [], "cold_done": True,
         "warm_done": True, "out": None, "warm_out": None, "errors": []}
    spent = 0.0
    for i in range(REPEAT):
        m = Viasfs(res, emu)
        try:
            c0 = emu.counts()
            run = run_cmd(op.cmd, m.mnt, OP_TIMEOUT)
            r["cold_req"].append(delta(c0, settled_counts(emu)))
            spent += run.ms / 1000
            if not run.finished:
                r["cold_done"] = False
                r["cold"].append(run.ms)
                break
            r["cold"].append(run.ms)
            if i == 0:
                r["out"] = run.out
                if run.err.strip():
                    r["errors"].append(run.err.strip()[:300])
                wspent = 0.0
                for j in range(REPEAT):
                    c0 = emu.counts()
                    w = run_cmd(op.cmd, m.mnt, OP_TIMEOUT)
                    r["warm_req"].append(delta(c0, settled_counts(emu)))
                    wspent += w.ms / 1000
                    if not w.finished:
                        r["warm_done"] = False
                        r["warm"].append(w.ms)
                        break
                    r["warm"].append(w.ms)
                    r["warm_out"] = w.out
                    if wspent > BUDGET:
                        break
        finally:
            r["hwm"].append(m.hwm())
            m.close()
        if spent > BUDGET:
            break
    return r


# ------------------------------------------------------------------ lower bound
def bench_lowerbound(emu, op, fields, cache):
    what = op.lb_what
    if what == "details" and fields == "full":
        what = "list"  # full list items carry output: the walk is all the operation needs
    key = (what, op.lb_query)
    if key in cache:
        return cache[key]
    runs, spent = [], 0.0
    for _ in range(REPEAT):
        p = subprocess.run([os.path.join(BUILD, "bench", "lowerbound"), emu.url, PROJECT,
                            emu.token_file, what, op.lb_query, str(PAGE_SIZE), str(MAX_REQUESTS)],
                           capture_output=True, text=True, timeout=3600)
        if p.returncode != 0:
            cache[key] = {"error": p.stderr.strip()[:200]}
            return cache[key]
        runs.append(json.loads(p.stdout))
        spent += runs[-1]["ms"] / 1000
        if spent > BUDGET:
            break
    out = {"ms": med([x["ms"] for x in runs]), "list": runs[0]["list"],
           "detail": runs[0]["detail"], "tasks": runs[0]["tasks"], "what": what,
           "cpu_ms": med([x["cpu_ms"] for x in runs]), "n": len(runs)}
    cache[key] = out
    return out


# ------------------------------------------------------------------ the copy: tmpfs
def make_copy(res, emu, tasks):
    """Copies the mounted tree (less .viasfs) to a tmpfs (or /dev/shm); returns its path."""
    d = os.path.join(res.tmp, "tree-%d" % tasks)
    os.makedirs(d)
    if os.geteuid() == 0 and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=%dm,mode=0755" % max(512, tasks // 10),
             "viasfs-bench", d], stderr=subprocess.DEVNULL).returncode == 0:
        res.mounts.append((d, "tmpfs"))
        where = "tmpfs mounted at %s" % d
    else:
        os.rmdir(d)
        d = tempfile.mkdtemp(prefix="viasfs-bench-tree.", dir="/dev/shm")
        res.extra_dirs.append(d)
        where = "%s (not root: /dev/shm)" % d
    emu.set_latency(0)
    m = Viasfs(res, emu)
    t0 = time.monotonic()
    try:
        # Details fetched 8 at a time first, so that the copy does not wait for them one by one.
        pre = run_cmd("printf '%s\\0' tasks/*/task.json | xargs -0 -P 8 -n 200 cat >/dev/null",
                      m.mnt, 3600)
        # tasks/ by 4 cp processes at once (it is 9 files a task), then the views.
        q = shlex.quote(d)
        cp = run_cmd("mkdir %s/tasks && (cd tasks && ls -U | xargs -P 4 -n 500 cp -R "
                     "--preserve=timestamps -t %s/tasks) && cp -R --preserve=timestamps by-state "
                     "by-camera by-name by-algorithm %s/" % (q, q, q), m.mnt, 3600)
        if not pre.finished or not cp.finished or cp.rc != 0:
            raise RuntimeError("copying the tree failed: %s" % cp.err[:300])
    finally:
        m.close()
    log("copied %d tasks to %s in %.1f s" % (tasks, where, time.monotonic() - t0))
    return d


def bench_local(tree, op):
    """The op on a local copy: one unmeasured run, then REPEAT measured ones."""
    first = run_cmd(op.cmd, tree, OP_TIMEOUT)
    runs, spent = [], 0.0
    for _ in range(REPEAT):
        x = run_cmd(op.cmd, tree, OP_TIMEOUT)
        runs.append(x.ms)
        spent += x.ms / 1000
        if spent > BUDGET:
            break
    return {"ms": med(runs), "out": first.out, "n": len(runs)}


# ------------------------------------------------------------------ httpdirfs and rclone
class StaticServer:
    def __init__(self, res, tree, latency):
        self.res = res
        d = tempfile.mkdtemp(prefix="static.", dir=res.tmp)
        port_file = os.path.join(d, "port")
        self.proc = res.start([sys.executable, os.path.join(TOP, "bench", "static_server.py"),
                               tree, port_file, "--latency", str(latency)],
                              os.path.join(d, "server.log"))
        wait_for(lambda: os.path.exists(port_file), 30, "static server", self.proc)
        with open(port_file) as f:
            self.url = "http://127.0.0.1:%d/" % int(f.read().strip())

    def counts(self):
        return http_json(self.url + "__bench_stats__")

    def stop(self):
        self.res.stop(self.proc)


def mount_ref(res, tool, url):
    mnt = tempfile.mkdtemp(prefix=tool + ".", dir=res.tmp)
    logf = mnt + ".log"
    if tool == "httpdirfs":
        argv = ["httpdirfs", "-f", "--max-conns", str(MAX_REQUESTS), url, mnt]
    else:
        argv = ["rclone", "mount", "--read-only", "--http-url", url, ":http:", mnt]
    p = res.start(argv, logf)
    res.mounts.append((mnt, "fuse"))
    wait_for(lambda: is_mounted(mnt), 30, tool + " mount", p)
    return mnt, p


def bench_ref(res, server, tool, op):
    """One cold run in a fresh mount, then one warm run in it; each bounded by REF_TIMEOUT."""
    r = {"cold": None, "warm": None, "cold_req": None, "warm_req": None, "cold_done": False,
         "warm_done": False, "out": None}
    try:
        mnt, p = mount_ref(res, tool, server.url)
    except Exception as e:  # noqa: BLE001 - reported in the cell, the others go on
        r["error"] = str(e)
        return r
    try:
        c0 = server.counts()["total"]
        x = run_cmd(op.cmd, mnt, REF_TIMEOUT)
        c1 = server.counts()["total"]
        r.update(cold=x.ms, cold_done=x.finished, cold_req=c1 - c0, out=x.out)
        if x.finished:
            x = run_cmd(op.cmd, mnt, REF_TIMEOUT)
            r.update(warm=x.ms, warm_done=x.finished, warm_req=server.counts()["total"] - c1)
    finally:
        res.unmount(mnt)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            pass
        res.stop(p)
    return r


# ------------------------------------------------------------------ the report
def fms(ms):
    if ms is None:
        return "-"
    return "%.1f" % ms if ms < 10 else "{:,.0f}".format(ms)


def fratio(x):
    if x is None:
        return "-"
    return "%.2f" % x if x < 10 else "%.0f" % x


def ref_cell(r, vias_ms, which):
    """'1,234 ms, 5,678 req' and the factor over viasfs for a reference run. When it hit its
    bound: the bound, and a factor ('>') only if the bound is above viasfs's own time."""
    if r is None:
        return "-", None
    if r.get("skip"):
        return r["skip"], None
    if r.get("error"):
        return "failed: " + r["error"][:60], None
    ms, done, req = r[which], r[which + "_done"], r[which + "_req"]
    if ms is None:
        return "-", None
    if not done:
        f = ms / vias_ms if vias_ms else None
        nreq = "{:,}".format(req) if req is not None else "?"
        return ("> %s s (%s req)" % (fms(ms / 1000), nreq),
                (">" + fratio(f) + "x") if f and f > 1 else None)
    f = ms / vias_ms if vias_ms else None
    return "%s ms, %s req" % (fms(ms), "{:,}".format(req)), (fratio(f) + "x") if f else None


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return "%d CPUs, %s, Linux %s" % (os.cpu_count(), cpu, os.uname().release)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def config_table(cfg, res_ops, tmpfs, refs, lbs):
    tasks, latency, fields = cfg
    lines = ["### %s tasks, %d ms per request, --list-fields %s" % ("{:,}".format(tasks), latency,
                                                                  fields), ""]
    lines.append("| operation | cold ms | cold requests | warm ms | warm requests | lower bound ms "
                 "(requests) | cold / lower bound | tmpfs ms | warm / tmpfs | httpdirfs cold "
                 "| httpdirfs warm | rclone cold | rclone warm | VmHWM MiB |")
    lines.append("|---|" + "---:|" * 13)
    notes = []
    for op in ALL_OPS:
        v = res_ops.get(op.key)
        if v is None:
            continue
        cold = med(v["cold"])
        cold_s = fms(cold) if v["cold_done"] else "> %s s" % fms(SETTINGS["op_timeout"])
        if len(v["cold"]) > 1 and v["cold_done"]:
            cold_s += " (n=%d)" % len(v["cold"])
        creq = v["cold_req"][0] if v["cold_req"] else None
        if creq is not None and any(c != creq for c in v["cold_req"]):
            notes.append("%s: cold request counts differ between runs: %s" %
                         (op.label, ", ".join(fmt_req(c) for c in v["cold_req"])))
        warm = med(v["warm"]) if v["warm"] and v["warm_done"] else None
        if warm is not None:
            warm_s = fms(warm)
        else:
            warm_s = "> %s s" % fms(SETTINGS["op_timeout"]) if v["warm"] else "-"
        wreq = None
        if v["warm_req"]:
            wreq = max(v["warm_req"], key=lambda c: sum(c.values()))
        lb = lbs.get(op.key)
        if lb and "error" not in lb:
            lb_s = "%s (%s)" % (fms(lb["ms"]), fmt_req(lb))
            ratio = fratio(cold / lb["ms"]) + "x" if v["cold_done"] and lb["ms"] else (
                ">" + fratio(cold / lb["ms"]) + "x" if lb["ms"] else "-")
        else:
            lb_s, ratio = ("failed" if lb else "-"), "-"
        t = tmpfs.get(op.key) if tmpfs else None
        if t and t.get("ms"):
            t_s = fms(t["ms"])
            t_r = fratio(warm / t["ms"]) + "x" if warm is not None else "-"
            if op.same_output and v["warm_out"] is not None and t["out"] != v["warm_out"]:
                notes.append("%s: the tmpfs copy prints something else than viasfs" % op.label)
        else:
            t_s, t_r = "-", "-"
        cells = []
        for tool in ("httpdirfs", "rclone"):
            r = refs.get(tool, {}).get(op.key) if refs else None
            for which, vm in (("cold", cold if v["cold_done"] else None), ("warm", warm)):
                txt, fac = ref_cell(r, vm, which)
                cells.append(txt + (" (%s)" % fac if fac else ""))
        hwm = max([h for h in v["hwm"] if h] or [0]) / 1024
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f |" % (
            op.label, cold_s, fmt_req(creq), warm_s, fmt_req(wreq), lb_s, ratio, t_s, t_r,
            *cells, hwm))
        for e in v["errors"]:
            notes.append("%s: stderr: %s" % (op.label, e.replace("\n", " / ")))
    if any(((refs or {}).get(t) or {}).get(k, {}).get("skip") == "n/r"
           for t in ("httpdirfs", "rclone") for k in res_ops):
        notes.append("n/r: not run, because the same tool had already hit the bound on this "
                     "operation with fewer tasks or less latency.")
    if notes:
        lines.append("")
        lines += ["- " + n for n in notes]
    return lines


def ceil_pages(n):
    return max(1, math.ceil(n / PAGE_SIZE))


def targets(all_results):
    """The issue-7 targets: one row each, one column per configuration, then a verdict each."""
    cols = []  # per configuration: {target: (ok or None, cell text)}
    for cfg, data in all_results:
        tasks, latency, fields = cfg
        ops, lbs, tmpfs, refs = data["viasfs"], data["lb"], data.get("tmpfs"), data.get("refs")
        c = {}
        for key, t in (("ls", "list_ls"), ("running", "list_running")):
            v, lb = ops.get(key), lbs.get(key)
            if v and v["cold_req"] and lb and "error" not in lb:
                got = v["cold_req"][0]
                ok = got["list"] <= lb["list"] and got["detail"] == 0 and got["other"] == 0
                c[t] = (ok, "%s; ceil %d, walk %d" % (fmt_req(got), ceil_pages(lb["tasks"]),
                                                       lb["list"]))
        worst = max(((max(sum(x.values()) for x in v["warm_req"]), k)
                     for k, v in ops.items() if v["warm_req"]), default=None)
        if worst:
            c["warm"] = (worst[0] == 0, "0" if worst[0] == 0 else "%d (%s)" % worst)
        v, lb = ops.get("first"), lbs.get("first")
        t = (tmpfs or {}).get("first")
        if v and v["cold_done"] and lb and "error" not in lb and latency > 0:
            local = t["ms"] if t and t.get("ms") else 0
            trips = (med(v["cold"]) - local) / lb["ms"]
            c["first"] = (trips <= 1.5, "%.2f (%s ms - %s local)" % (
                trips, fms(med(v["cold"])), fms(local)))
        v, lb = ops.get("grep"), lbs.get("grep")
        if fields == "summary" and v and lb and "error" not in lb and lb["ms"]:
            if v["cold_done"]:
                r = med(v["cold"]) / lb["ms"]
                c["grep"] = (r <= 1.5, "%sx" % fratio(r))
            else:
                c["grep"] = (False, ">%sx (bound)" % fratio(med(v["cold"]) / lb["ms"]))
        if tmpfs:
            rs = [(med(v["warm"]) / tmpfs[k]["ms"], k) for k, v in ops.items()
                  if v["warm"] and v["warm_done"] and tmpfs.get(k, {}).get("ms")]
            if rs:
                r, k = max(rs)
                n_ok = sum(1 for x, _ in rs if x <= 2)
                c["tmpfs"] = (r <= 2, "%d/%d ok; worst %sx (%s)" % (n_ok, len(rs), fratio(r), k))
        for tool in ("httpdirfs", "rclone"):
            fs_ = []
            for k, r in ((refs or {}).get(tool) or {}).items():
                v = ops.get(k)
                if (not v or not v["cold_done"] or r.get("error") or r.get("skip")
                        or r.get("cold") is None):
                    continue
                fs_.append((r["cold"] / med(v["cold"]), k, r["cold_done"]))
            if fs_:
                f, k, done = min(fs_)
                ok = f >= 10 if done or f >= 10 else None
                c[tool] = (ok, "least %s%sx (%s)" % ("" if done else ">", fratio(f), k))
        ls = ops.get("ls")
        if ls and ls["hwm"] and any(ls["hwm"]):
            limit = 64 * 1024 + tasks
            h = max(x for x in ls["hwm"] if x)
            c["mem"] = (h <= limit, "%.0f of %.0f MiB" % (h / 1024, limit / 1024))
        allh = [h for v in ops.values() for h in v["hwm"] if h]
        if allh:
            c["mem_any"] = (None, "%.0f MiB" % (max(allh) / 1024))
        cols.append(("%s, %d ms, %s" % ("{:,}".format(tasks), latency, fields), c))
    rows = [
        ("list_ls", "`ls tasks`: exactly the list pages (L list, D detail; ceil(N/1000); the "
                    "walk's minimum)"),
        ("list_running", "`ls -l by-state/RUNNING`: the same, filtered"),
        ("warm", "requests in a warm run (worst operation)"),
        ("first", "first entry of a cold `ls tasks`: page round trips (time less the same "
                  "command on tmpfs), goal 1 (ok up to 1.5)"),
        ("grep", "cold grep of output.json (summary lists) / lower bound, goal 1.5x"),
        ("tmpfs", "warm / tmpfs, goal 2x"),
        ("httpdirfs", "httpdirfs cold / viasfs cold, least factor (goal: far ahead; 10x here)"),
        ("rclone", "rclone cold / viasfs cold, least factor"),
        ("mem", "VmHWM after `ls tasks` / 64 MiB + 1 KiB a task"),
        ("mem_any", "highest VmHWM of any operation's mount (details included)"),
    ]
    out = ["| target | " + " | ".join(name for name, _ in cols) + " |",
           "|---|" + "---|" * len(cols)]
    for key, label in rows:
        cells = []
        for _, c in cols:
            ok, txt = c.get(key, (None, "-"))
            cells.append(txt if ok is None else ("ok: " if ok else "**MISS**: ") + txt)
        out.append("| %s | %s |" % (label, " | ".join(cells)))
    out.append("")
    verdicts = []
    for key, label in rows:
        marks = [c[key][0] for _, c in cols if key in c and c[key][0] is not None]
        if not marks:
            continue
        miss = marks.count(False)
        verdicts.append("- %s: %s" % (label.split(",")[0].split(":")[0],
                                      "**met** in every configuration" if not miss else
                                      "**missed** in %d of %d configurations" % (miss, len(marks))))
    verdicts.append("- (The page counts are judged against the walk's minimum: at an exact "
                    "multiple of 1000 matching tasks a client must read one empty page to learn "
                    "the list has ended, since the API's count is per page, so ceil(N/1000) "
                    "itself is reachable only with --count total or a known N.)")
    return out + verdicts


def report(all_results, meta):
    S = SETTINGS
    started, load0, load1 = meta["started"], meta["load0"], meta["load1"]
    elapsed, copy_notes = meta["elapsed"], meta["copy_notes"]
    cmd = "make bench" + (" BENCH=full" if S["full"] else "")
    shapes = []
    for tasks, _, fields in [c for c, _ in all_results]:
        if (tasks, fields) not in shapes:
            shapes.append((tasks, fields))
    env = "%s, each at %s ms; repeats up to %d within %.0f s per cell, viasfs bound %.0f s, " \
          "reference bound %.0f s" % (
              "; ".join("%s tasks --list-fields %s" % ("{:,}".format(t), f) for t, f in shapes),
              " and ".join(map(str, S["latencies"])), S["repeat"], S["budget"],
              S["op_timeout"], S["ref_timeout"])
    lines = ["## Performance: viasfs against the API lower bound, tmpfs, httpdirfs and rclone "
             "(%s)" % time.strftime("%Y-%m-%d", time.gmtime(started)), ""]
    lines.append("Command: `%s` (bench/run.sh, bench/perf.py: %s%s). Machine: %s. Run at %s, "
                 "%.0f s. Load average %s at the start, %s at the end%s." % (
                     cmd, env, ("; VIASFS_OPTS=" + S["viasfs_opts"]) if S["viasfs_opts"] else "",
                     machine(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(started)),
                     elapsed, load0, load1,
                     " (the machine is shared: other test runs were using it, so absolute times "
                     "are noisy; the ratios compare runs made minutes apart)"
                     if max(float(load0.split()[0]), float(load1.split()[0])) > 0.5 * os.cpu_count()
                     else ""))
    lines.append("")
    lines.append(
        "How: each operation runs as `bash -c CMD` in the root of the tree; the two globs run as "
        "`printf '%%s\\0' GLOB | xargs -0 CMD` (same work, no ARG_MAX limit). **cold** = the first "
        "run in a fresh viasfs mount (`-f --refresh=0 --ttl=600`, default --max-requests "
        "%d), median over fresh mounts; **warm** = the following runs in that mount. "
        "**requests** = the emulator's counters around the run, read once no request came for 0.3 s (L list, D detail; warm: the most "
        "in any warm run). **lower bound** = build/bench/lowerbound: exactly the list pages "
        "(walked until a short page, since the API's count is per page) and details the "
        "operation needs, %d keep-alive connections opened beforehand, no process start-up: "
        "at 0 ms, commands pay a few ms of bash/ls start-up that it does not. **tmpfs** = the "
        "same tree copied (without .viasfs) to a tmpfs, warm. **httpdirfs** (`--max-conns %d`) "
        "and **rclone** (`mount --read-only :http:`, defaults) mount that copy served by "
        "bench/static_server.py (Python, threaded, same latency per request; static servers "
        "follow symlinks, so by-*/ entries are directories there and `find` walks the tasks "
        "five times); one cold run in a fresh mount, then one warm run, each bounded, with the "
        "requests the server saw; a factor is the reference's time over viasfs's (cold with "
        "cold, warm with warm); '>' marks a bound hit, and a case is not run ('n/r') when the "
        "same tool already hit the bound on a smaller or faster case. **VmHWM** = the viasfs "
        "daemon's peak RSS at the end of the operation's mount." % (
            SETTINGS["max_requests"], SETTINGS["max_requests"], SETTINGS["max_requests"]))
    for n in copy_notes:
        lines += ["", n]
    for cfg, data in all_results:
        lines.append("")
        lines += config_table(cfg, data["viasfs"], data.get("tmpfs"), data.get("refs"),
                              data["lb"])
    lines += ["", "### Issue 7 targets in this run", ""]
    lines += targets(all_results)
    return "\n".join(lines) + "\n"


SECTION_RE = re.compile(r"^## Performance: viasfs against the API lower bound.*?(?=^## |\Z)",
                        re.S | re.M)


def write_results(section):
    path = os.path.join(TOP, "bench", "RESULTS.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    if SECTION_RE.search(text):
        text = SECTION_RE.sub(lambda _: section + "\n", text, count=1)
        text = text.rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)


# ------------------------------------------------------------------ main
def main():
    res = Resources()

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    started, load0, t0 = time.time(), loadavg(), time.monotonic()
    all_results, copy_notes = [], []
    have = {t: subprocess.run(["sh", "-c", "command -v " + t], capture_output=True).returncode == 0
            for t in ("httpdirfs", "rclone")}
    timed_out = {}  # (tool, op) -> [(tasks, latency)] where the bound was hit
    try:
        for tasks in TASKS:
            tree, tmpfs_res = None, None
            for fi, fields in enumerate(FIELDS):
                if not wanted(tasks, fields):
                    continue
                log("emulator: %d tasks, --list-fields %s" % (tasks, fields))
                emu = Emulator(res, tasks, fields)
                try:
                    if fi == 0 and any(r in REFS for r in ("tmpfs", "httpdirfs", "rclone")):
                        try:
                            tree = make_copy(res, emu, tasks)
                        except Exception as e:  # noqa: BLE001
                            log("no tree copy: %s" % e)
                            copy_notes.append("The copy of the %d-task tree failed (%s): no tmpfs, "
                                              "httpdirfs or rclone figures for it." % (tasks, e))
                    if tree and "tmpfs" in REFS and tmpfs_res is None:
                        log("tmpfs: %d tasks" % tasks)
                        tmpfs_res = {op.key: bench_local(tree, op) for op in OPS}
                    for latency in LATENCIES:
                        cfg = (tasks, latency, fields)
                        log("viasfs: %d tasks, %d ms, %s" % cfg)
                        emu.set_latency(latency)
                        data = {"viasfs": {}, "lb": {}, "tmpfs": tmpfs_res, "refs": None}
                        lb_cache = {}
                        for op in OPS:
                            data["viasfs"][op.key] = bench_viasfs(res, emu, op)
                            v = data["viasfs"][op.key]
                            log("  %-8s cold %s ms %s, warm %s ms" % (
                                op.key, fms(med(v["cold"])),
                                fmt_req(v["cold_req"][0] if v["cold_req"] else None),
                                fms(med(v["warm"]))))
                            if "lowerbound" in REFS:
                                data["lb"][op.key] = bench_lowerbound(emu, op, fields, lb_cache)
                        if fi == 0 and tree:
                            data["refs"] = bench_refs(res, tree, latency, tasks, have, timed_out)
                        elif tree:  # the references do not depend on --list-fields
                            prev = next((d for c, d in all_results if c[0] == tasks
                                         and c[1] == latency and d.get("refs")), None)
                            data["refs"] = prev["refs"] if prev else None
                        all_results.append((cfg, data))
                finally:
                    emu.stop()
            if tree and any(d == tree for d, _ in res.mounts):
                res.unmount(tree)  # the tmpfs goes, and its memory with it
            elif tree:
                subprocess.run(["rm", "-rf", "--one-file-system", tree])
    except KeyboardInterrupt:
        log("interrupted: cleaning up, nothing written")
        return 130
    finally:
        res.cleanup()
    meta = {"started": started, "ended": time.time(), "load0": load0, "load1": loadavg(),
            "elapsed": time.monotonic() - t0, "copy_notes": copy_notes, "settings": SETTINGS}
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    with open(RESULTS_JSON, "w") as f:
        json.dump({"meta": meta, "results": [{"config": c, "data": d} for c, d in all_results]},
                  f, indent=1)
    return publish(meta, all_results)


def publish(meta, all_results):
    section = report(all_results, meta)
    print(section)
    if WRITE:
        write_results(section)
        log("section written to bench/RESULTS.md (raw figures: %s)" % RESULTS_JSON)
    return 0


def report_only():
    """BENCH_REPORT_ONLY=1: the section again from the last run's results.json."""
    with open(RESULTS_JSON) as f:
        saved = json.load(f)
    SETTINGS.update(saved["meta"]["settings"])
    return publish(saved["meta"], [(tuple(r["config"]), r["data"]) for r in saved["results"]])


def bench_refs(res, tree, latency, tasks, have, timed_out):
    refs = {}
    tools = [t for t in ("httpdirfs", "rclone") if t in REFS]
    if not tools:
        return None
    server = None
    try:
        server = StaticServer(res, tree, latency)
        for tool in tools:
            refs[tool] = {}
            for op in OPS:
                if not have[tool]:
                    refs[tool][op.key] = {"skip": "not installed"}
                    continue
                hit = [(t, l) for t, l in timed_out.get((tool, op.key), [])
                       if t <= tasks and l <= latency]
                if hit:
                    t, l = hit[0]
                    refs[tool][op.key] = {"skip": "n/r", "skip_why": "> %s s at %s tasks, %d ms" % (
                        fms(REF_TIMEOUT), "{:,}".format(t), l)}
                    continue
                log("  %s %s (%d tasks, %d ms)" % (tool, op.key, tasks, latency))
                r = bench_ref(res, server, tool, op)
                refs[tool][op.key] = r
                if not r.get("error") and not r["cold_done"]:
                    timed_out.setdefault((tool, op.key), []).append((tasks, latency))
    except Exception as e:  # noqa: BLE001 - the static server failed: say so in the cells
        log("references failed: %s" % e)
        for tool in tools:
            for op in OPS:
                refs.setdefault(tool, {}).setdefault(op.key, {"error": str(e)})
    finally:
        if server:
            server.stop()
    return refs


if __name__ == "__main__":
    sys.exit(report_only() if os.environ.get("BENCH_REPORT_ONLY") else main())
