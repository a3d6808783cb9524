/* aksk: the access keys the emulated gateway knows, and the verification of requests signed
 * with them (Authorization: SDK-HMAC-SHA256 ...).
 *
 * Keys come from a file of lines "AK SK [SECURITY_TOKEN]" (whitespace-separated, '#' starts a
 * comment line), re-read when it changes. A request is accepted when, in this order: its
 * Authorization header parses; its AK is known; the AK is not locked; X-Sdk-Date is present,
 * signed, well-formed and within AKSK_DATE_WINDOW of the emulator's clock (real time plus
 * clock_skew); the AK's security token, if it has one, arrives in X-Security-Token; and the
 * signature (signature.c) matches. AKSK_FAILURES_MAX bad signatures in a row lock the AK for
 * `lockout` seconds (0: never), during which its requests are refused unverified. A good
 * signature resets the count; so does the end of a lock. Failures before the signature check
 * (date, security token) do not count.
 *
 * The messages are the gateway's error_msg texts; they never hold an SK, a security token or
 * a signature. With `verbose`, a signature mismatch logs the SHA-256 of the canonical request
 * the emulator computed (not the request itself), for comparison with a client's. */
#pragma once

#include "request.h"

#include <glib.h>
#include <stdbool.h>

#define AKSK_FAILURES_MAX 5
#define AKSK_DATE_WINDOW  (15 * 60) /* seconds */

struct aksk;

struct aksk_config {
    const char *keys_file; /* NULL: no keys, every AK is unknown */
    unsigned lockout;      /* seconds */
    gint64 clock_skew;     /* seconds */
    bool verbose;
};

/* NULL with *error set when the key file cannot be read or parsed. */
struct aksk *aksk_new(const struct aksk_config *cfg, GError **error);
void aksk_free(struct aksk *k);

enum aksk_result {
    AKSK_ACCEPTED,
    AKSK_FAILED, /* any refusal but a lock */
    AKSK_LOCKED, /* refused unverified: the AK is locked */
};

/* Verifies r, which carries an SDK-HMAC-SHA256 Authorization header. On a refusal *message
 * gets the gateway's error_msg (caller frees). Thread-safe. */
enum aksk_result aksk_verify(struct aksk *k, const struct request *r, char **message);
