"""A recording HTTP/1.1 proxy for the mount tests (not a test itself).

proxy.py UPSTREAM_URL PORT_FILE LOG_FILE [SHAPE MIB]: listens on a free port of 127.0.0.1,
writes the port to PORT_FILE once listening, forwards every request to UPSTREAM_URL unchanged
(method, path and query, headers, body) and appends "METHOD path?query" to LOG_FILE before
forwarding. Keep-alive on both sides, one upstream connection per client thread.
With the environment variable PROXY_GHOSTS naming a file of ids (one a line, re-read per
request), the detail call of those ids answers 400 VIAS.00010007 ("no task") while the list
keeps naming them: a server whose list and detail disagree.

With SHAPE and MIB it is a hostile server: every successful detail answer
(GET /v2/<project>/tasks/<id>) gets one more member, "bloat", of MIB MiB of legal JSON junk,
  numbers  [0,0,0,...]: a value every two bytes, the costliest shape to parse
  string   "xxx...": one long string
and goes gzip-compressed (Content-Encoding: gzip) to a client that accepts gzip, so that a
small answer on the wire decodes to a large one (61 MiB of numbers: about 60 KB).
"""
import gzip
import http.client
import http.server
import os
import re
import sys
import threading
import urllib.parse

upstream = urllib.parse.urlsplit(sys.argv[1])
port_file, log_file = sys.argv[2], sys.argv[3]
ghosts_file = os.environ.get("PROXY_GHOSTS")


def is_ghost(path):
    if not ghosts_file or "?" in path:
        return False
    try:
        with open(ghosts_file) as f:
            ids = {line.strip() for line in f if line.strip()}
    except OSError:
        return False
    parts = path.split("/")
    return len(parts) == 5 and parts[3] == "tasks" and parts[4] in ids
log_lock = threading.Lock()
BLOAT = None
if len(sys.argv) > 5:
    size = int(float(sys.argv[5]) * 1024 * 1024)
    BLOAT = {"numbers": lambda: b"[" + b"0," * (size // 2 - 1) + b"0]",
             "string": lambda: b'"' + b"x" * (size - 2) + b'"'}[sys.argv[4]]()
DETAIL = re.compile(r"^/v2/[^/]+/tasks/[^/?]+$")
gz_cache = {}


def bloat(path, status, data, accept_encoding):
    """The answer a hostile server gives: (body, Content-Encoding or None)."""
    if BLOAT is None or status != 200 or not DETAIL.match(path) or not data.rstrip().endswith(b"}"):
        return data, None
    data = data.rstrip()[:-1] + b',"bloat":' + BLOAT + b"}"
    if "gzip" not in accept_encoding:
        return data, None
    with log_lock:
        if data not in gz_cache:
            gz_cache.clear()
            gz_cache[data] = gzip.compress(data, 6)
        return gz_cache[data], "gzip"
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "upgrade"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        with log_lock, open(log_file, "a") as f:
            f.write("%s %s\n" % (self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.command == "GET" and is_ghost(self.path):
            data = b'{"error_code":"VIAS.00010007","error_msg":"No task is found based on the task ID"}'
            self.send_response_only(400, "Bad Request")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in HOP and (BLOAT is None or k.lower() != "accept-encoding")}
        conn = getattr(self, "upstream_conn", None)
        for attempt in (1, 2):
            if conn is None:
                conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            try:
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                conn = None
                if attempt == 2:
                    self.close_connection = True
                    return
        self.upstream_conn = conn
        data, encoding = bloat(self.path, resp.status, data, self.headers.get("Accept-Encoding", ""))
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP and k.lower() not in ("content-length", "content-encoding"):
                self.send_header(k, v)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
tmp = port_file + ".tmp"
with open(tmp, "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(tmp, port_file)
server.serve_forever()
