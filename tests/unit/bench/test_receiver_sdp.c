/* What okno-bench's receiving side needs from the client SDP (bench/client/client_sdp.h): the
 * transport-wide-cc and abs-send-time extension ids and the rtcp-fb of okno's subscriber offers
 * are read, and the answer echoes them (okno stamps transport-wide numbers only for an answer that
 * takes both the extension and the feedback), unless the caller refuses transport-cc. */
#include "testutil.h"

#include <glib.h>
#include <string.h>

#include "client/client_sdp.h"
#include "okno/err.h"
#include "wire/sdp.h"

#define FP                                                                                         \
    "sha-256 65:46:B4:18:BA:88:F9:6F:75:08:F5:B8:85:CE:01:40:4B:3D:FF:32:8F:77:E6:79:0D:C4:AC:73:" \
    "71:5A:51:5C"
#define TWCC_URI "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
#define ABS_URI  "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

/* okno's subscriber offer with congestion control: audio with transport-cc only, video with
 * everything, in okno's order (goog-remb, transport-cc, ccm fir, nack, nack pli). */
static const char offer[] =
    "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "a=msid-semantic: WMS *\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:da4P\r\na=ice-pwd:sZSc0/p1YDzvhSPHZqqVPx\r\na=ice-options:trickle\r\n"
    "a=fingerprint:" FP "\r\na=setup:actpass\r\na=mid:0\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:2 " ABS_URI "\r\na=extmap:3 " TWCC_URI "\r\n"
    "a=sendonly\r\na=msid:p3 p3-a0\r\n"
    "a=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n"
    "a=fmtp:111 minptime=10;useinbandfec=1\r\na=ssrc:5001 cname:okno\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\nc=IN IP4 0.0.0.0\r\n"
    "a=fingerprint:" FP "\r\na=setup:actpass\r\na=mid:1\r\n"
    "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=extmap:2 " ABS_URI "\r\na=extmap:3 " TWCC_URI "\r\n"
    "a=sendonly\r\na=msid:p3 p3-v1\r\n"
    "a=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\na=rtcp-fb:96 goog-remb\r\n"
    "a=rtcp-fb:96 transport-cc\r\na=rtcp-fb:96 ccm fir\r\na=rtcp-fb:96 nack\r\n"
    "a=rtcp-fb:96 nack pli\r\na=rtpmap:97 rtx/90000\r\n"
    "a=fmtp:97 apt=96\r\na=ssrc-group:FID 6001 6002\r\na=ssrc:6001 cname:okno\r\n"
    "a=ssrc:6002 cname:okno\r\n";

static bool has_fb(const struct okno_sdp_media *m, const char *type, const char *sub)
{
    for (unsigned i = 0; i < m->n_rtcp_fbs; i++) {
        const struct okno_sdp_rtcp_fb *f = &m->rtcp_fbs[i];
        if (okno_sdp_str_eq(f->type, type) &&
            (sub ? okno_sdp_str_eq(f->subtype, sub) : (!f->subtype.p || !f->subtype.len)))
            return true;
    }
    return false;
}

static void test_receiver_sdp_reads_congestion_control_of_sub_offers(void **state)
{
    (void)state;
    struct okno_client_sub_offer *o = g_new(struct okno_client_sub_offer, 1);
    assert_int_equal(okno_client_sdp_parse_sub_offer(offer, strlen(offer), NULL, o), 0);
    assert_int_equal(o->n_tracks, 2);
    const struct okno_client_sub_track *a = &o->tracks[0], *v = &o->tracks[1];
    assert_int_equal(a->twcc_ext, 3);
    assert_int_equal(a->abs_send_time_ext, 2);
    assert_true(a->fb_transport_cc);
    assert_false(a->fb_remb);
    assert_false(a->fb_nack);
    assert_int_equal(v->twcc_ext, 3);
    assert_int_equal(v->abs_send_time_ext, 2);
    assert_true(v->fb_transport_cc && v->fb_remb && v->fb_nack && v->fb_pli);
    assert_int_equal(v->ssrc, 6001);
    assert_int_equal(v->rtx_ssrc, 6002);
    assert_int_equal(v->rtx_pt, 97);
    g_free(o);
}

/* Answers o and parses the answer into *sdp (text kept in *text, free both). */
static void answer(struct okno_client_sub_offer *o, GString **text, struct okno_sdp **sdp)
{
    *text = g_string_new(NULL);
    assert_int_equal(okno_client_sdp_sub_answer(o, "ufra", "0123456789abcdefghijkl", FP, *text), 0);
    *sdp = g_new0(struct okno_sdp, 1);
    assert_int_equal(okno_sdp_parse(*sdp, (*text)->str, (*text)->len, NULL), 0);
    assert_int_equal((*sdp)->n_media, 2);
}

static void test_receiver_sdp_answer_echoes_twcc_and_remb(void **state)
{
    (void)state;
    struct okno_client_sub_offer *o = g_new(struct okno_client_sub_offer, 1);
    assert_int_equal(okno_client_sdp_parse_sub_offer(offer, strlen(offer), NULL, o), 0);
    GString *text;
    struct okno_sdp *sdp;
    answer(o, &text, &sdp);
    for (unsigned i = 0; i < 2; i++) {
        const struct okno_sdp_media *m = &sdp->media[i];
        assert_int_equal(okno_sdp_extmap_find(sdp, m, TWCC_URI), 3);
        assert_int_equal(okno_sdp_extmap_find(sdp, m, ABS_URI), 2);
        assert_true(has_fb(m, "transport-cc", NULL));
    }
    assert_false(has_fb(&sdp->media[0], "goog-remb", NULL));
    assert_true(has_fb(&sdp->media[1], "goog-remb", NULL));
    assert_true(has_fb(&sdp->media[1], "nack", "pli"));
    assert_false(has_fb(&sdp->media[1], "ccm", "fir")); /* okno-bench never sends FIR */
    g_free(sdp);
    g_string_free(text, TRUE);

    /* a REMB-only receiver: refuse transport-cc, keep abs-send-time */
    for (unsigned i = 0; i < o->n_tracks; i++)
        o->tracks[i].fb_transport_cc = false;
    answer(o, &text, &sdp);
    for (unsigned i = 0; i < 2; i++) {
        assert_true(okno_sdp_extmap_find(sdp, &sdp->media[i], TWCC_URI) <= 0);
        assert_int_equal(okno_sdp_extmap_find(sdp, &sdp->media[i], ABS_URI), 2);
        assert_false(has_fb(&sdp->media[i], "transport-cc", NULL));
    }
    assert_true(has_fb(&sdp->media[1], "goog-remb", NULL));
    g_free(sdp);
    g_string_free(text, TRUE);
    g_free(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receiver_sdp_reads_congestion_control_of_sub_offers),
        cmocka_unit_test(test_receiver_sdp_answer_echoes_twcc_and_remb),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
