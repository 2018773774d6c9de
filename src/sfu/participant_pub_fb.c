/* Publisher feedback glue (participant_pub_fb.h): negotiation, cap, sending, counters. Feedback is
 * built straight into the participant's send scratch behind an empty receiver report and sent on
 * the publisher connection; nothing is allocated after the first answer. */
#include "sfu/participant_pub_fb.h"

#include "core/log.h"
#include "net/peer.h"
#include "sfu/participant.h"
#include "sfu/participant_alloc.h"
#include "sfu/pub_fb.h"
#include "sfu/room.h"
#include "sfu/subscription.h"
#include "sfu/sfu_core.h"
#include "sfu/track.h"
#include "wire/rtcp.h"
#include "wire/rtcp_report.h"

/* Every compound okno builds for a publisher stays within this, so that with SRTCP's trailer, UDP
 * and IP it fits any path MTU okno serves (the DTLS handshake uses the same bound). */
#define PUB_FB_MAX_RTCP 1200
/* An empty receiver report before each feedback packet. */
#define EMPTY_RR_LEN 8
/* Feedback packets sent per tick at most; the rest of a large window goes at the next tick. */
#define MAX_TWCC_PER_TICK 8

/* A video the allocator paused for its subscriber (participant_alloc.h): it takes nothing of the
 * subscriber's link, so it neither shares its budget nor holds its publisher down. */
static bool paused(const struct okno_subscription *s)
{
    return s->alloc_on && s->alloc.cur.paused;
}

uint64_t okno__participant_pub_fb_video_share(const struct okno_participant *sub)
{
    struct okno_bwe_estimate est;
    if (okno_participant_bwe_estimate(sub, &est) < 0 || est.target_bps == 0)
        return 0;
    uint64_t videos = 0, audios = 0;
    for (guint i = 0; i < sub->subs->len; i++) {
        const struct okno_subscription *s = sub->subs->pdata[i];
        if (s->track && !paused(s))
            *(s->video ? &videos : &audios) += 1;
    }
    if (videos == 0)
        return 0;
    uint64_t audio = audios * OKNO_ALLOC_AUDIO_BPS;
    uint64_t left = est.target_bps > audio ? est.target_bps - audio : 0;
    return MAX(left / videos, OKNO_PUB_FB_MIN_VIDEO_BPS);
}

int okno__participant_pub_fb_shaped(const struct okno_track *t, uint64_t *share_bps)
{
    int top = -1;
    uint64_t share = 0;
    for (guint j = 0; j < t->subs->len; j++) {
        const struct okno_subscription *s = t->subs->pdata[j];
        if (!s->dt || paused(s))
            continue;
        /* Not yet allocated: the subscriber starts on the first encoding known. Allocated: the
         * encoding it receives, or the one it may move to soon (sfu/allocator.h ahead_spatial), so
         * that the publisher has started that one by then. */
        int chosen = s->alloc_on ? MAX(s->alloc.cur.spatial, s->alloc.ahead_spatial) : 0;
        if (chosen > top) {
            top = chosen;
            share = 0;
        }
        /* A client's limit is what it wants, not a rate to shape an encoder to. */
        if (chosen == top && s->alloc_on && s->subscriber && !s->subscriber->receive_limit_bps)
            share = MAX(share, okno__participant_pub_fb_video_share(s->subscriber));
    }
    *share_bps = share;
    return top;
}

/* What a simulcast track needs to send: every encoding up to the highest any subscriber's
 * allocation chose or is heading to (the encoder fills lower ones first, so they go anyway). With
 * a share to follow (okno__participant_pub_fb_shaped) the lower ones at their cost (the encoder
 * gives them their own targets) and the top one that share, which a publisher's encoder gives its
 * top encoding whole; otherwise each at its cost (at least its nominal rate:
 * okno__participant_alloc_enc_room) with OKNO_PUB_FB_SIMULCAST_HEADROOM_PCT on top. With nobody
 * receiving it, its lowest encoding's. Layers above the highest chosen are left no room, so the
 * publisher's encoder stops them. */
static uint64_t simulcast_need_bps(const struct okno_track *t)
{
    uint64_t share = 0;
    int top = MIN(okno__participant_pub_fb_shaped(t, &share), (int)t->n_enc - 1);
    uint64_t need = 0;
    if (top >= 0 && share > 0) {
        for (int i = 0; i < top; i++)
            need += okno__participant_alloc_enc_cost(t, (unsigned)i);
        return need + share;
    }
    for (int i = 0; i <= MAX(top, 0) && i < t->n_enc; i++)
        need += okno__participant_alloc_enc_room(t, (unsigned)i);
    return need * (100u + OKNO_PUB_FB_SIMULCAST_HEADROOM_PCT) / 100u;
}

uint64_t okno_participant_publisher_cap_bps(const struct okno_participant *p)
{
    uint64_t max = (uint64_t)p->room->sfu->max_publisher_kbps * 1000u;
    bool watched = false, single = false;
    uint64_t weakest = UINT64_MAX, simulcast = 0;
    for (guint i = 0; i < p->tracks->len; i++) {
        const struct okno_track *t = p->tracks->pdata[i];
        if (!t->video)
            continue;
        if (okno_track_simulcast(t)) {
            simulcast += simulcast_need_bps(t);
            continue;
        }
        single = true;
        for (guint j = 0; j < t->subs->len; j++) {
            const struct okno_subscription *s = t->subs->pdata[j];
            if (paused(s))
                continue; /* resumes when its estimate fits the floor, whatever p sends */
            watched = true;
            uint64_t budget = okno__participant_pub_fb_video_share(s->subscriber);
            if (budget > 0 && budget < weakest)
                weakest = budget;
        }
    }
    /* Simulcast alone: each subscriber takes the encoding that fits it, so the publisher sends
     * what the encodings chosen need (unwatched: its lowest encoding), whatever the links. */
    if (!single)
        return simulcast > 0 ? MIN(max, simulcast + OKNO_ALLOC_AUDIO_BPS)
                             : MIN(max, OKNO_PUB_FB_UNWATCHED_BPS);
    /* Nobody receives the video: audio and a low layer are all that needs to go up. */
    if (!watched)
        return MIN(max, MAX(OKNO_PUB_FB_UNWATCHED_BPS, simulcast + OKNO_ALLOC_AUDIO_BPS));
    /* One stream serves every subscriber (okno forwards a single layer), so it must fit the
     * weakest subscriber's link, or that subscriber drowns while the others do not need more. */
    if (weakest != UINT64_MAX)
        return MIN(max, weakest + simulcast + OKNO_ALLOC_AUDIO_BPS);
    return max;
}

void okno__participant_pub_fb_negotiated(struct okno_participant *p,
                                         const struct okno_publication *pub)
{
    uint8_t twcc_id = 0;
    bool remb = false;
    for (unsigned i = 0; i < pub->n_tracks; i++) {
        const struct okno_pub_track *t = &pub->tracks[i];
        /* BUNDLE: one id per extension for the whole transport; take the first section's. */
        if (!twcc_id && t->ext_ids[OKNO_EXT_TWCC] && (t->fb & OKNO_FB_TRANSPORT_CC))
            twcc_id = t->ext_ids[OKNO_EXT_TWCC];
        remb = remb || (t->fb & OKNO_FB_GOOG_REMB);
    }
    if (!p->pub_fb) {
        p->pub_fb = g_new(struct okno_pub_fb, 1);
        okno_pub_fb_init(p->pub_fb, OKNO_RTCP_SSRC, PUB_FB_MAX_RTCP - EMPTY_RR_LEN);
    }
    if (twcc_id != p->pub_fb->twcc_id || remb != p->pub_fb->remb)
        okno_log(OKNO_LOG_INFO, "sfu", "%s publisher feedback: transport-cc %s (id %u), REMB %s",
                 p->id, twcc_id ? "on" : "off", twcc_id, remb ? "on" : "off");
    okno_pub_fb_configure(p->pub_fb, twcc_id, remb);
}

/* Writes an empty receiver report into w; the feedback packet goes after it. */
static void start_compound(struct okno_participant *p, struct okno_rtcp_writer *w)
{
    struct okno_rtcp_rr empty = {.ssrc = OKNO_RTCP_SSRC};
    okno_rtcp_writer_init(w, p->tx, PUB_FB_MAX_RTCP);
    okno_rtcp_writer_commit(
        w, okno_rtcp_rr_build(&empty, okno_rtcp_writer_tail(w), okno_rtcp_writer_room(w)));
}

static void send_compound(struct okno_participant *p, struct okno_rtcp_writer *w, int built)
{
    if (okno_rtcp_writer_commit(w, built) != 0)
        return;
    int n = okno_rtcp_writer_finish(w);
    if (n > 0)
        okno_peer_send_rtcp(p->pub_peer, p->tx, (size_t)n, sizeof p->tx);
}

static void send_twcc(struct okno_participant *p, int64_t now_us)
{
    for (int i = 0; i < MAX_TWCC_PER_TICK; i++) {
        struct okno_rtcp_writer w;
        start_compound(p, &w);
        uint8_t *tail = okno_rtcp_writer_tail(&w);
        if (!tail)
            return;
        int n = okno_pub_fb_poll_twcc(p->pub_fb, now_us, tail, okno_rtcp_writer_room(&w));
        if (n <= 0)
            return;
        send_compound(p, &w, n);
    }
}

static void send_remb(struct okno_participant *p, int64_t now_us)
{
    uint64_t cap = okno_participant_publisher_cap_bps(p);
    uint64_t drain = okno_uplink_drain_cap(&p->drain, now_us);
    if (drain > 0 && drain < cap)
        cap = drain;
    /* Only the moves that send a REMB at once are news; small ones follow estimates each tick. */
    if (okno_pub_fb_set_cap(p->pub_fb, cap) && p->pub_fb->remb && p->pub_fb->remb_due)
        okno_log(OKNO_LOG_INFO, "sfu", "%s: publisher capped at %llu kbit/s%s", p->id,
                 (unsigned long long)(cap / 1000u),
                 cap == OKNO_PUB_FB_UNWATCHED_BPS ? " (nobody receives its video)" : "");
    uint32_t ssrcs[OKNO_NEG_MAX_MEDIA];
    size_t n = 0;
    for (guint i = 0; i < p->tracks->len && n < G_N_ELEMENTS(ssrcs); i++) {
        const struct okno_track *t = p->tracks->pdata[i];
        for (unsigned e = 0; e < t->n_enc && n < G_N_ELEMENTS(ssrcs); e++)
            if (t->enc[e].ssrc)
                ssrcs[n++] = t->enc[e].ssrc;
    }
    struct okno_rtcp_writer w;
    start_compound(p, &w);
    uint8_t *tail = okno_rtcp_writer_tail(&w);
    if (!tail)
        return;
    int len = okno_pub_fb_poll_remb(p->pub_fb, now_us, ssrcs, n, tail, okno_rtcp_writer_room(&w));
    if (len > 0)
        send_compound(p, &w, len);
}

void okno__participant_pub_fb_tick(struct okno_participant *p, int64_t now_us)
{
    if (!p->pub_fb || !p->pub_peer || !okno_peer_connected(p->pub_peer))
        return;
    send_twcc(p, now_us);
    send_remb(p, now_us);
}

void okno__participant_pub_fb_free(struct okno_participant *p)
{
    struct okno_pub_fb *fb = p->pub_fb;
    if (!fb)
        return;
    const struct okno_pub_fb_counters *c = &fb->counters;
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s publisher feedback: recorded %llu (unnumbered %llu, refused %llu, unreported "
             "%llu), transport-cc sent %llu (build errors %llu), REMB sent %llu (cap %llu "
             "kbit/s), incoming %llu kbit/s",
             p->id, (unsigned long long)c->recorded, (unsigned long long)c->unnumbered,
             (unsigned long long)c->refused, (unsigned long long)fb->rec.unreported,
             (unsigned long long)c->feedbacks, (unsigned long long)c->build_errors,
             (unsigned long long)c->rembs, (unsigned long long)(fb->cap_bps / 1000u),
             (unsigned long long)(okno_pub_fb_rate_bps(fb) / 1000u));
    g_free(fb);
    p->pub_fb = NULL;
}
