#include "testutil.h"
#include "net/ice_config.h"
#include "okno/err.h"

static void test_ice_config_defaults_are_controlled_udp_and_passive_tcp(void **state)
{
    (void)state;
    struct okno_ice_config cfg;
    okno_ice_config_init(&cfg);
    assert_true(cfg.udp);
    assert_int_equal(cfg.tcp, OKNO_ICE_TCP_PASSIVE);
    assert_false(cfg.controlling);
    assert_int_equal(cfg.n_addresses, 0);
    assert_int_equal(cfg.port_min, 0);
    assert_string_equal(cfg.announced, "");
}

static void test_ice_config_add_address_rejects_names_duplicates_and_overflow(void **state)
{
    (void)state;
    struct okno_ice_config cfg;
    okno_ice_config_init(&cfg);
    assert_int_equal(okno_ice_config_add_address(&cfg, "127.0.0.1"), 0);
    assert_int_equal(okno_ice_config_add_address(&cfg, "::1"), 0);
    assert_int_equal(okno_ice_config_add_address(&cfg, "127.0.0.1"), OKNO_E_EXISTS);
    assert_int_equal(okno_ice_config_add_address(&cfg, "localhost"), OKNO_E_INVAL);
    assert_int_equal(okno_ice_config_add_address(&cfg, "fe80::1%eth0"), OKNO_E_INVAL);
    assert_int_equal(okno_ice_config_add_address(&cfg, "1.2.3.256"), OKNO_E_INVAL);
    assert_int_equal(okno_ice_config_add_address(&cfg, ""), OKNO_E_INVAL);
    assert_int_equal(okno_ice_config_add_address(&cfg, NULL), OKNO_E_INVAL);
    assert_int_equal(cfg.n_addresses, 2);
    for (int i = 2; i < OKNO_ICE_MAX_ADDRESSES; i++) {
        char a[32];
        snprintf(a, sizeof a, "10.0.0.%d", i);
        assert_int_equal(okno_ice_config_add_address(&cfg, a), 0);
    }
    assert_int_equal(okno_ice_config_add_address(&cfg, "10.1.1.1"), OKNO_E_NOSPC);
    assert_string_equal(cfg.addresses[1], "::1");
}

static void test_ice_config_default_addresses_start_with_loopback_and_skip_link_local(void **state)
{
    (void)state;
    struct okno_ice_config cfg;
    okno_ice_config_init(&cfg);
    int n = okno_ice_config_add_default_addresses(&cfg);
    assert_true(n >= 1);
    assert_int_equal((size_t)n, cfg.n_addresses);
    assert_string_equal(cfg.addresses[0], "127.0.0.1");
    for (size_t i = 0; i < cfg.n_addresses; i++)
        assert_false(strncmp(cfg.addresses[i], "fe80:", 5) == 0);
    /* Twice is harmless: everything is already listed. */
    assert_int_equal(okno_ice_config_add_default_addresses(&cfg), n);
}

static void test_ice_config_port_range_needs_both_ends_in_order(void **state)
{
    (void)state;
    struct okno_ice_config cfg;
    okno_ice_config_init(&cfg);
    assert_int_equal(okno_ice_config_set_port_range(&cfg, 40000, 40099), 0);
    assert_int_equal(cfg.port_min, 40000);
    assert_int_equal(cfg.port_max, 40099);
    assert_int_equal(okno_ice_config_set_port_range(&cfg, 0, 40099), OKNO_E_RANGE);
    assert_int_equal(okno_ice_config_set_port_range(&cfg, 40100, 40099), OKNO_E_RANGE);
    assert_int_equal(cfg.port_min, 40000);
    assert_int_equal(okno_ice_config_set_port_range(&cfg, 0, 0), 0);
    assert_int_equal(cfg.port_max, 0);
}

static void test_ice_config_announced_address_must_be_an_ip(void **state)
{
    (void)state;
    struct okno_ice_config cfg;
    okno_ice_config_init(&cfg);
    assert_int_equal(okno_ice_config_set_announced(&cfg, "203.0.113.7"), 0);
    assert_string_equal(cfg.announced, "203.0.113.7");
    assert_int_equal(okno_ice_config_set_announced(&cfg, "okno.example.org"), OKNO_E_INVAL);
    assert_string_equal(cfg.announced, "203.0.113.7");
    assert_int_equal(okno_ice_config_set_announced(&cfg, NULL), 0);
    assert_string_equal(cfg.announced, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ice_config_defaults_are_controlled_udp_and_passive_tcp),
        cmocka_unit_test(test_ice_config_add_address_rejects_names_duplicates_and_overflow),
        cmocka_unit_test(test_ice_config_default_addresses_start_with_loopback_and_skip_link_local),
        cmocka_unit_test(test_ice_config_port_range_needs_both_ends_in_order),
        cmocka_unit_test(test_ice_config_announced_address_must_be_an_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
