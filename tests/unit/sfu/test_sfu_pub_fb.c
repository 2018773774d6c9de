/* Feedback to publishers through an in-process SFU, with okno's own peers as clients on loopback
 * (sfu_harness.h): A publishes VP8 with the transport-wide-cc extension,
 * transport-cc and goog-remb; its numbered packets (media, RTX and one of an SSRC okno never
 * negotiated) come back in transport-cc feedback on its publisher connection with a lost one
 * reported as not received, and its REMB says 300 kbit/s while nobody receives it, then at once
 * [media] max_publisher_kbps when B subscribes. C publishes without transport-cc or goog-remb and
 * gets neither. Every wait has a deadline. */
#include "sfu_harness.h"

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
    struct sfuh_client h; /* first: the harness's hooks cast back */
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
    int64_t now_us; /* when the RTCP packet being read arrived */
};

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

static void on_feedback(void *ud, const struct okno_rtcp_pkt *rp, const struct okno_rtcp_fb *fb)
{
    struct client *c = ud;
    if (okno_rtcp_fb_kind(fb) == OKNO_RTCP_FB_TWCC) {
        take_twcc(c, rp);
    } else if (okno_rtcp_fb_kind(fb) == OKNO_RTCP_FB_REMB) {
        struct okno_rtcp_remb remb;
        assert_int_equal(okno_rtcp_remb_parse(fb, &remb), 0);
        c->n_remb++;
        c->remb_bps = remb.bitrate;
        c->remb_ssrc = remb.ssrc_count ? remb.ssrcs[0] : 0;
        c->prev_remb_at = c->remb_at;
        c->remb_at = c->now_us;
    }
}

static void on_rtcp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = (struct client *)h;
    c->now_us = now_us;
    sfuh_each_feedback(pkt, len, on_feedback, c);
}

static const struct sfuh_hooks hooks = {.on_rtcp = on_rtcp};

static void open_client(struct client *c, bool controlling)
{
    memset(c, 0, sizeof *c);
    sfuh_open(&c->h, controlling, &hooks);
}

/* A publisher offer of VP8 with RTX; with_cc adds transport-wide-cc, transport-cc and goog-remb. */
static void publish(struct client *c, int session, bool with_cc)
{
    sfuh_publish_vp8(&c->h, session, A_SSRC, A_RTX_SSRC,
                     with_cc ? "a=extmap:" G_STRINGIFY(TWCC_ID) " " TWCC_URI "\r\n" : NULL,
                     with_cc ? "a=rtcp-fb:96 transport-cc\r\na=rtcp-fb:96 goog-remb\r\n" : NULL);
    sfuh_take_remote(&c->h, sfuh.answer[session], OKNO_DTLS_CLIENT);
    g_free(sfuh.answer[session]);
    sfuh.answer[session] = NULL;
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
    assert_int_equal(okno_peer_send_rtp(c->h.peer, buf, (size_t)len, sizeof buf), 0);
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
    sfuh_start(conf, NULL);
}

static void stop(struct client **clients, int n)
{
    struct sfuh_client *h[2];
    assert_true(n <= 2);
    for (int i = 0; i < n; i++)
        h[i] = &clients[i]->h;
    sfuh_stop(h, n);
}

static void test_sfu_publisher_gets_transport_cc_feedback_and_a_remb_cap(void **state)
{
    (void)state;
    start();
    struct client *a = g_new0(struct client, 1), *b = g_new0(struct client, 1);
    open_client(a, true);
    okno_sfu_join(sfuh.sfu, 1, 1, "pubfb", "A", "kiosk");
    publish(a, 1, true);
    assert_true(sfuh_run_until(sfuh_is_true, &a->h.connected));

    /* Media numbered 100-119 (110 lost on the way), RTX of it, and a stream okno never took: the
     * transport's numbers are one sequence, and every arrival counts. */
    for (uint16_t i = 0; i < 20; i++) {
        if (i != 10)
            send_numbered(a, A_SSRC, (uint16_t)(500 + i), (uint16_t)(100 + i));
        sfuh_run_for(2000);
    }
    want_seq = 119;
    assert_true(sfuh_run_until(has_status, a));
    for (uint16_t i = 0; i < 20; i++)
        send_numbered(a, i % 2 ? A_RTX_SSRC : 0x7777u, (uint16_t)(900 + i), (uint16_t)(121 + i));
    want_seq = 140;
    assert_true(sfuh_run_until(has_status, a));
    assert_int_equal(a->bad_twcc, 0);
    for (int s = 100; s <= 140; s++) {
        if (s == 110 || s == 120)
            assert_int_equal(a->status[s], 1);
        else
            assert_int_equal(a->status[s], 2);
    }
    print_message("# %d transport-cc feedback packets for 41 numbers\n", a->n_twcc);

    /* Nobody receives A's video: REMB says 300 kbit/s for A's stream. */
    assert_true(sfuh_run_until(got_remb, a));
    assert_int_equal(a->remb_bps, OKNO_PUB_FB_UNWATCHED_BPS);
    assert_int_equal(a->remb_ssrc, A_SSRC);

    /* B joins and is given A's video: the cap becomes max_publisher_kbps at once, not at the next
     * second. */
    open_client(b, false);
    sfuh_run_for(300000); /* past the first REMB, so the next periodic one is > 0.7 s away */
    okno_sfu_join(sfuh.sfu, 2, 1, "pubfb", "B", "kiosk");
    sfuh_subscribe(&b->h, 2, 3, NULL, NULL, NULL);
    assert_true(sfuh_run_until(remb_is, a));
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
    okno_sfu_join(sfuh.sfu, 1, 1, "pubfb", "C", "kiosk");
    publish(c, 1, false);
    assert_true(sfuh_run_until(sfuh_is_true, &c->h.connected));
    for (uint16_t i = 0; i < 20; i++) {
        send_numbered(c, A_SSRC, (uint16_t)(500 + i), (uint16_t)(100 + i));
        sfuh_run_for(10000);
    }
    sfuh_run_for(1200000);
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
