/* Outbound SRTP and SRTCP protection with AEAD_AES_128_GCM (RFC 7714) on OpenSSL's EVP AES-GCM.
 *
 * Why: Debian's libsrtp2 runs AES-GCM through NSS, whose per-packet context set-up made protect a
 * third of the egress worker's CPU; OpenSSL's EVP keeps one keyed context per session and only
 * changes the IV per packet. The output is byte for byte what libsrtp2 protects for the same
 * session (tests/unit/net/test_srtp_gcm.c checks that against libsrtp2 and unprotects with it):
 * session keys from the master key and salt by the AES-CM key derivation (RFC 3711 4.3, labels 0,
 * 2, 3 and 5, the 12-byte master salt padded with two zero bytes), one sender state per SSRC (the
 * highest RTP index sent, from which the rollover counter is estimated as libsrtp2 does, and the
 * SRTCP index, first 1), the E bit set on every SRTCP packet. As with libsrtp2's outbound
 * sessions that allow repeated sends, a sequence number already sent may be protected again, but
 * one more than 1023 packets behind the highest sent is refused (OKNO_E_EXISTS).
 *
 * Deliberately not here: unprotect (inbound sessions stay on libsrtp2), AES-CM (libsrtp2), MKI,
 * header extension encryption, or the 2^48 packet key lifetime libsrtp2 counts (unreachable at
 * any real rate: nine years of 1M packets/s). Not thread-safe: one session, one thread at a time.
 * Allocates once per session and once per new SSRC, never per packet. */
#ifndef OKNO_NET_SRTP_GCM_H
#define OKNO_NET_SRTP_GCM_H

#include <stddef.h>
#include <stdint.h>

#include "okno/err.h"

/* AES-128 key and salt lengths of the profile, and its tag. */
#define OKNO_SRTP_GCM_KEY_LEN  16
#define OKNO_SRTP_GCM_SALT_LEN 12
#define OKNO_SRTP_GCM_TAG_LEN  16

struct okno_srtp_gcm;

/* A sender's session from the master key (16 bytes) and master salt (12 bytes), copied. Returns 0
 * and *out, OKNO_E_INVAL for NULL arguments, OKNO_E_NOMEM, or OKNO_E_IO when OpenSSL refuses. */
int okno_srtp_gcm_new(const uint8_t *master_key, const uint8_t *master_salt,
                      struct okno_srtp_gcm **out);

/* Frees the session and wipes its keys; NULL is ignored. */
void okno_srtp_gcm_free(struct okno_srtp_gcm *g);

/* Protects the RTP packet pkt[0..*len) in place, whose header (CSRCs and extension included) is
 * hdr_len bytes: the caller has checked the header fits. Appends the 16-byte tag (cap must leave
 * room: *len + 16 <= cap). Returns 0, OKNO_E_NOSPC, OKNO_E_EXISTS for a sequence number too far
 * behind, OKNO_E_NOMEM for a new SSRC without memory, or OKNO_E_IO. */
int okno_srtp_gcm_protect_rtp(struct okno_srtp_gcm *g, uint8_t *pkt, size_t *len, size_t hdr_len,
                              size_t cap);

/* Protects the compound RTCP packet pkt[0..*len) (at least its 8-byte header) in place and
 * appends the tag and the E flag with the SRTCP index (20 bytes). Returns 0, OKNO_E_NOSPC,
 * OKNO_E_NOMEM, or OKNO_E_IO (also once the SSRC's 2^31 - 1 SRTCP indices are used). */
int okno_srtp_gcm_protect_rtcp(struct okno_srtp_gcm *g, uint8_t *pkt, size_t *len, size_t cap);

#endif
