/* VP8 picture ID and TL0PICIDX continuity for one downtrack. See vp8_munger.h. All picture
 * arithmetic is modulo 2^15 and all TL0PICIDX arithmetic modulo 2^8; "newer" means a positive
 * signed difference, so the numbering wraps without special cases. The drop ring trades exactness
 * for a fixed size: a late packet older than the last OKNO_VP8_MUNGER_DROPS drops is refused rather
 * than guessed. */
#include "wire/vp8_munger.h"

#include <string.h>

#include "okno/err.h"

#define PIC_MASK 0x7fff

/* Signed distance from b to a in a field of the given width. */
static int pic_diff(uint16_t a, uint16_t b, unsigned bits)
{
    unsigned mod = 1u << bits;
    unsigned d = ((unsigned)a - b) & (mod - 1);
    return d >= mod / 2 ? (int)d - (int)mod : (int)d;
}

static int tl0_diff(uint8_t a, uint8_t b)
{
    return (int8_t)(uint8_t)(a - b);
}

/* a lies in the window (lo, hi] of the 15-bit picture space. */
static bool in_window(uint16_t a, uint16_t lo, uint16_t hi)
{
    return pic_diff(a, lo, 15) > 0 && pic_diff(hi, a, 15) >= 0;
}

void okno_vp8_munger_init(struct okno_vp8_munger *m)
{
    memset(m, 0, sizeof *m);
}

static void remember_drop(struct okno_vp8_munger *m, uint16_t pic, bool tl0)
{
    size_t slot;
    if (m->ndrops < OKNO_VP8_MUNGER_DROPS) {
        slot = (m->drop_head + m->ndrops++) % OKNO_VP8_MUNGER_DROPS;
    } else {
        slot = m->drop_head;
        m->have_evicted = true;
        m->evicted_pic = m->drops[slot].pic;
        m->drop_head = (m->drop_head + 1) % OKNO_VP8_MUNGER_DROPS;
    }
    m->drops[slot].pic = pic;
    m->drops[slot].tl0 = tl0;
}

static int start_source(struct okno_vp8_munger *m, const struct okno_vp8_munger_in *in,
                        struct okno_vp8_munger_out *out)
{
    uint16_t pic = in->picture_id & PIC_MASK;
    if (m->started) {
        m->pic_offset = (uint16_t)((m->last_out + 1 - pic) & PIC_MASK);
        if (in->has_tl0picidx && m->have_out_tl0)
            m->tl0_offset = (uint8_t)(m->last_out_tl0 + 1 - in->tl0picidx);
        else
            m->tl0_offset = 0;
    } else {
        m->pic_offset = 0;
        m->tl0_offset = 0;
    }
    m->started = true;
    m->source = in->source;
    m->last_in = m->switch_in = pic;
    m->last_in_dropped = false;
    m->have_in_tl0 = in->has_tl0picidx;
    m->last_in_tl0 = in->tl0picidx;
    m->ndrops = m->drop_head = 0;
    m->have_evicted = false;
    out->picture_id = (uint16_t)((pic + m->pic_offset) & PIC_MASK);
    out->has_tl0picidx = in->has_tl0picidx;
    out->tl0picidx = (uint8_t)(in->tl0picidx + m->tl0_offset);
    m->last_out = out->picture_id;
    m->have_out_tl0 = m->have_out_tl0 || in->has_tl0picidx;
    if (in->has_tl0picidx)
        m->last_out_tl0 = out->tl0picidx;
    return 1;
}

/* A packet of a picture older than the newest: number it as it was numbered when it was newest, by
 * adding back the drops that came after it. */
static int map_late(const struct okno_vp8_munger *m, uint16_t pic,
                    const struct okno_vp8_munger_in *in, struct okno_vp8_munger_out *out)
{
    if (pic_diff(pic, m->switch_in, 15) < 0)
        return OKNO_E_RANGE;
    if (m->have_evicted && in_window(m->evicted_pic, pic, m->last_in))
        return OKNO_E_RANGE;
    unsigned later = 0, later_tl0 = 0;
    for (size_t i = 0; i < m->ndrops; i++) {
        size_t slot = (m->drop_head + i) % OKNO_VP8_MUNGER_DROPS;
        if (m->drops[slot].pic == pic)
            return OKNO_E_STATE;
        if (in_window(m->drops[slot].pic, pic, m->last_in)) {
            later++;
            later_tl0 += m->drops[slot].tl0;
        }
    }
    out->picture_id = (uint16_t)((pic + m->pic_offset + later) & PIC_MASK);
    out->has_tl0picidx = in->has_tl0picidx;
    out->tl0picidx = (uint8_t)(in->tl0picidx + m->tl0_offset + later_tl0);
    return 1;
}

int okno_vp8_munger_update(struct okno_vp8_munger *m, const struct okno_vp8_munger_in *in,
                           struct okno_vp8_munger_out *out)
{
    unsigned bits = in->picture_id_bits;
    if (bits != 7 && bits != 15)
        return OKNO_E_INVAL;
    if (!m->started || in->source != m->source)
        return in->forward ? start_source(m, in, out) : 0;

    uint16_t width_mask = (uint16_t)((1u << bits) - 1);
    int d = pic_diff(in->picture_id & width_mask, m->last_in & width_mask, bits);
    uint16_t pic = (uint16_t)((m->last_in + d) & PIC_MASK);
    bool new_tl0 =
        in->has_tl0picidx && (!m->have_in_tl0 || tl0_diff(in->tl0picidx, m->last_in_tl0) > 0);

    if (d < 0)
        return in->forward ? map_late(m, pic, in, out) : 0;
    if (d == 0) {
        if (!in->forward)
            return 0;
        if (m->last_in_dropped)
            return OKNO_E_STATE;
    } else {
        m->last_in = pic;
        m->last_in_dropped = !in->forward;
        if (new_tl0) {
            m->have_in_tl0 = true;
            m->last_in_tl0 = in->tl0picidx;
        }
        if (!in->forward) {
            m->pic_offset = (uint16_t)((m->pic_offset - 1) & PIC_MASK);
            if (new_tl0)
                m->tl0_offset--;
            remember_drop(m, pic, new_tl0);
            return 0;
        }
    }
    out->picture_id = (uint16_t)((pic + m->pic_offset) & PIC_MASK);
    out->has_tl0picidx = in->has_tl0picidx;
    out->tl0picidx = (uint8_t)(in->tl0picidx + m->tl0_offset);
    m->last_out = out->picture_id;
    if (in->has_tl0picidx) {
        m->have_out_tl0 = true;
        m->last_out_tl0 = out->tl0picidx;
    }
    return 1;
}
