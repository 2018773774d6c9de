/* Unit tests of the uplink drain (sfu/uplink_drain.h): a collapse caps the publisher at a quarter
 * of what arrives until what arrives falls under three quarters of it (not before a round trip and
 * two windows), or for at most OKNO_DRAIN_MAX_US; once per collapse; never after a silence, never
 * before a rate is known. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sfu/uplink_drain.h"

#define RTT 150000

/* Sends kbps of 1000-byte packets for ms milliseconds. */
static void arrive(struct okno_uplink_drain *d, int64_t *now, unsigned kbps, unsigned ms)
{
    int64_t gap = (int64_t)8000 * 1000 / kbps; /* us between 1000-byte packets */
    for (int64_t end = *now + (int64_t)ms * 1000; *now < end; *now += gap)
        okno_uplink_drain_on_packet(d, 1000, *now);
}

static void test_drain_caps_until_the_queue_is_gone(void **state)
{
    (void)state;
    struct okno_uplink_drain d;
    okno_uplink_drain_init(&d);
    int64_t now = 1000000;
    assert_false(okno_uplink_drain_begin(&d, 1, RTT, now)); /* nothing measured yet */
    arrive(&d, &now, 600, 500);                             /* the full link delivers 600 kbit/s */
    assert_true(okno_uplink_drain_begin(&d, 1, RTT, now));
    uint64_t cap = okno_uplink_drain_cap(&d, now);
    assert_true(cap > 140000 && cap < 160000); /* a quarter, within a window's rounding */
    assert_false(okno_uplink_drain_begin(&d, 2, RTT, now)); /* one drain at a time */
    arrive(&d, &now, 600, 400); /* the queue still feeds the link at its rate */
    assert_int_equal(okno_uplink_drain_cap(&d, now), cap);
    arrive(&d, &now, 150, 300); /* the queue is gone: the publisher's capped rate arrives */
    assert_int_equal(okno_uplink_drain_cap(&d, now), 0);
    assert_false(okno_uplink_drain_begin(&d, 1, RTT, now)); /* this collapse was drained */
    arrive(&d, &now, 500, 300);
    assert_true(okno_uplink_drain_begin(&d, 2, RTT, now)); /* a later one is drained again */
    assert_int_equal(d.drains, 2);
}

static void test_drain_ends_after_its_time(void **state)
{
    (void)state;
    struct okno_uplink_drain d;
    okno_uplink_drain_init(&d);
    int64_t now = 0;
    arrive(&d, &now, 2000, 300);
    assert_true(okno_uplink_drain_begin(&d, 7, RTT, now));
    int64_t began = now;
    /* a publisher that ignores the REMB: the link stays full */
    arrive(&d, &now, 2000, OKNO_DRAIN_MAX_US / 1000 - 100);
    assert_true(okno_uplink_drain_cap(&d, now) > 0);
    arrive(&d, &now, 2000, 200);
    assert_true(now >= began + OKNO_DRAIN_MAX_US);
    assert_int_equal(okno_uplink_drain_cap(&d, now), 0);
}

static void test_no_drain_after_a_silence(void **state)
{
    (void)state;
    struct okno_uplink_drain d;
    okno_uplink_drain_init(&d);
    int64_t now = 0;
    arrive(&d, &now, 800, 500);
    now += 1600000; /* an outage: nothing arrives, nothing is queued */
    arrive(&d, &now, 800, 150);
    assert_false(okno_uplink_drain_begin(&d, 3, RTT, now));
    arrive(&d, &now, 800, 150); /* a window of its own after the silence */
    assert_true(okno_uplink_drain_begin(&d, 3, RTT, now));
}

/* A window under three quarters right after the cap went out is not the cap's doing yet (a lull,
 * retransmissions that took the link's room): the cap holds for a round trip and two windows. */
static void test_hold_before_release(void **state)
{
    (void)state;
    struct okno_uplink_drain d;
    okno_uplink_drain_init(&d);
    int64_t now = 0;
    arrive(&d, &now, 600, 500);
    assert_true(okno_uplink_drain_begin(&d, 1, RTT, now));
    int64_t began = now;
    arrive(&d, &now, 150, 200);
    assert_true(okno_uplink_drain_cap(&d, now) > 0);
    arrive(&d, &now, 150, 300); /* the windows that end after the hold */
    assert_true(now >= began + RTT + 2 * OKNO_DRAIN_WINDOW_US);
    assert_int_equal(okno_uplink_drain_cap(&d, now), 0);
}

static void test_floor(void **state)
{
    (void)state;
    struct okno_uplink_drain d;
    okno_uplink_drain_init(&d);
    int64_t now = 0;
    arrive(&d, &now, 200, 1000); /* 50 kbit/s would be a quarter */
    assert_true(okno_uplink_drain_begin(&d, 1, 0, now));
    assert_int_equal(okno_uplink_drain_cap(&d, now), OKNO_DRAIN_MIN_BPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_drain_caps_until_the_queue_is_gone),
        cmocka_unit_test(test_drain_ends_after_its_time),
        cmocka_unit_test(test_no_drain_after_a_silence),
        cmocka_unit_test(test_hold_before_release),
        cmocka_unit_test(test_floor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
