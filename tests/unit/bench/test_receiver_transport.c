/* okno-bench's per-transport receive feedback (okno_rx_transport in bench/call/receiver.h) with
 * synthetic packets: transport-cc feedback parsed back with okno_twcc_parse names the right
 * sequence numbers and arrival times, a REMB-only transport sends the simple receive-side estimate,
 * the per-second timeline, and garbage. */
#include "testutil.h"

#include "call/receiver.h"
#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/twcc.h"

#define T0       5000000
#define EXT_TWCC 3
#define LOCAL    0x0a0b0c0du

struct sent {
    uint8_t buf[1500];
    size_t len;
    int64_t at;
};

struct rec {
    struct sent pkts[256];
    size_t n;
    int64_t now;
};

static int record(void *arg, const uint8_t *pkt, size_t len)
{
    struct rec *r = arg;
    assert_true(r->n < 256 && len <= 1500);
    memcpy(r->pkts[r->n].buf, pkt, len);
    r->pkts[r->n].len = len;
    r->pkts[r->n].at = r->now;
    r->n++;
    return 0;
}

/* An RTP packet of ssrc/seq with a transport-wide number (when twcc >= 0) and a payload of len. */
static size_t make_pkt(uint8_t *buf, uint32_t ssrc, uint16_t seq, int twcc, size_t payload)
{
    uint8_t ext[4] = {EXT_TWCC << 4 | 1, (uint8_t)(twcc >> 8), (uint8_t)twcc, 0};
    struct okno_rtp_pkt h = {.pt = 96, .seq = seq, .ts = seq * 3000u, .ssrc = ssrc};
    if (twcc >= 0) {
        h.extension = true;
        h.ext_profile = OKNO_RTP_EXT_PROFILE_ONE_BYTE;
        h.ext = ext;
        h.ext_len = 4;
    }
    int n = okno_rtp_write_header(buf, 1500, &h);
    assert_true(n > 0);
    memset(buf + n, 0x5a, payload);
    return (size_t)n + payload;
}

/* The config of a transport sending its RTCP to rec from T0: ext_twcc (0: none), remb, and a
 * timeline of timeline_s seconds. */
static struct okno_rx_transport_config config(struct rec *rec, int ext_twcc, bool remb,
                                              size_t timeline_s)
{
    return (struct okno_rx_transport_config){.ext_twcc = ext_twcc,
                                             .remb = remb,
                                             .local_ssrc = LOCAL,
                                             .send_rtcp = record,
                                             .arg = rec,
                                             .start_us = T0,
                                             .timeline_s = timeline_s};
}

/* A transport made from config(...). */
static struct okno_rx_transport *transport(struct rec *rec, int ext_twcc, bool remb,
                                           size_t timeline_s)
{
    struct okno_rx_transport_config c = config(rec, ext_twcc, remb, timeline_s);
    struct okno_rx_transport *t;
    assert_int_equal(okno_rx_transport_create(&c, &t), 0);
    return t;
}

static void test_rx_transport_twcc_feedback_names_seqs_and_arrivals(void **state)
{
    (void)state;
    struct rec rec = {0};
    struct okno_rx_transport *t =
        transport(&rec, EXT_TWCC, true /* ignored with transport-cc */, 10);
    assert_int_equal(okno_rx_transport_poll(t, T0), INT64_MAX);
    /* twcc 65530..65545 across the wrap, 65533 and 65540 missing, 65537 and 65538 swapped;
     * arrivals 3.3 ms apart */
    uint8_t buf[1500];
    int64_t arrival[16];
    for (int i = 0; i < 16; i++) {
        int k = i == 7 ? 8 : i == 8 ? 7 : i;
        uint16_t tw = (uint16_t)(65530 + k);
        arrival[k] = T0 + 1000 + i * 3300;
        if (k == 3 || k == 10)
            continue;
        size_t len = make_pkt(buf, 0x1111, (uint16_t)(100 + k), tw, 900);
        rec.now = arrival[k];
        okno_rx_transport_on_rtp(t, buf, len, arrival[k]);
    }
    rec.now = T0 + 1000 + 100000;
    int64_t next = okno_rx_transport_poll(t, rec.now);
    assert_true(next > rec.now && next <= rec.now + 100000);
    assert_int_equal(rec.n, 1);
    struct okno_twcc_fb fb;
    assert_int_equal(okno_twcc_parse(rec.pkts[0].buf, rec.pkts[0].len, &fb), (int)rec.pkts[0].len);
    assert_int_equal(fb.sender_ssrc, LOCAL);
    assert_int_equal(fb.base_seq, 65530);
    assert_int_equal(fb.status_count, 16);
    assert_int_equal(fb.fb_count, 0);
    struct okno_twcc_entry e[16];
    assert_int_equal(okno_twcc_parse_entries(&fb, e, 16), 16);
    int64_t offset = 0;
    for (int k = 0; k < 16; k++) {
        assert_int_equal(e[k].seq, (uint16_t)(65530 + k));
        if (k == 3 || k == 10) {
            assert_int_equal(e[k].status, OKNO_TWCC_NOT_RECEIVED);
            continue;
        }
        assert_int_not_equal(e[k].status, OKNO_TWCC_NOT_RECEIVED);
        /* times are rebuilt modulo the reference period: compare against the first's offset */
        if (k == 0)
            offset = e[0].arrival_us - arrival[0];
        int64_t d = e[k].arrival_us - offset - arrival[k];
        assert_true(d >= -250 && d <= 250);
    }
    /* nothing new: no feedback; new packets: the next one starts after the last */
    rec.now += 100000;
    okno_rx_transport_poll(t, rec.now);
    assert_int_equal(rec.n, 1);
    size_t len = make_pkt(buf, 0x1111, 200, 65546 - 65536, 900);
    okno_rx_transport_on_rtp(t, buf, len, rec.now);
    rec.now += 100000;
    okno_rx_transport_poll(t, rec.now);
    assert_int_equal(rec.n, 2);
    assert_true(okno_twcc_parse(rec.pkts[1].buf, rec.pkts[1].len, &fb) > 0);
    assert_int_equal(fb.base_seq, 10);
    assert_int_equal(fb.status_count, 1);
    assert_int_equal(fb.fb_count, 1);
    struct okno_rx_transport_stats st;
    okno_rx_transport_stats(t, &st);
    assert_int_equal(st.packets, 15);
    assert_int_equal(st.feedbacks_sent, 2);
    assert_int_equal(st.rembs_sent, 0);
    okno_rx_transport_destroy(t);
}

/* The bitrate of the last REMB recorded. */
static uint64_t last_remb(const struct rec *rec, size_t from)
{
    uint64_t bps = 0;
    for (size_t i = from; i < rec->n; i++) {
        struct okno_rtcp_pkt p;
        assert_true(okno_rtcp_parse(rec->pkts[i].buf, rec->pkts[i].len, &p) > 0);
        struct okno_rtcp_fb fb;
        assert_int_equal(okno_rtcp_fb_parse(&p, &fb), 0);
        assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_REMB);
        static struct okno_rtcp_remb remb;
        assert_int_equal(okno_rtcp_remb_parse(&fb, &remb), 0);
        assert_int_equal(fb.sender_ssrc, LOCAL);
        assert_int_equal(remb.ssrc_count, 2);
        bps = remb.bitrate;
    }
    return bps;
}

/* Sends one second of two streams at 50 packets/s each of 250 bytes (200 kbit/s together),
 * dropping every nth packet of the first (0: none). */
static void one_second(struct okno_rx_transport *t, struct rec *rec, uint16_t *seq, unsigned nth)
{
    uint8_t buf[1500];
    for (int i = 0; i < 50; i++) {
        rec->now += 20000;
        for (unsigned s = 0; s < 2; s++) {
            uint16_t q = seq[s]++;
            if (s == 0 && nth && q % nth == 0)
                continue;
            size_t len = make_pkt(buf, 0x100 + s, q, -1, 250 - 12);
            okno_rx_transport_on_rtp(t, buf, len, rec->now);
        }
        okno_rx_transport_poll(t, rec->now);
    }
}

static void test_rx_transport_remb_from_received_rate_and_loss(void **state)
{
    (void)state;
    struct rec rec = {.now = T0};
    struct okno_rx_transport *t = transport(&rec, 0, true, 10);
    uint16_t seq[2] = {65500, 7};
    one_second(t, &rec, seq, 0);
    one_second(t, &rec, seq, 0);
    size_t n = rec.n;
    assert_true(n >= 1 && n <= 2);
    uint64_t clean = last_remb(&rec, 0);
    /* 200 kbit/s x 1.5, within two packets' worth and the mantissa's rounding */
    printf("# REMB clean %llu bps\n", (unsigned long long)clean);
    assert_true(clean >= 290000 && clean <= 310000);
    one_second(t, &rec, seq, 5); /* 10 % of all */
    one_second(t, &rec, seq, 5);
    uint64_t lossy = last_remb(&rec, n);
    printf("# REMB at 10%% loss %llu bps\n", (unsigned long long)lossy);
    /* 180 kbit/s x 0.85 */
    assert_true(lossy >= 150000 && lossy <= 157000);
    struct okno_rx_transport_stats st;
    okno_rx_transport_stats(t, &st);
    assert_int_equal(st.rembs_sent, rec.n);
    assert_int_equal(st.feedbacks_sent, 0);
    assert_true(st.timeline_n >= 3);
    /* seconds 1-2: 100 packets of 250 bytes each; second 3 lost 10 of the first stream's 50 */
    assert_int_equal(st.timeline[1].packets, 100);
    assert_int_equal(st.timeline[1].bytes, 25000);
    assert_int_equal(st.timeline[1].lost, 0);
    assert_int_equal(st.timeline[3].packets, 90);
    assert_true(st.timeline[3].lost >= 9 && st.timeline[3].lost <= 11);
    okno_rx_transport_destroy(t);
}

/* Two seconds of packets every 5 ms with every 10th transport-wide number missing: feedback every
 * 100 ms covers every number once, in order, and the timeline counts the missing ones. */
static void test_rx_transport_twcc_feedback_every_100_ms_and_timeline_loss(void **state)
{
    (void)state;
    static struct rec rec;
    memset(&rec, 0, sizeof rec);
    rec.now = T0;
    struct okno_rx_transport *t = transport(&rec, EXT_TWCC, false, 10);
    uint8_t buf[1500];
    int64_t next = INT64_MAX;
    for (int i = 0; i < 400; i++) {
        rec.now = T0 + i * 5000;
        if (next <= rec.now)
            next = okno_rx_transport_poll(t, rec.now);
        if (i % 10 == 9)
            continue;
        size_t len = make_pkt(buf, 0x2222, (uint16_t)i, (uint16_t)(65000 + i), 500);
        okno_rx_transport_on_rtp(t, buf, len, rec.now);
        next = okno_rx_transport_poll(t, rec.now);
    }
    rec.now = T0 + 2100000;
    okno_rx_transport_poll(t, rec.now);
    printf("# twcc: %zu feedback packets over 2 s\n", rec.n);
    assert_true(rec.n >= 19 && rec.n <= 22);
    /* every number exactly once, in order across packets */
    uint16_t expect = 65000;
    unsigned missing = 0;
    for (size_t k = 0; k < rec.n; k++) {
        struct okno_twcc_fb fb;
        assert_int_equal(okno_twcc_parse(rec.pkts[k].buf, rec.pkts[k].len, &fb),
                         (int)rec.pkts[k].len);
        assert_int_equal(fb.base_seq, expect);
        assert_int_equal(fb.fb_count, (uint8_t)k);
        static struct okno_twcc_entry e[1024];
        int n = okno_twcc_parse_entries(&fb, e, 1024);
        assert_true(n > 0);
        for (int j = 0; j < n; j++)
            missing += e[j].status == OKNO_TWCC_NOT_RECEIVED;
        expect = (uint16_t)(expect + n);
    }
    assert_int_equal(expect, (uint16_t)(65000 + 399)); /* the last, missing, was never seen */
    assert_int_equal(missing, 39);
    struct okno_rx_transport_stats st;
    okno_rx_transport_stats(t, &st);
    assert_int_equal(st.feedbacks_sent, rec.n);
    assert_true(st.timeline_n >= 2);
    assert_int_equal(st.timeline[0].packets + st.timeline[1].packets, 360);
    unsigned lost = st.timeline[0].lost + st.timeline[1].lost;
    printf("# timeline: lost %u, %u; packets %u, %u\n", st.timeline[0].lost, st.timeline[1].lost,
           st.timeline[0].packets, st.timeline[1].packets);
    assert_true(st.timeline[0].lost >= 19 && st.timeline[0].lost <= 20);
    assert_true(lost >= 38 && lost <= 40);
    okno_rx_transport_destroy(t);
}

static void test_rx_transport_without_feedback_only_counts(void **state)
{
    (void)state;
    struct rec rec = {.now = T0};
    struct okno_rx_transport_config c = config(&rec, 0, false, 4);
    struct okno_rx_transport *t;
    assert_int_equal(okno_rx_transport_create(&c, &t), 0);
    uint16_t seq[2] = {1, 1};
    one_second(t, &rec, seq, 0);
    one_second(t, &rec, seq, 0);
    assert_int_equal(rec.n, 0);
    /* garbage and packets past the timeline */
    uint8_t junk[64] = {0xff, 0x00, 0x12};
    okno_rx_transport_on_rtp(t, junk, sizeof junk, rec.now);
    okno_rx_transport_on_rtp(t, junk, 0, rec.now);
    uint8_t buf[1500];
    size_t len = make_pkt(buf, 1, 1, -1, 100);
    okno_rx_transport_on_rtp(t, buf, len, T0 + 100000000);
    okno_rx_transport_on_rtp(t, buf, len, T0 - 1);
    struct okno_rx_transport_stats st;
    okno_rx_transport_stats(t, &st);
    assert_int_equal(st.garbage, 2);
    assert_int_equal(st.packets, 202);
    assert_true(st.timeline_n <= 4);
    okno_rx_transport_destroy(t);
    struct okno_rx_transport *bad = (void *)1;
    c.send_rtcp = NULL;
    assert_int_equal(okno_rx_transport_create(&c, &bad), OKNO_E_INVAL);
    assert_null(bad);
    c.send_rtcp = record;
    c.ext_twcc = 256;
    assert_int_equal(okno_rx_transport_create(&c, &bad), OKNO_E_INVAL);
}

/* Random datagrams, half of them with a valid header and a random extension block: counted or
 * ignored, never a crash, and feedback still goes out for what carried a number. */
static void test_rx_transport_survives_random_packets(void **state)
{
    (void)state;
    static struct rec rec;
    memset(&rec, 0, sizeof rec);
    struct okno_rx_transport *t = transport(&rec, EXT_TWCC, true, 3);
    uint64_t rng = 0x1234567;
    uint8_t buf[1500];
    for (int i = 0; i < 3000; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        size_t len = (size_t)(rng % 300);
        for (size_t k = 0; k < len; k++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            buf[k] = (uint8_t)rng;
        }
        if (i % 2 && len >= 16) {
            buf[0] = 0x90; /* V=2, X=1 */
            buf[12] = 0xbe;
            buf[13] = 0xde;
            buf[14] = 0;
            buf[15] = (uint8_t)(1 + rng % 3); /* 1-3 words of random elements */
            buf[16] = (uint8_t)(rng & 1 ? EXT_TWCC << 4 | 1 : buf[16]);
        }
        rec.now = T0 + i * 1000;
        okno_rx_transport_on_rtp(t, buf, len, rec.now);
        okno_rx_transport_poll(t, rec.now);
        if (rec.n > 200)
            rec.n = 0;
    }
    struct okno_rx_transport_stats st;
    okno_rx_transport_stats(t, &st);
    printf("# random: %llu garbage, %llu taken, %llu feedback packets\n",
           (unsigned long long)st.garbage, (unsigned long long)st.packets,
           (unsigned long long)st.feedbacks_sent);
    assert_true(st.garbage > 1000);
    assert_true(st.packets > 500);
    assert_true(st.timeline_n <= 3);
    okno_rx_transport_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rx_transport_twcc_feedback_names_seqs_and_arrivals),
        cmocka_unit_test(test_rx_transport_remb_from_received_rate_and_loss),
        cmocka_unit_test(test_rx_transport_twcc_feedback_every_100_ms_and_timeline_loss),
        cmocka_unit_test(test_rx_transport_without_feedback_only_counts),
        cmocka_unit_test(test_rx_transport_survives_random_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
