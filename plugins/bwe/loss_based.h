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
 * grows by 8 %/s while loss stays under 2 %. It deliberately does not measure delay.
 */
#ifndef OKNO_PLUGINS_GCC_LOSS_BASED_H
#define OKNO_PLUGINS_GCC_LOSS_BASED_H

#include <stdbool.h>
#include <stdint.h>

struct okno_gcc_loss {
    double min_bps, max_bps;
    double bps;
    bool tracking; /* bps follows the delay-based goal (not limiting) */
    /* since the last update */
    uint32_t lost, lost_congestive, total;
    double ratio;      /* smoothed fraction lost */
    double cong_share; /* smoothed share of the losses judged congestive */
    /* the last window of at least 20 packets (or receiver report): rates move on what is lost
       now, not on the memory of a burst */
    double window_ratio;
    bool window_congestive;
    int64_t last_update_us, last_decrease_us; /* -1: never */
};

void okno_gcc_loss_init(struct okno_gcc_loss *l, uint32_t min_bps, uint32_t start_bps,
                        uint32_t max_bps);

/* Packets newly reported by transport-cc feedback: total of them, lost of which, congestive of
 * those. */
void okno_gcc_loss_add(struct okno_gcc_loss *l, uint32_t total, uint32_t lost,
                       uint32_t lost_congestive);

/* After a feedback: folds what was added into the smoothed figures (once enough packets were
 * seen) and moves the rate. delay_bps is the delay-based estimate (the most the loss-based one
 * goes to), target_bps the rate in force. */
void okno_gcc_loss_update(struct okno_gcc_loss *l, double delay_bps, double target_bps,
                          int64_t rtt_us, int64_t now_us);

/* A receiver report's fraction lost over packets, when transport-cc is not in use: all loss is
 * taken as congestive. */
void okno_gcc_loss_report(struct okno_gcc_loss *l, double fraction, uint32_t packets,
                          double delay_bps, double target_bps, int64_t rtt_us, int64_t now_us);

/* The loss is judged congestive. */
bool okno_gcc_loss_congestive(const struct okno_gcc_loss *l);

/* How much of the delay-based increase random loss lets through, 0.25..1. */
double okno_gcc_loss_increase_scale(const struct okno_gcc_loss *l);

#endif
