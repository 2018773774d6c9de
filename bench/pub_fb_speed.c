/* pub_fb_speed: what transport-cc feedback to a publisher costs on one core: recording each packet
 * (finding the transport-wide-cc element, the ring, the rate) and building the feedback the room
 * timer polls every 20 ms, on a synthetic stream of 1,200-byte packets at 1,000 packets a second
 * (stream time, not wall time) with 1 % lost. Prints ns per packet for recording alone, for
 * recording plus feedback, and us per feedback packet (best of three runs); judges nothing.
 *
 * usage: bench/pub_fb_speed [packets]   (default 1000000) */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sfu/pub_fb.h"
#include "wire/rtp.h"

#define PKT_LEN 1200
#define TWCC_ID 3

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct okno_pub_fb fb;

/* Runs the stream; polls every 20 ms of stream time when poll is set. Returns ns per packet and
 * the number of feedback packets built in *built. */
static double run(long packets, bool poll, uint64_t *built)
{
    static uint8_t pkt[PKT_LEN], out[1500];
    struct okno_rtp_pkt h = {.pt = 96, .ssrc = 1111};
    int n = okno_rtp_write_header(pkt, sizeof pkt, &h);
    if (n < 0)
        return -1;
    pkt[0] |= 0x10;
    const uint8_t ext[8] = {0xbe, 0xde, 0x00, 0x01, TWCC_ID << 4 | 1, 0, 0, 0};
    memcpy(pkt + n, ext, sizeof ext);
    struct okno_rtp_pkt rtp;
    if (okno_rtp_parse(pkt, sizeof pkt, &rtp) != 0)
        return -1;
    uint8_t *seq_at = pkt + n + 5; /* the element's value, rewritten in place per packet */
    okno_pub_fb_init(&fb, 0x6f6b6e6fu, 1192);
    okno_pub_fb_configure(&fb, TWCC_ID, false);
    int64_t t0 = now_ns();
    for (long i = 0; i < packets; i++) {
        int64_t now_us = 1000000 + i * 1000;
        if (i % 100 != 37) { /* 1 % lost */
            seq_at[0] = (uint8_t)(i >> 8);
            seq_at[1] = (uint8_t)i;
            okno_pub_fb_on_rtp(&fb, &rtp, sizeof pkt, now_us);
        }
        if (poll && i % 20 == 0)
            while (okno_pub_fb_poll_twcc(&fb, now_us, out, sizeof out) > 0)
                ;
    }
    int64_t t1 = now_ns();
    *built = fb.counters.feedbacks;
    return (double)(t1 - t0) / (double)packets;
}

int main(int argc, char **argv)
{
    long packets = 1000000;
    if (argc > 2 || (argc == 2 && (packets = strtol(argv[1], NULL, 10)) <= 0)) {
        fprintf(stderr, "usage: %s [packets]\n", argv[0]);
        return 2;
    }
    printf("pub_fb_speed: %ld packets of %d bytes at 1000/s of stream time, 1 %% lost\n", packets,
           PKT_LEN);
    double best_rec = -1, best_all = -1;
    uint64_t built = 0;
    for (int r = 0; r < 3; r++) {
        uint64_t b;
        double rec = run(packets, false, &b);
        double all = run(packets, true, &built);
        if (rec < 0 || all < 0) {
            fprintf(stderr, "pub_fb_speed: packet set-up failed\n");
            return 1;
        }
        if (best_rec < 0 || rec < best_rec)
            best_rec = rec;
        if (best_all < 0 || all < best_all)
            best_all = all;
    }
    printf("%-28s %8.1f ns/packet\n", "record", best_rec);
    printf("%-28s %8.1f ns/packet\n", "record + feedback", best_all);
    if (built > 0)
        printf("%-28s %8.2f us each (%" PRIu64 " built, %.1f packets each)\n", "feedback",
               (best_all - best_rec) * (double)packets / 1000.0 / (double)built, built,
               (double)packets / (double)built);
    return 0;
}
