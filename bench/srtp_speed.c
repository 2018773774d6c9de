/* srtp_speed: how many 1200-byte RTP packets one core protects and unprotects per second with each
 * SRTP profile, to size media workers and to choose the profile we prefer. Prints figures; judges
 * nothing.
 *
 * usage: bench/srtp_speed [packets]   (default 200000 per profile) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/srtp.h"
#include "okno/err.h"
#include "wire/bytes.h"

#define PAYLOAD 1200

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int run(enum okno_srtp_profile profile, long packets)
{
    struct okno_srtp_master m;
    memset(&m, 0, sizeof m);
    m.key_len = (size_t)okno_srtp_profile_key_len(profile);
    m.salt_len = (size_t)okno_srtp_profile_salt_len(profile);
    for (size_t i = 0; i < m.key_len; i++)
        m.key[i] = (uint8_t)(i * 7 + 1);
    for (size_t i = 0; i < m.salt_len; i++)
        m.salt[i] = (uint8_t)(i * 13 + 5);
    struct okno_srtp *out = NULL, *in = NULL;
    int err = okno_srtp_create(OKNO_SRTP_OUTBOUND, profile, &m, &out);
    if (err == 0)
        err = okno_srtp_create(OKNO_SRTP_INBOUND, profile, &m, &in);
    if (err < 0) {
        fprintf(stderr, "srtp_speed: %s: %s\n", okno_srtp_profile_name(profile),
                okno_strerror(err));
        okno_srtp_free(out);
        return 1;
    }
    /* 32-bit words keep the packet aligned the way libsrtp wants it */
    static uint32_t words[(PAYLOAD + OKNO_SRTP_MAX_TRAILER + 3) / 4];
    uint8_t *pkt = (uint8_t *)words;
    int64_t protect_ns = 0, unprotect_ns = 0;
    for (long i = 0; i < packets && err == 0; i++) {
        memset(pkt, (int)(i & 0xff), PAYLOAD);
        pkt[0] = 0x80; /* V=2, no CSRC, no extension */
        pkt[1] = 96;
        okno_wr16(pkt + 2, (uint16_t)i);
        okno_wr32(pkt + 4, (uint32_t)(i * 3000));
        okno_wr32(pkt + 8, 0x1234abcd);
        size_t len = PAYLOAD;
        int64_t t0 = now_ns();
        err = okno_srtp_protect_rtp(out, pkt, &len, sizeof words);
        int64_t t1 = now_ns();
        if (err == 0)
            err = okno_srtp_unprotect_rtp(in, pkt, &len);
        int64_t t2 = now_ns();
        protect_ns += t1 - t0;
        unprotect_ns += t2 - t1;
    }
    okno_srtp_free(out);
    okno_srtp_free(in);
    if (err < 0) {
        fprintf(stderr, "srtp_speed: %s: %s\n", okno_srtp_profile_name(profile),
                okno_strerror(err));
        return 1;
    }
    double p_pps = (double)packets * 1e9 / (double)(protect_ns ? protect_ns : 1);
    double u_pps = (double)packets * 1e9 / (double)(unprotect_ns ? unprotect_ns : 1);
    printf("%-24s protect   %10.0f packets/s %8.1f Mbit/s\n", okno_srtp_profile_name(profile),
           p_pps, p_pps * PAYLOAD * 8 / 1e6);
    printf("%-24s unprotect %10.0f packets/s %8.1f Mbit/s\n", okno_srtp_profile_name(profile),
           u_pps, u_pps * PAYLOAD * 8 / 1e6);
    return 0;
}

int main(int argc, char **argv)
{
    long packets = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
    if (packets <= 0) {
        fprintf(stderr, "usage: %s [packets]\n", argv[0]);
        return 2;
    }
    printf("%ld RTP packets of %d bytes per profile, one thread\n", packets, PAYLOAD);
    int rc = run(OKNO_SRTP_AEAD_AES_128_GCM, packets);
    rc |= run(OKNO_SRTP_AES128_CM_SHA1_80, packets);
    return rc;
}
