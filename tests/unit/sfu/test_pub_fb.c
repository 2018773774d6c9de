/* Publisher feedback (sfu/pub_fb.h): real Chromium packets (tests/fixtures/captures, transport-wide
 * number rewritten in place to known values) arrive at known times, the schedule is polled, and
 * every feedback packet it builds is parsed back with okno_twcc_parse: sequence numbers, statuses,
 * arrival times within the 250 us unit, losses, the 16-bit wrap, the interval and its rate rule,
 * splitting within max_size, nothing without transport-cc; REMB contents and timing. */
#include "testutil.h"
#include "capture.h"

#include "okno/err.h"
#include "sfu/pub_fb.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/twcc.h"

#define MS 1000
/* The capture's transport-wide-cc id (tests/fixtures/captures/README.md). */
#define TWCC_ID  3
#define SENDER   0x6f6b6e6fu
#define T0       (5 * 1000 * MS)
#define MAX_SEEN 4096

struct fx {
    struct capture cap;
    size_t numbered[CAPTURE_MAX_PKTS]; /* capture indexes of packets with the element */
    size_t n_numbered;
    struct okno_pub_fb fb;
    uint8_t buf[CAPTURE_MAX_LEN];
    /* what the feedback packets said, in order */
    struct okno_twcc_entry seen[MAX_SEEN];
    size_t n_seen;
    size_t packets;
    uint64_t fb_bytes; /* feedback packets' sizes */
    uint8_t fb_counts[64];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    capture_load(&f->cap);
    for (size_t i = 0; i < f->cap.n; i++) {
        struct okno_rtp_pkt rtp;
        uint16_t seq;
        if (okno_rtp_parse(f->cap.pkt[i], f->cap.len[i], &rtp) == 0 &&
            okno_rtp_ext_get_twcc(&rtp, TWCC_ID, &seq) == 0)
            f->numbered[f->n_numbered++] = i;
    }
    assert_true(f->n_numbered >= 30);
    okno_pub_fb_init(&f->fb, SENDER, 0);
    okno_pub_fb_configure(&f->fb, TWCC_ID, true);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* The k-th numbered capture packet (cycling), renumbered seq, arriving at now_us. */
static void arrive(struct fx *f, size_t k, uint16_t seq, int64_t now_us)
{
    size_t i = f->numbered[k % f->n_numbered];
    size_t len = f->cap.len[i];
    memcpy(f->buf, f->cap.pkt[i], len);
    assert_int_equal(okno_rtp_ext_set_twcc(f->buf, len, TWCC_ID, seq), 0);
    struct okno_rtp_pkt rtp;
    assert_int_equal(okno_rtp_parse(f->buf, len, &rtp), 0);
    okno_pub_fb_on_rtp(&f->fb, &rtp, len, now_us);
}

/* Polls until nothing more is due at now_us; parses each packet into f->seen. Returns the number
 * of packets. */
static size_t poll_all(struct fx *f, int64_t now_us, size_t cap)
{
    size_t packets = 0;
    uint8_t out[1500];
    int n;
    assert_true(cap <= sizeof out);
    while ((n = okno_pub_fb_poll_twcc(&f->fb, now_us, out, cap)) > 0) {
        assert_true((size_t)n <= cap);
        struct okno_twcc_fb fb;
        assert_int_equal(okno_twcc_parse(out, (size_t)n, &fb), n);
        assert_int_equal(fb.sender_ssrc, SENDER);
        if (f->packets < sizeof f->fb_counts)
            f->fb_counts[f->packets] = fb.fb_count;
        struct okno_twcc_iter it;
        okno_twcc_iter_init(&it, &fb);
        struct okno_twcc_entry e;
        while (okno_twcc_iter_next(&it, &e) == 1) {
            assert_true(f->n_seen < MAX_SEEN);
            f->seen[f->n_seen++] = e;
        }
        packets++;
        f->packets++;
        f->fb_bytes += (uint64_t)n;
        assert_true(packets < 1000);
    }
    return packets;
}

/* The arrival time the feedback says, against the real one: the reference time is 24 bits of
 * 64 ms, so compare within that period. */
static void assert_arrival(const struct okno_twcc_entry *e, int64_t want_us)
{
    assert_int_not_equal(e->status, OKNO_TWCC_NOT_RECEIVED);
    int64_t got = e->arrival_us % OKNO_TWCC_REF_PERIOD_US;
    int64_t diff = got - want_us % OKNO_TWCC_REF_PERIOD_US;
    assert_true(diff >= -OKNO_TWCC_DELTA_US && diff <= OKNO_TWCC_DELTA_US);
}

static void test_pub_fb_reports_chromium_packets_with_their_arrival_times(void **state)
{
    struct fx *f = *state;
    int64_t at[64];
    for (size_t k = 0; k < 64; k++) {
        at[k] = T0 + (int64_t)k * 7100 + (int64_t)(k % 3) * 130;
        arrive(f, k, (uint16_t)(100 + k), at[k]);
    }
    assert_int_equal(f->fb.counters.recorded, 64);
    assert_int_equal(poll_all(f, at[63] + MS, 1500), 1);
    assert_int_equal(f->n_seen, 64);
    for (size_t k = 0; k < 64; k++) {
        assert_int_equal(f->seen[k].seq, 100 + k);
        assert_arrival(&f->seen[k], at[k]);
    }
    assert_int_equal(f->fb.counters.feedbacks, 1);
    /* Reported once: nothing new, nothing due. */
    assert_int_equal(poll_all(f, at[63] + 500 * MS, 1500), 0);
}

static void test_pub_fb_reports_lost_packets_as_not_received(void **state)
{
    struct fx *f = *state;
    const uint16_t seqs[] = {10, 11, 13, 16, 17};
    for (size_t k = 0; k < sizeof seqs / sizeof seqs[0]; k++)
        arrive(f, k, seqs[k], T0 + (int64_t)k * 20 * MS);
    assert_int_equal(poll_all(f, T0 + 100 * MS, 1500), 1);
    assert_int_equal(f->n_seen, 8); /* 10 to 17 */
    const bool got[] = {true, true, false, true, false, false, true, true};
    size_t k = 0;
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(f->seen[i].seq, 10 + i);
        if (got[i]) {
            assert_arrival(&f->seen[i], T0 + (int64_t)k * 20 * MS);
            k++;
        } else {
            assert_int_equal(f->seen[i].status, OKNO_TWCC_NOT_RECEIVED);
        }
    }
}

/* A packet reported lost that arrives after all is reported again, received, so the sender's
 * estimator does not count a loss that was only reordering. */
static void test_pub_fb_reports_a_late_packet_again(void **state)
{
    struct fx *f = *state;
    arrive(f, 0, 1, T0);
    arrive(f, 1, 2, T0 + 5 * MS);
    arrive(f, 2, 4, T0 + 10 * MS);
    assert_int_equal(poll_all(f, T0 + 10 * MS, 1500), 1);
    assert_int_equal(f->n_seen, 4);
    assert_int_equal(f->seen[2].status, OKNO_TWCC_NOT_RECEIVED);
    arrive(f, 3, 3, T0 + 40 * MS);
    assert_int_equal(poll_all(f, T0 + 110 * MS, 1500), 1);
    assert_int_equal(f->n_seen, 6); /* 3 and 4 again */
    assert_int_equal(f->seen[4].seq, 3);
    assert_arrival(&f->seen[4], T0 + 40 * MS);
    assert_int_equal(f->seen[5].seq, 4);
    assert_arrival(&f->seen[5], T0 + 10 * MS);
}

static void test_pub_fb_numbers_wrap_at_65535(void **state)
{
    struct fx *f = *state;
    /* One feedback across the wrap, then one after it. */
    for (int k = 0; k < 6; k++)
        arrive(f, (size_t)k, (uint16_t)(65532 + k), T0 + k * 5 * MS);
    assert_int_equal(poll_all(f, T0 + 30 * MS, 1500), 1);
    for (int k = 0; k < 4; k++)
        arrive(f, (size_t)k, (uint16_t)(2 + k), T0 + 200 * MS + k * 5 * MS);
    assert_int_equal(poll_all(f, T0 + 300 * MS, 1500), 1);
    assert_int_equal(f->n_seen, 10);
    const uint16_t want[] = {65532, 65533, 65534, 65535, 0, 1, 2, 3, 4, 5};
    for (size_t i = 0; i < 10; i++)
        assert_int_equal(f->seen[i].seq, want[i]);
    assert_arrival(&f->seen[3], T0 + 3 * 5 * MS);
    assert_arrival(&f->seen[6], T0 + 200 * MS);
    assert_int_equal(f->fb_counts[0], 0);
    assert_int_equal(f->fb_counts[1], 1);
}

static void test_pub_fb_waits_the_interval_between_feedbacks(void **state)
{
    struct fx *f = *state;
    /* Before a rate is known: 100 ms. The first packet's feedback goes at once. */
    assert_int_equal(okno_pub_fb_interval_us(&f->fb), OKNO_PUB_FB_DEFAULT_INTERVAL_US);
    arrive(f, 0, 1, T0);
    assert_int_equal(poll_all(f, T0, 1500), 1);
    arrive(f, 1, 2, T0 + 10 * MS);
    assert_int_equal(poll_all(f, T0 + 99 * MS, 1500), 0);
    assert_int_equal(poll_all(f, T0 + 100 * MS, 1500), 1);
    /* Nothing arrived: nothing due, however long. */
    assert_int_equal(poll_all(f, T0 + 900 * MS, 1500), 0);
    assert_int_equal(f->fb.counters.feedbacks, 2);
}

/* Feeds packets of the capture for duration_us at about rate_bps, polling every 20 ms as the room
 * timer does; returns the times feedback went out in times[] (their count). */
static size_t run_at_rate(struct fx *f, uint16_t *seq, int64_t *now, int64_t duration_us,
                          uint64_t rate_bps, int64_t *times, size_t max_times)
{
    size_t n = 0;
    int64_t end = *now + duration_us;
    uint64_t sent_bits = 0;
    int64_t start = *now;
    size_t k = 0;
    for (int64_t t = *now; t < end; t += MS) {
        while (sent_bits < rate_bps * (uint64_t)(t - start + MS) / 1000000u) {
            sent_bits += 8u * f->cap.len[f->numbered[k % f->n_numbered]];
            arrive(f, k++, (*seq)++, t);
        }
        if ((t - start) % (20 * MS) == 0 && poll_all(f, t, 1500) > 0 && n < max_times)
            times[n++] = t;
    }
    *now = end;
    return n;
}

/* The feedback's share of the rate fed, in percent, counting on the wire what libwebrtc counts
 * (IP, UDP, SRTCP: 42 bytes) and the empty RR before each feedback packet. */
static double feedback_share(const struct fx *f, uint64_t fb_bytes, size_t fb_packets,
                             uint64_t rate_bps, int64_t duration_us)
{
    double wire = (double)(f->fb_bytes - fb_bytes) + (double)(f->packets - fb_packets) * (42 + 8);
    return 100.0 * wire * 8.0 / ((double)rate_bps * (double)duration_us / 1e6);
}

static void test_pub_fb_interval_follows_the_incoming_rate(void **state)
{
    struct fx *f = *state;
    uint16_t seq = 0;
    int64_t now = T0, times[256];
    /* 1 Mbit/s: 5 % of it allows far more than one feedback per 50 ms, so 50 ms. */
    size_t n = run_at_rate(f, &seq, &now, 2000 * MS, 1000000, times, 256);
    uint64_t rate = okno_pub_fb_rate_bps(&f->fb);
    print_message("# 1 Mbit/s fed: measured %llu bit/s, interval %lld us, %zu feedbacks in 2 s\n",
                  (unsigned long long)rate, (long long)okno_pub_fb_interval_us(&f->fb), n);
    assert_true(rate > 900000 && rate < 1100000);
    assert_int_equal(okno_pub_fb_interval_us(&f->fb), OKNO_PUB_FB_MIN_INTERVAL_US);
    for (size_t i = n - 10; i < n; i++)
        assert_int_equal(times[i] - times[i - 1], 60 * MS); /* 50 ms, on a 20 ms tick */
    /* 100 kbit/s: 76 bytes at 5 % of it is every 121.6 ms. */
    n = run_at_rate(f, &seq, &now, 2000 * MS, 100000, times, 256);
    int64_t iv = okno_pub_fb_interval_us(&f->fb);
    print_message("# 100 kbit/s fed: measured %llu bit/s, interval %lld us, %zu feedbacks in 2 s\n",
                  (unsigned long long)okno_pub_fb_rate_bps(&f->fb), (long long)iv, n);
    assert_true(iv > 110 * MS && iv < 135 * MS);
    /* One second more at the settled interval: every 120-140 ms (121.6 on a 20 ms tick), and the
     * feedback's share of the rate on the wire near the 5 % aimed at. */
    uint64_t b0 = f->fb_bytes;
    size_t p0 = f->packets;
    int64_t t1 = now;
    n = run_at_rate(f, &seq, &now, 1000 * MS, 100000, times, 256);
    double share = feedback_share(f, b0, p0, 100000, now - t1);
    print_message("# feedback at 100 kbit/s: %.1f %% of the rate on the wire\n", share);
    assert_true(share < 6.0);
    assert_true(n >= 6);
    for (size_t i = 1; i < n; i++) /* the rate of each 500 ms window moves it a little */
        assert_true(times[i] - times[i - 1] >= 120 * MS && times[i] - times[i - 1] <= 140 * MS);
    /* 20 kbit/s: bounded at 250 ms. */
    n = run_at_rate(f, &seq, &now, 2000 * MS, 20000, times, 256);
    assert_int_equal(okno_pub_fb_interval_us(&f->fb), OKNO_PUB_FB_MAX_INTERVAL_US);
    print_message("# 20 kbit/s fed: measured %llu bit/s, %zu feedbacks in 2 s\n",
                  (unsigned long long)okno_pub_fb_rate_bps(&f->fb), n);
    assert_true(n >= 4);
    for (size_t i = n - 3; i < n; i++)
        assert_true(times[i] - times[i - 1] >= OKNO_PUB_FB_MAX_INTERVAL_US);
    /* Every number was reported, exactly once and in order (the last ones at a last poll). */
    poll_all(f, now + OKNO_PUB_FB_MAX_INTERVAL_US, 1500);
    assert_int_equal(f->n_seen, seq);
    for (size_t i = 0; i < f->n_seen; i++)
        assert_int_equal(f->seen[i].seq, (uint16_t)i);
}

static void test_pub_fb_splits_a_large_window_within_max_size(void **state)
{
    struct fx *f = *state;
    const size_t max = 160;
    okno_pub_fb_init(&f->fb, SENDER, max);
    okno_pub_fb_configure(&f->fb, TWCC_ID, false);
    /* Every third packet lost, irregular gaps: mixed chunks and deltas, far more than 160 bytes. */
    size_t fed = 0;
    for (uint16_t s = 0; s < 900; s++) {
        if (s % 3 == 2)
            continue;
        arrive(f, s, (uint16_t)(60000 + s), T0 + s * 300 + (s % 7) * 900);
        fed++;
    }
    size_t packets = poll_all(f, T0 + 400 * MS, max);
    print_message("# 900 numbers in %zu feedback packets of at most %zu bytes\n", packets, max);
    assert_true(packets > 3);
    assert_int_equal(f->fb.counters.feedbacks, packets);
    assert_int_equal(f->n_seen, 899); /* the last number sent was 899: 0 to 898 are reported */
    for (size_t i = 0; i < f->n_seen; i++) {
        assert_int_equal(f->seen[i].seq, (uint16_t)(60000 + i));
        if (i % 3 == 2)
            assert_int_equal(f->seen[i].status, OKNO_TWCC_NOT_RECEIVED);
        else
            assert_arrival(&f->seen[i], T0 + (int64_t)i * 300 + (int64_t)(i % 7) * 900);
    }
    for (size_t i = 0; i < packets && i < sizeof f->fb_counts; i++)
        assert_int_equal(f->fb_counts[i], i);
    assert_int_equal(fed - 0, f->fb.counters.recorded);
}

static void test_pub_fb_sends_nothing_without_transport_cc(void **state)
{
    struct fx *f = *state;
    okno_pub_fb_configure(&f->fb, 0, true);
    for (uint16_t s = 0; s < 20; s++)
        arrive(f, s, s, T0 + s * MS);
    assert_int_equal(poll_all(f, T0 + 500 * MS, 1500), 0);
    assert_int_equal(f->fb.counters.recorded, 0);
    /* Negotiated under another id than the packets use: counted as unnumbered, nothing sent. */
    okno_pub_fb_configure(&f->fb, 9, true);
    for (uint16_t s = 0; s < 20; s++)
        arrive(f, s, s, T0 + 600 * MS + s * MS);
    assert_int_equal(poll_all(f, T0 + 900 * MS, 1500), 0);
    assert_int_equal(f->fb.counters.unnumbered, 20);
    assert_int_equal(f->fb.counters.feedbacks, 0);
}

static void test_pub_fb_counts_duplicates_and_reports_the_first_arrival(void **state)
{
    struct fx *f = *state;
    arrive(f, 0, 7, T0);
    arrive(f, 1, 7, T0 + 3 * MS);
    arrive(f, 2, 8, T0 + 4 * MS);
    assert_int_equal(f->fb.counters.refused, 1);
    assert_int_equal(poll_all(f, T0 + 10 * MS, 1500), 1);
    assert_int_equal(f->n_seen, 2);
    assert_arrival(&f->seen[0], T0);
}

/* Parses a REMB built by poll_remb. */
static void parse_remb(const uint8_t *buf, int len, struct okno_rtcp_remb *remb)
{
    struct okno_rtcp_pkt rp;
    struct okno_rtcp_fb fb;
    assert_true(len > 0);
    assert_int_equal(okno_rtcp_parse(buf, (size_t)len, &rp), len);
    assert_int_equal(okno_rtcp_fb_parse(&rp, &fb), 0);
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_REMB);
    assert_int_equal(fb.sender_ssrc, SENDER);
    assert_int_equal(okno_rtcp_remb_parse(&fb, remb), 0);
}

static void test_pub_fb_remb_carries_the_cap_and_the_publisher_ssrcs(void **state)
{
    struct fx *f = *state;
    const uint32_t ssrcs[] = {0x21cf9e72, 0xb5cd2d95};
    uint8_t out[256];
    struct okno_rtcp_remb remb;
    assert_true(okno_pub_fb_set_cap(&f->fb, 2500000));
    parse_remb(out, okno_pub_fb_poll_remb(&f->fb, T0, ssrcs, 2, out, sizeof out), &remb);
    assert_true(remb.bitrate <= 2500000 && remb.bitrate > 2490000);
    assert_int_equal(remb.ssrc_count, 2);
    assert_int_equal(remb.ssrcs[0], ssrcs[0]);
    assert_int_equal(remb.ssrcs[1], ssrcs[1]);
    /* Too small a buffer: an error, and the REMB stays due. */
    assert_int_equal(okno_pub_fb_poll_remb(&f->fb, T0 + 2000 * MS, ssrcs, 2, out, 8), OKNO_E_NOSPC);
    assert_true(okno_pub_fb_poll_remb(&f->fb, T0 + 2000 * MS, ssrcs, 2, out, sizeof out) > 0);
    assert_int_equal(f->fb.counters.rembs, 2);
}

static void test_pub_fb_remb_goes_every_second_and_at_once_on_a_new_cap(void **state)
{
    struct fx *f = *state;
    const uint32_t ssrc = 0x21cf9e72;
    uint8_t out[256];
    struct okno_rtcp_remb remb;
    /* No cap yet, or no SSRC known: nothing. */
    assert_int_equal(okno_pub_fb_poll_remb(&f->fb, T0, &ssrc, 1, out, sizeof out), 0);
    okno_pub_fb_set_cap(&f->fb, 100000);
    assert_int_equal(okno_pub_fb_poll_remb(&f->fb, T0, &ssrc, 0, out, sizeof out), 0);
    assert_true(okno_pub_fb_poll_remb(&f->fb, T0, &ssrc, 1, out, sizeof out) > 0);
    assert_int_equal(okno_pub_fb_poll_remb(&f->fb, T0 + 999 * MS, &ssrc, 1, out, sizeof out), 0);
    assert_true(okno_pub_fb_poll_remb(&f->fb, T0 + 1000 * MS, &ssrc, 1, out, sizeof out) > 0);
    /* The same cap again is no news; a new one goes at once. */
    assert_false(okno_pub_fb_set_cap(&f->fb, 100000));
    assert_int_equal(okno_pub_fb_poll_remb(&f->fb, T0 + 1200 * MS, &ssrc, 1, out, sizeof out), 0);
    assert_true(okno_pub_fb_set_cap(&f->fb, 2000000));
    parse_remb(out, okno_pub_fb_poll_remb(&f->fb, T0 + 1200 * MS, &ssrc, 1, out, sizeof out),
               &remb);
    assert_true(remb.bitrate > 1990000 && remb.bitrate <= 2000000);
    assert_int_equal(okno_pub_fb_poll_remb(&f->fb, T0 + 2100 * MS, &ssrc, 1, out, sizeof out), 0);
    assert_true(okno_pub_fb_poll_remb(&f->fb, T0 + 2200 * MS, &ssrc, 1, out, sizeof out) > 0);
    assert_int_equal(f->fb.counters.rembs, 4);
    /* A move of 5 % waits for the periodic REMB (and that one carries it); one of 20 % does not. */
    assert_true(okno_pub_fb_set_cap(&f->fb, 2100000));
    assert_int_equal(okno_pub_fb_poll_remb(&f->fb, T0 + 2300 * MS, &ssrc, 1, out, sizeof out), 0);
    parse_remb(out, okno_pub_fb_poll_remb(&f->fb, T0 + 3200 * MS, &ssrc, 1, out, sizeof out),
               &remb);
    assert_true(remb.bitrate > 2090000 && remb.bitrate <= 2100000);
    assert_true(okno_pub_fb_set_cap(&f->fb, 1680000));
    assert_true(okno_pub_fb_poll_remb(&f->fb, T0 + 3300 * MS, &ssrc, 1, out, sizeof out) > 0);
    assert_int_equal(f->fb.counters.rembs, 6);
    /* goog-remb not negotiated: never, whatever the cap. */
    okno_pub_fb_configure(&f->fb, TWCC_ID, false);
    okno_pub_fb_set_cap(&f->fb, 300000);
    assert_int_equal(okno_pub_fb_poll_remb(&f->fb, T0 + 5000 * MS, &ssrc, 1, out, sizeof out), 0);
    /* Negotiated later: the cap set before goes out at the first poll. */
    okno_pub_fb_configure(&f->fb, TWCC_ID, true);
    parse_remb(out, okno_pub_fb_poll_remb(&f->fb, T0 + 5000 * MS, &ssrc, 1, out, sizeof out),
               &remb);
    assert_true(remb.bitrate > 299000 && remb.bitrate <= 300000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_pub_fb_reports_chromium_packets_with_their_arrival_times),
        T(test_pub_fb_reports_lost_packets_as_not_received),
        T(test_pub_fb_reports_a_late_packet_again),
        T(test_pub_fb_numbers_wrap_at_65535),
        T(test_pub_fb_waits_the_interval_between_feedbacks),
        T(test_pub_fb_interval_follows_the_incoming_rate),
        T(test_pub_fb_splits_a_large_window_within_max_size),
        T(test_pub_fb_sends_nothing_without_transport_cc),
        T(test_pub_fb_counts_duplicates_and_reports_the_first_arrival),
        T(test_pub_fb_remb_carries_the_cap_and_the_publisher_ssrcs),
        T(test_pub_fb_remb_goes_every_second_and_at_once_on_a_new_cap),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
