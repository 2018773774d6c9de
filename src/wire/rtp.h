/* RTP packets (RFC 3550 5.1): the fixed header, the CSRC list, the header extension block and
 * padding, parsed into a view that points into the caller's buffer; a header writer; and in-place
 * rewriting of the fields the SFU changes on forwarding (SSRC, sequence number, timestamp, marker,
 * payload type). Nothing is copied or allocated. It deliberately does not look inside the extension
 * block (rtp_ext.h walks the RFC 8285 elements) nor inside the payload (codec descriptors live in
 * their own modules), and it does not tell RTP from RTCP on a shared port: demux.h does that before
 * anything here is called. */
#ifndef OKNO_WIRE_RTP_H
#define OKNO_WIRE_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_RTP_HEADER_LEN 12
#define OKNO_RTP_MAX_CSRC   15
/* The extension block's own header: 16-bit profile, 16-bit length in 32-bit words. */
#define OKNO_RTP_EXT_HEADER_LEN 4
/* The largest extension body the length field can describe. */
#define OKNO_RTP_EXT_MAX_LEN ((size_t)65535 * 4)

/* One parsed packet. Every pointer is a view into the parsed buffer and lives as long as it does.
 */
struct okno_rtp_pkt {
    bool padding;   /* P bit */
    bool extension; /* X bit */
    bool marker;
    uint8_t pt;
    uint16_t seq;
    uint32_t ts;
    uint32_t ssrc;
    uint8_t csrc_count;
    uint32_t csrc[OKNO_RTP_MAX_CSRC];
    uint16_t ext_profile; /* 0xBEDE or 0x100X for RFC 8285 blocks; 0 when there is no extension */
    const uint8_t
        *ext;       /* extension body after its 4-byte header; NULL when there is no extension */
    size_t ext_len; /* bytes, a multiple of 4 (may be 0 with the X bit set) */
    const uint8_t *payload;
    size_t payload_len; /* padding excluded */
    uint8_t pad_len;    /* padding bytes including the count octet; 0 without the P bit */
    size_t header_len;  /* fixed header + CSRCs + extension block */
    const uint8_t *raw; /* the whole packet */
    size_t raw_len;
};

/* Parses one RTP packet of exactly len bytes. Returns 0; OKNO_E_TRUNCATED when len is shorter than
 * the fixed header or than the CSRC list or the extension block it announces; OKNO_E_VERSION when
 * the version is not 2; OKNO_E_MALFORMED when the P bit is set and the padding count is 0 or larger
 * than what follows the header. *out is fully written only on success and points into buf. */
int okno_rtp_parse(const uint8_t *buf, size_t len, struct okno_rtp_pkt *out);

/* Writes the header described by h into buf: fixed header with h's P, X, M, PT, sequence number,
 * timestamp and SSRC, then h->csrc_count CSRCs, then, when h->extension is set, the extension block
 * (h->ext_profile, h->ext_len / 4 words, h->ext_len bytes from h->ext). The payload and the padding
 * (if the P bit is set) are the caller's to append; the P bit only says they will be there. Other
 * fields of h are ignored, so a parsed packet can be passed to rebuild its header. Returns the
 * bytes written; OKNO_E_INVAL for pt above 127, more than 15 CSRCs, or an ext_len that is not a
 * multiple of 4 or is too large; OKNO_E_NOSPC when cap is too small (nothing is written then).
 * Reads only h and what it points to. */
int okno_rtp_write_header(uint8_t *buf, size_t cap, const struct okno_rtp_pkt *h);

/* Appends RFC 3550 padding to the packet of len bytes in buf (capacity cap): pad_len - 1 zero
 * octets then the count, and sets the P bit. Used for probing packets and for SRTP block alignment.
 * Returns the new length; OKNO_E_INVAL for pad_len 0; OKNO_E_TRUNCATED / OKNO_E_VERSION as
 * okno_rtp_parse for a header that is not RTP; OKNO_E_STATE when the packet already carries
 * padding; OKNO_E_NOSPC. */
int okno_rtp_append_padding(uint8_t *buf, size_t len, size_t cap, uint8_t pad_len);

/* In-place rewriting of one field of a packet of len bytes. They check only that the fixed header
 * is there and is version 2 (OKNO_E_TRUNCATED, OKNO_E_VERSION), so they cost a few loads and stores
 * on the forwarding path of a packet that was parsed on the way in. okno_rtp_set_pt returns
 * OKNO_E_INVAL above 127. Return 0 on success; nothing else in the packet changes, so views from an
 * earlier parse stay valid, apart from the changed field's copy in struct okno_rtp_pkt. */
int okno_rtp_set_ssrc(uint8_t *pkt, size_t len, uint32_t ssrc);
int okno_rtp_set_seq(uint8_t *pkt, size_t len, uint16_t seq);
int okno_rtp_set_ts(uint8_t *pkt, size_t len, uint32_t ts);
int okno_rtp_set_marker(uint8_t *pkt, size_t len, bool marker);
int okno_rtp_set_pt(uint8_t *pkt, size_t len, uint8_t pt);

#endif
