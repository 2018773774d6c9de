#include "testutil.h"

#include "net/srtp.h"
#include "okno/err.h"

/* Room for the largest fixture plus the trailer; uint32_t so the buffer is 4-byte aligned. */
#define BUF_WORDS 512

struct pkt {
    uint32_t words[BUF_WORDS];
    size_t len;
};

static uint8_t *bytes(struct pkt *p)
{
    return (uint8_t *)p->words;
}

/* Loads the first packet of a tests/fixtures/captures hex file whose comment starts with "# kind".
 */
static void load_capture(const char *file, const char *kind, struct pkt *out)
{
    char *text = okno_test_read_file(file, NULL);
    char tag[64];
    snprintf(tag, sizeof tag, "# %s", kind);
    char *at = strstr(text, tag);
    if (!at)
        fail_msg("no %s packet in %s", kind, file);
    char *line = strchr(at, '\n');
    assert_non_null(line);
    line++;
    char *eol = strchr(line, '\n');
    if (eol)
        *eol = '\0';
    memset(out, 0, sizeof *out);
    out->len = okno_test_hex(line, bytes(out), sizeof out->words - OKNO_SRTP_MAX_TRAILER);
    free(text);
}

static void load_rtp(struct pkt *p)
{
    load_capture("fixtures/captures/chromium-rtp.hex", "rtp:vp8:ext", p);
    assert_int_equal(p->len, 509);
}

static void load_rtcp(struct pkt *p)
{
    load_capture("fixtures/captures/chromium-rtcp.hex", "rtcp:SR+SDES", p);
    assert_true(p->len >= 28);
    assert_int_equal(bytes(p)[1], 200); /* SR */
}

static void master_for(enum okno_srtp_profile profile, uint8_t seed, struct okno_srtp_master *m)
{
    memset(m, 0, sizeof *m);
    m->key_len = (size_t)okno_srtp_profile_key_len(profile);
    m->salt_len = (size_t)okno_srtp_profile_salt_len(profile);
    for (size_t i = 0; i < m->key_len; i++)
        m->key[i] = (uint8_t)(seed + i);
    for (size_t i = 0; i < m->salt_len; i++)
        m->salt[i] = (uint8_t)(seed * 3 + i);
}

struct pair {
    struct okno_srtp *out;
    struct okno_srtp *in;
};

static void make_pair(enum okno_srtp_profile profile, struct pair *p)
{
    struct okno_srtp_master m;
    master_for(profile, 0x42, &m);
    assert_int_equal(okno_srtp_create(OKNO_SRTP_OUTBOUND, profile, &m, &p->out), 0);
    assert_int_equal(okno_srtp_create(OKNO_SRTP_INBOUND, profile, &m, &p->in), 0);
}

static void free_pair(struct pair *p)
{
    okno_srtp_free(p->out);
    okno_srtp_free(p->in);
}

static size_t tag_len(enum okno_srtp_profile profile)
{
    return profile == OKNO_SRTP_AEAD_AES_128_GCM ? 16 : 10;
}

static void rtp_round_trip(enum okno_srtp_profile profile)
{
    struct pair s;
    make_pair(profile, &s);
    struct pkt orig, p;
    load_rtp(&orig);
    p = orig;
    assert_int_equal(okno_srtp_protect_rtp(s.out, bytes(&p), &p.len, sizeof p.words), 0);
    assert_int_equal(p.len, orig.len + tag_len(profile));
    /* the 12-byte header and the extension stay in the clear (RFC 3711 3.1), the payload does not
     */
    assert_memory_equal(bytes(&p), bytes(&orig), 12);
    assert_memory_not_equal(bytes(&p) + orig.len - 64, bytes(&orig) + orig.len - 64, 64);
    assert_int_equal(okno_srtp_unprotect_rtp(s.in, bytes(&p), &p.len), 0);
    assert_int_equal(p.len, orig.len);
    assert_memory_equal(bytes(&p), bytes(&orig), orig.len);
    free_pair(&s);
}

static void rtcp_round_trip(enum okno_srtp_profile profile)
{
    struct pair s;
    make_pair(profile, &s);
    struct pkt orig, p;
    load_rtcp(&orig);
    p = orig;
    assert_int_equal(okno_srtp_protect_rtcp(s.out, bytes(&p), &p.len, sizeof p.words), 0);
    assert_int_equal(p.len, orig.len + 4 + tag_len(profile)); /* E flag + index, then the tag */
    assert_true(p.len - orig.len <= OKNO_SRTP_MAX_TRAILER);
    assert_memory_equal(bytes(&p), bytes(&orig), 8); /* first header and sender SSRC in the clear */
    assert_int_equal(okno_srtp_unprotect_rtcp(s.in, bytes(&p), &p.len), 0);
    assert_int_equal(p.len, orig.len);
    assert_memory_equal(bytes(&p), bytes(&orig), orig.len);
    free_pair(&s);
}

static void test_srtp_rtp_round_trips_with_gcm(void **state)
{
    (void)state;
    rtp_round_trip(OKNO_SRTP_AEAD_AES_128_GCM);
}

static void test_srtp_rtp_round_trips_with_cm_sha1_80(void **state)
{
    (void)state;
    rtp_round_trip(OKNO_SRTP_AES128_CM_SHA1_80);
}

static void test_srtp_rtcp_round_trips_with_gcm(void **state)
{
    (void)state;
    rtcp_round_trip(OKNO_SRTP_AEAD_AES_128_GCM);
}

static void test_srtp_rtcp_round_trips_with_cm_sha1_80(void **state)
{
    (void)state;
    rtcp_round_trip(OKNO_SRTP_AES128_CM_SHA1_80);
}

typedef int (*unprotect_fn)(struct okno_srtp *, uint8_t *, size_t *);

/* A pair for profile and the captured RTP packet (rtcp: the RTCP one) protected by its outbound
 * side into orig; returns the unprotect function of that kind. */
static unprotect_fn protected_capture(enum okno_srtp_profile profile, int rtcp, struct pair *s,
                                      struct pkt *orig)
{
    make_pair(profile, s);
    if (rtcp)
        load_rtcp(orig);
    else
        load_rtp(orig);
    int (*prot)(struct okno_srtp *, uint8_t *, size_t *, size_t) =
        rtcp ? okno_srtp_protect_rtcp : okno_srtp_protect_rtp;
    assert_int_equal(prot(s->out, bytes(orig), &orig->len, sizeof orig->words), 0);
    return rtcp ? okno_srtp_unprotect_rtcp : okno_srtp_unprotect_rtp;
}

static void tamper(enum okno_srtp_profile profile, int rtcp)
{
    struct pair s;
    struct pkt orig;
    unprotect_fn unprot = protected_capture(profile, rtcp, &s, &orig);
    /* one bit flipped in the payload, in the clear header, in the tag: each must fail alone */
    size_t where[] = {orig.len / 2, 5, orig.len - 1};
    for (size_t i = 0; i < 3; i++) {
        struct pkt p = orig;
        bytes(&p)[where[i]] ^= 0x01;
        size_t len = p.len;
        assert_int_equal(unprot(s.in, bytes(&p), &p.len), OKNO_SRTP_E_AUTH);
        assert_int_equal(p.len, len);
    }
    /* the genuine packet still passes: failed attempts did not move the replay window */
    assert_int_equal(unprot(s.in, bytes(&orig), &orig.len), 0);
    free_pair(&s);
}

static void test_srtp_tampered_rtp_fails_authentication(void **state)
{
    (void)state;
    tamper(OKNO_SRTP_AEAD_AES_128_GCM, 0);
    tamper(OKNO_SRTP_AES128_CM_SHA1_80, 0);
}

static void test_srtp_tampered_rtcp_fails_authentication(void **state)
{
    (void)state;
    tamper(OKNO_SRTP_AEAD_AES_128_GCM, 1);
    tamper(OKNO_SRTP_AES128_CM_SHA1_80, 1);
}

static void replay(enum okno_srtp_profile profile, int rtcp)
{
    struct pair s;
    struct pkt orig;
    unprotect_fn unprot = protected_capture(profile, rtcp, &s, &orig);
    struct pkt p = orig;
    assert_int_equal(unprot(s.in, bytes(&p), &p.len), 0);
    p = orig;
    assert_int_equal(unprot(s.in, bytes(&p), &p.len), OKNO_SRTP_E_REPLAY);
    free_pair(&s);
}

static void test_srtp_replayed_packet_is_rejected(void **state)
{
    (void)state;
    replay(OKNO_SRTP_AEAD_AES_128_GCM, 0);
    replay(OKNO_SRTP_AES128_CM_SHA1_80, 0);
    replay(OKNO_SRTP_AEAD_AES_128_GCM, 1);
    replay(OKNO_SRTP_AES128_CM_SHA1_80, 1);
}

static void test_srtp_packet_older_than_window_is_rejected_as_replay(void **state)
{
    (void)state;
    struct pair s;
    make_pair(OKNO_SRTP_AEAD_AES_128_GCM, &s);
    struct pkt orig, first;
    load_rtp(&orig);
    first = orig;
    assert_int_equal(okno_srtp_protect_rtp(s.out, bytes(&first), &first.len, sizeof first.words),
                     0);
    /* the same stream 2000 packets later, past the 1024-packet window */
    struct pkt later = orig;
    uint16_t seq = (uint16_t)(bytes(&orig)[2] << 8 | bytes(&orig)[3]);
    seq = (uint16_t)(seq + 2000);
    bytes(&later)[2] = (uint8_t)(seq >> 8);
    bytes(&later)[3] = (uint8_t)seq;
    assert_int_equal(okno_srtp_protect_rtp(s.out, bytes(&later), &later.len, sizeof later.words),
                     0);
    assert_int_equal(okno_srtp_unprotect_rtp(s.in, bytes(&later), &later.len), 0);
    assert_int_equal(okno_srtp_unprotect_rtp(s.in, bytes(&first), &first.len), OKNO_SRTP_E_REPLAY);
    free_pair(&s);
}

static void test_srtp_outbound_reprotects_a_retransmitted_sequence_number(void **state)
{
    (void)state;
    struct pair s;
    make_pair(OKNO_SRTP_AES128_CM_SHA1_80, &s);
    struct pkt orig, a, b;
    load_rtp(&orig);
    a = orig;
    b = orig;
    assert_int_equal(okno_srtp_protect_rtp(s.out, bytes(&a), &a.len, sizeof a.words), 0);
    assert_int_equal(okno_srtp_protect_rtp(s.out, bytes(&b), &b.len, sizeof b.words), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(bytes(&a), bytes(&b), a.len); /* same packet, same index: same bytes */
    free_pair(&s);
}

static void test_srtp_protect_refuses_buffer_without_room_for_trailer(void **state)
{
    (void)state;
    struct pair s;
    make_pair(OKNO_SRTP_AEAD_AES_128_GCM, &s);
    struct pkt p;
    load_rtp(&p);
    size_t len = p.len;
    assert_int_equal(
        okno_srtp_protect_rtp(s.out, bytes(&p), &p.len, len + OKNO_SRTP_MAX_TRAILER - 1),
        OKNO_E_NOSPC);
    assert_int_equal(p.len, len);
    /* exactly the documented room is enough */
    uint8_t *tight = malloc(len + OKNO_SRTP_MAX_TRAILER);
    assert_non_null(tight);
    memcpy(tight, bytes(&p), len);
    assert_int_equal(okno_srtp_protect_rtp(s.out, tight, &p.len, len + OKNO_SRTP_MAX_TRAILER), 0);
    free(tight);
    struct pkt r;
    load_rtcp(&r);
    len = r.len;
    tight = malloc(len + OKNO_SRTP_MAX_TRAILER);
    assert_non_null(tight);
    memcpy(tight, bytes(&r), len);
    assert_int_equal(okno_srtp_protect_rtcp(s.out, tight, &len, len + OKNO_SRTP_MAX_TRAILER), 0);
    assert_int_equal(len, r.len + OKNO_SRTP_MAX_TRAILER); /* GCM RTCP uses all of it */
    free(tight);
    free_pair(&s);
}

static void test_srtp_directions_and_key_lengths_are_enforced(void **state)
{
    (void)state;
    struct pair s;
    make_pair(OKNO_SRTP_AES128_CM_SHA1_80, &s);
    struct pkt p;
    load_rtp(&p);
    assert_int_equal(okno_srtp_protect_rtp(s.in, bytes(&p), &p.len, sizeof p.words), OKNO_E_STATE);
    assert_int_equal(okno_srtp_unprotect_rtp(s.out, bytes(&p), &p.len), OKNO_E_STATE);
    free_pair(&s);

    struct okno_srtp_master m;
    struct okno_srtp *x = NULL;
    master_for(OKNO_SRTP_AES128_CM_SHA1_80, 1, &m); /* 14-byte salt does not fit GCM's 12 */
    assert_int_equal(okno_srtp_create(OKNO_SRTP_INBOUND, OKNO_SRTP_AEAD_AES_128_GCM, &m, &x),
                     OKNO_E_INVAL);
    assert_int_equal(okno_srtp_create(OKNO_SRTP_INBOUND, (enum okno_srtp_profile)2, &m, &x),
                     OKNO_E_UNSUPPORTED);
    assert_null(x);
}

/* xorshift, so failures reproduce */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static void test_srtp_unprotecting_random_bytes_fails_safely(void **state)
{
    (void)state;
    enum okno_srtp_profile profiles[] = {OKNO_SRTP_AEAD_AES_128_GCM, OKNO_SRTP_AES128_CM_SHA1_80};
    uint32_t seed = 0x9e3779b9;
    for (size_t k = 0; k < 2; k++) {
        struct pair s;
        make_pair(profiles[k], &s);
        for (int i = 0; i < 20000; i++) {
            size_t len = next_rand(&seed) % 1300;
            /* exact-size heap block: any read past the end is an ASan report */
            uint8_t *buf = malloc(len ? len : 1);
            assert_non_null(buf);
            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)next_rand(&seed);
            if (len && (i & 1))
                buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3f)); /* version 2, so libsrtp sees it */
            size_t n = len;
            int err = (i & 2) ? okno_srtp_unprotect_rtcp(s.in, buf, &n)
                              : okno_srtp_unprotect_rtp(s.in, buf, &n);
            assert_true(err < 0);
            assert_int_equal(n, len);
            free(buf);
        }
        free_pair(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_srtp_rtp_round_trips_with_gcm),
        cmocka_unit_test(test_srtp_rtp_round_trips_with_cm_sha1_80),
        cmocka_unit_test(test_srtp_rtcp_round_trips_with_gcm),
        cmocka_unit_test(test_srtp_rtcp_round_trips_with_cm_sha1_80),
        cmocka_unit_test(test_srtp_tampered_rtp_fails_authentication),
        cmocka_unit_test(test_srtp_tampered_rtcp_fails_authentication),
        cmocka_unit_test(test_srtp_replayed_packet_is_rejected),
        cmocka_unit_test(test_srtp_packet_older_than_window_is_rejected_as_replay),
        cmocka_unit_test(test_srtp_outbound_reprotects_a_retransmitted_sequence_number),
        cmocka_unit_test(test_srtp_protect_refuses_buffer_without_room_for_trailer),
        cmocka_unit_test(test_srtp_directions_and_key_lengths_are_enforced),
        cmocka_unit_test(test_srtp_unprotecting_random_bytes_fails_safely),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
