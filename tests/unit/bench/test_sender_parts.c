/* The sender's pacer and retransmission history alone, in simulated time: class order, audio
 * bypassing the budget, the pacing rate held over a second, bursts bounded, a long queue drained
 * faster only past libwebrtc's 2 s and a lowered rate kept, the non-audio queue, slot exhaustion;
 * history lookups, age, the resend interval and overwriting. */
#include <setjmp.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "call/pacer.h"
#include "call/rtx_history.h"
#include "okno/err.h"

static struct okno_pacer_pkt *push(struct okno_pacer *p, enum okno_pacer_class cls, size_t len,
                                   int8_t tag, int64_t now)
{
    struct okno_pacer_pkt *pkt = okno_pacer_alloc(p);
    assert_non_null(pkt);
    memset(pkt->buf, tag, len);
    pkt->len = len;
    pkt->cls = (uint8_t)cls;
    pkt->stream = tag;
    okno_pacer_push(p, pkt, now);
    return pkt;
}

static void test_pacer_class_order_and_audio_first(void **state)
{
    (void)state;
    struct okno_pacer p;
    assert_int_equal(okno_pacer_init(&p, 64, 1000000, 0), 0);
    push(&p, OKNO_PACER_VIDEO, 1000, 1, 0);
    push(&p, OKNO_PACER_PADDING, 100, 4, 0);
    push(&p, OKNO_PACER_RTX, 1000, 2, 0);
    push(&p, OKNO_PACER_VIDEO, 1000, 3, 0);
    int64_t due, now = 0;
    struct okno_pacer_pkt *pkt = okno_pacer_pop(&p, now, &due);
    assert_non_null(pkt);
    assert_int_equal(pkt->stream, 2); /* retransmission before video */
    okno_pacer_sent(&p, pkt, now);
    /* the budget is spent: the next one waits for 1000 bytes at 1 Mbit/s */
    assert_null(okno_pacer_pop(&p, now, &due));
    assert_int_equal(due, 8000);
    /* audio goes at once anyway */
    push(&p, OKNO_PACER_AUDIO, 100, 9, now);
    pkt = okno_pacer_pop(&p, now, &due);
    assert_non_null(pkt);
    assert_int_equal(pkt->stream, 9);
    okno_pacer_sent(&p, pkt, now);
    assert_null(okno_pacer_pop(&p, now, &due));
    assert_int_equal(due, 8800); /* audio's bytes were charged */
    int order[3], n = 0;
    while (n < 3) {
        pkt = okno_pacer_pop(&p, now, &due);
        if (!pkt) {
            assert_true(due > now);
            now = due;
            continue;
        }
        order[n++] = pkt->stream;
        okno_pacer_sent(&p, pkt, now);
    }
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 3);
    assert_int_equal(order[2], 4);
    assert_null(okno_pacer_pop(&p, now, &due));
    assert_int_equal(due, INT64_MAX);
    assert_int_equal(okno_pacer_free_slots(&p), 64);
    okno_pacer_deinit(&p);
}

static void test_pacer_holds_the_rate_and_bounds_bursts(void **state)
{
    (void)state;
    struct okno_pacer p;
    const uint64_t rate = 2000000;
    assert_int_equal(okno_pacer_init(&p, 4096, rate, 0), 0);
    /* 0.9 s worth of 1200-byte packets at once (under the 1 s drain-faster bound); the first
     * 0.5 s is measured. */
    for (int i = 0; i < 187; i++)
        push(&p, OKNO_PACER_VIDEO, 1200, 0, 0);
    int64_t now = 0, due;
    uint64_t bytes = 0, in_window = 0;
    int64_t window_start = 0;
    uint64_t worst = 0;
    while (now < 500000) {
        struct okno_pacer_pkt *pkt = okno_pacer_pop(&p, now, &due);
        if (!pkt) {
            now = due;
            continue;
        }
        if (now - window_start >= 5000) {
            window_start = now;
            in_window = 0;
        }
        in_window += pkt->len;
        worst = in_window > worst ? in_window : worst;
        bytes += pkt->len;
        okno_pacer_sent(&p, pkt, now);
    }
    double got = (double)bytes * 8 / 0.5;
    printf("# 2 Mbit/s pacing: %.0f bit/s over 0.5 s, at most %" PRIu64 " bytes in 5 ms\n", got,
           worst);
    assert_true(got > rate * 0.98 && got < rate * 1.02);
    /* 5 ms at 2 Mbit/s is 1250 bytes, plus one packet and the 2 ms credit */
    assert_true(worst <= 1250 + 1200 + 500);
    okno_pacer_deinit(&p);
}

/* Runs p until its video queue is empty, from *now: the bytes that left before `mark` go to
 * *before_mark. */
static void run_out(struct okno_pacer *p, int64_t *now, int64_t mark, uint64_t *before_mark)
{
    int64_t due;
    while (okno_pacer_queued(p, OKNO_PACER_VIDEO) > 0) {
        struct okno_pacer_pkt *pkt = okno_pacer_pop(p, *now, &due);
        if (!pkt) {
            *now = due;
            continue;
        }
        if (*now < mark)
            *before_mark += pkt->len;
        okno_pacer_sent(p, pkt, *now);
    }
}

static void test_pacer_drains_a_long_queue_within_two_seconds(void **state)
{
    (void)state;
    struct okno_pacer p;
    /* 100 kbit/s, and 60 KB queued: 4.8 s at the rate. libwebrtc's rule spreads it so that its
     * average wait is 2 s: at 240 kbit/s at first, faster as the packets age. */
    assert_int_equal(okno_pacer_init(&p, 128, 100000, 0), 0);
    for (int i = 0; i < 50; i++)
        push(&p, OKNO_PACER_VIDEO, 1200, 0, 0);
    assert_int_equal(okno_pacer_queue_us(&p), 4800000);
    assert_int_equal(okno_pacer_media_queue_us(&p), 4800000);
    int64_t now = 0;
    uint64_t first_half = 0;
    run_out(&p, &now, 500000, &first_half);
    printf("# 60 KB at 100 kbit/s drained in %" PRId64 " ms, %" PRIu64
           " bytes in the first 0.5 s\n",
           now / 1000, first_half);
    assert_true(now > 1500000 && now <= 2000000);
    /* not flushed at once: the first half second carries what 240 to 320 kbit/s would */
    assert_true(first_half <= 320000 / 8 / 2 + 1200);
    okno_pacer_deinit(&p);
}

/* A queue that takes a second at a rate just lowered (a capacity drop) leaves at that rate: no
 * catch-up below the 2 s average wait, so the backlog of the old rate is not flushed into the
 * link that shrank. */
static void test_pacer_keeps_a_lowered_rate(void **state)
{
    (void)state;
    struct okno_pacer p;
    assert_int_equal(okno_pacer_init(&p, 256, 4000000, 0), 0);
    for (int i = 0; i < 125; i++) /* 150 KB: 0.3 s at 4 Mbit/s, 1.6 s at 750 kbit/s */
        push(&p, OKNO_PACER_VIDEO, 1200, 0, 0);
    okno_pacer_set_rate(&p, 750000, 0);
    assert_int_equal(okno_pacer_media_queue_us(&p), 1600000);
    int64_t now = 0;
    uint64_t first_half = 0;
    run_out(&p, &now, 500000, &first_half);
    printf("# 1.6 s queue after a fall to 750 kbit/s: %" PRIu64
           " bytes in the first 0.5 s, empty after %" PRId64 " ms\n",
           first_half, now / 1000);
    assert_true(first_half <= 750000 / 8 / 2 + 1200);
    assert_true(now >= 1570000 && now <= 1610000); /* the last packet leaves after 124 */
    okno_pacer_deinit(&p);
}

/* Audio is not part of what an encoder's frame waits behind: the media accessors leave it out. */
static void test_pacer_media_queue_leaves_audio_out(void **state)
{
    (void)state;
    struct okno_pacer p;
    assert_int_equal(okno_pacer_init(&p, 16, 800000, 0), 0);
    push(&p, OKNO_PACER_AUDIO, 200, 0, 0);
    push(&p, OKNO_PACER_VIDEO, 1000, 1, 0);
    push(&p, OKNO_PACER_RTX, 500, 2, 0);
    assert_int_equal(okno_pacer_queued_bytes(&p), 1700);
    assert_int_equal(okno_pacer_media_bytes(&p), 1500);
    assert_int_equal(okno_pacer_media_queue_us(&p), 15000);
    int64_t due;
    struct okno_pacer_pkt *pkt = okno_pacer_pop(&p, 0, &due);
    assert_int_equal(pkt->cls, OKNO_PACER_AUDIO);
    okno_pacer_sent(&p, pkt, 0);
    assert_int_equal(okno_pacer_media_bytes(&p), 1500);
    /* audio's bytes were charged: the retransmission waits 2 ms */
    assert_null(okno_pacer_pop(&p, 0, &due));
    assert_int_equal(due, 2000);
    pkt = okno_pacer_pop(&p, due, &due);
    assert_int_equal(pkt->cls, OKNO_PACER_RTX);
    okno_pacer_sent(&p, pkt, 2000);
    assert_int_equal(okno_pacer_media_bytes(&p), 1000);
    okno_pacer_deinit(&p);
}

static void test_pacer_slots_run_out_cleanly(void **state)
{
    (void)state;
    struct okno_pacer p;
    assert_int_equal(okno_pacer_init(&p, 0, 1000, 0), OKNO_E_INVAL);
    assert_int_equal(okno_pacer_init(&p, 4, 1000, 0), 0);
    for (int i = 0; i < 4; i++)
        push(&p, OKNO_PACER_VIDEO, 10, (int8_t)i, 0);
    assert_null(okno_pacer_alloc(&p));
    int64_t due;
    struct okno_pacer_pkt *pkt = okno_pacer_pop(&p, 0, &due);
    assert_int_equal(pkt->stream, 0);
    okno_pacer_sent(&p, pkt, 0);
    pkt = okno_pacer_alloc(&p);
    assert_non_null(pkt);
    okno_pacer_release(&p, pkt);
    assert_int_equal(okno_pacer_free_slots(&p), 1);
    assert_int_equal(okno_pacer_queued_bytes(&p), 30);
    okno_pacer_deinit(&p);
}

static void test_rtx_history_lookup_age_and_interval(void **state)
{
    (void)state;
    struct okno_rtx_history h;
    assert_int_equal(okno_rtx_history_init(&h, 100, 1000000), OKNO_E_INVAL);
    assert_int_equal(okno_rtx_history_init(&h, 64, 1000000), 0);
    uint8_t pkt[1300];
    for (int i = 0; i < 70; i++) {
        memset(pkt, i, 100);
        assert_int_equal(okno_rtx_history_put(&h, (uint16_t)(65530 + i), pkt, 100, i * 10000), 0);
    }
    assert_int_equal(okno_rtx_history_put(&h, 1, pkt, sizeof pkt, 0), OKNO_E_RANGE);
    size_t len;
    /* 65530..65535 share their slots with 58..63, which came later */
    assert_null(okno_rtx_history_take(&h, 65530, 700000, 0, &len));
    assert_null(okno_rtx_history_take(&h, 65535, 700000, 0, &len));
    const uint8_t *b = okno_rtx_history_take(&h, 62, 700000, 100000, &len);
    assert_non_null(b);
    assert_int_equal(len, 100);
    assert_int_equal(b[0], 68);
    /* again within the interval: no; after it: yes */
    assert_null(okno_rtx_history_take(&h, 62, 750000, 100000, &len));
    assert_non_null(okno_rtx_history_take(&h, 62, 800000, 100000, &len));
    /* numbers after the wrap are found */
    b = okno_rtx_history_take(&h, 3, 700000, 0, &len);
    assert_non_null(b);
    assert_int_equal(b[0], 9);
    /* never sent, and too old */
    assert_null(okno_rtx_history_take(&h, 5000, 700000, 0, &len));
    assert_null(okno_rtx_history_take(&h, 10, 2000000, 0, &len));
    okno_rtx_history_deinit(&h);
}

/* A key frame's flush: stream 2's video and retransmissions go, the key frame check follows the
 * queue, the other stream and audio stay in order, and the accounting and the slots come back. */
static void test_pacer_flushes_one_stream(void **state)
{
    (void)state;
    struct okno_pacer p;
    assert_int_equal(okno_pacer_init(&p, 16, 8000, 0), 0); /* slow: nothing leaves on its own */
    push(&p, OKNO_PACER_VIDEO, 100, 1, 0);
    push(&p, OKNO_PACER_VIDEO, 100, 2, 0)->keyframe = true;
    push(&p, OKNO_PACER_RTX, 100, 2, 0);
    push(&p, OKNO_PACER_VIDEO, 100, 1, 0);
    push(&p, OKNO_PACER_VIDEO, 100, 2, 0);
    push(&p, OKNO_PACER_AUDIO, 50, 2, 0);
    push(&p, OKNO_PACER_RTX, 100, 1, 0);
    assert_true(okno_pacer_has_keyframe(&p, 2));
    assert_false(okno_pacer_has_keyframe(&p, 1));
    assert_int_equal(okno_pacer_free_slots(&p), 9);
    assert_int_equal(okno_pacer_flush_stream(&p, 2), 3);
    assert_false(okno_pacer_has_keyframe(&p, 2));
    assert_int_equal(okno_pacer_free_slots(&p), 12);
    assert_int_equal(okno_pacer_queued(&p, OKNO_PACER_VIDEO), 2);
    assert_int_equal(okno_pacer_queued(&p, OKNO_PACER_RTX), 1);
    assert_int_equal(okno_pacer_queued(&p, OKNO_PACER_AUDIO), 1);
    assert_int_equal(okno_pacer_queued_bytes(&p), 350);
    assert_int_equal(okno_pacer_media_bytes(&p), 300);
    assert_int_equal(okno_pacer_flush_stream(&p, 2), 0);
    /* what is left leaves in class order, stream 1's video in the order it came */
    const enum okno_pacer_class order[] = {OKNO_PACER_AUDIO, OKNO_PACER_RTX, OKNO_PACER_VIDEO,
                                           OKNO_PACER_VIDEO};
    int64_t now = 0, due;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        struct okno_pacer_pkt *pkt;
        while (!(pkt = okno_pacer_pop(&p, now, &due)))
            now = due;
        assert_int_equal(pkt->cls, order[i]);
        assert_int_equal(pkt->stream, i == 0 ? 2 : 1);
        okno_pacer_sent(&p, pkt, now);
    }
    assert_null(okno_pacer_pop(&p, now, &due));
    assert_int_equal(okno_pacer_media_bytes(&p), 0);
    assert_int_equal(okno_pacer_free_slots(&p), 16);
    okno_pacer_deinit(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pacer_class_order_and_audio_first),
        cmocka_unit_test(test_pacer_holds_the_rate_and_bounds_bursts),
        cmocka_unit_test(test_pacer_drains_a_long_queue_within_two_seconds),
        cmocka_unit_test(test_pacer_keeps_a_lowered_rate),
        cmocka_unit_test(test_pacer_media_queue_leaves_audio_out),
        cmocka_unit_test(test_pacer_slots_run_out_cleanly),
        cmocka_unit_test(test_pacer_flushes_one_stream),
        cmocka_unit_test(test_rtx_history_lookup_age_and_interval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
