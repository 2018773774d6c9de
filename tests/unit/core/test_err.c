#include "testutil.h"
#include "okno/err.h"

static void test_every_error_has_distinct_name_and_text(void **state)
{
    (void)state;
#define CHECK(name, code, msg)                                                                     \
    assert_string_equal(okno_err_name(code), "OKNO_E_" #name);                                     \
    assert_string_equal(okno_strerror(code), msg);                                                 \
    assert_true((code) < 0);
    OKNO_ERRNO_MAP(CHECK)
#undef CHECK
    assert_string_equal(okno_strerror(OKNO_OK), "success");
    assert_string_equal(okno_err_name(12345), "OKNO_E_UNKNOWN");
    assert_string_equal(okno_strerror(-9999), "unknown error");
}

static void test_hex_fixture_helper_skips_comments(void **state)
{
    (void)state;
    uint8_t buf[8];
    size_t n = okno_test_hex("80 60 # V=2, PT=96\n"
                             "00 01 // seq 1\n",
                             buf, sizeof buf);
    assert_int_equal(n, 4);
    assert_int_equal(buf[0], 0x80);
    assert_int_equal(buf[1], 0x60);
    assert_int_equal(buf[3], 0x01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_error_has_distinct_name_and_text),
        cmocka_unit_test(test_hex_fixture_helper_skips_comments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
