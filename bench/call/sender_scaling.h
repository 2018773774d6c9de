/* The resolution choice of a single-stream (non-simulcast) okno-bench sender, standing in for a
 * browser's "balanced" degradation: levels are the capture size /4, /2 and /1 (level 0 lowest),
 * and the level follows the video bitrate with hysteresis, like libwebrtc's bitrate limits per
 * resolution (640x360 needs 300 kbit/s to go up to and is left below 200; 320x180 110 / 80; see
 * sender_scaling.c for the table). Down: once the target stayed below the level's floor for 2 s
 * (libwebrtc's quality scaler judges 2 s of frames; a shorter dip, such as the second after a
 * capacity drop whose retransmissions the encoder's share still pays for, passes), straight to
 * the highest level the target affords. Up: once the target stayed at or above the next level's
 * threshold for the hold time (4 s), to the highest level it affords. Like
 * libwebrtc's quality scaler it also steps down one level when the encoder (libvpx's rate control)
 * or the machine loses more than 30 % of the captures over 2 s (not counting the 1.5 s after a
 * switch, whose key frame costs a few), and then doubles the hold before trying that level again
 * (up to 32 s) unless the rate has grown by half since, so a level the encoder cannot sustain at a
 * rate is not retried every few seconds. Pure: time is a parameter; it deliberately does not touch
 * the encoder (the sender applies the level) and knows nothing of frame rate or quality. */
#ifndef OKNO_BENCH_CALL_SENDER_SCALING_H
#define OKNO_BENCH_CALL_SENDER_SCALING_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_SCALING_MAX_LEVELS 3

struct okno_scaling {
    unsigned levels, level;
    unsigned up_kbps[OKNO_SCALING_MAX_LEVELS], down_kbps[OKNO_SCALING_MAX_LEVELS];
    unsigned failures[OKNO_SCALING_MAX_LEVELS];  /* drop-induced step-downs from each level */
    unsigned fail_kbps[OKNO_SCALING_MAX_LEVELS]; /* the video rate of the last one */
    unsigned kbps;                               /* the last video rate */
    int64_t above_since_us, below_since_us;      /* INT64_MIN: not now */
    int64_t window_start_us;                     /* of the dropped-capture window */
    unsigned captures, drops;
    uint64_t switches;
};

/* The levels for a capture of width x height: as many of /4, /2, /1 (up to 3) as are at least
 * 16 x 16 pixels (the encoder's limit). Returns 1..3. */
unsigned okno_scaling_levels_for(unsigned width, unsigned height);

/* Sets *sc up for `levels` (1..3) levels of a width x height capture (the top level's size) and
 * picks the starting level: the highest that start_kbps (video) would not leave, as libwebrtc
 * drops resolution before the first frame at a low start rate (the estimator's first probes
 * settle within a second or two, so a start rate just below a level's threshold keeps it). */
void okno_scaling_init(struct okno_scaling *sc, unsigned levels, unsigned width, unsigned height,
                       unsigned start_kbps, int64_t now_us);

/* The video bitrate the encoder may use now. Returns true when the level changed (sc->level). */
bool okno_scaling_on_rate(struct okno_scaling *sc, unsigned video_kbps, int64_t now_us);

/* One capture: whether it was lost (the encoder's rate control, a full pacer or a late poll; a
 * capture skipped for a long pacer queue is the congestion controller's, and the sender leaves it
 * out). Returns true when the level changed. */
bool okno_scaling_on_capture(struct okno_scaling *sc, bool dropped, int64_t now_us);

#endif
