/* RTCP feedback (RFC 4585, RFC 5104, draft-alvestrand-rmcat-remb): the common feedback header,
 * generic NACK, PLI, FIR and REMB. Parsers take a packet framed by okno_rtcp_parse and never copy;
 * builders write one whole packet into a caller buffer. Transport-wide congestion control feedback
 * (RTPFB FMT 15) shares the header but is decoded by wire/twcc.h; SLI, RPSI, TMMBR/TMMBN and TSTR
 * are recognised by their FMT and left undecoded because no WebRTC browser we serve sends them. */
#ifndef OKNO_WIRE_RTCP_FB_H
#define OKNO_WIRE_RTCP_FB_H

#include <stddef.h>
#include <stdint.h>

#include "wire/rtcp.h"

#define OKNO_RTCP_FB_HEADER_LEN 12 /* common header, sender SSRC, media SSRC */

enum okno_rtcp_fb_kind {
    OKNO_RTCP_FB_OTHER = 0, /* a feedback type we do not decode */
    OKNO_RTCP_FB_NACK,      /* RTPFB FMT 1 */
    OKNO_RTCP_FB_TWCC,      /* RTPFB FMT 15, for wire/twcc */
    OKNO_RTCP_FB_PLI,       /* PSFB FMT 1 */
    OKNO_RTCP_FB_FIR,       /* PSFB FMT 4 */
    OKNO_RTCP_FB_REMB,      /* PSFB FMT 15 with the 'REMB' identifier */
};

struct okno_rtcp_fb {
    uint8_t pt;  /* OKNO_RTCP_RTPFB or OKNO_RTCP_PSFB */
    uint8_t fmt; /* the count field of the common header */
    uint32_t sender_ssrc;
    uint32_t media_ssrc;
    const uint8_t *fci; /* feedback control information: a view into the packet */
    size_t fci_len;
};

/* Splits a feedback packet into its header fields and FCI. Returns 0, OKNO_E_INVAL if pkt is
 * neither RTPFB nor PSFB, OKNO_E_MALFORMED if the body is shorter than the two SSRCs. */
int okno_rtcp_fb_parse(const struct okno_rtcp_pkt *pkt, struct okno_rtcp_fb *out);

/* Which decoder a parsed feedback packet belongs to, from PT, FMT and (for REMB) the identifier. */
enum okno_rtcp_fb_kind okno_rtcp_fb_kind(const struct okno_rtcp_fb *fb);

/* Calls cb for every sequence number a generic NACK reports lost, in FCI order (PID, then the BLP
 * bits from low to high); overlapping FCIs may repeat a number. A non-zero return from cb stops the
 * walk and is returned. Otherwise returns the number of calls made, OKNO_E_INVAL if fb is not a
 * NACK, OKNO_E_MALFORMED if the FCI is empty or not a whole number of 4-byte entries. */
typedef int (*okno_rtcp_nack_cb)(uint16_t seq, void *ud);
int okno_rtcp_nack_foreach(const struct okno_rtcp_fb *fb, okno_rtcp_nack_cb cb, void *ud);

/* The same walk into lost[0..cap). Returns the count, OKNO_E_NOSPC if more numbers are reported
 * than fit (the first cap are written), or okno_rtcp_nack_foreach's errors. */
int okno_rtcp_nack_expand(const struct okno_rtcp_fb *fb, uint16_t *lost, size_t cap);

/* Builds a NACK with the fewest FCIs for lost[0..n), which must be ascending in RTP order (each
 * number less than half the space after the one before, so 65534, 65535, 0, 1 is ascending);
 * duplicates are skipped. Returns bytes written, OKNO_E_INVAL for n == 0 or numbers out of order,
 * OKNO_E_NOSPC (buf untouched), OKNO_E_RANGE if the FCIs would not fit a packet's length field. */
int okno_rtcp_nack_build(uint32_t sender_ssrc, uint32_t media_ssrc, const uint16_t *lost, size_t n,
                         uint8_t *buf, size_t cap);

/* Checks that fb is a PLI, which carries no FCI. Returns 0, OKNO_E_INVAL for another kind,
 * OKNO_E_MALFORMED if an FCI is present. */
int okno_rtcp_pli_parse(const struct okno_rtcp_fb *fb);

/* Builds a PLI. Returns 12 or OKNO_E_NOSPC. */
int okno_rtcp_pli_build(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t *buf, size_t cap);

#define OKNO_RTCP_FIR_ENTRY_LEN 8

struct okno_rtcp_fir_entry {
    uint32_t ssrc;  /* the media sender asked for a keyframe */
    uint8_t seq_nr; /* command sequence number: a repeat of the same number is the same request */
};

/* Decodes the FIR entries into entries[0..cap); the reserved bits are ignored as RFC 5104 4.3.1.1
 * requires. Returns the entry count, OKNO_E_INVAL for another kind, OKNO_E_MALFORMED if the FCI is
 * empty or not a whole number of entries, OKNO_E_NOSPC if cap is too small (the first cap are
 * written). */
int okno_rtcp_fir_parse(const struct okno_rtcp_fb *fb, struct okno_rtcp_fir_entry *entries,
                        size_t cap);

/* Builds a FIR with n >= 1 entries; the media SSRC field is 0 as RFC 5104 says. Returns bytes
 * written, OKNO_E_INVAL for n == 0, OKNO_E_NOSPC, OKNO_E_RANGE if the entries would not fit a
 * packet. */
int okno_rtcp_fir_build(uint32_t sender_ssrc, const struct okno_rtcp_fir_entry *entries, size_t n,
                        uint8_t *buf, size_t cap);

#define OKNO_RTCP_REMB_MAX_SSRCS 255

struct okno_rtcp_remb {
    uint64_t bitrate; /* bits per second: mantissa << exponent */
    uint8_t ssrc_count;
    uint32_t ssrcs[OKNO_RTCP_REMB_MAX_SSRCS];
};

/* Decodes a REMB. Returns 0, OKNO_E_INVAL if fb is not a REMB, OKNO_E_MALFORMED if the FCI size
 * does not match the SSRC count, OKNO_E_RANGE if mantissa << exponent does not fit 64 bits. */
int okno_rtcp_remb_parse(const struct okno_rtcp_fb *fb, struct okno_rtcp_remb *out);

/* Builds a REMB for remb->bitrate (rounded down to what 18 bits of mantissa can say, never up, so
 * the cap we send is never above the one we meant) and its SSRCs. The media SSRC field is 0.
 * Returns bytes written or OKNO_E_NOSPC. */
int okno_rtcp_remb_build(uint32_t sender_ssrc, const struct okno_rtcp_remb *remb, uint8_t *buf,
                         size_t cap);

#endif
