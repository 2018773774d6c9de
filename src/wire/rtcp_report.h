/* RTCP reports and source descriptions (RFC 3550 6.4-6.6): sender and receiver reports with their
 * report blocks, SDES chunks and items, BYE, and the NTP time arithmetic that goes with them (LSR,
 * DLSR, RTT). Parsers take a packet already framed by okno_rtcp_parse and fill caller structs whose
 * pointers are views into the packet; builders write one whole packet into a caller buffer. Nothing
 * here computes loss or jitter statistics: that is the receive-stats stage, which only hands the
 * numbers to these builders. */
#ifndef OKNO_WIRE_RTCP_REPORT_H
#define OKNO_WIRE_RTCP_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/rtcp.h"

#define OKNO_RTCP_REPORT_BLOCK_LEN 24

struct okno_rtcp_report_block {
    uint32_t ssrc; /* the source this block reports on */
    uint8_t fraction_lost;
    int32_t
        cumulative_lost; /* signed 24 bits on the wire: negative when duplicates outnumber losses */
    uint32_t ext_highest_seq;
    uint32_t jitter;
    uint32_t lsr;  /* middle 32 bits of the last SR's NTP timestamp, 0 if none yet */
    uint32_t dlsr; /* delay since that SR, in 1/65536 s */
};

struct okno_rtcp_sr {
    uint32_t ssrc;
    uint64_t ntp; /* 32.32 fixed point seconds since 1900 */
    uint32_t rtp_ts;
    uint32_t packet_count;
    uint32_t octet_count;
    uint8_t report_count;
    struct okno_rtcp_report_block blocks[OKNO_RTCP_MAX_COUNT];
    const uint8_t
        *ext; /* profile-specific extension, a multiple of 4 bytes; view into the packet */
    size_t ext_len;
};

struct okno_rtcp_rr {
    uint32_t ssrc;
    uint8_t report_count;
    struct okno_rtcp_report_block blocks[OKNO_RTCP_MAX_COUNT];
    const uint8_t *ext;
    size_t ext_len;
};

/* Decode an SR or RR. Return 0, OKNO_E_INVAL if pkt is another type, OKNO_E_MALFORMED if the body
 * is shorter than the report count needs. Whatever follows the blocks is the profile extension. */
int okno_rtcp_sr_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_sr *out);
int okno_rtcp_rr_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_rr *out);

/* Encode one SR or RR into buf. A cumulative loss outside 24 bits is clamped as RFC 3550 A.3 says.
 * Return bytes written, OKNO_E_NOSPC (buf untouched), OKNO_E_INVAL for more than 31 blocks or an
 * extension that is not a multiple of 4 bytes. */
int okno_rtcp_sr_build(const struct okno_rtcp_sr *sr, uint8_t *buf, size_t cap);
int okno_rtcp_rr_build(const struct okno_rtcp_rr *rr, uint8_t *buf, size_t cap);

enum okno_rtcp_sdes_type {
    OKNO_SDES_END = 0,
    OKNO_SDES_CNAME = 1,
    OKNO_SDES_NAME = 2,
    OKNO_SDES_EMAIL = 3,
    OKNO_SDES_PHONE = 4,
    OKNO_SDES_LOC = 5,
    OKNO_SDES_TOOL = 6,
    OKNO_SDES_NOTE = 7,
    OKNO_SDES_PRIV = 8,
};

struct okno_rtcp_sdes_item {
    uint8_t type;
    uint8_t len;
    const uint8_t *data; /* not NUL-terminated; PRIV keeps its prefix length and prefix inside */
};

/* A parsed chunk: its items stay encoded (a view) until okno_rtcp_sdes_item_next walks them. */
struct okno_rtcp_sdes_chunk {
    uint32_t ssrc;
    const uint8_t *items; /* the item octets up to, not including, the terminating null */
    size_t items_len;
    size_t item_count;
};

/* Decodes every chunk of an SDES packet into chunks[0..cap). Each chunk's item list must end in a
 * null octet and the chunk must then be null-padded to a 32-bit boundary; the chunks must fill the
 * body exactly. Returns the chunk count (the SC field), OKNO_E_INVAL for another type,
 * OKNO_E_MALFORMED for an item running past the body, a missing terminator, non-null padding or
 * bytes left after the last chunk, OKNO_E_NOSPC if cap is smaller than SC (a cap of
 * OKNO_RTCP_MAX_COUNT always suffices). */
int okno_rtcp_sdes_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_sdes_chunk *chunks,
                         size_t cap);

/* Steps through a chunk that okno_rtcp_sdes_parse accepted; start *off at 0. Returns 1 with *item
 * filled (a view into the packet), 0 after the last item. */
int okno_rtcp_sdes_item_next(const struct okno_rtcp_sdes_chunk *chunk, size_t *off,
                             struct okno_rtcp_sdes_item *item);

/* Finds the first item of a type in a parsed chunk. Returns 0 or OKNO_E_NOTFOUND. */
int okno_rtcp_sdes_find(const struct okno_rtcp_sdes_chunk *chunk, uint8_t type,
                        struct okno_rtcp_sdes_item *item);

/* What the SDES builder is given for one source. */
struct okno_rtcp_sdes_source {
    uint32_t ssrc;
    const struct okno_rtcp_sdes_item *items; /* borrowed; types 1..255 */
    size_t item_count;
};

/* Encodes an SDES packet with n (at most 31) chunks, terminators and padding included. Returns
 * bytes written, OKNO_E_NOSPC, OKNO_E_INVAL for more than 31 sources or an item of type 0. */
int okno_rtcp_sdes_build(const struct okno_rtcp_sdes_source *sources, size_t n, uint8_t *buf,
                         size_t cap);

/* The common case: one chunk with one CNAME (at most 255 bytes). Same returns as
 * okno_rtcp_sdes_build. */
int okno_rtcp_sdes_build_cname(uint32_t ssrc, const char *cname, size_t cname_len, uint8_t *buf,
                               size_t cap);

struct okno_rtcp_bye {
    uint8_t count;
    uint32_t ssrcs[OKNO_RTCP_MAX_COUNT];
    const uint8_t *reason; /* NULL when absent; a view, not NUL-terminated */
    uint8_t reason_len;
};

/* Decodes a BYE. Returns 0, OKNO_E_INVAL for another type, OKNO_E_MALFORMED if the sources or the
 * reason run past the body or more than the null padding to the next 32-bit boundary follows the
 * reason. */
int okno_rtcp_bye_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_bye *out);

/* Encodes a BYE; a non-NULL reason is written with its length octet and null padding. Returns bytes
 * written, OKNO_E_NOSPC, OKNO_E_INVAL for more than 31 sources. */
int okno_rtcp_bye_build(const struct okno_rtcp_bye *bye, uint8_t *buf, size_t cap);

/* NTP time (32.32 fixed point since 1900) from microseconds since the Unix epoch and back. The NTP
 * seconds wrap in 2036; both directions use the RFC 4330 convention (a clear top bit means era 1),
 * which covers 1968 to 2104. The round trip from microseconds is exact. */
uint64_t okno_ntp_from_unix_us(uint64_t unix_us);
uint64_t okno_ntp_to_unix_us(uint64_t ntp);

/* The middle 32 bits of an NTP timestamp, as carried in LSR (16.16 seconds). */
uint32_t okno_ntp_mid32(uint64_t ntp);

/* Round trip time per RFC 3550 6.4.1 from a report block's LSR and DLSR and the report's arrival
 * time now_ntp (our clock, the one our SRs were stamped with). Returns microseconds (>= 0),
 * OKNO_E_NOTFOUND when lsr is 0 (the peer has not seen an SR yet), OKNO_E_RANGE when the result
 * would be negative. */
int64_t okno_rtcp_rtt_us(uint64_t now_ntp, uint32_t lsr, uint32_t dlsr);

/* Converts a delay in microseconds to DLSR units (1/65536 s), saturating at the field's maximum. */
uint32_t okno_rtcp_dlsr_from_us(uint64_t delay_us);

#endif
