/* The downtrack's probe packets (sfu/downtrack_probe.h) with the Chromium capture's frames: an RTX
 * copy of the video sent last when the probe wants more than padding carries (the original sequence
 * number is the one the subscriber got, the transport-wide element is there to stamp), older ones
 * after it, padding-only RTX when the cache has nothing or a small packet is wanted, nothing at all
 * without RTX or transport-wide-cc, and the media numbering and NACK answers untouched. */
#include "downtrack_fixtures.h"
#include "sfu/downtrack_probe.h"
#include "sfu/packet_cache.h"
#include "wire/rtx.h"

#define TWCC_ID 5

static struct okno_packet_cache *cache;
static bool cache_off;

static int lookup(void *ctx, uint32_t ssrc, uint16_t seq, struct okno_cached_packet *out)
{
    (void)ctx;
    if (cache_off || ssrc != FX_SSRC_A)
        return OKNO_E_NOTFOUND;
    return okno_packet_cache_get(cache, seq, out);
}

static struct okno_downtrack *make(bool rtx, uint8_t twcc_id)
{
    struct okno_downtrack_params p = fx_params(rtx);
    p.twcc_id = twcc_id;
    struct okno_downtrack *dt;
    assert_int_equal(okno_downtrack_create(&p, NULL, &dt), 0);
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    return dt;
}

/* Frame i of stream A (i = 0 a key frame), stored and forwarded at i x 33 ms. */
static void send_frame(struct okno_downtrack *dt, unsigned i, struct fx_packet *sent)
{
    struct fx_packet p;
    struct fx_vp8 f = {.ssrc = FX_SSRC_A,
                       .seq = (uint16_t)(1000 + i),
                       .ts = 3000 * i,
                       .pic = (uint16_t)(10 + i),
                       .tl0 = (uint8_t)i,
                       .key = i == 0};
    fx_build(&f, &p);
    assert_int_equal(okno_packet_cache_store(cache, p.buf, p.len, 33000 * (int64_t)i), 0);
    assert_true(fx_forward(dt, &p, 33000 * (int64_t)i, sent) > 0);
}

static bool has_twcc(const struct okno_rtp_pkt *rtp)
{
    struct okno_rtp_ext e;
    return okno_rtp_ext_find(rtp, TWCC_ID, &e) == 0 && e.len == 2;
}

static int setup(void **state)
{
    (void)state;
    fx_load_frames();
    cache_off = false;
    return okno_packet_cache_create(256, &cache);
}

static int teardown(void **state)
{
    (void)state;
    okno_packet_cache_destroy(cache);
    return 0;
}

static void test_downtrack_probe_copies_recent_video_newest_first(void **state)
{
    (void)state;
    struct okno_downtrack *dt = make(true, TWCC_ID);
    struct fx_packet sent[3];
    for (unsigned i = 0; i < 3; i++)
        send_frame(dt, i, &sent[i]);
    uint16_t back = 0;
    uint8_t out[OKNO_MTU];
    uint16_t rtx_seq0 = 0;
    for (unsigned k = 0; k < 3; k++) {
        int n = okno_downtrack_write_probe(dt, lookup, NULL, &back, 1200, 100000, out, sizeof out);
        assert_true(n > 0);
        struct okno_rtp_pkt rtp;
        assert_int_equal(okno_rtp_parse(out, (size_t)n, &rtp), 0);
        assert_int_equal(rtp.ssrc, FX_RTX_SSRC);
        assert_int_equal(rtp.pt, FX_RTX_PT);
        if (k == 0)
            rtx_seq0 = rtp.seq;
        assert_int_equal(rtp.seq, (uint16_t)(rtx_seq0 + k));
        assert_false(okno_rtx_is_padding_only(&rtp));
        /* The newest first, then the one before: the numbers the subscriber was sent. */
        assert_int_equal(okno_rtx_osn(&rtp), sent[2 - k].rtp.seq);
        assert_int_equal(rtp.payload_len, sent[2 - k].rtp.payload_len + OKNO_RTX_OSN_LEN);
        assert_true(has_twcc(&rtp));
    }
    /* The media numbering goes on as if nothing had been sent. */
    struct fx_packet next;
    send_frame(dt, 3, &next);
    assert_int_equal(next.rtp.seq, (uint16_t)(sent[2].rtp.seq + 1));
    struct okno_downtrack_stats st;
    okno_downtrack_stats(dt, &st);
    assert_int_equal(st.retransmitted, 0);
    okno_downtrack_destroy(dt);
}

static void test_downtrack_probe_pads_when_small_or_nothing_cached(void **state)
{
    (void)state;
    struct okno_downtrack *dt = make(true, TWCC_ID);
    uint16_t back = 0;
    uint8_t out[OKNO_MTU];
    /* Before any video: padding only. */
    int n = okno_downtrack_write_probe(dt, lookup, NULL, &back, 1200, 0, out, sizeof out);
    assert_true(n > 200 && n <= 300);
    struct okno_rtp_pkt rtp;
    assert_int_equal(okno_rtp_parse(out, (size_t)n, &rtp), 0);
    assert_true(okno_rtx_is_padding_only(&rtp));
    assert_int_equal(rtp.ssrc, FX_RTX_SSRC);
    assert_int_equal(rtp.pad_len, 255);
    assert_true(has_twcc(&rtp));
    struct fx_packet sent;
    send_frame(dt, 0, &sent);
    /* A small probe is padding even with video cached. */
    n = okno_downtrack_write_probe(dt, lookup, NULL, &back, 120, 10000, out, sizeof out);
    assert_true(n > 0);
    assert_int_equal(okno_rtp_parse(out, (size_t)n, &rtp), 0);
    assert_true(okno_rtx_is_padding_only(&rtp));
    assert_int_equal((size_t)n, 120);
    assert_int_equal(rtp.ts, sent.rtp.ts);
    /* Gone from the cache, or too old: padding. */
    cache_off = true;
    n = okno_downtrack_write_probe(dt, lookup, NULL, &back, 1200, 10000, out, sizeof out);
    assert_int_equal(okno_rtp_parse(out, (size_t)n, &rtp), 0);
    assert_true(okno_rtx_is_padding_only(&rtp));
    cache_off = false;
    n = okno_downtrack_write_probe(dt, lookup, NULL, &back, 1200, 5000000, out, sizeof out);
    assert_int_equal(okno_rtp_parse(out, (size_t)n, &rtp), 0);
    assert_true(okno_rtx_is_padding_only(&rtp));
    /* A buffer too small is an error, not a crash. */
    assert_true(okno_downtrack_write_probe(dt, lookup, NULL, &back, 1200, 10000, out, 8) < 0);
    okno_downtrack_destroy(dt);
}

static void test_downtrack_probe_needs_rtx_and_transport_cc(void **state)
{
    (void)state;
    uint8_t out[OKNO_MTU];
    uint16_t back = 0;
    struct fx_packet sent;
    struct okno_downtrack *plain = make(false, TWCC_ID);
    send_frame(plain, 0, &sent);
    assert_int_equal(
        okno_downtrack_write_probe(plain, lookup, NULL, &back, 1200, 0, out, sizeof out), 0);
    okno_downtrack_destroy(plain);
    struct okno_downtrack *remb = make(true, 0);
    assert_int_equal(
        okno_downtrack_write_probe(remb, lookup, NULL, &back, 1200, 0, out, sizeof out), 0);
    okno_downtrack_destroy(remb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_downtrack_probe_copies_recent_video_newest_first,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_downtrack_probe_pads_when_small_or_nothing_cached,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_downtrack_probe_needs_rtx_and_transport_cc, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
