/* The signalling protocol of docs/protocol.md as pure functions: one client frame (text) in, a
 * typed and fully validated message out; SFU events and errors in, server frames (text) out.
 * Validation is all here, so the session layer only routes: a message that comes out of
 * okno_protocol_parse has every field its type needs, with the lengths and characters the protocol
 * allows. It deliberately does no I/O and keeps no state: which requests are allowed in which
 * session state (not_joined, already_joined), the flood limit and the mapping of request numbers to
 * client ids are the session's. */
#ifndef OKNO_API_PROTOCOL_H
#define OKNO_API_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sfu/sfu.h"

/* A frame larger than this is refused with bad_json before it is parsed. */
#define OKNO_PROTOCOL_MAX_FRAME ((size_t)64 * 1024)
/* Limits of the fields the protocol bounds (docs/protocol.md); lengths of room, name and role count
 * characters, the others bytes. */
#define OKNO_PROTOCOL_MAX_ROOM      64
#define OKNO_PROTOCOL_MAX_NAME      64
#define OKNO_PROTOCOL_MAX_ROLE      32
#define OKNO_PROTOCOL_MAX_TOKEN     1024
#define OKNO_PROTOCOL_MAX_ID        128
#define OKNO_PROTOCOL_MAX_CANDIDATE 1024
#define OKNO_PROTOCOL_MAX_MID       64

/* The protocol's error codes, in the order of docs/protocol.md's table. */
#define OKNO_PROTOCOL_CODE_MAP(XX)                                                                 \
    XX(BAD_JSON, "bad_json")                                                                       \
    XX(BAD_REQUEST, "bad_request")                                                                 \
    XX(UNKNOWN_TYPE, "unknown_type")                                                               \
    XX(NOT_JOINED, "not_joined")                                                                   \
    XX(ALREADY_JOINED, "already_joined")                                                           \
    XX(DENIED, "denied")                                                                           \
    XX(BAD_SDP, "bad_sdp")                                                                         \
    XX(BAD_STATE, "bad_state")                                                                     \
    XX(OVERLOADED, "overloaded")                                                                   \
    XX(INTERNAL, "internal")

enum okno_protocol_code {
#define OKNO__PROTOCOL_CODE_ENUM(name, text) OKNO_PROTOCOL_##name,
    OKNO_PROTOCOL_CODE_MAP(OKNO__PROTOCOL_CODE_ENUM)
#undef OKNO__PROTOCOL_CODE_ENUM
};

/* The code's text ("bad_json"); "internal" for a value outside the enum. Static storage. */
const char *okno_protocol_code_name(enum okno_protocol_code code);

/* Why a frame was refused: the code and a message for the client that names the field. */
struct okno_protocol_error {
    enum okno_protocol_code code;
    char message[160];
};

enum okno_protocol_type {
    OKNO_PROTOCOL_JOIN,
    OKNO_PROTOCOL_PUBLISH,
    OKNO_PROTOCOL_ANSWER,
    OKNO_PROTOCOL_CANDIDATE,
    OKNO_PROTOCOL_LEAVE,
    OKNO_PROTOCOL_RESTART,
    OKNO_PROTOCOL_RECEIVE_LIMIT,
};

/* The type's text ("join"); "?" outside the enum. Static storage. */
const char *okno_protocol_type_name(enum okno_protocol_type type);

/* One client message. String fields point into root and live as long as the message; fields that
 * the type does not use are NULL (mline_index -1). */
struct okno_protocol_msg {
    enum okno_protocol_type type;
    /* The request's id (a JSON string or number, kept as the client sent it) or NULL when the
     * message is not a request. Owned: a reference of its own, so it may outlive root. */
    json_t *id;
    const char *room;    /* join */
    const char *role;    /* join */
    const char *name;    /* join */
    const char *token;   /* join; NULL when absent, null or "" */
    const char *sdp;     /* publish, answer */
    enum okno_sfu_pc pc; /* answer and restart (always subscriber), candidate */
    /* candidate: the candidate line, NULL for end-of-candidates ("candidate": null, or an empty
     * candidate string as some browsers send); mid NULL and mline_index -1 when absent. */
    const char *candidate;
    const char *mid;
    int mline_index;
    uint32_t kbps; /* receive_limit: the most the client wants to receive; 0: no limit */
    /* owned */
    json_t *root;
};

/* Parses and validates one client frame of len bytes (not NUL-terminated). Returns 0 with msg
 * filled, or OKNO_E_MALFORMED with err filled. In both cases msg may hold references (on failure
 * msg->id is the request's id when it could be read, so the error reply can carry it): release
 * them with okno_protocol_msg_clear. */
int okno_protocol_parse(const char *frame, size_t len, struct okno_protocol_msg *msg,
                        struct okno_protocol_error *err);

/* Releases what msg holds and zeroes it; its strings become invalid. A zeroed msg is fine. */
void okno_protocol_msg_clear(struct okno_protocol_msg *msg);

/* The server frame for ev, replying to the client's id when id is not NULL (borrowed; the frame
 * holds its own reference only while it is built). Returns JSON text to free() with free(), or NULL
 * for OKNO_SFU_EV_CLOSED (which has no frame), when out of memory, or when one of the event's
 * strings is not valid UTF-8. */
char *okno_protocol_build_event(const struct okno_sfu_event *ev, json_t *id);

/* An error frame with code ("bad_sdp"), message (NULL: "") and id when not NULL (borrowed). Returns
 * JSON text to free(), or NULL when out of memory or a string is not valid UTF-8. */
char *okno_protocol_build_error(json_t *id, const char *code, const char *message);

#endif
