/* RFC 7983 / RFC 5761 demultiplexing (see demux.h). The RTCP test uses the second octet rather than
 * the payload type alone: RTCP types 192-223 are exactly the values an RTP second octet takes for
 * payload types 64-95 with the marker bit set, which is why RFC 5761 4 tells senders to avoid those
 * payload types on a muxed port. It deliberately keeps no counters; the caller counts what it
 * drops. */
#include "wire/demux.h"

enum okno_demux_kind okno_demux_classify(const uint8_t *buf, size_t len)
{
    if (len == 0)
        return OKNO_DEMUX_UNKNOWN;
    uint8_t b = buf[0];
    if (b <= 3)
        return OKNO_DEMUX_STUN;
    if (b >= 20 && b <= 63)
        return OKNO_DEMUX_DTLS;
    if (b >= 128 && b <= 191) {
        if (len < 2)
            return OKNO_DEMUX_UNKNOWN;
        return buf[1] >= 192 && buf[1] <= 223 ? OKNO_DEMUX_RTCP : OKNO_DEMUX_RTP;
    }
    return OKNO_DEMUX_UNKNOWN;
}

const char *okno_demux_kind_name(enum okno_demux_kind kind)
{
    switch (kind) {
    case OKNO_DEMUX_STUN:
        return "stun";
    case OKNO_DEMUX_DTLS:
        return "dtls";
    case OKNO_DEMUX_RTP:
        return "rtp";
    case OKNO_DEMUX_RTCP:
        return "rtcp";
    case OKNO_DEMUX_UNKNOWN:
        break;
    }
    return "unknown";
}
