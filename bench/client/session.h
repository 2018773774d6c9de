/* One okno-bench participant: the signalling client, the publisher and subscriber transports and
 * their SDP, composed the way a browser tab would be. The owner publishes by handing RTP packets
 * (Opus on pt 111, VP8 on pt 96, RTX on 97, with the SSRCs this session chose and put in its offer)
 * to okno_bench_session_send_rtp, and receives by giving each subscribed track a sink when the
 * session announces it. This is where bench/media plugs in.
 *
 * Deliberately not here: media itself (encoding, packetizing, pacing, RTCP reports, NACK) and
 * reporting; the owner does those. Renegotiating the publisher (adding a track later) is not
 * supported: the offer is made once at join with the tracks the config asks for. All functions and
 * callbacks run on the context given at start, which must be the thread default (see
 * signal_client.h). */
#ifndef OKNO_BENCH_CLIENT_SESSION_H
#define OKNO_BENCH_CLIENT_SESSION_H

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "client/client_peer.h"
#include "client/client_sdp.h"
#include "net/cert.h"
#include "net/peer.h"

struct okno_bench_session;

/* Which SFU the session talks to: okno's protocol, or a Janus VideoRoom (Janus 1.x). */
enum okno_bench_target {
    OKNO_BENCH_TARGET_OKNO = 0,
    OKNO_BENCH_TARGET_JANUS,
};

struct okno_bench_session_config {
    enum okno_bench_target target; /* default: okno */
    const char *server;            /* okno: ws://host:port/ws; Janus: ws://host:8188/ */
    /* okno's room and role (Janus: unused, may be NULL); the display name for both. */
    const char *room, *role, *name;
    uint64_t janus_room; /* Janus: the VideoRoom number; 0: 1234 */
    const char *token;   /* NULL: none */
    const char *address; /* local host candidate address; NULL: every address */
    unsigned timeout_ms; /* bounds the connection, each request and each transport's set-up */
    bool audio, video, simulcast;
    /* RFC 2198 RED for audio, both ways: offered before Opus (sent when the answer keeps it) and
     * accepted in subscriber offers. */
    bool audio_red;
    /* Applied to the server's candidates (both transports) and to ours before they are
     * signalled; NULL: none. See client_peer.h. */
    okno_client_candidate_filter candidate_filter;
    void *filter_arg;
};

/* Receives the RTP of one subscribed track (RTX included, as it arrives); pkt is the transport's
 * scratch, valid during the call. */
typedef void (*okno_bench_rtp_sink)(void *arg, const struct okno_client_sub_track *track,
                                    uint8_t *pkt, size_t len, int64_t now_us);

/* Events up to the owner; any may be NULL. The owner may close the session from each of them. */
struct okno_bench_session_listener {
    void (*on_joined)(void *owner, const char *participant, json_t *joined);
    /* The publisher transport is up: okno_bench_session_send_rtp works from now on. */
    void (*on_publishing)(void *owner);
    /* A subscriber section now carries a track (slot: its m= position, stable over
     * renegotiations); set its sink with okno_bench_session_set_sink. Also called when a slot is
     * reused for another track. */
    void (*on_track)(void *owner, unsigned slot, const struct okno_client_sub_track *track);
    /* One compound RTCP datagram from the server, on the subscriber transport (subscriber true)
     * or the publisher's; pkt is the transport's scratch, valid during the call. */
    void (*on_rtcp)(void *owner, bool subscriber, uint8_t *pkt, size_t len, int64_t now_us);
    /* Server events that are not handled here (participant_joined, track_published, ...). */
    void (*on_event)(void *owner, const char *type, json_t *msg);
    /* The session cannot go on: err is OKNO_E_IO (server unreachable), OKNO_E_DENIED (join
     * refused), OKNO_E_TIMEOUT (no reply, or a transport that did not connect in time),
     * OKNO_E_CLOSED (the server closed the socket) or another negative code (protocol error,
     * transport failure). message is human text valid for the call. The owner should close. */
    void (*on_failed)(void *owner, int err, const char *message);
};

/* Connects and joins; publishing follows the join, subscribing follows the server's offers. cert
 * is borrowed and must outlive the session; config strings are copied; ctx is borrowed. A config
 * with neither audio nor video is a receive-only participant: it joins and subscribes, never
 * publishes (no on_publishing). Returns 0 and *out, or OKNO_E_INVAL for a missing argument or a
 * bad URL. */
int okno_bench_session_start(GMainContext *ctx, const struct okno_bench_session_config *cfg,
                             const struct okno_cert *cert,
                             const struct okno_bench_session_listener *listener, void *owner,
                             struct okno_bench_session **out);

/* The SSRCs the offer announced (0 for a kind not published; rtx for video's RTX). */
/* Whether the server's answer kept RED first for audio: the sender then wraps Opus in RED. */
bool okno_bench_session_sends_red(const struct okno_bench_session *s);
/* The start rate the server's answer asked of the video sender (x-google-start-bitrate, as
 * Chromium reads it), kbit/s; 0: none. */
uint32_t okno_bench_session_video_start_kbps(const struct okno_bench_session *s);

/* The subscriber transport hands RTP to the sinks still protected, neither authenticated nor
 * decrypted (okno_client_peer_set_rtp_unverified): for receivers that only count sequence numbers
 * and bytes. Applies to the subscriber transport now or when it is created. */
void okno_bench_session_set_rtp_unverified(struct okno_bench_session *s, bool on);

void okno_bench_session_ssrcs(const struct okno_bench_session *s, uint32_t *audio, uint32_t *video,
                              uint32_t *rtx);

/* Protects and sends one RTP packet (or compound RTCP) on the publisher transport; pkt is not
 * modified. Returns 0, OKNO_E_STATE before on_publishing, or okno_client_peer_send_*'s errors. */
int okno_bench_session_send_rtp(struct okno_bench_session *s, const uint8_t *pkt, size_t len);
int okno_bench_session_send_rtcp(struct okno_bench_session *s, const uint8_t *pkt, size_t len);
/* One compound RTCP datagram on the subscriber transport (receiver reports, NACK, PLI,
 * transport-cc feedback); OKNO_E_STATE before it exists. */
int okno_bench_session_send_sub_rtcp(struct okno_bench_session *s, const uint8_t *pkt, size_t len);

/* Sets (fn NULL: clears) the sink of a subscriber slot. Returns 0 or OKNO_E_RANGE. */
int okno_bench_session_set_sink(struct okno_bench_session *s, unsigned slot, okno_bench_rtp_sink fn,
                                void *arg);

/* The current subscriber sections (n_tracks 0 before the first offer); valid until the next
 * on_track or the close. */
const struct okno_client_sub_offer *
okno_bench_session_subscriptions(const struct okno_bench_session *s);

/* Inside a subscriber slot's sink only: when the kernel took in the packet being delivered
 * (okno_peer_rx_time; OKNO_E_STATE before the subscriber transport exists). */
int okno_bench_session_sub_rx_time(const struct okno_bench_session *s, int64_t *mono_us);

/* Transport counters; zeros for a transport that does not exist (yet). */
void okno_bench_session_stats(const struct okno_bench_session *s, struct okno_peer_stats *pub,
                              struct okno_peer_stats *sub);

/* Leaves: closes the socket and both transports; on_closed(arg) runs on the context once the
 * transports are gone (may be NULL). The listener and sinks are not called again. Invalidates s
 * (its memory goes once the loop is back, so closing from a callback is safe). NULL: a no-op. */
void okno_bench_session_close(struct okno_bench_session *s, void (*on_closed)(void *arg),
                              void *arg);

#endif
