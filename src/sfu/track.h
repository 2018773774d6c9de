/* One published track on the receive side: the publisher's stream as it arrives (SSRC, payload
 * type, the retransmission cache, NACK generation, receive counters for receiver reports, the last
 * sender report), the keyframe requests that go back to the publisher, and the fan-out of every
 * packet to the track's subscriptions. Runs on the room's worker; allocates only at create.
 *
 * It deliberately does not rewrite anything for a subscriber (subscription.c does) and knows no
 * SDP: the participant creates it from the negotiated values. Simulcast is not handled: one SSRC
 * per track. */
#ifndef OKNO_SFU_TRACK_H
#define OKNO_SFU_TRACK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sfu/negotiate.h"
#include "wire/rtp.h"
#include "wire/seq.h"

struct okno_participant;
struct okno_packet_cache;
struct okno_nack_generator;
struct okno_subscription;

#define OKNO_TRACK_ID_LEN  40
#define OKNO_TRACK_MID_LEN 32

struct okno_track {
    /* borrowed */
    struct okno_participant *owner;
    /* owned */
    struct okno_packet_cache *cache;
    struct okno_nack_generator *nack; /* video only */
    GPtrArray *subs; /* struct okno_subscription *, borrowed: each is its subscriber's */
    /* other */
    char id[OKNO_TRACK_ID_LEN];
    char mid[OKNO_TRACK_MID_LEN];
    bool video;
    uint32_t ssrc;     /* 0 until learned from the SDP or the first packet of the mid */
    uint32_t rtx_ssrc; /* 0: none announced (then RTX is recognised by its payload type) */
    uint8_t pt;
    int16_t rtx_pt; /* -1: RTX not negotiated */
    uint32_t clock;
    struct okno_neg_codec codec; /* as negotiated with the publisher: subscribers get the same */
    /* receive side, for receiver reports */
    struct okno_seq_unwrapper unwrap;
    int64_t base_seq, max_seq;
    uint64_t received, expected_prior, received_prior;
    uint32_t jitter_q4; /* RFC 3550 A.8 jitter in timestamp units, times 16 */
    int64_t last_transit;
    bool has_transit;
    /* the publisher's last sender report */
    bool has_sr;
    uint64_t sr_ntp;
    uint32_t sr_rtp;
    int64_t sr_at_us;
    /* keyframe requests */
    int64_t last_pli_us;
    bool pli_pending;
};

/* Creates a track for a section of the publication; id is copied (cut at its size). The media SSRC
 * is the FID group's primary, else the first a=ssrc, else learned from the mid extension. Returns 0
 * and *out, or OKNO_E_NOMEM. */
int okno_track_new(struct okno_participant *owner, const char *id, const struct okno_pub_track *neg,
                   struct okno_track **out);

/* Frees the track; its subscriptions must have been told (okno__room_track_ended). */
void okno_track_free(struct okno_track *t);

static inline const char *okno_track_kind(const struct okno_track *t)
{
    return t->video ? "video" : "audio";
}

/* One RTP packet of this track from the publisher, already parsed (rtp points into pkt): stores
 * it, counts it, and forwards it to every subscription. retransmission says it came as RTX (and
 * was unwrapped). Allocates nothing. */
void okno_track_on_rtp(struct okno_track *t, const uint8_t *pkt, size_t len,
                       const struct okno_rtp_pkt *rtp, bool retransmission, int64_t now_us);

/* The publisher's sender report for this track: remembered for the RTT and forwarded to the
 * subscriptions so their receivers keep audio and video in sync. */
void okno_track_on_sr(struct okno_track *t, uint64_t ntp, uint32_t rtp_ts, int64_t now_us);

/* Asks the publisher for a keyframe: at most one PLI per 300 ms, the rest coalesced into it. */
void okno_track_request_keyframe(struct okno_track *t, int64_t now_us);

/* The room's timer: due NACKs and coalesced PLIs to the publisher; with report set, a receiver
 * report block for this track goes into the compound the publisher gets. */
void okno_track_tick(struct okno_track *t, int64_t now_us, bool report);

/* Retransmits seq from the cache to one subscription (a subscriber's NACK). */
void okno_track_retransmit(struct okno_track *t, struct okno_subscription *sub, uint16_t seq,
                           int64_t now_us);

#endif
