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

#include "sfu/keyframe_requester.h"
#include "sfu/layer_meter.h"
#include "sfu/negotiate.h"
#include "sfu/recv_stats.h"
#include "sfu/rtcp_scheduler.h"
#include "wire/rtp.h"

struct okno_participant;
struct okno_packet_cache;
struct okno_nack_generator;
struct okno_subscription;

/* okno's SSRC as the sender of its RTCP on publisher connections ("okno"): track.c's reports and
 * requests, participant_pub_fb.c's transport-cc feedback and REMB. */
#define OKNO_RTCP_SSRC 0x6f6b6e6fu

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
    /* receive side: receiver reports (timed by report), keyframes asked of the publisher */
    struct okno_recv_stats rs;
    bool rs_ready; /* rs started on the stream's SSRC (known at the first packet at the latest) */
    struct okno_rtcp_scheduler report;
    struct okno_keyframe_requester kr;
    /* What each VP8 temporal layer of the stream costs, for the allocator (video only). */
    struct okno_layer_meter meter;
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
 * it, counts it (per temporal layer too), and forwards it to every subscription. retransmission
 * says it came as RTX (and was unwrapped). Allocates nothing. */
void okno_track_on_rtp(struct okno_track *t, const uint8_t *pkt, size_t len,
                       const struct okno_rtp_pkt *rtp, bool retransmission, int64_t now_us);

/* The publisher's sender report for this track: its NTP time becomes the LSR (and its arrival the
 * DLSR) of the next receiver report. Subscribers get okno's own sender reports (subscription.h). */
void okno_track_on_sr(struct okno_track *t, uint64_t ntp, int64_t now_us);

/* Asks the publisher for a keyframe (a subscriber starts, or its PLI or FIR): requests until the
 * next keyframe coalesce into one PLI, throttled and repeated by sfu/keyframe_requester.h. */
void okno_track_request_keyframe(struct okno_track *t, int64_t now_us);

/* The room's timer: due NACKs and keyframe requests to the publisher, its receiver report when the
 * track's RTCP schedule says so, and the subscriptions' sender reports (each stream keeps its own
 * randomised schedule). */
void okno_track_tick(struct okno_track *t, int64_t now_us);

#endif
