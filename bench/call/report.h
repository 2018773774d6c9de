/* okno-bench call's report: one JSON document per run, built with jansson, and the human summary
 * printed from that same document (so the screen never says something the file does not).
 *
 *   {"profile", "description", "duration_s", "seed", "target", "server",
 *    "kiosk_to_specialist": DIRECTION, "specialist_to_kiosk": DIRECTION, "link": relay stats}
 *
 * A DIRECTION holds the keys at its top level: fps, frames_decoded, freezes,
 * freeze_ms_total, freeze_ms_max, latency_ms {p50, p95, p99} and psnr_db (of the video stream),
 * audio_concealment (of the audio stream, 0..1), bitrate_kbps (RTP received, video plus audio),
 * utilization (that bitrate over the capacity of the link it crossed, 0..1; null when the link is
 * unlimited), layers (see okno_report_set_rates for the window); then "video" and "audio"
 * (media/metrics.h's whole objects, their per-second history renamed stream_timeline), "sender" and
 * "receiver" counters, "timeline" (one object per second of the call, struct okno_report_second)
 * and "freeze_intervals" ([start_s, end_s] pairs on the timeline's clock). Unknown values are null.
 *
 * Deliberately not here: collecting the figures (call.c does), judging them, and the plot (plot.h
 * reads the same document). */
#ifndef OKNO_BENCH_CALL_REPORT_H
#define OKNO_BENCH_CALL_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "call/receiver.h"
#include "call/sender.h"
#include "linkemu/relay.h"
#include "media/metrics.h"

/* One second of one direction (NAN: unknown, written as null). */
struct okno_report_second {
    double t_s;           /* seconds since media started */
    double capacity_kbps; /* of the emulated link it crosses; NAN: unlimited */
    double sent_kbps;     /* the sender's rate over the last second */
    double recv_kbps;     /* RTP bytes received that second, both kinds */
    double estimate_kbps; /* the sender's bandwidth estimate */
    double target_kbps;   /* the sender's target */
    double rtt_ms;        /* round trip of the kiosk's (emulated) link */
    double loss_pct;      /* packets the emulated link dropped that second, of those offered */
    double latency_ms;    /* mean capture-to-decode latency of that second's frames */
    unsigned fps, freezes;
    /* added after the first version */
    double video_kbps;      /* RTP bytes of video received that second */
    unsigned width, height; /* of the second's last decoded frame; 0: none */
    int spatial;            /* which encoding that size is (0 /4, 1 /2, 2 full); -1 none */
};

/* A direction object from the received streams' metrics as of now_us (either may be NULL when
 * that kind was never received: its keys are then null). Sorts the latency reservoirs. Returns a
 * new reference, NULL only on allocation failure. */
json_t *okno_report_direction(struct okno_stream_metrics *video, struct okno_stream_metrics *audio,
                              int64_t now_us);

/* Appends to a direction's "timeline" / "freeze_intervals". */
void okno_report_add_second(json_t *dir, const struct okno_report_second *s);
void okno_report_add_freeze(json_t *dir, double start_s, double end_s);

/* Sets the direction's rates from its timeline, so they cover the call from the moment both
 * publish (the receivers' own figures, in "video" and "audio", count from their track's
 * announcement): fps (frames decoded over the timeline's length), bitrate_kbps (the mean of
 * recv_kbps) and utilization (received over capacity, summed over the seconds; null when a second
 * had no capacity limit or there is no timeline). Without a timeline fps and bitrate_kbps stay
 * the receivers'. Returns the utilization (NAN: null). */
double okno_report_set_rates(json_t *dir);

/* Counter objects (new references). */
json_t *okno_report_sender_json(const struct okno_sender_stats *s);
json_t *okno_report_receiver_json(const struct okno_receiver_stats *s);
/* Adds the adaptive audio jitter buffer's playout delay (mean, last, target, webrtc-stats'
 * jitterBufferDelay; ms) and stretched slots to a direction's "audio" object (if it is one). */
void okno_report_audio_delay(json_t *audio, const struct okno_receiver_stats *s);
json_t *okno_report_link_json(const struct okno_relay_stats *s, bool realtime);

/* The human summary of a whole report: a table per direction. */
void okno_report_print(FILE *f, const json_t *report);

/* Writes the report as indented JSON to path. Returns 0 or OKNO_E_IO with a message in err. */
int okno_report_write(const json_t *report, const char *path, char *err, size_t errlen);

#endif
