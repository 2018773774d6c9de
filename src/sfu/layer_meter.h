/* The rate of each VP8 temporal layer of a published video, as the publisher sends it: bytes per
 * temporal layer counted over one-second windows, the last complete window giving the rate. The
 * allocator (sfu/allocator.h) reads it to know what each layer costs a subscriber. A layer with
 * no packet in the last complete window has no rate (it is not being sent); packets without a
 * temporal layer index count as layer 0.
 *
 * Pure: time is a parameter, nothing is allocated. It deliberately does not parse packets (the
 * track hands it the layer index) and does not count retransmissions (they are repair, not a
 * layer's rate). */
#ifndef OKNO_SFU_LAYER_METER_H
#define OKNO_SFU_LAYER_METER_H

#include <stddef.h>
#include <stdint.h>

#define OKNO_LAYER_METER_TEMPORAL  4
#define OKNO_LAYER_METER_WINDOW_US INT64_C(1000000)

struct okno_layer_meter {
    int64_t window_start_us; /* 0: no packet yet */
    uint64_t bytes[OKNO_LAYER_METER_TEMPORAL];
    uint32_t bps[OKNO_LAYER_METER_TEMPORAL]; /* of the last complete window; 0: none sent */
    uint8_t n_temporal;                      /* layers seen in that window (0: none) */
};

/* Zeroes m: no rate known. */
void okno_layer_meter_init(struct okno_layer_meter *m);

/* One packet of len bytes (header included) of temporal layer tid (above 3: counted as 3). */
void okno_layer_meter_on_packet(struct okno_layer_meter *m, uint8_t tid, size_t len,
                                int64_t now_us);

/* Closes the windows that ended by now_us (a silent second reads as nothing sent). */
void okno_layer_meter_update(struct okno_layer_meter *m, int64_t now_us);

/* The cumulative rate of layers 0..tid (what forwarding up to tid costs), bits per second, as of
 * the last complete window. */
uint32_t okno_layer_meter_bps(const struct okno_layer_meter *m, uint8_t tid);

#endif
