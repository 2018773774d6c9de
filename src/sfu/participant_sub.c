/* The subscriber connection of a participant (participant.h): sections added for tracks and kept
 * in place when they end (JSEP forbids moving m= lines; an inactive one of the same kind is
 * reused), okno's offers written through sfu/sub_offer, and the client's answers checked against
 * the offer they answer. It deliberately does no routing: room.c decides who subscribes. */
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "okno/err.h"
#include "sfu/participant.h"
#include "sfu/participant_internal.h"
#include "sfu/participant_link.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/participant_pacer.h"
#include "sfu/sub_bwe.h"
#include "sfu/sub_offer.h"
#include "sfu/subscription.h"
#include "sfu/track.h"

/* okno's header extension ids on the subscriber connection, the same in every section (BUNDLE
 * shares them) and every offer: abs-send-time and transport-wide-cc, stamped on every packet for
 * the subscriber's congestion control feedback (sfu/sub_bwe.h). Chromium's own numbers. */
#define SUB_EXT_ABS_SEND_TIME 2
#define SUB_EXT_TWCC          3

/* --- subscriber connection
 * ------------------------------------------------------------------------
 */

/* With no active section the client sends nothing on the subscriber connection (no RTCP without a
 * stream; its STUN checks end in libnice), so its silence is no sign of loss then: consent is held
 * (net/ice.h) and the participant's WebSocket tells whether it lives. */
static void update_sub_hold(struct okno_participant *p)
{
    if (!p->sub_peer)
        return;
    bool active = false;
    for (guint i = 0; i < p->subs->len && !active; i++)
        active = ((struct okno_subscription *)p->subs->pdata[i])->track != NULL;
    okno_peer_hold_consent(p->sub_peer, !active);
}

struct okno_subscription *okno_participant_subscribe(struct okno_participant *p,
                                                     struct okno_track *track)
{
    struct okno_subscription *sub = NULL;
    for (guint i = 0; i < p->subs->len && !sub; i++) {
        struct okno_subscription *s = p->subs->pdata[i];
        if (!s->track && s->video == track->video)
            sub = s; /* an inactive section of the same kind carries the new track */
    }
    if (!sub) {
        if (p->subs->len >= OKNO_NEG_MAX_MEDIA) {
            okno_log(OKNO_LOG_WARN, "sfu", "%s: no media section left for %s", p->id, track->id);
            return NULL;
        }
        sub = g_new0(struct okno_subscription, 1);
        sub->subscriber = p;
        sub->mid = p->subs->len;
        snprintf(sub->mid_str, sizeof sub->mid_str, "%u", sub->mid);
        g_ptr_array_add(p->subs, sub);
    }
    okno_subscription_attach(sub, track);
    g_ptr_array_add(track->subs, sub);
    p->offer_dirty = true;
    update_sub_hold(p);
    return sub;
}

void okno_participant_unsubscribe(struct okno_participant *p, struct okno_subscription *sub)
{
    okno_subscription_detach(sub);
    p->offer_dirty = true;
    update_sub_hold(p);
}

/* The slots of the offer being made (snapshot = false: from the subscriptions now, recorded in
 * each one's offered fields) or of the offer outstanding (snapshot = true: from those records). */
static struct okno_sub_slot *make_slots(struct okno_participant *p, bool snapshot, size_t *n)
{
    *n = snapshot ? p->offered_n : p->subs->len;
    struct okno_sub_slot *slots = g_new0(struct okno_sub_slot, *n);
    for (size_t i = 0; i < *n; i++) {
        struct okno_subscription *sub = p->subs->pdata[i];
        if (!snapshot) {
            /* A track whose SSRC is not known yet has nothing to forward yet: it waits. */
            sub->offered.state =
                sub->track && sub->track->ssrc ? OKNO_SUB_SLOT_TRACK : OKNO_SUB_SLOT_INACTIVE;
            sub->offered.ssrc = sub->ssrc;
            sub->offered.rtx_pt = sub->rtx_pt;
            sub->offered.red_pt = sub->red_pt;
            memcpy(sub->offered.track_id, sub->track_id, sizeof sub->track_id);
            memcpy(sub->offered.publisher, sub->publisher, sizeof sub->publisher);
        }
        struct okno_sub_slot *sl = &slots[i];
        sl->mid = sub->mid_str;
        sl->state = sub->offered.state;
        sl->track.participant = sub->offered.publisher;
        sl->track.track = sub->offered.track_id;
        sl->track.kind = sub->video ? OKNO_MEDIA_VIDEO : OKNO_MEDIA_AUDIO;
        sl->track.codec = sub->codec;
        sl->track.rtx_pt = sub->offered.rtx_pt;
        sl->track.rtx_ssrc = sub->offered.rtx_pt >= 0 ? sub->rtx_ssrc : 0;
        sl->track.red_pt = sub->offered.red_pt;
        sl->track.ssrc = sub->offered.ssrc;
        sl->track.cname = sub->offered.publisher;
        sl->track.fb = sub->video ? OKNO_FB_NACK | OKNO_FB_NACK_PLI | OKNO_FB_CCM_FIR : 0;
        /* Feedback about every packet, audio's too; REMB where the client estimates itself. */
        sl->track.fb |= OKNO_FB_TRANSPORT_CC | (sub->video ? OKNO_FB_GOOG_REMB : 0);
        sl->track.ext_ids[OKNO_EXT_ABS_SEND_TIME] = SUB_EXT_ABS_SEND_TIME;
        sl->track.ext_ids[OKNO_EXT_TWCC] = SUB_EXT_TWCC;
    }
    return slots;
}

void okno_participant_renegotiate(struct okno_participant *p)
{
    if (p->dropped || !(p->offer_dirty || p->sub_restart) || p->offer_outstanding ||
        p->subs->len == 0)
        return;
    if (!p->sub_peer) {
        int rc = okno__participant_open_peer(p, false, &p->sub_peer);
        if (rc != 0) {
            /* Not dropped here: callers are iterating the room. The client closes, then leaves. */
            struct okno_sfu_event ev = {.type = OKNO_SFU_EV_CLOSED,
                                        .message = "cannot open media sockets"};
            okno__participant_emit(p, &ev);
            p->dropped = true;
            return;
        }
        struct okno_sfu *sfu = p->room->sfu;
        const struct okno_bwe_transport t = {.room = p->room->name,
                                             .participant = p->id,
                                             .direction = "subscriber",
                                             .start_bps = okno__participant_link_down_start_bps(p)};
        p->sub_bwe = okno_sub_bwe_new(p->id);
        okno_sub_bwe_attach(p->sub_bwe, sfu->bwe, sfu->bwe_state, &t, g_get_monotonic_time());
        okno__participant_pacer_open(p);
        update_sub_hold(p);
    }
    if (p->sub_restart) {
        p->sub_restart = false;
        int rc = okno__participant_restart_peer(p, OKNO_SFU_PC_SUBSCRIBER);
        if (rc != 0)
            okno_log(OKNO_LOG_WARN, "sfu", "%s: subscriber ICE restart: %s", p->id,
                     okno_strerror(rc));
    }
    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    struct okno_neg_local local;
    okno__participant_local_transport(p, p->sub_peer, p->sub_cands, ++p->sub_version, ufrag, pwd,
                                      &local);
    size_t n;
    struct okno_sub_slot *slots = make_slots(p, false, &n);
    char *offer = g_malloc(OKNO_NEG_SDP_MAX);
    char reason[OKNO_NEG_REASON_LEN] = "";
    int rc = okno_sub_offer_build(slots, n, &local, offer, OKNO_NEG_SDP_MAX, reason, sizeof reason);
    g_free(slots);
    if (rc < 0) {
        okno_log(OKNO_LOG_ERROR, "sfu", "%s: cannot write a subscriber offer: %s", p->id,
                 reason[0] ? reason : okno_strerror(rc));
        g_free(offer);
        return;
    }
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_OFFER, .pc = OKNO_SFU_PC_SUBSCRIBER, .sdp = offer};
    okno__participant_emit(p, &ev);
    g_free(offer);
    p->offered_n = (unsigned)n;
    p->offer_outstanding = true;
    p->offer_dirty = false;
    if (!p->sub_offered) {
        p->sub_offered = true;
        for (guint i = 0; i < p->sub_cands->len; i++)
            okno__participant_emit_candidate(p, OKNO_SFU_PC_SUBSCRIBER, p->sub_cands->pdata[i]);
        if (local.candidates_done)
            okno__participant_emit_candidate(p, OKNO_SFU_PC_SUBSCRIBER, NULL);
    }
}

void okno_participant_answer(struct okno_participant *p, uint64_t req, const char *text)
{
    struct okno_sfu *sfu = p->room->sfu;
    if (!p->offer_outstanding) {
        okno__sfu_error(sfu, p->session, req, "bad_state", "no subscriber offer is outstanding");
        return;
    }
    size_t n;
    struct okno_sub_slot *slots = make_slots(p, true, &n);
    struct okno_sub_answer *ans = g_new0(struct okno_sub_answer, 1);
    char reason[OKNO_NEG_REASON_LEN] = "";
    int rc = okno_sub_offer_check_answer(slots, n, text, strlen(text), ans, reason, sizeof reason);
    g_free(slots);
    if (rc < 0) {
        okno__sfu_error(sfu, p->session, req, "bad_sdp", "%s",
                        reason[0] ? reason : okno_strerror(rc));
        g_free(ans);
        return;
    }
    if (okno__participant_take_remote(p, p->sub_peer, &ans->remote, req) != 0) {
        g_free(ans);
        return;
    }
    if (p->sub_bwe) {
        uint8_t twcc, abs;
        okno_sub_bwe_ids_from_answer(ans, n, &twcc, &abs);
        okno_sub_bwe_set_ids(p->sub_bwe, twcc, abs);
    }
    for (size_t i = 0; i < n; i++) {
        struct okno_subscription *sub = p->subs->pdata[i];
        const struct okno_sub_answer_media *m = &ans->media[i];
        /* Only if the section still carries the track the offer announced. */
        bool same = sub->track && sub->offered.state == OKNO_SUB_SLOT_TRACK &&
                    sub->offered.ssrc == sub->ssrc &&
                    strcmp(sub->offered.track_id, sub->track_id) == 0;
        sub->answered = same && m->accepted &&
                        (m->dir == OKNO_SDP_DIR_RECVONLY || m->dir == OKNO_SDP_DIR_SENDRECV);
        sub->rtx_ok = sub->answered && m->rtx && sub->offered.rtx_pt >= 0;
        sub->red_ok = sub->answered && m->red && sub->offered.red_pt >= 0;
        if (sub->answered)
            okno_subscription_start(sub, sub->rtx_ok, g_get_monotonic_time());
        /* A track the answered section does not carry (it came after the offer, or its SSRC is
         * known now) is offered again. One whose SSRC is still unknown waits for its first packet
         * (participant_media's announce): offered again at every answer, it would ping-pong
         * offers with the client as fast as both can answer until then, seconds on a slow uplink
         * (a rid-only simulcast publisher names no SSRC), starving the media of both. */
        if (sub->track && sub->track->ssrc && !same)
            p->offer_dirty = true;
    }
    g_free(ans);
    p->offer_outstanding = false;
    okno__sfu_ack(sfu, p->session, req);
    okno_participant_renegotiate(p);
}
