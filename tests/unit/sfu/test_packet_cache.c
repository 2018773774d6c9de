/* The packet cache: exact-sequence lookups across the 16-bit wrap, overwriting, the window's edge,
 * duplicates, restarts, bad input, and real Chromium packets (one VP8 stream, and an RTX packet
 * unwrapped before it is stored). */
#include "testutil.h"
#include "capture.h"

#include "okno/err.h"
#include "sfu/packet_cache.h"
#include "wire/bytes.h"
#include "wire/rtp.h"
#include "wire/rtx.h"

/* A small RTP packet whose payload bytes all carry the low byte of seq plus i. */
static size_t make_pkt(uint8_t *buf, uint16_t seq, size_t payload)
{
    memset(buf, 0, OKNO_RTP_HEADER_LEN);
    buf[0] = 0x80;
    buf[1] = 96;
    okno_wr16(buf + 2, seq);
    okno_wr32(buf + 4, 90u * seq);
    okno_wr32(buf + 8, 0x1234);
    for (size_t i = 0; i < payload; i++)
        buf[OKNO_RTP_HEADER_LEN + i] = (uint8_t)(seq + i);
    return OKNO_RTP_HEADER_LEN + payload;
}

static void store_seq(struct okno_packet_cache *pc, uint16_t seq, int64_t now_us)
{
    uint8_t buf[64];
    size_t len = make_pkt(buf, seq, 20);
    assert_int_equal(okno_packet_cache_store(pc, buf, len, now_us), 0);
}

static void assert_holds(struct okno_packet_cache *pc, uint16_t seq)
{
    uint8_t want[64];
    size_t len = make_pkt(want, seq, 20);
    struct okno_cached_packet got;
    assert_int_equal(okno_packet_cache_get(pc, seq, &got), 0);
    assert_int_equal(got.seq, seq);
    assert_int_equal(got.len, len);
    assert_memory_equal(got.data, want, len);
}

static void assert_lacks(struct okno_packet_cache *pc, uint16_t seq)
{
    struct okno_cached_packet got;
    assert_int_equal(okno_packet_cache_get(pc, seq, &got), OKNO_E_NOTFOUND);
}

static void test_packet_cache_create_rejects_counts_that_are_not_powers_of_two(void **state)
{
    (void)state;
    struct okno_packet_cache *pc = NULL;
    assert_int_equal(okno_packet_cache_create(0, &pc), OKNO_E_INVAL);
    assert_int_equal(okno_packet_cache_create(1000, &pc), OKNO_E_INVAL);
    assert_int_equal(okno_packet_cache_create(OKNO_PACKET_CACHE_MAX_SLOTS * 2, &pc), OKNO_E_INVAL);
    assert_null(pc);
    assert_int_equal(okno_packet_cache_create(128, &pc), 0);
    assert_int_equal(okno_packet_cache_slots(pc), 128);
    okno_packet_cache_destroy(pc);
    okno_packet_cache_destroy(NULL);
}

static void test_packet_cache_returns_stored_packet_with_arrival_time(void **state)
{
    (void)state;
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(16, &pc), 0);
    assert_lacks(pc, 100);
    store_seq(pc, 100, 5000);
    store_seq(pc, 101, 6000);
    assert_holds(pc, 100);
    struct okno_cached_packet got;
    assert_int_equal(okno_packet_cache_get(pc, 101, &got), 0);
    assert_int_equal(got.arrival_us, 6000);
    assert_lacks(pc, 102);
    assert_lacks(pc, 99);
    struct okno_packet_cache_stats st;
    okno_packet_cache_stats(pc, &st);
    assert_int_equal(st.stored, 2);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 3);
    okno_packet_cache_destroy(pc);
}

static void test_packet_cache_wraps_sequence_numbers(void **state)
{
    (void)state;
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(16, &pc), 0);
    for (uint16_t s = 65530; s != 6; s++)
        store_seq(pc, s, s);
    for (uint16_t s = 65530; s != 6; s++)
        assert_holds(pc, s);
    /* A late packet from before the wrap still lands in its own slot. */
    okno_packet_cache_clear(pc);
    store_seq(pc, 3, 0);
    store_seq(pc, 65534, 0);
    assert_holds(pc, 65534);
    assert_holds(pc, 3);
    assert_lacks(pc, 65535);
    okno_packet_cache_destroy(pc);
}

static void test_packet_cache_overwrites_slot_of_packet_n_numbers_older(void **state)
{
    (void)state;
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(8, &pc), 0);
    for (uint16_t s = 0; s <= 8; s++)
        store_seq(pc, s, 0);
    assert_lacks(pc, 0);
    for (uint16_t s = 1; s <= 8; s++)
        assert_holds(pc, s);
    okno_packet_cache_destroy(pc);
}

static void test_packet_cache_misses_lost_packet_whose_slot_holds_an_older_one(void **state)
{
    (void)state;
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(8, &pc), 0);
    store_seq(pc, 1, 0);
    store_seq(pc, 10, 0); /* 9 was lost: its slot still holds 1 */
    assert_lacks(pc, 9);
    /* Nor does a turn of the 16-bit counter bring 1 back as 65537. */
    for (uint32_t s = 11; s < 65536 + 9; s += 7)
        store_seq(pc, (uint16_t)s, 0);
    assert_lacks(pc, 1);
    okno_packet_cache_destroy(pc);
}

static void test_packet_cache_refuses_packet_behind_window(void **state)
{
    (void)state;
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(8, &pc), 0);
    store_seq(pc, 1000, 0);
    uint8_t buf[64];
    size_t len = make_pkt(buf, 992, 4);
    assert_int_equal(okno_packet_cache_store(pc, buf, len, 0), OKNO_E_RANGE);
    len = make_pkt(buf, 993, 4); /* the oldest number the window holds */
    assert_int_equal(okno_packet_cache_store(pc, buf, len, 0), 0);
    assert_holds(pc, 1000);
    struct okno_packet_cache_stats st;
    okno_packet_cache_stats(pc, &st);
    assert_int_equal(st.too_old, 1);
    okno_packet_cache_destroy(pc);
}

static void test_packet_cache_keeps_first_copy_of_duplicate(void **state)
{
    (void)state;
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(8, &pc), 0);
    store_seq(pc, 7, 100);
    uint8_t buf[64];
    size_t len = make_pkt(buf, 7, 30);
    assert_int_equal(okno_packet_cache_store(pc, buf, len, 200), OKNO_E_EXISTS);
    struct okno_cached_packet got;
    assert_int_equal(okno_packet_cache_get(pc, 7, &got), 0);
    assert_int_equal(got.arrival_us, 100);
    assert_int_equal(got.len, OKNO_RTP_HEADER_LEN + 20);
    okno_packet_cache_destroy(pc);
}

static void test_packet_cache_rejects_truncated_oversized_and_non_rtp_input(void **state)
{
    (void)state;
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(8, &pc), 0);
    static uint8_t big[OKNO_MTU + 1];
    size_t len = make_pkt(big, 1, OKNO_MTU + 1 - OKNO_RTP_HEADER_LEN);
    assert_int_equal(okno_packet_cache_store(pc, big, len, 0), OKNO_E_NOSPC);
    assert_int_equal(okno_packet_cache_store(pc, big, OKNO_MTU, 0), 0); /* exactly the MTU fits */
    assert_int_equal(okno_packet_cache_store(pc, big, OKNO_RTP_HEADER_LEN - 1, 0),
                     OKNO_E_TRUNCATED);
    big[0] = 0x40;
    assert_int_equal(okno_packet_cache_store(pc, big, 100, 0), OKNO_E_VERSION);
    struct okno_cached_packet got;
    assert_int_equal(okno_packet_cache_get(pc, 1, &got), 0);
    assert_int_equal(got.len, OKNO_MTU);
    okno_packet_cache_destroy(pc);
}

static void test_packet_cache_restart_of_sender_counter_empties_cache(void **state)
{
    (void)state;
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(16, &pc), 0);
    store_seq(pc, 40000, 0);
    store_seq(pc, 40001, 0);
    store_seq(pc, 20000, 0); /* 20001 behind: a new stream */
    assert_holds(pc, 20000);
    assert_lacks(pc, 40001);
    /* When the new stream reaches the old numbers, the old packets are not there to be found. */
    for (uint32_t s = 20001; s <= 40001; s++)
        if (s != 40001)
            store_seq(pc, (uint16_t)s, 0);
    assert_lacks(pc, 40001);
    struct okno_packet_cache_stats st;
    okno_packet_cache_stats(pc, &st);
    assert_int_equal(st.restarts, 1);
    okno_packet_cache_destroy(pc);
}

static void test_packet_cache_holds_real_chromium_packets_byte_for_byte(void **state)
{
    (void)state;
    struct capture *c = malloc(sizeof *c);
    assert_non_null(c);
    capture_load(c);
    struct okno_packet_cache *pc;
    assert_int_equal(okno_packet_cache_create(1024, &pc), 0);
    /* One VP8 stream: the sample spans several hundred numbers, inside 1024. */
    size_t stored = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct okno_rtp_pkt p;
        if (okno_rtp_parse(c->pkt[i], c->len[i], &p) == 0 && p.ssrc == 0x9422451c) {
            assert_int_equal(okno_packet_cache_store(pc, c->pkt[i], c->len[i], (int64_t)i), 0);
            stored++;
        }
    }
    assert_true(stored >= 4);
    for (size_t i = 0; i < c->n; i++) {
        struct okno_rtp_pkt p;
        if (okno_rtp_parse(c->pkt[i], c->len[i], &p) != 0 || p.ssrc != 0x9422451c)
            continue;
        struct okno_cached_packet got;
        assert_int_equal(okno_packet_cache_get(pc, p.seq, &got), 0);
        assert_int_equal(got.len, c->len[i]);
        assert_memory_equal(got.data, c->pkt[i], c->len[i]);
        assert_int_equal(got.arrival_us, (int64_t)i);
    }
    /* An RTX packet with a payload is stored as the original it carries. */
    size_t rtx_found = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct okno_rtp_pkt p;
        if (okno_rtp_parse(c->pkt[i], c->len[i], &p) != 0 || p.pt != 97 ||
            okno_rtx_is_padding_only(&p))
            continue;
        uint8_t orig[OKNO_MTU];
        int n = okno_rtx_unwrap(c->pkt[i], c->len[i], orig, sizeof orig, 0x9422451c, 96);
        assert_true(n > 0);
        struct okno_packet_cache *rc;
        assert_int_equal(okno_packet_cache_create(128, &rc), 0);
        assert_int_equal(okno_packet_cache_store(rc, orig, (size_t)n, 1), 0);
        struct okno_cached_packet got;
        assert_int_equal(okno_packet_cache_get(rc, (uint16_t)okno_rtx_osn(&p), &got), 0);
        assert_memory_equal(got.data, orig, (size_t)n);
        okno_packet_cache_destroy(rc);
        rtx_found++;
    }
    assert_true(rtx_found > 0);
    okno_packet_cache_destroy(pc);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packet_cache_create_rejects_counts_that_are_not_powers_of_two),
        cmocka_unit_test(test_packet_cache_returns_stored_packet_with_arrival_time),
        cmocka_unit_test(test_packet_cache_wraps_sequence_numbers),
        cmocka_unit_test(test_packet_cache_overwrites_slot_of_packet_n_numbers_older),
        cmocka_unit_test(test_packet_cache_misses_lost_packet_whose_slot_holds_an_older_one),
        cmocka_unit_test(test_packet_cache_refuses_packet_behind_window),
        cmocka_unit_test(test_packet_cache_keeps_first_copy_of_duplicate),
        cmocka_unit_test(test_packet_cache_rejects_truncated_oversized_and_non_rtp_input),
        cmocka_unit_test(test_packet_cache_restart_of_sender_counter_empties_cache),
        cmocka_unit_test(test_packet_cache_holds_real_chromium_packets_byte_for_byte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
