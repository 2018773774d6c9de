/* A subscriber's layer allocation on the room timer (participant_alloc.h). */
#include "sfu/participant_alloc.h"

#include <string.h>

#include "core/log.h"
#include "okno/bwe.h"
#include "sfu/allocator.h"
#include "sfu/downtrack.h"
#include "sfu/participant.h"
#include "sfu/participant_pacer.h"
#include "sfu/participant_pub_fb.h"
#include "sfu/sub_bwe.h"
#include "sfu/subscription.h"
#include "sfu/track.h"

/* The cost of an encoding the publisher does not send now and never sent at a measured rate:
 * what okno.js asks of its three layers (q, h, f), so that the allocator can choose it and the
 * publisher's cap then makes room for the encoder to start it. */
static const uint32_t nominal_bps[OKNO_TRACK_MAX_ENC] = {150000, 500000, 1500000};

uint32_t okno__participant_alloc_enc_cost(const struct okno_track *t, unsigned s)
{
    const struct okno_track_enc *e = &t->enc[s];
    uint8_t nt = e->meter.n_temporal;
    uint32_t now = nt ? okno_layer_meter_bps(&e->meter, (uint8_t)(nt - 1)) : 0;
    /* Under half its recent peak: an encoding the publisher is stopping (a last partial second)
     * or starting, not one that became that cheap; it costs its peak, or it would look cheap
     * enough to be chosen the moment the cap has stopped it. */
    if (now && now >= e->last_bps / 2)
        return now;
    return e->last_bps ? e->last_bps : nominal_bps[s < OKNO_TRACK_MAX_ENC ? s : 0];
}

uint32_t okno__participant_alloc_enc_room(const struct okno_track *t, unsigned s)
{
    uint32_t cost = okno__participant_alloc_enc_cost(t, s);
    uint32_t nominal = nominal_bps[s < OKNO_TRACK_MAX_ENC ? s : 0];
    return cost > nominal ? cost : nominal;
}

/* A simulcast track: each encoding costs what it is measured at (its own temporal layers as
 * measured, cumulative); one not sent now costs its last measured total, or a nominal one, as a
 * single layer repeated up the temporal ladder. */
static bool measure_simulcast(struct okno_alloc_video *v, const struct okno_track *t)
{
    uint8_t nt = 0;
    for (unsigned s = 0; s < t->n_enc; s++)
        nt = MAX(nt, t->enc[s].meter.n_temporal);
    if (nt == 0)
        return false;
    nt = MIN(nt, OKNO_ALLOC_MAX_TEMPORAL);
    if (!v->cur.paused && v->cur.temporal + 1 == v->n_temporal && nt > v->n_temporal)
        v->cur.temporal = (uint8_t)(nt - 1);
    v->n_spatial = t->n_enc;
    v->n_temporal = nt;
    for (unsigned s = 0; s < t->n_enc; s++) {
        const struct okno_layer_meter *m = &t->enc[s].meter;
        uint32_t top = okno__participant_alloc_enc_cost(t, s);
        /* Costed above what it sends (stopping or starting): its layers' partial rates say
         * nothing either. */
        bool partial =
            m->n_temporal == 0 || okno_layer_meter_bps(m, (uint8_t)(m->n_temporal - 1)) < top;
        for (uint8_t i = 0; i < nt; i++) {
            uint32_t r = !partial && i < m->n_temporal ? okno_layer_meter_bps(m, i) : 0;
            /* Lower temporal layers cost less, the top what the whole encoding costs. */
            v->bps[s][i] = r ? MIN(r, top) : top;
        }
    }
    return true;
}

/* The least an encoding that follows a subscriber's share (okno__participant_pub_fb_shaped) is
 * chosen at: half the nominal rate of the one below (libwebrtc's encoders keep a layer of that
 * size going down to about that), for the lowest what okno's cap still asks video for. Under it
 * the encoder may stop the encoding anyway: the allocator then follows it down at once. */
static uint32_t elastic_floor(unsigned s)
{
    return s == 0 ? OKNO_PUB_FB_MIN_VIDEO_BPS : nominal_bps[MIN(s, OKNO_TRACK_MAX_ENC) - 1] / 2;
}

/* Whether p alone would set t's top encoding were p moved to the lowest: every other subscriber
 * of t that receives it is on the lowest (and heading nowhere higher) with a share no larger than
 * p's. Then the cap shapes the lowest encoding to p's share once p is on it. */
static bool lowest_follows(const struct okno_participant *p, const struct okno_track *t,
                           uint64_t mine)
{
    for (guint j = 0; j < t->subs->len; j++) {
        const struct okno_subscription *s = t->subs->pdata[j];
        if (s->subscriber == p || !s->dt || (s->alloc_on && s->alloc.cur.paused))
            continue;
        if (s->alloc_on && MAX(s->alloc.cur.spatial, s->alloc.ahead_spatial) > 0)
            return false;
        if (!s->subscriber || s->subscriber->receive_limit_bps ||
            okno__participant_pub_fb_video_share(s->subscriber) > mine)
            return false;
    }
    return true;
}

void okno__participant_alloc_elastic(struct okno_alloc_video *v, const struct okno_participant *p,
                                     const struct okno_track *t)
{
    memset(v->elastic_floor_bps, 0, sizeof v->elastic_floor_bps);
    if (!okno_track_simulcast(t) || p->receive_limit_bps)
        return;
    uint64_t share = 0;
    int top = okno__participant_pub_fb_shaped(t, &share);
    uint64_t mine = okno__participant_pub_fb_video_share(p);
    for (unsigned e = 0; e < t->n_enc && e < OKNO_ALLOC_MAX_SPATIAL; e++) {
        const struct okno_layer_meter *m = &t->enc[e].meter;
        bool sent = m->n_temporal > 0 && okno_layer_meter_bps(m, (uint8_t)(m->n_temporal - 1)) != 0;
        /* The lowest also when p would shape it alone: a budget that fell under what it costs
         * now (h or f held the cap up) is a step down to it, not a pause. */
        bool lowest = sent && e == 0 && mine > 0 && lowest_follows(p, t, mine);
        if (sent && ((int)e > top || (share > 0 && (int)e == top && mine >= share) || lowest))
            v->elastic_floor_bps[e] = elastic_floor(e);
    }
}

/* Fills v's layers from the track's meters; false when nothing was measured (the publisher sends
 * nothing now, or has not started): then the video is left as it is. */
static bool measure(struct okno_alloc_video *v, const struct okno_track *t)
{
    if (okno_track_simulcast(t))
        return measure_simulcast(v, t);
    const struct okno_layer_meter *m = &t->enc[0].meter;
    if (m->n_temporal == 0)
        return false;
    uint8_t nt = m->n_temporal > OKNO_ALLOC_MAX_TEMPORAL ? OKNO_ALLOC_MAX_TEMPORAL : m->n_temporal;
    /* Forwarding every layer stays "every layer" when the publisher adds one. */
    if (!v->cur.paused && v->cur.temporal + 1 == v->n_temporal && nt > v->n_temporal)
        v->cur.temporal = (uint8_t)(nt - 1);
    v->n_spatial = 1;
    v->n_temporal = nt;
    uint64_t top = okno_layer_meter_bps(m, (uint8_t)(nt - 1));
    for (uint8_t i = 0; i < nt; i++) {
        uint64_t r = okno_layer_meter_bps(m, i);
        /* One encoding follows okno's cap: costed at the floor the cap keeps (header comment). */
        if (top > OKNO_PUB_FB_MIN_VIDEO_BPS)
            r = r * OKNO_PUB_FB_MIN_VIDEO_BPS / top;
        v->bps[0][i] = r == 0 && okno_layer_meter_bps(m, i) != 0 ? 1 : (uint32_t)r;
    }
    return true;
}

/* The SSRC of the encoding at spatial s, or, while that one's is not known yet, of the nearest
 * lower one known (then any known). */
static uint32_t enc_ssrc(const struct okno_track *t, unsigned s)
{
    for (unsigned i = MIN(s + 1, t->n_enc); i > 0; i--)
        if (t->enc[i - 1].ssrc)
            return t->enc[i - 1].ssrc;
    return t->ssrc;
}

uint32_t okno__participant_alloc_source(const struct okno_subscription *s, int64_t now_us)
{
    if (!s->track)
        return 0;
    if (!s->alloc_on || s->alloc.cur.paused || !okno_track_simulcast(s->track))
        return s->track->ssrc;
    /* The chosen encoding may not be sent (yet, or any more: the publisher's own estimate paused
     * it, or it has not started it for okno's cap): the highest one below it that is sent stands
     * in, or a subscriber who never had a frame would wait for it with nothing, and one whose
     * encoding stopped would keep its last frame. One above what the subscriber gets now must
     * have been sent steadily first: an encoding the publisher starts and pauses every few
     * seconds would cost a key frame wait each way. */
    const struct okno_track *t = s->track;
    const struct okno_track_enc *cur =
        s->dt ? okno_track_enc_by_ssrc(s->track, okno_downtrack_current(s->dt)) : NULL;
    for (unsigned i = MIN(s->alloc.cur.spatial + 1u, t->n_enc); i > 0; i--) {
        const struct okno_track_enc *e = &t->enc[i - 1];
        if (okno_track_enc_flowing(e, now_us) &&
            (!cur || e <= cur || okno_track_enc_steady(e, now_us)))
            return e->ssrc;
    }
    return enc_ssrc(t, s->alloc.cur.spatial);
}

unsigned okno__participant_alloc_shown_spatial(const struct okno_subscription *s, int64_t now_us)
{
    const struct okno_track_enc *e =
        s->track ? okno_track_enc_by_ssrc(s->track, okno__participant_alloc_source(s, now_us))
                 : NULL;
    return e ? (unsigned)(e - s->track->enc) : s->alloc.cur.spatial;
}

static void apply(struct okno_subscription *s, const struct okno_alloc_video *v, int64_t now_us)
{
    s->now_us = now_us; /* for the downtrack's keyframe callback */
    if (v->cur.paused) {
        okno_downtrack_set_target(s->dt, 0, 3, now_us);
        return;
    }
    /* The top temporal layer measured means every layer: one the publisher adds is not lost. A
     * spatial switch waits in the downtrack for the target encoding's keyframe (asked of the
     * publisher through the track's requester), forwarding the old encoding until it comes. */
    uint8_t tid = v->cur.temporal + 1 >= v->n_temporal ? 3 : v->cur.temporal;
    okno_downtrack_set_target(s->dt, okno__participant_alloc_source(s, now_us), tid, now_us);
}

static void tell(struct okno_participant *p, struct okno_subscription *s,
                 const struct okno_alloc_video *v, enum okno_alloc_reason reason,
                 uint32_t target_bps, int64_t now_us)
{
    const char *why = okno_alloc_reason_name(reason);
    unsigned shown = v->cur.paused ? 0 : okno__participant_alloc_shown_spatial(s, now_us);
    s->told = true;
    s->told_spatial = (uint8_t)shown;
    if (v->cur.paused)
        okno_log(OKNO_LOG_INFO, "sfu", "%s: %s paused (%s, estimate %u kbit/s)", p->id, s->track_id,
                 why, target_bps / 1000u);
    else if (shown != v->cur.spatial)
        okno_log(OKNO_LOG_INFO, "sfu",
                 "%s: %s at spatial %u (standing in for %u, not sent) temporal %u (%s, estimate %u "
                 "kbit/s)",
                 p->id, s->track_id, shown, v->cur.spatial, v->cur.temporal, why,
                 target_bps / 1000u);
    else
        okno_log(OKNO_LOG_INFO, "sfu", "%s: %s at spatial %u temporal %u (%s, estimate %u kbit/s)",
                 p->id, s->track_id, shown, v->cur.temporal, why, target_bps / 1000u);
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_QUALITY,
        .participant = s->publisher,
        .track = s->track_id,
        .paused = v->cur.paused,
        .spatial = (int)shown,
        .temporal = v->cur.paused ? 0 : v->cur.temporal,
        .reason = why,
        .estimate_kbps = target_bps / 1000u,
    };
    okno__participant_emit(p, &ev);
}

/* What the video was forwarded at under its current choice, bits per second (0: paused or not
 * measured): the forwarded encoding's rate up to the temporal layer forwarded. */
static uint32_t forwarded_bps(const struct okno_subscription *s, int64_t now_us)
{
    if (s->alloc.cur.paused)
        return 0;
    const struct okno_track_enc *e =
        okno_track_enc_by_ssrc(s->track, okno__participant_alloc_source(s, now_us));
    if (!e || e->meter.n_temporal == 0)
        return 0;
    uint8_t top = (uint8_t)(e->meter.n_temporal - 1);
    return okno_layer_meter_bps(&e->meter, MIN(s->alloc.cur.temporal, top));
}

static void keyframe_on_collapse(struct okno_participant *p, struct okno_subscription *s,
                                 uint32_t was_bps, const struct okno_bwe_estimate *est,
                                 int64_t now_us)
{
    /* Loss shows an overflow late: a packet the bottleneck dropped is reported once a later one
     * has crossed the full queue, and the report crosses the way back, full as well when both
     * directions fell (RFC 8867's drop to 0.6 Mbit/s: the estimate fell with 160-190 ms queued,
     * the loss showed 0.2 s later). Under an estimate that fell by half, what that much queue
     * holds and what follows it cannot get through in time either, so the drain starts now. */
    bool lost = est->loss_ratio >= OKNO_PARTICIPANT_COLLAPSE_LOSS;
    bool queued = est->queue_delay_us >= OKNO_PARTICIPANT_COLLAPSE_QUEUE_US;
    if (s->alloc.cur.paused || now_us < s->collapse_hold_us || !(lost || queued) ||
        (uint64_t)est->target_bps * OKNO_PARTICIPANT_COLLAPSE_FALL > was_bps)
        return;
    s->now_us = now_us; /* for the downtrack's keyframe callback */
    /* The queue the estimator sees drains once okno stops forwarding the video; the keyframe is
     * asked for as long before that as the publisher takes to send one, so that it leaves okno
     * into a queue just drained rather than a publisher's round trip and an encoding later; but
     * not before half of it has drained, in case the publisher is quicker this time (a keyframe
     * at the new rate fits in half of a queue that overflowed at the old one). */
    int64_t drain_us = MIN(est->queue_delay_us, OKNO_PARTICIPANT_COLLAPSE_MAX_DRAIN_US);
    const struct okno_track_enc *e =
        okno_track_enc_by_ssrc(s->track, okno__participant_alloc_source(s, now_us));
    if (e)
        drain_us -= MIN(okno_keyframe_requester_response_us(&e->kr), drain_us / 2);
    if (!okno_downtrack_restart(s->dt, drain_us, now_us))
        return;
    /* What the pacer still holds of the video is the chain given up: sent, it would only fill
     * the queue the keyframe must cross. */
    okno__participant_pacer_forget(p, s);
    s->collapse_hold_us = now_us + OKNO_PARTICIPANT_COLLAPSE_HOLD_US;
    s->collapse_restarts++;
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s: %s restarts at a keyframe: estimate %u kbit/s under the %u it was sent at, loss "
             "%.1f%%, %lld ms queued",
             p->id, s->track_id, est->target_bps / 1000u, was_bps / 1000u, est->loss_ratio * 100,
             (long long)(est->queue_delay_us / 1000));
}

/* Collapses are looked for at every room tick, not every allocation round: each 100 ms the
 * keyframe comes later is 100 ms more of the freeze. */
static void collapse_check(struct okno_participant *p, const struct okno_bwe_estimate *est,
                           int64_t now_us)
{
    for (guint i = 0; i < p->subs->len; i++) {
        struct okno_subscription *s = p->subs->pdata[i];
        if (s->track && s->video && s->dt && s->targeted && s->alloc_on)
            keyframe_on_collapse(p, s, forwarded_bps(s, now_us), est, now_us);
    }
}

void okno__participant_alloc_tick(struct okno_participant *p, int64_t now_us)
{
    if (p->dropped)
        return;
    struct okno_bwe_estimate est;
    bool have = okno_participant_bwe_estimate(p, &est) == 0 && est.target_bps != 0;
    if (have)
        collapse_check(p, &est, now_us);
    if (now_us < p->alloc_due_us)
        return;
    p->alloc_due_us = now_us + OKNO_PARTICIPANT_ALLOC_INTERVAL_US;
    if (!have)
        return;
    struct okno_alloc_video videos[OKNO_NEG_MAX_MEDIA];
    struct okno_subscription *of[OKNO_NEG_MAX_MEDIA];
    size_t n = 0;
    unsigned n_audio = 0;
    for (guint i = 0; i < p->subs->len; i++) {
        struct okno_subscription *s = p->subs->pdata[i];
        if (!s->track)
            continue;
        if (!s->video) {
            n_audio++;
            continue;
        }
        /* Only what flows: a section not yet answered or not yet started keeps its start. */
        if (!s->dt || !s->targeted || n == OKNO_NEG_MAX_MEDIA)
            continue;
        if (!s->alloc_on) {
            struct okno_alloc_video probe = {0};
            if (!measure(&probe, s->track))
                continue;
            okno_alloc_video_init(&s->alloc, probe.n_spatial, probe.n_temporal,
                                  okno_alloc_role_priority(s->track->owner->role));
            s->alloc_on = true;
        }
        if (!measure(&s->alloc, s->track))
            memset(s->alloc.bps, 0, sizeof s->alloc.bps); /* nothing to decide on */
        okno__participant_alloc_elastic(&s->alloc, p, s->track);
        videos[n] = s->alloc;
        of[n++] = s;
    }
    if (n == 0)
        return;
    const struct okno_alloc_input in = {
        .target_bps = est.target_bps,
        .loss_ratio = est.loss_ratio,
        .congestive_loss = est.congestive_loss,
        .n_audio = n_audio,
        /* The client's receive limit is not an estimate to probe above. */
        .hard_limit = p->receive_limit_bps != 0 && est.target_bps >= p->receive_limit_bps,
        .overuse = est.usage == OKNO_BWE_OVERUSE,
    };
    okno_alloc_run(&in, videos, n, now_us);
    /* What one step up of each video would take, padded up to by the transport's prober so that the
     * estimate can show room for it; nothing once every video has all it could use. */
    uint64_t wanted = (uint64_t)n_audio * OKNO_ALLOC_AUDIO_BPS;
    bool more = false;
    for (size_t i = 0; i < n; i++) {
        wanted += videos[i].want_bps;
        more = more || videos[i].want_bps > videos[i].allocated_bps;
    }
    if (p->sub_bwe)
        okno_sub_bwe_set_wanted_bps(p->sub_bwe, more ? (uint32_t)MIN(wanted, UINT32_MAX) : 0);
    for (size_t i = 0; i < n; i++) {
        of[i]->alloc = videos[i];
        /* A simulcast video starts on whatever encoding was known first, and a chosen encoding
         * may be learned only once the cap lets it start: aimed again each round (a no-op for
         * the downtrack when nothing moved). */
        bool simulcast = okno_track_simulcast(of[i]->track) && !videos[i].cur.paused;
        if (videos[i].changed || simulcast)
            apply(of[i], &videos[i], now_us);
        if (videos[i].changed)
            tell(p, of[i], &videos[i], videos[i].reason, est.target_bps, now_us);
        else if (simulcast && okno__participant_alloc_shown_spatial(of[i], now_us) !=
                                  (of[i]->told ? of[i]->told_spatial : videos[i].cur.spatial))
            tell(p, of[i], &videos[i], OKNO_ALLOC_REASON_LAYERS, est.target_bps, now_us);
    }
}
