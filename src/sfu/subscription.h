/* One track as one subscriber receives it: a media section of the subscriber's connection (its
 * stable mid), whether the client has answered it, whether video has started at a keyframe, and the
 * per-packet send: copy into the subscriber's scratch, protect, send. The section offers the
 * publisher's own codec and payload type, so nothing in the packet changes. Sender reports for the
 * subscriber are made here from the publisher's.
 *
 * The SSRC, sequence numbers and timestamps are the publisher's, unchanged: a subscription starts
 * at a keyframe and never skips a packet afterwards, so there is nothing to close up. Layer
 * switching (simulcast) would need rewriting, and is deliberately not here. */
#ifndef OKNO_SFU_SUBSCRIPTION_H
#define OKNO_SFU_SUBSCRIPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/negotiate.h"
#include "sfu/sub_offer.h"

struct okno_participant;
struct okno_track;

struct okno_subscription {
    /* borrowed */
    struct okno_participant *subscriber;
    struct okno_track *track; /* NULL once the track ended: the section is inactive */
    /* other */
    unsigned mid;
    char mid_str[12];
    bool video;
    struct okno_neg_codec codec; /* the publisher's; kept for the section after the track ends */
    bool answered;               /* the client accepted the section that carries it */
    bool started;                /* video: a keyframe went out, so every later packet may follow */
    uint32_t ssrc;               /* the publisher's, as the offer announced it */
    char track_id[40], publisher[16];
    uint64_t packets, octets; /* sent, for sender reports */
    /* RFC 4588 retransmissions to this subscriber: offered with the publisher's RTX payload type
     * when it negotiated one, used once the client's answer keeps it. */
    uint32_t rtx_ssrc; /* okno's, made once per section */
    int16_t rtx_pt;    /* -1: none offered */
    bool rtx_ok;
    uint16_t rtx_seq;
    int64_t last_keyframe_ask_us;
    /* The section as the outstanding (or last) offer described it, to check the answer against. */
    struct {
        enum okno_sub_slot_state state;
        uint32_t ssrc;
        int16_t rtx_pt;
        char track_id[40], publisher[16];
    } offered;
};

/* One packet of the track (len bytes at pkt, not modified). keyframe_start says it begins a
 * keyframe. Video waits for a keyframe, asking the publisher for one. Allocates nothing. */
void okno_subscription_send(struct okno_subscription *sub, const uint8_t *pkt, size_t len,
                            bool keyframe_start, int64_t now_us);

/* Sends a cached packet again (a subscriber NACK), when the subscription has started: wrapped in
 * RTX when the client accepted it, as the original otherwise. */
void okno_subscription_resend(struct okno_subscription *sub, const uint8_t *pkt, size_t len);

/* A sender report with a CNAME for this subscription, from the publisher's SR values. */
void okno_subscription_send_sr(struct okno_subscription *sub, uint64_t ntp, uint32_t rtp_ts);

#endif
