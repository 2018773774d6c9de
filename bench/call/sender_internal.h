/* The sender's state, shared by its files: sender.c (pacing, rates, probes), sender_media.c
 * (camera, VP8, Opus) and sender_rtcp.c (RTCP in and out). Not for other modules: they use
 * sender.h. */
#ifndef OKNO_BENCH_CALL_SENDER_INTERNAL_H
#define OKNO_BENCH_CALL_SENDER_INTERNAL_H

#include "call/pacer.h"
#include "call/rtx_history.h"
#include "call/sender_scaling.h"
#include "call/sender.h"
#include "wire/red.h"
#include "media/image.h"
#include "media/opus_codec.h"
#include "media/video_source.h"
#include "media/vp8_encoder.h"
#include "media/vp8_packetizer.h"
/* plugins/ is not on the include path of every build of bench/ (the lint has src/ and bench/): the
 * estimator's header is reached from here. */
#include "../../plugins/bwe/gcc.h"
#include "wire/rtcp_fb.h"

/* Payload types of the native client's offer (bench/client/client_sdp.h). */
#define OKNO_SENDER_PT_OPUS 111
#define OKNO_SENDER_PT_VP8  96
#define OKNO_SENDER_PT_RTX  97

#define OKNO_SENDER_MAX_PACKET 1200 /* whole RTP packet of media */
#define OKNO_SENDER_MID_MAX    16   /* a one-byte extension element */
#define OKNO_SENDER_EXT_MAX    40   /* mid, rid, abs-send-time, transport-cc, padded */
#define OKNO_SENDER_RATE_BINS  10   /* sent-rate window: 10 bins of 100 ms */
#define OKNO_SENDER_OPUS_KBPS  32
#define OKNO_SENDER_RED_MAX    2 /* redundant Opus payloads a RED packet carries at most */
/* What goes to the encoder out of the video share until the sent packets tell (the first second):
 * RTP headers, extensions and the VP8 payload descriptor take about 4 % of a 1200-byte packet. */
#define OKNO_SENDER_VIDEO_PAYLOAD_PCT 96

/* Stream 0 is audio, 1..3 the video encodings (lowest first). */
#define OKNO_SENDER_AUDIO    0
#define OKNO_SENDER_STREAMS  4
#define OKNO_SENDER_VIDEO(i) (1 + (i))

/* One media SSRC's counters for sender reports and receiver-report bookkeeping. */
struct okno_sender_stream {
    bool used;
    uint32_t ssrc, rtx_ssrc; /* rtx_ssrc 0 for audio */
    uint32_t clock_hz;
    uint32_t ts_base; /* RTP timestamp = ts_base + capture time at clock_hz */
    uint32_t packets, octets;
    bool sent_any;
    int64_t next_sr_us;
    uint32_t last_rr_ehs; /* extended highest sequence number in the last report block */
    bool have_rr;
    uint16_t seq, rtx_seq; /* next media and RTX sequence numbers */
    uint32_t last_ts;      /* of the last media packet (padding-only RTX reuses it) */
    /* the extension bodies of this stream's media and RTX packets (placeholders for the values
     * stamped when the packet leaves) */
    uint8_t ext[OKNO_SENDER_EXT_MAX], rtx_ext[OKNO_SENDER_EXT_MAX];
    size_t ext_len, rtx_ext_len;
    int64_t last_keyframe_req_us; /* INT64_MIN: never */
    uint8_t last_fir_seq;
    bool fir_seen;
};

struct okno_sender {
    struct okno_sender_config cfg; /* the strings below replace the caller's */
    char cname[256], audio_mid[OKNO_SENDER_MID_MAX + 1], video_mid[OKNO_SENDER_MID_MAX + 1];
    unsigned n_enc;
    struct okno_sender_stream st[OKNO_SENDER_STREAMS];

    /* video */
    struct okno_vsrc vsrc;
    bool vsrc_ready;
    struct okno_image img;
    struct okno_vp8enc *enc; /* owned */
    struct okno_vp8pack pack[OKNO_VP8_MAX_ENCODINGS];
    struct okno_rtx_history hist[OKNO_VP8_MAX_ENCODINGS];
    uint32_t frame_no;
    int64_t next_frame_us;
    unsigned encoder_kbps;
    int64_t encoder_set_us;
    /* resolution scaling (cfg.scaling): the encoder's encodings are levels of one stream */
    bool scaling;
    struct okno_scaling scale;

    /* audio */
    struct okno_opusenc *opus; /* owned */
    struct okno_asrc asrc;
    int16_t pcm[OKNO_AUDIO_FRAME_SAMPLES];
    int64_t next_audio_us;
    bool in_dtx;
    uint32_t audio_kbps; /* the Opus bitrate (twice with RED) plus packet overhead, nominal */

    /* transport */
    struct okno_pacer pacer;
    struct okno_gcc *gcc; /* owned */
    struct okno_gcc_estimate est;
    uint16_t twcc_seq;
    int64_t start_us, next_estimate_us, next_probe_us;
    bool probing; /* a probe cluster is being sent: next_probe_us keeps its schedule */
    uint32_t target_bps;
    uint64_t remb_bps;
    int64_t rtt_us;
    double loss_fraction;
    uint64_t rate_bins[OKNO_SENDER_RATE_BINS];
    /* the same window split by what the encoder's share is not: audio (RED included), RTX
     * answers, and the headers of video packets (RTP, extensions: all but the VP8 payload) */
    uint64_t audio_bins[OKNO_SENDER_RATE_BINS], rtx_sent_bins[OKNO_SENDER_RATE_BINS];
    uint64_t video_hdr_bins[OKNO_SENDER_RATE_BINS];
    int64_t rate_bin_index; /* of the newest bin */
    /* RTX bytes queued over the same kind of window (its own index), for the retransmission
     * budget */
    uint64_t rtx_bins[OKNO_SENDER_RATE_BINS];
    int64_t rtx_bin_index;
    uint8_t rtcp_buf[1500];
    struct okno_rtcp_remb remb; /* the last REMB parsed (too large for the stack of a callback) */
    uint8_t probe_buf[OKNO_PACER_PKT_MAX];
    uint8_t opus_buf[OKNO_AUDIO_MAX_PACKET];
    /* RED: the previous Opus payloads sent (newest first), repeated in the next packet: one of
     * them, or two while the audio's reported loss is high (red_distance) */
    uint8_t red_prev[OKNO_SENDER_RED_MAX][OKNO_RED_MAX_BLOCK_LEN];
    size_t red_prev_len[OKNO_SENDER_RED_MAX]; /* 0: none */
    uint32_t red_prev_ts[OKNO_SENDER_RED_MAX];
    unsigned red_distance;
    double audio_loss; /* the audio stream's reported loss, smoothed over reports, 0..1 */

    struct okno_sender_stats stats;
};

static inline bool okno__sender_ext_on(int id)
{
    return id > 0;
}

static inline uint64_t okno__sender_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* sender_media.c */
int okno__sender_setup_video(struct okno_sender *s, int64_t now_us);
int okno__sender_setup_audio(struct okno_sender *s, int64_t now_us);
/* Captures and encodes the video frame due by now_us into the pacer (or drops it). */
void okno__sender_capture(struct okno_sender *s, int64_t now_us);
/* Encodes the Opus frames due by now_us into the pacer. */
void okno__sender_audio(struct okno_sender *s, int64_t now_us);
/* Follows the audio stream's reported loss fraction (0..1) with RED's distance. */
void okno__sender_audio_loss(struct okno_sender *s, double fraction);
/* With scaling, tells the scaler the video bitrate (kbps for the encoder) and follows its level. */
void okno__sender_scale(struct okno_sender *s, unsigned kbps, int64_t now_us);
/* Video encodings with a bitrate now (0 without video). */
unsigned okno__sender_active_encodings(const struct okno_sender *s);

/* sender.c */
/* Whether an RTX packet of len bytes fits the retransmission budget at now_us (and if so counts
 * it): retransmissions queued over the last second stay within the target's second. */
bool okno__sender_rtx_budget(struct okno_sender *s, size_t len, int64_t now_us);

/* sender_rtcp.c */
/* Sends the sender reports due by now_us; returns when the next is due. */
int64_t okno__sender_rtcp_due(struct okno_sender *s, int64_t now_us);
/* Queues an RTX copy of packet seq of video encoding enc (NACK answer). Returns true if queued. */
bool okno__sender_queue_rtx(struct okno_sender *s, unsigned enc, uint16_t seq, int64_t now_us);
/* The encoder's keyframe request, rate-limited per encoding. */
void okno__sender_keyframe(struct okno_sender *s, unsigned enc, int64_t now_us);
/* NTP time of now_us (the sender's wall clock for SRs and RTT). */
uint64_t okno__sender_ntp(const struct okno_sender *s, int64_t now_us);

#endif
