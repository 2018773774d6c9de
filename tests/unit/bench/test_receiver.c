/* okno-bench's receiver (bench/call/receiver.h) against bench/media's real sender parts in
 * simulated time: a clean link, loss repaired by NACK/RTX, load mode, temporal layers, Opus with
 * FEC, receiver report fields and garbage (test_receiver_link.c has the harder links). Figures are
 * printed; pass/fail thresholds are functional with wide margins (the simulation is deterministic).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "test_receiver_sim.h"
#include "wire/rtcp_report.h"

static void test_receiver_clean_link_decodes_every_frame(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 640, 360, 1, 1000, 50000, 0, true);
    struct okno_receiver_config c = sim_rx_config(&s, 640, 360);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 5000000);
    print_figures("clean", &s);
    printf("# clean: %.0f us of receiver CPU time per packet (decode and PSNR included)\n",
           (double)s.rx_ns / (double)s.rx_calls / 1000);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    /* frames still in flight (50 ms) and the encoder's drops aside, all decoded */
    assert_true(st.frames_decoded + 4 >= s.frame_no);
    assert_true(m->frames >= 140); /* ~30 fps over 5 s */
    assert_int_equal(m->freeze.count, 0);
    assert_int_equal(st.plis_sent, 0);
    assert_int_equal(st.nacks_sent, 0);
    assert_int_equal(st.decode_errors, 0);
    assert_int_equal(st.ssrc, SIM_SSRC);
    double p50 = okno_reservoir_percentile(&m->latency_ms, 50);
    double p99 = okno_reservoir_percentile(&m->latency_ms, 99);
    assert_true(p50 >= 50 && p50 <= 50 + 34);
    assert_true(p99 <= 50 + 34);
    /* all of it on the link: frames decode as their last packet arrives */
    assert_true(st.transit_ms >= 49 && st.transit_ms <= 51);
    assert_true(st.receive_ms >= 0 && st.receive_ms < 1);
    assert_true(m->psnr_n >= 5 * 5 - 1 && m->psnr_n <= 5 * 5 + 1); /* one frame per 200 ms */
    assert_true(m->psnr_sum / (double)m->psnr_n > 30);
    assert_int_equal(m->n_heights, 1);
    assert_int_equal(m->heights[0], 360);
    assert_true(st.rrs_sent >= 4 && st.rrs_sent <= 5);
    /* every second of the timeline has its frames */
    for (size_t i = 0; i < 4; i++)
        assert_true(m->timeline[i].frames >= 28);
    sim_free(&s);
}

static void test_receiver_repairs_loss_with_nack_and_rtx(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 640, 360, 1, 1000, 20000, 0.05, true);
    struct okno_receiver_config c = sim_rx_config(&s, 640, 360);
    c.psnr_interval_us = -1; /* every frame */
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    okno_receiver_set_rtt(s.rx, 40000);
    sim_run(&s, 6000000);
    print_figures("5% loss, NACK answered", &s);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    assert_true(s.down.dropped > 20);
    assert_true(st.nack_items >= s.down.dropped / 2);
    assert_true(st.rtx_packets > 0);
    assert_true(st.recovered > 0);
    assert_true(st.frames_decoded + 4 >= s.frame_no);
    assert_int_equal(m->freeze.count, 0);
    assert_int_equal(st.undecodable_frames, 0);
    assert_true(st.plis_sent <= 1);
    assert_int_equal(m->psnr_n, st.frames_decoded);
    assert_true(m->psnr_sum / (double)m->psnr_n > 30);
    assert_int_equal(st.rtt_us, 40000);
    sim_free(&s);
}

/* RTX known by its SSRC alone (no RTX payload type given), and a padding-only RTX probe, which
 * restores nothing. */
static void test_receiver_takes_rtx_by_ssrc_and_ignores_padding_probes(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 1, 300, 20000, 0.05, true);
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    c.ssrc = SIM_SSRC;
    c.rtx_ssrc = SIM_RTX_SSRC;
    c.rtx_pt = -1;
    c.pt = -1;
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 3000000);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    print_figures("RTX by SSRC", &s);
    assert_true(s.rtx_sent > 0);
    assert_int_equal(st.rtx_packets, s.rtx_sent);
    assert_true(st.recovered > 0);
    assert_int_equal(st.undecodable_frames, 0);
    uint64_t garbage = st.garbage, packets = st.packets;
    /* a padding-only probe on the RTX SSRC: 12 header bytes and 200 of padding */
    uint8_t probe[212] = {0};
    struct okno_rtp_pkt h = {.padding = true, .pt = SIM_RTX_PT, .seq = 9, .ssrc = SIM_RTX_SSRC};
    assert_int_equal(okno_rtp_write_header(probe, sizeof probe, &h), 12);
    probe[211] = 200;
    okno_receiver_on_rtp(s.rx, probe, sizeof probe, s.now);
    okno_receiver_stats(s.rx, &st);
    assert_int_equal(st.garbage, garbage);
    assert_int_equal(st.packets, packets);
    sim_free(&s);
}

/* okno probes a link with RTX copies of packets it sent: they arrive, but carry nothing the
 * receiver did not have, so the bitrate received (the timeline's, and media_bytes, which the call
 * mode's utilization is made of) leaves them out; a retransmission that fills a hole counts. */
static void test_receiver_leaves_copies_out_of_the_bitrate(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 1, 300, 20000, 0, true);
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 2000000);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    assert_int_equal(st.media_bytes, st.bytes); /* a clean link: nothing twice */
    uint64_t bytes = st.bytes, media = st.media_bytes, timeline = m->bytes;
    /* RTX copies of 20 packets that arrived (10 to 40 behind the newest: those in flight on the
     * 20 ms link would arrive first as copies) */
    unsigned copies = 0;
    size_t copied = 0;
    for (unsigned i = 0; i < SIM_HISTORY && copies < 20; i++) {
        __typeof__(s.hist[0]) *h = &s.hist[i];
        uint16_t behind = (uint16_t)(s.pack.seq - h->seq);
        if (!h->used || behind < 10 || behind > 40)
            continue;
        uint8_t out[1400];
        int len =
            okno_rtx_wrap(h->buf, h->len, out, sizeof out, SIM_RTX_SSRC, SIM_RTX_PT, s.rtx_seq++);
        assert_true(len > 0);
        okno_receiver_on_rtp(s.rx, out, (size_t)len, s.now);
        copies++;
        copied += (size_t)len;
    }
    assert_true(copies >= 10);
    okno_receiver_stats(s.rx, &st);
    assert_int_equal(st.bytes, bytes + copied);
    assert_int_equal(st.media_bytes, media);
    assert_int_equal(m->bytes, timeline);
    assert_true(st.duplicates >= copies);
    sim_free(&s);

    /* 5 % loss repaired by retransmissions: those count, once each. */
    sim_init_video(&s, 320, 180, 1, 300, 20000, 0.05, true);
    c = sim_rx_config(&s, 320, 180);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 3000000);
    okno_receiver_stats(s.rx, &st);
    assert_true(st.recovered > 0);
    assert_true(st.media_bytes > 0 && st.media_bytes <= st.bytes);
    printf("# 5 %% loss: %llu of %llu bytes received are new media, %llu packets twice\n",
           (unsigned long long)st.media_bytes, (unsigned long long)st.bytes,
           (unsigned long long)st.duplicates);
    /* Every retransmission filled a hole (none raced its original here), so all of it counts. */
    assert_true(st.rtx_packets > 0);
    assert_int_equal(st.duplicates, 0);
    assert_int_equal(st.media_bytes, st.bytes);
    sim_free(&s);
}

/* A frame libvpx refuses (its first partition claims more bytes than the frame has): counted, a
 * PLI goes out and decoding resumes at the key frame it brings. */
static void test_receiver_decode_error_sends_pli_and_recovers(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 1, 300, 20000, 0, true);
    s.corrupt_frame = 30;
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 3000000);
    print_figures("decode error at frame 30", &s);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    assert_int_equal(st.decode_errors, 1);
    assert_int_equal(st.plis_sent, 1);
    assert_int_equal(s.keyframes_requested, 1);
    /* frames from the corrupt one to the key frame (a round trip later) are not decoded */
    assert_true(st.undecodable_frames >= 1 && st.undecodable_frames <= 4);
    assert_true(st.frames_decoded + st.undecodable_frames + 1 + 2 >= s.frame_no);
    sim_free(&s);
}

static void test_receiver_load_mode_counts_frames_without_decoding(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 1, 300, 30000, 0, true);
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    c.decode = false;
    c.ssrc = SIM_SSRC;
    c.rtx_ssrc = SIM_RTX_SSRC;
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 3000000);
    print_figures("load mode", &s);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    assert_int_equal(st.frames_decoded, 0);
    assert_true(st.frames_assembled + 3 >= s.frame_no);
    assert_int_equal(m->frames, st.frames_assembled);
    assert_int_equal(m->psnr_n, 0);
    assert_int_equal(m->latency_ms.n, 0);
    assert_int_equal(m->heights[0], 180);
    assert_true(m->bytes > 300000 / 8); /* about 3 s at 300 kbit/s */
    sim_free(&s);
}

static void test_receiver_reports_temporal_layers(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 3, 400, 30000, 0, true);
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 2000000);
    print_figures("3 temporal layers", &s);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    assert_int_equal(m->tid_mask, 0x7);
    assert_int_equal(m->timeline[1].max_tid, 2);
    sim_free(&s);
}

/* 10 % random loss with RED around Opus (one packet of redundancy, as Chromium sends it): the
 * receiver takes most lost packets from the next packet's block before their slots play, and
 * conceals less than the same stream and losses without RED. */
static void test_receiver_audio_red_fills_lost_packets(void **state)
{
    (void)state;
    double ratio[2];
    uint64_t recovered[2], dropped[2];
    for (int red = 0; red < 2; red++) {
        struct sim s;
        sim_init_audio(&s, 30000, 0.10, 10);
        s.red_pt = red ? 63 : 0;
        struct okno_receiver_config c = sim_rx_config(&s, 0, 0);
        c.red_pt = 63;
        assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
        sim_run(&s, 10000000);
        struct okno_receiver_stats st;
        okno_receiver_stats(s.rx, &st);
        struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
        ratio[red] = (double)m->audio_concealed / (double)m->audio_slots;
        recovered[red] = st.audio_red_recovered;
        dropped[red] = s.down.dropped;
        printf("# audio 10%% loss, RED %s: %llu dropped, %llu from RED, from FEC %llu, concealed "
               "%.2f %%, garbage %llu\n",
               red ? "on" : "off", (unsigned long long)s.down.dropped,
               (unsigned long long)st.audio_red_recovered, (unsigned long long)st.audio_fec_slots,
               100 * ratio[red], (unsigned long long)st.garbage);
        assert_int_equal(st.garbage, 0);
        assert_true(m->audio_slots >= 900);
        sim_free(&s);
    }
    assert_int_equal(recovered[0], 0);
    assert_true(dropped[1] > 30);
    /* Isolated losses (most of them at 10 %) come back; a run of two loses its first. */
    assert_true(recovered[1] >= dropped[1] / 2);
    assert_true(ratio[1] < ratio[0]);
}

static void test_receiver_audio_fec_keeps_concealment_small(void **state)
{
    (void)state;
    struct sim s;
    sim_init_audio(&s, 30000, 0.10, 10);
    struct okno_receiver_config c = sim_rx_config(&s, 0, 0);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    sim_run(&s, 10000000);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    double ratio = (double)m->audio_concealed / (double)m->audio_slots;
    printf("# audio 10%% loss with FEC: %llu packets, %llu dropped, slots %llu, from FEC %llu, "
           "concealed %llu (%.2f %%)\n",
           (unsigned long long)st.packets, (unsigned long long)s.down.dropped,
           (unsigned long long)m->audio_slots, (unsigned long long)st.audio_fec_slots,
           (unsigned long long)m->audio_concealed, 100 * ratio);
    assert_true(s.down.dropped > 30);
    /* 10 s of 10 ms slots, less the playout delay: the adaptive buffer grows it for the loss
     * pattern (a missing packet is waited for), so allow half a second of it. */
    assert_true(m->audio_slots >= 900);
    assert_true(m->audio_concealed > 0);
    assert_true(st.audio_fec_slots > 0);
    /* 10 % of packets lost, part of them recovered from FEC (libopus puts LBRR in part of them) */
    assert_true(m->audio_concealed + st.audio_fec_slots <= 2 * s.down.dropped + 2);
    assert_true(ratio < 0.08);
    assert_int_equal(st.nacks_sent, 0);
    assert_int_equal(st.plis_sent, 0);
    assert_true(st.rrs_sent >= 9);
    sim_free(&s);
}

/* The last RR block the receiver sent. */
static bool last_rr_block(const struct sim *s, struct okno_rtcp_report_block *out)
{
    bool found = false;
    for (size_t i = 0; i < s->n_rtcp; i++) {
        struct okno_rtcp_iter it;
        struct okno_rtcp_pkt p;
        okno_rtcp_iter_init(&it, s->rtcp[i].buf, s->rtcp[i].len);
        while (okno_rtcp_iter_next(&it, &p) == 1) {
            struct okno_rtcp_rr rr;
            if (p.pt != OKNO_RTCP_RR || okno_rtcp_rr_parse(&p, &rr) < 0 || !rr.report_count)
                continue;
            assert_int_equal(rr.ssrc, SIM_LOCAL);
            *out = rr.blocks[0];
            found = true;
        }
    }
    return found;
}

static void test_receiver_rr_carries_loss_jitter_lsr_and_dlsr(void **state)
{
    (void)state;
    struct sim s;
    sim_init_audio(&s, 0, 0, 0);
    struct okno_receiver_config c = sim_rx_config(&s, 0, 0);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    /* 40 packets of 20 ms, every 10th missing, arrival alternating 0 / +4 ms */
    uint8_t opus[200];
    int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES];
    okno_asrc_next(&s.asrc, pcm);
    int olen = okno_opusenc_encode(s.oenc, pcm, opus, sizeof opus);
    assert_true(olen > 0);
    int64_t t = SIM_T0;
    uint64_t ntp = okno_ntp_from_unix_us(1700000000000000ull);
    for (unsigned i = 0; i < 40; i++) {
        s.now = t + i * 20000 + (i % 2) * 4000;
        if (i == 20) {
            uint8_t sr[64];
            struct okno_rtcp_sr r = {.ssrc = SIM_SSRC, .ntp = ntp, .rtp_ts = 5};
            int n = okno_rtcp_sr_build(&r, sr, sizeof sr);
            assert_true(n > 0);
            okno_receiver_on_rtcp(s.rx, sr, (size_t)n, s.now);
            /* an SR of another source is ignored */
            r.ssrc = 42;
            r.ntp = ntp + (1ull << 32);
            n = okno_rtcp_sr_build(&r, sr, sizeof sr);
            okno_receiver_on_rtcp(s.rx, sr, (size_t)n, s.now);
        }
        if (i % 10 == 5)
            continue;
        uint8_t pkt[300];
        struct okno_rtp_pkt h = {
            .pt = SIM_OPUS_PT, .seq = (uint16_t)(65530 + i), .ts = i * 960, .ssrc = SIM_SSRC};
        assert_int_equal(okno_rtp_write_header(pkt, sizeof pkt, &h), 12);
        memcpy(pkt + 12, opus, (size_t)olen);
        okno_receiver_on_rtp(s.rx, pkt, 12 + (size_t)olen, s.now);
        okno_receiver_poll(s.rx, s.now);
    }
    /* the SR arrived at t + 400 ms; the first RR is due 1 s after the first packet */
    s.now = t + 1000000;
    okno_receiver_poll(s.rx, s.now);
    struct okno_rtcp_report_block b = {0};
    assert_true(last_rr_block(&s, &b));
    printf("# RR: fraction %u cumulative %d highest %u jitter %u lsr %08x dlsr %u\n",
           b.fraction_lost, b.cumulative_lost, b.ext_highest_seq, b.jitter, b.lsr, b.dlsr);
    assert_int_equal(b.ssrc, SIM_SSRC);
    assert_int_equal(b.cumulative_lost, 4);
    assert_int_equal(b.fraction_lost, 4 * 256 / 40);
    assert_int_equal(b.ext_highest_seq, 65536 + (uint16_t)(65530 + 39));
    /* alternating 4 ms transit: J tends to 4 ms = 192 units at 48 kHz */
    assert_true(b.jitter > 120 && b.jitter <= 192);
    assert_int_equal(b.lsr, okno_ntp_mid32(ntp));
    assert_true(b.dlsr >= okno_rtcp_dlsr_from_us(600000 - 100) &&
                b.dlsr <= okno_rtcp_dlsr_from_us(600000 + 100));
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    assert_true(st.jitter_us > 2500 && st.jitter_us <= 4000);
    assert_int_equal(st.lost, 4);
    sim_free(&s);
}

static void test_receiver_counts_garbage_without_crashing(void **state)
{
    (void)state;
    struct sim s;
    sim_init_video(&s, 320, 180, 1, 300, 0, 0, true);
    struct okno_receiver_config c = sim_rx_config(&s, 320, 180);
    c.ssrc = SIM_SSRC;
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    uint64_t rng = 12345;
    uint8_t buf[1500];
    for (unsigned i = 0; i < 2000; i++) {
        size_t len = (size_t)(sim_rand(&rng) * 1400);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)(sim_rand(&rng) * 256);
        if (i % 2 && len >= 12) { /* looks like RTP of our SSRC and pt: the VP8 payload is junk */
            struct okno_rtp_pkt h = {.pt = SIM_PT, .seq = (uint16_t)i, .ssrc = SIM_SSRC};
            okno_rtp_write_header(buf, len, &h);
        }
        if (i % 3 == 0 && len >= 12) { /* an RTX packet too short to have an OSN */
            struct okno_rtp_pkt h = {.pt = SIM_RTX_PT, .seq = (uint16_t)i, .ssrc = SIM_RTX_SSRC};
            okno_rtp_write_header(buf, len, &h);
            len = i % 2 ? 13 : len;
        }
        okno_receiver_on_rtp(s.rx, buf, len, SIM_T0 + i * 1000);
        okno_receiver_on_rtcp(s.rx, buf, len, SIM_T0 + i * 1000);
        okno_receiver_poll(s.rx, SIM_T0 + i * 1000);
    }
    struct okno_rtp_pkt other = {.pt = SIM_PT, .seq = 1, .ssrc = 999};
    uint8_t pkt[40] = {0};
    okno_rtp_write_header(pkt, sizeof pkt, &other);
    okno_receiver_on_rtp(s.rx, pkt, sizeof pkt, SIM_T0 + 3000000);
    okno_receiver_on_rtp(s.rx, pkt, 3, SIM_T0 + 3000000);
    okno_receiver_on_rtcp(s.rx, pkt, 0, SIM_T0 + 3000000);
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    printf("# garbage: %llu counted, %llu packets taken, %llu frames decoded, %llu errors, %llu "
           "restarts\n",
           (unsigned long long)st.garbage, (unsigned long long)st.packets,
           (unsigned long long)st.frames_decoded, (unsigned long long)st.decode_errors,
           (unsigned long long)st.restarts);
    assert_true(st.garbage > 1000);
    assert_int_equal(st.ssrc, SIM_SSRC);
    /* and it still takes a real stream afterwards */
    s.now = SIM_T0 + 4000000;
    sim_run(&s, 3000000);
    okno_receiver_stats(s.rx, &st);
    printf("# then a real stream: %llu frames decoded, %llu restarts, %llu plis, %llu packets, "
           "%llu late, %llu key frames requested\n",
           (unsigned long long)st.frames_decoded, (unsigned long long)st.restarts,
           (unsigned long long)st.plis_sent, (unsigned long long)st.packets,
           (unsigned long long)st.late, (unsigned long long)s.keyframes_requested);
    assert_true(st.frames_decoded > 20);
    sim_free(&s);
}

/* An audio receiver fed junk Opus payloads of its own SSRC and random datagrams. */
static void test_receiver_audio_counts_garbage_without_crashing(void **state)
{
    (void)state;
    struct sim s;
    sim_init_audio(&s, 0, 0, 0);
    struct okno_receiver_config c = sim_rx_config(&s, 0, 0);
    assert_int_equal(okno_receiver_create(&c, &s.rx), 0);
    uint64_t rng = 777;
    uint8_t buf[1500];
    for (unsigned i = 0; i < 2000; i++) {
        size_t len = (size_t)(sim_rand(&rng) * 400);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)(sim_rand(&rng) * 256);
        if (i % 2 && len >= 12) {
            struct okno_rtp_pkt h = {
                .pt = SIM_OPUS_PT, .seq = (uint16_t)i, .ts = i * 960, .ssrc = SIM_SSRC};
            okno_rtp_write_header(buf, len, &h);
        }
        s.now = SIM_T0 + i * 20000;
        okno_receiver_on_rtp(s.rx, buf, len, s.now);
        okno_receiver_on_rtcp(s.rx, buf, len, s.now);
        okno_receiver_poll(s.rx, s.now);
    }
    struct okno_receiver_stats st;
    okno_receiver_stats(s.rx, &st);
    struct okno_stream_metrics *m = okno_receiver_metrics(s.rx);
    printf("# audio garbage: %llu counted, %llu taken, %llu slots played\n",
           (unsigned long long)st.garbage, (unsigned long long)st.packets,
           (unsigned long long)m->audio_slots);
    assert_true(st.garbage > 1000);
    assert_true(m->audio_slots > 0);
    sim_free(&s);
}

static void test_receiver_create_rejects_bad_config(void **state)
{
    (void)state;
    struct sim s;
    sim_init_audio(&s, 0, 0, 0);
    struct okno_receiver_config c = sim_rx_config(&s, 0, 0);
    struct okno_receiver *r = (void *)1;
    c.send_rtcp = NULL;
    assert_int_equal(okno_receiver_create(&c, &r), OKNO_E_INVAL);
    assert_null(r);
    c = sim_rx_config(&s, 0, 0);
    c.pt = 128;
    assert_int_equal(okno_receiver_create(&c, &r), OKNO_E_INVAL);
    c = sim_rx_config(&s, 0, 0);
    c.timeline_s = 0;
    assert_int_equal(okno_receiver_create(&c, &r), OKNO_E_INVAL);
    c = sim_rx_config(&s, 0, 0);
    c.video = true;
    c.src_width = 10; /* too small a source */
    c.src_height = 10;
    assert_int_equal(okno_receiver_create(&c, &r), OKNO_E_INVAL);
    assert_null(r);
    sim_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receiver_clean_link_decodes_every_frame),
        cmocka_unit_test(test_receiver_repairs_loss_with_nack_and_rtx),
        cmocka_unit_test(test_receiver_takes_rtx_by_ssrc_and_ignores_padding_probes),
        cmocka_unit_test(test_receiver_leaves_copies_out_of_the_bitrate),
        cmocka_unit_test(test_receiver_decode_error_sends_pli_and_recovers),
        cmocka_unit_test(test_receiver_load_mode_counts_frames_without_decoding),
        cmocka_unit_test(test_receiver_reports_temporal_layers),
        cmocka_unit_test(test_receiver_audio_fec_keeps_concealment_small),
        cmocka_unit_test(test_receiver_audio_red_fills_lost_packets),
        cmocka_unit_test(test_receiver_rr_carries_loss_jitter_lsr_and_dlsr),
        cmocka_unit_test(test_receiver_counts_garbage_without_crashing),
        cmocka_unit_test(test_receiver_audio_counts_garbage_without_crashing),
        cmocka_unit_test(test_receiver_create_rejects_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
