#!/usr/bin/env python3
"""bench/snapshot.py: a warm start against a cold one (issue 16), run by `make bench` after
perf.py (BENCH_SNAPSHOT=0 leaves it out) or alone: `BUILD=build python3 bench/snapshot.py`.

For each number of tasks (BENCH_SNAPSHOT_TASKS, default "10000 100000") and API latency
(BENCH_SNAPSHOT_LATENCIES, default "0 20 100" ms per request, the emulator's --latency), it times,
REPEAT times (BENCH_SNAPSHOT_REPEAT, default 3), medians reported:
  - cold: viasfs started with an empty --cache-dir, then `ls -U tasks`: the time from starting
    viasfs to the first entry, and to the last (the whole listing);
  - from a snapshot: the same, with the snapshot the cold mount left at its unmount;
and the snapshot's size and the time its write took (collecting, encoding, writing, fsync),
from viasfs's own log line. Every mount has --refresh=0 and --ttl=600, so that nothing but the
measured commands (and, from a snapshot, the walk that confirms it) asks the API.
Writes its section of bench/RESULTS.md (BENCH_WRITE=0: print only). Undoes everything it
starts and mounts, on every exit path.
"""
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", "build")
VIASFS = os.path.join(TOP, BUILD, "viasfs")
EMU = os.path.join(TOP, BUILD, "vias-emulator")
TASKS = [int(x) for x in os.environ.get("BENCH_SNAPSHOT_TASKS", "10000 100000").split()]
LATENCIES = [int(x) for x in os.environ.get("BENCH_SNAPSHOT_LATENCIES", "0 20 100").split()]
REPEAT = int(os.environ.get("BENCH_SNAPSHOT_REPEAT", "3"))
PROJECT = "0a1b2c3d4e5f4a6b8c9d0e1f2a3b4c5d"
TMP = tempfile.mkdtemp(prefix="viasfs-bench-snapshot.")
started = []  # processes to stop
mounts = []


def log(msg):
    print("bench/snapshot: " + msg, file=sys.stderr, flush=True)


def cleanup(*_):
    for m in list(mounts):
        subprocess.run(["fusermount3", "-u", m], stderr=subprocess.DEVNULL)
    for p in started:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    shutil.rmtree(TMP, ignore_errors=True)


def on_signal(sig, _):
    cleanup()
    sys.exit(128 + sig)


def emulator(tasks, latency):
    port_file = os.path.join(TMP, "port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    token = os.path.join(TMP, "token")
    with open(token, "w") as f:
        f.write("bench-token\n")
    os.chmod(token, 0o600)
    p = subprocess.Popen([EMU, "--port", "0", "--port-file", port_file, "--project-id", PROJECT,
                          "--token-file", token, "--tasks", str(tasks), "--seed", "1",
                          "--latency", str(latency)], stderr=subprocess.DEVNULL)
    started.append(p)
    for _ in range(1200):
        if os.path.exists(port_file) and open(port_file).read().strip():
            break
        time.sleep(0.05)
    return p, "http://127.0.0.1:%s" % open(port_file).read().strip(), token


def mounted(path):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == path for line in f)


def unmount(mnt, pid_hint=None):
    for _ in range(100):
        if subprocess.run(["fusermount3", "-u", mnt], stderr=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1)
    mounts.remove(mnt)
    # The daemon writes the snapshot after the session ends: wait for it to exit.
    for _ in range(600):
        r = subprocess.run(["pgrep", "-f", "--", "viasfs .* " + re.escape(mnt) + "$"],
                           capture_output=True)
        if r.returncode != 0:
            return
        time.sleep(0.05)


def one_run(url, token, cache, logfile):
    """Seconds from starting viasfs to the first entry of `ls -U tasks`, and to its end."""
    mnt = os.path.join(TMP, "mnt")
    os.makedirs(mnt, exist_ok=True)
    t0 = time.monotonic()
    r = subprocess.run([VIASFS, "--endpoint=" + url, "--project-id=" + PROJECT,
                        "--token-file=" + token, "--cache-dir=" + cache, "--refresh=0",
                        "--ttl=600", "--timeout=60", "--log=" + logfile, "--log-level=debug",
                        mnt], capture_output=True, text=True)
    if r.returncode != 0 or not mounted(mnt):
        raise RuntimeError("viasfs did not mount: " + r.stderr.strip())
    mounts.append(mnt)
    ls = subprocess.Popen(["ls", "-U", os.path.join(mnt, "tasks")], stdout=subprocess.PIPE)
    first = ls.stdout.readline()
    t_first = time.monotonic() - t0
    n = 1 if first else 0
    for _ in ls.stdout:
        n += 1
    ls.wait()
    t_all = time.monotonic() - t0
    status = open(os.path.join(mnt, ".viasfs", "status")).read()
    loaded = "snapshot_loaded: yes" in status
    unmount(mnt)
    return t_first, t_all, n, loaded


def written(logfile):
    """(bytes, ms) of the last snapshot written, from viasfs's debug log."""
    last = None
    with open(logfile) as f:
        for line in f:
            m = re.search(r"snapshot written: \d+ tasks, (\d+) bytes, ([0-9.]+) ms", line)
            if m:
                last = (int(m.group(1)), float(m.group(2)))
    return last


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return "%d CPUs, %s, Linux %s" % (os.cpu_count(), cpu, os.uname().release)


def ms(x):
    return "%.0f" % (x * 1000) if x >= 0.1 else "%.1f" % (x * 1000)


def main():
    rows = []
    load = open("/proc/loadavg").read().split()[:3]
    for tasks in TASKS:
        for latency in LATENCIES:
            emu, url, token = emulator(tasks, latency)
            cold, warm, sizes = [], [], []
            for i in range(REPEAT):
                cache = os.path.join(TMP, "cache-%d-%d-%d" % (tasks, latency, i))
                logc = os.path.join(TMP, "cold.log")
                logw = os.path.join(TMP, "warm.log")
                for f in (logc, logw):
                    if os.path.exists(f):
                        os.unlink(f)
                c = one_run(url, token, cache, logc)
                w = one_run(url, token, cache, logw)
                size = written(logc)
                if c[3] or not w[3] or c[2] != tasks or w[2] != tasks or not size:
                    raise RuntimeError("run %d of %d tasks: cold %r, warm %r, written %r" %
                                       (i, tasks, c, w, size))
                cold.append(c)
                warm.append(w)
                sizes.append(size)
                log("%d tasks, %d ms: cold first %.3f s, all %.3f s; snapshot first %.3f s, "
                    "all %.3f s; %d bytes written in %.1f ms" %
                    (tasks, latency, c[0], c[1], w[0], w[1], size[0], size[1]))
                shutil.rmtree(cache, ignore_errors=True)
            emu.terminate()
            emu.wait()
            med = lambda xs, k: statistics.median(x[k] for x in xs)
            rows.append((tasks, latency, med(cold, 0), med(warm, 0), med(cold, 1), med(warm, 1),
                         statistics.median(s[0] for s in sizes),
                         statistics.median(s[1] for s in sizes)))
    out = ["## Snapshot: the first `ls tasks` entry, cold and from a snapshot (issue 16)", "",
           "Command: `make bench` (this part: `BUILD=%s python3 bench/snapshot.py`, "
           "BENCH_SNAPSHOT_TASKS=\"%s\", BENCH_SNAPSHOT_LATENCIES=\"%s\", %d runs each, "
           "medians). Machine: %s; load average %s at the start. %s." %
           (BUILD, " ".join(map(str, TASKS)), " ".join(map(str, LATENCIES)), REPEAT, machine(),
            " ".join(load), time.strftime("%Y-%m-%d", time.gmtime())),
           "",
           "Each time runs from starting `viasfs` (which returns once mounted: it loads the "
           "snapshot and sends the one-page probe first) to the first line, and to the last "
           "line, of `ls -U tasks`; the emulator answers every request after the given "
           "latency. The snapshot is the one the cold mount wrote at its unmount (size and "
           "write time: collecting, encoding, writing and fsync, from viasfs's log). Ratio: "
           "cold over snapshot (above 1: the snapshot is faster).",
           "",
           "| tasks | latency | first entry cold | first entry from snapshot | ratio | "
           "whole listing cold | whole listing from snapshot | ratio | snapshot bytes | "
           "write ms |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for t, lat, cf, wf, ca, wa, size, wms in rows:
        out.append("| %d | %d ms | %s ms | %s ms | %.2fx | %s ms | %s ms | %.2fx | %d | %.1f |" %
                   (t, lat, ms(cf), ms(wf), cf / wf, ms(ca), ms(wa), ca / wa, size, wms))
    section = "\n".join(out) + "\n"
    print(section)
    if os.environ.get("BENCH_WRITE", "1") != "0":
        path = os.path.join(TOP, "bench", "RESULTS.md")
        text = open(path).read()
        pat = re.compile(r"^## Snapshot: the first `ls tasks` entry.*?(?=^## |\Z)", re.S | re.M)
        text = pat.sub(lambda _: section + "\n", text, count=1) if pat.search(text) \
            else text.rstrip("\n") + "\n\n" + section
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.rename(path + ".tmp", path)
        log("section written to bench/RESULTS.md")


if __name__ == "__main__":
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    try:
        main()
    finally:
        cleanup()
