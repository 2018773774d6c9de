/* The slots of the packet cache. Slot i holds the packet whose unwrapped sequence number is i
 * modulo the slot count, tagged with that unwrapped number, so moving the window forward needs no
 * clearing: a slot tagged with another number is simply empty for the lookup at hand. Packet bytes
 * live in one block beside the tags, so a lookup touches one small tag before the packet's own
 * cache lines. This file deliberately keeps no per-subscriber state. */
#include "sfu/packet_cache.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"
#include "wire/rtp.h"
#include "wire/seq.h"

struct slot {
    int64_t seq; /* unwrapped; INT64_MIN when the slot was never filled since the last clear */
    int64_t arrival_us;
    uint16_t len;
};

struct okno_packet_cache {
    /* owned, allocated at create */
    struct slot *slots;
    uint8_t *data; /* slots * OKNO_MTU bytes */
    size_t mask;
    /* the window: unwrapped sequence numbers */
    bool started;
    int64_t newest;
    struct okno_packet_cache_stats stats;
};

static size_t slot_of(const struct okno_packet_cache *pc, int64_t seq)
{
    return (size_t)((uint64_t)seq & pc->mask);
}

int okno_packet_cache_create(size_t slots, struct okno_packet_cache **out)
{
    if (slots == 0 || slots > OKNO_PACKET_CACHE_MAX_SLOTS || (slots & (slots - 1)) != 0)
        return OKNO_E_INVAL;
    struct okno_packet_cache *pc = calloc(1, sizeof *pc);
    if (!pc)
        return OKNO_E_NOMEM;
    pc->slots = calloc(slots, sizeof *pc->slots);
    pc->data = malloc(slots * OKNO_MTU);
    if (!pc->slots || !pc->data) {
        free(pc->slots);
        free(pc->data);
        free(pc);
        return OKNO_E_NOMEM;
    }
    pc->mask = slots - 1;
    okno_packet_cache_clear(pc);
    *out = pc;
    return 0;
}

void okno_packet_cache_destroy(struct okno_packet_cache *pc)
{
    if (!pc)
        return;
    free(pc->slots);
    free(pc->data);
    free(pc);
}

void okno_packet_cache_clear(struct okno_packet_cache *pc)
{
    /* Tags must go too: after a restart the new stream's numbers will in time reach the old ones.
     */
    for (size_t i = 0; i <= pc->mask; i++)
        pc->slots[i].seq = INT64_MIN;
    pc->started = false;
    pc->newest = 0;
}

int okno_packet_cache_store(struct okno_packet_cache *pc, const uint8_t *pkt, size_t len,
                            int64_t now_us)
{
    if (len < OKNO_RTP_HEADER_LEN)
        return OKNO_E_TRUNCATED;
    if (pkt[0] >> 6 != 2)
        return OKNO_E_VERSION;
    if (len > OKNO_MTU)
        return OKNO_E_NOSPC;
    uint16_t seq16 = okno_rd16(pkt + 2);
    int64_t seq;
    if (!pc->started) {
        pc->started = true;
        pc->newest = seq = seq16;
    } else {
        int32_t d = okno_seq_diff(seq16, (uint16_t)pc->newest);
        if (d <= -OKNO_PACKET_CACHE_RESTART_GAP) {
            pc->stats.restarts++;
            okno_packet_cache_clear(pc);
            pc->started = true;
            pc->newest = seq = seq16;
        } else if (d <= -(int32_t)(pc->mask + 1)) {
            pc->stats.too_old++;
            return OKNO_E_RANGE;
        } else {
            seq = pc->newest + d;
        }
    }
    struct slot *s = &pc->slots[slot_of(pc, seq)];
    if (s->seq == seq) {
        pc->stats.duplicates++;
        return OKNO_E_EXISTS;
    }
    if (seq > pc->newest)
        pc->newest = seq;
    s->seq = seq;
    s->arrival_us = now_us;
    s->len = (uint16_t)len;
    memcpy(pc->data + slot_of(pc, seq) * OKNO_MTU, pkt, len);
    pc->stats.stored++;
    return 0;
}

int okno_packet_cache_get(struct okno_packet_cache *pc, uint16_t seq16,
                          struct okno_cached_packet *out)
{
    if (pc->started) {
        int64_t seq = pc->newest + okno_seq_diff(seq16, (uint16_t)pc->newest);
        const struct slot *s = &pc->slots[slot_of(pc, seq)];
        /* A number ahead of the newest is never held: its slot's tag is older by construction. */
        if (s->seq == seq) {
            out->data = pc->data + slot_of(pc, seq) * OKNO_MTU;
            out->len = s->len;
            out->seq = seq16;
            out->arrival_us = s->arrival_us;
            pc->stats.hits++;
            return 0;
        }
    }
    pc->stats.misses++;
    return OKNO_E_NOTFOUND;
}

size_t okno_packet_cache_slots(const struct okno_packet_cache *pc)
{
    return pc->mask + 1;
}

void okno_packet_cache_stats(const struct okno_packet_cache *pc,
                             struct okno_packet_cache_stats *out)
{
    *out = pc->stats;
}
