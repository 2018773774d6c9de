#include "testutil.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "net/cert.h"
#include "okno/err.h"

#define FIXTURE(name) OKNO_SRCDIR "/tests/unit/net/fixtures/" name

/* From `openssl x509 -fingerprint` on the fixture (see fixtures/README.md). */
#define FIXTURE_SHA256                                                                             \
    "sha-256 3F:CD:54:58:73:55:83:18:C3:88:F0:90:C3:7C:4F:6D:D3:A3:81:68:B7:2D:47:7E:F9:3B:4F:F5:" \
    "D7:E6:13:EF"
#define FIXTURE_SHA1 "sha-1 77:D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC:B4"

static void test_cert_generate_makes_self_signed_p256_certificate(void **state)
{
    (void)state;
    struct okno_cert *cert = NULL;
    assert_int_equal(okno_cert_generate("kiosk-17", &cert), 0);
    X509 *x = okno__cert_x509(cert);
    EVP_PKEY *key = okno__cert_key(cert);
    assert_true(EVP_PKEY_is_a(key, "EC"));
    char group[32];
    size_t glen = 0;
    assert_int_equal(EVP_PKEY_get_group_name(key, group, sizeof group, &glen), 1);
    assert_string_equal(group, "prime256v1");
    assert_int_equal(X509_verify(x, key), 1); /* signed by its own key */
    assert_int_equal(X509_NAME_cmp(X509_get_subject_name(x), X509_get_issuer_name(x)), 0);
    char cn[32];
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn) >
                0);
    assert_string_equal(cn, "kiosk-17");
    assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
    assert_true(X509_cmp_current_time(X509_get0_notAfter(x)) > 0);
    okno_cert_free(cert);
}

static void test_cert_sdp_fingerprint_is_sha256_of_der_in_upper_hex(void **state)
{
    (void)state;
    struct okno_cert *cert = NULL;
    assert_int_equal(okno_cert_generate(NULL, &cert), 0);
    unsigned char digest[32];
    unsigned int n = 0;
    assert_int_equal(X509_digest(okno__cert_x509(cert), EVP_sha256(), digest, &n), 1);
    assert_int_equal(n, 32);
    char want[OKNO_FP_SDP_MAX];
    int off = snprintf(want, sizeof want, "sha-256 ");
    for (unsigned i = 0; i < n; i++)
        off += snprintf(want + off, sizeof want - (size_t)off, i ? ":%02X" : "%02X", digest[i]);
    assert_string_equal(okno_cert_fingerprint_sdp(cert), want);
    assert_int_equal(strlen(want), 8 + 32 * 3 - 1);
    okno_cert_free(cert);
}

static void test_cert_two_generated_certificates_differ(void **state)
{
    (void)state;
    struct okno_cert *a = NULL, *b = NULL;
    assert_int_equal(okno_cert_generate(NULL, &a), 0);
    assert_int_equal(okno_cert_generate(NULL, &b), 0);
    assert_string_not_equal(okno_cert_fingerprint_sdp(a), okno_cert_fingerprint_sdp(b));
    okno_cert_free(a);
    okno_cert_free(b);
}

static void test_cert_load_pem_matches_openssl_command_line_fingerprints(void **state)
{
    (void)state;
    struct okno_cert *cert = NULL;
    assert_int_equal(okno_cert_load_pem(FIXTURE("ec-cert.pem"), FIXTURE("ec-key.pem"), &cert), 0);
    assert_string_equal(okno_cert_fingerprint_sdp(cert), FIXTURE_SHA256);
    struct okno_fingerprint fp;
    char text[OKNO_FP_SDP_MAX];
    assert_int_equal(okno_cert_fingerprint(cert, OKNO_FP_SHA1, &fp), 0);
    assert_int_equal(okno_cert_fingerprint_format(&fp, text, sizeof text), strlen(FIXTURE_SHA1));
    assert_string_equal(text, FIXTURE_SHA1);
    okno_cert_free(cert);
}

static void test_cert_load_pem_rejects_missing_foreign_and_non_ec_keys(void **state)
{
    (void)state;
    struct okno_cert *cert = (struct okno_cert *)&cert; /* must be reset to NULL on failure */
    assert_int_equal(okno_cert_load_pem(FIXTURE("nonexistent.pem"), FIXTURE("ec-key.pem"), &cert),
                     OKNO_E_IO);
    assert_null(cert);
    assert_int_equal(okno_cert_load_pem(FIXTURE("ec-cert.pem"), FIXTURE("ec-other-key.pem"), &cert),
                     OKNO_E_DENIED);
    assert_int_equal(okno_cert_load_pem(FIXTURE("ec-cert.pem"), FIXTURE("rsa-key.pem"), &cert),
                     OKNO_E_UNSUPPORTED);
    /* a key file is not a certificate, a README is neither */
    assert_int_equal(okno_cert_load_pem(FIXTURE("ec-key.pem"), FIXTURE("ec-key.pem"), &cert),
                     OKNO_E_MALFORMED);
    assert_int_equal(okno_cert_load_pem(FIXTURE("ec-cert.pem"), FIXTURE("README.md"), &cert),
                     OKNO_E_MALFORMED);
    assert_null(cert);
}

static void test_cert_fingerprint_parse_reads_chromium_sdp_and_formats_back(void **state)
{
    (void)state;
    /* a=fingerprint of tests/fixtures/sdp/chromium-av-offer.sdp */
    const char *chromium = "sha-256 71:50:A7:30:5A:78:01:B3:49:90:D4:19:35:58:9D:98:9D:BA:08:C5:6A:"
                           "EB:97:C1:E6:D3:42:86:A2:68:76:B2";
    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint_parse(chromium, &fp), 0);
    assert_int_equal(fp.alg, OKNO_FP_SHA256);
    assert_int_equal(fp.len, 32);
    assert_int_equal(fp.bytes[0], 0x71);
    assert_int_equal(fp.bytes[31], 0xb2);
    char out[OKNO_FP_SDP_MAX];
    assert_int_equal(okno_cert_fingerprint_format(&fp, out, sizeof out), strlen(chromium));
    assert_string_equal(out, chromium);
}

static void test_cert_fingerprint_parse_ignores_case_of_name_and_digits(void **state)
{
    (void)state;
    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint_parse(
                         "SHA-1 77:d2:4d:8c:83:28:26:5f:33:f1:ff:0a:54:d5:20:2e:ba:4f:fc:b4", &fp),
                     0);
    assert_int_equal(fp.alg, OKNO_FP_SHA1);
    assert_int_equal(fp.len, 20);
    assert_int_equal(fp.bytes[1], 0xd2);
    char out[OKNO_FP_SDP_MAX];
    assert_true(okno_cert_fingerprint_format(&fp, out, sizeof out) > 0);
    assert_string_equal(out, FIXTURE_SHA1);
}

static void test_cert_fingerprint_parse_rejects_malformed_text(void **state)
{
    (void)state;
    struct okno_fingerprint fp;
    static const char *const bad[] = {
        "",
        "sha-256",
        "sha-256 ",
        " 3F:CD",
        "sha-1 77:D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC",       /* one byte short */
        "sha-1 77:D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC:B4:00", /* one too many */
        "sha-1 77:D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC:B4:",   /* trailing colon */
        "sha-1 77D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC:B4:11",  /* missing colon */
        "sha-1 7:D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC:B4",     /* one digit */
        "sha-1 G7:D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC:B4",    /* not hex */
        "sha-1  77:D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC:B4",   /* two spaces */
        "sha-1 77:D2:4D:8C:83:28:26:5F:33:F1:FF:0A:54:D5:20:2E:BA:4F:FC:B4\r",  /* CR left over */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int err = okno_cert_fingerprint_parse(bad[i], &fp);
        if (err != OKNO_E_MALFORMED)
            fail_msg("\"%s\" gave %s", bad[i], okno_err_name(err));
    }
    assert_int_equal(okno_cert_fingerprint_parse("md5 00:11", &fp), OKNO_E_UNSUPPORTED);
    assert_int_equal(okno_cert_fingerprint_parse(NULL, &fp), OKNO_E_INVAL);
}

static void test_cert_fingerprint_format_refuses_short_buffer(void **state)
{
    (void)state;
    struct okno_fingerprint fp;
    assert_int_equal(okno_cert_fingerprint_parse(FIXTURE_SHA256, &fp), 0);
    char out[OKNO_FP_SDP_MAX];
    size_t need = strlen(FIXTURE_SHA256) + 1;
    assert_int_equal(okno_cert_fingerprint_format(&fp, out, need - 1), OKNO_E_NOSPC);
    assert_int_equal(okno_cert_fingerprint_format(&fp, out, need), (int)need - 1);
    fp.len = 20; /* length that does not belong to the hash */
    assert_int_equal(okno_cert_fingerprint_format(&fp, out, sizeof out), OKNO_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_generate_makes_self_signed_p256_certificate),
        cmocka_unit_test(test_cert_sdp_fingerprint_is_sha256_of_der_in_upper_hex),
        cmocka_unit_test(test_cert_two_generated_certificates_differ),
        cmocka_unit_test(test_cert_load_pem_matches_openssl_command_line_fingerprints),
        cmocka_unit_test(test_cert_load_pem_rejects_missing_foreign_and_non_ec_keys),
        cmocka_unit_test(test_cert_fingerprint_parse_reads_chromium_sdp_and_formats_back),
        cmocka_unit_test(test_cert_fingerprint_parse_ignores_case_of_name_and_digits),
        cmocka_unit_test(test_cert_fingerprint_parse_rejects_malformed_text),
        cmocka_unit_test(test_cert_fingerprint_format_refuses_short_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
