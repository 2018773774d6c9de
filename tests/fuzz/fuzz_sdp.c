/* Fuzz target for src/wire/sdp*: parse, then check that what parses survives the whole cycle: write
 * it, parse the output, get an equal model, write that again and get the same bytes; the lookups
 * and an edit (drop a codec) must not break it either. Also trickle candidates: parse, write,
 * parse, write. */
#include <stdint.h>
#include <string.h>

#include "okno/err.h"
#include "wire/sdp.h"

#define MAX_IN  (64 * 1024)
#define MAX_OUT (4 * MAX_IN + 4096)

static struct okno_sdp a, b;
static char out1[MAX_OUT], out2[MAX_OUT];

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

/* write a, parse the text into b, compare, write b and compare bytes; returns the length. */
static int cycle(void)
{
    int n1 = okno_sdp_write(&a, out1, sizeof out1);
    CHECK(n1 > 0);
    CHECK(okno_sdp_write(&a, out2, (size_t)n1) == OKNO_E_NOSPC); /* no room for the NUL */
    struct okno_sdp_error e;
    CHECK(okno_sdp_parse(&b, out1, (size_t)n1, &e) == 0);
    CHECK(okno_sdp_equal(&a, &b, NULL));
    int n2 = okno_sdp_write(&b, out2, sizeof out2);
    CHECK(n2 == n1 && memcmp(out1, out2, (size_t)n1) == 0);
    return n1;
}

static void lookups(const struct okno_sdp_media *m)
{
    for (unsigned i = 0; i < m->n_codecs; i++) {
        const struct okno_sdp_codec *c = &m->codecs[i];
        CHECK(okno_sdp_codec_by_pt(m, c->pt) == (int)i);
        int rtx = okno_sdp_rtx_pt(m, c->pt);
        CHECK(rtx == OKNO_E_NOTFOUND || okno_sdp_codec_by_pt(m, rtx) >= 0);
        uint32_t v;
        int rc = okno_sdp_param_u32(c->fmtp, "apt", &v);
        CHECK(rc == 0 || rc == OKNO_E_NOTFOUND || rc == OKNO_E_MALFORMED);
        if (c->name.p && c->name.len < 64) {
            char name[64];
            memcpy(name, c->name.p, c->name.len);
            name[c->name.len] = '\0';
            int k = okno_sdp_codec_find(m, name, c->clock);
            CHECK(k >= 0 && k <= (int)i);
        }
    }
    for (unsigned i = 0; i < m->common.n_extmaps; i++) {
        const struct okno_sdp_extmap *e = &m->common.extmaps[i];
        if (e->uri.len < 256 && !memchr(e->uri.p, '\0', e->uri.len)) {
            char uri[256];
            memcpy(uri, e->uri.p, e->uri.len);
            uri[e->uri.len] = '\0';
            CHECK(okno_sdp_extmap_find(NULL, m, uri) >= 1);
        }
    }
    for (unsigned i = 0; i < m->n_candidates; i++) {
        struct okno_sdp_candidate c;
        int n = okno_sdp_candidate_write(&m->candidates[i], out2, sizeof out2);
        CHECK(n > 0);
        CHECK(okno_sdp_candidate_parse(&c, out2, (size_t)n) == 0);
        CHECK(c.port == m->candidates[i].port && c.priority == m->candidates[i].priority);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_IN)
        return 0;
    const char *text = (const char *)data;
    struct okno_sdp_candidate cand, again;
    if (okno_sdp_candidate_parse(&cand, text, size) == 0) {
        int n = okno_sdp_candidate_write(&cand, out1, sizeof out1);
        CHECK(n > 0);
        CHECK(okno_sdp_candidate_parse(&again, out1, (size_t)n) == 0);
        CHECK(okno_sdp_candidate_write(&again, out2, sizeof out2) == n);
        CHECK(memcmp(out1, out2, (size_t)n) == 0);
    }

    struct okno_sdp_error e = {0, NULL};
    int rc = okno_sdp_parse(&a, text, size, &e);
    if (rc) {
        CHECK(rc < 0 && e.reason != NULL && e.line >= 1);
        return 0;
    }
    cycle();
    for (unsigned i = 0; i < a.n_media; i++)
        lookups(&a.media[i]);
    /* The SFU's typical edit: drop a codec, keep the rest. */
    for (unsigned i = 0; i < a.n_media; i++) {
        struct okno_sdp_media *m = &a.media[i];
        if (m->is_rtp && m->n_codecs > 1) {
            int pt = m->codecs[0].pt;
            CHECK(okno_sdp_codec_remove(m, pt) == 0);
            CHECK(okno_sdp_codec_by_pt(m, pt) == OKNO_E_NOTFOUND);
            for (unsigned k = 0; k < m->n_rtcp_fbs; k++)
                CHECK(m->rtcp_fbs[k].pt != pt);
        }
    }
    cycle();
    return 0;
}
