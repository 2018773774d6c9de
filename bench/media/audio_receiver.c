/* The audio jitter buffer of okno-bench. Packets are found by timestamp, not sequence
 * number, because time is what playout runs on; sequence numbers serve only to tell a DTX pause
 * (the packet after the last one played is here, later in time) from a loss (it is not). Decoded
 * audio goes to a scratch buffer that is thrown away: the bench counts slots, it does not listen.
 * Time-stretching moves base_us: a slot played without advancing next_ts puts every later deadline
 * 10 ms later, a slot skipped puts them 10 ms earlier. In the coordinates of a packet's relative
 * arrival (arrival minus media time since the first packet) the deadline of every packet is
 * base_us, so the playout delay above the baseline is base_us minus the baseline. It does not
 * handle a sender whose timestamps jump backwards or change rate. */
#include "media/audio_receiver.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "media/audio_delay.h"
#include "media/opus_codec.h"
#include "okno/err.h"
#include "wire/seq.h"

struct pkt {
    bool used;
    int64_t seq, ts; /* unwrapped */
    int64_t arrival_us;
    uint16_t len;
    uint8_t data[OKNO_AUDIO_MAX_PACKET];
};

enum kind { K_DECODED, K_FEC, K_CONCEALED, K_MISSING };

struct okno_audio_rx {
    struct okno_audio_rx_config cfg;
    struct okno_seq_unwrapper seq_unwrap;
    struct okno_ts_unwrapper ts_unwrap;
    bool started;
    int64_t base_us, base_ts; /* playout: ts base_ts is due at base_us */
    int64_t next_ts;          /* first sample not yet played */
    int64_t last_seq;         /* of the last packet played */
    unsigned last_samples;    /* duration of the last frame, for concealment */
    unsigned pending;         /* samples of the current frame left to play */
    enum kind pending_kind;
    int64_t pending_arrival_us; /* of the packet being played, for jb_delay */
    int64_t now_us;             /* of the last push or tick, for the baseline's window */
    unsigned since_stretch;     /* slots played since the last inserted or removed slot */
    unsigned stall_credit;      /* slots concealed in an underrun, not yet set against a gap */
    struct okno_audio_delay delay;
    int64_t last_baseline_us;
    double delay_ms_sum; /* of delay_ms over the slots played */
    uint64_t delay_slots;
    unsigned conceal_run_ms;
    bool in_dtx; /* the last packet played was a DTX frame (1-2 bytes): gaps are pauses */
    bool paused; /* the last slot was comfort noise; pause_ts is the first one of the pause */
    int64_t pause_ts;
    struct okno_audio_rx_stats stats;
    /* owned */
    struct okno_opusdec *dec;
    struct pkt ring[OKNO_AUDIO_RX_SLOTS];
    int16_t pcm[OKNO_AUDIO_MAX_SAMPLES];
};

int okno_audio_rx_create(const struct okno_audio_rx_config *cfg, struct okno_audio_rx **out)
{
    *out = NULL;
    if (cfg->target_delay_us < 0)
        return OKNO_E_INVAL;
    struct okno_audio_rx *rx = calloc(1, sizeof *rx);
    if (!rx)
        return OKNO_E_NOMEM;
    rx->cfg = *cfg;
    if (!rx->cfg.target_delay_us)
        rx->cfg.target_delay_us = 60000;
    if (!rx->cfg.max_conceal_ms)
        rx->cfg.max_conceal_ms = 200;
    rx->last_samples = OKNO_AUDIO_FRAME_SAMPLES;
    okno_audio_delay_init(&rx->delay, rx->cfg.target_delay_us);
    rx->stats.target_ms = (double)rx->cfg.target_delay_us / 1000.0;
    int rc = okno_opusdec_create(&rx->dec);
    if (rc) {
        free(rx);
        return rc;
    }
    *out = rx;
    return 0;
}

void okno_audio_rx_destroy(struct okno_audio_rx *rx)
{
    if (!rx)
        return;
    okno_opusdec_destroy(rx->dec);
    free(rx);
}

static int64_t deadline_us(const struct okno_audio_rx *rx, int64_t ts)
{
    return rx->base_us + (ts - rx->base_ts) * 1000 / 48;
}

/* The playout delay above the fastest recent packet (us); with no packet in the baseline's
 * window (2 s without any), above the last baseline there was, so a long wait still counts. */
static int64_t current_delay(const struct okno_audio_rx *rx)
{
    int64_t b = okno_audio_delay_baseline(&rx->delay, rx->now_us);
    if (b == INT64_MAX)
        b = rx->last_baseline_us;
    return rx->base_us - b;
}

static void update_delay(struct okno_audio_rx *rx)
{
    rx->stats.delay_ms = (double)current_delay(rx) / 1000.0;
}

/* +1: play a slot more (the delay is below the target), -1: a slot less (still at or above
 * NetEq's high limit, max(target, 3/4 target + 20 ms), after it), 0: neither, or too soon after
 * the last move (1 slot, 10 for a removal or 2 when far above the limit). */
static int stretch(const struct okno_audio_rx *rx)
{
    if (!rx->cfg.adaptive)
        return 0;
    int64_t cur = current_delay(rx), target = okno_audio_delay_target(&rx->delay);
    if (cur < target - 5000 && rx->since_stretch >= 1)
        return 1;
    int64_t high = target * 3 / 4 + 20000 > target ? target * 3 / 4 + 20000 : target;
    /* Far above (a spike waited out, a queue drained), NetEq's fast accelerate: every other slot.
     */
    unsigned spacing = cur > 2 * high + 100000 ? 2 : 10;
    if (cur - 10000 >= high && rx->since_stretch >= spacing)
        return -1;
    return 0;
}

int okno_audio_rx_push(struct okno_audio_rx *rx, uint16_t seq, uint32_t ts, const uint8_t *payload,
                       size_t len, int64_t now_us)
{
    if (okno_opus_packet_samples(payload, len) < 0) {
        rx->stats.bad_packets++;
        return OKNO_E_MALFORMED;
    }
    int64_t eseq = okno_seq_unwrap(&rx->seq_unwrap, seq);
    int64_t ets = okno_ts_unwrap(&rx->ts_unwrap, ts);
    if (!rx->started) {
        rx->started = true;
        rx->base_us = now_us + rx->cfg.target_delay_us;
        rx->base_ts = rx->next_ts = ets;
        rx->last_seq = eseq - 1;
    }
    rx->now_us = now_us;
    int64_t rel = now_us - (ets - rx->base_ts) * 1000 / 48;
    if (rx->cfg.adaptive) {
        okno_audio_delay_update(&rx->delay, rel, now_us);
        rx->stats.target_ms = (double)okno_audio_delay_target(&rx->delay) / 1000.0;
    } else {
        okno_audio_delay_observe(&rx->delay, rel, now_us);
    }
    rx->last_baseline_us = okno_audio_delay_baseline(&rx->delay, now_us);
    update_delay(rx);
    /* Adaptive: the first packet after a pause that comes later than the pause's comfort noise
     * allowed resumes the playout at itself; the delay grows by the difference, as NetEq's does
     * after CNG, since nothing but noise is given up. */
    if (rx->cfg.adaptive && rx->paused && eseq > rx->last_seq && ets >= rx->pause_ts &&
        ets < rx->next_ts) {
        rx->base_us += (rx->next_ts - ets) * 1000 / 48;
        rx->next_ts = ets;
        update_delay(rx);
    }
    /* Adaptive: a packet is late only once playout has passed it; a stall (below) waits for it. */
    if (ets < rx->next_ts || eseq <= rx->last_seq ||
        (!rx->cfg.adaptive && deadline_us(rx, ets) < now_us)) {
        rx->stats.late++;
        return 1;
    }
    struct pkt *p = &rx->ring[(uint64_t)eseq % OKNO_AUDIO_RX_SLOTS];
    if (p->used && p->seq == eseq) {
        rx->stats.duplicates++;
        return 1;
    }
    /* A packet more than the ring ahead overwrites an older one that would never be in time. */
    *p = (struct pkt){
        .used = true, .seq = eseq, .ts = ets, .arrival_us = now_us, .len = (uint16_t)len};
    memcpy(p->data, payload, len);
    rx->stats.packets++;
    return 0;
}

static struct pkt *find_ts(struct okno_audio_rx *rx, int64_t ts)
{
    for (unsigned i = 0; i < OKNO_AUDIO_RX_SLOTS; i++)
        if (rx->ring[i].used && rx->ring[i].ts == ts)
            return &rx->ring[i];
    return NULL;
}

static bool any_after(const struct okno_audio_rx *rx, int64_t ts)
{
    for (unsigned i = 0; i < OKNO_AUDIO_RX_SLOTS; i++)
        if (rx->ring[i].used && rx->ring[i].ts > ts)
            return true;
    return false;
}

/* The earliest buffered timestamp after ts, INT64_MAX when none. */
static int64_t first_after(const struct okno_audio_rx *rx, int64_t ts)
{
    int64_t best = INT64_MAX;
    for (unsigned i = 0; i < OKNO_AUDIO_RX_SLOTS; i++)
        if (rx->ring[i].used && rx->ring[i].ts > ts && rx->ring[i].ts < best)
            best = rx->ring[i].ts;
    return best;
}

static struct pkt *find_seq(struct okno_audio_rx *rx, int64_t seq)
{
    struct pkt *p = &rx->ring[(uint64_t)seq % OKNO_AUDIO_RX_SLOTS];
    return p->used && p->seq == seq ? p : NULL;
}

/* Produces the frame that starts at next_ts. Returns false when the slot is a DTX pause. */
static bool next_frame(struct okno_audio_rx *rx)
{
    struct pkt *p = find_ts(rx, rx->next_ts);
    if (p) {
        int n = okno_opusdec_decode(rx->dec, p->data, p->len, rx->pcm, OKNO_AUDIO_MAX_SAMPLES);
        p->used = false;
        rx->last_seq = p->seq;
        rx->pending_arrival_us = p->arrival_us;
        if (n > 0) {
            rx->last_samples = (unsigned)n;
            rx->pending = (unsigned)n;
            rx->pending_kind = K_DECODED;
            rx->conceal_run_ms = 0;
            rx->stall_credit = 0;
            rx->paused = false;
            rx->in_dtx = p->len <= 2;
            return true;
        }
        rx->stats.bad_packets++;
    }
    /* A pause, not a loss, when the sender said so with a DTX frame, or when the packet after the
     * last one played is here and later in time. Otherwise last_seq stays put, so a pause that
     * began with a lost DTX frame is recognised once the next packet comes. */
    struct pkt *after = find_seq(rx, rx->last_seq + 1);
    if (!p && (rx->in_dtx || (after && after->ts > rx->next_ts)))
        return false;
    unsigned samples = rx->last_samples;
    /* Concealment ends where the next buffered packet starts: playout that left an underrun
     * between two frames (an odd number of 10 ms slots skipped) lands on the packet grid again,
     * instead of concealing a whole frame across it and missing every later packet by 10 ms. */
    int64_t next = first_after(rx, rx->next_ts);
    bool aligned = next == INT64_MAX || next - rx->next_ts >= (int64_t)samples;
    if (!aligned)
        samples = (unsigned)(next - rx->next_ts);
    struct pkt *fec = aligned ? find_ts(rx, rx->next_ts + samples) : NULL;
    if (fec && okno_opus_has_fec(fec->data, fec->len) &&
        okno_opusdec_decode_fec(rx->dec, fec->data, fec->len, rx->pcm, samples) > 0) {
        rx->pending_kind = K_FEC;
        rx->conceal_run_ms = 0;
    } else if (rx->conceal_run_ms < rx->cfg.max_conceal_ms) {
        okno_opusdec_conceal(rx->dec, rx->pcm, samples);
        rx->pending_kind = K_CONCEALED;
        rx->conceal_run_ms += samples / 48;
    } else {
        rx->pending_kind = K_MISSING;
    }
    rx->pending = samples;
    return true;
}

/* Adaptive mode, the frame at next_ts missing at its deadline. With nothing later in the buffer
 * it is an underrun: like NetEq's expand, a slot is concealed without moving on, so the packet
 * plays when it comes and the delay grows by the wait (up to the 2 s maximum). Once a later packet
 * shows the frame lost, the slots concealed while waiting cover as much of the gap: they are
 * skipped, not concealed again. Returns the slots played (0 or 1), or -1 for neither case. */
static int underrun(struct okno_audio_rx *rx)
{
    bool later = any_after(rx, rx->next_ts);
    if (!later && current_delay(rx) < OKNO_AUDIO_DELAY_MAX_US) {
        if (rx->conceal_run_ms < rx->cfg.max_conceal_ms) {
            okno_opusdec_conceal(rx->dec, rx->pcm, OKNO_AUDIO_SLOT_SAMPLES);
            rx->stats.slots_concealed++;
            rx->conceal_run_ms += 10;
        } else {
            rx->stats.slots_missing++;
        }
        rx->base_us += 10000;
        rx->stall_credit++;
        rx->since_stretch++;
        return 1;
    }
    if (later && rx->stall_credit > 0) {
        rx->next_ts += OKNO_AUDIO_SLOT_SAMPLES;
        rx->base_us -= 10000;
        rx->stall_credit--;
        return 0;
    }
    return -1;
}

int okno_audio_rx_tick(struct okno_audio_rx *rx, int64_t now_us)
{
    int played = 0;
    if (rx->started)
        rx->now_us = now_us;
    while (rx->started && deadline_us(rx, rx->next_ts) <= now_us) {
        int64_t slot_us = deadline_us(rx, rx->next_ts);
        if (rx->pending < OKNO_AUDIO_SLOT_SAMPLES && rx->cfg.adaptive && !rx->in_dtx &&
            !find_ts(rx, rx->next_ts)) {
            int s = underrun(rx);
            played += s;
            if (s >= 0)
                continue;
        }
        if (rx->pending < OKNO_AUDIO_SLOT_SAMPLES && !next_frame(rx)) {
            okno_opusdec_conceal(rx->dec, rx->pcm, OKNO_AUDIO_SLOT_SAMPLES); /* comfort noise */
            rx->stats.slots_dtx++;
            if (!rx->paused)
                rx->pause_ts = rx->next_ts;
            rx->paused = true;
            played++;
            int dir = stretch(rx);
            rx->since_stretch++;
            if (dir > 0) { /* this slot of comfort noise is extra: the same ts plays next */
                rx->base_us += 10000;
                rx->since_stretch = 0;
            } else if (dir < 0 && !find_ts(rx, rx->next_ts + OKNO_AUDIO_SLOT_SAMPLES)) {
                rx->next_ts +=
                    2 * (int64_t)OKNO_AUDIO_SLOT_SAMPLES; /* a slot of the pause skipped */
                rx->base_us -= 10000;
                rx->since_stretch = 0;
            } else {
                rx->next_ts += OKNO_AUDIO_SLOT_SAMPLES;
            }
            continue;
        }
        bool real = rx->pending_kind == K_DECODED;
        int dir = real ? stretch(rx) : 0;
        rx->since_stretch++;
        if (dir > 0) {
            /* Deceleration: this slot of real audio plays now and again in the next slot. */
            rx->stats.slots_inserted++;
            rx->stats.jb_delay_sum_us += (uint64_t)(slot_us - rx->pending_arrival_us);
            rx->stats.jb_emitted++;
            rx->base_us += 10000;
            rx->since_stretch = 0;
            played++;
            continue;
        }
        if (dir < 0 && rx->pending >= 2 * OKNO_AUDIO_SLOT_SAMPLES) {
            /* Acceleration: the first 10 ms of the frame are dropped, the rest plays now. */
            rx->pending -= OKNO_AUDIO_SLOT_SAMPLES;
            rx->next_ts += OKNO_AUDIO_SLOT_SAMPLES;
            rx->base_us -= 10000;
            rx->stats.slots_removed++;
            rx->since_stretch = 0;
        }
        uint64_t *count[] = {&rx->stats.slots_decoded, &rx->stats.slots_fec,
                             &rx->stats.slots_concealed, &rx->stats.slots_missing};
        (*count[rx->pending_kind])++;
        if (real) {
            rx->stats.jb_delay_sum_us += (uint64_t)(slot_us - rx->pending_arrival_us);
            rx->stats.jb_emitted++;
        }
        unsigned take =
            rx->pending < OKNO_AUDIO_SLOT_SAMPLES ? rx->pending : OKNO_AUDIO_SLOT_SAMPLES;
        rx->pending -= take;
        rx->next_ts += OKNO_AUDIO_SLOT_SAMPLES;
        played++;
    }
    if (rx->started) {
        update_delay(rx);
        rx->delay_ms_sum += rx->stats.delay_ms * played;
        rx->delay_slots += (uint64_t)played;
    }
    return played;
}

double okno_audio_rx_concealment(const struct okno_audio_rx *rx)
{
    const struct okno_audio_rx_stats *s = &rx->stats;
    uint64_t bad = s->slots_concealed + s->slots_missing;
    uint64_t all = bad + s->slots_decoded + s->slots_fec + s->slots_dtx + s->slots_inserted;
    return all ? (double)bad / (double)all : 0.0;
}

struct okno_audio_rx_stats okno_audio_rx_stats(const struct okno_audio_rx *rx)
{
    struct okno_audio_rx_stats st = rx->stats;
    st.delay_ms_mean = rx->delay_slots ? rx->delay_ms_sum / (double)rx->delay_slots : st.delay_ms;
    return st;
}
