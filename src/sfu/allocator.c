/* Layer allocation for one subscriber (allocator.h). The layers of a video form a ladder, index
 * s * n_temporal + t, which measured rates climb: stepping down the ladder drops temporal layers
 * first, then a spatial layer, then the video. */
#include "sfu/allocator.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

static uint32_t to_u32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static unsigned clamp_dim(uint8_t v, unsigned max)
{
    return v == 0 ? 1 : (v > max ? max : v);
}

void okno_alloc_video_init(struct okno_alloc_video *v, uint8_t n_spatial, uint8_t n_temporal,
                           int priority)
{
    memset(v, 0, sizeof *v);
    v->n_spatial = (uint8_t)clamp_dim(n_spatial, OKNO_ALLOC_MAX_SPATIAL);
    v->n_temporal = (uint8_t)clamp_dim(n_temporal, OKNO_ALLOC_MAX_TEMPORAL);
    v->priority = priority;
    v->cur.spatial = (uint8_t)(v->n_spatial - 1);
    v->cur.temporal = (uint8_t)(v->n_temporal - 1);
    v->ahead_spatial = v->cur.spatial;
}

/* What a rung costs the budget in the choice: as measured, or an elastic encoding's (allocator.h)
 * scaled down to its floor. */
static uint32_t rung_bps(const struct okno_alloc_video *v, unsigned nt, int rung)
{
    unsigned s = (unsigned)rung / nt;
    uint32_t bps = v->bps[s][(unsigned)rung % nt];
    uint32_t floor = v->elastic_floor_bps[s];
    uint32_t top = v->bps[s][nt - 1];
    if (floor == 0 || bps == 0 || top <= floor)
        return bps;
    uint64_t scaled = (uint64_t)bps * floor / top;
    return scaled == 0 ? 1 : (uint32_t)scaled;
}

/* What the rung takes of a budget: an elastic encoding what it is measured at, up to the budget
 * (the publisher's encoder fills it), at least its floor; any other what it is measured at. */
static uint64_t rung_share(const struct okno_alloc_video *v, unsigned nt, int rung, uint64_t budget)
{
    uint64_t cost = rung_bps(v, nt, rung);
    uint64_t measured = v->bps[(unsigned)rung / nt][(unsigned)rung % nt];
    uint64_t fill = measured < budget ? measured : budget;
    return fill > cost ? fill : cost;
}

/* The highest available rung whose rate, with margin_pct on top, fits budget; -1: none. */
static int highest_fitting(const struct okno_alloc_video *v, unsigned ns, unsigned nt,
                           uint64_t budget, unsigned margin_pct)
{
    for (int r = (int)(ns * nt) - 1; r >= 0; r--) {
        uint64_t need = rung_bps(v, nt, r);
        if (need != 0 && need * (100u + margin_pct) / 100u <= budget)
            return r;
    }
    return -1;
}

static bool any_available(const struct okno_alloc_video *v, unsigned ns, unsigned nt)
{
    for (unsigned r = 0; r < ns * nt; r++)
        if (rung_bps(v, nt, (int)r) != 0)
            return true;
    return false;
}

/* The hold of the next up move (allocator.h). */
static int64_t up_hold(const struct okno_alloc_video *v)
{
    return (int64_t)OKNO_ALLOC_UP_HOLD_US << v->flaps;
}

#define MAX_FLAPS 4 /* OKNO_ALLOC_UP_HOLD_US << 4 == OKNO_ALLOC_UP_HOLD_MAX_US */

/* An up move, or a down move that may undo one (a flap: the next hold doubles). */
static void note_move(struct okno_alloc_video *v, enum okno_alloc_reason why, int64_t now_us)
{
    if (why == OKNO_ALLOC_REASON_RECOVERED || why == OKNO_ALLOC_REASON_PROBE) {
        v->up_at_us = now_us == 0 ? 1 : now_us;
    } else if (why == OKNO_ALLOC_REASON_BANDWIDTH || why == OKNO_ALLOC_REASON_LOSS) {
        if (v->up_at_us != 0 && now_us - v->up_at_us < OKNO_ALLOC_STABLE_US) {
            if (v->flaps < MAX_FLAPS)
                v->flaps++;
            v->flap_at_us = now_us;
        }
        v->up_at_us = 0;
    }
}

/* A hold that grew comes back down, one halving for each OKNO_ALLOC_STABLE_US without a flap. */
static void relax_hold(struct okno_alloc_video *v, int64_t now_us)
{
    while (v->flaps > 0 && now_us - v->flap_at_us >= OKNO_ALLOC_STABLE_US) {
        v->flaps--;
        v->flap_at_us += OKNO_ALLOC_STABLE_US;
    }
    if (v->up_at_us != 0 && now_us - v->up_at_us >= OKNO_ALLOC_STABLE_US)
        v->up_at_us = 0;
}

static void set_rung(struct okno_alloc_video *v, unsigned nt, int rung, enum okno_alloc_reason why,
                     int64_t now_us)
{
    note_move(v, why, now_us);
    if (rung < 0) {
        v->cur.paused = true;
        v->paused_since_us = now_us == 0 ? 1 : now_us;
    } else {
        if (v->cur.paused && why != OKNO_ALLOC_REASON_PROBE)
            v->trial_wait_us = 0; /* capacity came back by itself: the next pause starts afresh */
        v->paused_since_us = 0;
        v->cur.paused = false;
        v->cur.spatial = (uint8_t)((unsigned)rung / nt);
        v->cur.temporal = (uint8_t)((unsigned)rung % nt);
    }
    v->changed = true;
    v->reason = why;
    v->up_since_us = 0;
    v->room_since_us = 0;
    v->spatial_trial = false;
}

static int lowest_available(const struct okno_alloc_video *v, unsigned ns, unsigned nt)
{
    for (unsigned r = 0; r < ns * nt; r++)
        if (rung_bps(v, nt, (int)r) != 0)
            return (int)r;
    return -1;
}

static int64_t trial_wait(const struct okno_alloc_video *v)
{
    return v->trial_wait_us > 0 ? v->trial_wait_us : OKNO_ALLOC_TRIAL_WAIT_US;
}

/* Loss, or a queue growing now: no time to send more. */
static bool congested(const struct okno_alloc_input *in)
{
    return in->loss_ratio >= OKNO_ALLOC_LOSS_RATIO || in->overuse;
}

/* A paused video long enough, without congestion: tried again at its lowest layer. */
static void maybe_trial(const struct okno_alloc_input *in, struct okno_alloc_video *v, unsigned ns,
                        unsigned nt, int64_t now_us)
{
    if (congested(in) || v->paused_since_us == 0 || now_us - v->paused_since_us < trial_wait(v))
        return;
    int lowest = lowest_available(v, ns, nt);
    if (lowest < 0)
        return;
    set_rung(v, nt, lowest, OKNO_ALLOC_REASON_PROBE, now_us);
    v->trial_until_us = now_us + OKNO_ALLOC_TRIAL_US;
}

/* The encoding s may move to soon: announced (ahead_spatial) until OKNO_ALLOC_AHEAD_US from now;
 * a higher one announced before runs out first. */
static void look_ahead(struct okno_alloc_video *v, unsigned s, int64_t now_us)
{
    if (s >= v->ahead_spatial || now_us >= v->ahead_until_us) {
        v->ahead_spatial = (uint8_t)s;
        v->ahead_until_us = now_us + OKNO_ALLOC_AHEAD_US;
    }
}

/* A video with room at its layer for its hold, without congestion: tried at the next spatial
 * layer's lowest temporal layer (allocator.h); announced ahead from OKNO_ALLOC_AHEAD_US before. */
static void maybe_spatial_trial(const struct okno_alloc_input *in, struct okno_alloc_video *v,
                                unsigned ns, unsigned nt, int cur, uint64_t budget, int64_t now_us)
{
    unsigned s = (unsigned)cur / nt;
    int next = (int)((s + 1) * nt);
    uint64_t cost = rung_bps(v, nt, cur);
    /* Within reach: no more than GCC's own bound over what is acknowledged (1.5 x) above the
     * budget; further up, the transport's padding (want_bps) lets the estimate grow first. */
    uint64_t next_cost = s + 1 < ns ? rung_bps(v, nt, next) : 0;
    /* An elastic next encoding is not tried: it would shrink to the budget and show no more room
     * than what is sent now (which fills the budget); the up move takes it once its floor fits. */
    bool elastic_next = s + 1 < ns && v->elastic_floor_bps[s + 1] != 0;
    if (in->hard_limit || congested(in) || s + 1 >= ns || next_cost == 0 || elastic_next ||
        next_cost * 2u > budget * 3u || cost * (100u + OKNO_ALLOC_UP_MARGIN_PCT) / 100u > budget) {
        v->room_since_us = 0;
        return;
    }
    if (v->room_since_us == 0)
        v->room_since_us = now_us == 0 ? 1 : now_us;
    /* The up hold first, as any up move; after a trial that found no room, the paused trials'
     * doubled waits. */
    int64_t due = v->room_since_us + (v->trial_wait_us > 0 ? v->trial_wait_us : up_hold(v));
    if (now_us >= due - OKNO_ALLOC_AHEAD_US)
        look_ahead(v, s + 1, now_us);
    if (now_us < due)
        return;
    set_rung(v, nt, next, OKNO_ALLOC_REASON_PROBE, now_us);
    v->spatial_trial = true;
    v->trial_peak_bps = to_u32(budget);
    v->trial_until_us = now_us + OKNO_ALLOC_SPATIAL_TRIAL_US;
}

/* Whether a running trial goes on: a paused video's runs its course unless loss comes; a spatial
 * one ends early once the estimate fits it or falls from its peak (congestion). */
static bool trial_goes_on(const struct okno_alloc_input *in, struct okno_alloc_video *v,
                          bool cur_available, int cur, int fits, uint64_t budget, int64_t now_us)
{
    if (now_us >= v->trial_until_us || !cur_available || congested(in))
        return false;
    if (!v->spatial_trial)
        return true;
    if (budget > v->trial_peak_bps)
        v->trial_peak_bps = to_u32(budget);
    return fits < cur && budget * 100u >= (uint64_t)v->trial_peak_bps *
                                              (100u - OKNO_ALLOC_SPATIAL_TRIAL_DROP_PCT);
}

/* After the round's choice: what v costs now (returned), what one step up would cost (want_bps),
 * and ahead_spatial: the encoding received (kept OKNO_ALLOC_AHEAD_US after a move down) or one
 * above it still announced; under a client's limit the one received alone. */
static uint64_t look_up(const struct okno_alloc_input *in, struct okno_alloc_video *v, unsigned ns,
                        unsigned nt, uint64_t budget, int64_t now_us)
{
    int cur = v->cur.paused ? -1 : (int)(v->cur.spatial * nt + v->cur.temporal);
    unsigned at = v->cur.paused ? 0 : v->cur.spatial;
    if (in->hard_limit) {
        v->ahead_spatial = (uint8_t)at;
        v->ahead_until_us = 0;
    } else if (v->ahead_spatial <= at || now_us >= v->ahead_until_us) {
        v->ahead_spatial = (uint8_t)at;
        v->ahead_until_us = now_us + OKNO_ALLOC_AHEAD_US;
    }
    uint64_t cost = cur < 0 ? 0 : rung_bps(v, nt, cur);
    v->want_bps = to_u32(cost);
    for (int r = cur + 1; !in->hard_limit && r < (int)(ns * nt); r++) {
        uint64_t next = rung_bps(v, nt, r);
        if (next > cost) {
            v->want_bps = to_u32(next * (100u + OKNO_ALLOC_UP_MARGIN_PCT) / 100u);
            break;
        }
    }
    return cur < 0 ? 0 : rung_share(v, nt, cur, budget);
}

/* One video against what is left of the budget; returns what its choice costs. */
static uint64_t allocate_one(const struct okno_alloc_input *in, struct okno_alloc_video *v,
                             uint64_t budget, int64_t now_us)
{
    unsigned ns = clamp_dim(v->n_spatial, OKNO_ALLOC_MAX_SPATIAL);
    unsigned nt = clamp_dim(v->n_temporal, OKNO_ALLOC_MAX_TEMPORAL);
    bool clamped = false;
    if (v->cur.spatial >= ns) {
        v->cur.spatial = (uint8_t)(ns - 1);
        clamped = true;
    }
    if (v->cur.temporal >= nt) {
        v->cur.temporal = (uint8_t)(nt - 1);
        clamped = true;
    }
    if (clamped && !v->cur.paused) {
        v->changed = true;
        v->reason = OKNO_ALLOC_REASON_LAYERS;
    }
    relax_hold(v, now_us);
    if (!any_available(v, ns, nt)) {
        /* Nothing measured yet (or the publisher stopped): nothing to decide on. */
        v->up_since_us = 0;
        return 0;
    }
    int cur = v->cur.paused ? -1 : (int)(v->cur.spatial * nt + v->cur.temporal);
    bool cur_available = cur >= 0 && rung_bps(v, nt, cur) != 0;
    int fits = highest_fitting(v, ns, nt, budget, 0);
    if (v->trial_until_us != 0) {
        if (trial_goes_on(in, v, cur_available, cur, fits, budget, now_us))
            return look_up(in, v, ns, nt, budget, now_us); /* the trial runs its course */
        v->trial_until_us = 0;
        v->spatial_trial = false;
        int64_t wait = trial_wait(v);
        /* Room found: the next pause starts afresh; none: wait twice as long next time. */
        v->trial_wait_us = cur >= 0 && fits >= cur                   ? 0
                           : wait > OKNO_ALLOC_TRIAL_MAX_WAIT_US / 2 ? OKNO_ALLOC_TRIAL_MAX_WAIT_US
                                                                     : 2 * wait;
    }
    if (cur >= 0 && !cur_available) {
        /* The layer followed is no longer sent: the best that fits now, at once. */
        set_rung(v, nt, fits, fits < 0 ? OKNO_ALLOC_REASON_BANDWIDTH : OKNO_ALLOC_REASON_LAYERS,
                 now_us);
    } else if (fits < cur) {
        /* Loss that comes with queuing is congestion: a bandwidth matter. */
        bool loss = in->loss_ratio >= OKNO_ALLOC_LOSS_RATIO && !in->congestive_loss;
        set_rung(v, nt, fits, loss ? OKNO_ALLOC_REASON_LOSS : OKNO_ALLOC_REASON_BANDWIDTH, now_us);
    } else {
        /* No more while the queue grows: what fits now may be what filled it. */
        int up = in->overuse ? cur : highest_fitting(v, ns, nt, budget, OKNO_ALLOC_UP_MARGIN_PCT);
        if (up <= cur) {
            v->up_since_us = 0;
            if (cur < 0)
                maybe_trial(in, v, ns, nt, now_us);
            else
                maybe_spatial_trial(in, v, ns, nt, cur, budget, now_us);
        } else {
            if ((unsigned)up / nt > (cur < 0 ? 0u : (unsigned)cur / nt))
                look_ahead(v, (unsigned)up / nt, now_us);
            if (v->up_since_us == 0)
                v->up_since_us = now_us == 0 ? 1 : now_us;
            else if (now_us - v->up_since_us >= up_hold(v))
                set_rung(v, nt, up, OKNO_ALLOC_REASON_RECOVERED, now_us);
        }
    }
    return look_up(in, v, ns, nt, budget, now_us);
}

size_t okno_alloc_run(const struct okno_alloc_input *in, struct okno_alloc_video *videos, size_t n,
                      int64_t now_us)
{
    for (size_t i = 0; i < n; i++) {
        videos[i].changed = false;
        videos[i].reason = OKNO_ALLOC_REASON_NONE;
        videos[i].allocated_bps = 0;
        videos[i].want_bps = 0;
    }
    if (in->target_bps == 0 || n == 0)
        return 0;
    uint64_t audio = (uint64_t)in->n_audio * OKNO_ALLOC_AUDIO_BPS;
    uint64_t budget = in->target_bps > audio ? in->target_bps - audio : 0;
    /* Priority levels from the highest down; within one, the array's order. */
    bool have_level = false;
    int level = INT_MIN;
    for (size_t i = 0; i < n; i++)
        if (!have_level || videos[i].priority > level) {
            level = videos[i].priority;
            have_level = true;
        }
    size_t changed = 0;
    for (;;) {
        for (size_t i = 0; i < n; i++) {
            struct okno_alloc_video *v = &videos[i];
            if (v->priority != level)
                continue;
            uint64_t cost = allocate_one(in, v, budget, now_us);
            v->allocated_bps = (uint32_t)cost;
            budget = budget > cost ? budget - cost : 0;
            changed += v->changed;
        }
        bool lower = false;
        int next = INT_MIN;
        for (size_t i = 0; i < n; i++)
            if (videos[i].priority < level && (!lower || videos[i].priority > next)) {
                next = videos[i].priority;
                lower = true;
            }
        if (!lower)
            break;
        level = next;
    }
    return changed;
}

const char *okno_alloc_reason_name(enum okno_alloc_reason r)
{
    switch (r) {
    case OKNO_ALLOC_REASON_BANDWIDTH:
        return "bandwidth";
    case OKNO_ALLOC_REASON_LOSS:
        return "loss";
    case OKNO_ALLOC_REASON_RECOVERED:
        return "recovered";
    case OKNO_ALLOC_REASON_LAYERS:
        return "layers";
    case OKNO_ALLOC_REASON_PROBE:
        return "probe";
    case OKNO_ALLOC_REASON_NONE:
        break;
    }
    return "none";
}

int okno_alloc_role_priority(const char *role)
{
    return role && strcmp(role, "observer") == 0 ? 0 : 1;
}
