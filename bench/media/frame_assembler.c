/* The frame assembler's ring. Packets live in slot (extended seq mod OKNO_FASM_SLOTS); `next` is
 * the first sequence number not yet given out or given up, and everything below it is history. A
 * hole's wait counts from when it went missing (a later number arrived), kept in its empty slot:
 * counted from when pop reached it instead, every hole behind a first one would wait its full time
 * again, and a burst of scattered losses would stall the stream for holes x reorder_us (a 10 s
 * freeze after a capacity drop) with no frame given up, so no key frame asked for. It does not keep
 * frames that came out (the decoder has them) or reorder frames (sequence order is decode order).
 */
#include "media/frame_assembler.h"

#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "wire/seq.h"

struct slot {
    bool used; /* false with ext_seq set: a hole, missing since arrival_us */
    bool marker, start;
    uint16_t len;
    uint32_t ts;
    int64_t ext_seq;
    int64_t arrival_us;
    struct okno_fasm_meta meta;
    uint8_t data[OKNO_FASM_MAX_PAYLOAD];
};

struct okno_fasm {
    struct okno_fasm_config cfg;
    struct okno_seq_unwrapper unwrap;
    bool started;
    int64_t next;    /* first sequence number not consumed */
    int64_t highest; /* highest stored */
    int64_t blocked_seq, blocked_since_us;
    bool loss_pending;
    bool settled; /* a frame was given out or given up: older packets are late from now on */
    /* stats.packets when skip_to_key_frame last found no complete key frame: until another
     * packet is stored none can have completed, and the receiver polls between packets */
    uint64_t key_scan_packets;
    struct okno_fasm_stats stats;
    /* owned */
    struct slot *slots;
    uint8_t *frame;
};

int okno_fasm_create(const struct okno_fasm_config *cfg, struct okno_fasm **out)
{
    *out = NULL;
    if (cfg->reorder_pkts > OKNO_FASM_SLOTS / 2 || cfg->reorder_us < 0)
        return OKNO_E_INVAL;
    struct okno_fasm *a = calloc(1, sizeof *a);
    if (!a)
        return OKNO_E_NOMEM;
    a->cfg = *cfg;
    if (!a->cfg.reorder_pkts)
        a->cfg.reorder_pkts = 128;
    if (!a->cfg.reorder_us)
        a->cfg.reorder_us = 150000;
    if (!a->cfg.max_frame_bytes)
        a->cfg.max_frame_bytes = 1 << 20;
    a->slots = calloc(OKNO_FASM_SLOTS, sizeof *a->slots);
    a->frame = malloc(a->cfg.max_frame_bytes);
    if (!a->slots || !a->frame) {
        okno_fasm_destroy(a);
        return OKNO_E_NOMEM;
    }
    a->blocked_seq = -1;
    *out = a;
    return 0;
}

void okno_fasm_destroy(struct okno_fasm *a)
{
    if (!a)
        return;
    free(a->slots);
    free(a->frame);
    free(a);
}

static struct slot *slot_of(struct okno_fasm *a, int64_t ext)
{
    return &a->slots[(uint64_t)ext % OKNO_FASM_SLOTS];
}

static bool present(struct okno_fasm *a, int64_t ext)
{
    struct slot *s = slot_of(a, ext);
    return s->used && s->ext_seq == ext;
}

/* Gives up the packets [next, upto): lost if absent, discarded if present. */
static void discard_until(struct okno_fasm *a, int64_t upto)
{
    a->settled = true;
    for (; a->next < upto; a->next++) {
        struct slot *s = slot_of(a, a->next);
        if (s->used && s->ext_seq == a->next)
            s->used = false;
        else
            a->stats.lost_packets++;
    }
    a->loss_pending = true;
}

/* Notes the numbers between the highest stored and ext (a newer one) as missing since now_us. */
static void open_holes(struct okno_fasm *a, int64_t ext, int64_t now_us)
{
    int64_t from = a->highest + 1;
    if (from < a->next)
        from = a->next;
    for (int64_t k = from; k < ext; k++) {
        struct slot *s = slot_of(a, k);
        s->used = false;
        s->ext_seq = k;
        s->arrival_us = now_us;
    }
}

int okno_fasm_push(struct okno_fasm *a, const struct okno_fasm_pkt *pkt, int64_t now_us)
{
    if (!pkt->payload || pkt->len == 0 || pkt->len > OKNO_FASM_MAX_PAYLOAD)
        return OKNO_E_INVAL;
    int64_t ext = okno_seq_unwrap(&a->unwrap, pkt->seq);
    if (!a->started) {
        a->started = true;
        a->next = a->highest = ext;
    }
    if (ext < a->next) {
        /* Until the first frame settles where the stream starts, an earlier packet (the key
         * frame's first, overtaken by its second) moves the start back. */
        if (a->settled || a->highest - ext >= OKNO_FASM_SLOTS) {
            a->stats.late++;
            return 1;
        }
        a->next = ext;
    }
    if (ext - a->next >= OKNO_FASM_SLOTS) {
        /* Too far ahead to wait for what is missing: keep the newest window. A jump of more than
         * twice the ring is a restart; forget everything rather than walk the gap. */
        a->stats.too_far++;
        if (ext - a->next >= 2 * (int64_t)OKNO_FASM_SLOTS) {
            for (unsigned i = 0; i < OKNO_FASM_SLOTS; i++)
                a->slots[i].used = false;
            a->stats.lost_packets += (uint64_t)(ext - a->next);
            a->next = ext;
            a->loss_pending = true;
        } else {
            discard_until(a, ext - OKNO_FASM_SLOTS + 1);
        }
    }
    if (ext > a->highest + 1)
        open_holes(a, ext, now_us);
    struct slot *s = slot_of(a, ext);
    if (s->used && s->ext_seq == ext) {
        a->stats.duplicates++;
        return 1;
    }
    s->used = true;
    s->ext_seq = ext;
    s->ts = pkt->ts;
    s->marker = pkt->marker;
    s->start = pkt->frame_start;
    s->arrival_us = now_us;
    s->meta = pkt->meta;
    s->len = (uint16_t)pkt->len;
    memcpy(s->data, pkt->payload, pkt->len);
    if (ext > a->highest)
        a->highest = ext;
    a->stats.packets++;
    return 0;
}

/* Whether the missing packet at ext has been waited for long enough: since it went missing, or
 * since pop first found it blocking when that is not known (the start of the stream). */
static bool hole_lost(struct okno_fasm *a, int64_t ext, int64_t now_us)
{
    if (a->blocked_seq != ext) {
        a->blocked_seq = ext;
        a->blocked_since_us = now_us;
        const struct slot *s = slot_of(a, ext);
        if (!s->used && s->ext_seq == ext && s->arrival_us < now_us)
            a->blocked_since_us = s->arrival_us;
    }
    return a->highest - ext >= (int64_t)a->cfg.reorder_pkts ||
           now_us - a->blocked_since_us >= a->cfg.reorder_us;
}

/* Looks for the end of the frame starting at next. Returns the marker's position, -1 to wait, or
 * -2 when the frame cannot complete (then *stop is where the damage is). */
static int64_t scan_frame(struct okno_fasm *a, int64_t now_us, int64_t *stop, size_t *bytes)
{
    const struct slot *first = slot_of(a, a->next);
    *bytes = 0;
    for (int64_t k = a->next; k < a->next + OKNO_FASM_SLOTS; k++) {
        if (!present(a, k)) {
            if (k > a->highest || !hole_lost(a, k, now_us))
                return -1;
            *stop = k;
            return -2;
        }
        const struct slot *s = slot_of(a, k);
        if (k > a->next && (s->start || s->ts != first->ts)) {
            *stop = k; /* a new frame began before this one's marker */
            return -2;
        }
        *bytes += s->len;
        if (s->marker)
            return k;
    }
    *stop = a->next + OKNO_FASM_SLOTS;
    return -2;
}

/* Whether the key frame starting at ext has every packet up to its marker. */
static bool key_frame_complete(struct okno_fasm *a, int64_t ext)
{
    const struct slot *first = slot_of(a, ext);
    for (int64_t k = ext; k <= a->highest; k++) {
        if (!present(a, k))
            return false;
        const struct slot *s = slot_of(a, k);
        if (k > ext && (s->start || s->ts != first->ts))
            return false;
        if (s->marker)
            return true;
    }
    return false;
}

/* While a hole is waited for: gives up everything before the first complete key frame stored
 * after it, as libwebrtc's packet buffer hands a complete key frame to the decoder whatever is
 * missing before it (nothing before it can matter to it). Returns whether it did. */
static bool skip_to_key_frame(struct okno_fasm *a)
{
    if (a->stats.packets == a->key_scan_packets)
        return false;
    for (int64_t k = a->next + 1; k <= a->highest; k++) {
        const struct slot *s = slot_of(a, k);
        if (present(a, k) && s->start && s->meta.keyframe && key_frame_complete(a, k)) {
            discard_until(a, k);
            return true;
        }
    }
    a->key_scan_packets = a->stats.packets;
    return false;
}

int okno_fasm_pop(struct okno_fasm *a, int64_t now_us, struct okno_fasm_frame *out)
{
    while (a->started && a->next <= a->highest) {
        if (!present(a, a->next)) {
            if (!hole_lost(a, a->next, now_us)) {
                if (skip_to_key_frame(a))
                    continue;
                return 0;
            }
            discard_until(a, a->next + 1);
            /* The rest of a run of missing packets has been waited for just as long. */
            a->blocked_seq = a->next;
            continue;
        }
        if (!slot_of(a, a->next)->start) {
            /* The rest of a frame whose start is gone; at the very beginning its start may still
             * be on the way, so it is waited for like a hole. */
            if (!a->settled && !hole_lost(a, a->next - 1, now_us))
                return 0;
            discard_until(a, a->next + 1);
            continue;
        }
        int64_t stop = 0;
        size_t bytes = 0;
        int64_t end = scan_frame(a, now_us, &stop, &bytes);
        if (end == -1) {
            if (skip_to_key_frame(a))
                continue;
            return 0;
        }
        if (end == -2) {
            a->stats.incomplete_frames++;
            discard_until(a, stop);
            continue;
        }
        if (bytes > a->cfg.max_frame_bytes) {
            a->stats.oversized_frames++;
            discard_until(a, end + 1);
            continue;
        }
        const struct slot *first = slot_of(a, a->next);
        *out = (struct okno_fasm_frame){
            .data = a->frame,
            .ts = first->ts,
            .meta = first->meta,
            .first_seq = a->next,
            .last_seq = end,
            .arrival_us = slot_of(a, end)->arrival_us,
            .lost_before = a->loss_pending,
        };
        size_t off = 0;
        for (int64_t k = a->next; k <= end; k++) {
            struct slot *s = slot_of(a, k);
            memcpy(a->frame + off, s->data, s->len);
            off += s->len;
            s->used = false;
        }
        out->len = off;
        a->next = end + 1;
        a->loss_pending = false;
        a->settled = true;
        a->stats.frames++;
        return 1;
    }
    return 0;
}

struct okno_fasm_stats okno_fasm_stats(const struct okno_fasm *a)
{
    return a->stats;
}
