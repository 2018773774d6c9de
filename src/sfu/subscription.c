/* Forwarding one track to one subscriber (subscription.h): the downtrack's rewritten packets
 * protected and sent through the subscriber's scratch buffer, NACKs answered from the track's
 * cache, and the sender reports of okno's stream. The media path allocates nothing: the downtrack
 * is made when the client accepts the section. */
#include "sfu/subscription.h"

#include <inttypes.h>
#include <string.h>

#include "core/log.h"
#include "net/peer.h"
#include "okno/err.h"
#include "sfu/downtrack.h"
#include "sfu/packet_cache.h"
#include "sfu/participant.h"
#include "sfu/participant_pacer.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/sub_bwe.h"
#include "sfu/track.h"
#include "sfu/track_rtx.h"
#include "wire/rtcp.h"
#include "wire/rtp.h"

static struct okno_peer *ready_peer(const struct okno_subscription *sub)
{
    struct okno_peer *peer = sub->subscriber->sub_peer;
    if (!sub->answered || !sub->track || !sub->dt || !peer || !okno_peer_connected(peer))
        return NULL;
    return peer;
}

/* A random SSRC that is neither 0 ("none") nor the section's other one. */
static uint32_t new_ssrc(uint32_t other)
{
    uint32_t s;
    do
        s = g_random_int();
    while (s == 0 || s == other);
    return s;
}

/* The RED payload type offered to subscribers of an audio track: the publisher's, else Chromium's
 * 63, else the highest dynamic one the section does not use. */
static int16_t red_pt_for(const struct okno_track *t)
{
    if (t->red_pt >= 0)
        return t->red_pt;
    if (t->pt != 63 && t->rtx_pt != 63)
        return 63;
    for (int pt = 127; pt >= 96; pt--)
        if (pt != t->pt && pt != t->rtx_pt)
            return (int16_t)pt;
    return -1;
}

/* What RED did for the subscription, when it did anything. */
static void log_red(const struct okno_subscription *sub)
{
    const struct okno_red_adapter_stats *s = &sub->red.stats;
    if (sub->video || !sub->dt ||
        !(s->red_forwarded | s->red_stripped | s->red_added | s->malformed))
        return;
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s: %s red: %" PRIu64 " forwarded (%" PRIu64 " deepened), %" PRIu64
             " stripped, %" PRIu64 " added, %" PRIu64 " blocks recovered, %" PRIu64
             " late dropped, %" PRIu64 " malformed",
             sub->subscriber->id, sub->track_id, s->red_forwarded, s->red_deepened, s->red_stripped,
             s->red_added, s->blocks_recovered, s->late_dropped, s->malformed);
}

void okno_subscription_attach(struct okno_subscription *sub, struct okno_track *track)
{
    okno_subscription_detach(sub);
    sub->track = track;
    sub->video = track->video;
    sub->codec = track->codec;
    sub->rtx_pt = track->rtx_pt;
    sub->rtx_ok = false;
    sub->red_pt = (int16_t)(track->video ? -1 : red_pt_for(track));
    sub->red_ok = false;
    sub->alloc_on = false;
    /* New SSRCs for every track put on the section: a client never sees one SSRC change tracks. */
    sub->ssrc = new_ssrc(0);
    sub->rtx_ssrc = new_ssrc(sub->ssrc);
    g_strlcpy(sub->track_id, track->id, sizeof sub->track_id);
    g_strlcpy(sub->publisher, track->owner->id, sizeof sub->publisher);
}

void okno_subscription_detach(struct okno_subscription *sub)
{
    if (sub->dt)
        okno_subscription_log_rtx(sub);
    okno__participant_pacer_forget(sub->subscriber, sub);
    log_red(sub);
    okno_downtrack_destroy(sub->dt);
    sub->dt = NULL;
    sub->track = NULL;
    sub->answered = false;
}

static void on_keyframe_needed(void *ud, uint32_t source_ssrc)
{
    struct okno_subscription *sub = ud;
    if (sub->track)
        okno_track_request_keyframe(sub->track, source_ssrc, sub->now_us);
}

/* [media] video_playout_budget_ms / audio_playout_budget_ms. */
static int64_t playout_budget_us(const struct okno_subscription *sub)
{
    const struct okno_room *room = sub->subscriber->room;
    if (!room || !room->sfu)
        return 0;
    return 1000 * (int64_t)(sub->video ? room->sfu->video_budget_ms : room->sfu->audio_budget_ms);
}

int okno_subscription_start(struct okno_subscription *sub, bool rtx, int64_t now_us)
{
    if (!sub->track || sub->dt)
        return 0;
    const struct okno_sub_bwe *bwe = sub->subscriber->sub_bwe;
    const struct okno_downtrack_params params = {
        .ssrc = sub->ssrc,
        .pt = sub->codec.pt,
        .clock_rate = sub->codec.clock,
        .rtx = rtx,
        .rtx_ssrc = sub->rtx_ssrc,
        .rtx_pt = (uint8_t)(rtx ? sub->rtx_pt : 0),
        .vp8 = g_ascii_strcasecmp(sub->codec.name, "VP8") == 0,
        .twcc_id = bwe ? bwe->twcc_id : 0,
        .abs_send_time_id = bwe ? bwe->abs_send_time_id : 0,
        .playout_budget_us = playout_budget_us(sub),
        .budget_adds_rtt = sub->video,
        /* The budget decides (plus the RTT of at most 1 s the downtrack counts with), not the
         * downtrack's default age of 1 s. */
        .nack_max_age_us = playout_budget_us(sub) + 1000000,
    };
    const struct okno_downtrack_listener listener = {.on_keyframe_needed = on_keyframe_needed,
                                                     .ud = sub};
    int rc = okno_downtrack_create(&params, &listener, &sub->dt);
    if (rc != 0) {
        okno_log(OKNO_LOG_ERROR, "sfu", "%s: cannot forward %s: %s", sub->subscriber->id,
                 sub->track_id, okno_strerror(rc));
        sub->dt = NULL;
        return rc;
    }
    /* The glue reads the wall clock once here: SR timestamps never jump when it is stepped. */
    okno_send_stats_init(&sub->stats, sub->ssrc, sub->codec.clock ? sub->codec.clock : 90000,
                         g_get_real_time() - g_get_monotonic_time());
    okno_rtcp_scheduler_init(&sub->report,
                             sub->video ? OKNO_RTCP_VIDEO_INTERVAL_US : OKNO_RTCP_AUDIO_INTERVAL_US,
                             0, sub->ssrc, now_us);
    if (!sub->video) {
        const struct okno_red_adapter_params rp = {.opus_pt = sub->codec.pt,
                                                   .red_in = sub->track->red_pt,
                                                   .red_out =
                                                       (int16_t)(sub->red_ok ? sub->red_pt : -1)};
        if (okno_red_adapter_init(&sub->red, &rp) != 0) {
            /* Payload types checked at negotiation: RED in and out then goes unused. */
            const struct okno_red_adapter_params plain = {
                .opus_pt = sub->codec.pt, .red_in = -1, .red_out = -1};
            okno_red_adapter_init(&sub->red, &plain);
        }
    }
    sub->now_us = now_us;
    sub->targeted = false;
    sub->alloc_on = false;
    return 0;
}

/* One packet through the downtrack, sent with payload type pt (-1: the codec's, as written). */
static void forward_one(struct okno_subscription *sub, const struct okno_rtp_pkt *rtp,
                        const uint8_t *pkt, size_t len, int pt, int64_t now_us)
{
    struct okno_peer *peer = ready_peer(sub);
    if (!peer)
        return;
    struct okno_participant *p = sub->subscriber;
    sub->now_us = now_us;
    if (!sub->targeted) {
        sub->targeted = true;
        okno_downtrack_set_target(sub->dt, sub->track->ssrc, 3, now_us);
    }
    int n = okno_downtrack_forward(sub->dt, rtp, pkt, len, now_us, p->tx, OKNO_MTU);
    if (n > 0 && pt >= 0)
        okno_rtp_set_pt(p->tx, (size_t)n, (uint8_t)pt);
    if (n <= 0)
        return;
    /* Numbered, counted for sender reports, protected and sent when the pacer lets it go. */
    okno__participant_pace(p, sub, sub->video ? OKNO_PACER_VIDEO : OKNO_PACER_AUDIO, p->tx,
                           (size_t)n, now_us);
}

void okno_subscription_send(struct okno_subscription *sub, const struct okno_rtp_pkt *rtp,
                            const uint8_t *pkt, size_t len, int64_t now_us)
{
    if (sub->video) {
        forward_one(sub, rtp, pkt, len, -1, now_us);
        return;
    }
    if (!ready_peer(sub))
        return;
    /* Audio: RED forwarded, stripped (lost packets recovered from its blocks first) or added. */
    struct okno_red_adapter_pkt out[OKNO_RED_ADAPTER_MAX_OUT];
    int n = okno_red_adapter_process(&sub->red, rtp, out);
    for (int i = 0; i < n; i++)
        forward_one(sub, &out[i].rtp, out[i].pkt, out[i].len, out[i].pt, now_us);
}

void okno_subscription_send_late(struct okno_subscription *sub, const struct okno_rtp_pkt *rtp,
                                 const uint8_t *pkt, size_t len, int64_t expected_us,
                                 int64_t now_us)
{
    if (!sub->video) {
        okno_subscription_send(sub, rtp, pkt, len, now_us);
        return;
    }
    struct okno_peer *peer = ready_peer(sub);
    if (!peer || !sub->targeted)
        return; /* nothing forwarded yet: no gap kept for it */
    struct okno_participant *p = sub->subscriber;
    sub->now_us = now_us;
    int n =
        okno_downtrack_forward_late(sub->dt, rtp, pkt, len, expected_us, now_us, p->tx, OKNO_MTU);
    if (n <= 0)
        return;
    /* RTX is a retransmission to the pacer; without it the packet is the media stream's own. */
    okno__participant_pace(p, sub, sub->rtx_ok ? OKNO_PACER_RTX : OKNO_PACER_VIDEO, p->tx,
                           (size_t)n, now_us);
}

static int cache_lookup(void *ctx, uint32_t source_ssrc, uint16_t seq,
                        struct okno_cached_packet *out)
{
    return okno_track_cache_get(ctx, source_ssrc, seq, out);
}

static void emit(void *ctx, const uint8_t *pkt, size_t len)
{
    struct okno_subscription *sub = ctx;
    struct okno_peer *peer = ready_peer(sub);
    if (!peer)
        return;
    okno__participant_pace(sub->subscriber, sub, okno_rtx_pacer_class(sub->video), pkt, len,
                           sub->now_us);
}

void okno_subscription_on_nack(struct okno_subscription *sub, const uint16_t *seqs, size_t n,
                               int64_t now_us)
{
    if (!ready_peer(sub))
        return;
    sub->now_us = now_us; /* for emit's stamp */
    okno_downtrack_on_nack(sub->dt, seqs, n, cache_lookup, sub->track, now_us, emit, sub);
}

/* The loss of the subscriber's own leg, as a report block's fraction: the transport-wide one the
 * estimator counts from transport-cc feedback where it has it (okno numbers every packet on the
 * leg), else the report's, which also counts what the publisher's uplink lost (the downtrack keeps
 * those gaps) and which no redundancy added here can repair. */
static uint8_t leg_fraction_lost(const struct okno_subscription *sub,
                                 const struct okno_rtcp_report_block *b)
{
    struct okno_bwe_estimate est;
    if (okno_participant_bwe_estimate(sub->subscriber, &est) != 0 || est.acked_bps == 0)
        return b->fraction_lost;
    double f = est.loss_ratio * 256.0 + 0.5;
    return f >= 255.0 ? 255 : f <= 0.0 ? 0 : (uint8_t)f;
}

int64_t okno_subscription_on_report(struct okno_subscription *sub,
                                    const struct okno_rtcp_report_block *b, int64_t now_us)
{
    if (!sub->dt || okno_send_stats_on_report_block(&sub->stats, b, now_us) != 0)
        return -1;
    okno_downtrack_set_rtt(sub->dt, sub->stats.srtt_us);
    if (!sub->video)
        okno_red_adapter_on_loss(&sub->red, leg_fraction_lost(sub, b));
    return sub->stats.srtt_us;
}

void okno_subscription_tick(struct okno_subscription *sub, int64_t now_us)
{
    struct okno_peer *peer = ready_peer(sub);
    if (!peer || !okno_rtcp_scheduler_report_due(&sub->report, now_us))
        return;
    okno_rtcp_scheduler_on_report_sent(&sub->report, now_us);
    struct okno_rtcp_sr sr;
    if (okno_send_stats_sr(&sub->stats, now_us, &sr) != 0)
        return; /* nothing sent yet: no RTP time to pair with the NTP time */
    struct okno_participant *p = sub->subscriber;
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, p->tx, OKNO_MTU);
    okno_rtcp_writer_commit(
        &w, okno_rtcp_sr_build(&sr, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    /* The publisher's id as CNAME, as the offer says: its audio and video are synchronised. */
    okno_rtcp_writer_commit(
        &w, okno_rtcp_sdes_build_cname(sub->ssrc, sub->publisher, strlen(sub->publisher),
                                       okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    int n = okno_rtcp_writer_finish(&w);
    if (n > 0)
        okno_peer_send_rtcp(peer, p->tx, (size_t)n, sizeof p->tx);
}
