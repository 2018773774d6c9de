/* Helpers shared by the publisher answer (negotiate.c) and the subscriber offer (sub_offer.c):
 * the extension and feedback vocabulary, reading the remote transport out of a description and
 * writing okno's into one, bounded copies and reason strings. Not for use outside src/sfu. */
#ifndef OKNO_SFU_NEGOTIATE_INTERNAL_H
#define OKNO_SFU_NEGOTIATE_INTERNAL_H

#include "sfu/negotiate.h"
#include "sfu/sub_offer.h"

/* The okno_ext whose URI this is, or -1. */
int okno__neg_ext_from_uri(struct okno_sdp_str uri);

/* The supported feedback of payload type pt in m ('*' lines included) as okno_fb flags. */
uint32_t okno__neg_fb_flags(const struct okno_sdp_media *m, int pt);

/* True when the rtcp-fb line is one okno acts on. */
bool okno__neg_fb_supported(const struct okno_sdp_rtcp_fb *fb);

/* Copies s into dst (cap bytes) NUL-terminated; an absent view gives "". Returns 0, or
 * OKNO_E_RANGE when it does not fit (dst is then ""). */
int okno__neg_copy(char *dst, size_t cap, struct okno_sdp_str s);

/* snprintf into reason when reason and cap allow; never fails. */
void okno__neg_reason(char *reason, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The BUNDLE group of sdp, or NULL. */
const struct okno_sdp_group *okno__neg_bundle(const struct okno_sdp *sdp);
/* True when mid is in group g. */
bool okno__neg_in_group(const struct okno_sdp_group *g, struct okno_sdp_str mid);

/* Reads the remote transport of a description whose BUNDLE transport is section tag: ICE
 * credentials, the strongest sha-2 fingerprint, okno's role from a=setup (is_offer: actpass and
 * active make okno the server, passive the client; an answer must say active or passive), the
 * candidates of component 1 and end-of-candidates. Returns 0, OKNO_E_UNSUPPORTED or OKNO_E_RANGE
 * with a reason. */
int okno__neg_remote(const struct okno_sdp *sdp, const struct okno_sdp_media *tag, bool is_offer,
                     struct okno_neg_remote *out, char *reason, size_t cap);

/* Writes okno's ICE credentials, ice-options trickle, fingerprint and setup into section m, and
 * when with_candidates also the local candidates (parsed as views into local's strings) and
 * end-of-candidates. Returns 0, or OKNO_E_INVAL (a missing credential, an unparsable candidate,
 * an unknown fingerprint algorithm) or OKNO_E_RANGE (too many candidates), with a reason. */
int okno__neg_local(struct okno_sdp_media *m, const struct okno_neg_local *local,
                    enum okno_sdp_setup setup, bool with_candidates, char *reason, size_t cap);

/* Sets a section's c= line to "IN IP4 0.0.0.0", as every bundled section says. */
void okno__neg_null_conn(struct okno_sdp_media *m);

/* The three entry points with the caller's workspace instead of a heap one, for callers that
 * negotiate in a loop (the fuzzer): the SDP models are half a megabyte each. */
int okno__negotiate_answer_in(struct okno_sdp models[2], const char *offer, size_t len,
                              const struct okno_neg_local *local, struct okno_publication *pub,
                              char *answer, size_t cap, char *reason, size_t reason_cap);

/* Strings the offer model points at that exist nowhere else: one set per slot. */
struct okno__sub_slot_text {
    char rtx_fmtp[16];      /* "apt=96" */
    char red_fmtp[8];       /* "111/111" */
    char msid[2 * 256 + 2]; /* "participant track" for a=ssrc msid */
};

struct okno__sub_offer_ws {
    struct okno_sdp sdp;
    struct okno__sub_slot_text text[OKNO_NEG_MAX_MEDIA];
};

int okno__sub_offer_build_in(struct okno__sub_offer_ws *ws, const struct okno_sub_slot *slots,
                             size_t n, const struct okno_neg_local *local, char *offer, size_t cap,
                             char *reason, size_t reason_cap);
int okno__sub_offer_check_in(struct okno_sdp *sdp, const struct okno_sub_slot *slots, size_t n,
                             const char *answer, size_t len, struct okno_sub_answer *out,
                             char *reason, size_t reason_cap);

#endif
