#!/usr/bin/env python3
"""sigint.py SECONDS CMD...: Ctrl-C for a blocked reader, without a terminal.

Starts CMD with SIGINT at its default action (a shell's background job would ignore it),
waits SECONDS, prints "blocked\tyes|no\t<state letter>" (is it still running, and its
/proc state: S = interruptible sleep, D = uninterruptible), sends SIGINT, waits up to 3 s
and prints "ended\t<returncode>\t<seconds>" (returncode -2: killed by SIGINT; 130: exited
with 128+SIGINT) or "hung\t<state>" (then kills it). Then "stdout\t<bytes>" and
"stderr\t<text>"."""
import signal
import subprocess
import sys
import time


def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


wait_s = float(sys.argv[1])
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
time.sleep(wait_s)
print(f"blocked\t{'yes' if p.poll() is None else 'no'}\t{state(p.pid)}", flush=True)
t = time.monotonic()
p.send_signal(signal.SIGINT)
try:
    p.wait(3)
    print(f"ended\t{p.returncode}\t{time.monotonic() - t:.3f}")
except subprocess.TimeoutExpired:
    print(f"hung\t{state(p.pid)}")
    p.kill()
    p.wait()
out, err = p.communicate()
print(f"stdout\t{len(out)}")
print("stderr\t" + err.decode(errors="replace").replace("\n", " ").strip())
