/* Unit tests: SDK-HMAC-SHA256 signing, against the signing guide's test vector. */
#include "viasfs/signature.h"

#include <string.h>

static const struct signature_header vector_headers[] = {
    {"Content-Type", "application/json"},
    {"Host", "service.region.example.com"},
    {"X-Sdk-Date", "20191115T033655Z"},
};

static const struct signature_input vector = {
    .method = "GET",
    .path = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs",
    .query = "marker=13551d6b-755d-4757-b956-536f674975c0&limit=2", /* signing sorts it */
    .headers = vector_headers,
    .n_headers = G_N_ELEMENTS(vector_headers),
};

static void test_vector(void)
{
    g_autofree char *canonical = signature_canonical_request(&vector);
    g_autofree char *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, canonical, -1);
    g_autofree char *sig =
        signature_sign(canonical, "20191115T033655Z", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");
    g_autofree char *auth =
        signature_authorization(&vector, "20191115T033655Z", "QTWAOYTTINDUT2QVKYUC",
                                "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc");

    g_assert_cmpstr(canonical, ==,
                    "GET\n/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/\n"
                    "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0\n"
                    "content-type:application/json\nhost:service.region.example.com\n"
                    "x-sdk-date:20191115T033655Z\n\ncontent-type;host;x-sdk-date\n"
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    g_assert_cmpstr(hash, ==, "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a");
    g_assert_cmpstr(sig, ==, "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
    g_assert_cmpstr(auth, ==,
                    "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, "
                    "SignedHeaders=content-type;host;x-sdk-date, "
                    "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe");
}

/* Any change to what is signed changes the signature (the test above could pass by luck). */
static void test_sensitivity(void)
{
    const char *sk = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc";
    g_autofree char *c0 = signature_canonical_request(&vector);
    g_autofree char *s0 = signature_sign(c0, "20191115T033655Z", sk);
    struct signature_input in = vector;
    struct signature_header h[3];
    g_autofree char *c1 = NULL, *c2 = NULL, *s1 = NULL, *s2 = NULL, *s3 = NULL;

    in.query = "limit=3&marker=13551d6b-755d-4757-b956-536f674975c0";
    c1 = signature_canonical_request(&in);
    s1 = signature_sign(c1, "20191115T033655Z", sk);
    g_assert_cmpstr(s0, !=, s1);
    in = vector;
    memcpy(h, vector_headers, sizeof h);
    h[1].value = "other.example.com";
    in.headers = h;
    c2 = signature_canonical_request(&in);
    s2 = signature_sign(c2, "20191115T033655Z", sk);
    g_assert_cmpstr(s0, !=, s2);
    s3 = signature_sign(c0, "20191115T033656Z", sk);
    g_assert_cmpstr(s0, !=, s3);
}

/* Segments and query values are decoded and re-encoded; a body is hashed. */
static void test_encoding(void)
{
    const struct signature_header h[] = {{"HOST", " h:8080  "}};
    struct signature_input in = {.method = "POST",
                                 .path = "/v2/p%20q/tasks/a~b_c.d-e/%7E",
                                 .query = "b=x%2Fy&a=%E4%BA%BA+&flag",
                                 .headers = h,
                                 .n_headers = 1,
                                 .body = "{}",
                                 .body_len = 2};
    g_autofree char *c = signature_canonical_request(&in);
    g_autofree char *body = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "{}", -1);
    g_autofree char *want = g_strdup_printf("POST\n/v2/p%%20q/tasks/a~b_c.d-e/~/\n"
                                            "a=%%E4%%BA%%BA%%2B&b=x%%2Fy&flag=\n"
                                            "host:h:8080\n\nhost\n%s",
                                            body);

    g_assert_cmpstr(c, ==, want);
}

static void test_date(void)
{
    char d[17];

    signature_format_date(1573788615, d);
    g_assert_cmpstr(d, ==, "20191115T033015Z");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/signature/vector", test_vector);
    g_test_add_func("/signature/sensitivity", test_sensitivity);
    g_test_add_func("/signature/encoding", test_encoding);
    g_test_add_func("/signature/date", test_date);
    return g_test_run();
}
