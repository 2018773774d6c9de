/* The delay estimator of okno-bench's adaptive audio jitter buffer, after NetEq's DelayManager:
 * each packet's relative arrival delay (its arrival minus the arrival its timestamp predicts from
 * the first packet) is measured against the smallest one of the last 2 s (the baseline: the
 * fastest recent path), and the excess goes into a forgetting histogram of 10 ms bins (each packet
 * weighs 1 - 0.993 of the whole: a memory of about 140 packets, ~3 s of 20 ms packets). The target
 * delay is the histogram's 97th percentile plus 20 ms, clamped to 20 ms .. 2 s: it rises within a
 * few late packets and falls as the histogram forgets, over seconds.
 * It does not model NetEq's inter-arrival statistics, reordering optimizer or a minimum delay set
 * by an application; a sender clock drifting against the receiver's shows as a rising baseline.
 * Pure: time is a parameter; nothing is allocated. */
#ifndef OKNO_BENCH_MEDIA_AUDIO_DELAY_H
#define OKNO_BENCH_MEDIA_AUDIO_DELAY_H

#include <stdint.h>

#define OKNO_AUDIO_DELAY_BINS    201 /* 10 ms each: 0 .. 2 s */
#define OKNO_AUDIO_DELAY_WINDOWS 8   /* baseline window: 8 x 250 ms */
#define OKNO_AUDIO_DELAY_MIN_US  20000LL
#define OKNO_AUDIO_DELAY_MAX_US  2000000LL

struct okno_audio_delay {
    uint64_t packets;
    double hist[OKNO_AUDIO_DELAY_BINS]; /* sums to 1 once the first packet is in */
    struct {
        int64_t epoch; /* now_us / 250 ms when this minimum was taken; -1: empty */
        int64_t min_us;
    } win[OKNO_AUDIO_DELAY_WINDOWS];
    int64_t target_us;
};

/* Starts with the given target (clamped) until packets say otherwise. */
void okno_audio_delay_init(struct okno_audio_delay *d, int64_t initial_target_us);

/* One packet whose relative arrival is rel_us (arrival_us - media time since the first packet, in
 * us) arrived at now_us. Updates and returns the target delay above the baseline. */
int64_t okno_audio_delay_update(struct okno_audio_delay *d, int64_t rel_us, int64_t now_us);

/* Only the baseline's part of okno_audio_delay_update: the target stays as it is. */
void okno_audio_delay_observe(struct okno_audio_delay *d, int64_t rel_us, int64_t now_us);

/* The smallest relative arrival of the last 2 s (INT64_MAX before the first packet). */
int64_t okno_audio_delay_baseline(const struct okno_audio_delay *d, int64_t now_us);

static inline int64_t okno_audio_delay_target(const struct okno_audio_delay *d)
{
    return d->target_us;
}

#endif
