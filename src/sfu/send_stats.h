/* Send statistics of one RTP stream we send (a downtrack's, or our own probing stream), for its
 * sender reports and for what its receiver tells us back. It counts packets and payload octets,
 * remembers the last RTP timestamp and when it went out, and at report time extrapolates the RTP
 * timestamp to now with the clock rate, so the SR pairs an NTP time with the RTP time of the same
 * instant (RFC 3550 6.4.1). Receiver report blocks about the stream give the RTT (LSR/DLSR against
 * the NTP time of now), the fraction lost and the jitter; the RTT is smoothed as TCP does (RFC
 * 6298, gain 1/8) because single reports on a bufferbloated rural link swing widely.
 *
 * The NTP clock is a parameter: at init the caller gives the offset from now_us's monotonic clock
 * to Unix time (read once from the wall clock by the glue), so tests pick any epoch and the SR
 * timestamps never jump when the wall clock is stepped. It deliberately does not schedule reports
 * (rtcp_scheduler.h) nor build packets (wire/rtcp_report.h does, from okno_send_stats_sr). */
#ifndef OKNO_SFU_SEND_STATS_H
#define OKNO_SFU_SEND_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/rtcp_report.h"

struct okno_send_stats {
    /* configuration */
    uint32_t ssrc;
    uint32_t clock_rate;
    int64_t unix_offset_us; /* Unix time in microseconds = now_us + unix_offset_us */
    /* what was sent */
    bool sent_any;
    uint32_t packet_count; /* modulo 2^32, as the SR field */
    uint32_t octet_count;  /* payload octets, modulo 2^32, as the SR field */
    uint32_t last_rtp_ts;
    int64_t last_sent_us;
    /* what the receiver says */
    bool have_report;
    uint8_t fraction_lost;
    int32_t cumulative_lost;
    uint32_t ext_highest_seq;
    uint32_t jitter; /* timestamp units */
    int64_t rtt_us;  /* the last measurement; -1 until the first */
    int64_t srtt_us; /* smoothed; -1 until the first */
    int64_t last_report_us;
};

/* Starts the statistics of the stream ssrc with an RTP clock of clock_rate Hz. Returns 0 or
 * OKNO_E_INVAL for a zero clock rate. Owns nothing; no cleanup. */
int okno_send_stats_init(struct okno_send_stats *ss, uint32_t ssrc, uint32_t clock_rate,
                         int64_t unix_offset_us);

/* Counts one packet sent at now_us with RTP timestamp rtp_ts and payload_len payload octets (the
 * header, CSRCs, extensions and padding excluded, as RFC 3550 6.4.1 counts). No error. */
void okno_send_stats_on_packet(struct okno_send_stats *ss, uint32_t rtp_ts, uint32_t payload_len,
                               int64_t now_us);

/* The NTP time (32.32 since 1900) of now_us on this stream's clock. */
uint64_t okno_send_stats_ntp(const struct okno_send_stats *ss, int64_t now_us);

/* Fills the sender fields of *out (SSRC, NTP and RTP time of now_us, counts) and sets report_count
 * to 0 and no extension; the caller may append its own report blocks. The RTP timestamp is the last
 * one sent advanced by the time since at the clock rate. Returns 0, or OKNO_E_STATE before the
 * first packet (there is no RTP time to extrapolate from, and RFC 3550 sends an RR then). */
int okno_send_stats_sr(const struct okno_send_stats *ss, int64_t now_us, struct okno_rtcp_sr *out);

/* Takes a report block from an RR or SR that arrived at now_us. The loss and jitter fields are kept
 * whatever happens to the RTT. Returns 0 when an RTT was measured; OKNO_E_INVAL (nothing taken) for
 * a block about another SSRC; OKNO_E_NOTFOUND when LSR is 0 (no SR of ours reached the receiver
 * yet); OKNO_E_RANGE when LSR and DLSR give a negative RTT (a corrupt or foreign LSR): the RTT is
 * then left as it was. */
int okno_send_stats_on_report_block(struct okno_send_stats *ss,
                                    const struct okno_rtcp_report_block *block, int64_t now_us);

#endif
