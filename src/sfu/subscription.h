/* One track as one subscriber receives it: a media section of the subscriber's connection (its
 * stable mid), whether the client has answered it, and the per-subscriber stream okno sends on it.
 * That stream has okno's own SSRC (and RTX SSRC), chosen when a track is put on the section, so it
 * stays one continuous stream for the client whatever happens at the source: a downtrack
 * (sfu/downtrack.h) rewrites every packet (SSRC, sequence numbers, timestamps, VP8 picture ids),
 * starts video at a keyframe and answers the client's NACKs from the track's cache, and send
 * statistics (sfu/send_stats.h) give the sender reports with the rewritten stream's RTP/NTP
 * mapping and the RTT from the client's receiver reports. Every packet it sends, retransmissions
 * too, waits in the subscriber connection's pacer (sfu/participant_pacer.h) and is numbered by its
 * transport-wide counter (sfu/sub_bwe.h) when it leaves, just before protection.
 *
 * It deliberately does not choose layers (participant_alloc.c aims the downtrack at what the
 * allocator chose; until then it follows the track's stream with every temporal layer),
 * does not request keyframes itself (the track's keyframe requester coalesces them) and does not
 * parse RTCP (participant_media.c hands it the fields). */
#ifndef OKNO_SFU_SUBSCRIPTION_H
#define OKNO_SFU_SUBSCRIPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/allocator.h"
#include "sfu/negotiate.h"
#include "sfu/red_adapter.h"
#include "sfu/rtcp_scheduler.h"
#include "sfu/send_stats.h"
#include "sfu/sub_offer.h"
#include "wire/rtcp_report.h"
#include "wire/rtp.h"

struct okno_participant;
struct okno_track;
struct okno_downtrack;

struct okno_subscription {
    /* borrowed */
    struct okno_participant *subscriber;
    struct okno_track *track; /* NULL once the track ended: the section is inactive */
    /* owned */
    struct okno_downtrack *dt; /* from the accepting answer until the track leaves the section */
    bool targeted; /* dt follows the track: the first packet once the client is reachable */
    /* The allocator's choice for dt and its hysteresis (sfu/participant_alloc.h); alloc_on once
     * the first round took the video in (its layers were measured). */
    struct okno_alloc_video alloc;
    bool alloc_on;
    int64_t collapse_hold_us;   /* no restart for a collapse before then (participant_alloc.h) */
    uint32_t collapse_restarts; /* restarts at a keyframe for collapses */
    bool told; /* a quality event was sent; told_spatial is the encoding it named (before one, the
                * encoding chosen counts as told) */
    uint8_t told_spatial;
    /* other */
    unsigned mid;
    char mid_str[12];
    bool video;
    struct okno_neg_codec codec; /* the publisher's; kept for the section after the track ends */
    bool answered;               /* the client accepted the section that carries it */
    uint32_t ssrc;               /* okno's, new for every track put on the section */
    char track_id[40], publisher[16];
    struct okno_send_stats stats;      /* of the rewritten stream, for sender reports and RTT */
    struct okno_rtcp_scheduler report; /* when the next sender report is due */
    int64_t now_us; /* of the call into the downtrack, for its keyframe callback */
    /* RFC 4588 retransmissions to this subscriber: offered with the publisher's RTX payload type
     * when it negotiated one, used once the client's answer keeps it. */
    uint32_t rtx_ssrc; /* okno's, new with ssrc */
    int16_t rtx_pt;    /* -1: none offered */
    bool rtx_ok;
    /* RFC 2198 RED to this subscriber (audio): offered with the publisher's RED payload type, or
     * one okno picks when the publisher sends none (okno then adds redundancy itself on a lossy
     * leg); red_ok once the client's answer keeps it. red decides per packet (forward, strip,
     * recover, add) and counts. */
    int16_t red_pt; /* -1: none offered (video) */
    bool red_ok;
    struct okno_red_adapter red;
    /* The section as the outstanding (or last) offer described it, to check the answer against. */
    struct {
        enum okno_sub_slot_state state;
        uint32_t ssrc;
        int16_t rtx_pt;
        int16_t red_pt;
        char track_id[40], publisher[16];
    } offered;
};

/* Puts track on the section: new SSRCs for okno's stream, nothing answered yet. Any downtrack of
 * the previous track is freed. No error. */
void okno_subscription_attach(struct okno_subscription *sub, struct okno_track *track);

/* The track left the section (ended, or the subscriber goes): frees the downtrack; the section
 * turns inactive at the next offer. Invalidates nothing else. */
void okno_subscription_detach(struct okno_subscription *sub);

/* The client's answer accepted the section (rtx: with RTX; RED as sub->red_ok says): creates the
 * downtrack (the only allocation of the subscription's media path). It is aimed at the track's
 * stream (video then asks the track for a keyframe) at the first packet once the subscriber
 * connection is up, so the keyframe is not spent before the client can receive it. Returns 0 or
 * OKNO_E_NOMEM (the section then sends nothing). */
int okno_subscription_start(struct okno_subscription *sub, bool rtx, int64_t now_us);

/* One packet of the track, parsed into *rtp (pointing into pkt[0..len), not modified): rewritten
 * for the subscriber in its send scratch and queued in the subscriber's pacer (audio or video
 * class), which protects and sends it. Allocates nothing. */
void okno_subscription_send(struct okno_subscription *sub, const struct okno_rtp_pkt *rtp,
                            const uint8_t *pkt, size_t len, int64_t now_us);

/* A packet of the track that okno recovered from the publisher (RTX after its NACK), expected at
 * expected_us: video goes into the gap its downtrack kept for it, as RTX when the subscriber
 * negotiated it, unless past the playout deadline (okno_downtrack_forward_late); audio is sent as
 * any packet. */
void okno_subscription_send_late(struct okno_subscription *sub, const struct okno_rtp_pkt *rtp,
                                 const uint8_t *pkt, size_t len, int64_t expected_us,
                                 int64_t now_us);

/* The client's NACK for output sequence numbers seqs[0..n): resent from the track's cache, as RTX
 * when the answer kept it. */
void okno_subscription_on_nack(struct okno_subscription *sub, const uint16_t *seqs, size_t n,
                               int64_t now_us);

/* A report block about this subscription's stream from the client. Returns the smoothed RTT in
 * microseconds once one is known (also given to the downtrack), else -1. */
int64_t okno_subscription_on_report(struct okno_subscription *sub,
                                    const struct okno_rtcp_report_block *b, int64_t now_us);

/* The room's timer: a sender report with a CNAME when one is due. */
void okno_subscription_tick(struct okno_subscription *sub, int64_t now_us);

#endif
