/* The state of one okno_receiver, shared by its three files: receiver.c (packets in, timers,
 * statistics), receiver_video.c (frames out of the depacketizer: decode, measure, when to ask for a
 * key frame) and receiver_rtcp.c (reports and feedback out, sender reports in). Not for use outside
 * bench/call/receiver*.c. */
#ifndef OKNO_BENCH_CALL_RECEIVER_INTERNAL_H
#define OKNO_BENCH_CALL_RECEIVER_INTERNAL_H

#include "call/receiver.h"
#include "media/audio_receiver.h"
#include "media/image.h"
#include "media/video_source.h"
#include "media/vp8_decoder.h"
#include "media/vp8_depacketizer.h"
#include "sfu/nack_generator.h"
#include "sfu/recv_stats.h"
#include "wire/rtp.h"

/* The largest RTP packet taken (a datagram of the link emulator is at most 2048 bytes). */
#define OKNO_RECEIVER_MAX_PKT 2048
/* NACK numbers sent in one poll. */
#define OKNO_RECEIVER_NACK_BATCH     128
#define OKNO_RECEIVER_RR_INTERVAL_US 1000000
#define OKNO_RECEIVER_PLI_MIN_US     300000
#define OKNO_RECEIVER_DEFAULT_RTT_US 100000
#define OKNO_RECEIVER_FRAME_POLL_US  20000 /* assembler waits are checked this often */
#define OKNO_RECEIVER_AUDIO_SLOT_US  10000
/* Packets in a row the assembler calls late before the video path starts again. */
#define OKNO_RECEIVER_RESTART_RUN 50

struct okno_receiver {
    struct okno_receiver_config cfg; /* send_rtcp's arg borrowed */
    /* what was learnt from the packets */
    bool have_ssrc, have_rtx_ssrc, have_pt;
    uint32_t ssrc, rtx_ssrc;
    uint8_t pt;
    int64_t first_pkt_us; /* -1: nothing yet */
    int64_t rtt_us;       /* -1: unknown */
    /* owned */
    struct okno_recv_stats rs;      /* initialised with the first media packet */
    struct okno_nack_generator *ng; /* video only */
    struct okno_vp8depack *depack;  /* video only */
    struct okno_vp8dec *dec;        /* video with decode only */
    struct okno_vsrc src;           /* video with decode and a source size only */
    bool have_src;
    struct okno_image psnr_scratch; /* the regenerated reference, sized at the first frame */
    int64_t last_psnr_us;           /* INT64_MIN: none yet */
    int64_t transit_us_sum, receive_us_sum; /* over timed_frames */
    uint64_t timed_frames;
    struct okno_audio_rx *arx; /* audio only */
    struct okno_stream_metrics m;
    uint8_t unwrap[OKNO_RECEIVER_MAX_PKT]; /* an RTX packet's original */
    uint8_t rtcp[1500];                    /* the packet being built */
    uint16_t nack_seqs[OKNO_RECEIVER_NACK_BATCH];
    /* timers */
    int64_t next_rr_us;    /* INT64_MAX before the first packet */
    int64_t last_pli_us;   /* INT64_MIN: never */
    bool pli_wanted;       /* the NACK generator gave up on a gap: ask for a key frame */
    int64_t key_start_us;  /* when the first packet of a key frame last arrived, INT64_MIN: never */
    bool need_prev;        /* the depacketizer needed a key frame at the last look */
    int64_t need_since_us; /* since when it has (INT64_MIN: from the start) */
    int64_t next_frame_poll_us;
    int64_t next_audio_us;
    uint64_t audio_concealed_prev; /* concealed + missing slots already given to the metrics */
    bool audio_have_last;          /* audio_last_*: the newest packet so far, for RED recovery */
    uint16_t audio_last_seq;
    uint32_t audio_last_ts;
    unsigned ignored_run; /* packets in a row the depacketizer ignored as late */
    /* video frame facts for the load mode (no decode) */
    unsigned last_width, last_height;
    /* counters not kept by a stage, and those of replaced depacketizers */
    struct okno_receiver_stats st;
};

/* receiver_video.c: takes every frame the depacketizer has ready at now_us. */
void okno__receiver_video_drain(struct okno_receiver *r, int64_t now_us);
/* Whether a PLI is wanted at now_us (a key frame is needed and none is on its way). */
bool okno__receiver_video_key_needed(const struct okno_receiver *r, int64_t now_us);
/* The PLI interval: max(RTT, 300 ms). */
int64_t okno__receiver_pli_interval(const struct okno_receiver *r);

/* receiver_rtcp.c */
void okno__receiver_send_rr(struct okno_receiver *r, int64_t now_us);
void okno__receiver_send_nack(struct okno_receiver *r, const uint16_t *seqs, size_t n,
                              int64_t now_us);
void okno__receiver_send_pli(struct okno_receiver *r, int64_t now_us);

#endif
