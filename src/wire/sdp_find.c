/* Lookups on a parsed or built SDP model: a section by mid, a codec by name or payload type, the
 * rtx payload type of a codec, a header extension id by URI, one fmtp or rid parameter, and the
 * section values that fall back to session level (ICE credentials, fingerprint, setup, direction).
 *
 * All are linear scans: the lists are a few dozen entries and looked at once per negotiation, so an
 * index would cost more than it saves. Nothing here changes the model. */
#include "wire/sdp_internal.h"

#include <string.h>

#include "okno/err.h"

int okno_sdp_media_find(const struct okno_sdp *sdp, const char *mid)
{
    for (unsigned i = 0; i < sdp->n_media && i < OKNO_SDP_MAX_MEDIA; i++)
        if (okno_sdp_str_eq(sdp->media[i].mid, mid))
            return (int)i;
    return OKNO_E_NOTFOUND;
}

int okno_sdp_codec_find(const struct okno_sdp_media *m, const char *name, uint32_t clock)
{
    for (unsigned i = 0; i < m->n_codecs && i < OKNO_SDP_MAX_CODECS; i++) {
        const struct okno_sdp_codec *c = &m->codecs[i];
        if (okno_sdp_str_eqi(c->name, name) && (clock == 0 || c->clock == clock))
            return (int)i;
    }
    return OKNO_E_NOTFOUND;
}

int okno_sdp_codec_by_pt(const struct okno_sdp_media *m, int pt)
{
    for (unsigned i = 0; i < m->n_codecs && i < OKNO_SDP_MAX_CODECS; i++)
        if (m->codecs[i].pt == pt)
            return (int)i;
    return OKNO_E_NOTFOUND;
}

int okno_sdp_rtx_pt(const struct okno_sdp_media *m, int pt)
{
    for (unsigned i = 0; i < m->n_codecs && i < OKNO_SDP_MAX_CODECS; i++) {
        const struct okno_sdp_codec *c = &m->codecs[i];
        uint32_t apt;
        if (okno_sdp_str_eqi(c->name, "rtx") && okno_sdp_param_u32(c->fmtp, "apt", &apt) == 0 &&
            apt == (uint32_t)pt)
            return c->pt;
    }
    return OKNO_E_NOTFOUND;
}

static int extmap_in(const struct okno_sdp_common *l, const char *uri)
{
    for (unsigned i = 0; i < l->n_extmaps && i < OKNO_SDP_MAX_EXTMAPS; i++)
        if (okno_sdp_str_eq(l->extmaps[i].uri, uri))
            return l->extmaps[i].id;
    return OKNO_E_NOTFOUND;
}

int okno_sdp_extmap_find(const struct okno_sdp *sdp, const struct okno_sdp_media *m,
                         const char *uri)
{
    int id = m ? extmap_in(&m->common, uri) : OKNO_E_NOTFOUND;
    if (id < 0 && sdp)
        id = extmap_in(&sdp->common, uri);
    return id;
}

int okno_sdp_param_find(struct okno_sdp_str params, const char *key, struct okno_sdp_str *value)
{
    struct okno_sdp_str item, k, v, want = okno_sdp_str(key);
    bool more = params.p != NULL;
    while (more) {
        more = okno__sdp_cut(params, ';', &item, &params);
        if (okno__sdp_cut(item, '=', &k, &v) && okno__sdp_eqi(okno__sdp_trim(k), want)) {
            if (value)
                *value = okno__sdp_trim(v);
            return 0;
        }
    }
    return OKNO_E_NOTFOUND;
}

int okno_sdp_param_u32(struct okno_sdp_str params, const char *key, uint32_t *value)
{
    struct okno_sdp_str v;
    int rc = okno_sdp_param_find(params, key, &v);
    if (rc)
        return rc;
    return okno__sdp_u32(v, UINT32_MAX, value);
}

struct okno_sdp_str okno_sdp_media_ice_ufrag(const struct okno_sdp *sdp,
                                             const struct okno_sdp_media *m)
{
    return m->common.ice_ufrag.p ? m->common.ice_ufrag : sdp->common.ice_ufrag;
}

struct okno_sdp_str okno_sdp_media_ice_pwd(const struct okno_sdp *sdp,
                                           const struct okno_sdp_media *m)
{
    return m->common.ice_pwd.p ? m->common.ice_pwd : sdp->common.ice_pwd;
}

const struct okno_sdp_fingerprint *okno_sdp_media_fingerprint(const struct okno_sdp *sdp,
                                                              const struct okno_sdp_media *m)
{
    if (m->common.n_fingerprints)
        return &m->common.fingerprints[0];
    return sdp->common.n_fingerprints ? &sdp->common.fingerprints[0] : NULL;
}

enum okno_sdp_setup okno_sdp_media_setup(const struct okno_sdp *sdp, const struct okno_sdp_media *m)
{
    return m->common.setup != OKNO_SDP_SETUP_NONE ? m->common.setup : sdp->common.setup;
}

enum okno_sdp_direction okno_sdp_media_direction(const struct okno_sdp *sdp,
                                                 const struct okno_sdp_media *m)
{
    if (m->common.direction != OKNO_SDP_DIR_NONE)
        return m->common.direction;
    /* RFC 8866 6.7: sendrecv when neither level says */
    return sdp->common.direction != OKNO_SDP_DIR_NONE ? sdp->common.direction
                                                      : OKNO_SDP_DIR_SENDRECV;
}
