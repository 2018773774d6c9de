/* Receive statistics of one RTP stream, as RFC 3550 defines them for the report block: the extended
 * highest sequence number and the validity rules of A.1 (a jump is believed only when the next
 * packet confirms it), expected and lost counts and the fraction lost since the previous report
 * (A.3), interarrival jitter in timestamp units (A.8), and the last sender report's NTP middle bits
 * with its arrival time for LSR and DLSR. okno_recv_stats_report fills the wire/rtcp_report.h
 * block.
 *
 * Differences from A.1, on purpose: no probation for a new source (SRTP has already authenticated
 * every packet, so the first one is as trustworthy as the tenth), and a window of recent sequence
 * numbers so that duplicates are recognised: they are still counted as received, as RFC 3550 wants
 * (which is why the cumulative loss can go negative), but like retransmissions they are kept out of
 * the jitter, whose arrival times they would distort. Time is a parameter (now_us, monotonic
 * microseconds); nothing here builds or sends RTCP. */
#ifndef OKNO_SFU_RECV_STATS_H
#define OKNO_SFU_RECV_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "wire/rtcp_report.h"

/* Sequence numbers remembered for duplicate detection (bits). */
#define OKNO_RECV_STATS_HISTORY 1024

struct okno_recv_stats {
    /* configuration */
    uint32_t ssrc;
    uint32_t clock_rate;
    /* RFC 3550 A.1 */
    bool started;
    uint16_t max_seq;
    uint32_t cycles; /* shifted count of wraps: a multiple of 65536 */
    uint32_t base_seq;
    uint32_t bad_seq; /* the number that would confirm a jump; 65537 when none is pending */
    uint32_t received;
    /* RFC 3550 A.3: at the previous report */
    uint32_t expected_prior;
    uint32_t received_prior;
    /* RFC 3550 A.8 */
    bool have_transit;
    uint32_t transit;   /* arrival minus RTP timestamp, timestamp units, modulo 2^32 */
    uint32_t jitter_q4; /* jitter * 16, the integer form of A.8 */
    /* last SR */
    uint32_t lsr;
    int64_t lsr_arrival_us;
    /* duplicate detection: bit (ext % HISTORY) set when that extended number arrived */
    uint64_t seen[OKNO_RECV_STATS_HISTORY / 64];
    /* counters */
    uint64_t packets;         /* every packet given to on_packet */
    uint64_t duplicates;      /* recognised within the history window */
    uint64_t retransmissions; /* given with retransmission set */
    uint64_t resyncs;         /* jumps confirmed by the packet after them (A.1 restart) */
};

/* Starts the statistics of the source ssrc, whose RTP clock runs at clock_rate Hz (90000 for video,
 * 48000 for Opus). Returns 0 or OKNO_E_INVAL for a zero clock rate. Owns nothing; no cleanup. */
int okno_recv_stats_init(struct okno_recv_stats *rs, uint32_t ssrc, uint32_t clock_rate);

/* Takes one packet of the stream: its sequence number and RTP timestamp, whether it came as a
 * retransmission (after RTX unwrap), and its arrival time. Returns 0 when it was counted;
 * OKNO_E_RANGE when it jumped too far from the highest number (3000 ahead or 100 behind, as A.1)
 * and is held back until the next packet confirms the jump by following it, which restarts the
 * counts (A.1 init_seq). */
int okno_recv_stats_on_packet(struct okno_recv_stats *rs, uint16_t seq, uint32_t rtp_ts,
                              bool retransmission, int64_t now_us);

/* Takes an SR from the source: keeps the middle 32 bits of its NTP timestamp and now_us, for the
 * next report's LSR and DLSR. No error. */
void okno_recv_stats_on_sr(struct okno_recv_stats *rs, uint64_t ntp, int64_t now_us);

/* Fills *out with the report block at now_us and starts a new interval for the fraction lost.
 * Returns 0, or OKNO_E_STATE (nothing written, nothing changed) before the first packet: a source
 * never heard gets no block. */
int okno_recv_stats_report(struct okno_recv_stats *rs, int64_t now_us,
                           struct okno_rtcp_report_block *out);

/* The extended highest sequence number (cycles plus the highest number), as in the block. */
uint32_t okno_recv_stats_ext_highest(const struct okno_recv_stats *rs);

/* Packets expected since the first (or since the last confirmed jump), and the cumulative loss
 * (expected minus received, negative with duplicates), unclamped. */
uint32_t okno_recv_stats_expected(const struct okno_recv_stats *rs);
int64_t okno_recv_stats_lost(const struct okno_recv_stats *rs);

/* Interarrival jitter in timestamp units, as in the block. */
uint32_t okno_recv_stats_jitter(const struct okno_recv_stats *rs);

#endif
