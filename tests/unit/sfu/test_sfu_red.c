/* Audio RED (RFC 2198) through an in-process SFU (sfu_harness.h): A publishes Opus inside RED
 * (red/48000/2 listed first, as a client that sends it does), B subscribes keeping RED, C answers
 * without it. One of A's packets is lost on the way in. B gets A's RED packets as they were sent
 * (payload type 63, the gap left for its own client's RED to fill); C gets plain Opus with the
 * lost packet rebuilt from the next packet's redundant block, in its place in the numbering and
 * with its own timestamp. Every wait has a deadline. */
#include "sfu_harness.h"

#include "okno/err.h"
#include "sfu/sfu.h"
#include "wire/red.h"
#include "wire/rtp.h"

#define A_SSRC 1111u
#define OPUS   111
#define RED    63
#define FRAME  960
#define FIRST  10
#define COUNT  6
#define LOST   12

struct client {
    struct sfuh_client h; /* first: the harness's hooks cast back */
    uint8_t rtp[16][256];
    size_t rtp_len[16];
    int n_rtp;
};

static void on_rtp(struct sfuh_client *h, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct client *c = (struct client *)h;
    (void)now_us;
    if (c->n_rtp < 16 && len <= 256) {
        memcpy(c->rtp[c->n_rtp], pkt, len);
        c->rtp_len[c->n_rtp++] = len;
    }
}

static const struct sfuh_hooks hooks = {.on_rtp = on_rtp};

/* The Opus payload of packet seq: 20 bytes, a TOC byte then seq-dependent bytes. */
static void opus_of(uint16_t seq, uint8_t *out)
{
    out[0] = 0x78;
    for (int i = 1; i < 20; i++)
        out[i] = (uint8_t)(seq * 7 + i);
}

/* A's RED packet seq: the previous packet as a block, then its own. */
static size_t red_packet(uint8_t *buf, uint16_t seq)
{
    struct okno_rtp_pkt h = {.pt = RED, .seq = seq, .ts = 48000u + FRAME * seq, .ssrc = A_SSRC};
    int n = okno_rtp_write_header(buf, 64, &h);
    assert_int_equal(n, OKNO_RTP_HEADER_LEN);
    uint8_t prev[20], cur[20];
    opus_of((uint16_t)(seq - 1), prev);
    opus_of(seq, cur);
    const struct okno_red_block block = {.pt = OPUS, .ts_offset = FRAME, .data = prev, .len = 20};
    const struct okno_red_block primary = {.pt = OPUS, .data = cur, .len = 20};
    int len = okno_red_build(buf + n, 200, &block, 1, &primary);
    assert_true(len > 0);
    return (size_t)n + (size_t)len;
}

static struct client b_client, c_client;

static bool has(void *arg)
{
    const int *want = arg;
    return b_client.n_rtp >= want[0] && c_client.n_rtp >= want[1];
}

/* C's answer: RED's lines out, and 63 out of the m= line. */
static bool drop_red(const char *line)
{
    return strstr(line, "red/48000") != NULL || g_str_has_prefix(line, "a=fmtp:63 ");
}

static void test_sfu_red_forwarded_to_red_subscriber_stripped_and_recovered_for_other(void **state)
{
    (void)state;
    static const char conf[] = "[media]\naddresses = 127.0.0.1\nice_tcp = false\n";
    sfuh_start(conf, NULL);
    struct client a;
    memset(&a, 0, sizeof a);
    memset(&b_client, 0, sizeof b_client);
    memset(&c_client, 0, sizeof c_client);
    sfuh_open(&a.h, true, &hooks);
    sfuh_open(&b_client.h, false, &hooks);
    sfuh_open(&c_client.h, false, &hooks);
    okno_sfu_join(sfuh.sfu, 1, 1, "red", "A", "kiosk");
    okno_sfu_join(sfuh.sfu, 2, 1, "red", "B", "kiosk");
    okno_sfu_join(sfuh.sfu, 3, 1, "red", "C", "kiosk");

    GString *offer = g_string_new("v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                                  "a=group:BUNDLE 0\r\na=msid-semantic: WMS s\r\n"
                                  "m=audio 9 UDP/TLS/RTP/SAVPF 63 111\r\nc=IN IP4 0.0.0.0\r\n"
                                  "a=rtcp:9 IN IP4 0.0.0.0\r\n");
    sfuh_append_transport(offer, &a.h, "actpass");
    g_string_append(offer, "a=mid:0\r\na=sendonly\r\na=msid:s t\r\na=rtcp-mux\r\n"
                           "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"
                           "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
                           "a=ssrc:1111 cname:c\r\n");
    okno_sfu_publish(sfuh.sfu, 1, 2, offer->str);
    g_string_free(offer, TRUE);
    assert_true(sfuh_run_until(sfuh_has_answer, GINT_TO_POINTER(1)));
    /* okno keeps RED first: what A sends. */
    assert_non_null(strstr(sfuh.answer[1], "m=audio 9 UDP/TLS/RTP/SAVPF 63 111"));
    sfuh_take_remote(&a.h, sfuh.answer[1], OKNO_DTLS_CLIENT);

    /* Both subscriber offers carry RED around Opus. */
    uint32_t b_ssrc = 0, c_ssrc = 0;
    sfuh_subscribe(&b_client.h, 2, 3, NULL, &b_ssrc, NULL);
    assert_non_null(strstr(sfuh.offer[2], "a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\n"));
    assert_true(sfuh_run_until(sfuh_has_offer, GINT_TO_POINTER(3)));
    assert_non_null(strstr(sfuh.offer[3], "a=rtpmap:63 red/48000/2"));
    const char *l = strstr(sfuh.offer[3], "a=ssrc:");
    assert_non_null(l);
    assert_int_equal(sscanf(l, "a=ssrc:%u", &c_ssrc), 1);
    sfuh_take_remote(&c_client.h, sfuh.offer[3], OKNO_DTLS_CLIENT);
    char *answer = sfuh_answer_offer(&c_client.h, sfuh.offer[3], drop_red);
    char *m = strstr(answer, "SAVPF 111 63");
    assert_non_null(m);
    memmove(m + 9, m + 12, strlen(m + 12) + 1); /* "SAVPF 111" */
    okno_sfu_answer(sfuh.sfu, 3, 3, OKNO_SFU_PC_SUBSCRIBER, answer);
    g_free(answer);
    assert_true(sfuh_run_until(sfuh_is_true, &a.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &b_client.h.connected));
    assert_true(sfuh_run_until(sfuh_is_true, &c_client.h.connected));

    uint8_t sent[COUNT][256];
    size_t sent_len[COUNT];
    for (int i = 0; i < COUNT; i++) {
        uint16_t seq = (uint16_t)(FIRST + i);
        sent_len[i] = red_packet(sent[i], seq);
        if (seq == LOST)
            continue;
        _Alignas(8) uint8_t buf[512];
        memcpy(buf, sent[i], sent_len[i]);
        assert_int_equal(okno_peer_send_rtp(a.h.peer, buf, sent_len[i], sizeof buf), 0);
        g_usleep(5000);
    }
    int want[2] = {COUNT - 1, COUNT};
    assert_true(sfuh_run_until(has, want));

    /* B: the RED packets as sent, on okno's SSRC, with the gap of the lost one. */
    struct okno_rtp_pkt first, p;
    assert_int_equal(okno_rtp_parse(b_client.rtp[0], b_client.rtp_len[0], &first), 0);
    for (int i = 0, k = 0; i < COUNT; i++) {
        if (FIRST + i == LOST)
            continue;
        assert_int_equal(okno_rtp_parse(b_client.rtp[k], b_client.rtp_len[k], &p), 0);
        struct okno_rtp_pkt in;
        assert_int_equal(okno_rtp_parse(sent[i], sent_len[i], &in), 0);
        assert_int_equal(p.ssrc, b_ssrc);
        assert_int_equal(p.pt, RED);
        assert_int_equal((uint16_t)(p.seq - first.seq), i);
        assert_int_equal(p.ts - first.ts, (uint32_t)(FRAME * i));
        assert_int_equal(p.payload_len, in.payload_len);
        assert_memory_equal(p.payload, in.payload, in.payload_len);
        k++;
    }
    /* C: plain Opus for every packet, the lost one from the block of the next, in order. */
    assert_int_equal(okno_rtp_parse(c_client.rtp[0], c_client.rtp_len[0], &first), 0);
    for (int i = 0; i < COUNT; i++) {
        assert_int_equal(okno_rtp_parse(c_client.rtp[i], c_client.rtp_len[i], &p), 0);
        uint8_t want_payload[20];
        opus_of((uint16_t)(FIRST + i), want_payload);
        assert_int_equal(p.ssrc, c_ssrc);
        assert_int_equal(p.pt, OPUS);
        assert_int_equal((uint16_t)(p.seq - first.seq), i);
        assert_int_equal(p.ts - first.ts, (uint32_t)(FRAME * i));
        assert_int_equal(p.payload_len, 20);
        assert_memory_equal(p.payload, want_payload, 20);
    }
    struct sfuh_client *clients[3] = {&a.h, &b_client.h, &c_client.h};
    sfuh_stop(clients, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sfu_red_forwarded_to_red_subscriber_stripped_and_recovered_for_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
