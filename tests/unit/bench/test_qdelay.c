/* The link model's queue-delay histogram: percentiles within a bin's 10 % of the exact nearest
 * rank, capped by the maximum, the edges, the difference of two snapshots, and the link filling
 * it with every packet's queue delay. */
#include "testutil.h"
#include "linkdrive.h"

#include <math.h>
#include <stdlib.h>

#include "linkemu/qdelay.h"

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_qdelay_percentiles_bound_the_exact_ones_within_ten_percent(void **state)
{
    (void)state;
    enum { N = 5000 };
    static int64_t v[N];
    struct okno_qdelay_hist h = {0};
    uint64_t x = 12345;
    for (size_t i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        v[i] = (int64_t)((x >> 33) % 2000000); /* 0..2 s */
        okno_qdelay_add(&h, v[i]);
    }
    qsort(v, N, sizeof v[0], cmp64);
    const double ps[] = {1, 50, 95, 99, 100};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        size_t rank = (size_t)ceil(ps[i] / 100.0 * N);
        int64_t exact = v[rank - 1];
        int64_t got = okno_qdelay_percentile(&h, ps[i], -1);
        assert_true(got >= exact);
        assert_true((double)got <= (double)exact * 1.1 + 100);
    }
    /* capped by the maximum the owner knows */
    assert_int_equal(okno_qdelay_percentile(&h, 100, v[N - 1]), v[N - 1]);
}

static void test_qdelay_edges_empty_and_difference(void **state)
{
    (void)state;
    struct okno_qdelay_hist a = {0}, b = {0}, d;
    assert_int_equal(okno_qdelay_percentile(&a, 50, -1), -1);
    okno_qdelay_add(&a, -5); /* negative counts as 0 */
    okno_qdelay_add(&a, 0);
    assert_int_equal(okno_qdelay_percentile(&a, 100, -1), 100);
    b = a;
    for (int i = 0; i < 10; i++)
        okno_qdelay_add(&a, 300000);
    okno_qdelay_add(&a, 120000000); /* beyond the last edge: only the maximum says how far */
    assert_true(okno_qdelay_percentile(&a, 100, -1) > 60000000);
    assert_int_equal(okno_qdelay_percentile(&a, 100, 120000000), 120000000);
    okno_qdelay_diff(&a, &b, &d);
    assert_int_equal(d.n, 11);
    int64_t p50 = okno_qdelay_percentile(&d, 50, -1);
    assert_true(p50 >= 300000 && p50 <= 330000);
    /* exact edges land in the bin they open */
    struct okno_qdelay_hist e = {0};
    okno_qdelay_add(&e, 100);
    assert_int_equal(okno_qdelay_percentile(&e, 50, -1), 110);
    okno_qdelay_add(&e, 110);
    okno_qdelay_add(&e, 110);
    assert_int_equal(okno_qdelay_percentile(&e, 100, -1), 121);
}

static void test_qdelay_link_counts_every_departed_packet(void **state)
{
    (void)state;
    /* 2 Mbit/s into 1 Mbit/s with a 100 ms queue: the queue sits near full, so the median delay
     * is near 100 ms and none is above it. */
    struct okno_link_params p = {.capacity_bps = 1000000, .queue_us = 100000, .delay_us = 50000};
    struct okno_link *l = NULL;
    assert_int_equal(okno_link_create(&p, 0, 1, &l), 0);
    struct flow f = {.n = 2000, .interval_us = 4800, .len = 1200};
    drive(l, &f);
    struct okno_link_stats st;
    okno_link_stats(l, &st);
    assert_int_equal(st.qdelay_hist.n, st.qdelay_count);
    assert_int_equal(st.qdelay_hist.n, st.packets_out);
    int64_t p50 = okno_qdelay_percentile(&st.qdelay_hist, 50, st.qdelay_max_us);
    int64_t p100 = okno_qdelay_percentile(&st.qdelay_hist, 100, st.qdelay_max_us);
    assert_true(p50 > 80000 && p50 <= 100000);
    assert_int_equal(p100, st.qdelay_max_us);
    flow_free(&f);
    okno_link_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qdelay_percentiles_bound_the_exact_ones_within_ten_percent),
        cmocka_unit_test(test_qdelay_edges_empty_and_difference),
        cmocka_unit_test(test_qdelay_link_counts_every_departed_packet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
