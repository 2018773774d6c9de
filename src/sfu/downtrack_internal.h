/* The downtrack's struct and the helpers its files share: forwarding (downtrack.c), writing a
 * subscriber's packet (downtrack_write.c) and answering NACKs (downtrack_nack.c). Nothing outside
 * src/sfu/downtrack*.c includes it; the owner sees only downtrack.h. */
#ifndef OKNO_SFU_DOWNTRACK_INTERNAL_H
#define OKNO_SFU_DOWNTRACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/downtrack.h"
#include "sfu/mtu.h"
#include "sfu/rtp_munger.h"
#include "wire/vp8.h"
#include "wire/vp8_munger.h"

/* The largest extension body the downtrack can write: every carried element at the two-byte
 * form's 255 bytes, the mid, and padding to a word. */
#define OKNO__DOWNTRACK_EXT_SCRATCH                                                                \
    (OKNO_DOWNTRACK_MAX_EXT * 257 + 2 + OKNO_DOWNTRACK_MID_MAX + 2 * 2 + 2 + 3 + 3)
/* A retransmission may grow past the original by the subscriber's extensions (its mid); RTX adds
 * the OSN on top. */
#define OKNO__DOWNTRACK_RESEND_MAX (OKNO_MTU + 64)

/* The VP8 numbers a packet was sent with, kept in the rtp munger's ring as its tag so a
 * retransmission carries them again. 0 means none (not VP8, or no picture ID). */
#define OKNO__DT_TAG_VALID  (1u << 31)
#define OKNO__DT_TAG_HASTL0 (1u << 30)

static inline uint32_t okno__dt_tag(const struct okno_vp8_munger_out *o)
{
    return OKNO__DT_TAG_VALID | (o->has_tl0picidx ? OKNO__DT_TAG_HASTL0 : 0) |
           (uint32_t)o->tl0picidx << 16 | (o->picture_id & 0x7fffu);
}

struct okno_downtrack {
    /* Other: the subscriber's parameters, copied at create. */
    uint32_t ssrc;
    uint8_t pt;
    bool rtx;
    uint32_t rtx_ssrc;
    uint8_t rtx_pt;
    bool vp8;
    uint8_t ext_to[256]; /* publisher id -> subscriber id; 0 drops the element */
    uint8_t mid_id;
    uint8_t mid_len;
    uint8_t mid[OKNO_DOWNTRACK_MID_MAX];
    uint8_t twcc_id, abs_send_time_id; /* reserved for the sender to stamp; 0: none */
    int64_t nack_interval_us;
    int64_t nack_max_age_us;
    int64_t playout_budget_us; /* 0: no deadline */
    bool budget_adds_rtt;
    int64_t rtt_us; /* the subscriber's, for the deadline; 0 while unknown */
    /* When the first packet of a key frame was last sent (INT64_MIN: never): the subscriber's
     * decoder starts again there, so a late recovery from before it is not forwarded. */
    int64_t keyframe_sent_us;
    int64_t keyframe_interval_us;
    /* When okno_downtrack_restart last gave up the chain (INT64_MIN: never): what arrived before
     * cannot be decoded any more, so it is not resent either. */
    int64_t restart_us;
    /* No keyframe is asked for before then: a restart lets the bottleneck's queue drain first. */
    int64_t request_after_us;

    /* Borrowed: the owner's callbacks. */
    struct okno_downtrack_listener listener;

    /* Layer choice. cur_ssrc is the encoding being forwarded (0: none yet); it stays until the
     * target's key frame arrives. */
    uint32_t target_ssrc;
    uint8_t target_tid;
    uint32_t cur_ssrc;
    uint8_t cur_tid;
    bool awaiting_keyframe;  /* of target_ssrc */
    bool cur_broken;         /* packets of cur were dropped: its decoder state is gone */
    int64_t last_request_us; /* last on_keyframe_needed */
    /* The forwarding decision of the newest frame of cur, by RTP timestamp. */
    bool have_frame;
    uint32_t frame_ts;
    bool frame_forward;

    /* Owned: numbering state. */
    struct okno_rtp_munger seq;
    struct okno_vp8_munger pic;

    /* Owned: retransmission state. resent[] is indexed like the munger's ring. */
    uint16_t rtx_seq;
    struct {
        bool used;
        uint16_t out_seq;
        int64_t at_us;
    } resent[OKNO_RTP_MUNGER_HISTORY];

    struct okno_downtrack_stats stats;

    /* Owned: scratch buffers, so the media path needs no stack arrays of packet size. */
    uint8_t ext_body[OKNO__DOWNTRACK_EXT_SCRATCH];
    uint8_t resend[OKNO__DOWNTRACK_RESEND_MAX];
    uint8_t resend_rtx[OKNO__DOWNTRACK_RESEND_MAX + 2];
};

/* Builds the subscriber's extension body for packet in into dt->ext_body: the mapped elements in
 * their order, renumbered, then the mid, then (when stamped) the zeroed transport-wide-cc and
 * abs-send-time elements. Stores the profile in *profile. Returns the body length (0: no extension
 * block); a malformed block of the publisher's ends the walk, keeping what came before it. Never
 * fails: the scratch buffer holds the largest body. */
size_t okno__downtrack_build_ext(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                                 bool stamped, uint16_t *profile);

/* okno__downtrack_build_ext with the stamped elements, or without them when the packet would then
 * be longer than cap. */
size_t okno__downtrack_build_ext_fit(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                                     size_t cap, uint16_t *profile);

/* The packet okno__downtrack_write would write, in bytes. */
size_t okno__downtrack_out_len(const struct okno_rtp_pkt *in, size_t ext_len);

/* Writes the subscriber's packet for in: its header with the downtrack's SSRC and payload type,
 * seq and ts, the extension body built by okno__downtrack_build_ext (ext_len bytes, profile), the
 * payload, with the VP8 picture ID and TL0PICIDX of tag (when valid) written into the payload's
 * descriptor. Returns the length; OKNO_E_NOSPC; OKNO_E_MALFORMED when tag asks for a VP8 rewrite of
 * a payload whose descriptor does not parse. */
int okno__downtrack_write(const struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                          size_t ext_len, uint16_t profile, uint16_t seq, uint32_t ts, uint32_t tag,
                          uint8_t *out, size_t cap);

#endif
