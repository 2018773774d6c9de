/* Per temporal layer rates of a published video (layer_meter.h). */
#include "sfu/layer_meter.h"

#include <stdbool.h>
#include <string.h>

void okno_layer_meter_init(struct okno_layer_meter *m)
{
    memset(m, 0, sizeof *m);
}

void okno_layer_meter_update(struct okno_layer_meter *m, int64_t now_us)
{
    if (m->window_start_us == 0 || now_us - m->window_start_us < OKNO_LAYER_METER_WINDOW_US)
        return;
    bool silent = now_us - m->window_start_us >= 2 * OKNO_LAYER_METER_WINDOW_US;
    m->n_temporal = 0;
    for (int t = 0; t < OKNO_LAYER_METER_TEMPORAL; t++) {
        /* A whole window passed after the one counted: nothing was sent in the last one. */
        uint64_t bits = silent ? 0 : m->bytes[t] * 8u;
        uint64_t bps = bits * 1000000u / OKNO_LAYER_METER_WINDOW_US;
        m->bps[t] = bps > UINT32_MAX ? UINT32_MAX : (uint32_t)bps;
        if (m->bps[t] != 0)
            m->n_temporal = (uint8_t)(t + 1);
        m->bytes[t] = 0;
    }
    /* Windows stay on their grid, so rates do not depend on when update is called. */
    int64_t windows = (now_us - m->window_start_us) / OKNO_LAYER_METER_WINDOW_US;
    m->window_start_us += windows * OKNO_LAYER_METER_WINDOW_US;
}

void okno_layer_meter_on_packet(struct okno_layer_meter *m, uint8_t tid, size_t len, int64_t now_us)
{
    if (m->window_start_us == 0)
        m->window_start_us = now_us == 0 ? 1 : now_us;
    okno_layer_meter_update(m, now_us);
    if (tid >= OKNO_LAYER_METER_TEMPORAL)
        tid = OKNO_LAYER_METER_TEMPORAL - 1;
    m->bytes[tid] += len;
}

uint32_t okno_layer_meter_bps(const struct okno_layer_meter *m, uint8_t tid)
{
    uint64_t sum = 0;
    for (int t = 0; t <= tid && t < OKNO_LAYER_METER_TEMPORAL; t++)
        sum += m->bps[t];
    return sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}
