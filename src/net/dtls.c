/* The DTLS endpoint: an OpenSSL SSL object between a memory BIO that receives fed datagrams and a
 * BIO of our own that turns each write into one send callback, plus the WebRTC policy around it
 * (fingerprint check, use_srtp, keying export, reasons for failure). Each endpoint has its own
 * SSL_CTX because the verify callback's argument and the offered SRTP profiles are per peer; peers
 * are few and long-lived, so the cost is paid once per call. It does not implement retransmission
 * itself: OpenSSL keeps the flights and resends them from DTLSv1_handle_timeout(). */
#include "net/dtls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "okno/err.h"
#include "wire/bytes.h"

#define DTLS_RECORD_HEADER 13
/* RFC 6347 4.1: a record carries at most 2^14 bytes of plaintext plus 2048 of expansion. */
#define DTLS_MAX_RECORD_BODY (16384 + 2048)
/* Every suite in CIPHERS is AES-GCM: a protected record carries an 8-byte explicit nonce and a
 * 16-byte tag around its content. OpenSSL 3.0 answers a shorter one with an internal-error alert
 * that ends the connection, so one forged datagram on the 5-tuple would kill a peer. */
#define DTLS_MIN_PROTECTED_BODY (8 + 16)
#define EXPORTER_LABEL          "EXTRACTOR-dtls_srtp"
#define CIPHERS                 "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384"
#define GROUPS                  "X25519:P-256"

struct okno_dtls {
    /* borrowed: the listener's user pointer */
    struct okno_dtls_listener listener;
    /* owned */
    SSL_CTX *ctx;
    SSL *ssl;          /* owns both BIOs */
    BIO_METHOD *wmeth; /* the send BIO's method table, per endpoint so no global is needed */
    BIO *rbio;         /* fed datagrams, drained by OpenSSL */
    /* other */
    enum okno_dtls_role role;
    enum okno_dtls_state state;
    struct okno_fingerprint remote_fp;
    unsigned initial_rto_us;
    unsigned max_rto_us;
    int fp_checked;  /* the verify callback accepted the peer's certificate */
    int fp_mismatch; /* ... or rejected it */
    int peer_alert;  /* last fatal alert received (OpenSSL's level << 8 | description), or -1 */
    int sent_alert;  /* last fatal alert we sent, or -1 */
    char reason[160];
};

int okno_dtls_role_from_setup(const char *local_setup, enum okno_dtls_role *out)
{
    if (!local_setup || !out)
        return OKNO_E_INVAL;
    if (strcmp(local_setup, "active") == 0)
        *out = OKNO_DTLS_CLIENT;
    else if (strcmp(local_setup, "passive") == 0)
        *out = OKNO_DTLS_SERVER;
    else
        return OKNO_E_INVAL;
    return 0;
}

const char *okno_dtls_answer_setup(const char *remote_setup)
{
    if (!remote_setup)
        return NULL;
    if (strcmp(remote_setup, "actpass") == 0 || strcmp(remote_setup, "passive") == 0)
        return "active";
    if (strcmp(remote_setup, "active") == 0)
        return "passive";
    return NULL;
}

/* --- the send BIO: one BIO_write is one datagram. OpenSSL buffers a flight and flushes at most an
 * MTU at a time, so datagram boundaries are exactly its write boundaries. */

static int wbio_write(BIO *b, const char *data, int len)
{
    struct okno_dtls *d = BIO_get_data(b);
    if (len > 0)
        d->listener.send(d->listener.user, (const uint8_t *)data, (size_t)len);
    return len;
}

static long wbio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)b;
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    default:
        /* Nothing is ever pending in a write-through BIO, and the link MTU we set is already the
         * datagram size (BIO_CTRL_DGRAM_GET_MTU_OVERHEAD): 0 answers those and everything else. */
        return 0;
    }
}

static int wbio_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

/* --- OpenSSL callbacks */

static unsigned int timer_cb(SSL *ssl, unsigned int prev_us)
{
    const struct okno_dtls *d = SSL_get_app_data(ssl);
    if (prev_us == 0)
        return d->initial_rto_us;
    return prev_us >= d->max_rto_us / 2 ? d->max_rto_us : prev_us * 2;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    struct okno_dtls *d = SSL_get_app_data(ssl);
    /* ret holds the alert level in its high byte; close_notify is a warning and ends cleanly. */
    if ((where & SSL_CB_ALERT) && (ret >> 8) == SSL3_AL_FATAL) {
        if (where & SSL_CB_READ)
            d->peer_alert = ret;
        else
            d->sent_alert = ret;
    }
}

/* Replaces X.509 path validation: a WebRTC peer's certificate is self-signed and trusted exactly
 * when its digest is the one the signalling channel carried. */
static int verify_cb(X509_STORE_CTX *store, void *arg)
{
    struct okno_dtls *d = arg;
    X509 *peer = X509_STORE_CTX_get0_cert(store);
    struct okno_fingerprint fp;
    if (peer && okno__cert_x509_fingerprint(peer, d->remote_fp.alg, &fp) == 0 &&
        fp.len == d->remote_fp.len && CRYPTO_memcmp(fp.bytes, d->remote_fp.bytes, fp.len) == 0) {
        d->fp_checked = 1;
        return 1;
    }
    d->fp_mismatch = 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
}

/* --- state changes */

static int end(struct okno_dtls *d, enum okno_dtls_state state, int err, const char *reason)
{
    if (d->state == OKNO_DTLS_CLOSED || d->state == OKNO_DTLS_FAILED)
        return err;
    d->state = state;
    snprintf(d->reason, sizeof d->reason, "%s", reason);
    if (d->listener.on_closed)
        d->listener.on_closed(d->listener.user, err, d->reason);
    return err;
}

static int fail(struct okno_dtls *d, int err, const char *reason)
{
    return end(d, OKNO_DTLS_FAILED, err, reason);
}

static int classify_failure(struct okno_dtls *d, const char *what)
{
    char buf[160];
    unsigned long e = ERR_peek_last_error();
    if (d->fp_mismatch)
        return fail(d, OKNO_E_DENIED,
                    "remote certificate fingerprint does not match the SDP a=fingerprint");
    if (d->peer_alert >= 0) {
        snprintf(buf, sizeof buf, "peer sent fatal alert: %s",
                 SSL_alert_desc_string_long(d->peer_alert));
        return fail(d, OKNO_E_CLOSED, buf);
    }
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_READ_TIMEOUT_EXPIRED)
        return fail(d, OKNO_E_TIMEOUT, "handshake timed out: no answer to the last retransmission");
    if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
        ERR_GET_REASON(e) == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
        return fail(d, OKNO_E_DENIED, "peer presented no certificate");
    const char *why = e ? ERR_reason_error_string(e) : NULL;
    if (d->sent_alert >= 0)
        snprintf(buf, sizeof buf, "%s failed (%s), sent alert: %s", what, why ? why : "unknown",
                 SSL_alert_desc_string_long(d->sent_alert));
    else
        snprintf(buf, sizeof buf, "%s failed (%s)", what, why ? why : "unknown");
    return fail(d, OKNO_E_IO, buf);
}

/* Turns an OpenSSL failure into our code and the most specific reason we know, and leaves OpenSSL's
 * per-thread error queue empty for whatever else runs on this worker. */
static int fail_from_openssl(struct okno_dtls *d, const char *what)
{
    int err = classify_failure(d, what);
    ERR_clear_error();
    return err;
}

/* Classifies the result r of an SSL call that did not succeed. */
static int after_call(struct okno_dtls *d, int r, const char *what)
{
    switch (SSL_get_error(d->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return 0;
    case SSL_ERROR_ZERO_RETURN:
        /* Before the keys exist a close_notify is as unauthenticated as a fatal alert and leaves
         * the peer just as unconnected: it is a failed handshake, not an orderly end. */
        if (d->state == OKNO_DTLS_CONNECTING)
            return fail(d, OKNO_E_CLOSED, "peer sent close_notify before the handshake completed");
        return end(d, OKNO_DTLS_CLOSED, 0, "peer sent close_notify");
    default:
        return fail_from_openssl(d, what);
    }
}

/* RFC 5764 4.2: the exporter yields client key, server key, client salt, server salt. */
static int export_keys(struct okno_dtls *d, enum okno_srtp_profile profile)
{
    size_t k = (size_t)okno_srtp_profile_key_len(profile);
    size_t s = (size_t)okno_srtp_profile_salt_len(profile);
    uint8_t m[2 * (OKNO_SRTP_MAX_KEY_LEN + OKNO_SRTP_MAX_SALT_LEN)];
    if (SSL_export_keying_material(d->ssl, m, 2 * (k + s), EXPORTER_LABEL,
                                   sizeof EXPORTER_LABEL - 1, NULL, 0, 0) != 1)
        return fail(d, OKNO_E_IO, "exporting SRTP keying material failed");
    struct okno_dtls_keys keys;
    memset(&keys, 0, sizeof keys);
    keys.profile = profile;
    struct okno_srtp_master *client = d->role == OKNO_DTLS_CLIENT ? &keys.local : &keys.remote;
    struct okno_srtp_master *server = d->role == OKNO_DTLS_CLIENT ? &keys.remote : &keys.local;
    memcpy(client->key, m, k);
    memcpy(server->key, m + k, k);
    memcpy(client->salt, m + 2 * k, s);
    memcpy(server->salt, m + 2 * k + s, s);
    client->key_len = server->key_len = k;
    client->salt_len = server->salt_len = s;
    OPENSSL_cleanse(m, sizeof m);
    d->state = OKNO_DTLS_CONNECTED;
    if (d->listener.on_connected)
        d->listener.on_connected(d->listener.user, &keys);
    OPENSSL_cleanse(&keys, sizeof keys);
    return 0;
}

static int handshake_done(struct okno_dtls *d)
{
    /* OpenSSL demands a certificate from both sides, but the verify callback is the only proof that
     * the fingerprint was compared, so it is checked once more here. */
    if (!d->fp_checked)
        return fail(d, OKNO_E_DENIED,
                    "peer certificate was not checked against the SDP fingerprint");
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (!p)
        return fail(d, OKNO_E_UNSUPPORTED, "peer did not agree on an SRTP profile (use_srtp)");
    if (p->id != OKNO_SRTP_AEAD_AES_128_GCM && p->id != OKNO_SRTP_AES128_CM_SHA1_80)
        return fail(d, OKNO_E_UNSUPPORTED, "peer chose an SRTP profile we did not offer");
    return export_keys(d, (enum okno_srtp_profile)p->id);
}

/* Lets OpenSSL consume whatever the read BIO holds. Application data (none is expected before data
 * channels exist) is read and dropped so alerts and retransmitted flights behind it are seen. */
static int drive(struct okno_dtls *d)
{
    if (d->state == OKNO_DTLS_CONNECTING) {
        ERR_clear_error();
        int r = SSL_do_handshake(d->ssl);
        if (r != 1)
            return after_call(d, r, "handshake");
        int err = handshake_done(d);
        if (err < 0)
            return err;
    }
    while (d->state == OKNO_DTLS_CONNECTED) {
        uint8_t sink[2048];
        ERR_clear_error();
        int r = SSL_read(d->ssl, sink, sizeof sink);
        if (r <= 0)
            return after_call(d, r, "read");
    }
    return 0;
}

/* OpenSSL 3.0 discards a record of a version it does not expect by its header alone and parses
 * the body as further records, so a short protected record (see DTLS_MIN_PROTECTED_BODY) could
 * hide inside one. Only DTLS 1.2, the one version we negotiate, passes, and DTLS 1.0 on a plaintext
 * handshake record before the keys exist (RFC 6347 4.1: a ClientHello or HelloVerifyRequest may
 * carry it). */
static int version_accepted(const struct okno_dtls *d, const uint8_t *record)
{
    uint16_t version = okno_rd16(record + 1);
    if (version == DTLS1_2_VERSION)
        return 1;
    return version == DTLS1_VERSION && d->state == OKNO_DTLS_CONNECTING &&
           record[0] == SSL3_RT_HANDSHAKE && okno_rd16(record + 3) == 0;
}

/* The datagram must be whole DTLS records (RFC 6347 4.1) with content types 20..23 and a version
 * OpenSSL will read, so that garbage never reaches OpenSSL's buffers. */
static int check_records(const struct okno_dtls *d, const uint8_t *p, size_t len)
{
    if (len == 0)
        return OKNO_E_TRUNCATED;
    while (len > 0) {
        if (len < DTLS_RECORD_HEADER)
            return OKNO_E_TRUNCATED;
        if (p[0] < 20 || p[0] > 23 || !version_accepted(d, p))
            return OKNO_E_MALFORMED;
        size_t body = okno_rd16(p + 11);
        if (body > DTLS_MAX_RECORD_BODY)
            return OKNO_E_MALFORMED;
        if (body > len - DTLS_RECORD_HEADER)
            return OKNO_E_TRUNCATED;
        if (okno_rd16(p + 3) != 0 && body < DTLS_MIN_PROTECTED_BODY)
            return OKNO_E_MALFORMED;
        p += DTLS_RECORD_HEADER + body;
        len -= DTLS_RECORD_HEADER + body;
    }
    return 0;
}

/* --- public */

static int setup_ctx(struct okno_dtls *d, const struct okno_dtls_config *cfg)
{
    const char *profiles = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
    if (cfg->profile)
        profiles = okno_srtp_profile_name(cfg->profile);
    SSL_CTX *ctx = d->ctx;
    /* SSL_CTX_set_tlsext_use_srtp() is the one call here that returns 0 on success. */
    return SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) &&
           SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) &&
           SSL_CTX_set_cipher_list(ctx, CIPHERS) && SSL_CTX_set1_groups_list(ctx, GROUPS) &&
           SSL_CTX_use_certificate(ctx, okno__cert_x509(cfg->cert)) &&
           SSL_CTX_use_PrivateKey(ctx, okno__cert_key(cfg->cert)) &&
           SSL_CTX_check_private_key(ctx) && SSL_CTX_set_tlsext_use_srtp(ctx, profiles) == 0;
}

int okno_dtls_create(const struct okno_dtls_config *cfg, const struct okno_dtls_listener *listener,
                     struct okno_dtls **out)
{
    if (!out)
        return OKNO_E_INVAL;
    *out = NULL;
    if (!cfg || !listener || !listener->send || !cfg->cert ||
        (cfg->role != OKNO_DTLS_CLIENT && cfg->role != OKNO_DTLS_SERVER) ||
        cfg->remote_fingerprint.len == 0 || cfg->remote_fingerprint.len > OKNO_FP_MAX_LEN)
        return OKNO_E_INVAL;
    if (cfg->profile && okno_srtp_profile_key_len(cfg->profile) < 0)
        return OKNO_E_UNSUPPORTED;
    struct okno_dtls *d = calloc(1, sizeof *d);
    if (!d)
        return OKNO_E_NOMEM;
    d->listener = *listener;
    d->role = cfg->role;
    d->remote_fp = cfg->remote_fingerprint;
    d->initial_rto_us = cfg->initial_rto_us ? cfg->initial_rto_us : OKNO_DTLS_INITIAL_RTO_US;
    d->max_rto_us = cfg->max_rto_us ? cfg->max_rto_us : OKNO_DTLS_MAX_RTO_US;
    if (d->max_rto_us < d->initial_rto_us)
        d->max_rto_us = d->initial_rto_us;
    d->peer_alert = d->sent_alert = -1;
    ERR_clear_error();
    d->ctx = SSL_CTX_new(DTLS_method());
    d->wmeth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "okno-dtls-send");
    int ok = d->ctx && d->wmeth && BIO_meth_set_write(d->wmeth, wbio_write) &&
             BIO_meth_set_ctrl(d->wmeth, wbio_ctrl) && BIO_meth_set_create(d->wmeth, wbio_create) &&
             setup_ctx(d, cfg);
    if (ok) {
        SSL_CTX_set_verify(d->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        SSL_CTX_set_cert_verify_callback(d->ctx, verify_cb, d);
        SSL_CTX_set_options(d->ctx,
                            SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
        SSL_CTX_set_session_cache_mode(d->ctx, SSL_SESS_CACHE_OFF);
        d->ssl = SSL_new(d->ctx);
    }
    BIO *wbio = ok && d->ssl ? BIO_new(d->wmeth) : NULL;
    d->rbio = wbio ? BIO_new(BIO_s_mem()) : NULL;
    if (!d->rbio) {
        BIO_free(wbio);
        okno_dtls_free(d);
        ERR_clear_error();
        return OKNO_E_IO;
    }
    BIO_set_mem_eof_return(d->rbio, -1); /* empty means "wait for more", not end of stream */
    BIO_set_data(wbio, d);
    SSL_set_bio(d->ssl, d->rbio, wbio);
    SSL_set_app_data(d->ssl, d);
    DTLS_set_link_mtu(d->ssl, OKNO_DTLS_MTU);
    DTLS_set_timer_cb(d->ssl, timer_cb);
    SSL_set_info_callback(d->ssl, info_cb);
    if (d->role == OKNO_DTLS_CLIENT)
        SSL_set_connect_state(d->ssl);
    else
        SSL_set_accept_state(d->ssl);
    *out = d;
    return 0;
}

void okno_dtls_free(struct okno_dtls *d)
{
    if (!d)
        return;
    SSL_free(d->ssl);
    SSL_CTX_free(d->ctx);
    BIO_meth_free(d->wmeth);
    free(d);
}

int okno_dtls_start(struct okno_dtls *d, int64_t now_us)
{
    (void)now_us;
    if (!d)
        return OKNO_E_INVAL;
    if (d->state != OKNO_DTLS_NEW)
        return OKNO_E_STATE;
    d->state = OKNO_DTLS_CONNECTING;
    return d->role == OKNO_DTLS_CLIENT ? drive(d) : 0;
}

int okno_dtls_feed(struct okno_dtls *d, const uint8_t *data, size_t len, int64_t now_us)
{
    (void)now_us;
    if (!d || (!data && len))
        return OKNO_E_INVAL;
    if (d->state != OKNO_DTLS_CONNECTING && d->state != OKNO_DTLS_CONNECTED)
        return OKNO_E_STATE;
    if (len > OKNO_DTLS_MAX_DATAGRAM)
        return OKNO_E_RANGE;
    int err = check_records(d, data, len);
    if (err < 0)
        return err;
    if (BIO_write(d->rbio, data, (int)len) != (int)len)
        return OKNO_E_NOMEM;
    err = drive(d);
    /* Only a failure leaves bytes unread; they must not be parsed together with the next datagram.
     */
    (void)BIO_reset(d->rbio);
    return err;
}

int64_t okno_dtls_next_timeout_us(struct okno_dtls *d, int64_t now_us)
{
    struct timeval tv;
    if (!d || d->state != OKNO_DTLS_CONNECTING || DTLSv1_get_timeout(d->ssl, &tv) != 1)
        return INT64_MAX;
    int64_t left = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
    return now_us > INT64_MAX - left ? INT64_MAX : now_us + left;
}

int okno_dtls_on_timeout(struct okno_dtls *d, int64_t now_us)
{
    (void)now_us;
    if (!d)
        return OKNO_E_INVAL;
    if (d->state != OKNO_DTLS_CONNECTING)
        return 0;
    ERR_clear_error();
    int r = (int)DTLSv1_handle_timeout(d->ssl);
    if (r > 0)
        return 1;
    if (r == 0)
        return 0;
    return fail_from_openssl(d, "retransmission");
}

int okno_dtls_close(struct okno_dtls *d)
{
    if (!d)
        return OKNO_E_INVAL;
    if (d->state == OKNO_DTLS_CLOSED || d->state == OKNO_DTLS_FAILED)
        return OKNO_E_STATE;
    if (d->state == OKNO_DTLS_CONNECTED) {
        ERR_clear_error();
        (void)SSL_shutdown(d->ssl); /* 0: close_notify sent, the peer's not awaited */
        ERR_clear_error();
    }
    d->state = OKNO_DTLS_CLOSED;
    snprintf(d->reason, sizeof d->reason, "closed locally");
    return 0;
}

enum okno_dtls_state okno_dtls_state(const struct okno_dtls *d)
{
    return d->state;
}

const char *okno_dtls_reason(const struct okno_dtls *d)
{
    return d->reason;
}
