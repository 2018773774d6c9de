/* The SFU's media path in process: three clients made of okno's own peers (net/peer) on the test's
 * main context, signalling through the sfu.h facade, media over loopback sockets to the SFU on a
 * real worker. A publishes VP8 with RTX, B and C subscribe; the test checks what B receives
 * (okno's own SSRC with continuous sequence numbers and timestamps from a keyframe on, RTX from A
 * unwrapped into its place, B's NACK answered as RTX, sender reports for okno's SSRC) and what A
 * receives (B's and C's PLIs as one PLI for A's stream). Every wait has a deadline. */
#include "sfu_harness.h"

#include "okno/err.h"
#include "sfu/sfu.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/rtp.h"
#include "wire/rtx.h"

#define A_SSRC     1111u
#define A_RTX_SSRC 2222u

struct client {
    struct sfuh_client h; /* first: the harness's hooks cast back */
    bool vanish;
    uint8_t rtp[32][256];
    size_t rtp_len[32];
    int n_rtp;
    int n_pli;
    int n_sr;
    struct okno_rtcp_sr sr; /* the last sender report */
};

static int n_acks[4];
static bool expect_drop; /* the grace test waits for okno to drop session 1 */
static int64_t dropped_at[4], left_seen[4];

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    if (ev->session > 3)
        return;
    if (ev->type == OKNO_SFU_EV_ACK)
        n_acks[ev->session]++;
    else if (ev->type == OKNO_SFU_EV_CLOSED && expect_drop)
        dropped_at[ev->session] = g_get_monotonic_time();
    else if (ev->type == OKNO_SFU_EV_PARTICIPANT_LEFT)
        left_seen[ev->session]++;
    else
        sfuh_on_event(ud, ev);
}

static void on_connected(struct sfuh_client *h)
{
    struct client *c = (struct client *)h;
    if (c->vanish) {
        /* From inside the handshake no close_notify can go out: to okno the client just went
         * silent, as when its network is gone. */
        okno_peer_close(c->h.peer, NULL, NULL);
        c->h.peer = NULL;
    }
}

static void on_rtp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = (struct client *)h;
    (void)now_us;
    if (c->n_rtp < 32 && len <= 256) {
        memcpy(c->rtp[c->n_rtp], pkt, len);
        c->rtp_len[c->n_rtp++] = len;
    }
}

static void on_rtcp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = (struct client *)h;
    (void)now_us;
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt rp;
    okno_rtcp_iter_init(&it, pkt, len);
    while (okno_rtcp_iter_next(&it, &rp) == 1) {
        struct okno_rtcp_fb fb;
        if (rp.pt == OKNO_RTCP_PSFB && okno_rtcp_fb_parse(&rp, &fb) == 0 &&
            okno_rtcp_fb_kind(&fb) == OKNO_RTCP_FB_PLI && fb.media_ssrc == A_SSRC)
            c->n_pli++;
        if (rp.pt == OKNO_RTCP_SR && okno_rtcp_sr_parse(&rp, &c->sr) == 0)
            c->n_sr++;
    }
}

static const struct sfuh_hooks hooks = {
    .on_connected = on_connected, .on_rtp = on_rtp, .on_rtcp = on_rtcp};

static void open_client(struct client *c, bool controlling)
{
    memset(c, 0, sizeof *c);
    sfuh_open(&c->h, controlling, &hooks);
}

/* Waiting for "any packet" in a loop until three came spun without running the context once
 * the first had arrived (sfuh_run_until returns at once on a true condition), so a second and third
 * packet arriving on later iterations were never read: wait for all three instead. */
static bool got_three_rtp(void *arg)
{
    struct client *c = arg;
    return c->n_rtp >= 3;
}

/* okno's SSRC and RTX SSRC in its offer: its own, not A's. */
static void offered_ssrcs(const char *offer, uint32_t *ssrc, uint32_t *rtx_ssrc)
{
    const char *g = strstr(offer, "a=ssrc-group:FID ");
    assert_non_null(g);
    unsigned a, b;
    assert_int_equal(sscanf(g, "a=ssrc-group:FID %u %u", &a, &b), 2);
    assert_int_not_equal(a, A_SSRC);
    assert_int_not_equal(b, A_RTX_SSRC);
    assert_null(strstr(offer, "a=ssrc:1111 "));
    *ssrc = a;
    *rtx_ssrc = b;
}

/* Takes okno's subscriber offer for session and answers it; returns okno's SSRCs for the client. */
static void subscribe(struct client *c, int session, uint64_t req, uint32_t *ssrc,
                      uint32_t *rtx_ssrc)
{
    assert_true(sfuh_run_until(sfuh_has_offer, GINT_TO_POINTER(session)));
    assert_non_null(strstr(sfuh.offer[session], "a=msid-semantic: WMS *\r\n"));
    offered_ssrcs(sfuh.offer[session], ssrc, rtx_ssrc);
    sfuh_subscribe(&c->h, session, req, NULL, NULL, NULL);
}

static bool a_got_pli(void *arg)
{
    return ((struct client *)arg)->n_pli > 0;
}

static bool got_sr(void *arg)
{
    return ((struct client *)arg)->n_sr > 0;
}

static void
test_sfu_rewrites_for_each_subscriber_answers_nack_sends_sr_and_coalesces_pli(void **state)
{
    (void)state;
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n";
    sfuh_start(conf, on_event);

    struct client a, b, c;
    open_client(&a, true);  /* the publisher connection's offerer controls */
    open_client(&b, false); /* okno offers the subscriber connection */
    open_client(&c, false);
    okno_sfu_join(sfuh.sfu, 1, 1, "media", "A", "kiosk");
    okno_sfu_join(sfuh.sfu, 2, 1, "media", "B", "kiosk");
    okno_sfu_join(sfuh.sfu, 3, 1, "media", "C", "kiosk");

    sfuh_publish_vp8(&a.h, 1, A_SSRC, A_RTX_SSRC, NULL, NULL);
    assert_non_null(strstr(sfuh.answer[1], "a=setup:passive"));
    sfuh_take_remote(&a.h, sfuh.answer[1], OKNO_DTLS_CLIENT);

    uint32_t b_ssrc, rtx_ssrc, c_ssrc, c_rtx_ssrc;
    subscribe(&b, 2, 3, &b_ssrc, &rtx_ssrc);
    subscribe(&c, 3, 3, &c_ssrc, &c_rtx_ssrc);
    assert_int_not_equal(b_ssrc, c_ssrc);
    assert_true(sfuh_run_until(sfuh_is_true, &a.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &b.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &c.h.connected));
    assert_int_equal(n_acks[2], 1);
    assert_int_equal(n_acks[3], 1);

    /* A delta frame before any keyframe is held back; the keyframe and what follows pass. */
    uint8_t pkt[128];
    size_t len = sfuh_vp8_packet(pkt, A_SSRC, 99, false);
    sfuh_send_rtp(&a.h, pkt, len);
    g_usleep(20000);
    uint8_t sent[3][128];
    size_t sent_len[3];
    for (int i = 0; i < 3; i++) {
        sent_len[i] = sfuh_vp8_packet(sent[i], A_SSRC, (uint16_t)(100 + i), i == 0);
        if (i != 1) /* 101 is "lost" on the way in: it comes later as RTX */
            sfuh_send_rtp(&a.h, sent[i], sent_len[i]);
    }
    uint8_t rtx[160];
    int rtx_len = okno_rtx_wrap(sent[1], sent_len[1], rtx, sizeof rtx, A_RTX_SSRC, 97, 7);
    assert_true(rtx_len > 0);
    sfuh_send_rtp(&a.h, rtx, (size_t)rtx_len);
    assert_true(sfuh_run_until(got_three_rtp, &b));
    /* B gets 100, 102, then 101 (A's RTX, unwrapped into the gap B's numbering kept for it, and
     * sent to B as RTX on the SSRC okno offered, B having kept RTX): rewritten onto okno's SSRC
     * with sequence numbers and timestamps shifted by the same amount each, the payload as sent. */
    const int order[3] = {0, 2, 1};
    struct okno_rtp_pkt out[3], in[3];
    uint8_t late[160];
    struct okno_rtp_pkt late_rtx;
    assert_int_equal(okno_rtp_parse(b.rtp[2], b.rtp_len[2], &late_rtx), 0);
    assert_int_equal(late_rtx.ssrc, rtx_ssrc);
    assert_int_equal(late_rtx.pt, 97);
    int late_len = okno_rtx_unwrap(b.rtp[2], b.rtp_len[2], late, sizeof late, b_ssrc, 96);
    assert_true(late_len > 0);
    for (int i = 0; i < 3; i++) {
        int k = order[i];
        const uint8_t *got = i == 2 ? late : b.rtp[i];
        size_t got_len = i == 2 ? (size_t)late_len : b.rtp_len[i];
        assert_int_equal(okno_rtp_parse(got, got_len, &out[i]), 0);
        assert_int_equal(okno_rtp_parse(sent[k], sent_len[k], &in[i]), 0);
        assert_int_equal(out[i].ssrc, b_ssrc);
        assert_int_equal(out[i].pt, 96);
        assert_int_equal((uint16_t)(out[i].seq - out[0].seq), (uint16_t)(in[i].seq - in[0].seq));
        assert_int_equal(out[i].ts - out[0].ts, in[i].ts - in[0].ts);
        assert_int_equal(out[i].payload_len, in[i].payload_len);
        assert_memory_equal(out[i].payload, in[i].payload, in[i].payload_len);
    }

    /* B lost 102: okno answers its NACK (for okno's number) from the cache, as RTX on the SSRC it
     * offered, carrying okno's number as the original sequence number. */
    uint16_t lost = out[1].seq;
    uint8_t fb[64];
    int fb_len = okno_rtcp_nack_build(0x5555, b_ssrc, &lost, 1, fb, sizeof fb);
    sfuh_send_rtcp(&b.h, NULL, fb, fb_len);
    int before = b.n_rtp;
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (b.n_rtp == before && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
    assert_true(b.n_rtp > before);
    struct okno_rtp_pkt r;
    assert_int_equal(okno_rtp_parse(b.rtp[before], b.rtp_len[before], &r), 0);
    assert_int_equal(r.ssrc, rtx_ssrc);
    assert_int_equal(r.pt, 97);
    assert_int_equal(okno_rtx_osn(&r), lost);

    /* Sender reports of okno's stream reach B, counting what it was sent on that SSRC (100 and
     * 102; 101 went on the RTX SSRC). */
    assert_true(sfuh_run_until(got_sr, &b));
    assert_int_equal(b.sr.ssrc, b_ssrc);
    assert_true(b.sr.packet_count >= 2);

    /* B's and C's PLIs for okno's streams, 50 ms apart, reach A as one PLI for A's stream. The
     * requests at the start are answered by a keyframe first, and the throttle has run out. */
    size_t key_len = sfuh_vp8_packet(pkt, A_SSRC, 103, true);
    sfuh_send_rtp(&a.h, pkt, key_len);
    sfuh_run_for(600000);
    a.n_pli = 0;
    fb_len = okno_rtcp_pli_build(0x5555, b_ssrc, fb, sizeof fb);
    sfuh_send_rtcp(&b.h, NULL, fb, fb_len);
    sfuh_run_for(50000);
    fb_len = okno_rtcp_pli_build(0x5555, c_ssrc, fb, sizeof fb);
    sfuh_send_rtcp(&c.h, NULL, fb, fb_len);
    assert_true(sfuh_run_until(a_got_pli, &a));
    sfuh_run_for(400000);
    assert_int_equal(a.n_pli, 1);

    struct sfuh_client *clients[] = {&a.h, &b.h, &c.h};
    sfuh_stop(clients, 3);
}

/* A client whose network goes away keeps its seat until okno's ICE reports consent lost ([media]
 * consent_timeout_s after the last datagram, 10 s here, net/ice.h) and for [media]
 * ice_restart_grace_s more; then it is dropped as before, and the others see it leave. */
static void test_sfu_keeps_a_silent_participant_for_the_grace_period_then_drops_it(void **state)
{
    (void)state;
    static const char conf[] =
        "[media]\naddresses = 127.0.0.1\nice_tcp = false\nice_restart_grace_s = 2\n"
        "consent_timeout_s = 10\n";
    sfuh_start(conf, on_event);
    expect_drop = true;
    memset(left_seen, 0, sizeof left_seen);
    memset(dropped_at, 0, sizeof dropped_at);

    struct client a;
    open_client(&a, true);
    a.vanish = true;
    okno_sfu_join(sfuh.sfu, 1, 1, "grace", "A", "kiosk");
    okno_sfu_join(sfuh.sfu, 2, 1, "grace", "B", "kiosk");
    GString *offer = g_string_new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                  "a=group:BUNDLE 0\r\na=msid-semantic: WMS s\r\n"
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n");
    sfuh_append_transport(offer, &a.h, "actpass");
    g_string_append(offer, "a=mid:0\r\na=sendonly\r\na=msid:s t\r\na=rtcp-mux\r\n"
                           "a=rtpmap:96 VP8/90000\r\na=ssrc:1111 cname:c\r\n");
    okno_sfu_publish(sfuh.sfu, 1, 2, offer->str);
    g_string_free(offer, TRUE);
    assert_true(sfuh_run_until(sfuh_has_answer, GINT_TO_POINTER(1)));
    sfuh_take_remote(&a.h, sfuh.answer[1], OKNO_DTLS_CLIENT);
    assert_true(sfuh_run_until(sfuh_is_true, &a.h.connected));
    int64_t gone = g_get_monotonic_time();
    assert_null(a.h.peer);

    int64_t deadline = gone + 20 * G_USEC_PER_SEC;
    while (!dropped_at[1] && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    assert_true(dropped_at[1] > 0);
    int64_t after_ms = (dropped_at[1] - gone) / 1000;
    print_message("# dropped %lld ms after the client went silent\n", (long long)after_ms);
    /* Consent lost at about 10 s, then 2 s of grace; a drop at consent loss would be ~10 s. */
    assert_true(after_ms >= 11000);
    assert_true(after_ms <= 16000);
    sfuh_run_for(200000);
    assert_int_equal(left_seen[2], 1);

    /* Session 1 is gone already; session 2 has no client. */
    sfuh.leaving = true;
    okno_sfu_leave(sfuh.sfu, 2, 0);
    struct sfuh_client *clients[] = {&a.h};
    sfuh_stop(clients, 1);
    expect_drop = false;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_sfu_rewrites_for_each_subscriber_answers_nack_sends_sr_and_coalesces_pli),
        cmocka_unit_test(test_sfu_keeps_a_silent_participant_for_the_grace_period_then_drops_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
