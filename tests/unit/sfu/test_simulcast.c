/* Simulcast reception: a publisher's packets reach the right encoding of its track, by the SSRCs of
 * its SIM group, or learned from the rid and repaired-rid extensions of the first packets (as
 * Chromium sends them) and by SSRC after; RTX is unwrapped into its encoding's cache; keyframe
 * requests are per encoding and coalesce until that encoding's keyframe; a subscriber's downtrack
 * switched to another encoding keeps forwarding the old one until the new one's keyframe. Runs in
 * simulated time on a publisher with no connection (nothing is sent: what the track decides is read
 * from its state). */
#include "downtrack_fixtures.h"

#include <glib.h>

#include "sfu/participant.h"
#include "sfu/participant_alloc.h"
#include "sfu/participant_media.h"
#include "sfu/participant_pub_fb.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/sub_bwe.h"
#include "sfu/subscription.h"
#include "sfu/track.h"
#include "wire/rtx.h"

#define MID_EXT  4
#define RID_EXT  10
#define RRID_EXT 11
#define PT       96
#define RTX_PT   97

static struct okno_participant *publisher(void)
{
    struct okno_participant *p = g_new0(struct okno_participant, 1);
    g_strlcpy(p->id, "p1", sizeof p->id);
    p->tracks = g_ptr_array_new();
    p->subs = g_ptr_array_new();
    p->pub_mid_ext = MID_EXT;
    return p;
}

static void publisher_free(struct okno_participant *p)
{
    for (guint i = 0; i < p->tracks->len; i++)
        okno_track_free(p->tracks->pdata[i]);
    g_ptr_array_free(p->tracks, TRUE);
    g_ptr_array_free(p->subs, TRUE);
    g_free(p);
}

/* A VP8 section with rids q, h, f (and more when n_rids says so), RTX, the mid and rid extensions;
 * with the SIM group 111/222/333 and FID pairs to 1111/2222/3333 when sim. */
static struct okno_track *video_track(struct okno_participant *p, bool sim, unsigned n_rids)
{
    struct okno_pub_track neg = {.kind = OKNO_MEDIA_VIDEO, .rtx_pt = RTX_PT, .red_pt = -1};
    g_strlcpy(neg.mid, "1", sizeof neg.mid);
    neg.codec = (struct okno_neg_codec){.pt = PT, .clock = 90000};
    g_strlcpy(neg.codec.name, "VP8", sizeof neg.codec.name);
    neg.ext_ids[OKNO_EXT_MID] = MID_EXT;
    neg.ext_ids[OKNO_EXT_RID] = RID_EXT;
    neg.ext_ids[OKNO_EXT_RRID] = RRID_EXT;
    static const char *const rids[] = {"q", "h", "f", "x"};
    for (unsigned i = 0; i < n_rids && i < 4; i++)
        g_strlcpy(neg.rids[neg.n_rids++].id, rids[i], sizeof neg.rids[0].id);
    if (sim) {
        for (unsigned i = 0; i < 3; i++) {
            neg.sim[neg.n_sim++] = 111 * (i + 1);
            neg.fids[neg.n_fids++] = (struct okno_pub_fid){111 * (i + 1), 1111 * (i + 1)};
        }
    }
    struct okno_track *t;
    assert_int_equal(okno_track_new(p, "p1-v1", &neg, &t), 0);
    g_ptr_array_add(p->tracks, t);
    return t;
}

/* A VP8 packet of one frame (key or delta, temporal layer 0) with, when given, the mid "1" and
 * the rid (or, rtx, the repaired rid) extension. As RTX (rtx_ssrc not 0) it is wrapped with OSN
 * seq on rtx_ssrc. */
struct pkt_spec {
    uint32_t ssrc;
    uint16_t seq;
    bool key;
    bool mid;
    const char *rid;
    uint32_t rtx_ssrc;
    uint16_t rtx_seq;
};

static size_t build(const struct pkt_spec *s, uint8_t *buf, size_t cap)
{
    struct okno_rtp_ext elems[2];
    size_t n = 0;
    if (s->mid)
        elems[n++] = (struct okno_rtp_ext){.id = MID_EXT, .len = 1, .data = (const uint8_t *)"1"};
    if (s->rid)
        elems[n++] = (struct okno_rtp_ext){.id = s->rtx_ssrc ? RRID_EXT : RID_EXT,
                                           .len = (uint8_t)strlen(s->rid),
                                           .data = (const uint8_t *)s->rid};
    uint8_t ext[32];
    uint16_t profile = 0;
    int ext_len = n ? okno_rtp_ext_build(ext, sizeof ext, elems, n, &profile) : 0;
    assert_true(ext_len >= 0);
    struct okno_rtp_pkt h = {.marker = true,
                             .pt = PT,
                             .seq = s->seq,
                             .ts = 3000u * s->seq,
                             .ssrc = s->ssrc,
                             .extension = n > 0,
                             .ext_profile = profile,
                             .ext = ext,
                             .ext_len = (size_t)ext_len};
    uint8_t pkt[1600];
    int hl = okno_rtp_write_header(pkt, sizeof pkt, &h);
    assert_true(hl > 0);
    struct okno_vp8_desc d = {.s = true,
                              .has_picture_id = true,
                              .picture_id_bits = 15,
                              .picture_id = s->seq,
                              .has_tl0picidx = true,
                              .tl0picidx = (uint8_t)s->seq,
                              .has_tid = true};
    int dl = okno_vp8_write_descriptor(pkt + hl, sizeof pkt - (size_t)hl, &d);
    assert_true(dl > 0);
    const struct okno_vp8_packet *src = s->key ? &fx_key_vp8 : &fx_delta_vp8;
    memcpy(pkt + hl + dl, src->payload, src->payload_len);
    size_t len = (size_t)hl + (size_t)dl + src->payload_len;
    if (!s->rtx_ssrc) {
        assert_true(len <= cap);
        memcpy(buf, pkt, len);
        return len;
    }
    int n_rtx = okno_rtx_wrap(pkt, len, buf, cap, s->rtx_ssrc, RTX_PT, s->rtx_seq);
    assert_true(n_rtx > 0);
    return (size_t)n_rtx;
}

static void receive(struct okno_participant *p, const struct pkt_spec *s, int64_t now_us)
{
    uint8_t buf[1600];
    size_t len = build(s, buf, sizeof buf);
    okno__participant_on_pub_rtp(p, buf, len, now_us);
}

static int setup(void **state)
{
    (void)state;
    fx_load_frames();
    return 0;
}

/* Chromium without a SIM group: each encoding's SSRC from the rid extension of its first packet,
 * then by SSRC alone; a packet without rid from an unknown SSRC, or naming no rid of the track, is
 * not taken; RTX learned from the repaired rid and unwrapped into its encoding. */
static void test_simulcast_learns_encodings_from_rid_then_demuxes_by_ssrc(void **state)
{
    (void)state;
    struct okno_participant *p = publisher();
    struct okno_track *t = video_track(p, false, 3);
    assert_int_equal(t->n_enc, 3);
    assert_true(okno_track_simulcast(t));
    assert_int_equal(t->ssrc, 0);
    int64_t now = 1000000;

    receive(p, &(struct pkt_spec){.ssrc = 0xA1, .seq = 100, .key = true, .mid = true, .rid = "h"},
            now);
    assert_int_equal(t->enc[1].ssrc, 0xA1);
    assert_int_equal(t->enc[1].packets, 1);
    assert_int_equal(t->ssrc, 0xA1); /* the first known: where a subscriber starts */
    receive(p, &(struct pkt_spec){.ssrc = 0xA1, .seq = 101}, now + 1000);
    assert_int_equal(t->enc[1].packets, 2);

    /* Unknown SSRC, mid but no rid: not guessed. An unknown rid: not taken. */
    receive(p, &(struct pkt_spec){.ssrc = 0xB2, .seq = 7, .mid = true}, now + 2000);
    receive(p, &(struct pkt_spec){.ssrc = 0xC3, .seq = 9, .mid = true, .rid = "z"}, now + 2000);
    assert_int_equal(t->enc[0].ssrc, 0);
    assert_int_equal(t->enc[0].packets + t->enc[2].packets, 0);
    receive(p, &(struct pkt_spec){.ssrc = 0xB2, .seq = 8, .key = true, .mid = true, .rid = "q"},
            now + 3000);
    assert_int_equal(t->enc[0].ssrc, 0xB2);
    assert_int_equal(t->enc[0].packets, 1);
    assert_int_equal(t->ssrc, 0xA1);
    /* Without the mid extension a rid still names the simulcast track's encoding. */
    receive(p, &(struct pkt_spec){.ssrc = 0xD4, .seq = 1, .key = true, .rid = "f"}, now + 4000);
    assert_int_equal(t->enc[2].ssrc, 0xD4);

    /* h's RTX: learned from the repaired rid, unwrapped into h's cache, not counted as new. */
    receive(p,
            &(struct pkt_spec){
                .ssrc = 0xA1, .seq = 103, .mid = true, .rid = "h", .rtx_ssrc = 0xA2, .rtx_seq = 5},
            now + 5000);
    assert_int_equal(t->enc[1].rtx_ssrc, 0xA2);
    receive(p, &(struct pkt_spec){.ssrc = 0xA1, .seq = 102, .rtx_ssrc = 0xA2, .rtx_seq = 6},
            now + 6000);
    struct okno_cached_packet c;
    assert_int_equal(okno_track_cache_get(t, 0xA1, 102, &c), 0);
    assert_int_equal(okno_track_cache_get(t, 0xA1, 103, &c), 0);
    assert_int_equal(t->enc[1].packets, 2);
    assert_int_equal(t->enc[1].rs.received, 4);
    /* Each encoding has its own cache and numbering. */
    assert_int_equal(okno_track_cache_get(t, 0xB2, 102, &c), OKNO_E_NOTFOUND);
    assert_int_equal(okno_track_cache_get(t, 0xB2, 8, &c), 0);
    assert_int_equal(okno_track_cache_get(t, 0, 8, &c), OKNO_E_NOTFOUND);
    publisher_free(p);
}

/* A SIM group announces the encodings and their RTX: demuxed by SSRC from the first packet, rid
 * extension or not. A fourth rid is more than okno takes. */
static void test_simulcast_takes_the_sim_group(void **state)
{
    (void)state;
    struct okno_participant *p = publisher();
    struct okno_track *t = video_track(p, true, 4);
    assert_int_equal(t->n_enc, OKNO_TRACK_MAX_ENC);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(t->enc[i].ssrc, 111 * (i + 1));
        assert_int_equal(t->enc[i].rtx_ssrc, 1111 * (i + 1));
    }
    assert_string_equal(t->enc[2].rid, "f");
    assert_int_equal(t->ssrc, 111);
    receive(p, &(struct pkt_spec){.ssrc = 333, .seq = 1, .key = true}, 1000);
    receive(p, &(struct pkt_spec){.ssrc = 222, .seq = 1, .key = true}, 1000);
    receive(p, &(struct pkt_spec){.ssrc = 222, .seq = 2}, 2000);
    assert_int_equal(t->enc[0].packets, 0);
    assert_int_equal(t->enc[1].packets, 2);
    assert_int_equal(t->enc[2].packets, 1);
    receive(p, &(struct pkt_spec){.ssrc = 222, .seq = 3, .rtx_ssrc = 2222, .rtx_seq = 1}, 3000);
    struct okno_cached_packet c;
    assert_int_equal(okno_track_cache_get(t, 222, 3, &c), 0);
    assert_int_equal(t->enc[1].packets, 2);
    publisher_free(p);
}

/* Keyframe requests name an encoding: requests for h coalesce in h's requester until h's
 * keyframe, q's keyframe answers only q's; an SSRC of no encoding asks nothing. */
static void test_simulcast_keyframe_requests_are_per_encoding(void **state)
{
    (void)state;
    struct okno_participant *p = publisher();
    struct okno_track *t = video_track(p, true, 3);
    int64_t now = 1000000;
    for (int i = 0; i < 5; i++)
        okno_track_request_keyframe(t, 222, now + i * 1000);
    okno_track_request_keyframe(t, 999, now);
    okno_track_request_keyframe(t, 0, now);
    assert_int_equal(t->enc[1].kr.requests_in, 5);
    assert_true(t->enc[1].kr.wanted);
    assert_int_equal(t->enc[0].kr.requests_in + t->enc[2].kr.requests_in, 0);
    /* With no publisher connection nothing is let out: the requests wait, coalesced. */
    assert_int_equal(t->enc[1].kr.requests_out, 0);
    okno_track_request_keyframe(t, 111, now);
    receive(p, &(struct pkt_spec){.ssrc = 111, .seq = 1, .key = true}, now + 10000);
    assert_false(t->enc[0].kr.wanted);
    assert_true(t->enc[1].kr.wanted);
    receive(p, &(struct pkt_spec){.ssrc = 222, .seq = 1, .key = false}, now + 20000);
    assert_true(t->enc[1].kr.wanted);
    receive(p, &(struct pkt_spec){.ssrc = 222, .seq = 2, .key = true}, now + 30000);
    assert_false(t->enc[1].kr.wanted);
    assert_int_equal(t->enc[1].kr.keyframes, 1);
    publisher_free(p);
}

/* A subscriber's downtrack moved from q to h asks for h's keyframe (the on_keyframe_needed the
 * subscription turns into okno_track_request_keyframe of h) and keeps forwarding q until h's
 * keyframe arrives; then q is no longer forwarded and the output numbering runs on. */
static void test_simulcast_switch_waits_for_the_target_keyframe(void **state)
{
    (void)state;
    struct okno_downtrack_params params = fx_params(false);
    struct okno_downtrack *dt;
    assert_int_equal(okno_downtrack_create(&params, &fx_listener, &dt), 0);
    fx_keyframe_calls = 0;
    uint8_t buf[1600];
    struct fx_packet out;
    struct okno_rtp_pkt in;
    int64_t now = 1000000;
    uint16_t q = 10, h = 500;
#define FORWARD(ssrc_, seq_, key_)                                                                 \
    (okno_rtp_parse(buf,                                                                           \
                    build(&(struct pkt_spec){.ssrc = (ssrc_), .seq = (seq_), .key = (key_)}, buf,  \
                          sizeof buf),                                                             \
                    &in),                                                                          \
     okno_downtrack_forward(dt, &in, buf, in.raw_len, now += 33000, out.buf, sizeof out.buf))
    okno_downtrack_set_target(dt, 111, 3, now);
    assert_true(FORWARD(111, q++, true) > 0);
    assert_true(FORWARD(111, q++, false) > 0);
    /* To h: a keyframe of h is asked for; q goes on meanwhile, h's delta frames do not. */
    unsigned calls = fx_keyframe_calls;
    assert_int_equal(okno_downtrack_set_target(dt, 222, 3, now), 1);
    assert_int_equal(fx_keyframe_calls, calls + 1);
    assert_int_equal(fx_keyframe_ssrc, 222);
    assert_int_equal(okno_downtrack_awaited_keyframe(dt), 222);
    assert_int_equal(FORWARD(222, h++, false), 0);
    assert_true(FORWARD(111, q++, false) > 0);
    assert_int_equal(FORWARD(222, h++, false), 0);
    int n = FORWARD(111, q++, false);
    assert_true(n > 0);
    assert_int_equal(okno_rtp_parse(out.buf, (size_t)n, &out.rtp), 0);
    uint16_t last = out.rtp.seq;
    /* h's keyframe: switched, numbering continuous; q dropped from now on. */
    n = FORWARD(222, h++, true);
    assert_true(n > 0);
    assert_int_equal(okno_rtp_parse(out.buf, (size_t)n, &out.rtp), 0);
    assert_int_equal(out.rtp.seq, (uint16_t)(last + 1));
    assert_int_equal(out.rtp.ssrc, FX_OUT_SSRC);
    assert_int_equal(okno_downtrack_awaited_keyframe(dt), 0);
    assert_int_equal(FORWARD(111, q++, false), 0);
    assert_true(FORWARD(222, h++, false) > 0);
#undef FORWARD
    okno_downtrack_destroy(dt);
}

/* A publisher with a simulcast video (q, h, f: SSRCs 111, 222, 333) and a viewer's subscription
 * to it, allocated to f, with no downtrack. */
static void viewer_on_f(struct okno_participant **p, struct okno_track **t,
                        struct okno_participant **viewer, struct okno_subscription *sub)
{
    *p = publisher();
    *t = video_track(*p, true, 3);
    *viewer = publisher();
    *sub = (struct okno_subscription){.subscriber = *viewer, .track = *t, .video = true};
    okno_alloc_video_init(&sub->alloc, 3, 1, 1);
    sub->alloc_on = true;
    sub->alloc.cur.spatial = 2;
}

/* The encoding a subscriber's downtrack follows: the chosen one while the publisher sends it, else
 * the highest one below it that is sent (a publisher's own estimate paused the top ones, as a
 * kiosk's on a 200 kbit/s uplink does: waiting for them left the subscriber with no video at all),
 * else the chosen one's SSRC as known. An encoding with no video payload for
 * OKNO_TRACK_ENC_IDLE_US is not sent; retransmissions do not keep it so. A quality event names the
 * encoding followed (okno__participant_alloc_shown_spatial), not the one chosen. */
static void test_simulcast_follows_the_highest_encoding_sent_up_to_the_choice(void **state)
{
    (void)state;
    struct okno_participant *p, *viewer;
    struct okno_track *t;
    struct okno_subscription sub;
    viewer_on_f(&p, &t, &viewer, &sub);
    int64_t now = 1000000;
    /* Nothing sent yet: f's SSRC, known from the SIM group, as before. */
    assert_int_equal(okno__participant_alloc_source(&sub, now), 333);
    assert_int_equal(okno__participant_alloc_shown_spatial(&sub, now), 2);

    /* Only q: q stands in for f. */
    uint16_t seq = 1;
    for (int i = 0; i < 5; i++)
        receive(p, &(struct pkt_spec){.ssrc = 111, .seq = seq++, .key = i == 0}, now += 33000);
    assert_int_equal(okno__participant_alloc_source(&sub, now), 111);
    /* a quality event names q, what the subscriber gets, not f */
    assert_int_equal(okno__participant_alloc_shown_spatial(&sub, now), 0);
    /* h starts: h, the highest sent below f. */
    receive(p, &(struct pkt_spec){.ssrc = 222, .seq = 1, .key = true}, now += 33000);
    assert_int_equal(okno__participant_alloc_source(&sub, now), 222);
    assert_int_equal(okno__participant_alloc_shown_spatial(&sub, now), 1);
    /* f starts: f itself. */
    receive(p, &(struct pkt_spec){.ssrc = 333, .seq = 1, .key = true}, now += 33000);
    assert_int_equal(okno__participant_alloc_source(&sub, now), 333);
    assert_int_equal(okno__participant_alloc_shown_spatial(&sub, now), 2);
    /* Chosen h: h, though f is sent. */
    sub.alloc.cur.spatial = 1;
    assert_int_equal(okno__participant_alloc_source(&sub, now), 222);
    assert_int_equal(okno__participant_alloc_shown_spatial(&sub, now), 1);
    sub.alloc.cur.spatial = 2;

    /* f and h stop (only q goes on): f still counts until OKNO_TRACK_ENC_IDLE_US has passed, then
     * h is not sent either and q stands in again. A retransmission of f does not revive it. */
    int64_t f_last = now;
    while (now - f_last < OKNO_TRACK_ENC_IDLE_US) {
        receive(p, &(struct pkt_spec){.ssrc = 111, .seq = seq++}, now += 33000);
        if (now - f_last <= OKNO_TRACK_ENC_IDLE_US)
            assert_int_equal(okno__participant_alloc_source(&sub, now), 333);
    }
    receive(p, &(struct pkt_spec){.ssrc = 333, .seq = 2, .rtx_ssrc = 3333, .rtx_seq = 1},
            now += 1000);
    assert_int_equal(okno__participant_alloc_source(&sub, now), 111);

    /* Paused, or not a simulcast choice yet: the track's first known SSRC. */
    sub.alloc.cur.paused = true;
    assert_int_equal(okno__participant_alloc_source(&sub, now), t->ssrc);
    sub.alloc.cur.paused = false;
    sub.alloc_on = false;
    assert_int_equal(okno__participant_alloc_source(&sub, now), t->ssrc);
    publisher_free(viewer);
    publisher_free(p);
}

/* Moving a subscriber up to an encoding above the one it gets needs that encoding sent steadily
 * for OKNO_TRACK_ENC_STEADY_US (a publisher whose estimate hovers at h's minimum starts and pauses
 * h every few seconds: each move up and back cost a key frame wait); moving down to, or staying
 * on, one sent needs no wait; with nothing forwarded yet the highest sent is taken at once. */
static void test_simulcast_moves_up_only_to_an_encoding_sent_steadily(void **state)
{
    (void)state;
    struct okno_participant *p, *viewer;
    struct okno_track *t;
    struct okno_subscription sub;
    viewer_on_f(&p, &t, &viewer, &sub);
    struct okno_downtrack_params params = fx_params(false);
    assert_int_equal(okno_downtrack_create(&params, NULL, &sub.dt), 0);
    int64_t now = 1000000;
    uint16_t q = 1, h = 1;
    uint8_t buf[1600], out[1600];
    struct okno_rtp_pkt in;
    /* q flows and is forwarded from its keyframe. */
    receive(p, &(struct pkt_spec){.ssrc = 111, .seq = q++, .key = true}, now);
    assert_int_equal(okno__participant_alloc_source(&sub, now), 111);
    okno_downtrack_set_target(sub.dt, 111, 3, now);
    size_t len = build(&(struct pkt_spec){.ssrc = 111, .seq = q++, .key = true}, buf, sizeof buf);
    assert_int_equal(okno_rtp_parse(buf, len, &in), 0);
    assert_true(okno_downtrack_forward(sub.dt, &in, buf, len, now, out, sizeof out) > 0);
    assert_int_equal(okno_downtrack_current(sub.dt), 111);

    /* h starts: q stays until h has been sent for OKNO_TRACK_ENC_STEADY_US, then h. */
    int64_t h_start = now += 33000;
    receive(p, &(struct pkt_spec){.ssrc = 222, .seq = h++, .key = true}, now);
    while (now - h_start < OKNO_TRACK_ENC_STEADY_US) {
        assert_int_equal(okno__participant_alloc_source(&sub, now), 111);
        now += 33000;
        receive(p, &(struct pkt_spec){.ssrc = 111, .seq = q++}, now);
        receive(p, &(struct pkt_spec){.ssrc = 222, .seq = h++}, now);
    }
    assert_int_equal(okno__participant_alloc_source(&sub, now), 222);

    /* h pauses for longer than OKNO_TRACK_ENC_IDLE_US and starts again: not steady anew until
     * it has flowed that long again. */
    int64_t gap_end = now + OKNO_TRACK_ENC_IDLE_US + 33000;
    while (now < gap_end)
        receive(p, &(struct pkt_spec){.ssrc = 111, .seq = q++}, now += 33000);
    assert_int_equal(okno__participant_alloc_source(&sub, now), 111);
    receive(p, &(struct pkt_spec){.ssrc = 222, .seq = h++, .key = true}, now += 33000);
    assert_int_equal(okno__participant_alloc_source(&sub, now), 111);
    assert_false(okno_track_enc_steady(&t->enc[1], now + OKNO_TRACK_ENC_STEADY_US - 1));
    assert_true(okno_track_enc_flowing(&t->enc[1], now));

    /* Forwarding h already (its keyframe came): h is kept at once, it is not a move up. */
    okno_downtrack_set_target(sub.dt, 222, 3, now);
    len = build(&(struct pkt_spec){.ssrc = 222, .seq = h++, .key = true}, buf, sizeof buf);
    assert_int_equal(okno_rtp_parse(buf, len, &in), 0);
    assert_true(okno_downtrack_forward(sub.dt, &in, buf, len, now, out, sizeof out) > 0);
    assert_int_equal(okno_downtrack_current(sub.dt), 222);
    assert_int_equal(okno__participant_alloc_source(&sub, now), 222);

    okno_downtrack_destroy(sub.dt);
    publisher_free(viewer);
    publisher_free(p);
}

/* The publisher's REMB cap with a simulcast video: what the encodings up to the highest any
 * subscriber's allocation chose (or is heading for) need (each at least its nominal rate), with 25
 * % headroom, plus audio; nobody receiving it (or the one subscriber paused): only the lowest
 * encoding's. */
static void test_simulcast_publisher_cap_follows_the_encodings_received(void **state)
{
    (void)state;
    struct okno_sfu sfu = {.max_publisher_kbps = 2500};
    struct okno_room room = {.sfu = &sfu};
    struct okno_participant *p = publisher();
    p->room = &room;
    struct okno_track *t = video_track(p, true, 3);
    const uint64_t audio = OKNO_ALLOC_AUDIO_BPS, pct = 100 + OKNO_PUB_FB_SIMULCAST_HEADROOM_PCT;
    assert_int_equal(okno_participant_publisher_cap_bps(p), 150000 * pct / 100 + audio);

    struct okno_participant *viewer = publisher();
    struct okno_subscription sub = {.subscriber = viewer, .track = t, .video = true};
    struct okno_downtrack_params params = fx_params(false);
    assert_int_equal(okno_downtrack_create(&params, NULL, &sub.dt), 0);
    g_ptr_array_add(t->subs, &sub);
    /* Answered, not allocated yet: it starts on the lowest. */
    assert_int_equal(okno_participant_publisher_cap_bps(p), 150000 * pct / 100 + audio);
    okno_alloc_video_init(&sub.alloc, 3, 1, 1);
    sub.alloc_on = true;
    sub.alloc.cur.spatial = 1;
    sub.alloc.ahead_spatial = 1; /* the allocator's own round sets it so */
    assert_int_equal(okno_participant_publisher_cap_bps(p), 650000 * pct / 100 + audio);
    /* Heading for f (its trial is due, or an up move to it is held): f is started ahead. */
    sub.alloc.ahead_spatial = 2;
    assert_int_equal(okno_participant_publisher_cap_bps(p), 2500000);
    sub.alloc.ahead_spatial = 1;
    assert_int_equal(okno_participant_publisher_cap_bps(p), 650000 * pct / 100 + audio);
    sub.alloc.cur.spatial = 2; /* 2.74 Mbit/s: held to max_publisher_kbps */
    assert_int_equal(okno_participant_publisher_cap_bps(p), 2500000);
    sub.alloc.cur.paused = true;
    assert_int_equal(okno_participant_publisher_cap_bps(p), 150000 * pct / 100 + audio);

    g_ptr_array_remove(t->subs, &sub);
    okno_downtrack_destroy(sub.dt);
    publisher_free(viewer);
    publisher_free(p);
}

/* Two viewers of t with estimates of 900 and 600 kbit/s, each with a downtrack and an allocation on
 * f (heading nowhere else). */
static void two_viewers_on_f(struct okno_track *t, struct okno_participant *viewers[2],
                             struct okno_subscription subs[2])
{
    struct okno_downtrack_params params = fx_params(false);
    for (int i = 0; i < 2; i++) {
        viewers[i] = publisher();
        viewers[i]->sub_bwe = okno_sub_bwe_new("viewer");
        viewers[i]->sub_bwe->have_estimate = true;
        viewers[i]->sub_bwe->estimate.target_bps = i == 0 ? 900000 : 600000;
        subs[i] = (struct okno_subscription){.subscriber = viewers[i], .track = t, .video = true};
        assert_int_equal(okno_downtrack_create(&params, NULL, &subs[i].dt), 0);
        okno_alloc_video_init(&subs[i].alloc, 3, 1, 1);
        subs[i].alloc_on = true;
        g_ptr_array_add(t->subs, &subs[i]);
        g_ptr_array_add(viewers[i]->subs, &subs[i]);
    }
}

static void two_viewers_free(struct okno_track *t, struct okno_participant *viewers[2],
                             struct okno_subscription subs[2])
{
    for (int i = 0; i < 2; i++) {
        g_ptr_array_remove(t->subs, &subs[i]);
        okno_downtrack_destroy(subs[i].dt);
        okno_sub_bwe_free(viewers[i]->sub_bwe);
        publisher_free(viewers[i]);
    }
}

/* With a subscriber's estimate to follow, the top encoding anybody receives gets the largest
 * share of its subscribers and the ones below their cost (no headroom: the encoder gives them
 * their own targets and its top encoding all the rest), so that encoding fits that subscriber's
 * link; a subscriber under a client's receive limit shapes nothing (the headroom rule again). */
static void test_simulcast_top_encoding_follows_the_largest_share(void **state)
{
    (void)state;
    struct okno_sfu sfu = {.max_publisher_kbps = 2500};
    struct okno_room room = {.sfu = &sfu};
    struct okno_participant *p = publisher();
    p->room = &room;
    struct okno_track *t = video_track(p, true, 3);
    const uint64_t audio = OKNO_ALLOC_AUDIO_BPS;
    struct okno_participant *viewers[2];
    struct okno_subscription subs[2];
    two_viewers_on_f(t, viewers, subs);
    uint64_t share = 0;
    assert_int_equal(okno__participant_pub_fb_shaped(t, &share), 2);
    assert_int_equal(share, 900000);
    /* q and h never measured: their nominal cost. */
    assert_int_equal(okno_participant_publisher_cap_bps(p), 150000 + 500000 + 900000 + audio);
    /* The richer one moves down to h: f follows the one left on it. */
    subs[0].alloc.cur.spatial = subs[0].alloc.ahead_spatial = 1;
    assert_int_equal(okno__participant_pub_fb_shaped(t, &share), 2);
    assert_int_equal(share, 600000);
    assert_int_equal(okno_participant_publisher_cap_bps(p), 150000 + 500000 + 600000 + audio);
    /* Under a client's limit it shapes nothing: f at its nominal rate, all with headroom. */
    viewers[1]->receive_limit_bps = 600000;
    assert_int_equal(okno__participant_pub_fb_shaped(t, &share), 2);
    assert_int_equal(share, 0);
    assert_int_equal(okno_participant_publisher_cap_bps(p), 2500000);
    two_viewers_free(t, viewers, subs);
    publisher_free(p);
}

/* Which encodings follow a subscriber's budget (elastic): with h and f sent and both viewers on f,
 * f follows the richer viewer only, at the least the encoder keeps f at (half h's nominal rate);
 * with both on h, h follows the richer one (at half q's) and f, still sent, either (nobody's share
 * holds it now: the cap gives it no room, whoever takes it shapes it); an encoding not sent, a
 * viewer under a receive limit and a single-encoding track follow nobody. */
static void test_simulcast_elastic_encodings_follow_the_largest_share(void **state)
{
    (void)state;
    struct okno_sfu sfu = {.max_publisher_kbps = 2500};
    struct okno_room room = {.sfu = &sfu};
    struct okno_participant *p = publisher();
    p->room = &room;
    struct okno_track *t = video_track(p, true, 3);
    static const uint32_t sent_bps[3] = {140000, 480000, 1400000};
    for (unsigned e = 0; e < 3; e++) {
        t->enc[e].meter.bps[0] = sent_bps[e];
        t->enc[e].meter.n_temporal = 1;
    }
    struct okno_participant *viewers[2];
    struct okno_subscription subs[2];
    two_viewers_on_f(t, viewers, subs);
    struct okno_alloc_video v;
    memset(&v, 0xff, sizeof v); /* every floor is written, not left over */
    okno__participant_alloc_elastic(&v, viewers[0], t);
    assert_int_equal(v.elastic_floor_bps[0], 0);
    assert_int_equal(v.elastic_floor_bps[1], 0);
    assert_int_equal(v.elastic_floor_bps[2], 250000);
    okno__participant_alloc_elastic(&v, viewers[1], t);
    assert_int_equal(v.elastic_floor_bps[2], 0);

    /* f stopped by the encoder: nothing of it to shape. */
    t->enc[2].meter.bps[0] = 0;
    okno__participant_alloc_elastic(&v, viewers[0], t);
    assert_int_equal(v.elastic_floor_bps[2], 0);
    t->enc[2].meter.bps[0] = sent_bps[2];

    /* Both move down to h: h is the top one shaped, by the richer; f above it, by either. */
    for (int i = 0; i < 2; i++)
        subs[i].alloc.cur.spatial = subs[i].alloc.ahead_spatial = 1;
    uint64_t share = 0;
    assert_int_equal(okno__participant_pub_fb_shaped(t, &share), 1);
    assert_int_equal(share, 900000);
    okno__participant_alloc_elastic(&v, viewers[0], t);
    assert_int_equal(v.elastic_floor_bps[0], 0);
    assert_int_equal(v.elastic_floor_bps[1], 75000);
    assert_int_equal(v.elastic_floor_bps[2], 250000);
    okno__participant_alloc_elastic(&v, viewers[1], t);
    assert_int_equal(v.elastic_floor_bps[1], 0);
    assert_int_equal(v.elastic_floor_bps[2], 250000);

    /* The richer on h, the other on q: q follows the richer too, since moved down to q it alone
     * would set the cap (a budget under q's rate now is a step down, not a pause); not the
     * poorer, whom the richer on h outranks, until the richer is paused. */
    subs[1].alloc.cur.spatial = subs[1].alloc.ahead_spatial = 0;
    okno__participant_alloc_elastic(&v, viewers[0], t);
    assert_int_equal(v.elastic_floor_bps[0], OKNO_PUB_FB_MIN_VIDEO_BPS);
    assert_int_equal(v.elastic_floor_bps[1], 75000);
    okno__participant_alloc_elastic(&v, viewers[1], t);
    assert_int_equal(v.elastic_floor_bps[0], 0);
    subs[0].alloc.cur.paused = true;
    okno__participant_alloc_elastic(&v, viewers[1], t);
    assert_int_equal(v.elastic_floor_bps[0], OKNO_PUB_FB_MIN_VIDEO_BPS);
    subs[0].alloc.cur.paused = false;
    /* Heading for h (ahead), the poorer holds the cap up: q does not follow the richer alone. */
    subs[1].alloc.ahead_spatial = 1;
    okno__participant_alloc_elastic(&v, viewers[0], t);
    assert_int_equal(v.elastic_floor_bps[0], 0);
    subs[1].alloc.cur.spatial = subs[1].alloc.ahead_spatial = 1;

    /* Under a client's receive limit the viewer shapes nothing, and follows nothing. */
    viewers[0]->receive_limit_bps = 900000;
    okno__participant_alloc_elastic(&v, viewers[0], t);
    for (unsigned e = 0; e < 3; e++)
        assert_int_equal(v.elastic_floor_bps[e], 0);
    viewers[0]->receive_limit_bps = 0;

    /* One encoding: okno's own cap shapes it, costed by its floor elsewhere (measure()). */
    struct okno_track *single = video_track(p, false, 0);
    single->enc[0].meter.bps[0] = sent_bps[2];
    single->enc[0].meter.n_temporal = 1;
    okno__participant_alloc_elastic(&v, viewers[0], single);
    for (unsigned e = 0; e < 3; e++)
        assert_int_equal(v.elastic_floor_bps[e], 0);

    two_viewers_free(t, viewers, subs);
    publisher_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulcast_learns_encodings_from_rid_then_demuxes_by_ssrc),
        cmocka_unit_test(test_simulcast_takes_the_sim_group),
        cmocka_unit_test(test_simulcast_keyframe_requests_are_per_encoding),
        cmocka_unit_test(test_simulcast_switch_waits_for_the_target_keyframe),
        cmocka_unit_test(test_simulcast_follows_the_highest_encoding_sent_up_to_the_choice),
        cmocka_unit_test(test_simulcast_moves_up_only_to_an_encoding_sent_steadily),
        cmocka_unit_test(test_simulcast_publisher_cap_follows_the_encodings_received),
        cmocka_unit_test(test_simulcast_top_encoding_follows_the_largest_share),
        cmocka_unit_test(test_simulcast_elastic_encodings_follow_the_largest_share),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
