/* The keyframe requester: coalescing, the max(RTT, 250 ms) throttle, retries after
 * max(2 RTT + 100 ms, 1 s), clearing by a keyframe, FIR sequence numbers, the wake-up time, and the
 * NACK generator's overflow turned into a real PLI and FIR. Times are made up. */
#include "testutil.h"

#include "okno/err.h"
#include "sfu/keyframe_requester.h"
#include "sfu/nack_generator.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"

#define MS 1000

static void test_keyframe_requester_wants_nothing_until_asked(void **state)
{
    (void)state;
    struct okno_keyframe_requester kr;
    okno_keyframe_requester_init(&kr);
    assert_false(okno_keyframe_requester_poll(&kr, 0));
    assert_int_equal(okno_keyframe_requester_next_wakeup(&kr), INT64_MAX);
    okno_keyframe_requester_on_keyframe(&kr, 0); /* unasked keyframes are fine */
    assert_false(okno_keyframe_requester_poll(&kr, 10 * MS));
}

static void test_keyframe_requester_coalesces_many_requests_into_one(void **state)
{
    (void)state;
    struct okno_keyframe_requester kr;
    okno_keyframe_requester_init(&kr);
    for (int i = 0; i < 40; i++) /* forty subscribers join at once */
        okno_keyframe_requester_request(&kr, 1000 * MS + i * MS);
    assert_int_equal(okno_keyframe_requester_next_wakeup(&kr), INT64_MIN);
    assert_true(okno_keyframe_requester_poll(&kr, 1040 * MS));
    for (int i = 0; i < 40; i++)
        okno_keyframe_requester_request(&kr, 1040 * MS + i * MS);
    int64_t sent = 0;
    for (int64_t t = 1040 * MS; t < 1900 * MS; t += 5 * MS)
        sent += okno_keyframe_requester_poll(&kr, t);
    assert_int_equal(sent, 0); /* the keyframe is on its way: no second request */
    okno_keyframe_requester_on_keyframe(&kr, 1900 * MS);
    assert_false(okno_keyframe_requester_poll(&kr, 5000 * MS));
    assert_int_equal(kr.requests_in, 80);
    assert_int_equal(kr.requests_out, 1);
    assert_int_equal(kr.keyframes, 1);
}

static void test_keyframe_requester_throttles_to_max_of_rtt_and_250_ms(void **state)
{
    (void)state;
    struct okno_keyframe_requester kr;
    okno_keyframe_requester_init(&kr);
    okno_keyframe_requester_set_rtt(&kr, 20 * MS);
    okno_keyframe_requester_request(&kr, 0);
    assert_true(okno_keyframe_requester_poll(&kr, 0));
    okno_keyframe_requester_on_keyframe(&kr, 60 * MS);
    /* A new subscriber right after the keyframe waits for the 250 ms floor. */
    okno_keyframe_requester_request(&kr, 100 * MS);
    assert_int_equal(okno_keyframe_requester_next_wakeup(&kr), 250 * MS);
    assert_false(okno_keyframe_requester_poll(&kr, 249 * MS));
    assert_true(okno_keyframe_requester_poll(&kr, 250 * MS));
    okno_keyframe_requester_on_keyframe(&kr, 300 * MS);
    /* With a 400 ms RTT the RTT is the throttle. */
    okno_keyframe_requester_set_rtt(&kr, 400 * MS);
    okno_keyframe_requester_request(&kr, 310 * MS);
    assert_false(okno_keyframe_requester_poll(&kr, 649 * MS));
    assert_true(okno_keyframe_requester_poll(&kr, 650 * MS));
}

static void test_keyframe_requester_retries_when_no_keyframe_arrives(void **state)
{
    (void)state;
    struct okno_keyframe_requester kr;
    okno_keyframe_requester_init(&kr);
    okno_keyframe_requester_request(&kr, 0);
    assert_true(okno_keyframe_requester_poll(&kr, 0));
    assert_false(okno_keyframe_requester_poll(&kr, 999 * MS));
    assert_true(okno_keyframe_requester_poll(&kr, 1000 * MS)); /* the 1 s floor */
    /* A 600 ms RTT stretches the wait to 2 * 600 + 100 ms. */
    okno_keyframe_requester_set_rtt(&kr, 600 * MS);
    assert_int_equal(okno_keyframe_requester_next_wakeup(&kr), 2300 * MS);
    assert_false(okno_keyframe_requester_poll(&kr, 2299 * MS));
    assert_true(okno_keyframe_requester_poll(&kr, 2300 * MS));
    assert_int_equal(kr.requests_out, 3);
    assert_int_equal(kr.retries, 2);
}

static void test_keyframe_requester_fir_seq_advances_per_request_not_per_retry(void **state)
{
    (void)state;
    struct okno_keyframe_requester kr;
    okno_keyframe_requester_init(&kr);
    okno_keyframe_requester_request(&kr, 0);
    assert_true(okno_keyframe_requester_poll(&kr, 0));
    assert_int_equal(okno_keyframe_requester_fir_seq(&kr), 0);
    assert_true(okno_keyframe_requester_poll(&kr, 1000 * MS));
    assert_int_equal(okno_keyframe_requester_fir_seq(&kr), 0); /* a repeat of the same request */
    okno_keyframe_requester_on_keyframe(&kr, 1100 * MS);
    okno_keyframe_requester_request(&kr, 2000 * MS);
    assert_true(okno_keyframe_requester_poll(&kr, 2000 * MS));
    assert_int_equal(okno_keyframe_requester_fir_seq(&kr), 1);
    /* The 8-bit number wraps. */
    for (int i = 0; i < 255; i++) {
        okno_keyframe_requester_on_keyframe(&kr, 0);
        okno_keyframe_requester_request(&kr, 0);
        assert_true(okno_keyframe_requester_poll(&kr, 3000 * MS + i * 1000 * MS));
    }
    assert_int_equal(okno_keyframe_requester_fir_seq(&kr), 0);
}

static void test_keyframe_requester_measures_how_long_a_keyframe_takes(void **state)
{
    (void)state;
    struct okno_keyframe_requester kr;
    okno_keyframe_requester_init(&kr);
    assert_int_equal(okno_keyframe_requester_response_us(&kr), 0);
    okno_keyframe_requester_on_keyframe(&kr, 5 * MS); /* unasked: says nothing */
    assert_int_equal(okno_keyframe_requester_response_us(&kr), 0);
    okno_keyframe_requester_request(&kr, 0);
    assert_true(okno_keyframe_requester_poll(&kr, 10 * MS));
    okno_keyframe_requester_on_keyframe(&kr, 90 * MS);
    assert_int_equal(okno_keyframe_requester_response_us(&kr), 80 * MS);
    /* Counted from the first request, not from its repeat: the answer may be the first one's. */
    okno_keyframe_requester_request(&kr, 2000 * MS);
    assert_true(okno_keyframe_requester_poll(&kr, 2000 * MS));
    assert_true(okno_keyframe_requester_poll(&kr, 3000 * MS));
    okno_keyframe_requester_on_keyframe(&kr, 3160 * MS);
    assert_int_equal(okno_keyframe_requester_response_us(&kr), (3 * 80 * MS + 1160 * MS) / 4);
}

static void test_keyframe_requester_turns_nack_overflow_into_pli_and_fir(void **state)
{
    (void)state;
    struct okno_nack_generator *ng;
    assert_int_equal(okno_nack_generator_create(&(struct okno_nack_config){.capacity = 8}, &ng), 0);
    struct okno_keyframe_requester kr;
    okno_keyframe_requester_init(&kr);
    okno_nack_generator_on_packet(ng, 100, 0, 0);
    unsigned r = okno_nack_generator_on_packet(ng, 120, 0, 5 * MS); /* a burst of 19 lost */
    assert_true(r & OKNO_NACK_KEYFRAME);
    okno_keyframe_requester_request(&kr, 5 * MS);
    assert_true(okno_keyframe_requester_poll(&kr, 5 * MS));

    uint8_t buf[64];
    int len = okno_rtcp_pli_build(1, 0xcafe, buf, sizeof buf);
    assert_int_equal(len, 12);
    struct okno_rtcp_pkt pkt;
    struct okno_rtcp_fb fb;
    assert_int_equal(okno_rtcp_parse(buf, (size_t)len, &pkt), len);
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
    assert_int_equal(okno_rtcp_fb_kind(&fb), OKNO_RTCP_FB_PLI);

    struct okno_rtcp_fir_entry e = {.ssrc = 0xcafe, .seq_nr = okno_keyframe_requester_fir_seq(&kr)};
    len = okno_rtcp_fir_build(1, &e, 1, buf, sizeof buf);
    assert_true(len > 0);
    assert_int_equal(okno_rtcp_parse(buf, (size_t)len, &pkt), len);
    assert_int_equal(okno_rtcp_fb_parse(&pkt, &fb), 0);
    struct okno_rtcp_fir_entry back;
    assert_int_equal(okno_rtcp_fir_parse(&fb, &back, 1), 1);
    assert_int_equal(back.ssrc, 0xcafe);
    assert_int_equal(back.seq_nr, 0);
    okno_nack_generator_destroy(ng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyframe_requester_wants_nothing_until_asked),
        cmocka_unit_test(test_keyframe_requester_coalesces_many_requests_into_one),
        cmocka_unit_test(test_keyframe_requester_throttles_to_max_of_rtt_and_250_ms),
        cmocka_unit_test(test_keyframe_requester_retries_when_no_keyframe_arrives),
        cmocka_unit_test(test_keyframe_requester_fir_seq_advances_per_request_not_per_retry),
        cmocka_unit_test(test_keyframe_requester_turns_nack_overflow_into_pli_and_fir),
        cmocka_unit_test(test_keyframe_requester_measures_how_long_a_keyframe_takes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
