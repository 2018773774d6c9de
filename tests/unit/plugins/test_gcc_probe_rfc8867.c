/* The estimator with probing on RFC 8867 5.1's capacity pattern (1.0 -> 2.5 -> 0.6 -> 1.0 Mbit/s
 * at 40, 60, 80 s; 50 ms one way, a 300 ms tail-drop queue) in simulated time (gcc_sim.h: a sender
 * paced at the target that sends the probe clusters asked for): after each rise the target reaches
 * 80 % of the new capacity within a few seconds (the rise after the drop is found by the probes
 * that follow a large drop, not by the 5 s ALR period), and the queue the probes and the steps
 * build stays short (95th percentile of the per-100 ms queuing delay). The same run without probes
 * is printed for comparison. Deterministic: figures do not depend on the machine. */
#include "testutil.h"

#include "gcc_sim.h"

#define MS 1000
#define S  1000000

struct rise {
    int64_t at_us;
    uint64_t bps;
    int64_t reached_us; /* -1: not yet */
};

struct result {
    struct rise rise[2]; /* 1.0 -> 2.5 at 40 s, 0.6 -> 1.0 at 80 s */
    int64_t queue_p95_us;
    uint64_t probes;
    /* what the link delivered in each phase (0-40, 40-60, 60-80, 80-100 s), padding included */
    uint64_t bytes[4];
};

static const uint64_t phase_bps[4] = {1000000, 2500000, 600000, 1000000};
static const int64_t phase_us[4] = {40 * S, 20 * S, 20 * S, 20 * S};

static double utilization(const struct result *r, int phase)
{
    uint64_t got = 0, cap = 0;
    for (int i = 0; i < 4; i++) {
        if (phase >= 0 && i != phase)
            continue;
        got += r->bytes[i] * 8;
        cap += phase_bps[i] * (uint64_t)(phase_us[i] / S);
    }
    return (double)got / (double)cap;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static struct okno_link_params link_at(uint64_t bps)
{
    return (struct okno_link_params){
        .capacity_bps = bps, .delay_us = 50 * MS, .queue_us = 300 * MS};
}

static void run(bool probes, struct result *out)
{
    struct okno_link_params lp = link_at(1000000);
    struct sim *s = sim_new(NULL, &lp, 5);
    s->no_probe = !probes;
    static int64_t queue[1000];
    size_t nq = 0;
    *out = (struct result){.rise = {{40 * S, 2500000, -1}, {80 * S, 1000000, -1}}};
    while (s->now_us < 100 * S) {
        if (s->now_us == 40 * S || s->now_us == 60 * S || s->now_us == 80 * S) {
            lp = link_at(s->now_us == 40 * S ? 2500000 : s->now_us == 60 * S ? 600000 : 1000000);
            sim_set_link(s, &lp);
        }
        int phase = s->now_us < 40 * S ? 0 : s->now_us < 60 * S ? 1 : s->now_us < 80 * S ? 2 : 3;
        struct okno_gcc_estimate e = sim_step(s, 100 * MS);
        out->bytes[phase] += s->bytes_out;
        if (nq < 1000)
            queue[nq++] = s->max_owd_us > 50 * MS ? s->max_owd_us - 50 * MS : 0;
        for (int i = 0; i < 2; i++) {
            struct rise *r = &out->rise[i];
            if (r->reached_us < 0 && s->now_us > r->at_us && s->now_us <= r->at_us + 20 * S &&
                e.target_bps >= 0.8 * r->bps)
                r->reached_us = s->now_us - r->at_us;
        }
    }
    qsort(queue, nq, sizeof queue[0], cmp64);
    out->queue_p95_us = queue[nq * 95 / 100];
    struct okno_gcc_stats st;
    okno_gcc_stats(s->g, &st);
    out->probes = st.probes;
    sim_free(s);
}

static void test_rfc8867_5_1_rises_are_found_by_probes(void **state)
{
    (void)state;
    struct result with, without;
    run(true, &with);
    run(false, &without);
    const struct result *rs[2] = {&with, &without};
    for (int k = 0; k < 2; k++)
        printf("# rfc8867-5.1 %s probes: 80 %% of 2.5 Mbit/s %.1f s after the rise, of 1.0 Mbit/s "
               "%.1f s after; queuing delay p95 %lld ms; %llu clusters\n",
               k == 0 ? "with" : "without", (double)rs[k]->rise[0].reached_us / S,
               (double)rs[k]->rise[1].reached_us / S, (long long)(rs[k]->queue_p95_us / MS),
               (unsigned long long)rs[k]->probes);
    for (int k = 0; k < 2; k++)
        printf("# rfc8867-5.1 %s probes: utilization %.1f %% (per phase %.1f / %.1f / %.1f / %.1f "
               "%%)\n",
               k == 0 ? "with" : "without", 100 * utilization(rs[k], -1),
               100 * utilization(rs[k], 0), 100 * utilization(rs[k], 1),
               100 * utilization(rs[k], 2), 100 * utilization(rs[k], 3));
    for (int i = 0; i < 2; i++) {
        assert_true(with.rise[i].reached_us >= 0);
        assert_true(with.rise[i].reached_us <= 3 * S);
    }
    assert_true(with.queue_p95_us < 150 * MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8867_5_1_rises_are_found_by_probes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
