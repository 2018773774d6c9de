/* A published track's receive side and fan-out (track.h). Feedback to the publisher (PLI, NACK,
 * receiver reports) is built here into the publisher's own send scratch and sent on its publisher
 * connection, each as a compound that starts with a receiver report, so it is valid whether or not
 * the client negotiated reduced-size RTCP. What it deliberately does not do: bandwidth estimation
 * and REMB, simulcast layers (one SSRC per track), transport-wide CC feedback. */
#include "sfu/track.h"

#include <string.h>

#include "core/clock.h"
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

/* okno's SSRC as the sender of its RTCP on publisher connections ("okno"). */
#define OKNO_RTCP_SSRC    0x6f6b6e6fu
#define PLI_INTERVAL_US   300000
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
    okno_seq_unwrapper_init(&t->unwrap);
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

/* RFC 3550 A.1 and A.8: the counters receiver reports are made of. */
static void count(struct okno_track *t, const struct okno_rtp_pkt *rtp, int64_t now_us)
{
    int64_t ext = okno_seq_unwrap(&t->unwrap, rtp->seq);
    if (t->received == 0) {
        t->base_seq = ext;
        t->max_seq = ext;
    } else if (ext > t->max_seq) {
        t->max_seq = ext;
    }
    t->received++;
    int64_t arrival = now_us * (int64_t)t->clock / 1000000;
    int64_t transit = arrival - (int64_t)rtp->ts;
    if (t->has_transit) {
        int64_t d = transit - t->last_transit;
        if (d < 0)
            d = -d;
        if (d < (int64_t)t->clock * 10) /* a timestamp jump is not jitter */
            t->jitter_q4 += (uint32_t)d - ((t->jitter_q4 + 8) >> 4);
    }
    t->last_transit = transit;
    t->has_transit = true;
}

static bool starts_keyframe(const struct okno_rtp_pkt *rtp)
{
    struct okno_vp8_packet vp8;
    return okno_vp8_parse(rtp->payload, rtp->payload_len, &vp8) == 0 && okno_vp8_is_keyframe(&vp8);
}

void okno_track_on_rtp(struct okno_track *t, const uint8_t *pkt, size_t len,
                       const struct okno_rtp_pkt *rtp, bool retransmission, int64_t now_us)
{
    bool keyframe = t->video && starts_keyframe(rtp);
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
    count(t, rtp, now_us);
    if (keyframe)
        t->pli_pending = false; /* it came: whatever was asked is answered */
    for (guint i = 0; i < t->subs->len; i++)
        okno_subscription_send(t->subs->pdata[i], pkt, len, keyframe, now_us);
}

void okno_track_on_sr(struct okno_track *t, uint64_t ntp, uint32_t rtp_ts, int64_t now_us)
{
    t->has_sr = true;
    t->sr_ntp = ntp;
    t->sr_rtp = rtp_ts;
    t->sr_at_us = now_us;
    for (guint i = 0; i < t->subs->len; i++)
        okno_subscription_send_sr(t->subs->pdata[i], ntp, rtp_ts);
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

static void send_pli(struct okno_track *t, int64_t now_us)
{
    uint8_t pli[OKNO_RTCP_FB_HEADER_LEN];
    int n = okno_rtcp_pli_build(OKNO_RTCP_SSRC, t->ssrc, pli, sizeof pli);
    send_feedback(t, pli, n, NULL);
    t->last_pli_us = now_us;
    t->pli_pending = false;
}

void okno_track_request_keyframe(struct okno_track *t, int64_t now_us)
{
    if (!t->video || t->ssrc == 0)
        return;
    t->pli_pending = true;
    if (now_us - t->last_pli_us >= PLI_INTERVAL_US)
        send_pli(t, now_us);
}

static void fill_report(struct okno_track *t, int64_t now_us, struct okno_rtcp_report_block *b)
{
    int64_t expected = t->max_seq - t->base_seq + 1;
    int64_t lost = expected - (int64_t)t->received;
    int64_t expected_interval = expected - (int64_t)t->expected_prior;
    int64_t received_interval = (int64_t)t->received - (int64_t)t->received_prior;
    int64_t lost_interval = expected_interval - received_interval;
    t->expected_prior = (uint64_t)expected;
    t->received_prior = t->received;
    b->ssrc = t->ssrc;
    b->fraction_lost = expected_interval > 0 && lost_interval > 0
                           ? (uint8_t)((lost_interval << 8) / expected_interval)
                           : 0;
    b->cumulative_lost = (int32_t)CLAMP(lost, -0x800000, 0x7fffff);
    b->ext_highest_seq = (uint32_t)t->max_seq;
    b->jitter = t->jitter_q4 >> 4;
    if (t->has_sr) {
        b->lsr = okno_ntp_mid32(t->sr_ntp);
        b->dlsr = okno_rtcp_dlsr_from_us((uint64_t)(now_us - t->sr_at_us));
    }
}

void okno_track_tick(struct okno_track *t, int64_t now_us, bool report)
{
    if (t->pli_pending && now_us - t->last_pli_us >= PLI_INTERVAL_US)
        send_pli(t, now_us);
    if (t->nack) {
        uint16_t lost[MAX_NACK_PER_TICK];
        size_t n = okno_nack_generator_poll(t->nack, now_us, 0, lost, MAX_NACK_PER_TICK);
        if (n > 0) {
            uint8_t nack[OKNO_RTCP_FB_HEADER_LEN + 4 * MAX_NACK_PER_TICK];
            int len = okno_rtcp_nack_build(OKNO_RTCP_SSRC, t->ssrc, lost, n, nack, sizeof nack);
            send_feedback(t, nack, len, NULL);
        }
    }
    if (report && t->received > 0) {
        struct okno_rtcp_rr rr = {.ssrc = OKNO_RTCP_SSRC, .report_count = 1};
        fill_report(t, now_us, &rr.blocks[0]);
        send_feedback(t, NULL, 0, &rr);
    }
}

void okno_track_retransmit(struct okno_track *t, struct okno_subscription *sub, uint16_t seq,
                           int64_t now_us)
{
    (void)now_us;
    struct okno_cached_packet cp;
    if (okno_packet_cache_get(t->cache, seq, &cp) == 0)
        okno_subscription_resend(sub, cp.data, cp.len);
}
