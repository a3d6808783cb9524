#!/usr/bin/env bash
# AK/SK signatures (SDK-HMAC-SHA256): the emulator's signature code against the signing
# guide's test vector (signature_vector.c, compiled here), an independent Python signer
# (sdksign.py) checked against the same vector and then used on the emulator: what is signed
# (method, path, query, signed headers, body) and what is not, X-Sdk-Date rules and
# --clock-skew, security tokens, unknown AKs, the key file re-read on change, the lockout
# after five bad signatures in a row (and not before), the counters, and no secret in the log.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash
# A sanitized build (BUILD=build-sanitize) reports into files checked at the end.
export ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-emulator:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-emulator:print_stacktrace=1:${UBSAN_OPTIONS:-}"

# TAP lines of a program ("ok N - d" / "not ok N - d") into this test's TAP.
relay_tap() {
    local line
    while IFS= read -r line; do
        case "$line" in
        "ok "*) ok "${line#ok * - }" ;;
        "not ok "*) fail "${line#not ok * - }" ;;
        *) echo "# $line" ;;
        esac
    done
}

# 1. The emulator's own code against the documented vector.
if command -v "${CC:-cc}" >/dev/null && pkg-config --exists glib-2.0; then
    # shellcheck disable=SC2046
    if "${CC:-cc}" -std=gnu11 -Wall -Iemulator $(pkg-config --cflags glib-2.0) \
        -o "$TEST_TMP/signature_vector" tests/emulator/signature_vector.c emulator/signature.c \
        $(pkg-config --libs glib-2.0) 2>"$TEST_TMP/cc.log"; then
        "$TEST_TMP/signature_vector" >"$TEST_TMP/vector.tap"
        rc=$?
        relay_tap <"$TEST_TMP/vector.tap"
        check_eq "signature_vector exits 0" 0 "$rc"
    else
        fail "signature_vector.c compiles"
        sed 's/^/# /' "$TEST_TMP/cc.log"
    fi
else
    skip "no C compiler or glib-2.0: the emulator's signature code is not checked directly"
fi

# 2. The Python signer against the documented vector.
py_tap <<'EOF'
from emutap import *
import sdksign, hashlib
q = [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")]
h = {"Content-Type": "application/json", "Host": "service.region.example.com", "X-Sdk-Date": "20191115T033655Z"}
c = sdksign.canonical_request("GET", "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs", q, h, ["content-type", "host", "x-sdk-date"])
eq("python signer: the vector's canonical request hash", "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a",
   hashlib.sha256(c.encode()).hexdigest())
sig = sdksign.signature("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", sdksign.string_to_sign("20191115T033655Z", c))
eq("python signer: the vector's signature", "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe", sig)
pq, hh = sdksign.sign("GET", "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs", list(reversed(q)), h,
                      ak="QTWAOYTTINDUT2QVKYUC", sk="MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc")
eq("python signer: sign() builds the vector's Authorization",
   "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "
   "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe", hh["Authorization"])
EOF

# The keys: a plain one, a temporary one with a security token, the vector's (a public,
# documented pair). Written with printf, a builtin: no secret in argv.
KEYS=$TEST_TMP/aksk
{
    printf '%s\n' '# AK SK [SECURITY_TOKEN]' ''
    printf '%s\n' 'AK1TESTKEY0000000001   SK1-test-secret-key-0000000000000000001'
    printf '%s\t%s\t%s\n' 'AKTEMP00000000000002' 'SKTEMP-test-secret-00000000000000000002' \
        'gQpzZWN1cml0eS10b2tlbi1mb3ItdGhlLWVtdWxhdG9yLXRlc3RzLi4u'
    printf '%s\r\n' 'QTWAOYTTINDUT2QVKYUC MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc'
} >"$KEYS"
export AKSK_FILE=$KEYS EMU_LOG=$TEST_TMP/emulator.log

# 3. Signed requests against the emulator (no lockout here: tampering tests fail a lot).
emu_start --tasks 30 --aksk-file "$KEYS" --aksk-lockout 0 --action-delay 0 --delete-delay 0 -v || { fail "emulator starts"; finish; exit 1; }
py_tap <<'EOF'
import datetime, hashlib, os, re, urllib.parse
from emutap import *
import sdksign

HOST = urllib.parse.urlsplit(URL).netloc
SK = {"AK1TESTKEY0000000001": "SK1-test-secret-key-0000000000000000001",
      "AKTEMP00000000000002": "SKTEMP-test-secret-00000000000000000002"}
SECURITY_TOKEN = "gQpzZWN1cml0eS10b2tlbi1mb3ItdGhlLWVtdWxhdG9yLXRlc3RzLi4u"
AK = "AK1TESTKEY0000000001"
expect = {"aksk_accepted": 0, "aksk_failed": 0, "aksk_locked": 0}

def signed(method="GET", rest="/tasks", query=(), headers=None, body=b"", ak=AK, sk=None,
           send_path=None, send_body=None, send_method=None, after=None, **kw):
    """Signs a request to /v2/{project}{rest} and sends it (optionally changed after signing)."""
    h = {"Host": HOST, "Content-Type": "application/json"}
    h.update(headers or {})
    pq, h = sdksign.sign(method, "/v2/%s%s" % (PROJECT, rest), query, h, body, ak,
                         sk if sk is not None else SK.get(ak, "x"), **kw)
    if after:
        after(h)
    b = body if send_body is None else send_body
    return request(send_method or method, send_path(pq) if send_path else pq, body=b or None, headers=h)

def accepted(desc, r, status=200):
    expect["aksk_accepted"] += 1
    return eq(desc, status, r.status) or diag(r)

def refused(desc, r, needle):
    expect["aksk_failed"] += 1
    return check(desc, is_gateway_error(r, 401, "APIG.0301") and needle in r.json["error_msg"], r)

def diag(r):
    print("#\t%r" % (r,))

ctl("DELETE", "/stats")
r = signed(query=[("page_size", "5"), ("sort_dir", "asc")])
accepted("a signed list request (no X-Auth-Token): 200", r)
eq("... with the page asked for", 5, len(r.json["tasks"]) if r.status == 200 else None)
task = r.json["tasks"][0]["id"]
r = signed(rest="/tasks/" + task)
accepted("a signed detail request: 200", r)
eq("... the same body as with a token", api("/tasks/" + task).body, r.body)
accepted("the query sent in another order than sorted", signed(query=[("sort_dir", "asc"), ("page_size", "5")]))
accepted("query values with space, '+', '/', '&', '=', '~', '*' and UTF-8 (percent-encoded)",
         signed(query=[("task_name", "a b+c/d&e=f~g*h é"), ("camera_name", "x")]))
accepted("a repeated query name (sorted by value)", signed(query=[("title", "ab"), ("title", "aa"), ("page_size", "5")]))
accepted("'+' in the query as sent means a space (signed as %20)",
         signed(query=[("task_name", "a b")], send_path=lambda p: p.replace("a%20b", "a+b")))
accepted("a query name without '=' signs as name=",
         signed(query=[("page_size", "5"), ("flag", "")], send_path=lambda p: p.replace("flag=", "flag")))
r = signed(rest="/tasks/a%20b%2Bc")
accepted("a percent-encoded path segment: signed encoded, the request gets through (400 no task)", r, 400)
check("... with the service's 400", is_service_error(r, 400, "VIAS.00010007", "task_id"), r)
accepted("HEAD", signed("HEAD"))
ctl("PUT", "/tasks/%s/state" % task, {"state": "RUNNING"})
accepted("PUT action/stop with an empty body", signed("PUT", "/tasks/%s/action/stop" % task))
accepted("PUT action/start with a signed JSON body", signed("PUT", "/tasks/%s/action/start" % task, body=b'{"why":"test"}'))
UPDATE = json.dumps({"name": "signed-update", "input": {"type": "url", "data": [{"url": "rtsp://10.0.0.1/a"}]}}).encode()
accepted("PUT update with a signed JSON body", signed("PUT", "/tasks/" + task, body=UPDATE))
eq("... the update was carried out", "signed-update", api("/tasks/" + task).json["name"])
CREATE = json.dumps({"name": "signed-create", "input": {"type": "url", "data": [{"url": "rtsp://10.0.0.1/b"}]},
                     "output": {"obs": {"bucket": "b", "path": "p/"}}, "service_version": "1.0"}).encode()
r = signed("POST", "/services/face/tasks", body=CREATE)
accepted("POST create with a signed JSON body", r)
new_id = r.json["tasks"][0]["id"] if r.status == 200 else "none"
eq("... the new task exists", "signed-create", api("/tasks/" + new_id).json.get("name"))
accepted("DELETE signed", signed("DELETE", "/tasks/" + new_id))
ctl("PUT", "/tasks/%s/state" % task, {"state": "STOPPED"})
accepted("an unsigned header may change", signed(after=lambda h: h.update({"User-Agent": "changed/1.0", "X-Extra": "1"})))
accepted("only x-sdk-date signed", signed(signed=["x-sdk-date"]))
accepted("X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD leaves the body out",
         signed("PUT", "/tasks/%s/action/start" % task, headers={"X-Sdk-Content-Sha256": "UNSIGNED-PAYLOAD"},
                body=b'{"a":1}', body_hash="UNSIGNED-PAYLOAD", send_body=b'{"b":2}'))
now = datetime.datetime.now(datetime.timezone.utc)
accepted("X-Sdk-Date 14 minutes old", signed(date=sdksign.sdk_date(now - datetime.timedelta(minutes=14))))
accepted("X-Sdk-Date 14 minutes ahead", signed(date=sdksign.sdk_date(now + datetime.timedelta(minutes=14))))

FAIL = "verify aksk signature fail"
refused("a wrong SK: 401 APIG.0301", signed(sk=SK[AK][:-1] + "2"), FAIL)
refused("the SK of another AK", signed(sk=SK["AKTEMP00000000000002"]), FAIL)
refused("a tampered query value", signed(query=[("page_size", "5")], send_path=lambda p: p.replace("=5", "=6")), FAIL)
refused("an added query argument", signed(query=[("page_size", "5")], send_path=lambda p: p + "&sort_dir=asc"), FAIL)
refused("a dropped query argument", signed(query=[("page_size", "5"), ("sort_dir", "asc")],
                                           send_path=lambda p: p.replace("&sort_dir=asc", "")), FAIL)
refused("a tampered path", signed(rest="/tasks/" + task, send_path=lambda p: p[:-1] + "0"), FAIL)
refused("another method", signed("HEAD", send_method="GET"), FAIL)
refused("a tampered body", signed("PUT", "/tasks/%s/action/start" % task, body=b'{"a":1}', send_body=b'{"a":2}'), FAIL)
refused("a tampered update body", signed("PUT", "/tasks/" + task, body=UPDATE, send_body=UPDATE.replace(b"signed-update", b"signed-updatf")), FAIL)
refused("a tampered create body", signed("POST", "/services/face/tasks", body=CREATE, send_body=CREATE.replace(b"1.0", b"2.0")), FAIL)
eq("refused calls changed nothing", ("signed-update", 0), (api("/tasks/" + task).json["name"], len(walk(task_name="signed-updatf"))))
refused("a changed signed header", signed(after=lambda h: h.update({"Content-Type": "text/plain"})), FAIL)
refused("a signed header left out of the request", signed(headers={"X-Gone": "1"}, after=lambda h: h.pop("X-Gone")), "missing")
refused("a signature in upper case", signed(after=lambda h: h.update({"Authorization": h["Authorization"][:-64] + h["Authorization"][-64:].upper()})), FAIL)
r = signed(sk="wrong", after=lambda h: h.update({"X-Auth-Token": TOKEN}))
refused("a good X-Auth-Token does not save a bad signature", r, FAIL)
refused("an unknown AK", signed(ak="AKUNKNOWN00000000000"), "ak:AKUNKNOWN00000000000,err:ak not exist")
for desc, value in [("no Access", "SDK-HMAC-SHA256 SignedHeaders=host, Signature=ab"),
                    ("no Signature", "SDK-HMAC-SHA256 Access=%s, SignedHeaders=host" % AK),
                    ("an unknown member", "SDK-HMAC-SHA256 Access=%s, SignedHeaders=host, Signature=ab, Extra=1" % AK)]:
    refused("a malformed Authorization (%s)" % desc, request("GET", "/v2/%s/tasks" % PROJECT, headers={"Authorization": value}), FAIL)
refused("X-Sdk-Date not signed", signed(signed=["host"]), "X-Sdk-Date")
refused("no X-Sdk-Date", signed(signed=["host"], after=lambda h: h.pop("X-Sdk-Date")), "X-Sdk-Date")
refused("X-Sdk-Date not in YYYYMMDDTHHMMSSZ", signed(date=now.strftime("%Y-%m-%dT%H:%M:%SZ")), "YYYYMMDDTHHMMSSZ")
refused("X-Sdk-Date 16 minutes old: out of range", signed(date=sdksign.sdk_date(now - datetime.timedelta(minutes=16))), "out of range")
refused("X-Sdk-Date 16 minutes ahead: out of range", signed(date=sdksign.sdk_date(now + datetime.timedelta(minutes=16))), "out of range")
r = request("GET", "/v2/%s/tasks" % PROJECT, headers={"Authorization": "Basic dXNlcjpwdw==", "X-Auth-Token": TOKEN})
eq("another Authorization scheme is not AK/SK: the token decides", 200, r.status)

# A temporary AK: its security token must come along.
T = "AKTEMP00000000000002"
refused("a temporary AK without X-Security-Token", signed(ak=T), "X-Security-Token")
refused("a temporary AK with a wrong X-Security-Token", signed(ak=T, headers={"X-Security-Token": SECURITY_TOKEN[:-1] + "x"}), "X-Security-Token")
accepted("a temporary AK with its security token (signed)", signed(ak=T, headers={"X-Security-Token": SECURITY_TOKEN}))
accepted("... or unsigned", signed(ak=T, after=lambda h: h.update({"X-Security-Token": SECURITY_TOKEN})))

# The vector's pair is a known key too (the \r\n line of the file).
accepted("the documented AK/SK, signing content-type, host and x-sdk-date", signed(ak="QTWAOYTTINDUT2QVKYUC", sk="MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"))

s = ctl("GET", "/stats").json
eq("stats: AK/SK accepted, failed and locked", expect, {k: s["auth"][k] for k in expect})

# -v logs the hash of the canonical request the emulator computed: it equals the signer's.
pq, h = sdksign.sign("GET", "/v2/%s/tasks" % PROJECT, [("page_size", "7")], {"Host": HOST}, b"", AK, SK[AK])
request("GET", pq, headers=h)
mine = hashlib.sha256(sdksign.canonical_request("GET", "/v2/%s/tasks" % PROJECT, [("page_size", "7")],
                                                h, ["host", "x-sdk-date"]).encode()).hexdigest()
logged = re.findall(AK + r": canonical request sha256 ([0-9a-f]{64})", open(os.environ["EMU_LOG"]).read())
eq("-v: the logged canonical request hash is the signer's", mine, logged[-1] if logged else None)

# The key file is re-read when it changes.
path = os.environ["AKSK_FILE"]
text = open(path).read()
with open(path + ".new", "w") as f:
    f.write(text.replace(SK[AK], "SK1-rotated-secret-000000000000000000001"))
os.rename(path + ".new", path)
refused("after rotating the SK in the file: the old SK fails", signed(), FAIL)
accepted("... and the new one works", signed(sk="SK1-rotated-secret-000000000000000000001"))
with open(path + ".new", "w") as f:
    f.write(text + "one-field-only\n")
os.rename(path + ".new", path)
accepted("an invalid key file keeps the last good keys", signed(sk="SK1-rotated-secret-000000000000000000001"))
with open(path + ".new", "w") as f:
    f.write(text)
os.rename(path + ".new", path)
accepted("the fixed file is read again", signed())
EOF
check "an invalid key file: a warning naming the line" grep -q "aksk: line 6: expected AK SK" "$TEST_TMP/emulator.log"
leaks=0
for secret in SK1-test-secret SK1-rotated SKTEMP-test-secret gQpzZWN1cml0eS10b2tlbi MFyfvK41ba2giqM7Uio6; do
    grep -qF -- "$secret" "$TEST_TMP/emulator.log" && { leaks=1; diag "the log holds a secret starting ${secret:0:4}"; }
done
check_eq "no SK or security token in the log (-v)" 0 "$leaks"
emu_stop

# 4. The lockout, on an emulator whose clock is the test vector's date (--clock-skew).
now=$(date -u +%s)
skew=$((1573789015 - now))
emu_start --tasks 10 --aksk-file "$KEYS" --aksk-lockout 2 --clock-skew="$skew" ||
    { fail "emulator starts with --clock-skew $skew"; finish; exit 1; }
SKEW=$skew py_tap <<'EOF'
import datetime, os, time, urllib.parse
from emutap import *
import sdksign

HOST = urllib.parse.urlsplit(URL).netloc
SKEW = datetime.timedelta(seconds=int(os.environ["SKEW"]))
AK, SK = "AK1TESTKEY0000000001", "SK1-test-secret-key-0000000000000000001"
VAK, VSK = "QTWAOYTTINDUT2QVKYUC", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"

def emu_now():
    return datetime.datetime.now(datetime.timezone.utc) + SKEW

def signed(ak=AK, sk=SK, date=None, query=(("page_size", "5"),)):
    pq, h = sdksign.sign("GET", "/v2/%s/tasks" % PROJECT, list(query),
                         {"Host": HOST, "Content-Type": "application/json"}, b"", ak, sk,
                         date=date or sdksign.sdk_date(emu_now()))
    return request("GET", pq, headers=h)

r = signed(date=sdksign.sdk_date())
check("--clock-skew: a request dated by the real clock is out of range", r.status == 401 and "out of range" in r.json["error_msg"], r)
r = signed(ak=VAK, sk=VSK, date="20191115T033655Z")
eq("--clock-skew to the vector's date: the vector's AK/SK and X-Sdk-Date are accepted", 200, r.status)
eq("... 14 minutes after it too", 200, signed(date=sdksign.sdk_date(emu_now() + datetime.timedelta(minutes=14))).status)
eq("... 16 minutes after it not", 401, signed(date=sdksign.sdk_date(emu_now() + datetime.timedelta(minutes=16))).status)

ctl("DELETE", "/stats")
for i in range(4):
    r = signed(sk="bad-" + SK)
    check("bad signature %d of 4: verify fail, not locked" % (i + 1), r.status == 401 and "verify aksk signature fail" in r.json["error_msg"], r)
eq("four bad signatures do not lock: a good one passes (and resets the count)", 200, signed().status)
for i in range(5):
    r = signed(sk="bad-" + SK)
    check("bad signature %d of 5: verify fail" % (i + 1), r.status == 401 and "verify aksk signature fail" in r.json["error_msg"], r)
r = signed()
check("after five bad signatures in a row even a good one is refused: 401 APIG.0301", is_gateway_error(r, 401, "APIG.0301"), r)
check("... saying the AK is locked", "AK access failed to reach the limit" in r.json["error_msg"] and "locked" in r.json["error_msg"], r)
r = signed(sk="bad-" + SK)
check("while locked a bad signature is not verified either", "locked" in r.json.get("error_msg", ""), r)
eq("another AK is not locked", 200, signed(ak=VAK, sk=VSK).status)
for i in range(6):
    signed(ak=VAK, sk=VSK, date="20000101T000000Z")
eq("six out-of-range dates do not count as bad signatures", 200, signed(ak=VAK, sk=VSK).status)
s = ctl("GET", "/stats").json["auth"]
eq("stats: accepted 3, failed 4+5+6, locked 2",
   {"aksk_accepted": 3, "aksk_failed": 4 + 5 + 6, "aksk_locked": 2},
   {k: s[k] for k in ("aksk_accepted", "aksk_failed", "aksk_locked")})
time.sleep(2.2)
eq("--aksk-lockout 2: two seconds later the AK works again", 200, signed().status)
for i in range(4):
    signed(sk="bad-" + SK)
eq("the count started again from zero: four more bad ones do not lock", 200, signed().status)
EOF
emu_stop

emu_stop
if sanitizer_reports emulator; then fail "no sanitizer report from the emulator"; else
    ok "no sanitizer report from the emulator"
fi
finish
