/* okno-bench call's evidence figures (call/evidence.h) on made-up timelines: the recovery time
 * after a capacity change by its definition (reference median of 5-10 s after, 85 %, 3 s held)
 * and the layer recovery (the settled height, 3 s held),
 * an unrecovered and an incomplete change, the late-freeze rule with a stall at the end, the
 * capacity changes a schedule gives (an outage's start skipped, its end kept) and the queue
 * delay percentiles set on a direction. */
#include "testutil.h"

#include <math.h>

#include "call/evidence.h"
#include "linkemu/params.h"

/* A timeline of n seconds (t = 1..n) with the given video rates. */
static json_t *timeline(const double *kbps, size_t n)
{
    json_t *tl = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(tl,
                              json_pack("{s:f,s:f}", "t", (double)(i + 1), "video_kbps", kbps[i]));
    return tl;
}

static void test_recovery_counts_to_the_first_second_that_holds_85_percent(void **state)
{
    (void)state;
    /* change at t = 10 s; the rate collapses for 3 s, then settles at 500 */
    double k[25];
    for (int i = 0; i < 25; i++)
        k[i] = i < 10 ? 900 : i < 13 ? 50 : i == 14 ? 300 : 500;
    json_t *tl = timeline(k, 25);
    struct okno_capacity_change ch = {.t_s = 10, .before_kbps = 1000, .after_kbps = 600};
    json_t *r = okno_evidence_recovery(tl, &ch);
    assert_true(fabs(json_real_value(json_object_get(r, "reference_kbps")) - 500) < 1e-9);
    /* seconds starting at 10, 11, 12 are low, 13 is high, 14 low again, 15.. high: held from 15 */
    assert_true(fabs(json_real_value(json_object_get(r, "recovery_ms")) - 5000) < 1e-6);
    assert_true(json_is_true(json_object_get(r, "recovered")));
    json_decref(r);
    /* a rate that never dips recovers at once */
    ch.t_s = 2;
    r = okno_evidence_recovery(tl, &ch);
    assert_true(json_real_value(json_object_get(r, "recovery_ms")) == 0);
    json_decref(r);
    json_decref(tl);
}

static void test_recovery_unrecovered_and_incomplete_windows(void **state)
{
    (void)state;
    /* the rate alternates below and above the reference: never 3 s held */
    double k[20];
    for (int i = 0; i < 20; i++)
        k[i] = i % 2 ? 100 : 1000;
    json_t *tl = timeline(k, 20);
    struct okno_capacity_change ch = {.t_s = 3, .before_kbps = NAN, .after_kbps = 500};
    json_t *r = okno_evidence_recovery(tl, &ch);
    assert_true(json_is_null(json_object_get(r, "recovery_ms")));
    assert_true(json_is_false(json_object_get(r, "recovered")));
    assert_true(json_is_null(json_object_get(r, "capacity_kbps_before")));
    json_decref(r);
    /* a change 6 s before the end: its reference window is not complete */
    ch.t_s = 14;
    r = okno_evidence_recovery(tl, &ch);
    assert_true(json_is_null(json_object_get(r, "recovered")));
    assert_true(json_is_null(json_object_get(r, "reference_kbps")));
    json_decref(r);
    json_decref(tl);
}

/* The layer recovery: back at the height the stream settles on 5-10 s after the change. */
static void test_layer_recovery_counts_to_the_settled_height(void **state)
{
    (void)state;
    json_t *tl = json_array();
    /* a drop at t = 10 s: 360 shown through the seconds starting at 10 and 11, none in the one
     * starting at 12, 180 from 13 on; a rise at t = 30 s: 180 until 33, then 360 */
    for (int i = 0; i < 50; i++) {
        int h = i < 12 ? 360 : i == 12 ? 0 : i < 33 ? 180 : 360;
        json_array_append_new(
            tl, json_pack("{s:f,s:f,s:i}", "t", (double)(i + 1), "video_kbps", 500.0, "height", h));
    }
    struct okno_capacity_change ch = {.t_s = 10, .before_kbps = 1000, .after_kbps = 300};
    json_t *r = okno_evidence_recovery(tl, &ch);
    assert_true(json_real_value(json_object_get(r, "layer_reference_height")) == 180);
    /* a higher layer held is at the reference; the second without a frame breaks the run */
    assert_true(fabs(json_real_value(json_object_get(r, "layer_recovery_ms")) - 3000) < 1e-6);
    assert_true(json_is_true(json_object_get(r, "layer_recovered")));
    /* the rate never moved: the rate recovery is immediate */
    assert_true(json_real_value(json_object_get(r, "recovery_ms")) == 0);
    json_decref(r);
    ch = (struct okno_capacity_change){.t_s = 30, .before_kbps = 300, .after_kbps = 1000};
    r = okno_evidence_recovery(tl, &ch);
    assert_true(json_real_value(json_object_get(r, "layer_reference_height")) == 360);
    assert_true(fabs(json_real_value(json_object_get(r, "layer_recovery_ms")) - 3000) < 1e-6);
    json_decref(r);
    json_decref(tl);
}

static void test_freeze_after_5s_skips_early_ones_and_counts_a_final_stall(void **state)
{
    (void)state;
    json_t *d = json_pack("{s:[[f,f],[f,f],[f,f]],s:f}", "freeze_intervals", 1.0, 4.0, 6.0, 6.4,
                          9.0, 9.2, "last_frame_ago_ms", 100.0);
    assert_true(fabs(okno_evidence_freeze_max_after(d, 5, 20) - 400) < 1e-6);
    json_object_set_new(d, "last_frame_ago_ms", json_real(2500));
    assert_true(fabs(okno_evidence_freeze_max_after(d, 5, 20) - 2500) < 1e-6);
    /* a stall that began before 5 s does not count */
    assert_true(fabs(okno_evidence_freeze_max_after(d, 5, 7) - 400) < 1e-6);
    json_decref(d);
}

static void test_changes_come_from_the_schedule_on_the_timeline_clock(void **state)
{
    (void)state;
    struct okno_link_params up = {.capacity_bps = 1000000}, down = {0};
    struct okno_schedule s;
    okno_schedule_init(&s, &up, &down);
    assert_int_equal(okno_schedule_add(&s, 40000000, OKNO_DIR_UP, OKNO_LP_CAPACITY_KBPS, 2500, 0),
                     0);
    assert_int_equal(okno_schedule_add(&s, 60000000, OKNO_DIR_BOTH, OKNO_LP_CAPACITY_KBPS, 600, 0),
                     0);
    assert_int_equal(okno_schedule_add(&s, 70000000, OKNO_DIR_UP, OKNO_LP_OUTAGE, 1, 0), 0);
    assert_int_equal(okno_schedule_add(&s, 72000000, OKNO_DIR_UP, OKNO_LP_OUTAGE, 0, 0), 0);
    assert_int_equal(okno_schedule_add(&s, 75000000, OKNO_DIR_UP, OKNO_LP_DELAY_MS, 80, 0), 0);
    struct okno_capacity_change ch[8];
    /* t0 2 s after the schedule's start; the run ends at 100 s */
    size_t n = okno_evidence_changes(&s, 0, 2000000, 100000000, ch, 8);
    assert_int_equal(n, 3); /* 40 s, 60 s, the outage's end at 72 s */
    assert_true(fabs(ch[0].t_s - 38) < 1e-9 && ch[0].before_kbps == 1000 &&
                ch[0].after_kbps == 2500);
    assert_true(fabs(ch[1].t_s - 58) < 1e-9 && ch[1].after_kbps == 600);
    assert_true(fabs(ch[2].t_s - 70) < 1e-9 && ch[2].before_kbps == 0 && ch[2].after_kbps == 600);
    /* down: unlimited, then 600 at 60 s */
    n = okno_evidence_changes(&s, 1, 2000000, 100000000, ch, 8);
    assert_int_equal(n, 1);
    assert_true(isnan(ch[0].before_kbps) && ch[0].after_kbps == 600);
    /* a run that ended at 50 s saw only the first */
    assert_int_equal(okno_evidence_changes(&s, 0, 2000000, 50000000, ch, 8), 1);
    okno_schedule_clear(&s);
}

static void test_set_fills_the_direction(void **state)
{
    (void)state;
    double k[30];
    for (int i = 0; i < 30; i++)
        k[i] = i < 12 ? 400 : 800;
    json_t *d = json_object();
    json_object_set_new(d, "timeline", timeline(k, 30));
    json_object_set_new(d, "freeze_intervals", json_array());
    struct okno_qdelay_hist q = {0};
    for (int i = 0; i < 100; i++)
        okno_qdelay_add(&q, i < 90 ? 10000 : 200000);
    struct okno_capacity_change ch[2] = {{.t_s = 10, .before_kbps = 500, .after_kbps = 1000},
                                         {.t_s = 25, .before_kbps = 1000, .after_kbps = 500}};
    okno_evidence_set(d, &q, 200000, ch, 2, 30);
    const json_t *qd = json_object_get(d, "queue_delay_ms");
    double p50 = json_real_value(json_object_get(qd, "p50"));
    assert_true(p50 >= 10 && p50 <= 11);
    assert_true(json_real_value(json_object_get(qd, "p95")) == 200);
    assert_true(json_real_value(json_object_get(qd, "max")) == 200);
    assert_int_equal(json_array_size(json_object_get(d, "recovery")), 2);
    /* 10 s: from 400 to 800, reached at the second starting at 12 */
    assert_true(fabs(json_real_value(json_object_get(d, "recovery_ms_max")) - 2000) < 1e-6);
    assert_int_equal(json_integer_value(json_object_get(d, "recovery_unrecovered")), 0);
    /* a timeline without heights has no layer to recover to */
    assert_true(json_is_null(json_object_get(d, "layer_recovery_ms_max")));
    assert_int_equal(json_integer_value(json_object_get(d, "layer_recovery_unrecovered")), 0);
    assert_true(json_real_value(json_object_get(d, "freeze_ms_max_after_5s")) == 0);
    json_decref(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovery_counts_to_the_first_second_that_holds_85_percent),
        cmocka_unit_test(test_recovery_unrecovered_and_incomplete_windows),
        cmocka_unit_test(test_layer_recovery_counts_to_the_settled_height),
        cmocka_unit_test(test_freeze_after_5s_skips_early_ones_and_counts_a_final_stall),
        cmocka_unit_test(test_changes_come_from_the_schedule_on_the_timeline_clock),
        cmocka_unit_test(test_set_fills_the_direction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
