/* Real RTCP from a Chromium call (tests/fixtures/captures): every datagram is walked, classified
 * the way the capture's extract.py labels it, and every packet of a type we decode is rebuilt byte
 * for byte. */
#include "testutil.h"
#include "okno/err.h"
#include "wire/rtcp.h"
#include "wire/rtcp_fb.h"
#include "wire/rtcp_report.h"

#include <stdbool.h>

/* Names a packet the way tests/fixtures/captures/extract.py labels it, so the walk can be checked
 * against the capture's own classification. */
static void describe(const struct okno_rtcp_pkt *pkt, char *out, size_t cap)
{
    static const char *const names[] = {"SR", "RR", "SDES", "BYE", "APP", "RTPFB", "PSFB"};
    char name[32];
    if (pkt->pt >= OKNO_RTCP_SR && pkt->pt <= OKNO_RTCP_PSFB)
        snprintf(name, sizeof name, "%s", names[pkt->pt - OKNO_RTCP_SR]);
    else
        snprintf(name, sizeof name, "%u", pkt->pt);
    if (pkt->pt == OKNO_RTCP_RTPFB && pkt->count == 1)
        strcat(name, "/NACK");
    else if (pkt->pt == OKNO_RTCP_RTPFB && pkt->count == 15)
        strcat(name, "/TWCC");
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "%s%s", len ? "+" : "", name);
}

/* Decodes one real packet with the body parser for its type and rebuilds it byte for byte; returns
 * whether it knew the type. */
static bool check_real_packet(const struct okno_rtcp_pkt *pkt)
{
    uint8_t out[1500];
    int n = -1;
    if (pkt->pt == OKNO_RTCP_SR) {
        struct okno_rtcp_sr sr;
        assert_int_equal(okno_rtcp_sr_parse(pkt, &sr), 0);
        n = okno_rtcp_sr_build(&sr, out, sizeof out);
    } else if (pkt->pt == OKNO_RTCP_RR) {
        struct okno_rtcp_rr rr;
        assert_int_equal(okno_rtcp_rr_parse(pkt, &rr), 0);
        n = okno_rtcp_rr_build(&rr, out, sizeof out);
    } else if (pkt->pt == OKNO_RTCP_SDES) {
        struct okno_rtcp_sdes_chunk chunk;
        struct okno_rtcp_sdes_item cname;
        assert_int_equal(okno_rtcp_sdes_parse(pkt, &chunk, 1), 1);
        assert_int_equal(okno_rtcp_sdes_find(&chunk, OKNO_SDES_CNAME, &cname), 0);
        assert_int_equal(cname.len, 16); /* Chromium's random CNAMEs */
        n = okno_rtcp_sdes_build_cname(chunk.ssrc, (const char *)cname.data, cname.len, out,
                                       sizeof out);
    } else if (pkt->pt == OKNO_RTCP_RTPFB || pkt->pt == OKNO_RTCP_PSFB) {
        struct okno_rtcp_fb fb;
        assert_int_equal(okno_rtcp_fb_parse(pkt, &fb), 0);
        if (okno_rtcp_fb_kind(&fb) == OKNO_RTCP_FB_NACK) {
            uint16_t lost[256];
            int k = okno_rtcp_nack_expand(&fb, lost, 256);
            assert_true(k > 0);
            /* libwebrtc packs its FCIs greedily too, so ours come out identical. */
            n = okno_rtcp_nack_build(fb.sender_ssrc, fb.media_ssrc, lost, (size_t)k, out,
                                     sizeof out);
        }
    }
    if (n < 0)
        return false;
    assert_int_equal(n, (int)pkt->raw_len);
    assert_memory_equal(out, pkt->raw, pkt->raw_len);
    return true;
}

static void test_rtcp_walks_and_rebuilds_every_chromium_capture_packet(void **state)
{
    (void)state;
    char *text = okno_test_read_file("fixtures/captures/chromium-rtcp.hex", NULL);
    char label[128] = "";
    int datagrams = 0, packets = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            /* "# rtcp:SR+SDES+207 45257->52840 len=56": keep the kind list for the next line. */
            label[0] = '\0';
            if (strncmp(line, "# rtcp:", 7) == 0)
                sscanf(line + 7, "%127s", label);
            continue;
        }
        uint8_t buf[1500];
        size_t len = okno_test_hex(line, buf, sizeof buf);
        assert_true(label[0] != '\0');
        /* Chromium negotiated rtcp-rsize: lone NACK and TWCC packets are normal. */
        int count = okno_rtcp_validate(buf, len, true);
        assert_true(count > 0);
        bool compound = buf[1] == OKNO_RTCP_SR || buf[1] == OKNO_RTCP_RR;
        assert_int_equal(okno_rtcp_validate(buf, len, false), compound ? count : OKNO_E_MALFORMED);

        char seen[128] = "";
        struct okno_rtcp_iter it;
        struct okno_rtcp_pkt pkt;
        okno_rtcp_iter_init(&it, buf, len);
        while (okno_rtcp_iter_next(&it, &pkt) == 1) {
            describe(&pkt, seen, sizeof seen);
            /* XR and TWCC are only framed here; they are decoded elsewhere. */
            bool ours = pkt.pt != OKNO_RTCP_XR && !(pkt.pt == OKNO_RTCP_RTPFB && pkt.count == 15);
            assert_int_equal(check_real_packet(&pkt), ours);
            packets++;
        }
        assert_string_equal(seen, label);
        datagrams++;
    }
    free(text);
    assert_int_equal(datagrams, 71);
    assert_true(packets > datagrams);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtcp_walks_and_rebuilds_every_chromium_capture_packet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
