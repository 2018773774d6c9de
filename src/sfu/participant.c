/* A participant's signalling and transports (participant.h): the publisher connection answered from
 * the client's offer, the subscriber connection offered by okno, trickle both ways, and the drop
 * when either transport dies. Packets arriving on the transports go to participant_media.c. It
 * deliberately keeps no media state of its own: tracks and subscriptions hold it. */
#include "sfu/participant.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "okno/err.h"
#include "sfu/participant_media.h"
#include "sfu/participant_sdp.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/subscription.h"
#include "sfu/track.h"

void okno__participant_emit(struct okno_participant *p, struct okno_sfu_event *ev)
{
    ev->session = p->session;
    okno__sfu_emit(p->room->sfu, ev);
}

struct okno_participant *okno_participant_new(struct okno_room *room, uint64_t session,
                                              unsigned number, const char *name, const char *role)
{
    struct okno_participant *p = g_new0(struct okno_participant, 1);
    p->room = room;
    p->session = session;
    snprintf(p->id, sizeof p->id, "p%u", number);
    p->name = g_strdup(name);
    p->role = g_strdup(role);
    p->tracks = g_ptr_array_new();
    p->subs = g_ptr_array_new_with_free_func(g_free);
    p->pub_cands = g_ptr_array_new_with_free_func(g_free);
    p->sub_cands = g_ptr_array_new_with_free_func(g_free);
    p->sub_setup = "actpass";
    return p;
}

static void log_stats(const struct okno_participant *p, const char *which,
                      const struct okno_peer *peer)
{
    struct okno_peer_stats st;
    okno_peer_stats(peer, &st);
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s %s: rx %llu rtp %llu rtcp, tx %llu rtp %llu rtcp; drops: garbage %llu, "
             "before DTLS %llu, SRTP auth %llu, replay %llu, unknown %llu, send %llu",
             p->id, which, (unsigned long long)st.rx_rtp, (unsigned long long)st.rx_rtcp,
             (unsigned long long)st.tx_rtp, (unsigned long long)st.tx_rtcp,
             (unsigned long long)st.drop_garbage, (unsigned long long)st.drop_before_dtls,
             (unsigned long long)st.drop_srtp_auth, (unsigned long long)st.drop_replay,
             (unsigned long long)st.drop_unknown, (unsigned long long)st.drop_send);
}

void okno_participant_free(struct okno_participant *p)
{
    struct okno_sfu *sfu = p->room->sfu;
    if (p->pub_peer)
        log_stats(p, "publisher", p->pub_peer);
    if (p->sub_peer)
        log_stats(p, "subscriber", p->sub_peer);
    if (p->pub_peer)
        okno_peer_close(p->pub_peer, okno__sfu_peer_closed, sfu);
    if (p->sub_peer)
        okno_peer_close(p->sub_peer, okno__sfu_peer_closed, sfu);
    for (guint i = 0; i < p->subs->len; i++) {
        struct okno_subscription *sub = p->subs->pdata[i];
        if (sub->track)
            g_ptr_array_remove(sub->track->subs, sub);
    }
    g_ptr_array_free(p->subs, TRUE);
    g_ptr_array_free(p->tracks, TRUE);
    g_ptr_array_free(p->pub_cands, TRUE);
    g_ptr_array_free(p->sub_cands, TRUE);
    g_free(p->pub_mid);
    g_free(p->name);
    g_free(p->role);
    g_free(p);
}

/* --- transports
 * -----------------------------------------------------------------------------------
 */

static void emit_candidate(struct okno_participant *p, enum okno_sfu_pc pc, const char *cand)
{
    bool pub = pc == OKNO_SFU_PC_PUBLISHER;
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_CANDIDATE,
        .pc = pc,
        .candidate = cand,
        .mid = pub ? p->pub_mid : "0",
        .mline_index = pub ? p->pub_mline : 0,
    };
    okno__participant_emit(p, &ev);
}

static void local_candidate(struct okno_participant *p, enum okno_sfu_pc pc, const char *cand)
{
    bool pub = pc == OKNO_SFU_PC_PUBLISHER;
    g_ptr_array_add(pub ? p->pub_cands : p->sub_cands, g_strdup(cand));
    if (pub ? p->pub_answered : p->sub_offered)
        emit_candidate(p, pc, cand);
}

static void local_done(struct okno_participant *p, enum okno_sfu_pc pc)
{
    if (pc == OKNO_SFU_PC_PUBLISHER ? p->pub_answered : p->sub_offered)
        emit_candidate(p, pc, NULL);
}

static void pub_candidate(void *owner, const char *cand)
{
    local_candidate(owner, OKNO_SFU_PC_PUBLISHER, cand);
}

static void sub_candidate(void *owner, const char *cand)
{
    local_candidate(owner, OKNO_SFU_PC_SUBSCRIBER, cand);
}

static void pub_done(void *owner)
{
    local_done(owner, OKNO_SFU_PC_PUBLISHER);
}

static void sub_done(void *owner)
{
    local_done(owner, OKNO_SFU_PC_SUBSCRIBER);
}

static void pub_connected(void *owner)
{
    struct okno_participant *p = owner;
    okno_log(OKNO_LOG_INFO, "sfu", "%s: publisher connection up", p->id);
}

static void sub_connected(void *owner)
{
    struct okno_participant *p = owner;
    okno_log(OKNO_LOG_INFO, "sfu", "%s: subscriber connection up", p->id);
}

static void on_failed(void *owner, int err, const char *reason)
{
    struct okno_participant *p = owner;
    char why[256];
    snprintf(why, sizeof why, "media connection lost: %s (%s)", reason, okno_err_name(err));
    okno__room_drop(p->room, p, why);
}

static const struct okno_peer_listener pub_listener = {
    .on_local_candidate = pub_candidate,
    .on_local_candidates_done = pub_done,
    .on_connected = pub_connected,
    .on_failed = on_failed,
    .on_rtp = okno__participant_on_pub_rtp,
    .on_rtcp = okno__participant_on_pub_rtcp,
};

static const struct okno_peer_listener sub_listener = {
    .on_local_candidate = sub_candidate,
    .on_local_candidates_done = sub_done,
    .on_connected = sub_connected,
    .on_failed = on_failed,
    .on_rtcp = okno__participant_on_sub_rtcp,
};

static int open_peer(struct okno_participant *p, bool publisher, struct okno_peer **out)
{
    struct okno_sfu *sfu = p->room->sfu;
    struct okno_ice_config ice = sfu->ice;
    /* okno offers on the subscriber connection, and the offerer controls (RFC 8445 6.1.1). */
    ice.controlling = !publisher;
    struct okno_peer_config cfg = {.ice = &ice, .cert = sfu->cert};
    int rc =
        okno_peer_create(p->room->ctx, &cfg, publisher ? &pub_listener : &sub_listener, p, out);
    if (rc == 0) {
        okno__sfu_peer_opened(sfu);
        rc = okno_peer_gather(*out);
    }
    return rc;
}

struct add_ctx {
    struct okno_participant *p;
    struct okno_peer *peer;
};

static void add_remote(void *ud, const char *line)
{
    struct add_ctx *c = ud;
    int rc = okno_peer_add_remote_candidate(c->peer, line);
    if (rc != 0 && rc != OKNO_E_UNSUPPORTED)
        okno_log(OKNO_LOG_DEBUG, "sfu", "%s: candidate %s: %s", c->p->id, line, okno_strerror(rc));
}

/* Takes the remote end's transport parameters from a description (the first time only: the
 * transport then stays, ICE restarts are not supported) and the candidates it carries. */
static int take_remote(struct okno_participant *p, struct okno_peer *peer,
                       const struct okno_sdp *sdp, bool is_offer, uint64_t req)
{
    struct okno_sdp_remote remote;
    const char *why = NULL;
    enum okno_dtls_role role;
    if (okno__sdp_remote(sdp, &remote, &why) != 0 ||
        okno__sdp_dtls_role(remote.setup, is_offer, &role) != 0) {
        okno__sfu_error(p->room->sfu, p->session, req, "bad_sdp", "%s",
                        why ? why : "a=setup cannot be answered");
        return OKNO_E_MALFORMED;
    }
    int rc = okno_peer_set_remote(peer, remote.ufrag, remote.pwd, &remote.fingerprint, role);
    if (rc == OKNO_E_STATE)
        return 0; /* renegotiation on the same transport */
    if (rc != 0) {
        okno__sfu_error(p->room->sfu, p->session, req, "bad_sdp", "transport parameters: %s",
                        okno_strerror(rc));
        return rc;
    }
    struct add_ctx c = {p, peer};
    for (unsigned i = 0; i < sdp->n_media; i++) {
        if (sdp->media[i].n_candidates > 0) {
            okno__sdp_foreach_candidate(&sdp->media[i], add_remote, &c);
            if (sdp->media[i].common.end_of_candidates)
                okno_peer_remote_candidates_done(peer);
            break;
        }
    }
    return 0;
}

static struct okno_sdp *parse(struct okno_participant *p, uint64_t req, const char *text)
{
    struct okno_sdp *sdp = g_malloc(sizeof *sdp); /* ~520 KB: never on a worker's stack */
    struct okno_sdp_error err = {0};
    if (okno_sdp_parse(sdp, text, strlen(text), &err) != 0) {
        okno__sfu_error(p->room->sfu, p->session, req, "bad_sdp", "line %u: %s", err.line,
                        err.reason ? err.reason : "malformed");
        g_free(sdp);
        return NULL;
    }
    return sdp;
}

static void local_description(struct okno_participant *p, struct okno_peer *peer, bool publisher,
                              char *ufrag, char *pwd, struct okno_sdp_local *local)
{
    okno_peer_local_credentials(peer, ufrag, pwd);
    local->ufrag = ufrag;
    local->pwd = pwd;
    local->fingerprint = okno_cert_fingerprint_sdp(p->room->sfu->cert);
    local->candidates = publisher ? p->pub_cands : p->sub_cands;
    local->end_of_candidates = okno_peer_gathering_done(peer);
}

/* --- publisher connection
 * -------------------------------------------------------------------------
 */

static struct okno_track *track_by_mid(struct okno_participant *p, struct okno_sdp_str mid)
{
    for (guint i = 0; i < p->tracks->len; i++) {
        struct okno_track *t = p->tracks->pdata[i];
        if (okno_sdp_str_eq(mid, t->mid))
            return t;
    }
    return NULL;
}

/* The media SSRC a section announces: the first of an FID group (the second is RTX), else the
 * first a=ssrc; 0 when the sender announces none (it is then learned from the mid extension). */
static uint32_t announced_ssrc(const struct okno_sdp_media *m)
{
    for (unsigned g = 0; g < m->n_ssrc_groups; g++) {
        if (okno_sdp_str_eq(m->ssrc_groups[g].semantics, "FID") && m->ssrc_groups[g].n_ssrcs)
            return m->ssrc_groups[g].ssrcs[0];
    }
    return m->n_ssrcs ? m->ssrcs[0].id : 0;
}

/* Tracks follow the sending sections of the latest offer: new ones are made, vanished ones end.
 * New tracks go into added, to be announced once the answer is out. */
static void update_tracks(struct okno_participant *p, const struct okno_sdp *offer,
                          const struct okno_sdp_accept *acc, GPtrArray *added)
{
    for (guint i = p->tracks->len; i > 0; i--) {
        struct okno_track *t = p->tracks->pdata[i - 1];
        int mi = okno_sdp_media_find(offer, t->mid);
        if (mi >= 0 && acc[mi].accepted && acc[mi].sending)
            continue;
        okno__room_track_ended(p->room, t);
        g_ptr_array_remove_index(p->tracks, i - 1);
        okno_track_free(t);
    }
    for (unsigned i = 0; i < offer->n_media; i++) {
        const struct okno_sdp_media *m = &offer->media[i];
        if (!acc[i].accepted || !acc[i].sending || track_by_mid(p, m->mid))
            continue;
        char id[OKNO_TRACK_ID_LEN], mid[OKNO_TRACK_MID_LEN];
        snprintf(id, sizeof id, "%s-%c%u", p->id, acc[i].video ? 'v' : 'a', p->next_track++);
        snprintf(mid, sizeof mid, "%.*s", (int)m->mid.len, m->mid.p);
        struct okno_track *t;
        if (okno_track_new(p, id, mid, acc[i].video, announced_ssrc(m), (uint8_t)acc[i].pt,
                           acc[i].clock, &t) != 0)
            continue;
        g_ptr_array_add(p->tracks, t);
        g_ptr_array_add(added, t);
    }
}

void okno_participant_publish(struct okno_participant *p, uint64_t req, const char *text)
{
    struct okno_sfu *sfu = p->room->sfu;
    struct okno_sdp *offer = parse(p, req, text);
    if (!offer)
        return;
    struct okno_sdp_accept *acc = g_new0(struct okno_sdp_accept, OKNO_SDP_MAX_MEDIA);
    GPtrArray *added = g_ptr_array_new();
    if (okno__sdp_accept(offer, acc) == 0) {
        okno__sfu_error(sfu, p->session, req, "bad_sdp",
                        "no audio section with Opus nor video section with VP8 (and a=mid)");
        goto out;
    }
    if (!p->pub_peer) {
        int rc = open_peer(p, true, &p->pub_peer);
        if (rc != 0) {
            okno__sfu_error(sfu, p->session, req, "internal", "cannot open media sockets: %s",
                            okno_strerror(rc));
            goto out;
        }
    }
    if (take_remote(p, p->pub_peer, offer, true, req) != 0)
        goto out;
    for (unsigned i = 0; i < offer->n_media; i++) {
        if (acc[i].accepted) {
            g_free(p->pub_mid);
            p->pub_mid = g_strndup(offer->media[i].mid.p, offer->media[i].mid.len);
            p->pub_mline = (int)i;
            p->pub_mid_ext = acc[i].mid_ext;
            break;
        }
    }
    update_tracks(p, offer, acc, added);

    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    struct okno_sdp_local local;
    local_description(p, p->pub_peer, true, ufrag, pwd, &local);
    char *answer = okno__sdp_write_answer(offer, acc, &local, "passive", p->session);
    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_ANSWER, .req = req, .sdp = answer};
    okno__participant_emit(p, &ev);
    g_free(answer);
    if (!p->pub_answered) {
        /* Trickle what the answer already holds too, for clients that only take trickled ones. */
        p->pub_answered = true;
        for (guint i = 0; i < p->pub_cands->len; i++)
            emit_candidate(p, OKNO_SFU_PC_PUBLISHER, p->pub_cands->pdata[i]);
        if (local.end_of_candidates)
            emit_candidate(p, OKNO_SFU_PC_PUBLISHER, NULL);
    }
    for (guint i = 0; i < added->len; i++)
        okno__room_track_published(p->room, added->pdata[i]);
out:
    g_ptr_array_free(added, TRUE);
    g_free(acc);
    g_free(offer);
}

/* --- subscriber connection
 * ------------------------------------------------------------------------
 */

struct okno_subscription *okno_participant_subscribe(struct okno_participant *p,
                                                     struct okno_track *track)
{
    struct okno_subscription *sub = g_new0(struct okno_subscription, 1);
    sub->subscriber = p;
    sub->track = track;
    sub->mid = p->subs->len;
    sub->video = track->video;
    sub->ssrc = track->ssrc;
    snprintf(sub->track_id, sizeof sub->track_id, "%s", track->id);
    snprintf(sub->publisher, sizeof sub->publisher, "%s", track->owner->id);
    g_ptr_array_add(p->subs, sub);
    g_ptr_array_add(track->subs, sub);
    p->offer_dirty = true;
    return sub;
}

void okno_participant_unsubscribe(struct okno_participant *p, struct okno_subscription *sub)
{
    sub->track = NULL;
    sub->answered = false;
    p->offer_dirty = true;
}

void okno_participant_renegotiate(struct okno_participant *p)
{
    if (p->dropped || !p->offer_dirty || p->offer_outstanding || p->subs->len == 0)
        return;
    if (!p->sub_peer) {
        int rc = open_peer(p, false, &p->sub_peer);
        if (rc != 0) {
            /* Not dropped here: callers are iterating the room. The client closes, then leaves. */
            struct okno_sfu_event ev = {.type = OKNO_SFU_EV_CLOSED,
                                        .message = "cannot open media sockets"};
            okno__participant_emit(p, &ev);
            p->dropped = true;
            return;
        }
    }
    /* Tracks whose SSRC was learned from the first packets since they were subscribed. */
    for (guint i = 0; i < p->subs->len; i++) {
        struct okno_subscription *sub = p->subs->pdata[i];
        if (sub->track)
            sub->ssrc = sub->track->ssrc;
    }
    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    struct okno_sdp_local local;
    local_description(p, p->sub_peer, false, ufrag, pwd, &local);
    char *offer = okno__sdp_write_offer(p, &local, p->session, ++p->sub_version);
    struct okno_sfu_event ev = {
        .type = OKNO_SFU_EV_OFFER, .pc = OKNO_SFU_PC_SUBSCRIBER, .sdp = offer};
    okno__participant_emit(p, &ev);
    g_free(offer);
    p->offer_outstanding = true;
    p->offer_dirty = false;
    if (!p->sub_offered) {
        p->sub_offered = true;
        for (guint i = 0; i < p->sub_cands->len; i++)
            emit_candidate(p, OKNO_SFU_PC_SUBSCRIBER, p->sub_cands->pdata[i]);
        if (local.end_of_candidates)
            emit_candidate(p, OKNO_SFU_PC_SUBSCRIBER, NULL);
    }
}

void okno_participant_answer(struct okno_participant *p, uint64_t req, const char *text)
{
    struct okno_sfu *sfu = p->room->sfu;
    if (!p->offer_outstanding) {
        okno__sfu_error(sfu, p->session, req, "bad_state", "no subscriber offer is outstanding");
        return;
    }
    struct okno_sdp *answer = parse(p, req, text);
    if (!answer)
        return;
    if (take_remote(p, p->sub_peer, answer, false, req) != 0) {
        g_free(answer);
        return;
    }
    for (guint i = 0; i < p->subs->len; i++) {
        struct okno_subscription *sub = p->subs->pdata[i];
        char mid[16];
        snprintf(mid, sizeof mid, "%u", i);
        int mi = okno_sdp_media_find(answer, mid);
        enum okno_sdp_direction dir =
            mi >= 0 ? okno_sdp_media_direction(answer, &answer->media[mi]) : OKNO_SDP_DIR_NONE;
        sub->answered = sub->track && mi >= 0 && answer->media[mi].port != 0 &&
                        (dir == OKNO_SDP_DIR_RECVONLY || dir == OKNO_SDP_DIR_SENDRECV);
    }
    g_free(answer);
    p->offer_outstanding = false;
    okno__sfu_ack(sfu, p->session, req);
    okno_participant_renegotiate(p);
}

void okno_participant_candidate(struct okno_participant *p, uint64_t req, enum okno_sfu_pc pc,
                                const char *candidate)
{
    struct okno_sfu *sfu = p->room->sfu;
    struct okno_peer *peer = pc == OKNO_SFU_PC_PUBLISHER ? p->pub_peer : p->sub_peer;
    if (!peer) {
        okno__sfu_error(sfu, p->session, req, "bad_state", "that connection is not negotiated");
        return;
    }
    int rc = candidate && *candidate ? okno_peer_add_remote_candidate(peer, candidate)
                                     : okno_peer_remote_candidates_done(peer);
    if (rc == 0 || rc == OKNO_E_UNSUPPORTED || rc == OKNO_E_STATE)
        okno__sfu_ack(sfu, p->session, req); /* unusable ones (mDNS, stale) are ignored */
    else
        okno__sfu_error(sfu, p->session, req, "bad_request", "candidate: %s", okno_strerror(rc));
}
