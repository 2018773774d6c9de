/* Wrap-aware sequence number and timestamp arithmetic and the 64-bit unwrappers (src/wire/seq.h).
 */
#include "testutil.h"
#include "wire/seq.h"

static void test_seq_diff_counts_across_the_wrap(void **state)
{
    (void)state;
    assert_int_equal(okno_seq_diff(5, 3), 2);
    assert_int_equal(okno_seq_diff(3, 5), -2);
    assert_int_equal(okno_seq_diff(0, 65535), 1);
    assert_int_equal(okno_seq_diff(65535, 0), -1);
    assert_int_equal(okno_seq_diff(10, 65530), 16);
    assert_int_equal(okno_seq_diff(7, 7), 0);
    assert_int_equal(okno_seq_diff(32767, 0), 32767);
    assert_int_equal(okno_seq_diff(32769, 0), -32767);
}

static void test_seq_newer_is_strict_order_even_half_the_circle_apart(void **state)
{
    (void)state;
    assert_true(okno_seq_newer(0, 65535));
    assert_false(okno_seq_newer(65535, 0));
    assert_false(okno_seq_newer(100, 100));
    assert_true(okno_seq_newer(32768, 0));
    assert_false(okno_seq_newer(0, 32768));
    assert_int_equal(okno_seq_diff(32768, 0), 32768);
    assert_int_equal(okno_seq_diff(0, 32768), -32768);
    for (unsigned a = 0; a < 65536; a += 251) {
        for (unsigned d = 1; d < 65536; d += 127) {
            uint16_t b = (uint16_t)(a + d);
            assert_true(okno_seq_newer((uint16_t)a, b) != okno_seq_newer(b, (uint16_t)a));
            assert_int_equal(okno_seq_diff(b, (uint16_t)a), -okno_seq_diff((uint16_t)a, b));
        }
    }
}

static void test_ts_diff_and_newer_count_across_the_wrap(void **state)
{
    (void)state;
    assert_int_equal(okno_ts_diff(1000, 0xffffff00u), 1256);
    assert_int_equal(okno_ts_diff(0xffffff00u, 1000), -1256);
    assert_true(okno_ts_newer(90000, 0xfffffff0u));
    assert_false(okno_ts_newer(0xfffffff0u, 90000));
    assert_true(okno_ts_newer(0x80000000u, 0));
    assert_false(okno_ts_newer(0, 0x80000000u));
    assert_true(okno_ts_diff(0x80000000u, 0) == 0x80000000LL);
    assert_true(okno_ts_diff(0, 0x80000000u) == -0x80000000LL);
    assert_false(okno_ts_newer(42, 42));
}

static void test_seq_unwrapper_extends_across_several_wraps(void **state)
{
    (void)state;
    struct okno_seq_unwrapper u;
    okno_seq_unwrapper_init(&u);
    int64_t want = 60000;
    assert_true(okno_seq_unwrap(&u, 60000) == want);
    for (int i = 0; i < 200000; i += 1000) {
        want += 1000;
        assert_true(okno_seq_unwrap(&u, (uint16_t)want) == want);
    }
    assert_true(want > 3 * 65536);
}

static void test_seq_unwrapper_places_reordered_packets_across_the_wrap(void **state)
{
    (void)state;
    struct okno_seq_unwrapper u = {0};
    assert_true(okno_seq_unwrap(&u, 65534) == 65534);
    assert_true(okno_seq_unwrap(&u, 1) == 65537);     /* past the wrap */
    assert_true(okno_seq_unwrap(&u, 65535) == 65535); /* late, from before it */
    assert_true(okno_seq_unwrap(&u, 0) == 65536);
    assert_true(okno_seq_unwrap(&u, 2) == 65538);
    assert_true(okno_seq_unwrap(&u, 65533) == 65533);
}

static void test_seq_unwrapper_goes_negative_before_the_first_packet(void **state)
{
    (void)state;
    struct okno_seq_unwrapper u = {0};
    assert_true(okno_seq_unwrap(&u, 3) == 3);
    assert_true(okno_seq_unwrap(&u, 65534) == -2);
    assert_true(okno_seq_unwrap(&u, 4) == 4);
}

static void test_ts_unwrapper_extends_and_reorders_across_the_wrap(void **state)
{
    (void)state;
    struct okno_ts_unwrapper u;
    okno_ts_unwrapper_init(&u);
    const int64_t wrap = (int64_t)1 << 32;
    assert_true(okno_ts_unwrap(&u, 0xfffe7960u) == 0xfffe7960LL); /* 100000 before the wrap */
    assert_true(okno_ts_unwrap(&u, 3000) == wrap + 3000);
    assert_true(okno_ts_unwrap(&u, 0xffffffffu) == wrap - 1); /* B-frame-like reordering */
    assert_true(okno_ts_unwrap(&u, 6000) == wrap + 6000);
    int64_t t = wrap + 6000;
    for (int i = 0; i < 5; i++) {
        t += 0x7fffffff;
        assert_true(okno_ts_unwrap(&u, (uint32_t)t) == t);
    }
    assert_true(t > 3 * wrap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_diff_counts_across_the_wrap),
        cmocka_unit_test(test_seq_newer_is_strict_order_even_half_the_circle_apart),
        cmocka_unit_test(test_ts_diff_and_newer_count_across_the_wrap),
        cmocka_unit_test(test_seq_unwrapper_extends_across_several_wraps),
        cmocka_unit_test(test_seq_unwrapper_places_reordered_packets_across_the_wrap),
        cmocka_unit_test(test_seq_unwrapper_goes_negative_before_the_first_packet),
        cmocka_unit_test(test_ts_unwrapper_extends_and_reorders_across_the_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
