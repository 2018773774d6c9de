/* The client side of one WebRTC transport for okno-bench: a net/peer (the same ICE, DTLS and SRTP
 * code the server runs) configured as the browser would be, ICE controlling and UDP only, plus what
 * a client does on top: it applies a remote description read by client_sdp (credentials,
 * fingerprint, DTLS role, candidates) in one call, and sends RTP from a caller's read-only buffer
 * through its own scratch, because net/peer protects in place.
 *
 * Deliberately not here: SDP text, signalling and any RTP or RTCP logic (no reports, no NACK); the
 * media pipeline plugs in through the on_rtp/on_rtcp callbacks and okno_client_peer_send_rtp. All
 * functions must be called on the thread that runs the peer's GMainContext. */
#ifndef OKNO_BENCH_CLIENT_PEER_H
#define OKNO_BENCH_CLIENT_PEER_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client_sdp.h"
#include "net/peer.h"

struct okno_client_peer;

/* Creates a transport on ctx (borrowed, must outlive the close) with host candidates on address
 * (an IP literal; NULL: every address of the machine). cert is borrowed and must outlive the peer;
 * the listener is copied and has net/peer's meaning. Returns 0 and *out, OKNO_E_INVAL for a bad
 * address, or okno_peer_create's errors. Nothing is gathered yet. */
int okno_client_peer_create(GMainContext *ctx, const struct okno_cert *cert, const char *address,
                            const struct okno_peer_listener *listener, void *owner,
                            struct okno_client_peer **out);

/* Rewrites or drops a candidate line before it is used (remote: from the server) or signalled
 * (local: one of ours; the session applies it there). Returns true to keep it with the line written
 * to out (outlen bytes; copy in when unchanged), false to drop it. okno-bench call routes a
 * participant through its link emulator with one. */
typedef bool (*okno_client_candidate_filter)(void *arg, bool remote, const char *in, char *out,
                                             size_t outlen);

/* Sets (fn NULL: clears) the filter applied to every remote candidate from now on. */
void okno_client_peer_set_candidate_filter(struct okno_client_peer *cp,
                                           okno_client_candidate_filter fn, void *arg);

/* Gathers host candidates (reaching the listener, possibly before this returns): call it once the
 * description they belong to has been sent. Returns 0 or okno_peer_gather's error. */
int okno_client_peer_gather(struct okno_client_peer *cp);

/* The local credentials (valid for the peer's lifetime). */
const char *okno_client_peer_ufrag(const struct okno_client_peer *cp);
const char *okno_client_peer_pwd(const struct okno_client_peer *cp);

/* Applies a remote description: credentials, fingerprint and DTLS role, then its candidates.
 * Returns 0, or okno_peer_set_remote's error (OKNO_E_STATE when already applied). A candidate the
 * agent does not take is skipped (ICE tries the others). */
int okno_client_peer_apply_remote(struct okno_client_peer *cp,
                                  const struct okno_client_remote *remote);

/* A trickled remote candidate; NULL or "" is the end of them. Returns okno_peer's result. */
int okno_client_peer_add_candidate(struct okno_client_peer *cp, const char *candidate);

/* Copies the RTP packet into the peer's scratch, protects and sends it; pkt is not modified.
 * Allocates nothing. Returns 0, OKNO_E_NOSPC when len exceeds OKNO_PEER_MAX_DATAGRAM, or
 * okno_peer_send_rtp's errors (OKNO_E_STATE before the transport is connected). */
int okno_client_peer_send_rtp(struct okno_client_peer *cp, const uint8_t *pkt, size_t len);
/* The same for one compound RTCP datagram. */
int okno_client_peer_send_rtcp(struct okno_client_peer *cp, const uint8_t *pkt, size_t len);

/* okno_peer_set_rtp_unverified: RTP reaches on_rtp still protected (header readable, len without
 * the tag), for receivers that only count. */
void okno_client_peer_set_rtp_unverified(struct okno_client_peer *cp, bool on);

bool okno_client_peer_connected(const struct okno_client_peer *cp);
void okno_client_peer_stats(const struct okno_client_peer *cp, struct okno_peer_stats *out);
/* okno_peer_rx_time: inside on_rtp or on_rtcp, when the kernel took in the datagram. */
int okno_client_peer_rx_time(const struct okno_client_peer *cp, int64_t *mono_us);

/* Starts closing; on_closed(arg) runs on the context once the transport is gone (may be NULL).
 * Invalidates cp at once; the listener is not called again. */
void okno_client_peer_close(struct okno_client_peer *cp, void (*on_closed)(void *arg), void *arg);

#endif
