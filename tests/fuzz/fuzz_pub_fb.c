/* Fuzz target for the publisher feedback schedule (src/sfu/pub_fb): arrivals, time jumps (backwards
 * too), renegotiation, caps and polls in any order must never hang or misbehave.
 *
 * The first byte picks the transport-cc packet size limit; then every 4-byte record is one event
 * [op][a][b][c]. op & 3: 0 an RTP packet carrying transport-wide number cursor + (int8_t)a (or,
 * with bit 2, the 16-bit number a:b) arrives after c * 100 us (before, with bit 3); 1 transport-cc
 * is polled until nothing is due, into a buffer of 16 + a * 4 bytes; 2 renegotiation (bit 2:
 * transport-cc, bit 3: goog-remb) and a new cap of a:b:c * 100 bit/s; 3 REMB is polled for a % 5
 * SSRCs into b bytes. Checked (__builtin_trap otherwise): every feedback packet fits both the
 * buffer and the limit, parses as transport-cc from okno's SSRC, and draining ends; the interval
 * stays within its bounds; nothing is built while not negotiated; a REMB parses back with the
 * SSRCs given and a rate never above the cap and within 1/2^17 of it. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/pub_fb.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/twcc.h"

#define SENDER 0x6f6b6e6fu
#define ID     3

static struct okno_pub_fb fb;
static uint8_t out[2048];

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static void arrive(uint16_t seq, size_t payload, int64_t now_us)
{
    uint8_t pkt[OKNO_RTP_HEADER_LEN + 8 + 1100];
    struct okno_rtp_pkt h = {.pt = 96, .seq = seq, .ssrc = 1111u + (seq & 1)};
    int n = okno_rtp_write_header(pkt, sizeof pkt, &h);
    check(n == OKNO_RTP_HEADER_LEN);
    /* The one-byte header block holding the number. */
    const uint8_t ext[8] = {0xbe,         0xde, 0x00, 0x01, ID << 4 | 1, (uint8_t)(seq >> 8),
                            (uint8_t)seq, 0};
    pkt[0] |= 0x10;
    memcpy(pkt + n, ext, sizeof ext);
    memset(pkt + n + sizeof ext, 0x5a, payload);
    struct okno_rtp_pkt rtp;
    size_t len = (size_t)n + sizeof ext + payload;
    check(okno_rtp_parse(pkt, len, &rtp) == 0);
    okno_pub_fb_on_rtp(&fb, &rtp, len, now_us);
}

static void poll_twcc(size_t cap, size_t limit, int64_t now_us)
{
    bool negotiated = fb.twcc_id != 0;
    uint64_t before = fb.counters.feedbacks;
    int rounds = 0, n;
    while ((n = okno_pub_fb_poll_twcc(&fb, now_us, out, cap)) > 0) {
        check(negotiated);
        check((size_t)n <= cap && (limit == 0 || (size_t)n <= limit));
        struct okno_twcc_fb t;
        check(okno_twcc_parse(out, (size_t)n, &t) == n);
        check(t.sender_ssrc == SENDER);
        check(++rounds < 70000);
    }
    check(fb.counters.feedbacks == before + (uint64_t)rounds);
    int64_t iv = okno_pub_fb_interval_us(&fb);
    check(iv >= OKNO_PUB_FB_MIN_INTERVAL_US && iv <= OKNO_PUB_FB_MAX_INTERVAL_US);
}

static void poll_remb(size_t n_ssrcs, size_t cap, int64_t now_us)
{
    static const uint32_t ssrcs[4] = {1, 2, 3, 4};
    int n = okno_pub_fb_poll_remb(&fb, now_us, ssrcs, n_ssrcs, out, cap);
    if (n == OKNO_E_NOSPC || n == 0)
        return;
    check(n > 0 && (size_t)n <= cap && fb.remb && fb.cap_bps > 0 && n_ssrcs > 0);
    struct okno_rtcp_pkt rp;
    struct okno_rtcp_fb f;
    struct okno_rtcp_remb remb;
    check(okno_rtcp_parse(out, (size_t)n, &rp) == n);
    check(okno_rtcp_fb_parse(&rp, &f) == 0 && okno_rtcp_fb_kind(&f) == OKNO_RTCP_FB_REMB);
    check(f.sender_ssrc == SENDER);
    check(okno_rtcp_remb_parse(&f, &remb) == 0);
    check(remb.ssrc_count == n_ssrcs && memcmp(remb.ssrcs, ssrcs, n_ssrcs * 4) == 0);
    check(remb.bitrate <= fb.cap_bps && remb.bitrate >= fb.cap_bps - (fb.cap_bps >> 17));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t limit = data[0] < 32 ? 0 : (size_t)data[0] * 4;
    okno_pub_fb_init(&fb, SENDER, limit);
    okno_pub_fb_configure(&fb, ID, true);
    int64_t now = 1000000;
    uint16_t cursor = 0;
    for (size_t i = 1; i + 4 <= size; i += 4) {
        uint8_t op = data[i], a = data[i + 1], b = data[i + 2], c = data[i + 3];
        switch (op & 3) {
        case 0:
            cursor = op & 4 ? (uint16_t)(a << 8 | b) : (uint16_t)(cursor + (int8_t)a);
            now += (op & 8 ? -1 : 1) * (int64_t)c * 100;
            arrive(cursor, (size_t)b * 4, now);
            break;
        case 1:
            poll_twcc(16 + (size_t)a * 4, limit, now);
            break;
        case 2:
            okno_pub_fb_configure(&fb, op & 4 ? ID : 0, op & 8);
            okno_pub_fb_set_cap(&fb, ((uint64_t)a << 16 | (uint64_t)b << 8 | c) * 100u);
            break;
        default:
            poll_remb(a % 5, b, now);
            break;
        }
    }
    return 0;
}
