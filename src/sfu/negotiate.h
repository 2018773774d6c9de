/* SDP negotiation of a publisher connection: the client's offer in, okno's answer and a
 * "publication" out. The publication is everything the SFU core needs from the offer, copied out of
 * the text so it outlives it: per accepted media section the codec, its RTX and RED payload types,
 * header extension ids, RTCP feedback, SSRCs, rids and msid; for the transport the remote ICE
 * credentials and candidates, the fingerprint the client's certificate must match and okno's DTLS
 * role. This header also holds what the subscriber side (sub_offer.h) shares: the extension and
 * feedback vocabulary okno knows, okno's own transport parameters, the remote transport summary.
 *
 * okno is full ICE, BUNDLE-only and rtcp-mux-only, and forwards Opus (optionally inside RED) and
 * VP8 (with RTX, simulcast by rid). Media sections it cannot take (data channels, other kinds,
 * sections outside BUNDLE or without rtcp-mux) are rejected with port 0; a section that tries to
 * send audio or video in codecs okno cannot forward fails the whole offer, because the client
 * believes it is publishing something nobody would receive.
 *
 * Deliberately not here: SDP syntax (wire/sdp parses and writes), choosing okno's credentials or
 * certificate (net/ice, net/cert), and any state across negotiations: the caller keeps the session
 * version and compares publications itself. Nothing here touches a socket or a clock. */
#ifndef OKNO_SFU_NEGOTIATE_H
#define OKNO_SFU_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/cert.h"
#include "net/dtls.h"
#include "wire/sdp.h"

#define OKNO_NEG_MAX_MEDIA      OKNO_SDP_MAX_MEDIA
#define OKNO_NEG_MAX_CANDIDATES OKNO_SDP_MAX_CANDIDATES
#define OKNO_NEG_CANDIDATE_LEN  256 /* one "candidate:..." line and its NUL */
#define OKNO_NEG_CRED_LEN       257 /* RFC 8839: ufrag and pwd up to 256 characters */
#define OKNO_NEG_ID_LEN         65  /* mid, msid ids, cname, rid ids; longer ones fail the offer */
#define OKNO_NEG_CODEC_NAME_LEN 16
#define OKNO_NEG_FMTP_LEN       256
#define OKNO_NEG_MAX_SSRCS      OKNO_SDP_MAX_SSRCS
#define OKNO_NEG_MAX_FIDS       OKNO_SDP_MAX_SSRC_GROUPS
#define OKNO_NEG_MAX_SIM        OKNO_SDP_MAX_GROUP_SSRCS
#define OKNO_NEG_MAX_RIDS       OKNO_SDP_MAX_RIDS
#define OKNO_NEG_REASON_LEN     160 /* room for any reason string, with its NUL */
/* Answers and offers with every candidate okno gathers fit comfortably in this. */
#define OKNO_NEG_SDP_MAX 32768

enum okno_media_kind {
    OKNO_MEDIA_AUDIO = 0,
    OKNO_MEDIA_VIDEO,
};

/* Header extensions okno understands, indexes into the ext_ids arrays below. */
enum okno_ext {
    OKNO_EXT_MID = 0, /* urn:ietf:params:rtp-hdrext:sdes:mid */
    OKNO_EXT_RID,     /* ...:sdes:rtp-stream-id */
    OKNO_EXT_RRID,    /* ...:sdes:repaired-rtp-stream-id */
    OKNO_EXT_ABS_SEND_TIME,
    OKNO_EXT_TWCC,        /* transport-wide-cc-extensions-01 */
    OKNO_EXT_AUDIO_LEVEL, /* urn:ietf:params:rtp-hdrext:ssrc-audio-level */
    OKNO_EXT_TOFFSET,
    OKNO_EXT_COUNT,
};

/* RTCP feedback okno acts on, as bit flags. */
enum okno_fb {
    OKNO_FB_NACK = 1u << 0,
    OKNO_FB_NACK_PLI = 1u << 1,
    OKNO_FB_CCM_FIR = 1u << 2,
    OKNO_FB_TRANSPORT_CC = 1u << 3,
    OKNO_FB_GOOG_REMB = 1u << 4,
};

/* The URI of an extension, static storage; NULL for a value out of range. */
const char *okno_negotiate_ext_uri(enum okno_ext ext);

/* One codec as it was negotiated (copied out of the SDP). */
struct okno_neg_codec {
    uint8_t pt;
    uint8_t channels; /* 0: none written (video) */
    uint32_t clock;
    char name[OKNO_NEG_CODEC_NAME_LEN]; /* "opus", "VP8", as the offer spelled it */
    char fmtp[OKNO_NEG_FMTP_LEN];       /* "" when the offer had no a=fmtp */
};

/* okno's side of a transport, passed in by the caller; every pointer is borrowed for the call. */
struct okno_neg_local {
    const char *ice_ufrag, *ice_pwd;
    struct okno_fingerprint fingerprint; /* okno_cert_fingerprint(cert, OKNO_FP_SHA256, ...) */
    const char *const *candidates;       /* "candidate:..." lines gathered so far, "a=" optional */
    size_t n_candidates;
    bool candidates_done; /* gathering finished: writes a=end-of-candidates */
    /* o= line; keep sess_id per connection and raise sess_version with every new description. */
    uint64_t sess_id, sess_version;
    /* Publisher answers: the rate the client's video sender should start at, kbit/s, written as
     * VP8's x-google-start-bitrate (Chromium takes its send-side start from the answer's fmtp;
     * other clients ignore the parameter); 0: none. */
    uint32_t video_start_kbps;
};

/* The remote side of a transport, copied out of an offer or answer. */
struct okno_neg_remote {
    char ice_ufrag[OKNO_NEG_CRED_LEN], ice_pwd[OKNO_NEG_CRED_LEN];
    struct okno_fingerprint fingerprint; /* the strongest sha-2 one offered */
    enum okno_dtls_role role;            /* okno's role, decided by the two a=setup values */
    /* Candidates of the BUNDLE transport (component 1 only), "candidate:..." without "a=". */
    char candidates[OKNO_NEG_MAX_CANDIDATES][OKNO_NEG_CANDIDATE_LEN];
    uint8_t n_candidates;
    bool end_of_candidates;
};

struct okno_pub_fid {
    uint32_t primary, rtx;
};

struct okno_pub_rid {
    char id[OKNO_NEG_ID_LEN];
    bool paused; /* "~rid" in a=simulcast */
};

/* One media section okno accepted to receive. */
struct okno_pub_track {
    uint8_t mline; /* index of the m= line in the offer and answer, from 0 */
    char mid[OKNO_NEG_ID_LEN];
    enum okno_media_kind kind;
    struct okno_neg_codec codec;     /* Opus or VP8 */
    int16_t rtx_pt;                  /* -1: no RTX */
    int16_t red_pt;                  /* -1: no RED (audio only) */
    uint8_t ext_ids[OKNO_EXT_COUNT]; /* 0: not negotiated */
    uint32_t fb;                     /* okno_fb flags of the codec */
    bool rtcp_rsize;
    /* a=ssrc ids in order of first appearance, FID pairs, the SIM group (empty: none). */
    uint32_t ssrcs[OKNO_NEG_MAX_SSRCS];
    uint8_t n_ssrcs;
    struct okno_pub_fid fids[OKNO_NEG_MAX_FIDS];
    uint8_t n_fids;
    uint32_t sim[OKNO_NEG_MAX_SIM];
    uint8_t n_sim;
    char cname[OKNO_NEG_ID_LEN]; /* "" when no a=ssrc cname */
    /* Simulcast layers in a=simulcast order (empty: no simulcast). */
    struct okno_pub_rid rids[OKNO_NEG_MAX_RIDS];
    uint8_t n_rids;
    /* a=msid (or the a=ssrc msid of older clients); "" when absent or "-". */
    char msid_stream[OKNO_NEG_ID_LEN], msid_track[OKNO_NEG_ID_LEN];
};

struct okno_publication {
    struct okno_pub_track tracks[OKNO_NEG_MAX_MEDIA]; /* in m= line order */
    uint8_t n_tracks;
    struct okno_neg_remote remote;
};

/* Answers a publisher offer (offer[0..len), need not be NUL-terminated) with okno's transport
 * parameters in *local. On success writes the answer, NUL-terminated, into answer (cap bytes;
 * OKNO_NEG_SDP_MAX is plenty), fills *pub and returns the answer's length. Sections okno cannot
 * take are rejected in the answer and absent from pub; sections the client offers recvonly or
 * inactive are answered inactive and absent from pub too, so a publication may have no tracks.
 *
 * Errors: OKNO_E_MALFORMED (does not parse), OKNO_E_UNSUPPORTED (valid SDP okno will not take: no
 * or weak fingerprint, no BUNDLE, no usable codec for sending media...), OKNO_E_RANGE (a list or
 * string over the limits above), OKNO_E_NOSPC (answer too small), OKNO_E_NOMEM, OKNO_E_INVAL (NULL
 * arguments or a local parameter the SDP cannot carry). On any error a human reason for the
 * protocol's bad_sdp message ("no fingerprint", "m-line 2: no codec okno can forward") is written
 * into reason (reason_cap bytes, may be 0), and answer and *pub are unspecified. Allocates two SDP
 * models for the call and frees them; keeps no pointer into any argument. */
int okno_negotiate_answer(const char *offer, size_t len, const struct okno_neg_local *local,
                          struct okno_publication *pub, char *answer, size_t cap, char *reason,
                          size_t reason_cap);

#endif
