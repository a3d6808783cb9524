"""A recording HTTP/1.1 proxy for the mount tests (not a test itself).

proxy.py UPSTREAM_URL PORT_FILE LOG_FILE: listens on a free port of 127.0.0.1, writes the
port to PORT_FILE once listening, forwards every request to UPSTREAM_URL unchanged (method,
path and query, headers, body) and appends "METHOD path?query" to LOG_FILE before
forwarding. Keep-alive on both sides, one upstream connection per client thread.
With a fifth argument GHOSTS_FILE (ids, one a line, re-read per request), the detail call of
those ids answers 400 VIAS.00010007 ("no task") while the list keeps naming them: a server
whose list and detail disagree.
"""
import http.client
import http.server
import os
import sys
import threading
import urllib.parse

upstream = urllib.parse.urlsplit(sys.argv[1])
port_file, log_file = sys.argv[2], sys.argv[3]
ghosts_file = sys.argv[4] if len(sys.argv) > 4 else None


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
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
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
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
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
