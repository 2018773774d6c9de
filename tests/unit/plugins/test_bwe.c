/* The bwe plugin (plugins/bwe/bwe.c), loaded by the real plugin host from the build's
 * plugins/.libs/: its [plugin.bwe] settings and their errors, and its estimators driven through the
 * ABI (include/okno/bwe.h) side by side with the GCC library called directly on the same wire
 * feedback. The plugin hands the library the statuses the host parsed as they are
 * (okno_gcc_on_feedback_entries); the two must agree exactly at every step, over a simulated call
 * on a bottleneck link that first has room and then shrinks. */
#include "testutil.h"

#include <glib.h>

#include "host_fixture.h"
#include "okno/bwe.h"
#include "plugins/bwe/gcc.h"
#include "wire/twcc.h"

#define PLUGIN_DIR OKNO_BUILDDIR "/plugins/.libs"

struct fixture {
    struct okno_test_host h;
    const struct okno_bwe_ops *ops;
    void *state;
};

static int fixture_load(struct fixture *f, const char *group, char **why)
{
    memset(f, 0, sizeof *f);
    char *text = g_strconcat("[plugin.bwe]\n", group, NULL);
    okno_test_host_new(&f->h, "bwe.conf", PLUGIN_DIR, text, NULL);
    g_free(text);
    int rc = okno_plugin_host_load(f->h.host, "bwe", why);
    if (rc == 0) {
        const struct okno_plugin_descriptor *d =
            okno_plugin_host_find_kind(f->h.host, OKNO_BWE_KIND, &f->state);
        assert_non_null(d);
        assert_string_equal(d->name, "bwe");
        f->ops = d->ops;
        assert_true(okno_bwe_ops_valid(f->ops));
        assert_true(OKNO_BWE_OPS_HAS(f->ops, counters));
    }
    return rc;
}

static char *fixture_log(struct fixture *f)
{
    return okno_test_host_log(&f->h);
}

static void fixture_free(struct fixture *f)
{
    okno_test_host_free(&f->h);
}

static void test_loads_with_its_settings_and_refuses_bad_ones(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fixture_load(&f, "", NULL), 0);
    char *log = fixture_log(&f);
    assert_non_null(strstr(log, "[plugin.bwe] send-side GCC estimates within 30..10000 kbit/s "
                                "from 300"));
    g_free(log);
    fixture_free(&f);

    assert_int_equal(fixture_load(&f, "min_kbps = 50\nstart_kbps = 500\nmax_kbps = 2500\n", NULL),
                     0);
    log = fixture_log(&f);
    assert_non_null(strstr(log, "within 50..2500 kbit/s from 500, probing on"));
    g_free(log);
    fixture_free(&f);

    assert_int_equal(fixture_load(&f, "probing = false\n", NULL), 0);
    log = fixture_log(&f);
    assert_non_null(strstr(log, "from 300, probing off"));
    g_free(log);
    fixture_free(&f);

    static const struct {
        const char *group, *logged;
    } bad[] = {
        {"start_kbps = 20\nmin_kbps = 40\n", "min_kbps (40) <= start_kbps (20) <= max_kbps"},
        {"max_kbps = 100\n", "min_kbps (30) <= start_kbps (300) <= max_kbps (100)"},
        {"max_kbps = lots\n", "max_kbps: must be an integer"},
        {"min_kbps = 5\n", "min_kbps: must be between 10 and 1000000"},
        {"start_bps = 300000\n", "start_bps: unknown key"},
        {"probing = sometimes\n", "probing"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *why = NULL;
        assert_int_equal(fixture_load(&f, bad[i].group, &why), OKNO_E_CONFIG);
        assert_non_null(strstr(why, "init failed"));
        log = fixture_log(&f);
        if (!strstr(log, bad[i].logged))
            fail_msg("'%s' logged '%s', not '%s'", bad[i].group, log, bad[i].logged);
        g_free(log);
        g_free(why);
        fixture_free(&f);
    }
}

/* --- the plugin against the library ----------------------------------------------------------- */

struct pair {
    const struct okno_bwe_ops *ops;
    void *est;
    struct okno_gcc *gcc;
};

static void assert_same(const struct pair *p, int64_t now_us, uint32_t *target)
{
    struct okno_bwe_estimate a;
    memset(&a, 0, sizeof a);
    p->ops->estimate(p->est, now_us, &a);
    struct okno_gcc_estimate b;
    okno_gcc_estimate(p->gcc, now_us, &b);
    if (a.target_bps != b.target_bps || a.delay_bps != b.delay_bps || a.loss_bps != b.loss_bps ||
        a.acked_bps != b.acked_bps || a.queue_delay_us != b.queue_delay_us ||
        a.rtt_us != b.rtt_us || a.loss_ratio != b.loss_ratio ||
        a.congestive_loss != b.congestive_loss || (int)a.state != (int)b.state ||
        (int)a.usage != (int)b.usage || a.probe_wanted != b.probe_wanted ||
        a.probe_bps != b.probe_bps)
        fail_msg("at %lld us the plugin says %u (delay %u, loss %u, acked %u, queue %lld), the "
                 "library %u (delay %u, loss %u, acked %u, queue %lld)",
                 (long long)now_us, a.target_bps, a.delay_bps, a.loss_bps, a.acked_bps,
                 (long long)a.queue_delay_us, b.target_bps, b.delay_bps, b.loss_bps, b.acked_bps,
                 (long long)b.queue_delay_us);
    *target = a.target_bps;
}

/* What the host hands the plugin for one parsed feedback packet. */
static size_t to_entries(const struct okno_twcc_fb *fb, struct okno_bwe_fb_entry *out, size_t cap)
{
    struct okno_twcc_iter it;
    struct okno_twcc_entry e;
    okno_twcc_iter_init(&it, fb);
    size_t n = 0;
    while (n < cap && okno_twcc_iter_next(&it, &e) == 1)
        out[n++] = (struct okno_bwe_fb_entry){.seq = e.seq,
                                              .received = e.status != OKNO_TWCC_NOT_RECEIVED,
                                              .arrival_us = e.arrival_us,
                                              .send_us = -1};
    return n;
}

static void test_estimates_equal_the_librarys_on_the_same_feedback(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fixture_load(&f, "", NULL), 0);
    struct pair p = {.ops = f.ops};
    const struct okno_bwe_transport t = {"room", "p1", "subscriber", 0};
    assert_int_equal(f.ops->create(f.state, &t, 0, &p.est), 0);
    assert_int_equal(okno_gcc_create(NULL, 0, &p.gcc), 0);

    /* A bottleneck of 1.5 Mbit/s for 12 s, then 400 kbit/s; 20 ms one way, a 200 ms queue (tail
     * drop). The sender sends 1200-byte packets at the target; feedback every 100 ms. */
    struct okno_twcc_entry *pending = g_new0(struct okno_twcc_entry, 4096);
    struct okno_bwe_fb_entry *entries = g_new0(struct okno_bwe_fb_entry, 4096);
    size_t n_pending = 0;
    uint16_t seq = 0;
    uint8_t count = 0;
    int64_t link_free_us = 0, next_send_us = 0, next_fb_us = 100000;
    uint32_t target = 0, peak = 0;
    assert_same(&p, 0, &target);
    assert_int_equal(target, 300000);
    for (int64_t now = 0; now < 20 * G_USEC_PER_SEC; now += 1000) {
        uint32_t capacity = now < 12 * G_USEC_PER_SEC ? 1500000 : 400000;
        while (next_send_us <= now) {
            const size_t bytes = 1200;
            p.ops->on_packet_sent(p.est, &(struct okno_bwe_sent){seq, bytes, now, false});
            okno_gcc_on_packet_sent(p.gcc, seq, bytes, now, false);
            int64_t start = link_free_us > now ? link_free_us : now;
            bool dropped = start - now > 200000;
            if (!dropped)
                link_free_us = start + (int64_t)(bytes * 8 * G_USEC_PER_SEC / capacity);
            assert_true(n_pending < 4096);
            pending[n_pending++] = (struct okno_twcc_entry){
                .seq = seq++,
                .status = dropped ? OKNO_TWCC_NOT_RECEIVED : OKNO_TWCC_SMALL_DELTA,
                .arrival_us = link_free_us + 20000 + 7 * G_USEC_PER_SEC /* receiver clock */};
            next_send_us += (int64_t)(bytes * 8 * G_USEC_PER_SEC / (target ? target : 300000));
        }
        if (now >= next_fb_us && n_pending > 0) {
            next_fb_us += 100000;
            size_t done = 0;
            while (done < n_pending) {
                uint8_t pkt[1500];
                size_t used;
                const struct okno_twcc_build_opts o = {
                    .sender_ssrc = 1, .media_ssrc = 2, .fb_count = count++, .max_size = 1200};
                int len =
                    okno_twcc_build(&o, pending + done, n_pending - done, pkt, sizeof pkt, &used);
                assert_true(len > 0);
                done += used;
                struct okno_twcc_fb fb;
                assert_int_equal(okno_twcc_parse(pkt, (size_t)len, &fb), len);
                int64_t at = now + 20000;
                okno_gcc_on_feedback(p.gcc, &fb, at);
                size_t n = to_entries(&fb, entries, 4096);
                const struct okno_bwe_feedback bf = {.entries = entries,
                                                     .n = n,
                                                     .first = true,
                                                     .fb_count = fb.fb_count,
                                                     .ref_time = fb.ref_time,
                                                     .sender_ssrc = fb.sender_ssrc};
                p.ops->on_feedback(p.est, &bf, at);
            }
            n_pending = 0;
        }
        if (now % 20000 == 0) {
            assert_same(&p, now, &target);
            if (now < 12 * G_USEC_PER_SEC && target > peak)
                peak = target;
        }
        if (now % G_USEC_PER_SEC == 0)
            print_message("# t=%2lld s target %u kbit/s\n", (long long)(now / G_USEC_PER_SEC),
                          target / 1000);
    }
    /* Only plausibility here (the library's own tests judge its convergence): it grew while the
     * link had room, and it came down under the narrowed link. */
    assert_true(peak > 300000);
    assert_true(target < peak);
    assert_true(target > 0);

    /* The fallbacks go through unchanged too. */
    p.ops->on_rtt(p.est, 80000, 20 * G_USEC_PER_SEC);
    okno_gcc_on_rtt(p.gcc, 80000, 20 * G_USEC_PER_SEC);
    p.ops->on_remb(p.est, 250000, 20 * G_USEC_PER_SEC + 1);
    okno_gcc_on_remb(p.gcc, 250000, 20 * G_USEC_PER_SEC + 1);
    p.ops->on_loss_report(p.est, 64, 500, 20 * G_USEC_PER_SEC + 2);
    okno_gcc_on_loss_report(p.gcc, 64, 500, 20 * G_USEC_PER_SEC + 2);
    assert_same(&p, 20 * G_USEC_PER_SEC + 3, &target);
    struct okno_bwe_counters c;
    f.ops->counters(p.est, &c);
    struct okno_gcc_stats st;
    okno_gcc_stats(p.gcc, &st);
    assert_int_equal(c.feedbacks, st.feedbacks);
    assert_int_equal(c.packets_acked, st.packets_acked);
    assert_int_equal(c.packets_lost, st.packets_lost);
    assert_true(c.packets_acked > 0);

    g_free(pending);
    g_free(entries);
    okno_gcc_destroy(p.gcc);
    f.ops->destroy(f.state, p.est);
    fixture_free(&f);
}

/* probing = false reaches the estimator: it never asks for a cluster, where the default asks for
 * one at once (3 x the start rate). */
static void test_probing_switch(void **state)
{
    (void)state;
    static const char *const groups[] = {"", "probing = false\n"};
    for (size_t i = 0; i < G_N_ELEMENTS(groups); i++) {
        struct fixture f;
        assert_int_equal(fixture_load(&f, groups[i], NULL), 0);
        const struct okno_bwe_transport t = {"room", "p1", "subscriber", 0};
        void *est;
        assert_int_equal(f.ops->create(f.state, &t, 0, &est), 0);
        bool asked = false;
        for (int64_t now = 0; now < 2 * G_USEC_PER_SEC; now += 20000) {
            struct okno_bwe_estimate e;
            memset(&e, 0, sizeof e);
            f.ops->estimate(est, now, &e);
            asked = asked || (e.probe_wanted && e.probe_bps == 900000);
        }
        assert_int_equal(asked, i == 0);
        f.ops->destroy(f.state, est);
        fixture_free(&f);
    }
}

/* Statuses that skip numbers (the host never hands such a list, a plugin must still cope), and
 * feedback about nothing ever sent: no crash, the estimator stays usable. */
static void test_odd_feedback_leaves_the_estimator_usable(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fixture_load(&f, "", NULL), 0);
    void *est;
    const struct okno_bwe_transport t = {"room", "p1", "subscriber", 0};
    assert_int_equal(f.ops->create(f.state, &t, 0, &est), 0);
    struct okno_bwe_fb_entry e[6] = {
        {.seq = 10, .received = true, .arrival_us = 1000},
        {.seq = 11, .received = false},
        {.seq = 40, .received = true, .arrival_us = 9000},
        {.seq = 65535, .received = true, .arrival_us = 12000},
        {.seq = 0, .received = true, .arrival_us = 100000000},
        {.seq = 1, .received = true, .arrival_us = -5000},
    };
    f.ops->on_feedback(est, &(struct okno_bwe_feedback){.entries = e, .n = 6, .first = true}, 50);
    f.ops->on_feedback(est, &(struct okno_bwe_feedback){.entries = e, .n = 0, .first = true}, 60);
    struct okno_bwe_estimate out = {0};
    f.ops->estimate(est, 100, &out);
    assert_true(out.target_bps >= 30000);
    f.ops->destroy(f.state, est);
    fixture_free(&f);
}

/* The host's start hint (what the client's link carried before) lowers the start, never raises
 * it, and never below min_kbps. */
static void test_start_hint_only_lowers_the_start(void **state)
{
    (void)state;
    struct fixture f;
    assert_int_equal(fixture_load(&f, "min_kbps = 50\n", NULL), 0);
    const uint32_t hints[] = {0, 170000, 900000, 20000};
    const uint32_t starts[] = {300000, 170000, 300000, 50000};
    for (size_t i = 0; i < 4; i++) {
        void *est;
        const struct okno_bwe_transport t = {"room", "p1", "subscriber", hints[i]};
        assert_int_equal(f.ops->create(f.state, &t, 0, &est), 0);
        struct okno_bwe_estimate out = {0};
        f.ops->estimate(est, 0, &out);
        assert_int_equal(out.target_bps, starts[i]);
        f.ops->destroy(f.state, est);
    }
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loads_with_its_settings_and_refuses_bad_ones),
        cmocka_unit_test(test_estimates_equal_the_librarys_on_the_same_feedback),
        cmocka_unit_test(test_odd_feedback_leaves_the_estimator_usable),
        cmocka_unit_test(test_start_hint_only_lowers_the_start),
        cmocka_unit_test(test_probing_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
