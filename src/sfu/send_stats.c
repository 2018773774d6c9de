/* Sender report fields and RTT from report blocks. The RTP extrapolation and the NTP conversion are
 * the only arithmetic; both stay in 64 bits until the final truncation to the 32-bit wire fields.
 * This file deliberately holds no history of the SRs sent: the LSR in a block is trusted as ours,
 * and a negative RTT is the only corruption it can see. */
#include "sfu/send_stats.h"

#include <string.h>

#include "okno/err.h"

int okno_send_stats_init(struct okno_send_stats *ss, uint32_t ssrc, uint32_t clock_rate,
                         int64_t unix_offset_us)
{
    if (clock_rate == 0)
        return OKNO_E_INVAL;
    memset(ss, 0, sizeof *ss);
    ss->ssrc = ssrc;
    ss->clock_rate = clock_rate;
    ss->unix_offset_us = unix_offset_us;
    ss->rtt_us = -1;
    ss->srtt_us = -1;
    return 0;
}

void okno_send_stats_on_packet(struct okno_send_stats *ss, uint32_t rtp_ts, uint32_t payload_len,
                               int64_t now_us)
{
    ss->sent_any = true;
    ss->packet_count++;
    ss->octet_count += payload_len;
    ss->last_rtp_ts = rtp_ts;
    ss->last_sent_us = now_us;
}

uint64_t okno_send_stats_ntp(const struct okno_send_stats *ss, int64_t now_us)
{
    int64_t unix_us = now_us + ss->unix_offset_us;
    return okno_ntp_from_unix_us(unix_us > 0 ? (uint64_t)unix_us : 0);
}

int okno_send_stats_sr(const struct okno_send_stats *ss, int64_t now_us, struct okno_rtcp_sr *out)
{
    if (!ss->sent_any)
        return OKNO_E_STATE;
    /* Signed: a report stamped before the last packet (the caller's now read earlier) steps back.
     */
    int64_t elapsed = now_us - ss->last_sent_us;
    int64_t units = elapsed / 1000000 * (int64_t)ss->clock_rate +
                    elapsed % 1000000 * (int64_t)ss->clock_rate / 1000000;
    memset(out, 0, sizeof *out);
    out->ssrc = ss->ssrc;
    out->ntp = okno_send_stats_ntp(ss, now_us);
    out->rtp_ts = ss->last_rtp_ts + (uint32_t)units;
    out->packet_count = ss->packet_count;
    out->octet_count = ss->octet_count;
    out->report_count = 0;
    out->ext = NULL;
    out->ext_len = 0;
    return 0;
}

int okno_send_stats_on_report_block(struct okno_send_stats *ss,
                                    const struct okno_rtcp_report_block *block, int64_t now_us)
{
    if (block->ssrc != ss->ssrc)
        return OKNO_E_INVAL;
    ss->have_report = true;
    ss->fraction_lost = block->fraction_lost;
    ss->cumulative_lost = block->cumulative_lost;
    ss->ext_highest_seq = block->ext_highest_seq;
    ss->jitter = block->jitter;
    ss->last_report_us = now_us;
    int64_t rtt = okno_rtcp_rtt_us(okno_send_stats_ntp(ss, now_us), block->lsr, block->dlsr);
    if (rtt < 0)
        return (int)rtt;
    ss->rtt_us = rtt;
    ss->srtt_us = ss->srtt_us < 0 ? rtt : ss->srtt_us + (rtt - ss->srtt_us) / 8;
    return 0;
}
