"""emutap: helpers for the emulator's shell tests, used from their inline Python.

The shell test starts the emulator (tests/lib.sh emu_start) and runs Python with EMU_URL,
EMU_TOKEN and EMU_PROJECT set (and EMU_CACERT, the CA to trust when EMU_URL is https); this module talks HTTP to the emulator over one keep-alive
connection and prints results as lines the shell turns into TAP ("ok<TAB>desc",
"not ok<TAB>desc", "# diagnostics"). It only uses the standard library.
"""
import http.client
import json
import os
import ssl
import sys
import urllib.parse

URL = os.environ.get("EMU_URL", "")
TOKEN = os.environ.get("EMU_TOKEN", "")
PROJECT = os.environ.get("EMU_PROJECT", "")
STATES = ["PENDING", "RECOVERING", "STARTING", "UPGRADING", "CREATE_FAILED", "START_FAILED",
          "RUNNING", "STOPPING", "STOPPED", "ABNORMAL", "SUCCEEDED", "FAILED", "DELETING",
          "FREEZING", "FROZEN", "SCHEDULING", "LACK_OF_RESOURCES"]
SUMMARY_KEYS = ["id", "name", "service_id", "created_at", "state", "video_source_name",
                "title", "type", "algorithm_publish_id"]
DETAIL_KEYS = ["id", "name", "creator", "project_id", "description", "release_id",
               "service_id", "created_at", "updated_at", "state", "status", "error",
               "schedule_status", "schedule", "input", "output", "config",
               "video_source_name", "title", "group_name", "company", "task_config", "type",
               "resource_order_id", "package_id", "device_id", "access_address",
               "algorithm_publish_id"]


class Resp:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "HTTP %d %r" % (self.status, self.body[:300])


_conn = None


def _connection():
    global _conn
    if _conn is None:
        u = urllib.parse.urlsplit(URL)
        if u.scheme == "https":
            ctx = ssl.create_default_context(cafile=os.environ.get("EMU_CACERT") or None)
            _conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=30, context=ctx)
        else:
            _conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    return _conn


def request(method, path, body=None, headers=None):
    """One request on the shared keep-alive connection (reopened after a failure)."""
    global _conn
    h = dict(headers or {})
    data = None
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        if isinstance(data, str):
            data = data.encode()
        h.setdefault("Content-Type", "application/json")
    for attempt in (1, 2):
        conn = _connection()
        try:
            conn.request(method, path, body=data, headers=h)
            r = conn.getresponse()
            return Resp(r.status, r.headers, r.read())
        except (http.client.HTTPException, OSError):
            conn.close()
            _conn = None
            if attempt == 2:
                raise


def qs(**params):
    """A query string with every name and value percent-encoded (values may be bytes)."""
    parts = []
    for k, v in params.items():
        if v is None:
            continue
        if isinstance(v, int):
            v = str(v)
        parts.append(urllib.parse.quote(k, safe="") + "=" + urllib.parse.quote(v, safe=""))
    return "?" + "&".join(parts) if parts else ""


def api(rest="/tasks", method="GET", token=None, project=None, query="", headers=None):
    """A request to /v2/{project}{rest}{query} with the test token (token=False: none)."""
    h = dict(headers or {})
    tok = TOKEN if token is None else token
    if tok is not False:
        h["X-Auth-Token"] = tok
    return request(method, "/v2/%s%s%s" % (project or PROJECT, rest, query), headers=h)


def iam_body(user, password, domain, project="cn-north-4"):
    """The documented password login body."""
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": user, "password": password, "domain": {"name": domain}}}},
        "scope": {"project": {"name": project}}}}


def iam_login(user, password, domain, project="cn-north-4", query="?nocatalog=true"):
    """POST /v3/auth/tokens; the Resp, whose X-Subject-Token header holds the token."""
    return request("POST", "/v3/auth/tokens" + query, body=iam_body(user, password, domain, project))


def is_iam_error(r, status, title):
    """r is IAM's error body {"error":{"code","title","message"}} with this status."""
    try:
        e = r.json["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return (r.status == status and list(r.json) == ["error"]
            and list(e) == ["code", "title", "message"] and e["code"] == status
            and e["title"] == title and isinstance(e["message"], str) and e["message"])


def ctl(method, path, body=None):
    return request(method, "/_emulator" + path, body=body)


def walk(page_size=1000, **params):
    """Every list item over all pages (stops on a short page), as returned."""
    out, page = [], 1
    while True:
        r = api(query=qs(page=page, page_size=page_size, **params))
        if r.status != 200:
            raise RuntimeError("walk: %r" % r)
        tasks = r.json["tasks"]
        out.extend(tasks)
        if len(tasks) < page_size:
            return out
        page += 1


def details():
    """The whole object of every task, via the control interface's id list."""
    ids = [t["id"] for t in ctl("GET", "/tasks").json["tasks"]]
    return [api("/tasks/" + urllib.parse.quote(i, safe="")).json for i in ids]


def hidden():
    """id -> hidden attributes."""
    return {t["id"]: t for t in ctl("GET", "/tasks").json["tasks"]}


def fold(s):
    """ASCII lower case, as the emulator's loose match folds."""
    return "".join(c.lower() if c < "\x80" else c for c in s)


def _line(s):
    return s.replace("\n", "\\n").replace("\t", " ")


def ok(desc):
    print("ok\t" + _line(desc), flush=True)


def fail(desc, *diag):
    print("not ok\t" + _line(desc), flush=True)
    for d in diag:
        print("#\t" + _line(str(d))[:2000], flush=True)


def check(desc, cond, *diag):
    if cond:
        ok(desc)
    else:
        fail(desc, *diag)
    return cond


def eq(desc, expected, actual):
    return check(desc, expected == actual, "expected: %r" % (expected,), "actual:   %r" % (actual,))


def is_service_error(r, status, code, param=None):
    """r is the service's error body with this status and code (and params [param])."""
    try:
        b = r.json
    except ValueError:
        return False
    keys = ["error_code", "error_msg", "detail", "params", "reason", "advice"]
    params = [param] if param else []
    return (r.status == status and list(b) == keys and b["error_code"] == code
            and b["params"] == params and all(isinstance(b[k], str) and b[k]
                                              for k in keys if k != "params"))


def is_gateway_error(r, status, code):
    try:
        b = r.json
    except ValueError:
        return False
    return (r.status == status and list(b) == ["error_code", "error_msg", "request_id"]
            and b["error_code"] == code and b["request_id"] == r.headers.get("X-Request-Id"))
