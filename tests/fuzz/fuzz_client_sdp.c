/* okno-bench client SDP on arbitrary server descriptions. The first byte picks the reading (odd:
 * okno's answer, even: a subscriber offer), the rest is the text. Whatever offer is accepted must
 * yield an answer that wire/sdp parses, with one section per offered one, in the same order with
 * the same mids, and no refused section in BUNDLE. Anything else traps. */
#include <string.h>

#include "client/client_sdp.h"

static struct okno_client_sub_offer offer;
static struct okno_client_answer answer;
static struct okno_sdp scratch, check; /* large: kept across inputs rather than allocated */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The first byte picks the reading, so each input costs one parse before the check. */
    if (size < 1)
        return 0;
    const char *in = (const char *)data + 1;
    if (data[0] & 1) {
        (void)okno_client_sdp_parse_answer(in, size - 1, &scratch, &answer);
        return 0;
    }
    if (okno_client_sdp_parse_sub_offer(in, size - 1, &scratch, &offer) != 0)
        return 0;
    GString *text = g_string_new(NULL);
    if (okno_client_sdp_sub_answer(&offer, "abcd", "0123456789abcdefghijkl",
                                   "sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:"
                                   "22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
                                   text) != 0)
        __builtin_trap();
    struct okno_sdp *sdp = &check;
    if (okno_sdp_parse(sdp, text->str, text->len, NULL) != 0)
        __builtin_trap();
    if (sdp->n_media != offer.n_tracks)
        __builtin_trap();
    unsigned bundled = 0;
    for (unsigned i = 0; i < offer.n_tracks; i++) {
        const struct okno_client_sub_track *t = &offer.tracks[i];
        const struct okno_sdp_media *m = &sdp->media[i];
        if (t->mid[0] && !okno_sdp_str_eq(m->mid, t->mid))
            __builtin_trap();
        if (t->rejected != (m->port == 0))
            __builtin_trap();
        bundled += !t->rejected;
    }
    if (bundled && (sdp->n_groups != 1 || sdp->groups[0].n_mids != bundled))
        __builtin_trap();
    g_string_free(text, TRUE);
    return 0;
}
