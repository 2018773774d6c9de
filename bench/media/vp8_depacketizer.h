/* okno-bench's VP8 receive path from RTP packets to decodable frames: parses each packet's RFC 7741
 * payload (wire/vp8.h), assembles frames (frame_assembler.h) and decides, after a loss, which
 * frames the decoder may have. The rule is simple and safe for the sender's patterns
 * (vp8_layers.h): after any loss, decode again from the next key frame, or, when the stream has
 * temporal layers and its TL0 chain is intact, from the next TL0 frame (TL0PICIDX one above the
 * last decoded TL0 frame). While it waits for a key frame it says so, and the client sends a PLI.
 * It deliberately does not throttle key frame requests, send NACKs or decode. */
#ifndef OKNO_BENCH_MEDIA_VP8_DEPACKETIZER_H
#define OKNO_BENCH_MEDIA_VP8_DEPACKETIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/frame_assembler.h"
#include "wire/rtp.h"

struct okno_vp8depack_stats {
    uint64_t bad_payloads;   /* packets whose VP8 payload did not parse */
    uint64_t frames;         /* handed to the decoder */
    uint64_t skipped_frames; /* complete but not decodable after a loss */
    uint64_t keyframes;      /* among frames */
    uint64_t keyframe_waits; /* times a loss left it waiting for a key frame */
    struct okno_fasm_stats assembler;
};

struct okno_vp8depack;

/* Creates a depacketizer with cfg for its assembler (NULL: defaults). It waits for a key frame
 * first. Returns 0 or the errors of okno_fasm_create. Destroy with okno_vp8depack_destroy. */
int okno_vp8depack_create(const struct okno_fasm_config *cfg, struct okno_vp8depack **out);
void okno_vp8depack_destroy(struct okno_vp8depack *d);

/* Takes one parsed RTP packet of the stream, arrived at now_us; its payload is copied. Returns 0;
 * 1 when ignored as a duplicate or late; OKNO_E_TRUNCATED / OKNO_E_MALFORMED (counted) when the VP8
 * payload does not parse, in which case the packet counts as lost; OKNO_E_INVAL when the payload
 * is larger than OKNO_FASM_MAX_PAYLOAD. */
int okno_vp8depack_push(struct okno_vp8depack *d, const struct okno_rtp_pkt *pkt, int64_t now_us);

/* Takes the next frame the decoder can use. Returns 1 with *out filled (its data is valid until the
 * next pop), 0 when there is none yet. Complete frames that cannot be decoded are dropped here. */
int okno_vp8depack_pop(struct okno_vp8depack *d, int64_t now_us, struct okno_fasm_frame *out);

/* True while only a key frame can restart decoding: the client should send a PLI (throttled). */
bool okno_vp8depack_keyframe_needed(const struct okno_vp8depack *d);

/* Makes it wait for a key frame, for when the decoder rejected a frame it was given. */
void okno_vp8depack_require_keyframe(struct okno_vp8depack *d);

struct okno_vp8depack_stats okno_vp8depack_stats(const struct okno_vp8depack *d);

#endif
