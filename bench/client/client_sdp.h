/* The SDP of okno-bench's native client, the client's side of okno's two connections: the
 * publisher offer it sends (Opus and VP8 with RTX, optionally simulcast with rids q/h/f), the
 * server's answer it reads back (which sections were accepted, how to reach the server), and the
 * answer it gives to the server's subscriber offers (which participant and track each mid carries,
 * on which SSRC). Offers and answers are written as text with the layout browsers use; descriptions
 * from the server are read with wire/sdp.
 *
 * Deliberately not here: the offer/answer state machine and the transport (client_peer does ICE,
 * DTLS and SRTP), trickle (signal_client carries candidates), and any codec beyond Opus, VP8 and
 * RTX: a subscriber section with neither Opus nor VP8 is refused with port 0. */
#ifndef OKNO_BENCH_CLIENT_SDP_H
#define OKNO_BENCH_CLIENT_SDP_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/cert.h"
#include "net/dtls.h"
#include "net/ice.h"
#include "wire/sdp.h"

#define OKNO_CLIENT_PT_OPUS   111
#define OKNO_CLIENT_PT_VP8    96
#define OKNO_CLIENT_PT_RTX    97
#define OKNO_CLIENT_PT_RED    63 /* RFC 2198 around Opus, as Chromium numbers it */
#define OKNO_CLIENT_ID_LEN    65 /* mids, participant and track ids, with the NUL */
#define OKNO_CLIENT_MAX_CANDS 16 /* remote candidates kept from one description */

/* Header extension ids the client offers (the server echoes them in its answer). */
enum {
    OKNO_CLIENT_EXT_MID = 1,
    OKNO_CLIENT_EXT_ABS_SEND_TIME = 2,
    OKNO_CLIENT_EXT_TWCC = 3,
    OKNO_CLIENT_EXT_RID = 4,
    OKNO_CLIENT_EXT_RRID = 5,
    OKNO_CLIENT_EXT_AUDIO_LEVEL = 6,
};

/* What the publisher offers. SSRCs are written with a=ssrc (and a FID group for RTX) unless
 * simulcast is on, where the rids name the streams instead. Strings are borrowed for the call. */
struct okno_client_offer {
    bool audio, video, simulcast;
    /* RED (red/48000/2 around Opus) listed before Opus, which is how a client says it sends RED:
     * okno keeps that order in its answer. */
    bool audio_red;
    uint32_t audio_ssrc, video_ssrc, rtx_ssrc;
    const char *ufrag, *pwd; /* local ICE credentials */
    const char *fingerprint; /* "sha-256 AB:..." as okno_cert_fingerprint_sdp gives it */
    const char *cname;       /* RTCP CNAME */
    const char *stream;      /* msid stream id */
};

/* How to reach the remote side, from an answer or an offer. */
struct okno_client_remote {
    char ufrag[OKNO_ICE_CRED_LEN], pwd[OKNO_ICE_CRED_LEN];
    struct okno_fingerprint fingerprint;
    enum okno_dtls_role our_role; /* derived from the remote's a=setup */
    char candidates[OKNO_CLIENT_MAX_CANDS][OKNO_ICE_MAX_CANDIDATE_LEN];
    unsigned n_candidates;
};

/* The server's answer to a publisher offer: the remote transport and which sections it took. */
struct okno_client_answer {
    struct okno_client_remote remote;
    bool audio_accepted, video_accepted;
    bool audio_red; /* the answer's audio section lists RED first: send Opus inside RED */
    /* The answer's x-google-start-bitrate on its first video codec, kbit/s: Chromium starts its
     * send-side estimate there; 0: none. */
    uint32_t video_start_kbps;
};

/* One section of a subscriber offer, in m= order. */
struct okno_client_sub_track {
    char mid[OKNO_CLIENT_ID_LEN];
    char participant[OKNO_CLIENT_ID_LEN]; /* a=msid stream id: who publishes it */
    char track[OKNO_CLIENT_ID_LEN];       /* a=msid track id */
    bool video;
    bool active;    /* sendonly from the server with a codec the client takes */
    bool rejected;  /* port 0 or no codec the client takes: answered with port 0 */
    int pt, rtx_pt; /* the accepted codec's payload type, its RTX's or -1 */
    int red_pt; /* audio: the offer's RED around pt, or -1; the answer keeps it unless cleared */
    uint32_t ssrc, rtx_ssrc; /* 0: not signalled */
    int mid_ext;             /* the offer's id for the sdes:mid extension, or -1 */
    /* Congestion control feedback the offer proposes; the answer takes what is set here, so a
     * caller refuses transport-cc (to be a REMB-only receiver) by clearing it before answering. */
    int twcc_ext, abs_send_time_ext; /* ids of transport-wide-cc and abs-send-time, or -1 */
    bool fb_transport_cc, fb_remb;   /* a=rtcp-fb transport-cc / goog-remb for the codec */
    bool fb_nack, fb_pli;            /* a=rtcp-fb nack / nack pli for the codec */
};

struct okno_client_sub_offer {
    struct okno_client_remote remote;
    struct okno_client_sub_track tracks[OKNO_SDP_MAX_MEDIA];
    unsigned n_tracks;
};

/* Appends the publisher offer to out. Returns 0, or OKNO_E_INVAL when credentials, fingerprint or
 * cname are missing or nothing is offered. */
int okno_client_sdp_offer(const struct okno_client_offer *offer, GString *out);

/* Reads the server's answer to the offer okno_client_sdp_offer wrote, parsing into scratch (a model
 * the caller reuses; NULL: one is allocated for the call, it is large). Returns 0, the parser's
 * error (OKNO_E_MALFORMED, OKNO_E_RANGE...), OKNO_E_MALFORMED when credentials or fingerprint are
 * missing or the fingerprint does not parse, or OKNO_E_NOTFOUND when the server took no section.
 * Candidates beyond OKNO_CLIENT_MAX_CANDS are left out (trickle brings them again). */
int okno_client_sdp_parse_answer(const char *text, size_t len, struct okno_sdp *scratch,
                                 struct okno_client_answer *out);

/* Reads a subscriber offer from the server into *out; scratch as above. Returns 0, the parser's
 * error, OKNO_E_MALFORMED as above, or OKNO_E_RANGE for a mid of OKNO_CLIENT_ID_LEN bytes or more.
 */
int okno_client_sdp_parse_sub_offer(const char *text, size_t len, struct okno_sdp *scratch,
                                    struct okno_client_sub_offer *out);

/* Appends the client's answer to a parsed subscriber offer to out: every active section recvonly
 * with its codec (and RTX), inactive ones inactive, rejected ones port 0, one BUNDLE group, setup
 * active (the client is the DTLS client). Strings as in struct okno_client_offer. Returns 0 or
 * OKNO_E_INVAL. */
int okno_client_sdp_sub_answer(const struct okno_client_sub_offer *offer, const char *ufrag,
                               const char *pwd, const char *fingerprint, GString *out);

#endif
