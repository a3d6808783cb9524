"""sdksign: an independent SDK-HMAC-SHA256 signer for the emulator's tests (standard library).

Written from the signing guide's description (shared/reference/vias-api-notes.md), not from
the emulator's code, so that each checks the other; aksk.sh first checks it against the
guide's test vector. A test builds a request with sign() and sends exactly what it returns.
"""
import datetime
import hashlib
import hmac
import urllib.parse

ALGORITHM = "SDK-HMAC-SHA256"


def encode(s):
    """Percent-encoding that keeps A-Za-z0-9-_.~ and writes %XX (upper-case) otherwise."""
    if isinstance(s, str):
        s = s.encode()
    return urllib.parse.quote(s, safe="")


def sdk_date(when=None):
    """X-Sdk-Date for a datetime (UTC) or now."""
    when = when or datetime.datetime.now(datetime.timezone.utc)
    return when.strftime("%Y%m%dT%H%M%SZ")


def canonical_request(method, path, query, headers, signed, body=b"", body_hash=None):
    """query: [(name, value)] decoded; headers: {name: value}; signed: lower-case names."""
    segs = [encode(urllib.parse.unquote_to_bytes(s)) for s in path.split("/")]
    uri = "/".join(segs)
    if not uri.endswith("/"):
        uri += "/"
    q = "&".join("%s=%s" % kv for kv in sorted((encode(n), encode(v)) for n, v in query))
    lower = {k.lower(): v for k, v in headers.items()}
    names = sorted(signed)
    hdrs = "".join("%s:%s\n" % (n, lower[n].strip()) for n in names)
    if body_hash is None:
        body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join([method, uri, q, hdrs, ";".join(names), body_hash])


def string_to_sign(date, canonical):
    return "%s\n%s\n%s" % (ALGORITHM, date, hashlib.sha256(canonical.encode()).hexdigest())


def signature(sk, sts):
    return hmac.new(sk.encode(), sts.encode(), hashlib.sha256).hexdigest()


def sign(method, path, query=(), headers=None, body=b"", ak="", sk="", date=None,
         signed=None, body_hash=None):
    """Signs a request: returns (path_and_query, headers) to send as they are.

    path is sent as given (already percent-encoded where needed); query is a list of decoded
    (name, value) pairs, sent in that order. signed defaults to every header given plus
    x-sdk-date. date defaults to now."""
    h = dict(headers or {})
    h.setdefault("X-Sdk-Date", date or sdk_date())
    names = signed if signed is not None else [k.lower() for k in h]
    canon = canonical_request(method, path, query, h, names, body, body_hash)
    sig = signature(sk, string_to_sign(h["X-Sdk-Date"], canon))
    h["Authorization"] = "%s Access=%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, ak, ";".join(sorted(names)), sig)
    qs = "&".join(encode(n) + "=" + encode(v) for n, v in query)
    return path + ("?" + qs if qs else ""), h
