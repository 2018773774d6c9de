/* downtrack_speed: nanoseconds per packet to forward a 1200-byte VP8 packet (Chromium's extensions,
 * a full descriptor with temporal layers) to 1, 10 and 100 downtracks, parse once and rewrite for
 * each, as a room's fan-out does, to size media workers. Prints figures; judges nothing.
 *
 * usage: bench/downtrack_speed [packets]   (default 200000 per fan-out) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "okno/err.h"
#include "sfu/downtrack.h"
#include "wire/rtp.h"
#include "wire/rtp_ext.h"
#include "wire/vp8.h"

#define PACKET_LEN 1200
#define SOURCE     0x56b46764u

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One frame per packet, temporal layers 0,2,1,2 with every layer forwarded, a key frame first. */
static size_t build(uint8_t *buf, uint16_t seq, uint32_t frame)
{
    static const uint8_t tid_of[4] = {0, 2, 1, 2};
    static const uint8_t ast[3] = {0x7a, 0x00, 0xef}, twcc[2] = {0, 4}, mid[1] = {'1'};
    const struct okno_rtp_ext elems[3] = {{.id = 2, .len = 3, .data = ast},
                                          {.id = 3, .len = 2, .data = twcc},
                                          {.id = 4, .len = 1, .data = mid}};
    uint8_t ext[32];
    uint16_t profile;
    int ext_len = okno_rtp_ext_build(ext, sizeof ext, elems, 3, &profile);
    struct okno_rtp_pkt h = {.marker = true,
                             .pt = 96,
                             .seq = seq,
                             .ts = 3000 * frame,
                             .ssrc = SOURCE,
                             .extension = true,
                             .ext_profile = profile,
                             .ext = ext,
                             .ext_len = (size_t)ext_len};
    int hl = okno_rtp_write_header(buf, PACKET_LEN, &h);
    struct okno_vp8_desc d = {.s = true,
                              .has_picture_id = true,
                              .picture_id_bits = 15,
                              .picture_id = (uint16_t)(frame & 0x7fff),
                              .has_tl0picidx = true,
                              .tl0picidx = (uint8_t)(frame / 4),
                              .has_tid = true,
                              .tid = tid_of[frame % 4]};
    int dl = okno_vp8_write_descriptor(buf + hl, PACKET_LEN - (size_t)hl, &d);
    uint8_t *vp8 = buf + hl + dl;
    size_t vp8_len = PACKET_LEN - (size_t)hl - (size_t)dl;
    memset(vp8, 0x5a, vp8_len);
    if (frame == 0) {
        /* Key frame header (RFC 6386 9.1): start code and 640x360. */
        static const uint8_t key[10] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
        memcpy(vp8, key, sizeof key);
    } else {
        vp8[0] = 0x11; /* a delta frame, shown */
    }
    return PACKET_LEN;
}

static int run(size_t fanout, long packets)
{
    static const struct okno_downtrack_ext_map map[] = {{.from = 2, .to = 3}, {.from = 3, .to = 5}};
    /* An array of pointers: sizeof *dts is the pointer's size, as meant. */
    struct okno_downtrack **dts = calloc(fanout, sizeof *dts); // NOLINT(bugprone-sizeof-expression)
    if (!dts)
        return OKNO_E_NOMEM;
    for (size_t i = 0; i < fanout; i++) {
        struct okno_downtrack_params p = {.ssrc = 1000 + (uint32_t)i,
                                          .pt = 96,
                                          .rtx = true,
                                          .rtx_ssrc = 2000 + (uint32_t)i,
                                          .rtx_pt = 97,
                                          .vp8 = true,
                                          .ext_map = map,
                                          .n_ext_map = 2,
                                          .mid_id = 1,
                                          .mid = "1"};
        int err = okno_downtrack_create(&p, NULL, &dts[i]);
        if (err < 0)
            return err;
        okno_downtrack_set_target(dts[i], SOURCE, 3, 0);
    }
    static uint8_t key[PACKET_LEN], delta[PACKET_LEN], out[PACKET_LEN + 64];
    size_t len = build(key, 0, 0);
    build(delta, 1, 1);
    uint64_t bytes = 0, sent = 0;
    int64_t t0 = now_ns();
    for (long n = 0; n < packets; n++) {
        /* The next frame: a few stores into the template, then the one parse a fan-out needs. */
        uint8_t *in = n == 0 ? key : delta;
        struct okno_rtp_pkt pkt;
        if (n > 0) {
            static const uint8_t tid_of[4] = {0, 2, 1, 2};
            okno_rtp_set_seq(in, len, (uint16_t)n);
            okno_rtp_set_ts(in, len, 3000 * (uint32_t)n);
            if (okno_rtp_parse(in, len, &pkt) < 0)
                return OKNO_E_MALFORMED;
            struct okno_vp8_desc d = {.picture_id = (uint16_t)(n & 0x7fff),
                                      .tl0picidx = (uint8_t)(n / 4),
                                      .tid = tid_of[n % 4]};
            okno_vp8_rewrite(in + pkt.header_len, pkt.payload_len, &d);
        }
        if (okno_rtp_parse(in, len, &pkt) < 0)
            return OKNO_E_MALFORMED;
        for (size_t i = 0; i < fanout; i++) {
            int w = okno_downtrack_forward(dts[i], &pkt, in, len, n * 33000, out, sizeof out);
            if (w < 0)
                return w;
            bytes += (uint64_t)w;
            sent += w > 0;
        }
    }
    int64_t elapsed = now_ns() - t0;
    double per = (double)elapsed / ((double)packets * (double)fanout);
    printf("%3zu downtracks: %7.1f ns per packet per downtrack, %8.1f ns per input packet "
           "(%" PRIu64 " sent, %" PRIu64 " bytes)\n",
           fanout, per, per * (double)fanout, sent, bytes);
    for (size_t i = 0; i < fanout; i++)
        okno_downtrack_destroy(dts[i]);
    free(dts);
    return 0;
}

int main(int argc, char **argv)
{
    long packets = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    if (packets <= 0) {
        fprintf(stderr, "usage: %s [packets]\n", argv[0]);
        return 2;
    }
    printf("VP8 packets of %d bytes, one thread; %ld packets for 1 and 10 downtracks, a tenth of "
           "that for 100\n",
           PACKET_LEN, packets);
    static const size_t fanouts[] = {1, 10, 100};
    for (size_t i = 0; i < sizeof fanouts / sizeof fanouts[0]; i++) {
        int err = run(fanouts[i], packets / (long)(fanouts[i] > 10 ? 10 : 1));
        if (err < 0) {
            fprintf(stderr, "downtrack_speed: %s\n", okno_strerror(err));
            return 1;
        }
    }
    return 0;
}
