/* RTX retransmission packets (RFC 4588, SSRC-multiplexed as WebRTC uses them): unwrapping a
 * received RTX packet back into the original, wrapping an original packet from the cache for
 * retransmission, and recognising the padding-only RTX packets that senders use for bandwidth
 * probing. Both directions copy into a caller buffer and keep CSRCs, header extensions, timestamp,
 * marker and padding as they are. It deliberately knows nothing about which SSRC or payload type
 * pairs with which (that is the a=ssrc-group and apt= bookkeeping of the session), and it does not
 * keep the retransmission history. */
#ifndef OKNO_WIRE_RTX_H
#define OKNO_WIRE_RTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/rtp.h"

/* The original sequence number that RFC 4588 puts before the original payload. */
#define OKNO_RTX_OSN_LEN 2

/* True for an RTX packet that carries padding and nothing else: no OSN, no payload. Senders probe
 * the link with these; they have no original to restore and must not be counted as retransmissions.
 */
bool okno_rtx_is_padding_only(const struct okno_rtp_pkt *rtx);

/* The original sequence number of a parsed RTX packet, as a non-negative int; OKNO_E_TRUNCATED when
 * the payload is shorter than the OSN (padding-only packets included). */
int okno_rtx_osn(const struct okno_rtp_pkt *rtx);

/* Writes into out the original packet carried by the RTX packet of len bytes: the RTX header with
 * ssrc and pt replaced by the caller's (the media SSRC and the apt= payload type) and the sequence
 * number taken from the OSN, then the payload after the OSN, then the RTX packet's padding. Returns
 * the original's length; 0 for a padding-only packet (nothing written: there is no original); the
 * parse error; OKNO_E_TRUNCATED for a payload of 1 byte; OKNO_E_INVAL for pt above 127;
 * OKNO_E_NOSPC. out must not overlap rtx; on error its contents are unspecified. */
int okno_rtx_unwrap(const uint8_t *rtx, size_t len, uint8_t *out, size_t cap, uint32_t ssrc,
                    uint8_t pt);

/* Writes into out the RTX packet that retransmits the original packet of len bytes: its header with
 * rtx_ssrc, rtx_pt and rtx_seq, then the original sequence number, then the original payload and
 * padding. Returns the RTX packet's length (len + 2); the parse error; OKNO_E_INVAL for rtx_pt
 * above 127; OKNO_E_RANGE when len + 2 would not fit the int return; OKNO_E_NOSPC. out must not
 * overlap pkt. */
int okno_rtx_wrap(const uint8_t *pkt, size_t len, uint8_t *out, size_t cap, uint32_t rtx_ssrc,
                  uint8_t rtx_pt, uint16_t rtx_seq);

#endif
