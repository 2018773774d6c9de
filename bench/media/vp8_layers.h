/* Layer policy of okno-bench's VP8 sender, apart from libvpx so it can be read and tested alone:
 * the simulcast bitrate table and allocator (libwebrtc's simulcast rate allocation: each encoding
 * from the lowest up gets its target bitrate if the total still covers its minimum, and what is
 * left goes to the top active encoding up to its maximum), the split of one encoding's bitrate
 * across its temporal layers, and the temporal layer patterns with their reference and update
 * flags. The patterns are built so that a receiver that lost a frame of layer T >= 1 can resume at
 * the next TL0 frame: TL0 frames reference only the previous TL0 frame, and an enhancement frame
 * references only the group's own TL0 frame and the group's TL1 frame. It deliberately holds no
 * encoder state (vp8_encoder.c keeps the pattern position) and no spatial scalability (VP8 has
 * none). */
#ifndef OKNO_BENCH_MEDIA_VP8_LAYERS_H
#define OKNO_BENCH_MEDIA_VP8_LAYERS_H

#include <stdbool.h>
#include <stdint.h>

#define OKNO_VP8_MAX_ENCODINGS 3
#define OKNO_VP8_MAX_TLAYERS   3

/* Bitrates libwebrtc gives one simulcast encoding of a given size (kbit/s). */
struct okno_vp8_rates {
    unsigned min_kbps, target_kbps, max_kbps;
};

/* The rates for an encoding of width x height: the row of libwebrtc's simulcast table with the
 * largest picture not larger than this one (1080p, 720p, 540p, 360p, 270p, 180p and below). */
struct okno_vp8_rates okno_vp8_rates_for(unsigned width, unsigned height);

/* Splits total_kbps across n encodings (lowest resolution first) whose rates are given. Writes
 * out_kbps[0..n-1]; an encoding that gets 0 is paused. The lowest encoding always gets at least
 * total_kbps when the total is below its minimum (the bench keeps sending something). Returns the
 * number of active encodings (1..n), or OKNO_E_INVAL for n outside 1..3. */
int okno_vp8_allocate(const struct okno_vp8_rates *rates, unsigned n, unsigned total_kbps,
                      unsigned *out_kbps);

/* libvpx's cumulative per-layer target bitrates for one encoding of kbps split into layers 1..3
 * temporal layers (libwebrtc's shares: 60/40 for two layers, 40/20/40 for three). */
void okno_vp8_temporal_split(unsigned layers, unsigned kbps, unsigned cumulative[3]);

/* Frames in one period of the pattern for this many layers: 1, 2 or 4. */
unsigned okno_vp8_temporal_period(unsigned layers);

/* One frame of a temporal pattern: the libvpx encode flags and what the RTP descriptor says. */
struct okno_vp8_tl_frame {
    long flags;         /* VP8_EFLAG_NO_REF_* / NO_UPD_* for vpx_codec_encode */
    uint8_t tid;        /* TID */
    bool layer_sync;    /* Y: references only the TL0 frame */
    bool non_reference; /* N: no later frame uses it */
};

/* The frame at position pos (modulo the period) of the pattern for layers (1..3) temporal layers.
 * group_tl1_valid says whether this group's TL1 frame was encoded: if the encoder dropped it, the
 * last TL2 frame of the group must not reference the golden buffer, which then still holds an older
 * group's frame. */
struct okno_vp8_tl_frame okno_vp8_temporal_frame(unsigned layers, unsigned pos,
                                                 bool group_tl1_valid);

#endif
