/* A published track's receive side and fan-out (track.h). Feedback to the publisher (PLI, NACK,
 * receiver reports) is built here into the publisher's own send scratch and sent on its publisher
 * connection, each as a compound that starts with a receiver report, so it is valid whether or not
 * the client negotiated reduced-size RTCP. What it deliberately does not do: bandwidth estimation
 * and REMB, simulcast layers (one SSRC per track), transport-wide CC feedback (those go per
 * transport: participant_pub_fb.c). */
#include "sfu/track.h"

#include <string.h>

#include "net/peer.h"
#include "okno/err.h"
#include "sfu/nack_generator.h"
#include "sfu/packet_cache.h"
#include "sfu/participant.h"
#include "sfu/subscription.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/vp8.h"

#define MAX_NACK_PER_TICK 64

int okno_track_new(struct okno_participant *owner, const char *id, const struct okno_pub_track *neg,
                   struct okno_track **out)
{
    bool video = neg->kind == OKNO_MEDIA_VIDEO;
    struct okno_track *t = g_new0(struct okno_track, 1);
    if (okno_packet_cache_create(video ? 1024 : 128, &t->cache) != 0 ||
        (video && okno_nack_generator_create(NULL, &t->nack) != 0)) {
        okno_packet_cache_destroy(t->cache);
        g_free(t);
        return OKNO_E_NOMEM;
    }
    t->owner = owner;
    t->subs = g_ptr_array_new();
    g_strlcpy(t->id, id, sizeof t->id);
    g_strlcpy(t->mid, neg->mid, sizeof t->mid);
    t->video = video;
    if (neg->n_fids > 0) {
        t->ssrc = neg->fids[0].primary;
        t->rtx_ssrc = neg->fids[0].rtx;
    } else if (neg->n_ssrcs > 0) {
        t->ssrc = neg->ssrcs[0];
    }
    t->pt = neg->codec.pt;
    t->rtx_pt = neg->rtx_pt;
    t->clock = neg->codec.clock;
    t->codec = neg->codec;
    okno_keyframe_requester_init(&t->kr);
    okno_layer_meter_init(&t->meter);
    /* Seeded with the track's address: tracks made together do not report in lockstep. */
    okno_rtcp_scheduler_init(&t->report,
                             video ? OKNO_RTCP_VIDEO_INTERVAL_US : OKNO_RTCP_AUDIO_INTERVAL_US, 0,
                             (uint32_t)(uintptr_t)t, g_get_monotonic_time());
    *out = t;
    return 0;
}

void okno_track_free(struct okno_track *t)
{
    if (!t)
        return;
    okno_packet_cache_destroy(t->cache);
    okno_nack_generator_destroy(t->nack);
    g_ptr_array_free(t->subs, TRUE);
    g_free(t);
}

void okno_track_on_rtp(struct okno_track *t, const uint8_t *pkt, size_t len,
                       const struct okno_rtp_pkt *rtp, bool retransmission, int64_t now_us)
{
    struct okno_vp8_packet vp8;
    bool parsed = t->video && okno_vp8_parse(rtp->payload, rtp->payload_len, &vp8) == 0;
    bool keyframe = parsed && okno_vp8_is_keyframe(&vp8);
    if (t->nack) {
        unsigned flags = (keyframe ? OKNO_NACK_PKT_KEYFRAME : 0) |
                         (retransmission ? OKNO_NACK_PKT_RETRANSMISSION : 0);
        unsigned r = okno_nack_generator_on_packet(t->nack, rtp->seq, flags, now_us);
        if (r & OKNO_NACK_KEYFRAME)
            okno_track_request_keyframe(t, now_us);
        if (r & OKNO_NACK_DUPLICATE)
            return; /* every subscription has it already */
    }
    if (okno_packet_cache_store(t->cache, pkt, len, now_us) == OKNO_E_EXISTS)
        return;
    if (!t->rs_ready)
        t->rs_ready = okno_recv_stats_init(&t->rs, rtp->ssrc, t->clock ? t->clock : 90000) == 0;
    okno_recv_stats_on_packet(&t->rs, rtp->seq, rtp->ts, retransmission, now_us);
    if (parsed && !retransmission)
        okno_layer_meter_on_packet(&t->meter, vp8.desc.has_tid ? vp8.desc.tid : 0, len, now_us);
    if (keyframe)
        okno_keyframe_requester_on_keyframe(&t->kr, now_us);
    for (guint i = 0; i < t->subs->len; i++)
        okno_subscription_send(t->subs->pdata[i], rtp, pkt, len, now_us);
}

void okno_track_on_sr(struct okno_track *t, uint64_t ntp, int64_t now_us)
{
    if (t->rs_ready)
        okno_recv_stats_on_sr(&t->rs, ntp, now_us);
}

/* Sends an empty receiver report followed by the packet build() writes, to the publisher. */
static void send_feedback(struct okno_track *t, const uint8_t *fb, int fb_len,
                          const struct okno_rtcp_rr *rr)
{
    struct okno_participant *p = t->owner;
    if (!p->pub_peer || !okno_peer_connected(p->pub_peer))
        return;
    struct okno_rtcp_rr empty = {.ssrc = OKNO_RTCP_SSRC};
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, p->tx, OKNO_MTU);
    okno_rtcp_writer_commit(&w, okno_rtcp_rr_build(rr ? rr : &empty, okno_rtcp_writer_tail(&w),
                                                   okno_rtcp_writer_room(&w)));
    if (fb_len > 0 && okno_rtcp_writer_room(&w) >= (size_t)fb_len) {
        memcpy(okno_rtcp_writer_tail(&w), fb, (size_t)fb_len);
        okno_rtcp_writer_commit(&w, fb_len);
    }
    int n = okno_rtcp_writer_finish(&w);
    if (n > 0)
        okno_peer_send_rtcp(p->pub_peer, p->tx, (size_t)n, sizeof p->tx);
}

static void send_pli(struct okno_track *t)
{
    uint8_t pli[OKNO_RTCP_FB_HEADER_LEN];
    int n = okno_rtcp_pli_build(OKNO_RTCP_SSRC, t->ssrc, pli, sizeof pli);
    send_feedback(t, pli, n, NULL);
}

/* Whether a PLI can reach the publisher now: the requester counts what it lets out as sent, so a
 * request made before the connection is up waits instead of being lost to its retry wait. */
static bool publisher_reachable(const struct okno_track *t)
{
    return t->video && t->ssrc != 0 && t->owner->pub_peer &&
           okno_peer_connected(t->owner->pub_peer);
}

void okno_track_request_keyframe(struct okno_track *t, int64_t now_us)
{
    if (!t->video || t->ssrc == 0)
        return;
    okno_keyframe_requester_request(&t->kr, now_us);
    /* The first request goes out at once; later ones wait in the requester for the timer. */
    if (publisher_reachable(t) && okno_keyframe_requester_poll(&t->kr, now_us))
        send_pli(t);
}

/* The RTT to the publisher's client, measured on its subscriber connection (the same path): 0 while
 * unknown. */
static int64_t owner_rtt(const struct okno_track *t)
{
    return t->owner->rtt_us > 0 ? t->owner->rtt_us : 0;
}

void okno_track_tick(struct okno_track *t, int64_t now_us)
{
    okno_layer_meter_update(&t->meter, now_us); /* a layer that stopped reads as stopped */
    int64_t rtt = owner_rtt(t);
    if (publisher_reachable(t)) {
        okno_keyframe_requester_set_rtt(&t->kr, rtt);
        if (okno_keyframe_requester_poll(&t->kr, now_us))
            send_pli(t);
    }
    if (t->nack) {
        uint16_t lost[MAX_NACK_PER_TICK];
        size_t n = okno_nack_generator_poll(t->nack, now_us, rtt, lost, MAX_NACK_PER_TICK);
        if (n > 0) {
            uint8_t nack[OKNO_RTCP_FB_HEADER_LEN + 4 * MAX_NACK_PER_TICK];
            int len = okno_rtcp_nack_build(OKNO_RTCP_SSRC, t->ssrc, lost, n, nack, sizeof nack);
            send_feedback(t, nack, len, NULL);
        }
    }
    if (okno_rtcp_scheduler_report_due(&t->report, now_us)) {
        okno_rtcp_scheduler_on_report_sent(&t->report, now_us);
        struct okno_rtcp_rr rr = {.ssrc = OKNO_RTCP_SSRC, .report_count = 1};
        if (t->rs_ready && okno_recv_stats_report(&t->rs, now_us, &rr.blocks[0]) == 0)
            send_feedback(t, NULL, 0, &rr);
    }
    for (guint i = 0; i < t->subs->len; i++)
        okno_subscription_tick(t->subs->pdata[i], now_us);
}
