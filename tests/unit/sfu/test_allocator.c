/* The layer allocator: the top layer when it fits; stepping down as the estimate falls (temporal
 * first, then spatial, then paused); stepping back up only after the hold time with margin; audio
 * reserved first; priority between the other party and an observer; reasons. Rates are made up
 * but shaped like a browser's three-layer simulcast with three temporal layers. */
#include "testutil.h"

#include "sfu/allocator.h"

#define MS   1000
#define KBPS 1000u

/* Cumulative rates: q (spatial 0) 40/60/80, h (1) 150/220/300, f (2) 500/750/1000 kbit/s. */
static void simulcast(struct okno_alloc_video *v, int priority)
{
    okno_alloc_video_init(v, 3, 3, priority);
    static const uint32_t r[3][3] = {{40, 60, 80}, {150, 220, 300}, {500, 750, 1000}};
    for (int s = 0; s < 3; s++)
        for (int t = 0; t < 3; t++)
            v->bps[s][t] = r[s][t] * KBPS;
}

static struct okno_alloc_input est(uint32_t kbps, unsigned n_audio)
{
    return (struct okno_alloc_input){.target_bps = kbps * KBPS, .n_audio = n_audio};
}

static void assert_choice(const struct okno_alloc_video *v, int spatial, int temporal)
{
    assert_false(v->cur.paused);
    assert_int_equal(v->cur.spatial, spatial);
    assert_int_equal(v->cur.temporal, temporal);
}

static void test_allocator_keeps_the_top_layer_when_it_fits(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input in = est(2000, 1);
    assert_int_equal(okno_alloc_run(&in, &v, 1, 0), 0);
    assert_choice(&v, 2, 2);
    assert_false(v.changed);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_NONE);
    assert_int_equal(v.allocated_bps, 1000 * KBPS);
}

static void test_allocator_without_estimate_changes_nothing(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input in = est(0, 1);
    assert_int_equal(okno_alloc_run(&in, &v, 1, 0), 0);
    assert_choice(&v, 2, 2);
    /* Nothing measured yet: nothing to decide either, whatever the estimate. */
    okno_alloc_video_init(&v, 1, 1, 1);
    in = est(10, 0);
    assert_int_equal(okno_alloc_run(&in, &v, 1, 0), 0);
    assert_choice(&v, 0, 0);
}

static void test_allocator_steps_down_temporal_then_spatial_then_pauses(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    /* Budget after one audio (50 kbit/s) in brackets. */
    static const struct {
        uint32_t kbps;
        int spatial, temporal; /* -1: paused */
    } steps[] = {
        {850, 2, 1},  /* 800: f without its top temporal layer */
        {600, 2, 0},  /* 550: f base layer */
        {400, 1, 2},  /* 350: h */
        {300, 1, 1},  /* 250 */
        {210, 1, 0},  /* 160 */
        {140, 0, 2},  /* 90: q */
        {100, 0, 0},  /* 50 */
        {80, -1, -1}, /* 30: nothing fits: paused, audio only */
    };
    int64_t now = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        struct okno_alloc_input in = est(steps[i].kbps, 1);
        now += 200 * MS;
        assert_int_equal(okno_alloc_run(&in, &v, 1, now), 1);
        assert_true(v.changed);
        assert_int_equal(v.reason, OKNO_ALLOC_REASON_BANDWIDTH);
        if (steps[i].spatial < 0) {
            assert_true(v.cur.paused);
            assert_int_equal(v.allocated_bps, 0);
        } else {
            assert_choice(&v, steps[i].spatial, steps[i].temporal);
            assert_true(v.allocated_bps <= (steps[i].kbps - 50) * KBPS);
        }
    }
    assert_string_equal(okno_alloc_reason_name(OKNO_ALLOC_REASON_BANDWIDTH), "bandwidth");
}

static void test_allocator_steps_up_only_after_the_hold_time_with_margin(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input low = est(80, 1); /* 30 kbit/s for video: paused */
    assert_int_equal(okno_alloc_run(&low, &v, 1, 0), 1);
    assert_true(v.cur.paused);

    /* 95 kbit/s: 45 left, above q's 40 but not by the margin (46): stays paused however long. */
    struct okno_alloc_input barely = est(95, 1);
    for (int64_t t = 100 * MS; t <= 5000 * MS; t += 100 * MS) {
        assert_int_equal(okno_alloc_run(&barely, &v, 1, t), 0);
        assert_true(v.cur.paused);
    }
    /* 120: 70 left; q base (40) and q with TL1 (60) fit with margin (69): up after 2 s, not
     * before, straight to the highest that fits with margin. */
    struct okno_alloc_input better = est(120, 1);
    int64_t start = 6000 * MS;
    assert_int_equal(okno_alloc_run(&better, &v, 1, start), 0);
    assert_int_equal(okno_alloc_run(&better, &v, 1, start + OKNO_ALLOC_UP_HOLD_US - 1), 0);
    assert_true(v.cur.paused);
    assert_int_equal(okno_alloc_run(&better, &v, 1, start + OKNO_ALLOC_UP_HOLD_US), 1);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_RECOVERED);
    assert_choice(&v, 0, 1);
    assert_string_equal(okno_alloc_reason_name(v.reason), "recovered");

    /* A dip during the hold restarts it. */
    const int64_t hold = OKNO_ALLOC_UP_HOLD_US;
    struct okno_alloc_input high = est(2000, 1);
    int64_t t = 20000 * MS;
    assert_int_equal(okno_alloc_run(&high, &v, 1, t), 0);
    assert_int_equal(okno_alloc_run(&high, &v, 1, t + hold - 100 * MS), 0);
    assert_int_equal(okno_alloc_run(&better, &v, 1, t + hold - 50 * MS), 0);
    assert_choice(&v, 0, 1);
    assert_int_equal(okno_alloc_run(&high, &v, 1, t + hold), 0);
    assert_int_equal(okno_alloc_run(&high, &v, 1, t + 2 * hold - 1), 0);
    assert_int_equal(okno_alloc_run(&high, &v, 1, t + 2 * hold), 1);
    assert_choice(&v, 2, 2);
    /* Down again at once. */
    assert_int_equal(okno_alloc_run(&better, &v, 1, t + 2 * hold + 100 * MS), 1);
    assert_choice(&v, 0, 1);
}

static void test_allocator_reserves_audio_first(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    /* 250 kbit/s with four audio streams: 50 left for video, q base only. */
    struct okno_alloc_input in = est(250, 4);
    okno_alloc_run(&in, &v, 1, 0);
    assert_choice(&v, 0, 0);
    /* Less than the audio needs: every video paused, audio keeps what there is. */
    simulcast(&v, 1);
    in = est(150, 4);
    okno_alloc_run(&in, &v, 1, 0);
    assert_true(v.cur.paused);
    assert_int_equal(v.allocated_bps, 0);
}

static void test_allocator_serves_the_other_party_before_an_observer(void **state)
{
    (void)state;
    struct okno_alloc_video v[2];
    /* The observer's video comes first in the array; the specialist's outranks it. */
    simulcast(&v[0], okno_alloc_role_priority("observer"));
    simulcast(&v[1], okno_alloc_role_priority("specialist"));
    assert_true(okno_alloc_role_priority("kiosk") > okno_alloc_role_priority("observer"));
    assert_int_equal(okno_alloc_role_priority(NULL), okno_alloc_role_priority("kiosk"));
    /* 350 kbit/s, one audio: 300 for video, the specialist's h with all temporal layers. */
    struct okno_alloc_input in = est(350, 1);
    assert_int_equal(okno_alloc_run(&in, v, 2, 0), 2);
    assert_choice(&v[1], 1, 2);
    assert_true(v[0].cur.paused);
    /* With budget for both (1160 for video), the other party climbs to its top (1000, with the
     * margin 1150) and the observer gets what is left: q with every temporal layer (80, with the
     * margin 92), not h (150, 172). */
    in = est(50 + 1160, 1);
    for (int64_t t = 0; t <= OKNO_ALLOC_UP_HOLD_US; t += 100 * MS)
        okno_alloc_run(&in, v, 2, 1 + t);
    assert_choice(&v[1], 2, 2);
    assert_choice(&v[0], 0, 2);
}

static void test_allocator_blames_loss_when_the_estimate_falls_with_loss(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input in = est(400, 1);
    in.loss_ratio = 0.12;
    assert_int_equal(okno_alloc_run(&in, &v, 1, 0), 1);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_LOSS);
    assert_string_equal(okno_alloc_reason_name(v.reason), "loss");
    /* Loss with queuing is congestion: bandwidth. */
    in = est(150, 1);
    in.loss_ratio = 0.12;
    in.congestive_loss = true;
    assert_int_equal(okno_alloc_run(&in, &v, 1, 1), 1);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_BANDWIDTH);
}

static void test_allocator_follows_layers_that_vanish(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input in = est(5000, 1);
    okno_alloc_run(&in, &v, 1, 0);
    assert_choice(&v, 2, 2);
    /* The publisher stops its top encoding (its uplink fell): the best left, at once. */
    for (int t = 0; t < 3; t++)
        v.bps[2][t] = 0;
    assert_int_equal(okno_alloc_run(&in, &v, 1, 1), 1);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_LAYERS);
    assert_choice(&v, 1, 2);
    /* Fewer temporal layers than the choice: clamped. */
    v.n_temporal = 1;
    v.bps[1][0] = 150 * KBPS;
    assert_int_equal(okno_alloc_run(&in, &v, 1, 2), 1);
    assert_choice(&v, 1, 0);
    /* Junk dimensions are clamped, never read out of bounds. */
    v.n_spatial = 200;
    v.n_temporal = 0;
    okno_alloc_run(&in, &v, 1, 3);
    assert_true(v.cur.spatial < OKNO_ALLOC_MAX_SPATIAL);
}

static void test_allocator_single_layer_track_pauses_and_resumes(void **state)
{
    (void)state;
    /* No simulcast, no temporal layers: only paused or not. */
    struct okno_alloc_video v;
    okno_alloc_video_init(&v, 1, 1, 1);
    v.bps[0][0] = 300 * KBPS;
    struct okno_alloc_input in = est(200, 1);
    assert_int_equal(okno_alloc_run(&in, &v, 1, 0), 1);
    assert_true(v.cur.paused);
    in = est(50 + 346, 1);
    assert_int_equal(okno_alloc_run(&in, &v, 1, 1 * MS), 0);
    assert_int_equal(okno_alloc_run(&in, &v, 1, 1 * MS + OKNO_ALLOC_UP_HOLD_US), 1);
    assert_choice(&v, 0, 0);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_RECOVERED);
}

static void test_allocator_tries_a_paused_video_again_with_growing_waits(void **state)
{
    (void)state;
    const int64_t wait = OKNO_ALLOC_TRIAL_WAIT_US, trial = OKNO_ALLOC_TRIAL_US;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input low = est(80, 1); /* 30 for video: nothing fits */
    assert_int_equal(okno_alloc_run(&low, &v, 1, 1), 1);
    assert_true(v.cur.paused);
    assert_int_equal(okno_alloc_run(&low, &v, 1, wait), 0);
    /* After the wait: the lowest layer as a probe, kept for the trial though it does not fit. */
    int64_t t = 1 + wait;
    assert_int_equal(okno_alloc_run(&low, &v, 1, t), 1);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_PROBE);
    assert_string_equal(okno_alloc_reason_name(v.reason), "probe");
    assert_choice(&v, 0, 0);
    assert_int_equal(okno_alloc_run(&low, &v, 1, t + trial - 1), 0);
    assert_choice(&v, 0, 0);
    assert_int_equal(v.allocated_bps, 40 * KBPS);
    /* The trial found no room: paused again, the next trial after twice the wait. */
    t += trial;
    assert_int_equal(okno_alloc_run(&low, &v, 1, t), 1);
    assert_true(v.cur.paused);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_BANDWIDTH);
    assert_int_equal(okno_alloc_run(&low, &v, 1, t + 2 * wait - 1), 0);
    t += 2 * wait;
    assert_int_equal(okno_alloc_run(&low, &v, 1, t), 1);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_PROBE);
    /* This one does: with the video flowing the estimate grew (50 for video): kept, and the
     * waits start afresh. */
    struct okno_alloc_input room = est(100, 1);
    t += trial;
    assert_int_equal(okno_alloc_run(&room, &v, 1, t), 0);
    assert_choice(&v, 0, 0);
    assert_int_equal(v.trial_wait_us, 0);
    /* Loss ends a trial at once, and no trial starts while it lasts. */
    t += 100 * MS;
    assert_int_equal(okno_alloc_run(&low, &v, 1, t), 1);
    assert_true(v.cur.paused);
    t += wait;
    assert_int_equal(okno_alloc_run(&low, &v, 1, t), 1);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_PROBE);
    struct okno_alloc_input lossy = low;
    lossy.loss_ratio = 0.2;
    assert_int_equal(okno_alloc_run(&lossy, &v, 1, t + 100 * MS), 1);
    assert_true(v.cur.paused);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_LOSS);
    assert_int_equal(okno_alloc_run(&lossy, &v, 1, t + 100 * MS + OKNO_ALLOC_TRIAL_MAX_WAIT_US), 0);
    assert_true(v.cur.paused);
}

/* Held at q with room but no room shown for h (a send-side estimate stays under 1.5 x what is
 * sent): after the up hold the video tries h's base layer ("probe"), kept while the estimate
 * grows; it stays once h fits. */
static void
test_allocator_tries_the_next_spatial_layer_and_keeps_it_when_the_estimate_follows(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input in = est(170, 1); /* 120 for video: q (80) with room, h (150) not */
    int64_t t = 0;
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 1);
    assert_choice(&v, 0, 2);
    t += 100 * MS;
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 0); /* room from now */
    assert_int_equal(okno_alloc_run(&in, &v, 1, t + OKNO_ALLOC_UP_HOLD_US - 1), 0);
    t += OKNO_ALLOC_UP_HOLD_US;
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 1);
    assert_choice(&v, 1, 0);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_PROBE);
    assert_int_equal(v.allocated_bps, 150 * KBPS);
    /* The estimate climbs as h is sent; the trial holds h though it does not fit yet. */
    for (unsigned kbps = 180; kbps < 200; kbps += 5) {
        t += 1000 * MS;
        in = est(kbps, 1);
        assert_int_equal(okno_alloc_run(&in, &v, 1, t), 0);
        assert_choice(&v, 1, 0);
    }
    /* 200 - 50 audio = 150: h's base layer fits, the trial is over and h stays. */
    t += 1000 * MS;
    in = est(200, 1);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 0);
    assert_choice(&v, 1, 0);
    assert_int_equal(v.trial_until_us, 0);
    t += OKNO_ALLOC_SPATIAL_TRIAL_US;
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 0);
    assert_choice(&v, 1, 0);
}

/* A trial the estimate does not follow ends after OKNO_ALLOC_SPATIAL_TRIAL_US (back to q,
 * "bandwidth"); the next waits longer. One where the estimate falls from its peak (queuing) ends at
 * once. Under a limit the client set there is no trial. */
static void test_allocator_spatial_trial_ends_without_room_or_with_congestion(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input in = est(170, 1);
    int64_t t = 0;
    okno_alloc_run(&in, &v, 1, t);
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t += OKNO_ALLOC_UP_HOLD_US), 1);
    assert_choice(&v, 1, 0);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t + OKNO_ALLOC_SPATIAL_TRIAL_US - 1), 0);
    t += OKNO_ALLOC_SPATIAL_TRIAL_US;
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 1);
    assert_choice(&v, 0, 2);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_BANDWIDTH);
    /* Not again after the up hold: the wait doubled (from the paused trials' 5 s). */
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t + OKNO_ALLOC_UP_HOLD_US), 0);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t + 2 * OKNO_ALLOC_TRIAL_WAIT_US - 1), 0);
    t += 2 * OKNO_ALLOC_TRIAL_WAIT_US;
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 1);
    assert_choice(&v, 1, 0);
    /* The estimate peaks then falls by more than OKNO_ALLOC_SPATIAL_TRIAL_DROP_PCT: over. */
    in = est(190, 1);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t += 500 * MS), 0);
    in = est(155, 1);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t += 500 * MS), 1);
    assert_choice(&v, 0, 2);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_BANDWIDTH);

    /* The client's own limit: room at q, never a trial above it. */
    simulcast(&v, 1);
    in = est(170, 1);
    in.hard_limit = true;
    t = 0;
    okno_alloc_run(&in, &v, 1, t);
    assert_choice(&v, 0, 2);
    for (int i = 0; i < 100; i++)
        assert_int_equal(okno_alloc_run(&in, &v, 1, t += 1000 * MS), 0);
    assert_choice(&v, 0, 2);
}

/* The estimate grows (a probe result, capacity back) from room for h to room for f's every layer:
 * the video is at f's top within the hold and a round, and f was announced ahead (the publisher's
 * cap keeps it going) from the first round that saw room for it. */
static void test_allocator_climbs_within_the_hold_after_the_estimate_grows(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input in = est(400, 1); /* 350: h (300) with the margin (345), not f */
    int64_t t = 0;
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 1);
    assert_choice(&v, 1, 2);
    assert_int_equal(v.want_bps, 500 * KBPS * 115 / 100); /* one step up: f's base layer */
    in = est(1300, 1);                                    /* 1250: f (1000) with the margin */
    int64_t grew = t += 100 * MS;
    int rounds = 0;
    while (v.cur.spatial != 2 && t - grew <= 10 * OKNO_ALLOC_UP_HOLD_US) {
        okno_alloc_run(&in, &v, 1, t);
        assert_int_equal(v.ahead_spatial, 2);
        rounds++;
        t += 100 * MS;
    }
    assert_choice(&v, 2, 2);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_RECOVERED);
    assert_true(rounds <= OKNO_ALLOC_UP_HOLD_US / (100 * MS) + 1);
    assert_int_equal(v.want_bps, 1000 * KBPS); /* at the top: what it costs */
    fprintf(stderr, "# at f's top %d rounds (%lld ms) after the estimate grew\n", rounds,
            (long long)((t - 100 * MS - grew) / MS));
    /* Paused, it wants its lowest layer; under a client's limit no more than it gets. */
    in = est(60, 1);
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_true(v.cur.paused);
    assert_int_equal(v.want_bps, 40 * KBPS * 115 / 100);
    in = est(170, 1);
    in.hard_limit = true;
    for (int i = 0; i < 20; i++)
        okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_choice(&v, 0, 2);
    assert_int_equal(v.want_bps, 80 * KBPS);
    assert_int_equal(v.ahead_spatial, 0);
}

/* The estimate jumps around f's base layer every round (the budget 480..720 kbit/s against f's
 * 500, 575 with the margin): each up move (or trial) a down move undoes within
 * OKNO_ALLOC_STABLE_US doubles the next hold, so after a few flips the layer moves at most once
 * per OKNO_ALLOC_UP_HOLD_MAX_US. Once the estimate is steady the hold halves back every
 * OKNO_ALLOC_STABLE_US. */
static void test_allocator_does_not_flap_under_a_noisy_estimate(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    uint32_t seed = 12345;
    int64_t t = 0, last_down = 0, shortest = INT64_MAX;
    unsigned changes = 0;
    for (int i = 0; i < 600; i++, t += 100 * MS) {
        seed = seed * 1103515245u + 12345u;
        struct okno_alloc_input in = est(50 + 480 + (seed >> 16) % 241, 1);
        changes += okno_alloc_run(&in, &v, 1, t) != 0;
        if (!v.changed)
            continue;
        bool up = v.reason == OKNO_ALLOC_REASON_RECOVERED || v.reason == OKNO_ALLOC_REASON_PROBE;
        if (up && t >= 15000 * MS && t - last_down < shortest)
            shortest = t - last_down;
        if (!up)
            last_down = t;
    }
    fprintf(stderr,
            "# noisy minute: %u changes, hold now %lld ms, after 15 s up again %lld ms after a "
            "down at the soonest\n",
            changes, (long long)(((int64_t)OKNO_ALLOC_UP_HOLD_US << v.flaps) / MS),
            (long long)(shortest / MS));
    /* A handful of flaps raise the hold to its longest; from then on at most one up move per it. */
    assert_int_equal(v.flaps, 4);
    assert_true(shortest >= OKNO_ALLOC_UP_HOLD_MAX_US);
    assert_true(changes <= 2 * (60000000 / OKNO_ALLOC_UP_HOLD_MAX_US + 6));
    /* Steady at room for f: up within the longest hold, then the hold relaxes back. */
    struct okno_alloc_input steady = est(1300, 1);
    int64_t from = t;
    while (!(v.cur.spatial == 2 && v.cur.temporal == 2) && t - from < 2 * OKNO_ALLOC_UP_HOLD_MAX_US)
        okno_alloc_run(&steady, &v, 1, t += 100 * MS);
    assert_choice(&v, 2, 2);
    assert_true(t - from <= OKNO_ALLOC_UP_HOLD_MAX_US + 200 * MS);
    for (int i = 0; i < 5; i++)
        okno_alloc_run(&steady, &v, 1, t += OKNO_ALLOC_STABLE_US);
    assert_int_equal(v.flaps, 0);
    assert_choice(&v, 2, 2);
}

/* A spatial trial ends at once when the queue grows (GCC's overuse), with "bandwidth", and the
 * next waits twice as long; none starts, and no up move is made, while it grows. The next encoding
 * is announced ahead: from the first round with room (the first trial is due a hold later), not
 * under the client's limit, kept OKNO_ALLOC_AHEAD_US after the trial failed, announced again
 * OKNO_ALLOC_AHEAD_US before the next is due. */
static void test_allocator_spatial_trial_backs_off_at_once_on_queue_growth(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    struct okno_alloc_input in = est(170, 1); /* q (80) with room, h (150) not */
    struct okno_alloc_input limited = in;
    limited.hard_limit = true;
    int64_t t = 0;
    okno_alloc_run(&limited, &v, 1, t);
    assert_choice(&v, 0, 2);
    okno_alloc_run(&limited, &v, 1, t += 100 * MS);
    assert_int_equal(v.ahead_spatial, 0);
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_int_equal(v.ahead_spatial, 1);
    /* Queue growth: no trial however long it lasts. */
    struct okno_alloc_input queue = in;
    queue.overuse = true;
    for (int i = 0; i < 30; i++)
        assert_int_equal(okno_alloc_run(&queue, &v, 1, t += 100 * MS), 0);
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t + OKNO_ALLOC_UP_HOLD_US - 1), 0);
    t += OKNO_ALLOC_UP_HOLD_US;
    assert_int_equal(okno_alloc_run(&in, &v, 1, t), 1);
    assert_choice(&v, 1, 0);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_PROBE);
    /* The estimate grows a little, then the queue: back to q at once. */
    in = est(180, 1);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t += 100 * MS), 0);
    queue = in;
    queue.overuse = true;
    assert_int_equal(okno_alloc_run(&queue, &v, 1, t += 100 * MS), 1);
    assert_choice(&v, 0, 2);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_BANDWIDTH);
    int64_t failed = t;
    /* h stays announced a while, then not until OKNO_ALLOC_AHEAD_US before the next trial. */
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    int64_t room = t;
    assert_int_equal(v.ahead_spatial, 1);
    while (t < failed + OKNO_ALLOC_AHEAD_US)
        assert_int_equal(okno_alloc_run(&in, &v, 1, t += 100 * MS), 0);
    assert_int_equal(v.ahead_spatial, 0);
    int64_t due = room + 2 * OKNO_ALLOC_TRIAL_WAIT_US;
    while (t < due - OKNO_ALLOC_AHEAD_US - 100 * MS) {
        assert_int_equal(okno_alloc_run(&in, &v, 1, t += 100 * MS), 0);
        assert_int_equal(v.ahead_spatial, 0);
    }
    while (t < due - 100 * MS) {
        assert_int_equal(okno_alloc_run(&in, &v, 1, t += 100 * MS), 0);
        assert_int_equal(v.ahead_spatial, t >= due - OKNO_ALLOC_AHEAD_US ? 1 : 0);
    }
    assert_int_equal(okno_alloc_run(&in, &v, 1, due), 1);
    assert_choice(&v, 1, 0);
    /* No up move while the queue grows, however much room the estimate shows. */
    struct okno_alloc_input wide = est(1300, 1);
    wide.overuse = true;
    t = due;
    for (int i = 0; i < 30; i++)
        okno_alloc_run(&wide, &v, 1, t += 100 * MS);
    assert_false(v.cur.spatial == 2 && v.cur.temporal == 2);
}

/* A next encoding out of reach (its base layer above 1.5 x the budget, more than GCC's estimate
 * can show over what is sent) is not tried: the transport pads up to want_bps instead. */
static void test_allocator_does_not_try_an_encoding_out_of_reach(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    v.bps[1][0] = 181 * KBPS; /* the budget is 120: reach 180 */
    struct okno_alloc_input in = est(170, 1);
    int64_t t = 0;
    for (int i = 0; i < 300; i++)
        okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_choice(&v, 0, 2);
    assert_int_equal(v.ahead_spatial, 0);
    assert_int_equal(v.want_bps, 181 * KBPS * 115 / 100);
    v.bps[1][0] = 180 * KBPS; /* within reach: tried after the hold */
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_int_equal(okno_alloc_run(&in, &v, 1, t += OKNO_ALLOC_UP_HOLD_US), 1);
    assert_choice(&v, 1, 0);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_PROBE);
}

/* The top encoding the publisher shapes to this subscriber (elastic_floor_bps, f at 300): a dip
 * of the estimate that would move a measured f down to h keeps f, which takes all of the budget
 * it is measured above; under the floor it steps down as a measured one (temporal layers scaled
 * alike first). Coming back, f is chosen once its floor fits with the margin, where a measured f
 * would have needed 1150. */
static void test_allocator_keeps_an_elastic_encoding_down_to_its_floor(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    v.elastic_floor_bps[2] = 300 * KBPS;
    struct okno_alloc_input in = est(2000, 1);
    int64_t t = 0;
    okno_alloc_run(&in, &v, 1, t);
    assert_choice(&v, 2, 2);
    assert_int_equal(v.allocated_bps, 1000 * KBPS); /* what it sends: less than the budget */
    in = est(700, 1);                               /* 650 left for video */
    assert_int_equal(okno_alloc_run(&in, &v, 1, t += 100 * MS), 0);
    assert_choice(&v, 2, 2);
    assert_int_equal(v.allocated_bps, 650 * KBPS); /* the encoder fills the budget */
    assert_int_equal(v.want_bps, 300 * KBPS);      /* at the top: its floor */
    in = est(320, 1);                              /* 270: under the floor, f's 225 fits */
    assert_int_equal(okno_alloc_run(&in, &v, 1, t += 100 * MS), 1);
    assert_choice(&v, 2, 1);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_BANDWIDTH);
    in = est(150, 1); /* 100: q's 80 */
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_choice(&v, 0, 2);
    /* 400: f's floor with the margin is 345 (h's 300 too, f is higher); a measured f not yet. */
    in = est(450, 1);
    int64_t grew = t += 100 * MS;
    while (v.cur.spatial != 2 && t - grew <= 2 * OKNO_ALLOC_UP_HOLD_US)
        okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_choice(&v, 2, 2);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_RECOVERED);
    assert_true(t - grew <= OKNO_ALLOC_UP_HOLD_US + 200 * MS);
    v.elastic_floor_bps[2] = 0; /* another subscriber's share shapes it now: measured again */
    okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_choice(&v, 1, 2);
}

/* No spatial trial of an elastic next encoding (it would only shrink to the budget): at 350 with
 * f's floor 900 (its base layer 450) the video stays on h however long; measured (f's base layer
 * 500 within reach) it is tried after the hold. */
static void test_allocator_does_not_try_an_elastic_encoding(void **state)
{
    (void)state;
    struct okno_alloc_video v;
    simulcast(&v, 1);
    v.elastic_floor_bps[2] = 900 * KBPS;
    struct okno_alloc_input in = est(400, 1); /* 350: h (300) with the margin, f's 450 not */
    int64_t t = 0;
    for (int i = 0; i < 300; i++)
        okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_choice(&v, 1, 2);
    assert_int_equal(v.ahead_spatial, 1);
    v.elastic_floor_bps[2] = 0;
    for (int i = 0; i < 10 && v.cur.spatial == 1; i++)
        okno_alloc_run(&in, &v, 1, t += 100 * MS);
    assert_choice(&v, 2, 0);
    assert_int_equal(v.reason, OKNO_ALLOC_REASON_PROBE);
}

/* What an elastic video takes of the budget (all of it, up to what it is measured at) is not
 * left to the next video: an observer's video behind it gets what remains. */
static void test_allocator_elastic_video_takes_its_fill_before_the_next(void **state)
{
    (void)state;
    struct okno_alloc_video v[2];
    simulcast(&v[0], 1);
    simulcast(&v[1], 0);
    v[0].elastic_floor_bps[2] = 300 * KBPS;
    struct okno_alloc_input in = est(1000, 0);
    okno_alloc_run(&in, v, 2, 0);
    assert_choice(&v[0], 2, 2);
    assert_int_equal(v[0].allocated_bps, 1000 * KBPS);
    assert_true(v[1].cur.paused); /* nothing left */
    in = est(1200, 0);            /* 200 left: h's base layer (150) */
    okno_alloc_run(&in, v, 2, 100 * MS);
    assert_int_equal(v[0].allocated_bps, 1000 * KBPS);
    assert_true(v[1].cur.paused || v[1].allocated_bps <= 200 * KBPS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocator_keeps_the_top_layer_when_it_fits),
        cmocka_unit_test(test_allocator_without_estimate_changes_nothing),
        cmocka_unit_test(test_allocator_steps_down_temporal_then_spatial_then_pauses),
        cmocka_unit_test(test_allocator_steps_up_only_after_the_hold_time_with_margin),
        cmocka_unit_test(test_allocator_reserves_audio_first),
        cmocka_unit_test(test_allocator_serves_the_other_party_before_an_observer),
        cmocka_unit_test(test_allocator_blames_loss_when_the_estimate_falls_with_loss),
        cmocka_unit_test(test_allocator_follows_layers_that_vanish),
        cmocka_unit_test(test_allocator_single_layer_track_pauses_and_resumes),
        cmocka_unit_test(test_allocator_tries_a_paused_video_again_with_growing_waits),
        cmocka_unit_test(
            test_allocator_tries_the_next_spatial_layer_and_keeps_it_when_the_estimate_follows),
        cmocka_unit_test(test_allocator_spatial_trial_ends_without_room_or_with_congestion),
        cmocka_unit_test(test_allocator_climbs_within_the_hold_after_the_estimate_grows),
        cmocka_unit_test(test_allocator_does_not_flap_under_a_noisy_estimate),
        cmocka_unit_test(test_allocator_spatial_trial_backs_off_at_once_on_queue_growth),
        cmocka_unit_test(test_allocator_does_not_try_an_encoding_out_of_reach),
        cmocka_unit_test(test_allocator_keeps_an_elastic_encoding_down_to_its_floor),
        cmocka_unit_test(test_allocator_does_not_try_an_elastic_encoding),
        cmocka_unit_test(test_allocator_elastic_video_takes_its_fill_before_the_next),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
