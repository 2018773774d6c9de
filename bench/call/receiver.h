/* okno-bench's receiving side of one subscribed track, the way a browser's receiver behaves: RTX
 * unwrap, NACK generation (okno's own nack_generator, RTT-aware), VP8 depacketize / assemble /
 * decode, capture-to-decode latency from the frame code, PSNR against the regenerated source, PLI
 * when the decoder cannot go on (rate-limited, never FIR); Opus through a 10 ms playout jitter
 * buffer with in-band FEC (no NACK for audio, like browsers); receiver reports with LSR/DLSR from
 * the server's SR. okno_rx_transport (below) is the per-transport part: transport-cc feedback or
 * a REMB, received bitrate. Everything is driven with now_us by the owner: no GLib sources, no
 * threads, nothing allocated per packet. It deliberately does not decrypt (the owner hands
 * unprotected packets), demultiplex tracks or decide what a good run is. */
#ifndef OKNO_BENCH_CALL_RECEIVER_H
#define OKNO_BENCH_CALL_RECEIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/metrics.h"

struct okno_receiver_config {
    bool video;
    uint32_t ssrc, rtx_ssrc; /* 0: take the first media / rtx SSRC seen */
    int pt, rtx_pt;          /* -1: any / none */
    unsigned src_width, src_height;
    uint32_t src_seed;   /* publisher's synthetic source, for PSNR; 0 size: no PSNR */
    bool decode;         /* false: count packets/bytes/frames only (load mode), no decode/PSNR */
    int64_t start_us;    /* metrics start */
    size_t timeline_s;   /* timeline capacity in seconds */
    uint32_t local_ssrc; /* our RTCP sender SSRC */
    /* Sends one compound RTCP packet (unprotected); must not call back into the receiver. */
    int (*send_rtcp)(void *arg, const uint8_t *pkt, size_t len);
    void *arg; /* borrowed */
    /* added after the first version */
    int64_t nack_wait_us;   /* how long a missing video packet is waited for before the frames it
                               belongs to are given up: room for NACK round trips and a
                               re-NACK, at least 3 RTT + 100 ms; 0: 1 s (browsers keep asking
                               for longer) */
    int64_t audio_delay_us; /* audio playout delay after the first packet; 0: 60 ms. With
                               audio_fixed false, where the adaptive jitter buffer starts */
    /* PSNR is measured on one decoded frame per interval: regenerating the reference costs about
     * 5 ms at 640x360 (20 at 1280x720), too much CPU for every frame of every receiver on a
     * small machine. 0: 200 ms (5 frames a second); negative: every frame. */
    int64_t psnr_interval_us;
    /* true: the audio jitter buffer keeps audio_delay_us (comparable runs); false (default): it
     * adapts its delay to the arrivals like a browser's NetEq (media/audio_receiver.h) */
    bool audio_fixed;
    /* Audio: the payload type of RFC 2198 RED around pt (what the answer kept); -1 or 0: none.
     * RED packets are unpacked and their redundant blocks fill the gaps they cover. */
    int red_pt;
};

struct okno_receiver;

/* Makes a receiver (the owner destroys it). Every buffer it will use is allocated here. Returns 0;
 * OKNO_E_INVAL for no send_rtcp, a payload type outside -1..127, pt equal to rtx_pt, a negative
 * wait or delay, timeline_s 0, or a source size the synthetic camera refuses (below 64x36);
 * OKNO_E_NOMEM; OKNO_E_IO when libvpx or libopus refuse to start. *out is NULL on error. */
int okno_receiver_create(const struct okno_receiver_config *cfg, struct okno_receiver **out);
void okno_receiver_destroy(struct okno_receiver *r);
/* One unprotected RTP packet (media or RTX) of this track arrived at now_us; pkt may be modified
 * in place. Garbage, a wrong payload type and packets of other SSRCs are counted in garbage, never
 * fatal. May call send_rtcp (a PLI). After 50 packets in a row that the assembler calls late (the
 * sender's numbers jumped back), video assembly starts afresh: the one allocation on this path. */
void okno_receiver_on_rtp(struct okno_receiver *r, uint8_t *pkt, size_t len, int64_t now_us);
/* A (compound) RTCP packet from the subscriber transport; parts about other SSRCs are ignored. */
void okno_receiver_on_rtcp(struct okno_receiver *r, const uint8_t *pkt, size_t len, int64_t now_us);
/* Timers (NACK, RR, PLI retry, audio playout, assembler waits) due by now_us; returns the next
 * due time (INT64_MAX before the first packet). A packet can bring the next due time forward:
 * poll again after okno_receiver_on_rtp to re-arm the owner's timer. */
int64_t okno_receiver_poll(struct okno_receiver *r, int64_t now_us);
/* The round trip time to the server (the owner measures it, e.g. from the publisher transport's
 * reports); paces re-NACKs and PLIs. <= 0: unknown (100 ms is assumed). */
void okno_receiver_set_rtt(struct okno_receiver *r, int64_t rtt_us);
/* The metrics (owned by the receiver; utilization is the owner's to fill). */
struct okno_stream_metrics *okno_receiver_metrics(struct okno_receiver *r);

struct okno_receiver_stats {
    uint64_t packets, bytes, rtx_packets, duplicates, lost, recovered, late, nacks_sent, nack_items,
        plis_sent;
    uint64_t frames_assembled, frames_decoded, decode_errors, undecodable_frames;
    uint32_t ssrc;
    int64_t jitter_us;
    /* added after the first version */
    uint64_t garbage;         /* unparsable RTP/RTCP, wrong pt */
    uint64_t rrs_sent;        /* receiver reports sent */
    int64_t rtt_us;           /* as last given to okno_receiver_set_rtt, else -1 */
    uint64_t audio_fec_slots; /* 10 ms slots recovered from the next packet's FEC */
    uint64_t restarts;        /* video: the sequence jumped back and assembly started again */
    /* Where a decoded frame's latency went, mean over the frames with a readable code (ms, -1:
     * none): capture to the arrival of its last packet (sender, pacer, network, server), and that
     * arrival to decoded (waiting for missing packets or earlier frames, decoding). */
    double transit_ms, receive_ms;
    /* Audio playout delay above the fastest packet of the last 2 s (ms): mean over the slots
     * played, now, and the adaptive target now; webrtc-stats' jitterBufferDelay per emitted slot
     * (arrival to playout, ms); 10 ms slots stretched in (deceleration) and out (acceleration).
     * -1 / 0 for video. */
    double audio_delay_ms, audio_delay_last_ms, audio_target_ms, audio_jb_delay_ms;
    uint64_t audio_inserted_slots, audio_removed_slots;
    uint64_t audio_red_recovered; /* lost packets taken from a later RED packet's blocks in time */
    uint64_t media_bytes; /* bytes of packets not received before (RTX unwrapped), padding not */
};
void okno_receiver_stats(const struct okno_receiver *r, struct okno_receiver_stats *out);

/* --- per receiving transport ------------------------------------------------------------------ */

struct okno_rx_transport; /* transport-wide feedback for one receiving transport */

struct okno_rx_transport_config {
    int ext_twcc, ext_abs_send_time; /* negotiated extension ids, 0: none */
    bool remb;                       /* goog-remb negotiated (used only without transport-cc) */
    uint32_t local_ssrc;
    int (*send_rtcp)(void *arg, const uint8_t *pkt, size_t len);
    void *arg; /* borrowed */
    /* added after the first version */
    int64_t start_us;  /* timeline start */
    size_t timeline_s; /* timeline capacity in seconds; 0: no timeline */
};

/* Returns 0, OKNO_E_INVAL, OKNO_E_NOMEM. */
int okno_rx_transport_create(const struct okno_rx_transport_config *cfg,
                             struct okno_rx_transport **out);
void okno_rx_transport_destroy(struct okno_rx_transport *t);
/* Every unprotected RTP packet arriving on the transport (all tracks, before the receivers). */
void okno_rx_transport_on_rtp(struct okno_rx_transport *t, const uint8_t *pkt, size_t len,
                              int64_t now_us);
/* Sends transport-cc feedback (~100 ms) or REMB (~1 s) when due; returns the next due time
 * (INT64_MAX before the first packet: poll again after okno_rx_transport_on_rtp). */
int64_t okno_rx_transport_poll(struct okno_rx_transport *t, int64_t now_us);

/* One second of the transport. */
struct okno_rx_second {
    uint64_t bytes;   /* RTP bytes (whole packets) received in that second */
    uint32_t packets; /* received */
    uint32_t lost;    /* transport-wide sequence numbers missing (transport-cc only) */
};
struct okno_rx_transport_stats {
    uint64_t packets, bytes, garbage, feedbacks_sent, rembs_sent;
    uint64_t remb_bps;                     /* last REMB value sent, 0: none */
    const struct okno_rx_second *timeline; /* borrowed from the transport */
    size_t timeline_n;
};
void okno_rx_transport_stats(const struct okno_rx_transport *t,
                             struct okno_rx_transport_stats *out);

#endif
