/* The RTP payload for redundant audio data of RFC 2198 (RED), as browsers use it for Opus: block
 * headers (F bit, block payload type, 14-bit timestamp offset, 10-bit length), the final one-byte
 * header of the primary, and the blocks' data. It parses into views, builds a RED payload into a
 * caller's buffer, strips RED down to its primary for subscribers that did not negotiate it, and
 * hands out a redundant block as a payload with its own timestamp so a receiver can fill a gap. It
 * deliberately knows nothing of the RTP header around the payload (the caller sets the payload type
 * and timestamp it is given) nor of the codec inside the blocks, and keeps no history of which
 * timestamps were already delivered. */
#ifndef OKNO_WIRE_RED_H
#define OKNO_WIRE_RED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_RED_HEADER_LEN    4 /* a redundant block's header */
#define OKNO_RED_MAX_TS_OFFSET 0x3fff
#define OKNO_RED_MAX_BLOCK_LEN 0x3ff

/* One block. data is a view into the RED payload it was parsed from (or, for the builder, the
 * caller's bytes to copy). For the primary, ts_offset is 0 and len is whatever follows the last
 * redundant block. */
struct okno_red_block {
    uint8_t pt;         /* 0..127 */
    uint16_t ts_offset; /* subtracted from the RTP timestamp: 0..OKNO_RED_MAX_TS_OFFSET */
    const uint8_t *data;
    size_t len; /* redundant blocks: 0..OKNO_RED_MAX_BLOCK_LEN */
};

/* Parses a RED payload into up to cap redundant blocks (in packet order: oldest first, as senders
 * put them) and the primary. Returns the number of redundant blocks, OKNO_E_TRUNCATED if the
 * headers or the blocks' lengths run past the end, OKNO_E_NOSPC if there are more than cap
 * redundant blocks. redundant may be NULL when cap is 0. Views point into buf and stay valid as
 * long as buf does. */
int okno_red_parse(const uint8_t *buf, size_t len, struct okno_red_block *redundant, size_t cap,
                   struct okno_red_block *primary);

/* The size okno_red_build would write: 4 bytes per redundant block, 1 for the primary's header, and
 * all the data. Returns it, or OKNO_E_RANGE if a block's payload type, timestamp offset or length
 * does not fit its field (the primary's length is unlimited). */
int okno_red_size(const struct okno_red_block *redundant, size_t n,
                  const struct okno_red_block *primary);

/* Builds a RED payload from n redundant blocks (written in the given order) and the primary into
 * out. Returns the payload length, OKNO_E_RANGE as okno_red_size, OKNO_E_NOSPC if cap is too small
 * (out may then hold a partial payload). The blocks' data must not overlap out. */
int okno_red_build(uint8_t *out, size_t cap, const struct okno_red_block *redundant, size_t n,
                   const struct okno_red_block *primary);

/* Finds the primary without recording the redundant blocks. Returns 0 or the errors of
 * okno_red_parse (never OKNO_E_NOSPC). */
int okno_red_primary(const uint8_t *buf, size_t len, struct okno_red_block *primary);

/* Strips RED in place: moves the primary's data to the start of buf, for a subscriber without RED.
 * Returns the new payload length (the caller writes it, and *pt as the RTP payload type, into the
 * packet), or the errors of okno_red_parse, in which case buf is unchanged. Invalidates views into
 * buf. */
int okno_red_strip(uint8_t *buf, size_t len, uint8_t *pt);

/* A redundant block recovered as a payload of its own. */
struct okno_red_recovered {
    uint8_t pt;
    uint32_t timestamp; /* the RED packet's RTP timestamp minus the block's offset, modulo 2^32 */
    const uint8_t *data;
    size_t len;
};

/* Returns the index-th redundant block of a RED packet whose RTP timestamp is rtp_ts (index 0 is
 * the first in the packet, the oldest). Returns 0, OKNO_E_NOTFOUND if the packet has no such block,
 * or the errors of okno_red_parse. data is a view into buf. Which recovered payloads fill a gap,
 * and which the receiver already has, is the caller's decision, by timestamp. */
int okno_red_recover(const uint8_t *buf, size_t len, uint32_t rtp_ts, size_t index,
                     struct okno_red_recovered *out);

#endif
