#include "send_history.h"

#include "wire/twcc.h"

#define MASK (OKNO_GCC_HISTORY_SIZE - 1u)

void okno_gcc_history_init(struct okno_gcc_history *h)
{
    for (size_t i = 0; i < OKNO_GCC_HISTORY_SIZE; i++)
        h->ring[i].seq = -1;
    h->last_seq = -1;
    h->have_arrival = false;
    h->last_arrival_us = 0;
}

/* The unwrapped number nearest the last one sent; the first packet starts one period up so that
 * a slightly older number still unwraps to a non-negative value. */
static int64_t unwrap(const struct okno_gcc_history *h, uint16_t seq)
{
    if (h->last_seq < 0)
        return (int64_t)seq + 65536;
    int16_t diff = (int16_t)(uint16_t)(seq - (uint16_t)h->last_seq);
    return h->last_seq + diff;
}

int64_t okno_gcc_history_add(struct okno_gcc_history *h, uint16_t seq, uint32_t bytes,
                             int64_t send_us, uint8_t cluster)
{
    int64_t s = unwrap(h, seq);
    if (s < 0)
        s += 65536;
    struct okno_gcc_sent *e = &h->ring[(uint64_t)s & MASK];
    e->seq = s;
    e->send_us = send_us;
    e->bytes = bytes;
    e->cluster = cluster;
    e->fb = OKNO_GCC_FB_NONE;
    if (s > h->last_seq)
        h->last_seq = s;
    return s;
}

struct okno_gcc_sent *okno_gcc_history_find(struct okno_gcc_history *h, uint16_t seq)
{
    if (h->last_seq < 0)
        return NULL;
    int64_t s = unwrap(h, seq);
    if (s < 0)
        return NULL;
    struct okno_gcc_sent *e = &h->ring[(uint64_t)s & MASK];
    return e->seq == s ? e : NULL;
}

int64_t okno_gcc_history_unwrap_arrival(struct okno_gcc_history *h, int64_t arrival_us)
{
    const int64_t period = OKNO_TWCC_REF_PERIOD_US;
    int64_t a = arrival_us;
    if (h->have_arrival) {
        int64_t d = h->last_arrival_us - a;
        /* Round d / period to the nearest integer without overflow for any int64 input. */
        int64_t k = d / period;
        int64_t r = d - k * period;
        if (r > period / 2)
            k++;
        else if (r < -period / 2)
            k--;
        a += k * period;
    }
    h->have_arrival = true;
    h->last_arrival_us = a;
    return a;
}
