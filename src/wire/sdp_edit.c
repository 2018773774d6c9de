/* Editing an SDP model the way the SFU builds answers and offers: adding and removing codecs (with
 * their rtcp-fb lines), header extensions, candidates and ssrc lines in a section.
 *
 * Lists keep their order (removal shifts the tail down) because order is meaning in SDP: the codec
 * list is a preference order. Views handed in are copied as views, so what they point at must
 * outlive the model's last write. No function here touches anything but the one list it names, plus
 * the rtcp-fb lines of a removed codec and the ssrc-groups of a removed ssrc. */
#include "wire/sdp_internal.h"

#include <string.h>

#include "okno/err.h"

/* Removes element i of an array of n elements of size sz. */
static void remove_at(void *base, size_t sz, unsigned n, unsigned i)
{
    char *b = base;
    memmove(b + i * sz, b + (i + 1) * sz, (n - i - 1) * sz);
}

int okno_sdp_codec_add(struct okno_sdp_media *m, const struct okno_sdp_codec *c)
{
    if (okno_sdp_codec_by_pt(m, c->pt) >= 0)
        return OKNO_E_EXISTS;
    if (m->n_codecs >= OKNO_SDP_MAX_CODECS || c->pt > 127)
        return OKNO_E_RANGE;
    m->codecs[m->n_codecs] = *c;
    return m->n_codecs++;
}

int okno_sdp_codec_remove(struct okno_sdp_media *m, int pt)
{
    int i = okno_sdp_codec_by_pt(m, pt);
    if (i < 0)
        return i;
    remove_at(m->codecs, sizeof m->codecs[0], m->n_codecs--, (unsigned)i);
    for (unsigned k = 0; k < m->n_rtcp_fbs;) {
        if (m->rtcp_fbs[k].pt == pt)
            remove_at(m->rtcp_fbs, sizeof m->rtcp_fbs[0], m->n_rtcp_fbs--, k);
        else
            k++;
    }
    return 0;
}

int okno_sdp_rtcp_fb_add(struct okno_sdp_media *m, int pt, const char *type, const char *subtype)
{
    if (pt != -1 && okno_sdp_codec_by_pt(m, pt) < 0)
        return OKNO_E_NOTFOUND;
    if (m->n_rtcp_fbs >= OKNO_SDP_MAX_RTCP_FB)
        return OKNO_E_RANGE;
    struct okno_sdp_rtcp_fb *fb = &m->rtcp_fbs[m->n_rtcp_fbs++];
    fb->pt = (int16_t)pt;
    fb->type = okno_sdp_str(type);
    fb->subtype = okno_sdp_str(subtype);
    return 0;
}

int okno_sdp_extmap_add(struct okno_sdp_media *m, const struct okno_sdp_extmap *e)
{
    struct okno_sdp_common *l = &m->common;
    for (unsigned i = 0; i < l->n_extmaps; i++)
        if (l->extmaps[i].id == e->id || okno__sdp_eq(l->extmaps[i].uri, e->uri))
            return OKNO_E_EXISTS;
    if (l->n_extmaps >= OKNO_SDP_MAX_EXTMAPS || e->id == 0 || e->id > 255)
        return OKNO_E_RANGE;
    l->extmaps[l->n_extmaps++] = *e;
    return 0;
}

int okno_sdp_extmap_remove(struct okno_sdp_media *m, uint16_t id)
{
    struct okno_sdp_common *l = &m->common;
    for (unsigned i = 0; i < l->n_extmaps; i++) {
        if (l->extmaps[i].id == id) {
            remove_at(l->extmaps, sizeof l->extmaps[0], l->n_extmaps--, i);
            return 0;
        }
    }
    return OKNO_E_NOTFOUND;
}

int okno_sdp_candidate_add(struct okno_sdp_media *m, const struct okno_sdp_candidate *c)
{
    if (m->n_candidates >= OKNO_SDP_MAX_CANDIDATES)
        return OKNO_E_RANGE;
    m->candidates[m->n_candidates++] = *c;
    return 0;
}

int okno_sdp_candidate_remove(struct okno_sdp_media *m, unsigned i)
{
    if (i >= m->n_candidates)
        return OKNO_E_NOTFOUND;
    remove_at(m->candidates, sizeof m->candidates[0], m->n_candidates--, i);
    return 0;
}

int okno_sdp_ssrc_add(struct okno_sdp_media *m, uint32_t id, const char *attr, const char *value)
{
    if (m->n_ssrcs >= OKNO_SDP_MAX_SSRCS)
        return OKNO_E_RANGE;
    struct okno_sdp_ssrc *s = &m->ssrcs[m->n_ssrcs++];
    s->id = id;
    s->attr = okno_sdp_str(attr);
    s->value = okno_sdp_str(value);
    return 0;
}

static bool group_has(const struct okno_sdp_ssrc_group *g, uint32_t id)
{
    for (unsigned i = 0; i < g->n_ssrcs; i++)
        if (g->ssrcs[i] == id)
            return true;
    return false;
}

int okno_sdp_ssrc_remove(struct okno_sdp_media *m, uint32_t id)
{
    bool found = false;
    for (unsigned i = 0; i < m->n_ssrcs;) {
        if (m->ssrcs[i].id == id) {
            remove_at(m->ssrcs, sizeof m->ssrcs[0], m->n_ssrcs--, i);
            found = true;
        } else {
            i++;
        }
    }
    for (unsigned i = 0; i < m->n_ssrc_groups;) {
        if (group_has(&m->ssrc_groups[i], id)) {
            remove_at(m->ssrc_groups, sizeof m->ssrc_groups[0], m->n_ssrc_groups--, i);
            found = true;
        } else {
            i++;
        }
    }
    return found ? 0 : OKNO_E_NOTFOUND;
}
