/* SDP (RFC 8866) as browsers write it for JSEP (RFC 9429): the parsed model, the parser, the writer
 * and the helpers the SFU uses to build answers and offers from it.
 *
 * The model is fixed-size and malloc-free: every list has a named capacity (OKNO_SDP_MAX_*) and a
 * count, and a list that would overflow makes the parser fail with OKNO_E_RANGE. Strings are views
 * (struct okno_sdp_str) into the parsed text, or, for a model the SFU builds, into any storage the
 * SFU keeps alive until it has written the model out (string literals, its own credential buffers).
 * Views were chosen over inline arrays because they keep the model small and make parsing
 * copy-free, and the SFU's strings (mids, ufrags, codec names) all live somewhere stable anyway. A
 * view whose p is NULL is absent; a non-NULL p with len 0 is present and empty.
 *
 * The whole model is large (sizeof(struct okno_sdp) is about 520 KB): allocate it once per
 * negotiation on the heap, never on a thread's stack.
 *
 * Deliberately not here: the offer/answer state machine, codec negotiation policy, and any check
 * that needs more than one description (BUNDLE consistency between offer and answer is the SFU's
 * job). Unknown attributes are kept raw and written back; unknown candidate transports and types
 * are dropped as RFC 8839 asks (and counted). Repeat times (r=), time zones (z=) and keys (k=) are
 * refused. */
#ifndef OKNO_WIRE_SDP_H
#define OKNO_WIRE_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OKNO_SDP_MAX_MEDIA       16
#define OKNO_SDP_MAX_CODECS      64  /* Chromium 156's recvonly video offer lists 34 */
#define OKNO_SDP_MAX_RTCP_FB     192 /* per section; the same offer has 77 */
#define OKNO_SDP_MAX_EXTMAPS     32
#define OKNO_SDP_MAX_CANDIDATES  64
#define OKNO_SDP_MAX_CAND_EXTS   4  /* unknown "name value" pairs kept per candidate */
#define OKNO_SDP_MAX_SSRCS       32 /* a=ssrc lines per section */
#define OKNO_SDP_MAX_SSRC_GROUPS 8
#define OKNO_SDP_MAX_GROUP_SSRCS 8
#define OKNO_SDP_MAX_RIDS        8
#define OKNO_SDP_MAX_RID_PTS     8
#define OKNO_SDP_MAX_SC_ALTS                                                                       \
    4 /* alternatives per simulcast stream (a;b,c: b and c are alternatives) */
#define OKNO_SDP_MAX_MSIDS        4
#define OKNO_SDP_MAX_GROUPS       4
#define OKNO_SDP_MAX_FINGERPRINTS 4
#define OKNO_SDP_MAX_BANDWIDTHS   4
#define OKNO_SDP_MAX_ATTRS        16 /* unknown attributes per level */
#define OKNO_SDP_MAX_DIGEST       64 /* sha-512 */
/* A longer line is refused (OKNO_E_RANGE): browsers' longest is ~150 bytes, an m= line with every
 * payload type ~500. */
#define OKNO_SDP_MAX_LINE 2048

struct okno_sdp_str {
    const char *p; /* NULL: absent */
    size_t len;
};

enum okno_sdp_direction {
    OKNO_SDP_DIR_NONE = 0, /* no direction attribute at this level */
    OKNO_SDP_DIR_SENDRECV,
    OKNO_SDP_DIR_SENDONLY,
    OKNO_SDP_DIR_RECVONLY,
    OKNO_SDP_DIR_INACTIVE,
};

enum okno_sdp_setup {
    OKNO_SDP_SETUP_NONE = 0,
    OKNO_SDP_SETUP_ACTPASS,
    OKNO_SDP_SETUP_ACTIVE,
    OKNO_SDP_SETUP_PASSIVE,
    OKNO_SDP_SETUP_HOLDCONN,
};

enum okno_sdp_transport { OKNO_SDP_UDP = 0, OKNO_SDP_TCP };
enum okno_sdp_cand_type { OKNO_SDP_HOST = 0, OKNO_SDP_SRFLX, OKNO_SDP_PRFLX, OKNO_SDP_RELAY };
enum okno_sdp_tcptype {
    OKNO_SDP_TCPTYPE_NONE = 0,
    OKNO_SDP_TCPTYPE_ACTIVE,
    OKNO_SDP_TCPTYPE_PASSIVE,
    OKNO_SDP_TCPTYPE_SO,
};
enum okno_sdp_rid_dir { OKNO_SDP_RID_SEND = 0, OKNO_SDP_RID_RECV };

/* c= and the address part of o= */
struct okno_sdp_conn {
    struct okno_sdp_str nettype;  /* "IN"; NULL: no c= line */
    struct okno_sdp_str addrtype; /* "IP4" / "IP6" */
    struct okno_sdp_str address;  /* kept as written, "/ttl" included */
};

struct okno_sdp_bandwidth {
    struct okno_sdp_str type; /* "AS", "TIAS", ... */
    uint32_t value;
};

struct okno_sdp_fingerprint {
    struct okno_sdp_str hash; /* "sha-256", compared case-insensitively */
    uint8_t digest[OKNO_SDP_MAX_DIGEST];
    uint8_t len;
};

struct okno_sdp_extmap {
    uint16_t id;                 /* 1..255 */
    enum okno_sdp_direction dir; /* NONE: no "/direction" */
    struct okno_sdp_str uri;
    struct okno_sdp_str attrs; /* extension attributes after the URI; NULL: none */
};

struct okno_sdp_attr {
    struct okno_sdp_str name;
    struct okno_sdp_str value; /* NULL: a property attribute (no ':') */
};

/* Attributes that may appear at session level and in a media section alike. A media section's value
 * overrides the session's; okno_sdp_media_* helpers below resolve that. */
struct okno_sdp_common {
    struct okno_sdp_conn conn;
    struct okno_sdp_bandwidth bandwidths[OKNO_SDP_MAX_BANDWIDTHS];
    uint8_t n_bandwidths;
    struct okno_sdp_str ice_ufrag, ice_pwd, ice_options;
    struct okno_sdp_fingerprint fingerprints[OKNO_SDP_MAX_FINGERPRINTS];
    uint8_t n_fingerprints;
    enum okno_sdp_setup setup;
    enum okno_sdp_direction direction;
    bool extmap_allow_mixed;
    bool end_of_candidates;
    struct okno_sdp_extmap extmaps[OKNO_SDP_MAX_EXTMAPS];
    uint8_t n_extmaps;
    struct okno_sdp_attr attrs[OKNO_SDP_MAX_ATTRS]; /* unknown attributes, in input order */
    uint8_t n_attrs;
};

struct okno_sdp_cand_ext {
    struct okno_sdp_str name, value;
};

struct okno_sdp_candidate {
    struct okno_sdp_str foundation;
    uint16_t component; /* 1..256 */
    enum okno_sdp_transport transport;
    uint32_t priority;
    struct okno_sdp_str address; /* IPv4, IPv6 or a name (mDNS ".local") */
    uint16_t port;
    enum okno_sdp_cand_type type;
    struct okno_sdp_str raddr; /* NULL: absent */
    bool has_rport, has_generation, has_network_id, has_network_cost;
    uint16_t rport;
    enum okno_sdp_tcptype tcptype;
    uint32_t generation, network_id, network_cost;
    struct okno_sdp_str ufrag; /* NULL: absent */
    struct okno_sdp_cand_ext exts[OKNO_SDP_MAX_CAND_EXTS];
    uint8_t n_exts;
};

/* One payload type of an RTP m= line, with its a=rtpmap and a=fmtp. */
struct okno_sdp_codec {
    uint8_t pt;
    uint8_t channels;         /* 0: no channel count written */
    uint32_t clock;           /* meaningful when name.p != NULL */
    struct okno_sdp_str name; /* NULL: no a=rtpmap (a static payload type) */
    struct okno_sdp_str fmtp; /* parameters after "a=fmtp:pt "; NULL: no a=fmtp */
};

struct okno_sdp_rtcp_fb {
    int16_t pt;                  /* -1: '*', every payload type */
    struct okno_sdp_str type;    /* "nack", "ccm", "transport-cc", ... */
    struct okno_sdp_str subtype; /* "pli", "fir", ...; NULL: none */
};

struct okno_sdp_ssrc {
    uint32_t id;
    struct okno_sdp_str attr;  /* "cname", "msid", ... */
    struct okno_sdp_str value; /* NULL: no ":value" */
};

struct okno_sdp_ssrc_group {
    struct okno_sdp_str semantics; /* "FID", "SIM", "FEC-FR", ... */
    uint32_t ssrcs[OKNO_SDP_MAX_GROUP_SSRCS];
    uint8_t n_ssrcs;
};

struct okno_sdp_rid {
    struct okno_sdp_str id;
    enum okno_sdp_rid_dir dir;
    uint8_t pts[OKNO_SDP_MAX_RID_PTS]; /* from a leading "pt=" restriction */
    uint8_t n_pts;
    struct okno_sdp_str
        params; /* the other restrictions, "max-width=1280;max-fps=30"; NULL: none */
};

struct okno_sdp_sc_alt {
    struct okno_sdp_str rid;
    bool paused; /* written "~rid" */
};

struct okno_sdp_sc_stream {
    struct okno_sdp_sc_alt alts[OKNO_SDP_MAX_SC_ALTS];
    uint8_t n_alts;
};

struct okno_sdp_sc_list {
    struct okno_sdp_sc_stream streams[OKNO_SDP_MAX_RIDS];
    uint8_t n_streams; /* 0: no list in this direction */
};

struct okno_sdp_msid {
    struct okno_sdp_str stream;
    struct okno_sdp_str track; /* NULL: absent */
};

struct okno_sdp_media {
    struct okno_sdp_str media; /* "audio", "video", "application", ... */
    uint16_t port;             /* 0: rejected or bundle-only */
    uint16_t num_ports;        /* 0: no "/n" */
    struct okno_sdp_str proto; /* "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ... */
    /* The format list as written. An RTP section writes its codecs' payload types instead, so fmt
     * only matters there when codecs is empty (a rejected section keeps its m= line valid). */
    struct okno_sdp_str fmt;
    bool is_rtp;               /* proto has an "RTP/" part: the formats are payload types */
    struct okno_sdp_str title; /* i= */
    struct okno_sdp_common common;
    struct okno_sdp_str mid;
    struct okno_sdp_str rtcp; /* a=rtcp value as written, "9 IN IP4 0.0.0.0" */
    bool rtcp_mux, rtcp_rsize;
    struct okno_sdp_msid msids[OKNO_SDP_MAX_MSIDS];
    uint8_t n_msids;
    struct okno_sdp_candidate candidates[OKNO_SDP_MAX_CANDIDATES];
    uint8_t n_candidates;
    uint8_t n_candidates_dropped; /* unknown transport or type, not kept (saturates) */
    struct okno_sdp_codec codecs[OKNO_SDP_MAX_CODECS]; /* in m= line order: preference order */
    uint8_t n_codecs;
    struct okno_sdp_rtcp_fb rtcp_fbs[OKNO_SDP_MAX_RTCP_FB];
    uint8_t n_rtcp_fbs;
    struct okno_sdp_ssrc ssrcs[OKNO_SDP_MAX_SSRCS];
    uint8_t n_ssrcs;
    struct okno_sdp_ssrc_group ssrc_groups[OKNO_SDP_MAX_SSRC_GROUPS];
    uint8_t n_ssrc_groups;
    struct okno_sdp_rid rids[OKNO_SDP_MAX_RIDS];
    uint8_t n_rids;
    struct okno_sdp_sc_list sc_send, sc_recv; /* a=simulcast */
    uint16_t sctp_port;                       /* 0: absent */
    bool has_max_message_size;
    uint32_t max_message_size; /* 0 is meaningful: no limit (RFC 8841) */
};

struct okno_sdp_group {
    struct okno_sdp_str semantics; /* "BUNDLE", "LS", ... */
    struct okno_sdp_str mids[OKNO_SDP_MAX_MEDIA];
    uint8_t n_mids;
};

struct okno_sdp {
    /* o= */
    struct okno_sdp_str origin_user;
    uint64_t sess_id, sess_version;
    struct okno_sdp_conn origin;
    struct okno_sdp_str name;                    /* s= */
    struct okno_sdp_str info, uri, email, phone; /* i= u= e= p=; NULL: absent */
    uint64_t t_start, t_stop;                    /* t= */
    bool ice_lite;
    struct okno_sdp_group groups[OKNO_SDP_MAX_GROUPS];
    uint8_t n_groups;
    struct okno_sdp_str msid_semantic;     /* "WMS"; NULL: no a=msid-semantic */
    struct okno_sdp_str msid_semantic_ids; /* the rest of the line, "*" or stream ids */
    struct okno_sdp_common common;
    struct okno_sdp_media media[OKNO_SDP_MAX_MEDIA];
    uint8_t n_media;
};

/* Where parsing stopped: the 1-based line number and a static reason string. */
struct okno_sdp_error {
    unsigned line;
    const char *reason;
};

/* ---- parse and write ----------------------------------------------------------------------------
 */

/* Parses text (need not be NUL-terminated; \r\n or \n line ends, a missing final line end is
 * accepted, empty lines are skipped) into *sdp, which is overwritten. Every view in *sdp points
 * into text, so text must outlive the model. Returns 0, or OKNO_E_MALFORMED (bad syntax or a value
 * out of its grammar), OKNO_E_RANGE (a capacity exceeded or a line longer than OKNO_SDP_MAX_LINE),
 * OKNO_E_UNSUPPORTED (r=, z=, k=) or OKNO_E_INVAL (NULL argument). On failure *err (when not NULL)
 * says where and why, and *sdp holds a partial model that must not be used. */
int okno_sdp_parse(struct okno_sdp *sdp, const char *text, size_t len, struct okno_sdp_error *err);

/* Writes the model as SDP text with \r\n line ends, in the order Chromium writes, into buf and
 * NUL-terminates it. Returns the length without the NUL, OKNO_E_NOSPC when buf (cap bytes) is too
 * small (its contents are then unspecified), or OKNO_E_INVAL for a model that cannot be written (an
 * m= line with neither codecs nor fmt, a view with a line end in it). */
int okno_sdp_write(const struct okno_sdp *sdp, char *buf, size_t cap);

/* Parses one candidate as trickle ICE carries it: "candidate:..." with or without a leading "a=".
 * Views point into s. Returns 0, OKNO_E_MALFORMED, OKNO_E_RANGE (too many unknown extension pairs)
 * or OKNO_E_UNSUPPORTED (a transport other than UDP/TCP or an unknown type, to be ignored). */
int okno_sdp_candidate_parse(struct okno_sdp_candidate *c, const char *s, size_t len);

/* Writes "candidate:..." (no "a=", no line end) into buf, NUL-terminated. Returns the length,
 * OKNO_E_NOSPC or OKNO_E_INVAL (missing foundation or address). */
int okno_sdp_candidate_write(const struct okno_sdp_candidate *c, char *buf, size_t cap);

/* ---- building -----------------------------------------------------------------------------------
 */

/* Empties *sdp into a valid skeleton: "o=- 0 0 IN IP4 127.0.0.1", "s=-", "t=0 0", no sections. */
void okno_sdp_init(struct okno_sdp *sdp);

/* Appends an empty media section (port 9, proto and kind as given, views borrowed) and returns its
 * index, or OKNO_E_RANGE when OKNO_SDP_MAX_MEDIA sections exist. */
int okno_sdp_media_add(struct okno_sdp *sdp, const char *media, const char *proto);

/* A view of a NUL-terminated string (NULL gives an absent view). */
struct okno_sdp_str okno_sdp_str(const char *s);
/* Byte equality of a view with a C string; an absent view equals nothing. */
bool okno_sdp_str_eq(struct okno_sdp_str a, const char *s);
/* The same, ASCII case-insensitive (codec names, hash names). */
bool okno_sdp_str_eqi(struct okno_sdp_str a, const char *s);

/* ---- lookups (indexes stay valid until the list is edited) -------------------------------------
 */

/* Index of the section whose a=mid is mid, or OKNO_E_NOTFOUND. */
int okno_sdp_media_find(const struct okno_sdp *sdp, const char *mid);
/* Index of the first codec named name (case-insensitive) with that clock rate (0: any), or
 * OKNO_E_NOTFOUND. */
int okno_sdp_codec_find(const struct okno_sdp_media *m, const char *name, uint32_t clock);
/* Index of the codec with payload type pt, or OKNO_E_NOTFOUND. */
int okno_sdp_codec_by_pt(const struct okno_sdp_media *m, int pt);
/* The payload type of the rtx codec whose fmtp says apt=pt, or OKNO_E_NOTFOUND. */
int okno_sdp_rtx_pt(const struct okno_sdp_media *m, int pt);
/* The id of the header extension with this URI in the section (then at session level), or
 * OKNO_E_NOTFOUND. */
int okno_sdp_extmap_find(const struct okno_sdp *sdp, const struct okno_sdp_media *m,
                         const char *uri);
/* Finds key in a "k=v;k=v" parameter list (fmtp, rid restrictions); keys compare
 * case-insensitively, the value (a view into params) goes to *value. Returns 0 or OKNO_E_NOTFOUND.
 */
int okno_sdp_param_find(struct okno_sdp_str params, const char *key, struct okno_sdp_str *value);
/* The same for a decimal value: 0, OKNO_E_NOTFOUND or OKNO_E_MALFORMED (not a number that fits). */
int okno_sdp_param_u32(struct okno_sdp_str params, const char *key, uint32_t *value);
/* The section's ICE credentials and first fingerprint, falling back to session level; NULL/absent
 * values when neither level has them. */
struct okno_sdp_str okno_sdp_media_ice_ufrag(const struct okno_sdp *sdp,
                                             const struct okno_sdp_media *m);
struct okno_sdp_str okno_sdp_media_ice_pwd(const struct okno_sdp *sdp,
                                           const struct okno_sdp_media *m);
const struct okno_sdp_fingerprint *okno_sdp_media_fingerprint(const struct okno_sdp *sdp,
                                                              const struct okno_sdp_media *m);
enum okno_sdp_setup okno_sdp_media_setup(const struct okno_sdp *sdp,
                                         const struct okno_sdp_media *m);
enum okno_sdp_direction okno_sdp_media_direction(const struct okno_sdp *sdp,
                                                 const struct okno_sdp_media *m);

/* ---- editing (each invalidates indexes into the list it edits; views are copied, not owned) ----
 */

/* Appends a codec. Returns its index, OKNO_E_EXISTS (pt taken) or OKNO_E_RANGE (full). */
int okno_sdp_codec_add(struct okno_sdp_media *m, const struct okno_sdp_codec *c);
/* Removes the codec with payload type pt and its rtcp-fb lines (not its rtx codec, and not rid pt
 * restrictions naming it). Returns 0 or OKNO_E_NOTFOUND. */
int okno_sdp_codec_remove(struct okno_sdp_media *m, int pt);
/* Appends "a=rtcp-fb:pt type[ subtype]" (pt -1: '*'). Returns 0, OKNO_E_NOTFOUND (no such codec) or
 * OKNO_E_RANGE. */
int okno_sdp_rtcp_fb_add(struct okno_sdp_media *m, int pt, const char *type, const char *subtype);
/* Appends a header extension. Returns 0, OKNO_E_EXISTS (id or URI taken) or OKNO_E_RANGE. */
int okno_sdp_extmap_add(struct okno_sdp_media *m, const struct okno_sdp_extmap *e);
/* Removes the header extension with this id. Returns 0 or OKNO_E_NOTFOUND. */
int okno_sdp_extmap_remove(struct okno_sdp_media *m, uint16_t id);
/* Appends a candidate. Returns 0 or OKNO_E_RANGE. */
int okno_sdp_candidate_add(struct okno_sdp_media *m, const struct okno_sdp_candidate *c);
/* Removes the candidate at index i. Returns 0 or OKNO_E_NOTFOUND. */
int okno_sdp_candidate_remove(struct okno_sdp_media *m, unsigned i);
/* Appends "a=ssrc:id attr[:value]" (value NULL: none). Returns 0 or OKNO_E_RANGE. */
int okno_sdp_ssrc_add(struct okno_sdp_media *m, uint32_t id, const char *attr, const char *value);
/* Removes every a=ssrc line of id and every ssrc-group naming it (a group with a member gone is
 * meaningless). Returns 0 or OKNO_E_NOTFOUND when nothing named id. */
int okno_sdp_ssrc_remove(struct okno_sdp_media *m, uint32_t id);

/* ---- comparing ----------------------------------------------------------------------------------
 */

/* The first difference between two models, by content (views are compared as text): media is the
 * section index or -1 for session level, field names the field, index the list element or -1. */
struct okno_sdp_diff {
    int media;
    const char *field;
    int index;
};

/* Returns true when a and b describe the same session (n_candidates_dropped and the fmt of an RTP
 * section with codecs, neither of which is written, are ignored); otherwise false with *diff (when
 * not NULL) naming the first difference. */
bool okno_sdp_equal(const struct okno_sdp *a, const struct okno_sdp *b, struct okno_sdp_diff *diff);

#endif
