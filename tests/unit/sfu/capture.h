/* Reads the packets of the Chromium capture (tests/fixtures/captures/chromium-rtp.hex, see its
 * README) for the SFU stage tests: one packet per line, a '#' line describing each. Header-only so
 * each test program stays one .c file. */
#ifndef OKNO_TEST_SFU_CAPTURE_H
#define OKNO_TEST_SFU_CAPTURE_H

#include "testutil.h"

#define CAPTURE_MAX_PKTS 128
#define CAPTURE_MAX_LEN  1500

struct capture {
    size_t n;
    size_t len[CAPTURE_MAX_PKTS];
    uint8_t pkt[CAPTURE_MAX_PKTS][CAPTURE_MAX_LEN];
};

/* Fills c (heap-allocated by the caller: it is large) with every packet of the file, in file order.
 */
static inline void capture_load(struct capture *c)
{
    char *text = okno_test_read_file("fixtures/captures/chromium-rtp.hex", NULL);
    c->n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#' || line[0] == '\0')
            continue;
        assert_true(c->n < CAPTURE_MAX_PKTS);
        c->len[c->n] = okno_test_hex(line, c->pkt[c->n], CAPTURE_MAX_LEN);
        c->n++;
    }
    free(text);
    assert_true(c->n > 0);
}

#endif
