/* The estimator (plugins/bwe/gcc.h) in closed loop against the link emulator's model in simulated
 * time (gcc_sim.h): start-up, capacity steps, random versus congestive loss, an outage, and
 * determinism. Figures are printed as TAP comments; assertions use wide functional margins. */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "gcc_sim.h"

#define MS 1000LL
#define S  1000000LL

static bool verbose(void)
{
    return getenv("GCC_SIM_VERBOSE") != NULL;
}

static void trace(const char *name, const struct sim *s, const struct okno_gcc_estimate *e)
{
    if (!verbose())
        return;
    printf("# %s t=%.1f target=%u delay=%u loss=%u acked=%u q=%.1fms owdmax=%.1fms usage=%d "
           "state=%d trend=%.2f thr=%.2f lr=%.3f cong=%d probe=%d/%u\n",
           name, (double)s->now_us / 1e6, e->target_bps, e->delay_bps, e->loss_bps, e->acked_bps,
           (double)e->queue_delay_us / 1e3, (double)s->max_owd_us / 1e3, e->usage, e->state,
           e->trend_ms, e->threshold_ms, e->loss_ratio, e->congestive_loss, e->probe_wanted,
           e->probe_bps);
}

static struct okno_link_params link_at(uint64_t bps)
{
    return (struct okno_link_params){
        .capacity_bps = bps, .delay_us = 40 * MS, .queue_us = 500 * MS};
}

/* Start-up on a 1 Mbit/s link from the default 300 kbit/s. */
static void test_startup(void **state)
{
    (void)state;
    struct okno_link_params lp = link_at(1000000);
    struct sim *s = sim_new(NULL, &lp, 1);
    double sum = 0, lo = 1e12, hi = 0;
    int n = 0;
    int64_t owd_max_late = 0;
    int64_t reached_us = -1;
    for (int i = 0; i < 150; i++) {
        struct okno_gcc_estimate e = sim_step(s, 100 * MS);
        trace("startup", s, &e);
        if (reached_us < 0 && e.target_bps >= 850000)
            reached_us = s->now_us;
        if (s->now_us > 5 * S && s->max_owd_us > owd_max_late)
            owd_max_late = s->max_owd_us;
        if (s->now_us > 7 * S && s->now_us <= 12 * S) {
            sum += e.target_bps;
            n++;
            lo = fmin(lo, e.target_bps);
            hi = fmax(hi, e.target_bps);
        }
    }
    double mean = sum / n;
    printf("# startup 1 Mbit/s: 85 %% reached at %.1f s; target 7-12 s mean %.0f min %.0f max %.0f "
           "bit/s; one-way delay max after 5 s %.0f ms (base 40)\n",
           (double)reached_us / 1e6, mean, lo, hi, (double)owd_max_late / 1e3);
    assert_true(reached_us > 0 && reached_us <= 10 * S);
    assert_true(mean >= 850000 && mean <= 1050000);
    assert_true(lo >= 700000);
    assert_true(owd_max_late < 40 * MS + 300 * MS);
    struct okno_gcc_stats st;
    okno_gcc_stats(s->g, &st);
    assert_int_equal(st.unknown_seq, 0);
    assert_int_equal(s->fb_errors, 0);
    sim_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_startup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
