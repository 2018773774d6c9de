/* okno-bench's quality metrics for one received stream: frames decoded and frame rate, freezes as
 * webrtc-stats defines them (an inter-frame gap >= max(3 x mean, mean + 150 ms) over the previous
 * up to 30 gaps; count, total and longest), capture-to-decode latency percentiles from a bounded
 * reservoir, PSNR against the regenerated source frame, audio concealment, bitrate and a per-second
 * timeline, and the JSON okno-bench writes for it. Time is a parameter; the structures are sized
 * at init so recording a frame allocates nothing. It deliberately does not decode, read frame codes
 * (video_source.h does) or decide what counts as a good run. */
#ifndef OKNO_BENCH_MEDIA_METRICS_H
#define OKNO_BENCH_MEDIA_METRICS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/image.h"
#include "media/video_source.h"

#define OKNO_FREEZE_WINDOW       30
#define OKNO_FREEZE_MIN_EXTRA_US 150000

/* The webrtc-stats freeze detector. Zero-initialise. */
struct okno_freeze {
    int64_t gaps[OKNO_FREEZE_WINDOW];
    unsigned n, pos;
    int64_t sum;
    int64_t last_us;
    bool has_last;
    uint64_t count;
    int64_t total_us, max_us;
};

/* Records a frame rendered at now_us. Returns the gap in us when the gap before it was a freeze,
 * else 0. */
int64_t okno_freeze_on_frame(struct okno_freeze *f, int64_t now_us);

/* A bounded sample of values (Algorithm R with a fixed seed): exact while no more than cap values
 * were added, a uniform sample of them after. */
struct okno_reservoir {
    double *v; /* owned */
    size_t cap, n;
    uint64_t seen;
    uint64_t rng;
    bool sorted;
};

/* Returns 0, OKNO_E_INVAL for cap 0, OKNO_E_NOMEM. Free with okno_reservoir_free. */
int okno_reservoir_init(struct okno_reservoir *r, size_t cap);
void okno_reservoir_free(struct okno_reservoir *r);
void okno_reservoir_add(struct okno_reservoir *r, double v);
/* The nearest-rank p-th percentile (0 < p <= 100): the smallest sample with at least p % of the
 * samples at or below it. NAN when empty. Sorts the samples in place. */
double okno_reservoir_percentile(struct okno_reservoir *r, double p);

/* One second of a stream. */
struct okno_metrics_second {
    unsigned frames, freezes;
    uint64_t bytes;
    double psnr_sum;
    unsigned psnr_n;
    double latency_sum_ms;
    unsigned latency_n;
    unsigned width, height; /* of the last frame */
    int max_tid;            /* -1: none */
    unsigned audio_slots, audio_concealed;
};

struct okno_stream_metrics {
    bool video;
    int64_t start_us;
    uint64_t frames, bytes;
    struct okno_freeze freeze;
    struct okno_reservoir latency_ms;
    double psnr_sum;
    uint64_t psnr_n;
    uint64_t audio_slots, audio_concealed;
    uint8_t tid_mask;    /* temporal layers seen */
    unsigned heights[4]; /* distinct frame heights seen (spatial layers), first four */
    unsigned n_heights;
    double utilization; /* filled by the caller; negative: unknown */
    /* owned */
    struct okno_metrics_second *timeline;
    size_t timeline_cap, timeline_n;
};

/* What a decoded video frame tells the metrics. */
struct okno_frame_sample {
    int64_t capture_us; /* negative when its code was unreadable */
    double psnr_db;     /* negative when not measured */
    unsigned width, height;
    int tid; /* -1 without temporal layers */
};

/* Sets up a stream's metrics starting at start_us with room for timeline_seconds seconds and
 * latency_cap latency samples. Returns 0, OKNO_E_INVAL, OKNO_E_NOMEM. Free with
 * okno_metrics_free. */
int okno_metrics_init(struct okno_stream_metrics *m, bool video, int64_t start_us,
                      size_t timeline_seconds, size_t latency_cap);
void okno_metrics_free(struct okno_stream_metrics *m);

/* RTP payload bytes received at now_us. Times before start or past the timeline are counted in the
 * totals but not in the timeline. */
void okno_metrics_on_bytes(struct okno_stream_metrics *m, int64_t now_us, size_t bytes);
/* A frame decoded (and rendered) at now_us. */
void okno_metrics_on_frame(struct okno_stream_metrics *m, int64_t now_us,
                           const struct okno_frame_sample *s);
/* Audio slots played by now_us since the last call, of which `concealed` had no audio in time. */
void okno_metrics_on_audio(struct okno_stream_metrics *m, int64_t now_us, unsigned slots,
                           unsigned concealed);

/* PSNR (Y plane) of a decoded picture against the source frame its code names, regenerated at the
 * decoded size into *scratch (reallocated when the size changes: once per layer switch, not per
 * frame). Returns the PSNR, or a negative value on OKNO_E_NOMEM / a picture too small to draw. */
double okno_metrics_psnr(struct okno_vsrc *src, const struct okno_vsrc_code *code,
                         const struct okno_image *decoded, struct okno_image *scratch);

/* Appends the stream's metrics as one JSON object to out, as of now_us: fps, frames_decoded,
 * freezes, freeze_ms_total, freeze_ms_max, latency_ms {p50, p95, p99}, psnr_db, audio_concealment,
 * bitrate_kbps, utilization, layers {tids, heights} and timeline (one object a second). Unknown
 * values are null. Sorts the latency reservoir. */
void okno_metrics_json(struct okno_stream_metrics *m, int64_t now_us, GString *out);

#endif
