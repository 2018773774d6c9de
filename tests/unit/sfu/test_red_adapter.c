/* Unit tests of the per-subscriber RED adapter (sfu/red_adapter.h): RED forwarded to a RED
 * subscriber, stripped for one without (lost packets recovered from the next packet's redundant
 * blocks, with their own sequence numbers and timestamps, late originals dropped), redundancy
 * added to plain Opus on a lossy leg with hysteresis and within the MTU, and bad RED payloads
 * counted as drops. Packets are built as a browser sends them: Opus PT 111, RED PT 63, 20 ms. */
#include "testutil.h"
#include "okno/err.h"
#include "sfu/red_adapter.h"
#include "wire/red.h"
#include "wire/rtp.h"

#define OPUS  111
#define RED   63
#define SSRC  0x11223344u
#define FRAME 960

struct pkt {
    uint8_t buf[OKNO_MTU];
    size_t len;
    struct okno_rtp_pkt rtp;
};

/* The payload of packet seq: len bytes, each the low byte of seq plus its index. */
/* 20 ms apart, continuous across the sequence number wrap (65533 is 3 frames before 0). */
static uint32_t ts_of(uint16_t seq)
{
    return 1000000u + (uint32_t)((int32_t)(int16_t)seq * FRAME);
}

static void payload_of(uint16_t seq, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)(seq + i);
}

static void finish(struct pkt *p, uint16_t seq, uint8_t pt, const uint8_t *payload, size_t len)
{
    struct okno_rtp_pkt h = {.pt = pt, .seq = seq, .ts = ts_of(seq), .ssrc = SSRC};
    int hl = okno_rtp_write_header(p->buf, sizeof p->buf, &h);
    assert_true(hl > 0);
    assert_true((size_t)hl + len <= sizeof p->buf);
    memcpy(p->buf + hl, payload, len);
    p->len = (size_t)hl + len;
    assert_int_equal(okno_rtp_parse(p->buf, p->len, &p->rtp), 0);
}

static void opus_pkt(struct pkt *p, uint16_t seq, size_t len)
{
    uint8_t data[OKNO_MTU];
    payload_of(seq, data, len);
    finish(p, seq, OPUS, data, len);
}

/* RED packet seq carrying the payloads of the depth packets before it (each plen bytes). */
static void red_pkt(struct pkt *p, uint16_t seq, unsigned depth, size_t plen)
{
    uint8_t data[4][OKNO_MTU], payload[OKNO_MTU];
    struct okno_red_block blocks[3];
    for (unsigned k = depth; k >= 1; k--) {
        uint16_t s = (uint16_t)(seq - k);
        payload_of(s, data[k], plen);
        blocks[depth - k] = (struct okno_red_block){
            .pt = OPUS, .ts_offset = (uint16_t)(k * FRAME), .data = data[k], .len = plen};
    }
    payload_of(seq, data[0], plen);
    struct okno_red_block primary = {.pt = OPUS, .data = data[0], .len = plen};
    int n = okno_red_build(payload, sizeof payload, blocks, depth, &primary);
    assert_true(n > 0);
    finish(p, seq, RED, payload, (size_t)n);
}

static void check_opus(const struct okno_red_adapter_pkt *o, uint16_t seq, size_t len)
{
    uint8_t want[OKNO_MTU];
    payload_of(seq, want, len);
    assert_int_equal(o->pt, OPUS);
    assert_int_equal(o->rtp.pt, OPUS);
    assert_int_equal(o->rtp.seq, seq);
    assert_int_equal(o->rtp.ts, ts_of(seq));
    assert_int_equal(o->rtp.ssrc, SSRC);
    assert_int_equal(o->rtp.payload_len, len);
    assert_memory_equal(o->rtp.payload, want, len);
    assert_ptr_equal(o->rtp.raw, o->pkt);
    assert_int_equal(o->rtp.raw_len, o->len);
}

static void setup(struct okno_red_adapter *a, int red_in, int red_out)
{
    const struct okno_red_adapter_params p = {
        .opus_pt = OPUS, .red_in = (int16_t)red_in, .red_out = (int16_t)red_out};
    assert_int_equal(okno_red_adapter_init(a, &p), 0);
}

static void test_red_adapter_init_refuses_bad_payload_types(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    struct okno_red_adapter_params p = {.opus_pt = OPUS, .red_in = OPUS, .red_out = -1};
    assert_int_equal(okno_red_adapter_init(a, &p), OKNO_E_INVAL);
    p = (struct okno_red_adapter_params){.opus_pt = OPUS, .red_in = -1, .red_out = 128};
    assert_int_equal(okno_red_adapter_init(a, &p), OKNO_E_INVAL);
    p = (struct okno_red_adapter_params){.opus_pt = 128, .red_in = -1, .red_out = -1};
    assert_int_equal(okno_red_adapter_init(a, &p), OKNO_E_INVAL);
    free(a);
}

static void test_red_adapter_forwards_red_as_is_to_red_subscriber(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, RED, RED);
    struct pkt p;
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    red_pkt(&p, 100, 2, 40);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_equal(out[0].pkt, p.buf); /* untouched, no copy */
    assert_int_equal(out[0].len, p.len);
    assert_int_equal(out[0].pt, RED);
    /* A gap does not make a RED subscriber get anything more: its own client unpacks RED. */
    red_pkt(&p, 103, 2, 40);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_int_equal(a->stats.red_forwarded, 2);
    assert_int_equal(a->stats.blocks_recovered, 0);
    free(a);
}

static void test_red_adapter_strips_red_for_plain_subscriber(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, RED, -1);
    struct pkt p;
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    for (uint16_t seq = 200; seq < 205; seq++) {
        red_pkt(&p, seq, 2, 50);
        assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
        check_opus(&out[0], seq, 50);
    }
    assert_int_equal(a->stats.red_stripped, 5);
    assert_int_equal(a->stats.blocks_recovered, 0);
    /* Plain Opus from the same publisher passes untouched. */
    opus_pkt(&p, 205, 30);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_equal(out[0].pkt, p.buf);
    free(a);
}

static void test_red_adapter_recovers_lost_packets_for_plain_subscriber(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, RED, -1);
    struct pkt p;
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    red_pkt(&p, 65533, 2, 50);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    /* 65534 and 65535 lost; 0 carries both as redundancy: they come first, in order, across the
     * sequence number wrap. */
    red_pkt(&p, 0, 2, 50);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 3);
    check_opus(&out[0], 65534, 50);
    check_opus(&out[1], 65535, 50);
    check_opus(&out[2], 0, 50);
    assert_false(out[0].rtp.marker);
    /* Three lost with two blocks: the two newest come back, the oldest stays lost. */
    red_pkt(&p, 4, 2, 50);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 3);
    check_opus(&out[0], 2, 50);
    check_opus(&out[1], 3, 50);
    check_opus(&out[2], 4, 50);
    assert_int_equal(a->stats.blocks_recovered, 4);
    /* The original of 3 arrives late: the subscriber has it already. 1 was never recovered. */
    red_pkt(&p, 3, 2, 50);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 0);
    assert_int_equal(a->stats.late_dropped, 1);
    red_pkt(&p, 1, 2, 50);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    check_opus(&out[0], 1, 50);
    /* A whole turn of the sequence numbers later, 2 and 3 are new packets, not late ones. */
    for (uint32_t seq = 5; seq <= 65536u + 3; seq++) {
        red_pkt(&p, (uint16_t)seq, 2, 50);
        assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    }
    assert_int_equal(a->stats.late_dropped, 1);
    free(a);
}

static void test_red_adapter_recovery_maps_blocks_by_timestamp(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, RED, -1);
    struct pkt p;
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    red_pkt(&p, 10, 1, 20);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    /* 11 and 12 lost; 13 carries only the block of 11 (a sender that left 12 out, too large):
     * by its timestamp offset it is 11, not the packet just before. */
    uint8_t d11[20], d13[20], payload[64];
    payload_of(11, d11, sizeof d11);
    payload_of(13, d13, sizeof d13);
    struct okno_red_block b = {.pt = OPUS, .ts_offset = 2 * FRAME, .data = d11, .len = 20};
    struct okno_red_block primary = {.pt = OPUS, .data = d13, .len = 20};
    int n = okno_red_build(payload, sizeof payload, &b, 1, &primary);
    finish(&p, 13, RED, payload, (size_t)n);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 2);
    check_opus(&out[0], 11, 20);
    check_opus(&out[1], 13, 20);
    free(a);
}

static void test_red_adapter_counts_bad_red_payloads_as_drops(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, RED, -1);
    static const char *const bad[] = {
        "",                           /* empty */
        "ef",                         /* a block header cut short */
        "ef 0f 00 3d 6f 01 02",       /* block longer than what follows */
        "6f",                         /* a primary of nothing */
        "e0 0f 00 01 60 aa bb",       /* primary PT 96, not Opus */
        "ef 0f 00 3d ef 0f 00 3d ef", /* headers run off the end */
    };
    struct pkt p;
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t payload[32];
        size_t n = okno_test_hex(bad[i], payload, sizeof payload);
        finish(&p, (uint16_t)(300 + i), RED, payload, n);
        assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 0);
    }
    assert_int_equal(a->stats.malformed, sizeof bad / sizeof bad[0]);
    /* A RED subscriber does not get them either. */
    setup(a, RED, RED);
    finish(&p, 400, RED, (const uint8_t *)"\xef", 1);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 0);
    assert_int_equal(a->stats.malformed, 1);
    /* Nor a payload type that is neither Opus nor RED. */
    finish(&p, 401, 96, (const uint8_t *)"\x01\x02", 2);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 0);
    /* Random bytes never crash and never hand out more than the maximum. */
    uint32_t x = 12345;
    for (int i = 0; i < 20000; i++) {
        uint8_t payload[40];
        size_t n = (size_t)(i % 40);
        for (size_t k = 0; k < n; k++) {
            x = x * 1103515245u + 12345u;
            payload[k] = (uint8_t)(x >> 16);
        }
        if (n > 0 && (i & 1))
            payload[0] |= 0x80;
        setup(a, RED, (i & 2) ? RED : -1);
        finish(&p, (uint16_t)i, RED, payload, n);
        int r = okno_red_adapter_process(a, &p.rtp, out);
        assert_true(r >= 0 && r <= OKNO_RED_ADAPTER_MAX_OUT);
    }
    free(a);
}

/* Feeds one receiver report of fraction (0..255) and returns the depth. */
static unsigned report(struct okno_red_adapter *a, double pct)
{
    return okno_red_adapter_on_loss(a, (uint8_t)(pct * 256.0 / 100.0 + 0.5));
}

static void test_red_adapter_loss_hysteresis(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, -1, RED);
    /* Smoothed values (three quarters old, a quarter new) in the comments. */
    assert_int_equal(report(a, 0), 0);
    assert_int_equal(report(a, 1.5), 0); /* 0.39 % */
    assert_int_equal(report(a, 1.5), 0); /* 0.68 % */
    assert_int_equal(report(a, 0), 0);   /* 0.51 % */
    assert_int_equal(report(a, 2), 0);   /* 0.87 %: under 1 % */
    assert_int_equal(report(a, 2), 1);   /* 1.14 %: on */
    assert_int_equal(report(a, 1.5), 1); /* 1.25 % */
    assert_int_equal(report(a, 0), 1);   /* 0.94 %: between the thresholds, stays on */
    assert_int_equal(report(a, 0), 1);   /* 0.70 % */
    assert_int_equal(report(a, 0), 1);   /* 0.53 % */
    assert_int_equal(report(a, 0), 0);   /* 0.40 %: off */
    assert_int_equal(report(a, 0), 0);   /* 0.30 % */
    assert_int_equal(report(a, 0), 0);   /* 0.22 % */
    /* A fading radio link: a run of 3 lost packets in a second's 50 every few seconds (6 %),
     * 1.7 % on average. Two blocks from the first run on, kept between runs. */
    assert_int_equal(report(a, 6), 2); /* 1.63 %: above 1.5 %, two blocks */
    assert_int_equal(report(a, 0), 2); /* 1.22 % */
    assert_int_equal(report(a, 0), 1); /* 0.92 %: under 1 %, one */
    assert_int_equal(report(a, 6), 2); /* 2.15 % */
    assert_int_equal(report(a, 0), 2); /* 1.62 % */
    assert_int_equal(report(a, 0), 2); /* 1.21 % */
    assert_int_equal(report(a, 6), 2); /* 2.37 % */
    assert_int_equal(report(a, 0), 2); /* 1.78 % */
    assert_int_equal(report(a, 0), 2); /* 1.34 % */
    assert_int_equal(report(a, 0), 2); /* 1.00 % */
    assert_int_equal(report(a, 0), 1); /* 0.75 % */
    /* Without RED negotiated nothing is ever added. */
    setup(a, -1, -1);
    assert_int_equal(report(a, 50), 0);
    free(a);
}

/* A publisher on a clean uplink sends RED with one block; its subscriber's leg loses runs of
 * packets: okno rebuilds each packet with two blocks from its history, and goes back to
 * forwarding as is when the leg is clean again. */
static void test_red_adapter_deepens_red_on_lossy_leg(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, RED, RED);
    struct pkt p;
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    struct okno_red_block blocks[4], primary;
    uint8_t want[64];
    report(a, 0);
    red_pkt(&p, 300, 1, 40);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_equal(out[0].pkt, p.buf);
    red_pkt(&p, 301, 1, 41);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_equal(out[0].pkt, p.buf);
    report(a, 20);
    assert_int_equal(a->depth, 2);
    red_pkt(&p, 302, 1, 42);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_not_equal(out[0].pkt, p.buf);
    assert_int_equal(out[0].pt, RED);
    assert_int_equal(out[0].rtp.seq, 302);
    assert_int_equal(out[0].rtp.ts, ts_of(302));
    assert_int_equal(
        okno_red_parse(out[0].rtp.payload, out[0].rtp.payload_len, blocks, 4, &primary), 2);
    assert_int_equal(blocks[0].ts_offset, 2 * FRAME);
    payload_of(300, want, 40);
    assert_int_equal(blocks[0].len, 40);
    assert_memory_equal(blocks[0].data, want, 40);
    assert_int_equal(blocks[1].ts_offset, FRAME);
    payload_of(301, want, 41);
    assert_int_equal(blocks[1].len, 41);
    assert_memory_equal(blocks[1].data, want, 41);
    payload_of(302, want, 42);
    assert_int_equal(primary.len, 42);
    assert_memory_equal(primary.data, want, 42);
    assert_int_equal(a->stats.red_deepened, 1);
    assert_int_equal(a->stats.red_forwarded, 3);
    /* A publisher already sending two blocks is forwarded as is. */
    red_pkt(&p, 303, 2, 43);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_equal(out[0].pkt, p.buf);
    /* After an upstream gap the history cannot add to the publisher's block: as is. */
    red_pkt(&p, 306, 1, 44);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_equal(out[0].pkt, p.buf);
    /* Clean again: forwarded as is. */
    for (int i = 0; i < 12; i++)
        report(a, 0);
    assert_int_equal(a->depth, 0);
    red_pkt(&p, 307, 1, 45);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_equal(out[0].pkt, p.buf);
    assert_int_equal(a->stats.red_deepened, 1);
    free(a);
}

static void test_red_adapter_adds_redundancy_on_lossy_leg(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, -1, RED);
    struct pkt p;
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    /* A clean leg: Opus passes as is (but is remembered). */
    report(a, 0);
    opus_pkt(&p, 500, 60);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_ptr_equal(out[0].pkt, p.buf);
    assert_int_equal(out[0].pt, OPUS);
    opus_pkt(&p, 501, 61);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    /* A report of 5 % loss (smoothed: 1.25 %): one block. */
    report(a, 5);
    assert_int_equal(a->depth, 1);
    opus_pkt(&p, 502, 62);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_int_equal(out[0].pt, RED);
    assert_int_equal(out[0].rtp.pt, RED);
    assert_int_equal(out[0].rtp.seq, 502);
    struct okno_red_block blocks[4], primary;
    assert_int_equal(
        okno_red_parse(out[0].rtp.payload, out[0].rtp.payload_len, blocks, 4, &primary), 1);
    uint8_t want[64];
    payload_of(501, want, 61);
    assert_int_equal(blocks[0].ts_offset, FRAME);
    assert_int_equal(blocks[0].len, 61);
    assert_memory_equal(blocks[0].data, want, 61);
    payload_of(502, want, 62);
    assert_int_equal(primary.len, 62);
    assert_memory_equal(primary.data, want, 62);
    /* 20 % loss: two blocks, oldest first. */
    report(a, 20);
    report(a, 20);
    opus_pkt(&p, 503, 63);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_int_equal(
        okno_red_parse(out[0].rtp.payload, out[0].rtp.payload_len, blocks, 4, &primary), 2);
    assert_int_equal(blocks[0].ts_offset, 2 * FRAME);
    assert_int_equal(blocks[0].len, 61);
    assert_int_equal(blocks[1].ts_offset, FRAME);
    assert_int_equal(blocks[1].len, 62);
    assert_int_equal(primary.len, 63);
    assert_int_equal(a->stats.red_added, 2);
    /* After an upstream gap only what is still within two packets goes in. */
    opus_pkt(&p, 505, 40);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_int_equal(
        okno_red_parse(out[0].rtp.payload, out[0].rtp.payload_len, blocks, 4, &primary), 1);
    assert_int_equal(blocks[0].ts_offset, 2 * FRAME);
    free(a);
}

static void test_red_adapter_added_redundancy_respects_mtu_and_fields(void **state)
{
    (void)state;
    struct okno_red_adapter *a = malloc(sizeof *a);
    setup(a, -1, RED);
    report(a, 30);
    assert_int_equal(a->depth, 2);
    struct pkt p;
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    struct okno_red_block blocks[4], primary;
    /* Three 600-byte packets: two blocks would make 1813 bytes of payload, one fits. */
    for (uint16_t seq = 700; seq < 703; seq++) {
        opus_pkt(&p, seq, 600);
        assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
        assert_true(out[0].len <= OKNO_MTU - OKNO_RED_ADAPTER_HEADROOM);
    }
    assert_int_equal(
        okno_red_parse(out[0].rtp.payload, out[0].rtp.payload_len, blocks, 4, &primary), 1);
    assert_int_equal(blocks[0].ts_offset, FRAME); /* the older one gave way */
    /* A primary too large to leave room for any block goes plain. */
    opus_pkt(&p, 703, 1300);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_int_equal(out[0].pt, OPUS);
    /* 1300 bytes cannot be a block (10-bit length): the next packet carries only 702, two
     * packets back. */
    opus_pkt(&p, 704, 100);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_int_equal(out[0].pt, RED);
    assert_int_equal(
        okno_red_parse(out[0].rtp.payload, out[0].rtp.payload_len, blocks, 4, &primary), 1);
    assert_int_equal(blocks[0].ts_offset, 2 * FRAME);
    assert_int_equal(blocks[0].len, 600);
    /* A timestamp jump past the 14-bit offset (DTX silence) leaves the block out. */
    opus_pkt(&p, 705, 100);
    p.rtp.ts += 20000;
    okno_rtp_set_ts(p.buf, p.len, p.rtp.ts);
    assert_int_equal(okno_red_adapter_process(a, &p.rtp, out), 1);
    assert_int_equal(out[0].pt, OPUS);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_red_adapter_init_refuses_bad_payload_types),
        cmocka_unit_test(test_red_adapter_forwards_red_as_is_to_red_subscriber),
        cmocka_unit_test(test_red_adapter_strips_red_for_plain_subscriber),
        cmocka_unit_test(test_red_adapter_recovers_lost_packets_for_plain_subscriber),
        cmocka_unit_test(test_red_adapter_recovery_maps_blocks_by_timestamp),
        cmocka_unit_test(test_red_adapter_counts_bad_red_payloads_as_drops),
        cmocka_unit_test(test_red_adapter_loss_hysteresis),
        cmocka_unit_test(test_red_adapter_adds_redundancy_on_lossy_leg),
        cmocka_unit_test(test_red_adapter_deepens_red_on_lossy_leg),
        cmocka_unit_test(test_red_adapter_added_redundancy_respects_mtu_and_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
