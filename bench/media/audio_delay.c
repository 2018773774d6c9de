/* The adaptive jitter buffer's target delay: a min-normalised relative arrival delay and a
 * forgetting histogram of it. The 97th percentile is NetEq's; the 20 ms on top of it is one packet
 * of headroom, because a bin's upper edge is only a 10 ms estimate and jitter comes in packets. */
#include "media/audio_delay.h"

#define BIN_US      10000
#define WINDOW_US   250000
#define FORGET      0.993
#define QUANTILE    0.97
#define HEADROOM_US 20000

static int64_t clamp_target(int64_t t)
{
    return t < OKNO_AUDIO_DELAY_MIN_US   ? OKNO_AUDIO_DELAY_MIN_US
           : t > OKNO_AUDIO_DELAY_MAX_US ? OKNO_AUDIO_DELAY_MAX_US
                                         : t;
}

void okno_audio_delay_init(struct okno_audio_delay *d, int64_t initial_target_us)
{
    *d = (struct okno_audio_delay){.target_us = clamp_target(initial_target_us)};
    for (unsigned i = 0; i < OKNO_AUDIO_DELAY_WINDOWS; i++)
        d->win[i].epoch = -1;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t okno_audio_delay_baseline(const struct okno_audio_delay *d, int64_t now_us)
{
    int64_t epoch = floor_div(now_us, WINDOW_US), best = INT64_MAX;
    for (unsigned i = 0; i < OKNO_AUDIO_DELAY_WINDOWS; i++)
        if (d->win[i].epoch >= 0 && d->win[i].epoch > epoch - OKNO_AUDIO_DELAY_WINDOWS &&
            d->win[i].min_us < best)
            best = d->win[i].min_us;
    return best;
}

void okno_audio_delay_observe(struct okno_audio_delay *d, int64_t rel_us, int64_t now_us)
{
    int64_t epoch = floor_div(now_us, WINDOW_US);
    if (epoch < 0)
        epoch = 0; /* a clock before its epoch: one window for all of it */
    unsigned w = (unsigned)(epoch % OKNO_AUDIO_DELAY_WINDOWS);
    if (d->win[w].epoch != epoch || rel_us < d->win[w].min_us) {
        d->win[w].epoch = epoch;
        d->win[w].min_us = rel_us;
    }
}

int64_t okno_audio_delay_update(struct okno_audio_delay *d, int64_t rel_us, int64_t now_us)
{
    okno_audio_delay_observe(d, rel_us, now_us);
    int64_t excess = rel_us - okno_audio_delay_baseline(d, now_us);
    unsigned bin = (unsigned)(excess / BIN_US);
    if (bin >= OKNO_AUDIO_DELAY_BINS)
        bin = OKNO_AUDIO_DELAY_BINS - 1;
    /* The first packets weigh 1/n each (a plain average) until 1/n falls to 1 - FORGET, so the
     * estimate is usable from the start instead of dominated by the very first packet. */
    d->packets++;
    double w = 1.0 / (double)d->packets;
    if (w < 1.0 - FORGET)
        w = 1.0 - FORGET;
    for (unsigned i = 0; i < OKNO_AUDIO_DELAY_BINS; i++)
        d->hist[i] *= 1.0 - w;
    d->hist[bin] += w;
    double sum = 0;
    unsigned q = 0;
    while (q < OKNO_AUDIO_DELAY_BINS - 1 && (sum += d->hist[q]) < QUANTILE)
        q++;
    d->target_us = clamp_target((int64_t)(q + 1) * BIN_US + HEADROOM_US);
    return d->target_us;
}
