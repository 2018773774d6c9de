/* Feedback to publishers through an in-process SFU, with okno's own peers as clients on loopback
 * (the harness of test_sfu_media.c): A publishes VP8 with the transport-wide-cc extension,
 * transport-cc and goog-remb; its numbered packets (media, RTX and one of an SSRC okno never
 * negotiated) come back in transport-cc feedback on its publisher connection with a lost one
 * reported as not received, and its REMB says 300 kbit/s while nobody receives it, then at once
 * [media] max_publisher_kbps when B subscribes. C publishes without transport-cc or goog-remb and
 * gets neither. Every wait has a deadline. */
#include "testutil.h"

#include <glib.h>

#include "core/config.h"
#include "core/worker.h"
#include "net/peer.h"
#include "okno/err.h"
#include "sfu/participant_pub_fb.h"
#include "sfu/sfu.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/rtx.h"
#include "wire/twcc.h"

#define A_SSRC     1111u
#define A_RTX_SSRC 2222u
#define TWCC_ID    5
#define TWCC_URI   "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define CAP_KBPS   700

struct client {
    struct okno_peer *peer;
    GPtrArray *cands;
    bool gathered, connected;
    /* transport-cc feedback received: statuses by sequence number (0: none, 1: not received,
     * 2: received) */
    uint8_t status[65536];
    int n_twcc;
    int bad_twcc;
    /* REMBs received */
    int n_remb;
    uint64_t remb_bps;
    uint32_t remb_ssrc;
    int64_t remb_at, prev_remb_at;
};

static struct okno_workers *workers;
static struct okno_config *cfg;
static struct okno_sfu *sfu;
static struct okno_cert *cert;
static char *last_sdp[4];
static bool leaving;

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    (void)ud;
    if (ev->session > 3)
        return;
    if (ev->type == OKNO_SFU_EV_ANSWER || ev->type == OKNO_SFU_EV_OFFER) {
        g_free(last_sdp[ev->session]);
        last_sdp[ev->session] = g_strdup(ev->sdp);
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
    ((struct client *)owner)->connected = true;
}

static void on_failed(void *owner, int err, const char *reason)
{
    (void)owner;
    fail_msg("client transport failed: %s (%d)", reason, err);
}

static void on_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    (void)owner;
    (void)pkt;
    (void)len;
    (void)now_us;
}

static void take_twcc(struct client *c, const struct okno_rtcp_pkt *rp)
{
    struct okno_twcc_fb fb;
    if (okno_twcc_parse(rp->raw, rp->raw_len, &fb) < 0) {
        c->bad_twcc++;
        return;
    }
    c->n_twcc++;
    struct okno_twcc_iter it;
    struct okno_twcc_entry e;
    okno_twcc_iter_init(&it, &fb);
    while (okno_twcc_iter_next(&it, &e) == 1) {
        uint8_t s = e.status == OKNO_TWCC_NOT_RECEIVED ? 1 : 2;
        if (s > c->status[e.seq]) /* a late arrival is reported again, received */
            c->status[e.seq] = s;
    }
}

static void on_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = owner;
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt rp;
    okno_rtcp_iter_init(&it, pkt, len);
    while (okno_rtcp_iter_next(&it, &rp) == 1) {
        struct okno_rtcp_fb fb;
        if ((rp.pt != OKNO_RTCP_RTPFB && rp.pt != OKNO_RTCP_PSFB) ||
            okno_rtcp_fb_parse(&rp, &fb) != 0)
            continue;
        if (okno_rtcp_fb_kind(&fb) == OKNO_RTCP_FB_TWCC) {
            take_twcc(c, &rp);
        } else if (okno_rtcp_fb_kind(&fb) == OKNO_RTCP_FB_REMB) {
            struct okno_rtcp_remb remb;
            assert_int_equal(okno_rtcp_remb_parse(&fb, &remb), 0);
            c->n_remb++;
            c->remb_bps = remb.bitrate;
            c->remb_ssrc = remb.ssrc_count ? remb.ssrcs[0] : 0;
            c->prev_remb_at = c->remb_at;
            c->remb_at = now_us;
        }
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

static void run_for(int64_t us)
{
    int64_t until = g_get_monotonic_time() + us;
    while (g_get_monotonic_time() < until) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
}

static bool is_true(void *arg)
{
    return *(bool *)arg;
}

static bool has_sdp(void *arg)
{
    return last_sdp[GPOINTER_TO_INT(arg)] != NULL;
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

/* A publisher offer of VP8 with RTX; with_cc adds transport-wide-cc, transport-cc and goog-remb. */
static void publish(struct client *c, int session, bool with_cc)
{
    GString *offer = g_string_new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                  "a=group:BUNDLE 0\r\na=msid-semantic: WMS s\r\n"
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
                                  "a=rtcp:9 IN IP4 0.0.0.0\r\n");
    append_transport(offer, c, "actpass");
    g_string_append(offer, "a=mid:0\r\na=sendonly\r\na=msid:s t\r\na=rtcp-mux\r\na=rtcp-rsize\r\n");
    if (with_cc)
        g_string_append_printf(offer, "a=extmap:%d %s\r\n", TWCC_ID, TWCC_URI);
    g_string_append(offer, "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\n"
                           "a=rtcp-fb:96 nack pli\r\n");
    if (with_cc)
        g_string_append(offer, "a=rtcp-fb:96 transport-cc\r\na=rtcp-fb:96 goog-remb\r\n");
    g_string_append(offer, "a=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
                           "a=ssrc-group:FID 1111 2222\r\na=ssrc:1111 cname:c\r\n"
                           "a=ssrc:2222 cname:c\r\n");
    okno_sfu_publish(sfu, (uint64_t)session, 2, offer->str);
    g_string_free(offer, TRUE);
    assert_true(run_until(has_sdp, GINT_TO_POINTER(session)));
    take_remote(c, last_sdp[session], OKNO_DTLS_CLIENT);
    g_free(last_sdp[session]);
    last_sdp[session] = NULL;
}

/* Sends a VP8 packet of ssrc with transport-wide number twcc (one-byte form, id TWCC_ID). */
static void send_numbered(struct client *c, uint32_t ssrc, uint16_t seq, uint16_t twcc)
{
    uint8_t plain[64];
    struct okno_rtp_pkt h = {.pt = 96, .seq = seq, .ts = 9000u * seq, .ssrc = ssrc};
    int n = okno_rtp_write_header(plain, sizeof plain, &h);
    assert_int_equal(n, OKNO_RTP_HEADER_LEN);
    const uint8_t payload[] = {0x10, 0x51, 0x02, 0x00, 0x11, 0x22, 0x33, 0x44};
    memcpy(plain + n, payload, sizeof payload);
    uint8_t value[2] = {(uint8_t)(twcc >> 8), (uint8_t)twcc};
    struct okno_rtp_ext e = {.id = TWCC_ID, .len = 2, .data = value};
    _Alignas(8) uint8_t buf[256];
    int len = okno_rtp_ext_put(plain, (size_t)n + sizeof payload, buf, 200, &e);
    assert_true(len > 0);
    assert_int_equal(okno_peer_send_rtp(c->peer, buf, (size_t)len, sizeof buf), 0);
}

static int n_closed;

static void on_closed(void *arg)
{
    (void)arg;
    n_closed++;
}

static bool all_closed(void *arg)
{
    return n_closed == GPOINTER_TO_INT(arg);
}

static int want_seq; /* what has_status waits for */

static bool has_status(void *arg)
{
    return ((struct client *)arg)->status[want_seq] != 0;
}

static bool remb_is(void *arg)
{
    struct client *c = arg;
    return c->n_remb > 0 && c->remb_bps == (uint64_t)CAP_KBPS * 1000u;
}

static bool got_remb(void *arg)
{
    return ((struct client *)arg)->n_remb > 0;
}

static void start(void)
{
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n"
                               "max_publisher_kbps = 700\n";
    assert_int_equal(okno__config_load_data(okno__config_schema, okno__config_schema_len, "t.conf",
                                            conf, strlen(conf), &cfg, NULL),
                     0);
    assert_int_equal(okno_workers_start(1, &workers), 0);
    static const struct okno_sfu_listener sl = {.on_event = on_event};
    assert_int_equal(okno_sfu_create(workers, cfg, NULL, NULL, &sl, &sfu), 0);
    assert_int_equal(okno_cert_generate("client", &cert), 0);
    leaving = false;
    n_closed = 0;
}

static void stop(struct client **clients, int n)
{
    leaving = true;
    for (int i = 0; i < n; i++)
        okno_sfu_leave(sfu, (uint64_t)(i + 1), 0);
    for (int i = 0; i < n; i++)
        okno_peer_close(clients[i]->peer, on_closed, NULL);
    assert_true(run_until(all_closed, GINT_TO_POINTER(n)));
    okno_sfu_destroy(sfu);
    okno_workers_stop(workers);
    okno_config_free(cfg);
    okno_cert_free(cert);
    for (int i = 0; i < n; i++)
        g_ptr_array_free(clients[i]->cands, TRUE);
    for (int i = 0; i < 4; i++) {
        g_free(last_sdp[i]);
        last_sdp[i] = NULL;
    }
}

static void test_sfu_publisher_gets_transport_cc_feedback_and_a_remb_cap(void **state)
{
    (void)state;
    start();
    struct client *a = g_new0(struct client, 1), *b = g_new0(struct client, 1);
    open_client(a, true);
    okno_sfu_join(sfu, 1, 1, "pubfb", "A", "kiosk");
    publish(a, 1, true);
    assert_true(run_until(is_true, &a->connected));

    /* Media numbered 100-119 (110 lost on the way), RTX of it, and a stream okno never took: the
     * transport's numbers are one sequence, and every arrival counts. */
    for (uint16_t i = 0; i < 20; i++) {
        if (i != 10)
            send_numbered(a, A_SSRC, (uint16_t)(500 + i), (uint16_t)(100 + i));
        run_for(2000);
    }
    want_seq = 119;
    assert_true(run_until(has_status, a));
    for (uint16_t i = 0; i < 20; i++)
        send_numbered(a, i % 2 ? A_RTX_SSRC : 0x7777u, (uint16_t)(900 + i), (uint16_t)(121 + i));
    want_seq = 140;
    assert_true(run_until(has_status, a));
    assert_int_equal(a->bad_twcc, 0);
    for (int s = 100; s <= 140; s++) {
        if (s == 110 || s == 120)
            assert_int_equal(a->status[s], 1);
        else
            assert_int_equal(a->status[s], 2);
    }
    print_message("# %d transport-cc feedback packets for 41 numbers\n", a->n_twcc);

    /* Nobody receives A's video: REMB says 300 kbit/s for A's stream. */
    assert_true(run_until(got_remb, a));
    assert_int_equal(a->remb_bps, OKNO_PUB_FB_UNWATCHED_BPS);
    assert_int_equal(a->remb_ssrc, A_SSRC);

    /* B joins and is given A's video: the cap becomes max_publisher_kbps at once, not at the next
     * second. */
    open_client(b, false);
    run_for(300000); /* past the first REMB, so the next periodic one is > 0.7 s away */
    okno_sfu_join(sfu, 2, 1, "pubfb", "B", "kiosk");
    assert_true(run_until(has_sdp, GINT_TO_POINTER(2)));
    char *answer = answer_offer(b, last_sdp[2]);
    take_remote(b, last_sdp[2], OKNO_DTLS_CLIENT);
    okno_sfu_answer(sfu, 2, 3, OKNO_SFU_PC_SUBSCRIBER, answer);
    g_free(answer);
    assert_true(run_until(remb_is, a));
    int64_t gap = a->remb_at - a->prev_remb_at;
    print_message("# REMB of %d kbit/s %lld ms after the one before\n", CAP_KBPS,
                  (long long)(gap / 1000));
    assert_true(gap < 900000);

    struct client *all[] = {a, b};
    stop(all, 2);
    g_free(a);
    g_free(b);
}

static void test_sfu_publisher_without_transport_cc_gets_no_feedback(void **state)
{
    (void)state;
    start();
    struct client *c = g_new0(struct client, 1);
    open_client(c, true);
    okno_sfu_join(sfu, 1, 1, "pubfb", "C", "kiosk");
    publish(c, 1, false);
    assert_true(run_until(is_true, &c->connected));
    for (uint16_t i = 0; i < 20; i++) {
        send_numbered(c, A_SSRC, (uint16_t)(500 + i), (uint16_t)(100 + i));
        run_for(10000);
    }
    run_for(1200000);
    assert_int_equal(c->n_twcc, 0);
    assert_int_equal(c->n_remb, 0);
    struct client *all[] = {c};
    stop(all, 1);
    g_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sfu_publisher_gets_transport_cc_feedback_and_a_remb_cap),
        cmocka_unit_test(test_sfu_publisher_without_transport_cc_gets_no_feedback),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
