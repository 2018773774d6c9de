/* The lane between two workers: slots come out in push order across the ring's wrap, a full ring
 * drops and counts, a retired object is freed only after the slots queued before it (or when the
 * lane is freed), and between two real worker threads every packet arrives once, in order, with
 * the consumer woken by the producer's context alone. */
#include "testutil.h"

#include <glib.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

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
    unsigned from; /* the producing worker */
    bool self;     /* the lane's consumer is the producer's own worker */
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
            /* Our own consumer runs only once we return: come back after it. */
            if (p->self && okno_workers_post(p->w, p->from, produce, p) == 0)
                return;
            okno_lane_flush(p->lane);
            g_thread_yield();
        }
        p->seq++;
    }
    if (p->seq < CROSS_PACKETS && okno_workers_post(p->w, p->from, produce, p) == 0)
        return;
    okno_lane_retire(p->lane, on_free, p->log);
    g_atomic_int_set(&p->done, 1);
}

static void test_two_workers_every_packet_once_in_order(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(2, &w), 0);
    assert_null(okno_workers_lane(w, 0, 2));
    struct okno_lane *lane = okno_workers_lane(w, 0, 1);
    assert_non_null(lane);
    assert_ptr_equal(okno_workers_lane(w, 0, 1), lane);
    assert_ptr_not_equal(okno_workers_lane(w, 1, 0), lane);
    struct log l = {.freed_at = -1, .consumer = -2, .w = w};
    struct producer p = {.w = w, .lane = lane, .log = &l, .from = 0};
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

/* A worker's lane to itself (a room's own share of its egress, core/worker.h): the consumer runs
 * on the same thread, woken by the same context's flush, after the producer's run returns. */
static void test_worker_lane_to_itself(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(2, &w), 0);
    struct okno_lane *lane = okno_workers_lane(w, 1, 1);
    assert_non_null(lane);
    assert_ptr_not_equal(okno_workers_lane(w, 0, 0), lane);
    struct log l = {.freed_at = -1, .consumer = -2, .w = w};
    struct producer p = {.w = w, .lane = lane, .log = &l, .from = 1, .self = true};
    assert_int_equal(okno_workers_post(w, 1, produce, &p), 0);
    int64_t deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    while (!g_atomic_int_get(&l.freed) && g_get_monotonic_time() < deadline)
        g_usleep(1000);
    okno_workers_stop(w);
    assert_int_equal(p.done, 1);
    assert_int_equal((unsigned)l.freed_at, CROSS_PACKETS);
    assert_int_equal(l.handled, CROSS_PACKETS);
    assert_int_equal(l.bad, 0);
    assert_int_equal(l.consumer, 1);
}

/* With a flush function the consumer releases its slots only after each run of up to
 * OKNO_LANE_BATCH has been flushed, and frees a retired object after the flush of the run before
 * it: what a handler staged in a slot is still there when the flush sends it. */
static unsigned flushes, flushed_at[8];
static struct log *flush_log;

static void count_flush(void)
{
    if (flushes < 8)
        flushed_at[flushes] = flush_log->handled;
    flushes++;
}

static void test_flush_runs_before_the_slots_are_released(void **state)
{
    (void)state;
    struct okno_lane *lane = NULL;
    assert_int_equal(okno_lane_new(NULL, NULL, 256, &lane), 0);
    okno_lane_set_flush(lane, count_flush);
    struct log l = {.freed_at = -1};
    flush_log = &l;
    flushes = 0;
    for (uint32_t s = 0; s < 150; s++)
        assert_int_equal(push_seq(lane, &l, s), 0);
    okno_lane_retire(lane, on_free, &l);
    /* Fill the ring: none of the 150 handled below is free again until its run's flush. */
    for (uint32_t s = 150; s < 256; s++)
        assert_int_equal(push_seq(lane, &l, s), 0);
    assert_int_equal(push_seq(lane, &l, 256), OKNO_E_AGAIN);
    assert_int_equal(okno_lane_drain(lane, 150), 150);
    assert_int_equal(flushes, 3);
    assert_int_equal(flushed_at[0], OKNO_LANE_BATCH);
    assert_int_equal(flushed_at[1], 2 * OKNO_LANE_BATCH);
    assert_int_equal(flushed_at[2], 150);
    assert_int_equal(l.freed_at, 150);
    assert_int_equal(push_seq(lane, &l, 256), 0); /* released */
    assert_int_equal(okno_lane_drain(lane, 0), 107);
    assert_int_equal(flushes, 5);
    assert_int_equal(l.bad, 0);
    okno_lane_free(lane);
}

static void test_egress_placement_spreads_over_the_other_workers(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(4, &w), 0);
    unsigned seen[4] = {0};
    for (unsigned i = 0; i < 30; i++)
        seen[okno_workers_place_egress(w, 1, 3, 0)]++;
    assert_int_equal(seen[1], 0);
    assert_int_equal(seen[0], 10);
    assert_int_equal(seen[2], 10);
    assert_int_equal(seen[3], 10);
    for (unsigned i = 0; i < 10; i++) {
        unsigned to = okno_workers_place_egress(w, 3, 1, 0);
        assert_int_equal(to, 0); /* spread 1: the next worker after the room's */
    }
    assert_int_equal(okno_workers_place_egress(w, 2, 0, 0), 2);
    okno_workers_stop(w);
    assert_int_equal(okno_workers_start(1, &w), 0);
    assert_int_equal(okno_workers_place_egress(w, 0, 1, 50), 0);
    assert_non_null(okno_workers_lane(w, 0, 0)); /* its own: sends batched after the fan-out */
    assert_null(okno_workers_lane(w, 0, 1));
    okno_workers_stop(w);
}

static void test_egress_placement_leaves_the_room_worker_its_share(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(3, &w), 0);
    /* 50 %: every other connection stays, never two moved or kept in a row. */
    unsigned prev = 99, seen[3] = {0};
    for (unsigned i = 0; i < 20; i++) {
        unsigned to = okno_workers_place_egress(w, 0, 1, 50);
        if (i > 0)
            assert_true((to == 0) != (prev == 0));
        prev = to;
        seen[to]++;
    }
    assert_int_equal(seen[0], 10);
    assert_int_equal(seen[1], 10);
    assert_int_equal(seen[2], 0);
    /* 20 % with two others: 2 of 10 stay, the rest alternate. Another room's count is its own. */
    memset(seen, 0, sizeof seen);
    for (unsigned i = 0; i < 30; i++)
        seen[okno_workers_place_egress(w, 1, 2, 20)]++;
    assert_int_equal(seen[1], 6);
    assert_int_equal(seen[0], 12);
    assert_int_equal(seen[2], 12);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(okno_workers_place_egress(w, 2, 2, 100), 2);
    okno_workers_stop(w);
}

struct policy_probe {
    GMutex lock;
    GCond cond;
    bool done;
    int policy;
};

static void read_policy(void *data)
{
    struct policy_probe *p = data;
    g_mutex_lock(&p->lock);
    p->policy = sched_getscheduler(0);
    p->done = true;
    g_cond_signal(&p->cond);
    g_mutex_unlock(&p->lock);
}

static int worker_policy(struct okno_workers *w, unsigned index)
{
    struct policy_probe p = {.done = false};
    g_mutex_init(&p.lock);
    g_cond_init(&p.cond);
    assert_int_equal(okno_workers_post(w, index, read_policy, &p), 0);
    g_mutex_lock(&p.lock);
    while (!p.done)
        g_cond_wait(&p.cond, &p.lock);
    g_mutex_unlock(&p.lock);
    g_mutex_clear(&p.lock);
    g_cond_clear(&p.cond);
    return p.policy;
}

static void test_workers_take_a_realtime_priority(void **state)
{
    (void)state;
    struct okno_workers *w = NULL;
    assert_int_equal(okno_workers_start(2, &w), 0);
    assert_int_equal(okno_workers_set_priority(w, -1), OKNO_E_RANGE);
    assert_int_equal(okno_workers_set_priority(w, 100), OKNO_E_RANGE);
    int rc = okno_workers_set_priority(w, 1);
    if (geteuid() != 0) {
        /* Without CAP_SYS_NICE the refusal is reported and nothing changes. */
        if (rc == OKNO_E_DENIED)
            assert_int_equal(worker_policy(w, 0), SCHED_OTHER);
        okno_workers_stop(w);
        return;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(worker_policy(w, 0), SCHED_RR);
    assert_int_equal(worker_policy(w, 1), SCHED_RR);
    assert_int_equal(sched_getscheduler(0), SCHED_OTHER); /* the calling thread is not a worker */
    assert_int_equal(okno_workers_set_priority(w, 0), 0);
    assert_int_equal(worker_policy(w, 1), SCHED_OTHER);
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
        cmocka_unit_test(test_egress_placement_leaves_the_room_worker_its_share),
        cmocka_unit_test(test_worker_lane_to_itself),
        cmocka_unit_test(test_flush_runs_before_the_slots_are_released),
        cmocka_unit_test(test_workers_take_a_realtime_priority),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
