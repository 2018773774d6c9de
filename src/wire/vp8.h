/* The VP8 RTP payload descriptor of RFC 7741 section 4.2 and, at the start of a frame, the VP8
 * payload header of RFC 7741 section 4.3 with the key frame start code and dimensions of RFC 6386
 * section 9.1. It parses, rewrites the descriptor's picture ID, TL0PICIDX and TID/Y/KEYIDX in place
 * (the SFU's per-subscriber rewrite), and writes descriptors for a packetizer. It deliberately does
 * not look into the compressed frame past the key frame's dimensions, reassemble frames, or keep
 * state across packets: continuity across layer switches is vp8_munger.h's job. */
#ifndef OKNO_WIRE_VP8_H
#define OKNO_WIRE_VP8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest descriptor: first octet, extension octet, 2-byte picture ID, TL0PICIDX, TID/Y/KEYIDX. */
#define OKNO_VP8_DESC_MAX 6
/* The VP8 payload header: 3 bytes, 10 for a key frame (start code and dimensions follow). */
#define OKNO_VP8_HEADER_LEN     3
#define OKNO_VP8_KEY_HEADER_LEN 10

/* The payload descriptor. For a field whose presence flag is clear the value is 0 after a parse and
 * ignored by the writer. */
struct okno_vp8_desc {
    bool x; /* extension octet present; the writer sets it itself when any of I/L/T/K is set */
    bool n; /* non-reference frame: may be discarded without hurting other frames */
    bool s; /* start of a VP8 partition */
    uint8_t part_id;
    bool has_picture_id;     /* I */
    bool has_tl0picidx;      /* L */
    bool has_tid;            /* T: TID and Y are meaningful */
    bool has_keyidx;         /* K */
    uint8_t picture_id_bits; /* 7 or 15 (the M bit) when has_picture_id, else 0 */
    uint16_t picture_id;
    uint8_t tl0picidx;
    uint8_t tid;    /* 0..3 */
    bool y;         /* layer sync: depends only on the base layer */
    uint8_t keyidx; /* 0..31 */
    uint8_t size;   /* descriptor length in bytes, 1..OKNO_VP8_DESC_MAX */
};

/* The VP8 payload header, present only on the first packet of a frame (S=1, PartID=0). */
struct okno_vp8_header {
    bool keyframe; /* the P bit is 0 */
    uint8_t version;
    bool show_frame;
    uint32_t first_part_size; /* 19 bits */
    /* Key frames only; 0 otherwise. Scale is the 2-bit upscaling mode of RFC 6386 9.1. */
    uint16_t width, height;
    uint8_t hscale, vscale;
};

/* One parsed VP8 RTP payload. Pointers are views into the parsed buffer. */
struct okno_vp8_packet {
    struct okno_vp8_desc desc;
    bool has_header; /* S=1 and PartID=0: the payload starts with the VP8 payload header */
    struct okno_vp8_header header;
    const uint8_t *payload; /* after the descriptor: the VP8 bitstream bytes (header included) */
    size_t payload_len;     /* never 0 after a successful parse */
};

/* Parses only the payload descriptor at the start of buf. Returns the descriptor size (1..6),
 * OKNO_E_TRUNCATED if buf ends inside it. Reserved bits are ignored, as RFC 7741 asks of receivers.
 */
int okno_vp8_parse_desc(const uint8_t *buf, size_t len, struct okno_vp8_desc *out);

/* Parses a whole VP8 RTP payload: descriptor, then the payload header when S=1 and PartID=0.
 * Returns 0, OKNO_E_TRUNCATED if the descriptor or header is cut short or no VP8 bytes follow the
 * descriptor (an empty VP8 payload is not allowed), OKNO_E_MALFORMED if a key frame lacks the 9d 01
 * 2a start code. *out points into buf and stays valid as long as buf does. */
int okno_vp8_parse(const uint8_t *buf, size_t len, struct okno_vp8_packet *out);

/* True if the packet starts a key frame. Only the first packet of a frame can tell: for any other
 * packet this returns false, and the caller tracks frames by picture ID or RTP timestamp. */
bool okno_vp8_is_keyframe(const struct okno_vp8_packet *pkt);

/* Rewrites, in place, the picture ID, TL0PICIDX, TID/Y and KEYIDX that buf's descriptor carries,
 * taking the values from *fields. Only fields present in buf are written; the presence flags in
 * *fields are not consulted, and the descriptor's layout and size never change, so the rest of the
 * packet stays where it is. A picture ID is wrapped to the width of buf's field (7 or 15 bits); TID
 * is taken modulo 4 and KEYIDX modulo 32. TID/Y are written only when T is set and KEYIDX only when
 * K is set: the other bits of that octet are kept. Returns 0 or the errors of okno_vp8_parse_desc,
 * in which case buf is unchanged. */
int okno_vp8_rewrite(uint8_t *buf, size_t len, const struct okno_vp8_desc *fields);

/* The size okno_vp8_write_descriptor would write for *d, or OKNO_E_RANGE if a field does not fit
 * (PartID > 7, picture_id_bits not 7 or 15, a picture ID wider than its field, TID > 3, KEYIDX >
 * 31). */
int okno_vp8_descriptor_size(const struct okno_vp8_desc *d);

/* Writes the descriptor for *d (a packetizer's side) into out. The extension octet is written when
 * d->x or any of I/L/T/K is set; d->size is not read. Returns the number of bytes written,
 * OKNO_E_RANGE as okno_vp8_descriptor_size, or OKNO_E_NOSPC if cap is too small (out is then
 * untouched). */
int okno_vp8_write_descriptor(uint8_t *out, size_t cap, const struct okno_vp8_desc *d);

#endif
