/* The glue of one WebRTC transport: ICE datagrams demultiplexed (RFC 7983) into the DTLS endpoint
 * or SRTP unprotect, the DTLS retransmission timer as a source on the peer's context, and the close
 * that waits for libnice before freeing. What it deliberately does not do: look inside RTP or RTCP,
 * queue or pace what it sends, or redo DTLS on an ICE restart (the keys outlive the pair).
 *
 * Re-entrancy: the owner may close the peer from any listener call, including those made from
 * inside the DTLS endpoint's callbacks, so closing only marks the peer and hands the agent to
 * libnice; the endpoint and the SRTP sessions are freed with the peer once the agent is gone. */
#include "net/peer.h"

#include <string.h>

#include "core/log.h"
#include "net/egress.h"
#include "net/srtp.h"
#include "okno/err.h"
#include "wire/demux.h"

struct okno_peer {
    /* borrowed */
    GMainContext *ctx;
    struct okno_peer_listener listener;
    void *owner;
    const struct okno_cert *cert; /* the SFU's, outlives every peer */
    /* owned */
    struct okno_ice *ice;
    struct okno_dtls *dtls;
    struct okno_srtp *srtp_in;
    struct okno_egress *egress; /* the outbound session and the route; released after the agent */
    GSource *dtls_timer;
    /* other */
    enum okno_dtls_role role;
    uint32_t dtls_initial_rto_us; /* 0: the default */
    /* owned: DTLS datagrams the handshake sent before ICE had a pair (a server answering a
     * ClientHello that came on a check before its own side selected the pair); sent as soon as
     * it has one, instead of after the flight's retransmission timeout (1 s). */
    struct held_datagram *held;
    unsigned n_held;
    bool remote_set, dtls_started, connected, closing, failed, gathering_done;
    bool ice_restarting;  /* restarted: the next okno_peer_set_remote brings new credentials */
    bool rtp_unverified;  /* okno_peer_set_rtp_unverified */
    bool via_libnice;     /* okno_peer_config.via_libnice */
    unsigned rtp_tag_len; /* the keyed profile's RTP authentication tag */
    char remote_ufrag[OKNO_ICE_CRED_LEN], remote_pwd[OKNO_ICE_CRED_LEN];
    int in_dtls; /* depth of calls into the endpoint: it must not be closed from its callbacks */
    void (*on_closed)(void *arg);
    void *closed_arg;
    struct okno_peer_stats stats;
    /* Receive scratch: unprotect works in place and ICE's buffer is not ours to change. Aligned
     * for libsrtp's word access. */
    _Alignas(8) uint8_t rx[OKNO_PEER_MAX_DATAGRAM];
};

static void fail(struct okno_peer *peer, int err, const char *reason)
{
    if (peer->closing || peer->failed)
        return;
    peer->failed = true;
    peer->connected = false;
    if (peer->listener.on_failed)
        peer->listener.on_failed(peer->owner, err, reason);
}

/* --- DTLS
 * -----------------------------------------------------------------------------------------
 */

static void schedule_dtls_timer(struct okno_peer *peer, int64_t now_us);

static gboolean on_dtls_timer(gpointer data)
{
    struct okno_peer *peer = data;
    int64_t now_us = g_source_get_time(g_main_current_source());
    g_source_unref(peer->dtls_timer);
    peer->dtls_timer = NULL;
    if (peer->closing || !peer->dtls)
        return G_SOURCE_REMOVE;
    peer->in_dtls++;
    okno_dtls_on_timeout(peer->dtls, now_us); /* a failure reaches on_closed */
    peer->in_dtls--;
    if (!peer->closing)
        schedule_dtls_timer(peer, now_us);
    return G_SOURCE_REMOVE;
}

static void cancel_dtls_timer(struct okno_peer *peer)
{
    if (peer->dtls_timer) {
        g_source_destroy(peer->dtls_timer);
        g_source_unref(peer->dtls_timer);
        peer->dtls_timer = NULL;
    }
}

/* One timer at a time, re-armed after every call into the endpoint: the deadline only ever moves
 * when the endpoint is fed or times out. */
static void schedule_dtls_timer(struct okno_peer *peer, int64_t now_us)
{
    cancel_dtls_timer(peer);
    if (!peer->dtls || peer->closing)
        return;
    int64_t due = okno_dtls_next_timeout_us(peer->dtls, now_us);
    if (due == INT64_MAX)
        return;
    int64_t ms = (due - now_us + 999) / 1000;
    peer->dtls_timer = g_timeout_source_new((guint)(ms > 0 ? ms : 0));
    g_source_set_callback(peer->dtls_timer, on_dtls_timer, peer, NULL);
    g_source_attach(peer->dtls_timer, peer->ctx);
}

#define PEER_MAX_HELD 8 /* a DTLS flight at an MTU of 1200 takes 3-5 datagrams */

struct held_datagram {
    size_t len;
    uint8_t data[OKNO_PEER_MAX_DATAGRAM];
};

static void dtls_send(void *user, const uint8_t *data, size_t len)
{
    struct okno_peer *peer = user;
    if (!peer->ice)
        return;
    int rc = okno_ice_send(peer->ice, data, len);
    if (rc == OKNO_E_STATE && !peer->connected && len <= OKNO_PEER_MAX_DATAGRAM &&
        peer->n_held < PEER_MAX_HELD) {
        if (!peer->held)
            peer->held = g_new(struct held_datagram, PEER_MAX_HELD);
        peer->held[peer->n_held].len = len;
        memcpy(peer->held[peer->n_held++].data, data, len);
    } else if (rc != 0) {
        peer->stats.drop_send++;
    }
}

static void send_held(struct okno_peer *peer)
{
    for (unsigned i = 0; i < peer->n_held; i++) {
        int rc = okno_ice_send(peer->ice, peer->held[i].data, peer->held[i].len);
        if (rc == OKNO_E_STATE && i == 0)
            return; /* still no pair: kept for the next state or pair event */
        if (rc != 0)
            peer->stats.drop_send++;
    }
    peer->n_held = 0;
    g_free(peer->held);
    peer->held = NULL;
}

static void dtls_connected(void *user, const struct okno_dtls_keys *keys)
{
    struct okno_peer *peer = user;
    struct okno_srtp *out = NULL;
    int rc = okno_srtp_create(OKNO_SRTP_INBOUND, keys->profile, &keys->remote, &peer->srtp_in);
    if (rc == 0)
        rc = okno_srtp_create(OKNO_SRTP_OUTBOUND, keys->profile, &keys->local, &out);
    if (rc == 0)
        okno_egress_set_srtp(peer->egress, out);
    if (rc != 0) {
        fail(peer, rc, "cannot create the SRTP sessions");
        return;
    }
    peer->rtp_tag_len = keys->profile == OKNO_SRTP_AEAD_AES_128_GCM ? 16 : 10;
    peer->connected = true;
    okno_log(OKNO_LOG_DEBUG, "peer", "DTLS connected, %s", okno_srtp_profile_name(keys->profile));
    if (peer->listener.on_connected)
        peer->listener.on_connected(peer->owner);
}

static void dtls_closed(void *user, int err, const char *reason)
{
    struct okno_peer *peer = user;
    fail(peer, err ? err : OKNO_E_CLOSED, reason && *reason ? reason : "DTLS closed by the peer");
}

static void start_dtls(struct okno_peer *peer, int64_t now_us)
{
    if (peer->dtls_started || !peer->dtls)
        return;
    peer->dtls_started = true;
    peer->in_dtls++;
    int rc = okno_dtls_start(peer->dtls, now_us);
    peer->in_dtls--;
    if (rc == 0 && !peer->closing)
        schedule_dtls_timer(peer, now_us);
}

/* --- ICE
 * ------------------------------------------------------------------------------------------
 */

static void ice_local_candidate(void *owner, const char *candidate)
{
    struct okno_peer *peer = owner;
    if (peer->listener.on_local_candidate)
        peer->listener.on_local_candidate(peer->owner, candidate);
}

static void ice_local_done(void *owner)
{
    struct okno_peer *peer = owner;
    peer->gathering_done = true;
    if (peer->listener.on_local_candidates_done)
        peer->listener.on_local_candidates_done(peer->owner);
}

/* The egress's route follows the selected pair: a direct one for a UDP host pair, else none
 * (libnice sends). */
static void update_route(struct okno_peer *peer)
{
    struct sockaddr_storage dest;
    socklen_t dest_len = 0;
    int fd =
        peer->ice && !peer->via_libnice ? okno_ice_direct_route(peer->ice, &dest, &dest_len) : -1;
    okno_egress_set_route(peer->egress, fd >= 0 ? fd : -1, (const struct sockaddr *)&dest,
                          dest_len);
}

static void ice_state(void *owner, enum okno_ice_state state)
{
    struct okno_peer *peer = owner;
    okno_log(OKNO_LOG_DEBUG, "peer", "ICE %s", okno_ice_state_name(state));
    if (state == OKNO_ICE_CONNECTED || state == OKNO_ICE_FAILED)
        update_route(peer);
    if (state == OKNO_ICE_CONNECTED && peer->n_held > 0)
        send_held(peer);
    if (state == OKNO_ICE_CONNECTED && peer->remote_set && peer->role == OKNO_DTLS_CLIENT)
        start_dtls(peer, g_get_monotonic_time());
    if (peer->listener.on_ice_state) {
        if (state == OKNO_ICE_CONNECTED || state == OKNO_ICE_DISCONNECTED ||
            state == OKNO_ICE_FAILED)
            peer->listener.on_ice_state(peer->owner, state);
    } else if (state == OKNO_ICE_FAILED) {
        fail(peer, OKNO_E_TIMEOUT, "ICE failed or consent lost");
    }
}

/* What the egress sent on its direct route, which net/ice does not see (its idle ping). */
static uint64_t ice_sent_count(void *owner)
{
    struct okno_peer *peer = owner;
    return peer->egress ? okno_egress_sent(peer->egress) : 0;
}

/* libnice may report the pair after the state: whichever comes last can send what was held. */
static void ice_selected_pair(void *owner, const struct okno_ice_pair *pair)
{
    (void)pair;
    struct okno_peer *peer = owner;
    update_route(peer);
    if (peer->n_held > 0)
        send_held(peer);
}

static void recv_dtls(struct okno_peer *peer, const uint8_t *data, size_t len, int64_t now_us)
{
    if (!peer->dtls_started) {
        peer->stats.drop_before_dtls++;
        return;
    }
    peer->stats.rx_dtls++;
    peer->in_dtls++;
    int rc = okno_dtls_feed(peer->dtls, data, len, now_us);
    peer->in_dtls--;
    if (rc == OKNO_E_MALFORMED || rc == OKNO_E_TRUNCATED || rc == OKNO_E_RANGE)
        peer->stats.drop_garbage++;
    else if (rc == OKNO_E_STATE)
        peer->stats.drop_before_dtls++;
    if (!peer->closing)
        schedule_dtls_timer(peer, now_us);
}

static void count_unprotect_error(struct okno_peer *peer, int rc)
{
    if (rc == OKNO_SRTP_E_AUTH)
        peer->stats.drop_srtp_auth++;
    else if (rc == OKNO_SRTP_E_REPLAY)
        peer->stats.drop_replay++;
    else if (rc == OKNO_E_TRUNCATED || rc == OKNO_E_MALFORMED)
        peer->stats.drop_garbage++;
    else
        peer->stats.drop_unknown++;
}

static void ice_recv(void *owner, const uint8_t *data, size_t len, int64_t now_us)
{
    struct okno_peer *peer = owner;
    if (peer->closing)
        return;
    peer->stats.rx_bytes += len;
    if (len > sizeof peer->rx) {
        peer->stats.drop_garbage++;
        return;
    }
    enum okno_demux_kind kind = okno_demux_classify(data, len);
    if (kind == OKNO_DEMUX_DTLS) {
        recv_dtls(peer, data, len, now_us);
        return;
    }
    if (kind != OKNO_DEMUX_RTP && kind != OKNO_DEMUX_RTCP) {
        peer->stats.drop_garbage++; /* STUN never gets here: libnice keeps it */
        return;
    }
    if (!peer->connected) {
        peer->stats.drop_before_dtls++;
        return;
    }
    memcpy(peer->rx, data, len);
    size_t n = len;
    if (kind == OKNO_DEMUX_RTP && peer->rtp_unverified) {
        if (len < 12 + peer->rtp_tag_len) {
            peer->stats.drop_garbage++;
            return;
        }
        peer->stats.rx_rtp++;
        if (peer->listener.on_rtp)
            peer->listener.on_rtp(peer->owner, peer->rx, len - peer->rtp_tag_len, now_us);
    } else if (kind == OKNO_DEMUX_RTP) {
        int rc = okno_srtp_unprotect_rtp(peer->srtp_in, peer->rx, &n);
        if (rc != 0) {
            count_unprotect_error(peer, rc);
            return;
        }
        peer->stats.rx_rtp++;
        if (peer->listener.on_rtp)
            peer->listener.on_rtp(peer->owner, peer->rx, n, now_us);
    } else {
        int rc = okno_srtp_unprotect_rtcp(peer->srtp_in, peer->rx, &n);
        if (rc != 0) {
            count_unprotect_error(peer, rc);
            return;
        }
        peer->stats.rx_rtcp++;
        if (peer->listener.on_rtcp)
            peer->listener.on_rtcp(peer->owner, peer->rx, n, now_us);
    }
}

/* --- public
 * ---------------------------------------------------------------------------------------
 */

int okno_peer_create(GMainContext *ctx, const struct okno_peer_config *cfg,
                     const struct okno_peer_listener *listener, void *owner, struct okno_peer **out)
{
    if (!ctx || !cfg || !cfg->ice || !cfg->cert || !out)
        return OKNO_E_INVAL;
    struct okno_peer *peer = g_new0(struct okno_peer, 1);
    peer->ctx = ctx;
    if (listener)
        peer->listener = *listener;
    peer->owner = owner;
    static const struct okno_ice_listener ice_listener = {
        .on_local_candidate = ice_local_candidate,
        .on_local_candidates_done = ice_local_done,
        .on_state = ice_state,
        .on_recv = ice_recv,
        .on_selected_pair = ice_selected_pair,
        .sent_count = ice_sent_count,
    };
    int rc = okno_ice_create(ctx, cfg->ice, &ice_listener, peer, &peer->ice);
    if (rc != 0) {
        g_free(peer);
        return rc;
    }
    /* The endpoint needs the remote fingerprint, so it is made in okno_peer_set_remote. */
    peer->cert = cfg->cert;
    peer->dtls_initial_rto_us = cfg->dtls_initial_rto_us;
    peer->via_libnice = cfg->via_libnice;
    peer->egress = okno_egress_new(cfg->egress_lane);
    *out = peer;
    return 0;
}

int okno_peer_gather(struct okno_peer *peer)
{
    return okno_ice_gather(peer->ice);
}

int okno_peer_local_credentials(const struct okno_peer *peer, char *ufrag, char *pwd)
{
    return okno_ice_local_credentials(peer->ice, ufrag, pwd);
}

bool okno_peer_gathering_done(const struct okno_peer *peer)
{
    return peer->gathering_done;
}

int okno_peer_set_remote(struct okno_peer *peer, const char *ufrag, const char *pwd,
                         const struct okno_fingerprint *fingerprint, enum okno_dtls_role role)
{
    if (peer->closing)
        return OKNO_E_STATE;
    if (peer->remote_set && !peer->ice_restarting)
        return OKNO_E_STATE;
    int rc = okno_ice_set_remote_credentials(peer->ice, ufrag, pwd);
    if (rc != 0)
        return rc;
    g_strlcpy(peer->remote_ufrag, ufrag, sizeof peer->remote_ufrag);
    g_strlcpy(peer->remote_pwd, pwd, sizeof peer->remote_pwd);
    if (peer->remote_set) {
        peer->ice_restarting = false; /* the DTLS endpoint and its role stay */
        return 0;
    }
    struct okno_dtls_config cfg = {
        .role = role,
        .cert = peer->cert,
        .remote_fingerprint = *fingerprint,
        .initial_rto_us = peer->dtls_initial_rto_us,
    };
    static const struct okno_dtls_listener dtls_listener = {
        .send = dtls_send,
        .on_connected = dtls_connected,
        .on_closed = dtls_closed,
    };
    struct okno_dtls_listener l = dtls_listener;
    l.user = peer;
    rc = okno_dtls_create(&cfg, &l, &peer->dtls);
    if (rc != 0)
        return rc;
    peer->remote_set = true;
    peer->role = role;
    /* A server waits for the ClientHello from now on; a client speaks once a pair exists. */
    if (role == OKNO_DTLS_SERVER || okno_ice_state(peer->ice) == OKNO_ICE_CONNECTED)
        start_dtls(peer, g_get_monotonic_time());
    return 0;
}

bool okno_peer_remote_changed(const struct okno_peer *peer, const char *ufrag, const char *pwd)
{
    if (!peer->remote_set || !ufrag || !pwd)
        return false;
    return strcmp(peer->remote_ufrag, ufrag) != 0 || strcmp(peer->remote_pwd, pwd) != 0;
}

int okno_peer_restart_ice(struct okno_peer *peer)
{
    if (peer->closing || !peer->ice)
        return OKNO_E_STATE;
    peer->gathering_done = false;
    int rc = okno_ice_restart(peer->ice);
    if (rc != 0)
        return rc;
    if (peer->remote_set)
        peer->ice_restarting = true;
    return 0;
}

int okno_peer_add_remote_candidate(struct okno_peer *peer, const char *candidate)
{
    return okno_ice_add_remote_candidate(peer->ice, candidate);
}

int okno_peer_remote_candidates_done(struct okno_peer *peer)
{
    return okno_ice_remote_candidates_done(peer->ice);
}

bool okno_peer_connected(const struct okno_peer *peer)
{
    return peer->connected && !peer->closing;
}

void okno_peer_hold_consent(struct okno_peer *peer, bool hold)
{
    if (peer->ice)
        okno_ice_hold_consent(peer->ice, hold);
}

static int send_protected(struct okno_peer *peer, uint8_t *pkt, size_t len, size_t cap, bool rtcp)
{
    if (!peer->connected || peer->closing)
        return OKNO_E_STATE;
    if (okno_egress_lane(peer->egress) && okno_egress_direct(peer->egress))
        return okno_egress_queue(peer->egress, pkt, len, rtcp);
    return okno_egress_send(peer->egress, pkt, len, cap, rtcp, peer->ice);
}

int okno_peer_send_rtp(struct okno_peer *peer, uint8_t *pkt, size_t len, size_t cap)
{
    return send_protected(peer, pkt, len, cap, false);
}

int okno_peer_send_rtcp(struct okno_peer *peer, uint8_t *pkt, size_t len, size_t cap)
{
    return send_protected(peer, pkt, len, cap, true);
}

void okno_peer_set_rtp_unverified(struct okno_peer *peer, bool on)
{
    peer->rtp_unverified = on;
}

int okno_peer_rx_time(const struct okno_peer *peer, int64_t *mono_us)
{
    return peer->ice ? okno_ice_rx_time(peer->ice, mono_us) : OKNO_E_UNSUPPORTED;
}

void okno_peer_stats(const struct okno_peer *peer, struct okno_peer_stats *out)
{
    *out = peer->stats;
    struct okno_egress_stats e;
    okno_egress_stats(peer->egress, &e);
    out->tx_rtp = e.tx_rtp;
    out->tx_rtcp = e.tx_rtcp;
    out->tx_bytes = e.tx_bytes;
    out->drop_send += e.drop_send; /* the DTLS datagrams' own are in peer->stats */
    out->drop_queue = e.drop_queue;
    out->tx_idle_ping = peer->ice ? okno_ice_idle_pings(peer->ice) : 0;
}

static void ice_closed(void *arg)
{
    struct okno_peer *peer = arg;
    void (*on_closed)(void *) = peer->on_closed;
    void *closed_arg = peer->closed_arg;
    okno_dtls_free(peer->dtls);
    okno_srtp_free(peer->srtp_in);
    okno_egress_release(peer->egress); /* on the egress worker after what is queued for it */
    g_free(peer->held);
    g_free(peer);
    if (on_closed)
        on_closed(closed_arg);
}

void okno_peer_close(struct okno_peer *peer, void (*on_closed)(void *arg), void *arg)
{
    if (peer->connected && peer->dtls && peer->in_dtls == 0)
        okno_dtls_close(peer->dtls); /* close_notify, so the browser notices at once */
    peer->closing = true;
    peer->connected = false;
    peer->on_closed = on_closed;
    peer->closed_arg = arg;
    cancel_dtls_timer(peer);
    struct okno_ice *ice = peer->ice;
    peer->ice = NULL;
    okno_ice_close(ice, ice_closed, peer);
}
