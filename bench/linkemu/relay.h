/* The link emulator's UDP glue: a relay on a GMainContext that listens on loopback ports and
 * forwards each datagram to a target through the `up` link model, and the target's replies back
 * through the `down` model. Per client source address of a port it keeps a NAT-like mapping with
 * its own upstream socket connected to the target, so the target sees the relay as the peer and
 * each client's replies find their way back. Several port mappings share the two models, as a
 * WebRTC peer's connections share one access link. A timerfd armed at the models' next departure
 * (and the schedule's next change) sends with microsecond precision; packet bytes wait in a pool
 * allocated at create, one slot per model slot, so nothing is allocated per packet.
 *
 * It deliberately binds loopback addresses only (a test tool must not relay the outside world),
 * speaks IPv4 only, never expires client mappings (bench runs are short) and drops datagrams
 * larger than OKNO_RELAY_MAX_DATAGRAM. */
#ifndef OKNO_BENCH_RELAY_H
#define OKNO_BENCH_RELAY_H

#include <glib.h>
#include <netinet/in.h>
#include <stdint.h>

#include "linkemu/link.h"
#include "linkemu/schedule.h"

#define OKNO_RELAY_MAX_DATAGRAM 2048
#define OKNO_RELAY_MAX_MAPPINGS 32

struct okno_relay_config {
    const struct okno_schedule *schedule; /* borrowed for the relay's life; NULL: a perfect link */
    uint64_t seed;                        /* the up model takes seed, the down model seed + 1 */
    size_t max_packets;                   /* per direction, queued plus in flight [4096] */
    size_t max_clients;                   /* per mapping [16] */
};

struct okno_relay_stats {
    struct okno_link_stats up, down;
    uint64_t clients;     /* client mappings made */
    uint64_t oversize;    /* datagrams above OKNO_RELAY_MAX_DATAGRAM, dropped */
    uint64_t refused;     /* datagrams from a new client beyond max_clients, dropped */
    uint64_t send_errors; /* datagrams the kernel would not take at departure */
    int64_t elapsed_us;   /* since the relay started */
    /* how late the departure timer's wakes came: the emulator's own timing error, added to
     * every delay it models */
    struct okno_qdelay_hist wake_late;
    int64_t wake_late_max_us;
};

struct okno_relay;

/* Parses "127.0.0.1:5000" (any 127.0.0.0/8 address, port 0..65535; port 0 only where a listen
 * address may be ephemeral) into *out. Returns 0, or OKNO_E_MALFORMED, or OKNO_E_DENIED for a
 * non-loopback address. */
int okno_relay_parse_addr(const char *text, struct sockaddr_in *out);

/* Makes a relay whose sources live on ctx (NULL: the global default context) and whose schedule
 * time starts at start_us (okno_clock_now_us() units). Returns 0 and the relay in *out (the
 * caller owns it: destroy it), OKNO_E_INVAL for a bad config or schedule (okno_schedule_check),
 * OKNO_E_IO (timerfd), OKNO_E_NOMEM. */
int okno_relay_create(GMainContext *ctx, const struct okno_relay_config *cfg, int64_t start_us,
                      struct okno_relay **out);

/* Listens on listen (port 0: an ephemeral port, see okno_relay_listen_port) and forwards to
 * target. Returns the mapping's index, or OKNO_E_DENIED (not loopback), OKNO_E_INVAL (target port
 * 0), OKNO_E_NOSPC (OKNO_RELAY_MAX_MAPPINGS), OKNO_E_IO (socket or bind failed; errno kept),
 * OKNO_E_NOMEM. */
int okno_relay_add_mapping(struct okno_relay *r, const struct sockaddr_in *listen,
                           const struct sockaddr_in *target);

/* The local port of mapping index, or OKNO_E_NOTFOUND. */
int okno_relay_listen_port(struct okno_relay *r, int index);

/* A snapshot of the counters, the models' included. */
void okno_relay_stats(struct okno_relay *r, struct okno_relay_stats *out);

/* Removes its sources from the context, closes every socket and frees it; packets still in the
 * models are dropped. Call it from the thread that iterates the context (from any other source's
 * callback too: the relay calls nothing of its owner's), or once no thread iterates it any more.
 * NULL is a no-op. The other calls may come from any thread. */
void okno_relay_destroy(struct okno_relay *r);

#endif
