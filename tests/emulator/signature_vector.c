/* The emulator's signature code (emulator/signature.c) against the test vector of Huawei's
 * API signing guide (shared/reference/vias-api-notes.md). Built and run by aksk.sh, which
 * compiles it with emulator/signature.c alone: it prints TAP lines without a plan. */
#include "signature.h"

#include <stdio.h>
#include <string.h>

static int n;
static int failed;

static void eq(const char *desc, const char *expected, const char *actual)
{
    n++;
    if (actual != NULL && strcmp(expected, actual) == 0) {
        printf("ok %d - %s\n", n, desc);
        return;
    }
    failed++;
    printf("not ok %d - %s\n# expected: %s\n# actual:   %s\n", n, desc, expected,
           actual ? actual : "(null)");
}

static const char *vector_header(void *data, const char *name)
{
    if (strcmp(name, "content-type") == 0)
        return "application/json";
    if (strcmp(name, "host") == 0)
        return "service.region.example.com";
    if (strcmp(name, "x-sdk-date") == 0)
        return "20191115T033655Z";
    return NULL;
}

int main(void)
{
    /* As the gateway receives it: the query decoded, in the order sent (here reversed, to
     * show that sorting is the code's job). */
    struct signature_arg args[] = {
        {"marker", 6, "13551d6b-755d-4757-b956-536f674975c0", 36},
        {"limit", 5, "2", 1},
    };
    struct signature_authorization auth;
    const char *header =
        "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, "
        "SignedHeaders=Host;x-sdk-date;content-type, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe";
    if (signature_authorization_parse(header, &auth) != 0) {
        printf("not ok 1 - the vector's Authorization header parses\n");
        return 1;
    }
    eq("Access", "QTWAOYTTINDUT2QVKYUC", auth.access);
    g_autofree char *names = g_strjoinv(";", auth.signed_headers);
    eq("SignedHeaders lower-cased and sorted", "content-type;host;x-sdk-date", names);

    g_autofree char *body = signature_sha256_hex("", 0);
    eq("hash of the empty body", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       body);
    g_autofree char *canon =
        signature_canonical_request("GET", "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs", args, 2,
                                    auth.signed_headers, vector_header, NULL, body);
    eq("canonical request",
       "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
       "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
       "content-type:application/json\nhost:service.region.example.com\n"
       "x-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\n"
       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
       canon);
    g_autofree char *canon_hash = signature_sha256_hex(canon, strlen(canon));
    eq("canonical request hash (documented)",
       "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a", canon_hash);
    g_autofree char *sts = signature_string_to_sign("20191115T033655Z", canon);
    g_autofree char *sig = signature_hmac_hex("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", sts);
    eq("signature (documented)", "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe",
       sig);
    n++;
    printf("%s %d - signature_equal agrees with the header's signature\n",
           signature_equal(sig, auth.signature) ? "ok" : (failed++, "not ok"), n);
    g_autofree char *wrong = signature_hmac_hex("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHC", sts);
    n++;
    printf("%s %d - a different SK gives a different signature\n",
           !signature_equal(wrong, auth.signature) ? "ok" : (failed++, "not ok"), n);

    g_autofree char *enc = signature_encode("a b/~_.-*\xc3\xa9", 11);
    eq("percent-encoding keeps unreserved, upper-case hex otherwise", "a%20b%2F~_.-%2A%C3%A9", enc);

    gint64 t = 0;
    n++;
    printf("%s %d - X-Sdk-Date parses\n",
           signature_date_parse("20191115T033655Z", &t) == 0 && t == 1573789015
               ? "ok"
               : (failed++, "not ok"),
           n);
    const char *bad[] = {"20191115T033655",  "2019-11-15T03:36:55Z", "20191315T033655Z",
                         "20190230T000000Z", "20191115T246000Z",     "2019111xT033655Z"};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        n++;
        printf("%s %d - X-Sdk-Date '%s' refused\n",
               signature_date_parse(bad[i], &t) != 0 ? "ok" : (failed++, "not ok"), n, bad[i]);
    }
    const char *bad_headers[] = {
        "SDK-HMAC-SHA256 Access=a, SignedHeaders=host",
        "SDK-HMAC-SHA256 Access=a, SignedHeaders=, Signature=x",
        "SDK-HMAC-SHA256 Access=a, Access=b, SignedHeaders=host, Signature=x",
        "HMAC-SHA256 Access=a, SignedHeaders=host, Signature=x",
        "SDK-HMAC-SHA256Access=a, SignedHeaders=host, Signature=x",
        "SDK-HMAC-SHA256 Access=a, SignedHeaders=host;;x, Signature=x",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad_headers); i++) {
        struct signature_authorization a;
        n++;
        printf("%s %d - malformed Authorization %zu refused\n",
               signature_authorization_parse(bad_headers[i], &a) != 0 ? "ok" : (failed++, "not ok"),
               n, i);
    }
    signature_authorization_release(&auth);
    return failed > 0;
}
