/* Subscriber renegotiation around a track whose SSRC okno learns late, through an in-process SFU
 * (sfu_harness.h): A publishes VP8 simulcast as Chromium does, rids and no SSRC in its offer, so
 * okno knows the track's SSRC only from A's first packet. B's subscriber offer made before that
 * has the section inactive; B's answer to it must not bring another offer (okno used to offer the
 * still-unknown track again at every answer: an offer/answer ping-pong as fast as both sides could
 * go, seconds long when A's uplink is slow, which starved the media). A's first packet, with its
 * rid, brings exactly one offer naming the stream, and once B answers it the video flows. Every
 * wait has a deadline. */
#include "sfu_harness.h"

#include "okno/err.h"
#include "sfu/sfu.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"

#define MID_EXT 4
#define RID_EXT 10
#define Q_SSRC  4242u

struct client {
    struct sfuh_client h; /* first: the harness's hooks cast back */
    int n_rtp;
    uint32_t last_ssrc;
};

static int n_offers[SFUH_SESSIONS], n_published[SFUH_SESSIONS], n_unpublished[SFUH_SESSIONS];

static void on_event(void *ud, const struct okno_sfu_event *ev)
{
    if (ev->session < SFUH_SESSIONS) {
        n_offers[ev->session] += ev->type == OKNO_SFU_EV_OFFER;
        n_published[ev->session] += ev->type == OKNO_SFU_EV_TRACK_PUBLISHED;
        n_unpublished[ev->session] += ev->type == OKNO_SFU_EV_TRACK_UNPUBLISHED;
    }
    sfuh_on_event(ud, ev);
}

static void on_rtp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = (struct client *)h;
    (void)now_us;
    struct okno_rtp_pkt rtp;
    if (okno_rtp_parse(pkt, len, &rtp) == 0) {
        c->n_rtp++;
        c->last_ssrc = rtp.ssrc;
    }
}

static const struct sfuh_hooks hooks = {.on_rtp = on_rtp};

/* An SFU with publisher A (session 1) and subscriber B (session 2) in room, the counts zeroed. */
static void start_room(struct client *a, struct client *b, const char *room)
{
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n";
    memset(n_offers, 0, sizeof n_offers);
    memset(n_published, 0, sizeof n_published);
    memset(n_unpublished, 0, sizeof n_unpublished);
    sfuh_start(conf, on_event);
    sfuh_open(&a->h, true, &hooks);
    sfuh_open(&b->h, false, &hooks);
    okno_sfu_join(sfuh.sfu, 1, 1, room, "A", "kiosk");
    okno_sfu_join(sfuh.sfu, 2, 1, room, "B", "specialist");
}

/* c publishes a VP8 section with rids q and h (simulcast), the mid and rid extensions, no SSRC. */
static void publish_simulcast(struct client *c, int session)
{
    GString *offer = sfuh_video_offer_start(&c->h, "96");
    g_string_append_printf(offer,
                           "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
                           "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"
                           "a=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\n"
                           "a=rid:q send\r\na=rid:h send\r\na=simulcast:send q;h\r\n",
                           MID_EXT, RID_EXT);
    okno_sfu_publish(sfuh.sfu, (uint64_t)session, 2, offer->str);
    g_string_free(offer, TRUE);
    assert_true(sfuh_run_until(sfuh_has_answer, GINT_TO_POINTER(session)));
    assert_null(strstr(sfuh.answer[session], "a=ssrc"));
}

/* A VP8 keyframe packet of encoding q, with the mid and rid extensions as Chromium's first packets
 * of a stream carry them. */
static size_t q_keyframe(uint8_t *buf, size_t cap, uint16_t seq)
{
    const struct okno_rtp_ext elems[] = {
        {.id = MID_EXT, .len = 1, .data = (const uint8_t *)"0"},
        {.id = RID_EXT, .len = 1, .data = (const uint8_t *)"q"},
    };
    uint8_t ext[32];
    uint16_t profile = 0;
    int ext_len = okno_rtp_ext_build(ext, sizeof ext, elems, 2, &profile);
    assert_true(ext_len > 0);
    struct okno_rtp_pkt h = {.marker = true,
                             .pt = 96,
                             .seq = seq,
                             .ts = 3000u * seq,
                             .ssrc = Q_SSRC,
                             .extension = true,
                             .ext_profile = profile,
                             .ext = ext,
                             .ext_len = (size_t)ext_len};
    int n = okno_rtp_write_header(buf, cap, &h);
    assert_true(n > 0);
    /* VP8 payload descriptor (start of partition 0) and a keyframe header of 320x240. */
    const uint8_t key[] = {0x10, 0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0xaa};
    assert_true((size_t)n + sizeof key <= cap);
    memcpy(buf + n, key, sizeof key);
    return (size_t)n + sizeof key;
}

static bool b_got_rtp(void *arg)
{
    return ((struct client *)arg)->n_rtp > 0;
}

static bool second_offer(void *arg)
{
    (void)arg;
    return n_offers[2] >= 2;
}

static void test_sfu_offers_a_track_of_unknown_ssrc_once_then_again_when_it_is_learned(void **state)
{
    (void)state;
    struct client a = {0}, b = {0};
    start_room(&a, &b, "sim");
    publish_simulcast(&a, 1);
    sfuh_take_remote(&a.h, sfuh.answer[1], OKNO_DTLS_CLIENT);

    /* B's first offer: A's section is there, inactive, as nothing of it is known to forward. */
    assert_true(sfuh_run_until(sfuh_has_offer, GINT_TO_POINTER(2)));
    assert_non_null(strstr(sfuh.offer[2], "a=inactive"));
    assert_null(strstr(sfuh.offer[2], "a=ssrc:"));
    sfuh_subscribe(&b.h, 2, 3, NULL, NULL, NULL);
    assert_true(sfuh_run_until(sfuh_is_true, &a.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &b.h.connected));

    /* Nothing new to offer until A's first packet: no second offer, however long. */
    sfuh_run_for(500000);
    assert_int_equal(n_offers[2], 1);

    /* A's first packet names encoding q: one offer follows, with the stream's SSRC (okno's own). */
    uint8_t pkt[128];
    size_t len = q_keyframe(pkt, sizeof pkt, 1);
    sfuh_send_rtp(&a.h, pkt, len);
    assert_true(sfuh_run_until(second_offer, NULL));
    assert_non_null(strstr(sfuh.offer[2], "a=ssrc:"));
    assert_null(strstr(sfuh.offer[2], "a=ssrc:4242 "));
    unsigned b_ssrc = 0;
    const char *line = strstr(sfuh.offer[2], "a=ssrc:");
    assert_int_equal(sscanf(line, "a=ssrc:%u", &b_ssrc), 1);
    /* The same transport: only the sections change. */
    char *answer = sfuh_answer_offer(&b.h, sfuh.offer[2], NULL);
    okno_sfu_answer(sfuh.sfu, 2, 4, OKNO_SFU_PC_SUBSCRIBER, answer);
    g_free(answer);
    sfuh_run_for(300000);
    assert_int_equal(n_offers[2], 2);

    /* The video flows to B on okno's SSRC from A's next keyframe. */
    for (uint16_t seq = 2; seq < 10 && b.n_rtp == 0; seq++) {
        len = q_keyframe(pkt, sizeof pkt, seq);
        sfuh_send_rtp(&a.h, pkt, len);
        sfuh_run_until(b_got_rtp, &b);
    }
    assert_true(b.n_rtp > 0);
    assert_int_equal(b.last_ssrc, b_ssrc);

    struct sfuh_client *clients[] = {&a.h, &b.h};
    sfuh_stop(clients, 2);
}

/* A mid may be up to 64 characters (negotiate.h): a track keeps it whole, so a renegotiation that
 * keeps the section keeps the track (cut to a track's old 31 characters it no longer matched the
 * publication, and every renegotiation ended the track and published it anew). */
static void test_sfu_long_mid_keeps_its_track_across_renegotiation(void **state)
{
    (void)state;
    static const char mid[] = "a-mid-of-forty-characters-0123456789abcd";
    struct client a = {0}, b = {0};
    start_room(&a, &b, "long");
    for (uint64_t req = 2; req <= 3; req++) {
        GString *offer = g_string_new(NULL);
        g_string_printf(offer,
                        "v=0\r\no=- 1 %u IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                        "a=group:BUNDLE %s\r\na=msid-semantic: WMS s\r\n"
                        "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n",
                        (unsigned)req, mid);
        sfuh_append_transport(offer, &a.h, "actpass");
        g_string_append_printf(offer,
                               "a=mid:%s\r\na=sendonly\r\na=msid:s t\r\na=rtcp-mux\r\n"
                               "a=rtpmap:96 VP8/90000\r\na=ssrc:5150 cname:c\r\n",
                               mid);
        g_free(sfuh.answer[1]);
        sfuh.answer[1] = NULL;
        okno_sfu_publish(sfuh.sfu, 1, req, offer->str);
        g_string_free(offer, TRUE);
        assert_true(sfuh_run_until(sfuh_has_answer, GINT_TO_POINTER(1)));
        assert_non_null(strstr(sfuh.answer[1], mid));
    }
    sfuh_run_for(100000);
    assert_int_equal(n_published[2], 1);
    assert_int_equal(n_unpublished[2], 0);
    struct sfuh_client *clients[] = {&a.h, &b.h};
    sfuh_stop(clients, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_sfu_offers_a_track_of_unknown_ssrc_once_then_again_when_it_is_learned),
        cmocka_unit_test(test_sfu_long_mid_keeps_its_track_across_renegotiation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
