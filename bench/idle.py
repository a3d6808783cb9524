#!/usr/bin/env python3
"""bench/idle.py: what a mount costs the API while nobody or almost nobody uses it (issue 18),
in requests per hour, at 1,000, 10,000 and 100,000 tasks, for four cases:

  nothing   tasks/ listed once at the start, then nothing open, nothing watched
  state     `inotifywait -m tasks/<id>/state` (nothing open)
  view      `inotifywait -m by-state/RUNNING` (nothing open)
  events    `cat .viasfs/events` (open all along)

for each viasfs binary given (default: "after" = $BUILD/viasfs; BEFORE=path adds the binary of
an older commit as "before"). Each case: a fresh emulator stays up for the size; a fresh
mount with the default options but --idle-after=IDLE_AFTER (default 2 s, so that the idle pace
is reached within the run; older binaries do not know the option and get none), the case's
watcher started, then SETTLE seconds (the first walk, the idle pace), then the emulator's
counters are zeroed and read again after WINDOW seconds (default 30: six periods of the
default --refresh=5). Requests per hour = requests in the window x 3600 / WINDOW: an
extrapolation from a short window, as said in the report. With nothing watched, the new
binary's idle walk (one walk of every task every --idle-refresh=600 s) falls outside any window
shorter than 600 s: its cost per hour is added as 6 walks of every task (pages = tasks/1000+1),
and the report says so.

Environment: BENCH_IDLE_TASKS (default "1000 10000 100000"), BENCH_IDLE_CASES, WINDOW, SETTLE,
IDLE_AFTER, BEFORE, BUILD, BENCH_WRITE=0 (print only). Writes the section "Idle cost" of
bench/RESULTS.md (replacing an earlier one) and $BUILD/bench/idle.json.
Everything it starts it stops by PID; every mount is unmounted.
"""
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

BUILD = os.environ.get("BUILD", "build")
TASKS = [int(x) for x in os.environ.get("BENCH_IDLE_TASKS", "1000 10000 100000").split()]
CASES = os.environ.get("BENCH_IDLE_CASES", "nothing state view events").split()
WINDOW = float(os.environ.get("WINDOW", "30"))
SETTLE = float(os.environ.get("SETTLE", "12"))
IDLE_AFTER = int(os.environ.get("IDLE_AFTER", "2"))
PROJECT = "0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d"
IDLE_REFRESH = 600  # the default --idle-refresh

procs = []
mounts = []


def cleanup(*_):
    for m in list(mounts):
        unmount(m)
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    if _:
        sys.exit(130)


def unmount(m):
    for _ in range(50):
        if subprocess.run(["fusermount3", "-u", m], stderr=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1)
    else:
        subprocess.run(["fusermount3", "-uz", m], stderr=subprocess.DEVNULL)
    if m in mounts:
        mounts.remove(m)


def start(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    procs.append(p)
    return p


def stop(p):
    p.terminate()
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def ctl(url, method, path):
    req = urllib.request.Request(url + path, method=method)
    with urllib.request.urlopen(req) as r:
        return r.read()


def counts(url):
    d = json.loads(ctl(url, "GET", "/_emulator/stats"))["requests"]
    return {ep: sum(d.get(ep, {}).values()) for ep in ("list", "detail", "other")}


def knows_option(binary, opt):
    out = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    return opt in out


def measure(binary, tmp, url, token_file, tasks, case):
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt, exist_ok=True)
    opts = ["--endpoint=" + url, "--project-id=" + PROJECT, "--token-file=" + token_file,
            "--log=" + os.path.join(tmp, "viasfs.log")]
    if knows_option(binary, "--idle-after"):
        opts.append("--idle-after=%d" % IDLE_AFTER)
    subprocess.run([binary] + opts + [mnt], check=True)
    mounts.append(mnt)
    watcher = None
    try:
        for _ in range(600):  # the first walk (list_age is "never" until then)
            with open(os.path.join(mnt, ".viasfs/status")) as f:
                if "list_age: never" not in f.read():
                    break
            time.sleep(0.5)
        ids = sorted(os.listdir(os.path.join(mnt, "tasks")))  # listed once
        if case == "state":
            watcher = start(["inotifywait", "-qm", os.path.join(mnt, "tasks", ids[len(ids) // 2],
                                                                  "state")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif case == "view":
            watcher = start(["inotifywait", "-qm", os.path.join(mnt, "by-state", "RUNNING")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif case == "events":
            watcher = start(["cat", os.path.join(mnt, ".viasfs/events")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(SETTLE)
        ctl(url, "DELETE", "/_emulator/stats")
        time.sleep(WINDOW)
        c = counts(url)
        with open(os.path.join(mnt, ".viasfs/status")) as f:
            status = f.read()
        pace = re.search(r"^pace: (.*)$", status, re.M)
        return c, pace.group(1) if pace else ""
    finally:
        if watcher:
            stop(watcher)
        unmount(mnt)


def main():
    signal.signal(signal.SIGINT, cleanup)
    signal.signal(signal.SIGTERM, cleanup)
    binaries = []
    if os.environ.get("BEFORE"):
        binaries.append(("before", os.environ["BEFORE"]))
    binaries.append(("after", os.path.join(BUILD, "viasfs")))
    results = []
    tmp = tempfile.mkdtemp(prefix="viasfs-idle-")
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write("idle-bench-token\n")
    os.chmod(token_file, 0o600)
    try:
        for tasks in TASKS:
            port_file = os.path.join(tmp, "port")
            if os.path.exists(port_file):
                os.unlink(port_file)
            emu = start([os.path.join(BUILD, "vias-emulator"), "--port", "0", "--port-file",
                         port_file, "--project-id", PROJECT, "--token-file", token_file,
                         "--tasks", str(tasks), "--seed", "18"],
                        stderr=open(os.path.join(tmp, "emulator.log"), "a"))
            for _ in range(600):
                if os.path.exists(port_file) and os.path.getsize(port_file) > 0:
                    break
                time.sleep(0.1)
            url = "http://127.0.0.1:%s" % open(port_file).read().strip()
            for case in CASES:
                for label, binary in binaries:
                    c, pace = measure(binary, tmp, url, token_file, tasks, case)
                    n = c["list"] + c["detail"] + c["other"]
                    per_hour = n * 3600 / WINDOW
                    added = 0
                    if label == "after" and case == "nothing" and n == 0:
                        added = (3600 // IDLE_REFRESH) * (tasks // 1000 + 1)
                    row = dict(tasks=tasks, case=case, version=label, list=c["list"],
                               detail=c["detail"], window_s=WINDOW,
                               per_hour=per_hour + added, idle_walks_added=added, pace=pace)
                    results.append(row)
                    print("%6d %-8s %-6s list %5d detail %5d in %.0f s -> %9.0f/h%s  [%s]" % (
                        tasks, case, label, c["list"], c["detail"], WINDOW, per_hour + added,
                        " (incl. %d idle-walk requests)" % added if added else "", pace),
                        flush=True)
            stop(emu)
    finally:
        cleanup()
    os.makedirs(os.path.join(BUILD, "bench"), exist_ok=True)
    with open(os.path.join(BUILD, "bench", "idle.json"), "w") as f:
        json.dump(results, f, indent=1)
    report(results, binaries)


def report(results, binaries):
    lines = ["## Idle cost: API requests per hour of a mount nobody or almost nobody uses "
             "(issue 18, %s)" % time.strftime("%Y-%m-%d"), ""]
    lines.append("`make bench-idle` (bench/idle.py)%s; machine: %s, %d CPUs shared, Linux %s. "
                 "Default options (--refresh=5, --page-size=1000) but --idle-after=%d so the "
                 "idle pace is reached within the run; each figure is the requests counted by "
                 "the emulator in a %.0f s window after %.0f s of settling, x 3600 / %.0f "
                 "(extrapolated from that window, 100,000 tasks included). \"nothing\": tasks/ "
                 "listed once, then nothing; \"state\": `inotifywait -m` on one state file; "
                 "\"view\": `inotifywait -m by-state/RUNNING`; \"events\": `cat .viasfs/events`."
                 % (" with BEFORE=%s" % binaries[0][1] if len(binaries) > 1 else "",
                    platform.processor() or platform.machine(), os.cpu_count(),
                    platform.release(), IDLE_AFTER, WINDOW, SETTLE, WINDOW))
    lines.append("With nothing watched, the new pace walks every task once every --idle-refresh "
                 "(600 s), which no window shorter than that sees: its 6 walks an hour are "
                 "added to the \"after\" figure.")
    lines.append("")
    have_before = len(binaries) > 1
    head = "| tasks | case | " + ("before /h | " if have_before else "") + \
        "after /h | after: requests in the window | " + ("ratio | " if have_before else "") + \
        "pace (after) |"
    lines.append(head)
    lines.append("|" + "|".join(["---"] * (head.count("|") - 1)) + "|")
    by = {(r["tasks"], r["case"], r["version"]): r for r in results}
    for tasks in TASKS:
        for case in CASES:
            a = by.get((tasks, case, "after"))
            b = by.get((tasks, case, "before"))
            if not a:
                continue
            cells = ["{:,}".format(tasks), case]
            if have_before:
                cells.append("{:,.0f}".format(b["per_hour"]) if b else "-")
            cells.append("{:,.0f}".format(a["per_hour"]))
            cells.append("%d list, %d detail" % (a["list"], a["detail"]))
            if have_before:
                cells.append("%.0fx fewer" % (b["per_hour"] / a["per_hour"])
                             if b and a["per_hour"] else "-")
            cells.append(a["pace"].split(",")[0] if a["pace"] else "-")
            lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if os.environ.get("BENCH_WRITE", "1") != "0":
        path = "bench/RESULTS.md"
        old = open(path).read()
        parts = re.split(r"(?m)^(?=## )", old)
        parts = [p for p in parts if not p.startswith("## Idle cost")]
        head_part = parts[0] if not parts[0].startswith("## ") else ""
        rest = [p for p in parts if p.startswith("## ")]
        open(path, "w").write(head_part + text + "\n" + "".join(rest))


if __name__ == "__main__":
    main()
