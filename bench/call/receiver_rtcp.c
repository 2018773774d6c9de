/* The RTCP of okno-bench's receiver: a receiver report about its media SSRC every second (fraction
 * and cumulative loss, jitter, LSR/DLSR from the server's last SR), generic NACKs and PLIs, and the
 * server's SRs read back for LSR. Feedback goes out alone, as reduced-size RTCP (RFC 5506), which
 * okno's subscriber offers announce with a=rtcp-rsize, as a browser sends it. Packets about other
 * SSRCs are ignored: the owner hands every receiver everything the transport received. */
#include "call/receiver_internal.h"
#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"

static void send(struct okno_receiver *r, int len)
{
    if (len > 0)
        r->cfg.send_rtcp(r->cfg.arg, r->rtcp, (size_t)len);
}

void okno__receiver_send_rr(struct okno_receiver *r, int64_t now_us)
{
    struct okno_rtcp_rr rr = {.ssrc = r->cfg.local_ssrc};
    if (okno_recv_stats_report(&r->rs, now_us, &rr.blocks[0]) == 0)
        rr.report_count = 1;
    int len = okno_rtcp_rr_build(&rr, r->rtcp, sizeof r->rtcp);
    if (len > 0)
        r->st.rrs_sent++;
    send(r, len);
}

void okno__receiver_send_nack(struct okno_receiver *r, const uint16_t *seqs, size_t n,
                              int64_t now_us)
{
    (void)now_us;
    int len = okno_rtcp_nack_build(r->cfg.local_ssrc, r->ssrc, seqs, n, r->rtcp, sizeof r->rtcp);
    if (len <= 0)
        return;
    r->st.nacks_sent++;
    r->st.nack_items += n;
    send(r, len);
}

void okno__receiver_send_pli(struct okno_receiver *r, int64_t now_us)
{
    if (!r->have_ssrc)
        return;
    int len = okno_rtcp_pli_build(r->cfg.local_ssrc, r->ssrc, r->rtcp, sizeof r->rtcp);
    if (len <= 0)
        return;
    r->st.plis_sent++;
    r->last_pli_us = now_us;
    r->pli_wanted = false;
    send(r, len);
}

void okno_receiver_on_rtcp(struct okno_receiver *r, const uint8_t *buf, size_t len, int64_t now_us)
{
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt pkt;
    okno_rtcp_iter_init(&it, buf, len);
    int rc;
    while ((rc = okno_rtcp_iter_next(&it, &pkt)) == 1) {
        if (pkt.pt != OKNO_RTCP_SR || !r->have_ssrc || pkt.sender_ssrc != r->ssrc ||
            r->first_pkt_us < 0)
            continue;
        struct okno_rtcp_sr sr;
        if (okno_rtcp_sr_parse(&pkt, &sr) < 0) {
            r->st.garbage++;
            continue;
        }
        okno_recv_stats_on_sr(&r->rs, sr.ntp, now_us);
    }
    if (rc < 0)
        r->st.garbage++;
}
