/* The DTLS identity of the server and the SDP fingerprints that bind identities to a session.
 *
 * One certificate, an ECDSA P-256 key with a self-signed X.509 certificate, is made at start or
 * loaded from PEM files, and shared by every peer: WebRTC authenticates it through the fingerprint
 * carried in the signalled SDP (RFC 8122), not through a CA. After creation a certificate is
 * immutable, so any number of threads may read it and make DTLS endpoints from it at once; only
 * okno_cert_free() must not race with other uses (endpoints take their own references, so they may
 * outlive it). This module deliberately does not rotate certificates, write them to disk or check
 * validity dates: a peer checks the fingerprint and nothing else. */
#ifndef OKNO_NET_CERT_H
#define OKNO_NET_CERT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

enum okno_fp_alg {
    OKNO_FP_SHA1,
    OKNO_FP_SHA256,
    OKNO_FP_SHA384,
    OKNO_FP_SHA512,
};

#define OKNO_FP_MAX_LEN 64 /* SHA-512 */
/* Longest SDP form, "sha-512 " then 64 hex pairs joined by colons, with its NUL. */
#define OKNO_FP_SDP_MAX (8 + OKNO_FP_MAX_LEN * 3)

/* A certificate fingerprint (RFC 8122 5): the hash function and the digest of the DER certificate.
 */
struct okno_fingerprint {
    enum okno_fp_alg alg;
    size_t len;
    uint8_t bytes[OKNO_FP_MAX_LEN];
};

struct okno_cert;

/* Makes a fresh P-256 key and a self-signed certificate for it, valid from a day ago for a year,
 * with common_name as subject (NULL for "okno"). Returns 0 and the certificate in *out,
 * OKNO_E_INVAL, or OKNO_E_IO when OpenSSL fails. Free with okno_cert_free(). */
int okno_cert_generate(const char *common_name, struct okno_cert **out);

/* Loads a PEM certificate and its PEM private key (unencrypted). Returns 0 and the certificate in
 * *out, OKNO_E_IO when a file cannot be read, OKNO_E_MALFORMED when it holds no PEM certificate or
 * key, OKNO_E_UNSUPPORTED when the key is not an EC key (our cipher suites are ECDSA only),
 * OKNO_E_DENIED when the key does not belong to the certificate, or OKNO_E_INVAL. Free with
 * okno_cert_free(). */
int okno_cert_load_pem(const char *cert_path, const char *key_path, struct okno_cert **out);

/* Drops the caller's reference; endpoints made from the certificate keep theirs. NULL is a no-op.
 */
void okno_cert_free(struct okno_cert *cert);

/* The certificate's fingerprint with the given hash. Returns 0, or OKNO_E_INVAL. */
int okno_cert_fingerprint(const struct okno_cert *cert, enum okno_fp_alg alg,
                          struct okno_fingerprint *out);

/* The value of the SDP a=fingerprint attribute for this certificate, "sha-256 AB:CD:...", computed
 * once at creation. Static for the certificate's lifetime; never NULL. */
const char *okno_cert_fingerprint_sdp(const struct okno_cert *cert);

/* Parses an a=fingerprint value ("sha-256 AB:CD:..."): the hash name is case-insensitive, the hex
 * digits of either case, exactly one space between. Returns 0, OKNO_E_UNSUPPORTED for another hash
 * function (md5, md2), OKNO_E_MALFORMED for anything that is not two hex digits per digest byte
 * separated by colons, or OKNO_E_INVAL. */
int okno_cert_fingerprint_parse(const char *text, struct okno_fingerprint *out);

/* Formats a fingerprint in the SDP form, upper case hex. Returns the string length, OKNO_E_NOSPC
 * when cap (which counts the NUL) is too small, or OKNO_E_INVAL. OKNO_FP_SDP_MAX always suffices.
 */
int okno_cert_fingerprint_format(const struct okno_fingerprint *fp, char *buf, size_t cap);

/* Internal, for net/dtls: the certificate and key to hand to OpenSSL (borrowed; up-ref to keep),
 * and the fingerprint of any X509 (the peer's). */
X509 *okno__cert_x509(const struct okno_cert *cert);
EVP_PKEY *okno__cert_key(const struct okno_cert *cert);
int okno__cert_x509_fingerprint(X509 *x, enum okno_fp_alg alg, struct okno_fingerprint *out);

#endif
