#!/usr/bin/env python3
"""bench/static_server.py: a directory tree served as static files over HTTP, with a fixed
latency per request, for the generic remote filesystems that bench/perf.py compares viasfs
with (httpdirfs, rclone's http backend).

    static_server.py ROOT PORT_FILE [--latency MS]

Serves ROOT on 127.0.0.1 (a free port, written to PORT_FILE once listening) the way a plain
static web server does: symbolic links are followed (by-state/RUNNING/<id> is served as the
directory it points to), a directory is an HTML index of plain <a href> links (directories end
in "/", no parent link: both httpdirfs and rclone parse that), a directory requested without
its final "/" is redirected, files carry Content-Length and Last-Modified and honour a single
byte Range (206), HEAD is answered like GET without a body. HTTP/1.1 keep-alive, one thread
per connection. Every request waits --latency ms before its answer, like the emulator's
--latency. GET /__bench_stats__ (neither delayed nor counted) answers the number of requests
served, by method: {"total": N, "GET": n, "HEAD": n}.

It is not a general web server: no write methods, no content types beyond octet-stream and
text/html, one range per request.
"""
import argparse
import email.utils
import html
import http.server
import json
import os
import posixpath
import sys
import threading
import time
import urllib.parse

STATS_PATH = "/__bench_stats__"


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.by_method = {}

    def add(self, method):
        with self.lock:
            self.by_method[method] = self.by_method.get(method, 0) + 1

    def snapshot(self):
        with self.lock:
            d = dict(self.by_method)
        d["total"] = sum(d.values())
        return d


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench-static/1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

    def log_message(self, fmt, *args):  # quiet: a benchmark's server logs nothing
        pass

    def do_GET(self):
        self.serve(body=True)

    def do_HEAD(self):
        self.serve(body=False)

    def send_simple(self, code, text, body, extra=()):
        data = text.encode()
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def serve(self, body):
        raw_path = self.path.split("?", 1)[0].split("#", 1)[0]
        if raw_path == STATS_PATH:
            self.send_simple(200, json.dumps(self.server.counter.snapshot()), body)
            return
        self.server.counter.add(self.command)
        if self.server.latency > 0:
            time.sleep(self.server.latency)
        path = urllib.parse.unquote(raw_path, errors="surrogateescape")
        parts = [p for p in posixpath.normpath(path).split("/") if p not in ("", ".", "..")]
        fs = os.path.join(self.server.root, *parts)
        try:
            st = os.stat(fs)  # follows symbolic links, as a static server does
        except OSError:
            self.send_simple(404, "not found\n", body)
            return
        if os.path.isdir(fs):
            if not raw_path.endswith("/"):
                self.send_simple(301, "moved\n", body, [("Location", raw_path + "/")])
                return
            self.send_listing(fs, raw_path, st, body)
        else:
            self.send_file(fs, st, body)

    def send_listing(self, fs, raw_path, st, body):
        try:
            names = sorted(os.listdir(fs))
        except OSError:
            self.send_simple(403, "forbidden\n", body)
            return
        title = html.escape(urllib.parse.unquote(raw_path))
        out = ["<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ",
               title, "</title></head>\n<body><h1>Index of ", title, "</h1>\n<pre>\n"]
        for n in names:
            slash = "/" if os.path.isdir(os.path.join(fs, n)) else ""
            href = urllib.parse.quote(n, errors="surrogateescape") + slash
            out.append('<a href="%s">%s</a>\n' % (html.escape(href), html.escape(n + slash)))
        out.append("</pre></body></html>\n")
        data = "".join(out).encode("utf-8", "surrogateescape")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def send_file(self, fs, st, body):
        size = st.st_size
        start, end = 0, size - 1
        code = 200
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and "," not in rng:
            a, _, b = rng[6:].strip().partition("-")
            try:
                if a == "":  # suffix range: the last b bytes
                    start, end = max(0, size - int(b)), size - 1
                else:
                    start = int(a)
                    end = min(int(b), size - 1) if b else size - 1
            except ValueError:
                start, end = 0, size - 1
            else:
                if start >= size or start > end:
                    self.send_simple(416, "range not satisfiable\n", body,
                                     [("Content-Range", "bytes */%d" % size)])
                    return
                code = 206
        length = max(0, end - start + 1)
        try:
            with open(fs, "rb") as f:
                f.seek(start)
                data = f.read(length) if body else b""
        except OSError:
            self.send_simple(403, "forbidden\n", body)
            return
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        if code == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        if body:
            self.wfile.write(data)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):  # a client that hangs up is no error
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root")
    ap.add_argument("port_file")
    ap.add_argument("--latency", type=float, default=0, help="milliseconds per request")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.root = os.path.abspath(a.root)
    srv.latency = a.latency / 1000.0
    srv.counter = Counter()
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
