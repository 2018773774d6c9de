/* The lane between two workers: slots come out in push order across the ring's wrap, a full ring
 * drops and counts, a retired object is freed only after the slots queued before it (or when the
 * lane is freed), and between two real worker threads every packet arrives once, in order, with
 * the consumer woken by the producer's context alone. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "core/lane.h"
#include "core/worker.h"

struct log {
    uint32_t next;    /* the sequence number expected next */
    unsigned handled; /* slots handled */
    unsigned bad;     /* out of order, wrong object, kind or length */
    int freed_at;     /* handled when the retired object was freed; -1: not yet */
    int consumer;     /* worker the handler ran on (-2: not looked at) */
    gint freed;       /* atomic: the retired object was freed */
    struct okno_workers *w;
};

static void on_slot(void *obj, unsigned kind, uint8_t *data, size_t len, size_t cap)
{
    struct log *l = obj;
    uint32_t seq;
    memcpy(&seq, data, sizeof seq);
    if (seq != l->next || kind != (seq & 3) || len != 4 + (seq % 100) ||
        cap != OKNO_LANE_SLOT_BYTES || ((uintptr_t)data & 7) != 0)
        l->bad++;
    for (size_t i = 4; i < len; i++)
        if (data[i] != (uint8_t)(seq + i))
            l->bad++;
    data[0] ^= 0xff; /* the slot is ours to change */
    l->next = seq + 1;
    l->handled++;
    if (l->w)
        l->consumer = okno_workers_current(l->w);
}

static int push_seq(struct okno_lane *lane, struct log *l, uint32_t seq)
{
    uint8_t buf[128];
    size_t len = 4 + (seq % 100);
    memcpy(buf, &seq, sizeof seq);
    for (size_t i = 4; i < len; i++)
        buf[i] = (uint8_t)(seq + i);
    return okno_lane_push(lane, on_slot, l, seq & 3, buf, len);
}

static void on_free(void *obj)
{
    struct log *l = obj;
    l->freed_at = (int)l->handled;
    if (l->w)
        l->consumer = okno_workers_current(l->w);
    g_atomic_int_set(&l->freed, 1);
}

static void test_lane_keeps_order_across_the_wrap(void **state)
{
    (void)state;
    struct okno_lane *lane = NULL;
    assert_int_equal(okno_lane_new(NULL, NULL, 3, &lane), OKNO_E_INVAL);
    assert_int_equal(okno_lane_new(NULL, NULL, 8, &lane), 0);
    struct log l = {.freed_at = -1};
    uint32_t seq = 0;
    /* Batches of 1..8 against 8 slots: every slot index is used with every offset of the wrap. */
    for (unsigned round = 0; round < 500; round++) {
        unsigned batch = 1 + round % 8;
        for (unsigned i = 0; i < batch; i++)
            assert_int_equal(push_seq(lane, &l, seq++), 0);
        assert_int_equal(okno_lane_drain(lane, round % 3 == 0 ? 1 : 0), round % 3 == 0 ? 1 : batch);
        if (round % 3 == 0)
            assert_int_equal(okno_lane_drain(lane, 0), batch - 1);
    }
    assert_int_equal(l.handled, seq);
    assert_int_equal(l.bad, 0);
    assert_int_equal(okno_lane_pushed(lane), seq);
    assert_int_equal(okno_lane_drops(lane), 0);
    uint8_t big[OKNO_LANE_SLOT_BYTES + 1] = {0};
    assert_int_equal(okno_lane_push(lane, on_slot, &l, 0, big, sizeof big), OKNO_E_NOSPC);
    okno_lane_free(lane);
}

static void test_full_lane_drops_and_counts_then_takes_again(void **state)
{
    (void)state;
    struct okno_lane *lane = NULL;
    assert_int_equal(okno_lane_new(NULL, NULL, 4, &lane), 0);
    struct log l = {.freed_at = -1};
    for (uint32_t s = 0; s < 4; s++)
        assert_int_equal(push_seq(lane, &l, s), 0);
    assert_int_equal(push_seq(lane, &l, 4), OKNO_E_AGAIN);
    assert_int_equal(push_seq(lane, &l, 4), OKNO_E_AGAIN);
    assert_int_equal(okno_lane_drops(lane), 2);
    assert_int_equal(okno_lane_pushed(lane), 4);
    assert_int_equal(okno_lane_drain(lane, 1), 1);
    assert_int_equal(push_seq(lane, &l, 4), 0); /* one slot free again */
    assert_int_equal(push_seq(lane, &l, 5), OKNO_E_AGAIN);
    assert_int_equal(okno_lane_drain(lane, 0), 4);
    assert_int_equal(l.handled, 5);
    assert_int_equal(l.bad, 0); /* the dropped ones left no hole: 0..4 in order */
    assert_int_equal(okno_lane_drops(lane), 3);
    okno_lane_free(lane);
}

static void test_retired_object_is_freed_after_what_was_queued_before_it(void **state)
{
    (void)state;
    struct okno_lane *lane = NULL;
    assert_int_equal(okno_lane_new(NULL, NULL, 8, &lane), 0);
    struct log l = {.freed_at = -1};
    for (uint32_t s = 0; s < 3; s++)
        assert_int_equal(push_seq(lane, &l, s), 0);
    okno_lane_retire(lane, on_free, &l);
    assert_int_equal(l.freed_at, -1);
    assert_int_equal(okno_lane_drain(lane, 2), 2);
    assert_int_equal(l.freed_at, -1); /* the third slot still names it */
    assert_int_equal(okno_lane_drain(lane, 0), 1);
    assert_int_equal(l.freed_at, 3);

    /* Retired with nothing queued: freed at the next drain. */
    struct log m = {.freed_at = -1};
    okno_lane_retire(lane, on_free, &m);
    assert_int_equal(okno_lane_drain(lane, 0), 0);
    assert_int_equal(m.freed_at, 0);

    /* Queued and retired but never drained: the lane's free frees it, the slots are discarded. */
    struct log n = {.freed_at = -1};
    for (uint32_t s = 0; s < 5; s++)
        assert_int_equal(push_seq(lane, &n, s), 0);
    okno_lane_retire(lane, on_free, &n);
    okno_lane_free(lane);
    assert_int_equal(n.freed_at, 0);
    assert_int_equal(n.handled, 0);
}

/* --- two worker threads ----------------------------------------------------------------------- */

#define CROSS_PACKETS 200000u
#define CROSS_BATCH   300u

struct producer {
    struct okno_workers *w;
    struct okno_lane *lane;
    struct log *log;
    uint32_t seq;
    unsigned full; /* pushes refused for a full ring */
    gint done;
};

/* One batch per posted run, then the next batch is posted: the wake comes from the producer
 * context's own flush before it polls. When the ring is full the producer flushes and yields
 * until the consumer made room, and counts the refusals. */
static void produce(void *data)
{
    struct producer *p = data;
    for (unsigned i = 0; i < CROSS_BATCH && p->seq < CROSS_PACKETS; i++) {
        while (push_seq(p->lane, p->log, p->seq) == OKNO_E_AGAIN) {
            p->full++;
            okno_lane_flush(p->lane);
            g_thread_yield();
        }
        p->seq++;
    }
    if (p->seq < CROSS_PACKETS && okno_workers_post(p->w, 0, produce, p) == 0)
        return;
    okno_lane_retire(p->lane, on_free, p->log);
    g_atomic_int_set(&p->done, 1);
}

static void test_two_workers_every_packet_once_in_order(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(2, &w), 0);
    assert_null(okno_workers_lane(w, 0, 0));
    assert_null(okno_workers_lane(w, 0, 2));
    struct okno_lane *lane = okno_workers_lane(w, 0, 1);
    assert_non_null(lane);
    assert_ptr_equal(okno_workers_lane(w, 0, 1), lane);
    assert_ptr_not_equal(okno_workers_lane(w, 1, 0), lane);
    struct log l = {.freed_at = -1, .consumer = -2, .w = w};
    struct producer p = {.w = w, .lane = lane, .log = &l};
    int64_t t0 = g_get_monotonic_time();
    assert_int_equal(okno_workers_post(w, 0, produce, &p), 0);
    int64_t deadline = t0 + 30 * G_USEC_PER_SEC;
    while (!g_atomic_int_get(&l.freed) && g_get_monotonic_time() < deadline)
        g_usleep(1000);
    int64_t took = g_get_monotonic_time() - t0;
    okno_workers_stop(w); /* joins: what the consumer wrote is visible from here */
    assert_int_equal(p.done, 1);
    assert_int_equal((unsigned)l.freed_at, CROSS_PACKETS);
    assert_int_equal(l.handled, CROSS_PACKETS);
    assert_int_equal(l.bad, 0);
    assert_int_equal(l.consumer, 1);
    printf("# %u packets worker 0 -> 1 in %.1f ms (%.2f us each), %u pushes found the ring "
           "full\n",
           CROSS_PACKETS, took / 1000.0, (double)took / CROSS_PACKETS, p.full);
}

static void test_egress_placement_spreads_over_the_other_workers(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(4, &w), 0);
    unsigned seen[4] = {0};
    for (unsigned i = 0; i < 30; i++)
        seen[okno_workers_place_egress(w, 1, 3)]++;
    assert_int_equal(seen[1], 0);
    assert_int_equal(seen[0], 10);
    assert_int_equal(seen[2], 10);
    assert_int_equal(seen[3], 10);
    for (unsigned i = 0; i < 10; i++) {
        unsigned to = okno_workers_place_egress(w, 3, 1);
        assert_int_equal(to, 0); /* spread 1: the next worker after the room's */
    }
    assert_int_equal(okno_workers_place_egress(w, 2, 0), 2);
    okno_workers_stop(w);
    assert_int_equal(okno_workers_start(1, &w), 0);
    assert_int_equal(okno_workers_place_egress(w, 0, 1), 0);
    assert_null(okno_workers_lane(w, 0, 0));
    okno_workers_stop(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lane_keeps_order_across_the_wrap),
        cmocka_unit_test(test_full_lane_drops_and_counts_then_takes_again),
        cmocka_unit_test(test_retired_object_is_freed_after_what_was_queued_before_it),
        cmocka_unit_test(test_two_workers_every_packet_once_in_order),
        cmocka_unit_test(test_egress_placement_spreads_over_the_other_workers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
