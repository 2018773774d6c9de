/* okno-bench's VP8 receiver end: libvpx decoding of assembled frames to I420 pictures, with the
 * errors counted rather than fatal (a corrupt frame is a measurement, not a crash). It deliberately
 * takes only complete frames from the frame assembler and does no error concealment, post
 * processing or frame-rate smoothing. */
#ifndef OKNO_BENCH_MEDIA_VP8_DECODER_H
#define OKNO_BENCH_MEDIA_VP8_DECODER_H

#include <stddef.h>
#include <stdint.h>

#include "media/image.h"

struct okno_vp8dec_stats {
    uint64_t frames; /* decoded to a picture */
    uint64_t errors; /* frames libvpx rejected */
    uint64_t hidden; /* decoded without a picture to show (alt-ref style frames) */
};

struct okno_vp8dec;

/* Creates a decoder (threads 0 means 1). Returns 0, OKNO_E_NOMEM, OKNO_E_IO. */
int okno_vp8dec_create(unsigned threads, struct okno_vp8dec **out);
void okno_vp8dec_destroy(struct okno_vp8dec *dec);

/* Decodes one complete VP8 frame. Returns 1 with *img a view of the decoded picture (owned by
 * libvpx, valid until the next decode or destroy; okno_image_free on it is harmless), 0 when the
 * frame decoded but shows no picture, OKNO_E_MALFORMED (counted) when libvpx rejects it; after an
 * error the caller should wait for a key frame. */
int okno_vp8dec_decode(struct okno_vp8dec *dec, const uint8_t *data, size_t len,
                       struct okno_image *img);

struct okno_vp8dec_stats okno_vp8dec_stats(const struct okno_vp8dec *dec);

#endif
