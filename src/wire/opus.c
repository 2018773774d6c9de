/* Opus packet framing (RFC 6716 section 3): TOC, frame count, frame lengths and padding, and the
 * R1-R7 checks. See opus.h. The table below is the RFC's table 2 folded into ranges: the
 * configuration number selects a mode and bandwidth in groups of four (two for hybrid) and the low
 * bits the frame size. */
#include "wire/opus.h"

#include <string.h>

#include "okno/err.h"

#define TOC_STEREO 0x04
#define TOC_CODE   0x03
/* Code 3 count byte: |v|p|     M     | */
#define COUNT_VBR 0x80
#define COUNT_PAD 0x40
#define COUNT_M   0x3f

void okno_opus_parse_toc(uint8_t toc, struct okno_opus_toc *out)
{
    /* SILK and hybrid sizes are 10/20/40/60 ms, CELT sizes 2.5/5/10/20 ms, in 48 kHz samples. */
    static const uint16_t silk_samples[4] = {480, 960, 1920, 2880};
    static const uint16_t celt_samples[4] = {120, 240, 480, 960};
    unsigned config = toc >> 3;
    out->config = (uint8_t)config;
    out->stereo = toc & TOC_STEREO;
    out->code = toc & TOC_CODE;
    if (config < 12) {
        out->mode = OKNO_OPUS_SILK;
        out->bandwidth = (enum okno_opus_bandwidth)(OKNO_OPUS_NB + config / 4);
        out->frame_samples = silk_samples[config % 4];
    } else if (config < 16) {
        out->mode = OKNO_OPUS_HYBRID;
        out->bandwidth = config < 14 ? OKNO_OPUS_SWB : OKNO_OPUS_FB;
        out->frame_samples = silk_samples[config % 2];
    } else {
        /* CELT has no medium band: its four groups are NB, WB, SWB, FB. */
        static const enum okno_opus_bandwidth celt_bw[4] = {OKNO_OPUS_NB, OKNO_OPUS_WB,
                                                            OKNO_OPUS_SWB, OKNO_OPUS_FB};
        out->mode = OKNO_OPUS_CELT;
        out->bandwidth = celt_bw[(config - 16) / 4];
        out->frame_samples = celt_samples[config % 4];
    }
}

/* Reads one frame length (RFC 6716 3.2.1): one byte below 252, else two bytes worth 4 * second +
 * first. Returns the bytes consumed (1 or 2) or OKNO_E_TRUNCATED. */
static int read_frame_len(const uint8_t *p, size_t avail, uint16_t *out)
{
    if (avail < 1)
        return OKNO_E_TRUNCATED;
    if (p[0] < 252) {
        *out = p[0];
        return 1;
    }
    if (avail < 2)
        return OKNO_E_TRUNCATED;
    *out = (uint16_t)(4 * p[1] + p[0]);
    return 2;
}

/* Code 3's count byte and padding length (RFC 6716 3.2.5). On return *off is past them and *pad
 * holds the trailing padding bytes; R6's limit on the length bytes plus padding is checked here
 * against len. */
static int parse_code3_head(const uint8_t *buf, size_t len, size_t *off,
                            struct okno_opus_packet *out)
{
    if (len < 2)
        return OKNO_E_TRUNCATED;
    uint8_t cb = buf[1];
    out->vbr = cb & COUNT_VBR;
    out->frame_count = cb & COUNT_M;
    if (out->frame_count == 0)
        return OKNO_E_MALFORMED; /* R5: at least one frame */
    if ((uint32_t)out->frame_count * out->toc.frame_samples > OKNO_OPUS_MAX_PACKET_SAMPLES)
        return OKNO_E_MALFORMED; /* R5: at most 120 ms */
    *off = 2;
    size_t pad = 0;
    if (cb & COUNT_PAD) {
        /* Each 255 adds 254 bytes of padding and continues the chain; the sum stays below len, so
         * the loop ends within the buffer and pad cannot overflow. */
        for (;;) {
            if (*off >= len)
                return OKNO_E_TRUNCATED;
            uint8_t v = buf[(*off)++];
            pad += v == 255 ? 254 : v;
            if (v != 255)
                break;
        }
    }
    /* R6/R7: the padding is within the packet after the header bytes read so far. */
    if (pad > len - *off)
        return OKNO_E_TRUNCATED;
    out->padding = pad;
    return 0;
}

/* Code 3 after the TOC: count byte, padding, and the frame lengths, VBR (R7) or CBR (R6). On return
 * *off is at the first frame's data. */
static int parse_code3(const uint8_t *buf, size_t len, size_t *off, struct okno_opus_packet *out)
{
    int n = parse_code3_head(buf, len, off, out);
    if (n < 0)
        return n;
    size_t end = len - out->padding; /* frame data ends where the padding starts */
    if (!out->vbr) {
        /* R6: the frames share what is left equally. */
        size_t data = end - *off;
        if (data % out->frame_count != 0)
            return OKNO_E_MALFORMED;
        if (data / out->frame_count > OKNO_OPUS_MAX_FRAME_LEN)
            return OKNO_E_MALFORMED; /* R2 */
        for (unsigned i = 0; i < out->frame_count; i++)
            out->frame_len[i] = (uint16_t)(data / out->frame_count);
        return 0;
    }
    /* R7: the coded lengths of the first M-1 frames, then their data, fit before the padding. */
    size_t sum = 0;
    for (unsigned i = 0; i + 1 < out->frame_count; i++) {
        n = read_frame_len(buf + *off, end - *off, &out->frame_len[i]);
        if (n < 0)
            return n;
        *off += (size_t)n;
        sum += out->frame_len[i];
    }
    if (sum > end - *off)
        return OKNO_E_TRUNCATED;
    size_t last = end - *off - sum;
    if (last > OKNO_OPUS_MAX_FRAME_LEN)
        return OKNO_E_MALFORMED; /* R2 */
    out->frame_len[out->frame_count - 1] = (uint16_t)last;
    return 0;
}

int okno_opus_parse(const uint8_t *buf, size_t len, struct okno_opus_packet *out)
{
    memset(out, 0, sizeof *out);
    if (len < 1)
        return OKNO_E_TRUNCATED; /* R1 */
    okno_opus_parse_toc(buf[0], &out->toc);
    size_t off = 1;
    int n;
    switch (out->toc.code) {
    case 0:
        out->frame_count = 1;
        if (len - 1 > OKNO_OPUS_MAX_FRAME_LEN)
            return OKNO_E_MALFORMED; /* R2 */
        out->frame_len[0] = (uint16_t)(len - 1);
        break;
    case 1:
        out->frame_count = 2;
        if ((len - 1) % 2 != 0)
            return OKNO_E_MALFORMED; /* R3 */
        if ((len - 1) / 2 > OKNO_OPUS_MAX_FRAME_LEN)
            return OKNO_E_MALFORMED; /* R2 */
        out->frame_len[0] = out->frame_len[1] = (uint16_t)((len - 1) / 2);
        break;
    case 2:
        out->frame_count = 2;
        n = read_frame_len(buf + off, len - off, &out->frame_len[0]);
        if (n < 0)
            return n; /* R4 */
        off += (size_t)n;
        if (out->frame_len[0] > len - off)
            return OKNO_E_TRUNCATED; /* R4 */
        if (len - off - out->frame_len[0] > OKNO_OPUS_MAX_FRAME_LEN)
            return OKNO_E_MALFORMED; /* R2 */
        out->frame_len[1] = (uint16_t)(len - off - out->frame_len[0]);
        break;
    default:
        n = parse_code3(buf, len, &off, out);
        if (n < 0)
            return n;
        break;
    }
    for (unsigned i = 0; i < out->frame_count; i++) {
        out->frame[i] = buf + off;
        off += out->frame_len[i];
    }
    out->samples = (uint32_t)out->frame_count * out->toc.frame_samples;
    return 0;
}

int okno_opus_packet_samples(const uint8_t *buf, size_t len)
{
    if (len < 1)
        return OKNO_E_TRUNCATED;
    struct okno_opus_toc toc;
    okno_opus_parse_toc(buf[0], &toc);
    unsigned count;
    switch (toc.code) {
    case 0:
        count = 1;
        break;
    case 1:
    case 2:
        count = 2;
        break;
    default:
        if (len < 2)
            return OKNO_E_TRUNCATED;
        count = buf[1] & COUNT_M;
        if (count == 0 || count * toc.frame_samples > OKNO_OPUS_MAX_PACKET_SAMPLES)
            return OKNO_E_MALFORMED;
        break;
    }
    return (int)(count * toc.frame_samples);
}
