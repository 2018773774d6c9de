/* Packets that probe a subscriber's link (okno_downtrack_write_probe): RTX copies of the video the
 * subscriber was sent last, newest first, which also serve as redundancy (libwebrtc's "payload
 * padding"), or, when none of those is still cached, padding-only RTX packets that carry nothing
 * but RFC 3550 padding (what Chromium sends when it has no history: the receiver counts them in its
 * transport-cc feedback and drops them). Both go on the RTX SSRC with the downtrack's own RTX
 * numbering, never on the media SSRC, so the media numbering the subscriber sees has no extra
 * packets. It deliberately leaves the retransmission bookkeeping alone: a probe copy does not
 * suppress the answer to a later NACK and is not counted as retransmitted. */
#include "sfu/downtrack_probe.h"

#include "okno/err.h"
#include "sfu/downtrack_internal.h"
#include "wire/rtx.h"

/* How far back from the newest packet the copies go before starting again from the newest. */
#define PROBE_DEPTH 32
/* Packets looked at per call before falling back to padding. */
#define PROBE_TRIES 4
/* A copy is made of video at most this old: older is no use as redundancy. */
#define PROBE_MAX_AGE_US 1000000
/* RFC 3550's count octet limits padding to 255 bytes a packet. */
#define PADDING_MAX 255

/* The copy of out_seq, RTX-wrapped, into out; 0 when it cannot be made. */
static int copy_recent(struct okno_downtrack *dt, uint16_t out_seq, okno_downtrack_cache_fn lookup,
                       void *lookup_ctx, int64_t now_us, uint8_t *out, size_t cap)
{
    struct okno_rtp_munger_entry e;
    struct okno_cached_packet cp;
    struct okno_rtp_pkt orig;
    if (okno_rtp_munger_lookup(&dt->seq, out_seq, &e) < 0 ||
        lookup(lookup_ctx, e.source, e.in_seq, &cp) < 0 || !cp.data ||
        now_us - cp.arrival_us > PROBE_MAX_AGE_US)
        return 0;
    if (okno_rtp_parse(cp.data, cp.len, &orig) < 0 || orig.seq != e.in_seq || orig.ssrc != e.source)
        return 0;
    uint16_t profile;
    size_t ext_len = okno__downtrack_build_ext(dt, &orig, true, &profile);
    /* A probe must carry the transport-wide number: one that would not fit with it is no probe. */
    if (okno__downtrack_out_len(&orig, ext_len) + OKNO_RTX_OSN_LEN > OKNO_MTU)
        return 0;
    int n = okno__downtrack_write(dt, &orig, ext_len, profile, e.out_seq, e.out_ts, e.tag,
                                  dt->resend, sizeof dt->resend);
    if (n <= 0)
        return 0;
    n = okno_rtx_wrap(dt->resend, (size_t)n, out, cap, dt->rtx_ssrc, dt->rtx_pt, dt->rtx_seq);
    if (n <= 0)
        return 0;
    dt->rtx_seq++;
    return n;
}

/* A padding-only RTX packet of about want bytes into out. */
static int padding_only(struct okno_downtrack *dt, size_t want, uint8_t *out, size_t cap)
{
    static const struct okno_rtp_pkt none; /* no extensions of a publisher's to carry */
    uint16_t profile;
    size_t ext_len = okno__downtrack_build_ext(dt, &none, true, &profile);
    struct okno_rtp_pkt h = {
        .extension = ext_len > 0,
        .pt = dt->rtx_pt,
        .seq = dt->rtx_seq,
        .ts = dt->seq.last_out_ts,
        .ssrc = dt->rtx_ssrc,
        .ext_profile = profile,
        .ext = dt->ext_body,
        .ext_len = ext_len,
    };
    int hl = okno_rtp_write_header(out, cap, &h);
    if (hl < 0)
        return hl;
    size_t pad = want > (size_t)hl ? want - (size_t)hl : 1;
    if (pad > PADDING_MAX)
        pad = PADDING_MAX;
    int n = okno_rtp_append_padding(out, (size_t)hl, cap, (uint8_t)pad);
    if (n < 0)
        return n;
    dt->rtx_seq++;
    return n;
}

int okno_downtrack_write_probe(struct okno_downtrack *dt, okno_downtrack_cache_fn lookup,
                               void *lookup_ctx, uint16_t *back, size_t want, int64_t now_us,
                               uint8_t *out, size_t cap)
{
    if (!dt->rtx || !dt->twcc_id)
        return 0;
    /* Copies only when the probe wants more than a padding packet carries. */
    if (dt->seq.started && want > PADDING_MAX && lookup) {
        uint16_t newest = okno_rtp_munger_last_seq(&dt->seq);
        for (int i = 0; i < PROBE_TRIES; i++) {
            if (*back >= PROBE_DEPTH)
                *back = 0;
            uint16_t seq = (uint16_t)(newest - (*back)++);
            int n = copy_recent(dt, seq, lookup, lookup_ctx, now_us, out, cap);
            if (n > 0)
                return n;
        }
    }
    return padding_only(dt, want, out, cap);
}
