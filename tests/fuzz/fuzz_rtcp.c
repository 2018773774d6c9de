/* Fuzz target for RTCP: walks the datagram as a compound packet, decodes every packet type we know,
 * and checks that building what was parsed gives back the same packet (byte for byte where the
 * format has one encoding, by re-parsing where it has several), then that the rebuilt packets form
 * a valid compound again. Any inconsistency traps. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "okno/err.h"
#include "wire/bytes.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/twcc.h"

#define MAX_PACKET (4 * 65536)
#define MAX_ITEMS  4096
#define MAX_LOST   8192
/* What the NACK collector returns when full: no count and no error code looks like it. */
#define LOST_FULL (-1000)

static uint8_t out[MAX_PACKET];
static uint8_t rebuilt[2 * MAX_PACKET];
static struct okno_rtcp_sdes_item items[MAX_ITEMS];
static uint16_t lost[MAX_LOST];
static uint16_t lost2[MAX_LOST];

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* A rebuilt packet equals the parsed one with its padding (which builders never add) taken away. */
static void check_same_packet(const uint8_t *b, int n, const struct okno_rtcp_pkt *pkt)
{
    CHECK(n >= 0 && (size_t)n == OKNO_RTCP_HEADER_LEN + pkt->body_len);
    CHECK(b[0] == (pkt->raw[0] & 0xdf) && b[1] == pkt->raw[1]);
    CHECK(okno_rd16(b + 2) == n / 4 - 1);
    CHECK(memcmp(b + 4, pkt->body, pkt->body_len) == 0);
}

static int report(const struct okno_rtcp_pkt *pkt)
{
    if (pkt->pt == OKNO_RTCP_SR) {
        struct okno_rtcp_sr sr;
        if (okno_rtcp_sr_parse(pkt, &sr) < 0)
            return -1;
        CHECK(sr.report_count == pkt->count);
        int n = okno_rtcp_sr_build(&sr, out, sizeof out);
        check_same_packet(out, n, pkt);
        return n;
    }
    struct okno_rtcp_rr rr;
    if (okno_rtcp_rr_parse(pkt, &rr) < 0)
        return -1;
    int n = okno_rtcp_rr_build(&rr, out, sizeof out);
    check_same_packet(out, n, pkt);
    return n;
}

static int sdes(const struct okno_rtcp_pkt *pkt)
{
    struct okno_rtcp_sdes_chunk chunks[OKNO_RTCP_MAX_COUNT];
    struct okno_rtcp_sdes_source sources[OKNO_RTCP_MAX_COUNT];
    int nc = okno_rtcp_sdes_parse(pkt, chunks, OKNO_RTCP_MAX_COUNT);
    if (nc < 0)
        return -1;
    size_t used = 0;
    for (int c = 0; c < nc; c++) {
        size_t off = 0, k = 0;
        struct okno_rtcp_sdes_item item;
        while (okno_rtcp_sdes_item_next(&chunks[c], &off, &item) == 1) {
            CHECK(item.type != OKNO_SDES_END);
            CHECK(item.data >= pkt->body && item.data + item.len <= pkt->body + pkt->body_len);
            if (used + k < MAX_ITEMS)
                items[used + k] = item;
            k++;
        }
        CHECK(k == chunks[c].item_count && off == chunks[c].items_len);
        sources[c] = (struct okno_rtcp_sdes_source){chunks[c].ssrc, items + used, k};
        used += k;
    }
    if (used > MAX_ITEMS)
        return -1;
    int n = okno_rtcp_sdes_build(sources, (size_t)nc, out, sizeof out);
    check_same_packet(out, n, pkt);
    return n;
}

static int bye(const struct okno_rtcp_pkt *pkt)
{
    struct okno_rtcp_bye b;
    if (okno_rtcp_bye_parse(pkt, &b) < 0)
        return -1;
    int n = okno_rtcp_bye_build(&b, out, sizeof out);
    check_same_packet(out, n, pkt);
    return n;
}

static int collect(uint16_t seq, void *ud)
{
    size_t *n = ud;
    if (*n == MAX_LOST)
        return LOST_FULL;
    lost[(*n)++] = seq;
    return 0;
}

/* NACKs have many encodings of one set; when the set is in ascending RTP order the rebuilt NACK
 * must list the same numbers with no more FCIs than the original used. */
static int nack(const struct okno_rtcp_fb *fb)
{
    size_t n = 0;
    int rc = okno_rtcp_nack_foreach(fb, collect, &n);
    if (rc < 0)
        return -1; /* malformed, or more numbers than we collect */
    CHECK((size_t)rc == n && n >= fb->fci_len / 4);
    size_t uniq = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t step = (uint16_t)(lost[i] - (i ? lost[i - 1] : 0));
        if (i > 0 && (step == 0 || step >= 0x8000))
            return -1;
        uniq++;
    }
    int size = okno_rtcp_nack_build(fb->sender_ssrc, fb->media_ssrc, lost, n, out, sizeof out);
    CHECK(size >= 16 && (size_t)size <= OKNO_RTCP_FB_HEADER_LEN + fb->fci_len);
    struct okno_rtcp_pkt p;
    struct okno_rtcp_fb f;
    CHECK(okno_rtcp_parse(out, (size_t)size, &p) == size && okno_rtcp_fb_parse(&p, &f) == 0);
    CHECK(okno_rtcp_nack_expand(&f, lost2, MAX_LOST) == (int)uniq);
    CHECK(memcmp(lost, lost2, uniq * sizeof lost[0]) == 0);
    return size;
}

static int fir(const struct okno_rtcp_fb *fb)
{
    static struct okno_rtcp_fir_entry e[MAX_PACKET / 8], e2[MAX_PACKET / 8];
    int n = okno_rtcp_fir_parse(fb, e, MAX_PACKET / 8);
    if (n < 0)
        return -1;
    int size = okno_rtcp_fir_build(fb->sender_ssrc, e, (size_t)n, out, sizeof out);
    CHECK(size == OKNO_RTCP_FB_HEADER_LEN + 8 * n);
    struct okno_rtcp_pkt p;
    struct okno_rtcp_fb f;
    CHECK(okno_rtcp_parse(out, (size_t)size, &p) == size && okno_rtcp_fb_parse(&p, &f) == 0);
    CHECK(f.sender_ssrc == fb->sender_ssrc && f.media_ssrc == 0);
    CHECK(okno_rtcp_fir_parse(&f, e2, MAX_PACKET / 8) == n);
    for (int i = 0; i < n; i++)
        CHECK(e[i].ssrc == e2[i].ssrc && e[i].seq_nr == e2[i].seq_nr);
    return size;
}

static int remb(const struct okno_rtcp_fb *fb)
{
    struct okno_rtcp_remb r, r2;
    if (okno_rtcp_remb_parse(fb, &r) < 0)
        return -1;
    int size = okno_rtcp_remb_build(fb->sender_ssrc, &r, out, sizeof out);
    CHECK(size == OKNO_RTCP_FB_HEADER_LEN + 8 + 4 * r.ssrc_count);
    struct okno_rtcp_pkt p;
    struct okno_rtcp_fb f;
    CHECK(okno_rtcp_parse(out, (size_t)size, &p) == size && okno_rtcp_fb_parse(&p, &f) == 0);
    /* Any exponent the sender chose can be re-expressed exactly with the smallest one. */
    CHECK(okno_rtcp_remb_parse(&f, &r2) == 0 && r2.bitrate == r.bitrate);
    CHECK(r2.ssrc_count == r.ssrc_count &&
          memcmp(r2.ssrcs, r.ssrcs, r.ssrc_count * sizeof r.ssrcs[0]) == 0);
    return size;
}

static int feedback(const struct okno_rtcp_pkt *pkt)
{
    struct okno_rtcp_fb fb;
    if (okno_rtcp_fb_parse(pkt, &fb) < 0)
        return -1;
    CHECK(fb.fci + fb.fci_len == pkt->body + pkt->body_len);
    switch (okno_rtcp_fb_kind(&fb)) {
    case OKNO_RTCP_FB_NACK:
        return nack(&fb);
    case OKNO_RTCP_FB_PLI:
        if (okno_rtcp_pli_parse(&fb) < 0)
            return -1;
        check_same_packet(out, okno_rtcp_pli_build(fb.sender_ssrc, fb.media_ssrc, out, sizeof out),
                          pkt);
        return OKNO_RTCP_FB_HEADER_LEN;
    case OKNO_RTCP_FB_FIR:
        return fir(&fb);
    case OKNO_RTCP_FB_REMB:
        return remb(&fb);
    case OKNO_RTCP_FB_TWCC: {
        /* Parse the FCI, encode the statuses again and parse that: the same packets must come back
         * received or not, at the same times (modulo the 24-bit reference time's period). Every
         * delta but the first is re-encoded as it was, and the first is rebased onto a reference
         * time at most 64 ms before it, so one packet always holds them all. */
        static struct okno_twcc_entry e[65536], e2[65536];
        struct okno_twcc_fb t, t2;
        if (okno_twcc_parse_fci(fb.fci, fb.fci_len, &t) < 0)
            return -1;
        int n = okno_twcc_parse_entries(&t, e, 65536);
        CHECK(n == t.status_count);
        struct okno_twcc_build_opts o = {fb.sender_ssrc, fb.media_ssrc, t.fb_count, 0};
        size_t used = 0;
        int size = okno_twcc_build(&o, e, (size_t)n, out, sizeof out, &used);
        CHECK(size > 0 && used == (size_t)n);
        CHECK(okno_twcc_parse(out, (size_t)size, &t2) == size && t2.base_seq == t.base_seq);
        CHECK(okno_twcc_parse_entries(&t2, e2, 65536) == n);
        for (int i = 0; i < n; i++) {
            CHECK(e[i].seq == e2[i].seq && (e[i].status == 0) == (e2[i].status == 0));
            CHECK(e[i].status == 0 ||
                  (e[i].arrival_us - e2[i].arrival_us) % OKNO_TWCC_REF_PERIOD_US == 0);
        }
        return size;
    }
    case OKNO_RTCP_FB_OTHER:
        break;
    }
    return -1;
}

static void helpers(const uint8_t *data, size_t size)
{
    if (size < 16)
        return;
    uint64_t x = okno_rd64(data);
    /* Microseconds up to 2104 survive NTP and back exactly. */
    uint64_t us = x % (4200000000ull * 1000000);
    CHECK(okno_ntp_to_unix_us(okno_ntp_from_unix_us(us)) == us);
    (void)okno_ntp_to_unix_us(x);
    int64_t rtt = okno_rtcp_rtt_us(x, okno_rd32(data + 8), okno_rd32(data + 12));
    CHECK(rtt >= 0 || rtt == OKNO_E_NOTFOUND || rtt == OKNO_E_RANGE);
    CHECK(rtt < 32768ll * 1000000 + 1);
    (void)okno_rtcp_dlsr_from_us(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    helpers(data, size);
    int valid = okno_rtcp_validate(data, size, true);
    int strict = okno_rtcp_validate(data, size, false);
    CHECK(strict < 0 || strict == valid);

    struct okno_rtcp_iter it;
    struct okno_rtcp_pkt pkt;
    struct okno_rtcp_writer w;
    okno_rtcp_iter_init(&it, data, size);
    okno_rtcp_writer_init(&w, rebuilt, sizeof rebuilt);
    int count = 0, rebuilt_count = 0, rc;
    while ((rc = okno_rtcp_iter_next(&it, &pkt)) == 1) {
        count++;
        CHECK(pkt.raw >= data && pkt.raw + pkt.raw_len <= data + size);
        CHECK(pkt.raw_len == 4 * ((size_t)pkt.length + 1));
        CHECK(pkt.raw_len == OKNO_RTCP_HEADER_LEN + pkt.body_len + pkt.pad_len);
        CHECK(pkt.padding == (pkt.pad_len != 0));
        int n = -1;
        switch (pkt.pt) {
        case OKNO_RTCP_SR:
        case OKNO_RTCP_RR:
            n = report(&pkt);
            break;
        case OKNO_RTCP_SDES:
            n = sdes(&pkt);
            break;
        case OKNO_RTCP_BYE:
            n = bye(&pkt);
            break;
        case OKNO_RTCP_RTPFB:
        case OKNO_RTCP_PSFB:
            n = feedback(&pkt);
            break;
        default:
            break;
        }
        if (n < 0)
            continue;
        /* The rebuilt packet sits in `out`; copy it into the writer as a compound builder would. */
        uint8_t *tail = okno_rtcp_writer_tail(&w);
        CHECK(tail && okno_rtcp_writer_room(&w) >= (size_t)n);
        memcpy(tail, out, (size_t)n);
        CHECK(okno_rtcp_writer_commit(&w, n) == 0);
        rebuilt_count++;
    }
    CHECK(rc <= 0);
    CHECK(rc < 0 ? valid == rc : (count == 0 ? valid == OKNO_E_TRUNCATED : valid == count));
    if (rebuilt_count > 0) {
        int len = okno_rtcp_writer_finish(&w);
        CHECK(len > 0 && okno_rtcp_validate(rebuilt, (size_t)len, true) == rebuilt_count);
        if (okno_rtcp_writer_pad(&w, 64) == 0) {
            len = okno_rtcp_writer_finish(&w);
            CHECK(len % 64 == 0 && okno_rtcp_validate(rebuilt, (size_t)len, true) == rebuilt_count);
        }
    }
    return 0;
}
