/* Sender and receiver reports, report blocks, SDES, BYE and the NTP/RTT helpers. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_report.h"

static const char SR[] = "81 c8 00 0c  # V=2, RC=1, PT=200 SR, length 12 words\n"
                         "12 34 56 78  # sender SSRC\n"
                         "ea 8f 2b 3c  # NTP seconds\n"
                         "80 00 00 00  # NTP fraction: half a second\n"
                         "00 01 5f 90  # RTP timestamp 90000\n"
                         "00 00 01 2c  # sender packet count 300\n"
                         "00 03 a9 80  # sender octet count 240000\n"
                         "87 65 43 21  # block: source SSRC\n"
                         "05 00 00 0a  # fraction lost 5/256, cumulative lost 10\n"
                         "00 01 03 e8  # extended highest seq: 1 cycle, seq 1000\n"
                         "00 00 00 20  # interarrival jitter 32\n"
                         "9a bc de f0  # LSR\n"
                         "00 01 80 00  # DLSR 1.5 s\n";

static const char RR[] = "82 c9 00 0d  # V=2, RC=2, PT=201 RR, length 13 words\n"
                         "00 00 00 01  # sender SSRC\n"
                         "11 11 11 11  # block 1: source SSRC\n"
                         "00 ff ff fe  # fraction lost 0, cumulative lost -2 (duplicates)\n"
                         "00 00 ff ff  # extended highest seq 65535\n"
                         "00 00 01 00  # jitter 256\n"
                         "00 00 00 00  # LSR: no SR seen yet\n"
                         "00 00 00 00  # DLSR\n"
                         "22 22 22 22  # block 2: source SSRC\n"
                         "40 7f ff ff  # fraction lost 64/256, cumulative lost 8388607 (max)\n"
                         "00 02 00 10  # extended highest seq: 2 cycles, seq 16\n"
                         "00 00 00 05  # jitter 5\n"
                         "b7 05 20 00  # LSR 46853.125 s\n"
                         "00 05 40 00  # DLSR 5.25 s\n";

static const char SR_EXT[] = "80 c8 00 08  # V=2, RC=0, SR, length 8 words\n"
                             "00 00 00 07  # sender SSRC\n"
                             "00 00 00 01  # NTP seconds\n"
                             "00 00 00 02  # NTP fraction\n"
                             "00 00 00 03  # RTP timestamp\n"
                             "00 00 00 04  # packet count\n"
                             "00 00 00 05  # octet count\n"
                             "de ad be ef  # profile-specific extension, word 1\n"
                             "ca fe f0 0d  # profile-specific extension, word 2\n";

static const char SDES2[] = "82 ca 00 07  # V=2, SC=2, PT=202 SDES, length 7 words\n"
                            "11 11 11 11  # chunk 1 SSRC\n"
                            "01 03 61 62  # CNAME, 3 bytes: ab\n"
                            "63 06 04 6f  # c; TOOL, 4 bytes: o\n"
                            "6b 6e 6f 00  # kno; end of items, on the boundary already\n"
                            "22 22 22 22  # chunk 2 SSRC\n"
                            "01 02 78 79  # CNAME, 2 bytes: xy\n"
                            "00 00 00 00  # items ended on a boundary: end and 3 nulls\n";

static const char BYE[] = "82 cb 00 04  # V=2, SC=2, PT=203 BYE, length 4 words\n"
                          "11 11 11 11  # SSRC\n"
                          "22 22 22 22  # SSRC\n"
                          "05 6c 65 61  # reason, 5 bytes: lea\n"
                          "76 65 00 00  # ve; null padding\n";

static struct okno_rtcp_pkt parse_one(const uint8_t *buf, size_t len)
{
    struct okno_rtcp_pkt pkt;
    assert_int_equal(okno_rtcp_parse(buf, len, &pkt), (int)len);
    return pkt;
}

typedef int (*body_parser)(const struct okno_rtcp_pkt *pkt);

/* Every cut of the buffer must fail framing; every length field rewritten to a shorter whole packet
 * must fail the body parser, except valid_words (0: none), which describes a smaller packet that is
 * valid. */
static void check_every_short_length(const uint8_t *orig, size_t len, body_parser parse,
                                     size_t valid_words)
{
    uint8_t buf[256];
    for (size_t words = 1; words < len / 4; words++) {
        memcpy(buf, orig, len);
        buf[2] = 0;
        buf[3] = (uint8_t)(words - 1);
        struct okno_rtcp_pkt pkt = parse_one(buf, words * 4);
        if (words == valid_words)
            assert_int_equal(parse(&pkt), 0);
        else
            assert_int_equal(parse(&pkt), OKNO_E_MALFORMED);
    }
    for (size_t cut = 0; cut < len; cut++) {
        struct okno_rtcp_pkt pkt;
        assert_int_equal(okno_rtcp_parse(orig, cut, &pkt), OKNO_E_TRUNCATED);
    }
}

static int sr_body(const struct okno_rtcp_pkt *pkt)
{
    struct okno_rtcp_sr sr;
    return okno_rtcp_sr_parse(pkt, &sr);
}

static int rr_body(const struct okno_rtcp_pkt *pkt)
{
    struct okno_rtcp_rr rr;
    return okno_rtcp_rr_parse(pkt, &rr);
}

static int sdes_body(const struct okno_rtcp_pkt *pkt)
{
    struct okno_rtcp_sdes_chunk chunks[OKNO_RTCP_MAX_COUNT];
    int rc = okno_rtcp_sdes_parse(pkt, chunks, OKNO_RTCP_MAX_COUNT);
    return rc < 0 ? rc : 0;
}

static int bye_body(const struct okno_rtcp_pkt *pkt)
{
    struct okno_rtcp_bye bye;
    return okno_rtcp_bye_parse(pkt, &bye);
}

static void test_sr_parse_reads_sender_info_and_block_then_builds_same_bytes(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len = okno_test_hex(SR, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_sr sr;
    assert_int_equal(okno_rtcp_sr_parse(&pkt, &sr), 0);
    assert_int_equal(sr.ssrc, 0x12345678);
    assert_true(sr.ntp == 0xea8f2b3c80000000ull);
    assert_int_equal(sr.rtp_ts, 90000);
    assert_int_equal(sr.packet_count, 300);
    assert_int_equal(sr.octet_count, 240000);
    assert_int_equal(sr.report_count, 1);
    assert_int_equal(sr.blocks[0].ssrc, 0x87654321);
    assert_int_equal(sr.blocks[0].fraction_lost, 5);
    assert_int_equal(sr.blocks[0].cumulative_lost, 10);
    assert_int_equal(sr.blocks[0].ext_highest_seq, 0x103e8);
    assert_int_equal(sr.blocks[0].jitter, 32);
    assert_int_equal(sr.blocks[0].lsr, 0x9abcdef0);
    assert_int_equal(sr.blocks[0].dlsr, 0x18000);
    assert_null(sr.ext);
    assert_int_equal(sr.ext_len, 0);
    assert_int_equal(okno_rtcp_sr_build(&sr, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
}

static void test_rr_parse_sign_extends_cumulative_lost_then_builds_same_bytes(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len = okno_test_hex(RR, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_rr rr;
    assert_int_equal(okno_rtcp_rr_parse(&pkt, &rr), 0);
    assert_int_equal(rr.ssrc, 1);
    assert_int_equal(rr.report_count, 2);
    assert_int_equal(rr.blocks[0].ssrc, 0x11111111);
    assert_int_equal(rr.blocks[0].cumulative_lost, -2);
    assert_int_equal(rr.blocks[0].ext_highest_seq, 65535);
    assert_int_equal(rr.blocks[0].lsr, 0);
    assert_int_equal(rr.blocks[1].fraction_lost, 64);
    assert_int_equal(rr.blocks[1].cumulative_lost, 0x7fffff);
    assert_int_equal(rr.blocks[1].ext_highest_seq, 0x20010);
    assert_int_equal(rr.blocks[1].jitter, 5);
    assert_int_equal(rr.blocks[1].lsr, 0xb7052000);
    assert_int_equal(rr.blocks[1].dlsr, 0x54000);
    assert_int_equal(okno_rtcp_rr_build(&rr, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
}

static void test_sr_keeps_profile_extension_as_view_and_rebuilds_it(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len = okno_test_hex(SR_EXT, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_sr sr;
    assert_int_equal(okno_rtcp_sr_parse(&pkt, &sr), 0);
    assert_int_equal(sr.report_count, 0);
    assert_ptr_equal(sr.ext, buf + 28);
    assert_int_equal(sr.ext_len, 8);
    assert_int_equal(okno_rtcp_sr_build(&sr, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
}

static void test_sr_rr_parse_rejects_every_length_too_short_for_report_count(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(SR, buf, sizeof buf);
    check_every_short_length(buf, len, sr_body, 0);
    len = okno_test_hex(RR, buf, sizeof buf);
    check_every_short_length(buf, len, rr_body, 0);
}

static void test_report_parsers_reject_other_packet_types(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(RR, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_sr sr;
    struct okno_rtcp_bye bye;
    struct okno_rtcp_sdes_chunk chunk;
    assert_int_equal(okno_rtcp_sr_parse(&pkt, &sr), OKNO_E_INVAL);
    assert_int_equal(okno_rtcp_bye_parse(&pkt, &bye), OKNO_E_INVAL);
    assert_int_equal(okno_rtcp_sdes_parse(&pkt, &chunk, 1), OKNO_E_INVAL);
}

static void test_report_block_build_clamps_cumulative_lost_to_24_bits(void **state)
{
    (void)state;
    struct okno_rtcp_rr rr = {.ssrc = 1, .report_count = 2};
    rr.blocks[0].cumulative_lost = 10000000;
    rr.blocks[1].cumulative_lost = -9000000;
    uint8_t out[64];
    assert_int_equal(okno_rtcp_rr_build(&rr, out, sizeof out), 56);
    assert_memory_equal(out + 13, "\x7f\xff\xff", 3);
    assert_memory_equal(out + 37, "\x80\x00\x00", 3);
    struct okno_rtcp_pkt pkt = parse_one(out, 56);
    assert_int_equal(okno_rtcp_rr_parse(&pkt, &rr), 0);
    assert_int_equal(rr.blocks[0].cumulative_lost, 0x7fffff);
    assert_int_equal(rr.blocks[1].cumulative_lost, -0x800000);
}

static void test_report_build_rejects_bad_input_and_small_buffer(void **state)
{
    (void)state;
    struct okno_rtcp_sr sr = {.report_count = 1};
    uint8_t out[64] = {0};
    assert_int_equal(okno_rtcp_sr_build(&sr, out, 51), OKNO_E_NOSPC);
    assert_int_equal(out[0], 0); /* untouched */
    assert_int_equal(okno_rtcp_sr_build(&sr, out, 52), 52);
    sr.report_count = 32;
    assert_int_equal(okno_rtcp_sr_build(&sr, out, sizeof out), OKNO_E_INVAL);
    struct okno_rtcp_rr rr = {.ext = (const uint8_t *)"abc", .ext_len = 3};
    assert_int_equal(okno_rtcp_rr_build(&rr, out, sizeof out), OKNO_E_INVAL);
}

static void test_sdes_parse_walks_chunks_and_items_then_builds_same_bytes(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len = okno_test_hex(SDES2, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_sdes_chunk chunks[OKNO_RTCP_MAX_COUNT];
    assert_int_equal(okno_rtcp_sdes_parse(&pkt, chunks, OKNO_RTCP_MAX_COUNT), 2);
    assert_int_equal(chunks[0].ssrc, 0x11111111);
    assert_int_equal(chunks[0].item_count, 2);
    assert_int_equal(chunks[1].ssrc, 0x22222222);
    assert_int_equal(chunks[1].item_count, 1);

    struct okno_rtcp_sdes_item items[2][2];
    struct okno_rtcp_sdes_source sources[2];
    for (size_t c = 0; c < 2; c++) {
        size_t off = 0, n = 0;
        while (okno_rtcp_sdes_item_next(&chunks[c], &off, &items[c][n]) == 1)
            n++;
        assert_int_equal(n, chunks[c].item_count);
        sources[c] = (struct okno_rtcp_sdes_source){chunks[c].ssrc, items[c], n};
    }
    assert_int_equal(items[0][0].type, OKNO_SDES_CNAME);
    assert_int_equal(items[0][0].len, 3);
    assert_memory_equal(items[0][0].data, "abc", 3);
    assert_int_equal(items[0][1].type, OKNO_SDES_TOOL);
    assert_memory_equal(items[0][1].data, "okno", 4);
    assert_memory_equal(items[1][0].data, "xy", 2);

    assert_int_equal(okno_rtcp_sdes_build(sources, 2, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
}

static void test_sdes_find_returns_cname_or_notfound(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(SDES2, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_sdes_chunk chunks[2];
    assert_int_equal(okno_rtcp_sdes_parse(&pkt, chunks, 2), 2);
    struct okno_rtcp_sdes_item item;
    assert_int_equal(okno_rtcp_sdes_find(&chunks[1], OKNO_SDES_CNAME, &item), 0);
    assert_memory_equal(item.data, "xy", 2);
    assert_int_equal(okno_rtcp_sdes_find(&chunks[0], OKNO_SDES_TOOL, &item), 0);
    assert_int_equal(item.len, 4);
    assert_int_equal(okno_rtcp_sdes_find(&chunks[1], OKNO_SDES_NOTE, &item), OKNO_E_NOTFOUND);
}

static void test_sdes_parse_rejects_every_length_too_short_for_chunks(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(SDES2, buf, sizeof buf);
    check_every_short_length(buf, len, sdes_body, 0);
}

static void test_sdes_parse_rejects_broken_terminators_and_counts(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "81 ca 00 02  # SC=1, length 2\n"
        "11 11 11 11  # SSRC\n"
        "01 02 78 79  # CNAME xy, then the packet ends: no terminator\n",
        "81 ca 00 03  # SC=1, length 3\n"
        "11 11 11 11  # SSRC\n"
        "01 02 78 79  # CNAME xy\n"
        "00 ff 00 00  # end, then padding that is not null\n",
        "81 ca 00 02  # SC=1, length 2\n"
        "11 11 11 11  # SSRC\n"
        "01 09 78 79  # CNAME claiming 9 bytes where 2 remain\n",
        "82 ca 00 02  # SC=2, length 2\n"
        "11 11 11 11  # SSRC\n"
        "01 01 78 00  # CNAME x, end: the second chunk is missing\n",
        "81 ca 00 03  # SC=1, length 3\n"
        "11 11 11 11  # SSRC\n"
        "01 01 78 00  # CNAME x, end\n"
        "00 00 00 00  # a word after the last chunk\n",
        "80 ca 00 01  # SC=0, length 1\n"
        "11 11 11 11  # a chunk the count does not admit\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t buf[64];
        size_t len = okno_test_hex(bad[i], buf, sizeof buf);
        struct okno_rtcp_pkt pkt = parse_one(buf, len);
        assert_int_equal(sdes_body(&pkt), OKNO_E_MALFORMED);
    }
}

static void test_sdes_parse_reports_nospc_for_small_chunk_array(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(SDES2, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_sdes_chunk chunk;
    assert_int_equal(okno_rtcp_sdes_parse(&pkt, &chunk, 1), OKNO_E_NOSPC);
}

static void test_sdes_build_pads_chunks_and_rejects_end_item(void **state)
{
    (void)state;
    uint8_t out[300];
    /* 4 + 4 + 2 + 255 + 1 = 266 -> 268 */
    char cname[255];
    memset(cname, 'c', sizeof cname);
    assert_int_equal(okno_rtcp_sdes_build_cname(9, cname, 255, out, sizeof out), 268);
    assert_int_equal(out[265], 0);
    assert_int_equal(okno_rtcp_sdes_build_cname(9, cname, 255, out, 267), OKNO_E_NOSPC);
    assert_int_equal(okno_rtcp_sdes_build_cname(9, cname, 256, out, sizeof out), OKNO_E_INVAL);
    struct okno_rtcp_sdes_item end = {OKNO_SDES_END, 0, NULL};
    struct okno_rtcp_sdes_source src = {1, &end, 1};
    assert_int_equal(okno_rtcp_sdes_build(&src, 1, out, sizeof out), OKNO_E_INVAL);
    /* A chunk without items is its SSRC and one word of nulls. */
    src.item_count = 0;
    assert_int_equal(okno_rtcp_sdes_build(&src, 1, out, sizeof out), 12);
    assert_memory_equal(out + 8, "\0\0\0\0", 4);
    struct okno_rtcp_pkt pkt = parse_one(out, 12);
    struct okno_rtcp_sdes_chunk chunk;
    assert_int_equal(okno_rtcp_sdes_parse(&pkt, &chunk, 1), 1);
    assert_int_equal(chunk.item_count, 0);
}

static void test_bye_parse_reads_sources_and_reason_then_builds_same_bytes(void **state)
{
    (void)state;
    uint8_t buf[64], out[64];
    size_t len = okno_test_hex(BYE, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_bye bye;
    assert_int_equal(okno_rtcp_bye_parse(&pkt, &bye), 0);
    assert_int_equal(bye.count, 2);
    assert_int_equal(bye.ssrcs[0], 0x11111111);
    assert_int_equal(bye.ssrcs[1], 0x22222222);
    assert_int_equal(bye.reason_len, 5);
    assert_memory_equal(bye.reason, "leave", 5);
    assert_int_equal(okno_rtcp_bye_build(&bye, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
}

static void test_bye_without_reason_round_trips(void **state)
{
    (void)state;
    uint8_t buf[16], out[16];
    size_t len = okno_test_hex("81 cb 00 01  # V=2, SC=1, BYE, length 1\n"
                               "11 11 11 11  # SSRC\n",
                               buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    struct okno_rtcp_bye bye;
    assert_int_equal(okno_rtcp_bye_parse(&pkt, &bye), 0);
    assert_null(bye.reason);
    assert_int_equal(okno_rtcp_bye_build(&bye, out, sizeof out), (int)len);
    assert_memory_equal(out, buf, len);
    assert_int_equal(okno_rtcp_bye_build(&bye, out, 7), OKNO_E_NOSPC);
}

static void test_bye_parse_rejects_every_length_too_short_except_reasonless(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(BYE, buf, sizeof buf);
    /* Three words hold the header and both sources: a valid BYE that gives no reason. */
    check_every_short_length(buf, len, bye_body, 3);
}

static void test_bye_parse_rejects_reason_overrun_and_dirty_padding(void **state)
{
    (void)state;
    uint8_t buf[64];
    size_t len = okno_test_hex(BYE, buf, sizeof buf);
    struct okno_rtcp_pkt pkt = parse_one(buf, len);
    buf[12] = 9; /* reason claims 9 bytes, 7 remain */
    assert_int_equal(bye_body(&pkt), OKNO_E_MALFORMED);
    buf[12] = 2; /* reason of 2 leaves a whole word of padding */
    assert_int_equal(bye_body(&pkt), OKNO_E_MALFORMED);
    buf[12] = 5;
    buf[19] = 1; /* padding that is not null */
    assert_int_equal(bye_body(&pkt), OKNO_E_MALFORMED);
}

static void test_ntp_conversion_uses_unix_epoch_offset_and_round_trips(void **state)
{
    (void)state;
    assert_true(okno_ntp_from_unix_us(0) == 0x83aa7e8000000000ull);
    assert_true(okno_ntp_to_unix_us(0x83aa7e8080000000ull) == 500000);
    uint64_t now = 1795324800123457ull; /* 2026-11-22 */
    assert_true(okno_ntp_to_unix_us(okno_ntp_from_unix_us(now)) == now);
    for (uint64_t us = 0; us < 1000000; us += 997)
        assert_true(okno_ntp_to_unix_us(okno_ntp_from_unix_us(now + us)) == now + us);
}

static void test_ntp_conversion_crosses_2036_era_wrap(void **state)
{
    (void)state;
    uint64_t wrap_us = 2085978496ull * 1000000; /* 2036-02-07 06:28:16 UTC: NTP seconds 0 */
    assert_true(okno_ntp_from_unix_us(wrap_us) == 0);
    assert_true(okno_ntp_to_unix_us(0) == wrap_us);
    assert_true(okno_ntp_to_unix_us(okno_ntp_from_unix_us(wrap_us + 42)) == wrap_us + 42);
    assert_true(okno_ntp_to_unix_us(okno_ntp_from_unix_us(wrap_us - 42)) == wrap_us - 42);
    assert_true(okno_ntp_to_unix_us(0x8000000000000000ull) == 0); /* 1968: before Unix time */
}

static void test_rtt_matches_rfc3550_example(void **state)
{
    (void)state;
    /* RFC 3550 6.4.1: A = 0xb710:8000, LSR = 0xb705:2000, DLSR = 0x0005:4000 -> 6.125 s. */
    uint64_t now_ntp = (uint64_t)0xb7108000 << 16;
    assert_int_equal(okno_ntp_mid32(now_ntp), 0xb7108000);
    assert_int_equal(okno_rtcp_rtt_us(now_ntp, 0xb7052000, 0x54000), 6125000);
    assert_int_equal(okno_rtcp_rtt_us(now_ntp, 0, 0x54000), OKNO_E_NOTFOUND);
    assert_int_equal(okno_rtcp_rtt_us(now_ntp, 0xb7052000, 0xc0000), OKNO_E_RANGE);
    /* The 16-bit seconds wrap between LSR and arrival. */
    assert_int_equal(okno_rtcp_rtt_us((uint64_t)0x00018000 << 16, 0xffff8000, 0x8000), 1500000);
}

static void test_dlsr_from_us_rounds_and_saturates(void **state)
{
    (void)state;
    assert_int_equal(okno_rtcp_dlsr_from_us(1500000), 0x18000);
    assert_int_equal(okno_rtcp_dlsr_from_us(5250000), 0x54000);
    assert_int_equal(okno_rtcp_dlsr_from_us(0), 0);
    assert_int_equal(okno_rtcp_dlsr_from_us(70000ull * 1000000), UINT32_MAX);
    assert_int_equal(okno_rtcp_dlsr_from_us(UINT64_MAX), UINT32_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sr_parse_reads_sender_info_and_block_then_builds_same_bytes),
        cmocka_unit_test(test_rr_parse_sign_extends_cumulative_lost_then_builds_same_bytes),
        cmocka_unit_test(test_sr_keeps_profile_extension_as_view_and_rebuilds_it),
        cmocka_unit_test(test_sr_rr_parse_rejects_every_length_too_short_for_report_count),
        cmocka_unit_test(test_report_parsers_reject_other_packet_types),
        cmocka_unit_test(test_report_block_build_clamps_cumulative_lost_to_24_bits),
        cmocka_unit_test(test_report_build_rejects_bad_input_and_small_buffer),
        cmocka_unit_test(test_sdes_parse_walks_chunks_and_items_then_builds_same_bytes),
        cmocka_unit_test(test_sdes_find_returns_cname_or_notfound),
        cmocka_unit_test(test_sdes_parse_rejects_every_length_too_short_for_chunks),
        cmocka_unit_test(test_sdes_parse_rejects_broken_terminators_and_counts),
        cmocka_unit_test(test_sdes_parse_reports_nospc_for_small_chunk_array),
        cmocka_unit_test(test_sdes_build_pads_chunks_and_rejects_end_item),
        cmocka_unit_test(test_bye_parse_reads_sources_and_reason_then_builds_same_bytes),
        cmocka_unit_test(test_bye_without_reason_round_trips),
        cmocka_unit_test(test_bye_parse_rejects_every_length_too_short_except_reasonless),
        cmocka_unit_test(test_bye_parse_rejects_reason_overrun_and_dirty_padding),
        cmocka_unit_test(test_ntp_conversion_uses_unix_epoch_offset_and_round_trips),
        cmocka_unit_test(test_ntp_conversion_crosses_2036_era_wrap),
        cmocka_unit_test(test_rtt_matches_rfc3550_example),
        cmocka_unit_test(test_dlsr_from_us_rounds_and_saturates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
