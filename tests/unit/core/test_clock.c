/* The monotonic clock: microseconds, never backwards. */
#include "testutil.h"

#include <time.h>

#include "core/clock.h"

static void test_clock_never_goes_backwards(void **state)
{
    (void)state;
    int64_t prev = okno_clock_now_us();
    assert_true(prev > 0);
    for (int i = 0; i < 100000; i++) {
        int64_t now = okno_clock_now_us();
        assert_true(now >= prev);
        prev = now;
    }
}

static void test_clock_counts_microseconds(void **state)
{
    (void)state;
    int64_t before = okno_clock_now_us();
    struct timespec pause = {.tv_sec = 0, .tv_nsec = 20 * 1000 * 1000};
    nanosleep(&pause, NULL);
    int64_t elapsed = okno_clock_now_us() - before;
    /* 20 ms asleep: at least that, and not orders of magnitude more (wrong unit). */
    assert_true(elapsed >= 20000);
    assert_true(elapsed < 2000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_never_goes_backwards),
        cmocka_unit_test(test_clock_counts_microseconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
