/* The sender's retransmission history: see rtx_history.h. */
#include "call/rtx_history.h"

#include <stdlib.h>
#include <string.h>

#include "okno/err.h"

int okno_rtx_history_init(struct okno_rtx_history *h, uint32_t slots, int64_t max_age_us)
{
    memset(h, 0, sizeof *h);
    if (slots < 16 || slots > 65536 || (slots & (slots - 1)) != 0 || max_age_us <= 0)
        return OKNO_E_INVAL;
    h->slots = calloc(slots, sizeof *h->slots);
    if (!h->slots)
        return OKNO_E_NOMEM;
    h->mask = slots - 1;
    h->max_age_us = max_age_us;
    return 0;
}

void okno_rtx_history_deinit(struct okno_rtx_history *h)
{
    free(h->slots);
    memset(h, 0, sizeof *h);
}

void okno_rtx_history_set_max_age(struct okno_rtx_history *h, int64_t max_age_us)
{
    h->max_age_us = max_age_us > 0 ? max_age_us : 1;
}

int okno_rtx_history_put(struct okno_rtx_history *h, uint16_t seq, const uint8_t *pkt, size_t len,
                         int64_t now_us)
{
    if (len == 0 || len > OKNO_RTX_HISTORY_PKT_MAX)
        return OKNO_E_RANGE;
    struct okno_rtx_history_slot *s = &h->slots[seq & h->mask];
    memcpy(s->buf, pkt, len);
    s->len = (uint16_t)len;
    s->seq = seq;
    s->sent_us = now_us;
    s->resent_us = INT64_MIN;
    return 0;
}

const uint8_t *okno_rtx_history_take(struct okno_rtx_history *h, uint16_t seq, int64_t now_us,
                                     int64_t min_interval_us, size_t *len)
{
    struct okno_rtx_history_slot *s = &h->slots[seq & h->mask];
    if (s->len == 0 || s->seq != seq || now_us - s->sent_us > h->max_age_us)
        return NULL;
    if (s->resent_us != INT64_MIN && now_us - s->resent_us < min_interval_us)
        return NULL;
    s->resent_us = now_us;
    *len = s->len;
    return s->buf;
}
