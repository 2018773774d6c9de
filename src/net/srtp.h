/* SRTP and SRTCP protection for one direction of one peer, over libsrtp2, except an outbound
 * AEAD_AES_128_GCM session, which protects on OpenSSL EVP with the same output (net/srtp_gcm.h).
 *
 * A peer owns two sessions made from the keys its DTLS handshake exported: an outbound one (local
 * keys, any outbound SSRC) that protects what we send, and an inbound one (remote keys, any inbound
 * SSRC) that unprotects what we receive, with replay protection on. Packets are transformed in
 * place: the caller passes the buffer, the length in and out, and for protect the buffer's
 * capacity, which must leave OKNO_SRTP_MAX_TRAILER bytes after the packet. This module deliberately
 * does not parse RTP or RTCP beyond the checks libsrtp needs, does not pick keys (net/dtls does)
 * and does not count drops (callers do, from the distinct error codes). A session is not
 * thread-safe: it belongs to the worker that owns the peer. */
#ifndef OKNO_NET_SRTP_H
#define OKNO_NET_SRTP_H

#include <stddef.h>
#include <stdint.h>

#include "okno/err.h"

/* DTLS-SRTP protection profiles we speak, by their IANA numbers (RFC 5764 4.1.2, RFC 7714 14.2). */
enum okno_srtp_profile {
    OKNO_SRTP_AES128_CM_SHA1_80 = 0x0001,
    OKNO_SRTP_AEAD_AES_128_GCM = 0x0007,
};

/* Master key and salt lengths of our profiles: AES-128 keys for both; the salt is 14 bytes for
 * AES-CM and 12 for GCM. */
#define OKNO_SRTP_MAX_KEY_LEN  16
#define OKNO_SRTP_MAX_SALT_LEN 14

/* Most bytes protect adds: RTP gets an authentication tag (16 for GCM, 10 for CM-SHA1-80), RTCP the
 * same tag plus the 4-byte E flag and SRTCP index. We never use an MKI, so libsrtp's own worst case
 * (SRTP_MAX_TRAILER_LEN, which reserves 128 MKI bytes) does not apply. Size send buffers as the
 * largest RTP or RTCP packet plus this. */
#define OKNO_SRTP_MAX_TRAILER 20

/* Replay window of every session, in packets: libsrtp's minimum is 64; video bursts reorder by
 * more than that on lossy links, and a wider window costs only bits. An outbound session refuses
 * a sequence number this many or more behind the highest sent (net/srtp_gcm.c keeps the rule). */
#define OKNO_SRTP_REPLAY_WINDOW 1024

/* Unprotect failures the media path counts as drops, not as errors. Aliases of codes from the
 * shared table: a forged or corrupted packet is refused (DENIED), a replayed or too old one was
 * already seen (EXISTS). */
#define OKNO_SRTP_E_AUTH   OKNO_E_DENIED
#define OKNO_SRTP_E_REPLAY OKNO_E_EXISTS

/* One side's master keying material as exported by DTLS (RFC 5764 4.2). */
struct okno_srtp_master {
    uint8_t key[OKNO_SRTP_MAX_KEY_LEN];
    uint8_t salt[OKNO_SRTP_MAX_SALT_LEN];
    size_t key_len;
    size_t salt_len;
};

enum okno_srtp_direction {
    OKNO_SRTP_INBOUND,
    OKNO_SRTP_OUTBOUND,
};

struct okno_srtp;

/* Initialises libsrtp once per process; safe to call from any thread, any number of times (later
 * calls return the first result). okno_srtp_create() calls it, so explicit calls only move the cost
 * to start-up. Returns 0 or OKNO_E_IO when libsrtp fails its self-initialisation. */
int okno_srtp_init(void);

/* Master key and salt lengths of a profile; OKNO_E_UNSUPPORTED for a profile we do not speak. */
int okno_srtp_profile_key_len(enum okno_srtp_profile profile);
int okno_srtp_profile_salt_len(enum okno_srtp_profile profile);
/* RFC name of a profile ("SRTP_AEAD_AES_128_GCM"), static storage; "unknown" for others. */
const char *okno_srtp_profile_name(enum okno_srtp_profile profile);

/* Creates a session for one direction: INBOUND unprotects packets of any SSRC with the remote keys,
 * OUTBOUND protects packets of any SSRC with the local keys. The replay window is 1024 packets.
 * Outbound allows protecting the same sequence number again, because NACK-driven retransmissions
 * resend identical packets; callers must never resend a sequence number with a different payload.
 * The key material is copied (the caller may wipe its copy). Returns 0 and the session in *out,
 * OKNO_E_INVAL for NULL arguments or key/salt lengths that do not match the profile,
 * OKNO_E_UNSUPPORTED for an unknown profile, OKNO_E_NOMEM, or OKNO_E_IO when libsrtp refuses. Free
 * with okno_srtp_free(). */
int okno_srtp_create(enum okno_srtp_direction dir, enum okno_srtp_profile profile,
                     const struct okno_srtp_master *master, struct okno_srtp **out);

/* Frees a session and wipes its keys; NULL is a no-op. */
void okno_srtp_free(struct okno_srtp *s);

/* Protects the RTP packet pkt[0..*len) in place (outbound sessions only) and sets *len to the SRTP
 * length. cap is the size of the buffer, at least *len + OKNO_SRTP_MAX_TRAILER. pkt should be
 * 4-byte aligned (libsrtp works on 32-bit words). Returns 0, OKNO_E_NOSPC when cap is too small,
 * OKNO_E_TRUNCATED or OKNO_E_MALFORMED for something that is not an RTP packet, OKNO_E_STATE on an
 * inbound session, or OKNO_E_IO. On failure *len is unchanged and the buffer contents are
 * unspecified. */
int okno_srtp_protect_rtp(struct okno_srtp *s, uint8_t *pkt, size_t *len, size_t cap);

/* Like okno_srtp_protect_rtp() for a compound RTCP packet; adds the SRTCP index and tag. */
int okno_srtp_protect_rtcp(struct okno_srtp *s, uint8_t *pkt, size_t *len, size_t cap);

/* Verifies and decrypts the SRTP packet pkt[0..*len) in place (inbound sessions only) and sets *len
 * to the RTP length. Safe on any bytes. Returns 0, OKNO_SRTP_E_AUTH when the tag does not verify,
 * OKNO_SRTP_E_REPLAY when the packet was already received or is older than the replay window,
 * OKNO_E_TRUNCATED or OKNO_E_MALFORMED for something that is not SRTP, OKNO_E_STATE on an outbound
 * session, or OKNO_E_IO. On failure *len is unchanged and the buffer contents are unspecified. */
int okno_srtp_unprotect_rtp(struct okno_srtp *s, uint8_t *pkt, size_t *len);

/* Like okno_srtp_unprotect_rtp() for an SRTCP packet. */
int okno_srtp_unprotect_rtcp(struct okno_srtp *s, uint8_t *pkt, size_t *len);

#endif
