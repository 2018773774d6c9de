#include "testutil.h"
#include "linkdrive.h"

#include "linkemu/params.h"
#include "linkemu/schedule.h"
#include "okno/err.h"

#define S 1000000LL

static void rfc8867(struct okno_schedule *s)
{
    struct okno_link_params base = {.capacity_bps = 1000000, .delay_us = 50000};
    okno_schedule_init(s, &base, &base);
    /* added out of order on purpose: the schedule sorts */
    assert_int_equal(okno_schedule_add(s, 60 * S, OKNO_DIR_BOTH, OKNO_LP_CAPACITY_KBPS, 600, 0), 0);
    assert_int_equal(okno_schedule_add(s, 40 * S, OKNO_DIR_BOTH, OKNO_LP_CAPACITY_KBPS, 2500, 0),
                     0);
    assert_int_equal(okno_schedule_add(s, 80 * S, OKNO_DIR_DOWN, OKNO_LP_CAPACITY_KBPS, 1000, 0),
                     0);
}

static uint64_t down_capacity(const struct okno_schedule *s, int64_t t)
{
    struct okno_link_params down;
    okno_schedule_params_at(s, t, NULL, &down);
    return down.capacity_bps;
}

static void test_schedule_changes_take_effect_at_their_time(void **state)
{
    (void)state;
    struct okno_schedule s;
    rfc8867(&s);
    assert_int_equal(down_capacity(&s, 0), 1000000);
    assert_int_equal(down_capacity(&s, 40 * S - 1), 1000000);
    assert_int_equal(down_capacity(&s, 40 * S), 2500000);
    assert_int_equal(down_capacity(&s, 60 * S - 1), 2500000);
    assert_int_equal(down_capacity(&s, 60 * S), 600000);
    assert_int_equal(down_capacity(&s, 80 * S), 1000000);
    assert_int_equal(down_capacity(&s, 1000 * S), 1000000);
    struct okno_link_params up;
    okno_schedule_params_at(&s, 90 * S, &up, NULL);
    assert_int_equal(up.capacity_bps, 600000); /* the 80 s change was for down only */
    assert_int_equal(up.delay_us, 50000);
    okno_schedule_clear(&s);
}

static void test_schedule_next_change_walks_the_steps(void **state)
{
    (void)state;
    struct okno_schedule s;
    rfc8867(&s);
    assert_int_equal(okno_schedule_next_change(&s, -1), 40 * S);
    assert_int_equal(okno_schedule_next_change(&s, 0), 40 * S);
    assert_int_equal(okno_schedule_next_change(&s, 40 * S), 60 * S);
    assert_int_equal(okno_schedule_next_change(&s, 79 * S), 80 * S);
    assert_int_equal(okno_schedule_next_change(&s, 80 * S), INT64_MAX);
    okno_schedule_clear(&s);
}

static void test_schedule_period_repeats_and_carries_state_over(void **state)
{
    (void)state;
    struct okno_schedule s;
    okno_schedule_init(&s, NULL, NULL);
    assert_int_equal(okno_schedule_add(&s, 10 * S, OKNO_DIR_UP, OKNO_LP_DELAY_MS, 70, 0), 0);
    assert_int_equal(okno_schedule_add(&s, 20 * S, OKNO_DIR_UP, OKNO_LP_DELAY_MS, 30, 0), 0);
    assert_int_equal(okno_schedule_set_period(&s, 15 * S), OKNO_E_INVAL); /* 20 s is beyond */
    assert_int_equal(okno_schedule_set_period(&s, 30 * S), 0);
    assert_int_equal(okno_schedule_add(&s, 30 * S, OKNO_DIR_UP, OKNO_LP_DELAY_MS, 1, 0),
                     OKNO_E_INVAL);
    struct okno_link_params up;
    okno_schedule_params_at(&s, 5 * S, &up, NULL);
    assert_int_equal(up.delay_us, 0); /* the base, in the first period only */
    okno_schedule_params_at(&s, 35 * S, &up, NULL);
    assert_int_equal(up.delay_us, 30000); /* left by the previous period */
    okno_schedule_params_at(&s, 40 * S, &up, NULL);
    assert_int_equal(up.delay_us, 70000);
    okno_schedule_params_at(&s, 3 * 30 * S + 25 * S, &up, NULL);
    assert_int_equal(up.delay_us, 30000);
    assert_int_equal(okno_schedule_next_change(&s, 20 * S), 40 * S);
    assert_int_equal(okno_schedule_next_change(&s, 40 * S), 50 * S);
    okno_schedule_clear(&s);
}

static void test_schedule_repeating_outage_windows(void **state)
{
    (void)state;
    struct okno_schedule s;
    okno_schedule_init(&s, NULL, NULL);
    assert_int_equal(okno_schedule_set_outages(&s, 120 * S, 120 * S, 0, OKNO_DIR_BOTH),
                     OKNO_E_INVAL);
    assert_int_equal(okno_schedule_set_outages(&s, 120 * S, 1600000, 60 * S, OKNO_DIR_DOWN), 0);
    struct okno_link_params up, down;
    const struct {
        int64_t t;
        bool out;
    } cases[] = {{0, false},           {60 * S - 1, false}, {60 * S, true},
                 {61600000 - 1, true}, {61600000, false},   {180 * S, true},
                 {181 * S, true},      {181600000, false},  {300 * S + 1599999, true}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        okno_schedule_params_at(&s, cases[i].t, &up, &down);
        assert_int_equal(down.outage, cases[i].out);
        assert_false(up.outage);
    }
    assert_int_equal(okno_schedule_next_change(&s, 0), 60 * S);
    assert_int_equal(okno_schedule_next_change(&s, 60 * S), 61600000);
    assert_int_equal(okno_schedule_next_change(&s, 61600000), 180 * S);
    okno_schedule_clear(&s);
}

static void test_schedule_check_finds_a_state_the_model_rejects(void **state)
{
    (void)state;
    struct okno_schedule s;
    struct okno_link_params base = {.ge_loss_bad = 1};
    okno_schedule_init(&s, &base, &base);
    assert_int_equal(okno_schedule_add(&s, 5 * S, OKNO_DIR_UP, OKNO_LP_GE_R_PCT, 20, 3), 0);
    assert_int_equal(okno_schedule_add(&s, 9 * S, OKNO_DIR_UP, OKNO_LP_GE_P_PCT, 1, 4), 0);
    const struct okno_schedule_change *bad;
    assert_int_equal(okno_schedule_check(&s, &bad), 0);
    assert_int_equal(okno_schedule_add(&s, 12 * S, OKNO_DIR_UP, OKNO_LP_GE_R_PCT, 0, 7), 0);
    assert_int_equal(okno_schedule_check(&s, &bad), OKNO_E_INVAL);
    assert_non_null(bad);
    assert_int_equal(bad->line, 7);
    assert_int_equal(okno_schedule_add(&s, -1, OKNO_DIR_UP, OKNO_LP_GE_R_PCT, 0, 0), OKNO_E_INVAL);
    assert_int_equal(okno_schedule_add(&s, 1, 0, OKNO_LP_GE_R_PCT, 0, 0), OKNO_E_INVAL);
    assert_int_equal(okno_schedule_add(&s, 1, OKNO_DIR_UP, OKNO_LP_COUNT, 0, 0), OKNO_E_INVAL);
    okno_schedule_clear(&s);
}

/* Applies the schedule's params to the up link whenever a change is due, as the relay does. */
struct follow {
    const struct okno_schedule *s;
    int64_t next;
};

static void follow_schedule(struct okno_link *l, size_t i, int64_t now_us, void *arg)
{
    (void)i;
    struct follow *fw = arg;
    if (now_us < fw->next)
        return;
    struct okno_link_params up;
    okno_schedule_params_at(fw->s, now_us, &up, NULL);
    assert_int_equal(okno_link_set_params(l, now_us, &up), 0);
    fw->next = okno_schedule_next_change(fw->s, now_us);
}

static void test_schedule_drives_a_link_through_steps_and_outages(void **state)
{
    (void)state;
    struct okno_schedule s;
    struct okno_link_params base = {.capacity_bps = 1000000, .queue_us = 300000};
    okno_schedule_init(&s, &base, &base);
    assert_int_equal(okno_schedule_add(&s, 4 * S, OKNO_DIR_UP, OKNO_LP_CAPACITY_KBPS, 2500, 0), 0);
    assert_int_equal(okno_schedule_set_outages(&s, 5 * S, 500000, 7 * S, OKNO_DIR_UP), 0);
    struct follow fw = {.s = &s, .next = 0};
    struct okno_link *l = NULL;
    assert_int_equal(okno_link_create(&base, 0, 1, &l), 0);
    /* 3 Mbit/s offered for 12 s */
    struct flow f = {
        .n = 3750, .interval_us = 3200, .len = 1200, .before_send = follow_schedule, .arg = &fw};
    drive(l, &f);
    assert_true(fabs(rate_between(&f, 1 * S, 4 * S) - 1e6) < 0.02e6);
    assert_true(fabs(rate_between(&f, 4400000, 7 * S) - 2.5e6) < 0.02 * 2.5e6);
    for (size_t i = 0; i < f.n; i++) {
        bool inside = f.sent_us[i] >= 7 * S && f.sent_us[i] < 7500000;
        if (inside)
            assert_int_equal(f.verdict[i], OKNO_LINK_DROP_OUTAGE);
        else
            assert_int_not_equal(f.verdict[i], OKNO_LINK_DROP_OUTAGE);
    }
    flow_free(&f);
    okno_link_destroy(l);
    okno_schedule_clear(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schedule_changes_take_effect_at_their_time),
        cmocka_unit_test(test_schedule_next_change_walks_the_steps),
        cmocka_unit_test(test_schedule_period_repeats_and_carries_state_over),
        cmocka_unit_test(test_schedule_repeating_outage_windows),
        cmocka_unit_test(test_schedule_check_finds_a_state_the_model_rejects),
        cmocka_unit_test(test_schedule_drives_a_link_through_steps_and_outages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
