/* net/srtp_gcm against libsrtp2: an outbound AEAD_AES_128_GCM okno_srtp session (OpenSSL EVP)
 * must put out exactly the bytes a libsrtp2 sender with the same keys and policy puts out, and
 * libsrtp2 must unprotect them: RTP with CSRCs and header extensions, several SSRCs, sequence
 * numbers across three rollovers, repeats, reordering and the too-old boundary, and SRTCP. */
#include "testutil.h"

#include <srtp2/srtp.h>
#include <stdbool.h>

#include "net/srtp.h"
#include "net/srtp_gcm.h"
#include "okno/err.h"
#include "wire/bytes.h"

#define BUF 1600

/* A libsrtp2 session made as net/srtp.c makes its own (window 1024, repeats allowed outbound). */
static srtp_t ref_session(const struct okno_srtp_master *m, bool outbound)
{
    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    assert_int_equal(
        srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, srtp_profile_aead_aes_128_gcm),
        srtp_err_status_ok);
    assert_int_equal(
        srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, srtp_profile_aead_aes_128_gcm),
        srtp_err_status_ok);
    unsigned char material[28];
    memcpy(material, m->key, 16);
    memcpy(material + 16, m->salt, 12);
    policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
    policy.key = material;
    policy.window_size = 1024;
    policy.allow_repeat_tx = outbound;
    srtp_t s = NULL;
    assert_int_equal(srtp_create(&s, &policy), srtp_err_status_ok);
    return s;
}

struct pair {
    struct okno_srtp_master m;
    struct okno_srtp *ours; /* outbound, EVP */
    srtp_t ref_out;         /* libsrtp2 sender */
    srtp_t ref_in;          /* libsrtp2 receiver */
};

static int setup(void **state)
{
    assert_int_equal(okno_srtp_init(), 0);
    struct pair *p = calloc(1, sizeof *p);
    p->m.key_len = 16;
    p->m.salt_len = 12;
    for (size_t i = 0; i < 16; i++)
        p->m.key[i] = (uint8_t)(0x3c + 7 * i);
    for (size_t i = 0; i < 12; i++)
        p->m.salt[i] = (uint8_t)(0xa1 ^ (13 * i));
    assert_int_equal(
        okno_srtp_create(OKNO_SRTP_OUTBOUND, OKNO_SRTP_AEAD_AES_128_GCM, &p->m, &p->ours), 0);
    p->ref_out = ref_session(&p->m, true);
    p->ref_in = ref_session(&p->m, false);
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    struct pair *p = *state;
    okno_srtp_free(p->ours);
    srtp_dealloc(p->ref_out);
    srtp_dealloc(p->ref_in);
    free(p);
    return 0;
}

/* An RTP packet: 0..15 CSRCs (csrcs), a one-byte-header extension of ext_words words when
 * ext_words > 0, then payload bytes that depend on seq. Returns its length. */
static size_t make_rtp(uint8_t *b, uint32_t ssrc, uint16_t seq, unsigned csrcs, unsigned ext_words,
                       size_t payload)
{
    memset(b, 0, BUF);
    b[0] = (uint8_t)(0x80 | (ext_words ? 0x10 : 0) | csrcs);
    b[1] = 96;
    okno_wr16(b + 2, seq);
    okno_wr32(b + 4, 90000u * seq);
    okno_wr32(b + 8, ssrc);
    size_t n = 12;
    for (unsigned i = 0; i < csrcs; i++, n += 4)
        okno_wr32(b + n, 0x1000 + i);
    if (ext_words) {
        okno_wr16(b + n, 0xbede);
        okno_wr16(b + n + 2, (uint16_t)ext_words);
        for (unsigned i = 0; i < 4 * ext_words; i++)
            b[n + 4 + i] = (uint8_t)(0x20 + i);
        n += 4 + 4 * ext_words;
    }
    for (size_t i = 0; i < payload; i++)
        b[n + i] = (uint8_t)(seq * 31 + i);
    return n + payload;
}

/* Protects the same packet with both; asserts the same result and, on success, the same bytes,
 * and that libsrtp2 unprotects ours back to the clear packet. Returns our result. */
static int check_rtp(struct pair *p, const uint8_t *clear, size_t len)
{
    _Alignas(8) uint8_t ours[BUF], ref[BUF], back[BUF];
    memcpy(ours, clear, len);
    memcpy(ref, clear, len);
    size_t n = len;
    int rc = okno_srtp_protect_rtp(p->ours, ours, &n, sizeof ours);
    int rn = (int)len;
    srtp_err_status_t st = srtp_protect(p->ref_out, ref, &rn);
    if (st != srtp_err_status_ok) {
        assert_int_not_equal(rc, 0);
        return rc;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, (size_t)rn);
    assert_int_equal(n, len + 16);
    assert_memory_equal(ours, ref, n);
    memcpy(back, ours, n);
    int bn = (int)n;
    st = srtp_unprotect(p->ref_in, back, &bn);
    /* A repeat is a replay to the receiver: identical bytes already proved it. */
    if (st != srtp_err_status_replay_fail) {
        assert_int_equal(st, srtp_err_status_ok);
        assert_int_equal(bn, (int)len);
        assert_memory_equal(back, clear, len);
    }
    return rc;
}

static void test_rtp_is_byte_identical_to_libsrtp2_and_unprotects(void **state)
{
    struct pair *p = *state;
    uint8_t b[BUF];
    const uint32_t ssrcs[] = {0x11223344, 0xdeadbeef, 1, 0x80000000, 42};
    for (unsigned i = 0; i < 400; i++) {
        uint32_t ssrc = ssrcs[i % 5];
        size_t len =
            make_rtp(b, ssrc, (uint16_t)(1000 + i / 5), i % 4, (i / 3) % 3, (i * 37) % 1200);
        assert_int_equal(check_rtp(p, b, len), 0);
    }
}

static void test_rtp_across_rollovers_repeats_and_reordering(void **state)
{
    struct pair *p = *state;
    uint8_t b[BUF];
    /* From 65000 in steps of 5 through three rollovers of the 16-bit sequence number, with a
     * repeat every 7th packet and a late one every 11th, both across the wrap too. */
    uint32_t seq = 65000;
    for (unsigned i = 0; i < 42000; i++, seq += 5) {
        size_t len = make_rtp(b, 0x5eed, (uint16_t)seq, 0, 1, 40 + i % 64);
        assert_int_equal(check_rtp(p, b, len), 0);
        if (i % 7 == 3) {
            assert_int_equal(check_rtp(p, b, len), 0);
        }
        if (i % 11 == 5) {
            len = make_rtp(b, 0x5eed, (uint16_t)(seq - 600), 0, 1, 40);
            assert_int_equal(check_rtp(p, b, len), 0);
        }
    }
}

static void test_rtp_too_far_behind_is_refused_like_libsrtp2(void **state)
{
    struct pair *p = *state;
    uint8_t b[BUF];
    size_t len = make_rtp(b, 7, 40000, 0, 0, 100);
    assert_int_equal(check_rtp(p, b, len), 0);
    len = make_rtp(b, 7, 40000 - 1023, 0, 0, 100);
    assert_int_equal(check_rtp(p, b, len), 0);
    len = make_rtp(b, 7, 40000 - 1024, 0, 0, 100);
    assert_int_equal(check_rtp(p, b, len), OKNO_SRTP_E_REPLAY);
    /* Across the wrap: highest 65535 + 10, refused 1024 behind it. */
    len = make_rtp(b, 8, 65000, 0, 0, 10);
    assert_int_equal(check_rtp(p, b, len), 0);
    len = make_rtp(b, 8, 10, 0, 0, 10);
    assert_int_equal(check_rtp(p, b, len), 0);
    len = make_rtp(b, 8, (uint16_t)(10 - 1023), 0, 0, 10);
    assert_int_equal(check_rtp(p, b, len), 0);
    len = make_rtp(b, 8, (uint16_t)(10 - 1024), 0, 0, 10);
    assert_int_equal(check_rtp(p, b, len), OKNO_SRTP_E_REPLAY);
}

static void test_rtcp_is_byte_identical_to_libsrtp2_and_unprotects(void **state)
{
    struct pair *p = *state;
    _Alignas(8) uint8_t clear[BUF], ours[BUF], ref[BUF];
    for (unsigned i = 0; i < 300; i++) {
        /* An RR of (i % 4) blocks, from one of three SSRCs; one SSRC also sends RTP. */
        size_t len = 8 + 24 * (i % 4);
        memset(clear, 0, sizeof clear);
        clear[0] = (uint8_t)(0x80 | (i % 4));
        clear[1] = 201;
        okno_wr16(clear + 2, (uint16_t)(len / 4 - 1));
        okno_wr32(clear + 4, i % 3 == 0 ? 0x11223344 : 0x900 + i % 3);
        for (size_t k = 8; k < len; k++)
            clear[k] = (uint8_t)(i + k);
        if (i % 50 == 0) {
            uint8_t r[BUF];
            size_t rl = make_rtp(r, 0x11223344, (uint16_t)i, 0, 0, 30);
            assert_int_equal(check_rtp(p, r, rl), 0);
        }
        memcpy(ours, clear, len);
        memcpy(ref, clear, len);
        size_t n = len;
        assert_int_equal(okno_srtp_protect_rtcp(p->ours, ours, &n, sizeof ours), 0);
        int rn = (int)len;
        assert_int_equal(srtp_protect_rtcp(p->ref_out, ref, &rn), srtp_err_status_ok);
        assert_int_equal(n, (size_t)rn);
        assert_int_equal(n, len + 20);
        assert_memory_equal(ours, ref, n);
        int bn = (int)n;
        assert_int_equal(srtp_unprotect_rtcp(p->ref_in, ours, &bn), srtp_err_status_ok);
        assert_int_equal(bn, (int)len);
        assert_memory_equal(ours, clear, len);
    }
}

static void test_bad_input_is_refused(void **state)
{
    struct pair *p = *state;
    _Alignas(8) uint8_t b[BUF];
    size_t len = make_rtp(b, 9, 5, 0, 2, 50);
    size_t n = len;
    assert_int_equal(okno_srtp_protect_rtp(p->ours, b, &n, len + 15), OKNO_E_NOSPC);
    n = 11;
    assert_int_equal(okno_srtp_protect_rtp(p->ours, b, &n, sizeof b), OKNO_E_TRUNCATED);
    n = 12 + 4 + 4; /* the extension says 2 words, 1 is there */
    assert_int_equal(okno_srtp_protect_rtp(p->ours, b, &n, sizeof b), OKNO_E_TRUNCATED);
    n = 7;
    assert_int_equal(okno_srtp_protect_rtcp(p->ours, b, &n, sizeof b), OKNO_E_TRUNCATED);
    b[0] = 0x40;
    n = len;
    assert_int_equal(okno_srtp_protect_rtp(p->ours, b, &n, sizeof b), OKNO_E_MALFORMED);
    assert_int_equal(okno_srtp_gcm_new(NULL, p->m.salt, &(struct okno_srtp_gcm *){NULL}),
                     OKNO_E_INVAL);
    /* Inbound GCM stays on libsrtp2: ours cannot unprotect. */
    n = len;
    assert_int_equal(okno_srtp_unprotect_rtp(p->ours, b, &n), OKNO_E_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rtp_is_byte_identical_to_libsrtp2_and_unprotects,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rtp_across_rollovers_repeats_and_reordering, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rtp_too_far_behind_is_refused_like_libsrtp2, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rtcp_is_byte_identical_to_libsrtp2_and_unprotects,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_is_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
