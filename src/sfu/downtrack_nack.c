/* Answering a subscriber's NACKs: output sequence number -> what was sent under it (the rtp
 * munger's ring) -> the original in the publisher's packet cache -> the same rewrite as the first
 * time -> RTX (RFC 4588) or a plain repeat. Packets okno itself recovered from the publisher go the
 * same way to the subscriber, into the gap the numbering kept for them. A lost packet is worth
 * sending as long as the subscriber's receiver still waits for it, which is how browsers behave:
 * libwebrtc keeps NACKing and holds the frames behind a missing packet, and only gives them up when
 * a key frame comes (or after about 3 s without a decodable frame, when it asks for one). So
 * nothing is resent past the playout budget: the age since the packet arrived (or was expected)
 * plus half the leg's RTT against the budget (plus the leg's RTT for video, whose default budget
 * is those 3 s). On a long publisher path a recovered packet comes a publisher round trip late, and
 * it is still the only way to unfreeze the subscriber short of a key frame that costs another
 * round trip. A recovered packet okno would send unasked is not sent either once the subscriber
 * has been sent a key frame after it was expected (its decoder starts again there); a NACK is the
 * subscriber saying it still wants the packet, and is answered within the budget. A packet that
 * cannot be played is only bandwidth on a link that is probably congested already. A sequence
 * number is resent at most once per interval: a subscriber NACKs again after its own RTT estimate,
 * and two copies in flight on a lossy link only add to the congestion that lost the first. It
 * deliberately does not parse RTCP (the caller expands the NACK's FCIs) nor pace what it emits (the
 * pacer orders retransmissions after audio). */
#include "okno/err.h"
#include "sfu/downtrack_internal.h"
#include "wire/rtx.h"

#define RESENT_MASK (OKNO_RTP_MUNGER_HISTORY - 1)

bool okno_downtrack_in_time(const struct okno_downtrack *dt, int64_t arrival_us, int64_t now_us)
{
    if (dt->playout_budget_us <= 0)
        return true;
    int64_t budget = dt->playout_budget_us + (dt->budget_adds_rtt ? dt->rtt_us : 0);
    return now_us - arrival_us + dt->rtt_us / 2 <= budget;
}

/* A key frame was sent to the subscriber after the packet was expected. A lost packet of that very
 * key frame went missing after its first packet was sent, so it still counts. */
static bool superseded(const struct okno_downtrack *dt, int64_t arrival_us)
{
    return dt->keyframe_sent_us != INT64_MIN && dt->keyframe_sent_us > arrival_us;
}

static void mark_resent(struct okno_downtrack *dt, uint16_t out_seq, int64_t now_us)
{
    const size_t slot = out_seq & RESENT_MASK;
    dt->resent[slot].used = true;
    dt->resent[slot].out_seq = out_seq;
    dt->resent[slot].at_us = now_us;
}

/* RTX-wraps the packet in dt->resend[0..n) into out, with the next RTX sequence number. */
static int wrap(struct okno_downtrack *dt, size_t n, uint8_t *out, size_t cap)
{
    int r = okno_rtx_wrap(dt->resend, n, out, cap, dt->rtx_ssrc, dt->rtx_pt, dt->rtx_seq);
    if (r >= 0)
        dt->rtx_seq++;
    return r;
}

enum outcome { RESENT, NOT_FOUND, TOO_OLD, SUPPRESSED };

static bool recently_resent(const struct okno_downtrack *dt, uint16_t out_seq, int64_t now_us)
{
    const size_t slot = out_seq & RESENT_MASK;
    return dt->resent[slot].used && dt->resent[slot].out_seq == out_seq &&
           now_us - dt->resent[slot].at_us < dt->nack_interval_us;
}

static enum outcome resend_one(struct okno_downtrack *dt, uint16_t out_seq,
                               okno_downtrack_cache_fn lookup, void *lookup_ctx, int64_t now_us,
                               okno_downtrack_emit_fn emit, void *emit_ctx)
{
    struct okno_rtp_munger_entry e;
    if (okno_rtp_munger_lookup(&dt->seq, out_seq, &e) < 0)
        return NOT_FOUND;
    if (recently_resent(dt, out_seq, now_us))
        return SUPPRESSED;
    struct okno_cached_packet cp;
    if (lookup(lookup_ctx, e.source, e.in_seq, &cp) < 0 || !cp.data)
        return NOT_FOUND;
    if (now_us - cp.arrival_us > dt->nack_max_age_us ||
        !okno_downtrack_in_time(dt, cp.arrival_us, now_us) || cp.arrival_us < dt->restart_us)
        return TOO_OLD;
    struct okno_rtp_pkt orig;
    /* The cache may have moved on to another stream under the same number. */
    if (okno_rtp_parse(cp.data, cp.len, &orig) < 0 || orig.seq != e.in_seq || orig.ssrc != e.source)
        return NOT_FOUND;
    uint16_t profile;
    /* The stamps stay when the packet, RTX-wrapped, still fits a datagram. */
    size_t ext_len = okno__downtrack_build_ext_fit(dt, &orig, OKNO_MTU - 2, &profile);
    int n = okno__downtrack_write(dt, &orig, ext_len, profile, e.out_seq, e.out_ts, e.tag,
                                  dt->resend, sizeof dt->resend);
    if (n < 0)
        return NOT_FOUND;
    const uint8_t *pkt = dt->resend;
    if (dt->rtx) {
        n = wrap(dt, (size_t)n, dt->resend_rtx, sizeof dt->resend_rtx);
        if (n < 0)
            return NOT_FOUND;
        pkt = dt->resend_rtx;
    }
    mark_resent(dt, out_seq, now_us);
    dt->stats.retransmitted++;
    dt->stats.retransmitted_bytes += (uint64_t)n;
    emit(emit_ctx, pkt, (size_t)n);
    return RESENT;
}

int okno_downtrack_on_nack(struct okno_downtrack *dt, const uint16_t *seqs, size_t n,
                           okno_downtrack_cache_fn lookup, void *lookup_ctx, int64_t now_us,
                           okno_downtrack_emit_fn emit, void *emit_ctx)
{
    int emitted = 0;
    for (size_t i = 0; i < n; i++) {
        dt->stats.nacked++;
        switch (resend_one(dt, seqs[i], lookup, lookup_ctx, now_us, emit, emit_ctx)) {
        case RESENT:
            emitted++;
            break;
        case NOT_FOUND:
            dt->stats.nack_not_found++;
            break;
        case TOO_OLD:
            dt->stats.nack_too_old++;
            break;
        case SUPPRESSED:
            dt->stats.nack_suppressed++;
            break;
        }
    }
    return emitted;
}

int okno_downtrack_forward_late(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                                const uint8_t *pkt, size_t len, int64_t expected_us, int64_t now_us,
                                uint8_t *out, size_t cap)
{
    if (in->raw != pkt || in->raw_len != len)
        return OKNO_E_INVAL;
    /* Not the encoding this subscriber follows: no gap was kept for it here, it is any packet. */
    if (in->ssrc != dt->cur_ssrc)
        return okno_downtrack_forward(dt, in, pkt, len, now_us, out, cap);
    if (!okno_downtrack_in_time(dt, expected_us, now_us) || superseded(dt, expected_us)) {
        /* Its gap stays: the subscriber's own NACKs for it find nothing and it gives up. */
        dt->stats.late_too_late++;
        return 0;
    }
    if (!dt->rtx) {
        int n = okno_downtrack_forward(dt, in, pkt, len, now_us, out, cap);
        if (n > 0)
            dt->stats.forwarded_late++;
        return n;
    }
    /* Written first into the resend scratch with room for the OSN the wrap adds. */
    size_t room = cap < 2 ? 0 : cap - 2;
    if (room > sizeof dt->resend)
        room = sizeof dt->resend;
    int n = okno_downtrack_forward(dt, in, pkt, len, now_us, dt->resend, room);
    if (n <= 0)
        return n;
    uint16_t out_seq = (uint16_t)(dt->resend[2] << 8 | dt->resend[3]);
    n = wrap(dt, (size_t)n, out, cap);
    if (n < 0)
        return n;
    mark_resent(dt, out_seq, now_us);
    dt->stats.forwarded_late++;
    return n;
}
