/* The keyframe request state: wanted (someone asked), outstanding (we asked the publisher), and
 * when we last asked. The two waits, throttle and retry, are computed from the RTT at poll time, so
 * an RTT that changes between polls takes effect at once. This file deliberately knows no RTCP. */
#include "sfu/keyframe_requester.h"

#include <string.h>

void okno_keyframe_requester_init(struct okno_keyframe_requester *kr)
{
    memset(kr, 0, sizeof *kr);
    kr->sent_us = INT64_MIN;
    /* The first FIR then carries 0, the RFC's usual first number. */
    kr->fir_seq = 255;
}

void okno_keyframe_requester_set_rtt(struct okno_keyframe_requester *kr, int64_t rtt_us)
{
    kr->rtt_us = rtt_us > 0 ? rtt_us : 0;
}

void okno_keyframe_requester_request(struct okno_keyframe_requester *kr, int64_t now_us)
{
    (void)now_us;
    kr->requests_in++;
    kr->wanted = true;
}

void okno_keyframe_requester_on_keyframe(struct okno_keyframe_requester *kr, int64_t now_us)
{
    if (kr->outstanding) {
        int64_t took = now_us - kr->first_sent_us;
        if (took >= 0)
            kr->response_us = kr->response_us ? (3 * kr->response_us + took) / 4 : took;
    }
    kr->keyframes++;
    kr->wanted = false;
    kr->outstanding = false;
}

static int64_t throttle_us(const struct okno_keyframe_requester *kr)
{
    return kr->rtt_us > OKNO_KEYFRAME_MIN_INTERVAL_US ? kr->rtt_us : OKNO_KEYFRAME_MIN_INTERVAL_US;
}

int64_t okno_keyframe_requester_retry_us(const struct okno_keyframe_requester *kr)
{
    int64_t t = 2 * kr->rtt_us + 100000;
    return t > OKNO_KEYFRAME_MIN_RETRY_US ? t : OKNO_KEYFRAME_MIN_RETRY_US;
}

int64_t okno_keyframe_requester_next_wakeup(const struct okno_keyframe_requester *kr)
{
    if (!kr->wanted)
        return INT64_MAX;
    if (kr->sent_us == INT64_MIN)
        return INT64_MIN;
    return kr->sent_us + (kr->outstanding ? okno_keyframe_requester_retry_us(kr) : throttle_us(kr));
}

bool okno_keyframe_requester_poll(struct okno_keyframe_requester *kr, int64_t now_us)
{
    if (!kr->wanted || now_us < okno_keyframe_requester_next_wakeup(kr))
        return false;
    if (kr->outstanding) {
        kr->retries++;
    } else {
        kr->fir_seq++;
        kr->first_sent_us = now_us;
    }
    kr->outstanding = true;
    kr->sent_us = now_us;
    kr->requests_out++;
    return true;
}

int64_t okno_keyframe_requester_response_us(const struct okno_keyframe_requester *kr)
{
    return kr->response_us;
}

uint8_t okno_keyframe_requester_fir_seq(const struct okno_keyframe_requester *kr)
{
    return kr->fir_seq;
}
