/* A participant's signalling and transports (participant.h): the publisher connection answered from
 * the client's offer (through sfu/negotiate), trickle both ways, ICE restarts, the seat kept for
 * [media] ice_restart_grace_s while a connection has lost ICE, and the drop when either transport
 * dies or the grace runs out. The subscriber connection's offers and answers are in
 * participant_sub.c, packets arriving on the transports go to participant_media.c. It deliberately
 * keeps no media state of its own: tracks and subscriptions hold it. */
#include "sfu/participant.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/worker.h"
#include "okno/err.h"
#include "sfu/participant_media.h"
#include "sfu/negotiate.h"
#include "sfu/participant_internal.h"
#include "sfu/participant_link.h"
#include "sfu/participant_pacer.h"
#include "sfu/participant_pub_fb.h"
#include "sfu/room.h"
#include "sfu/sfu_core.h"
#include "sfu/sub_bwe.h"
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
    okno_uplink_drain_init(&p->drain);
    return p;
}

static void log_stats(const struct okno_participant *p, const char *which,
                      const struct okno_peer *peer)
{
    struct okno_peer_stats st;
    okno_peer_stats(peer, &st);
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s %s: rx %llu rtp %llu rtcp, tx %llu rtp %llu rtcp; drops: garbage %llu, "
             "before DTLS %llu, SRTP auth %llu, replay %llu, unknown %llu, send %llu, "
             "egress queue %llu",
             p->id, which, (unsigned long long)st.rx_rtp, (unsigned long long)st.rx_rtcp,
             (unsigned long long)st.tx_rtp, (unsigned long long)st.tx_rtcp,
             (unsigned long long)st.drop_garbage, (unsigned long long)st.drop_before_dtls,
             (unsigned long long)st.drop_srtp_auth, (unsigned long long)st.drop_replay,
             (unsigned long long)st.drop_unknown, (unsigned long long)st.drop_send,
             (unsigned long long)st.drop_queue);
}

/* What the subscriber connection's numbering, feedback and estimator came to. */
static void log_bwe(const struct okno_participant *p)
{
    struct okno_sub_bwe_counters c;
    struct okno_bwe_counters e;
    struct okno_bwe_estimate est;
    okno_sub_bwe_counters(p->sub_bwe, &c, &e);
    bool have = okno_sub_bwe_estimate(p->sub_bwe, &est) == 0;
    okno_log(OKNO_LOG_INFO, "sfu",
             "%s subscriber bwe: estimate %u kbit/s; stamped %llu (unstamped %llu), feedback %llu "
             "(%llu statuses, %llu unknown, %llu malformed), REMB %llu, loss reports %llu; "
             "estimator: acked %llu, lost %llu, overuse %llu",
             p->id, have ? est.target_bps / 1000u : 0u, (unsigned long long)c.stamped,
             (unsigned long long)c.unstamped, (unsigned long long)c.feedbacks,
             (unsigned long long)c.feedback_entries, (unsigned long long)c.unknown_seq,
             (unsigned long long)c.malformed, (unsigned long long)c.rembs,
             (unsigned long long)c.loss_reports, (unsigned long long)e.packets_acked,
             (unsigned long long)e.packets_lost, (unsigned long long)e.overuse_events);
}

int okno_participant_bwe_estimate(const struct okno_participant *p, struct okno_bwe_estimate *out)
{
    int rc = p->sub_bwe ? okno_sub_bwe_estimate(p->sub_bwe, out) : OKNO_E_NOTFOUND;
    /* The client asked for no more (okno_sfu_receive_limit): what okno can send it is that. */
    if (rc == 0 && p->receive_limit_bps && out->target_bps > p->receive_limit_bps)
        out->target_bps = p->receive_limit_bps;
    return rc;
}

void okno_participant_free(struct okno_participant *p)
{
    struct okno_sfu *sfu = p->room->sfu;
    if (p->grace) {
        g_source_destroy(p->grace);
        g_source_unref(p->grace);
    }
    if (p->pub_peer)
        log_stats(p, "publisher", p->pub_peer);
    if (p->sub_peer)
        log_stats(p, "subscriber", p->sub_peer);
    if (p->sub_bwe)
        log_bwe(p);
    okno__participant_link_close(p, g_get_real_time());
    okno__participant_pacer_close(p); /* before the peer it sends on closes */
    okno__participant_pub_fb_free(p);
    if (p->pub_peer)
        okno_peer_close(p->pub_peer, okno__sfu_peer_closed, sfu);
    if (p->sub_peer)
        okno_peer_close(p->sub_peer, okno__sfu_peer_closed, sfu);
    for (guint i = 0; i < p->subs->len; i++) {
        struct okno_subscription *sub = p->subs->pdata[i];
        if (sub->track)
            g_ptr_array_remove(sub->track->subs, sub);
        okno_subscription_detach(sub);
    }
    g_ptr_array_free(p->subs, TRUE);
    okno_sub_bwe_free(p->sub_bwe);
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

void okno__participant_emit_candidate(struct okno_participant *p, enum okno_sfu_pc pc,
                                      const char *cand)
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
        okno__participant_emit_candidate(p, pc, cand);
}

static void local_done(struct okno_participant *p, enum okno_sfu_pc pc)
{
    if (pc == OKNO_SFU_PC_PUBLISHER ? p->pub_answered : p->sub_offered)
        okno__participant_emit_candidate(p, pc, NULL);
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

static gboolean grace_over(gpointer data)
{
    struct okno_participant *p = data;
    g_source_unref(p->grace);
    p->grace = NULL;
    char why[128];
    snprintf(why, sizeof why, "media connection lost: ICE not restored within %u s",
             p->room->sfu->ice_restart_grace_s);
    okno__room_drop(p->room, p, why); /* invalidates p */
    return G_SOURCE_REMOVE;
}

/* A lost pair does not end the participant at once: the client may restart ICE (pc.restartIce()
 * after a network change) and keep its tracks and subscriptions. One timer covers both
 * connections; it stops once neither has lost ICE. */
static void ice_state(struct okno_participant *p, enum okno_sfu_pc pc, enum okno_ice_state state)
{
    bool pub = pc == OKNO_SFU_PC_PUBLISHER;
    bool lost = state != OKNO_ICE_CONNECTED;
    bool *flag = pub ? &p->pub_ice_lost : &p->sub_ice_lost;
    if (*flag != lost)
        okno_log(OKNO_LOG_INFO, "sfu", "%s: %s connection ICE %s", p->id,
                 pub ? "publisher" : "subscriber", okno_ice_state_name(state));
    *flag = lost;
    if ((p->pub_ice_lost || p->sub_ice_lost) && !p->grace) {
        okno_log(OKNO_LOG_INFO, "sfu", "%s: keeping the seat %u s for an ICE restart", p->id,
                 p->room->sfu->ice_restart_grace_s);
        p->grace = g_timeout_source_new(p->room->sfu->ice_restart_grace_s * 1000u);
        g_source_set_callback(p->grace, grace_over, p, NULL);
        g_source_attach(p->grace, p->room->ctx);
    } else if (!p->pub_ice_lost && !p->sub_ice_lost && p->grace) {
        okno_log(OKNO_LOG_INFO, "sfu", "%s: media connections recovered", p->id);
        g_source_destroy(p->grace);
        g_source_unref(p->grace);
        p->grace = NULL;
    }
}

static void pub_ice_state(void *owner, enum okno_ice_state state)
{
    ice_state(owner, OKNO_SFU_PC_PUBLISHER, state);
}

static void sub_ice_state(void *owner, enum okno_ice_state state)
{
    ice_state(owner, OKNO_SFU_PC_SUBSCRIBER, state);
}

static const struct okno_peer_listener pub_listener = {
    .on_local_candidate = pub_candidate,
    .on_local_candidates_done = pub_done,
    .on_connected = pub_connected,
    .on_failed = on_failed,
    .on_ice_state = pub_ice_state,
    .on_rtp = okno__participant_on_pub_rtp,
    .on_rtcp = okno__participant_on_pub_rtcp,
};

static const struct okno_peer_listener sub_listener = {
    .on_local_candidate = sub_candidate,
    .on_local_candidates_done = sub_done,
    .on_connected = sub_connected,
    .on_failed = on_failed,
    .on_ice_state = sub_ice_state,
    .on_rtcp = okno__participant_on_sub_rtcp,
};

int okno__participant_open_peer(struct okno_participant *p, bool publisher, struct okno_peer **out)
{
    struct okno_sfu *sfu = p->room->sfu;
    struct okno_ice_config ice = sfu->ice;
    /* okno offers on the subscriber connection, and the offerer controls (RFC 8445 6.1.1). */
    ice.controlling = !publisher;
    struct okno_peer_config cfg = {.ice = &ice, .cert = sfu->cert};
    /* A subscriber connection carries the room's fan-out: its protect and send may go to another
     * worker. A publisher connection sends little (feedback) and stays here. */
    if (!publisher) {
        unsigned to = okno_workers_place_egress(sfu->workers, p->room->worker, sfu->egress_workers,
                                                sfu->egress_room_share);
        cfg.egress_lane = okno_workers_lane(sfu->workers, p->room->worker, to);
    }
    int rc =
        okno_peer_create(p->room->ctx, &cfg, publisher ? &pub_listener : &sub_listener, p, out);
    if (rc == 0) {
        okno__sfu_peer_opened(sfu);
        rc = okno_peer_gather(*out);
    }
    return rc;
}

/* Takes the remote end's transport from a negotiated description (the first time, and after an
 * ICE restart its new credentials; otherwise the transport stays) and the candidates it carried. */
int okno__participant_take_remote(struct okno_participant *p, struct okno_peer *peer,
                                  const struct okno_neg_remote *r, uint64_t req)
{
    int rc = okno_peer_set_remote(peer, r->ice_ufrag, r->ice_pwd, &r->fingerprint, r->role);
    if (rc == OKNO_E_STATE)
        return 0; /* renegotiation on the same transport */
    if (rc != 0) {
        okno__sfu_error(p->room->sfu, p->session, req, "bad_sdp", "transport parameters: %s",
                        okno_strerror(rc));
        return rc;
    }
    for (unsigned i = 0; i < r->n_candidates; i++) {
        rc = okno_peer_add_remote_candidate(peer, r->candidates[i]);
        if (rc != 0 && rc != OKNO_E_UNSUPPORTED)
            okno_log(OKNO_LOG_DEBUG, "sfu", "%s: candidate %s: %s", p->id, r->candidates[i],
                     okno_strerror(rc));
    }
    if (r->end_of_candidates)
        okno_peer_remote_candidates_done(peer);
    return 0;
}

int okno__participant_restart_peer(struct okno_participant *p, enum okno_sfu_pc pc)
{
    bool pub = pc == OKNO_SFU_PC_PUBLISHER;
    okno_log(OKNO_LOG_INFO, "sfu", "%s: ICE restart of the %s connection", p->id,
             pub ? "publisher" : "subscriber");
    /* The candidates come again with the new credentials; they are trickled after the new
     * description, as the first time. */
    g_ptr_array_set_size(pub ? p->pub_cands : p->sub_cands, 0);
    if (pub)
        p->pub_answered = false;
    else
        p->sub_offered = false;
    return okno_peer_restart_ice(pub ? p->pub_peer : p->sub_peer);
}

/* okno's side of a connection for the next description. ufrag and pwd are the caller's buffers. */
void okno__participant_local_transport(struct okno_participant *p, struct okno_peer *peer,
                                       GPtrArray *cands, uint64_t version, char *ufrag, char *pwd,
                                       struct okno_neg_local *l)
{
    okno_peer_local_credentials(peer, ufrag, pwd);
    memset(l, 0, sizeof *l);
    l->ice_ufrag = ufrag;
    l->ice_pwd = pwd;
    okno_cert_fingerprint(p->room->sfu->cert, OKNO_FP_SHA256, &l->fingerprint);
    l->candidates = (const char *const *)cands->pdata;
    l->n_candidates = cands->len;
    l->candidates_done = okno_peer_gathering_done(peer);
    l->sess_id = p->session;
    l->sess_version = version;
}

/* --- publisher connection
 * -------------------------------------------------------------------------
 */

static const struct okno_pub_track *find_pub(const struct okno_publication *pub, const char *mid)
{
    for (unsigned i = 0; i < pub->n_tracks; i++) {
        if (strcmp(pub->tracks[i].mid, mid) == 0)
            return &pub->tracks[i];
    }
    return NULL;
}

static bool has_track(const struct okno_participant *p, const char *mid)
{
    for (guint i = 0; i < p->tracks->len; i++) {
        if (strcmp(((struct okno_track *)p->tracks->pdata[i])->mid, mid) == 0)
            return true;
    }
    return false;
}

/* Tracks follow the publication: new sections become tracks, vanished ones end. New tracks go into
 * added, to be announced once the answer is out. */
static void update_tracks(struct okno_participant *p, const struct okno_publication *pub,
                          GPtrArray *added)
{
    for (guint i = p->tracks->len; i > 0; i--) {
        struct okno_track *t = p->tracks->pdata[i - 1];
        if (find_pub(pub, t->mid))
            continue;
        okno__room_track_ended(p->room, t);
        g_ptr_array_remove_index(p->tracks, i - 1);
        okno_track_free(t);
    }
    for (unsigned i = 0; i < pub->n_tracks; i++) {
        const struct okno_pub_track *neg = &pub->tracks[i];
        if (has_track(p, neg->mid))
            continue;
        char id[OKNO_TRACK_ID_LEN];
        bool video = neg->kind == OKNO_MEDIA_VIDEO;
        snprintf(id, sizeof id, "%s-%c%u", p->id, video ? 'v' : 'a', p->next_track++);
        struct okno_track *t;
        if (okno_track_new(p, id, neg, &t) != 0)
            continue;
        okno_log(OKNO_LOG_INFO, "sfu",
                 "%s publishes %s: %s %s/%u pt %u, ssrc %u, rtx %d/%u, %u encoding(s)", p->id, id,
                 video ? "video" : "audio", neg->codec.name, neg->codec.clock, neg->codec.pt,
                 t->ssrc, neg->rtx_pt, t->enc[0].rtx_ssrc, t->n_enc);
        g_ptr_array_add(p->tracks, t);
        g_ptr_array_add(added, t);
    }
}

void okno_participant_publish(struct okno_participant *p, uint64_t req, const char *text)
{
    struct okno_sfu *sfu = p->room->sfu;
    if (!p->pub_peer) {
        int rc = okno__participant_open_peer(p, true, &p->pub_peer);
        if (rc != 0) {
            okno__sfu_error(sfu, p->session, req, "internal", "cannot open media sockets: %s",
                            okno_strerror(rc));
            return;
        }
    }
    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    struct okno_neg_local local;
    okno__participant_local_transport(p, p->pub_peer, p->pub_cands, ++p->pub_version, ufrag, pwd,
                                      &local);
    local.video_start_kbps = okno__participant_link_up_start_bps(p) / 1000u;
    struct okno_publication *pub = g_new0(struct okno_publication, 1);
    char *answer = g_malloc(OKNO_NEG_SDP_MAX);
    char reason[OKNO_NEG_REASON_LEN] = "";
    GPtrArray *added = g_ptr_array_new();
    int rc = okno_negotiate_answer(text, strlen(text), &local, pub, answer, OKNO_NEG_SDP_MAX,
                                   reason, sizeof reason);
    if (rc < 0) {
        bool internal = rc == OKNO_E_NOMEM || rc == OKNO_E_NOSPC || rc == OKNO_E_INVAL;
        okno__sfu_error(sfu, p->session, req, internal ? "internal" : "bad_sdp", "%s",
                        reason[0] ? reason : okno_strerror(rc));
        goto out;
    }
    if (okno_peer_remote_changed(p->pub_peer, pub->remote.ice_ufrag, pub->remote.ice_pwd)) {
        /* The client restarted ICE (new ufrag/pwd in its offer): so do we, and the answer carries
         * our new credentials. */
        rc = okno__participant_restart_peer(p, OKNO_SFU_PC_PUBLISHER);
        if (rc == 0) {
            okno__participant_local_transport(p, p->pub_peer, p->pub_cands, p->pub_version, ufrag,
                                              pwd, &local);
            local.video_start_kbps = okno__participant_link_up_start_bps(p) / 1000u;
            rc = okno_negotiate_answer(text, strlen(text), &local, pub, answer, OKNO_NEG_SDP_MAX,
                                       reason, sizeof reason);
        }
        if (rc < 0) {
            okno__sfu_error(sfu, p->session, req, "internal", "ICE restart: %s",
                            reason[0] ? reason : okno_strerror(rc));
            goto out;
        }
    }
    if (okno__participant_take_remote(p, p->pub_peer, &pub->remote, req) != 0)
        goto out;
    g_free(p->pub_mid);
    p->pub_mid = g_strdup(pub->n_tracks ? pub->tracks[0].mid : "0");
    p->pub_mline = pub->n_tracks ? pub->tracks[0].mline : 0;
    p->pub_mid_ext = pub->n_tracks ? pub->tracks[0].ext_ids[OKNO_EXT_MID] : 0;
    update_tracks(p, pub, added);
    /* A publication of nothing (every track stopped) leaves the client nothing to send here:
     * its silence is then no sign of loss (net/ice.h). */
    okno_peer_hold_consent(p->pub_peer, p->tracks->len == 0);
    okno__participant_pub_fb_negotiated(p, pub);

    struct okno_sfu_event ev = {.type = OKNO_SFU_EV_ANSWER, .req = req, .sdp = answer};
    okno__participant_emit(p, &ev);
    if (!p->pub_answered) {
        /* Trickle what the answer already holds too, for clients that only take trickled ones. */
        p->pub_answered = true;
        for (guint i = 0; i < p->pub_cands->len; i++)
            okno__participant_emit_candidate(p, OKNO_SFU_PC_PUBLISHER, p->pub_cands->pdata[i]);
        if (local.candidates_done)
            okno__participant_emit_candidate(p, OKNO_SFU_PC_PUBLISHER, NULL);
    }
    for (guint i = 0; i < added->len; i++)
        okno__room_track_published(p->room, added->pdata[i]);
out:
    g_ptr_array_free(added, TRUE);
    g_free(answer);
    g_free(pub);
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

void okno_participant_restart(struct okno_participant *p, uint64_t req, enum okno_sfu_pc pc)
{
    struct okno_sfu *sfu = p->room->sfu;
    if (pc != OKNO_SFU_PC_SUBSCRIBER) {
        okno__sfu_error(
            sfu, p->session, req, "bad_request",
            "the publisher connection restarts with a publish offer of new credentials");
        return;
    }
    if (!p->sub_peer || !p->sub_offered) {
        okno__sfu_error(sfu, p->session, req, "bad_state", "that connection is not negotiated");
        return;
    }
    /* With an offer outstanding the restart waits for its answer (JSEP: one offer at a time). */
    p->sub_restart = true;
    okno_participant_renegotiate(p);
    okno__sfu_ack(sfu, p->session, req);
}
