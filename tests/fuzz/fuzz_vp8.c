/* Fuzzes the VP8 payload descriptor: parse, then rewrite a copy with values taken from the input
 * and re-parse (every field must read back as written, wrapped to its width, and nothing else may
 * change), and rebuild the descriptor with the writer (it must parse back to the same fields). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "okno/err.h"
#include "wire/vp8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static void check_same_desc(const struct okno_vp8_desc *a, const struct okno_vp8_desc *b)
{
    CHECK(a->x == b->x && a->n == b->n && a->s == b->s && a->part_id == b->part_id);
    CHECK(a->has_picture_id == b->has_picture_id && a->has_tl0picidx == b->has_tl0picidx);
    CHECK(a->has_tid == b->has_tid && a->has_keyidx == b->has_keyidx);
    CHECK(a->picture_id_bits == b->picture_id_bits && a->picture_id == b->picture_id);
    CHECK(a->tl0picidx == b->tl0picidx && a->tid == b->tid && a->y == b->y);
    CHECK(a->keyidx == b->keyidx && a->size == b->size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t copy[65536];
    if (size > sizeof copy)
        return 0;
    struct okno_vp8_packet p;
    int err = okno_vp8_parse(data, size, &p);
    struct okno_vp8_desc d;
    int n = okno_vp8_parse_desc(data, size, &d);
    if (n < 0) {
        CHECK(err == n);
        return 0;
    }
    CHECK(n >= 1 && n <= OKNO_VP8_DESC_MAX && n == d.size && (size_t)n <= size);
    if (err == 0) {
        check_same_desc(&p.desc, &d);
        CHECK(p.payload == data + n && p.payload_len == size - (size_t)n && p.payload_len > 0);
        CHECK(p.has_header == (d.s && d.part_id == 0));
        if (okno_vp8_is_keyframe(&p))
            CHECK(p.payload_len >= OKNO_VP8_KEY_HEADER_LEN && p.header.width <= 0x3fff);
    } else {
        CHECK(err == OKNO_E_TRUNCATED || err == OKNO_E_MALFORMED);
    }

    /* Writer round trip: the parsed fields written out parse back the same. */
    uint8_t out[OKNO_VP8_DESC_MAX];
    int w = okno_vp8_write_descriptor(out, sizeof out, &d);
    CHECK(w == n && okno_vp8_descriptor_size(&d) == n);
    struct okno_vp8_desc back;
    CHECK(okno_vp8_parse_desc(out, (size_t)w, &back) == n);
    check_same_desc(&back, &d);

    /* Rewrite round trip with values drawn from the input's tail. */
    const uint8_t *t = data + size - (size >= 4 ? 4 : size);
    struct okno_vp8_desc want = {0};
    want.picture_id = (uint16_t)(size >= 2 ? t[0] << 8 | t[1] : 0x1234);
    want.tl0picidx = size >= 3 ? t[2] : 0x56;
    want.tid = size >= 4 ? t[3] >> 6 : 1;
    want.y = size >= 4 ? t[3] & 0x20 : 1;
    want.keyidx = size >= 4 ? t[3] & 0x1f : 7;
    memcpy(copy, data, size);
    CHECK(okno_vp8_rewrite(copy, size, &want) == 0);
    CHECK(memcmp(copy + n, data + n, size - (size_t)n) == 0);
    CHECK(copy[0] == data[0] && (!d.x || copy[1] == data[1]));
    struct okno_vp8_desc got;
    CHECK(okno_vp8_parse_desc(copy, size, &got) == n);
    struct okno_vp8_desc expect = d;
    if (d.has_picture_id)
        expect.picture_id = want.picture_id & (uint16_t)((1u << d.picture_id_bits) - 1);
    if (d.has_tl0picidx)
        expect.tl0picidx = want.tl0picidx;
    if (d.has_tid) {
        expect.tid = want.tid;
        expect.y = want.y;
    }
    if (d.has_keyidx)
        expect.keyidx = want.keyidx;
    check_same_desc(&got, &expect);
    /* The rest of the packet parses as before. */
    struct okno_vp8_packet q;
    CHECK(okno_vp8_parse(copy, size, &q) == err);
    return 0;
}
