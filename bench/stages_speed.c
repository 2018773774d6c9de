/* stages_speed: what the SFU's receive-side stages cost per packet on one core: the packet cache's
 * store, the NACK generator (with a poll every 10 ms of stream time) and the receive statistics, on
 * a synthetic stream of 1,200-byte packets at 1,000 packets a second with 1 % of them lost. Prints
 * ns/packet for each stage and for the three together (best of three runs); judges nothing.
 *
 * usage: bench/stages_speed [packets]   (default 1000000) */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "okno/err.h"
#include "sfu/nack_generator.h"
#include "sfu/packet_cache.h"
#include "sfu/recv_stats.h"
#include "wire/bytes.h"

#define PKT_LEN 1200

enum { STAGE_CACHE = 1, STAGE_NACK = 2, STAGE_STATS = 4 };

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Runs the stream through the chosen stages; returns ns per packet sent, or -1. */
static double run(unsigned stages, long packets, const bool *lost)
{
    struct okno_packet_cache *pc = NULL;
    struct okno_nack_generator *ng = NULL;
    struct okno_recv_stats rs;
    if (okno_packet_cache_create(1024, &pc) < 0 || okno_nack_generator_create(NULL, &ng) < 0) {
        okno_packet_cache_destroy(pc);
        return -1;
    }
    okno_recv_stats_init(&rs, 0x1234, 90000);
    static uint8_t pkt[PKT_LEN];
    memset(pkt, 0xab, sizeof pkt);
    pkt[0] = 0x80;
    pkt[1] = 96;
    okno_wr32(pkt + 8, 0x1234);
    uint16_t nacks[256];
    size_t nacked = 0;
    int64_t start = now_ns();
    for (long i = 0; i < packets; i++) {
        int64_t t = i * 1000; /* stream time: 1,000 packets a second */
        if (lost[i])
            continue;
        uint16_t seq = (uint16_t)i;
        uint32_t ts = (uint32_t)(i / 3 * 3000);
        okno_wr16(pkt + 2, seq);
        okno_wr32(pkt + 4, ts);
        if (stages & STAGE_CACHE)
            okno_packet_cache_store(pc, pkt, sizeof pkt, t);
        if (stages & STAGE_NACK) {
            okno_nack_generator_on_packet(ng, seq, 0, t);
            if (i % 10 == 0)
                nacked += okno_nack_generator_poll(ng, t, 50000, nacks, 256);
        }
        if (stages & STAGE_STATS)
            okno_recv_stats_on_packet(&rs, seq, ts, false, t);
    }
    int64_t elapsed = now_ns() - start;
    /* Keep the work observable so it cannot be optimised away. */
    if (nacked == (size_t)-1 || okno_recv_stats_ext_highest(&rs) == 1)
        printf(" ");
    okno_packet_cache_destroy(pc);
    okno_nack_generator_destroy(ng);
    return (double)elapsed / (double)packets;
}

int main(int argc, char **argv)
{
    long packets = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
    if (packets <= 0) {
        fprintf(stderr, "usage: %s [packets]\n", argv[0]);
        return 2;
    }
    bool *lost = calloc((size_t)packets, sizeof *lost);
    if (!lost)
        return 1;
    uint32_t rng = 2463534242u;
    long nlost = 0;
    for (long i = 1; i < packets; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 17;
        rng ^= rng << 5;
        lost[i] = rng % 100 == 0;
        nlost += lost[i];
    }
    printf("stages_speed: %ld packets of %d bytes, %ld lost (%.2f %%)\n", packets, PKT_LEN, nlost,
           100.0 * (double)nlost / (double)packets);
    static const struct {
        const char *name;
        unsigned stages;
    } runs[] = {
        {"packet_cache store", STAGE_CACHE},
        {"nack_generator", STAGE_NACK},
        {"recv_stats", STAGE_STATS},
        {"all three", STAGE_CACHE | STAGE_NACK | STAGE_STATS},
    };
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        /* Best of three: the first run also pays for faulting in the cache's fresh pages. */
        double ns = -1;
        for (int k = 0; k < 3; k++) {
            double t = run(runs[r].stages, packets, lost);
            if (t < 0 || ns < 0 || t < ns)
                ns = t;
            if (t < 0)
                break;
        }
        if (ns < 0) {
            fprintf(stderr, "stages_speed: out of memory\n");
            free(lost);
            return 1;
        }
        printf("%-20s %8.1f ns/packet\n", runs[r].name, ns);
    }
    free(lost);
    return 0;
}
