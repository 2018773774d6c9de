/* A published track's receive side and fan-out (track.h). Feedback to the publisher (PLI, NACK,
 * receiver reports) is built here into the publisher's own send scratch and sent on its publisher
 * connection, each as a compound that starts with a receiver report, so it is valid whether or not
 * the client negotiated reduced-size RTCP. What it deliberately does not do: bandwidth estimation
 * and REMB, transport-wide CC feedback (those go per transport: participant_pub_fb.c), and telling
 * encodings apart on the wire (participant_media.c finds the encoding of each packet). */
#include "sfu/track.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"

#include "net/peer.h"
#include "okno/err.h"
#include "sfu/nack_generator.h"
#include "sfu/packet_cache.h"
#include "sfu/participant.h"
#include "sfu/subscription.h"
#include "sfu/track_rtx.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/vp8.h"

#define MAX_NACK_PER_TICK 64

static void enc_free(struct okno_track_enc *e)
{
    okno_packet_cache_destroy(e->cache);
    okno_nack_generator_destroy(e->nack);
    e->cache = NULL;
    e->nack = NULL;
}

/* The RTX SSRC the FID groups pair with primary, or 0. */
static uint32_t fid_rtx(const struct okno_pub_track *neg, uint32_t primary)
{
    for (unsigned i = 0; i < neg->n_fids; i++)
        if (neg->fids[i].primary == primary)
            return neg->fids[i].rtx;
    return 0;
}

/* The encodings of the section and what the offer says of their SSRCs. */
static void take_encodings(struct okno_track *t, const struct okno_pub_track *neg)
{
    bool video = neg->kind == OKNO_MEDIA_VIDEO;
    unsigned n = 1;
    if (video && neg->n_rids > 1)
        n = neg->n_rids;
    else if (video && neg->n_sim > 1)
        n = neg->n_sim;
    t->n_enc = (uint8_t)MIN(n, OKNO_TRACK_MAX_ENC);
    if (t->n_enc > 1) {
        for (unsigned i = 0; i < t->n_enc; i++) {
            struct okno_track_enc *e = &t->enc[i];
            if (i < neg->n_rids)
                g_strlcpy(e->rid, neg->rids[i].id, sizeof e->rid);
            if (i < neg->n_sim) {
                e->ssrc = neg->sim[i];
                e->rtx_ssrc = fid_rtx(neg, e->ssrc);
            }
        }
    } else if (neg->n_fids > 0) {
        t->enc[0].ssrc = neg->fids[0].primary;
        t->enc[0].rtx_ssrc = neg->fids[0].rtx;
    } else if (neg->n_ssrcs > 0) {
        t->enc[0].ssrc = neg->ssrcs[0];
    }
    t->ssrc = t->enc[0].ssrc;
}

int okno_track_new(struct okno_participant *owner, const char *id, const struct okno_pub_track *neg,
                   struct okno_track **out)
{
    bool video = neg->kind == OKNO_MEDIA_VIDEO;
    struct okno_track *t = g_new0(struct okno_track, 1);
    /* Not asked again of the publisher once it could no longer be played (sfu/track_rtx.h). */
    const struct okno_nack_config nack_cfg = okno_track_rtx_nack_config(owner);
    take_encodings(t, neg);
    for (unsigned i = 0; i < t->n_enc; i++) {
        struct okno_track_enc *e = &t->enc[i];
        if (okno_packet_cache_create(video ? 1024 : 128, &e->cache) != 0 ||
            (video && okno_nack_generator_create(&nack_cfg, &e->nack) != 0)) {
            for (unsigned j = 0; j <= i; j++)
                enc_free(&t->enc[j]);
            g_free(t);
            return OKNO_E_NOMEM;
        }
        okno_keyframe_requester_init(&e->kr);
        okno_collapse_watch_init(&e->collapse);
        okno_layer_meter_init(&e->meter);
    }
    t->owner = owner;
    t->subs = g_ptr_array_new();
    g_strlcpy(t->id, id, sizeof t->id);
    g_strlcpy(t->mid, neg->mid, sizeof t->mid);
    t->video = video;
    t->rid_ext = neg->ext_ids[OKNO_EXT_RID];
    t->rrid_ext = neg->ext_ids[OKNO_EXT_RRID];
    t->pt = neg->codec.pt;
    t->rtx_pt = neg->rtx_pt;
    t->red_pt = -1; /* RED is taken for audio only */
    if (neg->kind == OKNO_MEDIA_AUDIO)
        t->red_pt = neg->red_pt;
    t->clock = neg->codec.clock;
    t->codec = neg->codec;
    /* Seeded with the track's address: tracks made together do not report in lockstep. */
    okno_rtcp_scheduler_init(&t->report,
                             video ? OKNO_RTCP_VIDEO_INTERVAL_US : OKNO_RTCP_AUDIO_INTERVAL_US, 0,
                             (uint32_t)(uintptr_t)t, g_get_monotonic_time());
    *out = t;
    return 0;
}

/* "pN-vM encodings received: q ssrc S P packets, h ...": what came of each encoding, for the log
 * (tests read it to see every simulcast layer arrived). */
static void log_encodings(const struct okno_track *t)
{
    char line[256];
    size_t at = 0;
    for (unsigned i = 0; i < t->n_enc && at < sizeof line; i++) {
        const struct okno_track_enc *e = &t->enc[i];
        int n = snprintf(line + at, sizeof line - at, "%s%s ssrc %u %llu packets", i ? ", " : "",
                         e->rid[0] ? e->rid : "-", e->ssrc, (unsigned long long)e->packets);
        if (n < 0)
            break;
        at += (size_t)n;
    }
    okno_log(OKNO_LOG_INFO, "sfu", "%s encodings received: %s", t->id, at ? line : "none");
}

void okno_track_free(struct okno_track *t)
{
    if (!t)
        return;
    if (t->video) {
        log_encodings(t);
        okno_track_log_rtx(t);
    }
    for (unsigned i = 0; i < t->n_enc; i++)
        enc_free(&t->enc[i]);
    g_ptr_array_free(t->subs, TRUE);
    g_free(t);
}

struct okno_track_enc *okno_track_enc_by_ssrc(struct okno_track *t, uint32_t ssrc)
{
    for (unsigned i = 0; ssrc != 0 && i < t->n_enc; i++)
        if (t->enc[i].ssrc == ssrc)
            return &t->enc[i];
    return NULL;
}

struct okno_track_enc *okno_track_enc_by_rtx_ssrc(struct okno_track *t, uint32_t ssrc)
{
    for (unsigned i = 0; ssrc != 0 && i < t->n_enc; i++)
        if (t->enc[i].rtx_ssrc == ssrc)
            return &t->enc[i];
    return NULL;
}

struct okno_track_enc *okno_track_enc_by_rid(struct okno_track *t, const char *s, size_t n)
{
    for (unsigned i = 0; i < t->n_enc; i++) {
        const char *rid = t->enc[i].rid;
        if (rid[0] && strlen(rid) == n && memcmp(rid, s, n) == 0)
            return &t->enc[i];
    }
    return NULL;
}

bool okno_track_learn_ssrc(struct okno_track *t, struct okno_track_enc *e, uint32_t ssrc, bool rtx)
{
    if (ssrc == 0)
        return false;
    if (rtx) {
        e->rtx_ssrc = ssrc;
        return false;
    }
    if (e->ssrc != ssrc) {
        /* A new stream on the encoding (the client restarted it): its counters start again. */
        e->ssrc = ssrc;
        e->rs_ready = false;
    }
    if (t->ssrc != 0)
        return false;
    t->ssrc = ssrc;
    return true;
}

/* A collapse's keyframe: what went missing in it is not asked for again until the keyframe comes
 * (nack_generator.h), so that its retransmissions do not cross the collapsed uplink ahead of it. */
static void request_collapse_keyframe(struct okno_track *t, struct okno_track_enc *e,
                                      int64_t now_us)
{
    okno_track_request_keyframe(t, e->ssrc, now_us);
    if (e->nack)
        okno_nack_generator_hold(e->nack, now_us + okno_keyframe_requester_retry_us(&e->kr));
}

/* The publisher's uplink queue is drained while a collapse of e overflows it, and the keyframe
 * is asked for with the drain's cap (sfu/uplink_drain.h). */
static void drain_on_collapse(struct okno_track *t, struct okno_track_enc *e, int64_t now_us)
{
    struct okno_uplink_drain *d = &t->owner->drain;
    if (e->collapse.since_us < 0 ||
        !okno_uplink_drain_begin(d, e->collapse.since_us, t->owner->rtt_us, now_us))
        return;
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s: its uplink collapsed (%llu kbit/s arrive): capped at %llu kbit/s while its "
             "queue drains, keyframe asked",
             t->owner->id, (unsigned long long)(d->full_bps / 1000u),
             (unsigned long long)(d->cap_bps / 1000u));
    if (okno_collapse_watch_ask(&e->collapse))
        request_collapse_keyframe(t, e, now_us);
}

void okno_track_on_rtp(struct okno_track *t, struct okno_track_enc *e, const uint8_t *pkt,
                       size_t len, const struct okno_rtp_pkt *rtp, bool retransmission,
                       int64_t now_us)
{
    struct okno_vp8_packet vp8;
    bool parsed = t->video && okno_vp8_parse(rtp->payload, rtp->payload_len, &vp8) == 0;
    bool keyframe = parsed && okno_vp8_is_keyframe(&vp8);
    int64_t expected_us = -1; /* a retransmission that filled a gap: when it was expected */
    okno_uplink_drain_on_packet(&t->owner->drain, len, now_us);
    if (e->nack) {
        unsigned flags = (keyframe ? OKNO_NACK_PKT_KEYFRAME : 0) |
                         (retransmission ? OKNO_NACK_PKT_RETRANSMISSION : 0);
        unsigned r = okno_nack_generator_on_packet(e->nack, rtp->seq, flags, now_us);
        bool collapse =
            !retransmission && !(r & OKNO_NACK_DUPLICATE) &&
            okno_collapse_watch_on_packet(&e->collapse, rtp->seq, keyframe, e->kr.rtt_us, now_us);
        drain_on_collapse(t, e, now_us);
        if (collapse)
            request_collapse_keyframe(t, e, now_us);
        else if (r & OKNO_NACK_KEYFRAME)
            okno_track_request_keyframe(t, e->ssrc, now_us);
        if (r & OKNO_NACK_DUPLICATE)
            return; /* every subscription has it already */
        if (retransmission && (r & (OKNO_NACK_RECOVERED | OKNO_NACK_REORDERED)))
            expected_us = okno_nack_generator_last_missing_us(e->nack);
    }
    /* A recovered packet is as old as when it was expected: subscribers' NACKs for it are
     * answered by its playout deadline, not by when okno finally got it. */
    if (okno_packet_cache_store(e->cache, pkt, len, expected_us >= 0 ? expected_us : now_us) ==
        OKNO_E_EXISTS)
        return;
    if (!e->rs_ready)
        e->rs_ready = okno_recv_stats_init(&e->rs, rtp->ssrc, t->clock ? t->clock : 90000) == 0;
    okno_recv_stats_on_packet(&e->rs, rtp->seq, rtp->ts, retransmission, now_us);
    if (!retransmission)
        e->packets++;
    if (parsed && !retransmission) {
        okno_layer_meter_on_packet(&e->meter, vp8.desc.has_tid ? vp8.desc.tid : 0, len, now_us);
        if (!okno_track_enc_flowing(e, now_us))
            e->flow_since_us = now_us;
        e->last_media_us = now_us;
    }
    if (keyframe)
        okno_keyframe_requester_on_keyframe(&e->kr, now_us);
    for (guint i = 0; i < t->subs->len; i++) {
        if (expected_us >= 0)
            okno_subscription_send_late(t->subs->pdata[i], rtp, pkt, len, expected_us, now_us);
        else
            okno_subscription_send(t->subs->pdata[i], rtp, pkt, len, now_us);
    }
}

bool okno_track_enc_flowing(const struct okno_track_enc *e, int64_t now_us)
{
    return e->ssrc != 0 && e->last_media_us != 0 &&
           now_us - e->last_media_us <= OKNO_TRACK_ENC_IDLE_US;
}

bool okno_track_enc_steady(const struct okno_track_enc *e, int64_t now_us)
{
    return okno_track_enc_flowing(e, now_us) &&
           now_us - e->flow_since_us >= OKNO_TRACK_ENC_STEADY_US;
}

int okno_track_cache_get(const struct okno_track *t, uint32_t ssrc, uint16_t seq,
                         struct okno_cached_packet *out)
{
    for (unsigned i = 0; ssrc != 0 && i < t->n_enc; i++)
        if (t->enc[i].ssrc == ssrc)
            return okno_packet_cache_get(t->enc[i].cache, seq, out);
    return OKNO_E_NOTFOUND;
}

void okno_track_on_sr(struct okno_track *t, struct okno_track_enc *e, uint64_t ntp, int64_t now_us)
{
    (void)t;
    if (e->rs_ready)
        okno_recv_stats_on_sr(&e->rs, ntp, now_us);
}

/* Sends a receiver report (rr, or an empty one) followed by fb[0..fb_len), to the publisher. */
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

static void send_pli(struct okno_track *t, const struct okno_track_enc *e)
{
    uint8_t pli[OKNO_RTCP_FB_HEADER_LEN];
    int n = okno_rtcp_pli_build(OKNO_RTCP_SSRC, e->ssrc, pli, sizeof pli);
    send_feedback(t, pli, n, NULL);
}

/* Whether a PLI for e can reach the publisher now: the requester counts what it lets out as sent,
 * so a request made before the connection is up waits instead of being lost to its retry wait. */
static bool publisher_reachable(const struct okno_track *t, const struct okno_track_enc *e)
{
    return t->video && e->ssrc != 0 && t->owner->pub_peer &&
           okno_peer_connected(t->owner->pub_peer);
}

void okno_track_request_keyframe(struct okno_track *t, uint32_t ssrc, int64_t now_us)
{
    struct okno_track_enc *e = okno_track_enc_by_ssrc(t, ssrc);
    if (!t->video || !e)
        return;
    okno_keyframe_requester_request(&e->kr, now_us);
    /* The first request goes out at once; later ones wait in the requester for the timer. */
    if (publisher_reachable(t, e) && okno_keyframe_requester_poll(&e->kr, now_us))
        send_pli(t, e);
}

/* The RTT to the publisher's client, measured on its subscriber connection (the same path): 0 while
 * unknown. */
static int64_t owner_rtt(const struct okno_track *t)
{
    return t->owner->rtt_us > 0 ? t->owner->rtt_us : 0;
}

static void tick_enc(struct okno_track *t, struct okno_track_enc *e, int64_t rtt, int64_t now_us)
{
    okno_layer_meter_update(&e->meter, now_us); /* a layer that stopped reads as stopped */
    /* A peak that decays by an eighth a second while the encoding is sent: the last, partial
     * second of an encoding the publisher stops does not make it look cheap. */
    if (e->meter.n_temporal > 0 && e->meter.window_start_us != e->last_window_us) {
        e->last_window_us = e->meter.window_start_us;
        uint32_t bps = okno_layer_meter_bps(&e->meter, (uint8_t)(e->meter.n_temporal - 1));
        uint32_t decayed = e->last_bps - e->last_bps / 8;
        e->last_bps = bps > decayed ? bps : decayed;
    }
    if (publisher_reachable(t, e)) {
        okno_keyframe_requester_set_rtt(&e->kr, rtt);
        if (okno_keyframe_requester_poll(&e->kr, now_us))
            send_pli(t, e);
    }
    if (e->nack && e->ssrc) {
        uint16_t lost[MAX_NACK_PER_TICK];
        size_t n = okno_nack_generator_poll(e->nack, now_us, rtt, lost, MAX_NACK_PER_TICK);
        if (n > 0) {
            uint8_t nack[OKNO_RTCP_FB_HEADER_LEN + 4 * MAX_NACK_PER_TICK];
            int len = okno_rtcp_nack_build(OKNO_RTCP_SSRC, e->ssrc, lost, n, nack, sizeof nack);
            send_feedback(t, nack, len, NULL);
        }
    }
}

void okno_track_tick(struct okno_track *t, int64_t now_us)
{
    int64_t rtt = owner_rtt(t);
    for (unsigned i = 0; i < t->n_enc; i++)
        tick_enc(t, &t->enc[i], rtt, now_us);
    if (okno_rtcp_scheduler_report_due(&t->report, now_us)) {
        okno_rtcp_scheduler_on_report_sent(&t->report, now_us);
        struct okno_rtcp_rr rr = {.ssrc = OKNO_RTCP_SSRC};
        for (unsigned i = 0; i < t->n_enc; i++) {
            struct okno_track_enc *e = &t->enc[i];
            if (e->rs_ready &&
                okno_recv_stats_report(&e->rs, now_us, &rr.blocks[rr.report_count]) == 0)
                rr.report_count++;
        }
        if (rr.report_count > 0)
            send_feedback(t, NULL, 0, &rr);
    }
    for (guint i = 0; i < t->subs->len; i++)
        okno_subscription_tick(t->subs->pdata[i], now_us);
}
