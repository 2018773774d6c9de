/* okno-bench's sender in simulated time against a recording transport, its protocol: what goes on
 * the wire (RTP fields and extensions, frame rate, packet sizes, simulcast rids, probes), RTX
 * answers to NACKs, key frames on PLI/FIR, sender reports and RTT, RTCP garbage, a refusing
 * transport. The rates are in test_sender_rate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "media/opus_codec.h"
#include "sender_loop.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/rtx.h"
#include "wire/vp8.h"

#define S(x) ((int64_t)(x)*1000000)

static void test_sender_refuses_bad_config(void **state)
{
    struct loop *l = *state;
    struct okno_sender *s = NULL;
    /* Each a good audio and video config but for one thing. */
    struct okno_sender_config bad[7];
    for (size_t i = 0; i < 7; i++)
        bad[i] = loop_config(l, true, true);
    bad[0] = loop_config(l, false, false); /* neither audio nor video */
    bad[1].send_rtp = NULL;
    bad[2].ext_twcc = bad[2].ext_mid; /* two extensions on one id */
    bad[3].ext_rid = 15;
    bad[4].encodings = 4;
    bad[5].min_kbps = 500;
    bad[5].start_kbps = 300;
    bad[6].video_mid = "a-mid-longer-than-sixteen";
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(okno_sender_create(&bad[i], 0, &s), OKNO_E_INVAL);
    assert_null(s);
    okno_sender_destroy(NULL);
}

/* A string extension of a parsed packet equals want. */
static void assert_ext_string(const struct okno_rtp_pkt *p, uint8_t id, const char *want)
{
    const char *v;
    size_t n;
    assert_int_equal(okno_rtp_ext_get_string(p, id, &v, &n), 0);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(v, want, n);
}

static void test_sender_audio_and_video_on_the_wire(void **state)
{
    struct loop *l = *state;
    struct okno_sender_config c = loop_config(l, true, true);
    c.audio_ssrc = 0x1111;
    c.video_ssrc[0] = 0x2222;
    c.rtx_ssrc[0] = 0x3333;
    assert_int_equal(loop_start(l, &c), 0);
    loop_run(l, LOOP_T0 + S(3));

    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    /* 30 fps for 3 s, the first frame at once */
    assert_in_range(st.frames_encoded, 88, 91);
    assert_int_equal(st.frames_dropped, 0);
    assert_true(st.keyframes >= 1);
    assert_int_equal(st.active_encodings, 1);

    size_t audio = 0, video = 0, markers = 0, probes = 0;
    uint16_t twcc_prev = 0, vseq_prev = 0, aseq_prev = 0;
    uint32_t vts_prev = 0;
    bool have_v = false, have_a = false;
    for (size_t i = 0; i < l->n_rtp; i++) {
        struct okno_rtp_pkt p = loop_parse(l, i);
        assert_true(l->rtp[i].len <= 1200);
        uint16_t tw;
        assert_int_equal(okno_rtp_ext_get_twcc(&p, LOOP_TWCC_ID, &tw), 0);
        if (i > 0) /* one counter for the whole transport, audio included */
            assert_int_equal(tw, (uint16_t)(twcc_prev + 1));
        twcc_prev = tw;
        uint32_t ast;
        assert_int_equal(okno_rtp_ext_get_abs_send_time(&p, 2, &ast), 0);
        assert_int_equal(ast, okno_rtp_abs_send_time_from_us((uint64_t)l->rtp[i].at));
        const char *rid;
        size_t rid_len;
        assert_int_equal(okno_rtp_ext_get_rid(&p, 4, &rid, &rid_len), OKNO_E_NOTFOUND);
        if (p.ssrc == 0x1111) {
            assert_int_equal(p.pt, 111);
            assert_ext_string(&p, 1, "0");
            if (have_a)
                assert_int_equal(p.seq, (uint16_t)(aseq_prev + 1));
            aseq_prev = p.seq;
            have_a = true;
            audio++;
        } else if (p.ssrc == 0x3333) {
            /* the estimator's first probes: padding-only RTX */
            assert_int_equal(p.pt, 97);
            assert_true(okno_rtx_is_padding_only(&p));
            assert_ext_string(&p, 1, "1");
            probes++;
        } else {
            assert_int_equal(p.ssrc, 0x2222);
            assert_int_equal(p.pt, 96);
            assert_ext_string(&p, 1, "1");
            if (have_v) {
                assert_int_equal(p.seq, (uint16_t)(vseq_prev + 1));
                /* a frame's packets share a timestamp; frames are 1/30 s apart */
                uint32_t d = p.ts - vts_prev;
                assert_true(d == 0 || (d >= 2999 && d <= 3001));
            }
            struct okno_vp8_packet vp;
            assert_int_equal(okno_vp8_parse(p.payload, p.payload_len, &vp), 0);
            vseq_prev = p.seq;
            vts_prev = p.ts;
            have_v = true;
            markers += p.marker;
            video++;
        }
    }
    /* 20 ms Opus frames */
    assert_in_range(audio, 149, 151);
    assert_int_equal(markers, st.frames_encoded);
    assert_true(video >= st.frames_encoded);
    assert_int_equal(st.rtp_packets, l->n_rtp);
    assert_int_equal(st.padding_packets, probes);
}

static void test_sender_simulcast_rids_and_layers(void **state)
{
    struct loop *l = *state;
    struct okno_sender_config c = loop_config(l, false, true);
    c.encodings = 3;
    c.temporal_layers = 3;
    c.start_kbps = 2000;
    c.max_kbps = 2500;
    assert_int_equal(loop_start(l, &c), 0);
    loop_run(l, LOOP_T0 + S(2));
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.active_encodings, 3);
    const char *names[3] = {"q", "h", "f"};
    size_t per[3] = {0};
    unsigned tids = 0;
    for (size_t i = 0; i < l->n_rtp; i++) {
        struct okno_rtp_pkt p = loop_parse(l, i);
        if (p.pt != 96)
            continue;
        const char *rid;
        size_t n;
        assert_int_equal(okno_rtp_ext_get_rid(&p, 4, &rid, &n), 0);
        assert_int_equal(n, 1);
        int e = rid[0] == 'q' ? 0 : rid[0] == 'h' ? 1 : 2;
        assert_memory_equal(rid, names[e], 1);
        per[e]++;
        struct okno_vp8_packet vp;
        assert_int_equal(okno_vp8_parse(p.payload, p.payload_len, &vp), 0);
        assert_true(vp.desc.has_tid);
        tids |= 1u << vp.desc.tid;
    }
    for (int e = 0; e < 3; e++)
        assert_true(per[e] > 0);
    assert_int_equal(tids, 7); /* TID 0, 1 and 2 all seen */
}

/* The index of the first recorded video packet at or after `from`. */
static size_t first_video(const struct loop *l, size_t from, uint32_t ssrc)
{
    for (size_t i = from; i < l->n_rtp; i++) {
        struct okno_rtp_pkt p;
        if (okno_rtp_parse(l->rtp[i].buf, l->rtp[i].len, &p) == 0 && p.ssrc == ssrc && p.pt == 96)
            return i;
    }
    fail_msg("no video packet");
    return 0;
}

static void nack(struct loop *l, uint32_t media_ssrc, uint16_t seq)
{
    uint8_t buf[64];
    int n = okno_rtcp_nack_build(9, media_ssrc, &seq, 1, buf, sizeof buf);
    assert_true(n > 0);
    loop_rtcp_in(l, buf, (size_t)n);
}

static void test_sender_answers_nack_with_rtx(void **state)
{
    struct loop *l = *state;
    struct okno_sender_config c = loop_config(l, true, true);
    c.video_ssrc[0] = 0x2222;
    c.rtx_ssrc[0] = 0x3333;
    assert_int_equal(loop_start(l, &c), 0);
    loop_run(l, LOOP_T0 + S(1));
    size_t vi = first_video(l, l->n_rtp / 2, 0x2222);
    struct okno_rtp_pkt orig = loop_parse(l, vi);

    size_t before = l->n_rtp;
    nack(l, 0x2222, orig.seq);
    loop_run(l, l->now + 5000);
    size_t found = 0;
    for (size_t i = before; i < l->n_rtp; i++) {
        struct okno_rtp_pkt p = loop_parse(l, i);
        if (p.ssrc != 0x3333)
            continue;
        found++;
        assert_int_equal(p.pt, 97);
        assert_int_equal(okno_rtx_osn(&p), orig.seq);
        assert_int_equal(p.ts, orig.ts);
        assert_int_equal(p.payload_len, orig.payload_len + 2);
        assert_memory_equal(p.payload + 2, orig.payload, orig.payload_len);
        assert_ext_string(&p, 1, "1");
        uint8_t back[1300];
        int n = okno_rtx_unwrap(l->rtp[i].buf, l->rtp[i].len, back, sizeof back, 0x2222, 96);
        assert_true(n > 0);
    }
    assert_int_equal(found, 1);

    /* A sequence number never sent (far ahead) gets nothing. */
    before = l->n_rtp;
    nack(l, 0x2222, (uint16_t)(orig.seq + 30000));
    /* and a NACK for an SSRC that is not ours neither */
    nack(l, 0x7777, orig.seq);
    loop_run(l, l->now + 5000);
    for (size_t i = before; i < l->n_rtp; i++)
        assert_int_not_equal(loop_parse(l, i).ssrc, 0x3333);
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.nacks_received, 3);
    assert_int_equal(st.rtx_packets, 1);

    /* With a round trip of 100 ms known (an RR on the last video SR), a packet is resent once per
     * round trip however often it is NACKed. */
    size_t sr = l->n_rtcp;
    while (sr-- > 0) {
        struct okno_rtcp_pkt p;
        struct okno_rtcp_sr r;
        if (okno_rtcp_parse(l->rtcp[sr].buf, l->rtcp[sr].len, &p) > 0 &&
            okno_rtcp_sr_parse(&p, &r) == 0 && r.ssrc == 0x2222) {
            struct okno_rtcp_rr rr = {.ssrc = 9, .report_count = 1};
            rr.blocks[0] = (struct okno_rtcp_report_block){
                .ssrc = 0x2222,
                .lsr = okno_ntp_mid32(r.ntp),
                .dlsr = okno_rtcp_dlsr_from_us((uint64_t)(l->now - l->rtcp[sr].at - 100000))};
            uint8_t buf[64];
            int n = okno_rtcp_rr_build(&rr, buf, sizeof buf);
            loop_rtcp_in(l, buf, (size_t)n);
            break;
        }
    }
    okno_sender_stats(l->s, l->now, &st);
    assert_true(st.rtt_us > 99000 && st.rtt_us < 101000);
    struct okno_rtp_pkt recent = loop_parse(l, first_video(l, l->n_rtp - 20, 0x2222));
    nack(l, 0x2222, recent.seq);
    loop_run(l, l->now + 50000);
    nack(l, 0x2222, recent.seq);
    loop_run(l, l->now + 60000);
    nack(l, 0x2222, recent.seq);
    loop_run(l, l->now + 5000);
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.rtx_packets, 3);

    /* The history keeps a second: the first packet, NACKed 1.5 s on, is gone. */
    loop_run(l, LOOP_T0 + S(2) + 500000);
    nack(l, 0x2222, orig.seq);
    loop_run(l, l->now + 5000);
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.rtx_packets, 3);
}

static void pli(struct loop *l, uint32_t media_ssrc)
{
    uint8_t buf[16];
    assert_int_equal(okno_rtcp_pli_build(9, media_ssrc, buf, sizeof buf), 12);
    loop_rtcp_in(l, buf, 12);
}

static void test_sender_pli_makes_a_keyframe_rate_limited(void **state)
{
    struct loop *l = *state;
    struct okno_sender_config c = loop_config(l, false, true);
    c.video_ssrc[0] = 0x2222;
    assert_int_equal(loop_start(l, &c), 0);
    loop_run(l, LOOP_T0 + S(1));
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.keyframes, 1);
    pli(l, 0x2222);
    loop_run(l, l->now + 100000);
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.keyframes, 2);
    /* within 300 ms of the last: ignored */
    pli(l, 0x2222);
    loop_run(l, l->now + 100000);
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.keyframes, 2);
    loop_run(l, l->now + 200000);
    pli(l, 0x2222);
    loop_run(l, l->now + 100000);
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.keyframes, 3);
    /* FIR: a new command number asks again, a repeated one does not */
    loop_run(l, l->now + 400000);
    uint8_t buf[32];
    struct okno_rtcp_fir_entry e = {.ssrc = 0x2222, .seq_nr = 4};
    int n = okno_rtcp_fir_build(9, &e, 1, buf, sizeof buf);
    loop_rtcp_in(l, buf, (size_t)n);
    loop_run(l, l->now + 400000);
    loop_rtcp_in(l, buf, (size_t)n);
    loop_run(l, l->now + 100000);
    okno_sender_stats(l->s, l->now, &st);
    assert_int_equal(st.keyframes, 4);
    assert_int_equal(st.plis_received, 3);
    assert_int_equal(st.firs_received, 2);
}

static void test_sender_reports_and_rtt(void **state)
{
    struct loop *l = *state;
    struct okno_sender_config c = loop_config(l, true, true);
    c.audio_ssrc = 0x1111;
    c.video_ssrc[0] = 0x2222;
    assert_int_equal(loop_start(l, &c), 0);
    loop_run(l, LOOP_T0 + S(3) + 1);
    assert_true(l->n_rtcp >= 4);
    struct okno_rtcp_sr last[2];
    int64_t last_at[2];
    int seen[2] = {0};
    for (size_t i = 0; i < l->n_rtcp; i++) {
        assert_int_equal(okno_rtcp_validate(l->rtcp[i].buf, l->rtcp[i].len, false), 2);
        struct okno_rtcp_pkt p, q;
        int n = okno_rtcp_parse(l->rtcp[i].buf, l->rtcp[i].len, &p);
        assert_true(n > 0);
        struct okno_rtcp_sr sr;
        assert_int_equal(okno_rtcp_sr_parse(&p, &sr), 0);
        int k = sr.ssrc == 0x1111 ? 0 : 1;
        if (k == 1)
            assert_int_equal(sr.ssrc, 0x2222);
        /* packet and octet counts: what was sent on that SSRC before the report */
        uint32_t pkts = 0, octets = 0;
        for (size_t j = 0; j < l->n_rtp && l->rtp[j].at <= l->rtcp[i].at; j++) {
            struct okno_rtp_pkt r = loop_parse(l, j);
            if (r.ssrc == sr.ssrc) {
                pkts++;
                octets += (uint32_t)r.payload_len;
            }
        }
        assert_int_equal(sr.packet_count, pkts);
        assert_int_equal(sr.octet_count, octets);
        struct okno_rtcp_sdes_chunk ch[2];
        assert_true(okno_rtcp_parse(l->rtcp[i].buf + n, l->rtcp[i].len - (size_t)n, &q) > 0);
        assert_int_equal(okno_rtcp_sdes_parse(&q, ch, 2), 1);
        struct okno_rtcp_sdes_item it;
        assert_int_equal(okno_rtcp_sdes_find(&ch[0], OKNO_SDES_CNAME, &it), 0);
        assert_memory_equal(it.data, "test-cname", 10);
        if (seen[k]) {
            /* NTP and RTP time advance together with the clock */
            int64_t dt = l->rtcp[i].at - last_at[k];
            int64_t dntp =
                (int64_t)(okno_ntp_to_unix_us(sr.ntp) - okno_ntp_to_unix_us(last[k].ntp));
            assert_true(dntp >= dt - 1 && dntp <= dt + 1);
            uint32_t hz = k == 0 ? 48000 : 90000;
            int64_t dts = (int64_t)(uint32_t)(sr.rtp_ts - last[k].rtp_ts);
            assert_true(llabs(dts - dt * hz / 1000000) <= 1);
        }
        last[k] = sr;
        last_at[k] = l->rtcp[i].at;
        seen[k]++;
    }
    assert_true(seen[0] >= 2 && seen[1] >= 2);

    /* An RR 150 ms after the last video SR, held 50 ms by the peer: RTT 100 ms. */
    l->now = last_at[1] + 150000;
    struct okno_rtcp_rr rr = {.ssrc = 9, .report_count = 1};
    rr.blocks[0] = (struct okno_rtcp_report_block){.ssrc = 0x2222,
                                                   .fraction_lost = 64,
                                                   .ext_highest_seq = 1000,
                                                   .lsr = okno_ntp_mid32(last[1].ntp),
                                                   .dlsr = okno_rtcp_dlsr_from_us(50000)};
    uint8_t buf[64];
    int n = okno_rtcp_rr_build(&rr, buf, sizeof buf);
    loop_rtcp_in(l, buf, (size_t)n);
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    assert_true(st.rtt_us >= 99000 && st.rtt_us <= 101000);
    assert_true(st.loss_fraction == 0.25);
    assert_int_equal(st.rrs_received, 1);
    assert_int_equal(st.srs_sent, l->n_rtcp);
}

static void test_sender_survives_garbage_rtcp(void **state)
{
    struct loop *l = *state;
    struct okno_sender_config c = loop_config(l, true, true);
    c.video_ssrc[0] = 0x2222;
    assert_int_equal(loop_start(l, &c), 0);
    loop_run(l, LOOP_T0 + S(1));
    uint64_t x = 12345;
    uint8_t buf[256];
    for (int round = 0; round < 2000; round++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t len = (size_t)(x % sizeof buf);
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf[i] = (uint8_t)x;
        }
        if (round % 2)
            buf[0] = 0x80 | (buf[0] & 0x3F); /* version 2, to get past the first check */
        if (round % 4 == 1)
            buf[1] = (uint8_t)(200 + x % 7);
        loop_rtcp_in(l, buf, len);
    }
    /* Every truncation of a valid compound: RR + NACK + PLI + REMB + transport-cc. */
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, buf, sizeof buf);
    struct okno_rtcp_rr rr = {.ssrc = 9, .report_count = 1};
    rr.blocks[0].ssrc = 0x2222;
    okno_rtcp_writer_commit(
        &w, okno_rtcp_rr_build(&rr, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    uint16_t lost[2] = {1, 2};
    okno_rtcp_writer_commit(&w, okno_rtcp_nack_build(9, 0x2222, lost, 2, okno_rtcp_writer_tail(&w),
                                                     okno_rtcp_writer_room(&w)));
    okno_rtcp_writer_commit(
        &w, okno_rtcp_pli_build(9, 0x2222, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    static struct okno_rtcp_remb remb = {.bitrate = 500000, .ssrc_count = 1};
    okno_rtcp_writer_commit(
        &w, okno_rtcp_remb_build(9, &remb, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    struct okno_twcc_entry e[3] = {{.seq = 1, .status = OKNO_TWCC_SMALL_DELTA, .arrival_us = 1000},
                                   {.seq = 2, .status = OKNO_TWCC_NOT_RECEIVED},
                                   {.seq = 3, .status = OKNO_TWCC_LARGE_DELTA, .arrival_us = 500}};
    size_t used;
    okno_rtcp_writer_commit(&w, okno_twcc_build(&(struct okno_twcc_build_opts){.sender_ssrc = 9}, e,
                                                3, okno_rtcp_writer_tail(&w),
                                                okno_rtcp_writer_room(&w), &used));
    int total = okno_rtcp_writer_finish(&w);
    assert_true(total > 0);
    uint8_t cut[256];
    for (int len = 0; len < total; len++) {
        memcpy(cut, buf, (size_t)len);
        loop_rtcp_in(l, cut, (size_t)len);
    }
    loop_rtcp_in(l, buf, (size_t)total);
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    printf("# %" PRIu64 " RTCP datagrams refused\n", st.rtcp_errors);
    assert_true(st.rtcp_errors > 1000);
    /* still sending */
    size_t before = l->n_rtp;
    loop_run(l, l->now + S(1));
    assert_true(l->n_rtp > before + 50);
}

static void test_sender_transport_refusing_is_counted(void **state)
{
    struct loop *l = *state;
    struct okno_sender_config c = loop_config(l, true, true);
    assert_int_equal(loop_start(l, &c), 0);
    l->refuse = true;
    loop_run(l, LOOP_T0 + S(1));
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    assert_true(st.send_errors > 50);
    assert_int_equal(st.rtp_packets, 0);
    l->refuse = false;
    loop_run(l, LOOP_T0 + S(2));
    okno_sender_stats(l->s, l->now, &st);
    assert_true(st.rtp_packets > 50);
}

/* Audio alone with nothing negotiated: plain RTP every 20 ms, no extension block, an SR a second,
 * and a receiver report's loss reaches the stats (and Opus's FEC sizing). */
static void test_sender_audio_alone_without_extensions(void **state)
{
    struct loop *l = *state;
    struct okno_sender_config c = loop_config(l, true, false);
    c.ext_mid = c.ext_rid = c.ext_abs_send_time = c.ext_twcc = c.ext_repaired_rid = -1;
    c.audio_mid = NULL;
    c.audio_ssrc = 0x1111;
    assert_int_equal(loop_start(l, &c), 0);
    loop_run(l, LOOP_T0 + S(2) + 1);
    assert_in_range(l->n_rtp, 100, 101);
    uint32_t ts0 = 0;
    for (size_t i = 0; i < l->n_rtp; i++) {
        struct okno_rtp_pkt p = loop_parse(l, i);
        assert_false(p.extension);
        assert_int_equal(p.ssrc, 0x1111);
        assert_int_equal(p.pt, 111);
        assert_true(okno_opus_packet_samples(p.payload, p.payload_len) == 960);
        if (i == 0)
            ts0 = p.ts;
        assert_int_equal(p.ts - ts0, 960 * i);
        assert_int_equal(l->rtp[i].at, LOOP_T0 + 20000 * (int64_t)i);
    }
    assert_in_range(l->n_rtcp, 1, 2);
    struct okno_rtcp_rr rr = {.ssrc = 9, .report_count = 1};
    rr.blocks[0] = (struct okno_rtcp_report_block){.ssrc = 0x1111, .fraction_lost = 26};
    uint8_t buf[64];
    int n = okno_rtcp_rr_build(&rr, buf, sizeof buf);
    loop_rtcp_in(l, buf, (size_t)n);
    loop_rtcp_in(l, buf, (size_t)n);
    loop_run(l, l->now + S(1));
    struct okno_sender_stats st;
    okno_sender_stats(l->s, l->now, &st);
    assert_true(st.loss_fraction > 0.1 && st.loss_fraction < 0.102);
    assert_int_equal(st.rtt_us, 0); /* no LSR: unknown */
    assert_int_equal(st.active_encodings, 0);
    assert_int_equal(st.frames_encoded, 0);
    assert_int_equal(st.rtcp_errors, 0);
}

/* Each test gets its loop (the recording transport and the simulated clock) fresh. */
static int loop_setup(void **state)
{
    struct loop *l = malloc(sizeof *l);
    assert_non_null(l);
    loop_init(l);
    *state = l;
    return 0;
}

static int loop_teardown(void **state)
{
    loop_free(*state);
    free(*state);
    return 0;
}

#define T(name) cmocka_unit_test_setup_teardown(name, loop_setup, loop_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_sender_refuses_bad_config),
        T(test_sender_audio_and_video_on_the_wire),
        T(test_sender_simulcast_rids_and_layers),
        T(test_sender_answers_nack_with_rtx),
        T(test_sender_pli_makes_a_keyframe_rate_limited),
        T(test_sender_reports_and_rtt),
        T(test_sender_survives_garbage_rtcp),
        T(test_sender_transport_refusing_is_counted),
        T(test_sender_audio_alone_without_extensions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
