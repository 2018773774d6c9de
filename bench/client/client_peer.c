/* okno-bench client transport: net/peer in the browser's role. net/peer already takes the DTLS
 * role as a parameter and the ICE role from its config, so the client composes nothing of its own
 * below it; what is here is the client's configuration and the copy-then-protect send path. Not
 * here: anything about SDP text or signalling. */
#include "client/client_peer.h"

#include <string.h>

#include "net/srtp.h"
#include "okno/err.h"

struct okno_client_peer {
    /* owned */
    struct okno_peer *peer;
    /* other */
    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    okno_client_candidate_filter filter;
    void *filter_arg;
    /* Send scratch: net/peer protects in place and wants 4-byte alignment and trailer room. */
    _Alignas(8) uint8_t scratch[OKNO_PEER_MAX_DATAGRAM + OKNO_SRTP_MAX_TRAILER];
};

int okno_client_peer_create(GMainContext *ctx, const struct okno_cert *cert, const char *address,
                            const struct okno_peer_listener *listener, void *owner,
                            struct okno_client_peer **out)
{
    if (!ctx || !cert || !listener || !out)
        return OKNO_E_INVAL;
    struct okno_ice_config ice;
    okno_ice_config_init(&ice);
    /* The browser's side: controlling (okno is always controlled), UDP only like a kiosk. */
    ice.controlling = true;
    ice.tcp = OKNO_ICE_TCP_OFF;
    if (address && okno_ice_config_add_address(&ice, address) < 0)
        return OKNO_E_INVAL;
    /* As browsers: a ClientHello sent on our first working pair may reach a server that does not
     * listen yet (Janus's libnice, okno before its pair is up); resent after 100 ms, not 1 s. */
    struct okno_peer_config cfg = {.ice = &ice, .cert = cert, .dtls_initial_rto_us = 100000};
    struct okno_client_peer *cp = g_new0(struct okno_client_peer, 1);
    int rc = okno_peer_create(ctx, &cfg, listener, owner, &cp->peer);
    if (rc < 0) {
        g_free(cp);
        return rc;
    }
    okno_peer_local_credentials(cp->peer, cp->ufrag, cp->pwd);
    *out = cp;
    return 0;
}

int okno_client_peer_gather(struct okno_client_peer *cp)
{
    return okno_peer_gather(cp->peer);
}

const char *okno_client_peer_ufrag(const struct okno_client_peer *cp)
{
    return cp->ufrag;
}

const char *okno_client_peer_pwd(const struct okno_client_peer *cp)
{
    return cp->pwd;
}

void okno_client_peer_set_candidate_filter(struct okno_client_peer *cp,
                                           okno_client_candidate_filter fn, void *arg)
{
    cp->filter = fn;
    cp->filter_arg = arg;
}

/* One remote candidate through the filter; a dropped one is not an error (ICE tries the others). */
static int add_remote(struct okno_client_peer *cp, const char *candidate)
{
    char line[OKNO_ICE_MAX_CANDIDATE_LEN];
    if (!cp->filter)
        return okno_peer_add_remote_candidate(cp->peer, candidate);
    if (!cp->filter(cp->filter_arg, true, candidate, line, sizeof(line)))
        return 0;
    return okno_peer_add_remote_candidate(cp->peer, line);
}

int okno_client_peer_apply_remote(struct okno_client_peer *cp,
                                  const struct okno_client_remote *remote)
{
    int rc = okno_peer_set_remote(cp->peer, remote->ufrag, remote->pwd, &remote->fingerprint,
                                  remote->our_role);
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < remote->n_candidates; i++)
        (void)add_remote(cp, remote->candidates[i]);
    return 0;
}

int okno_client_peer_add_candidate(struct okno_client_peer *cp, const char *candidate)
{
    if (!candidate || !candidate[0])
        return okno_peer_remote_candidates_done(cp->peer);
    return add_remote(cp, candidate);
}

int okno_client_peer_send_rtp(struct okno_client_peer *cp, const uint8_t *pkt, size_t len)
{
    if (len > OKNO_PEER_MAX_DATAGRAM)
        return OKNO_E_NOSPC;
    memcpy(cp->scratch, pkt, len);
    return okno_peer_send_rtp(cp->peer, cp->scratch, len, sizeof(cp->scratch));
}

int okno_client_peer_send_rtcp(struct okno_client_peer *cp, const uint8_t *pkt, size_t len)
{
    if (len > OKNO_PEER_MAX_DATAGRAM)
        return OKNO_E_NOSPC;
    memcpy(cp->scratch, pkt, len);
    return okno_peer_send_rtcp(cp->peer, cp->scratch, len, sizeof(cp->scratch));
}

void okno_client_peer_set_rtp_unverified(struct okno_client_peer *cp, bool on)
{
    okno_peer_set_rtp_unverified(cp->peer, on);
}

bool okno_client_peer_connected(const struct okno_client_peer *cp)
{
    return okno_peer_connected(cp->peer);
}

void okno_client_peer_stats(const struct okno_client_peer *cp, struct okno_peer_stats *out)
{
    okno_peer_stats(cp->peer, out);
}

int okno_client_peer_rx_time(const struct okno_client_peer *cp, int64_t *mono_us)
{
    return okno_peer_rx_time(cp->peer, mono_us);
}

void okno_client_peer_close(struct okno_client_peer *cp, void (*on_closed)(void *arg), void *arg)
{
    okno_peer_close(cp->peer, on_closed, arg);
    g_free(cp);
}
