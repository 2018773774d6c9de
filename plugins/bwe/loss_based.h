/* The loss-based part of the estimate. It smooths the fraction of packets lost and, from
 * transport-cc feedback, which share of the losses was congestive: a lost packet is congestive
 * when the packets around it met a filled queue (the one after it and all received over the
 * 100 ms before: queuing delay near the largest lately, and at least 10 ms; plugins/bwe/gcc.c).
 * Congestive loss acts as GCC says (draft-ietf-rmcat-gcc-02 section 6): above 10 % the rate drops
 * by half the loss, from 2 % no increase, and (okno's addition, because such loss means the queue
 * overflows) between 2 and 10 % a decrease of half the loss once per round trip. Random loss, as on
 * radio links, only slows the delay-based increase and trims the rate by at most 20 % (1.5 x the
 * loss above 2 %), so a lossy but uncongested link keeps most of its rate. Without transport-cc
 * (receiver reports only) every loss is taken as congestive, as libwebrtc's v1 does, and the rate
 * grows by 8 %/s while loss stays under 2 %.
 *
 * The rate moves only on the packets sent since the last decrease (this one's or the delay-based
 * one's, okno_gcc_loss_mark_decrease): what overflowed a queue before a cut says nothing of the
 * cut rate (libwebrtc's v1 decreases once per loss report after a round trip and 300 ms). A
 * decrease never goes below 0.85 x what the link delivered meanwhile: an SFU cannot slow a
 * forwarded stream at once, and half of it lost at a capacity drop is the old rate meeting the new
 * capacity, not a sign that the link carries less than it delivers. Once loss is low the rate is
 * at least what was delivered, and a probe result raises it (libwebrtc's SetSendBitrate on a
 * probe), so the cap lifts as fast as the link shows room instead of creeping up at 8 %/s.
 * It deliberately does not measure delay.
 */
#ifndef OKNO_PLUGINS_GCC_LOSS_BASED_H
#define OKNO_PLUGINS_GCC_LOSS_BASED_H

#include <stdbool.h>
#include <stdint.h>

/* Packets reported by transport-cc feedback (newly, or since an update): how many, lost of which,
 * congestive of those. */
struct okno_gcc_loss_counts {
    uint32_t total, lost, lost_congestive;
};

struct okno_gcc_loss {
    double min_bps, max_bps;
    double bps;
    bool tracking; /* bps follows the delay-based goal (not limiting) */
    /* since the last update */
    struct okno_gcc_loss_counts all;
    double ratio;      /* smoothed fraction lost */
    double cong_share; /* smoothed share of the losses judged congestive */
    /* since the last update, of the packets sent from fresh_from_us on */
    struct okno_gcc_loss_counts fresh;
    /* the last window of at least 20 of those packets (or receiver report): rates move on what
       is lost now, not on the memory of a burst; clear after a decrease until it fills again */
    double window_ratio;
    bool window_congestive;
    bool window_valid; /* false: nothing sent since the last decrease was judged yet */
    bool congested;    /* the last window judged had congestive loss over 2 % */
    int64_t last_update_us, last_decrease_us; /* -1: never */
    int64_t fresh_from_us; /* the last decrease of the target: packets sent before are old */
};

void okno_gcc_loss_init(struct okno_gcc_loss *l, uint32_t min_bps, uint32_t start_bps,
                        uint32_t max_bps);

/* Adds a feedback's packets: all of them (the smoothed figures) and those of them sent at or
 * after fresh_from_us (the window the rate moves on). */
void okno_gcc_loss_add(struct okno_gcc_loss *l, const struct okno_gcc_loss_counts *all,
                       const struct okno_gcc_loss_counts *fresh);

/* After a feedback: folds what was added into the smoothed figures (once enough packets were
 * seen) and moves the rate. delay_bps is the delay-based estimate (the most the loss-based one
 * goes to), target_bps the rate in force, acked_bps what the link delivered lately (0: unknown). */
void okno_gcc_loss_update(struct okno_gcc_loss *l, double delay_bps, double target_bps,
                          double acked_bps, int64_t rtt_us, int64_t now_us);

/* The target was cut elsewhere at now_us (the delay-based rate on overuse, a drain, a feedback
 * outage): loss of packets sent before it no longer moves the rate. */
void okno_gcc_loss_mark_decrease(struct okno_gcc_loss *l, int64_t now_us);

/* A probe showed the link carries bps: the rate goes up to it unless loss is congestive now. */
void okno_gcc_loss_on_probe(struct okno_gcc_loss *l, double bps);

/* A receiver report's fraction lost over packets, when transport-cc is not in use: all loss is
 * taken as congestive. */
void okno_gcc_loss_report(struct okno_gcc_loss *l, double fraction, uint32_t packets,
                          double delay_bps, double target_bps, int64_t rtt_us, int64_t now_us);

/* The loss is judged congestive. */
bool okno_gcc_loss_congestive(const struct okno_gcc_loss *l);

/* How much of the delay-based increase random loss lets through, 0.25..1. */
double okno_gcc_loss_increase_scale(const struct okno_gcc_loss *l);

#endif
