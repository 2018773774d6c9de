/* RTP header extension elements (RFC 8285): walking the one-byte (profile 0xBEDE) and two-byte
 * (0x100X) forms of the block that rtp.h hands over, looking an element up by its negotiated id,
 * overwriting an element's value in place, building a block from elements, writing a copy of a
 * packet with one element added or replaced (how the pacer stamps transport-wide sequence numbers),
 * and typed accessors for the extensions WebRTC negotiates. Ids come from SDP, so every accessor
 * takes the id as a parameter; this module deliberately keeps no id-to-URI map and no state at all.
 * Views point into the packet buffer. */
#ifndef OKNO_WIRE_RTP_EXT_H
#define OKNO_WIRE_RTP_EXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/rtp.h"

#define OKNO_RTP_EXT_PROFILE_ONE_BYTE 0xBEDE
/* The low 4 bits of the two-byte profile are "appbits", free for the application. */
#define OKNO_RTP_EXT_PROFILE_TWO_BYTE 0x1000
#define OKNO_RTP_EXT_ONE_BYTE_MAX_ID  14
#define OKNO_RTP_EXT_ONE_BYTE_MAX_LEN 16

enum okno_rtp_ext_form {
    OKNO_RTP_EXT_NONE = 0, /* no X bit, or a profile RFC 8285 does not define */
    OKNO_RTP_EXT_ONE_BYTE = 1,
    OKNO_RTP_EXT_TWO_BYTE = 2,
};

/* One element; data points into the packet (or, as input to the builders, to the caller's bytes).
 */
struct okno_rtp_ext {
    uint8_t id;  /* 1-14 in the one-byte form, 1-255 in the two-byte form */
    uint8_t len; /* data bytes: 1-16 in the one-byte form, 0-255 in the two-byte form */
    const uint8_t *data;
};

/* The form a block profile selects: ONE_BYTE for 0xBEDE, TWO_BYTE for 0x1000-0x100F, else NONE. */
enum okno_rtp_ext_form okno_rtp_ext_form_of(uint16_t profile);

/* Walks the elements of a parsed packet's extension block. It borrows the packet's buffer. */
struct okno_rtp_ext_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
    enum okno_rtp_ext_form form;
    int err; /* sticky */
};

/* Starts a walk over pkt's elements. A packet without the X bit yields no elements; one whose
 * profile is not an RFC 8285 form makes okno_rtp_ext_iter_next return OKNO_E_UNSUPPORTED. */
void okno_rtp_ext_iter_init(struct okno_rtp_ext_iter *it, const struct okno_rtp_pkt *pkt);

/* Fills *out with the next element, skipping padding octets. Returns 1 for an element, 0 at the end
 * (the end of the block, or an id-15 octet in the one-byte form, which RFC 8285 says ends
 * processing), or a sticky negative code: OKNO_E_MALFORMED for an element running past the block, a
 * nonzero octet with id 0 in the one-byte form (id 0 is reserved for padding, which is all zero);
 * OKNO_E_UNSUPPORTED as above. */
int okno_rtp_ext_iter_next(struct okno_rtp_ext_iter *it, struct okno_rtp_ext *out);

/* Finds the first element with this id. Returns 0 and fills *out; OKNO_E_NOTFOUND; or the walk's
 * error when the block turns bad before the element is found. *out points into pkt's buffer. */
int okno_rtp_ext_find(const struct okno_rtp_pkt *pkt, uint8_t id, struct okno_rtp_ext *out);

/* Overwrites the value of element id in the packet of len bytes, in place, when the element is
 * there with exactly data_len bytes. Returns 0; the parse or walk error; OKNO_E_NOTFOUND;
 * OKNO_E_RANGE when the lengths differ (use okno_rtp_ext_put then). No byte outside the element's
 * value changes, so views from an earlier parse stay valid. */
int okno_rtp_ext_set(uint8_t *pkt, size_t len, uint8_t id, const uint8_t *data, size_t data_len);

/* Writes an extension body (without the 4-byte block header) holding the n elements in order,
 * zero-padded to a multiple of 4, and stores the profile to announce in *profile: the one-byte form
 * when every element has an id of 1-14 and 1-16 bytes, the two-byte form (appbits 0) otherwise.
 * Returns the bytes written; OKNO_E_INVAL for id 0 or NULL data with len > 0; OKNO_E_RANGE when the
 * body would not fit the 16-bit length field; OKNO_E_NOSPC (buf may then hold part of the body). */
int okno_rtp_ext_build(uint8_t *buf, size_t cap, const struct okno_rtp_ext *elems, size_t n,
                       uint16_t *profile);

/* Writes into out a copy of the packet of len bytes with element *elem added, or replacing the
 * element(s) with the same id (at the first one's place). Every other element keeps its value and
 * order; the block is re-encoded, keeping the two-byte form and its appbits if the packet used it,
 * otherwise switching to it only when some element needs it. CSRCs, payload and padding are copied
 * unchanged, the payload shifting to make room. Elements after an id-15 octet are not carried over
 * (RFC 8285 ends the block there). out must not overlap pkt. Returns the new length; the parse or
 * walk error; OKNO_E_UNSUPPORTED for a block whose profile is not RFC 8285; OKNO_E_INVAL,
 * OKNO_E_RANGE as okno_rtp_ext_build; OKNO_E_NOSPC. */
int okno_rtp_ext_put(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap,
                     const struct okno_rtp_ext *elem);

/* Typed accessors. Getters return 0 and fill their outputs; OKNO_E_NOTFOUND; the walk's error; or
 * OKNO_E_MALFORMED when the element's length is wrong for its type. Setters work in place as
 * okno_rtp_ext_set does. */

/* transport-wide-cc (draft-holmer-rmcat-transport-wide-cc-extensions): a 16-bit sequence number,
 * followed by two feedback-request bytes in version 2, so 2 or 4 bytes are accepted. */
int okno_rtp_ext_get_twcc(const struct okno_rtp_pkt *pkt, uint8_t id, uint16_t *seq);
int okno_rtp_ext_set_twcc(uint8_t *pkt, size_t len, uint8_t id, uint16_t seq);

/* abs-send-time: 24 bits, seconds in 6.18 fixed point, wrapping every 64 s. */
int okno_rtp_ext_get_abs_send_time(const struct okno_rtp_pkt *pkt, uint8_t id, uint32_t *t24);
int okno_rtp_ext_set_abs_send_time(uint8_t *pkt, size_t len, uint8_t id, uint32_t t24);
/* Converts a monotonic time in microseconds to the 24-bit value (rounded to the nearest 1/262144
 * s). */
uint32_t okno_rtp_abs_send_time_from_us(uint64_t us);
/* The microseconds (0 to 64 s) a 24-bit value stands for, rounded to the nearest. */
uint64_t okno_rtp_abs_send_time_to_us(uint32_t t24);

/* ssrc-audio-level (RFC 6464): one byte, the V bit (voice activity) and the level in -dBov (0-127).
 */
int okno_rtp_ext_get_audio_level(const struct okno_rtp_pkt *pkt, uint8_t id, bool *voice,
                                 uint8_t *level);

/* transmission-time-offset (RFC 5450): a 24-bit signed offset in RTP timestamp units. */
int okno_rtp_ext_get_toffset(const struct okno_rtp_pkt *pkt, uint8_t id, int32_t *offset);

/* sdes:mid (RFC 8843), rtp-stream-id and repaired-rtp-stream-id (RFC 8852): strings, not
 * NUL-terminated. *s points into the packet and *n stops at the first NUL octet, since some senders
 * pad the value with NULs; an empty string is OKNO_E_MALFORMED. The three only differ by which
 * negotiated id the caller passes. */
int okno_rtp_ext_get_string(const struct okno_rtp_pkt *pkt, uint8_t id, const char **s, size_t *n);
int okno_rtp_ext_get_mid(const struct okno_rtp_pkt *pkt, uint8_t id, const char **s, size_t *n);
int okno_rtp_ext_get_rid(const struct okno_rtp_pkt *pkt, uint8_t id, const char **s, size_t *n);
int okno_rtp_ext_get_repaired_rid(const struct okno_rtp_pkt *pkt, uint8_t id, const char **s,
                                  size_t *n);

#endif
