/* okno-bench's sender's RED for Opus following the audio's reported loss, in simulated time: one
 * previous payload per packet on a clean link, the two before it once receiver reports say the
 * audio loses 5 %, one again after reports of no loss; every redundant block is the earlier
 * packet's primary at its timestamp offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sender_loop.h"
#include "wire/red.h"
#include "wire/rtcp_report.h"

#define S(x)       ((int64_t)(x)*1000000)
#define AUDIO_SSRC 0x1111u
#define RED_PT     63

/* One receiver report on the audio stream saying fraction_lost (of 256). */
static void report_loss(struct loop *l, uint8_t fraction_lost)
{
    struct okno_rtcp_rr rr = {.ssrc = 9, .report_count = 1};
    rr.blocks[0] = (struct okno_rtcp_report_block){
        .ssrc = AUDIO_SSRC, .fraction_lost = fraction_lost, .ext_highest_seq = (uint32_t)l->n_rtp};
    uint8_t buf[128];
    int n = okno_rtcp_rr_build(&rr, buf, sizeof buf);
    assert_true(n > 0);
    loop_rtcp_in(l, buf, (size_t)n);
}

/* Checks every RED packet sent from index `from` on: it carries `want` redundant blocks (oldest
 * first), each the primary of the packet `k` places back, at k x 960 before its timestamp. Returns
 * the number of packets checked. */
static size_t check_blocks(const struct loop *l, size_t from, int want)
{
    size_t checked = 0;
    for (size_t i = from; i < l->n_rtp; i++) {
        struct okno_rtp_pkt p = loop_parse(l, i);
        assert_int_equal(p.pt, RED_PT);
        struct okno_red_block blocks[4], primary;
        int nb = okno_red_parse(p.payload, p.payload_len, blocks, 4, &primary);
        assert_int_equal(nb, want);
        for (int b = 0; b < nb; b++) {
            size_t back = (size_t)(nb - b);
            assert_true(i >= back);
            struct okno_rtp_pkt q = loop_parse(l, i - back);
            struct okno_red_block qb[4], qprimary;
            assert_true(okno_red_parse(q.payload, q.payload_len, qb, 4, &qprimary) >= 0);
            assert_int_equal(blocks[b].ts_offset, 960 * back);
            assert_int_equal(p.ts - q.ts, 960 * back);
            assert_int_equal(blocks[b].len, qprimary.len);
            assert_memory_equal(blocks[b].data, qprimary.data, qprimary.len);
        }
        checked++;
    }
    return checked;
}

static void test_red_distance_follows_reported_loss(void **state)
{
    (void)state;
    struct loop l;
    loop_init(&l);
    struct okno_sender_config c = loop_config(&l, true, false);
    c.ext_twcc = -1;
    c.audio_ssrc = AUDIO_SSRC;
    c.audio_red_pt = RED_PT;
    assert_int_equal(loop_start(&l, &c), 0);
    loop_run(&l, LOOP_T0 + S(2));
    /* no loss reported: one previous payload (the very first packet has none) */
    assert_int_equal(check_blocks(&l, 1, 1), l.n_rtp - 1);
    uint64_t bytes_one = 0;
    for (size_t i = 0; i < l.n_rtp; i++)
        bytes_one += l.rtp[i].len;

    /* 5 % loss in one report: two previous payloads from the next packet on */
    report_loss(&l, 13);
    size_t from = l.n_rtp;
    loop_run(&l, l.now + S(2));
    size_t n2 = check_blocks(&l, from, 2);
    uint64_t bytes_two = 0;
    for (size_t i = from; i < l.n_rtp; i++)
        bytes_two += l.rtp[i].len;
    printf("# RED: %.0f kbit/s with one previous payload, %.0f with two\n",
           (double)bytes_one * 8 / 2000, (double)bytes_two * 8 / 2000);
    assert_int_equal(n2, 100);
    assert_true(bytes_two > bytes_one * 5 / 4);

    /* reports of no loss: back to one once the smoothed loss is under half a percent */
    int reports = 0;
    for (; reports < 10; reports++) {
        report_loss(&l, 0);
        from = l.n_rtp;
        loop_run(&l, l.now + S(1));
        struct okno_red_block b[4], pr;
        struct okno_rtp_pkt p = loop_parse(&l, from);
        if (okno_red_parse(p.payload, p.payload_len, b, 4, &pr) == 1)
            break;
    }
    printf("# back to one previous payload after %d reports of no loss\n", reports + 1);
    assert_true(reports >= 1 && reports < 10);
    assert_int_equal(check_blocks(&l, from, 1), l.n_rtp - from);
    loop_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_red_distance_follows_reported_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
