/* The downtrack's probe packets (sfu/downtrack_probe.h) with the Chromium capture's frames: an RTX
 * copy of the video sent last when the probe wants more than padding carries (the original sequence
 * number is the one the subscriber got, the transport-wide element is there to stamp), older ones
 * after it, padding-only RTX when the cache has nothing or a small packet is wanted, nothing at all
 * without RTX or transport-wide-cc, and the media numbering and NACK answers untouched; and the
 * parts together as the participant's glue drives them (sfu/participant_probe.h): a 2 Mbit/s
 * cluster leaves through the pacer's padding class at about its rate over some 15 ms, audio and
 * video leave in the step they came whatever the cluster does, and sub_bwe's history marks
 * exactly the cluster's packets (media among them) as probes. */
#include "downtrack_fixtures.h"
#include "sfu/downtrack_probe.h"
#include "sfu/pacer.h"
#include "sfu/packet_cache.h"
#include "sfu/prober.h"
#include "sfu/sub_bwe.h"
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

struct run {
    struct okno_prober pr;
    struct okno_sub_bwe *b;
    int64_t media_wait_max; /* the longest an audio or video packet waited in the pacer */
    int64_t enq_at[4];      /* when the packet of each class now queued came, by class */
    unsigned probes, padding, unmarked_padding;
    int64_t first_us, last_us;
    uint64_t bytes, last_bytes;
    int marked_seq[64], unmarked_seq[64];
    unsigned n_marked, n_unmarked;
};

static int run_send(void *ud, enum okno_pacer_class cls, void *tag, uint8_t *pkt, size_t len,
                    size_t cap, int64_t now_us)
{
    (void)tag;
    (void)cap;
    struct run *r = ud;
    if (cls == OKNO_PACER_AUDIO || cls == OKNO_PACER_VIDEO) {
        int64_t w = now_us - r->enq_at[cls];
        if (w > r->media_wait_max)
            r->media_wait_max = w;
    }
    bool done;
    bool mark = okno_prober_on_sent(&r->pr, len, cls == OKNO_PACER_PADDING, now_us, &done);
    int seq = okno_sub_bwe_on_send(r->b, pkt, len, now_us, mark);
    if (cls == OKNO_PACER_PADDING) {
        struct okno_rtp_pkt rtp;
        assert_int_equal(okno_rtp_parse(pkt, len, &rtp), 0);
        assert_int_equal(rtp.ssrc, FX_RTX_SSRC); /* never on the media SSRC */
        r->padding++;
        r->unmarked_padding += !mark;
    }
    if (mark) {
        if (r->probes == 0)
            r->first_us = now_us;
        r->probes++;
        r->last_us = now_us;
        r->bytes += len;
        r->last_bytes = len;
        if (seq >= 0 && r->n_marked < 64)
            r->marked_seq[r->n_marked++] = seq;
    } else if (seq >= 0 && r->n_unmarked < 64) {
        r->unmarked_seq[r->n_unmarked++] = seq;
    }
    return 0;
}

static void test_probe_cluster_paced_at_its_rate_without_delaying_media(void **state)
{
    (void)state;
    struct okno_downtrack *dt = make(true, TWCC_ID);
    struct run r;
    memset(&r, 0, sizeof r);
    okno_prober_init(&r.pr);
    r.b = okno_sub_bwe_new("t");
    okno_sub_bwe_set_ids(r.b, TWCC_ID, 0);
    struct okno_pacer *pacer = okno_pacer_new(64);
    uint16_t back = 0;
    uint8_t buf[OKNO_MTU];
    const uint32_t estimate = 500000, probe_bps = 2000000;
    unsigned frame = 0;
    for (int64_t t = 0; t <= 200000; t += OKNO_PACER_INTERVAL_US) {
        if (t % 20000 == 0) { /* audio: a small packet of its own every 20 ms */
            memset(buf, 0, 60);
            buf[0] = 0x80;
            buf[1] = 111;
            r.enq_at[OKNO_PACER_AUDIO] = t;
            assert_int_equal(okno_pacer_enqueue(pacer, OKNO_PACER_AUDIO, NULL, buf, 60, t), 0);
        }
        if (t >= 33000 * (int64_t)frame) { /* video: a frame every 33 ms */
            struct fx_packet sent;
            send_frame(dt, frame++, &sent);
            r.enq_at[OKNO_PACER_VIDEO] = t;
            assert_int_equal(
                okno_pacer_enqueue(pacer, OKNO_PACER_VIDEO, NULL, sent.buf, sent.len, t), 0);
        }
        if (t == 50000)
            assert_true(okno_prober_start(&r.pr, probe_bps, t));
        size_t due = okno_prober_cluster_deficit(&r.pr, okno_pacer_queued_bytes(pacer), t);
        while (due > 0) {
            int n = okno_downtrack_write_probe(dt, lookup, NULL, &back, due, t, buf, sizeof buf);
            assert_true(n > 0);
            assert_int_equal(okno_pacer_enqueue(pacer, OKNO_PACER_PADDING, NULL, buf, (size_t)n, t),
                             0);
            due = (size_t)n >= due ? 0 : due - (size_t)n;
        }
        okno_pacer_set_estimate(pacer, okno_prober_active(&r.pr) ? probe_bps : estimate);
        okno_pacer_process(pacer, t, run_send, &r);
    }
    double rate = (double)(r.bytes - r.last_bytes) * 8e6 / (double)(r.last_us - r.first_us);
    printf("# cluster: %u packets (%u padding), %llu bytes over %lld ms at %.0f kbit/s "
           "(asked %u); media waited at most %lld ms\n",
           r.probes, r.padding, (unsigned long long)r.bytes,
           (long long)((r.last_us - r.first_us) / 1000), rate / 1000, probe_bps / 1000,
           (long long)(r.media_wait_max / 1000));
    assert_int_equal(r.pr.c.clusters, 1);
    assert_false(okno_prober_active(&r.pr));
    assert_true(r.probes >= OKNO_PROBER_CLUSTER_MIN_PKTS);
    assert_true(r.bytes >= (uint64_t)probe_bps * OKNO_PROBER_CLUSTER_US / 8000000);
    assert_true(r.last_us - r.first_us >= 10000 && r.last_us - r.first_us <= 25000);
    assert_true(rate >= 0.6 * probe_bps && rate <= 1.6 * probe_bps);
    assert_int_equal(r.media_wait_max, 0);
    assert_int_equal(r.unmarked_padding, 0);
    /* sub_bwe's history: the cluster's packets are probes, the rest are not. */
    struct okno_sub_bwe_slot slot;
    assert_true(r.n_marked >= OKNO_PROBER_CLUSTER_MIN_PKTS && r.n_unmarked > 5);
    for (unsigned i = 0; i < r.n_marked; i++) {
        assert_int_equal(okno_sub_bwe_sent(r.b, (uint16_t)r.marked_seq[i], &slot), 0);
        assert_true(slot.probe);
    }
    for (unsigned i = 0; i < r.n_unmarked; i++) {
        assert_int_equal(okno_sub_bwe_sent(r.b, (uint16_t)r.unmarked_seq[i], &slot), 0);
        assert_false(slot.probe);
    }
    okno_pacer_free(pacer);
    okno_sub_bwe_free(r.b);
    okno_downtrack_destroy(dt);
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
        cmocka_unit_test_setup_teardown(test_probe_cluster_paced_at_its_rate_without_delaying_media,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
