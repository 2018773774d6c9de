/* The estimator's start probes (plugins/bwe/probe.h) when the receiver does not record them: on
 * random-loss, a subscriber's DTLS Finished flight was lost, its client dropped the first second
 * of SRTP, the start probes went unreported, and the estimate crept up from 300 kbit/s at 8 %/s for
 * 10 s until the first periodic probe. They are asked again once feedback flows. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "plugins/bwe/probe.h"

#define MS 1000LL
#define S  1000000LL

#define START_BPS 300000u

static void init(struct okno_gcc_probe *p)
{
    okno_gcc_probe_init(p, 30000, START_BPS, 10000000);
}

/* The sender serves the pending request at now_us with 5 packets of 1,200 bytes, 3 ms apart
 * (enough for either start rate); returns the cluster's id. */
static uint8_t serve(struct okno_gcc_probe *p, int64_t now_us)
{
    assert_true(p->wanted);
    uint8_t id = 0;
    for (int i = 0; i < 5; i++) {
        uint8_t got = okno_gcc_probe_on_sent(p, 1200, now_us + i * 3 * MS, true);
        if (i == 0)
            id = got;
        assert_int_equal(got, id);
    }
    return id;
}

/* Feedback reports the cluster's packets: arrived 50 ms after they left. */
static void report(struct okno_gcc_probe *p, uint8_t id, int64_t sent_us)
{
    for (int i = 0; i < 5; i++)
        okno_gcc_probe_on_report(p, id, true, true, sent_us + 50 * MS + i * 3 * MS, 1200);
}

/* A fresh prober whose two start probes were sent and, 2.1 s on, judged unreported. */
static void start_probes_unreported(struct okno_gcc_probe *p)
{
    init(p);
    okno_gcc_probe_plan(p, START_BPS, false, -1, 0);
    serve(p, 0);
    serve(p, 20 * MS);
    assert_int_equal(okno_gcc_probe_result(p, 2100 * MS, NULL), 0);
    assert_int_equal(okno_gcc_probe_result(p, 2100 * MS, NULL), 0);
}

/* Both start probes sent, neither reported: after the report timeout (2 s), once feedback flows,
 * the 3 x start probe is asked again, and after it the 6 x one; reported this time, they give a
 * result and nothing is asked again. */
static void test_unreported_start_probes_are_asked_again(void **state)
{
    (void)state;
    struct okno_gcc_probe p;
    init(&p);
    okno_gcc_probe_plan(&p, START_BPS, false, -1, 0);
    assert_int_equal(p.want_bps, 3 * START_BPS);
    serve(&p, 10 * MS);
    assert_true(p.wanted); /* the 6 x one follows at once */
    assert_int_equal(p.want_bps, 6 * START_BPS);
    serve(&p, 30 * MS);
    assert_false(p.wanted);
    /* Feedback flows (media reported) but never these clusters: no result, and nothing is asked
     * before they are judged. */
    for (int64_t now = 100 * MS; now < 2 * S; now += 100 * MS) {
        assert_int_equal(okno_gcc_probe_result(&p, now, NULL), 0);
        okno_gcc_probe_plan(&p, START_BPS, true, -1, now);
        assert_false(p.wanted);
    }
    int64_t now = 2100 * MS;
    assert_int_equal(okno_gcc_probe_result(&p, now, NULL), 0); /* judged: no measurement */
    okno_gcc_probe_plan(&p, 320000, true, -1, now);
    assert_true(p.wanted);
    assert_int_equal(p.want_bps, 3 * START_BPS);
    printf("# start probes unreported until %lld ms: asked again at %u bit/s\n",
           (long long)(now / MS), p.want_bps);
    uint8_t first = serve(&p, now);
    assert_int_equal(p.want_bps, 6 * START_BPS);
    uint8_t second = serve(&p, now + 20 * MS);
    report(&p, first, now);
    report(&p, second, now + 20 * MS);
    uint32_t r1 = okno_gcc_probe_result(&p, now + 200 * MS, NULL);
    uint32_t r2 = okno_gcc_probe_result(&p, now + 200 * MS, NULL);
    assert_int_not_equal(r1, 0);
    assert_int_not_equal(r2, 0);
    /* The exponential search goes on from the results as usual; the start is not asked again. */
    assert_true(p.wanted);
    assert_true(p.want_bps > 6 * START_BPS);
    assert_false(p.start_again);
}

/* Not without feedback: the retry waits until feedback flows. */
static void test_retry_waits_for_feedback(void **state)
{
    (void)state;
    struct okno_gcc_probe p;
    start_probes_unreported(&p);
    for (int64_t now = 2100 * MS; now < 6 * S; now += 100 * MS) {
        okno_gcc_probe_plan(&p, START_BPS, false, -1, now);
        assert_false(p.wanted);
    }
    okno_gcc_probe_plan(&p, START_BPS, true, -1, 6 * S);
    assert_true(p.wanted);
    assert_int_equal(p.want_bps, 3 * START_BPS);
}

/* One start probe reported is enough: the other one's silence asks nothing again. Nor once the
 * target is already above the start probes' rate. */
static void test_no_retry_when_heard_or_above(void **state)
{
    (void)state;
    struct okno_gcc_probe p;
    init(&p);
    okno_gcc_probe_plan(&p, START_BPS, false, -1, 0);
    uint8_t first = serve(&p, 0);
    serve(&p, 20 * MS);
    report(&p, first, 0); /* the 3 x one arrived; the 6 x one never did */
    assert_int_not_equal(okno_gcc_probe_result(&p, 100 * MS, NULL), 0);
    p.wanted = false; /* the search's next request, not served */
    assert_int_equal(okno_gcc_probe_result(&p, 2100 * MS, NULL), 0);
    okno_gcc_probe_plan(&p, START_BPS, true, -1, 2200 * MS);
    assert_false(p.start_again);
    assert_false(p.wanted);

    start_probes_unreported(&p);
    okno_gcc_probe_plan(&p, 3 * START_BPS, true, -1, 2200 * MS);
    assert_false(p.wanted);
}

/* A sender that cannot probe yet (no video to pad with) leaves the request unsent; after the
 * request's 1 s it is asked again once feedback flows, at most OKNO_GCC_PROBE_START_RETRIES
 * times in all, so a sender that never probes is not asked forever. */
static void test_unsent_start_probe_is_asked_again_a_few_times(void **state)
{
    (void)state;
    struct okno_gcc_probe p;
    init(&p);
    int asked = 0;
    for (int64_t now = 0; now < 20 * S; now += 100 * MS) {
        bool before = p.wanted;
        okno_gcc_probe_plan(&p, START_BPS, true, -1, now);
        if (p.wanted && !before && p.want_bps == 3 * START_BPS)
            asked++;
    }
    printf("# a sender that never probes: the start probe asked %d times in 20 s\n", asked);
    assert_int_equal(asked, 1 + OKNO_GCC_PROBE_START_RETRIES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unreported_start_probes_are_asked_again),
        cmocka_unit_test(test_retry_waits_for_feedback),
        cmocka_unit_test(test_no_retry_when_heard_or_above),
        cmocka_unit_test(test_unsent_start_probe_is_asked_again_a_few_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
