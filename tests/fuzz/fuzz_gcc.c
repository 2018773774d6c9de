/* Fuzz target for plugins/bwe's estimator (gcc.h): what a subscriber's transport-wide feedback,
 * RTCP and REMB make of it. Feedback comes from the client, so any sequence numbers, arrival times
 * (backwards, far apart, repeated) and orders must leave a target within [min, max], a queue delay
 * and round trip that are not negative, and probe requests within the bounds, whatever the sender's
 * clock did meanwhile.
 *
 * The input is a program, one opcode byte and its operands at a time: send a packet (size, probe
 * or not, time step), feedback entries (count, then per entry a sequence step, received or not, an
 * arrival step), a raw feedback packet (length, bytes; parsed by wire/twcc first), an RTT, a REMB,
 * an RR loss report, and a time step with an estimate. */
#include <stddef.h>
#include <stdint.h>

#include "plugins/bwe/gcc.h"
#include "wire/twcc.h"

#define MIN_BPS     30000u
#define START_BPS   300000u
#define MAX_BPS     5000000u
#define MAX_ENTRIES 64

struct reader {
    const uint8_t *p;
    size_t n;
};

static uint32_t take(struct reader *r, size_t bytes)
{
    uint32_t v = 0;
    for (size_t i = 0; i < bytes; i++) {
        v = v << 8;
        if (r->n > 0) {
            v |= *r->p++;
            r->n--;
        }
    }
    return v;
}

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static void check_estimate(struct okno_gcc *g, int64_t now_us)
{
    struct okno_gcc_estimate e;
    okno_gcc_estimate(g, now_us, &e);
    check(e.target_bps >= MIN_BPS && e.target_bps <= MAX_BPS);
    check(e.queue_delay_us >= 0 && e.rtt_us >= 0);
    check(e.loss_ratio >= 0 && e.loss_ratio <= 1);
    check(!e.probe_wanted || (e.probe_bps >= MIN_BPS && e.probe_bps <= MAX_BPS));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = {data, size};
    const struct okno_gcc_config cfg = {MIN_BPS, START_BPS, MAX_BPS, (size & 1) != 0};
    int64_t now_us = 1000000;
    struct okno_gcc *g;
    check(okno_gcc_create(&cfg, now_us, &g) == 0);
    uint16_t next_seq = 0, fb_seq = 0;
    int64_t arrival_us = 0;
    static struct okno_gcc_fb_entry entries[MAX_ENTRIES];
    while (r.n > 0) {
        switch (take(&r, 1) % 7) {
        case 0: { /* a packet leaves */
            size_t bytes = 20 + take(&r, 1) * 5;
            bool probe = take(&r, 1) & 1;
            now_us += take(&r, 1) * 100;
            okno_gcc_on_packet_sent(g, next_seq++, bytes, now_us, probe);
            break;
        }
        case 1: { /* feedback, as parsed entries */
            size_t n = take(&r, 1) % (MAX_ENTRIES + 1);
            for (size_t i = 0; i < n; i++) {
                fb_seq = (uint16_t)(fb_seq + (int8_t)take(&r, 1));
                uint32_t b = take(&r, 1);
                arrival_us += (int16_t)take(&r, 2) * (int64_t)((b >> 1) + 1);
                entries[i] = (struct okno_gcc_fb_entry){fb_seq, (b & 1) != 0, arrival_us};
                fb_seq++;
            }
            now_us += take(&r, 1) * 1000;
            check(okno_gcc_on_feedback_entries(g, entries, n, now_us) == 0);
            break;
        }
        case 2: { /* feedback, as a transport-cc packet */
            size_t len = take(&r, 1);
            if (len > r.n)
                len = r.n;
            struct okno_twcc_fb fb;
            if (okno_twcc_parse(r.p, len, &fb) >= 0)
                (void)okno_gcc_on_feedback(g, &fb, now_us);
            r.p += len;
            r.n -= len;
            break;
        }
        case 3:
            okno_gcc_on_rtt(g, (int64_t)(int32_t)take(&r, 4), now_us);
            break;
        case 4:
            okno_gcc_on_remb(g, (uint64_t)take(&r, 4) << (take(&r, 1) % 24), now_us);
            break;
        case 5:
            okno_gcc_on_loss_report(g, (uint8_t)take(&r, 1), take(&r, 2), now_us);
            break;
        default:
            now_us += take(&r, 2) * 1000;
            break;
        }
        check_estimate(g, now_us);
    }
    okno_gcc_destroy(g);
    return 0;
}
