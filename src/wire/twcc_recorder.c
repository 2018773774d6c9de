/* The ring behind the transport-wide CC recorder. The window spans the SLOTS sequence numbers up to
 * the newest one; each slot remembers which unwrapped sequence number it holds, so moving the
 * window forward needs no clearing: a slot whose number is not the one looked up is simply empty.
 * This file deliberately leaves encoding to twcc_build.c. */
#include "wire/twcc_recorder.h"

#include "okno/err.h"
#include "wire/seq.h"

#define SLOTS OKNO_TWCC_RECORDER_SLOTS
#define MASK  (SLOTS - 1)

static size_t slot_of(int64_t seq)
{
    return (size_t)((uint64_t)seq & MASK);
}

static bool has_arrival(const struct okno_twcc_recorder *rec, int64_t seq)
{
    return rec->ring[slot_of(seq)].seq == seq;
}

void okno_twcc_recorder_init(struct okno_twcc_recorder *rec, uint32_t sender_ssrc,
                             uint32_t media_ssrc, size_t max_size)
{
    rec->opts = (struct okno_twcc_build_opts){
        .sender_ssrc = sender_ssrc,
        .media_ssrc = media_ssrc,
        .fb_count = 0,
        .max_size = max_size,
    };
    rec->started = false;
    rec->max_seq = 0;
    rec->next_seq = 1;
    rec->last_build_us = INT64_MIN;
    rec->duplicates = 0;
    rec->too_old = 0;
    rec->unreported = 0;
    /* Never looked up: the highest number only grows from the first one (>= 0), and lookups stay
     * within SLOTS below it. */
    for (size_t i = 0; i < SLOTS; i++)
        rec->ring[i].seq = INT64_MIN;
    rec->scratch_seq = 0;
    rec->scratch_len = 0;
}

int okno_twcc_recorder_on_packet(struct okno_twcc_recorder *rec, uint16_t seq, int64_t arrival_us)
{
    if (!rec->started) {
        rec->started = true;
        rec->max_seq = seq;
        rec->next_seq = seq;
    }
    int64_t s = rec->max_seq + okno_seq_diff(seq, (uint16_t)rec->max_seq);
    if (s > rec->max_seq) {
        rec->max_seq = s;
        int64_t lowest = s - SLOTS + 1;
        if (rec->next_seq < lowest) {
            rec->unreported += (uint64_t)(lowest - rec->next_seq);
            rec->next_seq = lowest;
        }
    } else if (rec->max_seq - s >= SLOTS) {
        rec->too_old++;
        return OKNO_E_RANGE;
    } else if (has_arrival(rec, s)) {
        rec->duplicates++;
        return OKNO_E_EXISTS;
    } else if (s < rec->next_seq) {
        rec->next_seq = s; /* late: report it, and what followed it, again */
    }
    rec->ring[slot_of(s)].seq = s;
    rec->ring[slot_of(s)].arrival_us = arrival_us;
    rec->scratch_len = 0;
    return 0;
}

size_t okno_twcc_recorder_pending(const struct okno_twcc_recorder *rec)
{
    return rec->started ? (size_t)(rec->max_seq + 1 - rec->next_seq) : 0;
}

bool okno_twcc_recorder_due(const struct okno_twcc_recorder *rec, int64_t now_us,
                            int64_t interval_us)
{
    if (okno_twcc_recorder_pending(rec) == 0)
        return false;
    return rec->last_build_us == INT64_MIN || now_us - rec->last_build_us >= interval_us;
}

/* Orders the pending window into scratch, unless it still holds it from the previous build. */
static void fill_scratch(struct okno_twcc_recorder *rec, size_t n)
{
    if (rec->scratch_len && rec->scratch_seq <= rec->next_seq &&
        rec->next_seq + (int64_t)n == rec->scratch_seq + (int64_t)rec->scratch_len)
        return;
    for (size_t i = 0; i < n; i++) {
        int64_t s = rec->next_seq + (int64_t)i;
        bool got = has_arrival(rec, s);
        rec->scratch[i] = (struct okno_twcc_entry){
            .seq = (uint16_t)s,
            .status = got ? OKNO_TWCC_SMALL_DELTA : OKNO_TWCC_NOT_RECEIVED,
            .arrival_us = got ? rec->ring[slot_of(s)].arrival_us : 0,
        };
    }
    rec->scratch_seq = rec->next_seq;
    rec->scratch_len = n;
}

int okno_twcc_recorder_build(struct okno_twcc_recorder *rec, int64_t now_us, uint8_t *buf,
                             size_t cap)
{
    size_t n = okno_twcc_recorder_pending(rec);
    if (n == 0)
        return 0;
    fill_scratch(rec, n);
    size_t consumed = 0;
    int r = okno_twcc_build(&rec->opts, rec->scratch + (rec->next_seq - rec->scratch_seq), n, buf,
                            cap, &consumed);
    if (r < 0)
        return r;
    rec->next_seq += (int64_t)consumed;
    rec->opts.fb_count++;
    rec->last_build_us = now_us;
    return r;
}
