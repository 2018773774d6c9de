/* Sequence number and timestamp continuity for one downtrack. See rtp_munger.h. Input sequence
 * numbers of the current source are extended to 64 bits relative to the newest one, so the
 * arithmetic below never thinks about the wrap; output numbers are kept extended too and cut to 16
 * bits only when returned. Drops are remembered as runs because a dropped frame is a run of
 * consecutive packets: 32 runs cover a second of dropped temporal layers, enough for any reorder
 * window, in a fixed size. */
#include "sfu/rtp_munger.h"

#include <string.h>

#include "okno/err.h"
#include "wire/seq.h"

#define RING_MASK (OKNO_RTP_MUNGER_HISTORY - 1)
/* A gap in the wall clock longer than this is counted as this, so the timestamp arithmetic cannot
 * overflow; a day is far more than any jitter buffer cares about. */
#define MAX_ELAPSED_US (86400 * (int64_t)1000000)

void okno_rtp_munger_init(struct okno_rtp_munger *m, uint32_t clock_rate)
{
    memset(m, 0, sizeof *m);
    m->clock_rate = clock_rate ? clock_rate : 90000;
}

/* Clock units for elapsed microseconds, at least 1 so a new source's first frame never shares the
 * previous frame's timestamp. */
static uint32_t elapsed_units(const struct okno_rtp_munger *m, int64_t elapsed_us)
{
    if (elapsed_us > MAX_ELAPSED_US)
        elapsed_us = MAX_ELAPSED_US;
    if (elapsed_us <= 0)
        return 1;
    int64_t units = (elapsed_us / 1000000) * m->clock_rate +
                    (elapsed_us % 1000000) * (int64_t)m->clock_rate / 1000000;
    return units < 1 ? 1 : (uint32_t)units;
}

static void record(struct okno_rtp_munger *m, int64_t out_ext, uint32_t source, uint16_t in_seq,
                   uint32_t out_ts, uint32_t tag)
{
    /* A late packet far behind the newest would overwrite a newer number's slot. */
    if (m->highest_out - out_ext >= OKNO_RTP_MUNGER_HISTORY)
        return;
    size_t slot = (size_t)out_ext & RING_MASK;
    m->ring[slot].used = true;
    m->ring[slot].e.source = source;
    m->ring[slot].e.in_seq = in_seq;
    m->ring[slot].e.out_seq = (uint16_t)out_ext;
    m->ring[slot].e.out_ts = out_ts;
    m->ring[slot].e.tag = tag;
}

/* Output numbers skipped by a real loss must not keep what was sent under them a ring ago. */
static void clear_gap(struct okno_rtp_munger *m, int64_t from, int64_t to)
{
    if (to - from >= OKNO_RTP_MUNGER_HISTORY)
        from = to - OKNO_RTP_MUNGER_HISTORY + 1;
    for (int64_t o = from; o <= to; o++)
        m->ring[(size_t)o & RING_MASK].used = false;
}

static void start_source(struct okno_rtp_munger *m, const struct okno_rtp_munger_in *in,
                         int64_t now_us)
{
    int64_t in_ext = in->seq;
    if (m->started) {
        m->seq_offset = m->highest_out + 1 - in_ext;
        uint32_t ts = m->last_out_ts + elapsed_units(m, now_us - m->last_out_us);
        m->ts_offset = ts - in->ts;
    } else {
        m->seq_offset = 0;
        m->ts_offset = 0;
        m->highest_out = in_ext - 1;
    }
    m->started = true;
    m->source = in->source;
    m->switch_in = in_ext;
    m->highest_in = in_ext - 1;
    m->highest_dropped = false;
    m->ndrops = m->drop_head = 0;
    m->have_evicted = false;
}

static void remember_drop(struct okno_rtp_munger *m, int64_t ext)
{
    if (m->ndrops > 0) {
        size_t last = (m->drop_head + m->ndrops - 1) % OKNO_RTP_MUNGER_DROP_RUNS;
        if (m->drops[last].hi + 1 == ext) {
            m->drops[last].hi = ext;
            return;
        }
    }
    size_t slot;
    if (m->ndrops < OKNO_RTP_MUNGER_DROP_RUNS) {
        slot = (m->drop_head + m->ndrops++) % OKNO_RTP_MUNGER_DROP_RUNS;
    } else {
        slot = m->drop_head;
        m->have_evicted = true;
        m->evicted_hi = m->drops[slot].hi;
        m->drop_head = (m->drop_head + 1) % OKNO_RTP_MUNGER_DROP_RUNS;
    }
    m->drops[slot].lo = m->drops[slot].hi = ext;
}

/* The output number of a late input: its place when it was newest, i.e. the current offset plus
 * every drop that came after it. */
static int map_late(const struct okno_rtp_munger *m, int64_t ext, int64_t *out_ext)
{
    if (ext < m->switch_in)
        return OKNO_E_RANGE;
    if (m->have_evicted && ext <= m->evicted_hi)
        return OKNO_E_RANGE;
    int64_t later = 0;
    for (size_t i = 0; i < m->ndrops; i++) {
        size_t slot = (m->drop_head + i) % OKNO_RTP_MUNGER_DROP_RUNS;
        int64_t lo = m->drops[slot].lo, hi = m->drops[slot].hi;
        if (ext >= lo && ext <= hi)
            return OKNO_E_STATE;
        if (lo > ext)
            later += hi - lo + 1;
    }
    *out_ext = ext + m->seq_offset + later;
    return 0;
}

int okno_rtp_munger_forward(struct okno_rtp_munger *m, const struct okno_rtp_munger_in *in,
                            int64_t now_us, uint16_t *out_seq, uint32_t *out_ts)
{
    if (!m->started || in->source != m->source)
        start_source(m, in, now_us);

    int64_t ext = m->highest_in + okno_seq_diff(in->seq, (uint16_t)m->highest_in);
    int64_t out_ext;
    uint32_t ts = in->ts + m->ts_offset;
    if (ext > m->highest_in) {
        /* The newest packet (start_source makes a new source's first packet one). */
        out_ext = ext + m->seq_offset;
        if (out_ext > m->highest_out + 1)
            clear_gap(m, m->highest_out + 1, out_ext - 1);
        m->highest_in = ext;
        m->highest_dropped = false;
        m->highest_out = out_ext;
        m->last_out_ts = ts;
        m->last_out_us = now_us;
    } else if (ext == m->highest_in) {
        if (m->highest_dropped)
            return OKNO_E_STATE;
        out_ext = ext + m->seq_offset;
    } else {
        int err = map_late(m, ext, &out_ext);
        if (err < 0)
            return err;
    }
    record(m, out_ext, in->source, in->seq, ts, in->tag);
    *out_seq = (uint16_t)out_ext;
    *out_ts = ts;
    return 0;
}

void okno_rtp_munger_drop(struct okno_rtp_munger *m, uint32_t source, uint16_t seq)
{
    if (!m->started || source != m->source)
        return;
    int64_t ext = m->highest_in + okno_seq_diff(seq, (uint16_t)m->highest_in);
    if (ext <= m->highest_in)
        return;
    m->highest_in = ext;
    m->highest_dropped = true;
    m->seq_offset--;
    remember_drop(m, ext);
}

int okno_rtp_munger_lookup(const struct okno_rtp_munger *m, uint16_t out_seq,
                           struct okno_rtp_munger_entry *out)
{
    size_t slot = out_seq & RING_MASK;
    if (!m->started || !m->ring[slot].used || m->ring[slot].e.out_seq != out_seq)
        return OKNO_E_NOTFOUND;
    /* Older than the ring: the slot was reused, or it is a number from 64 Ki packets ago. */
    int32_t age = okno_seq_diff((uint16_t)m->highest_out, out_seq);
    if (age < 0 || age >= OKNO_RTP_MUNGER_HISTORY)
        return OKNO_E_NOTFOUND;
    *out = m->ring[slot].e;
    return 0;
}

uint16_t okno_rtp_munger_last_seq(const struct okno_rtp_munger *m)
{
    return m->started ? (uint16_t)m->highest_out : 0;
}
