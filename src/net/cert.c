/* Certificate generation and loading with OpenSSL 3 EVP calls, and the SDP fingerprint text form.
 * It does not keep any global state: every certificate is a standalone key plus X509 pair. */
#include "net/cert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "okno/err.h"

#define DAY_SECONDS 86400L

struct okno_cert {
    X509 *x509;    /* owned reference */
    EVP_PKEY *key; /* owned reference */
    char sdp[OKNO_FP_SDP_MAX];
};

/* Names from the IANA "Hash Function Textual Names" registry used by RFC 8122. */
static const struct {
    const char *sdp;
    const char *openssl;
    size_t len;
} algs[] = {
    [OKNO_FP_SHA1] = {"sha-1", "SHA1", 20},
    [OKNO_FP_SHA256] = {"sha-256", "SHA256", 32},
    [OKNO_FP_SHA384] = {"sha-384", "SHA384", 48},
    [OKNO_FP_SHA512] = {"sha-512", "SHA512", 64},
};

static int alg_ok(enum okno_fp_alg alg)
{
    return (unsigned)alg < sizeof algs / sizeof algs[0];
}

int okno__cert_x509_fingerprint(X509 *x, enum okno_fp_alg alg, struct okno_fingerprint *out)
{
    if (!x || !out || !alg_ok(alg))
        return OKNO_E_INVAL;
    EVP_MD *md = EVP_MD_fetch(NULL, algs[alg].openssl, NULL);
    if (!md)
        return OKNO_E_UNSUPPORTED;
    unsigned int n = 0;
    int ok = X509_digest(x, md, out->bytes, &n);
    EVP_MD_free(md);
    if (!ok || n != algs[alg].len)
        return OKNO_E_IO;
    out->alg = alg;
    out->len = n;
    return 0;
}

int okno_cert_fingerprint(const struct okno_cert *cert, enum okno_fp_alg alg,
                          struct okno_fingerprint *out)
{
    if (!cert)
        return OKNO_E_INVAL;
    return okno__cert_x509_fingerprint(cert->x509, alg, out);
}

const char *okno_cert_fingerprint_sdp(const struct okno_cert *cert)
{
    return cert->sdp;
}

X509 *okno__cert_x509(const struct okno_cert *cert)
{
    return cert->x509;
}

EVP_PKEY *okno__cert_key(const struct okno_cert *cert)
{
    return cert->key;
}

int okno_cert_fingerprint_format(const struct okno_fingerprint *fp, char *buf, size_t cap)
{
    if (!fp || !buf || !alg_ok(fp->alg) || fp->len != algs[fp->alg].len)
        return OKNO_E_INVAL;
    size_t name = strlen(algs[fp->alg].sdp);
    size_t need = name + 1 + fp->len * 3; /* "XX:" per byte, the last ':' becomes the NUL */
    if (cap < need)
        return OKNO_E_NOSPC;
    static const char hex[] = "0123456789ABCDEF";
    memcpy(buf, algs[fp->alg].sdp, name);
    char *p = buf + name;
    *p++ = ' ';
    for (size_t i = 0; i < fp->len; i++) {
        if (i)
            *p++ = ':';
        *p++ = hex[fp->bytes[i] >> 4];
        *p++ = hex[fp->bytes[i] & 15];
    }
    *p = '\0';
    return (int)(p - buf);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int okno_cert_fingerprint_parse(const char *text, struct okno_fingerprint *out)
{
    if (!text || !out)
        return OKNO_E_INVAL;
    const char *sp = strchr(text, ' ');
    if (!sp)
        return OKNO_E_MALFORMED;
    size_t name = (size_t)(sp - text);
    enum okno_fp_alg alg = OKNO_FP_SHA1;
    int found = 0;
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        if (strlen(algs[i].sdp) == name && strncasecmp(text, algs[i].sdp, name) == 0) {
            alg = (enum okno_fp_alg)i;
            found = 1;
        }
    }
    if (!found)
        return name > 0 ? OKNO_E_UNSUPPORTED : OKNO_E_MALFORMED;
    const char *p = sp + 1;
    size_t n = 0;
    for (;;) {
        int hi = hexval(p[0]);
        int lo = hi < 0 ? -1 : hexval(p[1]);
        if (lo < 0 || n == algs[alg].len)
            return OKNO_E_MALFORMED;
        out->bytes[n++] = (uint8_t)(hi << 4 | lo);
        p += 2;
        if (*p == '\0')
            break;
        if (*p++ != ':')
            return OKNO_E_MALFORMED;
    }
    if (n != algs[alg].len)
        return OKNO_E_MALFORMED;
    out->alg = alg;
    out->len = n;
    return 0;
}

/* Takes ownership of x509 and key (freed on failure). */
static int wrap(X509 *x509, EVP_PKEY *key, struct okno_cert **out)
{
    struct okno_cert *c = calloc(1, sizeof *c);
    struct okno_fingerprint fp;
    int err = c ? okno__cert_x509_fingerprint(x509, OKNO_FP_SHA256, &fp) : OKNO_E_NOMEM;
    if (err == 0)
        err = okno_cert_fingerprint_format(&fp, c->sdp, sizeof c->sdp);
    if (err < 0) {
        free(c);
        X509_free(x509);
        EVP_PKEY_free(key);
        return err;
    }
    c->x509 = x509;
    c->key = key;
    *out = c;
    return 0;
}

/* A positive random 63-bit serial: browsers do not look at it, but two of our certificates should
 * never share issuer and serial. */
static int set_serial(X509 *x)
{
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return 0;
    raw[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    return ok;
}

int okno_cert_generate(const char *common_name, struct okno_cert **out)
{
    if (!out)
        return OKNO_E_INVAL;
    *out = NULL;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    const unsigned char *cn = (const unsigned char *)(common_name ? common_name : "okno");
    int ok = key && x && name && X509_set_version(x, X509_VERSION_3) && set_serial(x) &&
             X509_gmtime_adj(X509_getm_notBefore(x), -DAY_SECONDS) &&
             X509_gmtime_adj(X509_getm_notAfter(x), 365 * DAY_SECONDS) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) &&
             X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
             X509_set_pubkey(x, key) && X509_sign(x, key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        ERR_clear_error();
        X509_free(x);
        EVP_PKEY_free(key);
        return OKNO_E_IO;
    }
    return wrap(x, key, out);
}

int okno_cert_load_pem(const char *cert_path, const char *key_path, struct okno_cert **out)
{
    if (!cert_path || !key_path || !out)
        return OKNO_E_INVAL;
    *out = NULL;
    FILE *cf = fopen(cert_path, "rb");
    if (!cf)
        return OKNO_E_IO;
    X509 *x = PEM_read_X509(cf, NULL, NULL, NULL);
    fclose(cf);
    if (!x) {
        ERR_clear_error();
        return OKNO_E_MALFORMED;
    }
    FILE *kf = fopen(key_path, "rb");
    if (!kf) {
        X509_free(x);
        return OKNO_E_IO;
    }
    EVP_PKEY *key = PEM_read_PrivateKey(kf, NULL, NULL, NULL);
    fclose(kf);
    int err = 0;
    if (!key)
        err = OKNO_E_MALFORMED;
    else if (!EVP_PKEY_is_a(key, "EC"))
        err = OKNO_E_UNSUPPORTED;
    else if (X509_check_private_key(x, key) != 1)
        err = OKNO_E_DENIED;
    if (err < 0) {
        ERR_clear_error(); /* OpenSSL's queue is per thread; leave it clean for the next caller */
        X509_free(x);
        EVP_PKEY_free(key);
        return err;
    }
    return wrap(x, key, out);
}

void okno_cert_free(struct okno_cert *cert)
{
    if (!cert)
        return;
    X509_free(cert->x509);
    EVP_PKEY_free(cert->key);
    free(cert);
}
