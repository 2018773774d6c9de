/* okno-bench load's client population: publishers that replay the pre-encoded media loop at the
 * real rate and receive-only subscribers that count what they get (a few also decode), spread over
 * worker threads, each with its own GMainContext (a session needs its context as the thread
 * default): the subscribers take turns on cfg.threads workers, the publishers share one of their
 * own and the latency-measuring subscribers another. The controller (the caller, on its own thread)
 * adds clients, waits until they are all up, and opens and closes measurement windows; every call
 * runs the work on the worker threads and returns when they are done, so the figures are consistent
 * without locks on the packet path.
 *
 * What a window measures:
 * - every subscriber's packets and bytes, and its loss from sequence gaps per track (the numbers
 *   the server wrote: a packet the server dropped before numbering is not seen as lost, so the
 *   controller also compares with what publishers sent);
 * - latency from the publisher's send call to the subscriber's receive callback, matched per
 *   packet by its template (media_loop.h) and the publisher's last send time of that template;
 * - the same path without a server: each worker sends a small UDP datagram every 20 ms to the next
 *   worker's socket on its loop; its latency is the baseline the server's added latency is counted
 *   from (scheduling of the generator's own loops, loopback);
 * - decoders: frames decoded and freezes (webrtc-stats' definition) of the decoding subscribers;
 * - each worker thread's CPU time, so a saturated generator is recognised.
 * Deliberately not here: the server's figures (server_proc.h), pass/fail, reporting. */
#ifndef OKNO_BENCH_LOAD_CLIENTS_H
#define OKNO_BENCH_LOAD_CLIENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "client/session.h"
#include "load/media_loop.h"

#define OKNO_LOAD_MAX_ROOMS 256

struct okno_load_clients_config {
    enum okno_bench_target target;
    const char *server;      /* borrowed, as the session's */
    const char *room_prefix; /* okno: room r is "PREFIX-r" */
    uint64_t janus_room;     /* Janus: room r is janus_room + r */
    const char *pub_role, *sub_role, *token, *address;
    unsigned timeout_ms;
    unsigned threads;  /* the subscribers' workers, 1..16 */
    unsigned decoders; /* per room: subscribers that decode video */
    /* Per room: subscribers that measure latency, on a worker of their own so their packets do
     * not queue behind the other subscribers' (0: every subscriber measures, no extra worker). */
    unsigned latency_probes;
    /* Per room: of the subscribers that neither measure latency nor decode, one in verify_every
     * still authenticates and decrypts every packet (so corruption would show as client_rx_drops);
     * the others only read the clear RTP header (0 or 1: all verify). */
    unsigned verify_every;
    /* With latency probes: the other subscribers' workers wake at most every batch_us (0: on
     * every datagram), timers included, so one GLib iteration serves many sockets and each
     * socket gives several datagrams a dispatch (batch.h); the probes' and the publishers'
     * workers always wake at once. */
    unsigned batch_us;
    unsigned remb_kbps; /* every subscriber's REMB, sent once a second (0: none) */
    /* Publishers pace as libwebrtc does: at pace_factor x the media's rate, in the worker's 5 ms
     * ticks, a packet leaving while budget is left (0: every frame leaves as one burst). */
    double pace_factor;
    const struct okno_media_loop *media; /* borrowed; outlives the clients */
    const struct okno_cert *cert;        /* borrowed; outlives the clients */
};

struct okno_load_window {
    double seconds;
    uint64_t sent_pkts;          /* by publishers */
    uint64_t rx_pkts, rx_bytes;  /* by subscribers, RTX excluded */
    uint64_t expected, lost;     /* from sequence numbers, summed over tracks */
    uint64_t matched, unmatched; /* packets whose send time was (not) found */
    /* ms, publisher send to the subscriber socket's kernel receive stamp (to the receive callback
     * for a packet without one); NAN: none */
    double lat_p50, lat_p95, lat_p99;
    double base_p50, base_p95, base_p99; /* ms, the same without a server */
    double read_p50, read_p95, read_p99; /* ms, kernel stamp to the probes' receive callback */
    uint64_t stamped;                    /* latency samples that had a kernel stamp */
    uint64_t base_n;
    unsigned decoding_tracks;
    uint64_t frames_decoded, freezes, decode_errors;
    double worker_cpu_max_pct; /* the busiest worker thread, % of one core */
    double worker_cpu_sum_pct;
    int64_t send_lag_max_us; /* how late the publishers' sends ran behind their schedule */
    /* Packets the clients' own transports dropped (net/peer.h's counters): received ones that
     * did not unprotect or came garbled, and sends the socket refused. Loss the generator caused,
     * not the server. */
    uint64_t client_rx_drops, client_send_drops;
    /* Datagrams the kernel dropped because a client socket's receive buffer was full: the
     * generator read them too late (its batching, or a starved worker), loss it caused. */
    uint64_t client_socket_drops;
    double process_cpu_s;   /* the whole generator process's user + system CPU in the window */
    uint64_t rx_unverified; /* of rx_pkts: counted from the clear header only */
};

struct okno_load_clients;

/* Starts the worker threads. Returns 0 with *out, OKNO_E_INVAL, OKNO_E_IO (a probe socket). */
int okno_load_clients_create(const struct okno_load_clients_config *cfg,
                             struct okno_load_clients **out);
/* Closes every session (bounded: a few seconds) and stops the threads. NULL: a no-op. */
void okno_load_clients_destroy(struct okno_load_clients *c);

/* Adds n publishers (audio + video) or n receive-only subscribers to room (< OKNO_LOAD_MAX_ROOMS);
 * a room's first latency_probes subscribers measure latency, the next `decoders` decode video.
 * Returns 0 or the session's start error. */
int okno_load_clients_add_publishers(struct okno_load_clients *c, unsigned room, unsigned n);
int okno_load_clients_add_subscribers(struct okno_load_clients *c, unsigned room, unsigned n);

/* Closes the n counting subscribers (neither latency probes nor decoders) last added to room, so a
 * ramp can step back down. Returns 0, or OKNO_E_RANGE when the room has fewer of them. */
int okno_load_clients_remove_subscribers(struct okno_load_clients *c, unsigned room, unsigned n);

/* Waits until every publisher publishes and every subscriber receives packets on audio and video
 * of every publisher of its room, or until a client failed or timeout_ms passed. Returns 0; the
 * failure's code (OKNO_E_IO, OKNO_E_DENIED, ...) with *message (owned by the caller, g_free) set;
 * or OKNO_E_TIMEOUT with *message saying how many are not up. */
int okno_load_clients_wait_ready(struct okno_load_clients *c, unsigned timeout_ms, char **message);

/* A client failed since the start (the first failure's code, *message as above), or 0. */
int okno_load_clients_failed(struct okno_load_clients *c, char **message);

void okno_load_clients_window_start(struct okno_load_clients *c);
void okno_load_clients_window_end(struct okno_load_clients *c, struct okno_load_window *out);

#endif
