/* A peer whose protect + send run on another thread: two okno peers over loopback UDP, the sender
 * (okno's side) handing its packets over a lane to a consumer context that a second thread runs.
 * Every packet arrives and decrypts, in order; RTCP goes the same way; the route is direct (one
 * sendto on okno's copy of the socket); closing the peer while packets are still queued frees its
 * egress only after them (ASan/UBSan would see a use after free); a full lane drops and counts.
 * The same delivery check runs through libnice (via_libnice) and with no lane. Sends on the
 * direct route keep net/ice from taking the connection for an idle one. */
#include "testutil.h"

#include <string.h>

#include "../../tools/peer_pair.h"
#include "core/lane.h"
#include "net/egress.h"
#include "net/peer.h"
#include "okno/err.h"

struct side {
    unsigned n_rtp, n_rtcp, bad;
    uint16_t next_seq;
};

static GMainContext *ctx;  /* the peers' (the test's thread) */
static GMainContext *ectx; /* the egress worker's */
static GMainLoop *eloop;
static GThread *ethread;
static struct okno_test_pair pair; /* [0]: the client; [1]: okno's side, sending through a lane */

static void on_failed(void *owner, int err, const char *reason)
{
    (void)owner;
    fail_msg("peer failed: %d %s", err, reason);
}

/* Packets carry their sequence number in the payload too, and a pattern derived from it. */
static void on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    (void)now_us;
    struct side *s = owner;
    uint16_t seq = (uint16_t)(pkt[2] << 8 | pkt[3]);
    if (len != 1000 || seq != s->next_seq || pkt[12] != pkt[2] || pkt[13] != pkt[3] ||
        pkt[999] != (uint8_t)(seq * 7))
        s->bad++;
    s->next_seq = (uint16_t)(seq + 1);
    s->n_rtp++;
}

static void on_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    (void)now_us;
    struct side *s = owner;
    if (len != 8 || pkt[1] != 201)
        s->bad++;
    s->n_rtcp++;
}

static const struct okno_peer_listener listener = {
    .on_failed = on_failed,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
};

static gpointer egress_main(gpointer data)
{
    (void)data;
    g_main_context_push_thread_default(ectx);
    g_main_loop_run(eloop);
    g_main_context_pop_thread_default(ectx);
    return NULL;
}

static int setup(void **state)
{
    (void)state;
    ctx = g_main_context_new();
    ectx = g_main_context_new();
    eloop = g_main_loop_new(ectx, FALSE);
    ethread = g_thread_new("egress", egress_main, NULL);
    okno_test_pair_init(&pair, ctx);
    return 0;
}

/* The lane is freed only once its consumer's thread stopped (lane.h). */
static void free_lane(struct okno_lane *lane)
{
    g_main_loop_quit(eloop);
    g_thread_join(ethread);
    ethread = NULL;
    okno_lane_free(lane);
}

static int teardown(void **state)
{
    (void)state;
    okno_test_pair_fini(&pair); /* peers a failed test left open: their lane still runs */
    if (ethread) {
        g_main_loop_quit(eloop);
        g_thread_join(ethread);
    }
    g_main_loop_unref(eloop);
    g_main_context_unref(ctx);
    g_main_context_unref(ectx);
    return 0;
}

static bool run_until(bool (*cond)(void *arg), void *arg, int seconds)
{
    return okno_test_pair_run_until(&pair, cond, arg, seconds);
}

/* s[0]: the client (controlling, DTLS client); s[1]: okno's side, sending through lane. */
static void connect_pair(struct side *s, struct okno_lane *lane, bool via_libnice)
{
    memset(s, 0, 2 * sizeof *s);
    struct okno_peer_config okno_cfg = {.egress_lane = lane, .via_libnice = via_libnice};
    const struct okno_peer_config *cfgs[2] = {NULL, &okno_cfg};
    const struct okno_peer_listener *listeners[2] = {&listener, &listener};
    void *owners[2] = {&s[0], &s[1]};
    okno_test_pair_make(&pair, cfgs, listeners, owners, false);
    assert_true(run_until(okno_test_pair_connected, &pair, 10));
}

static void close_pair(void)
{
    okno_test_pair_close(&pair);
}

static int send_seq(struct okno_peer *peer, uint16_t seq)
{
    _Alignas(8) uint8_t buf[1000 + OKNO_SRTP_MAX_TRAILER];
    memset(buf, 0, sizeof buf);
    buf[0] = 0x80;
    buf[1] = 96;
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    memcpy(buf + 8, "\x12\x34\x56\x78", 4);
    buf[12] = buf[2];
    buf[13] = buf[3];
    buf[999] = (uint8_t)(seq * 7);
    return okno_peer_send_rtp(peer, buf, 1000, sizeof buf);
}

struct want {
    struct side *s;
    unsigned rtp, rtcp;
};

static bool received(void *arg)
{
    struct want *w = arg;
    return w->s[0].n_rtp >= w->rtp && w->s[0].n_rtcp >= w->rtcp;
}

#define PACKETS 3000u
#define BATCH   40u

/* Sends PACKETS in bursts, waiting for each to arrive (loopback's socket buffers never overflow),
 * then an RTCP report; checks what arrived and the sender's counters. */
static void deliver_all(struct side *s, bool expect_direct)
{
    struct okno_peer_stats st;
    s[0].next_seq = 65000;
    for (unsigned sent = 0; sent < PACKETS;) {
        for (unsigned i = 0; i < BATCH; i++, sent++)
            assert_int_equal(send_seq(pair.peer[1], (uint16_t)(sent + 65000u)), 0);
        struct want w = {.s = s, .rtp = sent};
        assert_true(run_until(received, &w, 5));
    }
    _Alignas(8) uint8_t rr[8 + OKNO_SRTP_MAX_TRAILER] = {0x80, 201, 0x00, 0x01, 1, 2, 3, 4};
    assert_int_equal(okno_peer_send_rtcp(pair.peer[1], rr, 8, sizeof rr), 0);
    struct want w = {.s = s, .rtp = PACKETS, .rtcp = 1};
    assert_true(run_until(received, &w, 5));
    assert_int_equal(s[0].n_rtp, PACKETS); /* across the 16-bit wrap: 65000 .. 2464 */
    assert_int_equal(s[0].bad, 0);
    okno_peer_stats(pair.peer[0], &st);
    assert_int_equal(st.drop_srtp_auth + st.drop_replay + st.drop_unknown + st.drop_garbage, 0);
    okno_peer_stats(pair.peer[1], &st);
    assert_int_equal(st.tx_rtp, PACKETS);
    assert_int_equal(st.tx_rtcp, 1);
    assert_int_equal(st.drop_send + st.drop_queue, 0);
    (void)expect_direct;
}

static void test_packets_protected_and_sent_on_the_other_thread_all_arrive(void **state)
{
    (void)state;
    struct okno_lane *lane = NULL;
    assert_int_equal(okno_lane_new(ctx, ectx, 1024, &lane), 0);
    struct side s[2];
    connect_pair(s, lane, false);
    deliver_all(s, true);
    assert_int_equal(okno_lane_pushed(lane), PACKETS + 1); /* every one went over the lane */
    assert_int_equal(okno_lane_drops(lane), 0);
    close_pair();
    free_lane(lane);
}

static void test_without_a_lane_or_through_libnice_the_same(void **state)
{
    (void)state;
    struct side s[2];
    connect_pair(s, NULL, false);
    deliver_all(s, true);
    close_pair();

    struct okno_lane *lane = NULL;
    assert_int_equal(okno_lane_new(ctx, ectx, 1024, &lane), 0);
    connect_pair(s, lane, true);
    deliver_all(s, false);
    /* Through libnice there is no direct route: the owner's thread protects and sends. */
    assert_int_equal(okno_lane_pushed(lane), 0);
    close_pair();
    free_lane(lane);
}

static bool past(void *arg)
{
    return g_get_monotonic_time() >= *(const int64_t *)arg;
}

/* Sends that leave on the direct route from the egress worker, never through net/ice, still tell
 * ICE the connection is not idle: okno's side, sending a packet every 100 ms for 4.5 s, sends no
 * 8-byte idle ping (it sent one every 2.5 s before), while the client's end, silent after the
 * handshake, does. */
static void test_direct_sends_count_as_activity_for_the_idle_ping(void **state)
{
    (void)state;
    struct okno_lane *lane = NULL;
    assert_int_equal(okno_lane_new(ctx, ectx, 1024, &lane), 0);
    struct side s[2];
    connect_pair(s, lane, false);
    int64_t end = g_get_monotonic_time() + 4500 * 1000;
    unsigned sent = 0;
    while (g_get_monotonic_time() < end) {
        assert_int_equal(send_seq(pair.peer[1], (uint16_t)sent), 0);
        sent++;
        int64_t next = g_get_monotonic_time() + 100 * 1000;
        run_until(past, &next, 1);
    }
    struct want w = {.s = s, .rtp = sent};
    assert_true(run_until(received, &w, 5));
    assert_int_equal(s[0].bad, 0);
    assert_int_equal(okno_lane_pushed(lane), sent); /* every one sent by the egress worker */
    struct okno_peer_stats okno_side, client;
    okno_peer_stats(pair.peer[1], &okno_side);
    okno_peer_stats(pair.peer[0], &client);
    printf("# %u packets in 4.5 s; idle pings: okno's side %llu, the silent client %llu\n", sent,
           (unsigned long long)okno_side.tx_idle_ping, (unsigned long long)client.tx_idle_ping);
    assert_int_equal(okno_side.tx_idle_ping, 0);
    assert_true(client.tx_idle_ping >= 1);
    close_pair();
    free_lane(lane);
}

/* Closing with packets on the lane: the egress (its SRTP session and socket) is freed on the
 * egress thread after them, whatever order the two threads run in. Then a full lane. */
/* Holds the egress thread until released, so the lane fills: held is set once it waits. */
static gint held, release;

static gboolean hold_egress(gpointer data)
{
    (void)data;
    g_atomic_int_set(&held, 1);
    int64_t deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!g_atomic_int_get(&release) && g_get_monotonic_time() < deadline)
        g_usleep(200);
    return G_SOURCE_REMOVE;
}

static void test_close_with_packets_queued_and_a_full_lane(void **state)
{
    (void)state;
    struct okno_lane *lane = NULL;
    assert_int_equal(okno_lane_new(ctx, ectx, 256, &lane), 0);
    struct side s[2];
    uint64_t dropped = 0;
    for (int round = 0; round < 5; round++) {
        connect_pair(s, lane, false);
        /* Rounds 0, 2 and 4 send while the egress thread is held, the others while it runs. */
        bool hold = round % 2 == 0;
        if (hold) {
            g_atomic_int_set(&held, 0);
            g_atomic_int_set(&release, 0);
            g_main_context_invoke(ectx, hold_egress, NULL);
            while (!g_atomic_int_get(&held))
                g_usleep(100);
        }
        unsigned ok = 0, full = 0;
        for (unsigned i = 0; i < 400; i++) {
            int rc = send_seq(pair.peer[1], (uint16_t)i);
            if (rc == 0)
                ok++;
            else if (rc == OKNO_E_AGAIN)
                full++;
            else
                fail_msg("send: %d", rc);
        }
        /* Held, the ring (256 slots, some perhaps still taken by the previous round) filled and
         * the rest were dropped and counted. */
        assert_int_equal(ok + full, 400);
        if (hold)
            assert_true(ok <= 256 && full >= 144);
        dropped += full;
        struct okno_peer_stats st;
        okno_peer_stats(pair.peer[1], &st);
        assert_int_equal(st.drop_queue, full);
        close_pair(); /* at once: packets may still be on the lane */
        g_atomic_int_set(&release, 1);
    }
    assert_int_equal(okno_lane_drops(lane), dropped);
    free_lane(lane);
}

/* Bad input to the egress itself: no session yet, a descriptor without a destination. */
static void test_egress_without_session_or_destination(void **state)
{
    (void)state;
    struct okno_egress *e = okno_egress_new(NULL);
    assert_false(okno_egress_direct(e));
    _Alignas(8) uint8_t buf[64] = {0x80, 96, 0, 1};
    assert_int_equal(okno_egress_send(e, buf, 20, sizeof buf, false, NULL), OKNO_E_STATE);
    struct okno_egress_stats es;
    okno_egress_stats(e, &es);
    assert_int_equal(es.drop_send, 0); /* no session: nothing was tried */
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    okno_egress_set_route(e, fd, NULL, 0); /* taken and closed: no destination */
    assert_false(okno_egress_direct(e));
    assert_int_equal(okno_egress_queue(e, buf, OKNO_LANE_SLOT_BYTES, false), OKNO_E_NOSPC);
    okno_egress_release(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_packets_protected_and_sent_on_the_other_thread_all_arrive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_without_a_lane_or_through_libnice_the_same, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_close_with_packets_queued_and_a_full_lane, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_direct_sends_count_as_activity_for_the_idle_ping,
                                        setup, teardown),
        cmocka_unit_test(test_egress_without_session_or_destination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
