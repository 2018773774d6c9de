/* The two subscriber slots okno-sdp offers (tests/tools/okno-sdp.c) and test_sub_offer checks the
 * real browsers' answers to (tests/fixtures/sdp/{chromium,firefox}-sub-answer.sdp): p3's Opus
 * track with RED and its VP8 track with RTX, as a publication of p3 would give them. One place, so
 * the saved answers and the tests that read them cannot drift from the offer that made them.
 * Header only (static inline): both a test and the tool include it. */
#ifndef OKNO_TEST_SUB_SLOTS_H
#define OKNO_TEST_SUB_SLOTS_H

#include <string.h>

#include "sfu/sub_offer.h"

/* Fills s[0] (mid "0", audio) and s[1] (mid "1", video); every other field zero. */
static inline void okno_test_sub_slots(struct okno_sub_slot s[2])
{
    memset(s, 0, 2 * sizeof s[0]);
    s[0].mid = "0";
    s[0].track = (struct okno_sub_track){
        .participant = "p3",
        .track = "p3-a0",
        .kind = OKNO_MEDIA_AUDIO,
        .codec = {.pt = 111,
                  .channels = 2,
                  .clock = 48000,
                  .name = "opus",
                  .fmtp = "minptime=10;useinbandfec=1"},
        .rtx_pt = -1,
        .red_pt = 63,
        .ssrc = 0x11111111,
        .cname = "okno-p3",
        .ext_ids = {[OKNO_EXT_MID] = 1,
                    [OKNO_EXT_ABS_SEND_TIME] = 2,
                    [OKNO_EXT_TWCC] = 3,
                    [OKNO_EXT_AUDIO_LEVEL] = 4},
        .fb = OKNO_FB_TRANSPORT_CC,
    };
    s[1].mid = "1";
    s[1].track = (struct okno_sub_track){
        .participant = "p3",
        .track = "p3-v1",
        .kind = OKNO_MEDIA_VIDEO,
        .codec = {.pt = 96, .clock = 90000, .name = "VP8"},
        .rtx_pt = 97,
        .red_pt = -1,
        .ssrc = 0x22222222,
        .rtx_ssrc = 0x33333333,
        .cname = "okno-p3",
        .ext_ids = {[OKNO_EXT_MID] = 1,
                    [OKNO_EXT_ABS_SEND_TIME] = 2,
                    [OKNO_EXT_TWCC] = 3,
                    [OKNO_EXT_TOFFSET] = 5},
        .fb = OKNO_FB_NACK | OKNO_FB_NACK_PLI | OKNO_FB_CCM_FIR | OKNO_FB_TRANSPORT_CC |
              OKNO_FB_GOOG_REMB,
    };
}

#endif
