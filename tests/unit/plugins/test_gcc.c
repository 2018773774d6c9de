/* The estimator's API (plugins/bwe/gcc.h) without a link: configuration, the REMB and receiver
 * report fallbacks, feedback about unknown, duplicated and reordered packets, sequence number and
 * reference time wraps, the entry API against the wire one, probe requests, the feedback timeout,
 * and a fuzz-style robustness run with random feedback. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "okno/err.h"
#include "plugins/bwe/gcc.h"
#include "wire/twcc.h"

#define MS 1000LL
#define S  1000000LL

/* Encodes entries[0..n) (consecutive seqs) into as many feedback packets as needed and hands each
 * to the estimator at now_us. Returns the number of packets. */
static int feed(struct okno_gcc *g, const struct okno_twcc_entry *entries, size_t n, int64_t now_us)
{
    static uint8_t count;
    int packets = 0;
    size_t off = 0;
    while (off < n) {
        uint8_t buf[1500];
        struct okno_twcc_build_opts o = {.sender_ssrc = 1, .media_ssrc = 2, .fb_count = count++};
        size_t used = 0;
        int len = okno_twcc_build(&o, entries + off, n - off, buf, sizeof buf, &used);
        assert_true(len > 0);
        struct okno_twcc_fb fb;
        assert_int_equal(okno_twcc_parse(buf, (size_t)len, &fb), len);
        assert_int_equal(okno_gcc_on_feedback(g, &fb, now_us), 0);
        off += used;
        packets++;
    }
    return packets;
}

/* n packets of 1200 bytes from seq0, one every gap_us from t0, all received after delay_us
 * (receiver clock = sender clock + offset_us), reported in one feedback at the end. */
static void paced(struct okno_gcc *g, uint16_t seq0, size_t n, int64_t t0, int64_t gap_us,
                  int64_t delay_us, int64_t offset_us)
{
    struct okno_twcc_entry e[512];
    assert_true(n <= 512);
    for (size_t i = 0; i < n; i++) {
        int64_t t = t0 + (int64_t)i * gap_us;
        okno_gcc_on_packet_sent(g, (uint16_t)(seq0 + i), 1200, t, false);
        e[i] = (struct okno_twcc_entry){.seq = (uint16_t)(seq0 + i),
                                        .status = OKNO_TWCC_SMALL_DELTA,
                                        .arrival_us = t + delay_us + offset_us};
    }
    feed(g, e, n, t0 + (int64_t)n * gap_us + delay_us);
}

static void test_config(void **state)
{
    (void)state;
    struct okno_gcc *g = NULL;
    assert_int_equal(okno_gcc_create(NULL, 0, NULL), OKNO_E_INVAL);
    struct okno_gcc_config bad = {.min_bps = 500000, .start_bps = 100000, .max_bps = 1000000};
    assert_int_equal(okno_gcc_create(&bad, 0, &g), OKNO_E_INVAL);
    bad = (struct okno_gcc_config){.min_bps = 1000, .start_bps = 2000000, .max_bps = 1000000};
    assert_int_equal(okno_gcc_create(&bad, 0, &g), OKNO_E_INVAL);
    assert_null(g);
    /* A default start is brought within explicit bounds. */
    struct okno_gcc_config low = {.max_bps = 200000};
    assert_int_equal(okno_gcc_create(&low, 0, &g), 0);
    struct okno_gcc_estimate e;
    okno_gcc_estimate(g, 0, &e);
    assert_int_equal(e.target_bps, 200000);
    okno_gcc_destroy(g);
    assert_int_equal(okno_gcc_create(NULL, 0, &g), 0);
    okno_gcc_estimate(g, 0, &e);
    assert_int_equal(e.target_bps, 300000);
    assert_int_equal(e.rtt_us, 0);
    assert_int_equal(e.acked_bps, 0);
    /* The first estimate asks for the initial probe at 3 x start. */
    assert_true(e.probe_wanted);
    assert_int_equal(e.probe_bps, 900000);
    okno_gcc_destroy(g);
    okno_gcc_destroy(NULL);
    /* NULL estimators are ignored, not crashed on. */
    okno_gcc_on_packet_sent(NULL, 1, 100, 0, false);
    okno_gcc_on_rtt(NULL, 1000, 0);
    okno_gcc_on_remb(NULL, 1000, 0);
    okno_gcc_on_loss_report(NULL, 0, 10, 0);
    okno_gcc_estimate(NULL, 0, &e);
    assert_int_equal(okno_gcc_on_feedback(NULL, NULL, 0), OKNO_E_INVAL);
    assert_int_equal(okno_gcc_on_feedback_entries(NULL, NULL, 0, 0), OKNO_E_INVAL);
}

/* Probe requests: 3 x start, then 6 x start once the first cluster was sent, then none. */
static void test_initial_probes(void **state)
{
    (void)state;
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(NULL, 0, &g), 0);
    struct okno_gcc_estimate e;
    okno_gcc_estimate(g, 0, &e);
    assert_true(e.probe_wanted);
    assert_int_equal(e.probe_bps, 900000);
    /* 900 kbit/s for 15 ms is 1688 bytes: two packets are not a cluster, five are. */
    for (int i = 0; i < 4; i++) {
        okno_gcc_on_packet_sent(g, (uint16_t)i, 1200, i * 1000, true);
        okno_gcc_estimate(g, i * 1000, &e);
        assert_true(e.probe_wanted);
        assert_int_equal(e.probe_bps, 900000);
    }
    okno_gcc_on_packet_sent(g, 4, 1200, 4000, true);
    okno_gcc_estimate(g, 4000, &e);
    assert_true(e.probe_wanted);
    assert_int_equal(e.probe_bps, 1800000);
    for (int i = 5; i < 10; i++)
        okno_gcc_on_packet_sent(g, (uint16_t)i, 1200, 40000 + i * 1000, true);
    okno_gcc_estimate(g, 50000, &e);
    assert_false(e.probe_wanted);
    struct okno_gcc_stats st;
    okno_gcc_stats(g, &st);
    assert_int_equal(st.probes, 2);
    okno_gcc_destroy(g);
}

/* A fresh estimator's first start probe (900 kbit/s, 3 x the start): 8 packets of 1200 bytes, one
 * every 10.67 ms, arriving spacing_us apart; the feedback on them comes at fed_us. Returns the
 * target then. */
static uint32_t start_probe_target(int64_t spacing_us, int64_t fed_us)
{
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(NULL, 0, &g), 0);
    struct okno_gcc_estimate e;
    okno_gcc_estimate(g, 0, &e);
    assert_int_equal(e.probe_bps, 900000);
    struct okno_twcc_entry w[8];
    int64_t gap = 1200 * 8 * 1000000LL / 900000;
    for (int i = 0; i < 8; i++) {
        okno_gcc_on_packet_sent(g, (uint16_t)i, 1200, i * gap, true);
        w[i] = (struct okno_twcc_entry){.seq = (uint16_t)i,
                                        .status = OKNO_TWCC_SMALL_DELTA,
                                        .arrival_us = 30000 + i * spacing_us};
    }
    /* The 6 x start request follows; the sender does not serve it here. */
    okno_gcc_estimate(g, 8 * gap, &e);
    assert_int_equal(e.probe_bps, 1800000);
    feed(g, w, 8, fed_us);
    okno_gcc_estimate(g, fed_us, &e);
    okno_gcc_destroy(g);
    return e.target_bps;
}

/* A probe cluster delivered at the rate it was sent raises the estimate to that rate; one the link
 * squeezed counts at 95 % of what arrived. */
static void test_probe_result(void **state)
{
    (void)state;
    uint32_t t = start_probe_target(1200 * 8 * 1000000LL / 900000, 200 * MS);
    printf("# probe at 900 kbit/s delivered intact: target %u\n", t);
    assert_true(t >= 850000 && t <= 950000);

    /* A link of 500 kbit/s under a 900 kbit/s probe: arrivals spaced 19.2 ms. */
    t = start_probe_target(1200 * 8 * 1000000LL / 500000, 300 * MS);
    printf("# probe at 900 kbit/s through 500 kbit/s: target %u\n", t);
    assert_true(t >= 450000 && t <= 500000);

    /* Edge's 240 kbit/s downlink is slower than the 300 kbit/s start: the start probe's result
     * (95 % of what arrived) is taken at once, down as well as up. Arrivals spaced 40 ms. */
    t = start_probe_target(1200 * 8 * 1000000LL / 240000, 500 * MS);
    printf("# start probe at 900 kbit/s through 240 kbit/s: target %u (start 300000)\n", t);
    assert_true(t >= 215000 && t <= 240000);
}

static void test_remb_only(void **state)
{
    (void)state;
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(NULL, 0, &g), 0);
    struct okno_gcc_estimate e;
    okno_gcc_on_remb(g, 800000, 100 * MS);
    okno_gcc_estimate(g, 100 * MS, &e);
    assert_int_equal(e.target_bps, 800000);
    assert_int_equal(e.delay_bps, 800000);
    okno_gcc_on_remb(g, 250000, 1 * S);
    okno_gcc_estimate(g, 1 * S, &e);
    assert_int_equal(e.target_bps, 250000);
    /* Below the minimum and above the maximum are clamped. */
    okno_gcc_on_remb(g, 1000, 2 * S);
    okno_gcc_estimate(g, 2 * S, &e);
    assert_int_equal(e.target_bps, 30000);
    okno_gcc_on_remb(g, UINT64_MAX, 3 * S);
    okno_gcc_estimate(g, 3 * S, &e);
    assert_int_equal(e.target_bps, 10000000);
    /* With REMB and receiver reports: heavy loss brings the target under REMB. */
    okno_gcc_on_remb(g, 1000000, 4 * S);
    okno_gcc_on_loss_report(g, 64, 500, 5 * S); /* 25 % */
    okno_gcc_estimate(g, 5 * S, &e);
    assert_true(e.target_bps < 1000000 * 0.9);
    assert_true(e.target_bps >= 1000000 * 0.85);
    okno_gcc_destroy(g);
}

static void test_rr_only(void **state)
{
    (void)state;
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(NULL, 0, &g), 0);
    struct okno_gcc_estimate e;
    /* No loss: about 8 % more per one-second report. */
    for (int i = 1; i <= 10; i++)
        okno_gcc_on_loss_report(g, 0, 100, i * S);
    okno_gcc_estimate(g, 10 * S, &e);
    printf("# RR only, 10 s without loss: %u bit/s from 300000\n", e.target_bps);
    assert_true(e.target_bps > 300000 * 1.7 && e.target_bps < 300000 * 2.3);
    uint32_t before = e.target_bps;
    /* 5 % (2..10 %): hold. */
    okno_gcc_on_loss_report(g, 13, 100, 11 * S);
    okno_gcc_estimate(g, 11 * S, &e);
    assert_int_equal(e.target_bps, before);
    assert_true(e.loss_ratio > 0.04 && e.loss_ratio < 0.06);
    /* 20 %: down by 10 % a report, never below the minimum. */
    okno_gcc_on_loss_report(g, 51, 100, 12 * S);
    okno_gcc_estimate(g, 12 * S, &e);
    assert_true(e.target_bps < before * 0.91 && e.target_bps > before * 0.89);
    for (int i = 13; i < 100; i++)
        okno_gcc_on_loss_report(g, 255, 100, i * S);
    okno_gcc_estimate(g, 100 * S, &e);
    assert_int_equal(e.target_bps, 30000);
    /* A report of no packets says nothing. */
    okno_gcc_on_loss_report(g, 255, 0, 101 * S);
    okno_gcc_destroy(g);
}

/* Receiver reports are ignored while transport-cc feedback flows (it counts loss itself). */
static void test_rr_ignored_with_twcc(void **state)
{
    (void)state;
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(NULL, 0, &g), 0);
    paced(g, 0, 100, 0, 10 * MS, 30 * MS, 0);
    struct okno_gcc_estimate a, b;
    okno_gcc_estimate(g, 1100 * MS, &a);
    okno_gcc_on_loss_report(g, 200, 1000, 1100 * MS);
    okno_gcc_estimate(g, 1100 * MS, &b);
    assert_int_equal(a.target_bps, b.target_bps);
    assert_true(b.loss_ratio < 0.01);
    okno_gcc_destroy(g);
}

static void test_unknown_duplicate_reordered(void **state)
{
    (void)state;
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(NULL, 0, &g), 0);
    struct okno_gcc_stats st;
    /* Feedback before anything was sent. */
    struct okno_twcc_entry e[40];
    for (int i = 0; i < 10; i++)
        e[i] = (struct okno_twcc_entry){.seq = (uint16_t)(100 + i),
                                        .status = OKNO_TWCC_SMALL_DELTA,
                                        .arrival_us = 1000 + i * 1000};
    feed(g, e, 10, 0);
    okno_gcc_stats(g, &st);
    assert_int_equal(st.unknown_seq, 10);
    assert_int_equal(st.packets_acked, 0);
    /* 40 sent; feedback covers 30..49 of which 40..49 were never sent. */
    for (int i = 0; i < 40; i++)
        okno_gcc_on_packet_sent(g, (uint16_t)i, 1000, i * 5000, false);
    for (int i = 0; i < 20; i++)
        e[i] = (struct okno_twcc_entry){.seq = (uint16_t)(30 + i),
                                        .status = OKNO_TWCC_SMALL_DELTA,
                                        .arrival_us = 200000 + (30 + i) * 5000};
    feed(g, e, 20, 400 * MS);
    okno_gcc_stats(g, &st);
    assert_int_equal(st.unknown_seq, 20);
    assert_int_equal(st.packets_acked, 10);
    /* The same feedback again: duplicates, not more acknowledgements. */
    feed(g, e, 20, 410 * MS);
    okno_gcc_stats(g, &st);
    assert_int_equal(st.packets_acked, 10);
    assert_int_equal(st.duplicates, 10);
    /* Older feedback arriving late (reordered), with one loss that a later report fixes. */
    for (int i = 0; i < 30; i++)
        e[i] = (struct okno_twcc_entry){.seq = (uint16_t)i,
                                        .status =
                                            i == 7 ? OKNO_TWCC_NOT_RECEIVED : OKNO_TWCC_SMALL_DELTA,
                                        .arrival_us = 200000 + i * 5000};
    feed(g, e, 30, 420 * MS);
    okno_gcc_stats(g, &st);
    assert_int_equal(st.packets_acked, 39);
    assert_int_equal(st.packets_lost, 1);
    e[0] = (struct okno_twcc_entry){
        .seq = 7, .status = OKNO_TWCC_SMALL_DELTA, .arrival_us = 200000 + 7 * 5000 + 900};
    feed(g, e, 1, 430 * MS);
    okno_gcc_stats(g, &st);
    assert_int_equal(st.packets_acked, 40);
    /* Reported lost twice is a duplicate too. */
    e[0] = (struct okno_twcc_entry){.seq = 39, .status = OKNO_TWCC_NOT_RECEIVED};
    okno_gcc_on_packet_sent(g, 50, 1000, 500 * MS, false);
    e[0].seq = 50;
    feed(g, e, 1, 600 * MS);
    feed(g, e, 1, 610 * MS);
    okno_gcc_stats(g, &st);
    assert_int_equal(st.packets_lost, 2);
    assert_int_equal(st.duplicates, 11);
    assert_int_equal(st.feedbacks, 7);
    okno_gcc_destroy(g);
}

/* Sequence numbers that wrap within one feedback, and receive times that cross the reference
 * time's wrap between feedbacks: all matched, no delay jump. */
static void test_wraps(void **state)
{
    (void)state;
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(NULL, 0, &g), 0);
    int64_t off = OKNO_TWCC_REF_PERIOD_US - 1 * S;
    uint16_t seq = 65000;
    int64_t t = 0;
    for (int round = 0; round < 40; round++) {
        paced(g, seq, 50, t, 2 * MS, 30 * MS, off);
        seq = (uint16_t)(seq + 50);
        t += 100 * MS;
    }
    struct okno_gcc_stats st;
    okno_gcc_stats(g, &st);
    assert_int_equal(st.packets_acked, 2000);
    assert_int_equal(st.unknown_seq, 0);
    assert_int_equal(st.packets_lost, 0);
    struct okno_gcc_estimate e;
    okno_gcc_estimate(g, t, &e);
    assert_true(e.queue_delay_us < 2 * MS);
    assert_int_equal(e.usage, OKNO_GCC_NORMAL);
    assert_true(e.acked_bps > 4000000 && e.acked_bps < 5200000); /* 1200 B every 2 ms */
    okno_gcc_destroy(g);
}

/* The entry API and the wire API agree given the same reports. */
/* Edge's downlink, 240 kbit/s with 40 ms of jitter: 200 kbit/s of media for 3 s, then a probe
 * cluster of five 1,000-byte packets sent within 4 ms, which the link spaces 33 ms apart. bunched:
 * a jitter spike holds the first and the next three queue behind it, so they arrive together and
 * the cluster alone reads as 970 kbit/s. The link limited the cluster, so what arrived over the
 * last 200 ms bounds its result. Probing is off, so the only cluster is this one. Returns the
 * target after the cluster's feedback. */
static uint32_t edge_cluster(bool bunched)
{
    struct okno_gcc_config cfg = {.start_bps = 200000, .no_probing = true};
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(&cfg, 0, &g), 0);
    uint16_t seq = 0;
    struct okno_gcc_fb_entry f[64];
    size_t n = 0;
    struct okno_gcc_estimate e;
    for (int64_t t = 0; t < 3 * S; t += 40 * MS) {
        okno_gcc_on_packet_sent(g, seq, 1000, t, false);
        f[n++] =
            (struct okno_gcc_fb_entry){.seq = seq++, .received = true, .arrival_us = t + 400 * MS};
        if (n == 3) { /* a feedback every 120 ms */
            assert_int_equal(okno_gcc_on_feedback_entries(g, f, n, t + 420 * MS), 0);
            okno_gcc_estimate(g, t + 420 * MS, &e);
            assert_false(e.probe_wanted);
            n = 0;
        }
    }
    okno_gcc_estimate(g, 3 * S + 400 * MS, &e);
    uint32_t before = e.target_bps;
    for (int i = 0; i < 5; i++) {
        int64_t t = 3 * S + i * MS;
        okno_gcc_on_packet_sent(g, seq, 1000, t, true);
        int64_t arr = 3 * S + 400 * MS + (i + 1) * 33333;
        if (bunched)
            arr = i < 4 ? 3 * S + 533 * MS : 3 * S + 566 * MS;
        f[n++] = (struct okno_gcc_fb_entry){.seq = seq++, .received = true, .arrival_us = arr};
    }
    assert_int_equal(okno_gcc_on_feedback_entries(g, f, n, 3 * S + 600 * MS), 0);
    okno_gcc_estimate(g, 3 * S + 600 * MS, &e);
    printf("# edge cluster%s: target %u -> %u bit/s (acked %u)\n", bunched ? " bunched" : "",
           before, e.target_bps, e.acked_bps);
    okno_gcc_destroy(g);
    return e.target_bps;
}

static void test_probe_bunched(void **state)
{
    (void)state;
    /* 4,000 bytes in 33 ms read alone as 970 kbit/s; the link carried at most 240. */
    assert_true(edge_cluster(true) <= 260000);
    assert_true(edge_cluster(false) <= 260000);
}

static void test_entries_api(void **state)
{
    (void)state;
    struct okno_gcc *a, *b;
    assert_int_equal(okno_gcc_create(NULL, 0, &a), 0);
    assert_int_equal(okno_gcc_create(NULL, 0, &b), 0);
    uint32_t lcg = 1;
    uint16_t seq = 65500;
    for (int round = 0; round < 100; round++) {
        struct okno_twcc_entry w[40];
        struct okno_gcc_fb_entry f[40];
        for (int i = 0; i < 40; i++) {
            int64_t t = round * 100 * MS + i * 2500;
            okno_gcc_on_packet_sent(a, seq, 1200, t, false);
            okno_gcc_on_packet_sent(b, seq, 1200, t, false);
            lcg = lcg * 1103515245u + 12345u;
            bool rx = (lcg >> 16) % 50 != 0;
            /* a queue that grows in the second half of the run */
            int64_t arr = t + 20 * MS + (t > 5 * S ? (t - 5 * S) / 5 : 0);
            arr -= arr % 250; /* the wire's resolution */
            w[i] = (struct okno_twcc_entry){
                .seq = seq, .status = rx ? OKNO_TWCC_SMALL_DELTA : 0, .arrival_us = arr};
            f[i] = (struct okno_gcc_fb_entry){.seq = seq, .received = rx, .arrival_us = arr};
            seq++;
        }
        int64_t now = round * 100 * MS + 120 * MS;
        feed(a, w, 40, now);
        assert_int_equal(okno_gcc_on_feedback_entries(b, f, 40, now), 0);
        struct okno_gcc_estimate ea, eb;
        okno_gcc_estimate(a, now, &ea);
        okno_gcc_estimate(b, now, &eb);
        assert_int_equal(ea.target_bps, eb.target_bps);
        assert_int_equal(ea.usage, eb.usage);
        assert_int_equal(ea.queue_delay_us, eb.queue_delay_us);
    }
    struct okno_gcc_stats sa, sb;
    okno_gcc_stats(a, &sa);
    okno_gcc_stats(b, &sb);
    assert_memory_equal(&sa, &sb, sizeof sa);
    assert_true(sa.overuse_events > 0);
    assert_int_equal(okno_gcc_on_feedback_entries(b, NULL, 0, 0), 0);
    okno_gcc_destroy(a);
    okno_gcc_destroy(b);
}

/* Sending on without feedback cuts the estimate by 20 % a second, never under the minimum;
 * silence without sending does not. */
static void test_feedback_timeout(void **state)
{
    (void)state;
    struct okno_gcc_config cfg = {.start_bps = 1000000};
    struct okno_gcc *g;
    assert_int_equal(okno_gcc_create(&cfg, 0, &g), 0);
    paced(g, 0, 100, 0, 8 * MS, 30 * MS, 0);
    struct okno_gcc_estimate e;
    okno_gcc_estimate(g, 900 * MS, &e);
    uint32_t before = e.target_bps;
    okno_gcc_estimate(g, 3 * S, &e); /* silent, nothing sent */
    assert_int_equal(e.target_bps, before);
    uint16_t seq = 100;
    uint32_t prev = before;
    for (int64_t t = 3 * S; t < 30 * S; t += 10 * MS) {
        okno_gcc_on_packet_sent(g, seq++, 1200, t, false);
        okno_gcc_estimate(g, t, &e);
        assert_true(e.target_bps <= prev);
        assert_true(e.target_bps >= 30000);
        prev = e.target_bps;
    }
    assert_int_equal(e.target_bps, 30000);
    okno_gcc_destroy(g);
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

/* Random sends, random feedback (wire and entries, sane and absurd arrival times, time that
 * jumps back), random REMB, RR and RTT: the estimate stays within its bounds and sane. */
static void test_fuzz(void **state)
{
    (void)state;
    uint64_t r = 0x9e3779b97f4a7c15ull;
    for (int run = 0; run < 20; run++) {
        struct okno_gcc_config cfg = {.min_bps = 50000, .start_bps = 500000, .max_bps = 3000000};
        struct okno_gcc *g;
        assert_int_equal(okno_gcc_create(&cfg, 0, &g), 0);
        int64_t now = (int64_t)(rng_next(&r) % (1ull << 40)) - (1ll << 39);
        uint16_t seq = (uint16_t)rng_next(&r);
        for (int step = 0; step < 3000; step++) {
            uint64_t x = rng_next(&r);
            now += (int64_t)(x % 20000) - (x % 97 == 0 ? 500000 : 0);
            switch ((x >> 20) % 8) {
            case 0:
            case 1:
            case 2:
                okno_gcc_on_packet_sent(g, seq++, (size_t)(x >> 32) % 2000, now,
                                        (x >> 40) % 5 == 0);
                break;
            case 3: {
                struct okno_twcc_entry e[64];
                size_t n = 1 + (x >> 32) % 64;
                uint16_t base =
                    (x >> 50) % 3 ? (uint16_t)(seq - n - (x >> 44) % 200) : (uint16_t)rng_next(&r);
                int64_t arr = now + (int64_t)(rng_next(&r) % 4000000);
                for (size_t i = 0; i < n; i++) {
                    uint64_t y = rng_next(&r);
                    arr += (int64_t)(y % 30000) - 10000;
                    e[i] = (struct okno_twcc_entry){.seq = (uint16_t)(base + i),
                                                    .status = (uint8_t)(y >> 40) % 3,
                                                    .arrival_us = arr < 0 ? 0 : arr};
                }
                feed(g, e, n, now);
                break;
            }
            case 4: {
                struct okno_gcc_fb_entry f[32];
                size_t n = (x >> 32) % 33;
                for (size_t i = 0; i < n; i++) {
                    uint64_t y = rng_next(&r);
                    f[i] = (struct okno_gcc_fb_entry){
                        .seq = (uint16_t)(seq - 1 - (y % 300)),
                        .received = (y >> 10) % 4 != 0,
                        .arrival_us = (y >> 12) % 13 == 0 ? (int64_t)rng_next(&r)
                                                          : now + (int64_t)(y >> 40) % 100000};
                }
                assert_int_equal(okno_gcc_on_feedback_entries(g, f, n, now), 0);
                break;
            }
            case 5:
                okno_gcc_on_remb(g, rng_next(&r) % 20000000, now);
                break;
            case 6:
                okno_gcc_on_loss_report(g, (uint8_t)(x >> 32), (uint32_t)(x >> 40) % 500, now);
                break;
            default:
                okno_gcc_on_rtt(g, (int64_t)(x >> 32) % 2000000 - 1000, now);
                break;
            }
            struct okno_gcc_estimate e;
            okno_gcc_estimate(g, now, &e);
            assert_true(e.target_bps >= 50000 && e.target_bps <= 3000000);
            assert_true(e.loss_ratio >= 0 && e.loss_ratio <= 1);
            assert_true(e.queue_delay_us >= 0);
            if (e.probe_wanted)
                assert_true(e.probe_bps >= 50000 && e.probe_bps <= 3000000);
        }
        struct okno_gcc_stats st;
        okno_gcc_stats(g, &st);
        assert_true(st.feedbacks > 0);
        okno_gcc_destroy(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_initial_probes),
        cmocka_unit_test(test_probe_result),
        cmocka_unit_test(test_remb_only),
        cmocka_unit_test(test_rr_only),
        cmocka_unit_test(test_rr_ignored_with_twcc),
        cmocka_unit_test(test_unknown_duplicate_reordered),
        cmocka_unit_test(test_wraps),
        cmocka_unit_test(test_entries_api),
        cmocka_unit_test(test_probe_bunched),
        cmocka_unit_test(test_feedback_timeout),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
