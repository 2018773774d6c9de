#include "testutil.h"
#include "linkdrive.h"

#include <math.h>

#include "okno/err.h"

static struct okno_link *make(const struct okno_link_params *p, size_t slots, uint64_t seed)
{
    struct okno_link *l = NULL;
    assert_int_equal(okno_link_create(p, slots, seed, &l), 0);
    return l;
}

static void test_link_saturating_flow_gets_configured_capacity(void **state)
{
    (void)state;
    /* 1.5 Mbit/s of 1200-byte packets into 1 Mbit/s: the link must run at its capacity. */
    struct okno_link_params p = {.capacity_bps = 1000000, .queue_us = 200000, .delay_us = 20000};
    struct okno_link *l = make(&p, 0, 1);
    struct flow f = {.n = 3125, .interval_us = 6400, .len = 1200};
    drive(l, &f);
    double rate = rate_between(&f, 2000000, 19000000);
    assert_true(fabs(rate - 1e6) < 0.02 * 1e6);
    struct okno_link_stats st;
    okno_link_stats(l, &st);
    assert_true(st.dropped[OKNO_LINK_DROP_QUEUE] > 900); /* a third of 3125 */
    assert_int_equal(st.packets_in, 3125);
    assert_int_equal(st.packets_out + st.dropped[OKNO_LINK_DROP_QUEUE], 3125);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_capacity_holds_for_mixed_packet_sizes(void **state)
{
    (void)state;
    /* Sizes that do not divide the rate: the carried remainder must keep the rate exact. */
    size_t lens[4000];
    for (size_t i = 0; i < 4000; i++)
        lens[i] = 77 + (i * 7919) % 1300;
    struct okno_link_params p = {.capacity_bps = 2500000, .queue_us = 500000};
    struct okno_link *l = make(&p, 0, 1);
    struct flow f = {.n = 4000, .interval_us = 2000, .lens = lens};
    drive(l, &f);
    double rate = rate_between(&f, 1000000, 7000000);
    assert_true(fabs(rate - 2.5e6) < 0.02 * 2.5e6);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_queue_delay_never_exceeds_time_bound(void **state)
{
    (void)state;
    struct okno_link_params p = {.capacity_bps = 1000000, .queue_us = 100000, .delay_us = 50000};
    struct okno_link *l = make(&p, 0, 1);
    struct flow f = {.n = 2000, .interval_us = 4800, .len = 1200}; /* 2 Mbit/s */
    drive(l, &f);
    int64_t worst = 0;
    for (size_t i = 0; i < f.n; i++) {
        if (f.depart_us[i] < 0) {
            assert_int_equal(f.verdict[i], OKNO_LINK_DROP_QUEUE);
            continue;
        }
        int64_t q = f.depart_us[i] - f.sent_us[i] - p.delay_us;
        if (q > worst)
            worst = q;
    }
    assert_true(worst <= 100000);
    assert_true(worst > 90000); /* and the queue does fill to it */
    struct okno_link_stats st;
    okno_link_stats(l, &st);
    assert_true(st.qdelay_max_us <= 100000);
    assert_true(st.dropped[OKNO_LINK_DROP_QUEUE] > 900); /* half the offered load */
    flow_free(&f);
    okno_link_destroy(l);
}

static void check_queue_bytes(struct okno_link *l, size_t i, int64_t now_us, void *arg)
{
    (void)i;
    (void)now_us;
    struct okno_link_stats st;
    okno_link_stats(l, &st);
    assert_true(st.queued_bytes <= *(uint64_t *)arg);
}

static void test_link_queue_byte_bound_drops_tail(void **state)
{
    (void)state;
    uint64_t bound = 6000;
    struct okno_link_params p = {.capacity_bps = 500000, .queue_bytes = bound};
    struct okno_link *l = make(&p, 0, 1);
    struct flow f = {.n = 500,
                     .interval_us = 1000,
                     .len = 1000,
                     .before_send = check_queue_bytes,
                     .arg = &bound};
    drive(l, &f);
    /* 8 Mbit/s into 0.5: the first 6 fit, then about one in 16 */
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(f.verdict[i], OKNO_LINK_ACCEPTED);
    assert_int_equal(f.verdict[6], OKNO_LINK_DROP_QUEUE);
    struct okno_link_stats st;
    okno_link_stats(l, &st);
    assert_true(st.packets_out < 50);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_never_reorders_when_reordering_is_off(void **state)
{
    (void)state;
    /* jitter far larger than the packet spacing */
    struct okno_link_params p = {.delay_us = 100000, .jitter_us = 30000};
    struct okno_link *l = make(&p, 0, 7);
    struct flow f = {.n = 20000, .interval_us = 1000, .len = 200};
    drive(l, &f);
    assert_int_equal(f.n_out, f.n);
    for (size_t k = 1; k < f.n_out; k++)
        assert_true(f.order[k] > f.order[k - 1]);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_reorders_when_jitter_allows(void **state)
{
    (void)state;
    struct okno_link_params p = {.delay_us = 100000, .jitter_us = 30000, .jitter_reorder = true};
    struct okno_link *l = make(&p, 0, 7);
    struct flow f = {.n = 20000, .interval_us = 1000, .len = 200};
    drive(l, &f);
    size_t inversions = 0;
    for (size_t k = 1; k < f.n_out; k++)
        inversions += f.order[k] < f.order[k - 1];
    assert_true(inversions > 1000);
    /* departures still come out in time order */
    for (size_t k = 1; k < f.n_out; k++)
        assert_true(f.depart_us[f.order[k]] >= f.depart_us[f.order[k - 1]]);
    flow_free(&f);
    okno_link_destroy(l);
}

/* Every field that draws random numbers is on. */
static const struct okno_link_params busy = {.capacity_bps = 800000,
                                             .queue_us = 150000,
                                             .delay_us = 40000,
                                             .jitter_us = 15000,
                                             .jitter_reorder = true,
                                             .loss = 0.02,
                                             .ge_p = 0.01,
                                             .ge_r = 0.3,
                                             .ge_loss_bad = 1.0};

static void run_busy(uint64_t seed, struct flow *f)
{
    struct okno_link *l = make(&busy, 0, seed);
    *f = (struct flow){.n = 5000, .interval_us = 9000, .len = 1000};
    drive(l, f);
    okno_link_destroy(l);
}

static void test_link_same_seed_repeats_departures_exactly(void **state)
{
    (void)state;
    struct flow a, b, c;
    run_busy(42, &a);
    run_busy(42, &b);
    run_busy(43, &c);
    assert_int_equal(a.n_out, b.n_out);
    assert_memory_equal(a.order, b.order, a.n_out * sizeof *a.order);
    assert_memory_equal(a.depart_us, b.depart_us, a.n * sizeof *a.depart_us);
    assert_true(a.n_out != c.n_out ||
                memcmp(a.depart_us, c.depart_us, a.n * sizeof *a.depart_us) != 0);
    flow_free(&a);
    flow_free(&b);
    flow_free(&c);
}

static void test_link_draws_do_not_depend_on_polling(void **state)
{
    (void)state;
    /* An owner that polls at odd times in between must see the same departures. */
    struct okno_link *l = make(&busy, 0, 42);
    struct flow ref;
    run_busy(42, &ref);
    int64_t *dep = calloc(ref.n, sizeof *dep);
    assert_non_null(dep);
    for (size_t i = 0; i < ref.n; i++)
        dep[i] = -1;
    int64_t t = 0;
    size_t sent = 0;
    for (;;) {
        int64_t ns = sent < ref.n ? (int64_t)sent * 9000 : INT64_MAX;
        int64_t nd = okno_link_next_departure(l);
        if (ns == INT64_MAX && nd == INT64_MAX)
            break;
        int64_t next = t + 777; /* extra polls in between */
        if (ns < next)
            next = ns;
        if (nd < next)
            next = nd;
        t = next;
        if (t == ns)
            okno_link_enqueue(l, t, 1000, sent++);
        uint64_t cookie;
        while (okno_link_dequeue(l, t, &cookie, NULL))
            dep[cookie] = t;
    }
    assert_memory_equal(dep, ref.depart_us, ref.n * sizeof *dep);
    free(dep);
    flow_free(&ref);
    okno_link_destroy(l);
}

struct outage_window {
    int64_t from_us, to_us;
    struct okno_link_params normal;
};

static void toggle_outage(struct okno_link *l, size_t i, int64_t now_us, void *arg)
{
    (void)i;
    const struct outage_window *w = arg;
    struct okno_link_params p = w->normal;
    p.outage = now_us >= w->from_us && now_us < w->to_us;
    if (p.outage != okno_link_params(l)->outage)
        assert_int_equal(okno_link_set_params(l, now_us, &p), 0);
}

static void test_link_outage_drops_everything_inside_the_window(void **state)
{
    (void)state;
    struct outage_window w = {.from_us = 1000000,
                              .to_us = 2600000,
                              .normal = {.capacity_bps = 2000000, .delay_us = 30000}};
    struct okno_link *l = make(&w.normal, 0, 1);
    struct flow f = {
        .n = 400, .interval_us = 10000, .len = 1000, .before_send = toggle_outage, .arg = &w};
    drive(l, &f);
    for (size_t i = 0; i < f.n; i++) {
        bool inside = f.sent_us[i] >= w.from_us && f.sent_us[i] < w.to_us;
        assert_int_equal(f.verdict[i], inside ? OKNO_LINK_DROP_OUTAGE : OKNO_LINK_ACCEPTED);
        assert_int_equal(f.depart_us[i] < 0, inside);
    }
    struct okno_link_stats st;
    okno_link_stats(l, &st);
    assert_int_equal(st.dropped[OKNO_LINK_DROP_OUTAGE], 160);
    flow_free(&f);
    okno_link_destroy(l);
}

static void step_capacity(struct okno_link *l, size_t i, int64_t now_us, void *arg)
{
    (void)arg;
    (void)i;
    struct okno_link_params p = *okno_link_params(l);
    if (now_us >= 5000000 && p.capacity_bps != 2000000) {
        p.capacity_bps = 2000000;
        assert_int_equal(okno_link_set_params(l, 5000000, &p), 0);
    }
}

static void test_link_capacity_change_applies_from_its_time(void **state)
{
    (void)state;
    struct okno_link_params p = {.capacity_bps = 1000000, .queue_us = 300000};
    struct okno_link *l = make(&p, 0, 1);
    struct flow f = {.n = 3000, .interval_us = 3200, .len = 1200, .before_send = step_capacity};
    drive(l, &f); /* 3 Mbit/s offered for 9.6 s */
    assert_true(fabs(rate_between(&f, 1000000, 5000000) - 1e6) < 0.02e6);
    assert_true(fabs(rate_between(&f, 5100000, 9500000) - 2e6) < 0.02 * 2e6);
    flow_free(&f);
    okno_link_destroy(l);
}

static void test_link_burst_lets_an_idle_link_send_at_once(void **state)
{
    (void)state;
    struct okno_link_params p = {.capacity_bps = 100000, .burst_bytes = 2400};
    struct okno_link *l = make(&p, 0, 1);
    /* idle for a second: the bucket is full */
    assert_int_equal(okno_link_enqueue(l, 0, 100, 0), OKNO_LINK_ACCEPTED);
    uint64_t c;
    assert_int_equal(okno_link_dequeue(l, 1000000, &c, NULL), 1);
    for (uint64_t i = 1; i <= 3; i++)
        assert_int_equal(okno_link_enqueue(l, 1000000, 1200, i), OKNO_LINK_ACCEPTED);
    size_t len;
    assert_int_equal(okno_link_dequeue(l, 1000000, &c, &len), 1);
    assert_int_equal(c, 1);
    assert_int_equal(len, 1200);
    assert_int_equal(okno_link_dequeue(l, 1000000, &c, NULL), 1);
    assert_int_equal(c, 2);
    /* the third waits for its 96 ms of serialization */
    assert_int_equal(okno_link_dequeue(l, 1000000, &c, NULL), 0);
    assert_int_equal(okno_link_next_departure(l), 1000000 + 96000);
    assert_int_equal(okno_link_dequeue(l, 1096000, &c, NULL), 1);
    assert_int_equal(c, 3);
    assert_int_equal(okno_link_next_departure(l), INT64_MAX);
    okno_link_destroy(l);
}

static void test_link_overflow_and_size_drops_are_counted(void **state)
{
    (void)state;
    struct okno_link_params p = {.delay_us = 1000000};
    struct okno_link *l = make(&p, 4, 1);
    for (uint64_t i = 0; i < 4; i++)
        assert_int_equal(okno_link_enqueue(l, 0, 100, i), OKNO_LINK_ACCEPTED);
    assert_int_equal(okno_link_enqueue(l, 0, 100, 9), OKNO_LINK_DROP_OVERFLOW);
    assert_int_equal(okno_link_enqueue(l, 0, 0, 9), OKNO_LINK_DROP_TOO_BIG);
    assert_int_equal(okno_link_enqueue(l, 0, 70000, 9), OKNO_LINK_DROP_TOO_BIG);
    struct okno_link_stats st;
    okno_link_stats(l, &st);
    assert_int_equal(st.dropped[OKNO_LINK_DROP_OVERFLOW], 1);
    assert_int_equal(st.dropped[OKNO_LINK_DROP_TOO_BIG], 2);
    assert_int_equal(st.in_flight, 4);
    assert_string_equal(okno_link_verdict_name(OKNO_LINK_DROP_OVERFLOW), "overflow");
    okno_link_destroy(l);
}

static void test_link_rejects_bad_params_and_keeps_old_ones(void **state)
{
    (void)state;
    const struct okno_link_params bad[] = {
        {.ge_p = 0.1}, /* the bad state would never end */
        {.loss = 1.5},
        {.loss = NAN},
        {.delay_us = -1},
        {.jitter_us = OKNO_LINK_MAX_DELAY_US + 1},
        {.capacity_bps = OKNO_LINK_MAX_CAPACITY_BPS + 1},
        {.queue_us = -5},
        {.jitter_dist = (enum okno_link_jitter_dist)7},
    };
    struct okno_link *l = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(okno_link_create(&bad[i], 0, 1, &l), OKNO_E_INVAL);
    assert_null(l);
    struct okno_link_params good = {.delay_us = 5000};
    assert_int_equal(okno_link_create(&good, OKNO_LINK_MAX_PACKETS + 1, 1, &l), OKNO_E_INVAL);
    l = make(&good, 0, 1);
    assert_int_equal(okno_link_set_params(l, 0, &bad[0]), OKNO_E_INVAL);
    assert_int_equal(okno_link_params(l)->delay_us, 5000);
    okno_link_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_saturating_flow_gets_configured_capacity),
        cmocka_unit_test(test_link_capacity_holds_for_mixed_packet_sizes),
        cmocka_unit_test(test_link_queue_delay_never_exceeds_time_bound),
        cmocka_unit_test(test_link_queue_byte_bound_drops_tail),
        cmocka_unit_test(test_link_never_reorders_when_reordering_is_off),
        cmocka_unit_test(test_link_reorders_when_jitter_allows),
        cmocka_unit_test(test_link_same_seed_repeats_departures_exactly),
        cmocka_unit_test(test_link_draws_do_not_depend_on_polling),
        cmocka_unit_test(test_link_outage_drops_everything_inside_the_window),
        cmocka_unit_test(test_link_capacity_change_applies_from_its_time),
        cmocka_unit_test(test_link_burst_lets_an_idle_link_send_at_once),
        cmocka_unit_test(test_link_overflow_and_size_drops_are_counted),
        cmocka_unit_test(test_link_rejects_bad_params_and_keeps_old_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
