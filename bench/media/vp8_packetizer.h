/* VP8 RTP packetization (RFC 7741) for okno-bench's sender: splits one encoded frame into RTP
 * packets of at most a given size, in equal parts as libwebrtc does, each with an RTP header
 * (wire/rtp.h's writer) and a payload descriptor (wire/vp8.h's writer) carrying a 15-bit picture
 * ID, TL0PICIDX and TID/Y when the stream has temporal layers, N for discardable frames, S and
 * PartID 0 on the first packet and the marker on the last. The caller passes each packet's header
 * extension (transport-wide sequence number and the like) and its own buffer. It deliberately
 * does not keep packets for retransmission, pace them, or split at VP8 partition boundaries (the
 * encoder makes one token partition). */
#ifndef OKNO_BENCH_MEDIA_VP8_PACKETIZER_H
#define OKNO_BENCH_MEDIA_VP8_PACKETIZER_H

#include <stddef.h>
#include <stdint.h>

#include "media/vp8_encoder.h"
#include "wire/vp8.h"

struct okno_vp8pack_config {
    uint32_t ssrc;
    uint8_t pt;
    uint16_t first_seq;
    uint16_t first_picture_id; /* taken modulo 2^15 */
    size_t max_packet;         /* whole RTP packet, header and extension included (e.g. 1200) */
};

struct okno_vp8pack {
    struct okno_vp8pack_config cfg;
    uint16_t seq;        /* of the next packet */
    uint16_t picture_id; /* of the next frame */
    /* the frame being packetized (borrowed data) */
    const uint8_t *data;
    size_t len, off;
    size_t ext_room;
    unsigned index, count;
    uint32_t ts;
    uint8_t desc_first[OKNO_VP8_DESC_MAX]; /* its descriptor with S=1 */
    uint8_t desc_rest[OKNO_VP8_DESC_MAX];  /* and with S=0 */
    int desc_len;
};

/* Sets up a packetizer; nothing to release. Returns 0 or OKNO_E_INVAL for a pt above 127. */
int okno_vp8pack_init(struct okno_vp8pack *p, const struct okno_vp8pack_config *cfg);

/* Starts packetizing frame f, whose data must stay valid until the last okno_vp8pack_next.
 * ext_room is the largest extension body (a multiple of 4) any of its packets will carry. Returns
 * the number of packets the frame takes; OKNO_E_INVAL for an empty frame or an ext_room that is not
 * a multiple of 4; OKNO_E_NOSPC when max_packet leaves no room for payload. Abandons any frame in
 * progress (its remaining packets are never sent, and its sequence numbers are not used). */
int okno_vp8pack_begin(struct okno_vp8pack *p, const struct okno_vp8enc_frame *f, size_t ext_room);

/* Writes the next packet of the frame into out: RTP header (with the RFC 8285 one-byte extension
 * block 0xBEDE of ext_len bytes from ext when ext_len > 0), descriptor, payload. Returns the packet
 * length, 0 when the frame is done, OKNO_E_INVAL when ext_len exceeds the ext_room given to begin
 * or is not a multiple of 4, OKNO_E_NOSPC when cap is below the packet (nothing is consumed then).
 * The packet's sequence number is p->seq before the call. */
int okno_vp8pack_next(struct okno_vp8pack *p, uint8_t *out, size_t cap, const uint8_t *ext,
                      size_t ext_len);

#endif
