/* The libnice glue of net/ice: one NiceAgent per peer, its signals turned into listener calls, its
 * state machine folded into the five states the rest of okno cares about, and an asynchronous close
 * that frees the agent only once libnice can no longer call back. Candidate policy lives in
 * ice_candidate.c.
 *
 * Consent (RFC 7675) is ours, not libnice's: libnice 0.1.21 sends one unretransmitted check every
 * 4-6 s and gives up 10 s after the last answer, so one lost check or answer (a bursty-loss link,
 * a full bottleneck queue, a 1.6 s handover outage) killed a healthy transport. Here consent is
 * lost only when nothing at all has come from the peer for consent_timeout_ms (30 s, the RFC's
 * value, as browsers use): every datagram the peer sends (media, RTCP, DTLS) proves it is there.
 * libnice still answers the peer's checks and keeps NAT bindings open with its keepalives. So that
 * an idle transport (a subscriber connection with nothing to carry yet) is not taken for a lost
 * one, an agent never stays silent for OKNO_ICE_IDLE_PING_MS: it sends an 8-byte ping whose first
 * byte (0xe0) is in no range of RFC 7983/9443's demultiplexing (64-79 would be TURN channel
 * data): an okno agent counts and swallows it, a browser drops it unread. A browser peer's own
 * liveness is its RTCP (every few seconds). Most of what a connection sends leaves on the owner's
 * direct route (net/egress), not here: the listener's sent_count, read once a tick, tells the agent
 * that it was not idle, so an active connection sends no pings.
 *
 * Deliberately not here: any buffering or reordering of datagrams (DTLS and SRTP above cope with
 * loss). The only timer of our own is the 1 s consent tick, on the agent's context. */
#include "net/ice.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <nice/agent.h>
#include <string.h>

#include "net/ice_candidate.h"
#include "net/rx_stamp.h"
#include "okno/err.h"

#define COMPONENT                1
#define OKNO_ICE_CONSENT_TICK_MS 1000
/* The longest an idle agent stays silent, as a browser pings its selected pair (every 2.5 s):
 * under the shortest consent timeout okno accepts (3 s) with room for a slow peer. */
#define OKNO_ICE_IDLE_PING_MS 2500

static const uint8_t idle_ping[8] = {0xe0, 'k', 'n', 'o', 'p', 'i', 'n', 'g'};

struct okno_ice {
    /* borrowed */
    GMainContext *ctx;
    struct okno_ice_listener listener; /* copied, but its functions and owner are the owner's */
    void *owner;
    /* owned */
    NiceAgent *agent;
    struct okno_ice_config cfg;
    NiceAddress announced;
    /* other */
    guint stream_id;
    bool has_announced, gathered, has_pair, closing;
    bool consent_held; /* okno_ice_hold_consent: the owner expects nothing from the peer */
    bool pair_direct;  /* the selected pair is UDP on a host socket: okno_ice_direct_route */
    int pair_fd;       /* borrowed from libnice: the selected direct pair's socket, -1: none */
    struct sockaddr_storage pair_remote; /* the selected pair's remote address */
    socklen_t pair_remote_len;
    enum okno_ice_state state;
    int64_t last_heard_us; /* last datagram from the peer, or when the state became connected */
    int64_t last_sent_us;  /* last datagram okno_ice_send handed to libnice, or the consent tick
                              that saw the listener's sent_count grow */
    uint64_t sent_seen;    /* the listener's sent_count at the last consent tick */
    uint64_t idle_pings;
    GSource *consent_tick;                /* owned; while connected */
    char remote_ufrag[OKNO_ICE_CRED_LEN]; /* "" until set; rules out stale trickled candidates */
    void (*on_closed)(void *arg);
    void *closed_arg;
};

static gint live_agents;

static void agent_finalized(gpointer data, GObject *agent)
{
    (void)data;
    (void)agent;
    g_atomic_int_add(&live_agents, -1);
}

int okno_ice_live_count(void)
{
    return g_atomic_int_get(&live_agents);
}

const char *okno_ice_state_name(enum okno_ice_state state)
{
    switch (state) {
    case OKNO_ICE_NEW:
        return "new";
    case OKNO_ICE_CHECKING:
        return "checking";
    case OKNO_ICE_CONNECTED:
        return "connected";
    case OKNO_ICE_DISCONNECTED:
        return "disconnected";
    case OKNO_ICE_FAILED:
        return "failed";
    }
    return "unknown";
}

enum okno_ice_state okno_ice_state(const struct okno_ice *ice)
{
    return ice->state;
}

uint64_t okno_ice_idle_pings(const struct okno_ice *ice)
{
    return ice->idle_pings;
}

void okno_ice_hold_consent(struct okno_ice *ice, bool hold)
{
    if (ice->consent_held && !hold)
        ice->last_heard_us = g_get_monotonic_time(); /* the peer gets a whole timeout from now */
    ice->consent_held = hold;
}

static void stop_consent_tick(struct okno_ice *ice)
{
    if (ice->consent_tick) {
        g_source_destroy(ice->consent_tick);
        g_source_unref(ice->consent_tick);
        ice->consent_tick = NULL;
    }
}

static gboolean on_consent_tick(gpointer data);

static void set_state(struct okno_ice *ice, enum okno_ice_state state)
{
    if (state == ice->state)
        return;
    ice->state = state;
    if (state == OKNO_ICE_CONNECTED)
        ice->last_heard_us = g_get_monotonic_time(); /* the checks just answered are news too */
    if (state == OKNO_ICE_CONNECTED && !ice->consent_tick) {
        ice->consent_tick = g_timeout_source_new(OKNO_ICE_CONSENT_TICK_MS);
        g_source_set_callback(ice->consent_tick, on_consent_tick, ice, NULL);
        g_source_attach(ice->consent_tick, ice->ctx);
    } else if (state == OKNO_ICE_FAILED) {
        stop_consent_tick(ice);
    }
    if (ice->listener.on_state)
        ice->listener.on_state(ice->owner, state);
}

static bool consent_expired(int64_t last_heard_us, int64_t now_us, unsigned timeout_ms)
{
    return now_us - last_heard_us >= (int64_t)timeout_ms * 1000;
}

static gboolean on_consent_tick(gpointer data)
{
    struct okno_ice *ice = data;
    if (ice->closing || ice->state == OKNO_ICE_FAILED)
        return G_SOURCE_CONTINUE; /* close or set_state removes us */
    if (ice->state == OKNO_ICE_CONNECTED || ice->state == OKNO_ICE_DISCONNECTED) {
        int64_t now_us = g_source_get_time(ice->consent_tick);
        if (ice->consent_held)
            ice->last_heard_us = now_us; /* silence is what the owner expects */
        if (consent_expired(ice->last_heard_us, now_us, ice->cfg.consent_timeout_ms)) {
            ice->has_pair = false;
            set_state(ice, OKNO_ICE_FAILED); /* destroys this source: nothing of it is used after */
            return G_SOURCE_CONTINUE;
        }
        if (ice->listener.sent_count) {
            /* Sends on the direct route bypass okno_ice_send: their count is the only sign. */
            uint64_t sent = ice->listener.sent_count(ice->owner);
            if (sent != ice->sent_seen) {
                ice->sent_seen = sent;
                ice->last_sent_us = now_us;
            }
        }
        /* Ticks are 1 s apart: waiting for the full interval would leave up to 3.5 s of silence, a
         * lost consent for a peer with a 3 s timeout. Ping at the tick before the interval ends. */
        int64_t ping_after_us = (OKNO_ICE_IDLE_PING_MS - OKNO_ICE_CONSENT_TICK_MS) * 1000LL;
        if (ice->has_pair && now_us - ice->last_sent_us >= ping_after_us) {
            ice->idle_pings++;
            (void)okno_ice_send(ice, idle_ping, sizeof idle_ping); /* lost or not: best effort */
        }
    }
    return G_SOURCE_CONTINUE;
}

/* libnice's seven states map onto okno's five. CONNECTED and READY are one state for us (READY only
 * says nomination is final), GATHERING is not a state of the connection, and libnice's initial
 * DISCONNECTED is our NEW. */
static void on_component_state(NiceAgent *agent, guint stream_id, guint component_id, guint state,
                               gpointer data)
{
    (void)agent;
    struct okno_ice *ice = data;
    if (ice->closing || stream_id != ice->stream_id || component_id != COMPONENT)
        return;
    switch (state) {
    case NICE_COMPONENT_STATE_CONNECTING:
        set_state(ice, OKNO_ICE_CHECKING);
        break;
    case NICE_COMPONENT_STATE_CONNECTED:
    case NICE_COMPONENT_STATE_READY:
        set_state(ice, OKNO_ICE_CONNECTED);
        break;
    case NICE_COMPONENT_STATE_FAILED:
        ice->has_pair = false;
        set_state(ice, OKNO_ICE_FAILED);
        break;
    case NICE_COMPONENT_STATE_DISCONNECTED:
        if (ice->state != OKNO_ICE_NEW)
            set_state(ice, OKNO_ICE_DISCONNECTED);
        break;
    default:
        break;
    }
}

static void emit_local(struct okno_ice *ice, const NiceCandidate *c)
{
    char line[OKNO_ICE_MAX_CANDIDATE_LEN];
    const NiceAddress *announced = ice->has_announced ? &ice->announced : NULL;
    if (ice->closing) /* the owner closed us from an earlier call of this same loop */
        return;
    if (okno__ice_candidate_local(ice->agent, &ice->cfg, announced, c, line, sizeof line) >= 0 &&
        ice->listener.on_local_candidate)
        ice->listener.on_local_candidate(ice->owner, line);
}

static void on_new_candidate(NiceAgent *agent, NiceCandidate *c, gpointer data)
{
    (void)agent;
    struct okno_ice *ice = data;
    if (!ice->closing && c->stream_id == ice->stream_id)
        emit_local(ice, c);
}

static void on_gathering_done(NiceAgent *agent, guint stream_id, gpointer data)
{
    (void)agent;
    struct okno_ice *ice = data;
    if (!ice->closing && stream_id == ice->stream_id && ice->listener.on_local_candidates_done)
        ice->listener.on_local_candidates_done(ice->owner);
}

static enum okno_ice_cand_type cand_type(NiceCandidateType t)
{
    switch (t) {
    case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
        return OKNO_ICE_SRFLX;
    case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
        return OKNO_ICE_PRFLX;
    case NICE_CANDIDATE_TYPE_RELAYED:
        return OKNO_ICE_RELAY;
    default:
        return OKNO_ICE_HOST;
    }
}

static enum okno_ice_transport cand_transport(NiceCandidateTransport t)
{
    switch (t) {
    case NICE_CANDIDATE_TRANSPORT_TCP_ACTIVE:
        return OKNO_ICE_TRANSPORT_TCP_ACTIVE;
    case NICE_CANDIDATE_TRANSPORT_TCP_PASSIVE:
        return OKNO_ICE_TRANSPORT_TCP_PASSIVE;
    case NICE_CANDIDATE_TRANSPORT_TCP_SO:
        return OKNO_ICE_TRANSPORT_TCP_SO;
    default:
        return OKNO_ICE_TRANSPORT_UDP;
    }
}

static void endpoint(struct okno_ice_endpoint *e, const NiceCandidate *c, const NiceAddress *addr)
{
    char buf[NICE_ADDRESS_STRING_LEN];
    nice_address_to_string(addr, buf);
    g_strlcpy(e->addr, buf, sizeof e->addr);
    e->port = (uint16_t)nice_address_get_port(addr);
    e->type = cand_type(c->type);
    e->transport = cand_transport(c->transport);
}

static void on_selected_pair(NiceAgent *agent, guint stream_id, guint component_id,
                             NiceCandidate *local, NiceCandidate *remote, gpointer data)
{
    struct okno_ice *ice = data;
    if (ice->closing || stream_id != ice->stream_id || component_id != COMPONENT)
        return;
    ice->has_pair = true;
    struct okno_ice_pair pair;
    memset(&pair, 0, sizeof pair);
    /* The base is the socket's own address; for a host candidate it equals addr. */
    endpoint(&pair.local, local, &local->base_addr);
    endpoint(&pair.remote, remote, &remote->addr);
    memset(&ice->pair_remote, 0, sizeof ice->pair_remote);
    nice_address_copy_to_sockaddr(&remote->addr, (struct sockaddr *)&ice->pair_remote);
    ice->pair_remote_len = ice->pair_remote.ss_family == AF_INET6  ? sizeof(struct sockaddr_in6)
                           : ice->pair_remote.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                                   : 0;
    ice->pair_direct = local->transport == NICE_CANDIDATE_TRANSPORT_UDP &&
                       local->type != NICE_CANDIDATE_TYPE_RELAYED && ice->pair_remote_len > 0;
    ice->pair_fd = -1;
    GSocket *sock =
        ice->pair_direct ? nice_agent_get_selected_socket(agent, ice->stream_id, COMPONENT) : NULL;
    if (sock) {
        ice->pair_fd = g_socket_get_fd(sock); /* the agent keeps the socket while it lives */
        g_object_unref(sock);
    }
    if (ice->listener.on_selected_pair)
        ice->listener.on_selected_pair(ice->owner, &pair);
}

static void on_recv(NiceAgent *agent, guint stream_id, guint component_id, guint len, gchar *buf,
                    gpointer data)
{
    (void)agent;
    (void)stream_id;
    (void)component_id;
    struct okno_ice *ice = data;
    if (ice->closing || !ice->listener.on_recv)
        return;
    /* The time GLib cached when this wake-up began: one clock read shared by every datagram (and
     * every other source) of the iteration. */
    GSource *src = g_main_current_source();
    int64_t now_us = src ? g_source_get_time(src) : g_get_monotonic_time();
    ice->last_heard_us = now_us;
    if (len == sizeof idle_ping && memcmp(buf, idle_ping, sizeof idle_ping) == 0)
        return;
    ice->listener.on_recv(ice->owner, (const uint8_t *)buf, len, now_us);
}

static int configure_agent(struct okno_ice *ice)
{
    const struct okno_ice_config *cfg = &ice->cfg;
    g_object_set(ice->agent, "controlling-mode", cfg->controlling, "ice-udp", cfg->udp, "ice-tcp",
                 cfg->tcp != OKNO_ICE_TCP_OFF, "upnp", FALSE, NULL);
    for (size_t i = 0; i < cfg->n_addresses; i++) {
        NiceAddress a;
        nice_address_init(&a);
        if (!nice_address_set_from_string(&a, cfg->addresses[i]) ||
            !nice_agent_add_local_address(ice->agent, &a))
            return OKNO_E_CONFIG;
    }
    if (cfg->announced[0]) {
        nice_address_init(&ice->announced);
        if (!nice_address_set_from_string(&ice->announced, cfg->announced))
            return OKNO_E_CONFIG;
        ice->has_announced = true;
    }
    ice->stream_id = nice_agent_add_stream(ice->agent, 1);
    if (ice->stream_id == 0)
        return OKNO_E_NOMEM;
    if (cfg->port_min)
        nice_agent_set_port_range(ice->agent, ice->stream_id, COMPONENT, cfg->port_min,
                                  cfg->port_max);
    g_signal_connect(ice->agent, "component-state-changed", G_CALLBACK(on_component_state), ice);
    g_signal_connect(ice->agent, "new-candidate-full", G_CALLBACK(on_new_candidate), ice);
    g_signal_connect(ice->agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), ice);
    g_signal_connect(ice->agent, "new-selected-pair-full", G_CALLBACK(on_selected_pair), ice);
    if (!nice_agent_attach_recv(ice->agent, ice->stream_id, COMPONENT, ice->ctx, on_recv, ice))
        return OKNO_E_NOMEM;
    return 0;
}

int okno_ice_create(GMainContext *ctx, const struct okno_ice_config *cfg,
                    const struct okno_ice_listener *listener, void *owner, struct okno_ice **out)
{
    if (!ctx || !cfg || !out || (!cfg->udp && cfg->tcp == OKNO_ICE_TCP_OFF))
        return OKNO_E_CONFIG;
    struct okno_ice *ice = g_new0(struct okno_ice, 1);
    ice->pair_fd = -1;
    ice->ctx = ctx;
    if (listener)
        ice->listener = *listener;
    ice->owner = owner;
    ice->cfg = *cfg;
    if (ice->cfg.n_addresses == 0)
        okno_ice_config_add_default_addresses(&ice->cfg);
    if (ice->cfg.consent_timeout_ms == 0)
        ice->cfg.consent_timeout_ms = OKNO_ICE_CONSENT_TIMEOUT_MS;
    /* Trickle lets the owner hand candidates over as they come and tell the agent when the remote
     * has no more. No NICE_AGENT_OPTION_CONSENT_FRESHNESS: see the top of this file. */
    ice->agent =
        nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_ICE_TRICKLE);
    g_atomic_int_add(&live_agents, 1);
    g_object_weak_ref(G_OBJECT(ice->agent), agent_finalized, NULL);
    int err = ice->cfg.n_addresses ? configure_agent(ice) : OKNO_E_CONFIG;
    if (err) {
        /* Nothing has run on ctx yet, so no callback can be pending: free at once. */
        g_signal_handlers_disconnect_by_data(ice->agent, ice);
        g_object_unref(ice->agent);
        g_free(ice);
        return err;
    }
    *out = ice;
    return 0;
}

int okno_ice_gather(struct okno_ice *ice)
{
    if (ice->gathered)
        return OKNO_E_STATE;
    ice->gathered = true;
    return nice_agent_gather_candidates(ice->agent, ice->stream_id) ? 0 : OKNO_E_IO;
}

int okno_ice_local_credentials(const struct okno_ice *ice, char *ufrag, char *pwd)
{
    gchar *u = NULL, *p = NULL;
    if (!nice_agent_get_local_credentials(ice->agent, ice->stream_id, &u, &p))
        return OKNO_E_STATE;
    g_strlcpy(ufrag, u, OKNO_ICE_CRED_LEN);
    g_strlcpy(pwd, p, OKNO_ICE_CRED_LEN);
    g_free(u);
    g_free(p);
    return 0;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 section 5.4). */
static bool is_ice_chars(const char *s, size_t min, size_t max)
{
    size_t n = s ? strnlen(s, max + 1) : 0;
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!g_ascii_isalnum(s[i]) && s[i] != '+' && s[i] != '/')
            return false;
    }
    return true;
}

int okno_ice_set_remote_credentials(struct okno_ice *ice, const char *ufrag, const char *pwd)
{
    if (!is_ice_chars(ufrag, 4, 256) || !is_ice_chars(pwd, 22, 256))
        return OKNO_E_MALFORMED;
    if (!nice_agent_set_remote_credentials(ice->agent, ice->stream_id, ufrag, pwd))
        return OKNO_E_STATE;
    g_strlcpy(ice->remote_ufrag, ufrag, sizeof ice->remote_ufrag);
    return 0;
}

int okno_ice_add_remote_candidate(struct okno_ice *ice, const char *candidate)
{
    char line[OKNO_ICE_MAX_CANDIDATE_LEN + 3];
    int err = okno__ice_candidate_check(&ice->cfg, ice->remote_ufrag, candidate, line, sizeof line);
    if (err)
        return err;
    NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(ice->agent, ice->stream_id, line);
    if (!c)
        return OKNO_E_MALFORMED; /* valid by RFC 8839 but not to libnice: still not usable */
    GSList one = {.data = c, .next = NULL};
    int n = nice_agent_set_remote_candidates(ice->agent, ice->stream_id, COMPONENT, &one);
    nice_candidate_free(c);
    return n < 0 ? OKNO_E_STATE : 0;
}

int okno_ice_remote_candidates_done(struct okno_ice *ice)
{
    return nice_agent_peer_candidate_gathering_done(ice->agent, ice->stream_id) ? 0 : OKNO_E_STATE;
}

int okno_ice_send(struct okno_ice *ice, const uint8_t *data, size_t len)
{
    if (!ice->has_pair)
        return OKNO_E_STATE;
    ice->last_sent_us = g_get_monotonic_time();
    GOutputVector vec = {.buffer = data, .size = len};
    NiceOutputMessage msg = {.buffers = &vec, .n_buffers = 1};
    GError *error = NULL;
    gint n = nice_agent_send_messages_nonblocking(ice->agent, ice->stream_id, COMPONENT, &msg, 1,
                                                  NULL, &error);
    if (n == 1)
        return 0;
    int err = OKNO_E_AGAIN; /* n == 0: nothing sent, nothing wrong */
    if (error) {
        if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
            err = OKNO_E_IO;
        g_error_free(error);
    }
    return err;
}

int okno_ice_direct_route(struct okno_ice *ice, struct sockaddr_storage *dest, socklen_t *dest_len)
{
    if (!ice->has_pair || ice->closing)
        return OKNO_E_STATE;
    if (!ice->pair_direct)
        return OKNO_E_UNSUPPORTED;
    GSocket *sock = nice_agent_get_selected_socket(ice->agent, ice->stream_id, COMPONENT);
    if (!sock)
        return OKNO_E_UNSUPPORTED;
    int fd = fcntl(g_socket_get_fd(sock), F_DUPFD_CLOEXEC, 0);
    g_object_unref(sock);
    if (fd < 0)
        return OKNO_E_IO;
    *dest = ice->pair_remote;
    *dest_len = ice->pair_remote_len;
    return fd;
}

int okno_ice_rx_time(const struct okno_ice *ice, int64_t *mono_us)
{
    if (!ice->has_pair || ice->closing || ice->pair_fd < 0)
        return OKNO_E_UNSUPPORTED;
    return okno_rx_stamp_mono(ice->pair_fd, mono_us);
}

int okno_ice_restart(struct okno_ice *ice)
{
    if (!ice->gathered)
        return OKNO_E_STATE;
    if (!nice_agent_restart_stream(ice->agent, ice->stream_id))
        return OKNO_E_STATE;
    ice->remote_ufrag[0] = '\0';
    GSList *cands = nice_agent_get_local_candidates(ice->agent, ice->stream_id, COMPONENT);
    for (GSList *l = cands; l; l = l->next)
        emit_local(ice, l->data);
    g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
    if (!ice->closing && ice->listener.on_local_candidates_done)
        ice->listener.on_local_candidates_done(ice->owner);
    return 0;
}

static void close_done(GObject *agent, GAsyncResult *res, gpointer data)
{
    (void)agent;
    (void)res;
    struct okno_ice *ice = data;
    void (*on_closed)(void *) = ice->on_closed;
    void *arg = ice->closed_arg;
    nice_agent_attach_recv(ice->agent, ice->stream_id, COMPONENT, ice->ctx, NULL, NULL);
    /* The close task still holds the agent; it is finalized when the task lets go, right after us.
     */
    g_object_unref(ice->agent);
    g_free(ice);
    if (on_closed)
        on_closed(arg);
}

void okno_ice_close(struct okno_ice *ice, void (*on_closed)(void *arg), void *arg)
{
    ice->closing = true;
    stop_consent_tick(ice);
    ice->on_closed = on_closed;
    ice->closed_arg = arg;
    g_signal_handlers_disconnect_by_data(ice->agent, ice);
    /* The close task completes on the thread-default context of its caller: make that the agent's.
     */
    g_main_context_push_thread_default(ice->ctx);
    nice_agent_close_async(ice->agent, close_done, ice);
    g_main_context_pop_thread_default(ice->ctx);
}
