/* The per-subscriber pacer in synthetic time: the order of the classes, audio never held, the
 * pacing rate over a second, a keyframe's burst spread over the time the rate allows, the delay
 * limit and the slot limit, forgetting a tag, the queue delay statistics, and no allocation on
 * the packet path. */
#include "testutil.h"

#include <malloc.h>

#include "okno/err.h"
#include "sfu/pacer.h"

#define MS      1000
#define MAX_LOG 4096

/* What the send callback saw. */
struct sent_log {
    size_t n;
    enum okno_pacer_class cls[MAX_LOG];
    uint8_t first[MAX_LOG];
    int64_t at[MAX_LOG];
    uint64_t bytes;
    const uint8_t *lo, *hi; /* the lowest and highest slot address handed out */
    int fail;               /* the callback fails while > 0 */
};

static int record(void *ud, enum okno_pacer_class cls, void *tag, uint8_t *pkt, size_t len,
                  size_t cap, int64_t now_us)
{
    struct sent_log *l = ud;
    (void)tag;
    assert_true(cap >= len + 20); /* room for the SRTP trailer */
    pkt[len - 1] ^= 0xff;         /* writable in place, like a stamp and protection */
    if (l->n < MAX_LOG) {
        l->cls[l->n] = cls;
        l->first[l->n] = pkt[0];
        l->at[l->n] = now_us;
    }
    l->n++;
    l->bytes += len;
    if (!l->lo || pkt < l->lo)
        l->lo = pkt;
    if (!l->hi || pkt > l->hi)
        l->hi = pkt;
    if (l->fail > 0) {
        l->fail--;
        return OKNO_E_IO;
    }
    return 0;
}

static void enqueue(struct okno_pacer *p, enum okno_pacer_class cls, uint8_t mark, size_t len,
                    int64_t now_us)
{
    uint8_t pkt[OKNO_MTU];
    memset(pkt, mark, len);
    assert_int_equal(okno_pacer_enqueue(p, cls, NULL, pkt, len, now_us), 0);
}

static void test_pacer_sends_audio_then_rtx_then_video_then_padding(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(64);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    enqueue(p, OKNO_PACER_PADDING, 4, 200, 0);
    enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    enqueue(p, OKNO_PACER_RTX, 2, 1200, 0);
    enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    enqueue(p, OKNO_PACER_AUDIO, 1, 100, 0);
    assert_int_equal(okno_pacer_queued(p), 5);
    /* Unpaced (no estimate): everything at the step, by class, first in first out within one. */
    assert_int_equal(okno_pacer_process(p, 1 * MS, record, &l), 5);
    const enum okno_pacer_class want[] = {OKNO_PACER_AUDIO, OKNO_PACER_RTX, OKNO_PACER_VIDEO,
                                          OKNO_PACER_VIDEO, OKNO_PACER_PADDING};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(l.cls[i], want[i]);
    assert_int_equal(okno_pacer_queued(p), 0);
    okno_pacer_free(p);
}

static void test_pacer_never_holds_audio_behind_a_spent_budget(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(256);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    okno_pacer_set_estimate(p, 400000); /* 1 Mbit/s paced: 625 bytes per 5 ms */
    for (int i = 0; i < 30; i++)
        enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    okno_pacer_process(p, 0, record, &l);
    size_t before = l.n;
    assert_true(before < 3);
    /* Audio arrives behind 29 videos and a spent budget: it leaves at the next step, first. */
    enqueue(p, OKNO_PACER_AUDIO, 1, 120, 1 * MS);
    enqueue(p, OKNO_PACER_RTX, 2, 1200, 1 * MS);
    okno_pacer_process(p, 1 * MS, record, &l);
    assert_true(l.n > before);
    assert_int_equal(l.cls[before], OKNO_PACER_AUDIO);
    /* The retransmission goes before the videos queued earlier. */
    while (l.n < before + 2)
        okno_pacer_process(p, l.at[l.n - 1] + 5 * MS, record, &l);
    assert_int_equal(l.cls[before + 1], OKNO_PACER_RTX);
    okno_pacer_free(p);
}

static void test_pacer_rate_over_a_second_is_the_estimate_times_2_5(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(2048);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    okno_pacer_set_estimate(p, 1000000);
    okno_pacer_set_max_delay(p, 10 * 1000 * MS);
    struct okno_pacer_stats st;
    okno_pacer_stats(p, &st);
    assert_int_equal(st.rate_bps, 2500000);
    /* 400 packets of 1,200 bytes a second (3.84 Mbit/s) against 2.5 Mbit/s, stepped every 5 ms
     * with a jittery timer (4-7 ms). */
    int64_t t = 0, t1 = -1, t2 = -1;
    uint64_t b1 = 0, b2 = 0;
    while (t2 < 0) {
        enqueue(p, OKNO_PACER_VIDEO, 3, 1200, t);
        enqueue(p, OKNO_PACER_VIDEO, 3, 1200, t);
        okno_pacer_process(p, t, record, &l);
        if (t1 < 0 && t >= 1000 * MS) {
            t1 = t;
            b1 = l.bytes;
        } else if (t >= 2000 * MS) {
            t2 = t;
            b2 = l.bytes;
        }
        t += 4 * MS + (t / MS % 4) * MS;
    }
    double bps = (double)(b2 - b1) * 8e6 / (double)(t2 - t1);
    print_message("# paced at %.0f bit/s over %lld ms (want 2500000)\n", bps,
                  (long long)((t2 - t1) / MS));
    assert_true(bps >= 2500000 * 0.95 && bps <= 2500000 * 1.05);
    okno_pacer_free(p);
}

static void test_pacer_keeps_the_rate_when_stepped_at_every_packet_too(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(2048);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    okno_pacer_set_estimate(p, 400000); /* 1 Mbit/s */
    okno_pacer_set_max_delay(p, 10 * 1000 * MS);
    /* As the glue does: a step at every packet (1,000-byte packets every 1.7-3 ms, about 3.4
     * Mbit/s) besides the 5 ms timer. */
    int64_t t1 = -1, t2 = -1, next_timer = 0;
    uint64_t b1 = 0, b2 = 0;
    for (int64_t t = 0; t2 < 0; t += 1700 + t % 1300) {
        enqueue(p, OKNO_PACER_VIDEO, 3, 1000, t);
        okno_pacer_process(p, t, record, &l);
        if (t >= next_timer) {
            okno_pacer_process(p, t, record, &l);
            next_timer = t + OKNO_PACER_INTERVAL_US;
        }
        if (t1 < 0 && t >= 500 * MS) {
            t1 = t;
            b1 = l.bytes;
        } else if (t >= 1500 * MS) {
            t2 = t;
            b2 = l.bytes;
        }
    }
    double bps = (double)(b2 - b1) * 8e6 / (double)(t2 - t1);
    print_message("# stepped at every packet: %.0f bit/s (want 1000000)\n", bps);
    assert_true(bps >= 1000000 * 0.95 && bps <= 1000000 * 1.05);
    okno_pacer_free(p);
}

static void test_pacer_turns_a_stalled_timer_into_50_ms_of_data_at_most(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(512);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    okno_pacer_set_estimate(p, 400000); /* 1 Mbit/s: 125 bytes a ms */
    okno_pacer_process(p, 0, record, &l);
    for (int i = 0; i < 100; i++)
        enqueue(p, OKNO_PACER_VIDEO, 3, 1000, 0);
    /* The worker was busy for 300 ms: the step sends 50 ms worth (6,250 bytes), plus the packet
     * that crosses the line. */
    size_t n = okno_pacer_process(p, 300 * MS, record, &l);
    print_message("# after a 300 ms stall: %zu packets of 1,000 bytes at once\n", n);
    assert_true(n >= 6 && n <= 8);
    okno_pacer_free(p);
}

static void test_pacer_spreads_a_keyframe_over_the_time_the_rate_allows(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(64);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    okno_pacer_set_estimate(p, 1000000); /* 2.5 Mbit/s: 30 x 1,200 bytes take 115.2 ms */
    for (int i = 0; i < 30; i++)
        enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    for (int64_t t = 0; okno_pacer_queued(p) > 0 && t < 1000 * MS; t += OKNO_PACER_INTERVAL_US)
        okno_pacer_process(p, t, record, &l);
    assert_int_equal(l.n, 30);
    int64_t span = l.at[29] - l.at[0];
    print_message("# keyframe of 30 packets spread over %lld ms (115 ms at 2.5 Mbit/s)\n",
                  (long long)(span / MS));
    assert_true(span >= 100 * MS && span <= 125 * MS);
    /* No step sent more than its share (625 bytes a ms x 5 ms) plus one packet. */
    size_t i = 0;
    while (i < l.n) {
        size_t j = i;
        while (j < l.n && l.at[j] == l.at[i])
            j++;
        assert_true((j - i) * 1200 <= 3125 + 1200 || i == 0);
        i = j;
    }
    struct okno_pacer_stats st;
    okno_pacer_stats(p, &st);
    assert_int_equal(st.sent[OKNO_PACER_VIDEO], 30);
    assert_true(st.delay_max_us >= 100 * MS && st.delay_max_us <= 125 * MS);
    assert_true(st.delay_p95_us >= 95 * MS && st.delay_p95_us <= st.delay_max_us);
    okno_pacer_free(p);
}

static void test_pacer_drops_video_and_rtx_older_than_the_limit(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(512);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    okno_pacer_set_estimate(p, 100000); /* 250 kbit/s: 300 packets of 1,200 bytes take 11.5 s */
    okno_pacer_set_max_delay(p, 200 * MS);
    for (int i = 0; i < 300; i++)
        enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    enqueue(p, OKNO_PACER_RTX, 2, 1200, 0);
    int64_t t = 0;
    for (; t <= 400 * MS; t += OKNO_PACER_INTERVAL_US)
        okno_pacer_process(p, t, record, &l);
    struct okno_pacer_stats st;
    okno_pacer_stats(p, &st);
    assert_int_equal(st.queued_packets, 0);
    assert_int_equal(st.sent[OKNO_PACER_RTX], 1);
    assert_int_equal(st.sent[OKNO_PACER_VIDEO] + st.dropped_late[OKNO_PACER_VIDEO], 300);
    assert_true(st.dropped_late[OKNO_PACER_VIDEO] > 250);
    /* Nothing sent waited longer than the limit. */
    assert_true(st.delay_max_us <= 200 * MS);
    /* Audio is never dropped for its age. */
    enqueue(p, OKNO_PACER_AUDIO, 1, 100, t);
    okno_pacer_process(p, t + 1000 * MS, record, &l);
    okno_pacer_stats(p, &st);
    assert_int_equal(st.sent[OKNO_PACER_AUDIO], 1);
    okno_pacer_free(p);
}

static void test_pacer_full_slots_evict_the_lowest_class_first(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(4);
    uint8_t pkt[OKNO_MTU + 1];
    memset(pkt, 0, sizeof pkt);
    enqueue(p, OKNO_PACER_PADDING, 4, 100, 0);
    enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    /* Full: a video evicts the padding, then finds only its own class and is refused. */
    enqueue(p, OKNO_PACER_VIDEO, 3, 1200, 0);
    assert_int_equal(okno_pacer_enqueue(p, OKNO_PACER_VIDEO, NULL, pkt, 1200, 0), OKNO_E_NOSPC);
    /* Audio and a retransmission evict the oldest videos. */
    enqueue(p, OKNO_PACER_AUDIO, 1, 100, 0);
    enqueue(p, OKNO_PACER_RTX, 2, 1200, 0);
    assert_int_equal(okno_pacer_enqueue(p, OKNO_PACER_PADDING, NULL, pkt, 100, 0), OKNO_E_NOSPC);
    /* Bad input is refused and counted, never queued. */
    assert_int_equal(okno_pacer_enqueue(p, OKNO_PACER_AUDIO, NULL, pkt, OKNO_MTU + 1, 0),
                     OKNO_E_RANGE);
    assert_int_equal(okno_pacer_enqueue(p, OKNO_PACER_AUDIO, NULL, pkt, 0, 0), OKNO_E_INVAL);
    assert_int_equal(okno_pacer_enqueue(p, OKNO_PACER_N_CLASSES, NULL, pkt, 10, 0), OKNO_E_INVAL);
    struct okno_pacer_stats st;
    okno_pacer_stats(p, &st);
    assert_int_equal(st.queued_packets, 4);
    assert_int_equal(st.dropped_full[OKNO_PACER_PADDING], 2);
    assert_int_equal(st.dropped_full[OKNO_PACER_VIDEO], 3);
    assert_int_equal(st.dropped_big[OKNO_PACER_AUDIO], 1);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    okno_pacer_process(p, 1 * MS, record, &l);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.cls[0], OKNO_PACER_AUDIO);
    assert_int_equal(l.cls[1], OKNO_PACER_RTX);
    assert_int_equal(l.cls[2], OKNO_PACER_VIDEO);
    assert_int_equal(l.cls[3], OKNO_PACER_VIDEO);
    okno_pacer_free(p);
}

static void test_pacer_forgets_a_tag_and_counts_failed_sends(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(16);
    int a, b;
    uint8_t pkt[100];
    for (int i = 0; i < 6; i++) {
        memset(pkt, i, sizeof pkt);
        assert_int_equal(okno_pacer_enqueue(p, i % 2 ? OKNO_PACER_VIDEO : OKNO_PACER_AUDIO,
                                            i % 3 ? &a : &b, pkt, sizeof pkt, 0),
                         0);
    }
    /* Tags: b a a b a a; forgetting a leaves the two of b (packets 0 and 3). */
    okno_pacer_forget(p, &a);
    assert_int_equal(okno_pacer_queued(p), 2);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    l.fail = 1;
    okno_pacer_process(p, 0, record, &l);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.first[0], 0);
    assert_int_equal(l.first[1], 3);
    struct okno_pacer_stats st;
    okno_pacer_stats(p, &st);
    assert_int_equal(st.forgotten, 4);
    assert_int_equal(st.dropped_send[OKNO_PACER_AUDIO], 1);
    assert_int_equal(st.sent[OKNO_PACER_VIDEO], 1);
    /* The queues still work after unlinking from their middle and tail. */
    enqueue(p, OKNO_PACER_VIDEO, 9, 100, 0);
    okno_pacer_process(p, 1, record, &l);
    assert_int_equal(l.first[2], 9);
    okno_pacer_free(p);
}

static void test_pacer_allocates_nothing_per_packet(void **state)
{
    (void)state;
    struct okno_pacer *p = okno_pacer_new(32);
    static struct sent_log l;
    memset(&l, 0, sizeof l);
    okno_pacer_set_estimate(p, 500000);
    uint8_t pkt[1200];
    memset(pkt, 3, sizeof pkt);
    struct mallinfo2 before = mallinfo2();
    int64_t t = 0;
    for (int i = 0; i < 20000; i++) {
        okno_pacer_enqueue(p, (enum okno_pacer_class)(i % OKNO_PACER_N_CLASSES), NULL, pkt,
                           (size_t)(100 + i % 1100), t);
        if (i % 4 == 3) {
            okno_pacer_process(p, t, record, &l);
            t += OKNO_PACER_INTERVAL_US;
        }
    }
    struct mallinfo2 after = mallinfo2();
    /* The heap did not grow (ASan keeps its own: there both read 0), and every packet was handed
     * out from the 32 slots made at create. */
    assert_true(after.uordblks == before.uordblks);
    assert_true(l.n > 1000);
    assert_true((size_t)(l.hi - l.lo) <= 31 * OKNO_PACER_SLOT_BYTES);
    okno_pacer_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pacer_sends_audio_then_rtx_then_video_then_padding),
        cmocka_unit_test(test_pacer_never_holds_audio_behind_a_spent_budget),
        cmocka_unit_test(test_pacer_rate_over_a_second_is_the_estimate_times_2_5),
        cmocka_unit_test(test_pacer_keeps_the_rate_when_stepped_at_every_packet_too),
        cmocka_unit_test(test_pacer_turns_a_stalled_timer_into_50_ms_of_data_at_most),
        cmocka_unit_test(test_pacer_spreads_a_keyframe_over_the_time_the_rate_allows),
        cmocka_unit_test(test_pacer_drops_video_and_rtx_older_than_the_limit),
        cmocka_unit_test(test_pacer_full_slots_evict_the_lowest_class_first),
        cmocka_unit_test(test_pacer_forgets_a_tag_and_counts_failed_sends),
        cmocka_unit_test(test_pacer_allocates_nothing_per_packet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
