/*
 * signature: SDK-HMAC-SHA256, the AK/SK request signature of Huawei Cloud's API gateway.
 * Pure functions over a request's parts: canonical request, string to sign, signature and the
 * Authorization header. The secret key is only read, never copied or logged.
 */
#ifndef VIASFS_SIGNATURE_H
#define VIASFS_SIGNATURE_H

#include <stddef.h>
#include <glib.h>

/* One header to sign. Names are matched case-insensitively; values are trimmed. */
struct signature_header {
    const char *name;
    const char *value;
};

struct signature_input {
    const char *method; /* "GET" */
    const char *path;   /* as sent, percent-encoded: "/v2/p/tasks" */
    const char *query;  /* as sent, percent-encoded, without '?'; NULL or "" for none */
    const struct signature_header *headers; /* every header that is signed */
    size_t n_headers;
    const void *body; /* NULL for none */
    size_t body_len;
};

/*
 * The canonical request: method, canonical path (each segment decoded and re-encoded, a
 * trailing '/'), canonical query (decoded, re-encoded, sorted by name then value), the
 * signed headers as "name:value\n" in name order, their names joined by ';', and the hex
 * SHA-256 of the body, joined by '\n'. Caller frees.
 */
char *signature_canonical_request(const struct signature_input *in);

/* "a;b;c": the lower-case names of @in's headers in sorted order. Caller frees. */
char *signature_signed_headers(const struct signature_input *in);

/* Hex HMAC-SHA256 over "SDK-HMAC-SHA256\n<sdk_date>\n<hex sha256(canonical)>", keyed with
 * @secret_key as is. Caller frees. */
char *signature_sign(const char *canonical, const char *sdk_date, const char *secret_key);

/* "SDK-HMAC-SHA256 Access=<ak>, SignedHeaders=<...>, Signature=<hex>". Caller frees. */
char *signature_authorization(const struct signature_input *in, const char *sdk_date,
                              const char *access_key, const char *secret_key);

/* Writes @unix_s as X-Sdk-Date "YYYYMMDDTHHMMSSZ" (UTC) into @out (17 bytes). */
void signature_format_date(gint64 unix_s, char out[17]);

#endif
