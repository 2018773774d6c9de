/* Fuzz target for the SFU's receive-side and control stages (src/sfu: packet cache, NACK generator,
 * receive and send statistics, keyframe requester, RTCP scheduler), which take sequence numbers and
 * times from the network and must never misbehave whatever order, jumps or duplicates come in.
 *
 * The first two bytes pick the NACK generator's capacity and age bound (small, so overflow and
 * aging happen); then every 4-byte record is one event: [op][a][b][c]. Packets move a cursor by a
 * small signed step or, with bit 3 of op, by a 16-bit jump, and time moves by c * 100 us. Checked
 * on the way (__builtin_trap otherwise): a NACKed number was never received since it went missing,
 * NACK lists are ascending, fit the cap and build into a NACK that parses back to them, a poll that
 * NACKs is never earlier than the wake-up time announced before it; the cache returns exactly the
 * packet of the number asked for, byte for byte; report blocks stay within their fields; the
 * keyframe requester says send only when its wake-up time has come; the uplink drain's cap is
 * either none or between its floor and its time limit. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/collapse_watch.h"
#include "sfu/keyframe_requester.h"
#include "sfu/nack_generator.h"
#include "sfu/packet_cache.h"
#include "sfu/recv_stats.h"
#include "sfu/rtcp_scheduler.h"
#include "sfu/send_stats.h"
#include "sfu/uplink_drain.h"
#include "wire/bytes.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"
#include "wire/rtp.h"
#include "wire/seq.h"

static void check(int ok)
{
    if (!ok)
        __builtin_trap();
}

/* Bit s set: s was received and has not gone missing since. */
static uint8_t received[65536 / 8];

static bool was_received(uint16_t s)
{
    return received[s / 8] >> (s % 8) & 1;
}

static void set_received(uint16_t s, bool v)
{
    if (v)
        received[s / 8] |= (uint8_t)(1u << (s % 8));
    else
        received[s / 8] &= (uint8_t) ~(1u << (s % 8));
}

/* A packet whose every payload byte tells its number and length, so a wrong slot shows. */
static size_t make_pkt(uint8_t *buf, uint16_t seq, size_t payload)
{
    memset(buf, 0, OKNO_RTP_HEADER_LEN);
    buf[0] = 0x80;
    buf[1] = 96;
    okno_wr16(buf + 2, seq);
    okno_wr32(buf + 8, 0x1234);
    for (size_t i = 0; i < payload; i++)
        buf[OKNO_RTP_HEADER_LEN + i] = (uint8_t)(seq ^ payload ^ i);
    return OKNO_RTP_HEADER_LEN + payload;
}

static void check_cached(const struct okno_cached_packet *p, uint16_t seq)
{
    check(p->seq == seq && p->len >= OKNO_RTP_HEADER_LEN && p->len <= OKNO_MTU);
    check(okno_rd16(p->data + 2) == seq);
    size_t payload = p->len - OKNO_RTP_HEADER_LEN;
    for (size_t i = 0; i < payload; i++)
        check(p->data[OKNO_RTP_HEADER_LEN + i] == (uint8_t)(seq ^ payload ^ i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct okno_nack_config cfg = {
        .capacity = 1 + data[0] % 64,
        .max_seq_age = 1 + data[1] % 128 * 8,
    };
    data += 2;
    size -= 2;
    struct okno_nack_generator *ng = NULL;
    struct okno_packet_cache *pc = NULL;
    check(okno_nack_generator_create(&cfg, &ng) == 0);
    check(okno_packet_cache_create(64, &pc) == 0);
    struct okno_recv_stats rs;
    struct okno_send_stats ss;
    struct okno_keyframe_requester kr;
    struct okno_rtcp_scheduler sched;
    check(okno_recv_stats_init(&rs, 0x1234, 90000) == 0);
    check(okno_send_stats_init(&ss, 0x1234, 90000, 1700000000000000) == 0);
    okno_keyframe_requester_init(&kr);
    struct okno_collapse_watch cw;
    okno_collapse_watch_init(&cw);
    uint64_t collapses = 0;
    struct okno_uplink_drain dr;
    okno_uplink_drain_init(&dr);
    check(okno_rtcp_scheduler_init(&sched, 1000000, 5000, 1, 0) == 0);
    memset(received, 0, sizeof received);

    static uint8_t pkt[OKNO_MTU];
    static uint8_t buf[2048];
    uint16_t cur = 0, newest = 0;
    bool started = false;
    int64_t now = 0;
    for (size_t off = 0; off + 4 <= size; off += 4) {
        uint8_t op = data[off], a = data[off + 1], b = data[off + 2], c = data[off + 3];
        now += (int64_t)c * 100;
        switch (op & 7) {
        case 0: { /* a packet arrives */
            int32_t step = op & 8 ? (int16_t)(a << 8 | b) : (int8_t)a;
            cur = (uint16_t)(cur + step);
            unsigned flags = (op >> 4) & 3;
            unsigned r = okno_nack_generator_on_packet(ng, cur, flags, now);
            check(r != 0);
            if (r & OKNO_NACK_NEW) {
                uint16_t gap = (uint16_t)(cur - newest - 1);
                if (started && gap < 2048)
                    for (uint16_t k = 1; k <= gap; k++)
                        set_received((uint16_t)(newest + k), false);
                newest = cur;
                started = true;
            }
            set_received(cur, true);
            size_t len = make_pkt(pkt, cur, (size_t)b * 5);
            int sr = okno_packet_cache_store(pc, pkt, len, now);
            check(sr == 0 || sr == OKNO_E_EXISTS || sr == OKNO_E_RANGE);
            struct okno_cached_packet got;
            if (sr == 0) {
                check(okno_packet_cache_get(pc, cur, &got) == 0);
                check(got.len == len && memcmp(got.data, pkt, len) == 0);
            }
            int rr = okno_recv_stats_on_packet(&rs, cur, (uint32_t)cur * 3000u, flags & 1, now);
            check(rr == 0 || rr == OKNO_E_RANGE);
            okno_send_stats_on_packet(&ss, (uint32_t)cur * 3000u, (uint32_t)len, now);
            if (r & OKNO_NACK_KEYFRAME)
                okno_keyframe_requester_request(&kr, now);
            if (!(flags & OKNO_NACK_PKT_RETRANSMISSION) && !(r & OKNO_NACK_DUPLICATE)) {
                bool ask = okno_collapse_watch_on_packet(&cw, cur, flags & OKNO_NACK_PKT_KEYFRAME,
                                                         (int64_t)a * 1000, now);
                collapses += ask;
                check(cw.collapses == collapses); /* one count per request */
                okno_uplink_drain_on_packet(&dr, (size_t)b * 8u, now);
                if (cw.since_us >= 0 &&
                    okno_uplink_drain_begin(&dr, cw.since_us, (int64_t)a * 1000, now))
                    check(dr.cap_bps >= OKNO_DRAIN_MIN_BPS &&
                          dr.until_us == now + OKNO_DRAIN_MAX_US);
                uint64_t cap = okno_uplink_drain_cap(&dr, now);
                check(cap == 0 || (cap == dr.cap_bps && dr.until_us > now &&
                                   dr.until_us <= now + OKNO_DRAIN_MAX_US));
                if (ask)
                    okno_keyframe_requester_request(&kr, now);
            }
            if (flags & OKNO_NACK_PKT_KEYFRAME)
                okno_keyframe_requester_on_keyframe(&kr, now);
            break;
        }
        case 1: { /* NACK poll */
            uint16_t out[256];
            size_t before = okno_nack_generator_missing_count(ng);
            int64_t wake = okno_nack_generator_next_wakeup(ng);
            size_t n = okno_nack_generator_poll(ng, now, (int64_t)a * 1000, out, b);
            check(n <= b && n <= before);
            check(n == 0 || now >= wake);
            for (size_t i = 0; i < n; i++) {
                check(!was_received(out[i]));
                check(i == 0 || okno_seq_newer(out[i], out[i - 1]));
            }
            if (n > 0) {
                int len = okno_rtcp_nack_build(1, 2, out, n, buf, sizeof buf);
                check(len > 0);
                struct okno_rtcp_pkt p;
                struct okno_rtcp_fb fb;
                check(okno_rtcp_parse(buf, (size_t)len, &p) == len);
                check(okno_rtcp_fb_parse(&p, &fb) == 0);
                uint16_t back[256];
                check(okno_rtcp_nack_expand(&fb, back, 256) == (int)n);
                check(memcmp(back, out, n * sizeof out[0]) == 0);
            }
            break;
        }
        case 2: { /* a subscriber's NACK asks the cache */
            uint16_t s = (uint16_t)(cur + (int8_t)a);
            struct okno_cached_packet got;
            if (okno_packet_cache_get(pc, s, &got) == 0)
                check_cached(&got, s);
            break;
        }
        case 3: { /* reports */
            struct okno_rtcp_report_block blk;
            if (op & 8)
                okno_recv_stats_on_sr(&rs, (uint64_t)a << 40 | (uint64_t)b << 24, now);
            if (okno_recv_stats_report(&rs, now, &blk) == 0) {
                check(blk.cumulative_lost >= -0x800000 && blk.cumulative_lost <= 0x7fffff);
                struct okno_rtcp_rr rr = {.ssrc = 1, .report_count = 1, .blocks = {blk}};
                check(okno_rtcp_rr_build(&rr, buf, sizeof buf) == 32);
                int r = okno_send_stats_on_report_block(&ss, &blk, now);
                check(r == 0 || r == OKNO_E_NOTFOUND || r == OKNO_E_RANGE);
                check(ss.srtt_us >= -1);
            }
            struct okno_rtcp_sr sr;
            if (okno_send_stats_sr(&ss, now, &sr) == 0)
                check(okno_rtcp_sr_build(&sr, buf, sizeof buf) == 28);
            break;
        }
        case 4: { /* keyframe requests */
            if (op & 8)
                okno_keyframe_requester_request(&kr, now);
            if (op & 16)
                okno_keyframe_requester_set_rtt(&kr, (int64_t)a * 10000 - 100000);
            int64_t wake = okno_keyframe_requester_next_wakeup(&kr);
            bool send = okno_keyframe_requester_poll(&kr, now);
            check(send == (kr.wanted && now >= wake));
            check(!send || okno_keyframe_requester_next_wakeup(&kr) > now);
            break;
        }
        case 5: { /* the RTCP timer */
            if (okno_rtcp_scheduler_report_due(&sched, now)) {
                okno_rtcp_scheduler_on_report_sent(&sched, now);
                int64_t gap = okno_rtcp_scheduler_next_report(&sched) - now;
                check(gap >= 500000 && gap < 1500000);
            }
            if (okno_rtcp_scheduler_feedback_allowed(&sched, now) && (op & 8)) {
                okno_rtcp_scheduler_on_feedback_sent(&sched, now);
                check(!okno_rtcp_scheduler_feedback_allowed(&sched, now + 4999));
            }
            break;
        }
        case 6: /* a long silence */
            now += (int64_t)a << 16 | (int64_t)b << 8;
            break;
        default: { /* the wake-up time is never later than what a poll would find due */
            int64_t wake = okno_nack_generator_next_wakeup(ng);
            check(wake == INT64_MAX || okno_nack_generator_missing_count(ng) > 0);
            break;
        }
        }
    }
    struct okno_nack_stats st;
    okno_nack_generator_stats(ng, &st);
    check(st.recovered + st.reordered + st.given_up + st.cleared_by_keyframe +
              okno_nack_generator_missing_count(ng) ==
          st.missing);
    okno_nack_generator_destroy(ng);
    okno_packet_cache_destroy(pc);
    return 0;
}
