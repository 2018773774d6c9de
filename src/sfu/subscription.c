/* Forwarding one track to one subscriber (subscription.h): the start at a keyframe, protect and
 * send through the subscriber's scratch buffer, and the subscriber's sender reports. Allocates
 * nothing. */
#include "sfu/subscription.h"

#include <string.h>

#include "net/peer.h"
#include "sfu/participant.h"
#include "sfu/track.h"
#include "wire/rtcp.h"
#include "wire/rtcp_report.h"
#include "wire/rtp.h"
#include "wire/rtx.h"

/* How often a subscription still waiting for its first keyframe asks again. */
#define KEYFRAME_ASK_US 500000

static struct okno_peer *ready_peer(const struct okno_subscription *sub)
{
    struct okno_peer *peer = sub->subscriber->sub_peer;
    if (!sub->answered || !sub->track || !peer || !okno_peer_connected(peer))
        return NULL;
    return peer;
}

static void forward(struct okno_subscription *sub, struct okno_peer *peer, const uint8_t *pkt,
                    size_t len)
{
    struct okno_participant *p = sub->subscriber;
    if (len > OKNO_MTU)
        return;
    memcpy(p->tx, pkt, len);
    if (okno_peer_send_rtp(peer, p->tx, len, sizeof p->tx) == 0) {
        sub->packets++;
        sub->octets += len > OKNO_RTP_HEADER_LEN ? len - OKNO_RTP_HEADER_LEN : 0;
    }
}

void okno_subscription_send(struct okno_subscription *sub, const uint8_t *pkt, size_t len,
                            bool keyframe_start, int64_t now_us)
{
    struct okno_peer *peer = ready_peer(sub);
    if (!peer)
        return;
    if (sub->video && !sub->started) {
        if (!keyframe_start) {
            if (now_us - sub->last_keyframe_ask_us >= KEYFRAME_ASK_US) {
                sub->last_keyframe_ask_us = now_us;
                okno_track_request_keyframe(sub->track, now_us);
            }
            return;
        }
        sub->started = true;
    }
    forward(sub, peer, pkt, len);
}

void okno_subscription_resend(struct okno_subscription *sub, const uint8_t *pkt, size_t len)
{
    struct okno_peer *peer = ready_peer(sub);
    if (!peer || (sub->video && !sub->started))
        return;
    if (!sub->rtx_ok) {
        forward(sub, peer, pkt, len);
        return;
    }
    struct okno_participant *p = sub->subscriber;
    int n =
        okno_rtx_wrap(pkt, len, p->tx, OKNO_MTU, sub->rtx_ssrc, (uint8_t)sub->rtx_pt, sub->rtx_seq);
    if (n > 0) {
        sub->rtx_seq++;
        okno_peer_send_rtp(peer, p->tx, (size_t)n, sizeof p->tx);
    }
}

void okno_subscription_send_sr(struct okno_subscription *sub, uint64_t ntp, uint32_t rtp_ts)
{
    struct okno_peer *peer = ready_peer(sub);
    if (!peer || (sub->video && !sub->started))
        return;
    struct okno_participant *p = sub->subscriber;
    struct okno_rtcp_sr sr = {
        .ssrc = sub->ssrc,
        .ntp = ntp,
        .rtp_ts = rtp_ts,
        .packet_count = (uint32_t)sub->packets,
        .octet_count = (uint32_t)sub->octets,
    };
    struct okno_rtcp_writer w;
    okno_rtcp_writer_init(&w, p->tx, OKNO_MTU);
    okno_rtcp_writer_commit(
        &w, okno_rtcp_sr_build(&sr, okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    okno_rtcp_writer_commit(
        &w, okno_rtcp_sdes_build_cname(sub->ssrc, sub->publisher, strlen(sub->publisher),
                                       okno_rtcp_writer_tail(&w), okno_rtcp_writer_room(&w)));
    int n = okno_rtcp_writer_finish(&w);
    if (n > 0)
        okno_peer_send_rtcp(peer, p->tx, (size_t)n, sizeof p->tx);
}
