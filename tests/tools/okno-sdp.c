/* okno-sdp: okno's SDP negotiation from the command line, for the real-browser check
 * (tests/integration/negotiate_browser.sh) and for looking at what okno would answer to an offer.
 * It uses made-up transport parameters (a fixed fingerprint, ICE credentials and one host
 * candidate): the descriptions are real, no media can flow.
 *
 *   okno-sdp answer [-v]   offer on stdin -> okno's publisher answer on stdout (-v: publication
 *                          summary on stderr)
 *   okno-sdp sub-offer     okno's subscriber offer for two tracks (Opus, VP8 with RTX) on stdout
 *   okno-sdp sub-check     the client's answer to that offer on stdin -> what it accepted, stdout
 *
 * Exit status 0 on success, 1 with "bad_sdp: reason" on stderr when okno refuses, 2 on misuse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "okno/err.h"
#include "sfu/negotiate.h"
#include "sfu/sub_offer.h"
#include "sub_slots.h"

static const char *const cands[] = {"candidate:1 1 udp 2122260223 127.0.0.1 9 typ host"};

static void make_local(struct okno_neg_local *l)
{
    memset(l, 0, sizeof *l);
    l->ice_ufrag = "oknoSDPtool";
    l->ice_pwd = "madeUpPasswordForTests0123";
    l->fingerprint.alg = OKNO_FP_SHA256;
    l->fingerprint.len = 32;
    for (int i = 0; i < 32; i++)
        l->fingerprint.bytes[i] = (uint8_t)(i * 7 + 1);
    l->candidates = cands;
    l->n_candidates = 1;
    l->candidates_done = true;
    l->sess_id = 7001;
    l->sess_version = 1;
}

static char *read_stdin(size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            char *more = realloc(buf, cap *= 2);
            if (!more)
                free(buf);
            buf = more;
        }
    }
    *len = n;
    return buf;
}

static int refuse(int rc, const char *reason)
{
    fprintf(stderr, "bad_sdp: %s (%s)\n", reason, okno_err_name(rc));
    return 1;
}

static void print_publication(const struct okno_publication *p)
{
    for (unsigned i = 0; i < p->n_tracks; i++) {
        const struct okno_pub_track *t = &p->tracks[i];
        fprintf(stderr,
                "track mid=%s kind=%s codec=%s/%u pt=%u rtx=%d red=%d fb=0x%x ssrcs=%u "
                "fids=%u rids=%u msid=%s %s\n",
                t->mid, t->kind == OKNO_MEDIA_AUDIO ? "audio" : "video", t->codec.name,
                (unsigned)t->codec.clock, t->codec.pt, t->rtx_pt, t->red_pt, (unsigned)t->fb,
                t->n_ssrcs, t->n_fids, t->n_rids, t->msid_stream, t->msid_track);
    }
    fprintf(stderr, "remote ufrag=%s role=%s candidates=%u\n", p->remote.ice_ufrag,
            p->remote.role == OKNO_DTLS_SERVER ? "server" : "client", p->remote.n_candidates);
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    static char out[OKNO_NEG_SDP_MAX];
    char reason[OKNO_NEG_REASON_LEN];
    struct okno_neg_local local;
    make_local(&local);
    struct okno_sub_slot slots[2];
    okno_test_sub_slots(slots);
    if (strcmp(cmd, "sub-offer") == 0) {
        int rc = okno_sub_offer_build(slots, 2, &local, out, sizeof out, reason, sizeof reason);
        if (rc < 0)
            return refuse(rc, reason);
        fputs(out, stdout);
        return 0;
    }
    if (strcmp(cmd, "answer") != 0 && strcmp(cmd, "sub-check") != 0) {
        fprintf(stderr, "usage: okno-sdp answer [-v] | sub-offer | sub-check\n");
        return 2;
    }
    size_t len;
    char *in = read_stdin(&len);
    if (!in) {
        fprintf(stderr, "okno-sdp: out of memory\n");
        return 2;
    }
    int rc;
    if (strcmp(cmd, "answer") == 0) {
        static struct okno_publication pub;
        rc = okno_negotiate_answer(in, len, &local, &pub, out, sizeof out, reason, sizeof reason);
        if (rc >= 0) {
            fputs(out, stdout);
            if (argc > 2 && strcmp(argv[2], "-v") == 0)
                print_publication(&pub);
        }
    } else {
        static struct okno_sub_answer ans;
        rc = okno_sub_offer_check_answer(slots, 2, in, len, &ans, reason, sizeof reason);
        for (unsigned i = 0; rc >= 0 && i < ans.n_media; i++)
            printf("m-line %u: %s rtx=%d red=%d fb=0x%x mid-ext=%u\n", i + 1,
                   ans.media[i].accepted ? "accepted" : "rejected", ans.media[i].rtx,
                   ans.media[i].red, (unsigned)ans.media[i].fb, ans.media[i].ext_ids[OKNO_EXT_MID]);
        if (rc >= 0)
            printf("okno is the DTLS %s\n",
                   ans.remote.role == OKNO_DTLS_SERVER ? "server" : "client");
    }
    free(in);
    return rc < 0 ? refuse(rc, reason) : 0;
}
