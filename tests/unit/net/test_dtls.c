#include "testutil.h"

#include <glib.h>

#include "net/cert.h"
#include "net/dtls.h"
#include "net/srtp.h"
#include "okno/err.h"

/* Two endpoints wired back to back through recorders: what one sends is queued, and pump() hands
 * each queue to the other side, dropping whole batches on request. */

#define MAX_QUEUE 64

struct side {
    struct okno_dtls *dtls;
    struct okno_cert *cert;
    uint8_t queue[MAX_QUEUE][OKNO_DTLS_MAX_DATAGRAM];
    size_t queue_len[MAX_QUEUE];
    size_t queued;
    size_t sent_total;
    size_t largest;
    int batches;    /* non-empty queues delivered (or dropped) so far */
    int drop_batch; /* 1-based batch number to drop, 0 for none */
    int connected;
    struct okno_dtls_keys keys;
    int closed;
    int close_err;
    char reason[160];
};

struct link {
    struct side client;
    struct side server;
};

static void rec_send(void *user, const uint8_t *data, size_t len)
{
    struct side *s = user;
    assert_true(len > 0 && len <= OKNO_DTLS_MTU);
    assert_true(s->queued < MAX_QUEUE);
    memcpy(s->queue[s->queued], data, len);
    s->queue_len[s->queued++] = len;
    s->sent_total++;
    if (len > s->largest)
        s->largest = len;
}

static void rec_connected(void *user, const struct okno_dtls_keys *keys)
{
    struct side *s = user;
    s->connected++;
    s->keys = *keys;
}

static void rec_closed(void *user, int err, const char *reason)
{
    struct side *s = user;
    s->closed++;
    s->close_err = err;
    snprintf(s->reason, sizeof s->reason, "%s", reason);
}

struct link_opts {
    enum okno_srtp_profile client_profile, server_profile;
    int client_gets_wrong_fp, server_gets_wrong_fp;
    int other_hashes; /* client checks the server with SHA-1, server checks the client with SHA-512
                       */
    uint32_t initial_rto_us, max_rto_us;
};

static void make_side(struct side *s, enum okno_dtls_role role, const struct okno_cert *remote,
                      enum okno_srtp_profile profile, uint32_t rto, uint32_t max_rto,
                      const enum okno_fp_alg *alg)
{
    struct okno_dtls_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.role = role;
    cfg.cert = s->cert;
    cfg.profile = profile;
    cfg.initial_rto_us = rto;
    cfg.max_rto_us = max_rto;
    if (alg)
        assert_int_equal(okno_cert_fingerprint(remote, *alg, &cfg.remote_fingerprint), 0);
    else
        assert_int_equal(
            okno_cert_fingerprint_parse(okno_cert_fingerprint_sdp(remote), &cfg.remote_fingerprint),
            0);
    struct okno_dtls_listener l = {rec_send, rec_connected, rec_closed, s};
    assert_int_equal(okno_dtls_create(&cfg, &l, &s->dtls), 0);
    assert_int_equal(okno_dtls_state(s->dtls), OKNO_DTLS_NEW);
}

static struct link *link_new(const struct link_opts *o)
{
    struct link *k = calloc(1, sizeof *k);
    assert_non_null(k);
    struct okno_cert *stranger = NULL;
    const enum okno_fp_alg sha1 = OKNO_FP_SHA1, sha512 = OKNO_FP_SHA512;
    assert_int_equal(okno_cert_generate("client", &k->client.cert), 0);
    assert_int_equal(okno_cert_generate("server", &k->server.cert), 0);
    assert_int_equal(okno_cert_generate("stranger", &stranger), 0);
    make_side(&k->client, OKNO_DTLS_CLIENT, o->client_gets_wrong_fp ? stranger : k->server.cert,
              o->client_profile, o->initial_rto_us, o->max_rto_us, o->other_hashes ? &sha1 : NULL);
    make_side(&k->server, OKNO_DTLS_SERVER, o->server_gets_wrong_fp ? stranger : k->client.cert,
              o->server_profile, o->initial_rto_us, o->max_rto_us,
              o->other_hashes ? &sha512 : NULL);
    okno_cert_free(stranger);
    return k;
}

static void link_free(struct link *k)
{
    okno_dtls_free(k->client.dtls);
    okno_dtls_free(k->server.dtls);
    okno_cert_free(k->client.cert);
    okno_cert_free(k->server.cert);
    free(k);
}

/* Delivers from's queue to to; returns the number of datagrams handed over. */
static size_t deliver(struct side *from, struct side *to, int64_t now)
{
    size_t n = from->queued;
    if (n == 0)
        return 0;
    static uint8_t batch[MAX_QUEUE][OKNO_DTLS_MAX_DATAGRAM];
    size_t lens[MAX_QUEUE];
    memcpy(batch, from->queue, sizeof batch);
    memcpy(lens, from->queue_len, sizeof lens);
    from->queued = 0;
    if (++from->batches == from->drop_batch)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (okno_dtls_state(to->dtls) == OKNO_DTLS_CONNECTING ||
            okno_dtls_state(to->dtls) == OKNO_DTLS_CONNECTED)
            (void)okno_dtls_feed(to->dtls, batch[i], lens[i], now);
    }
    return n;
}

static void pump(struct link *k, int64_t now)
{
    for (int round = 0; round < 50; round++) {
        size_t moved = deliver(&k->client, &k->server, now);
        moved += deliver(&k->server, &k->client, now);
        if (moved == 0)
            return;
    }
    fail_msg("endpoints kept talking for 50 rounds");
}

static struct link *handshake(const struct link_opts *o)
{
    struct link *k = link_new(o);
    assert_int_equal(okno_dtls_start(k->server.dtls, 0), 0);
    assert_int_equal(okno_dtls_start(k->client.dtls, 0), 0);
    pump(k, 0);
    return k;
}

static void assert_keys_crosswise(const struct link *k, enum okno_srtp_profile profile)
{
    const struct okno_dtls_keys *c = &k->client.keys, *s = &k->server.keys;
    if (okno_dtls_state(k->client.dtls) != OKNO_DTLS_CONNECTED ||
        okno_dtls_state(k->server.dtls) != OKNO_DTLS_CONNECTED)
        print_error("client: %s; server: %s\n", okno_dtls_reason(k->client.dtls),
                    okno_dtls_reason(k->server.dtls));
    assert_int_equal(k->client.connected, 1);
    assert_int_equal(k->server.connected, 1);
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_CONNECTED);
    assert_int_equal(okno_dtls_state(k->server.dtls), OKNO_DTLS_CONNECTED);
    assert_int_equal(c->profile, profile);
    assert_int_equal(s->profile, profile);
    size_t kl = (size_t)okno_srtp_profile_key_len(profile);
    size_t sl = (size_t)okno_srtp_profile_salt_len(profile);
    assert_int_equal(c->local.key_len, kl);
    assert_int_equal(c->local.salt_len, sl);
    assert_int_equal(s->remote.key_len, kl);
    assert_int_equal(s->remote.salt_len, sl);
    assert_memory_equal(c->local.key, s->remote.key, kl);
    assert_memory_equal(c->local.salt, s->remote.salt, sl);
    assert_memory_equal(c->remote.key, s->local.key, kl);
    assert_memory_equal(c->remote.salt, s->local.salt, sl);
    assert_memory_not_equal(c->local.key, c->remote.key, kl);
    assert_int_equal(okno_dtls_next_timeout_us(k->client.dtls, 5), INT64_MAX);
    assert_true(k->client.largest <= OKNO_DTLS_MTU && k->server.largest <= OKNO_DTLS_MTU);
}

static void test_dtls_handshake_agrees_on_gcm_by_default(void **state)
{
    (void)state;
    struct link_opts o = {0};
    struct link *k = handshake(&o);
    assert_keys_crosswise(k, OKNO_SRTP_AEAD_AES_128_GCM);
    link_free(k);
}

static void test_dtls_handshake_agrees_on_cm_sha1_80_when_forced_on_both(void **state)
{
    (void)state;
    struct link_opts o = {.client_profile = OKNO_SRTP_AES128_CM_SHA1_80,
                          .server_profile = OKNO_SRTP_AES128_CM_SHA1_80};
    struct link *k = handshake(&o);
    assert_keys_crosswise(k, OKNO_SRTP_AES128_CM_SHA1_80);
    link_free(k);
}

static void test_dtls_server_falls_back_to_cm_when_client_offers_only_cm(void **state)
{
    (void)state;
    struct link_opts o = {.client_profile = OKNO_SRTP_AES128_CM_SHA1_80};
    struct link *k = handshake(&o);
    assert_keys_crosswise(k, OKNO_SRTP_AES128_CM_SHA1_80);
    link_free(k);
}

static void test_dtls_handshake_without_common_srtp_profile_fails(void **state)
{
    (void)state;
    struct link_opts o = {.client_profile = OKNO_SRTP_AEAD_AES_128_GCM,
                          .server_profile = OKNO_SRTP_AES128_CM_SHA1_80};
    struct link *k = handshake(&o);
    assert_int_equal(k->server.connected + k->client.connected, 0);
    assert_int_equal(okno_dtls_state(k->server.dtls), OKNO_DTLS_FAILED);
    assert_int_equal(k->server.close_err, OKNO_E_UNSUPPORTED);
    assert_non_null(strstr(okno_dtls_reason(k->server.dtls), "SRTP"));
    link_free(k);
}

static void test_dtls_handshake_accepts_sha1_and_sha512_fingerprints(void **state)
{
    (void)state;
    struct link_opts o = {.other_hashes = 1};
    struct link *k = handshake(&o);
    assert_keys_crosswise(k, OKNO_SRTP_AEAD_AES_128_GCM);
    link_free(k);
}

static void test_dtls_client_rejects_server_with_wrong_fingerprint(void **state)
{
    (void)state;
    struct link_opts o = {.client_gets_wrong_fp = 1};
    struct link *k = handshake(&o);
    assert_int_equal(k->client.connected, 0);
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_FAILED);
    assert_int_equal(k->client.closed, 1);
    assert_int_equal(k->client.close_err, OKNO_E_DENIED);
    assert_non_null(strstr(k->client.reason, "fingerprint"));
    /* the server hears why through the alert the client sent */
    assert_int_equal(okno_dtls_state(k->server.dtls), OKNO_DTLS_FAILED);
    assert_int_equal(k->server.close_err, OKNO_E_CLOSED);
    assert_non_null(strstr(k->server.reason, "bad certificate"));
    assert_int_equal(k->server.connected, 0);
    link_free(k);
}

static void test_dtls_server_rejects_client_with_wrong_fingerprint(void **state)
{
    (void)state;
    struct link_opts o = {.server_gets_wrong_fp = 1};
    struct link *k = handshake(&o);
    assert_int_equal(k->server.connected + k->client.connected, 0);
    assert_int_equal(k->server.close_err, OKNO_E_DENIED);
    assert_string_equal(okno_dtls_reason(k->server.dtls),
                        "remote certificate fingerprint does not match the SDP a=fingerprint");
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_FAILED);
    assert_int_equal(k->client.close_err, OKNO_E_CLOSED);
    link_free(k);
}

/* OpenSSL 3.0 times its DTLS retransmissions with gettimeofday() and cannot be given a clock, so
 * the timer tests use short timeouts and sleep until the deadline the endpoints report. The
 * caller's clock is the monotonic one moved to an arbitrary epoch, to show deadlines come back in
 * the caller's clock whatever its origin. */
#define CALLER_EPOCH_US INT64_C(1000000000000)

static int64_t caller_now(void)
{
    return g_get_monotonic_time() + CALLER_EPOCH_US;
}

static int drive_timers(struct link *k, int max_timeouts)
{
    int fired = 0;
    for (int i = 0; i < max_timeouts * 4 && fired < max_timeouts; i++) {
        if (k->client.connected && k->server.connected)
            break;
        int64_t now = caller_now();
        int64_t dc = okno_dtls_next_timeout_us(k->client.dtls, now);
        int64_t ds = okno_dtls_next_timeout_us(k->server.dtls, now);
        int64_t due = dc < ds ? dc : ds;
        assert_true(due != INT64_MAX);
        assert_true(due >= now);
        if (due > now)
            g_usleep((gulong)(due - now));
        now = caller_now();
        int rc = okno_dtls_on_timeout(k->client.dtls, now);
        int rs = okno_dtls_on_timeout(k->server.dtls, now);
        assert_true(rc >= 0 && rs >= 0);
        fired += rc + rs;
        pump(k, now);
    }
    return fired;
}

static void test_dtls_dropped_client_hello_is_retransmitted_on_timeout(void **state)
{
    (void)state;
    struct link_opts o = {.initial_rto_us = 40000};
    struct link *k = link_new(&o);
    int64_t now = caller_now();
    assert_int_equal(okno_dtls_next_timeout_us(k->client.dtls, now), INT64_MAX); /* not started */
    assert_int_equal(okno_dtls_start(k->server.dtls, now), 0);
    assert_int_equal(okno_dtls_start(k->client.dtls, now), 0);
    assert_int_equal(okno_dtls_next_timeout_us(k->server.dtls, now), INT64_MAX); /* sent nothing */
    int64_t due = okno_dtls_next_timeout_us(k->client.dtls, now);
    assert_true(due > now && due <= now + 40000);
    k->client.drop_batch = 1;
    pump(k, now);
    assert_int_equal(k->server.sent_total, 0); /* the server never heard anything */
    size_t sent = k->client.sent_total;
    assert_int_equal(okno_dtls_on_timeout(k->client.dtls, now), 0); /* not due yet */
    assert_int_equal(k->client.sent_total, sent);
    assert_true(drive_timers(k, 3) >= 1);
    assert_true(k->client.sent_total > sent);
    assert_keys_crosswise(k, OKNO_SRTP_AEAD_AES_128_GCM);
    link_free(k);
}

static void test_dtls_dropped_final_server_flight_is_recovered_by_client_timer(void **state)
{
    (void)state;
    struct link_opts o = {.initial_rto_us = 40000};
    struct link *k = link_new(&o);
    k->server.drop_batch = 2; /* ChangeCipherSpec + Finished */
    int64_t now = caller_now();
    assert_int_equal(okno_dtls_start(k->server.dtls, now), 0);
    assert_int_equal(okno_dtls_start(k->client.dtls, now), 0);
    pump(k, now);
    /* the server is done, the client still waits for its Finished */
    assert_int_equal(k->server.connected, 1);
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_CONNECTING);
    assert_true(drive_timers(k, 3) >= 1);
    assert_keys_crosswise(k, OKNO_SRTP_AEAD_AES_128_GCM); /* each side connected exactly once */
    link_free(k);
}

static void test_dtls_handshake_gives_up_after_last_retransmission(void **state)
{
    (void)state;
    struct link_opts o = {.initial_rto_us = 20000, .max_rto_us = 20000};
    struct link *k = link_new(&o);
    assert_int_equal(okno_dtls_start(k->client.dtls, caller_now()), 0);
    int retransmissions = 0, err = 0;
    for (int i = 0; i < 40 && err == 0; i++) {
        int64_t now = caller_now();
        int64_t due = okno_dtls_next_timeout_us(k->client.dtls, now);
        assert_true(due != INT64_MAX && due - now <= 20000);
        if (due > now)
            g_usleep((gulong)(due - now));
        err = okno_dtls_on_timeout(k->client.dtls, caller_now());
        if (err > 0) {
            retransmissions++;
            err = 0;
        }
    }
    assert_int_equal(err, OKNO_E_TIMEOUT);
    assert_true(retransmissions >= 10); /* OpenSSL's budget is twelve timeouts */
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_FAILED);
    assert_int_equal(k->client.close_err, OKNO_E_TIMEOUT);
    assert_non_null(strstr(k->client.reason, "timed out"));
    assert_int_equal(okno_dtls_next_timeout_us(k->client.dtls, 0), INT64_MAX);
    assert_int_equal(k->client.sent_total, (size_t)retransmissions + 1); /* one ClientHello each */
    link_free(k);
}

static void test_dtls_feed_rejects_malformed_datagrams_and_handshake_survives(void **state)
{
    (void)state;
    struct link_opts o = {0};
    struct link *k = link_new(&o);
    struct okno_dtls *srv = k->server.dtls;
    uint8_t d[OKNO_DTLS_MAX_DATAGRAM + 1];
    memset(d, 0, sizeof d);
    assert_int_equal(okno_dtls_feed(srv, d, 20, 0), OKNO_E_STATE); /* before start */
    assert_int_equal(okno_dtls_start(srv, 0), 0);
    assert_int_equal(okno_dtls_start(srv, 0), OKNO_E_STATE);
    assert_int_equal(okno_dtls_feed(srv, d, 0, 0), OKNO_E_TRUNCATED);
    size_t n =
        okno_test_hex("16 fe fd 0000 000000000000 0010 # handshake header, 16 bytes announced\n"
                      "01 02 03                      # but only 3 follow\n",
                      d, sizeof d);
    assert_int_equal(okno_dtls_feed(srv, d, n, 0), OKNO_E_TRUNCATED);
    assert_int_equal(okno_dtls_feed(srv, d, 12, 0), OKNO_E_TRUNCATED); /* short header */
    d[0] = 0x19; /* content type 25 (tls12_cid), not DTLS 1.2 without connection ids */
    assert_int_equal(okno_dtls_feed(srv, d, n, 0), OKNO_E_MALFORMED);
    d[0] = 0x16;
    d[1] = 0x03; /* TLS, not DTLS */
    assert_int_equal(okno_dtls_feed(srv, d, n, 0), OKNO_E_MALFORMED);
    memset(d, 0x17, sizeof d);
    assert_int_equal(okno_dtls_feed(srv, d, sizeof d, 0), OKNO_E_RANGE);
    /* protected but shorter than nonce and tag: OpenSSL would end the connection on it */
    n = okno_test_hex("17 fe fd 0001 000000000007 0008 # application data, epoch 1\n"
                      "de ad be ef de ad be ef\n",
                      d, sizeof d);
    assert_int_equal(okno_dtls_feed(srv, d, n, 0), OKNO_E_MALFORMED);
    /* well framed but from an epoch the handshake has not reached: OpenSSL buffers the first and
     * drops it when its decryption fails after the handshake, and drops the second at once */
    n = okno_test_hex("17 fe fd 0001 000000000007 0018 # application data, epoch 1\n"
                      "de ad be ef de ad be ef 0123456789abcdef 0123456789abcdef\n"
                      "16 fe fd 0005 000000000001 0018 # handshake, epoch 5, same datagram\n"
                      "01 00 00 00 00000000 0123456789abcdef 0123456789abcdef\n",
                      d, sizeof d);
    assert_int_equal(okno_dtls_feed(srv, d, n, 0), 0);
    assert_int_equal(okno_dtls_state(srv), OKNO_DTLS_CONNECTING);
    assert_int_equal(k->server.sent_total, 0);
    assert_int_equal(okno_dtls_start(k->client.dtls, 0), 0);
    pump(k, 0);
    assert_keys_crosswise(k, OKNO_SRTP_AEAD_AES_128_GCM);
    /* after the handshake, forged epoch-1 records fail decryption and are dropped */
    n = okno_test_hex("17 fe fd 0001 000000000063 0030 # application data, epoch 1, seq 99\n"
                      "00112233445566778899aabbccddeeff 00112233445566778899aabbccddeeff\n"
                      "00112233445566778899aabbccddeeff\n",
                      d, sizeof d);
    assert_int_equal(okno_dtls_feed(k->client.dtls, d, n, 0), 0);
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_CONNECTED);
    n = okno_test_hex("15 fe fd 0001 000000000064 0002 # alert, epoch 1, unprotected\n"
                      "02 28\n",
                      d, sizeof d);
    assert_int_equal(okno_dtls_feed(k->client.dtls, d, n, 0), OKNO_E_MALFORMED);
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_CONNECTED);
    link_free(k);
}

/* xorshift, so failures reproduce */
static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Frames the len random bytes at d as one DTLS record of a random content type (20..23), DTLS
 * minor version `minor` (0xfd 1.2, 0xff 1.0) and a random epoch below `epochs`. */
static void frame_random_record(uint8_t *d, size_t len, uint8_t minor, unsigned epochs,
                                uint32_t *seed)
{
    d[0] = (uint8_t)(20 + next_rand(seed) % 4);
    d[1] = 0xfe;
    d[2] = minor;
    d[3] = 0;
    d[4] = (uint8_t)(next_rand(seed) % epochs);
    d[11] = (uint8_t)((len - 13) >> 8);
    d[12] = (uint8_t)(len - 13);
}

static void test_dtls_random_records_never_crash_an_endpoint(void **state)
{
    (void)state;
    struct link_opts o = {0};
    struct link *k = link_new(&o);
    assert_int_equal(okno_dtls_start(k->server.dtls, 0), 0);
    uint32_t seed = 0x2545f491;
    uint8_t d[OKNO_DTLS_MAX_DATAGRAM];
    int restarts = 0;
    for (int i = 0; i < 3000; i++) {
        size_t len = 1 + next_rand(&seed) % 400;
        for (size_t j = 0; j < len; j++)
            d[j] = (uint8_t)next_rand(&seed);
        if (len >= 13 && (i % 4) != 0) {
            /* frame most of them as one record so the bytes reach OpenSSL */
            frame_random_record(d, len, (i & 1) ? 0xfd : 0xff, 2, &seed);
        }
        int err = okno_dtls_feed(k->server.dtls, d, len, 0);
        enum okno_dtls_state st = okno_dtls_state(k->server.dtls);
        assert_true(err <= 0);
        if (st == OKNO_DTLS_FAILED) {
            assert_true(err < 0);
            assert_true(strlen(okno_dtls_reason(k->server.dtls)) > 0);
            okno_dtls_free(k->server.dtls);
            make_side(&k->server, OKNO_DTLS_SERVER, k->client.cert, 0, 0, 0, NULL);
            assert_int_equal(okno_dtls_start(k->server.dtls, 0), 0);
            restarts++;
        } else {
            assert_int_equal(st, OKNO_DTLS_CONNECTING);
        }
        k->server.queued = 0; /* whatever it answered goes nowhere */
    }
    /* a fresh pair still completes, so nothing above leaked state between endpoints */
    okno_dtls_free(k->server.dtls);
    make_side(&k->server, OKNO_DTLS_SERVER, k->client.cert, 0, 0, 0, NULL);
    assert_int_equal(okno_dtls_start(k->server.dtls, 0), 0);
    assert_int_equal(okno_dtls_start(k->client.dtls, 0), 0);
    pump(k, 0);
    assert_keys_crosswise(k, OKNO_SRTP_AEAD_AES_128_GCM);
    link_free(k);
    print_message("# %d endpoints failed on random records and were replaced\n", restarts);
}

/* Nothing a third party can put on the 5-tuple without the keys may end an established association:
 * records of every type and epoch, whole or short, are dropped by our framing check or by OpenSSL.
 */
static void test_dtls_forged_records_never_end_a_connection(void **state)
{
    (void)state;
    struct link_opts o = {0};
    struct link *k = handshake(&o);
    assert_keys_crosswise(k, OKNO_SRTP_AEAD_AES_128_GCM);
    uint32_t seed = 0x9e3779b9;
    uint8_t d[OKNO_DTLS_MAX_DATAGRAM];
    int dropped_unread = 0;
    for (int i = 0; i < 4000; i++) {
        size_t len = 13 + next_rand(&seed) % 300;
        for (size_t j = 0; j < len; j++)
            d[j] = (uint8_t)next_rand(&seed);
        /* the old epoch, the current one, the next */
        frame_random_record(d, len, 0xfd, 3, &seed);
        struct side *target = (i & 1) ? &k->client : &k->server;
        int err = okno_dtls_feed(target->dtls, d, len, 0);
        if (err == OKNO_E_MALFORMED)
            dropped_unread++;
        else if (err != 0 || okno_dtls_state(target->dtls) != OKNO_DTLS_CONNECTED)
            fail_msg("record %d (type %u, epoch %u, %zu bytes) ended the %s: %s", i, d[0], d[4],
                     len - 13, (i & 1) ? "client" : "server", okno_dtls_reason(target->dtls));
        target->queued = 0;
    }
    assert_true(dropped_unread > 0 && dropped_unread < 4000);
    assert_int_equal(k->client.closed + k->server.closed, 0);
    link_free(k);
}

/* OpenSSL 3.0 discards a record of the wrong version by its header alone and reads on from its
 * body, so a third party could hide a short protected record (which OpenSSL answers with an
 * internal-error alert) inside the body of a record our framing check passed. Every record
 * version but the negotiated one must therefore be refused before OpenSSL sees the datagram. */
static void test_dtls_record_hidden_in_a_wrong_version_record_never_ends_a_connection(void **state)
{
    (void)state;
    struct link_opts o = {0};
    struct link *k = handshake(&o);
    assert_keys_crosswise(k, OKNO_SRTP_AEAD_AES_128_GCM);
    /* application data, DTLS 1.2, epoch 1, sequence 9, 5 bytes: shorter than a GCM record can be */
    const uint8_t inner[] = {0x17, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 5, 1, 2, 3, 4, 5};
    const uint16_t versions[] = {0xfeff, 0xfefc, 0xfe00, 0xfefe, 0xfe5b};
    for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
        for (int type = 20; type <= 23; type++) {
            uint8_t d[13 + sizeof inner] = {(uint8_t)type, (uint8_t)(versions[v] >> 8),
                                            (uint8_t)versions[v]};
            d[10] = 7;
            d[12] = sizeof inner;
            memcpy(d + 13, inner, sizeof inner);
            struct side *target = (type & 1) ? &k->client : &k->server;
            int err = okno_dtls_feed(target->dtls, d, sizeof d, 0);
            if (okno_dtls_state(target->dtls) != OKNO_DTLS_CONNECTED)
                fail_msg("version %04x type %d ended the %s: %s", versions[v], type,
                         (type & 1) ? "client" : "server", okno_dtls_reason(target->dtls));
            assert_int_equal(err, OKNO_E_MALFORMED);
            target->queued = 0;
        }
    }
    assert_int_equal(k->client.closed + k->server.closed, 0);
    link_free(k);
}

static void test_dtls_close_notify_reaches_the_peer(void **state)
{
    (void)state;
    struct link_opts o = {0};
    struct link *k = handshake(&o);
    assert_int_equal(okno_dtls_close(k->client.dtls), 0);
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_CLOSED);
    assert_int_equal(k->client.closed, 0); /* local close is not reported back */
    assert_int_equal(okno_dtls_close(k->client.dtls), OKNO_E_STATE);
    pump(k, 0);
    assert_int_equal(k->server.closed, 1);
    assert_int_equal(k->server.close_err, 0);
    assert_string_equal(k->server.reason, "peer sent close_notify");
    assert_int_equal(okno_dtls_state(k->server.dtls), OKNO_DTLS_CLOSED);
    uint8_t d[16] = {0x17, 0xfe, 0xfd};
    assert_int_equal(okno_dtls_feed(k->server.dtls, d, 13, 0), OKNO_E_STATE);
    link_free(k);
}

/* A close_notify before the keys exist is unauthenticated and leaves nothing to close: the
 * handshake failed, and says so, whether the endpoint awaited its first flight or was mid-way. */
static void test_dtls_close_notify_during_handshake_fails_it(void **state)
{
    (void)state;
    /* plaintext alert record, epoch 0, sequence 2: warning(1), close_notify(0) */
    const uint8_t close_notify[] = {0x15, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 1, 0};
    struct link_opts o = {0};
    struct link *k = link_new(&o);
    assert_int_equal(okno_dtls_start(k->server.dtls, 0), 0);
    assert_int_equal(okno_dtls_feed(k->server.dtls, close_notify, sizeof close_notify, 0),
                     OKNO_E_CLOSED);
    assert_int_equal(okno_dtls_state(k->server.dtls), OKNO_DTLS_FAILED);
    assert_int_equal(k->server.closed, 1);
    assert_int_equal(k->server.close_err, OKNO_E_CLOSED);
    assert_string_equal(k->server.reason, "peer sent close_notify before the handshake completed");
    /* the client has sent its ClientHello and waits for the server's flight */
    assert_int_equal(okno_dtls_start(k->client.dtls, 0), 0);
    assert_true(k->client.queued > 0);
    k->client.queued = 0;
    assert_int_equal(okno_dtls_feed(k->client.dtls, close_notify, sizeof close_notify, 0),
                     OKNO_E_CLOSED);
    assert_int_equal(okno_dtls_state(k->client.dtls), OKNO_DTLS_FAILED);
    assert_int_equal(k->client.close_err, OKNO_E_CLOSED);
    assert_int_equal(okno_dtls_next_timeout_us(k->client.dtls, 0), INT64_MAX);
    link_free(k);
}

static void test_dtls_exported_keys_carry_srtp_between_the_peers(void **state)
{
    (void)state;
    struct link_opts o = {0};
    struct link *k = handshake(&o);
    const struct okno_dtls_keys *c = &k->client.keys, *s = &k->server.keys;
    struct okno_srtp *c_out, *c_in, *s_out, *s_in;
    assert_int_equal(okno_srtp_create(OKNO_SRTP_OUTBOUND, c->profile, &c->local, &c_out), 0);
    assert_int_equal(okno_srtp_create(OKNO_SRTP_INBOUND, c->profile, &c->remote, &c_in), 0);
    assert_int_equal(okno_srtp_create(OKNO_SRTP_OUTBOUND, s->profile, &s->local, &s_out), 0);
    assert_int_equal(okno_srtp_create(OKNO_SRTP_INBOUND, s->profile, &s->remote, &s_in), 0);
    uint32_t buf[32];
    uint8_t *p = (uint8_t *)buf;
    uint8_t orig[64];
    size_t n = okno_test_hex("80 6f 7e a3       # V=2, PT=111, seq 32419\n"
                             "1a 21 24 98       # timestamp\n"
                             "21 cf 9e 72       # SSRC\n"
                             "f8 ff fe 01 02 03 # payload\n",
                             orig, sizeof orig);
    /* client -> server */
    size_t len = n;
    memcpy(p, orig, n);
    assert_int_equal(okno_srtp_protect_rtp(c_out, p, &len, sizeof buf), 0);
    assert_int_equal(okno_srtp_unprotect_rtp(s_in, p, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(p, orig, n);
    /* server -> client, next sequence number; only the client's inbound session can open it */
    orig[3]++;
    memcpy(p, orig, n);
    len = n;
    assert_int_equal(okno_srtp_protect_rtp(s_out, p, &len, sizeof buf), 0);
    uint32_t copy[32];
    memcpy(copy, buf, sizeof copy);
    size_t len2 = len;
    assert_int_equal(okno_srtp_unprotect_rtp(s_in, (uint8_t *)copy, &len2), OKNO_SRTP_E_AUTH);
    assert_int_equal(okno_srtp_unprotect_rtp(c_in, p, &len), 0);
    assert_memory_equal(p, orig, n);
    okno_srtp_free(c_out);
    okno_srtp_free(c_in);
    okno_srtp_free(s_out);
    okno_srtp_free(s_in);
    link_free(k);
}

static void test_dtls_setup_attributes_map_to_roles(void **state)
{
    (void)state;
    enum okno_dtls_role r;
    assert_int_equal(okno_dtls_role_from_setup("active", &r), 0);
    assert_int_equal(r, OKNO_DTLS_CLIENT);
    assert_int_equal(okno_dtls_role_from_setup("passive", &r), 0);
    assert_int_equal(r, OKNO_DTLS_SERVER);
    assert_int_equal(okno_dtls_role_from_setup("actpass", &r), OKNO_E_INVAL);
    assert_string_equal(okno_dtls_answer_setup("actpass"), "active");
    assert_string_equal(okno_dtls_answer_setup("passive"), "active");
    assert_string_equal(okno_dtls_answer_setup("active"), "passive");
    assert_null(okno_dtls_answer_setup("holdconn"));
    assert_null(okno_dtls_answer_setup(NULL));
}

static void test_dtls_create_refuses_incomplete_configuration(void **state)
{
    (void)state;
    struct okno_cert *cert = NULL;
    assert_int_equal(okno_cert_generate(NULL, &cert), 0);
    struct okno_dtls_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cert = cert;
    struct side s;
    struct okno_dtls_listener l = {rec_send, NULL, NULL, &s};
    struct okno_dtls *d = NULL;
    assert_int_equal(okno_dtls_create(&cfg, &l, &d), OKNO_E_INVAL); /* no remote fingerprint */
    assert_int_equal(okno_cert_fingerprint(cert, OKNO_FP_SHA256, &cfg.remote_fingerprint), 0);
    l.send = NULL;
    assert_int_equal(okno_dtls_create(&cfg, &l, &d), OKNO_E_INVAL);
    l.send = rec_send;
    cfg.profile = (enum okno_srtp_profile)2; /* SRTP_AES128_CM_SHA1_32: not ours */
    assert_int_equal(okno_dtls_create(&cfg, &l, &d), OKNO_E_UNSUPPORTED);
    assert_null(d);
    cfg.profile = 0;
    assert_int_equal(okno_dtls_create(&cfg, &l, &d), 0);
    okno_cert_free(cert); /* the endpoint holds its own references */
    assert_int_equal(okno_dtls_close(d), 0);
    okno_dtls_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtls_handshake_agrees_on_gcm_by_default),
        cmocka_unit_test(test_dtls_handshake_agrees_on_cm_sha1_80_when_forced_on_both),
        cmocka_unit_test(test_dtls_server_falls_back_to_cm_when_client_offers_only_cm),
        cmocka_unit_test(test_dtls_handshake_without_common_srtp_profile_fails),
        cmocka_unit_test(test_dtls_handshake_accepts_sha1_and_sha512_fingerprints),
        cmocka_unit_test(test_dtls_client_rejects_server_with_wrong_fingerprint),
        cmocka_unit_test(test_dtls_server_rejects_client_with_wrong_fingerprint),
        cmocka_unit_test(test_dtls_dropped_client_hello_is_retransmitted_on_timeout),
        cmocka_unit_test(test_dtls_dropped_final_server_flight_is_recovered_by_client_timer),
        cmocka_unit_test(test_dtls_handshake_gives_up_after_last_retransmission),
        cmocka_unit_test(test_dtls_feed_rejects_malformed_datagrams_and_handshake_survives),
        cmocka_unit_test(test_dtls_random_records_never_crash_an_endpoint),
        cmocka_unit_test(test_dtls_forged_records_never_end_a_connection),
        cmocka_unit_test(test_dtls_record_hidden_in_a_wrong_version_record_never_ends_a_connection),
        cmocka_unit_test(test_dtls_close_notify_reaches_the_peer),
        cmocka_unit_test(test_dtls_close_notify_during_handshake_fails_it),
        cmocka_unit_test(test_dtls_exported_keys_carry_srtp_between_the_peers),
        cmocka_unit_test(test_dtls_setup_attributes_map_to_roles),
        cmocka_unit_test(test_dtls_create_refuses_incomplete_configuration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
