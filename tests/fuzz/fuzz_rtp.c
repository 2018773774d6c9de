/* libFuzzer target for src/wire/rtp*.c, rtx.c and demux.c. Beyond "parse does not crash" it checks
 * that everything built from a parsed packet says the same thing again: the header rebuilt by
 * write_header is the input's header, field setters change exactly their field, an RTX wrap unwraps
 * to the original (and an RTX unwrap wraps back to the input), an extension block rebuilt from its
 * elements walks to the same elements, and a packet with an element put into it carries that
 * element, every other element and the same payload. Any inconsistency traps. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire/bytes.h"
#include "wire/demux.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/rtx.h"
#include "wire/seq.h"

#define MAX_IN    65536
#define MAX_ELEMS 64

static uint8_t buf_a[MAX_IN + 4096];
static uint8_t buf_b[MAX_IN + 4096];

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void check_rebuild(const uint8_t *data, const struct okno_rtp_pkt *p)
{
    CHECK(p->header_len + p->payload_len + p->pad_len == p->raw_len);
    int w = okno_rtp_write_header(buf_a, sizeof buf_a, p);
    CHECK(w >= 0 && (size_t)w == p->header_len);
    CHECK(memcmp(buf_a, data, p->header_len) == 0);
    if (p->header_len > 0)
        CHECK(okno_rtp_write_header(buf_a, p->header_len - 1, p) < 0);
}

static void check_setters(const uint8_t *data, size_t size, const struct okno_rtp_pkt *p)
{
    memcpy(buf_a, data, size);
    uint32_t v = p->ts ^ 0x5a5a5a5au;
    CHECK(okno_rtp_set_ssrc(buf_a, size, v) == 0);
    CHECK(okno_rtp_set_seq(buf_a, size, (uint16_t)(p->seq + 1)) == 0);
    CHECK(okno_rtp_set_ts(buf_a, size, v + 7) == 0);
    CHECK(okno_rtp_set_marker(buf_a, size, !p->marker) == 0);
    CHECK(okno_rtp_set_pt(buf_a, size, (uint8_t)(127 - p->pt)) == 0);
    struct okno_rtp_pkt q;
    CHECK(okno_rtp_parse(buf_a, size, &q) == 0);
    CHECK(q.ssrc == v && q.seq == (uint16_t)(p->seq + 1) && q.ts == v + 7);
    CHECK(q.marker == !p->marker && q.pt == 127 - p->pt);
    CHECK(buf_a[0] == data[0] && memcmp(buf_a + 12, data + 12, size - 12) == 0);
    CHECK(okno_seq_diff(q.seq, p->seq) == 1 && okno_seq_newer(q.seq, p->seq));
}

static void check_rtx(const uint8_t *data, size_t size, const struct okno_rtp_pkt *p)
{
    int w = okno_rtx_wrap(data, size, buf_a, sizeof buf_a, ~p->ssrc, (uint8_t)(p->pt ^ 1),
                          (uint16_t)~p->seq);
    CHECK(w >= 0 && (size_t)w == size + 2);
    struct okno_rtp_pkt r;
    CHECK(okno_rtp_parse(buf_a, (size_t)w, &r) == 0);
    CHECK(okno_rtx_osn(&r) == p->seq && !okno_rtx_is_padding_only(&r));
    int u = okno_rtx_unwrap(buf_a, (size_t)w, buf_b, sizeof buf_b, p->ssrc, p->pt);
    CHECK(u >= 0 && (size_t)u == size && memcmp(buf_b, data, size) == 0);

    /* The input read as an RTX packet: whatever it restores must wrap back to the input. */
    u = okno_rtx_unwrap(data, size, buf_a, sizeof buf_a, ~p->ssrc, (uint8_t)(p->pt ^ 1));
    if (okno_rtx_is_padding_only(p)) {
        CHECK(u == 0);
    } else if (p->payload_len < OKNO_RTX_OSN_LEN) {
        CHECK(u < 0);
    } else {
        CHECK(u >= 0 && (size_t)u == size - 2);
        w = okno_rtx_wrap(buf_a, (size_t)u, buf_b, sizeof buf_b, p->ssrc, p->pt, p->seq);
        CHECK(w >= 0 && (size_t)w == size && memcmp(buf_b, data, size) == 0);
    }
}

/* Walks the elements into elems (at most MAX_ELEMS); returns the count, or -1 when the walk failed
 * or there were too many to keep. */
static int collect(const struct okno_rtp_pkt *p, struct okno_rtp_ext *elems)
{
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    int n = 0, r;
    okno_rtp_ext_iter_init(&it, p);
    while ((r = okno_rtp_ext_iter_next(&it, &e)) > 0) {
        CHECK(e.id != 0 && e.data >= p->ext && e.data + e.len <= p->ext + p->ext_len);
        struct okno_rtp_ext first;
        CHECK(okno_rtp_ext_find(p, e.id, &first) == 0 && first.data <= e.data);
        if (n == MAX_ELEMS)
            return -1;
        elems[n++] = e;
    }
    CHECK(okno_rtp_ext_iter_next(&it, &e) == r); /* the end, or the error, sticks */
    return r < 0 ? -1 : n;
}

static void check_build(const struct okno_rtp_ext *elems, int n)
{
    uint16_t profile;
    int w = okno_rtp_ext_build(buf_a, sizeof buf_a, elems, (size_t)n, &profile);
    CHECK(w >= 0 && w % 4 == 0);
    struct okno_rtp_pkt v;
    memset(&v, 0, sizeof v);
    v.extension = true;
    v.ext_profile = profile;
    v.ext = buf_a;
    v.ext_len = (size_t)w;
    struct okno_rtp_ext again[MAX_ELEMS];
    CHECK(collect(&v, again) == n);
    for (int i = 0; i < n; i++)
        CHECK(again[i].id == elems[i].id && again[i].len == elems[i].len &&
              memcmp(again[i].data, elems[i].data, elems[i].len) == 0);
}

/* Walks both packets' elements other than id side by side; they must match one for one. */
static void check_others_kept(const struct okno_rtp_pkt *p, const struct okno_rtp_pkt *q,
                              uint8_t id)
{
    struct okno_rtp_ext_iter a, b;
    struct okno_rtp_ext x, y;
    okno_rtp_ext_iter_init(&a, p);
    okno_rtp_ext_iter_init(&b, q);
    for (;;) {
        int ra, rb;
        while ((ra = okno_rtp_ext_iter_next(&a, &x)) > 0 && x.id == id)
            ;
        while ((rb = okno_rtp_ext_iter_next(&b, &y)) > 0 && y.id == id)
            ;
        CHECK(ra == rb && ra >= 0);
        if (ra == 0)
            return;
        CHECK(x.id == y.id && x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
    }
}

static void check_put(const uint8_t *data, size_t size, const struct okno_rtp_pkt *p, bool walk_ok)
{
    static const uint8_t value[24] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12,
                                      13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24};
    struct okno_rtp_ext e = {(uint8_t)(p->seq % 255 + 1), (uint8_t)(p->ts % 24), value};
    int w = okno_rtp_ext_put(data, size, buf_a, sizeof buf_a, &e);
    bool known = !p->extension || okno_rtp_ext_form_of(p->ext_profile) != OKNO_RTP_EXT_NONE;
    if (!walk_ok || !known) {
        CHECK(w < 0);
        return;
    }
    CHECK(w > 0); /* inputs are capped well below a block the 16-bit length cannot describe */
    struct okno_rtp_pkt q;
    struct okno_rtp_ext f;
    CHECK(okno_rtp_parse(buf_a, (size_t)w, &q) == 0);
    CHECK(okno_rtp_ext_find(&q, e.id, &f) == 0 && f.len == e.len &&
          memcmp(f.data, value, e.len) == 0);
    CHECK(q.payload_len == p->payload_len && q.pad_len == p->pad_len);
    CHECK(memcmp(q.payload, p->payload, p->payload_len + p->pad_len) == 0);
    CHECK(q.seq == p->seq && q.ts == p->ts && q.ssrc == p->ssrc && q.csrc_count == p->csrc_count);
    check_others_kept(p, &q, e.id);

    /* Same length again: set in place must agree with put. */
    uint8_t other[24];
    for (size_t i = 0; i < sizeof other; i++)
        other[i] = (uint8_t)~value[i];
    CHECK(okno_rtp_ext_set(buf_a, (size_t)w, e.id, other, e.len) == 0);
    CHECK(okno_rtp_parse(buf_a, (size_t)w, &q) == 0);
    CHECK(okno_rtp_ext_find(&q, e.id, &f) == 0 && memcmp(f.data, other, e.len) == 0);
}

static void touch_typed(const struct okno_rtp_pkt *p)
{
    for (unsigned id = 1; id <= 15; id++) {
        uint16_t seq;
        uint32_t t;
        int32_t off;
        bool voice;
        uint8_t level;
        const char *s;
        size_t n;
        if (okno_rtp_ext_get_twcc(p, (uint8_t)id, &seq) == 0)
            CHECK(okno_rtp_ext_get_abs_send_time(p, (uint8_t)id, &t) < 0);
        if (okno_rtp_ext_get_abs_send_time(p, (uint8_t)id, &t) == 0) {
            CHECK(t <= 0xffffff && okno_rtp_ext_get_toffset(p, (uint8_t)id, &off) == 0);
            CHECK(okno_rtp_abs_send_time_to_us(t) < 64000000u);
        }
        if (okno_rtp_ext_get_audio_level(p, (uint8_t)id, &voice, &level) == 0)
            CHECK(level <= 127);
        if (okno_rtp_ext_get_string(p, (uint8_t)id, &s, &n) == 0)
            CHECK(n > 0 && n <= 255 && memchr(s, 0, n) == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_IN)
        return 0;
    enum okno_demux_kind kind = okno_demux_classify(data, size);
    struct okno_rtp_pkt p;
    int err = okno_rtp_parse(data, size, &p);
    if (err < 0)
        return 0;
    CHECK(kind == OKNO_DEMUX_RTP || kind == OKNO_DEMUX_RTCP);
    check_rebuild(data, &p);
    check_setters(data, size, &p);
    check_rtx(data, size, &p);
    struct okno_rtp_ext elems[MAX_ELEMS];
    int n = collect(&p, elems);
    if (n >= 0)
        check_build(elems, n);
    struct okno_rtp_ext_iter it;
    struct okno_rtp_ext e;
    okno_rtp_ext_iter_init(&it, &p);
    while ((err = okno_rtp_ext_iter_next(&it, &e)) > 0)
        ;
    check_put(data, size, &p, err == 0);
    touch_typed(&p);
    return 0;
}
