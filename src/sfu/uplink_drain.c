/* Draining a publisher's uplink queue after a collapse (uplink_drain.h). */
#include "sfu/uplink_drain.h"

#include <string.h>

void okno_uplink_drain_init(struct okno_uplink_drain *d)
{
    memset(d, 0, sizeof *d);
    d->last_pkt_us = INT64_MIN;
    d->collapse_id = INT64_MIN;
}

static void close_window(struct okno_uplink_drain *d, int64_t now_us)
{
    d->last_bps = d->win_bytes * 8u * 1000000u / (uint64_t)(now_us - d->win_start_us);
    d->last_regular = !d->after_silence;
    d->after_silence = false;
    d->win_start_us = now_us;
    d->win_bytes = 0;
    /* what arrives fell well under the link's rate: the queue that fed it at that rate is gone */
    if (d->until_us != 0 && now_us >= d->hold_us && d->last_bps * 4u < d->full_bps * 3u)
        d->until_us = 0;
}

void okno_uplink_drain_on_packet(struct okno_uplink_drain *d, size_t len, int64_t now_us)
{
    if (d->last_pkt_us == INT64_MIN || now_us - d->last_pkt_us >= OKNO_DRAIN_WINDOW_US) {
        /* the first packet, or the first after a silence: a window starts here */
        d->after_silence = d->last_pkt_us != INT64_MIN;
        d->win_start_us = now_us;
        d->win_bytes = 0;
    }
    d->last_pkt_us = now_us;
    d->win_bytes += len;
    if (now_us - d->win_start_us >= OKNO_DRAIN_WINDOW_US)
        close_window(d, now_us);
}

bool okno_uplink_drain_begin(struct okno_uplink_drain *d, int64_t collapse_id, int64_t rtt_us,
                             int64_t now_us)
{
    if (okno_uplink_drain_cap(d, now_us) > 0 || collapse_id == d->collapse_id || d->last_bps == 0 ||
        !d->last_regular)
        return false;
    d->collapse_id = collapse_id;
    d->full_bps = d->last_bps;
    uint64_t cap = d->full_bps * OKNO_DRAIN_CAP_PCT / 100u;
    d->cap_bps = cap > OKNO_DRAIN_MIN_BPS ? cap : OKNO_DRAIN_MIN_BPS;
    d->until_us = now_us + OKNO_DRAIN_MAX_US;
    d->hold_us =
        now_us + (rtt_us > 0 ? rtt_us : OKNO_DRAIN_DEFAULT_RTT_US) + 2 * OKNO_DRAIN_WINDOW_US;
    d->drains++;
    return true;
}

uint64_t okno_uplink_drain_cap(const struct okno_uplink_drain *d, int64_t now_us)
{
    return d->until_us != 0 && now_us < d->until_us ? d->cap_bps : 0;
}
