/* The rise hint (plugins/bwe/rise_hint.h): pairs at a full link's rate or through a jittery one
 * do not hint, pairs well above the target do, spaced; pairs sent apart, arrived together or long
 * ago say nothing; the probe's side (okno_gcc_probe_hint); and the estimator as a whole asking for
 * a probe at twice its target within a second of its pairs arriving at 2.5 Mbit/s, and asking for
 * none while it drains a standing queue. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "plugins/bwe/gcc.h"
#include "plugins/bwe/probe.h"
#include "plugins/bwe/rise_hint.h"
#include "wire/twcc.h"

#define MS 1000LL
#define S  1000000LL

/* n pairs of 1200-byte packets sent together, spread by a link of link_bps (plus extra_us[i % 4]
 * when given), one pair every 20 ms from *t; each pair is followed by a check against target_bps.
 * Returns the hints. */
static int pairs(struct okno_gcc_rise *r, int64_t *t, int n, double link_bps, uint32_t target_bps,
                 const int64_t *extra_us)
{
    int hints = 0;
    int64_t gap = (int64_t)(1200 * 8 * 1e6 / link_bps);
    for (int i = 0; i < n; i++, *t += 20 * MS) {
        int64_t g = gap + (extra_us ? extra_us[i % 4] : 0);
        okno_gcc_rise_on_pair(r, 1200, 100, g, *t);
        hints += okno_gcc_rise_check(r, target_bps, *t);
    }
    return hints;
}

static void test_pairs_at_the_link_rate_do_not_hint(void **state)
{
    (void)state;
    struct okno_gcc_rise r;
    okno_gcc_rise_init(&r);
    int64_t t = 0;
    /* A full 1.0 Mbit/s link under a target that saws between 0.8 and 1.05 Mbit/s. */
    assert_int_equal(pairs(&r, &t, 500, 1000000, 800000, NULL), 0);
    assert_int_equal(pairs(&r, &t, 500, 1000000, 1050000, NULL), 0);
    /* A 240 kbit/s link with 40 ms of jitter: pairs spread and bunched at random. */
    okno_gcc_rise_init(&r);
    static const int64_t jitter[4] = {-35 * MS, 30 * MS, -20 * MS, 40 * MS};
    assert_int_equal(pairs(&r, &t, 500, 240000, 200000, jitter), 0);
}

static void test_pairs_above_the_target_hint_spaced(void **state)
{
    (void)state;
    struct okno_gcc_rise r;
    okno_gcc_rise_init(&r);
    int64_t t = 0;
    assert_int_equal(pairs(&r, &t, 100, 1000000, 900000, NULL), 0);
    /* The link went to 2.5 Mbit/s: the hint comes once three quarters of the pairs kept (the last
     * 32 of the last second) say more than 1.35... */
    int64_t rise = t;
    int hints = 0;
    while (hints == 0 && t < rise + 2 * S)
        hints += pairs(&r, &t, 1, 2500000, 900000, NULL);
    assert_int_equal(hints, 1);
    assert_true(t - rise <= 25 * 20 * MS);
    /* ...and again only 2 s later, from pairs that came after the first hint. */
    int64_t first = t - 20 * MS;
    while (hints == 1 && t < first + 5 * S)
        hints += pairs(&r, &t, 1, 2500000, 900000, NULL);
    assert_int_equal(hints, 2);
    assert_true(t - 20 * MS - first >= OKNO_GCC_RISE_GAP_US);
    /* Half the pairs slow keeps it quiet: the rate is not clearly above. Every other pair
     * arrives 10 ms apart (0.96 Mbit/s) instead of 3.84. */
    okno_gcc_rise_init(&r);
    static const int64_t slow[4] = {0, 10 * MS - 1200 * 8 * S / 2500000, 0,
                                    10 * MS - 1200 * 8 * S / 2500000};
    assert_int_equal(pairs(&r, &t, 200, 2500000, 900000, slow), 0);
}

static void test_pairs_that_say_nothing(void **state)
{
    (void)state;
    struct okno_gcc_rise r;
    okno_gcc_rise_init(&r);
    int64_t t = 0;
    for (int i = 0; i < 100; i++, t += 20 * MS) {
        okno_gcc_rise_on_pair(&r, 1200, 5 * MS, 5 * MS, t); /* sent apart: paced, not a pair */
        okno_gcc_rise_on_pair(&r, 1200, 0, 0, t);           /* arrived together: bunched */
        okno_gcc_rise_on_pair(&r, 0, 0, 1 * MS, t);
        assert_false(okno_gcc_rise_check(&r, 100000, t));
    }
    assert_int_equal(r.n, 0);
    /* Pairs a second older than the newest do not count. */
    for (int i = 0; i < 11; i++)
        okno_gcc_rise_on_pair(&r, 1200, 0, 1 * MS, t + i * MS);
    okno_gcc_rise_on_pair(&r, 1200, 0, 1 * MS, t + 2 * S);
    assert_false(okno_gcc_rise_check(&r, 100000, t + 2 * S));
    okno_gcc_rise_on_pair(&r, 1200, 0, 1 * MS, t + 2 * S);
    assert_false(okno_gcc_rise_check(&r, 100000, t + 2 * S));
    for (int i = 0; i < 10; i++)
        okno_gcc_rise_on_pair(&r, 1200, 0, 1 * MS, t + 2 * S + i * MS);
    assert_true(okno_gcc_rise_check(&r, 100000, t + 2 * S));
    assert_false(okno_gcc_rise_check(&r, 0, t + 5 * S));
}

static void test_probe_hint(void **state)
{
    (void)state;
    struct okno_gcc_probe p;
    okno_gcc_probe_init(&p, 30000, 300000, 2000000);
    /* Before the start probes were asked for, a hint asks nothing. */
    assert_false(okno_gcc_probe_hint(&p, 500000, 0));
    okno_gcc_probe_plan(&p, 300000, false, -1, 0);
    assert_true(p.wanted); /* the first start probe */
    assert_false(okno_gcc_probe_hint(&p, 500000, 10 * MS));
    /* The start probe timed out unsent: now a hint asks at twice the target. */
    okno_gcc_probe_plan(&p, 300000, false, -1, 1100 * MS);
    assert_false(p.wanted);
    assert_true(okno_gcc_probe_hint(&p, 500000, 1100 * MS));
    assert_true(p.wanted);
    assert_int_equal(p.want_bps, 1000000);
    assert_false(okno_gcc_probe_hint(&p, 500000, 1101 * MS)); /* asked already */
    /* Sent, it counts as the first start probe: the second (6 x the start) follows. */
    for (int i = 0; i < 5; i++)
        okno_gcc_probe_on_sent(&p, 1200, 1102 * MS + i * MS, true);
    assert_true(p.wanted);
    assert_int_equal(p.want_bps, 1800000);
    for (int i = 0; i < 5; i++)
        okno_gcc_probe_on_sent(&p, 1200, 1130 * MS + i * MS, true);
    assert_false(p.wanted);
    /* The next hint waits a second from the last request. */
    assert_false(okno_gcc_probe_hint(&p, 500000, 1500 * MS));
    assert_true(okno_gcc_probe_hint(&p, 500000, 2200 * MS));
    for (int i = 0; i < 5; i++)
        okno_gcc_probe_on_sent(&p, 1200, 2101 * MS + i * MS, true);
    /* At the maximum there is nothing to find; off, nothing is asked. */
    assert_false(okno_gcc_probe_hint(&p, 2000000, 4 * S));
    okno_gcc_probe_set_off(&p, true);
    assert_false(okno_gcc_probe_hint(&p, 500000, 5 * S));
    assert_false(p.wanted);
}

/* One feedback every 100 ms on ten 1200-byte packets sent in pairs (two every 20 ms: 960 kbit/s),
 * through a link of link_bps that was idle before each pair, 50 ms away, with queued_us of
 * standing queue in front of it; returns the estimate. */
static struct okno_gcc_estimate step_queued(struct okno_gcc *g, uint16_t *seq, int64_t *t,
                                            double link_bps, int64_t queued_us)
{
    struct okno_twcc_entry e[10];
    int64_t ser = (int64_t)(1200 * 8 * 1e6 / link_bps);
    for (int i = 0; i < 10; i++) {
        int64_t sent = *t + (i / 2) * 20 * MS + (i % 2) * 100;
        okno_gcc_on_packet_sent(g, *seq, 1200, sent, false);
        int64_t arrival = *t + (i / 2) * 20 * MS + 50 * MS + queued_us + (i % 2 + 1) * ser;
        e[i] = (struct okno_twcc_entry){
            .seq = (*seq)++, .status = OKNO_TWCC_SMALL_DELTA, .arrival_us = arrival};
    }
    *t += 100 * MS;
    uint8_t buf[256];
    static uint8_t count;
    struct okno_twcc_build_opts o = {.sender_ssrc = 1, .media_ssrc = 2, .fb_count = count++};
    size_t used = 0;
    int len = okno_twcc_build(&o, e, 10, buf, sizeof buf, &used);
    assert_true(len > 0);
    assert_int_equal(used, 10);
    struct okno_twcc_fb fb;
    assert_int_equal(okno_twcc_parse(buf, (size_t)len, &fb), len);
    int64_t now = *t + 60 * MS;
    assert_int_equal(okno_gcc_on_feedback(g, &fb, now), 0);
    struct okno_gcc_estimate est;
    okno_gcc_estimate(g, now, &est);
    return est;
}

static struct okno_gcc_estimate step(struct okno_gcc *g, uint16_t *seq, int64_t *t, double link_bps)
{
    return step_queued(g, seq, t, link_bps, 0);
}

/* An estimator starting at 900 kbit/s. */
static struct okno_gcc *new_estimator(void)
{
    struct okno_gcc *g;
    struct okno_gcc_config cfg = {.start_bps = 900000};
    assert_int_equal(okno_gcc_create(&cfg, 0, &g), 0);
    return g;
}

static void test_estimator_probes_when_pairs_say_the_link_rose(void **state)
{
    (void)state;
    struct okno_gcc *g = new_estimator();
    uint16_t seq = 0;
    int64_t t = 0;
    struct okno_gcc_stats st;
    /* 5 s on a 1.0 Mbit/s link: the start probes, never sent here, are asked again three times
     * and given up by then; the first periodic probe is 3 s away. */
    for (int i = 0; i < 50; i++)
        step(g, &seq, &t, 1000000);
    okno_gcc_stats(g, &st);
    assert_int_equal(st.rise_hints, 0);
    /* The link goes to 2.5 Mbit/s: within a second (25 pairs) a probe at twice the target is
     * asked. */
    bool asked = false;
    for (int i = 0; i < 10 && !asked; i++) {
        struct okno_gcc_estimate e = step(g, &seq, &t, 2500000);
        okno_gcc_stats(g, &st);
        if (st.rise_hints == 1) {
            asked = true;
            assert_true(e.probe_wanted);
            assert_int_equal(e.probe_bps, 2 * e.target_bps);
        }
    }
    assert_true(asked);
    okno_gcc_destroy(g);
}

/* A queue that stands without growing (60 ms, flat: the trendline sees nothing) is drained
 * (standing_queue.h). While the drain runs no probe is asked, though the periodic one falls due
 * in it: a probe would refill the queue being drained, and a drain ignores what a probe measures
 * anyway (okno probed at twice the drained rate 10-90 ms after such a drain began on RFC 8867's
 * drop to 0.6 Mbit/s, into a full queue). Once the queue is gone, probing goes on. */
static void test_no_probe_while_a_standing_queue_drains(void **state)
{
    (void)state;
    struct okno_gcc *g = new_estimator();
    uint16_t seq = 0;
    int64_t t = 0;
    struct okno_gcc_stats st;
    /* The periodic probe, never sent here, is asked at 8 s and next due 5 s after that. */
    bool was = false;
    int64_t asked_at = -1;
    while (t < 11500 * MS) {
        struct okno_gcc_estimate e = step(g, &seq, &t, 1000000);
        if (e.probe_wanted && !was)
            asked_at = t;
        was = e.probe_wanted;
    }
    assert_in_range(asked_at, 7500 * MS, 8500 * MS);
    okno_gcc_stats(g, &st);
    uint64_t drains = st.drains, rebases = st.rebases;
    int64_t drain_at = -1, rebase_at = -1;
    int asked_in_drain = 0;
    while (t < 16 * S) {
        struct okno_gcc_estimate e = step_queued(g, &seq, &t, 1000000, 60 * MS);
        okno_gcc_stats(g, &st);
        if (drain_at < 0 && st.drains > drains)
            drain_at = t;
        if (rebase_at < 0 && st.rebases > rebases)
            rebase_at = t;
        if (e.probe_wanted && !was && drain_at >= 0 && rebase_at < 0)
            asked_in_drain++;
        was = e.probe_wanted;
    }
    printf("# 60 ms standing from 11.5 s: drained from %.1f s, taken as a longer path at %.1f s, "
           "probes asked in between %d\n",
           (double)drain_at / 1e6, (double)rebase_at / 1e6, asked_in_drain);
    /* The drain runs 2 s (the delay did not fall: the path got longer, standing_queue.h), over
     * the periodic probe's 13 s. */
    assert_true(drain_at > 11500 * MS && drain_at < 13 * S);
    assert_true(rebase_at > 13 * S);
    assert_int_equal(asked_in_drain, 0);
    /* Over (the 60 ms measured as the path's own): the probe comes. */
    int asked_after = 0;
    while (t < 22 * S) {
        struct okno_gcc_estimate e = step(g, &seq, &t, 1000000);
        if (e.probe_wanted && !was)
            asked_after++;
        was = e.probe_wanted;
    }
    assert_true(asked_after > 0);
    okno_gcc_destroy(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairs_at_the_link_rate_do_not_hint),
        cmocka_unit_test(test_pairs_above_the_target_hint_spaced),
        cmocka_unit_test(test_pairs_that_say_nothing),
        cmocka_unit_test(test_probe_hint),
        cmocka_unit_test(test_estimator_probes_when_pairs_say_the_link_rose),
        cmocka_unit_test(test_no_probe_while_a_standing_queue_drains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
