/* Typed accessors for the header extensions WebRTC negotiates (declared in rtp_ext.h): each checks
 * the element's length against its type and decodes or encodes the value. They deliberately take
 * the negotiated id as a parameter and know nothing of SDP or URIs; mapping a=extmap lines to ids
 * is the session's job, done once per track and not per packet. */
#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"
#include "wire/rtp_ext.h"

/* Finds element id and insists on one of two lengths (pass the same twice for one). */
static int find_sized(const struct okno_rtp_pkt *pkt, uint8_t id, uint8_t len_a, uint8_t len_b,
                      struct okno_rtp_ext *e)
{
    int err = okno_rtp_ext_find(pkt, id, e);
    if (err < 0)
        return err;
    if (e->len != len_a && e->len != len_b)
        return OKNO_E_MALFORMED;
    return 0;
}

int okno_rtp_ext_get_twcc(const struct okno_rtp_pkt *pkt, uint8_t id, uint16_t *seq)
{
    struct okno_rtp_ext e;
    int err = find_sized(pkt, id, 2, 4, &e);
    if (err == 0)
        *seq = okno_rd16(e.data);
    return err;
}

/* Writes the first two bytes only, so a version-2 element keeps its feedback request. */
int okno_rtp_ext_set_twcc(uint8_t *pkt, size_t len, uint8_t id, uint16_t seq)
{
    struct okno_rtp_pkt p;
    struct okno_rtp_ext e;
    int err = okno_rtp_parse(pkt, len, &p);
    if (err == 0)
        err = find_sized(&p, id, 2, 4, &e);
    if (err == 0)
        okno_wr16(pkt + (e.data - pkt), seq);
    return err;
}

int okno_rtp_ext_get_abs_send_time(const struct okno_rtp_pkt *pkt, uint8_t id, uint32_t *t24)
{
    struct okno_rtp_ext e;
    int err = find_sized(pkt, id, 3, 3, &e);
    if (err == 0)
        *t24 = okno_rd24(e.data);
    return err;
}

int okno_rtp_ext_set_abs_send_time(uint8_t *pkt, size_t len, uint8_t id, uint32_t t24)
{
    uint8_t v[3];
    okno_wr24(v, t24 & 0xffffff);
    return okno_rtp_ext_set(pkt, len, id, v, sizeof v);
}

/* 6.18 fixed point wraps every 64 s: reducing first keeps the shift far from overflowing whatever
 * the clock's epoch. */
uint32_t okno_rtp_abs_send_time_from_us(uint64_t us)
{
    uint64_t r = us % 64000000u;
    return (uint32_t)(((r << 18) + 500000u) / 1000000u) & 0xffffff;
}

uint64_t okno_rtp_abs_send_time_to_us(uint32_t t24)
{
    return ((uint64_t)(t24 & 0xffffff) * 1000000u + (1u << 17)) >> 18;
}

int okno_rtp_ext_get_audio_level(const struct okno_rtp_pkt *pkt, uint8_t id, bool *voice,
                                 uint8_t *level)
{
    struct okno_rtp_ext e;
    int err = find_sized(pkt, id, 1, 1, &e);
    if (err == 0) {
        *voice = e.data[0] & 0x80;
        *level = e.data[0] & 0x7f;
    }
    return err;
}

int okno_rtp_ext_get_toffset(const struct okno_rtp_pkt *pkt, uint8_t id, int32_t *offset)
{
    struct okno_rtp_ext e;
    int err = find_sized(pkt, id, 3, 3, &e);
    if (err == 0) {
        uint32_t v = okno_rd24(e.data);
        *offset = v & 0x800000 ? (int32_t)v - 0x1000000 : (int32_t)v;
    }
    return err;
}

int okno_rtp_ext_get_string(const struct okno_rtp_pkt *pkt, uint8_t id, const char **s, size_t *n)
{
    struct okno_rtp_ext e;
    int err = okno_rtp_ext_find(pkt, id, &e);
    if (err < 0)
        return err;
    const uint8_t *nul = e.len ? memchr(e.data, 0, e.len) : NULL;
    size_t len = nul ? (size_t)(nul - e.data) : e.len;
    if (len == 0)
        return OKNO_E_MALFORMED;
    *s = (const char *)e.data;
    *n = len;
    return 0;
}

int okno_rtp_ext_get_mid(const struct okno_rtp_pkt *pkt, uint8_t id, const char **s, size_t *n)
{
    return okno_rtp_ext_get_string(pkt, id, s, n);
}

int okno_rtp_ext_get_rid(const struct okno_rtp_pkt *pkt, uint8_t id, const char **s, size_t *n)
{
    return okno_rtp_ext_get_string(pkt, id, s, n);
}

int okno_rtp_ext_get_repaired_rid(const struct okno_rtp_pkt *pkt, uint8_t id, const char **s,
                                  size_t *n)
{
    return okno_rtp_ext_get_string(pkt, id, s, n);
}
