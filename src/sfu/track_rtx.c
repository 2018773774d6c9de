/* Loss recovery counters of a track and its subscriptions (track_rtx.h). */
#include "sfu/track_rtx.h"

#include <string.h>

#include "core/log.h"
#include "sfu/downtrack.h"
#include "sfu/nack_generator.h"
#include "sfu/participant.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/subscription.h"
#include "sfu/track.h"

enum okno_pacer_class okno_rtx_pacer_class(bool video)
{
    return video ? OKNO_PACER_RTX : OKNO_PACER_AUDIO;
}

int64_t okno_track_rtx_deadline_us(const struct okno_participant *owner)
{
    if (!owner || !owner->room || !owner->room->sfu)
        return 0;
    return 1000 * (int64_t)owner->room->sfu->video_budget_ms;
}

struct okno_nack_config okno_track_rtx_nack_config(const struct okno_participant *owner)
{
    int64_t deadline = okno_track_rtx_deadline_us(owner);
    return (struct okno_nack_config){.deadline_us = deadline, .max_age_us = 2 * deadline};
}

void okno_subscription_rtx_stats(const struct okno_subscription *sub,
                                 struct okno_track_rtx_stats *out)
{
    if (!sub->dt)
        return;
    struct okno_downtrack_stats s;
    okno_downtrack_stats(sub->dt, &s);
    out->nacks_received += s.nacked;
    out->retransmitted += s.retransmitted;
    out->forwarded_late += s.forwarded_late;
    out->too_late += s.nack_too_old + s.late_too_late;
    out->not_in_cache += s.nack_not_found;
}

void okno_track_rtx_stats(const struct okno_track *t, struct okno_track_rtx_stats *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < t->n_enc; i++) {
        if (!t->enc[i].nack)
            continue;
        out->collapses += t->enc[i].collapse.collapses;
        struct okno_nack_stats ns;
        okno_nack_generator_stats(t->enc[i].nack, &ns);
        out->nacked_upstream += ns.nacked;
        out->recovered += ns.recovered;
        out->too_late_upstream += ns.too_late;
        out->given_up += ns.given_up + ns.cleared_by_keyframe;
    }
    for (guint i = 0; i < t->subs->len; i++)
        okno_subscription_rtx_stats(t->subs->pdata[i], out);
}

void okno_track_log_rtx(const struct okno_track *t)
{
    struct okno_track_rtx_stats s;
    okno_track_rtx_stats(t, &s);
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s retransmission: publisher nacked %llu recovered %llu too-late %llu given-up %llu; "
             "keyframes asked on an uplink collapse %llu",
             t->id, (unsigned long long)s.nacked_upstream, (unsigned long long)s.recovered,
             (unsigned long long)s.too_late_upstream, (unsigned long long)s.given_up,
             (unsigned long long)s.collapses);
}

void okno_subscription_log_rtx(const struct okno_subscription *sub)
{
    struct okno_track_rtx_stats s = {0};
    okno_subscription_rtx_stats(sub, &s);
    if (s.nacks_received == 0 && s.forwarded_late == 0 && s.too_late == 0 &&
        sub->collapse_restarts == 0)
        return;
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s %s retransmission: nacks %llu resent %llu forwarded-late %llu too-late %llu "
             "not-in-cache %llu; restarts at a keyframe after a collapse %u",
             sub->subscriber->id, sub->track_id, (unsigned long long)s.nacks_received,
             (unsigned long long)s.retransmitted, (unsigned long long)s.forwarded_late,
             (unsigned long long)s.too_late, (unsigned long long)s.not_in_cache,
             sub->collapse_restarts);
}
