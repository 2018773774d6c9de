/* The sender's RTCP: sender reports with CNAME out; receiver reports (RTT, loss), NACK (answered
 * with RTX), PLI/FIR (key frames, rate-limited), REMB and transport-cc feedback in. See sender.h.
 */
#include <string.h>

#include "call/sender_internal.h"
#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/rtx.h"
#include "wire/twcc.h"

#define SR_INTERVAL_US     1000000
#define HISTORY_MAX_AGE_US 10000000
#define KEYFRAME_HOLD_US   300000 /* a browser answers at most one PLI/FIR this often */
/* The sender's NTP clock is now_us from 2024-01-01: a plausible wall time that keeps the sender
 * pure (RTT from LSR/DLSR only needs it to be the clock the SRs were stamped with). */
#define NTP_EPOCH_UNIX_US ((int64_t)1704067200 * 1000000)

uint64_t okno__sender_ntp(const struct okno_sender *s, int64_t now_us)
{
    (void)s;
    return okno_ntp_from_unix_us((uint64_t)(now_us + NTP_EPOCH_UNIX_US));
}

static int send_sr(struct okno_sender *s, struct okno_sender_stream *st, int64_t now_us)
{
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, s->rtcp_buf, sizeof s->rtcp_buf);
    struct okno_rtcp_sr sr = {
        .ssrc = st->ssrc,
        .ntp = okno__sender_ntp(s, now_us),
        .rtp_ts = st->ts_base + (uint32_t)(uint64_t)(now_us * (int64_t)st->clock_hz / 1000000),
        .packet_count = st->packets,
        .octet_count = st->octets,
    };
    okno_rtcp_writer_commit(
        &w, okno_rtcp_sr_build(&sr, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    okno_rtcp_writer_commit(&w, okno_rtcp_sdes_build_cname(st->ssrc, s->cname, strlen(s->cname),
                                                           okno_rtcp_writer_tail(&w),
                                                           okno_rtcp_writer_room(&w)));
    int len = okno_rtcp_writer_finish(&w);
    if (len < 0)
        return len;
    if (s->cfg.send_rtcp(s->cfg.arg, s->rtcp_buf, (size_t)len) < 0) {
        s->stats.send_errors++;
        return OKNO_E_IO;
    }
    s->stats.srs_sent++;
    return 0;
}

int64_t okno__sender_rtcp_due(struct okno_sender *s, int64_t now_us)
{
    int64_t next = INT64_MAX;
    for (unsigned i = 0; i < OKNO_SENDER_STREAMS; i++) {
        struct okno_sender_stream *st = &s->st[i];
        if (!st->used || !st->sent_any)
            continue;
        if (now_us >= st->next_sr_us) {
            send_sr(s, st, now_us);
            st->next_sr_us = now_us + SR_INTERVAL_US;
        }
        if (st->next_sr_us < next)
            next = st->next_sr_us;
    }
    return next;
}

static struct okno_sender_stream *stream_of(struct okno_sender *s, uint32_t ssrc, int *index)
{
    for (unsigned i = 0; i < OKNO_SENDER_STREAMS; i++)
        if (s->st[i].used && s->st[i].ssrc == ssrc) {
            if (index)
                *index = (int)i;
            return &s->st[i];
        }
    return NULL;
}

void okno__sender_keyframe(struct okno_sender *s, unsigned enc, int64_t now_us)
{
    struct okno_sender_stream *st = &s->st[OKNO_SENDER_VIDEO(enc)];
    if (!s->enc || (st->last_keyframe_req_us != INT64_MIN &&
                    now_us - st->last_keyframe_req_us < KEYFRAME_HOLD_US))
        return;
    st->last_keyframe_req_us = now_us;
    /* with scaling the one stream is whichever encoding is selected */
    okno_vp8enc_request_keyframe(s->enc, s->scaling ? -1 : (int)enc);
}

bool okno__sender_queue_rtx(struct okno_sender *s, unsigned enc, uint16_t seq, int64_t now_us)
{
    struct okno_sender_stream *st = &s->st[OKNO_SENDER_VIDEO(enc)];
    size_t len;
    /* One retransmission per packet and round trip, as browsers do. */
    const uint8_t *orig =
        okno_rtx_history_take(&s->hist[enc], seq, now_us, s->rtt_us > 0 ? s->rtt_us : 0, &len);
    if (!orig)
        return false;
    struct okno_rtp_pkt o;
    if (okno_rtp_parse(orig, len, &o) < 0 ||
        !okno__sender_rtx_budget(s, len + OKNO_RTX_OSN_LEN, now_us))
        return false;
    struct okno_pacer_pkt *pkt = okno_pacer_alloc(&s->pacer);
    if (!pkt)
        return false;
    struct okno_rtp_pkt h = {.extension = st->rtx_ext_len > 0,
                             .marker = o.marker,
                             .pt = OKNO_SENDER_PT_RTX,
                             .seq = st->rtx_seq,
                             .ts = o.ts,
                             .ssrc = st->rtx_ssrc,
                             .ext_profile = OKNO_RTP_EXT_PROFILE_ONE_BYTE,
                             .ext = st->rtx_ext,
                             .ext_len = st->rtx_ext_len};
    int hl = okno_rtp_write_header(pkt->buf, sizeof pkt->buf, &h);
    if (hl < 0 || (size_t)hl + OKNO_RTX_OSN_LEN + o.payload_len > sizeof pkt->buf) {
        okno_pacer_release(&s->pacer, pkt);
        return false;
    }
    pkt->buf[hl] = (uint8_t)(seq >> 8);
    pkt->buf[hl + 1] = (uint8_t)seq;
    memcpy(pkt->buf + hl + OKNO_RTX_OSN_LEN, o.payload, o.payload_len);
    st->rtx_seq++;
    pkt->len = (size_t)hl + OKNO_RTX_OSN_LEN + o.payload_len;
    pkt->payload_len = OKNO_RTX_OSN_LEN + o.payload_len;
    pkt->cls = OKNO_PACER_RTX;
    pkt->stream = (int8_t)OKNO_SENDER_VIDEO(enc);
    okno_pacer_push(&s->pacer, pkt, now_us);
    return true;
}

static void on_block(struct okno_sender *s, const struct okno_rtcp_report_block *b, int64_t now_us)
{
    int index;
    struct okno_sender_stream *st = stream_of(s, b->ssrc, &index);
    if (!st)
        return;
    int64_t rtt = okno_rtcp_rtt_us(okno__sender_ntp(s, now_us), b->lsr, b->dlsr);
    if (rtt >= 0) {
        s->rtt_us = rtt;
        okno_gcc_on_rtt(s->gcc, rtt, now_us);
        /* NACKs come a round trip late: keep packets max(1 s, 3 x RTT), as browsers do */
        int64_t age = 3 * rtt < HISTORY_MAX_AGE_US ? 3 * rtt : HISTORY_MAX_AGE_US;
        for (unsigned i = 0; i < s->n_enc && i < OKNO_VP8_MAX_ENCODINGS; i++)
            okno_rtx_history_set_max_age(&s->hist[i], age > 1000000 ? age : 1000000);
    }
    s->loss_fraction = b->fraction_lost / 256.0;
    uint32_t packets = st->have_rr ? b->ext_highest_seq - st->last_rr_ehs : 0;
    st->last_rr_ehs = b->ext_highest_seq;
    st->have_rr = true;
    /* Loss from reports steers the estimate only where transport-cc does not. */
    if (!(s->cfg.ext_twcc > 0) && packets > 0 && packets < 1u << 20)
        okno_gcc_on_loss_report(s->gcc, b->fraction_lost, packets, now_us);
    if (index == OKNO_SENDER_AUDIO && s->opus) {
        okno__sender_audio_loss(s, s->loss_fraction);
        /* Opus spends FEC on the loss it expects (browsers feed it the reported loss). */
        unsigned pct = (b->fraction_lost * 100u + 255u) / 256u;
        okno_opusenc_set_loss(s->opus, pct < 1 ? 1 : (pct > 30 ? 30 : pct));
    }
}

struct nack_ctx {
    struct okno_sender *s;
    unsigned enc;
    int64_t now_us;
};

static int on_nack_seq(uint16_t seq, void *ud)
{
    struct nack_ctx *c = ud;
    okno__sender_queue_rtx(c->s, c->enc, seq, c->now_us);
    return 0;
}

static int video_index(struct okno_sender *s, uint32_t ssrc)
{
    int index;
    if (!stream_of(s, ssrc, &index) || index < OKNO_SENDER_VIDEO(0))
        return -1;
    return index - OKNO_SENDER_VIDEO(0);
}

static int on_feedback(struct okno_sender *s, const struct okno_rtcp_pkt *p, int64_t now_us)
{
    struct okno_rtcp_fb fb;
    int rc = okno_rtcp_fb_parse(p, &fb);
    if (rc < 0)
        return rc;
    switch (okno_rtcp_fb_kind(&fb)) {
    case OKNO_RTCP_FB_NACK: {
        s->stats.nacks_received++;
        int enc = video_index(s, fb.media_ssrc);
        if (enc < 0)
            return 0;
        struct nack_ctx c = {s, (unsigned)enc, now_us};
        rc = okno_rtcp_nack_foreach(&fb, on_nack_seq, &c);
        return rc < 0 ? rc : 0;
    }
    case OKNO_RTCP_FB_TWCC: {
        struct okno_twcc_fb t;
        rc = okno_twcc_parse(p->raw, p->raw_len, &t);
        if (rc < 0)
            return rc;
        s->stats.twcc_feedbacks++;
        return okno_gcc_on_feedback(s->gcc, &t, now_us);
    }
    case OKNO_RTCP_FB_PLI: {
        s->stats.plis_received++;
        int enc = video_index(s, fb.media_ssrc);
        if (enc >= 0)
            okno__sender_keyframe(s, (unsigned)enc, now_us);
        return 0;
    }
    case OKNO_RTCP_FB_FIR: {
        s->stats.firs_received++;
        struct okno_rtcp_fir_entry e[8];
        int n = okno_rtcp_fir_parse(&fb, e, 8);
        if (n == OKNO_E_NOSPC)
            n = 8;
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++) {
            int enc = video_index(s, e[i].ssrc);
            if (enc < 0)
                continue;
            struct okno_sender_stream *st = &s->st[OKNO_SENDER_VIDEO(enc)];
            /* A repeated command number is the same request again (RFC 5104 4.3.1.2). */
            if (st->fir_seen && st->last_fir_seq == e[i].seq_nr)
                continue;
            st->fir_seen = true;
            st->last_fir_seq = e[i].seq_nr;
            okno__sender_keyframe(s, (unsigned)enc, now_us);
        }
        return 0;
    }
    case OKNO_RTCP_FB_REMB: {
        rc = okno_rtcp_remb_parse(&fb, &s->remb);
        if (rc < 0)
            return rc;
        s->stats.rembs_received++;
        s->remb_bps = s->remb.bitrate;
        okno_gcc_on_remb(s->gcc, s->remb.bitrate, now_us);
        return 0;
    }
    default:
        return 0;
    }
}

void okno_sender_on_rtcp(struct okno_sender *s, const uint8_t *pkt, size_t len, int64_t now_us)
{
    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt p;
    okno_rtcp_iter_init(&it, pkt, len);
    int rc;
    bool bad = len < OKNO_RTCP_HEADER_LEN; /* an empty datagram is not RTCP either */
    while ((rc = okno_rtcp_iter_next(&it, &p)) == 1) {
        int err = 0;
        if (p.pt == OKNO_RTCP_SR || p.pt == OKNO_RTCP_RR) {
            struct okno_rtcp_sr sr;
            struct okno_rtcp_rr rr;
            const struct okno_rtcp_report_block *blocks;
            unsigned n;
            if (p.pt == OKNO_RTCP_SR) {
                err = okno_rtcp_sr_parse(&p, &sr);
                blocks = sr.blocks;
                n = sr.report_count;
            } else {
                err = okno_rtcp_rr_parse(&p, &rr);
                blocks = rr.blocks;
                n = rr.report_count;
                if (err == 0)
                    s->stats.rrs_received++;
            }
            for (unsigned i = 0; err == 0 && i < n; i++)
                on_block(s, &blocks[i], now_us);
        } else if (p.pt == OKNO_RTCP_RTPFB || p.pt == OKNO_RTCP_PSFB) {
            err = on_feedback(s, &p, now_us);
        }
        bad |= err < 0;
    }
    if (rc < 0 || bad)
        s->stats.rtcp_errors++;
}
