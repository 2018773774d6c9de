/* SDP negotiation of a subscriber connection: okno offers, the client answers. The caller describes
 * the connection as a list of slots, one per m= line, and gets the offer text; when the client's
 * answer comes back, the same slots check it and say what the client accepted (each section, its
 * RTX and RED, the header extension ids and RTCP feedback) and how to reach it (ICE credentials,
 * fingerprint, okno's DTLS role).
 *
 * A slot is a track or a hole: m= lines never move or disappear in later offers (JSEP forbids it),
 * so a track that ended leaves its slot behind. An inactive slot keeps its transceiver (a=inactive,
 * still in BUNDLE) and may carry a new track later under the same mid; a closed slot is written
 * with port 0 and leaves BUNDLE, which stops the client's transceiver for good (reuse the position
 * only with a fresh mid, as JSEP's recycling says).
 *
 * Deliberately not here: choosing mids, extension ids or SSRCs (the SFU keeps them stable per
 * session), and the offer/answer state machine (which offer is outstanding). */
#ifndef OKNO_SFU_SUB_OFFER_H
#define OKNO_SFU_SUB_OFFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sfu/negotiate.h"

enum okno_sub_slot_state {
    OKNO_SUB_SLOT_TRACK = 0, /* sends the track: a=sendonly */
    OKNO_SUB_SLOT_INACTIVE,  /* nothing to send for now: a=inactive, codecs kept, in BUNDLE */
    OKNO_SUB_SLOT_CLOSED,    /* port 0, outside BUNDLE */
};

/* What okno sends on one m= line. Strings are borrowed for the call. */
struct okno_sub_track {
    const char *participant; /* publishing participant id: the a=msid stream id */
    const char *track;       /* track id: the a=msid track id */
    enum okno_media_kind kind;
    struct okno_neg_codec codec; /* the publisher's, pt included */
    int rtx_pt;                  /* -1: no RTX */
    int red_pt;                  /* -1: no RED (audio) */
    uint32_t ssrc, rtx_ssrc;     /* rtx_ssrc 0: none (written as a FID group otherwise) */
    const char *cname;
    uint8_t ext_ids[OKNO_EXT_COUNT]; /* okno's ids, 1..14; 0: not offered */
    uint32_t fb;                     /* okno_fb flags to offer on the codec */
};

struct okno_sub_slot {
    const char *mid;
    enum okno_sub_slot_state state;
    /* TRACK: everything. INACTIVE: kind, codec, rtx/red pts, ext_ids, fb (no msid, no SSRCs).
     * CLOSED: kind, and the codec if known (otherwise the m= line lists payload type 0). */
    struct okno_sub_track track;
};

/* What the client's answer said about one m= line. */
struct okno_sub_answer_media {
    bool accepted;                   /* port not 0 */
    bool rtx, red;                   /* the answer kept the RTX / RED payload type */
    enum okno_sdp_direction dir;     /* as answered (recvonly, inactive) */
    uint8_t ext_ids[OKNO_EXT_COUNT]; /* ids the client accepted; 0: not */
    uint32_t fb;                     /* okno_fb flags the client accepted on the codec */
};

struct okno_sub_answer {
    struct okno_sub_answer_media media[OKNO_NEG_MAX_MEDIA]; /* one per slot */
    uint8_t n_media;
    struct okno_neg_remote remote;
};

/* Writes the offer for n slots (at most OKNO_NEG_MAX_MEDIA) with okno's transport parameters into
 * offer (cap bytes), NUL-terminated, and returns its length. Errors: OKNO_E_INVAL (NULL arguments,
 * no slots, a missing mid or track string, a duplicate mid, an extension id out of 1..14, a codec
 * without a name on a TRACK or INACTIVE slot), OKNO_E_RANGE (too many slots), OKNO_E_NOSPC,
 * OKNO_E_NOMEM; reason (reason_cap bytes, may be 0) then says which slot. Keeps no pointer. */
int okno_sub_offer_build(const struct okno_sub_slot *slots, size_t n,
                         const struct okno_neg_local *local, char *offer, size_t cap, char *reason,
                         size_t reason_cap);

/* Checks the client's answer (answer[0..len)) to the offer built from the same slots, and fills
 * *out. A rejected section is not an error (media[i].accepted is false). Errors: OKNO_E_MALFORMED
 * (does not parse), OKNO_E_UNSUPPORTED (m= lines not matching the slots in number, order, mid or
 * kind; a section accepted with none of the offered codecs, outside BUNDLE, without rtcp-mux or
 * answering with a direction that sends; no fingerprint or a weak one; missing ICE credentials;
 * a=setup other than active or passive), OKNO_E_RANGE, OKNO_E_NOMEM, OKNO_E_INVAL; reason says
 * why. *out is unspecified after an error. */
int okno_sub_offer_check_answer(const struct okno_sub_slot *slots, size_t n, const char *answer,
                                size_t len, struct okno_sub_answer *out, char *reason,
                                size_t reason_cap);

#endif
