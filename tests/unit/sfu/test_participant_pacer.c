/* The pacer glue on a real GMainContext: the ready-time timer source steps a subscriber
 * connection's pacer while packets wait (a keyframe's burst leaves over the time the estimate
 * allows, then the timer disarms), [media] pacing = false sends at once, and closing frees what
 * is queued. The participant has no connection, so every packet that leaves the pacer is counted
 * as unsent: the test watches the pacer, not a network. */
#include "testutil.h"

#include <glib.h>

#include "okno/err.h"
#include "sfu/participant.h"
#include "sfu/participant_pacer.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/sub_bwe.h"
#include "sfu/subscription.h"

struct fixture {
    GMainContext *ctx;
    struct okno_sfu sfu;
    struct okno_room room;
    struct okno_participant p;
    struct okno_subscription sub;
};

static void fixture_init(struct fixture *f, bool pacing, uint32_t estimate_bps)
{
    memset(f, 0, sizeof *f);
    f->ctx = g_main_context_new();
    f->sfu.pacing = pacing;
    f->sfu.pacer_max_delay_ms = 400;
    f->room.sfu = &f->sfu;
    f->room.ctx = f->ctx;
    f->p.room = &f->room;
    g_strlcpy(f->p.id, "p1", sizeof f->p.id);
    f->p.sub_bwe = okno_sub_bwe_new("p1");
    f->p.sub_bwe->have_estimate = estimate_bps > 0;
    f->p.sub_bwe->estimate.target_bps = estimate_bps;
    f->sub.subscriber = &f->p;
    okno__participant_pacer_open(&f->p);
}

static void fixture_free(struct fixture *f)
{
    okno__participant_pacer_close(&f->p);
    assert_null(f->p.pacer);
    okno_sub_bwe_free(f->p.sub_bwe);
    g_main_context_unref(f->ctx);
}

static void burst(struct fixture *f, int n)
{
    uint8_t pkt[1200];
    memset(pkt, 0, sizeof pkt);
    pkt[0] = 0x80;
    int64_t now = g_get_monotonic_time();
    for (int i = 0; i < n; i++)
        assert_int_equal(
            okno__participant_pace(&f->p, &f->sub, OKNO_PACER_VIDEO, pkt, sizeof pkt, now), 0);
}

static void test_participant_pacer_timer_spreads_a_burst_then_disarms(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, true, 400000); /* paced at 1 Mbit/s: 30 x 1,200 bytes take 288 ms */
    int64_t start = g_get_monotonic_time();
    burst(&f, 30);
    assert_true(okno_pacer_queued(f.p.pacer) > 20);
    assert_true(f.p.pace_due_us > 0);
    int64_t deadline = start + 5 * G_USEC_PER_SEC;
    while (okno_pacer_queued(f.p.pacer) > 0 && g_get_monotonic_time() < deadline)
        g_main_context_iteration(f.ctx, TRUE);
    int64_t took = g_get_monotonic_time() - start;
    print_message("# 30 packets left the timer-driven pacer in %lld ms (288 ms at 1 Mbit/s)\n",
                  (long long)(took / 1000));
    assert_int_equal(okno_pacer_queued(f.p.pacer), 0);
    /* Not before the rate allows; the upper bound only catches a timer that does not run. */
    assert_true(took >= 250 * 1000 && took < 4 * G_USEC_PER_SEC);
    assert_int_equal(f.p.pace_due_us, -1);
    struct okno_pacer_stats st;
    okno_participant_pacer_stats(&f.p, &st);
    assert_int_equal(st.dropped_send[OKNO_PACER_VIDEO], 30); /* no connection: none sent */
    assert_int_equal(st.rate_bps, 1000000);
    /* Disarmed: an idle context has nothing of the pacer to dispatch. */
    assert_false(g_main_context_iteration(f.ctx, FALSE));
    fixture_free(&f);
}

static void test_participant_pacer_off_sends_at_once_and_close_frees_the_queue(void **state)
{
    (void)state;
    struct fixture f;
    fixture_init(&f, false, 400000);
    burst(&f, 30);
    assert_int_equal(okno_pacer_queued(f.p.pacer), 0);
    assert_int_equal(f.p.pace_due_us, -1);
    fixture_free(&f);

    /* Paced, closed with packets waiting: freed with them (ASan checks). */
    fixture_init(&f, true, 100000);
    burst(&f, 50);
    assert_true(okno_pacer_queued(f.p.pacer) > 40);
    okno__participant_pacer_forget(&f.p, &f.sub);
    assert_int_equal(okno_pacer_queued(f.p.pacer), 0);
    burst(&f, 50);
    fixture_free(&f);
    /* Without a pacer the glue refuses and reads zeroes. */
    struct okno_participant bare;
    memset(&bare, 0, sizeof bare);
    uint8_t pkt[20] = {0x80};
    assert_int_equal(okno__participant_pace(&bare, NULL, OKNO_PACER_AUDIO, pkt, sizeof pkt, 0),
                     OKNO_E_STATE);
    struct okno_pacer_stats st;
    okno_participant_pacer_stats(&bare, &st);
    assert_int_equal(st.queued_packets, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_participant_pacer_timer_spreads_a_burst_then_disarms),
        cmocka_unit_test(test_participant_pacer_off_sends_at_once_and_close_frees_the_queue),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
