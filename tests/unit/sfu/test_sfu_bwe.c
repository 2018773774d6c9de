/* Bandwidth estimation through an in-process SFU, with okno's own peers as clients on loopback
 * (sfu_harness.h): okno's subscriber offer announces transport-wide-cc and
 * abs-send-time and transport-cc/goog-remb feedback; B, which accepts them, gets every packet
 * (media and RTX) numbered from one counter; C, whose answer drops them, gets no number; B's
 * transport-cc feedback, REMB and receiver reports reach the bwe estimator given to the SFU, the
 * feedback matched with okno's send history. Every wait has a deadline. */
#include "sfu_harness.h"

#include "core/log.h"
#include "okno/bwe.h"
#include "okno/err.h"
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
#define TWCC_URI   "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define AST_URI    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

/* --- clients (as test_sfu_media.c) ------------------------------------------------------------ */

struct client {
    struct sfuh_client h; /* first: the harness's hooks cast back */
    uint8_t rtp[32][256];
    size_t rtp_len[32];
    int n_rtp;
};

static void on_rtp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = (struct client *)h;
    (void)now_us;
    if (c->n_rtp < 32 && len <= 256) {
        memcpy(c->rtp[c->n_rtp], pkt, len);
        c->rtp_len[c->n_rtp++] = len;
    }
}

static const struct sfuh_hooks hooks = {.on_rtp = on_rtp};

static void open_client(struct client *c, bool controlling)
{
    memset(c, 0, sizeof *c);
    sfuh_open(&c->h, controlling, &hooks);
}

static bool has_rtp(void *arg)
{
    struct client *c = arg;
    return c->n_rtp >= 3;
}

/* Drops the stamped extensions and the transport-cc feedback from an answer, as a client without
 * send-side estimation would. */
static bool without_cc(const char *line)
{
    return strstr(line, TWCC_URI) || strstr(line, AST_URI) ||
           g_str_has_suffix(line, " transport-cc");
}

/* Answers okno's subscriber offer for session; returns okno's SSRC for the client. */
static uint32_t subscribe(struct client *c, int session, bool drop_cc)
{
    assert_true(sfuh_run_until(sfuh_has_offer, GINT_TO_POINTER(session)));
    const char *offer = sfuh.offer[session];
    /* Every section offers both extensions and both kinds of feedback. */
    assert_non_null(strstr(offer, "a=extmap:3 " TWCC_URI "\r\n"));
    assert_non_null(strstr(offer, "a=extmap:2 " AST_URI "\r\n"));
    assert_non_null(strstr(offer, "a=rtcp-fb:96 transport-cc\r\n"));
    assert_non_null(strstr(offer, "a=rtcp-fb:96 goog-remb\r\n"));
    uint32_t ssrc;
    sfuh_subscribe(&c->h, session, 3, drop_cc ? without_cc : NULL, &ssrc, NULL);
    return ssrc;
}

static bool feedback_in(void *arg)
{
    size_t want = GPOINTER_TO_SIZE(arg);
    g_mutex_lock(&sfuh_est_lock);
    bool done = sfuh_est.n_entries >= want && sfuh_est.remb != 0 && sfuh_est.packets != 0;
    g_mutex_unlock(&sfuh_est_lock);
    return done;
}

/* The transport-wide number of a packet B received, or -1 without one. */
static int twcc_seq(const uint8_t *pkt, size_t len)
{
    struct okno_rtp_pkt rtp;
    assert_int_equal(okno_rtp_parse(pkt, len, &rtp), 0);
    uint16_t seq;
    return okno_rtp_ext_get_twcc(&rtp, 3, &seq) == 0 ? seq : -1;
}

static void test_subscriber_packets_are_numbered_and_feedback_reaches_the_estimator(void **state)
{
    (void)state;
    FILE *log = sfuh_log_capture();
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n";
    sfuh_start(conf, NULL);
    struct okno_bwe_ops lacking = sfuh_est_ops;
    lacking.estimate = NULL;
    assert_int_equal(okno_sfu_set_bwe(sfuh.sfu, &lacking, NULL), OKNO_E_INVAL);
    assert_int_equal(okno_sfu_set_bwe(sfuh.sfu, &sfuh_est_ops, NULL), 0);

    struct client a, b, c;
    open_client(&a, true);
    open_client(&b, false);
    open_client(&c, false);
    okno_sfu_join(sfuh.sfu, 1, 1, "bwe", "A", "kiosk");
    okno_sfu_join(sfuh.sfu, 2, 1, "bwe", "B", "kiosk");
    okno_sfu_join(sfuh.sfu, 3, 1, "bwe", "C", "kiosk");
    sfuh_publish_vp8(&a.h, 1, A_SSRC, A_RTX_SSRC, NULL, NULL);
    sfuh_take_remote(&a.h, sfuh.answer[1], OKNO_DTLS_CLIENT);
    uint32_t b_ssrc = subscribe(&b, 2, false);
    subscribe(&c, 3, true);
    assert_true(sfuh_run_until(sfuh_is_true, &a.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &b.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &c.h.connected));

    /* Three packets of A's: each subscriber gets them from its own transport. */
    uint8_t pkt[128];
    for (int i = 0; i < 3; i++) {
        size_t len = sfuh_vp8_packet(pkt, A_SSRC, (uint16_t)(100 + i), i == 0);
        sfuh_send_rtp(&a.h, pkt, len);
    }
    assert_true(sfuh_run_until(has_rtp, &b));
    assert_true(sfuh_run_until(has_rtp, &c));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(twcc_seq(b.rtp[i], b.rtp_len[i]), i);
        assert_int_equal(twcc_seq(c.rtp[i], c.rtp_len[i]), -1); /* C did not accept it */
    }
    /* B NACKs the second: the RTX takes the next number of the same counter. */
    struct okno_rtp_pkt second;
    assert_int_equal(okno_rtp_parse(b.rtp[1], b.rtp_len[1], &second), 0);
    uint8_t fb[512];
    int fb_len = okno_rtcp_nack_build(0x5555, b_ssrc, &second.seq, 1, fb, sizeof fb);
    sfuh_send_rtcp(&b.h, NULL, fb, fb_len);
    bool four = false;
    int64_t deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (!(four = b.n_rtp >= 4) && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        g_usleep(500);
    }
    assert_true(four);
    struct okno_rtp_pkt rtx;
    assert_int_equal(okno_rtp_parse(b.rtp[3], b.rtp_len[3], &rtx), 0);
    assert_int_not_equal(rtx.ssrc, b_ssrc);
    assert_int_equal(twcc_seq(b.rtp[3], b.rtp_len[3]), 3);

    /* B reports 0..4 (4 never sent), 2 lost, with a REMB; then two receiver reports 10 packets
     * apart, the second with 10 % lost. */
    struct okno_twcc_entry e[5];
    for (int i = 0; i < 5; i++)
        e[i] = (struct okno_twcc_entry){.seq = (uint16_t)i,
                                        .status =
                                            i == 2 ? OKNO_TWCC_NOT_RECEIVED : OKNO_TWCC_SMALL_DELTA,
                                        .arrival_us = 640000 + 10000 * i};
    const struct okno_twcc_build_opts o = {.sender_ssrc = 0x5555, .media_ssrc = b_ssrc};
    size_t used;
    fb_len = okno_twcc_build(&o, e, 5, fb, sizeof fb, &used);
    assert_true(fb_len > 0);
    struct okno_rtcp_remb remb = {.bitrate = 480000, .ssrc_count = 1, .ssrcs = {b_ssrc}};
    int remb_len = okno_rtcp_remb_build(0x5555, &remb, fb + fb_len, sizeof fb - (size_t)fb_len);
    assert_true(remb_len > 0);
    struct okno_rtcp_rr rr = {.ssrc = 0x5555, .report_count = 1};
    rr.blocks[0] =
        (struct okno_rtcp_report_block){.ssrc = b_ssrc, .ext_highest_seq = 65536u + second.seq + 1};
    sfuh_send_rtcp(&b.h, &rr, fb, fb_len + remb_len);
    rr.blocks[0].ext_highest_seq += 10;
    rr.blocks[0].fraction_lost = 26;
    sfuh_send_rtcp(&b.h, &rr, NULL, 0);
    assert_true(sfuh_run_until(feedback_in, GSIZE_TO_POINTER(5)));

    g_mutex_lock(&sfuh_est_lock);
    assert_int_equal(sfuh_est.created, 2);
    assert_true((strcmp(sfuh_est.participants[0], "p2") == 0 &&
                 strcmp(sfuh_est.participants[1], "p3") == 0) ||
                (strcmp(sfuh_est.participants[0], "p3") == 0 &&
                 strcmp(sfuh_est.participants[1], "p2") == 0));
    assert_int_equal(sfuh_est.sent, 4); /* B's four; C's packets carry no number */
    assert_int_equal(sfuh_est.feedbacks, 1);
    assert_int_equal(sfuh_est.n_entries, 5);
    for (int i = 0; i < 5; i++) {
        const struct okno_bwe_fb_entry *x = &sfuh_est.entries[i];
        assert_int_equal(x->seq, i);
        assert_int_equal(x->received, i != 2);
        if (i != 2)
            assert_int_equal(x->arrival_us, 640000 + 10000 * i);
        if (i < 4) {
            assert_true(x->send_us > 0);
            assert_int_equal(x->bytes, i < 3 ? b.rtp_len[i] : b.rtp_len[3]);
        } else {
            assert_int_equal(x->send_us, -1);
        }
    }
    assert_true(sfuh_est.entries[1].send_us >= sfuh_est.entries[0].send_us);
    assert_int_equal(sfuh_est.remb, 480000);
    assert_int_equal(sfuh_est.fraction, 26);
    assert_int_equal(sfuh_est.packets, 10);
    g_mutex_unlock(&sfuh_est_lock);

    struct sfuh_client *clients[] = {&a.h, &b.h, &c.h};
    sfuh_stop(clients, 3);
    g_mutex_lock(&sfuh_est_lock);
    assert_int_equal(sfuh_est.destroyed, 2);
    g_mutex_unlock(&sfuh_est_lock);
    /* The estimate (here the REMB) is logged when it first comes, and what each connection's
     * numbering and feedback came to when its participant goes. */
    char *text = sfuh_log_text(log);
    assert_non_null(strstr(text, "p2: subscriber estimate 480 kbit/s (was 0;"));
    assert_non_null(strstr(text, "p2 subscriber bwe: estimate 480 kbit/s; stamped 4 (unstamped 0), "
                                 "feedback 1 (5 statuses, 1 unknown, 0 malformed), REMB 1, "
                                 "loss reports 1;"));
    assert_non_null(strstr(text, "p3 subscriber bwe: estimate 0 kbit/s; stamped 0 (unstamped 0), "
                                 "feedback 0"));
    g_free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subscriber_packets_are_numbered_and_feedback_reaches_the_estimator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
