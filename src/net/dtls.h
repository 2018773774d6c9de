/* One DTLS 1.2 endpoint per peer, for DTLS-SRTP key agreement (RFC 5763, 5764, 8842), over memory,
 * with no sockets and no threads.
 *
 * ICE hands in each datagram that wire/demux classified as DTLS with okno_dtls_feed(); every
 * datagram the endpoint sends goes to the listener's send callback, one call per datagram of at
 * most 1200 bytes. The peer's certificate is accepted only if its fingerprint matches the one
 * signalled in the SDP. When the handshake completes, the SRTP profile and both sides' keys go to
 * on_connected; close_notify, fatal alerts, fingerprint mismatches and retransmission exhaustion
 * end in on_closed with a reason.
 *
 * Time: the caller owns the retransmission timer. After any call, okno_dtls_next_timeout_us() says
 * when to call okno_dtls_on_timeout(). OpenSSL 3.0 measures DTLS timers with gettimeofday() and
 * offers no way to inject time, so the deadline is OpenSSL's remaining time added to the caller's
 * now_us: right in production, where both clocks advance together, but a retransmission cannot be
 * forced by advancing a fake clock alone; OpenSSL's own clock must have reached the deadline too.
 *
 * What it deliberately does not do: carry application data (data channels would add a callback
 * here; incoming application records are read and dropped), renegotiate, resume sessions, or query
 * path MTU. An endpoint is not thread-safe: it lives on its peer's worker. Callbacks run
 * synchronously inside okno_dtls_start(), _feed(), _on_timeout() and _close(); they must not free
 * the endpoint. */
#ifndef OKNO_NET_DTLS_H
#define OKNO_NET_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include "net/cert.h"
#include "net/srtp.h"

/* Largest datagram we accept from the network. DTLS from browsers is sized to the path MTU;
 * anything bigger is refused before OpenSSL buffers it. */
#define OKNO_DTLS_MAX_DATAGRAM 1500
/* Largest datagram we send, handshake flights included (WebRTC's conservative MTU). */
#define OKNO_DTLS_MTU 1200
/* Default first retransmission timeout (RFC 6347 4.2.4.1) and ceiling of its doubling; the
 * handshake fails after OpenSSL's twelfth timeout. */
#define OKNO_DTLS_INITIAL_RTO_US 1000000u
#define OKNO_DTLS_MAX_RTO_US     10000000u

/* client = a=setup:active, server = a=setup:passive. */
enum okno_dtls_role {
    OKNO_DTLS_CLIENT,
    OKNO_DTLS_SERVER,
};

enum okno_dtls_state {
    OKNO_DTLS_NEW,        /* created, okno_dtls_start() not called */
    OKNO_DTLS_CONNECTING, /* handshake in progress */
    OKNO_DTLS_CONNECTED,  /* keys delivered */
    OKNO_DTLS_CLOSED,     /* close_notify sent or received */
    OKNO_DTLS_FAILED,     /* handshake or connection failed; see okno_dtls_reason() */
};

/* SRTP keying derived at the end of the handshake. local protects what we send, remote unprotects
 * what we receive. */
struct okno_dtls_keys {
    enum okno_srtp_profile profile;
    struct okno_srtp_master local;
    struct okno_srtp_master remote;
};

struct okno_dtls_listener {
    /* One datagram to hand to ICE; data is valid during the call only. Required. */
    void (*send)(void *user, const uint8_t *data, size_t len);
    /* Handshake complete; keys is valid during the call only and wiped after it. Optional. */
    void (*on_connected)(void *user, const struct okno_dtls_keys *keys);
    /* The endpoint closed (err 0: the peer sent close_notify once connected) or failed (err < 0:
     * OKNO_E_DENIED for a fingerprint mismatch or a missing certificate, OKNO_E_UNSUPPORTED when no
     * SRTP profile was agreed, OKNO_E_TIMEOUT after the last retransmission, OKNO_E_CLOSED for a
     * fatal alert from the peer or its close_notify during the handshake, OKNO_E_IO for other
     * protocol errors). reason is human text, valid during the call.
     * Not called for a local okno_dtls_close(). Optional. */
    void (*on_closed)(void *user, int err, const char *reason);
    void *user;
};

struct okno_dtls_config {
    enum okno_dtls_role role;
    const struct okno_cert *cert; /* local identity; the endpoint takes its own references */
    struct okno_fingerprint remote_fingerprint; /* from the remote SDP's a=fingerprint */
    /* 0: offer SRTP_AEAD_AES_128_GCM then SRTP_AES128_CM_SHA1_80; otherwise offer only this one. */
    enum okno_srtp_profile profile;
    /* First retransmission timeout; 0 means OKNO_DTLS_INITIAL_RTO_US. */
    uint32_t initial_rto_us;
    /* Ceiling of the doubling timeout; 0 means OKNO_DTLS_MAX_RTO_US. Raised to initial_rto_us if
     * lower. OpenSSL gives up after twelve timeouts, so this also bounds how long a dead handshake
     * lingers. */
    uint32_t max_rto_us;
};

struct okno_dtls;

/* Maps our own a=setup value ("active" or "passive") to a role. Returns 0, or OKNO_E_INVAL for
 * anything else ("actpass" is an offer, not a decision). */
int okno_dtls_role_from_setup(const char *local_setup, enum okno_dtls_role *out);

/* The a=setup value to answer with, given the offer's value: "active" for "actpass" (RFC 8842 5.3
 * prefers the answerer as client) and for "passive", "passive" for "active". NULL for anything
 * else, including "holdconn". Static storage. */
const char *okno_dtls_answer_setup(const char *remote_setup);

/* Creates an endpoint in state NEW; nothing is sent until okno_dtls_start(). The config and
 * listener are copied. Returns 0 and the endpoint in *out, OKNO_E_INVAL for missing arguments or
 * callbacks, OKNO_E_UNSUPPORTED for an unknown profile, OKNO_E_NOMEM, or OKNO_E_IO when OpenSSL
 * refuses the configuration. Free with okno_dtls_free(). */
int okno_dtls_create(const struct okno_dtls_config *cfg, const struct okno_dtls_listener *listener,
                     struct okno_dtls **out);

/* Frees the endpoint without sending anything (call okno_dtls_close() first for an orderly end).
 * Must not be called from one of its callbacks. NULL is a no-op. */
void okno_dtls_free(struct okno_dtls *dtls);

/* Starts the handshake: a client sends its ClientHello, a server waits for one. Returns 0,
 * OKNO_E_STATE when already started, or the failure code also given to on_closed. */
int okno_dtls_start(struct okno_dtls *dtls, int64_t now_us);

/* Processes one incoming datagram. Returns 0 when it was processed (OpenSSL drops records that fail
 * its own checks), OKNO_E_RANGE for a datagram longer than OKNO_DTLS_MAX_DATAGRAM, OKNO_E_MALFORMED
 * or OKNO_E_TRUNCATED when it is not a sequence of whole DTLS 1.2 records (1.0 only for a plaintext
 * handshake record during the handshake) or holds a protected record too short for the negotiable
 * ciphers (dropped unread: counted by the caller, the endpoint is unchanged), OKNO_E_STATE before
 * start or after the end, or the failure code also given to on_closed when this datagram ended the
 * endpoint. data is not kept. */
int okno_dtls_feed(struct okno_dtls *dtls, const uint8_t *data, size_t len, int64_t now_us);

/* When to call okno_dtls_on_timeout(), in the caller's clock, or INT64_MAX when no timer runs (not
 * started, connected, closed or failed). Never earlier than now_us. */
int64_t okno_dtls_next_timeout_us(struct okno_dtls *dtls, int64_t now_us);

/* Retransmits the last flight if its timer expired. Returns 1 when it retransmitted, 0 when nothing
 * was due (also in any state but CONNECTING), or the failure code also given to on_closed
 * (OKNO_E_TIMEOUT after the last retransmission). */
int okno_dtls_on_timeout(struct okno_dtls *dtls, int64_t now_us);

/* Sends close_notify (if the handshake had started) and moves to CLOSED; on_closed is not called.
 * Returns 0, or OKNO_E_STATE when already closed or failed. */
int okno_dtls_close(struct okno_dtls *dtls);

enum okno_dtls_state okno_dtls_state(const struct okno_dtls *dtls);

/* Why the endpoint closed or failed, "" before that. Valid until the endpoint is freed. */
const char *okno_dtls_reason(const struct okno_dtls *dtls);

#endif
