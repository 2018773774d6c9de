/* RTCP framing: the common header of RFC 3550 6.4, walking a compound datagram packet by packet,
 * the validity rules of RFC 3550 A.2 (relaxed for reduced-size RTCP, RFC 5506), and a writer that
 * appends packets into one datagram. Everything here works on views into the caller's buffer:
 * nothing is copied or allocated. It deliberately knows nothing about what is inside a packet
 * beyond the first word after the header; the report, SDES, BYE and feedback bodies are decoded by
 * rtcp_report.h and rtcp_fb.h. */
#ifndef OKNO_WIRE_RTCP_H
#define OKNO_WIRE_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum okno_rtcp_type {
    OKNO_RTCP_SR = 200,
    OKNO_RTCP_RR = 201,
    OKNO_RTCP_SDES = 202,
    OKNO_RTCP_BYE = 203,
    OKNO_RTCP_APP = 204,
    OKNO_RTCP_RTPFB = 205,
    OKNO_RTCP_PSFB = 206,
    OKNO_RTCP_XR = 207,
};

#define OKNO_RTCP_HEADER_LEN 4
/* The 5-bit count field bounds report blocks, SDES chunks and BYE sources alike. */
#define OKNO_RTCP_MAX_COUNT 31

/* One packet of a compound datagram. Every pointer is a view into the parsed buffer. */
struct okno_rtcp_pkt {
    uint8_t version; /* always 2 after a successful parse */
    bool padding;
    uint8_t count; /* RC, SC or FMT depending on the type: the low 5 bits of the first octet */
    uint8_t pt;
    uint16_t length;      /* the header field as sent: size in 32-bit words minus one */
    uint32_t sender_ssrc; /* first word after the header (for SDES and BYE the first source); 0 if
                             none */
    const uint8_t *raw;   /* the whole packet, header and padding included */
    size_t raw_len;
    const uint8_t *body; /* after the 4-byte header, padding removed */
    size_t body_len;
    uint8_t pad_len;
};

/* Parses the packet at the start of buf (len bytes may hold more packets after it). Returns the
 * packet's size in bytes (4 * (length + 1)), OKNO_E_TRUNCATED if buf holds less than the header or
 * than the length field claims, OKNO_E_VERSION if the version is not 2, OKNO_E_MALFORMED if the
 * padding count is zero or larger than the body. *out points into buf and stays valid as long as
 * buf does. */
int okno_rtcp_parse(const uint8_t *buf, size_t len, struct okno_rtcp_pkt *out);

/* Walks a compound datagram. Initialise with okno_rtcp_iter_init; it borrows buf. */
struct okno_rtcp_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;
    int err; /* sticky: once a packet fails, the walk stops there */
};

void okno_rtcp_iter_init(struct okno_rtcp_iter *it, const uint8_t *buf, size_t len);

/* Fills *pkt with the next packet. Returns 1 when a packet was produced, 0 at the clean end of the
 * datagram and a negative code (sticky, repeated by later calls) for what okno_rtcp_parse rejects,
 * for trailing bytes shorter than a header (OKNO_E_TRUNCATED) and for padding in a packet that is
 * not the last one (OKNO_E_MALFORMED): padding tells where the datagram ends, so anything after it
 * cannot be trusted. */
int okno_rtcp_iter_next(struct okno_rtcp_iter *it, struct okno_rtcp_pkt *pkt);

/* Checks a whole datagram: every packet as okno_rtcp_iter_next does, lengths adding up to exactly
 * len, at least one packet. Unless reduced_size is set (rtcp-rsize negotiated, RFC 5506), RFC
 * 3550 6.1 applies too: the first packet must be an SR or RR; a reduced-size datagram may start
 * with any type, for instance a lone NACK or PLI. Returns the packet count or the first packet's
 * error (OKNO_E_MALFORMED for the compound rule). Reads only buf. */
int okno_rtcp_validate(const uint8_t *buf, size_t len, bool reduced_size);

/* Appends packets into one datagram in the caller's buffer. Every okno_rtcp_*_build function writes
 * a whole packet with its length already set; pass it tail and room, then hand its return value to
 * commit. The first error sticks, so a sequence of appends can be checked once at the end. */
struct okno_rtcp_writer {
    uint8_t *buf; /* borrowed */
    size_t cap;
    size_t len;
    size_t last; /* offset of the last committed packet, for padding */
    int err;
};

void okno_rtcp_writer_init(struct okno_rtcp_writer *w, uint8_t *buf, size_t cap);
/* Where the next packet goes and how much room is left; tail is NULL once an error has stuck. */
uint8_t *okno_rtcp_writer_tail(const struct okno_rtcp_writer *w);
size_t okno_rtcp_writer_room(const struct okno_rtcp_writer *w);

/* Takes the result of a builder that wrote at the tail. A negative value becomes the sticky error;
 * a packet whose header does not describe exactly `built` bytes is refused with OKNO_E_INVAL, so a
 * datagram never leaves with a length that lies. Returns 0 or the sticky error. */
int okno_rtcp_writer_commit(struct okno_rtcp_writer *w, int built);

/* Pads the last packet (RFC 3550 6.4.1 padding: zero octets, the last one holding the count) so
 * that the datagram's size becomes a multiple of align (a power of two from 4 to 128), setting its
 * P bit and fixing up its length field. Nothing changes when the size is already aligned. Returns
 * 0, the sticky error, OKNO_E_INVAL for a bad align or when nothing was committed, OKNO_E_NOSPC
 * (which then sticks). */
int okno_rtcp_writer_pad(struct okno_rtcp_writer *w, size_t align);

/* Returns the datagram's size in bytes, or the sticky error. */
int okno_rtcp_writer_finish(const struct okno_rtcp_writer *w);

/* Writes the 4-byte common header for a packet of total size bytes (a multiple of 4, at most
 * 262144); returns 4 or OKNO_E_INVAL. For the builders; buf must have room for the header. */
int okno__rtcp_write_header(uint8_t *buf, uint8_t count, uint8_t pt, size_t size);

#endif
