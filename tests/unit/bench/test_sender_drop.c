/* okno-bench's sender after its target falls (a REMB from 2 Mbit/s to 300 kbit/s, as a capacity
 * drop does to the estimate), in simulated time against a recording transport: what leaves over
 * the next half second stays within 2.5 x the new target, the encoder skips captures instead of
 * queueing them (the queue stays short and frames keep coming), and audio is neither skipped nor
 * held behind the video. Retransmissions asked for after the fall keep within the target. Then the
 * same with transport-cc feedback over a bottleneck that falls from 2.5 Mbit/s to 600 kbit/s (RFC
 * 8867 5.1's step): the link's queue empties within seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sender_loop.h"
#include "wire/rtcp_fb.h"
#include "wire/vp8.h"

#define S(x)       ((int64_t)(x)*1000000)
#define AUDIO_SSRC 0x1111u
#define VIDEO_SSRC 0x2222u
#define RTX_SSRC   0x3333u
#define FALL_KBPS  300u
#define STEP_US    10000
#define ONE_PACKET 1280 /* the largest the sender sends (a pacer slot) */

/* The REMB scenario, run once for the tests that read it. */
struct drop_run {
    struct loop l;
    int64_t fall_us;             /* when the REMB arrived */
    uint32_t max_queue_ms_after; /* the pacer queue's longest, from 1 s after the fall */
    uint32_t max_queue_ms_first; /* and over the first second */
    uint64_t skipped_before, skipped_after, keyframes_after;
    uint64_t encoded_after;
};

static int setup(void **state)
{
    struct drop_run *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    struct loop *l = &r->l;
    loop_init(l);
    struct okno_sender_config c = loop_config(l, true, true);
    c.ext_twcc = -1; /* the target is the start rate until REMB caps it */
    c.start_kbps = 2000;
    c.audio_ssrc = AUDIO_SSRC;
    c.video_ssrc[0] = VIDEO_SSRC;
    c.rtx_ssrc[0] = RTX_SSRC;
    if (loop_start(l, &c) < 0)
        return -1;
    loop_run(l, LOOP_T0 + S(6));
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    r->skipped_before = st.frames_skipped_queue;
    r->fall_us = l->now;
    if (loop_remb(l, FALL_KBPS * 1000) <= 0)
        return -1;
    /* and a key frame asked for with it, as a receiver does after the losses of a drop: at the
     * new rate it takes longer to leave than a few frame intervals */
    uint8_t buf[64];
    int n = okno_rtcp_pli_build(9, VIDEO_SSRC, buf, sizeof buf);
    if (n <= 0)
        return -1;
    loop_rtcp_in(l, buf, (size_t)n);
    uint64_t encoded = st.frames_encoded, keyframes = st.keyframes;
    while (l->now < r->fall_us + S(5)) {
        loop_run(l, l->now + STEP_US);
        okno_sender_stats(l->s, l->now, &st);
        uint32_t *m = l->now - r->fall_us < S(1) ? &r->max_queue_ms_first : &r->max_queue_ms_after;
        *m = st.pacer_queue_ms > *m ? st.pacer_queue_ms : *m;
    }
    r->skipped_after = st.frames_skipped_queue - r->skipped_before;
    r->encoded_after = st.frames_encoded - encoded;
    r->keyframes_after = st.keyframes - keyframes;
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct drop_run *r = *state;
    loop_free(&r->l);
    free(r);
    return 0;
}

static uint32_t ssrc_of(const struct loop *l, size_t i)
{
    struct okno_rtp_pkt p = loop_parse(l, i);
    return p.ssrc;
}

static void test_sent_rate_follows_the_fall_at_once(void **state)
{
    struct drop_run *r = *state;
    struct loop *l = &r->l;
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.target_kbps, FALL_KBPS);
    uint64_t before = loop_bytes_between(l, r->fall_us - S(1), r->fall_us);
    uint64_t after = loop_bytes_between(l, r->fall_us, r->fall_us + 500000);
    /* 2.5 x 300 kbit/s for 0.5 s, and one packet */
    const uint64_t limit = (uint64_t)FALL_KBPS * 1000 * 25 / 10 / 8 / 2 + ONE_PACKET;
    printf("# sent %.0f kbit/s in the second before the fall to %u kbit/s, %" PRIu64
           " bytes in the half second after it (limit %" PRIu64 ")\n",
           (double)before * 8 / 1000, FALL_KBPS, after, limit);
    assert_true(before * 8 > 1500000); /* the sender was at its 2 Mbit/s before */
    assert_true(after <= limit);
    /* and later on, about the target, not 2.5 x it */
    double later = (double)loop_bytes_between(l, r->fall_us + S(2), r->fall_us + S(5)) * 8 / 3000;
    printf("# 2-5 s after the fall: %.0f kbit/s\n", later);
    assert_true(later < FALL_KBPS * 1.15);
}

static void test_frames_are_skipped_not_queued(void **state)
{
    struct drop_run *r = *state;
    struct loop *l = &r->l;
    /* the longest gap between video frames sent (their last packet) after the fall */
    int64_t last = r->fall_us, worst = 0;
    for (size_t i = 0; i < l->n_rtp; i++) {
        if (l->rtp[i].at < r->fall_us)
            continue;
        struct okno_rtp_pkt p = loop_parse(l, i);
        if (p.ssrc != VIDEO_SSRC || !p.marker)
            continue;
        worst = l->rtp[i].at - last > worst ? l->rtp[i].at - last : worst;
        last = l->rtp[i].at;
    }
    printf("# after the fall: %" PRIu64 " captures skipped for the pacer queue (%" PRIu64
           " before it), %" PRIu64 " encoded over 5 s, longest gap between frames %" PRId64
           " ms, pacer queue at most %u ms in the first second, %u ms after, %" PRIu64
           " key frames\n",
           r->skipped_after, r->skipped_before, r->encoded_after, worst / 1000,
           r->max_queue_ms_first, r->max_queue_ms_after, r->keyframes_after);
    assert_true(r->skipped_after > 0);
    /* frames keep coming: at least 10 a second, none of the gaps a freeze */
    assert_true(r->encoded_after >= 50);
    assert_true(worst < 700000);
    /* the queue is what a frame or two make at the new rate, not a backlog */
    assert_true(r->max_queue_ms_first < 1000);
    assert_true(r->max_queue_ms_after < 500);
}

static void test_audio_is_never_skipped_nor_delayed(void **state)
{
    struct drop_run *r = *state;
    struct loop *l = &r->l;
    size_t n = 0;
    for (size_t i = 0; i < l->n_rtp; i++) {
        if (l->rtp[i].at < r->fall_us - S(1) || ssrc_of(l, i) != AUDIO_SSRC)
            continue;
        /* it leaves in the poll that encoded it: on the 20 ms grid, whatever video waits */
        assert_int_equal((l->rtp[i].at - LOOP_T0) % 20000, 0);
        n++;
    }
    printf("# %zu audio packets over the 6 s around the fall (50 a second)\n", n);
    assert_int_equal(n, 6 * 50);
}

/* A sender at its 2 Mbit/s start (REMB only, no transport-cc), 6 s into the call. */
static void start_at_2mbps(struct loop *l)
{
    loop_init(l);
    struct okno_sender_config c = loop_config(l, true, true);
    c.ext_twcc = -1;
    c.start_kbps = 2000;
    c.video_ssrc[0] = VIDEO_SSRC;
    c.rtx_ssrc[0] = RTX_SSRC;
    assert_int_equal(loop_start(l, &c), 0);
    loop_run(l, LOOP_T0 + S(6));
}

/* A NACK for every video packet of the last half second at 2 Mbit/s, right after the target fell
 * to 300 kbit/s (the old rate's burst lost on the shrunk link): retransmissions over the next
 * second stay within the target's second, as libwebrtc's retransmission rate limiter keeps them,
 * and video keeps flowing beside them instead of waiting out the storm, at an encoder rate the
 * retransmissions take at most half of. */
static void test_retransmissions_keep_to_the_target(void **state)
{
    (void)state;
    struct loop l;
    start_at_2mbps(&l);
    static uint16_t lost[1000];
    size_t n = 0;
    for (size_t i = 0; i < l.n_rtp && n < 1000; i++) {
        if (l.rtp[i].at < l.now - 500000)
            continue;
        struct okno_rtp_pkt p = loop_parse(&l, i);
        if (p.ssrc == VIDEO_SSRC)
            lost[n++] = p.seq;
    }
    assert_true(loop_remb(&l, FALL_KBPS * 1000) > 0);
    loop_run(&l, l.now + 1000); /* the sender follows the REMB at its next poll */
    /* in NACKs of at most 100 numbers, as they fit a packet */
    static uint8_t buf[1200];
    for (size_t k = 0; k < n; k += 100) {
        int len = okno_rtcp_nack_build(9, VIDEO_SSRC, lost + k, n - k < 100 ? n - k : 100, buf,
                                       sizeof buf);
        assert_true(len > 0);
        loop_rtcp_in(&l, buf, (size_t)len);
    }
    int64_t from = l.now;
    loop_run(&l, from + S(1));
    uint64_t rtx = 0, video = 0;
    for (size_t i = 0; i < l.n_rtp; i++) {
        if (l.rtp[i].at < from)
            continue;
        uint32_t ssrc = ssrc_of(&l, i);
        rtx += ssrc == RTX_SSRC ? l.rtp[i].len : 0;
        video += ssrc == VIDEO_SSRC ? l.rtp[i].len : 0;
    }
    const uint64_t limit = FALL_KBPS * 1000 / 8 + ONE_PACKET;
    printf("# %zu packets NACKed after the fall to %u kbit/s: %" PRIu64
           " RTX bytes in the next second (limit %" PRIu64 "), %" PRIu64 " video bytes\n",
           n, FALL_KBPS, rtx, limit, video);
    assert_true(n > 50);
    assert_true(rtx <= limit && rtx > limit / 2);
    assert_true(video > 0);
    /* The second's retransmissions take at most half of the encoder's share (libwebrtc caps the
     * protection overhead at 50 %): not all of it, which left 20 kbit/s and scaled the resolution
     * down to 160x90 after every capacity drop. */
    struct okno_sender_stats st;
    okno_sender_stats(l.s, l.now, &st);
    printf("# encoder at %u kbit/s after the storm\n", st.encoder_kbps);
    assert_true(st.encoder_kbps >= FALL_KBPS / 2 - 60);
    loop_free(&l);
}

/* Transport-cc feedback over a FIFO bottleneck of 2.5 Mbit/s that falls to 600 kbit/s after 20 s:
 * the estimate follows, the sender with it, and the bottleneck's queue drains within a few
 * seconds instead of growing with the old rate's backlog. The sender is capped at 2 Mbit/s, the
 * rate the camera gave before its grain (c987ed4); from 2.45 Mbit/s the unbounded queue holds
 * 1.3 s after the fall and the estimate stays at 0.85 x the new capacity, so it is still 0.5 s
 * long 8 s later (a link's queue is bounded: bench/profiles drop at 300 ms). */
static void test_capacity_fall_drains_the_link(void **state)
{
    (void)state;
    struct loop l;
    loop_init(&l);
    l.twcc = true;
    l.capacity_bps = 2500000;
    l.delay_us = 50000;
    struct okno_sender_config c = loop_config(&l, true, true);
    c.start_kbps = 1000;
    c.max_kbps = 2000;
    assert_int_equal(loop_start(&l, &c), 0);
    loop_run(&l, LOOP_T0 + S(20));
    struct okno_sender_stats st;
    okno_sender_stats(l.s, l.now, &st);
    uint32_t target_before = st.target_kbps;
    int64_t fall = l.now;
    l.capacity_bps = 600000;
    int64_t worst_q = 0, drained_at = 0, q_end = 0;
    uint32_t lowest = UINT32_MAX;
    while (l.now < fall + S(8)) {
        loop_run(&l, l.now + STEP_US);
        int64_t q = l.link_free_us > l.now ? l.link_free_us - l.now : 0;
        worst_q = q > worst_q ? q : worst_q;
        if (q < 100000 && !drained_at && worst_q > 100000)
            drained_at = l.now;
        q_end = q;
        okno_sender_stats(l.s, l.now, &st);
        lowest = st.target_kbps < lowest ? st.target_kbps : lowest;
        if (getenv("DROP_TRACE") && (l.now - fall) % 250000 == 0) {
            printf("# t=%.2f target %u estimate %u sent %u pacer %u ms link queue %" PRId64
                   " ms enc %u skipped %" PRIu64 " dropped %" PRIu64 "\n",
                   (double)(l.now - fall) / 1e6, st.target_kbps, st.estimate_kbps, st.sent_kbps,
                   st.pacer_queue_ms, q / 1000, st.encoder_kbps, st.frames_skipped_queue,
                   st.frames_dropped);
        }
    }
    okno_sender_stats(l.s, l.now, &st);
    double kbps = (double)loop_bytes_between(&l, fall + S(5), fall + S(8)) * 8 / 3000;
    printf("# bottleneck 2.5 -> 0.6 Mbit/s (target %u before): its queue peaked at %" PRId64
           " ms, under 100 ms again %.1f s after the fall, %" PRId64
           " ms at 8 s; target %u at the lowest, %u at 8 s, sent %.0f kbit/s over 5-8 s\n",
           target_before, worst_q / 1000, drained_at ? (double)(drained_at - fall) / 1e6 : -1.0,
           q_end / 1000, lowest, st.target_kbps, kbps);
    printf("# %" PRIu64 " captures skipped for the pacer queue, %" PRIu64
           " resolution switches, %ux%u at 8 s\n",
           st.frames_skipped_queue, st.resolution_switches, st.width, st.height);
    assert_true(target_before > 1500);
    assert_true(lowest < 600);
    assert_true(drained_at > 0 && drained_at - fall < S(5));
    assert_true(kbps < 600);
    loop_free(&l);
}

/* A PLI while the pacer holds a backlog (a REMB has just cut the rate to 100 kbit/s, so the last
 * frame at 2 Mbit/s takes a quarter second to leave): the key frame flushes the backlog and leaves
 * at once, as Chromium's does, and the packets are numbered as they leave, so the frames it flushed
 * show as missing picture IDs and no sequence number is missing. */
static void test_keyframe_flushes_the_backlog(void **state)
{
    (void)state;
    struct loop l;
    start_at_2mbps(&l);
    /* the moment a frame has been queued */
    struct okno_sender_stats st;
    do {
        loop_run(&l, l.now + 1000);
        okno_sender_stats(l.s, l.now, &st);
    } while (st.pacer_queue_ms == 0);
    int64_t asked = l.now;
    size_t from = l.n_rtp;
    assert_true(loop_remb(&l, 100000) > 0);
    uint8_t buf[64];
    int n = okno_rtcp_pli_build(9, VIDEO_SSRC, buf, sizeof buf);
    assert_true(n > 0);
    loop_rtcp_in(&l, buf, (size_t)n);
    loop_run(&l, asked + S(2));
    okno_sender_stats(l.s, l.now, &st);

    bool have_prev = false;
    uint16_t prev_seq = 0, last_pid = 0, key_pid = 0;
    int64_t key_at = -1;
    bool last_marker = false;
    for (size_t i = 0; i < l.n_rtp; i++) {
        struct okno_rtp_pkt p = loop_parse(&l, i);
        if (p.ssrc != VIDEO_SSRC)
            continue;
        if (have_prev)
            assert_int_equal(p.seq, (uint16_t)(prev_seq + 1));
        have_prev = true;
        prev_seq = p.seq;
        struct okno_vp8_packet v;
        assert_int_equal(okno_vp8_parse(p.payload, p.payload_len, &v), 0);
        if (i >= from && key_at < 0 && okno_vp8_is_keyframe(&v)) {
            key_at = l.rtp[i].at;
            key_pid = v.desc.picture_id;
        } else if (key_at < 0) {
            last_pid = v.desc.picture_id;
            last_marker = p.marker;
        }
    }
    printf("# key frame left %.0f ms after the PLI, %" PRIu64
           " packets flushed; picture ID %u (its last packet %s) then the key frame's %u\n",
           key_at >= 0 ? (double)(key_at - asked) / 1000 : -1.0, st.packets_flushed,
           (unsigned)last_pid, last_marker ? "sent" : "flushed", (unsigned)key_pid);
    assert_true(key_at >= 0 && key_at - asked < 100000);
    assert_true(st.packets_flushed > 0);
    /* what was flushed: the rest of the frame being sent, or whole frames */
    assert_true(!last_marker || (uint16_t)(key_pid - last_pid) > 1);
    assert_true((uint16_t)(key_pid - last_pid) < 10);
    loop_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sent_rate_follows_the_fall_at_once),
        cmocka_unit_test(test_frames_are_skipped_not_queued),
        cmocka_unit_test(test_audio_is_never_skipped_nor_delayed),
    };
    const struct CMUnitTest link[] = {
        cmocka_unit_test(test_retransmissions_keep_to_the_target),
        cmocka_unit_test(test_capacity_fall_drains_the_link),
        cmocka_unit_test(test_keyframe_flushes_the_backlog),
    };
    int failed = cmocka_run_group_tests_name("remb_fall", tests, setup, teardown);
    return failed + cmocka_run_group_tests_name("link_fall", link, NULL, NULL);
}
