/* signature: Huawei Cloud's SDK-HMAC-SHA256 request signature, computed as the API gateway
 * does from a request as it was received.
 *
 * Canonical request = these lines joined by '\n': the method; the decoded path with each
 * segment percent-encoded and a '/' appended unless it ends with one; the query arguments
 * (decoded) with names and values percent-encoded, sorted by encoded name then encoded value,
 * as name=value joined by '&'; each signed header as "name:trimmed value\n", names lower-case
 * and sorted (so a blank line follows); the signed header names joined by ';'; the lower-case
 * hex SHA-256 of the body (or the literal UNSIGNED-PAYLOAD when the request says
 * X-Sdk-Content-Sha256: UNSIGNED-PAYLOAD). Percent-encoding keeps A-Za-z0-9-_.~ and writes
 * every other byte as %XX with upper-case hex. String to sign =
 * "SDK-HMAC-SHA256\n" date "\n" hex SHA-256 of the canonical request. Signature = hex
 * HMAC-SHA256 of the string to sign, keyed with the secret key as-is.
 *
 * Pure functions on GLib (GChecksum, GHmac): no HTTP, no keys, no clock. Deciding who may call
 * is aksk.c's job. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#define SIGNATURE_ALGORITHM "SDK-HMAC-SHA256"

/* The parts of an "Authorization: SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b,
 * Signature=hex" header. */
struct signature_authorization {
    char *access;          /* owned */
    char **signed_headers; /* owned, NULL-terminated; lower-case, sorted, unique, non-empty */
    char *signature;       /* owned; as sent */
};

/* Parses an Authorization header value. 0, or -EINVAL (out left empty) when it is not an
 * SDK-HMAC-SHA256 header with exactly one non-empty Access, SignedHeaders and Signature. */
int signature_authorization_parse(const char *header, struct signature_authorization *out);
void signature_authorization_release(struct signature_authorization *a);
typedef struct signature_authorization signature_authorization; /* only for g_auto() */
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(signature_authorization, signature_authorization_release)

/* Whether the header value names the SDK-HMAC-SHA256 scheme (a quick look, no parsing). */
bool signature_is_sdk_hmac(const char *header);

/* One decoded query argument; the strings may hold NUL bytes. */
struct signature_arg {
    const char *name;
    size_t name_len;
    const char *value; /* "" for an argument without '=' */
    size_t value_len;
};

/* Looks up a request header by (lower-case) name: its value, or NULL when absent. */
typedef const char *(*signature_header_fn)(void *data, const char *name);

/* Percent-encodes len bytes of s. Caller frees. */
char *signature_encode(const char *s, size_t len);

/* The lower-case hex SHA-256 of len bytes. Caller frees. */
char *signature_sha256_hex(const void *data, size_t len);

/* The canonical request. body_hash is the last line. NULL when a signed header is absent
 * from the request (it cannot have been signed as received). Caller frees. */
char *signature_canonical_request(const char *method, const char *path,
                                  const struct signature_arg *args, size_t nargs,
                                  char *const *signed_headers, signature_header_fn header,
                                  void *data, const char *body_hash);

/* The string to sign for an X-Sdk-Date value and a canonical request. Caller frees. */
char *signature_string_to_sign(const char *date, const char *canonical_request);

/* The hex HMAC-SHA256 of text keyed with key. Caller frees. */
char *signature_hmac_hex(const char *key, const char *text);

/* Compares two signatures in time that does not depend on where they differ. */
bool signature_equal(const char *a, const char *b);

/* Parses an X-Sdk-Date value, exactly YYYYMMDDTHHMMSSZ (UTC), into Unix seconds. 0, or
 * -EINVAL when it is not a valid date in that form. */
int signature_date_parse(const char *s, gint64 *unix_seconds);
