/* The downtrack: one subscriber's copy of one published track. For every packet of the track it
 * decides whether this subscriber gets it (which simulcast encoding it follows, how many temporal
 * layers, waiting for a key frame after a switch) and writes the rewritten packet: the subscriber's
 * SSRC and payload type, continuous sequence numbers and timestamps (sfu/rtp_munger.h), continuous
 * VP8 picture IDs and TL0PICIDX (wire/vp8_munger.h), and the header extensions the subscriber
 * negotiated, renumbered, with its own mid. It answers the subscriber's NACKs from the publisher's
 * packet cache, RTX-wrapped when RTX was negotiated, and keeps the counters a stats snapshot reads.
 * It is a plain struct driven with now_us, allocated once at create; the media path allocates
 * nothing. It deliberately does not choose layers (the allocator gives it a target), does not send
 * or protect packets (the caller does, through the pacer), does not hold the packet cache (the
 * track does), and does not parse RTCP (the caller hands it NACKed sequence numbers). */
#ifndef OKNO_SFU_DOWNTRACK_H
#define OKNO_SFU_DOWNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/packet_cache.h"
#include "wire/rtp.h"

/* Longest mid the downtrack writes: the one-byte extension form's 16 bytes. */
#define OKNO_DOWNTRACK_MID_MAX 16
/* Header extension elements carried over per packet; more (never seen from a browser) are
 * dropped. */
#define OKNO_DOWNTRACK_MAX_EXT 16

/* Which publisher extension id becomes which subscriber id. Ids absent from the map are removed
 * (rid, repaired-rid, the publisher's mid and anything the subscriber did not negotiate). */
struct okno_downtrack_ext_map {
    uint8_t from; /* the publisher's id, 1-255 */
    uint8_t to;   /* the subscriber's id, 1-255 */
};

/* The subscriber's negotiated parameters. Everything is copied at create. */
struct okno_downtrack_params {
    uint32_t ssrc;
    uint8_t pt;
    uint32_t clock_rate; /* Hz; 0 means 90000 */
    bool rtx;            /* RTX negotiated: retransmissions go as rtx_pt on rtx_ssrc */
    uint32_t rtx_ssrc;
    uint8_t rtx_pt;
    bool vp8; /* the payload is VP8: munge picture IDs, honour temporal layers and key frames */
    const struct okno_downtrack_ext_map *ext_map;
    size_t n_ext_map;
    uint8_t mid_id; /* the subscriber's sdes:mid id; 0: no mid written */
    const char *mid;
    /* The subscriber's ids of transport-wide-cc and abs-send-time (0: not negotiated). Every
     * packet written, retransmissions too, carries them with zero values, for the transport's
     * sender to stamp in place (sfu/sub_bwe.h) just before protecting it; a packet that would not
     * fit its buffer with them goes without. */
    uint8_t twcc_id;
    uint8_t abs_send_time_id;
    /* Retransmission bounds; 0 picks the default. A sequence number is resent at most once per
     * nack_interval_us (until okno_downtrack_set_rtt gives a measured one); packets that arrived
     * more than nack_max_age_us ago are not resent, the subscriber's jitter buffer has moved on. */
    int64_t nack_interval_us; /* default 100 ms */
    int64_t nack_max_age_us;  /* default 1 s */
    /* Playout deadline of a packet: one whose age (since it arrived, or, recovered from the
     * publisher, since it was expected) plus half the subscriber's RTT exceeds the budget can no
     * longer be played and is not sent again. With budget_adds_rtt the budget grows by the RTT
     * (a receiver that NACKs holds video about an RTT longer). 0: only nack_max_age_us applies.
     * Whatever the budget, a packet recovered late from before a key frame sent to the
     * subscriber since is not forwarded either: its decoder started again at the key frame. */
    int64_t playout_budget_us;
    bool budget_adds_rtt;
    /* How often, at most, a missing key frame is asked for again; default 500 ms. */
    int64_t keyframe_interval_us;
};

/* Events up to the owner. Called from within the downtrack's functions, on the owner's thread. */
struct okno_downtrack_listener {
    /* The downtrack waits for a key frame of source_ssrc (a switch, a resume, or none came yet):
     * ask the publisher (PLI). Repeated at most every keyframe_interval_us while it waits. May be
     * NULL. */
    void (*on_keyframe_needed)(void *ud, uint32_t source_ssrc);
    void *ud;
};

/* Why packets were not sent. */
enum okno_downtrack_drop {
    OKNO_DOWNTRACK_DROP_NOT_SELECTED = 0, /* another encoding than the one followed */
    OKNO_DOWNTRACK_DROP_TEMPORAL,         /* a temporal layer above the target */
    OKNO_DOWNTRACK_DROP_WAIT_KEYFRAME,    /* the target encoding before its key frame */
    OKNO_DOWNTRACK_DROP_PAUSED,           /* the owner set no target */
    OKNO_DOWNTRACK_DROP_PADDING,          /* no payload: probing padding, not for the subscriber */
    OKNO_DOWNTRACK_DROP_LATE,             /* from before a switch, or too late to number */
    OKNO_DOWNTRACK_DROP_MALFORMED,        /* a payload descriptor that does not parse */
    OKNO_DOWNTRACK_DROP_COUNT
};

/* Counters since create; a snapshot reads them with okno_downtrack_stats. */
struct okno_downtrack_stats {
    uint64_t packets_sent;
    uint64_t bytes_sent; /* written packets, header included, before SRTP */
    uint64_t dropped[OKNO_DOWNTRACK_DROP_COUNT];
    uint64_t keyframes_forwarded;
    uint64_t keyframe_requests; /* on_keyframe_needed calls */
    uint64_t nacked;            /* sequence numbers asked for */
    uint64_t retransmitted;
    uint64_t retransmitted_bytes;
    uint64_t nack_not_found;  /* never sent, or no longer in the ring or the cache */
    uint64_t nack_too_old;    /* past nack_max_age_us or the playout deadline: not resent */
    uint64_t nack_suppressed; /* resent less than an interval ago */
    uint64_t forwarded_late;  /* recovered from the publisher, sent (okno_downtrack_forward_late) */
    uint64_t late_too_late;   /* recovered from the publisher past the playout deadline, or from
                                 before a key frame sent since: not sent */
};

struct okno_downtrack;

/* Allocates a downtrack (all of its memory: the media path allocates nothing). The listener may be
 * NULL. Returns 0 and *out (the caller owns it: okno_downtrack_destroy); OKNO_E_INVAL for a pt or
 * rtx_pt above 127, an extension id of 0, a mid longer than OKNO_DOWNTRACK_MID_MAX or empty with a
 * mid_id, more than OKNO_DOWNTRACK_MAX_EXT map entries, a twcc_id or abs_send_time_id above 14 or
 * equal to another id, or a negative interval; OKNO_E_NOMEM.
 * Nothing in params is kept. */
int okno_downtrack_create(const struct okno_downtrack_params *params,
                          const struct okno_downtrack_listener *listener,
                          struct okno_downtrack **out);

/* Frees the downtrack. NULL is a no-op. */
void okno_downtrack_destroy(struct okno_downtrack *dt);

/* Sets the layers to forward: source_ssrc is the encoding to follow (0 pauses the downtrack: the
 * next packets are dropped without a gap in the numbering), max_tid the highest VP8 temporal
 * layer (3 for all). A different encoding is switched to at its next key frame, the current one
 * kept until then; a temporal downgrade applies at the next frame, an upgrade at a frame that
 * starts a layer sync (RFC 7741 Y bit) or a key frame. For audio (vp8 false) a new source is
 * switched to at once. Calls on_keyframe_needed when a key frame is now awaited. Returns 1 when a
 * key frame is awaited, else 0; never fails. */
int okno_downtrack_set_target(struct okno_downtrack *dt, uint32_t source_ssrc, uint8_t max_tid,
                              int64_t now_us);

/* Gives up the chain being forwarded (a video whose packets the subscriber's bottleneck lost
 * faster than retransmission can bring them): every packet of the target encoding is dropped,
 * without a gap in the numbering, until its next key frame, and NACKs of what arrived before are
 * not answered. The key frame is asked for (on_keyframe_needed) with the first packet dropped
 * drain_us from now or later, so that it meets a bottleneck queue emptied of what was sent before
 * (at once when drain_us <= 0). Returns 1, or 0 with nothing done for audio, a paused downtrack or
 * one that has sent nothing yet. */
int okno_downtrack_restart(struct okno_downtrack *dt, int64_t drain_us, int64_t now_us);

/* The encoding whose key frame is awaited, or 0 when none is. */
uint32_t okno_downtrack_awaited_keyframe(const struct okno_downtrack *dt);

/* The encoding being forwarded (until the awaited key frame switches it), or 0 before the first. */
uint32_t okno_downtrack_current(const struct okno_downtrack *dt);

/* Forwards one packet of the track, parsed into *in from pkt[0..len) (in->raw must be pkt), at
 * now_us. Writes the subscriber's packet into out[0..cap), which must not overlap pkt. Returns its
 * length (the caller protects and sends it); 0 when the packet is not for this subscriber (counted
 * by reason, out untouched); OKNO_E_INVAL when in does not describe pkt; OKNO_E_NOSPC when cap
 * cannot hold the packet (then nothing changes, the packet can be forwarded again with a larger
 * buffer). Padding and the P bit are not carried over. Nothing in or pkt points to is kept. */
int okno_downtrack_forward(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                           const uint8_t *pkt, size_t len, int64_t now_us, uint8_t *out,
                           size_t cap);

/* Forwards a packet that okno recovered from the publisher (it came as RTX after okno's NACK) and
 * that its subscribers never had: the numbering kept a gap for it (sfu/rtp_munger.h), so it goes
 * out under the number that gap left. expected_us is when it should have arrived (when its gap
 * was seen). Past the playout deadline, or when the subscriber has been sent a key frame since
 * expected_us, it is not sent (late_too_late); else it takes the same
 * decisions as okno_downtrack_forward, and when RTX was negotiated it is written RTX-wrapped (a
 * retransmission to the subscriber, with the downtrack's RTX sequence number) and counts as
 * resent, so a NACK for it crossing on the way is not answered twice. Writes into out[0..cap)
 * (not overlapping pkt) and returns the length, 0 when not sent, or the codes of
 * okno_downtrack_forward. */
int okno_downtrack_forward_late(struct okno_downtrack *dt, const struct okno_rtp_pkt *in,
                                const uint8_t *pkt, size_t len, int64_t expected_us, int64_t now_us,
                                uint8_t *out, size_t cap);

/* Whether a packet that arrived (or was expected) at arrival_us can still be played by the
 * subscriber at now_us (see playout_budget_us). */
bool okno_downtrack_in_time(const struct okno_downtrack *dt, int64_t arrival_us, int64_t now_us);

/* Finds the cached original of the packet with sequence number seq of encoding source_ssrc
 * (okno_packet_cache_get on that encoding's cache). Returns 0 and fills *out, or a negative code.
 */
typedef int (*okno_downtrack_cache_fn)(void *ctx, uint32_t source_ssrc, uint16_t seq,
                                       struct okno_cached_packet *out);
/* Receives one retransmission, ready to protect and send; pkt is valid during the call only. */
typedef void (*okno_downtrack_emit_fn)(void *ctx, const uint8_t *pkt, size_t len);

/* Answers a subscriber's NACK for the output sequence numbers seqs[0..n): each is mapped back to
 * the original, fetched with lookup, rewritten as it was first sent and emitted, RTX-wrapped with
 * the downtrack's own RTX sequence number when RTX was negotiated. A number resent less than the
 * retransmission interval ago, one not found, and one whose original is older than nack_max_age_us
 * are skipped and counted. Returns the number of packets emitted; never fails. Views from lookup
 * are used before the next lookup call only. */
int okno_downtrack_on_nack(struct okno_downtrack *dt, const uint16_t *seqs, size_t n,
                           okno_downtrack_cache_fn lookup, void *lookup_ctx, int64_t now_us,
                           okno_downtrack_emit_fn emit, void *emit_ctx);

/* Sets the retransmission interval from a measured round-trip time (clamped to 10 ms - 1 s), and
 * the RTT the playout deadline counts with (clamped to 0 - 1 s). */
void okno_downtrack_set_rtt(struct okno_downtrack *dt, int64_t rtt_us);

/* Copies the counters into *out. */
void okno_downtrack_stats(const struct okno_downtrack *dt, struct okno_downtrack_stats *out);

#endif
