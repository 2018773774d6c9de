/* SRTP sessions over libsrtp2: profile tables, once-per-process initialisation, and in-place
 * protect and unprotect with bounds checked before libsrtp sees the buffer. It does not keep
 * statistics or per-SSRC state of its own: libsrtp's any-SSRC templates create a stream the first
 * time an SSRC authenticates, which is the only allocation after creation (once per SSRC, never per
 * packet). */
#include "net/srtp.h"
#include "net/srtp_gcm.h"
#include "wire/bytes.h"

#include <glib.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>

#define RTP_HEADER_LEN  12
#define RTCP_HEADER_LEN 8
#define SRTCP_INDEX_LEN 4

struct okno_srtp {
    srtp_t session;            /* owned; NULL when gcm protects */
    struct okno_srtp_gcm *gcm; /* owned; outbound AEAD_AES_128_GCM only (net/srtp_gcm.h) */
    enum okno_srtp_direction dir;
    size_t tag_len; /* authentication tag bytes of the profile */
};

int okno_srtp_init(void)
{
    static gsize once;
    static int result;
    if (g_once_init_enter(&once)) {
        result = srtp_init() == srtp_err_status_ok ? 0 : OKNO_E_IO;
        g_once_init_leave(&once, 1);
    }
    return result;
}

static int known(enum okno_srtp_profile profile)
{
    return profile == OKNO_SRTP_AES128_CM_SHA1_80 || profile == OKNO_SRTP_AEAD_AES_128_GCM;
}

int okno_srtp_profile_key_len(enum okno_srtp_profile profile)
{
    return known(profile) ? 16 : OKNO_E_UNSUPPORTED;
}

int okno_srtp_profile_salt_len(enum okno_srtp_profile profile)
{
    if (!known(profile))
        return OKNO_E_UNSUPPORTED;
    return profile == OKNO_SRTP_AEAD_AES_128_GCM ? 12 : 14;
}

const char *okno_srtp_profile_name(enum okno_srtp_profile profile)
{
    switch (profile) {
    case OKNO_SRTP_AES128_CM_SHA1_80:
        return "SRTP_AES128_CM_SHA1_80";
    case OKNO_SRTP_AEAD_AES_128_GCM:
        return "SRTP_AEAD_AES_128_GCM";
    }
    return "unknown";
}

static int map_status(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
        return 0;
    case srtp_err_status_auth_fail:
        return OKNO_SRTP_E_AUTH;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return OKNO_SRTP_E_REPLAY;
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
    case srtp_err_status_no_ctx:
    case srtp_err_status_bad_mki:
        return OKNO_E_MALFORMED;
    case srtp_err_status_alloc_fail:
        return OKNO_E_NOMEM;
    default:
        return OKNO_E_IO;
    }
}

int okno_srtp_create(enum okno_srtp_direction dir, enum okno_srtp_profile profile,
                     const struct okno_srtp_master *master, struct okno_srtp **out)
{
    if (!master || !out || (dir != OKNO_SRTP_INBOUND && dir != OKNO_SRTP_OUTBOUND))
        return OKNO_E_INVAL;
    *out = NULL;
    if (!known(profile))
        return OKNO_E_UNSUPPORTED;
    if (master->key_len != (size_t)okno_srtp_profile_key_len(profile) ||
        master->salt_len != (size_t)okno_srtp_profile_salt_len(profile))
        return OKNO_E_INVAL;
    int err = okno_srtp_init();
    if (err < 0)
        return err;
    if (dir == OKNO_SRTP_OUTBOUND && profile == OKNO_SRTP_AEAD_AES_128_GCM) {
        struct okno_srtp *s = calloc(1, sizeof *s);
        if (!s)
            return OKNO_E_NOMEM;
        err = okno_srtp_gcm_new(master->key, master->salt, &s->gcm);
        if (err < 0) {
            free(s);
            return err;
        }
        s->dir = dir;
        s->tag_len = OKNO_SRTP_GCM_TAG_LEN;
        *out = s;
        return 0;
    }

    srtp_policy_t policy;
    memset(&policy, 0, sizeof policy);
    /* libsrtp's profile numbers are the IANA ones, like ours. */
    if (srtp_crypto_policy_set_from_profile_for_rtp(&policy.rtp, (srtp_profile_t)profile) !=
            srtp_err_status_ok ||
        srtp_crypto_policy_set_from_profile_for_rtcp(&policy.rtcp, (srtp_profile_t)profile) !=
            srtp_err_status_ok)
        return OKNO_E_UNSUPPORTED;
    /* libsrtp takes the key and the salt as one string. */
    unsigned char material[OKNO_SRTP_MAX_KEY_LEN + OKNO_SRTP_MAX_SALT_LEN];
    memcpy(material, master->key, master->key_len);
    memcpy(material + master->key_len, master->salt, master->salt_len);
    policy.ssrc.type = dir == OKNO_SRTP_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
    policy.key = material;
    policy.window_size = OKNO_SRTP_REPLAY_WINDOW;
    policy.allow_repeat_tx = dir == OKNO_SRTP_OUTBOUND;

    struct okno_srtp *s = calloc(1, sizeof *s);
    if (!s) {
        explicit_bzero(material, sizeof material);
        return OKNO_E_NOMEM;
    }
    srtp_err_status_t st = srtp_create(&s->session, &policy);
    explicit_bzero(material, sizeof material);
    if (st != srtp_err_status_ok) {
        free(s);
        return st == srtp_err_status_alloc_fail ? OKNO_E_NOMEM : OKNO_E_IO;
    }
    s->dir = dir;
    s->tag_len = (size_t)policy.rtp.auth_tag_len;
    *out = s;
    return 0;
}

void okno_srtp_free(struct okno_srtp *s)
{
    if (!s)
        return;
    if (s->session)
        srtp_dealloc(s->session); /* zeroises the session keys */
    okno_srtp_gcm_free(s->gcm);
    free(s);
}

/* The first two bits of RTP and RTCP are version 2 (RFC 3550 5.1); anything else is not ours to
 * pass on. */
static int check_header(const uint8_t *pkt, size_t len, size_t min)
{
    if (len < min)
        return OKNO_E_TRUNCATED;
    if (pkt[0] >> 6 != 2)
        return OKNO_E_MALFORMED;
    return 0;
}

/* Length of the RTP header with its CSRCs and extension (RFC 3550 5.1, 5.3.1), or an error when it
 * does not fit in len bytes. libsrtp trusts these fields, so they are checked before it sees the
 * packet. */
static int rtp_header_len(const uint8_t *pkt, size_t len)
{
    size_t n = RTP_HEADER_LEN + 4u * (pkt[0] & 0x0f);
    if (pkt[0] & 0x10) {
        if (len < n + 4)
            return OKNO_E_TRUNCATED;
        n += 4 + 4u * okno_rd16(pkt + n + 2);
    }
    return n <= len ? (int)n : OKNO_E_TRUNCATED;
}

static int protect(struct okno_srtp *s, uint8_t *pkt, size_t *len, size_t cap, int rtcp)
{
    if (!s || !pkt || !len)
        return OKNO_E_INVAL;
    if (s->dir != OKNO_SRTP_OUTBOUND)
        return OKNO_E_STATE;
    int err = check_header(pkt, *len, rtcp ? RTCP_HEADER_LEN : RTP_HEADER_LEN);
    if (err == 0 && !rtcp)
        err = rtp_header_len(pkt, *len);
    if (err < 0)
        return err;
    if (*len > INT_MAX - OKNO_SRTP_MAX_TRAILER || cap < *len + OKNO_SRTP_MAX_TRAILER)
        return OKNO_E_NOSPC;
    if (s->gcm)
        return rtcp ? okno_srtp_gcm_protect_rtcp(s->gcm, pkt, len, cap)
                    : okno_srtp_gcm_protect_rtp(s->gcm, pkt, len, (size_t)err, cap);
    int n = (int)*len;
    srtp_err_status_t st =
        rtcp ? srtp_protect_rtcp(s->session, pkt, &n) : srtp_protect(s->session, pkt, &n);
    if (st != srtp_err_status_ok)
        return map_status(st);
    *len = (size_t)n;
    return 0;
}

static int unprotect(struct okno_srtp *s, uint8_t *pkt, size_t *len, int rtcp)
{
    if (!s || !pkt || !len)
        return OKNO_E_INVAL;
    if (s->dir != OKNO_SRTP_INBOUND)
        return OKNO_E_STATE;
    size_t min =
        rtcp ? RTCP_HEADER_LEN + SRTCP_INDEX_LEN + s->tag_len : RTP_HEADER_LEN + s->tag_len;
    int err = check_header(pkt, *len, min);
    if (err == 0 && !rtcp)
        err = rtp_header_len(pkt, *len - s->tag_len);
    if (err < 0)
        return err;
    if (*len > INT_MAX)
        return OKNO_E_MALFORMED;
    int n = (int)*len;
    srtp_err_status_t st =
        rtcp ? srtp_unprotect_rtcp(s->session, pkt, &n) : srtp_unprotect(s->session, pkt, &n);
    if (st != srtp_err_status_ok)
        return map_status(st);
    *len = (size_t)n;
    return 0;
}

int okno_srtp_protect_rtp(struct okno_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
    return protect(s, pkt, len, cap, 0);
}

int okno_srtp_protect_rtcp(struct okno_srtp *s, uint8_t *pkt, size_t *len, size_t cap)
{
    return protect(s, pkt, len, cap, 1);
}

int okno_srtp_unprotect_rtp(struct okno_srtp *s, uint8_t *pkt, size_t *len)
{
    return unprotect(s, pkt, len, 0);
}

int okno_srtp_unprotect_rtcp(struct okno_srtp *s, uint8_t *pkt, size_t *len)
{
    return unprotect(s, pkt, len, 1);
}
