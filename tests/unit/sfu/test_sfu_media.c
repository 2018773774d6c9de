/* The SFU's media path in process: three clients made of okno's own peers (net/peer) on the test's
 * main context, signalling through the sfu.h facade, media over loopback sockets to the SFU on a
 * real worker. A publishes VP8 with RTX, B and C subscribe; the test checks what B receives
 * (okno's own SSRC with continuous sequence numbers and timestamps from a keyframe on, RTX from A
 * unwrapped into its place, B's NACK answered as RTX, sender reports for okno's SSRC) and what A
 * receives (B's and C's PLIs as one PLI for A's stream). Every wait has a deadline. */
#include "testutil.h"

#include <glib.h>

#include "core/config.h"
#include "core/worker.h"
#include "net/peer.h"
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
    struct okno_peer *peer;
    GPtrArray *cands;
    bool gathered, connected, vanish;
    uint8_t rtp[32][256];
    size_t rtp_len[32];
    int n_rtp;
    int n_pli;
    int n_sr;
    struct okno_rtcp_sr sr; /* the last sender report */
};

static struct okno_workers *workers;
static struct okno_config *cfg;
static struct okno_sfu *sfu;
static struct okno_cert *cert;
static char *last_sdp[4];
static int n_acks[4];
static bool leaving;     /* our peers' close_notify may beat the leave to the worker */
static bool expect_drop; /* the grace test waits for okno to drop session 1 */
static int64_t dropped_at[4], left_seen[4];

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    (void)ud;
    if (ev->session > 3)
        return;
    if (ev->type == OKNO_SFU_EV_ANSWER || ev->type == OKNO_SFU_EV_OFFER) {
        g_free(last_sdp[ev->session]);
        last_sdp[ev->session] = g_strdup(ev->sdp);
    } else if (ev->type == OKNO_SFU_EV_ACK) {
        n_acks[ev->session]++;
    } else if (ev->type == OKNO_SFU_EV_CLOSED && expect_drop) {
        dropped_at[ev->session] = g_get_monotonic_time();
    } else if (ev->type == OKNO_SFU_EV_PARTICIPANT_LEFT) {
        left_seen[ev->session]++;
    } else if (ev->type == OKNO_SFU_EV_ERROR || (ev->type == OKNO_SFU_EV_CLOSED && !leaving)) {
        fail_msg("session %llu: %s %s", (unsigned long long)ev->session,
                 ev->code ? ev->code : "closed", ev->message);
    }
}

static void on_cand(void *owner, const char *c)
{
    g_ptr_array_add(((struct client *)owner)->cands, g_strdup(c));
}

static void on_done(void *owner)
{
    ((struct client *)owner)->gathered = true;
}

static void on_connected(void *owner)
{
    struct client *c = owner;
    c->connected = true;
    if (c->vanish) {
        /* From inside the handshake no close_notify can go out: to okno the client just went
         * silent, as when its network is gone. */
        okno_peer_close(c->peer, NULL, NULL);
        c->peer = NULL;
    }
}

static void on_failed(void *owner, int err, const char *reason)
{
    (void)owner;
    fail_msg("client transport failed: %s (%d)", reason, err);
}

static void on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = owner;
    (void)now_us;
    if (c->n_rtp < 32 && len <= 256) {
        memcpy(c->rtp[c->n_rtp], pkt, len);
        c->rtp_len[c->n_rtp++] = len;
    }
}

static void on_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = owner;
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

static const struct okno_peer_listener listener = {
    .on_local_candidate = on_cand,
    .on_local_candidates_done = on_done,
    .on_connected = on_connected,
    .on_failed = on_failed,
    .on_rtp = on_rtp,
    .on_rtcp = on_rtcp,
};

static bool run_until(bool (*cond)(void *), void *arg)
{
    int64_t deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    while (!cond(arg) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
    return cond(arg);
}

static bool is_true(void *arg)
{
    return *(bool *)arg;
}

static bool has_sdp(void *arg)
{
    return last_sdp[GPOINTER_TO_INT(arg)] != NULL;
}

static bool got_rtp(void *arg)
{
    struct client *c = arg;
    return c->n_rtp > 0;
}

static void open_client(struct client *c, bool controlling)
{
    memset(c, 0, sizeof *c);
    c->cands = g_ptr_array_new_with_free_func(g_free);
    struct okno_ice_config ice;
    okno_ice_config_init(&ice);
    assert_int_equal(okno_ice_config_add_address(&ice, "127.0.0.1"), 0);
    ice.tcp = OKNO_ICE_TCP_OFF;
    ice.controlling = controlling;
    struct okno_peer_config pc = {.ice = &ice, .cert = cert};
    assert_int_equal(okno_peer_create(g_main_context_default(), &pc, &listener, c, &c->peer), 0);
    assert_int_equal(okno_peer_gather(c->peer), 0);
    assert_true(run_until(is_true, &c->gathered));
}

/* Our ICE and DTLS lines for a description of ours. */
static void append_transport(GString *s, struct client *c, const char *setup)
{
    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    okno_peer_local_credentials(c->peer, ufrag, pwd);
    g_string_append_printf(s,
                           "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:%s\r\na=setup:%s\r\n",
                           ufrag, pwd, okno_cert_fingerprint_sdp(cert), setup);
    for (guint i = 0; i < c->cands->len; i++)
        g_string_append_printf(s, "a=%s\r\n", (char *)c->cands->pdata[i]);
    g_string_append(s, "a=end-of-candidates\r\n");
}

/* Takes okno's transport out of its description: credentials, fingerprint, candidates. */
static void take_remote(struct client *c, const char *sdp, enum okno_dtls_role role)
{
    char **lines = g_strsplit(sdp, "\r\n", -1);
    const char *ufrag = NULL, *pwd = NULL, *fp = NULL;
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "a=ice-ufrag:") && !ufrag)
            ufrag = *l + 12;
        else if (g_str_has_prefix(*l, "a=ice-pwd:") && !pwd)
            pwd = *l + 10;
        else if (g_str_has_prefix(*l, "a=fingerprint:") && !fp)
            fp = *l + 14;
    }
    assert_non_null(ufrag);
    assert_non_null(pwd);
    assert_non_null(fp);
    struct okno_fingerprint f;
    assert_int_equal(okno_cert_fingerprint_parse(fp, &f), 0);
    assert_int_equal(okno_peer_set_remote(c->peer, ufrag, pwd, &f, role), 0);
    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "a=candidate:"))
            okno_peer_add_remote_candidate(c->peer, *l + 2);
    }
    g_strfreev(lines);
}

/* The answer to okno's subscriber offer: its media sections, receiving, with our transport. */
static char *answer_offer(struct client *c, const char *offer)
{
    GString *s = g_string_new(NULL);
    char **lines = g_strsplit(offer, "\r\n", -1);
    for (char **l = lines; *l; l++) {
        if (!**l || g_str_has_prefix(*l, "a=ice-") || g_str_has_prefix(*l, "a=fingerprint:") ||
            g_str_has_prefix(*l, "a=setup:") || g_str_has_prefix(*l, "a=candidate:") ||
            g_str_has_prefix(*l, "a=end-of-candidates") || g_str_has_prefix(*l, "a=ssrc") ||
            g_str_has_prefix(*l, "a=msid:"))
            continue;
        if (strcmp(*l, "a=sendonly") == 0) {
            g_string_append(s, "a=recvonly\r\n");
            continue;
        }
        g_string_append_printf(s, "%s\r\n", *l);
        if (g_str_has_prefix(*l, "a=mid:"))
            append_transport(s, c, "active");
    }
    g_strfreev(lines);
    return g_string_free(s, FALSE);
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
    assert_true(run_until(has_sdp, GINT_TO_POINTER(session)));
    char *sub_offer = g_strdup(last_sdp[session]);
    assert_non_null(strstr(sub_offer, "a=msid-semantic: WMS *\r\n"));
    offered_ssrcs(sub_offer, ssrc, rtx_ssrc);
    take_remote(c, sub_offer, OKNO_DTLS_CLIENT);
    char *answer = answer_offer(c, sub_offer);
    okno_sfu_answer(sfu, (uint64_t)session, req, OKNO_SFU_PC_SUBSCRIBER, answer);
    g_free(answer);
    g_free(sub_offer);
}

/* A VP8 packet: keyframes carry the payload header with the start code and 320x240. */
static size_t vp8_packet(uint8_t *buf, uint16_t seq, bool key)
{
    struct okno_rtp_pkt h = {.pt = 96, .seq = seq, .ts = 9000u * seq, .ssrc = A_SSRC};
    int n = okno_rtp_write_header(buf, 64, &h);
    assert_int_equal(n, OKNO_RTP_HEADER_LEN);
    const uint8_t key_payload[] = {0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a,
                                   0x40, 0x01, 0xf0, 0x00, 0xaa, 0xbb, 0xcc};
    const uint8_t delta_payload[] = {0x10, 0x51, 0x02, 0x00, 0x11, 0x22, 0x33, 0x44};
    const uint8_t *p = key ? key_payload : delta_payload;
    size_t len = key ? sizeof key_payload : sizeof delta_payload;
    memcpy(buf + n, p, len);
    buf[n + len] = (uint8_t)seq; /* tells the packets apart */
    return (size_t)n + len + 1;
}

static void send_rtp(struct client *c, const uint8_t *pkt, size_t len)
{
    _Alignas(8) uint8_t buf[512];
    memcpy(buf, pkt, len);
    assert_int_equal(okno_peer_send_rtp(c->peer, buf, len, sizeof buf), 0);
}

static void send_rtcp(struct client *c, const uint8_t *fb, int fb_len)
{
    _Alignas(8) uint8_t buf[256];
    struct okno_rtcp_rr rr = {.ssrc = 0x5555};
    int n = okno_rtcp_rr_build(&rr, buf, sizeof buf);
    assert_true(n > 0);
    memcpy(buf + n, fb, (size_t)fb_len);
    assert_int_equal(okno_peer_send_rtcp(c->peer, buf, (size_t)n + (size_t)fb_len, sizeof buf), 0);
}

static int n_closed;

static void on_closed(void *arg)
{
    (void)arg;
    n_closed++;
}

static bool all_closed(void *arg)
{
    (void)arg;
    return n_closed == 3;
}

static bool a_got_pli(void *arg)
{
    return ((struct client *)arg)->n_pli > 0;
}

static bool got_sr(void *arg)
{
    return ((struct client *)arg)->n_sr > 0;
}

/* Runs the main context for us microseconds. */
static void run_for(int64_t us)
{
    int64_t until = g_get_monotonic_time() + us;
    while (g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
}

static void
test_sfu_rewrites_for_each_subscriber_answers_nack_sends_sr_and_coalesces_pli(void **state)
{
    (void)state;
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n";
    assert_int_equal(okno__config_load_data(okno__config_schema, okno__config_schema_len, "t.conf",
                                            conf, strlen(conf), &cfg, NULL),
                     0);
    assert_int_equal(okno_workers_start(1, &workers), 0);
    static const struct okno_sfu_listener sl = {.on_event = on_event};
    assert_int_equal(okno_sfu_create(workers, cfg, NULL, NULL, &sl, &sfu), 0);
    assert_int_equal(okno_cert_generate("client", &cert), 0);

    struct client a, b, c;
    open_client(&a, true);  /* the publisher connection's offerer controls */
    open_client(&b, false); /* okno offers the subscriber connection */
    open_client(&c, false);
    okno_sfu_join(sfu, 1, 1, "media", "A", "kiosk");
    okno_sfu_join(sfu, 2, 1, "media", "B", "kiosk");
    okno_sfu_join(sfu, 3, 1, "media", "C", "kiosk");

    GString *offer = g_string_new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                  "a=group:BUNDLE 0\r\na=msid-semantic: WMS s\r\n"
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
                                  "a=rtcp:9 IN IP4 0.0.0.0\r\n");
    append_transport(offer, &a, "actpass");
    g_string_append(offer, "a=mid:0\r\na=sendonly\r\na=msid:s t\r\na=rtcp-mux\r\na=rtcp-rsize\r\n"
                           "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
                           "a=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\n"
                           "a=fmtp:97 apt=96\r\na=ssrc-group:FID 1111 2222\r\n"
                           "a=ssrc:1111 cname:c\r\na=ssrc:2222 cname:c\r\n");
    okno_sfu_publish(sfu, 1, 2, offer->str);
    g_string_free(offer, TRUE);
    assert_true(run_until(has_sdp, GINT_TO_POINTER(1)));
    assert_non_null(strstr(last_sdp[1], "a=setup:passive"));
    take_remote(&a, last_sdp[1], OKNO_DTLS_CLIENT);

    uint32_t b_ssrc, rtx_ssrc, c_ssrc, c_rtx_ssrc;
    subscribe(&b, 2, 3, &b_ssrc, &rtx_ssrc);
    subscribe(&c, 3, 3, &c_ssrc, &c_rtx_ssrc);
    assert_int_not_equal(b_ssrc, c_ssrc);
    assert_true(run_until(is_true, &a.connected));
    assert_true(run_until(is_true, &b.connected));
    assert_true(run_until(is_true, &c.connected));
    assert_int_equal(n_acks[2], 1);
    assert_int_equal(n_acks[3], 1);

    /* A delta frame before any keyframe is held back; the keyframe and what follows pass. */
    uint8_t pkt[128];
    size_t len = vp8_packet(pkt, 99, false);
    send_rtp(&a, pkt, len);
    g_usleep(20000);
    uint8_t sent[3][128];
    size_t sent_len[3];
    for (int i = 0; i < 3; i++) {
        sent_len[i] = vp8_packet(sent[i], (uint16_t)(100 + i), i == 0);
        if (i != 1) /* 101 is "lost" on the way in: it comes later as RTX */
            send_rtp(&a, sent[i], sent_len[i]);
    }
    uint8_t rtx[160];
    int rtx_len = okno_rtx_wrap(sent[1], sent_len[1], rtx, sizeof rtx, A_RTX_SSRC, 97, 7);
    assert_true(rtx_len > 0);
    send_rtp(&a, rtx, (size_t)rtx_len);
    bool three = false;
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!(three = b.n_rtp >= 3) && g_get_monotonic_time() < deadline)
        assert_true(run_until(got_rtp, &b));
    assert_true(three);
    /* B gets 100, 102, then 101 (A's RTX, unwrapped into its place): rewritten onto okno's SSRC
     * with sequence numbers and timestamps shifted by the same amount each, the payload as sent. */
    const int order[3] = {0, 2, 1};
    struct okno_rtp_pkt out[3], in[3];
    for (int i = 0; i < 3; i++) {
        int k = order[i];
        assert_int_equal(okno_rtp_parse(b.rtp[i], b.rtp_len[i], &out[i]), 0);
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
    send_rtcp(&b, fb, fb_len);
    int before = b.n_rtp;
    deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
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

    /* Sender reports of okno's stream reach B, counting what it was sent. */
    assert_true(run_until(got_sr, &b));
    assert_int_equal(b.sr.ssrc, b_ssrc);
    assert_true(b.sr.packet_count >= 3);

    /* B's and C's PLIs for okno's streams, 50 ms apart, reach A as one PLI for A's stream. The
     * requests at the start are answered by a keyframe first, and the throttle has run out. */
    size_t key_len = vp8_packet(pkt, 103, true);
    send_rtp(&a, pkt, key_len);
    run_for(600000);
    a.n_pli = 0;
    fb_len = okno_rtcp_pli_build(0x5555, b_ssrc, fb, sizeof fb);
    send_rtcp(&b, fb, fb_len);
    run_for(50000);
    fb_len = okno_rtcp_pli_build(0x5555, c_ssrc, fb, sizeof fb);
    send_rtcp(&c, fb, fb_len);
    assert_true(run_until(a_got_pli, &a));
    run_for(400000);
    assert_int_equal(a.n_pli, 1);

    leaving = true;
    okno_sfu_leave(sfu, 1, 0);
    okno_sfu_leave(sfu, 2, 0);
    okno_sfu_leave(sfu, 3, 0);
    okno_peer_close(a.peer, on_closed, NULL);
    okno_peer_close(b.peer, on_closed, NULL);
    okno_peer_close(c.peer, on_closed, NULL);
    assert_true(run_until(all_closed, NULL));
    okno_sfu_destroy(sfu);
    okno_workers_stop(workers);
    okno_config_free(cfg);
    okno_cert_free(cert);
    g_ptr_array_free(a.cands, TRUE);
    g_ptr_array_free(b.cands, TRUE);
    g_ptr_array_free(c.cands, TRUE);
    for (int i = 0; i < 4; i++) {
        g_free(last_sdp[i]);
        last_sdp[i] = NULL;
    }
    int64_t until = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (okno_ice_live_count() > 0 && g_get_monotonic_time() < until)
        g_usleep(1000);
    assert_int_equal(okno_ice_live_count(), 0);
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
    assert_int_equal(okno__config_load_data(okno__config_schema, okno__config_schema_len, "t.conf",
                                            conf, strlen(conf), &cfg, NULL),
                     0);
    assert_int_equal(okno_workers_start(1, &workers), 0);
    static const struct okno_sfu_listener sl = {.on_event = on_event};
    assert_int_equal(okno_sfu_create(workers, cfg, NULL, NULL, &sl, &sfu), 0);
    assert_int_equal(okno_cert_generate("client", &cert), 0);
    expect_drop = true;
    memset(left_seen, 0, sizeof left_seen);
    memset(dropped_at, 0, sizeof dropped_at);

    struct client a;
    open_client(&a, true);
    a.vanish = true;
    okno_sfu_join(sfu, 1, 1, "grace", "A", "kiosk");
    okno_sfu_join(sfu, 2, 1, "grace", "B", "kiosk");
    GString *offer = g_string_new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                  "a=group:BUNDLE 0\r\na=msid-semantic: WMS s\r\n"
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n");
    append_transport(offer, &a, "actpass");
    g_string_append(offer, "a=mid:0\r\na=sendonly\r\na=msid:s t\r\na=rtcp-mux\r\n"
                           "a=rtpmap:96 VP8/90000\r\na=ssrc:1111 cname:c\r\n");
    okno_sfu_publish(sfu, 1, 2, offer->str);
    g_string_free(offer, TRUE);
    assert_true(run_until(has_sdp, GINT_TO_POINTER(1)));
    take_remote(&a, last_sdp[1], OKNO_DTLS_CLIENT);
    assert_true(run_until(is_true, &a.connected));
    int64_t gone = g_get_monotonic_time();
    assert_null(a.peer);

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
    run_for(200000);
    assert_int_equal(left_seen[2], 1);

    leaving = true;
    okno_sfu_leave(sfu, 1, 0);
    okno_sfu_leave(sfu, 2, 0);
    okno_sfu_destroy(sfu);
    okno_workers_stop(workers);
    okno_config_free(cfg);
    okno_cert_free(cert);
    g_ptr_array_free(a.cands, TRUE);
    for (int i = 0; i < 4; i++) {
        g_free(last_sdp[i]);
        last_sdp[i] = NULL;
    }
    int64_t until = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
    while (okno_ice_live_count() > 0 && g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(1000);
    }
    assert_int_equal(okno_ice_live_count(), 0);
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
