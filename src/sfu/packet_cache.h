/* The retransmission history of one published RTP stream: the last N packets (after RTX unwrap), by
 * sequence number, with their arrival times, so that a subscriber's NACK can be answered from
 * memory. Slots of OKNO_MTU bytes are allocated once at create; storing copies the packet into the
 * slot its sequence number maps to, overwriting whatever was N numbers before it, so the media path
 * allocates nothing. Sequence numbers are unwrapped against the newest one stored, and a slot
 * answers only for the exact unwrapped number it holds, so a lookup never returns a packet from an
 * earlier turn of the 16-bit counter.
 *
 * It deliberately does not parse the payload, rewrite headers for a subscriber, or remember who was
 * sent what and when: the downtrack does that per subscriber (its own SSRC, sequence numbers and
 * retransmission throttle). */
#ifndef OKNO_SFU_PACKET_CACHE_H
#define OKNO_SFU_PACKET_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "sfu/mtu.h"

/* The largest cache: 12 MB of slots, 8 s of a 1,000 packet/s stream. Well below half the 16-bit
 * space, so a lookup's unwrapping is never ambiguous. */
#define OKNO_PACKET_CACHE_MAX_SLOTS 8192

/* A packet arriving this many sequence numbers behind the newest one is not a late packet (it would
 * be seconds late) but a sender that restarted its counter: the cache empties and starts over. */
#define OKNO_PACKET_CACHE_RESTART_GAP 16384

struct okno_packet_cache;

/* A cached packet. data points into the cache: it stays valid until the next store or clear on the
 * same cache (a store may overwrite that very slot). */
struct okno_cached_packet {
    const uint8_t *data; /* the whole RTP packet as stored */
    size_t len;
    uint16_t seq;
    int64_t arrival_us; /* the now_us given to the store */
};

struct okno_packet_cache_stats {
    uint64_t stored;     /* packets copied in */
    uint64_t duplicates; /* a sequence number already held, left as it was */
    uint64_t too_old;    /* behind the window, refused */
    uint64_t restarts;   /* jumps back by OKNO_PACKET_CACHE_RESTART_GAP or more, which emptied it */
    uint64_t hits;       /* lookups answered */
    uint64_t misses;     /* lookups for a packet not held (never arrived, overwritten, too old) */
};

/* Allocates a cache of `slots` packets: a power of two from 1 to OKNO_PACKET_CACHE_MAX_SLOTS (1024
 * suits video, 128 audio). Returns 0 and the cache in *out (the caller owns it: destroy it),
 * OKNO_E_INVAL for another count, OKNO_E_NOMEM. *out is untouched on error. */
int okno_packet_cache_create(size_t slots, struct okno_packet_cache **out);

/* Frees the cache; every view it handed out dies with it. NULL is a no-op. */
void okno_packet_cache_destroy(struct okno_packet_cache *pc);

/* Copies the RTP packet pkt[0..len) into the slot of its sequence number (read from the header),
 * recording now_us as its arrival time. Returns 0; OKNO_E_TRUNCATED for fewer bytes than an RTP
 * header; OKNO_E_VERSION for a version other than 2; OKNO_E_NOSPC above OKNO_MTU bytes;
 * OKNO_E_EXISTS when that sequence number is already held (the first copy and its arrival time are
 * kept: a duplicate is the same packet); OKNO_E_RANGE when it is N or more behind the newest (it
 * would evict a newer packet). A jump back of OKNO_PACKET_CACHE_RESTART_GAP or more empties the
 * cache and stores the packet as the first of a new stream. A successful store invalidates the
 * view of any packet previously returned from the same slot (and, on a restart, all views). Reads
 * only pkt; it is not kept. */
int okno_packet_cache_store(struct okno_packet_cache *pc, const uint8_t *pkt, size_t len,
                            int64_t now_us);

/* Looks up the packet with sequence number seq (unwrapped against the newest stored; a packet more
 * than N behind is found only while its slot has not been reused). Returns 0 with *out filled
 * (views into the cache, see struct okno_cached_packet) or OKNO_E_NOTFOUND (*out untouched).
 * Invalidates nothing; counts a hit or a miss. */
int okno_packet_cache_get(struct okno_packet_cache *pc, uint16_t seq,
                          struct okno_cached_packet *out);

/* Forgets every packet (for instance when the publisher's stream is replaced); the next store
 * starts a new window. Invalidates every view. Counters are kept. */
void okno_packet_cache_clear(struct okno_packet_cache *pc);

/* The slot count given at create. */
size_t okno_packet_cache_slots(const struct okno_packet_cache *pc);

/* A snapshot of the counters. */
void okno_packet_cache_stats(const struct okno_packet_cache *pc,
                             struct okno_packet_cache_stats *out);

#endif
