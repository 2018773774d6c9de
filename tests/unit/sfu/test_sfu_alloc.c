/* Layer allocation through an in-process SFU, with okno's own peers as clients on loopback
 * (sfu_harness.h): A publishes VP8 with three temporal layers (L1T3, 30 frames a second) and
 * answers okno's PLIs with a keyframe; B receives it, and its estimate is the REMB it sends (the
 * harness's recording estimator). As B's REMB falls, okno first drops A's top temporal layer, then
 * pauses the video, telling B each step with a quality event and its reason; when the REMB climbs
 * back, the video resumes after the hold time at a keyframe asked of A, with every temporal layer.
 * B's sequence numbers stay continuous throughout. Every wait has a deadline. */
#include "sfu_harness.h"

#include "core/log.h"
#include "okno/bwe.h"
#include "okno/err.h"
#include "sfu/allocator.h"
#include "sfu/participant_pub_fb.h"
#include "sfu/sfu.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/rtp.h"
#include "wire/vp8.h"

#define A_SSRC   1111u
#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define AST_URI  "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
#define MAX_RX   4000
#define MAX_EV   16

/* --- clients ---------------------------------------------------------------------------------- */

struct rx {
    uint32_t ssrc;
    uint16_t seq;
    uint8_t tid;
    bool key;
    int64_t at_us;
};

struct client {
    struct sfuh_client h; /* first: the harness's hooks cast back */
    struct rx rx[MAX_RX];
    int n_rx;
    int n_pli;         /* PLIs received (publishers) */
    int64_t pli_us;    /* when the last one came */
    uint64_t remb_bps; /* the last REMB received (publishers) */
};

struct quality {
    bool paused;
    int temporal;
    char reason[16];
    uint32_t estimate_kbps;
    char track[40], publisher[16];
};

static struct quality events[MAX_EV];
static int n_events;
static uint64_t receiver; /* B's session */

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    if (ev->session > 3)
        return;
    if (ev->type == OKNO_SFU_EV_QUALITY) {
        assert_int_equal(ev->session, receiver); /* only B receives video */
        if (n_events < MAX_EV) {
            struct quality *q = &events[n_events++];
            q->paused = ev->paused;
            q->temporal = ev->temporal;
            q->estimate_kbps = ev->estimate_kbps;
            g_strlcpy(q->reason, ev->reason, sizeof q->reason);
            g_strlcpy(q->track, ev->track, sizeof q->track);
            g_strlcpy(q->publisher, ev->participant, sizeof q->publisher);
        }
    } else {
        sfuh_on_event(ud, ev);
    }
}

static void on_rtp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = (struct client *)h;
    struct okno_rtp_pkt rtp;
    struct okno_vp8_packet vp8;
    if (c->n_rx >= MAX_RX || okno_rtp_parse(pkt, len, &rtp) != 0 ||
        okno_vp8_parse(rtp.payload, rtp.payload_len, &vp8) != 0)
        return;
    c->rx[c->n_rx++] =
        (struct rx){rtp.ssrc, rtp.seq, vp8.desc.tid, okno_vp8_is_keyframe(&vp8), now_us};
}

/* Counts the PLIs and keeps the REMB. */
static void on_feedback(void *ud, const struct okno_rtcp_pkt *rp, const struct okno_rtcp_fb *fb)
{
    struct client *c = ud;
    (void)rp;
    struct okno_rtcp_remb remb;
    if (okno_rtcp_fb_kind(fb) == OKNO_RTCP_FB_PLI) {
        c->n_pli++;
        c->pli_us = g_get_monotonic_time();
    } else if (okno_rtcp_fb_kind(fb) == OKNO_RTCP_FB_REMB && okno_rtcp_remb_parse(fb, &remb) == 0) {
        c->remb_bps = remb.bitrate;
    }
}

static void on_rtcp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    (void)now_us;
    sfuh_each_feedback(pkt, len, on_feedback, h);
}

static const struct sfuh_hooks hooks = {.on_rtp = on_rtp, .on_rtcp = on_rtcp};

static void open_client(struct client *c, bool controlling)
{
    memset(c, 0, sizeof *c);
    sfuh_open(&c->h, controlling, &hooks);
}

/* Answers okno's subscriber offer for session; returns okno's SSRC for the client. */
static uint32_t subscribe(struct client *c, int session)
{
    uint32_t ssrc;
    sfuh_subscribe(&c->h, session, 3, NULL, &ssrc, NULL);
    return ssrc;
}

struct remb_wait {
    const struct client *c;
    uint64_t bps;
};

static bool remb_is(void *arg)
{
    const struct remb_wait *w = arg;
    return w->c->remb_bps == w->bps;
}

static bool remb_at_least(void *arg)
{
    const struct remb_wait *w = arg;
    return w->c->remb_bps >= w->bps;
}

/* --- a publisher's stream: L1T3 (TL0, TL2, TL1, TL2, ...), one 300-byte packet a frame -------- */

struct publisher {
    struct client *c;
    uint32_t ssrc;
    uint32_t frame;
    uint8_t tl0;
    bool key_wanted;
    int last_pli;
};

static struct publisher pubs[2];
static int n_pubs;

static void send_frame(struct publisher *pub)
{
    uint32_t f = pub->frame++;
    uint8_t tid = f % 4 == 0 ? 0 : f % 4 == 2 ? 1 : 2;
    if (pub->c->n_pli != pub->last_pli) {
        pub->last_pli = pub->c->n_pli;
        pub->key_wanted = true;
    }
    bool key = pub->key_wanted && tid == 0;
    if (key)
        pub->key_wanted = false;
    if (tid == 0)
        pub->tl0++;
    _Alignas(8) uint8_t buf[512];
    struct okno_rtp_pkt h = {
        .pt = 96, .seq = (uint16_t)(1000 + f), .ts = 3000u * f, .ssrc = pub->ssrc, .marker = true};
    int n = okno_rtp_write_header(buf, 64, &h);
    assert_int_equal(n, OKNO_RTP_HEADER_LEN);
    uint16_t pid = (uint16_t)(f & 0x7fff);
    /* X S, I L T, 15-bit picture id, TL0PICIDX, TID with the sync bit on TL1 and TL2. */
    const uint8_t desc[] = {0x90,         0xe0,     (uint8_t)(0x80 | pid >> 8),
                            (uint8_t)pid, pub->tl0, (uint8_t)(tid << 6 | (tid ? 0x20 : 0))};
    memcpy(buf + n, desc, sizeof desc);
    size_t len = (size_t)n + sizeof desc;
    const uint8_t key_hdr[] = {0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00};
    const uint8_t delta_hdr[] = {0x51, 0x02, 0x00};
    memcpy(buf + len, key ? key_hdr : delta_hdr, key ? sizeof key_hdr : sizeof delta_hdr);
    len += key ? sizeof key_hdr : sizeof delta_hdr;
    memset(buf + len, 0x5a, 300 - len);
    len = 300;
    assert_int_equal(okno_peer_send_rtp(pub->c->h.peer, buf, len, sizeof buf), 0);
}

static gboolean send_frames(gpointer data)
{
    (void)data;
    for (int i = 0; i < n_pubs; i++)
        send_frame(&pubs[i]);
    return G_SOURCE_CONTINUE;
}

/* c publishes one VP8 track (ssrc, RTX ssrc + 1) for session; waits for okno's answer. */
static void publish(struct client *c, int session, uint32_t ssrc)
{
    sfuh_publish_vp8(&c->h, session, ssrc, ssrc + 1, NULL, "a=rtcp-fb:96 goog-remb\r\n");
    sfuh_take_remote(&c->h, sfuh.answer[session], OKNO_DTLS_CLIENT);
    pubs[n_pubs++] = (struct publisher){.c = c, .ssrc = ssrc, .key_wanted = true};
}

static GSource *start_frames(void)
{
    GSource *frames = g_timeout_source_new(33);
    g_source_set_callback(frames, send_frames, NULL, NULL);
    g_source_attach(frames, g_main_context_default());
    return frames;
}

static void setup_sfu(void)
{
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n";
    sfuh_start(conf, on_event);
    assert_int_equal(okno_sfu_set_bwe(sfuh.sfu, &sfuh_est_ops, NULL), 0);
    n_events = 0;
    n_pubs = 0; /* sfuh_start cleared the estimators */
}

static void teardown_sfu(struct client **clients, int n)
{
    struct sfuh_client *h[4];
    assert_true(n <= 4);
    for (int i = 0; i < n; i++)
        h[i] = &clients[i]->h;
    sfuh_stop(h, n);
}

/* Runs the loop (A's frames go on) for ms milliseconds. */
static void pump(int ms)
{
    int64_t end = g_get_monotonic_time() + ms * 1000;
    while (g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
}

static void send_remb(struct client *b, uint32_t b_ssrc, uint64_t bps)
{
    uint8_t fb[64];
    struct okno_rtcp_remb remb = {.bitrate = bps, .ssrc_count = 1, .ssrcs = {b_ssrc}};
    int len = okno_rtcp_remb_build(0x5555, &remb, fb, sizeof fb);
    assert_true(len > 0);
    sfuh_send_rtcp(&b->h, NULL, fb, len);
}

/* Runs the loop until the n-th quality event came, at most timeout_ms. */
static bool wait_events(int n, int timeout_ms)
{
    int64_t end = g_get_monotonic_time() + timeout_ms * 1000;
    while (n_events < n && g_get_monotonic_time() < end) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
    return n_events >= n;
}

/* B's packets from index from on: how many of each temporal layer. */
static void count_tids(const struct client *b, int from, int counts[4])
{
    memset(counts, 0, 4 * sizeof counts[0]);
    for (int i = from; i < b->n_rx; i++)
        counts[b->rx[i].tid & 3]++;
}

/* A (kiosk) publishes, B (specialist) receives it; both connected. Returns B's SSRC. */
static uint32_t start_call(struct client *a, struct client *b)
{
    open_client(a, true);
    open_client(b, false);
    okno_sfu_join(sfuh.sfu, 1, 1, "alloc", "A", "kiosk");
    okno_sfu_join(sfuh.sfu, 2, 1, "alloc", "B", "specialist");
    publish(a, 1, A_SSRC);
    receiver = 2;
    uint32_t b_ssrc = subscribe(b, 2);
    assert_true(sfuh_run_until(sfuh_is_true, &a->h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &b->h.connected));
    return b_ssrc;
}

static void test_allocation_thins_pauses_and_resumes_a_video_with_quality_events(void **state)
{
    (void)state;
    FILE *log = sfuh_log_capture();
    setup_sfu();
    static struct client a, b;
    uint32_t b_ssrc = start_call(&a, &b);

    /* A sends 30 frames a second, keyframe first: 72 kbit/s, a quarter TL0, a quarter TL1, half
     * TL2. B can take 2 Mbit/s: everything, no event. */
    send_remb(&b, b_ssrc, 2000000);
    GSource *frames = start_frames();
    pump(1800);
    int tids[4];
    count_tids(&b, 0, tids);
    assert_true(tids[0] > 5 && tids[1] > 5 && tids[2] > 10);
    assert_true(b.rx[0].key);
    assert_int_equal(n_events, 0);

    /* 40 kbit/s: a single encoding is costed at 50 kbit/s (what okno's cap would make of it),
     * TL0+TL1 at 25: the top temporal layer goes at once. */
    send_remb(&b, b_ssrc, 40000);
    assert_true(wait_events(1, 2000));
    assert_false(events[0].paused);
    assert_int_equal(events[0].temporal, 1);
    assert_string_equal(events[0].reason, "bandwidth");
    assert_int_equal(events[0].estimate_kbps, 40);
    assert_string_equal(events[0].publisher, "p1");
    assert_string_equal(events[0].track, "p1-v0");
    pump(300); /* what was in flight */
    int mark = b.n_rx;
    pump(800);
    count_tids(&b, mark, tids);
    assert_true(tids[0] > 1 && tids[1] > 1);
    assert_int_equal(tids[2], 0);

    /* 10 kbit/s: not even TL0 (12.5): paused, audio only (here: nothing). */
    send_remb(&b, b_ssrc, 10000);
    assert_true(wait_events(2, 2000));
    assert_true(events[1].paused);
    assert_string_equal(events[1].reason, "bandwidth");
    pump(300);
    mark = b.n_rx;
    pump(800);
    assert_int_equal(b.n_rx, mark);

    /* Back to 2 Mbit/s: nothing for the hold time, then every layer from a keyframe A was asked
     * for. */
    int plis = a.n_pli;
    int64_t up_at = g_get_monotonic_time();
    send_remb(&b, b_ssrc, 2000000);
    assert_true(wait_events(3, 5000));
    int64_t waited = g_get_monotonic_time() - up_at;
    assert_true(waited >= OKNO_ALLOC_UP_HOLD_US - 100000);
    assert_false(events[2].paused);
    assert_int_equal(events[2].temporal, 2);
    assert_string_equal(events[2].reason, "recovered");
    mark = b.n_rx;
    pump(1000);
    assert_true(a.n_pli > plis);
    assert_true(b.n_rx > mark + 5);
    assert_true(b.rx[mark].key); /* the resumed video starts at a keyframe */
    count_tids(&b, mark, tids);
    assert_true(tids[2] > 2);

    /* One continuous stream for B throughout: no gap where layers were dropped or paused. */
    for (int i = 1; i < b.n_rx; i++)
        assert_int_equal((uint16_t)(b.rx[i - 1].seq + 1), b.rx[i].seq);
    fprintf(stderr, "B received %d packets, A got %d PLIs, %d quality events\n", b.n_rx, a.n_pli,
            n_events);
    assert_int_equal(n_events, 3);

    g_source_destroy(frames);
    g_source_unref(frames);
    struct client *all[] = {&a, &b};
    teardown_sfu(all, 2);
    char *text = sfuh_log_text(log);
    assert_non_null(strstr(text, "p2: p1-v0 paused (bandwidth, estimate 10 kbit/s)"));
    g_free(text);
}

/* A kiosk and an observer publish; the specialist B can take one video only: the kiosk's keeps
 * every layer, the observer's is paused (one event, for it alone), and resumes when B can take
 * both. */
static void test_allocation_serves_the_other_party_before_an_observer(void **state)
{
    (void)state;
    setup_sfu();
    static struct client a, o, b;
    open_client(&a, true);
    open_client(&o, true);
    open_client(&b, false);
    okno_sfu_join(sfuh.sfu, 1, 1, "prio", "A", "kiosk");
    okno_sfu_join(sfuh.sfu, 2, 1, "prio", "O", "observer");
    publish(&a, 1, A_SSRC);
    publish(&o, 2, 3333u);
    okno_sfu_join(sfuh.sfu, 3, 1, "prio", "B", "specialist");
    /* B joins after both publications: one offer with both videos. */
    assert_true(sfuh_run_until(sfuh_has_offer, GINT_TO_POINTER(3)));
    assert_non_null(strstr(sfuh.offer[3], "a=mid:1\r\n"));
    receiver = 3;
    uint32_t b_ssrc = subscribe(&b, 3);
    assert_true(sfuh_run_until(sfuh_is_true, &a.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &o.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &b.h.connected));
    send_remb(&b, b_ssrc, 2000000);
    GSource *frames = start_frames();
    pump(1500);
    assert_int_equal(n_events, 0);

    /* 60 kbit/s: the kiosk's video (costed 50) fits whole; 10 are left, less than the observer's
     * TL0 (12.5). */
    send_remb(&b, b_ssrc, 60000);
    assert_true(wait_events(1, 2000));
    pump(500);
    assert_int_equal(n_events, 1);
    assert_true(events[0].paused);
    assert_string_equal(events[0].publisher, "p2");
    assert_string_equal(events[0].reason, "bandwidth");
    pump(300);
    int mark = b.n_rx;
    pump(700);
    int from_a = 0, from_o = 0;
    uint32_t a_out = b.rx[mark].ssrc; /* okno's SSRC of the kiosk's video for B */
    for (int i = mark; i < b.n_rx; i++)
        *(b.rx[i].ssrc == a_out ? &from_a : &from_o) += 1;
    assert_true(from_a > 5);
    assert_int_equal(from_o, 0);
    /* B no longer holds the observer down (A, who never answered, leaves it uncapped), and the
     * kiosk's video follows all of B's 60 kbit/s (plus the kiosk's own audio allowance), not
     * half of it. */
    struct remb_wait w = {&o, OKNO_PUB_FB_UNWATCHED_BPS};
    assert_true(sfuh_run_until(remb_at_least, &w));
    w = (struct remb_wait){&a, 60000 + OKNO_ALLOC_AUDIO_BPS};
    assert_true(sfuh_run_until(remb_is, &w));

    /* 200 kbit/s: both fit; the observer's video resumes after the hold ("recovered"; on a
     * machine slow enough that the waits above outlasted OKNO_ALLOC_TRIAL_WAIT_US, a "probe"
     * trial may come first), every event still about the observer's video alone. */
    send_remb(&b, b_ssrc, 200000);
    assert_true(wait_events(2, 5000));
    assert_false(events[1].paused);
    assert_true(strcmp(events[1].reason, "recovered") == 0 ||
                strcmp(events[1].reason, "probe") == 0);
    mark = b.n_rx;
    pump(800);
    from_o = 0;
    for (int i = mark; i < b.n_rx; i++)
        from_o += b.rx[i].ssrc != a_out;
    assert_true(from_o > 3);
    for (int i = 0; i < n_events; i++)
        assert_string_equal(events[i].publisher, "p2");
    assert_false(events[n_events - 1].paused);

    g_source_destroy(frames);
    g_source_unref(frames);
    struct client *all[] = {&a, &o, &b};
    teardown_sfu(all, 3);
}

static void set_loss(double ratio, int64_t queue_delay_us)
{
    g_mutex_lock(&sfuh_est_lock);
    sfuh_est.loss_ratio = ratio;
    sfuh_est.queue_delay_us = queue_delay_us;
    g_mutex_unlock(&sfuh_est_lock);
}

static int count_in(const char *text, const char *needle)
{
    int n = 0;
    for (const char *at = strstr(text, needle); at; at = strstr(at + 1, needle))
        n++;
    return n;
}

/* start_call, then A's frames flowing to B at its 2 Mbit/s for 1.5 s. Returns B's SSRC. */
static uint32_t start_flowing_call(struct client *a, struct client *b, GSource **frames)
{
    uint32_t b_ssrc = start_call(a, b);
    send_remb(b, b_ssrc, 2000000);
    *frames = start_frames();
    pump(1500);
    assert_true(b->n_rx > 20);
    return b_ssrc;
}

/* Ends what start_flowing_call began; returns how many restarts of A's video for B the log
 * captured since log (sfuh_log_capture) says. */
static int end_flowing_call(struct client *a, struct client *b, GSource *frames, FILE *log)
{
    set_loss(0, 0);
    g_source_destroy(frames);
    g_source_unref(frames);
    struct client *all[] = {a, b};
    teardown_sfu(all, 2);
    char *text = sfuh_log_text(log);
    int n = count_in(text, "p2: p1-v0 restarts at a keyframe");
    g_free(text);
    return n;
}

/* A collapse: B's estimate falls to under half of what its video was forwarded at, with a fifth
 * of the packets lost (a capacity drop that overflowed B's bottleneck). okno gives up the chain
 * B's decoder lost: nothing of the video goes to B until a keyframe, which okno asks A for so that
 * it comes once the queue B's estimator reports (150 ms) has drained: 150 ms less the time A's
 * keyframes have taken, but no sooner than half of it. B's numbering stays continuous; a second
 * collapse within the hold asks nothing more. Without loss or a long queue a fall only thins (the
 * first test). */
static void test_allocation_restarts_a_video_at_a_keyframe_on_a_collapse(void **state)
{
    (void)state;
    FILE *log = sfuh_log_capture();
    setup_sfu();
    static struct client a, b;
    GSource *frames;
    uint32_t b_ssrc = start_flowing_call(&a, &b, &frames);

    /* 72 kbit/s forwarded; 30 kbit/s with 20 % loss: TL2 goes and the chain restarts. */
    int plis = a.n_pli;
    set_loss(0.2, 150000);
    int64_t fell_at = g_get_monotonic_time();
    send_remb(&b, b_ssrc, 30000);
    assert_true(wait_events(1, 2000));
    int mark = b.n_rx;
    while (a.n_pli == plis && g_get_monotonic_time() - fell_at < 3000000)
        pump(5);
    assert_true(a.n_pli > plis);
    assert_true(a.pli_us - fell_at >= 75000); /* half the drain at the earliest */
    pump(600);
    assert_true(b.n_rx > mark);
    /* What B got after the restart starts at a keyframe (a packet or two may have been on the
     * way when it began). */
    int first_key = -1;
    for (int i = mark; i < b.n_rx && first_key < 0; i++)
        if (b.rx[i].key)
            first_key = i;
    assert_true(first_key >= 0 && first_key <= mark + 2);

    /* Still collapsed a second later: within the hold, no new restart. */
    send_remb(&b, b_ssrc, 28000);
    pump(500);
    for (int i = 1; i < b.n_rx; i++)
        assert_int_equal((uint16_t)(b.rx[i - 1].seq + 1), b.rx[i].seq);
    assert_int_equal(end_flowing_call(&a, &b, frames, log), 1);
}

/* The fall of the test above (72 kbit/s forwarded, 30 estimated), with loss_ratio and queued_us
 * reported by B's estimator: whether okno restarts the video (A gets a PLI, the log says so)
 * within a second. */
static bool restarts_on(double loss_ratio, int64_t queued_us)
{
    FILE *log = sfuh_log_capture();
    setup_sfu();
    static struct client a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    GSource *frames;
    uint32_t b_ssrc = start_flowing_call(&a, &b, &frames);
    int plis = a.n_pli;
    set_loss(loss_ratio, queued_us);
    send_remb(&b, b_ssrc, 30000);
    assert_true(wait_events(1, 2000));
    int64_t fell_at = g_get_monotonic_time();
    while (a.n_pli == plis && g_get_monotonic_time() - fell_at < 1000000)
        pump(5);
    bool asked = a.n_pli > plis;
    assert_int_equal(end_flowing_call(&a, &b, frames, log), asked ? 1 : 0);
    return asked;
}

/* Loss shows a drop-tail overflow late (a lost packet is reported once a later one has crossed
 * the full queue, and the report may cross a full queue the other way): a fall to under half
 * with 200 ms already queued restarts the video before any loss is reported; with 50 ms queued
 * (a queue the estimator's cut drains in time) it only thins, unless the loss is there. */
static void test_allocation_restarts_on_a_long_queue_before_loss_shows(void **state)
{
    (void)state;
    assert_true(restarts_on(0, 200000));
    assert_false(restarts_on(0, 50000));
    assert_true(restarts_on(0.2, 50000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocation_thins_pauses_and_resumes_a_video_with_quality_events),
        cmocka_unit_test(test_allocation_serves_the_other_party_before_an_observer),
        cmocka_unit_test(test_allocation_restarts_a_video_at_a_keyframe_on_a_collapse),
        cmocka_unit_test(test_allocation_restarts_on_a_long_queue_before_loss_shows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
