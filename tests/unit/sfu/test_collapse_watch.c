/* Unit tests of the uplink collapse watch (sfu/collapse_watch.h): a capacity drop that loses most
 * of a stream asks for one keyframe a round trip and a window after it began; random loss, a few
 * holes, a stream restart or a keyframe already on its way do not. Packets every 5 ms (200 a
 * second, a 2 Mbit/s video). */
#include "testutil.h"
#include "sfu/collapse_watch.h"

#define MS 1000LL

struct run {
    struct okno_collapse_watch w;
    uint16_t seq;
    int64_t now;
    int asked;         /* keyframes asked for */
    int64_t first_ask; /* when the first was, -1: none */
};

static void start(struct run *r)
{
    okno_collapse_watch_init(&r->w);
    r->seq = 1000;
    r->now = 0;
    r->asked = 0;
    r->first_ask = -1;
}

/* ms of the stream, one number every 5 ms; each lost with probability loss_pct, drawn from a
 * fixed sequence (every packet whose index i has (i * 37) % 100 < loss_pct is lost). */
static void stream(struct run *r, int ms, unsigned loss_pct, int64_t rtt)
{
    for (int i = 0; i < ms / 5; i++) {
        r->now += 5 * MS;
        r->seq++;
        if ((unsigned)((r->seq * 37u) % 100u) < loss_pct)
            continue;
        if (okno_collapse_watch_on_packet(&r->w, r->seq, false, rtt, r->now)) {
            r->asked++;
            if (r->first_ask < 0)
                r->first_ask = r->now;
        }
    }
}

/* The numbers jump by n at once (n - 1 lost, or a restart) 5 ms on: asks nothing. */
static void jump(struct run *r, uint16_t n, int64_t rtt)
{
    r->seq = (uint16_t)(r->seq + n);
    r->now += 5 * MS;
    assert_false(okno_collapse_watch_on_packet(&r->w, r->seq, false, rtt, r->now));
}

static void test_collapse_asks_once_after_a_round_trip(void **state)
{
    (void)state;
    struct run r;
    start(&r);
    stream(&r, 2000, 0, 100 * MS);
    assert_int_equal(r.asked, 0);
    int64_t drop = r.now;
    stream(&r, 1500, 70, 100 * MS); /* 2.5 -> 0.6 Mbit/s: 70 % lost while the sender catches up */
    printf("# 70 %% lost from %lld ms: keyframe asked %d time(s), %lld ms after\n",
           (long long)(drop / MS), r.asked, (long long)((r.first_ask - drop) / MS));
    assert_int_equal(r.asked, 1);
    /* the collapse's first window began at most a window before the drop showed; asked a round
     * trip and a window after that */
    assert_in_range(r.first_ask - drop, 100 * MS, 100 * MS + 2 * OKNO_COLLAPSE_WINDOW_US + 10 * MS);
    stream(&r, 1000, 0, 100 * MS);
    assert_int_equal(r.asked, 1);
    /* A second collapse, after a clean spell, asks again; a longer round trip waits longer. */
    drop = r.now;
    r.first_ask = -1;
    stream(&r, 2000, 60, 600 * MS);
    assert_int_equal(r.asked, 2);
    assert_true(r.first_ask - drop >= 600 * MS);
    assert_int_equal(r.w.collapses, 2);
}

/* A collapse that fills a window's first half with what the whole window needs is found then, not
 * at the window's end; a burst the whole window would not call a collapse (9 lost of its 40) is
 * not called one half way either. */
static void test_collapse_found_half_a_window_in(void **state)
{
    (void)state;
    struct run r;
    start(&r);
    stream(&r, 2000, 0, 100 * MS); /* its last packet began a window */
    int64_t drop = r.now;
    while (r.w.since_us < 0 && r.now - drop < OKNO_COLLAPSE_WINDOW_US)
        stream(&r, 5, 70, 100 * MS);
    printf("# 70 %% lost from a window's start: a collapse %lld ms in\n",
           (long long)((r.now - drop) / MS));
    assert_true(r.w.since_us >= 0);
    assert_true(r.now - drop <= OKNO_COLLAPSE_WINDOW_US / 2 + 25 * MS); /* and a hole or two */
    stream(&r, 1000, 0, 100 * MS);
    assert_int_equal(r.w.since_us, -1);
    while (r.w.win_start_us != r.now) /* to a window's start again */
        stream(&r, 5, 0, 100 * MS);
    jump(&r, 10, 100 * MS);
    for (int i = 0; i < 40; i++) {
        stream(&r, 5, 0, 100 * MS);
        assert_int_equal(r.w.since_us, -1);
    }
}

static void test_random_loss_and_small_holes_are_no_collapse(void **state)
{
    (void)state;
    struct run r;
    start(&r);
    stream(&r, 20000, 10, 60 * MS); /* 10 % random loss */
    assert_int_equal(r.asked, 0);
    /* a run of 7 lost at once, every second: under the minimum in any window */
    start(&r);
    for (int s = 0; s < 10; s++) {
        jump(&r, 8, 60 * MS);
        stream(&r, 995, 0, 60 * MS);
    }
    assert_int_equal(r.asked, 0);
    /* A slow stream (edge: 20 packets a second) losing runs of 3 never has the numbers. */
    for (int i = 0; i < 400; i++) {
        r.now += 50 * MS;
        r.seq += (i % 17 == 0) ? 4 : 1;
        assert_false(okno_collapse_watch_on_packet(&r.w, r.seq, false, 800 * MS, r.now));
    }
}

static void test_keyframe_or_restart_needs_no_request(void **state)
{
    (void)state;
    struct run r;
    start(&r);
    stream(&r, 1000, 0, 100 * MS);
    /* The collapse begins, and a keyframe (a subscriber's PLI answered) arrives before the
     * round trip (600 ms) is over: nothing asked. */
    stream(&r, 450, 70, 600 * MS);
    r.now += 5 * MS;
    r.seq++;
    assert_int_not_equal(r.w.since_us, -1);
    assert_false(okno_collapse_watch_on_packet(&r.w, r.seq, true, 600 * MS, r.now));
    stream(&r, 1000, 70, 600 * MS);
    assert_int_equal(r.asked, 0);
    stream(&r, 1000, 0, 100 * MS);
    /* The sender restarts its numbering: a new stream, not 30,000 lost. */
    jump(&r, 30000, 100 * MS);
    stream(&r, 1000, 0, 100 * MS);
    assert_int_equal(r.asked, 0);
    /* Late packets filling the holes count them back: reordering is no collapse. */
    for (int i = 0; i < 200; i++) {
        r.now += 5 * MS;
        uint16_t s = (uint16_t)(r.seq + 2 * (i + 1));
        assert_false(okno_collapse_watch_on_packet(&r.w, s, false, 100 * MS, r.now));
        assert_false(
            okno_collapse_watch_on_packet(&r.w, (uint16_t)(s - 1), false, 100 * MS, r.now));
    }
    assert_int_equal(r.w.collapses, 0);
}

/* Another stage (the uplink drain) asks for the collapse's keyframe when it begins: only during a
 * collapse, once, counted, and the watch then asks nothing more for it. */
static void test_asked_by_the_drain(void **state)
{
    (void)state;
    struct run r;
    start(&r);
    stream(&r, 2000, 0, 100 * MS);
    assert_false(okno_collapse_watch_ask(&r.w)); /* no collapse */
    stream(&r, 250, 70, 100 * MS);               /* a window that lost 70 %: the collapse begins */
    assert_true(r.w.since_us >= 0);
    assert_int_equal(r.asked, 0);
    assert_true(okno_collapse_watch_ask(&r.w));
    assert_false(okno_collapse_watch_ask(&r.w));
    assert_int_equal(r.w.collapses, 1);
    stream(&r, 1500, 70, 100 * MS);
    assert_int_equal(r.asked, 0);
    stream(&r, 1000, 0, 100 * MS); /* over; a later collapse is asked for anew */
    stream(&r, 1500, 70, 100 * MS);
    assert_int_equal(r.asked, 1);
    assert_int_equal(r.w.collapses, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collapse_asks_once_after_a_round_trip),
        cmocka_unit_test(test_collapse_found_half_a_window_in),
        cmocka_unit_test(test_random_loss_and_small_holes_are_no_collapse),
        cmocka_unit_test(test_keyframe_or_restart_needs_no_request),
        cmocka_unit_test(test_asked_by_the_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
