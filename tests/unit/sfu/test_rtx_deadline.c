/* Unit tests of deadline-aware retransmission, in simulated time: a packet okno recovers late from
 * the publisher goes into the gap the subscriber's numbering kept for it (RTX-wrapped when RTX was
 * negotiated, plain otherwise) and a NACK crossing it is not answered twice; past the playout
 * deadline it is not sent, nor is a NACK answered; with video's 3 s budget a recovery over a long
 * publisher path still is, but not one from before a key frame the subscriber was sent since; the
 * NACK generator asks the publisher again after each RTT while the deadline allows and then stops,
 * still recognising a late arrival and when it was expected (for twice the deadline, as the track
 * configures it); an audio NACK answer leaves the pacer before video retransmissions queued
 * earlier. */
#include "downtrack_fixtures.h"
#include "sfu/nack_generator.h"
#include "sfu/packet_cache.h"
#include "sfu/pacer.h"
#include "sfu/track_rtx.h"
#include "wire/rtx.h"

#define MS 1000

static struct okno_packet_cache *cache;
static struct okno_downtrack *dt;

static int cache_lookup(void *ctx, uint32_t ssrc, uint16_t seq, struct okno_cached_packet *out)
{
    (void)ctx;
    return ssrc == FX_SSRC_A ? okno_packet_cache_get(cache, seq, out) : OKNO_E_NOTFOUND;
}

static unsigned n_emitted;
static struct fx_packet emitted;

static void record_emit(void *ctx, const uint8_t *pkt, size_t len)
{
    (void)ctx;
    n_emitted++;
    assert_true(len <= sizeof emitted.buf);
    memcpy(emitted.buf, pkt, len);
    emitted.len = len;
    assert_int_equal(okno_rtp_parse(emitted.buf, len, &emitted.rtp), 0);
}

/* Packet i of encoding A, temporal layer tid: one frame each, i == 0 the key frame; seq 1000 + i.
 */
static void frame_tid(unsigned i, uint8_t tid, struct fx_packet *p)
{
    const struct fx_vp8 f = {.ssrc = FX_SSRC_A,
                             .seq = (uint16_t)(1000 + i),
                             .ts = 90000 + 3000 * i,
                             .pic = (uint16_t)(100 + i),
                             .tl0 = (uint8_t)(10 + i),
                             .tid = tid,
                             .key = i == 0};
    fx_build(&f, p);
}

static void frame(unsigned i, struct fx_packet *p)
{
    frame_tid(i, 0, p);
}

/* Packet i as a key frame of its own, arriving at now_us. Returns the output sequence number. */
static uint16_t arrive_key(unsigned i, int64_t now_us)
{
    const struct fx_vp8 f = {.ssrc = FX_SSRC_A,
                             .seq = (uint16_t)(1000 + i),
                             .ts = 90000 + 3000 * i,
                             .pic = (uint16_t)(100 + i),
                             .tl0 = (uint8_t)(10 + i),
                             .key = true};
    struct fx_packet p, out;
    fx_build(&f, &p);
    assert_int_equal(okno_packet_cache_store(cache, p.buf, p.len, now_us), 0);
    assert_true(fx_forward(dt, &p, now_us, &out) > 0);
    return out.rtp.seq;
}

/* The track's part: stored at arrival (a recovered packet as of when it was expected), then
 * forwarded. Returns the output sequence number. */
static uint16_t arrive(unsigned i, int64_t now_us)
{
    struct fx_packet p, out;
    frame(i, &p);
    assert_int_equal(okno_packet_cache_store(cache, p.buf, p.len, now_us), 0);
    assert_true(fx_forward(dt, &p, now_us, &out) > 0);
    return out.rtp.seq;
}

/* Packet i (layer tid) recovered at now_us, expected at expected_us: forward_late's result, *out
 * parsed. */
static int recover_tid(unsigned i, uint8_t tid, int64_t expected_us, int64_t now_us,
                       struct fx_packet *out)
{
    struct fx_packet p;
    frame_tid(i, tid, &p);
    assert_int_equal(okno_packet_cache_store(cache, p.buf, p.len, expected_us), 0);
    int n = okno_downtrack_forward_late(dt, &p.rtp, p.buf, p.len, expected_us, now_us, out->buf,
                                        sizeof out->buf);
    if (n > 0) {
        out->len = (size_t)n;
        assert_int_equal(okno_rtp_parse(out->buf, out->len, &out->rtp), 0);
    }
    return n;
}

static int recover(unsigned i, int64_t expected_us, int64_t now_us, struct fx_packet *out)
{
    return recover_tid(i, 0, expected_us, now_us, out);
}

static struct okno_downtrack_stats stats(void)
{
    struct okno_downtrack_stats s;
    okno_downtrack_stats(dt, &s);
    return s;
}

/* A downtrack on A that got packets 0, 1 and 3 (2 lost before okno) and a cache. */
static void start(bool rtx, int64_t budget_us, bool adds_rtt)
{
    fx_load_frames();
    n_emitted = 0;
    assert_int_equal(okno_packet_cache_create(256, &cache), 0);
    struct okno_downtrack_params p = fx_params(rtx);
    p.playout_budget_us = budget_us;
    p.budget_adds_rtt = adds_rtt;
    p.nack_max_age_us = budget_us + 1000 * MS; /* as sfu/subscription.c sets it */
    assert_int_equal(okno_downtrack_create(&p, NULL, &dt), 0);
    okno_downtrack_set_target(dt, FX_SSRC_A, 3, 0);
    assert_int_equal(arrive(0, 0), 1000);
    assert_int_equal(arrive(1, 33 * MS), 1001);
    assert_int_equal(arrive(3, 100 * MS), 1003); /* the gap of 1002 kept */
}

static int teardown(void **state)
{
    (void)state;
    okno_downtrack_destroy(dt);
    okno_packet_cache_destroy(cache);
    dt = NULL;
    cache = NULL;
    return 0;
}

static void test_late_recovery_is_forwarded_as_rtx_into_the_gap(void **state)
{
    (void)state;
    start(true, 400 * MS, true);
    struct fx_packet out, orig;
    frame(2, &orig);
    /* 1002's gap was seen when 1003 came at 100 ms; the publisher's RTX comes at 350 ms. */
    int n = recover(2, 100 * MS, 350 * MS, &out);
    assert_true(n > 0);
    assert_int_equal(out.rtp.ssrc, FX_RTX_SSRC);
    assert_int_equal(out.rtp.pt, FX_RTX_PT);
    assert_int_equal(okno_rtx_osn(&out.rtp), 1002);
    assert_int_equal(out.rtp.ts, orig.rtp.ts); /* first source: its own timestamps */
    assert_int_equal(out.rtp.payload_len, OKNO_RTX_OSN_LEN + orig.rtp.payload_len);
    assert_memory_equal(out.rtp.payload + OKNO_RTX_OSN_LEN + (orig.rtp.payload_len - 100),
                        orig.rtp.payload + (orig.rtp.payload_len - 100), 100);
    assert_int_equal(stats().forwarded_late, 1);
    assert_int_equal(stats().late_too_late, 0);
    /* The subscriber's NACK for 1002 crossing it is not answered a second time... */
    const uint16_t lost[] = {1002};
    assert_int_equal(
        okno_downtrack_on_nack(dt, lost, 1, cache_lookup, NULL, 360 * MS, record_emit, NULL), 0);
    assert_int_equal(stats().nack_suppressed, 1);
    /* ...but one after the interval is, the same packet again. */
    assert_int_equal(
        okno_downtrack_on_nack(dt, lost, 1, cache_lookup, NULL, 460 * MS, record_emit, NULL), 1);
    assert_int_equal(okno_rtx_osn(&emitted.rtp), 1002);
    /* The stream goes on after the gap as before. */
    assert_int_equal(arrive(4, 133 * MS), 1004);
}

static void test_late_recovery_without_rtx_is_the_original_number(void **state)
{
    (void)state;
    start(false, 400 * MS, true);
    struct fx_packet out;
    assert_true(recover(2, 100 * MS, 350 * MS, &out) > 0);
    assert_int_equal(out.rtp.ssrc, FX_OUT_SSRC);
    assert_int_equal(out.rtp.pt, FX_OUT_PT);
    assert_int_equal(out.rtp.seq, 1002);
    assert_int_equal(stats().forwarded_late, 1);
}

static void test_late_recovery_keeps_the_layer_rules(void **state)
{
    (void)state;
    start(true, 400 * MS, true);
    /* Down to TL0 from the next frame on. */
    okno_downtrack_set_target(dt, FX_SSRC_A, 0, 110 * MS);
    assert_int_equal(arrive(4, 133 * MS), 1004);
    /* 1002 was a TL2 frame: the subscriber would not have had it. Its gap stays. */
    struct fx_packet out;
    assert_int_equal(recover_tid(2, 2, 100 * MS, 200 * MS, &out), 0);
    assert_int_equal(stats().forwarded_late, 0);
    assert_int_equal(stats().dropped[OKNO_DOWNTRACK_DROP_TEMPORAL], 1);
    /* A TL0 frame lost and recovered goes into its gap. */
    assert_int_equal(arrive(6, 200 * MS), 1006);
    assert_true(recover(5, 200 * MS, 300 * MS, &out) > 0);
    assert_int_equal(okno_rtx_osn(&out.rtp), 1005);
    assert_int_equal(stats().forwarded_late, 1);
}

static void test_late_recovery_past_the_deadline_is_not_sent(void **state)
{
    (void)state;
    start(true, 400 * MS, true);
    okno_downtrack_set_rtt(dt, 100 * MS);
    /* Budget 400 ms + the RTT 100 ms against the age + RTT/2: in time up to an age of 450 ms. */
    struct fx_packet out;
    assert_true(recover(2, 100 * MS, 550 * MS, &out) > 0);
    assert_int_equal(arrive(5, 166 * MS), 1005); /* 1004 lost too */
    assert_int_equal(recover(4, 166 * MS, 617 * MS, &out), 0);
    assert_int_equal(stats().forwarded_late, 1);
    assert_int_equal(stats().late_too_late, 1);
    /* Its gap stays: a NACK for it finds nothing to send. */
    const uint16_t lost[] = {1004};
    assert_int_equal(
        okno_downtrack_on_nack(dt, lost, 1, cache_lookup, NULL, 620 * MS, record_emit, NULL), 0);
    assert_int_equal(stats().nack_not_found, 1);
}

/* A publisher 1.9 s of round trip away (a 2G uplink with a full queue): what okno recovers from it
 * comes about 2 s after the gap, and with video's default budget (3 s, what a browser waits for a
 * decodable frame) it still goes into the subscriber's gap; so is a NACK answered at 2.5 s. */
static void test_late_recovery_over_a_long_publisher_path_is_sent(void **state)
{
    (void)state;
    start(true, 3000 * MS, true);
    okno_downtrack_set_rtt(dt, 20 * MS);
    struct fx_packet out;
    assert_true(recover(2, 100 * MS, 2100 * MS, &out) > 0);
    assert_int_equal(okno_rtx_osn(&out.rtp), 1002);
    assert_int_equal(stats().forwarded_late, 1);
    const uint16_t first[] = {1001}; /* arrived at 33 ms */
    assert_int_equal(
        okno_downtrack_on_nack(dt, first, 1, cache_lookup, NULL, 2500 * MS, record_emit, NULL), 1);
    /* Past the budget (3 s plus the RTT, against the age plus half the RTT) it is not. */
    assert_int_equal(
        okno_downtrack_on_nack(dt, first, 1, cache_lookup, NULL, 3044 * MS, record_emit, NULL), 0);
    assert_int_equal(stats().nack_too_old, 1);
}

/* Once the subscriber has been sent a key frame, what was lost before it is no use to it: a late
 * recovery from before it is not sent unasked; a lost packet of the key frame itself (missing
 * after its first packet went) still is. A NACK (the subscriber still wants a packet) is answered
 * within the budget either way. */
static void test_nothing_from_before_a_key_frame_sent_is_resent(void **state)
{
    (void)state;
    start(true, 3000 * MS, true);
    okno_downtrack_set_rtt(dt, 20 * MS);
    assert_int_equal(arrive_key(4, 133 * MS), 1004);
    struct fx_packet out;
    assert_int_equal(recover(2, 100 * MS, 1500 * MS, &out), 0);
    assert_int_equal(stats().late_too_late, 1);
    assert_int_equal(stats().forwarded_late, 0);
    const uint16_t older[] = {1001}, key[] = {1004};
    assert_int_equal(
        okno_downtrack_on_nack(dt, older, 1, cache_lookup, NULL, 200 * MS, record_emit, NULL), 1);
    assert_int_equal(okno_rtx_osn(&emitted.rtp), 1001);
    assert_int_equal(
        okno_downtrack_on_nack(dt, key, 1, cache_lookup, NULL, 200 * MS, record_emit, NULL), 1);
    assert_int_equal(okno_rtx_osn(&emitted.rtp), 1004);
    /* 1006 lost after the key frame, its gap seen at 200 ms: recovered late, it is sent. */
    assert_int_equal(arrive(7, 200 * MS), 1007);
    assert_true(recover(6, 200 * MS, 1800 * MS, &out) > 0);
    assert_int_equal(okno_rtx_osn(&out.rtp), 1006);
    assert_int_equal(stats().forwarded_late, 1);
}

/* The publisher-side generator of a video track asks until the deadline and remembers a number
 * for twice that, so a retransmission from a slow path still counts as recovered (and is
 * forwarded) rather than being taken for a duplicate. */
/* Packet 2 of 1..3 lost at 0, NACKed over a 1.9 s round trip, its retransmission in at 3.9 s:
 * what the generator says of it then. */
static unsigned slow_recovery(const struct okno_nack_config *cfg, uint64_t *nacked)
{
    struct okno_nack_generator *ng;
    assert_int_equal(okno_nack_generator_create(cfg, &ng), 0);
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    okno_nack_generator_on_packet(ng, 3, 0, 0);
    uint16_t out[4];
    for (int64_t t = 0; t < 3900 * MS; t += 10 * MS)
        okno_nack_generator_poll(ng, t, 1900 * MS, out, 4);
    unsigned r = okno_nack_generator_on_packet(ng, 2, OKNO_NACK_PKT_RETRANSMISSION, 3900 * MS);
    struct okno_nack_stats s;
    okno_nack_generator_stats(ng, &s);
    *nacked = s.nacked;
    okno_nack_generator_destroy(ng);
    return r;
}

static void test_track_nack_config_remembers_past_the_deadline(void **state)
{
    (void)state;
    struct okno_nack_config cfg = okno_track_rtx_nack_config(NULL);
    assert_int_equal(cfg.deadline_us, 0); /* no SFU: no deadline, the generator's defaults */
    assert_int_equal(cfg.max_age_us, 0);
    /* What the track asks with a 3 s budget: at 10 ms, 1.91 s and 3.81 s; the answer counts. */
    cfg.deadline_us = 3000 * MS;
    cfg.max_age_us = 2 * cfg.deadline_us;
    uint64_t nacked;
    assert_int_equal(slow_recovery(&cfg, &nacked), OKNO_NACK_RECOVERED);
    assert_int_equal(nacked, 3);
    /* With the generator's own 1 s memory the same retransmission is taken for a duplicate (and
     * the track drops it): nothing recovered over such a path. */
    cfg.max_age_us = 0;
    assert_int_equal(slow_recovery(&cfg, &nacked), OKNO_NACK_DUPLICATE);
}

static void test_nack_answer_respects_the_deadline(void **state)
{
    (void)state;
    /* Audio-like: budget 150 ms, not extended by the RTT; RTT 20 ms. */
    start(true, 150 * MS, false);
    okno_downtrack_set_rtt(dt, 20 * MS);
    const uint16_t first[] = {1001}; /* arrived at 33 ms */
    assert_int_equal(
        okno_downtrack_on_nack(dt, first, 1, cache_lookup, NULL, 173 * MS, record_emit, NULL), 1);
    const uint16_t third[] = {1003}; /* arrived at 100 ms: 141 + 10 > 150 at 241 ms */
    assert_int_equal(
        okno_downtrack_on_nack(dt, third, 1, cache_lookup, NULL, 241 * MS, record_emit, NULL), 0);
    assert_int_equal(stats().nack_too_old, 1);
    assert_int_equal(stats().retransmitted, 1);
    /* The edge: an age of 140 ms plus half the RTT is the budget. */
    assert_true(okno_downtrack_in_time(dt, 0, 140 * MS));
    assert_false(okno_downtrack_in_time(dt, 0, 141 * MS));
}

static void test_nack_generator_renacks_until_the_deadline(void **state)
{
    (void)state;
    const struct okno_nack_config cfg = {.deadline_us = 400 * MS};
    struct okno_nack_generator *ng;
    assert_int_equal(okno_nack_generator_create(&cfg, &ng), 0);
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    assert_int_equal(okno_nack_generator_on_packet(ng, 3, 0, 0), OKNO_NACK_NEW);
    assert_int_equal(okno_nack_generator_last_missing_us(ng), -1);
    const int64_t rtt = 100 * MS;
    uint16_t out[4];
    /* Asked after the reorder wait, then again every RTT: each retransmission was lost. */
    int64_t asked[8];
    unsigned n_asked = 0;
    for (int64_t t = 0; t <= 700 * MS; t += 5 * MS) {
        size_t n = okno_nack_generator_poll(ng, t, rtt, out, 4);
        if (n > 0) {
            assert_int_equal(n, 1);
            assert_int_equal(out[0], 2);
            assert_true(n_asked < 8);
            asked[n_asked++] = t;
        }
    }
    /* 10 ms, then 110..410 ms; at 510 ms its age (plus RTT/2) is past the budget plus the RTT. */
    assert_int_equal(n_asked, 5);
    assert_int_equal(asked[0], 10 * MS);
    for (unsigned i = 1; i < n_asked; i++)
        assert_int_equal(asked[i] - asked[i - 1], rtt);
    struct okno_nack_stats s;
    okno_nack_generator_stats(ng, &s);
    assert_int_equal(s.too_late, 1);
    assert_int_equal(s.nacked, 5);
    /* A retransmission still in flight arrives: recovered, and expected when the gap was seen. */
    assert_int_equal(okno_nack_generator_on_packet(ng, 2, OKNO_NACK_PKT_RETRANSMISSION, 720 * MS),
                     OKNO_NACK_RECOVERED);
    assert_int_equal(okno_nack_generator_last_missing_us(ng), 0);
    okno_nack_generator_stats(ng, &s);
    assert_int_equal(s.recovered, 1);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_without_deadline_keeps_asking(void **state)
{
    (void)state;
    struct okno_nack_generator *ng;
    assert_int_equal(okno_nack_generator_create(NULL, &ng), 0);
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    okno_nack_generator_on_packet(ng, 3, 0, 0);
    uint16_t out[4];
    unsigned asked = 0;
    for (int64_t t = 0; t <= 700 * MS; t += 5 * MS)
        asked += (unsigned)okno_nack_generator_poll(ng, t, 100 * MS, out, 4);
    assert_int_equal(asked, 7); /* 10 ms, then every 100 ms up to 610 ms */
    struct okno_nack_stats s;
    okno_nack_generator_stats(ng, &s);
    assert_int_equal(s.too_late, 0);
    okno_nack_generator_destroy(ng);
}

/* Records the classes in the order the pacer sends them. */
static enum okno_pacer_class sent_order[8];
static unsigned n_sent;

static int record_send(void *ud, enum okno_pacer_class cls, void *tag, uint8_t *pkt, size_t len,
                       size_t cap, int64_t now_us)
{
    (void)ud, (void)tag, (void)pkt, (void)len, (void)cap, (void)now_us;
    if (n_sent < 8)
        sent_order[n_sent] = cls;
    n_sent++;
    return 0;
}

static void test_audio_answer_leaves_before_video_retransmissions(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(0);
    okno_pacer_set_estimate(p, 50000); /* 125 kbit/s paced: one 1,000-byte packet per 64 ms */
    uint8_t video[1000] = {0x80}, audio[120] = {0x80};
    n_sent = 0;
    okno_pacer_process(p, 0, record_send, NULL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            okno_pacer_enqueue(p, okno_rtx_pacer_class(true), NULL, video, sizeof video, 1 * MS),
            0);
    assert_int_equal(
        okno_pacer_enqueue(p, okno_rtx_pacer_class(false), NULL, audio, sizeof audio, 2 * MS), 0);
    for (int64_t t = 5 * MS; t <= 400 * MS && n_sent < 4; t += 5 * MS)
        okno_pacer_process(p, t, record_send, NULL);
    assert_int_equal(n_sent, 4);
    assert_int_equal(sent_order[0], OKNO_PACER_AUDIO);
    for (unsigned i = 1; i < 4; i++)
        assert_int_equal(sent_order[i], OKNO_PACER_RTX);
    okno_pacer_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_late_recovery_is_forwarded_as_rtx_into_the_gap, teardown),
        cmocka_unit_test_teardown(test_late_recovery_without_rtx_is_the_original_number, teardown),
        cmocka_unit_test_teardown(test_late_recovery_keeps_the_layer_rules, teardown),
        cmocka_unit_test_teardown(test_late_recovery_past_the_deadline_is_not_sent, teardown),
        cmocka_unit_test_teardown(test_nack_answer_respects_the_deadline, teardown),
        cmocka_unit_test_teardown(test_late_recovery_over_a_long_publisher_path_is_sent, teardown),
        cmocka_unit_test_teardown(test_nothing_from_before_a_key_frame_sent_is_resent, teardown),
        cmocka_unit_test(test_track_nack_config_remembers_past_the_deadline),
        cmocka_unit_test(test_nack_generator_renacks_until_the_deadline),
        cmocka_unit_test(test_nack_generator_without_deadline_keeps_asking),
        cmocka_unit_test(test_audio_answer_leaves_before_video_retransmissions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
