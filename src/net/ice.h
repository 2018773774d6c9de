/* ICE for one okno peer connection: one libnice agent with one stream of one component (rtcp-mux
 * and BUNDLE put everything on it), full ICE (RFC 8445) with trickle, consent freshness (RFC 7675)
 * and ICE restart. Candidates and credentials go in and out as the strings signalling carries;
 * datagrams go out through okno_ice_send and come back through the listener, which also hears state
 * changes and the selected pair.
 *
 * The agent lives on the GMainContext it is created with (the room's worker) and every listener
 * call happens there; all functions must be called from the thread that runs that context.
 * Deliberately not here: STUN/TURN servers (okno gathers host candidates only), DTLS (net/dtls
 * reads what the listener hands up) and the SDP itself (wire/sdp; this module sees single candidate
 * lines).
 *
 * Consent (RFC 7675) is kept by net/ice itself, not by libnice: libnice 0.1.21 sends one
 * unretransmitted consent check every 4 to 6 s and declares consent lost 10 s after the last answer
 * (measured; no property changes it), so a single lost check on a lossy or queue-filled link, or a
 * 1.6 s handover outage, failed a live transport. Here a connected agent reports OKNO_ICE_FAILED
 * once nothing (no datagram of any kind) has come from its peer for cfg.consent_timeout_ms, 30 s by
 * default as in RFC 7675 and browsers. An idle agent pings its peer at least every 2.5 s (a
 * datagram okno agents swallow and browsers drop, net/ice.c), so two okno agents never time out
 * while both live; a browser peer is heard through its RTCP (every few seconds while any RTP stream
 * exists). With no stream at all a browser sends okno nothing it sees (its STUN checks end in
 * libnice, which tells nobody), so the owner holds consent then (okno_ice_hold_consent). */
#ifndef OKNO_NET_ICE_H
#define OKNO_NET_ICE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/ice_config.h"

/* Longest candidate line accepted from signalling; real ones are under 200 bytes. */
#define OKNO_ICE_MAX_CANDIDATE_LEN 512
/* Room for ufrag/pwd: RFC 8839 allows up to 256 characters each, plus the NUL. */
#define OKNO_ICE_CRED_LEN 257

enum okno_ice_state {
    OKNO_ICE_NEW = 0,      /* created, no check sent yet */
    OKNO_ICE_CHECKING,     /* connectivity checks running, no working pair */
    OKNO_ICE_CONNECTED,    /* a pair is selected: okno_ice_send works */
    OKNO_ICE_DISCONNECTED, /* libnice lost the pair without giving up (during a restart, for
                              instance) */
    OKNO_ICE_FAILED,       /* checks exhausted, or consent expired: restart or close */
};

enum okno_ice_cand_type { OKNO_ICE_HOST = 0, OKNO_ICE_SRFLX, OKNO_ICE_PRFLX, OKNO_ICE_RELAY };
enum okno_ice_transport {
    OKNO_ICE_TRANSPORT_UDP = 0,
    OKNO_ICE_TRANSPORT_TCP_ACTIVE,
    OKNO_ICE_TRANSPORT_TCP_PASSIVE,
    OKNO_ICE_TRANSPORT_TCP_SO,
};

struct okno_ice_endpoint {
    char addr[OKNO_ICE_ADDRSTRLEN];
    uint16_t port;
    enum okno_ice_cand_type type;
    enum okno_ice_transport transport;
};

/* The selected pair; local is the socket okno really uses (never the announced address). */
struct okno_ice_pair {
    struct okno_ice_endpoint local, remote;
};

/* Events up to the owner. Any member may be NULL. Strings and structs are borrowed for the call
 * only. The owner may call okno_ice_close from any of them; no further call follows. */
struct okno_ice_listener {
    /* One local candidate, "candidate:..." without "a=" or line end, ready for trickle or the SDP.
     */
    void (*on_local_candidate)(void *owner, const char *candidate);
    /* Every local candidate has been given: signal end-of-candidates. */
    void (*on_local_candidates_done)(void *owner);
    void (*on_state)(void *owner, enum okno_ice_state state);
    void (*on_selected_pair)(void *owner, const struct okno_ice_pair *pair);
    /* One datagram (DTLS, SRTP or SRTCP; STUN stays inside libnice). now_us is the monotonic time
     * of this wake-up of the loop, read once for all datagrams it delivers. */
    void (*on_recv)(void *owner, const uint8_t *data, size_t len, int64_t now_us);
    /* Datagrams the owner has sent to the peer so far without okno_ice_send (its direct route,
     * net/egress, possibly from another thread): a count that only grows. Read once per consent
     * tick; when it has grown the agent counts as not idle and sends no idle ping. A query, not an
     * event: it must not close the agent. */
    uint64_t (*sent_count)(void *owner);
};

struct okno_ice;

/* Creates an agent on ctx (borrowed: it must outlive the agent's close) with a copy of cfg (all the
 * machine's addresses when cfg lists none) and of listener; owner is passed back to every listener
 * call. Nothing is gathered yet. Returns 0 and *out, OKNO_E_CONFIG when cfg names no usable address
 * or turns off both UDP and TCP, or OKNO_E_NOMEM when libnice refuses the stream. */
int okno_ice_create(GMainContext *ctx, const struct okno_ice_config *cfg,
                    const struct okno_ice_listener *listener, void *owner, struct okno_ice **out);

/* Opens the sockets and gathers host candidates; they (and then the end of candidates) reach the
 * listener, possibly before this returns. Returns 0, OKNO_E_STATE when already gathered, or
 * OKNO_E_IO when no socket could be opened (a port range with no free port, an address the machine
 * lacks). */
int okno_ice_gather(struct okno_ice *ice);

/* Copies the local ufrag and pwd, NUL-terminated, into buffers of OKNO_ICE_CRED_LEN bytes. Returns
 * 0. The values change with okno_ice_restart. */
int okno_ice_local_credentials(const struct okno_ice *ice, char *ufrag, char *pwd);

/* Sets the remote ufrag and pwd (copied). Returns 0 or OKNO_E_MALFORMED when either is not 4..256
 * (ufrag) or 22..256 (pwd) ice-chars (RFC 8839), leaving the agent unchanged. */
int okno_ice_set_remote_credentials(struct okno_ice *ice, const char *ufrag, const char *pwd);

/* Adds one remote candidate, "candidate:..." with or without "a=" and a line end. Returns 0 when
 * added, OKNO_E_MALFORMED for a line that is not a candidate (too long, bad grammar, bad numbers),
 * OKNO_E_UNSUPPORTED for a valid candidate okno cannot use and ignores (mDNS name, a component
 * other than 1, a transport or TCP type turned off in the config, an unknown type, more than 4
 * unknown extension pairs), OKNO_E_STATE for a candidate of an earlier ICE generation (its "ufrag"
 * differs from the remote credentials).
 */
int okno_ice_add_remote_candidate(struct okno_ice *ice, const char *candidate);

/* The remote side has sent end-of-candidates: once every pair has been checked without success the
 * agent fails instead of waiting for more. Returns 0. */
int okno_ice_remote_candidates_done(struct okno_ice *ice);

/* Sends one datagram on the selected pair. Allocates nothing. Returns 0, OKNO_E_STATE before a pair
 * is selected, OKNO_E_AGAIN when the socket is full (the datagram is dropped, as the network
 * would), or OKNO_E_IO. */
int okno_ice_send(struct okno_ice *ice, const uint8_t *data, size_t len);

/* The selected pair as a direct route: a new descriptor (a duplicate, owned by the caller,
 * close-on-exec) of the pair's local UDP socket and the remote address, for sending without
 * libnice. Returns the descriptor, OKNO_E_STATE without a selected pair, OKNO_E_UNSUPPORTED when
 * the pair is not a UDP pair on a host socket (ICE-TCP needs libnice's framing, a relayed one its
 * TURN wrapping), OKNO_E_IO when the descriptor cannot be duplicated. Datagrams sent on it count
 * as sent for the idle ping only through the listener's sent_count. */
int okno_ice_direct_route(struct okno_ice *ice, struct sockaddr_storage *dest, socklen_t *dest_len);

/* Inside the listener's on_recv only: when the kernel took in the datagram being delivered
 * (net/rx_stamp.h), on the monotonic clock; the first call starts stamping and gives its own time.
 * Returns 0, OKNO_E_UNSUPPORTED without a selected UDP host pair. A syscall:
 * for measuring, not for every datagram of the media path. */
int okno_ice_rx_time(const struct okno_ice *ice, int64_t *mono_us);

/* ICE restart (RFC 8445 section 9): new local credentials, remote credentials and candidates
 * forgotten, the same sockets and agent. The local candidates are handed to the listener again,
 * then their end, before this returns, for the new offer or answer. Until a new pair is selected,
 * okno_ice_send keeps using the old one. Returns 0 or OKNO_E_STATE before okno_ice_gather. */
int okno_ice_restart(struct okno_ice *ice);

enum okno_ice_state okno_ice_state(const struct okno_ice *ice);

/* Idle pings sent since creation: one at the first consent tick 1.5 s or more after the last
 * datagram to the peer (sent through okno_ice_send or counted by the listener's sent_count), so
 * that silence never reaches 2.5 s. */
uint64_t okno_ice_idle_pings(const struct okno_ice *ice);

/* hold: the owner expects nothing from the peer for now (a connection with no active media section
 * either way: a browser then sends no RTCP, and its STUN checks end in libnice), so silence does
 * not cost consent; liveness is the owner's business meanwhile (the participant's WebSocket).
 * Releasing gives the peer a whole consent timeout from then. Held or not, the idle ping goes on.
 */
void okno_ice_hold_consent(struct okno_ice *ice, bool hold);

/* Starts closing: the listener is never called again, the agent closes asynchronously and is freed
 * on ctx afterwards; then on_closed(arg) runs on ctx (on_closed may be NULL). Invalidates ice at
 * once. */
void okno_ice_close(struct okno_ice *ice, void (*on_closed)(void *arg), void *arg);

/* Number of libnice agents of this module not yet finalized, over all threads; tests check it drops
 * to 0 after every close, the metrics page shows it. */
int okno_ice_live_count(void);

const char *okno_ice_state_name(enum okno_ice_state state);

#endif
