/* RED forwarded, stripped (with recovery) or added for one subscriber (red_adapter.h). Every
 * packet handed out is built whole in the adapter's buffers, from the input's header bytes, so the
 * downtrack sees an ordinary RTP packet and keeps its single path; only a packet that needs no
 * change is handed out as the input itself. */
#include "sfu/red_adapter.h"

#include <string.h>

#include "okno/err.h"
#include "wire/seq.h"

#define PERMILLE_Q8(pm) ((uint32_t)(pm)*256u)
#define N_RECOVERED     (sizeof((struct okno_red_adapter *)0)->recovered / sizeof(uint16_t))

int okno_red_adapter_init(struct okno_red_adapter *a, const struct okno_red_adapter_params *p)
{
    if (p->opus_pt > 127 || p->red_in > 127 || p->red_out > 127 || p->red_in == p->opus_pt ||
        p->red_out == p->opus_pt)
        return OKNO_E_INVAL;
    memset(a, 0, sizeof *a);
    a->p = *p;
    return 0;
}

unsigned okno_red_adapter_on_loss(struct okno_red_adapter *a, uint8_t fraction_lost)
{
    /* fraction/256 as per mille x 256 is fraction x 1000. A quarter of the new value: a report
     * comes every one to five seconds and one run of losses makes a report of several percent,
     * so the depth follows the leg's mean loss, reached within a few reports, not each run. */
    uint32_t pm = (uint32_t)fraction_lost * 1000u;
    a->loss_q8 = a->have_loss ? a->loss_q8 - a->loss_q8 / 4 + pm / 4 : pm;
    a->have_loss = true;
    if (a->p.red_out < 0) {
        a->depth = 0;
        return 0;
    }
    const uint32_t l = a->loss_q8, on = PERMILLE_Q8(OKNO_RED_ADAPTER_ON_PERMILLE),
                   off = PERMILLE_Q8(OKNO_RED_ADAPTER_OFF_PERMILLE),
                   two = PERMILLE_Q8(OKNO_RED_ADAPTER_TWO_PERMILLE),
                   two_off = PERMILLE_Q8(OKNO_RED_ADAPTER_TWO_OFF_PERMILLE);
    switch (a->depth) {
    case 0:
        a->depth = l > two ? 2 : l > on;
        break;
    case 1:
        if (l > two)
            a->depth = 2;
        else if (l < off)
            a->depth = 0;
        break;
    default:
        if (l < off)
            a->depth = 0;
        else if (l < two_off)
            a->depth = 1;
        break;
    }
    return a->depth;
}

/* A new source SSRC (the publisher restarted, or another track on the section): nothing known of
 * the old one applies. */
static void follow_source(struct okno_red_adapter *a, const struct okno_rtp_pkt *in)
{
    if (!a->have_last || in->ssrc == a->last_ssrc)
        return;
    a->have_last = false;
    a->n_recovered = 0;
    for (size_t i = 0; i < OKNO_RED_ADAPTER_DEPTH; i++)
        a->hist[i].used = false;
}

static bool is_newest(const struct okno_red_adapter *a, const struct okno_rtp_pkt *in)
{
    return !a->have_last || okno_seq_newer(in->seq, a->last_seq);
}

static void note_newest(struct okno_red_adapter *a, const struct okno_rtp_pkt *in)
{
    if (!is_newest(a, in))
        return;
    a->have_last = true;
    a->last_ssrc = in->ssrc;
    a->last_seq = in->seq;
    a->last_ts = in->ts;
}

/* A late original of a packet already delivered from a block. Only a packet older than the newest
 * can be one: a newer one with the same number is the stream 65536 packets on. */
static bool was_recovered(const struct okno_red_adapter *a, const struct okno_rtp_pkt *in)
{
    if (!a->have_last || okno_seq_newer(in->seq, a->last_seq))
        return false;
    for (unsigned i = 0; i < a->n_recovered; i++)
        if (a->recovered[i] == in->seq)
            return true;
    return false;
}

static void mark_recovered(struct okno_red_adapter *a, uint16_t seq)
{
    a->recovered[a->recovered_next] = seq;
    a->recovered_next = (uint8_t)((a->recovered_next + 1) % N_RECOVERED);
    if (a->n_recovered < N_RECOVERED)
        a->n_recovered++;
}

static size_t header_len(const struct okno_rtp_pkt *in)
{
    return (size_t)(in->payload - in->raw);
}

/* Writes the input's header with seq, ts, marker and pt, then payload[0..len), into out (OKNO_MTU
 * bytes) and parses it into o. Returns false when it does not fit. */
static bool emit(const struct okno_rtp_pkt *in, uint16_t seq, uint32_t ts, bool marker, uint8_t pt,
                 const uint8_t *payload, size_t len, uint8_t *out, struct okno_red_adapter_pkt *o)
{
    size_t hl = header_len(in);
    if (hl + len > OKNO_MTU)
        return false;
    memcpy(out, in->raw, hl);
    out[0] &= (uint8_t)~0x20u; /* the input's padding is not copied */
    memmove(out + hl, payload, len);
    size_t n = hl + len;
    okno_rtp_set_seq(out, n, seq);
    okno_rtp_set_ts(out, n, ts);
    okno_rtp_set_marker(out, n, marker);
    okno_rtp_set_pt(out, n, pt);
    o->pkt = out;
    o->len = n;
    o->pt = pt;
    return okno_rtp_parse(out, n, &o->rtp) == 0;
}

static void pass(const struct okno_rtp_pkt *in, uint8_t pt, struct okno_red_adapter_pkt *o)
{
    o->pkt = in->raw;
    o->len = in->raw_len;
    o->rtp = *in;
    o->pt = pt;
}

/* Keeps an Opus payload for the redundancy of the next packets. One too long for a block leaves an
 * unusable slot, so an older payload is not taken for it. */
static void remember(struct okno_red_adapter *a, const struct okno_rtp_pkt *in, const uint8_t *data,
                     size_t len)
{
    if (!is_newest(a, in))
        return;
    unsigned i = a->hist_next;
    a->hist_next = (uint8_t)((i + 1) % OKNO_RED_ADAPTER_DEPTH);
    a->hist[i].used = len > 0 && len <= OKNO_RED_MAX_BLOCK_LEN;
    if (!a->hist[i].used)
        return;
    a->hist[i].ssrc = in->ssrc;
    a->hist[i].seq = in->seq;
    a->hist[i].ts = in->ts;
    a->hist[i].len = (uint16_t)len;
    memcpy(a->hist[i].data, data, len);
}

/* The primary wrapped with up to depth previous payloads, oldest first, as many as fit and as the
 * history holds (at least more than min_blocks); true when built into out. */
static bool build_red(struct okno_red_adapter *a, const struct okno_rtp_pkt *in,
                      const struct okno_red_block *primary, size_t min_blocks,
                      struct okno_red_adapter_pkt *out)
{
    struct okno_red_block blocks[OKNO_RED_ADAPTER_DEPTH] = {{0}};
    size_t n = 0;
    for (unsigned k = a->depth; k >= 1; k--) {
        const unsigned i = (a->hist_next + OKNO_RED_ADAPTER_DEPTH - k) % OKNO_RED_ADAPTER_DEPTH;
        int64_t dts = okno_ts_diff(in->ts, a->hist[i].ts);
        int32_t dseq = okno_seq_diff(in->seq, a->hist[i].seq);
        if (!a->hist[i].used || a->hist[i].ssrc != in->ssrc || dts <= 0 ||
            dts > OKNO_RED_MAX_TS_OFFSET || dseq <= 0 || dseq > OKNO_RED_ADAPTER_DEPTH)
            continue;
        blocks[n++] = (struct okno_red_block){.pt = a->p.opus_pt,
                                              .ts_offset = (uint16_t)dts,
                                              .data = a->hist[i].data,
                                              .len = a->hist[i].len};
    }
    size_t room = OKNO_MTU - OKNO_RED_ADAPTER_HEADROOM - header_len(in);
    size_t first = 0; /* the oldest blocks give way first */
    int size = okno_red_size(blocks, n, primary);
    while (first < n && (size < 0 || (size_t)size > room)) {
        first++;
        size = okno_red_size(blocks + first, n - first, primary);
    }
    if (n - first <= min_blocks)
        return false;
    uint8_t *buf = a->out[0];
    size_t hl = header_len(in);
    memcpy(buf, in->raw, hl);
    buf[0] &= (uint8_t)~0x20u;
    int len = okno_red_build(buf + hl, OKNO_MTU - hl, blocks + first, n - first, primary);
    if (len < 0 || okno_rtp_set_pt(buf, hl + (size_t)len, (uint8_t)a->p.red_out) != 0 ||
        okno_rtp_parse(buf, hl + (size_t)len, &out->rtp) != 0)
        return false;
    out->pkt = buf;
    out->len = hl + (size_t)len;
    out->pt = (uint8_t)a->p.red_out;
    return true;
}

static int on_opus(struct okno_red_adapter *a, const struct okno_rtp_pkt *in,
                   struct okno_red_adapter_pkt *out)
{
    if (was_recovered(a, in)) {
        a->stats.late_dropped++;
        return 0;
    }
    const struct okno_red_block primary = {
        .pt = a->p.opus_pt, .data = in->payload, .len = in->payload_len};
    if (a->p.red_out >= 0 && a->depth > 0 && is_newest(a, in) && build_red(a, in, &primary, 0, out))
        a->stats.red_added++;
    else
        pass(in, a->p.opus_pt, out);
    if (a->p.red_out >= 0)
        remember(a, in, in->payload, in->payload_len);
    note_newest(a, in);
    return 1;
}

unsigned okno_red_block_distance(uint32_t ts, uint32_t last_ts, unsigned gap, uint8_t opus_pt,
                                 const struct okno_red_block *b, size_t pos, size_t n)
{
    if (gap == 0 || pos >= n || b->pt != opus_pt || b->len == 0 || b->ts_offset == 0 ||
        okno_ts_diff(ts - b->ts_offset, last_ts) <= 0)
        return 0;
    uint32_t span = ts - last_ts;
    unsigned d = (unsigned)(n - pos);
    if (span % (gap + 1) == 0 && span / (gap + 1) > 0) {
        uint32_t frame = span / (gap + 1);
        d = b->ts_offset % frame == 0 ? b->ts_offset / frame : 0;
    }
    return d >= 1 && d <= gap ? d : 0;
}

static int on_red(struct okno_red_adapter *a, const struct okno_rtp_pkt *in,
                  struct okno_red_adapter_pkt *out)
{
    struct okno_red_block blocks[OKNO_RED_ADAPTER_MAX_BLOCKS], primary;
    int nb =
        okno_red_parse(in->payload, in->payload_len, blocks, OKNO_RED_ADAPTER_MAX_BLOCKS, &primary);
    if (nb == OKNO_E_NOSPC)
        nb = okno_red_primary(in->payload, in->payload_len, &primary) == 0 ? 0 : OKNO_E_MALFORMED;
    if (nb < 0 || primary.pt != a->p.opus_pt || primary.len == 0) {
        a->stats.malformed++;
        return 0;
    }
    if (a->p.red_out >= 0) {
        /* The leg loses more than the publisher's own redundancy covers (its uplink was clean):
         * rebuilt with more blocks from the history, else passed on as it came. */
        if (a->depth > (unsigned)nb && is_newest(a, in) &&
            build_red(a, in, &primary, (size_t)nb, out))
            a->stats.red_deepened++;
        else
            pass(in, (uint8_t)a->p.red_out, out);
        remember(a, in, primary.data, primary.len);
        note_newest(a, in);
        a->stats.red_forwarded++;
        return 1;
    }
    if (was_recovered(a, in)) {
        a->stats.late_dropped++;
        return 0;
    }
    int k = 0;
    if (a->have_last && okno_seq_newer(in->seq, a->last_seq)) {
        unsigned gap = (unsigned)okno_seq_diff(in->seq, a->last_seq) - 1;
        unsigned prev = gap + 1; /* distances must fall: blocks come oldest first */
        for (size_t i = 0; gap > 0 && i < (size_t)nb && k < OKNO_RED_ADAPTER_DEPTH; i++) {
            unsigned d = okno_red_block_distance(in->ts, a->last_ts, gap, a->p.opus_pt, &blocks[i],
                                                 i, (size_t)nb);
            if (d == 0 || d >= prev)
                continue;
            prev = d;
            uint16_t seq = (uint16_t)(in->seq - d);
            if (!emit(in, seq, in->ts - blocks[i].ts_offset, false, a->p.opus_pt, blocks[i].data,
                      blocks[i].len, a->out[k], &out[k]))
                continue;
            mark_recovered(a, seq);
            a->stats.blocks_recovered++;
            k++;
        }
    }
    if (!emit(in, in->seq, in->ts, in->marker, a->p.opus_pt, primary.data, primary.len, a->out[k],
              &out[k])) {
        a->stats.malformed++;
        return k;
    }
    note_newest(a, in);
    a->stats.red_stripped++;
    return k + 1;
}

int okno_red_adapter_process(struct okno_red_adapter *a, const struct okno_rtp_pkt *in,
                             struct okno_red_adapter_pkt *out)
{
    follow_source(a, in);
    if (in->pt == a->p.opus_pt)
        return on_opus(a, in, out);
    if (a->p.red_in >= 0 && in->pt == a->p.red_in)
        return on_red(a, in, out);
    return 0;
}
