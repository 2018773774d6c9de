/* okno-bench's VP8 sender: libvpx in realtime mode configured like libwebrtc's VP8 encoder (CBR,
 * error resilient, no lag, frame dropping, WebRTC's buffer and undershoot/overshoot settings), with
 * 1-3 simulcast encodings (separate encoders at /4, /2 and /1 of the capture size, lowest first)
 * and 1-3 temporal layers each. It follows the bitrate the congestion controller gives it, split
 * across encodings and layers by vp8_layers.h, and honours key frame requests. Each encoded frame
 * comes out with what the RTP payload descriptor needs (TID, Y, N, TL0PICIDX). It deliberately
 * does not packetize (vp8_packetizer.h), pace, or pick the capture size. */
#ifndef OKNO_BENCH_MEDIA_VP8_ENCODER_H
#define OKNO_BENCH_MEDIA_VP8_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/image.h"
#include "media/vp8_layers.h"

struct okno_vp8enc_config {
    unsigned width, height;     /* capture size = the top encoding's size */
    unsigned fps;               /* nominal frame rate (rate control), 1..120 */
    unsigned encodings;         /* 1..3 simulcast encodings */
    unsigned temporal_layers;   /* 1..3 per encoding */
    unsigned start_kbps;        /* total over all encodings */
    int cpu_used;               /* libvpx speed, -16..16; 0 means -6 (WebRTC's choice) */
    unsigned threads;           /* per encoder; 0 means 1 */
    unsigned keyframe_interval; /* frames between periodic key frames; 0 means 3000 */
    /* added after the first version: the encodings are a choice of resolutions for one stream,
     * not simulcast. Exactly one encodes at a time (the top one until okno_vp8enc_select) and
     * gets the whole bitrate; TL0PICIDX carries on across a switch. */
    bool one_at_a_time;
    /* Each encoding's maximum (kbit/s, lowest first; 0: the table's), as a browser's
     * RTCRtpEncodingParameters.maxBitrate caps it: its target is then at most this too, and what
     * the top encoding can take beyond its target grows or shrinks with it. */
    unsigned max_kbps[OKNO_VP8_MAX_ENCODINGS];
};

/* One encoded frame of one encoding. */
struct okno_vp8enc_frame {
    unsigned encoding; /* 0 is the lowest resolution */
    unsigned width, height;
    const uint8_t *data; /* libvpx's buffer: valid until the next okno_vp8enc_encode */
    size_t len;
    bool keyframe;
    bool has_temporal; /* temporal_layers > 1: the descriptor carries TID/Y and TL0PICIDX */
    uint8_t tid;
    bool layer_sync;
    bool non_reference;
    uint8_t tl0picidx;
    uint32_t rtp_ts; /* 90 kHz, from the capture time */
    unsigned kbps;   /* this encoding's target when it was encoded */
};

struct okno_vp8enc;

/* Creates the encoders. Returns 0 with *out set, OKNO_E_INVAL for a configuration outside the
 * ranges above or a capture size whose /4 (or /2) is below 16 pixels, OKNO_E_NOMEM, OKNO_E_IO when
 * libvpx refuses. Destroy with okno_vp8enc_destroy. */
int okno_vp8enc_create(const struct okno_vp8enc_config *cfg, struct okno_vp8enc **out);
void okno_vp8enc_destroy(struct okno_vp8enc *enc);

/* Sets the total target bitrate, effective from the next frame: split across encodings (some may
 * pause) and their temporal layers. An encoding that resumes starts with a key frame. Returns 0 or
 * OKNO_E_IO when libvpx rejects the new configuration. */
int okno_vp8enc_set_bitrate(struct okno_vp8enc *enc, unsigned kbps);

/* In one_at_a_time mode, makes encoding the one that encodes from the next frame on, with the
 * current bitrate, starting with a key frame from a freshly opened libvpx encoder (as libwebrtc
 * reinitialises on a resolution change; the same encoding again changes nothing). Not for every
 * frame: it allocates. Returns 0, OKNO_E_INVAL (not that mode, or no such encoding) or OKNO_E_IO
 * when libvpx refuses. */
int okno_vp8enc_select(struct okno_vp8enc *enc, unsigned encoding);

/* Writes each encoding's current bitrate (0 when paused) to kbps[0..n-1]; returns n. */
unsigned okno_vp8enc_allocation(const struct okno_vp8enc *enc,
                                unsigned kbps[OKNO_VP8_MAX_ENCODINGS]);

/* Makes the next frame of encoding (or of all encodings when encoding < 0) a key frame: the answer
 * to a PLI or FIR. */
void okno_vp8enc_request_keyframe(struct okno_vp8enc *enc, int encoding);
/* Whether the next frame of encoding will be a key frame (asked for, or a new start). */
bool okno_vp8enc_keyframe_asked(const struct okno_vp8enc *enc, unsigned encoding);

/* Encodes one capture-size picture taken at capture_us (increasing). Writes up to one frame per
 * active encoding to out, lowest encoding first, and returns how many (rate control may drop a
 * frame, so fewer than the active encodings is normal); OKNO_E_INVAL when img is not capture size;
 * OKNO_E_IO when libvpx fails. The frames' data stays valid until the next call. */
int okno_vp8enc_encode(struct okno_vp8enc *enc, const struct okno_image *img, int64_t capture_us,
                       struct okno_vp8enc_frame out[OKNO_VP8_MAX_ENCODINGS]);

#endif
