/* The RTCP scheduler: the randomised 0.5-1.5 interval and its mean, the halved first interval,
 * seeds, and the feedback floor. Times are made up. */
#include "testutil.h"

#include "okno/err.h"
#include "sfu/rtcp_scheduler.h"

#define MS 1000

static void test_rtcp_scheduler_rejects_bad_intervals(void **state)
{
    (void)state;
    struct okno_rtcp_scheduler s;
    assert_int_equal(okno_rtcp_scheduler_init(&s, 0, 0, 1, 0), OKNO_E_INVAL);
    assert_int_equal(okno_rtcp_scheduler_init(&s, OKNO_RTCP_MAX_INTERVAL_US + 1, 0, 1, 0),
                     OKNO_E_INVAL);
    assert_int_equal(okno_rtcp_scheduler_init(&s, 1000, -1, 1, 0), OKNO_E_INVAL);
}

static void test_rtcp_scheduler_randomises_reports_within_half_to_one_and_a_half(void **state)
{
    (void)state;
    struct okno_rtcp_scheduler s;
    assert_int_equal(okno_rtcp_scheduler_init(&s, OKNO_RTCP_VIDEO_INTERVAL_US, 0, 42, 0), 0);
    /* The first report after half an interval, randomised: 250 to 750 ms. */
    int64_t first = okno_rtcp_scheduler_next_report(&s);
    assert_true(first >= 250 * MS && first < 750 * MS);
    assert_false(okno_rtcp_scheduler_report_due(&s, first - 1));
    assert_true(okno_rtcp_scheduler_report_due(&s, first));
    int64_t now = first, lo = INT64_MAX, hi = 0, sum = 0;
    const int n = 10000;
    for (int i = 0; i < n; i++) {
        okno_rtcp_scheduler_on_report_sent(&s, now);
        int64_t gap = okno_rtcp_scheduler_next_report(&s) - now;
        lo = gap < lo ? gap : lo;
        hi = gap > hi ? gap : hi;
        sum += gap;
        now += gap;
    }
    assert_true(lo >= 500 * MS && lo < 520 * MS);
    assert_true(hi < 1500 * MS && hi > 1480 * MS);
    assert_true(sum / n > 980 * MS && sum / n < 1020 * MS);
    assert_int_equal(s.reports, (uint64_t)n);
}

static void test_rtcp_scheduler_same_seed_same_schedule_other_seed_other(void **state)
{
    (void)state;
    struct okno_rtcp_scheduler a, b, c;
    okno_rtcp_scheduler_init(&a, OKNO_RTCP_AUDIO_INTERVAL_US, 0, 7, 0);
    okno_rtcp_scheduler_init(&b, OKNO_RTCP_AUDIO_INTERVAL_US, 0, 7, 0);
    okno_rtcp_scheduler_init(&c, OKNO_RTCP_AUDIO_INTERVAL_US, 0, 8, 0);
    int differ = 0;
    for (int i = 0; i < 20; i++) {
        assert_int_equal(okno_rtcp_scheduler_next_report(&a), okno_rtcp_scheduler_next_report(&b));
        differ += okno_rtcp_scheduler_next_report(&a) != okno_rtcp_scheduler_next_report(&c);
        okno_rtcp_scheduler_on_report_sent(&a, i * 5000 * MS);
        okno_rtcp_scheduler_on_report_sent(&b, i * 5000 * MS);
        okno_rtcp_scheduler_on_report_sent(&c, i * 5000 * MS);
    }
    assert_true(differ >= 19);
    /* Seed 0 is usable too (xorshift would stick at 0). */
    okno_rtcp_scheduler_init(&a, OKNO_RTCP_AUDIO_INTERVAL_US, 0, 0, 0);
    okno_rtcp_scheduler_on_report_sent(&a, 0);
    int64_t g1 = okno_rtcp_scheduler_next_report(&a);
    okno_rtcp_scheduler_on_report_sent(&a, 0);
    assert_true(okno_rtcp_scheduler_next_report(&a) != g1);
}

static void test_rtcp_scheduler_allows_immediate_feedback_with_minimum_interval(void **state)
{
    (void)state;
    struct okno_rtcp_scheduler s;
    okno_rtcp_scheduler_init(&s, OKNO_RTCP_VIDEO_INTERVAL_US, 10 * MS, 1, 0);
    /* A NACK right away, long before the first report. */
    assert_true(okno_rtcp_scheduler_feedback_allowed(&s, 1 * MS));
    okno_rtcp_scheduler_on_feedback_sent(&s, 1 * MS);
    assert_false(okno_rtcp_scheduler_feedback_allowed(&s, 10 * MS));
    assert_int_equal(okno_rtcp_scheduler_feedback_at(&s), 11 * MS);
    assert_true(okno_rtcp_scheduler_feedback_allowed(&s, 11 * MS));
    /* Feedback does not move the regular report. */
    int64_t next = okno_rtcp_scheduler_next_report(&s);
    okno_rtcp_scheduler_on_feedback_sent(&s, 11 * MS);
    assert_int_equal(okno_rtcp_scheduler_next_report(&s), next);
    assert_int_equal(s.feedback, 2);
    /* A zero floor allows back-to-back feedback. */
    okno_rtcp_scheduler_init(&s, OKNO_RTCP_VIDEO_INTERVAL_US, 0, 1, 0);
    okno_rtcp_scheduler_on_feedback_sent(&s, 5);
    assert_true(okno_rtcp_scheduler_feedback_allowed(&s, 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtcp_scheduler_rejects_bad_intervals),
        cmocka_unit_test(test_rtcp_scheduler_randomises_reports_within_half_to_one_and_a_half),
        cmocka_unit_test(test_rtcp_scheduler_same_seed_same_schedule_other_seed_other),
        cmocka_unit_test(test_rtcp_scheduler_allows_immediate_feedback_with_minimum_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
