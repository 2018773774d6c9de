/* One published track on the receive side: the publisher's encodings as they arrive (one, or up to
 * OKNO_TRACK_MAX_ENC simulcast layers, each its own SSRC and RTX SSRC), and per encoding the
 * retransmission cache, NACK generation, receive counters for receiver reports (one report with a
 * block per encoding), the last sender report, the keyframe requests that go back to the publisher
 * (a PLI names the encoding's SSRC) and what each VP8 temporal layer costs; then the fan-out of
 * every packet to the track's subscriptions, whose downtracks pick the encoding they follow. Runs
 * on the room's worker; allocates only at create (every encoding slot is made then).
 *
 * Encodings are in the order of the offer's a=simulcast (or its SIM group), taken as lowest first:
 * what okno.js and Chromium's sendEncodings send. An encoding's SSRC comes from the SIM group and
 * FID pairs when the offer has them, else is learned by participant_media.c from the rid and
 * repaired-rid header extensions of the first packets (Chromium sends them only at the start).
 *
 * It deliberately does not rewrite anything for a subscriber (subscription.c does), does not
 * choose layers (participant_alloc.c) and knows no SDP: the participant creates it from the
 * negotiated values. */
#ifndef OKNO_SFU_TRACK_H
#define OKNO_SFU_TRACK_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sfu/collapse_watch.h"
#include "sfu/keyframe_requester.h"
#include "sfu/layer_meter.h"
#include "sfu/negotiate.h"
#include "sfu/packet_cache.h"
#include "sfu/recv_stats.h"
#include "sfu/rtcp_scheduler.h"
#include "wire/rtp.h"

struct okno_participant;
struct okno_nack_generator;
struct okno_subscription;

/* okno's SSRC as the sender of its RTCP on publisher connections ("okno"): track.c's reports and
 * requests, participant_pub_fb.c's transport-cc feedback and REMB. */
#define OKNO_RTCP_SSRC 0x6f6b6e6fu

#define OKNO_TRACK_ID_LEN 40
/* Whole: a mid cut shorter than negotiation takes it would no longer name its section. */
#define OKNO_TRACK_MID_LEN OKNO_NEG_ID_LEN
/* Simulcast encodings taken per track; an offer with more rids has the rest ignored. */
#define OKNO_TRACK_MAX_ENC 3

/* One encoding of a track: a simulcast layer, or the whole stream without simulcast. */
struct okno_track_enc {
    /* owned */
    struct okno_packet_cache *cache;
    struct okno_nack_generator *nack; /* video only */
    /* other */
    char rid[OKNO_NEG_ID_LEN]; /* "" without simulcast */
    uint32_t ssrc;             /* 0 until learned from the SDP or the first packets */
    uint32_t rtx_ssrc;         /* 0: not known (RTX then recognised by payload type or rrid) */
    /* receive side: receiver report blocks, keyframes asked of the publisher */
    struct okno_recv_stats rs;
    bool rs_ready; /* rs started on the SSRC (known at the first packet at the latest) */
    struct okno_keyframe_requester kr;
    struct okno_collapse_watch collapse; /* video only */
    /* What each VP8 temporal layer of the encoding costs, for the allocator (video only), and
     * its recent peak total (decaying an eighth per measured second): an encoding the publisher
     * stopped keeps that cost, for the allocator and the publisher's cap to bring it back. */
    struct okno_layer_meter meter;
    uint32_t last_bps;
    int64_t last_window_us; /* the meter window last_bps was updated at */
    uint64_t packets;       /* first-time packets received (retransmissions not counted) */
    int64_t last_media_us;  /* when the last first-time video payload came; 0: none yet */
    int64_t flow_since_us;  /* the first payload after the last gap of OKNO_TRACK_ENC_IDLE_US */
};

struct okno_track {
    /* borrowed */
    struct okno_participant *owner;
    /* owned: each encoding's cache and NACK generator */
    struct okno_track_enc enc[OKNO_TRACK_MAX_ENC];
    GPtrArray *subs; /* struct okno_subscription *, borrowed: each is its subscriber's */
    /* other */
    char id[OKNO_TRACK_ID_LEN];
    char mid[OKNO_TRACK_MID_LEN];
    bool video;
    uint8_t n_enc;    /* 1 without simulcast */
    uint8_t rid_ext;  /* the publisher's rtp-stream-id extension id; 0: none */
    uint8_t rrid_ext; /* its repaired-rtp-stream-id extension id; 0: none */
    uint32_t ssrc;    /* the first encoding SSRC known (a subscriber starts on it); 0: none yet */
    uint8_t pt;
    int16_t rtx_pt; /* -1: RTX not negotiated */
    /* RFC 2198 RED around the codec (audio); -1: not negotiated. RED packets are the stream's own
     * (same SSRC and numbering), stored and fanned out as they came: each subscription decides
     * (sfu/red_adapter.h). */
    int16_t red_pt;
    uint32_t clock;
    struct okno_neg_codec codec; /* as negotiated with the publisher: subscribers get the same */
    struct okno_rtcp_scheduler report; /* when the next receiver report is due */
};

/* Creates a track for a section of the publication; id is copied (cut at its size). With
 * simulcast (two or more rids, or a SIM group of two or more SSRCs) it has an encoding per rid or
 * SIM SSRC (at most OKNO_TRACK_MAX_ENC), with the SIM SSRCs and their FID RTX when announced.
 * Without, one encoding whose SSRC is the FID group's primary, else the first a=ssrc, else learned
 * from the mid extension. Returns 0 and *out, or OKNO_E_NOMEM. */
int okno_track_new(struct okno_participant *owner, const char *id, const struct okno_pub_track *neg,
                   struct okno_track **out);

/* Frees the track; its subscriptions must have been told (okno__room_track_ended). */
void okno_track_free(struct okno_track *t);

static inline const char *okno_track_kind(const struct okno_track *t)
{
    return t->video ? "video" : "audio";
}

/* Whether a packet of payload type pt on the track's SSRC is its media: the codec, or RED. */
static inline bool okno_track_media_pt(const struct okno_track *t, uint8_t pt)
{
    return pt == t->pt || (t->red_pt >= 0 && pt == t->red_pt);
}

static inline bool okno_track_simulcast(const struct okno_track *t)
{
    return t->n_enc > 1;
}

/* The encoding with this media SSRC, or NULL (0 finds nothing). */
struct okno_track_enc *okno_track_enc_by_ssrc(struct okno_track *t, uint32_t ssrc);

/* How long an encoding may go without a first-time video payload and still count as sent. Longer
 * than the gaps a browser's encoder leaves when it drops frames on a slow link (a few hundred ms);
 * the paused encodings of a simulcast publisher are silent for good. */
#define OKNO_TRACK_ENC_IDLE_US 1000000

/* How long an encoding must have been sent without such a gap before a subscriber is moved up to
 * it: a publisher whose estimate hovers at an encoding's minimum starts and pauses it every few
 * seconds, and each move up to it and back down costs a key frame wait (a freeze). */
#define OKNO_TRACK_ENC_STEADY_US 2000000

/* Whether the publisher sends encoding e now: a video payload came within OKNO_TRACK_ENC_IDLE_US.
 */
bool okno_track_enc_flowing(const struct okno_track_enc *e, int64_t now_us);

/* Whether e is flowing and has been for OKNO_TRACK_ENC_STEADY_US. */
bool okno_track_enc_steady(const struct okno_track_enc *e, int64_t now_us);

/* The encoding with this RTX SSRC, or NULL (0 finds nothing). */
struct okno_track_enc *okno_track_enc_by_rtx_ssrc(struct okno_track *t, uint32_t ssrc);

/* The encoding whose rid is s[0..n), or NULL. */
struct okno_track_enc *okno_track_enc_by_rid(struct okno_track *t, const char *s, size_t n);

/* Records that encoding e arrives on ssrc (its media stream, or its RTX when rtx): learned from a
 * packet's rid or repaired-rid extension (or, without simulcast, its mid and payload type). The
 * first media SSRC known becomes t->ssrc. Returns true when t->ssrc was set by this call (the
 * subscribers' offers can now announce the track). */
bool okno_track_learn_ssrc(struct okno_track *t, struct okno_track_enc *e, uint32_t ssrc, bool rtx);

/* One RTP packet of encoding e of this track from the publisher, already parsed (rtp points into
 * pkt): stores it in e's cache, counts it (per temporal layer too), and forwards it to every
 * subscription. retransmission says it came as RTX (and was unwrapped). Allocates nothing. */
void okno_track_on_rtp(struct okno_track *t, struct okno_track_enc *e, const uint8_t *pkt,
                       size_t len, const struct okno_rtp_pkt *rtp, bool retransmission,
                       int64_t now_us);

/* The cached original of packet seq of the encoding on ssrc (for a subscriber's NACK). Returns 0
 * and fills *out, or OKNO_E_NOTFOUND. */
int okno_track_cache_get(const struct okno_track *t, uint32_t ssrc, uint16_t seq,
                         struct okno_cached_packet *out);

/* The publisher's sender report for encoding e: its NTP time becomes the LSR (and its arrival the
 * DLSR) of e's block in the next receiver report. Subscribers get okno's own sender reports. */
void okno_track_on_sr(struct okno_track *t, struct okno_track_enc *e, uint64_t ntp, int64_t now_us);

/* Asks the publisher for a keyframe of the encoding on ssrc (a subscriber starts or switches to
 * it, or its PLI or FIR): requests until that encoding's next keyframe coalesce into one PLI
 * naming its SSRC, throttled and repeated by sfu/keyframe_requester.h. An SSRC of no encoding
 * asks nothing. */
void okno_track_request_keyframe(struct okno_track *t, uint32_t ssrc, int64_t now_us);

/* The room's timer: each encoding's due NACKs and keyframe requests to the publisher, the receiver
 * report (a block per encoding) when the track's RTCP schedule says so, and the subscriptions'
 * sender reports (each stream keeps its own randomised schedule). */
void okno_track_tick(struct okno_track *t, int64_t now_us);

#endif
