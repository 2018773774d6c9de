/* Fuzzes RED (RFC 2198): parse, rebuild and compare bytes; the primary, strip and recover helpers
 * must agree with the full parse. Every block is then parsed as Opus, the codec RED carries here,
 * and the frames it finds must lie inside the block and add up to no more than it holds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "okno/err.h"
#include "wire/opus.h"
#include "wire/red.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#define MAX_BLOCKS 1024

static void check_opus(const uint8_t *data, size_t len)
{
    struct okno_opus_packet p;
    int err = okno_opus_parse(data, len, &p);
    int samples = okno_opus_packet_samples(data, len);
    if (err < 0) {
        CHECK(err == OKNO_E_TRUNCATED || err == OKNO_E_MALFORMED);
        return;
    }
    CHECK(p.frame_count >= 1 && p.frame_count <= OKNO_OPUS_MAX_FRAMES);
    CHECK(p.samples <= OKNO_OPUS_MAX_PACKET_SAMPLES && (int)p.samples == samples);
    size_t sum = 0;
    for (unsigned i = 0; i < p.frame_count; i++) {
        CHECK(p.frame_len[i] <= OKNO_OPUS_MAX_FRAME_LEN);
        CHECK(p.frame[i] >= data + 1 && p.frame[i] + p.frame_len[i] <= data + len);
        if (i > 0)
            CHECK(p.frame[i] == p.frame[i - 1] + p.frame_len[i - 1]);
        sum += p.frame_len[i];
    }
    CHECK(1 + sum + p.padding <= len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct okno_red_block red[MAX_BLOCKS];
    static uint8_t out[65536], copy[65536];
    if (size > sizeof out)
        return 0;
    struct okno_red_block primary, primary2;
    int n = okno_red_parse(data, size, red, MAX_BLOCKS, &primary);
    int perr = okno_red_primary(data, size, &primary2);
    struct okno_red_recovered r;
    if (n < 0) {
        CHECK(n == OKNO_E_TRUNCATED || n == OKNO_E_NOSPC);
        if (n == OKNO_E_TRUNCATED) {
            CHECK(perr == n);
            CHECK(okno_red_recover(data, size, 0, 0, &r) == n);
        }
        return 0;
    }
    CHECK(perr == 0 && primary2.data == primary.data && primary2.len == primary.len);
    CHECK(primary2.pt == primary.pt && primary.data + primary.len == data + size);

    /* Build the same blocks again: the bytes must match exactly. */
    int len = okno_red_build(out, sizeof out, red, (size_t)n, &primary);
    CHECK(len == (int)size && okno_red_size(red, (size_t)n, &primary) == len);
    CHECK(memcmp(out, data, size) == 0);
    if (size > 0)
        CHECK(okno_red_build(out, size - 1, red, (size_t)n, &primary) == OKNO_E_NOSPC);

    const uint32_t ts = 0x10203040;
    for (int i = 0; i < n; i++) {
        CHECK(okno_red_recover(data, size, ts, (size_t)i, &r) == 0);
        CHECK(r.pt == red[i].pt && r.data == red[i].data && r.len == red[i].len);
        CHECK(r.timestamp == ts - red[i].ts_offset);
        check_opus(red[i].data, red[i].len);
    }
    CHECK(okno_red_recover(data, size, ts, (size_t)n, &r) == OKNO_E_NOTFOUND);
    check_opus(primary.data, primary.len);

    memcpy(copy, data, size);
    uint8_t pt = 0xff;
    CHECK(okno_red_strip(copy, size, &pt) == (int)primary.len && pt == primary.pt);
    CHECK(memcmp(copy, primary.data, primary.len) == 0);
    return 0;
}
