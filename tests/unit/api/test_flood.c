/* The flood limit (src/api/flood.c) on made-up times: more than 20 errors within 10 s trips it,
 * 20 never do, and errors spread wider than the window never trip it. */
#include "testutil.h"

#include "api/flood.h"

#define S 1000000

static void test_flood_trips_on_the_21st_error_within_10_s(void **state)
{
    (void)state;
    struct okno_flood f;
    okno_flood_init(&f);
    for (int i = 0; i < 20; i++)
        assert_false(okno_flood_add(&f, 1000 + (int64_t)i * 100));
    assert_true(okno_flood_add(&f, 1000 + 20 * 100));
    /* It stays tripped while errors keep coming that fast. */
    assert_true(okno_flood_add(&f, 1000 + 21 * 100));
}

static void test_flood_counts_the_window_with_both_ends_included(void **state)
{
    (void)state;
    struct okno_flood f;
    okno_flood_init(&f);
    assert_false(okno_flood_add(&f, 0));
    for (int i = 1; i < 20; i++)
        assert_false(okno_flood_add(&f, 5 * S));
    /* 21 errors from 0 to exactly 10 s. */
    assert_true(okno_flood_add(&f, 10 * S));

    okno_flood_init(&f);
    assert_false(okno_flood_add(&f, 0));
    for (int i = 1; i < 20; i++)
        assert_false(okno_flood_add(&f, 5 * S));
    /* One microsecond later the first has left the window: 20 within it. */
    assert_false(okno_flood_add(&f, 10 * S + 1));
}

static void test_flood_never_trips_on_one_error_every_0_6_s(void **state)
{
    (void)state;
    struct okno_flood f;
    okno_flood_init(&f);
    /* 21 errors then span 12 s, more than the window. */
    for (int64_t i = 0; i < 1000; i++)
        assert_false(okno_flood_add(&f, i * 600000));
}

static void test_flood_twenty_errors_at_once_are_allowed(void **state)
{
    (void)state;
    struct okno_flood f;
    okno_flood_init(&f);
    for (int i = 0; i < 20; i++)
        assert_false(okno_flood_add(&f, 42));
    /* After a quiet window the budget is whole again. */
    for (int i = 0; i < 20; i++)
        assert_false(okno_flood_add(&f, 42 + 11 * S));
    assert_true(okno_flood_add(&f, 42 + 11 * S));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flood_trips_on_the_21st_error_within_10_s),
        cmocka_unit_test(test_flood_counts_the_window_with_both_ends_included),
        cmocka_unit_test(test_flood_never_trips_on_one_error_every_0_6_s),
        cmocka_unit_test(test_flood_twenty_errors_at_once_are_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
