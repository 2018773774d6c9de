#include "aimd.h"

#include <math.h>

#define BETA             0.85
#define ALPHA_PER_S      1.08
#define MIN_INCREASE_BPS 1000.0
/* Additive increase: at least this many bit/s per second. */
#define MIN_ADDITIVE_BPS_S 4000.0
#define PACKET_BITS        (1200.0 * 8)
#define FRAME_RATE         30.0
/* Increases stop once the rate is this far above what is acknowledged. */
#define ACKED_HEADROOM  1.5
#define ACKED_SLACK_BPS 10000.0
#define CAP_ALPHA       0.05
#define DEFAULT_RTT_US  200000

void okno_gcc_aimd_init(struct okno_gcc_aimd *a, uint32_t min_bps, uint32_t start_bps,
                        uint32_t max_bps)
{
    a->min_bps = min_bps;
    a->max_bps = max_bps;
    a->rate_bps = start_bps;
    a->state = OKNO_GCC_HOLD;
    a->last_change_us = -1;
    a->last_decrease_us = -1;
    a->rtt_us = DEFAULT_RTT_US;
    a->cap_valid = false;
    a->cap_kbps = 0;
    a->cap_var = 0.4;
    a->queued = false;
}

static double cap_std_kbps(const struct okno_gcc_aimd *a)
{
    return sqrt(a->cap_var * (a->cap_kbps > 1 ? a->cap_kbps : 1));
}

static void cap_update(struct okno_gcc_aimd *a, double sample_kbps)
{
    if (!a->cap_valid) {
        a->cap_kbps = sample_kbps;
        a->cap_var = 0.4;
        a->cap_valid = true;
        return;
    }
    a->cap_kbps = (1 - CAP_ALPHA) * a->cap_kbps + CAP_ALPHA * sample_kbps;
    double norm = a->cap_kbps > 1 ? a->cap_kbps : 1;
    double err = a->cap_kbps - sample_kbps;
    a->cap_var = (1 - CAP_ALPHA) * a->cap_var + CAP_ALPHA * err * err / norm;
    if (a->cap_var < 0.4)
        a->cap_var = 0.4;
    if (a->cap_var > 2.5)
        a->cap_var = 2.5;
}

static double clamp(const struct okno_gcc_aimd *a, double r)
{
    if (r < a->min_bps)
        r = a->min_bps;
    if (r > a->max_bps)
        r = a->max_bps;
    return r;
}

/* Response time: a round trip plus the 100 ms the detector needs to see the effect. */
static double additive_bps_per_s(const struct okno_gcc_aimd *a)
{
    double response_ms = (double)a->rtt_us / 1000.0 + 100.0;
    double bits_per_frame = a->rate_bps / FRAME_RATE;
    double packets = ceil(bits_per_frame / PACKET_BITS);
    if (packets < 1)
        packets = 1;
    double packet_bits = bits_per_frame / packets;
    double r = packet_bits * 1000.0 / response_ms;
    return r > MIN_ADDITIVE_BPS_S ? r : MIN_ADDITIVE_BPS_S;
}

static void increase(struct okno_gcc_aimd *a, double acked, double scale, int64_t now_us)
{
    if (acked > 0 && a->cap_valid && acked / 1000.0 > a->cap_kbps + 3 * cap_std_kbps(a))
        a->cap_valid = false; /* the link carries clearly more than it did: search again */
    double headroom = a->queued ? 1.0 : ACKED_HEADROOM;
    double limit = acked > 0 ? headroom * acked + ACKED_SLACK_BPS : a->max_bps;
    if (a->rate_bps >= limit)
        return;
    double elapsed_s = (double)(now_us - a->last_change_us) / 1e6;
    if (elapsed_s < 0)
        elapsed_s = 0;
    double inc;
    if (a->cap_valid) {
        inc = elapsed_s * additive_bps_per_s(a);
    } else {
        double alpha = pow(ALPHA_PER_S, elapsed_s < 1.0 ? elapsed_s : 1.0);
        inc = a->rate_bps * (alpha - 1);
        if (inc < MIN_INCREASE_BPS)
            inc = MIN_INCREASE_BPS;
    }
    double r = a->rate_bps + inc * scale;
    if (r > limit)
        r = limit;
    a->rate_bps = clamp(a, r);
}

static void decrease(struct okno_gcc_aimd *a, double acked, int64_t now_us)
{
    int64_t gap = a->rtt_us < 10000 ? 10000 : a->rtt_us > 200000 ? 200000 : a->rtt_us;
    if (a->last_decrease_us >= 0 && now_us - a->last_decrease_us < gap)
        return;
    double basis = acked > 0 ? acked : a->rate_bps;
    double r = BETA * basis;
    if (r > a->rate_bps)
        r = a->rate_bps; /* never increase on overuse */
    if (acked > 0) {
        if (a->cap_valid && acked / 1000.0 < a->cap_kbps - 3 * cap_std_kbps(a))
            a->cap_valid = false; /* the link got slower: forget the old capacity */
        cap_update(a, acked / 1000.0);
    }
    a->rate_bps = clamp(a, r);
    a->last_decrease_us = now_us;
    a->state = OKNO_GCC_HOLD;
}

uint32_t okno_gcc_aimd_update(struct okno_gcc_aimd *a, enum okno_gcc_usage usage,
                              uint32_t acked_bps, double increase_scale, int64_t now_us)
{
    if (a->last_change_us < 0)
        a->last_change_us = now_us;
    switch (usage) {
    case OKNO_GCC_OVERUSE:
        a->state = OKNO_GCC_DECREASE;
        break;
    case OKNO_GCC_UNDERUSE:
        a->state = OKNO_GCC_HOLD;
        break;
    case OKNO_GCC_NORMAL:
        if (a->state == OKNO_GCC_HOLD)
            a->state = OKNO_GCC_INCREASE;
        break;
    }
    switch (a->state) {
    case OKNO_GCC_INCREASE:
        increase(a, acked_bps, increase_scale, now_us);
        break;
    case OKNO_GCC_DECREASE:
        decrease(a, acked_bps, now_us);
        break;
    case OKNO_GCC_HOLD:
        break;
    }
    a->last_change_us = now_us;
    return (uint32_t)a->rate_bps;
}

void okno_gcc_aimd_raise(struct okno_gcc_aimd *a, uint32_t bps, int64_t now_us)
{
    if (bps <= a->rate_bps)
        return;
    a->rate_bps = clamp(a, bps);
    /* Clearly above the capacity known: search on multiplicatively. Within it (a probe back to
     * where the link was), keep the additive increase that does not overshoot it. */
    if (a->cap_valid && bps / 1000.0 > a->cap_kbps + 3 * cap_std_kbps(a))
        a->cap_valid = false;
    a->last_change_us = now_us;
}

void okno_gcc_aimd_link_limited(struct okno_gcc_aimd *a, uint32_t bps, int64_t now_us)
{
    if (bps >= a->rate_bps)
        return;
    a->rate_bps = clamp(a, bps);
    cap_update(a, a->rate_bps / 1000.0);
    a->state = OKNO_GCC_HOLD;
    a->last_change_us = now_us;
}

void okno_gcc_aimd_drain(struct okno_gcc_aimd *a, double bps, int64_t now_us)
{
    if (bps < a->rate_bps)
        a->rate_bps = clamp(a, bps);
    a->state = OKNO_GCC_HOLD;
    a->last_change_us = now_us;
    a->last_decrease_us = now_us;
}

void okno_gcc_aimd_cut(struct okno_gcc_aimd *a, double factor, int64_t now_us)
{
    a->rate_bps = clamp(a, a->rate_bps * factor);
    a->last_change_us = now_us;
}

void okno_gcc_aimd_set_rtt(struct okno_gcc_aimd *a, int64_t rtt_us)
{
    if (rtt_us > 0)
        a->rtt_us = rtt_us;
}

void okno_gcc_aimd_set_queued(struct okno_gcc_aimd *a, bool queued)
{
    a->queued = queued;
}
