#!/usr/bin/env bash
# The emulated IAM: POST /v3/auth/tokens with the documented password body (users from
# --iam-users-file, passwords with any characters), the 201 answer (X-Subject-Token, token
# document, catalog and nocatalog), IAM's error bodies, issued tokens accepted by the API
# next to --token-file ones, expiry (--token-ttl) and revocation answered APIG.0307, the
# users file re-read on change, --region, faults on the "iam" endpoint, the counters, and
# no password or token in the log even with -v.
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh
. tests/emulator/emutap.bash
# A sanitized build (BUILD=build-sanitize) reports into files checked at the end.
export ASAN_OPTIONS="log_path=$TEST_TMP/sanitizer-emulator:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$TEST_TMP/sanitizer-emulator:print_stacktrace=1:${UBSAN_OPTIONS:-}"

# Passwords with ':', spaces (one leading, one trailing), '#', quotes, a backslash, UTF-8;
# a comment, a blank line and a CRLF line. printf is a shell builtin: nothing in argv.
USERS=$TEST_TMP/users
{
    printf '%s\n' '# IAM users of the test (DOMAIN:USER:PASSWORD)' ''
    printf '%s\n' 'acme:alice: pa:ss w#rd "q" \ é '
    printf '%s\n' 'acme:bob:bob-secret-1'
    printf '%s\n' 'other:alice:other-secret'
    printf '%s\r\n' 'acme:carol:carol-pw'
} >"$USERS"

emu_start --tasks 20 --iam-users-file "$USERS" -v || { fail "emulator starts"; finish; exit 1; }

py_tap <<'EOF'
import re, time, datetime
from emutap import *

ALICE = " pa:ss w#rd \"q\" \\ é "
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

def when(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)

ctl("DELETE", "/stats")
r = iam_login("alice", ALICE, "acme", query="")
eq("a password with ':', spaces, '#', quotes, '\\' and UTF-8 logs in: 201", 201, r.status)
tok = r.headers.get("X-Subject-Token", "")
check("the token is in X-Subject-Token and looks like a PKI token (MII...)", tok.startswith("MII"), tok[:10])
check("the token is several KB and at most 32 KB", 2000 <= len(tok) <= 32768, len(tok))
check("the token is one header-safe line", re.fullmatch(r"[A-Za-z0-9+\-=]+", tok) is not None)
eq("Content-Type", "application/json;charset=UTF-8", r.headers.get("Content-Type"))
b = r.json
eq("the body is {\"token\":{...}}", ["token"], list(b))
t = b["token"]
for k in ["expires_at", "issued_at", "methods", "project", "user", "catalog"]:
    check("token.%s is there" % k, k in t, list(t))
eq("methods", ["password"], t["methods"])
eq("catalog is there (empty) without nocatalog", [], t["catalog"])
check("expires_at is ISO-8601 UTC with microseconds", ISO.match(t["expires_at"]), t["expires_at"])
check("issued_at is ISO-8601 UTC with microseconds", ISO.match(t["issued_at"]), t["issued_at"])
eq("the token lasts 24 h by default", 86400.0, (when(t["expires_at"]) - when(t["issued_at"])).total_seconds())
now = datetime.datetime.now(datetime.timezone.utc)
check("issued_at is now", abs((when(t["issued_at"]) - now).total_seconds()) < 60, t["issued_at"])
eq("project.id is the emulator's project", PROJECT, t["project"]["id"])
eq("project.name is the region", "cn-north-4", t["project"]["name"])
eq("project.domain.name is the account", "acme", t["project"]["domain"]["name"])
eq("user.name", "alice", t["user"]["name"])
eq("user.domain.name", "acme", t["user"]["domain"]["name"])
check("user.id and domain.id are 32 hex digits",
      re.fullmatch("[0-9a-f]{32}", t["user"]["id"]) and re.fullmatch("[0-9a-f]{32}", t["user"]["domain"]["id"]), t["user"])

r2 = iam_login("alice", ALICE, "acme")
eq("?nocatalog=true: 201", 201, r2.status)
check("?nocatalog=true: no catalog", "catalog" not in r2.json["token"], list(r2.json["token"]))
tok2 = r2.headers.get("X-Subject-Token", "")
check("each login gets a new token", tok2.startswith("MII") and tok2 != tok)
r3 = iam_login("alice", ALICE, "acme", query="?nocatalog=")
check("?nocatalog= (empty) keeps the catalog", r3.status == 201 and "catalog" in r3.json["token"], r3)
check("another account's user of the same name has another id",
      iam_login("alice", "other-secret", "other").json["token"]["user"]["id"] != t["user"]["id"])
eq("a CRLF line: the \\r is not part of the password", 201, iam_login("carol", "carol-pw", "acme").status)
body = iam_body("bob", "bob-secret-1", "acme")
body["auth"]["scope"] = {"project": {"id": PROJECT}}
eq("scope by project id: 201", 201, request("POST", "/v3/auth/tokens", body=body).status)

# The token opens the API, as does the --token-file one.
eq("the issued token lists tasks", 200, api(token=tok).status)
task = api(token=tok).json["tasks"][0]["id"]
eq("the issued token reads a task", 200, api("/tasks/" + task, token=tok).status)
eq("the second token works too", 200, api(token=tok2).status)
eq("the --token-file token still works", 200, api().status)
r = api(project="ffffffffffffffffffffffffffffffff", token=tok)
check("the token on another project: 403 APIG.0302", is_gateway_error(r, 403, "APIG.0302"), r)
r = api(token="MII" + tok[3:-8] + "AAAAAAAA")
check("an unknown MII... token: 401 APIG.0301 (not 0307)", is_gateway_error(r, 401, "APIG.0301"), r)

# Refusals, in IAM's shape.
for desc, args in [("a wrong password", ("alice", ALICE.strip(), "acme")),
                   ("a password off by one character", ("bob", "bob-secret-2", "acme")),
                   ("an unknown user", ("mallory", "bob-secret-1", "acme")),
                   ("the wrong account", ("bob", "bob-secret-1", "other")),
                   ("the right password of another user", ("bob", "other-secret", "acme"))]:
    r = iam_login(*args)
    check("%s: 401 {\"error\":{\"code\":401,\"title\":\"Unauthorized\",...}}" % desc, is_iam_error(r, 401, "Unauthorized"), r)
    check("%s: no X-Subject-Token" % desc, r.headers.get("X-Subject-Token") is None)
r = iam_login("bob", "bob-secret-2", "acme")
eq("the wrong-password message does not say which part was wrong", "The username or password is wrong.", r.json["error"]["message"])
r = iam_login("bob", "bob-secret-1", "acme", project="ap-southeast-1")
check("a scope naming another region: 401", is_iam_error(r, 401, "Unauthorized"), r)
check("... and the message names the region", "cn-north-4" in r.json["error"]["message"], r)
bad_bodies = [
    (b"not json", "a body that is not JSON"),
    (b"[1,2]", "a JSON array"),
    ({}, "an empty object"),
    ({"auth": {"identity": {"methods": ["token"], "token": {"id": "x"}}}}, "the token method"),
]
b = iam_body("bob", "bob-secret-1", "acme"); del b["auth"]["identity"]["password"]["user"]["password"]
bad_bodies.append((b, "no password"))
b = iam_body("bob", "bob-secret-1", "acme"); b["auth"]["identity"]["password"]["user"]["domain"] = {"id": "x"}
bad_bodies.append((b, "no domain name"))
b = iam_body("bob", "", "acme")
bad_bodies.append((b, "an empty password"))
b = iam_body("bob", "bob-secret-1", "acme"); del b["auth"]["scope"]
bad_bodies.append((b, "no scope"))
b = iam_body("bob", 12345, "acme")
bad_bodies.append((b, "a password that is a number"))
for body, desc in bad_bodies:
    r = request("POST", "/v3/auth/tokens", body=body)
    check("%s: 400 Bad Request in IAM's shape" % desc, is_iam_error(r, 400, "Bad Request"), r)
for method in ["GET", "PUT", "DELETE"]:
    r = request(method, "/v3/auth/tokens")
    check("%s /v3/auth/tokens: 405 with Allow: POST" % method,
          is_iam_error(r, 405, "Method Not Allowed") and r.headers.get("Allow") == "POST", r)
r = request("POST", "/v3/auth/tokens/", body=iam_body("bob", "bob-secret-1", "acme"))
check("POST /v3/auth/tokens/ (trailing slash): 404 APIG.0101", is_gateway_error(r, 404, "APIG.0101"), r)

s = ctl("GET", "/stats").json
eq("stats: tokens issued", 6, s["auth"]["tokens_issued"])
eq("stats: IAM failures (7 refused logins, %d bad bodies, 3 wrong methods)" % len(bad_bodies),
   7 + len(bad_bodies) + 3, s["auth"]["iam_failures"])
eq("stats: IAM requests by status", {"201": 6, "401": 7, "400": len(bad_bodies), "405": 3}, s["requests"]["iam"])
eq("stats keys", ["tokens_issued", "iam_failures", "tokens_expired", "aksk_accepted", "aksk_failed", "aksk_locked"], list(s["auth"]))

# Revocation: the client must renew on APIG.0307.
eq("GET /_emulator/tokens counts the tokens", {"issued": 6, "valid": 6, "expired": 0, "revoked": 0}, ctl("GET", "/tokens").json)
eq("POST /_emulator/tokens/revoke: the number revoked", {"revoked": 6}, ctl("POST", "/tokens/revoke").json)
r = api(token=tok)
check("a revoked token: 401 APIG.0307", is_gateway_error(r, 401, "APIG.0307"), r)
check("... whose message says the token must be updated", "must be updated" in r.json["error_msg"], r)
eq("a revoked token on the detail path: 401", 401, api("/tasks/" + task, token=tok2).status)
eq("the --token-file token is not revoked", 200, api().status)
new = iam_login("bob", "bob-secret-1", "acme").headers.get("X-Subject-Token", "")
eq("a token issued after the revocation works (renew on 0307)", 200, api(token=new).status)
eq("stats: tokens_expired counts the 0307 answers", 2, ctl("GET", "/stats").json["auth"]["tokens_expired"])
eq("GET /_emulator/tokens after it", {"issued": 7, "valid": 1, "expired": 0, "revoked": 6}, ctl("GET", "/tokens").json)
eq("revoke is POST only", 405, ctl("GET", "/tokens/revoke").status)

# Faults: "all" spares IAM; "iam" selects it.
ctl("PUT", "/faults", {"error_500": {"rate": 1}})
eq("endpoints=all: a login is not faulted", 201, iam_login("bob", "bob-secret-1", "acme").status)
ctl("PUT", "/faults", {"endpoints": "iam", "error_500": {"rate": 1, "count": 1}})
r = iam_login("bob", "bob-secret-1", "acme")
check("endpoints=iam: a 500 in IAM's shape", is_iam_error(r, 500, "Internal Server Error"), r)
eq("endpoints=iam: the API is spared", 200, api(token=new).status)
eq("endpoints=iam: the next login is served", 201, iam_login("bob", "bob-secret-1", "acme").status)
ctl("DELETE", "/faults")
EOF

# The users file is re-read when it changes; an invalid one keeps the last good users.
login() {
    curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data @"$1" \
        "$EMU_URL/v3/auth/tokens?nocatalog=true"
}
printf '%s' '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"dave","password":"dave pw","domain":{"name":"acme"}}}},"scope":{"project":{"name":"cn-north-4"}}}}' >"$TEST_TMP/dave.json"
check_eq "a user not in the file: 401" 401 "$(login "$TEST_TMP/dave.json")"
{ cat "$USERS"; printf '%s\n' 'acme:dave:dave pw'; } >"$USERS.new" && mv "$USERS.new" "$USERS"
check_eq "after adding the user by rename: 201" 201 "$(login "$TEST_TMP/dave.json")"
printf '%s\n' 'acme:dave:dave pw' 'this line has no colon secret-in-a-bad-line' >"$USERS.new" && mv "$USERS.new" "$USERS"
check_eq "an invalid file: the last good users stay" 201 "$(login "$TEST_TMP/dave.json")"
check "an invalid file: a warning naming the line" grep -q "users.*line 2" "$TEST_TMP/emulator.log"
printf '%s\n' 'acme:bob:bob-secret-1' >"$USERS.new" && mv "$USERS.new" "$USERS"
check_eq "after removing the user: 401" 401 "$(login "$TEST_TMP/dave.json")"

# Nothing secret in the log, even with -v.
check "the log shows the requests (-v)" grep -q "POST /v3/auth/tokens 201" "$TEST_TMP/emulator.log"
leaks=0
for secret in 'pa:ss w#rd' bob-secret-1 other-secret carol-pw 'dave pw' secret-in-a-bad-line MII; do
    grep -qF -- "$secret" "$TEST_TMP/emulator.log" && { leaks=1; diag "the log holds a secret (${#secret} characters)"; }
done
check_eq "no password or token in the log" 0 "$leaks"
emu_stop

# --token-ttl: tokens expire, and then answer APIG.0307; --region names the scope.
emu_start --tasks 5 --iam-users-file "$USERS" --token-ttl 1 --region ap-southeast-3 ||
    { fail "emulator starts with --token-ttl 1 --region ap-southeast-3"; finish; exit 1; }
py_tap <<'EOF'
import time, datetime
from emutap import *
r = iam_login("bob", "bob-secret-1", "acme")
check("--region: cn-north-4 is now the wrong scope", is_iam_error(r, 401, "Unauthorized"), r)
r = iam_login("bob", "bob-secret-1", "acme", project="ap-southeast-3")
eq("--region: the scope names it", 201, r.status)
eq("--region: project.name", "ap-southeast-3", r.json["token"]["project"]["name"])
tok = r.headers["X-Subject-Token"]
f = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
eq("--token-ttl 1: expires_at is issued_at + 1 s", 1.0,
   (f(r.json["token"]["expires_at"]) - f(r.json["token"]["issued_at"])).total_seconds())
eq("a fresh token works", 200, api(token=tok).status)
time.sleep(1.2)
r = api(token=tok)
check("an expired token: 401 APIG.0307", is_gateway_error(r, 401, "APIG.0307"), r)
check("... saying it expired", "expired" in r.json["error_msg"], r)
eq("GET /_emulator/tokens: it counts as expired", {"issued": 1, "valid": 0, "expired": 1, "revoked": 0}, ctl("GET", "/tokens").json)
tok = iam_login("bob", "bob-secret-1", "acme", project="ap-southeast-3").headers["X-Subject-Token"]
eq("a new token works again", 200, api(token=tok).status)
EOF
emu_stop

# Without --iam-users-file nobody logs in.
emu_start --tasks 5 || { fail "emulator starts"; finish; exit 1; }
check_eq "without --iam-users-file: a login is 401" 401 "$(login "$TEST_TMP/dave.json")"

emu_stop
if sanitizer_reports emulator; then fail "no sanitizer report from the emulator"; else
    ok "no sanitizer report from the emulator"
fi
finish
