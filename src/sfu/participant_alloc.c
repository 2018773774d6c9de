/* A subscriber's layer allocation on the room timer (participant_alloc.h). */
#include "sfu/participant_alloc.h"

#include "core/log.h"
#include "okno/bwe.h"
#include "sfu/allocator.h"
#include "sfu/downtrack.h"
#include "sfu/participant.h"
#include "sfu/participant_pub_fb.h"
#include "sfu/subscription.h"
#include "sfu/track.h"

/* Fills v's layers from the track's meter; false when nothing was measured (the publisher sends
 * nothing now, or has not started): then the video is left as it is. */
static bool measure(struct okno_alloc_video *v, const struct okno_track *t)
{
    const struct okno_layer_meter *m = &t->meter;
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

static void apply(struct okno_subscription *s, const struct okno_alloc_video *v, int64_t now_us)
{
    s->now_us = now_us; /* for the downtrack's keyframe callback */
    if (v->cur.paused) {
        okno_downtrack_set_target(s->dt, 0, 3, now_us);
        return;
    }
    /* The top temporal layer measured means every layer: one the publisher adds is not lost. */
    uint8_t tid = v->cur.temporal + 1 >= v->n_temporal ? 3 : v->cur.temporal;
    okno_downtrack_set_target(s->dt, s->track->ssrc, tid, now_us);
}

static void tell(struct okno_participant *p, const struct okno_subscription *s,
                 const struct okno_alloc_video *v, uint32_t target_bps)
{
    const char *why = okno_alloc_reason_name(v->reason);
    if (v->cur.paused)
        okno_log(OKNO_LOG_INFO, "sfu", "%s: %s paused (%s, estimate %u kbit/s)", p->id, s->track_id,
                 why, target_bps / 1000u);
    else
        okno_log(OKNO_LOG_INFO, "sfu", "%s: %s at spatial %u temporal %u (%s, estimate %u kbit/s)",
                 p->id, s->track_id, v->cur.spatial, v->cur.temporal, why, target_bps / 1000u);
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_QUALITY,
        .participant = s->publisher,
        .track = s->track_id,
        .paused = v->cur.paused,
        .spatial = v->cur.paused ? 0 : v->cur.spatial,
        .temporal = v->cur.paused ? 0 : v->cur.temporal,
        .reason = why,
        .estimate_kbps = target_bps / 1000u,
    };
    okno__participant_emit(p, &ev);
}

void okno__participant_alloc_tick(struct okno_participant *p, int64_t now_us)
{
    if (p->dropped || now_us < p->alloc_due_us)
        return;
    p->alloc_due_us = now_us + OKNO_PARTICIPANT_ALLOC_INTERVAL_US;
    struct okno_bwe_estimate est;
    if (okno_participant_bwe_estimate(p, &est) < 0 || est.target_bps == 0)
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
            if (s->track->meter.n_temporal == 0)
                continue;
            okno_alloc_video_init(&s->alloc, 1, s->track->meter.n_temporal,
                                  okno_alloc_role_priority(s->track->owner->role));
            s->alloc_on = true;
        }
        if (!measure(&s->alloc, s->track))
            for (int l = 0; l < OKNO_ALLOC_MAX_TEMPORAL; l++)
                s->alloc.bps[0][l] = 0; /* nothing to decide on */
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
    };
    okno_alloc_run(&in, videos, n, now_us);
    for (size_t i = 0; i < n; i++) {
        of[i]->alloc = videos[i];
        if (!videos[i].changed)
            continue;
        apply(of[i], &videos[i], now_us);
        tell(p, of[i], &videos[i], est.target_bps);
    }
}
