/* The media path into a participant (participant_media.h): parse, find the track or subscription,
 * hand over. Lookups are linear over a participant's few tracks and sections, which beats any
 * index at these sizes and allocates nothing. */
#include "sfu/participant_media.h"

#include <string.h>

#include "core/log.h"
#include "net/peer.h"
#include "net/rx_stamp.h"
#include "okno/err.h"

#include "sfu/participant.h"
#include "sfu/participant_alloc.h"
#include "sfu/pub_fb.h"
#include "sfu/sub_bwe.h"
#include "sfu/subscription.h"
#include "sfu/track.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/rtp_ext.h"
#include "wire/rtx.h"

/* NACKed numbers handled per feedback packet; a longer list is cut (the rest is asked again). */
#define MAX_NACKED 64

/* The track and encoding of a media SSRC (rtx false) or RTX SSRC (rtx true) already known. */
static struct okno_track *track_by_ssrc(struct okno_participant *p, uint32_t ssrc, bool rtx,
                                        struct okno_track_enc **enc)
{
    for (guint i = 0; i < p->tracks->len; i++) {
        struct okno_track *t = p->tracks->pdata[i];
        *enc = rtx ? okno_track_enc_by_rtx_ssrc(t, ssrc) : okno_track_enc_by_ssrc(t, ssrc);
        if (*enc)
            return t;
    }
    return NULL;
}

/* t's SSRC became known: subscribers' sections waited for it, their next offers can announce it.
 */
static void announce(struct okno_track *t)
{
    for (guint s = 0; s < t->subs->len; s++) {
        struct okno_subscription *sub = t->subs->pdata[s];
        sub->subscriber->offer_dirty = true;
        okno_participant_renegotiate(sub->subscriber);
    }
}

/* The section a packet names in its mid extension, or NULL. */
static struct okno_track *track_by_mid(struct okno_participant *p, const struct okno_rtp_pkt *rtp)
{
    const char *mid;
    size_t n;
    if (!p->pub_mid_ext || okno_rtp_ext_get_mid(rtp, (uint8_t)p->pub_mid_ext, &mid, &n) != 0)
        return NULL;
    for (guint i = 0; i < p->tracks->len; i++) {
        struct okno_track *t = p->tracks->pdata[i];
        if (strlen(t->mid) == n && memcmp(t->mid, mid, n) == 0)
            return t;
    }
    return NULL;
}

/* A simulcast packet names its encoding in the rid extension (repaired-rid for its RTX) on the
 * first packets of each stream; the SSRC is learned from them, later packets carry no rid. */
static struct okno_track_enc *learn_by_rid(struct okno_track *t, const struct okno_rtp_pkt *rtp,
                                           bool *rtx)
{
    const char *rid;
    size_t n;
    *rtx = false;
    if (t->rid_ext && rtp->pt == t->pt && okno_rtp_ext_get_rid(rtp, t->rid_ext, &rid, &n) == 0)
        return okno_track_enc_by_rid(t, rid, n);
    *rtx = true;
    if (t->rrid_ext && t->rtx_pt >= 0 && rtp->pt == t->rtx_pt &&
        okno_rtp_ext_get_repaired_rid(rtp, t->rrid_ext, &rid, &n) == 0)
        return okno_track_enc_by_rid(t, rid, n);
    return NULL;
}

/* A stream not announced in the SDP: its section from the mid extension (or, without one, the
 * simulcast track whose rid it names), its encoding from the rid extensions, or, for a track of one
 * encoding, the payload type tells the media stream from its RTX. */
static struct okno_track *learn(struct okno_participant *p, const struct okno_rtp_pkt *rtp,
                                struct okno_track_enc **enc)
{
    struct okno_track *t = track_by_mid(p, rtp);
    bool rtx = false;
    *enc = NULL;
    if (t && okno_track_simulcast(t)) {
        *enc = learn_by_rid(t, rtp, &rtx);
    } else if (t) {
        if (t->enc[0].ssrc == 0 && okno_track_media_pt(t, rtp->pt))
            *enc = &t->enc[0];
        else if (t->enc[0].rtx_ssrc == 0 && t->rtx_pt >= 0 && rtp->pt == t->rtx_pt)
            *enc = &t->enc[0], rtx = true;
    } else {
        for (guint i = 0; i < p->tracks->len && !*enc; i++) {
            t = p->tracks->pdata[i];
            if (okno_track_simulcast(t))
                *enc = learn_by_rid(t, rtp, &rtx);
        }
    }
    if (!*enc)
        return NULL;
    if ((*enc)->rid[0])
        okno_log(OKNO_LOG_INFO, "sfu", "%s: encoding %s of %s %s on ssrc %u (rid extension)", p->id,
                 (*enc)->rid, t->id, rtx ? "RTX" : "media", rtp->ssrc);
    if (okno_track_learn_ssrc(t, *enc, rtp->ssrc, rtx))
        announce(t);
    return t;
}

/* RFC 4588: the original goes back together in the participant's RTX scratch and is handled as if
 * it had come first time (it fills the gap the NACK asked about). Padding-only probes end here. */
static void on_rtx(struct okno_participant *p, struct okno_track *t, struct okno_track_enc *e,
                   const uint8_t *pkt, size_t len, int64_t now_us)
{
    if (e->ssrc == 0)
        return;
    int n = okno_rtx_unwrap(pkt, len, p->rtx, sizeof p->rtx, e->ssrc, t->pt);
    struct okno_rtp_pkt orig;
    if (n > 0 && okno_rtp_parse(p->rtx, (size_t)n, &orig) == 0)
        okno_track_on_rtp(t, e, p->rtx, (size_t)n, &orig, true, now_us);
}

void okno__participant_on_pub_rtp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_participant *p = owner;
    struct okno_rtp_pkt rtp;
    if (okno_rtp_parse(pkt, len, &rtp) != 0)
        return;
    /* Every packet of the transport, whatever becomes of it below: the publisher's congestion
     * control counts them all. At the kernel's arrival time: this worker's wake-up waits for
     * whatever it did before (a room's fan-out), which the publisher would read as queuing on its
     * link (a probe cluster of 13 packets sent over 15 ms "arrived" over 29 ms on a 2.5 Mbit/s
     * link that carried it all, with okno sharing 2 cores with okno-bench's encoders). */
    if (p->pub_fb) {
        int64_t stamp = 0;
        int rc = p->pub_peer ? okno_peer_rx_time(p->pub_peer, &stamp) : OKNO_E_STATE;
        okno_pub_fb_on_rtp(p->pub_fb, &rtp, len, okno_rx_stamp_arrival(rc, stamp, now_us));
    }
    struct okno_track_enc *e;
    struct okno_track *t = track_by_ssrc(p, rtp.ssrc, false, &e);
    if (t && okno_track_media_pt(t, rtp.pt)) {
        okno_track_on_rtp(t, e, pkt, len, &rtp, false, now_us);
        return;
    }
    if (!t)
        t = track_by_ssrc(p, rtp.ssrc, true, &e);
    if (!t)
        t = learn(p, &rtp, &e);
    if (!t)
        return; /* a stream okno did not negotiate (FEC, a simulcast layer it does not take) */
    if (rtp.ssrc == e->ssrc && okno_track_media_pt(t, rtp.pt))
        okno_track_on_rtp(t, e, pkt, len, &rtp, false, now_us);
    else if (rtp.ssrc == e->rtx_ssrc && t->rtx_pt >= 0 && rtp.pt == t->rtx_pt)
        on_rtx(p, t, e, pkt, len, now_us);
}

void okno__participant_on_pub_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_participant *p = owner;
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt rp;
    okno_rtcp_iter_init(&it, pkt, len);
    while (okno_rtcp_iter_next(&it, &rp) == 1) {
        if (rp.pt != OKNO_RTCP_SR)
            continue;
        struct okno_rtcp_sr sr;
        if (okno_rtcp_sr_parse(&rp, &sr) != 0)
            continue;
        struct okno_track_enc *e;
        struct okno_track *t = track_by_ssrc(p, sr.ssrc, false, &e);
        if (t)
            okno_track_on_sr(t, e, sr.ntp, now_us);
    }
}

static struct okno_subscription *sub_by_ssrc(struct okno_participant *p, uint32_t ssrc)
{
    for (guint i = 0; i < p->subs->len; i++) {
        struct okno_subscription *sub = p->subs->pdata[i];
        if (sub->track && sub->ssrc == ssrc)
            return sub;
    }
    return NULL;
}

static void on_feedback(struct okno_participant *p, const struct okno_rtcp_pkt *rp, int64_t now_us)
{
    struct okno_rtcp_fb fb;
    if (okno_rtcp_fb_parse(rp, &fb) != 0)
        return;
    switch (okno_rtcp_fb_kind(&fb)) {
    case OKNO_RTCP_FB_PLI: {
        struct okno_subscription *sub = sub_by_ssrc(p, fb.media_ssrc);
        if (sub)
            okno_track_request_keyframe(sub->track, okno__participant_alloc_source(sub, now_us),
                                        now_us);
        break;
    }
    case OKNO_RTCP_FB_FIR: {
        struct okno_rtcp_fir_entry entries[8];
        int n = okno_rtcp_fir_parse(&fb, entries, G_N_ELEMENTS(entries));
        if (n == OKNO_E_NOSPC)
            n = G_N_ELEMENTS(entries);
        for (int i = 0; i < n; i++) {
            struct okno_subscription *sub = sub_by_ssrc(p, entries[i].ssrc);
            if (sub)
                okno_track_request_keyframe(sub->track, okno__participant_alloc_source(sub, now_us),
                                            now_us);
        }
        break;
    }
    case OKNO_RTCP_FB_TWCC:
        if (p->sub_bwe)
            okno_sub_bwe_on_feedback(p->sub_bwe, rp->raw, rp->raw_len, now_us);
        break;
    case OKNO_RTCP_FB_REMB: {
        struct okno_rtcp_remb remb;
        if (p->sub_bwe && okno_rtcp_remb_parse(&fb, &remb) == 0)
            okno_sub_bwe_on_remb(p->sub_bwe, remb.bitrate, now_us);
        break;
    }
    case OKNO_RTCP_FB_NACK: {
        struct okno_subscription *sub = sub_by_ssrc(p, fb.media_ssrc);
        if (!sub)
            break;
        uint16_t lost[MAX_NACKED];
        int n = okno_rtcp_nack_expand(&fb, lost, MAX_NACKED);
        if (n == OKNO_E_NOSPC)
            n = MAX_NACKED;
        if (n > 0)
            okno_subscription_on_nack(sub, lost, (size_t)n, now_us);
        break;
    }
    default:
        break;
    }
}

/* Report blocks about okno's streams: RTT and loss for each subscription, and the client's RTT;
 * the estimator gets the RTT and the loss of all the blocks together, over the packets each stream
 * sent since its previous report. */
static void on_reports(struct okno_participant *p, const struct okno_rtcp_pkt *rp, int64_t now_us)
{
    struct okno_rtcp_rr rr;
    if (rp->pt == OKNO_RTCP_SR) {
        struct okno_rtcp_sr sr;
        if (okno_rtcp_sr_parse(rp, &sr) != 0)
            return;
        rr.report_count = sr.report_count;
        memcpy(rr.blocks, sr.blocks, sizeof rr.blocks);
    } else if (okno_rtcp_rr_parse(rp, &rr) != 0) {
        return;
    }
    uint64_t packets = 0, lost = 0;
    for (unsigned i = 0; i < rr.report_count && i < G_N_ELEMENTS(rr.blocks); i++) {
        const struct okno_rtcp_report_block *b = &rr.blocks[i];
        struct okno_subscription *sub = sub_by_ssrc(p, b->ssrc);
        if (!sub)
            continue;
        bool before = sub->stats.have_report;
        uint32_t prev = sub->stats.ext_highest_seq;
        int64_t rtt = okno_subscription_on_report(sub, b, now_us);
        if (rtt > 0)
            p->rtt_us = rtt;
        uint32_t span = b->ext_highest_seq - prev;
        /* A first report, or one going backwards (a new stream on the SSRC), spans nothing known.
         */
        if (before && sub->stats.have_report && span > 0 && span < 0x8000u) {
            packets += span;
            lost += (uint64_t)span * b->fraction_lost;
        }
    }
    if (!p->sub_bwe)
        return;
    if (p->rtt_us > 0)
        okno_sub_bwe_on_rtt(p->sub_bwe, p->rtt_us, now_us);
    if (packets > 0)
        okno_sub_bwe_on_loss(p->sub_bwe, (uint8_t)(lost / packets), (uint32_t)packets, now_us);
}

void okno__participant_on_sub_rtcp(void *owner, uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_participant *p = owner;
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt rp;
    okno_rtcp_iter_init(&it, pkt, len);
    while (okno_rtcp_iter_next(&it, &rp) == 1) {
        if (rp.pt == OKNO_RTCP_RTPFB || rp.pt == OKNO_RTCP_PSFB)
            on_feedback(p, &rp, now_us);
        else if (rp.pt == OKNO_RTCP_RR || rp.pt == OKNO_RTCP_SR)
            on_reports(p, &rp, now_us);
    }
}
