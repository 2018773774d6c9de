/* The Opus packet framing of RFC 6716 section 3: the TOC byte (configuration, stereo flag, frame
 * count code), the frame count and padding of code 3, and the per-frame lengths, checked against
 * the well-formedness rules R1-R7 of section 3.4. It gives the SFU and the recorder what they need
 * without decoding: how much audio a packet holds, where each frame is, whether the packet is sane.
 * It deliberately does not look inside the frames (no SILK/CELT bitstream, no voice activity), nor
 * build packets: okno forwards Opus, it never re-frames it. */
#ifndef OKNO_WIRE_OPUS_H
#define OKNO_WIRE_OPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 120 ms of 2.5 ms frames: the most frames R5 lets one packet hold. */
#define OKNO_OPUS_MAX_FRAMES    48
#define OKNO_OPUS_MAX_FRAME_LEN 1275
/* 120 ms at 48 kHz. */
#define OKNO_OPUS_MAX_PACKET_SAMPLES 5760

enum okno_opus_mode {
    OKNO_OPUS_SILK,
    OKNO_OPUS_HYBRID,
    OKNO_OPUS_CELT,
};

enum okno_opus_bandwidth {
    OKNO_OPUS_NB,  /* 4 kHz */
    OKNO_OPUS_MB,  /* 6 kHz */
    OKNO_OPUS_WB,  /* 8 kHz */
    OKNO_OPUS_SWB, /* 12 kHz */
    OKNO_OPUS_FB,  /* 20 kHz */
};

struct okno_opus_toc {
    uint8_t config; /* 0..31, RFC 6716 table 2 */
    enum okno_opus_mode mode;
    enum okno_opus_bandwidth bandwidth;
    uint16_t
        frame_samples; /* one frame's duration in 48 kHz samples: 120 (2.5 ms) .. 2880 (60 ms) */
    bool stereo;
    uint8_t code; /* 0: one frame, 1: two equal, 2: two different, 3: a counted number */
};

/* One parsed packet. Frame pointers are views into the parsed buffer; a frame of length 0 (DTX, or
 * a lost frame the encoder chose not to send) has a non-NULL pointer and length 0. */
struct okno_opus_packet {
    struct okno_opus_toc toc;
    unsigned frame_count; /* 1..OKNO_OPUS_MAX_FRAMES */
    bool vbr;             /* code 3 only: frame lengths are coded one by one */
    size_t padding;       /* code 3 only: trailing padding bytes (not counting the length bytes) */
    uint32_t samples;     /* frame_count * toc.frame_samples: the packet's duration at 48 kHz */
    const uint8_t *frame[OKNO_OPUS_MAX_FRAMES];
    uint16_t frame_len[OKNO_OPUS_MAX_FRAMES];
};

/* Decodes a TOC byte. Every byte is a valid TOC, so this cannot fail. */
void okno_opus_parse_toc(uint8_t toc, struct okno_opus_toc *out);

/* Parses a whole packet and checks it against RFC 6716's rules R1-R7. Returns 0, OKNO_E_TRUNCATED
 * for an empty packet or one whose lengths (frame lengths, padding, count byte) run past its end,
 * OKNO_E_MALFORMED for what the rules forbid otherwise: a frame longer than 1275 bytes, a code 1
 * packet whose frames cannot be equal, a code 3 packet with no frames, more than 120 ms of audio,
 * or a CBR size that the frame count does not divide. *out points into buf and stays valid as long
 * as buf does. */
int okno_opus_parse(const uint8_t *buf, size_t len, struct okno_opus_packet *out);

/* The packet's duration in 48 kHz samples, reading only as much as that needs (TOC and, for code 3,
 * the count byte). Returns the sample count or the errors of okno_opus_parse for those two bytes:
 * it does not validate the frame lengths, so a positive answer does not mean the packet is well
 * formed. */
int okno_opus_packet_samples(const uint8_t *buf, size_t len);

#endif
