/* okno-bench's receiver (bench/call/receiver.h) over harder links in simulated time: NACKs left
 * unanswered (rate-limited PLIs, decoding back at the next key frame, or at the next TL0 frame
 * with temporal layers), re-NACKs and PLIs paced by a long RTT, and bench/linkemu's model of a
 * bursty, jittery 3G link. Figures are printed; the
 * simulation is deterministic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_receiver_sim.h"

/* Walks what the receiver sent and checks PLI spacing; returns the number of PLIs. */
static unsigned check_pli_spacing(const struct sim *s, int64_t min_gap_us)
{
    unsigned n = 0;
    int64_t last = INT64_MIN;
    for (size_t i = 0; i < s->n_rtcp; i++) {
        struct okno_rtcp_iter it;
        struct okno_rtcp_pkt p;
        okno_rtcp_iter_init(&it, s->rtcp[i].buf, s->rtcp[i].len);
        while (okno_rtcp_iter_next(&it, &p) == 1) {
            struct okno_rtcp_fb fb;
            if (okno_rtcp_fb_parse(&p, &fb) < 0)
                continue;
            assert_int_not_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_FIR);
            if (okno_rtcp_fb_kind(&fb) != OKNO_RTCP_FB_PLI)
                continue;
            assert_int_equal(fb.media_ssrc, SIM_SSRC);
            assert_int_equal(fb.sender_ssrc, SIM_LOCAL);
            if (last != INT64_MIN)
                assert_true(s->rtcp[i].at - last >= min_gap_us);
            last = s->rtcp[i].at;
            n++;
        }
    }
    return n;
}

static void test_receiver_sends_rate_limited_plis_when_nacks_go_unanswered(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 1, 300, 50000, 0.03, false);
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    c.nack_wait_us = 300000; /* give up soon: this server never answers */
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 8000000);
    print_figures("3% loss, NACK unanswered, 300 ms wait", &s);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    assert_true(st.nack_items > 0);
    assert_int_equal(st.rtx_packets, 0);
    assert_true(st.plis_sent > 0);
    assert_int_equal(check_pli_spacing(&s, 300000), st.plis_sent);
    assert_true(st.plis_sent <= 8000000 / 300000 + 1);
    assert_true(s.keyframes_requested == st.plis_sent);
    assert_true(st.undecodable_frames > 0);
    /* decoding came back after the key frames: frames decoded in most seconds */
    unsigned good = 0;
    for (size_t i = 0; i < m->timeline_n && i < 8; i++)
        good += m->timeline[i].frames > 0;
    assert_true(good >= 6);
    assert_true(st.frames_decoded > s.frame_no / 3);
    sim_free(&s);
}

/* Checks from what the receiver sent that no number was NACKed again within min_gap_us. Returns
 * the NACK items seen. */
static unsigned check_renack_spacing(const struct sim *s, int64_t min_gap_us)
{
    static int64_t last[65536];
    for (size_t i = 0; i < 65536; i++)
        last[i] = INT64_MIN;
    unsigned items = 0;
    for (size_t i = 0; i < s->n_rtcp; i++) {
        struct okno_rtcp_iter it;
        struct okno_rtcp_pkt p;
        okno_rtcp_iter_init(&it, s->rtcp[i].buf, s->rtcp[i].len);
        while (okno_rtcp_iter_next(&it, &p) == 1) {
            struct okno_rtcp_fb fb;
            uint16_t seqs[256];
            if (okno_rtcp_fb_parse(&p, &fb) < 0 || okno_rtcp_fb_kind(&fb) != OKNO_RTCP_FB_NACK)
                continue;
            assert_int_equal(fb.media_ssrc, SIM_SSRC);
            int n = okno_rtcp_nack_expand(&fb, seqs, 256);
            assert_true(n > 0);
            for (int k = 0; k < n; k++) {
                if (last[seqs[k]] != INT64_MIN)
                    assert_true(s->rtcp[i].at - last[seqs[k]] >= min_gap_us);
                last[seqs[k]] = s->rtcp[i].at;
                items++;
            }
        }
    }
    return items;
}

static void test_receiver_paces_renacks_and_plis_by_the_rtt(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 1, 300, 250000, 0.03, false);
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    c.nack_wait_us = 1200000; /* room for re-NACKs at this RTT */
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    okno_receiver_set_rtt(s.rx, 500000);
    sim_run(&s, 8000000);
    print_figures("3% loss, RTT 500 ms, NACK unanswered", &s);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    unsigned items = check_renack_spacing(&s, 500000);
    assert_int_equal(items, st.nack_items);
    assert_true(st.nack_items > s.down.dropped); /* asked more than once */
    assert_true(st.plis_sent > 0);
    assert_int_equal(check_pli_spacing(&s, 500000), st.plis_sent);
    sim_free(&s);
}

/* A 3G-like downlink from bench/linkemu's model: 780 kbit/s, 100 ms, 30 ms jitter, bursty loss
 * (about 1.7 % in bursts of 3), a 500 ms queue; the NACKs are answered through the same link.
 * With this seed the stream's first two packets are lost (so a PLI brings the first key frame)
 * and a burst at 7 s is repaired by RTX, one retransmission lost and asked for again. */
static void test_receiver_over_a_bursty_jittery_link(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 640, 360, 1, 500, 100000, 0, true);
    struct okno_link_params lp = {.capacity_bps = 780000,
                                  .delay_us = 100000,
                                  .jitter_us = 30000,
                                  .ge_p = 0.0058,
                                  .ge_r = 0.333,
                                  .ge_loss_bad = 1,
                                  .queue_us = 500000};
    sim_use_link_model(&s, &lp);
    struct okno_receiver_config c = sim_rx_config(&s, 640, 360);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    okno_receiver_set_rtt(s.rx, 230000);
    sim_run(&s, 8000000);
    print_figures("3G-like link, NACK answered", &s);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    assert_true(s.down.dropped > 0);
    assert_true(st.recovered > 0);
    assert_true(st.frames_decoded >= s.frame_no * 8 / 10);
    double p50 = okno_reservoir_percentile(&m->latency_ms, 50);
    assert_true(p50 >= 100 && p50 < 600);
    assert_true(m->psnr_sum / (double)m->psnr_n > 30);
    printf("# jitter %lld us, freezes %llu, longest %lld ms\n", (long long)st.jitter_us,
           (unsigned long long)m->freeze.count, (long long)(m->freeze.max_us / 1000));
    assert_true(st.jitter_us > 1000);
    sim_free(&s);
}

/* With three temporal layers a loss in a TL1 or TL2 frame costs only the frames up to the next
 * TL0 frame: no key frame is needed, so fewer PLIs than losses go out. */
static void test_receiver_temporal_layers_recover_at_tl0_without_pli(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 3, 400, 30000, 0.03, false);
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    c.nack_wait_us = 200000;
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 8000000);
    print_figures("3 temporal layers, 3% loss, NACK unanswered", &s);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    assert_true(s.down.dropped >= 5);
    assert_true(st.undecodable_frames > 0);
    assert_true(st.plis_sent < s.down.dropped);
    assert_true(st.frames_decoded > s.frame_no / 2);
    assert_int_equal(okno_receiver_metrics(s.rx)->tid_mask, 0x7);
    sim_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receiver_sends_rate_limited_plis_when_nacks_go_unanswered),
        cmocka_unit_test(test_receiver_paces_renacks_and_plis_by_the_rtt),
        cmocka_unit_test(test_receiver_over_a_bursty_jittery_link),
        cmocka_unit_test(test_receiver_temporal_layers_recover_at_tl0_without_pli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
