/* The NACK generator: the reorder wait, re-NACKs every max(RTT, floor), the retry and age bounds,
 * the counters, keyframe requests on overflow and on gaps too large, the 16-bit wrap, the wake-up
 * time, and its output fed to the real NACK builder. Time is made up: nothing reads a clock. */
#include "testutil.h"

#include "okno/err.h"
#include "sfu/nack_generator.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"

#define MS 1000

static struct okno_nack_generator *make(const struct okno_nack_config *cfg)
{
    struct okno_nack_generator *ng = NULL;
    assert_int_equal(okno_nack_generator_create(cfg, &ng), 0);
    assert_non_null(ng);
    return ng;
}

static struct okno_nack_stats stats(const struct okno_nack_generator *ng)
{
    struct okno_nack_stats st;
    okno_nack_generator_stats(ng, &st);
    return st;
}

static size_t poll(struct okno_nack_generator *ng, int64_t now_us, int64_t rtt_us, uint16_t *out)
{
    return okno_nack_generator_poll(ng, now_us, rtt_us, out, 64);
}

static void test_nack_generator_create_rejects_limits_out_of_range(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = NULL;
    assert_int_equal(okno_nack_generator_create(&(struct okno_nack_config){.capacity = 20000}, &ng),
                     OKNO_E_INVAL);
    assert_int_equal(
        okno_nack_generator_create(&(struct okno_nack_config){.max_retries = 256}, &ng),
        OKNO_E_INVAL);
    assert_int_equal(
        okno_nack_generator_create(&(struct okno_nack_config){.max_seq_age = 40000}, &ng),
        OKNO_E_INVAL);
    assert_int_equal(okno_nack_generator_create(&(struct okno_nack_config){.max_age_us = -1}, &ng),
                     OKNO_E_INVAL);
    assert_null(ng);
    okno_nack_generator_destroy(NULL);
}

static void test_nack_generator_first_nack_waits_for_reordering(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    assert_int_equal(okno_nack_generator_on_packet(ng, 1, 0, 0), OKNO_NACK_NEW);
    assert_int_equal(okno_nack_generator_on_packet(ng, 3, 0, 0), OKNO_NACK_NEW);
    assert_int_equal(okno_nack_generator_missing_count(ng), 1);
    assert_int_equal(poll(ng, 9 * MS, 50 * MS, out), 0);
    assert_int_equal(poll(ng, 10 * MS, 50 * MS, out), 1);
    assert_int_equal(out[0], 2);
    assert_int_equal(stats(ng).missing, 1);
    assert_int_equal(stats(ng).nacked, 1);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_does_not_nack_packet_that_arrives_reordered(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    okno_nack_generator_on_packet(ng, 3, 0, 0);
    assert_int_equal(okno_nack_generator_on_packet(ng, 2, 0, 2 * MS), OKNO_NACK_REORDERED);
    assert_int_equal(poll(ng, 100 * MS, 50 * MS, out), 0);
    assert_int_equal(okno_nack_generator_next_wakeup(ng), INT64_MAX);
    struct okno_nack_stats st = stats(ng);
    assert_int_equal(st.reordered, 1);
    assert_int_equal(st.recovered, 0);
    assert_int_equal(st.nacked, 0);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_renacks_lost_retransmission(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 10, 0, 0);
    okno_nack_generator_on_packet(ng, 12, 0, 0);
    assert_int_equal(poll(ng, 10 * MS, 60 * MS, out), 1);
    /* The retransmission is lost: nothing until one RTT has passed, then 11 again. */
    assert_int_equal(poll(ng, 69 * MS, 60 * MS, out), 0);
    assert_int_equal(poll(ng, 70 * MS, 60 * MS, out), 1);
    assert_int_equal(out[0], 11);
    /* The second retransmission arrives. */
    assert_int_equal(okno_nack_generator_on_packet(ng, 11, OKNO_NACK_PKT_RETRANSMISSION, 100 * MS),
                     OKNO_NACK_RECOVERED);
    assert_int_equal(poll(ng, 500 * MS, 60 * MS, out), 0);
    struct okno_nack_stats st = stats(ng);
    assert_int_equal(st.nacked, 2);
    assert_int_equal(st.recovered, 1);
    assert_int_equal(st.retransmissions, 1);
    assert_int_equal(st.given_up, 0);
    /* A second copy of it is only a duplicate. */
    assert_int_equal(okno_nack_generator_on_packet(ng, 11, OKNO_NACK_PKT_RETRANSMISSION, 101 * MS),
                     OKNO_NACK_DUPLICATE);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_renack_interval_has_floor_and_default(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    okno_nack_generator_on_packet(ng, 3, 0, 0);
    assert_int_equal(poll(ng, 10 * MS, 2 * MS, out), 1);
    /* An RTT of 2 ms on loopback: still 20 ms between NACKs of the same number. */
    assert_int_equal(poll(ng, 29 * MS, 2 * MS, out), 0);
    assert_int_equal(poll(ng, 30 * MS, 2 * MS, out), 1);
    /* RTT unknown: the default 100 ms. */
    assert_int_equal(poll(ng, 129 * MS, 0, out), 0);
    assert_int_equal(poll(ng, 130 * MS, 0, out), 1);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_stops_after_max_retries_and_gives_up_when_too_old(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    okno_nack_generator_on_packet(ng, 3, 0, 0);
    size_t sent = 0;
    for (int64_t t = 0; t < 990 * MS; t += MS)
        sent += poll(ng, t, 20 * MS, out);
    assert_int_equal(sent, 10);
    assert_int_equal(okno_nack_generator_missing_count(ng), 1);
    /* Kept after its last NACK so a late arrival would still count as recovered, until 1 s old. */
    assert_int_equal(okno_nack_generator_next_wakeup(ng), 1000 * MS);
    assert_int_equal(poll(ng, 1000 * MS, 20 * MS, out), 0);
    assert_int_equal(okno_nack_generator_missing_count(ng), 0);
    assert_int_equal(stats(ng).given_up, 1);
    assert_int_equal(okno_nack_generator_on_packet(ng, 2, OKNO_NACK_PKT_RETRANSMISSION, 1001 * MS),
                     OKNO_NACK_DUPLICATE);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_gives_up_numbers_far_behind_newest(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(&(struct okno_nack_config){.max_seq_age = 100});
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 0, 0, 0);
    okno_nack_generator_on_packet(ng, 2, 0, 0); /* 1 missing */
    okno_nack_generator_on_packet(ng, 50, 0, 0);
    assert_int_equal(okno_nack_generator_missing_count(ng), 48);
    for (uint16_t s = 51; s <= 101; s++)
        okno_nack_generator_on_packet(ng, s, 0, 0);
    /* 1 is now 100 behind: still wanted. 102 puts it past the bound. */
    assert_int_equal(poll(ng, 10 * MS, 0, out), 48);
    assert_int_equal(out[0], 1);
    okno_nack_generator_on_packet(ng, 102, 0, 20 * MS);
    assert_int_equal(okno_nack_generator_missing_count(ng), 47);
    assert_int_equal(stats(ng).given_up, 1);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_requests_keyframe_when_missing_list_overflows(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(&(struct okno_nack_config){.capacity = 16});
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 0, 0, 0);
    assert_int_equal(okno_nack_generator_on_packet(ng, 11, 0, 0), OKNO_NACK_NEW); /* 10 missing */
    unsigned r = okno_nack_generator_on_packet(ng, 20, 0, 0);                     /* 8 more */
    assert_int_equal(r, OKNO_NACK_NEW | OKNO_NACK_KEYFRAME);
    assert_int_equal(okno_nack_generator_missing_count(ng), 16);
    /* The oldest two went: 1 and 2. */
    assert_int_equal(poll(ng, 10 * MS, 0, out), 16);
    assert_int_equal(out[0], 3);
    assert_int_equal(out[15], 19);
    struct okno_nack_stats st = stats(ng);
    assert_int_equal(st.missing, 18);
    assert_int_equal(st.given_up, 2);
    assert_int_equal(st.keyframe_requests, 1);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_requests_keyframe_for_gap_too_large_to_repair(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 100, 0, 0);
    okno_nack_generator_on_packet(ng, 102, 0, 0);
    assert_int_equal(okno_nack_generator_on_packet(ng, 2200, 0, 0),
                     OKNO_NACK_NEW | OKNO_NACK_KEYFRAME);
    assert_int_equal(okno_nack_generator_missing_count(ng), 0);
    assert_int_equal(poll(ng, 50 * MS, 0, out), 0);
    /* The same gap ending in the keyframe's first packet needs no request. */
    assert_int_equal(okno_nack_generator_on_packet(ng, 9000, OKNO_NACK_PKT_KEYFRAME, 0),
                     OKNO_NACK_NEW);
    /* A sender that restarts its counter far back. */
    assert_int_equal(okno_nack_generator_on_packet(ng, 9000 - 20000 + 65536, 0, 0),
                     OKNO_NACK_NEW | OKNO_NACK_KEYFRAME);
    assert_int_equal(okno_nack_generator_on_packet(ng, 9000 - 20000 + 65537, 0, 0), OKNO_NACK_NEW);
    assert_int_equal(stats(ng).keyframe_requests, 2);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_keyframe_clears_older_missing_numbers(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    okno_nack_generator_on_packet(ng, 5, 0, 0);                      /* 2, 3, 4 */
    okno_nack_generator_on_packet(ng, 7, OKNO_NACK_PKT_KEYFRAME, 0); /* 6 */
    okno_nack_generator_on_packet(ng, 9, 0, 0);                      /* 8 */
    assert_int_equal(poll(ng, 10 * MS, 0, out), 1);
    assert_int_equal(out[0], 8);
    assert_int_equal(stats(ng).cleared_by_keyframe, 4);
    okno_nack_generator_destroy(ng);
}

/* A collapse's keyframe was asked for at 100 ms: nothing is NACKed until its first packet comes,
 * neither the numbers lost before the request nor those lost after; the keyframe clears both, and
 * a loss after it is NACKed as usual. The hold's wake-up waits with the NACKs. */
static void test_nack_generator_hold_asks_nothing_until_the_keyframe(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    okno_nack_generator_on_packet(ng, 5, 0, 0); /* 2, 3, 4 */
    okno_nack_generator_hold(ng, 1100 * MS);
    okno_nack_generator_on_packet(ng, 9, 0, 100 * MS); /* 6, 7, 8 */
    assert_int_equal(poll(ng, 200 * MS, 0, out), 0);
    assert_int_equal(okno_nack_generator_next_wakeup(ng), 1000 * MS);        /* only 2-4 expiring */
    okno_nack_generator_on_packet(ng, 12, OKNO_NACK_PKT_KEYFRAME, 600 * MS); /* 10, 11 */
    assert_int_equal(stats(ng).cleared_by_keyframe, 8);
    okno_nack_generator_on_packet(ng, 14, 0, 610 * MS); /* 13, after the keyframe */
    assert_int_equal(okno_nack_generator_next_wakeup(ng), 620 * MS);
    assert_int_equal(poll(ng, 620 * MS, 0, out), 1);
    assert_int_equal(out[0], 13);
    assert_int_equal(stats(ng).holds, 1);
    okno_nack_generator_destroy(ng);
}

/* A hold whose keyframe does not come (or whose first packet was lost) ends at its time, when the
 * keyframe request is repeated: what it held is given up, not NACKed in one burst, and a loss
 * after it is NACKed as usual. A shorter hold does not cut a longer one short. */
static void test_nack_generator_hold_ends_at_its_time_without_a_keyframe(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 1, 0, 0);
    okno_nack_generator_hold(ng, 500 * MS);
    okno_nack_generator_hold(ng, 300 * MS);
    okno_nack_generator_on_packet(ng, 3, 0, 200 * MS); /* 2: the keyframe's first packet */
    assert_int_equal(okno_nack_generator_next_wakeup(ng), 500 * MS);
    assert_int_equal(poll(ng, 499 * MS, 0, out), 0);
    assert_int_equal(poll(ng, 500 * MS, 0, out), 0);
    assert_int_equal(stats(ng).given_up, 1);
    assert_int_equal(okno_nack_generator_next_wakeup(ng), INT64_MAX);
    okno_nack_generator_on_packet(ng, 5, 0, 510 * MS); /* 4 */
    assert_int_equal(poll(ng, 520 * MS, 0, out), 1);
    assert_int_equal(out[0], 4);
    assert_int_equal(stats(ng).holds, 2);
    /* A hold nobody polled at its end gives up only what it held, not a loss long after it. */
    okno_nack_generator_hold(ng, 600 * MS);
    okno_nack_generator_on_packet(ng, 7, 0, 5000 * MS); /* 6 */
    assert_int_equal(poll(ng, 5010 * MS, 0, out), 1);
    assert_int_equal(out[0], 6);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_orders_numbers_across_the_wrap(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    okno_nack_generator_on_packet(ng, 65533, 0, 0);
    okno_nack_generator_on_packet(ng, 2, 0, 0);
    assert_int_equal(poll(ng, 10 * MS, 0, out), 4);
    assert_int_equal(out[0], 65534);
    assert_int_equal(out[1], 65535);
    assert_int_equal(out[2], 0);
    assert_int_equal(out[3], 1);
    assert_int_equal(okno_nack_generator_on_packet(ng, 65535, OKNO_NACK_PKT_RETRANSMISSION, 0),
                     OKNO_NACK_RECOVERED);
    assert_int_equal(okno_nack_generator_missing_count(ng), 3);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_poll_sends_oldest_first_when_cap_is_small(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[4];
    okno_nack_generator_on_packet(ng, 0, 0, 0);
    okno_nack_generator_on_packet(ng, 7, 0, 0);
    assert_int_equal(okno_nack_generator_poll(ng, 10 * MS, 0, out, 4), 4);
    assert_int_equal(out[0], 1);
    assert_int_equal(out[3], 4);
    assert_int_equal(okno_nack_generator_poll(ng, 10 * MS, 0, out, 4), 2);
    assert_int_equal(out[0], 5);
    assert_int_equal(out[1], 6);
    assert_int_equal(okno_nack_generator_poll(ng, 10 * MS, 0, out, 0), 0);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_next_wakeup_does_not_depend_on_rtt(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    assert_int_equal(okno_nack_generator_next_wakeup(ng), INT64_MAX);
    okno_nack_generator_on_packet(ng, 1, 0, 1000 * MS);
    okno_nack_generator_on_packet(ng, 3, 0, 1000 * MS);
    assert_int_equal(okno_nack_generator_next_wakeup(ng), 1010 * MS);
    okno_nack_generator_on_packet(ng, 5, 0, 1004 * MS);
    assert_int_equal(okno_nack_generator_next_wakeup(ng), 1010 * MS);
    assert_int_equal(poll(ng, 1010 * MS, 300 * MS, out), 1);
    /* 4 is due at 1014; 2 could be re-NACKed at the 20 ms floor, 1030, whatever the RTT. */
    assert_int_equal(okno_nack_generator_next_wakeup(ng), 1014 * MS);
    assert_int_equal(poll(ng, 1014 * MS, 300 * MS, out), 1);
    assert_int_equal(okno_nack_generator_next_wakeup(ng), 1030 * MS);
    /* Waking then with a long RTT finds nothing yet: the owner re-arms. */
    assert_int_equal(poll(ng, 1030 * MS, 300 * MS, out), 0);
    okno_nack_generator_destroy(ng);
}

static void test_nack_generator_output_builds_a_nack_that_parses_back(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[128];
    static const uint16_t seqs[] = {65500, 65502, 65503, 65530, 3, 20, 21, 40};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++)
        okno_nack_generator_on_packet(ng, seqs[i], 0, 0);
    size_t n = okno_nack_generator_poll(ng, 10 * MS, 0, out, 128);
    assert_int_equal(n, 1 + 26 + 8 + 16 + 18);
    uint8_t buf[256];
    int len = okno_rtcp_nack_build(1, 2, out, n, buf, sizeof buf);
    assert_true(len > 0);
    struct okno_rtcp_pkt pkt;
    assert_int_equal(okno_rtcp_parse(buf, (size_t)len, &pkt), len);
    struct okno_rtcp_fb fb;
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
    uint16_t back[128];
    assert_int_equal(okno_rtcp_nack_expand(&fb, back, 128), (int)n);
    assert_memory_equal(back, out, n * sizeof out[0]);
    okno_nack_generator_destroy(ng);
}

/* A long stream with 1 % loss where every retransmission arrives one RTT after its NACK, except
 * that every third first retransmission is lost too: all are recovered, nothing is given up. */
static void test_nack_generator_recovers_every_loss_of_a_lossy_stream(void **state)
{
    (void)state;
    struct okno_nack_generator *ng = make(NULL);
    uint16_t out[64];
    const int64_t rtt = 80 * MS;
    struct {
        uint16_t seq;
        int64_t at;
    } pending[4096];
    size_t npending = 0, lost = 0, nack_events = 0;
    uint32_t rng = 12345;
    int64_t now = 0;
    for (uint32_t i = 0; i < 100000; i++, now += 1000) {
        for (size_t k = 0; k < npending;) {
            if (pending[k].at <= now) {
                unsigned r = okno_nack_generator_on_packet(ng, pending[k].seq,
                                                           OKNO_NACK_PKT_RETRANSMISSION, now);
                assert_int_equal(r, OKNO_NACK_RECOVERED);
                pending[k] = pending[--npending];
            } else {
                k++;
            }
        }
        rng = rng * 1103515245u + 12345u;
        if ((rng >> 16) % 100 == 0 && i > 0)
            lost++;
        else
            okno_nack_generator_on_packet(ng, (uint16_t)(i + 60000), 0, now);
        if (now >= okno_nack_generator_next_wakeup(ng)) {
            size_t n = poll(ng, now, rtt, out);
            for (size_t k = 0; k < n; k++) {
                if (nack_events++ % 3 == 0)
                    continue; /* this retransmission is lost */
                assert_true(npending < 4096);
                pending[npending].seq = out[k];
                pending[npending++].at = now + rtt;
            }
        }
    }
    struct okno_nack_stats st = stats(ng);
    assert_true(lost > 500);
    assert_int_equal(st.missing, lost);
    assert_int_equal(st.given_up, 0);
    assert_int_equal(st.keyframe_requests, 0);
    assert_int_equal(st.recovered + okno_nack_generator_missing_count(ng), lost);
    assert_true(st.nacked > lost);
    okno_nack_generator_destroy(ng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nack_generator_create_rejects_limits_out_of_range),
        cmocka_unit_test(test_nack_generator_first_nack_waits_for_reordering),
        cmocka_unit_test(test_nack_generator_does_not_nack_packet_that_arrives_reordered),
        cmocka_unit_test(test_nack_generator_renacks_lost_retransmission),
        cmocka_unit_test(test_nack_generator_renack_interval_has_floor_and_default),
        cmocka_unit_test(test_nack_generator_stops_after_max_retries_and_gives_up_when_too_old),
        cmocka_unit_test(test_nack_generator_gives_up_numbers_far_behind_newest),
        cmocka_unit_test(test_nack_generator_requests_keyframe_when_missing_list_overflows),
        cmocka_unit_test(test_nack_generator_requests_keyframe_for_gap_too_large_to_repair),
        cmocka_unit_test(test_nack_generator_keyframe_clears_older_missing_numbers),
        cmocka_unit_test(test_nack_generator_orders_numbers_across_the_wrap),
        cmocka_unit_test(test_nack_generator_poll_sends_oldest_first_when_cap_is_small),
        cmocka_unit_test(test_nack_generator_hold_asks_nothing_until_the_keyframe),
        cmocka_unit_test(test_nack_generator_hold_ends_at_its_time_without_a_keyframe),
        cmocka_unit_test(test_nack_generator_next_wakeup_does_not_depend_on_rtt),
        cmocka_unit_test(test_nack_generator_output_builds_a_nack_that_parses_back),
        cmocka_unit_test(test_nack_generator_recovers_every_loss_of_a_lossy_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
