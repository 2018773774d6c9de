/* Egress of one peer: the outbound SRTP session and the route its datagrams leave by, so that
 * protect + send can run on a worker other than the one that owns the peer.
 *
 * The route is direct when ICE selected a UDP pair on a host socket: okno then sends on its own
 * duplicate of that socket's descriptor with one sendto to the remote address, not through libnice
 * (whose send path takes the agent lock, looks the pair up and allocates on the way). Otherwise
 * (ICE-TCP, relayed, no pair yet) the owner's thread sends through net/ice.
 *
 * A packet reaches the egress either on the owner's thread (okno_egress_send) or queued on a lane
 * (okno_egress_queue: to another worker, or to the owner's own, core/worker.h), where the lane's
 * consumer protects it in its slot and stages the send; the lane's flush sends each run of up to
 * OKNO_LANE_BATCH packets, of many connections, in one system call (net/send_batch.h). The SRTP
 * session is not thread-safe; an uncontended mutex per egress makes protect, send and the counters
 * safe wherever they run (the two threads meet only while a route changes). Deliberately not here:
 * RTP or RTCP parsing, pacing, or choosing the worker (core/worker places it). */
#ifndef OKNO_NET_EGRESS_H
#define OKNO_NET_EGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/lane.h"
#include "net/ice.h"
#include "net/srtp.h"

struct okno_egress;

/* What went out and what was dropped since creation. drop_send: protect failed, the socket refused
 * (full) or there was no route; drop_queue: the lane to the egress worker was full. */
struct okno_egress_stats {
    uint64_t tx_rtp, tx_rtcp, tx_bytes, drop_send, drop_queue;
};

/* A new egress with no session and no route; lane (borrowed, NULL: none) is the lane from the
 * owner's worker to the worker that sends; it must outlive the egress's retirement. Cannot fail. */
struct okno_egress *okno_egress_new(struct okno_lane *lane);

/* Owner's thread. Gives the outbound session to the egress (owned from now on). */
void okno_egress_set_srtp(struct okno_egress *e, struct okno_srtp *srtp);

/* Owner's thread. fd (owned by the egress from now on; negative: no direct route) and the
 * destination replace the route; the previous descriptor is closed once no send uses it. */
void okno_egress_set_route(struct okno_egress *e, int fd, const struct sockaddr *dest,
                           socklen_t dest_len);

/* True when okno_egress_set_route gave a descriptor (owner's thread). */
bool okno_egress_direct(const struct okno_egress *e);

/* Owner's thread. Protects pkt[0..len) in place (cap: the buffer's size, OKNO_SRTP_MAX_TRAILER
 * past the packet) and sends it on the direct route, or through ice (borrowed, may be NULL) when
 * there is none. Returns 0, OKNO_E_STATE without a session, protect's or the send's error
 * (OKNO_E_AGAIN for a full socket); failures are counted as drop_send. */
int okno_egress_send(struct okno_egress *e, uint8_t *pkt, size_t len, size_t cap, bool rtcp,
                     struct okno_ice *ice);

/* Owner's thread, with a lane and a direct route: copies the clear packet onto the lane, where the
 * lane's consumer protects it and sends it with the rest of its run. Returns 0 or OKNO_E_AGAIN when
 * the lane is full (counted as drop_queue), OKNO_E_NOSPC for a packet longer than a slot. */
int okno_egress_queue(struct okno_egress *e, const uint8_t *pkt, size_t len, bool rtcp);

/* The lane given at creation (NULL: none). */
struct okno_lane *okno_egress_lane(const struct okno_egress *e);

/* Any thread, lock-free: datagrams sent so far (direct or through ice), a count that only grows.
 * net/ice's consent tick reads it to tell an active connection from an idle one. */
uint64_t okno_egress_sent(const struct okno_egress *e);

/* Any thread: a snapshot of the counters. */
void okno_egress_stats(struct okno_egress *e, struct okno_egress_stats *out);

/* Owner's thread. Frees the egress (session, descriptor) once nothing queued names it: at once
 * without a lane, else on the egress worker after the packets queued before. NULL is ignored. */
void okno_egress_release(struct okno_egress *e);

#endif
