/* The adaptive audio jitter buffer in simulated time: the delay estimator alone, then whole calls
 * of Opus packets through okno_audio_rx with a delay pattern per packet (constant, a queue that
 * fills and drains, normal jitter without reordering, random loss, bursts of loss). */
#include "testutil.h"

#include <math.h>

#include "media/audio_delay.h"
#include "media/audio_receiver.h"
#include "media/opus_codec.h"
#include "okno/err.h"

#define N   1000 /* 20 s of 20 ms packets */
#define T0  1000000
#define PKT 20000

struct sent {
    uint8_t data[OKNO_AUDIO_MAX_PACKET];
    int len;
};

static struct sent *with_fec, *without_fec; /* N packets of a tone each, encoded once */
static struct sent *with_dtx;               /* silent from packet 300 to 599, with DTX */

static struct sent *encode(bool fec, bool dtx)
{
    struct okno_opusenc *enc;
    struct okno_opusenc_config cfg = {.kbps = 32, .fec = fec, .loss_pct = fec ? 10 : 0, .dtx = dtx};
    assert_int_equal(okno_opusenc_create(&cfg, &enc), 0);
    struct okno_asrc src;
    okno_asrc_init(&src);
    struct sent *s = calloc(N, sizeof *s);
    for (unsigned i = 0; i < N; i++) {
        int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES];
        okno_asrc_next(&src, pcm);
        if (dtx && i >= 300 && i < 600)
            memset(pcm, 0, sizeof pcm);
        s[i].len = okno_opusenc_encode(enc, pcm, s[i].data, sizeof s[i].data);
        assert_true(s[i].len > (dtx ? 0 : 2));
    }
    okno_opusenc_destroy(enc);
    return s;
}

static int setup(void **state)
{
    (void)state;
    with_fec = encode(true, false);
    without_fec = encode(false, false);
    with_dtx = encode(true, true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(with_fec);
    free(without_fec);
    free(with_dtx);
    return 0;
}

/* xorshift: the same pseudo-random pattern on every run */
static uint64_t rng = 88172645463325252ULL;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}
static double normal(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(2 * M_PI * v);
}

struct run {
    int64_t arrival[N]; /* one-way delay added to the send time: arrival = T0 + i * 20 ms + it */
    bool lost[N];
    /* results */
    struct okno_audio_rx_stats st;
    double ratio, mean_delay_ms, max_delay_ms;
    double delay_at_ms[N]; /* the playout delay when packet i was sent */
};

static bool all_played(const struct okno_audio_rx *rx)
{
    struct okno_audio_rx_stats st = okno_audio_rx_stats(rx);
    return st.slots_decoded + st.slots_fec + st.slots_concealed + st.slots_missing + st.slots_dtx +
               st.slots_removed >=
           2 * (uint64_t)N;
}

/* Delivers the packets in arrival order (stable: equal arrivals keep their order) with a 10 ms
 * playout tick in between, as okno-bench's receiver does, then plays out the rest. */
static void play(struct run *r, const struct sent *s, bool adaptive)
{
    struct okno_audio_rx *rx;
    struct okno_audio_rx_config cfg = {.target_delay_us = 60000, .adaptive = adaptive};
    assert_int_equal(okno_audio_rx_create(&cfg, &rx), 0);
    static unsigned order[N];
    unsigned n = 0;
    for (unsigned i = 0; i < N; i++)
        if (!r->lost[i])
            order[n++] = i;
    for (unsigned a = 1; a < n; a++) /* insertion sort: the patterns are nearly in order */
        for (unsigned b = a; b > 0 && r->arrival[order[b - 1]] > r->arrival[order[b]]; b--) {
            unsigned t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    int64_t tick = r->arrival[order[0]];
    double sum = 0;
    unsigned samples = 0, next_sent = 0;
    r->max_delay_ms = 0;
    for (unsigned k = 0; k <= n; k++) {
        /* After the last packet: until its audio has played (2 s of delay at most). */
        int64_t until = k < n ? r->arrival[order[k]] : tick + 2100000;
        for (; tick <= until && (k < n || !all_played(rx)); tick += 10000) {
            okno_audio_rx_tick(rx, tick);
            double d = okno_audio_rx_stats(rx).delay_ms;
            sum += d;
            samples++;
            if (d > r->max_delay_ms)
                r->max_delay_ms = d;
            for (; next_sent < N && T0 + (int64_t)next_sent * PKT <= tick; next_sent++)
                r->delay_at_ms[next_sent] = d;
        }
        if (k < n) {
            unsigned i = order[k];
            int rc = okno_audio_rx_push(rx, (uint16_t)(40000 + i), 7777 + i * 960, s[i].data,
                                        (size_t)s[i].len, r->arrival[i]);
            assert_true(rc == 0 || rc == 1);
        }
    }
    r->st = okno_audio_rx_stats(rx);
    r->ratio = okno_audio_rx_concealment(rx);
    r->mean_delay_ms = sum / samples;
    okno_audio_rx_destroy(rx);
    printf("# concealment %.2f %% (concealed %llu, missing %llu, fec %llu), late %llu, inserted "
           "%llu, removed %llu, delay mean %.0f max %.0f last %.0f target %.0f ms, jb delay "
           "%.0f ms\n",
           r->ratio * 100, (unsigned long long)r->st.slots_concealed,
           (unsigned long long)r->st.slots_missing, (unsigned long long)r->st.slots_fec,
           (unsigned long long)r->st.late, (unsigned long long)r->st.slots_inserted,
           (unsigned long long)r->st.slots_removed, r->mean_delay_ms, r->max_delay_ms,
           r->st.delay_ms, r->st.target_ms,
           r->st.jb_emitted ? (double)r->st.jb_delay_sum_us / (double)r->st.jb_emitted / 1000 : 0);
}

static struct run *new_run(void)
{
    struct run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    return r;
}

static void set_delay(struct run *r, unsigned i, int64_t delay_us)
{
    r->arrival[i] = T0 + (int64_t)i * PKT + delay_us;
}

static void test_estimator_rises_within_a_few_packets_and_falls_over_seconds(void **state)
{
    (void)state;
    struct okno_audio_delay d;
    okno_audio_delay_init(&d, 60000);
    assert_int_equal(okno_audio_delay_target(&d), 60000);
    assert_int_equal(okno_audio_delay_baseline(&d, 0), INT64_MAX);
    int64_t now = 0;
    for (unsigned i = 0; i < 500; i++, now += PKT)
        okno_audio_delay_update(&d, 50000, now);
    assert_int_equal(okno_audio_delay_baseline(&d, now), 50000);
    assert_true(okno_audio_delay_target(&d) <= 30000); /* one bin plus headroom */
    unsigned k = 0;                                    /* every packet 200 ms late from now on */
    while (okno_audio_delay_update(&d, 250000, now) < 200000) {
        now += PKT;
        assert_true(++k <= 10);
    }
    /* Once the baseline window has passed (2 s), the excess is 0 again; the target forgets. */
    for (unsigned i = 0; i < 50; i++, now += PKT)
        okno_audio_delay_update(&d, 250000, now);
    assert_true(okno_audio_delay_target(&d) >= 200000); /* 1 s on: still there */
    assert_int_equal(okno_audio_delay_baseline(&d, now), 50000);
    for (unsigned i = 0; i < 500; i++, now += PKT)
        okno_audio_delay_update(&d, 250000, now);
    assert_int_equal(okno_audio_delay_baseline(&d, now), 250000);
    assert_true(okno_audio_delay_target(&d) <= 30000); /* 11 s on: forgotten */
    okno_audio_delay_init(&d, 10 * OKNO_AUDIO_DELAY_MAX_US);
    assert_int_equal(okno_audio_delay_target(&d), OKNO_AUDIO_DELAY_MAX_US);
    okno_audio_delay_update(&d, -5000000, -3); /* a clock before its epoch is not a crash */
    okno_audio_delay_update(&d, 9000000, 0);   /* nor an excess beyond the histogram */
    assert_int_equal(okno_audio_delay_target(&d), OKNO_AUDIO_DELAY_MAX_US);
}

static void test_constant_delay_settles_low_without_concealment(void **state)
{
    (void)state;
    struct run *r = new_run();
    for (unsigned i = 0; i < N; i++)
        set_delay(r, i, 50000 + (int64_t)(i % 3) * 1000);
    play(r, with_fec, true);
    assert_true(r->st.target_ms < 60);
    assert_true(r->st.delay_ms < 60);
    assert_int_equal(r->st.slots_concealed + r->st.slots_missing, 0);
    assert_int_equal(r->st.late, 0);
    assert_true(r->st.slots_removed > 0); /* from the initial 60 ms */
    assert_int_equal(r->st.slots_decoded + r->st.slots_removed, 2 * N);
    free(r);
}

/* A queue filling by 300 ms over 3 s (each packet 2 ms later than the one before), holding 5 s,
 * then draining in 0.5 s. */
static void test_queue_ramp_is_followed_by_stretching_not_concealment(void **state)
{
    (void)state;
    struct run *r = new_run();
    for (unsigned i = 0; i < N; i++) {
        int64_t q = i < 150 ? 0 : i < 300 ? (int64_t)(i - 150) * 2000 : i < 550 ? 300000 : 0;
        if (i >= 550 && i < 575)
            q = 300000 - (int64_t)(i - 550) * 12000;
        set_delay(r, i, 50000 + q);
    }
    play(r, with_fec, true);
    assert_true(r->ratio < 0.02);
    assert_true(r->st.slots_inserted >= 25); /* 300 ms at least, less what the start had */
    assert_true(r->max_delay_ms >= 250);
    /* After the drain the delay comes back down by acceleration. */
    assert_true(r->st.slots_removed >= 20);
    assert_true(r->delay_at_ms[N - 1] < 100);
    /* The fixed buffer loses most of the held queue: every packet after it grew is late. */
    struct run *f = new_run();
    memcpy(f->arrival, r->arrival, sizeof f->arrival);
    play(f, with_fec, false);
    assert_true(f->ratio > 0.2);
    assert_int_equal(f->st.slots_inserted + f->st.slots_removed, 0);
    free(f);
    free(r);
}

/* 100 ms + normal jitter of 40 ms; a packet never overtakes the one ahead (linkemu's default). */
static void test_normal_jitter_delay_sits_near_its_upper_percentiles(void **state)
{
    (void)state;
    struct run *r = new_run();
    static double excess[N];
    double lo = 1e18;
    for (unsigned i = 0; i < N; i++) {
        double d = 100000 + 40000 * normal();
        set_delay(r, i, d < 0 ? 0 : (int64_t)d);
        if (i && r->arrival[i] < r->arrival[i - 1])
            r->arrival[i] = r->arrival[i - 1];
        excess[i] = (double)(r->arrival[i] - T0 - (int64_t)i * PKT);
        lo = excess[i] < lo ? excess[i] : lo;
    }
    for (unsigned i = 0; i < N; i++)
        excess[i] = (excess[i] - lo) / 1000;
    for (unsigned a = 1; a < N; a++)
        for (unsigned b = a; b > 0 && excess[b - 1] > excess[b]; b--) {
            double t = excess[b];
            excess[b] = excess[b - 1];
            excess[b - 1] = t;
        }
    double p90 = excess[N * 90 / 100], p99 = excess[N * 99 / 100];
    play(r, with_fec, true);
    printf("# delay above the fastest packet: p90 %.0f p95 %.0f p99 %.0f ms\n", p90,
           excess[N * 95 / 100], p99);
    assert_true(r->ratio < 0.02);
    assert_true(r->mean_delay_ms > p90 * 0.8);
    assert_true(r->mean_delay_ms < p99 + 60);
    free(r);
}

/* 20 packets held for 400 ms behind something big in a queue, then delivered at once: the
 * adaptive buffer waits for them (an underrun: concealed for the wait), plays them all and brings
 * the delay back down; the fixed one drops them all as late. */
static void test_delay_spike_is_waited_for_not_dropped(void **state)
{
    (void)state;
    struct run *r = new_run();
    for (unsigned i = 0; i < N; i++)
        set_delay(r, i, 50000);
    for (unsigned i = 300; i < 320; i++)
        r->arrival[i] = r->arrival[320];
    play(r, with_fec, true);
    assert_int_equal(r->st.late, 0);
    uint64_t bad = r->st.slots_concealed + r->st.slots_missing;
    assert_true(bad >= 30 && bad <= 45); /* the 400 ms wait, less the buffered delay */
    assert_true(r->max_delay_ms >= 350);
    assert_true(r->st.slots_removed >= 30);
    assert_true(r->delay_at_ms[N - 1] < 100);
    struct run *f = new_run();
    memcpy(f->arrival, r->arrival, sizeof f->arrival);
    play(f, with_fec, false);
    assert_true(f->st.late >= 15); /* all but those the 60 ms covered */
    assert_true(f->st.slots_concealed + f->st.slots_missing >= 30);
    free(f);
    free(r);
}

/* A 1 s outage (50 packets lost): the wait for them is the concealment; when the next packet
 * shows they are lost, the gap is not concealed a second time and the delay is back where it was.
 */
static void test_outage_is_concealed_once(void **state)
{
    (void)state;
    struct run *r = new_run();
    for (unsigned i = 0; i < N; i++) {
        set_delay(r, i, 50000);
        r->lost[i] = i >= 300 && i < 350;
    }
    play(r, without_fec, true);
    uint64_t bad = r->st.slots_concealed + r->st.slots_missing;
    assert_true(bad >= 100 && bad <= 104);
    assert_true(r->delay_at_ms[360] < 100); /* the wait grew it; the gap took it back */
    assert_true(r->st.slots_removed <= 2);  /* without acceleration */
    assert_int_equal(r->st.slots_inserted, 0);
    free(r);
}

/* The queue grows by 200 ms during a DTX pause (only the first DTX frame of a run is sent, as
 * libwebrtc does): the adaptive buffer resumes at the first packet after the pause, a longer pause
 * instead of late speech; the fixed one drops what comes after as late. */
static void test_delay_step_in_a_dtx_pause_costs_nothing(void **state)
{
    (void)state;
    struct run *r = new_run();
    unsigned dtx = 0;
    for (unsigned i = 0; i < N; i++) {
        set_delay(r, i, i < 450 ? 50000 : 250000);
        r->lost[i] = i > 0 && with_dtx[i].len <= 2 && with_dtx[i - 1].len <= 2;
        dtx += with_dtx[i].len <= 2;
    }
    assert_true(dtx > 200);
    play(r, with_dtx, true);
    assert_true(r->st.slots_dtx > 400);
    assert_true(r->st.late <= 1);
    assert_true(r->ratio < 0.01);
    assert_true(r->max_delay_ms > 200); /* the pause took the step */
    struct run *f = new_run();
    memcpy(f, r, sizeof *f);
    play(f, with_dtx, false);
    assert_true(f->st.late > 100);
    free(f);
    free(r);
}

/* 3 s of packets held and then delivered at once: the wait is capped at the 2 s maximum delay;
 * after that playout moves on (concealing) and the packets it passed are late when they come. */
static void test_wait_beyond_the_maximum_delay_is_capped(void **state)
{
    (void)state;
    struct run *r = new_run();
    for (unsigned i = 0; i < N; i++)
        set_delay(r, i, 50000);
    for (unsigned i = 300; i < 450; i++)
        r->arrival[i] = r->arrival[450];
    play(r, with_fec, true);
    assert_true(r->max_delay_ms <= 2000 + 20);
    assert_true(r->max_delay_ms >= 1900);
    assert_true(r->st.late >= 40 && r->st.late <= 60); /* the third second */
    uint64_t bad = r->st.slots_concealed + r->st.slots_missing;
    assert_true(bad >= 290 && bad <= 310); /* 3 s without audio */
    assert_true(r->delay_at_ms[N - 1] < r->max_delay_ms - 500);
    free(r);
}

static void test_random_loss_is_concealed_without_fec_and_mostly_recovered_with_it(void **state)
{
    (void)state;
    struct run *r = new_run();
    unsigned lost = 0;
    for (unsigned i = 0; i < N; i++) {
        set_delay(r, i, 40000 + (int64_t)(uniform() * 10000));
        r->lost[i] = i > 0 && uniform() < 0.02;
        lost += r->lost[i];
    }
    assert_true(lost >= 10 && lost <= 35);
    play(r, without_fec, true);
    double want = (double)lost / N;
    assert_true(r->ratio > want * 0.8 && r->ratio < want * 1.2 + 0.002);
    assert_int_equal(r->st.slots_fec, 0);
    double no_fec = r->ratio;
    play(r, with_fec, true);
    assert_true(r->ratio < no_fec / 2);
    assert_true(r->st.slots_fec > 0);
    free(r);
}

static void test_bursts_of_three_lose_two_packets_with_fec_three_without(void **state)
{
    (void)state;
    struct run *r = new_run();
    unsigned bursts = 0;
    for (unsigned i = 0; i < N; i++) {
        set_delay(r, i, 60000);
        r->lost[i] = i % 100 >= 50 && i % 100 < 53;
        bursts += i % 100 == 50;
    }
    unsigned carriers = 0;
    for (unsigned i = 53; i < N; i += 100)
        carriers += okno_opus_has_fec(with_fec[i].data, (size_t)with_fec[i].len);
    play(r, with_fec, true);
    assert_int_equal(r->st.slots_fec, 2 * carriers);
    assert_int_equal(r->st.slots_concealed, 6 * bursts - 2 * carriers);
    play(r, without_fec, true);
    assert_int_equal(r->st.slots_fec, 0);
    assert_int_equal(r->st.slots_concealed, 6 * bursts);
    assert_int_equal(r->st.slots_inserted, 0); /* loss is not delay: nothing to follow */
    free(r);
}

/* Two packets lost and the one after them late by 0..100 ms (those behind it queue after it): the
 * buffer underruns for some 10 ms slots and then learns of the loss. Whatever the number of slots
 * waited (odd ones left playout between two frames), only the gap and the wait are concealed:
 * playout gets back onto the packets' 20 ms grid instead of missing every later one by 10 ms. */
static void test_loss_after_an_odd_underrun_stays_on_the_packet_grid(void **state)
{
    (void)state;
    struct run *r = new_run();
    for (int64_t extra = 0; extra <= 100000; extra += 10000) {
        for (unsigned i = 0; i < N; i++) {
            set_delay(r, i, 50000);
            r->lost[i] = i == 300 || i == 301;
        }
        r->arrival[302] += extra;
        for (unsigned i = 303; i < N && r->arrival[i] < r->arrival[i - 1]; i++)
            r->arrival[i] = r->arrival[i - 1];
        play(r, without_fec, true);
        uint64_t bad = r->st.slots_concealed + r->st.slots_missing;
        printf("# 302 late by %lld ms: %llu slots concealed\n", (long long)(extra / 1000),
               (unsigned long long)bad);
        assert_true(bad >= 4);
        assert_true(bad <= 4 + (uint64_t)(extra / 10000) + 4);
        assert_int_equal(r->st.late, 0);
    }
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_estimator_rises_within_a_few_packets_and_falls_over_seconds),
        cmocka_unit_test(test_constant_delay_settles_low_without_concealment),
        cmocka_unit_test(test_queue_ramp_is_followed_by_stretching_not_concealment),
        cmocka_unit_test(test_normal_jitter_delay_sits_near_its_upper_percentiles),
        cmocka_unit_test(test_delay_spike_is_waited_for_not_dropped),
        cmocka_unit_test(test_outage_is_concealed_once),
        cmocka_unit_test(test_delay_step_in_a_dtx_pause_costs_nothing),
        cmocka_unit_test(test_wait_beyond_the_maximum_delay_is_capped),
        cmocka_unit_test(test_random_loss_is_concealed_without_fec_and_mostly_recovered_with_it),
        cmocka_unit_test(test_bursts_of_three_lose_two_packets_with_fec_three_without),
        cmocka_unit_test(test_loss_after_an_odd_underrun_stays_on_the_packet_grid),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
