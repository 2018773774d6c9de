/* Drives a link model (bench/linkemu/link.h) with a flow of packets the way the relay would, but
 * in simulated time: enqueue each packet at its send time, dequeue at every next departure, and
 * record for every packet when it departed (or -1 when dropped) and in which order. Header-only
 * so each test program stays one .c file. */
#ifndef OKNO_TEST_LINKDRIVE_H
#define OKNO_TEST_LINKDRIVE_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "linkemu/link.h"

struct flow {
    size_t n;            /* packets offered */
    int64_t start_us;    /* first send time */
    int64_t interval_us; /* between sends */
    size_t len;          /* bytes, unless lens is set */
    const size_t *lens;  /* per packet, or NULL */
    /* results, n entries each, allocated by drive(); free with flow_free() */
    int64_t *sent_us;
    int64_t *depart_us; /* -1: dropped */
    int *verdict;       /* enum okno_link_verdict */
    uint64_t *order;    /* cookies in departure order, n_out of them */
    size_t n_out;
    /* called before each send at its time, e.g. to change params; may be NULL */
    void (*before_send)(struct okno_link *l, size_t i, int64_t now_us, void *arg);
    void *arg;
};

static inline void drive(struct okno_link *l, struct flow *f)
{
    f->sent_us = calloc(f->n, sizeof *f->sent_us);
    f->depart_us = calloc(f->n, sizeof *f->depart_us);
    f->verdict = calloc(f->n, sizeof *f->verdict);
    f->order = calloc(f->n, sizeof *f->order);
    assert_non_null(f->sent_us);
    assert_non_null(f->depart_us);
    assert_non_null(f->verdict);
    assert_non_null(f->order);
    f->n_out = 0;
    size_t i = 0;
    int64_t next_send = f->start_us;
    for (;;) {
        int64_t dep = okno_link_next_departure(l);
        if (i < f->n && next_send <= dep) {
            if (f->before_send)
                f->before_send(l, i, next_send, f->arg);
            size_t len = f->lens ? f->lens[i] : f->len;
            f->sent_us[i] = next_send;
            f->depart_us[i] = -1;
            f->verdict[i] = okno_link_enqueue(l, next_send, len, i);
            i++;
            next_send += f->interval_us;
            continue;
        }
        if (dep == INT64_MAX)
            break;
        uint64_t cookie;
        while (okno_link_dequeue(l, dep, &cookie, NULL)) {
            assert_true(cookie < f->n);
            assert_int_equal(f->depart_us[cookie], -1);
            f->depart_us[cookie] = dep;
            f->order[f->n_out++] = cookie;
        }
    }
}

static inline void flow_free(struct flow *f)
{
    free(f->sent_us);
    free(f->depart_us);
    free(f->verdict);
    free(f->order);
}

/* Mean and standard deviation of depart - sent over delivered packets. */
static inline void delay_stats(const struct flow *f, double *mean, double *sd)
{
    double s = 0, s2 = 0;
    size_t k = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (f->depart_us[i] < 0)
            continue;
        double d = (double)(f->depart_us[i] - f->sent_us[i]);
        s += d;
        s2 += d * d;
        k++;
    }
    assert_true(k > 1);
    *mean = s / (double)k;
    *sd = sqrt((s2 - s * s / (double)k) / (double)(k - 1));
}

/* Bits per second delivered with departure times in [from_us, to_us). */
static inline double rate_between(const struct flow *f, int64_t from_us, int64_t to_us)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < f->n; i++)
        if (f->depart_us[i] >= from_us && f->depart_us[i] < to_us)
            bytes += f->lens ? f->lens[i] : f->len;
    return (double)bytes * 8.0 * 1e6 / (double)(to_us - from_us);
}

#endif
