/* Telling apart what arrives on one bundled WebRTC transport (RFC 7983, which updates RFC
 * 5764 5.1.2, and RFC 5761 4 for RTP and RTCP on one port): STUN, DTLS, RTP or RTCP, by the first
 * one or two octets. It is the first thing the ICE receive callback calls, so it reads at most two
 * bytes and never fails. It deliberately validates nothing beyond those bytes: each kind's parser
 * checks its own length and fields, and a datagram classified here may still be rejected there.
 * ZRTP (16-19) and TURN channel data (64-79) never reach an SFU that does neither, so they count as
 * unknown. */
#ifndef OKNO_WIRE_DEMUX_H
#define OKNO_WIRE_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum okno_demux_kind {
    OKNO_DEMUX_UNKNOWN = 0, /* empty, or a first byte no protocol of the bundle uses: drop it */
    OKNO_DEMUX_STUN,        /* first byte 0-3 */
    OKNO_DEMUX_DTLS,        /* first byte 20-63 */
    OKNO_DEMUX_RTP,         /* first byte 128-191, second byte outside 192-223 */
    OKNO_DEMUX_RTCP,        /* first byte 128-191, second byte (the RTCP packet type) 192-223 */
};

/* Classifies a datagram of len bytes; reads buf[0] and, for the RTP range, buf[1]. A one-byte
 * datagram in the RTP range is UNKNOWN: with no second byte it is neither RTP nor RTCP. Never
 * fails. */
enum okno_demux_kind okno_demux_classify(const uint8_t *buf, size_t len);

/* A short lower-case name ("stun", "dtls", "rtp", "rtcp", "unknown") for logs and metric labels;
 * static storage, never NULL, "unknown" for values outside the enum. */
const char *okno_demux_kind_name(enum okno_demux_kind kind);

#endif
