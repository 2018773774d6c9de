/* Fuzz target for wire/twcc and wire/twcc_recorder.
 *
 * The input is tried twice. As a feedback packet: when it parses, its statuses are encoded again
 * (split into packets of a size the input picks) and every packet parsed back: sequence numbers,
 * received or not, and arrival times (modulo the reference time's period) must come out as they
 * went in. As a stream of arrivals for a recorder: three bytes per event (sequence number step,
 * time step, build or not); every feedback built must parse and report, for each packet it says was
 * received, the arrival recorded for it. */
#include <stddef.h>
#include <stdint.h>

#include "okno/err.h"
#include "wire/twcc.h"
#include "wire/twcc_recorder.h"

#define MAX_STATUSES 65536

static struct okno_twcc_entry parsed[MAX_STATUSES];
static struct okno_twcc_entry again[MAX_STATUSES];
static uint8_t pkt[300000];
static struct okno_twcc_recorder rec;
static int64_t recorded_us[MAX_STATUSES];
static uint32_t recorded_gen[MAX_STATUSES];
static uint32_t gen;

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

static void round_trip(const uint8_t *data, size_t size)
{
    struct okno_twcc_fb fb;
    int r = okno_twcc_parse(data, size, &fb);
    if (r < 0)
        return;
    check((size_t)r <= size && r % 4 == 0);
    int n = okno_twcc_parse_entries(&fb, parsed, MAX_STATUSES);
    check(n == fb.status_count);

    struct okno_twcc_build_opts o = {fb.sender_ssrc, fb.media_ssrc, fb.fb_count,
                                     fb.fb_count < 32 ? 0 : (size_t)fb.fb_count * 8};
    size_t done = 0;
    while (done < (size_t)n) {
        size_t used = 0;
        int len = okno_twcc_build(&o, parsed + done, (size_t)n - done, pkt, sizeof pkt, &used);
        check(len > 0 && used > 0 && used <= (size_t)n - done);
        check(o.max_size == 0 || (size_t)len <= o.max_size);
        struct okno_twcc_fb fb2;
        check(okno_twcc_parse(pkt, (size_t)len, &fb2) == len);
        check(fb2.fb_count == o.fb_count && fb2.base_seq == parsed[done].seq);
        check(okno_twcc_parse_entries(&fb2, again, MAX_STATUSES) == (int)used);
        for (size_t i = 0; i < used; i++) {
            const struct okno_twcc_entry *a = &parsed[done + i], *b = &again[i];
            check(a->seq == b->seq);
            check((a->status == OKNO_TWCC_NOT_RECEIVED) == (b->status == OKNO_TWCC_NOT_RECEIVED));
            if (a->status != OKNO_TWCC_NOT_RECEIVED)
                check((a->arrival_us - b->arrival_us) % OKNO_TWCC_REF_PERIOD_US == 0);
        }
        done += used;
        o.fb_count++;
    }
}

static void drain(size_t max_size)
{
    int len;
    while ((len = okno_twcc_recorder_build(&rec, 0, pkt, max_size)) > 0) {
        struct okno_twcc_fb fb;
        check(okno_twcc_parse(pkt, (size_t)len, &fb) == len);
        int n = okno_twcc_parse_entries(&fb, parsed, MAX_STATUSES);
        check(n > 0 && n <= OKNO_TWCC_RECORDER_SLOTS);
        for (int i = 0; i < n; i++) {
            if (parsed[i].status == OKNO_TWCC_NOT_RECEIVED)
                continue;
            check(recorded_gen[parsed[i].seq] == gen);
            check((recorded_us[parsed[i].seq] - parsed[i].arrival_us) % OKNO_TWCC_REF_PERIOD_US ==
                  0);
        }
    }
    check(len == 0 && okno_twcc_recorder_pending(&rec) == 0);
}

static void record(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    gen++;
    size_t max_size = OKNO_TWCC_MIN_PACKET + data[0];
    okno_twcc_recorder_init(&rec, 1, 2, 0);
    uint16_t seq = 0;
    int64_t t = 0;
    int jumps = 0;
    /* At most 170 events: enough to wrap the ring, and a long input stays quick to run. */
    if (size > 1 + 3 * 170)
        size = 1 + 3 * 170;
    for (size_t i = 1; i + 3 <= size; i += 3) {
        /* Small steps either way, so that reordering is common, and up to two jumps past the ring
         * (each makes a feedback of a whole ring, which would otherwise dominate the run time). */
        int step = data[i] % 32 - 12;
        if (data[i + 2] == 0xff && jumps < 2) {
            step += 1000;
            jumps++;
        }
        seq = (uint16_t)(seq + step);
        t += (int64_t)data[i + 1] * (data[i + 2] & 0x40 ? 64000 : 250);
        int r = okno_twcc_recorder_on_packet(&rec, seq, t);
        check(r == 0 || r == OKNO_E_EXISTS || r == OKNO_E_RANGE);
        if (r == 0) {
            recorded_us[seq] = t;
            recorded_gen[seq] = gen;
        }
        check(okno_twcc_recorder_pending(&rec) <= OKNO_TWCC_RECORDER_SLOTS);
        if (data[i + 2] & 1)
            drain(max_size);
    }
    drain(max_size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    round_trip(data, size);
    record(data, size);
    return 0;
}
