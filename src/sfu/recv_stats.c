/* The arithmetic of RFC 3550 A.1, A.3 and A.8 over one stream's packets. The counters are 32-bit
 * modular on purpose, as in the RFC's own code: expected and received are only ever subtracted, so
 * a wrap of either is harmless. This file deliberately keeps no list of lost numbers (that is the
 * NACK generator's). */
#include "sfu/recv_stats.h"

#include <string.h>

#include "okno/err.h"

#define SEQ_MOD      65536u
#define MAX_DROPOUT  3000u
#define MAX_MISORDER 100u

int okno_recv_stats_init(struct okno_recv_stats *rs, uint32_t ssrc, uint32_t clock_rate)
{
    if (clock_rate == 0)
        return OKNO_E_INVAL;
    memset(rs, 0, sizeof *rs);
    rs->ssrc = ssrc;
    rs->clock_rate = clock_rate;
    rs->bad_seq = SEQ_MOD + 1;
    return 0;
}

static void init_seq(struct okno_recv_stats *rs, uint16_t seq)
{
    rs->started = true;
    rs->base_seq = seq;
    rs->max_seq = seq;
    rs->bad_seq = SEQ_MOD + 1;
    rs->cycles = 0;
    rs->received = 0;
    rs->received_prior = 0;
    rs->expected_prior = 0;
    memset(rs->seen, 0, sizeof rs->seen);
}

/* Marks ext as seen; returns whether it already was. Bits of numbers that the window has passed are
 * cleared as the highest number advances (see advance_history). */
static bool seen_before(struct okno_recv_stats *rs, uint32_t ext)
{
    uint32_t bit = ext % OKNO_RECV_STATS_HISTORY;
    uint64_t mask = (uint64_t)1 << (bit % 64);
    bool was = (rs->seen[bit / 64] & mask) != 0;
    rs->seen[bit / 64] |= mask;
    return was;
}

/* The highest number moved from old to new: the numbers in between have not arrived yet. */
static void advance_history(struct okno_recv_stats *rs, uint32_t old, uint32_t new)
{
    if (new - old >= OKNO_RECV_STATS_HISTORY) {
        memset(rs->seen, 0, sizeof rs->seen);
        return;
    }
    for (uint32_t e = old + 1; e != new + 1; e++) {
        uint32_t bit = e % OKNO_RECV_STATS_HISTORY;
        rs->seen[bit / 64] &= ~((uint64_t)1 << (bit % 64));
    }
}

/* Arrival time in RTP timestamp units, modulo 2^32; split so the product cannot overflow. */
static uint32_t arrival_units(const struct okno_recv_stats *rs, int64_t now_us)
{
    int64_t sec = now_us / 1000000, us = now_us % 1000000;
    return (uint32_t)((uint64_t)sec * rs->clock_rate +
                      (uint64_t)((us * (int64_t)rs->clock_rate) / 1000000));
}

static void update_jitter(struct okno_recv_stats *rs, uint32_t rtp_ts, int64_t now_us)
{
    uint32_t transit = arrival_units(rs, now_us) - rtp_ts;
    if (rs->have_transit) {
        int32_t d = (int32_t)(transit - rs->transit);
        uint32_t ad = d < 0 ? (uint32_t)0 - (uint32_t)d : (uint32_t)d;
        /* A.8's J += (|D| - J) / 16 in fixed point with 4 fractional bits. */
        rs->jitter_q4 += ad - ((rs->jitter_q4 + 8) >> 4);
    }
    rs->transit = transit;
    rs->have_transit = true;
}

int okno_recv_stats_on_packet(struct okno_recv_stats *rs, uint16_t seq, uint32_t rtp_ts,
                              bool retransmission, int64_t now_us)
{
    rs->packets++;
    if (retransmission)
        rs->retransmissions++;
    if (!rs->started) {
        init_seq(rs, seq);
    } else {
        uint16_t udelta = (uint16_t)(seq - rs->max_seq);
        if (udelta < MAX_DROPOUT) {
            uint32_t old = rs->cycles + rs->max_seq;
            if (seq < rs->max_seq)
                rs->cycles += SEQ_MOD;
            rs->max_seq = seq;
            advance_history(rs, old, rs->cycles + seq);
        } else if (udelta <= SEQ_MOD - MAX_MISORDER) {
            if (seq != rs->bad_seq) {
                rs->bad_seq = (uint32_t)(seq + 1) & (SEQ_MOD - 1);
                return OKNO_E_RANGE;
            }
            /* Two packets in a row after the jump: the source restarted. */
            rs->resyncs++;
            init_seq(rs, seq);
        }
        /* else a duplicate or a packet reordered by less than MAX_MISORDER */
    }
    rs->received++;
    uint32_t ext = okno_recv_stats_ext_highest(rs) + (uint32_t)(int16_t)(seq - rs->max_seq);
    bool dup = seen_before(rs, ext);
    if (dup)
        rs->duplicates++;
    if (!dup && !retransmission)
        update_jitter(rs, rtp_ts, now_us);
    return 0;
}

void okno_recv_stats_on_sr(struct okno_recv_stats *rs, uint64_t ntp, int64_t now_us)
{
    rs->lsr = okno_ntp_mid32(ntp);
    rs->lsr_arrival_us = now_us;
}

uint32_t okno_recv_stats_ext_highest(const struct okno_recv_stats *rs)
{
    return rs->cycles + rs->max_seq;
}

uint32_t okno_recv_stats_expected(const struct okno_recv_stats *rs)
{
    return rs->started ? okno_recv_stats_ext_highest(rs) - rs->base_seq + 1 : 0;
}

int64_t okno_recv_stats_lost(const struct okno_recv_stats *rs)
{
    return (int64_t)okno_recv_stats_expected(rs) - (int64_t)rs->received;
}

uint32_t okno_recv_stats_jitter(const struct okno_recv_stats *rs)
{
    return rs->jitter_q4 >> 4;
}

int okno_recv_stats_report(struct okno_recv_stats *rs, int64_t now_us,
                           struct okno_rtcp_report_block *out)
{
    if (!rs->started)
        return OKNO_E_STATE;
    uint32_t expected = okno_recv_stats_expected(rs);
    int64_t lost = okno_recv_stats_lost(rs);
    if (lost > 0x7fffff)
        lost = 0x7fffff;
    else if (lost < -0x800000)
        lost = -0x800000;
    uint32_t expected_interval = expected - rs->expected_prior;
    uint32_t received_interval = rs->received - rs->received_prior;
    rs->expected_prior = expected;
    rs->received_prior = rs->received;
    int64_t lost_interval = (int64_t)expected_interval - (int64_t)received_interval;
    uint64_t fraction = 0;
    if (expected_interval != 0 && lost_interval > 0)
        fraction = ((uint64_t)lost_interval << 8) / expected_interval;
    if (fraction > 255) /* everything lost: 256/256 does not fit the field */
        fraction = 255;
    int64_t since_sr = now_us - rs->lsr_arrival_us;
    *out = (struct okno_rtcp_report_block){
        .ssrc = rs->ssrc,
        .fraction_lost = (uint8_t)fraction,
        .cumulative_lost = (int32_t)lost,
        .ext_highest_seq = okno_recv_stats_ext_highest(rs),
        .jitter = okno_recv_stats_jitter(rs),
        .lsr = rs->lsr,
        .dlsr = rs->lsr ? okno_rtcp_dlsr_from_us(since_sr > 0 ? (uint64_t)since_sr : 0) : 0,
    };
    return 0;
}
