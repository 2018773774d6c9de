/* Fuzzes the downtrack as the SFU drives it: the input is a script of operations (forward a packet
 * from one of three encodings, change the target, NACK output numbers) run against one downtrack
 * whose parameters the first byte picks. Every forwarded packet must parse, carry the subscriber's
 * SSRC and payload type, keep the payload (past the VP8 descriptor, whose size must not change)
 * and fit its buffer, which is allocated to the exact capacity so an overrun is caught; every
 * retransmission must unwrap (RTX) to the subscriber's stream under the asked number and, when it
 * comes from the same original, be byte for byte what was first sent under that number. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/downtrack.h"
#include "wire/rtp.h"
#include "wire/rtx.h"
#include "wire/vp8.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

#define OUT_SSRC 0x0badcafeu
#define OUT_PT   100
#define RTX_SSRC 0x0badbeefu
#define RTX_PT   101
#define MAX_PKT  1600
#define SLOTS    64

static const uint32_t sources[4] = {0, 0x56b46764u, 0x9422451cu, 0x87761cadu};

/* The track's packet cache, small: the latest packet stored under each (ssrc, seq) slot. */
static struct stored {
    bool used;
    uint32_t ssrc;
    uint16_t seq;
    size_t len;
    uint64_t hash;
    uint8_t buf[MAX_PKT];
} cache[SLOTS];

/* What was first sent under each output number (slot out_seq % SLOTS), and from which original. */
static struct sent {
    bool used;
    uint16_t seq;
    uint64_t in_hash;
    size_t len;
    uint8_t buf[MAX_PKT + 64];
} sent[SLOTS];

static uint64_t looked_up_hash;
static uint16_t last_out; /* the newest output number written */
static bool is_rtx, is_vp8;
/* Counted so a debugging driver can see that the seeds reach the comparison. */
static unsigned long emitted, compared;

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

static int lookup(void *ctx, uint32_t ssrc, uint16_t seq, struct okno_cached_packet *out)
{
    (void)ctx;
    const struct stored *s = &cache[(ssrc ^ seq) % SLOTS];
    if (!s->used || s->ssrc != ssrc || s->seq != seq)
        return OKNO_E_NOTFOUND;
    looked_up_hash = s->hash;
    out->data = s->buf;
    out->len = s->len;
    out->seq = seq;
    out->arrival_us = 0;
    return 0;
}

static void emit(void *ctx, const uint8_t *pkt, size_t len)
{
    (void)ctx;
    static uint8_t plain[MAX_PKT + 64];
    struct okno_rtp_pkt p;
    CHECK(okno_rtp_parse(pkt, len, &p) == 0);
    size_t plain_len = len;
    const uint8_t *orig = pkt;
    if (is_rtx) {
        CHECK(p.ssrc == RTX_SSRC && p.pt == RTX_PT);
        int n = okno_rtx_unwrap(pkt, len, plain, sizeof plain, OUT_SSRC, OUT_PT);
        CHECK(n > 0);
        plain_len = (size_t)n;
        orig = plain;
        CHECK(okno_rtp_parse(plain, plain_len, &p) == 0);
    }
    CHECK(p.ssrc == OUT_SSRC && p.pt == OUT_PT && !p.padding);
    const struct sent *s = &sent[p.seq % SLOTS];
    emitted++;
    if (s->used && s->seq == p.seq && s->in_hash == looked_up_hash) {
        CHECK(s->len == plain_len && memcmp(s->buf, orig, plain_len) == 0);
        compared++;
    }
}

/* The payload past the VP8 descriptor, or all of it. */
static size_t body_offset(const uint8_t *payload, size_t len)
{
    struct okno_vp8_desc d;
    if (!is_vp8)
        return 0;
    int n = okno_vp8_parse_desc(payload, len, &d);
    CHECK(n > 0);
    return (size_t)n;
}

static void forward(struct okno_downtrack *dt, const uint8_t *bytes, size_t len, uint8_t src,
                    size_t cap, int64_t now_us)
{
    uint8_t *in = malloc(len ? len : 1);
    CHECK(in != NULL);
    memcpy(in, bytes, len);
    struct okno_rtp_pkt p;
    if (len >= OKNO_RTP_HEADER_LEN && src % 4 != 0)
        okno_rtp_set_ssrc(in, len, sources[src % 4]);
    if (okno_rtp_parse(in, len, &p) < 0) {
        free(in);
        return;
    }
    uint64_t hash = fnv(in, len);
    if (len <= MAX_PKT) {
        struct stored *s = &cache[(p.ssrc ^ p.seq) % SLOTS];
        s->used = true;
        s->ssrc = p.ssrc;
        s->seq = p.seq;
        s->len = len;
        s->hash = hash;
        memcpy(s->buf, in, len);
    }
    uint8_t *out = malloc(cap ? cap : 1);
    CHECK(out != NULL);
    int n = okno_downtrack_forward(dt, &p, in, len, now_us, out, cap);
    CHECK(n >= 0 || n == OKNO_E_NOSPC);
    if (n > 0) {
        CHECK((size_t)n <= cap);
        struct okno_rtp_pkt o;
        CHECK(okno_rtp_parse(out, (size_t)n, &o) == 0);
        CHECK(o.ssrc == OUT_SSRC && o.pt == OUT_PT && o.marker == p.marker && !o.padding);
        CHECK(o.payload_len == p.payload_len && o.csrc_count == p.csrc_count);
        size_t off = body_offset(p.payload, p.payload_len);
        CHECK(body_offset(o.payload, o.payload_len) == off);
        CHECK(memcmp(o.payload + off, p.payload + off, p.payload_len - off) == 0);
        struct sent *s = &sent[o.seq % SLOTS];
        last_out = o.seq;
        s->used = (size_t)n <= sizeof s->buf && len <= MAX_PKT;
        s->seq = o.seq;
        s->in_hash = hash;
        s->len = (size_t)n;
        if (s->used)
            memcpy(s->buf, out, (size_t)n);
    }
    free(out);
    free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    memset(cache, 0, sizeof cache);
    memset(sent, 0, sizeof sent);
    uint8_t cfg = data[0];
    is_rtx = cfg & 1;
    is_vp8 = !(cfg & 2);
    static const struct okno_downtrack_ext_map map[] = {
        {.from = 2, .to = 3}, {.from = 13, .to = 4}, {.from = 1, .to = 10}, {.from = 3, .to = 200}};
    struct okno_downtrack_params params = {.ssrc = OUT_SSRC,
                                           .pt = OUT_PT,
                                           .clock_rate = is_vp8 ? 90000 : 48000,
                                           .rtx = is_rtx,
                                           .rtx_ssrc = RTX_SSRC,
                                           .rtx_pt = RTX_PT,
                                           .vp8 = is_vp8,
                                           .ext_map = map,
                                           .n_ext_map = (cfg >> 2) & 3 ? 4 : 2,
                                           .mid_id = cfg & 16 ? 5 : 0,
                                           .mid = "fuzz"};
    struct okno_downtrack *dt;
    CHECK(okno_downtrack_create(&params, NULL, &dt) == 0);

    int64_t now = 0;
    last_out = 0;
    size_t i = 1;
    while (i + 2 <= size) {
        uint8_t op = data[i++], arg = data[i++];
        now += (int64_t)(arg & 0x3f) * 1000;
        switch (op % 4) {
        case 0:
        case 1: {
            if (i + 2 > size)
                goto done;
            size_t len = (size_t)data[i] << 8 | data[i + 1];
            i += 2;
            if (len > size - i)
                len = size - i;
            /* Mostly room enough, sometimes a capacity that cuts the packet. */
            size_t cap = op & 0x80 ? len / 2 + (arg & 0x3f) : MAX_PKT + 64;
            forward(dt, data + i, len, (uint8_t)(op >> 2), cap, now);
            i += len;
            struct okno_downtrack_stats st;
            okno_downtrack_stats(dt, &st);
            CHECK(st.retransmitted <= st.nacked);
            break;
        }
        case 2:
            okno_downtrack_set_target(dt, sources[(op >> 2) % 4], (uint8_t)(op >> 4), now);
            break;
        case 3: {
            uint16_t seqs[8];
            size_t n = (op >> 2) % 8;
            if (n > size - i)
                n = size - i;
            /* Near the numbers sent, where answers exist. */
            for (size_t k = 0; k < n; k++)
                seqs[k] = (uint16_t)(last_out - data[i + k] % 16);
            i += n;
            if (arg & 0x40)
                okno_downtrack_set_rtt(dt, (int64_t)arg * 1000);
            int e = okno_downtrack_on_nack(dt, seqs, n, lookup, NULL, now, emit, NULL);
            CHECK(e >= 0 && (size_t)e <= n);
            break;
        }
        }
    }
done:
    okno_downtrack_destroy(dt);
    return 0;
}
