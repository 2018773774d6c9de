/* The per temporal layer rate meter: rates of a complete window, cumulative sums, layers that
 * stop, silence, and a layer index out of range. Times are made up. */
#include "testutil.h"

#include "sfu/layer_meter.h"

#define MS 1000

static void test_layer_meter_measures_each_layer_of_a_window(void **state)
{
    (void)state;
    struct okno_layer_meter m;
    okno_layer_meter_init(&m);
    assert_int_equal(okno_layer_meter_bps(&m, 3), 0);
    /* One second of 1000-byte packets: 25 of TL0, 25 of TL1, 50 of TL2 per second. */
    for (int i = 0; i < 100; i++)
        okno_layer_meter_on_packet(&m,
                                   i % 4 == 0   ? 0
                                   : i % 4 == 2 ? 1
                                                : 2,
                                   1000, 1 * MS + i * 10 * MS);
    /* Not complete yet: nothing known. */
    assert_int_equal(okno_layer_meter_bps(&m, 2), 0);
    okno_layer_meter_update(&m, 1001 * MS);
    assert_int_equal(m.n_temporal, 3);
    assert_int_equal(okno_layer_meter_bps(&m, 0), 200000);
    assert_int_equal(okno_layer_meter_bps(&m, 1), 400000);
    assert_int_equal(okno_layer_meter_bps(&m, 2), 800000);
    assert_int_equal(okno_layer_meter_bps(&m, 3), 800000);
}

static void test_layer_meter_forgets_layers_that_stop_and_silence(void **state)
{
    (void)state;
    struct okno_layer_meter m;
    okno_layer_meter_init(&m);
    for (int i = 0; i < 50; i++)
        okno_layer_meter_on_packet(&m, (uint8_t)(i % 2), 500, 1 + i * 20 * MS);
    /* The next window has TL0 only. */
    for (int i = 0; i < 50; i++)
        okno_layer_meter_on_packet(&m, 0, 500, 1 + 1000 * MS + i * 20 * MS);
    assert_int_equal(m.n_temporal, 2);
    okno_layer_meter_update(&m, 1 + 2000 * MS);
    assert_int_equal(m.n_temporal, 1);
    assert_int_equal(okno_layer_meter_bps(&m, 3), 200000);
    /* Two silent seconds: the last complete window sent nothing. */
    okno_layer_meter_update(&m, 1 + 4000 * MS);
    assert_int_equal(m.n_temporal, 0);
    assert_int_equal(okno_layer_meter_bps(&m, 3), 0);
    /* A junk layer index counts as the top one. */
    okno_layer_meter_on_packet(&m, 200, 125, 1 + 4100 * MS);
    okno_layer_meter_update(&m, 1 + 5000 * MS);
    assert_int_equal(m.bps[3], 1000);
    assert_int_equal(m.n_temporal, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer_meter_measures_each_layer_of_a_window),
        cmocka_unit_test(test_layer_meter_forgets_layers_that_stop_and_silence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
