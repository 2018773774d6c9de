/* A publisher's uplink collapse through an in-process SFU (sfu_harness.h): A publishes VP8 with RTX
 * (one packet every 5 ms), B receives it. Then two of every three of A's packets are lost on the
 * way in, as when a capacity drop overflows the queue in front of okno: okno asks A for a keyframe,
 * and from that request until the keyframe's first packet it asks for no retransmission, neither
 * of what was lost before the request nor of what is lost after it. Those packets only feed frames
 * the keyframe replaces, and their retransmissions would cross the collapsed uplink ahead of it (on
 * okno-bench's drop from 2.5 to 0.6 Mbit/s the kiosk retransmitted at 250-1000 kbit/s while its
 * keyframe waited). Once the keyframe is in, a lost packet is NACKed again. Every wait has a
 * deadline. */
#include "sfu_harness.h"

#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"

#define A_SSRC     1111u
#define A_RTX_SSRC 1112u
#define MAX_NACKED 512

struct client {
    struct sfuh_client h; /* first: the harness's hooks cast back */
    int64_t pli_us;       /* when the first PLI came; 0 before */
    int n_nacked;         /* numbers NACKed, each repeat counted */
    uint16_t nacked[MAX_NACKED];
    int64_t nacked_us[MAX_NACKED];
};

/* A's stream: the next number, whether the link loses two of three, one number to lose alone,
 * whether A answers a PLI at its next packet, and when the last keyframe left. */
static struct {
    struct client *c;
    uint16_t seq;
    bool collapsed;
    bool key_next;
    bool answer_plis;
    int lose_seq;      /* -1: none */
    int64_t key_at_us; /* 0: not sent yet */
    uint16_t key_seq;
} a_stream;

static int collect_nacked(uint16_t seq, void *ud)
{
    struct client *c = ud;
    if (c->n_nacked < MAX_NACKED) {
        c->nacked[c->n_nacked] = seq;
        c->nacked_us[c->n_nacked++] = g_get_monotonic_time();
    }
    return 0;
}

static void on_feedback(void *ud, const struct okno_rtcp_pkt *rp, const struct okno_rtcp_fb *fb)
{
    struct client *c = ud;
    (void)rp;
    if (okno_rtcp_fb_kind(fb) == OKNO_RTCP_FB_PLI) {
        if (!c->pli_us)
            c->pli_us = g_get_monotonic_time();
        a_stream.key_next |= a_stream.answer_plis;
    } else if (okno_rtcp_fb_kind(fb) == OKNO_RTCP_FB_NACK) {
        assert_true(okno_rtcp_nack_foreach(fb, collect_nacked, c) > 0);
    }
}

static void on_rtcp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    (void)now_us;
    sfuh_each_feedback(pkt, len, on_feedback, h);
}

static const struct sfuh_hooks hooks = {.on_rtcp = on_rtcp};

static gboolean send_next(gpointer data)
{
    (void)data;
    uint16_t seq = a_stream.seq++;
    bool key = a_stream.key_next;
    a_stream.key_next = false;
    if (key) {
        a_stream.key_at_us = g_get_monotonic_time();
        a_stream.key_seq = seq;
    }
    bool lost = (a_stream.collapsed && seq % 3 != 0) || seq == a_stream.lose_seq;
    if (!lost) {
        uint8_t pkt[128];
        size_t len = sfuh_vp8_packet(pkt, A_SSRC, seq, key);
        sfuh_send_rtp(&a_stream.c->h, pkt, len);
    }
    return G_SOURCE_CONTINUE;
}

static bool got_pli(void *arg)
{
    return ((struct client *)arg)->pli_us != 0;
}

struct nack_wait {
    const struct client *c;
    uint16_t seq;
};

static bool nacked(void *arg)
{
    const struct nack_wait *w = arg;
    for (int i = 0; i < w->c->n_nacked; i++)
        if (w->c->nacked[i] == w->seq)
            return true;
    return false;
}

/* NACKs A received from from_us (inclusive) to to_us (exclusive). */
static int nacks_between(const struct client *c, int64_t from_us, int64_t to_us)
{
    int n = 0;
    for (int i = 0; i < c->n_nacked; i++)
        n += c->nacked_us[i] >= from_us && c->nacked_us[i] < to_us;
    return n;
}

static void
test_sfu_asks_no_retransmission_between_a_collapse_keyframe_request_and_the_keyframe(void **state)
{
    (void)state;
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n";
    sfuh_start(conf, NULL);
    static struct client a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    sfuh_open(&a.h, true, &hooks);
    sfuh_open(&b.h, false, &hooks);
    okno_sfu_join(sfuh.sfu, 1, 1, "collapse", "A", "kiosk");
    okno_sfu_join(sfuh.sfu, 2, 1, "collapse", "B", "specialist");
    sfuh_publish_vp8(&a.h, 1, A_SSRC, A_RTX_SSRC, NULL, NULL);
    sfuh_take_remote(&a.h, sfuh.answer[1], OKNO_DTLS_CLIENT);
    sfuh_subscribe(&b.h, 2, 3, NULL, NULL, NULL);
    assert_true(sfuh_run_until(sfuh_is_true, &a.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &b.h.connected));

    /* A second of clean stream, keyframe first, and one for B's subscription if it asks. */
    a_stream.c = &a;
    a_stream.seq = 100;
    a_stream.key_next = true;
    a_stream.answer_plis = true;
    a_stream.lose_seq = -1;
    GSource *timer = g_timeout_source_new(5);
    g_source_set_callback(timer, send_next, NULL, NULL);
    g_source_attach(timer, g_main_context_default());
    sfuh_run_for(1000000);
    a.pli_us = 0;
    int nacked_clean = a.n_nacked;

    /* The collapse: okno NACKs the first losses, then gives up on them for a keyframe, which
     * A's full queue holds back. */
    a_stream.answer_plis = false;
    a_stream.collapsed = true;
    int64_t collapsed_at = g_get_monotonic_time();
    assert_true(sfuh_run_until(got_pli, &a));
    int nacked_before_pli = nacks_between(&a, collapsed_at, a.pli_us);
    /* The queue stays full a while longer before A's keyframe gets through. */
    sfuh_run_for(300000);
    a_stream.collapsed = false;
    a_stream.key_next = true;
    struct nack_wait key_sent = {&a, 0};
    sfuh_run_for(100000);
    assert_true(a_stream.key_at_us > 0);
    key_sent.seq = a_stream.key_seq;
    int held = nacks_between(&a, a.pli_us, a_stream.key_at_us);
    print_message("# PLI %lld ms into the collapse; NACKed: %d numbers before it, %d between it "
                  "and the keyframe %lld ms later\n",
                  (long long)(a.pli_us - collapsed_at) / 1000, nacked_before_pli, held,
                  (long long)(a_stream.key_at_us - a.pli_us) / 1000);
    assert_int_equal(nacked_clean, 0);
    assert_true(nacked_before_pli > 0);
    assert_int_equal(held, 0);
    assert_false(nacked(&key_sent));

    /* After the keyframe a loss is asked for again, at once. */
    a_stream.lose_seq = a_stream.seq + 5;
    struct nack_wait lone = {&a, (uint16_t)a_stream.lose_seq};
    int64_t lose_from = g_get_monotonic_time();
    assert_true(sfuh_run_until(nacked, &lone));
    print_message("# a lone loss after the keyframe NACKed %lld ms later\n",
                  (long long)(g_get_monotonic_time() - lose_from) / 1000);

    g_source_destroy(timer);
    g_source_unref(timer);
    struct sfuh_client *clients[] = {&a.h, &b.h};
    sfuh_stop(clients, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(
            test_sfu_asks_no_retransmission_between_a_collapse_keyframe_request_and_the_keyframe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
