/* One WebRTC transport: the server side of one RTCPeerConnection, on the GMainContext of the worker
 * that owns its room. It owns an ICE agent (net/ice), a DTLS endpoint (net/dtls) and the two SRTP
 * sessions (net/srtp) the handshake keys; it classifies every datagram ICE hands up (RFC 7983:
 * STUN stays in libnice, DTLS goes to the endpoint, RTP and RTCP are unprotected in place once the
 * keys exist) and hands clear RTP and RTCP to its listener. okno_peer_send_rtp/rtcp protect and
 * send on the selected pair (net/egress): on a UDP host pair with one sendto on okno's own copy of
 * the socket, else through libnice; and, given an egress lane, on the worker at the lane's other
 * end. Every drop is counted by reason.
 *
 * Deliberately not here: SDP (the SFU reads and writes it and passes the values in), RTP or RTCP
 * parsing beyond the two bytes the demultiplexer reads, pacing, and data channels. All functions
 * must be called on the thread that runs the peer's context (the egress worker only ever runs
 * net/egress's part). */
#ifndef OKNO_NET_PEER_H
#define OKNO_NET_PEER_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/cert.h"
#include "net/dtls.h"
#include "net/ice.h"

/* Largest datagram a peer takes from ICE; longer ones are dropped as garbage (WebRTC stacks keep
 * datagrams under 1200 bytes, path MTUs under 1500). */
#define OKNO_PEER_MAX_DATAGRAM 1500

struct okno_peer_config {
    const struct okno_ice_config *ice; /* copied */
    const struct okno_cert *cert;      /* borrowed: must outlive the peer */
    /* First DTLS retransmission timeout; 0: OKNO_DTLS_INITIAL_RTO_US (RFC 6347's 1 s). A client
     * that sends its ClientHello as soon as its own ICE check succeeds may find the other side not
     * yet listening; browsers start lower (50-100 ms) for that reason. */
    uint32_t dtls_initial_rto_us;
    /* Borrowed, NULL: protect and send on the peer's own thread. Else the lane from the peer's
     * worker to the worker that protects and sends its RTP and RTCP (while the pair is a direct
     * UDP one); it must outlive the peer's close (core/worker's lanes do). */
    struct okno_lane *egress_lane;
    /* Send through libnice even on a UDP host pair (benchmarks compare the two paths). */
    bool via_libnice;
};

/* Events up to the owner; any member may be NULL. The owner may call okno_peer_close from every one
 * of them; after that no further call follows. */
struct okno_peer_listener {
    void (*on_local_candidate)(void *owner, const char *candidate);
    void (*on_local_candidates_done)(void *owner);
    /* The DTLS handshake finished and SRTP is keyed: media flows both ways from now on. */
    void (*on_connected)(void *owner);
    /* The transport is dead (ICE failed or consent was lost, DTLS failed or the remote closed it).
     * err is a negative OKNO_E_* code, reason human text valid during the call. The owner is
     * expected to close the peer. */
    void (*on_failed)(void *owner, int err, const char *reason);
    /* ICE lost its pair (OKNO_ICE_DISCONNECTED, OKNO_ICE_FAILED: checks exhausted or consent
     * expired) or found one again (OKNO_ICE_CONNECTED). When this member is set an ICE failure
     * does not reach on_failed: DTLS and SRTP stay keyed and the owner decides between
     * okno_peer_restart_ice and closing. When it is NULL an ICE failure is on_failed as before. */
    void (*on_ice_state)(void *owner, enum okno_ice_state state);
    /* One unprotected RTP packet or compound RTCP datagram. The buffer is the peer's receive
     * scratch: it may be modified in place and is valid during the call only. now_us is the time of
     * this wake-up of the loop, read once for all datagrams it delivers. */
    void (*on_rtp)(void *owner, uint8_t *pkt, size_t len, int64_t now_us);
    void (*on_rtcp)(void *owner, uint8_t *pkt, size_t len, int64_t now_us);
};

/* Counters since creation. Drops: garbage (not one of the bundle's protocols, or too long),
 * before_dtls (RTP/RTCP before the keys existed, or DTLS the endpoint refused), srtp_auth (the tag
 * did not verify), replay (seen before or older than the window), unknown (other unprotect
 * failures), send (ICE or the socket refused a datagram: no pair yet, socket full), queue (the
 * lane to the egress worker was full). tx counts datagrams handed to the socket, wherever sent;
 * tx_idle_ping net/ice's 8-byte consent pings of an idle connection (none while media flows). */
struct okno_peer_stats {
    uint64_t rx_rtp, rx_rtcp, rx_dtls, rx_bytes;
    uint64_t tx_rtp, tx_rtcp, tx_bytes, tx_idle_ping;
    uint64_t drop_garbage, drop_before_dtls, drop_srtp_auth, drop_replay, drop_unknown, drop_send;
    uint64_t drop_queue;
};

struct okno_peer;

/* Creates a peer on ctx (borrowed: it must outlive the peer's close). owner is passed back to
 * every listener call; the listener is copied. Nothing is gathered yet. Returns 0 and *out, or the
 * error of okno_ice_create (OKNO_E_CONFIG, OKNO_E_NOMEM), OKNO_E_INVAL for missing arguments. */
int okno_peer_create(GMainContext *ctx, const struct okno_peer_config *cfg,
                     const struct okno_peer_listener *listener, void *owner,
                     struct okno_peer **out);

/* Gathers local candidates (reaching on_local_candidate, possibly before this returns). Returns 0
 * or okno_ice_gather's error (OKNO_E_STATE, OKNO_E_IO). */
int okno_peer_gather(struct okno_peer *peer);

/* Copies the local ICE ufrag and pwd into buffers of OKNO_ICE_CRED_LEN bytes. Returns 0. */
int okno_peer_local_credentials(const struct okno_peer *peer, char *ufrag, char *pwd);

/* True once gathering is complete (every local candidate has been given to the listener). */
bool okno_peer_gathering_done(const struct okno_peer *peer);

/* Sets what the remote description says: ICE credentials (copied), the certificate fingerprint the
 * remote must present, and our DTLS role. A server starts listening for the ClientHello at once; a
 * client sends it as soon as ICE connects. After okno_peer_restart_ice only the new ICE
 * credentials are taken (the DTLS endpoint stays). Returns 0, OKNO_E_MALFORMED for bad credentials,
 * OKNO_E_STATE when already set and no restart is pending, or okno_dtls_create's error. */
int okno_peer_set_remote(struct okno_peer *peer, const char *ufrag, const char *pwd,
                         const struct okno_fingerprint *fingerprint, enum okno_dtls_role role);

/* True when ufrag/pwd differ from the remote ICE credentials in use: the remote end restarted ICE
 * (RFC 8839 4.4.1.1.1). False before okno_peer_set_remote. */
bool okno_peer_remote_changed(const struct okno_peer *peer, const char *ufrag, const char *pwd);

/* ICE restart on the same transport: new local credentials, the remote ones and their candidates
 * forgotten, local candidates handed to the listener again (then their end) before this returns.
 * DTLS and SRTP keep their state, so media resumes as soon as a new pair is selected. The next
 * okno_peer_set_remote sets the remote end's new credentials. Returns 0 or okno_ice_restart's
 * OKNO_E_STATE (not gathered yet, or closing). */
int okno_peer_restart_ice(struct okno_peer *peer);

/* Trickle: one remote candidate line, or the end of them. Same returns as okno_ice's. */
int okno_peer_add_remote_candidate(struct okno_peer *peer, const char *candidate);
int okno_peer_remote_candidates_done(struct okno_peer *peer);

/* True between on_connected and the end of the transport. */
bool okno_peer_connected(const struct okno_peer *peer);

/* okno_ice_hold_consent on the peer's agent: hold while the connection has no active media
 * section in either direction, so an idle but live client is not taken for a lost one. */
void okno_peer_hold_consent(struct okno_peer *peer, bool hold);

/* Protects the RTP packet (RTCP compound datagram) pkt[0..len) and sends it. cap is the buffer's
 * size and must leave OKNO_SRTP_MAX_TRAILER bytes after the packet; pkt should be 4-byte aligned.
 * Allocates nothing. With an egress lane and a direct route the clear packet is copied onto the
 * lane (0, or OKNO_E_AGAIN when it is full, counted as drop_queue) and the egress worker protects
 * and sends it; its own failures are counted there as drop_send. Otherwise returns 0,
 * OKNO_E_STATE before on_connected, okno_srtp_protect_*'s errors (OKNO_E_NOSPC,
 * OKNO_E_MALFORMED...) or the send's (OKNO_E_AGAIN, OKNO_E_IO); those are counted as drop_send.
 * The buffer's contents are unspecified afterwards whatever the result. */
int okno_peer_send_rtp(struct okno_peer *peer, uint8_t *pkt, size_t len, size_t cap);
int okno_peer_send_rtcp(struct okno_peer *peer, uint8_t *pkt, size_t len, size_t cap);

/* For load generators only, never a server: from now on RTP is handed to on_rtp as it came, still
 * protected (the header is in the clear, the payload encrypted), neither authenticated nor
 * decrypted, with len excluding the authentication tag. A receiver that only counts sequence
 * numbers and bytes skips the cipher that is most of its cost per packet. RTCP is unprotected as
 * before. False again: unprotected as usual (libsrtp's replay window restarts from what follows).
 */
void okno_peer_set_rtp_unverified(struct okno_peer *peer, bool on);

/* Inside the listener's on_rtp or on_rtcp only: the kernel's receive time of the datagram being
 * delivered (okno_ice_rx_time). */
int okno_peer_rx_time(const struct okno_peer *peer, int64_t *mono_us);

/* Copies the counters. Cannot fail. */
void okno_peer_stats(const struct okno_peer *peer, struct okno_peer_stats *out);

/* Starts closing: sends a DTLS close_notify when connected, stops the timers and closes the ICE
 * agent asynchronously; the listener is never called again. Once libnice can no longer call back,
 * the peer is freed on its context and on_closed(arg) runs there (on_closed may be NULL).
 * Invalidates peer at once. */
void okno_peer_close(struct okno_peer *peer, void (*on_closed)(void *arg), void *arg);

#endif
