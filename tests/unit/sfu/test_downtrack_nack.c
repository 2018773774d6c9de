/* Unit tests of the downtrack's NACK answers (okno_downtrack_on_nack): output sequence numbers
 * mapped back through a simulcast switch to the publishers' packet caches, RTX wrapping with its
 * own sequence numbers, plain retransmission without RTX, the resend interval, and the counters. */
#include "downtrack_fixtures.h"
#include "sfu/packet_cache.h"
#include "wire/rtx.h"

/* The track side: one packet cache per published encoding. */
struct caches {
    struct okno_packet_cache *a, *b;
    unsigned lookups;
};

static int cache_lookup(void *ctx, uint32_t ssrc, uint16_t seq, struct okno_cached_packet *out)
{
    struct caches *c = ctx;
    c->lookups++;
    if (ssrc == FX_SSRC_A)
        return okno_packet_cache_get(c->a, seq, out);
    if (ssrc == FX_SSRC_B)
        return okno_packet_cache_get(c->b, seq, out);
    return OKNO_E_NOTFOUND;
}

/* The pacer side: what was emitted, copied. */
#define MAX_EMITTED 8
static struct fx_packet emitted[MAX_EMITTED];
static size_t n_emitted;

static void record_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    (void)ctx;
    assert_true(n_emitted < MAX_EMITTED);
    assert_true(len <= sizeof emitted[0].buf);
    memcpy(emitted[n_emitted].buf, pkt, len);
    emitted[n_emitted].len = len;
    assert_int_equal(okno_rtp_parse(emitted[n_emitted].buf, len, &emitted[n_emitted].rtp), 0);
    n_emitted++;
}

static struct caches caches;
static struct okno_downtrack *dt;
/* What the subscriber got: A's key frame as 27681, B's key frame as 27682. */
static struct fx_packet key_a, key_b, sent_a, sent_b;

static struct okno_downtrack_stats stats(void)
{
    struct okno_downtrack_stats s;
    okno_downtrack_stats(dt, &s);
    return s;
}

static int nack(const uint16_t *seqs, size_t n, int64_t now_us)
{
    return okno_downtrack_on_nack(dt, seqs, n, cache_lookup, &caches, now_us, record_emit, NULL);
}

/* A publisher-side store then a forward, as the track does for every packet. */
static void store_and_forward(struct okno_packet_cache *cache, const struct fx_packet *p,
                              int64_t now_us, struct fx_packet *sent)
{
    assert_int_equal(okno_packet_cache_store(cache, p->buf, p->len, now_us), 0);
    assert_true(fx_forward(dt, p, now_us, sent) > 0);
}

static int setup_with(bool rtx)
{
    fx_load_frames();
    n_emitted = 0;
    memset(&caches, 0, sizeof caches);
    assert_int_equal(okno_packet_cache_create(256, &caches.a), 0);
    assert_int_equal(okno_packet_cache_create(256, &caches.b), 0);
    struct okno_downtrack_params p = fx_params(rtx);
    assert_int_equal(okno_downtrack_create(&p, NULL, &dt), 0);
    fx_load(FX_KEY_A, &key_a);
    fx_load(FX_KEY_B, &key_b);
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    store_and_forward(caches.a, &key_a, 0, &sent_a);
    okno_downtrack_set_target(dt, FX_SSRC_B, 3, 0);
    store_and_forward(caches.b, &key_b, 33000, &sent_b);
    assert_int_equal(sent_a.rtp.seq, 27681);
    assert_int_equal(sent_b.rtp.seq, 27682);
    return 0;
}

static int setup_rtx(void **state)
{
    (void)state;
    return setup_with(true);
}

static int setup_plain(void **state)
{
    (void)state;
    return setup_with(false);
}

static int teardown(void **state)
{
    (void)state;
    okno_downtrack_destroy(dt);
    okno_packet_cache_destroy(caches.a);
    okno_packet_cache_destroy(caches.b);
    return 0;
}

static void test_downtrack_nack_yields_rtx_whose_osn_is_output_seq_and_payload_matches(void **state)
{
    (void)state;
    const uint16_t lost[] = {27682};
    assert_int_equal(nack(lost, 1, 50000), 1);
    assert_int_equal(n_emitted, 1);
    const struct fx_packet *rtx = &emitted[0];
    assert_int_equal(rtx->rtp.ssrc, FX_RTX_SSRC);
    assert_int_equal(rtx->rtp.pt, FX_RTX_PT);
    assert_int_equal(rtx->rtp.ts, sent_b.rtp.ts);
    assert_int_equal(rtx->rtp.marker, sent_b.rtp.marker);
    assert_int_equal(okno_rtx_osn(&rtx->rtp), 27682);
    assert_int_equal(rtx->rtp.payload_len, OKNO_RTX_OSN_LEN + sent_b.rtp.payload_len);
    assert_memory_equal(rtx->rtp.payload + OKNO_RTX_OSN_LEN, sent_b.rtp.payload,
                        sent_b.rtp.payload_len);
    /* Unwrapped, it is exactly the packet the subscriber was first sent. */
    uint8_t orig[1600];
    int n = okno_rtx_unwrap(rtx->buf, rtx->len, orig, sizeof orig, FX_OUT_SSRC, FX_OUT_PT);
    assert_int_equal(n, sent_b.len);
    assert_memory_equal(orig, sent_b.buf, sent_b.len);

    /* Chromium's own RTX of the same original carries the same frame past the descriptor. */
    struct fx_packet chromium;
    fx_load(FX_RTX_KEYB, &chromium);
    assert_int_equal(okno_rtx_osn(&chromium.rtp), 28296);
    struct okno_vp8_desc d;
    int dl = okno_vp8_parse_desc(sent_b.rtp.payload, sent_b.rtp.payload_len, &d);
    assert_true(dl > 0);
    assert_int_equal(chromium.rtp.payload_len, rtx->rtp.payload_len);
    assert_memory_equal(chromium.rtp.payload + OKNO_RTX_OSN_LEN + dl,
                        rtx->rtp.payload + OKNO_RTX_OSN_LEN + dl,
                        sent_b.rtp.payload_len - (size_t)dl);

    struct okno_downtrack_stats s = stats();
    assert_int_equal(s.nacked, 1);
    assert_int_equal(s.retransmitted, 1);
    assert_int_equal(s.retransmitted_bytes, rtx->len);
}

static void test_downtrack_rtx_seq_increments_per_retransmission(void **state)
{
    (void)state;
    const uint16_t lost[] = {27681, 27682};
    assert_int_equal(nack(lost, 2, 50000), 2);
    assert_int_equal(n_emitted, 2);
    /* Both through the switch: A's original from A's cache, B's from B's. */
    assert_int_equal(okno_rtx_osn(&emitted[0].rtp), 27681);
    assert_int_equal(okno_rtx_osn(&emitted[1].rtp), 27682);
    assert_int_equal(emitted[0].rtp.ssrc, FX_RTX_SSRC);
    assert_int_equal(emitted[1].rtp.ssrc, FX_RTX_SSRC);
    uint16_t first = emitted[0].rtp.seq;
    assert_int_equal(emitted[1].rtp.seq, (uint16_t)(first + 1));
    /* A later answer continues the RTX numbering. */
    assert_int_equal(nack(&lost[0], 1, 200000), 1);
    assert_int_equal(emitted[2].rtp.seq, (uint16_t)(first + 2));
    assert_int_equal(okno_rtx_osn(&emitted[2].rtp), 27681);
}

static void test_downtrack_without_rtx_retransmits_the_plain_packet(void **state)
{
    (void)state;
    const uint16_t lost[] = {27681, 27682};
    assert_int_equal(nack(lost, 2, 50000), 2);
    assert_int_equal(emitted[0].len, sent_a.len);
    assert_memory_equal(emitted[0].buf, sent_a.buf, sent_a.len);
    assert_int_equal(emitted[1].len, sent_b.len);
    assert_memory_equal(emitted[1].buf, sent_b.buf, sent_b.len);
}

static void test_downtrack_nack_suppresses_repeat_within_interval(void **state)
{
    (void)state;
    const uint16_t twice[] = {27682, 27682};
    assert_int_equal(nack(twice, 2, 50000), 1);
    assert_int_equal(nack(twice, 1, 149999), 0);
    assert_int_equal(stats().nack_suppressed, 2);
    /* The default interval is 100 ms. */
    assert_int_equal(nack(twice, 1, 150000), 1);
    /* A measured RTT shortens it. */
    okno_downtrack_set_rtt(dt, 30000);
    assert_int_equal(nack(twice, 1, 170000), 0);
    assert_int_equal(nack(twice, 1, 180000), 1);
    assert_int_equal(n_emitted, 3);
    struct okno_downtrack_stats s = stats();
    assert_int_equal(s.nacked, 6);
    assert_int_equal(s.retransmitted, 3);
    assert_int_equal(s.nack_suppressed, 3);
}

static void test_downtrack_nack_counts_not_found_and_too_old(void **state)
{
    (void)state;
    /* Never sent (the next number, and one far away). */
    const uint16_t unknown[] = {27683, 1000};
    assert_int_equal(nack(unknown, 2, 50000), 0);
    assert_int_equal(stats().nack_not_found, 2);
    /* Sent, but older than the bound (1 s after it arrived). */
    const uint16_t old[] = {27681};
    assert_int_equal(nack(old, 1, 1000001), 0);
    assert_int_equal(stats().nack_too_old, 1);
    /* Sent, but the cache has let it go. */
    okno_packet_cache_clear(caches.b);
    const uint16_t gone[] = {27682};
    assert_int_equal(nack(gone, 1, 50000), 0);
    assert_int_equal(stats().nack_not_found, 3);
    assert_int_equal(n_emitted, 0);
    /* Numbers not sent are not even looked up in a cache. */
    assert_int_equal(caches.lookups, 2);
}

static void test_downtrack_nack_ignores_cache_entry_of_another_stream(void **state)
{
    (void)state;
    /* The publisher restarted: B's cache now holds another stream's packet under 28296. */
    okno_packet_cache_clear(caches.b);
    struct fx_packet impostor;
    struct fx_vp8 f = {.ssrc = 0x77777777u, .seq = 28296, .ts = 5, .pic = 9, .key = true};
    fx_build(&f, &impostor);
    assert_int_equal(okno_packet_cache_store(caches.b, impostor.buf, impostor.len, 40000), 0);
    const uint16_t lost[] = {27682};
    assert_int_equal(nack(lost, 1, 50000), 0);
    assert_int_equal(stats().nack_not_found, 1);
}

static void test_downtrack_retransmission_keeps_munged_picture_ids(void **state)
{
    (void)state;
    /* B goes on with a TL2 frame that the target drops, then a TL0 frame numbered behind it. */
    okno_downtrack_set_target(dt, FX_SSRC_B, 1, 40000);
    struct fx_packet tl2, tl0, sent;
    struct fx_vp8 f2 = {.ssrc = FX_SSRC_B, .seq = 28297, .ts = 1028782017, .pic = 0x62ad, .tid = 2};
    struct fx_vp8 f0 = {.ssrc = FX_SSRC_B, .seq = 28298, .ts = 1028785017, .pic = 0x62ae, .tl0 = 1};
    fx_build(&f2, &tl2);
    fx_build(&f0, &tl0);
    assert_int_equal(okno_packet_cache_store(caches.b, tl2.buf, tl2.len, 66000), 0);
    assert_int_equal(fx_forward(dt, &tl2, 66000, &sent), 0);
    store_and_forward(caches.b, &tl0, 99000, &sent);
    assert_int_equal(sent.rtp.seq, 27683);
    assert_int_equal(fx_picture_id(&sent), 0x4718);
    const uint16_t lost[] = {27683};
    assert_int_equal(nack(lost, 1, 120000), 1);
    assert_int_equal(emitted[0].len, sent.len);
    assert_memory_equal(emitted[0].buf, sent.buf, sent.len);
}

/* After a restart (the subscriber's link lost the chain, a key frame is coming), what arrived
 * before cannot be decoded any more: a NACK of it is not answered; one of a packet after is. */
static void test_downtrack_nack_after_restart_skips_what_came_before(void **state)
{
    (void)state;
    assert_int_equal(okno_downtrack_restart(dt, 0, 50000), 1);
    const uint16_t before[] = {27682};
    assert_int_equal(nack(before, 1, 60000), 0);
    assert_int_equal(stats().nack_too_old, 1);
    assert_int_equal(n_emitted, 0);
    /* B's key frame again (a new one, as the publisher would send): the chain starts over. */
    struct fx_vp8 k = {
        .ssrc = FX_SSRC_B, .seq = 28297, .ts = 1028790017, .pic = 0x62ad, .tl0 = 1, .key = true};
    struct fx_packet key, sent;
    fx_build(&k, &key);
    store_and_forward(caches.b, &key, 80000, &sent);
    assert_int_equal(sent.rtp.seq, 27683);
    const uint16_t after[] = {27683};
    assert_int_equal(nack(after, 1, 90000), 1);
}

#define T_RTX(name)   cmocka_unit_test_setup_teardown(name, setup_rtx, teardown)
#define T_PLAIN(name) cmocka_unit_test_setup_teardown(name, setup_plain, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T_RTX(test_downtrack_nack_yields_rtx_whose_osn_is_output_seq_and_payload_matches),
        T_RTX(test_downtrack_rtx_seq_increments_per_retransmission),
        T_PLAIN(test_downtrack_without_rtx_retransmits_the_plain_packet),
        T_RTX(test_downtrack_nack_suppresses_repeat_within_interval),
        T_RTX(test_downtrack_nack_counts_not_found_and_too_old),
        T_RTX(test_downtrack_nack_ignores_cache_entry_of_another_stream),
        T_PLAIN(test_downtrack_retransmission_keeps_munged_picture_ids),
        T_RTX(test_downtrack_nack_after_restart_skips_what_came_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
