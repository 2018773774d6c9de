#include "testutil.h"
#include "linkdrive.h"

#include <math.h>

#include "okno/err.h"

/* The statistical side of the link model: delay and jitter distributions, random loss and
 * Gilbert-Elliott bursts, each over 10^5 packets or more against the configured figures. */

static struct okno_link *make(const struct okno_link_params *p, uint64_t seed)
{
    struct okno_link *l = NULL;
    assert_int_equal(okno_link_create(p, 0, seed, &l), 0);
    return l;
}

static void test_link_normal_jitter_has_configured_mean_and_deviation(void **state)
{
    (void)state;
    struct okno_link_params p = {.delay_us = 100000, .jitter_us = 10000, .jitter_reorder = true};
    struct okno_link *l = make(&p, 3);
    struct flow f = {.n = 100000, .interval_us = 500, .len = 200};
    drive(l, &f);
    assert_int_equal(f.n_out, f.n);
    double mean, sd;
    delay_stats(&f, &mean, &sd);
    assert_true(fabs(mean - 100000) < 200);
    assert_true(fabs(sd - 10000) < 300);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_uniform_jitter_stays_within_its_width(void **state)
{
    (void)state;
    struct okno_link_params p = {.delay_us = 60000,
                                 .jitter_us = 20000,
                                 .jitter_dist = OKNO_LINK_JITTER_UNIFORM,
                                 .jitter_reorder = true};
    struct okno_link *l = make(&p, 3);
    struct flow f = {.n = 100000, .interval_us = 500, .len = 200};
    drive(l, &f);
    double mean, sd;
    delay_stats(&f, &mean, &sd);
    assert_true(fabs(mean - 60000) < 200);
    assert_true(fabs(sd - 20000 / sqrt(3.0)) < 300);
    for (size_t i = 0; i < f.n; i++) {
        int64_t d = f.depart_us[i] - f.sent_us[i];
        assert_true(d >= 40000 && d <= 80000);
    }
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_fixed_delay_without_jitter_is_exact(void **state)
{
    (void)state;
    struct okno_link_params p = {.delay_us = 25000};
    struct okno_link *l = make(&p, 3);
    struct flow f = {.n = 1000, .interval_us = 700, .len = 500};
    drive(l, &f);
    for (size_t i = 0; i < f.n; i++)
        assert_int_equal(f.depart_us[i] - f.sent_us[i], 25000);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_random_loss_rate_within_a_third_of_a_point(void **state)
{
    (void)state;
    const double rates[] = {0.005, 0.03, 0.2};
    for (size_t k = 0; k < 3; k++) {
        struct okno_link_params p = {.loss = rates[k], .delay_us = 1000};
        struct okno_link *l = make(&p, 11 + k);
        struct flow f = {.n = 100000, .interval_us = 100, .len = 100};
        drive(l, &f);
        size_t lost = 0;
        for (size_t i = 0; i < f.n; i++) {
            lost += f.verdict[i] == OKNO_LINK_DROP_LOSS;
            assert_int_equal(f.depart_us[i] < 0, f.verdict[i] != OKNO_LINK_ACCEPTED);
        }
        assert_true(fabs((double)lost / (double)f.n - rates[k]) < 0.003);
        flow_free(&f);
        okno_link_destroy(l);
    }
}

static void test_link_gilbert_elliott_gives_mean_loss_and_burst_length(void **state)
{
    (void)state;
    /* The edge profile's chain: 1.71 % loss in bursts of 3 packets. */
    struct okno_link_params p = {.ge_p = 0.0058, .ge_r = 0.333, .ge_loss_bad = 1.0};
    double want_loss = okno_link_ge_mean_loss(&p), want_burst = okno_link_ge_mean_burst(&p);
    assert_true(fabs(want_loss - 0.0058 / 0.3388) < 1e-9);
    assert_true(fabs(want_burst - 1 / 0.333) < 1e-9);
    struct okno_link *l = make(&p, 5);
    struct flow f = {.n = 400000, .interval_us = 100, .len = 100};
    drive(l, &f);
    size_t lost = 0, bursts = 0;
    for (size_t i = 0; i < f.n; i++) {
        bool dropped = f.verdict[i] == OKNO_LINK_DROP_GE_LOSS;
        lost += dropped;
        bursts += dropped && (i == 0 || f.verdict[i - 1] != OKNO_LINK_DROP_GE_LOSS);
    }
    double loss = (double)lost / (double)f.n, burst = (double)lost / (double)bursts;
    assert_true(fabs(loss - want_loss) < 0.003);
    assert_true(fabs(burst - want_burst) < 0.1 * want_burst);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_gilbert_elliott_partial_loss_in_both_states(void **state)
{
    (void)state;
    /* Gilbert-Elliott proper: some loss in the good state too, not all in the bad one. */
    struct okno_link_params p = {
        .ge_p = 0.02, .ge_r = 0.2, .ge_loss_good = 0.01, .ge_loss_bad = 0.5};
    double want = 0.02 / 0.22 * 0.5 + 0.2 / 0.22 * 0.01;
    assert_true(fabs(okno_link_ge_mean_loss(&p) - want) < 1e-12);
    struct okno_link *l = make(&p, 9);
    struct flow f = {.n = 200000, .interval_us = 100, .len = 100};
    drive(l, &f);
    size_t lost = 0;
    for (size_t i = 0; i < f.n; i++)
        lost += f.verdict[i] == OKNO_LINK_DROP_GE_LOSS;
    assert_true(fabs((double)lost / (double)f.n - want) < 0.003);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_loss_counters_add_up(void **state)
{
    (void)state;
    struct okno_link_params p = {
        .loss = 0.05, .ge_p = 0.01, .ge_r = 0.25, .ge_loss_bad = 1.0, .delay_us = 10000};
    struct okno_link *l = make(&p, 21);
    struct flow f = {.n = 20000, .interval_us = 1000, .len = 300};
    drive(l, &f);
    struct okno_link_stats st;
    okno_link_stats(l, &st);
    uint64_t dropped = 0;
    for (int v = 1; v < OKNO_LINK_N_VERDICTS; v++)
        dropped += st.dropped[v];
    assert_int_equal(st.packets_in, f.n);
    assert_int_equal(st.packets_out + dropped, f.n);
    assert_int_equal(st.bytes_in, st.bytes_out + st.bytes_dropped);
    assert_true(st.dropped[OKNO_LINK_DROP_LOSS] > 0 && st.dropped[OKNO_LINK_DROP_GE_LOSS] > 0);
    assert_int_equal(st.queued_packets + st.in_flight, 0);
    flow_free(&f);
    okno_link_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_normal_jitter_has_configured_mean_and_deviation),
        cmocka_unit_test(test_link_uniform_jitter_stays_within_its_width),
        cmocka_unit_test(test_link_fixed_delay_without_jitter_is_exact),
        cmocka_unit_test(test_link_random_loss_rate_within_a_third_of_a_point),
        cmocka_unit_test(test_link_gilbert_elliott_gives_mean_loss_and_burst_length),
        cmocka_unit_test(test_link_gilbert_elliott_partial_loss_in_both_states),
        cmocka_unit_test(test_link_loss_counters_add_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
