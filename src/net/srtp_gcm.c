/* AEAD_AES_128_GCM sender sessions on OpenSSL EVP, byte-identical to libsrtp2's (srtp_gcm.h). */
#include "net/srtp_gcm.h"

#include <glib.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

#include "net/srtp.h"
#include "wire/bytes.h"

/* RFC 3711 4.3.1 key derivation labels used by AEAD profiles (no authentication keys). */
enum { LABEL_RTP_KEY = 0, LABEL_RTP_SALT = 2, LABEL_RTCP_KEY = 3, LABEL_RTCP_SALT = 5 };

#define SEQ_MEDIAN (1 << 15)
#define SEQ_MAX    (1 << 16)
#define SRTCP_E    0x80000000u
#define SRTCP_MAX  0x7fffffffu

/* Sender state of one SSRC, as libsrtp2 keeps it per stream. */
struct ssrc_state {
    uint64_t rtp_index; /* highest RTP index sent: ROC << 16 | SEQ (0 before any) */
    uint32_t ssrc;
    uint32_t rtcp_index; /* last SRTCP index used (0 before any) */
    bool used;
};

struct okno_srtp_gcm {
    EVP_CIPHER_CTX *rtp;  /* owned, keyed with the RTP session key */
    EVP_CIPHER_CTX *rtcp; /* owned, keyed with the RTCP session key */
    uint8_t rtp_salt[OKNO_SRTP_GCM_SALT_LEN];
    uint8_t rtcp_salt[OKNO_SRTP_GCM_SALT_LEN];
    /* Open addressing, linear probing, a power-of-two size kept at most half full. */
    struct ssrc_state *table; /* owned */
    unsigned size, count;
};

/* One AES-CM keystream block of the key derivation: AES_k(x || 0^16), x = master salt (padded to
 * 14 bytes with zeros) XOR the label at byte 7; out takes its first n (<= 16) bytes. */
static int derive(EVP_CIPHER_CTX *ecb, const uint8_t *salt, uint8_t label, uint8_t *out, size_t n)
{
    uint8_t block[16] = {0}, ks[32];
    memcpy(block, salt, OKNO_SRTP_GCM_SALT_LEN);
    block[7] ^= label;
    int outl = 0;
    int ok = EVP_EncryptUpdate(ecb, ks, &outl, block, sizeof block) == 1 && outl == 16;
    memcpy(out, ks, n);
    OPENSSL_cleanse(ks, sizeof ks);
    return ok ? 0 : OKNO_E_IO;
}

static EVP_CIPHER_CTX *gcm_ctx(const uint8_t *key)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, NULL) == 1)
        return c;
    EVP_CIPHER_CTX_free(c);
    return NULL;
}

int okno_srtp_gcm_new(const uint8_t *master_key, const uint8_t *master_salt,
                      struct okno_srtp_gcm **out)
{
    if (!master_key || !master_salt || !out)
        return OKNO_E_INVAL;
    *out = NULL;
    uint8_t rtp_key[16], rtcp_key[16];
    struct okno_srtp_gcm *g = g_try_new0(struct okno_srtp_gcm, 1);
    if (!g)
        return OKNO_E_NOMEM;
    EVP_CIPHER_CTX *ecb = EVP_CIPHER_CTX_new();
    int rc = OKNO_E_IO;
    if (ecb && EVP_EncryptInit_ex(ecb, EVP_aes_128_ecb(), NULL, master_key, NULL) == 1 &&
        EVP_CIPHER_CTX_set_padding(ecb, 0) == 1 &&
        derive(ecb, master_salt, LABEL_RTP_KEY, rtp_key, sizeof rtp_key) == 0 &&
        derive(ecb, master_salt, LABEL_RTP_SALT, g->rtp_salt, sizeof g->rtp_salt) == 0 &&
        derive(ecb, master_salt, LABEL_RTCP_KEY, rtcp_key, sizeof rtcp_key) == 0 &&
        derive(ecb, master_salt, LABEL_RTCP_SALT, g->rtcp_salt, sizeof g->rtcp_salt) == 0) {
        g->rtp = gcm_ctx(rtp_key);
        g->rtcp = gcm_ctx(rtcp_key);
        if (g->rtp && g->rtcp)
            rc = 0;
    }
    EVP_CIPHER_CTX_free(ecb);
    OPENSSL_cleanse(rtp_key, sizeof rtp_key);
    OPENSSL_cleanse(rtcp_key, sizeof rtcp_key);
    if (rc == 0) {
        g->size = 16;
        g->table = g_try_new0(struct ssrc_state, g->size);
        if (!g->table)
            rc = OKNO_E_NOMEM;
    }
    if (rc != 0) {
        okno_srtp_gcm_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void okno_srtp_gcm_free(struct okno_srtp_gcm *g)
{
    if (!g)
        return;
    EVP_CIPHER_CTX_free(g->rtp); /* wipes the key schedule */
    EVP_CIPHER_CTX_free(g->rtcp);
    g_free(g->table);
    OPENSSL_cleanse(g, sizeof *g);
    g_free(g);
}

static unsigned slot_of(uint32_t ssrc, unsigned size)
{
    return (unsigned)((ssrc * 2654435761u) >> 8) & (size - 1);
}

static struct ssrc_state *insert(struct ssrc_state *table, unsigned size, uint32_t ssrc)
{
    unsigned i = slot_of(ssrc, size);
    while (table[i].used && table[i].ssrc != ssrc)
        i = (i + 1) & (size - 1);
    table[i].used = true;
    table[i].ssrc = ssrc;
    return &table[i];
}

/* The SSRC's state, made (zero) on its first packet, as libsrtp2 clones its template. */
static struct ssrc_state *state_of(struct okno_srtp_gcm *g, uint32_t ssrc)
{
    unsigned i = slot_of(ssrc, g->size);
    while (g->table[i].used) {
        if (g->table[i].ssrc == ssrc)
            return &g->table[i];
        i = (i + 1) & (g->size - 1);
    }
    if (2 * (g->count + 1) > g->size) {
        unsigned size = g->size * 2;
        struct ssrc_state *t = g_try_new0(struct ssrc_state, size);
        if (!t)
            return NULL;
        for (unsigned k = 0; k < g->size; k++) {
            if (g->table[k].used)
                *insert(t, size, g->table[k].ssrc) = g->table[k];
        }
        g_free(g->table);
        g->table = t;
        g->size = size;
    }
    g->count++;
    struct ssrc_state *st = insert(g->table, g->size, ssrc);
    st->rtp_index = 0;
    st->rtcp_index = 0;
    return st;
}

/* libsrtp2's srtp_rdbx_estimate_index (RFC 3711 3.3.1): the index of seq nearest the highest
 * sent, and how far ahead of it that is. */
static int32_t estimate(uint64_t local, uint16_t s, uint64_t *guess)
{
    if (local <= SEQ_MEDIAN) {
        *guess = s;
        return (int32_t)s - (int32_t)(uint16_t)local;
    }
    uint32_t roc = (uint32_t)(local >> 16);
    int32_t lseq = (uint16_t)local;
    int32_t diff = (int32_t)s - lseq;
    if (lseq < SEQ_MEDIAN) {
        if (diff > SEQ_MEDIAN) {
            roc--;
            diff -= SEQ_MAX;
        }
    } else if (lseq - SEQ_MEDIAN > (int32_t)s) {
        roc++;
        diff += SEQ_MAX;
    }
    *guess = (uint64_t)roc << 16 | s;
    return diff;
}

/* AES-GCM over pkt[aad_len..len) in place with pkt[0..aad_len) || extra (extra_len bytes) as
 * the additional data; the tag goes to tag. */
static int seal(EVP_CIPHER_CTX *c, const uint8_t *iv, uint8_t *pkt, size_t aad_len,
                const uint8_t *extra, size_t extra_len, size_t len, uint8_t *tag)
{
    int outl;
    if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) != 1 ||
        EVP_EncryptUpdate(c, NULL, &outl, pkt, (int)aad_len) != 1 ||
        (extra_len && EVP_EncryptUpdate(c, NULL, &outl, extra, (int)extra_len) != 1) ||
        EVP_EncryptUpdate(c, pkt + aad_len, &outl, pkt + aad_len, (int)(len - aad_len)) != 1 ||
        EVP_EncryptFinal_ex(c, pkt + len, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, OKNO_SRTP_GCM_TAG_LEN, tag) != 1)
        return OKNO_E_IO;
    return 0;
}

int okno_srtp_gcm_protect_rtp(struct okno_srtp_gcm *g, uint8_t *pkt, size_t *len, size_t hdr_len,
                              size_t cap)
{
    if (hdr_len < 12 || hdr_len > *len || *len > INT32_MAX)
        return OKNO_E_MALFORMED;
    if (cap < *len + OKNO_SRTP_GCM_TAG_LEN)
        return OKNO_E_NOSPC;
    uint32_t ssrc = okno_rd32(pkt + 8);
    struct ssrc_state *st = state_of(g, ssrc);
    if (!st)
        return OKNO_E_NOMEM;
    uint64_t idx;
    int32_t delta = estimate(st->rtp_index, okno_rd16(pkt + 2), &idx);
    /* As libsrtp2 with repeats allowed: refused only once out of the replay window. */
    if (delta + (OKNO_SRTP_REPLAY_WINDOW - 1) < 0)
        return OKNO_E_EXISTS; /* libsrtp2: replay_old */
    if (delta > 0)
        st->rtp_index = idx;
    /* RFC 7714 8.1: 00 00 || SSRC || ROC || SEQ, XOR the session salt. */
    uint8_t iv[OKNO_SRTP_GCM_SALT_LEN] = {0};
    okno_wr32(iv + 2, ssrc);
    okno_wr32(iv + 6, (uint32_t)(idx >> 16));
    okno_wr16(iv + 10, (uint16_t)idx);
    for (size_t i = 0; i < sizeof iv; i++)
        iv[i] ^= g->rtp_salt[i];
    int rc = seal(g->rtp, iv, pkt, hdr_len, NULL, 0, *len, pkt + *len);
    if (rc == 0)
        *len += OKNO_SRTP_GCM_TAG_LEN;
    return rc;
}

int okno_srtp_gcm_protect_rtcp(struct okno_srtp_gcm *g, uint8_t *pkt, size_t *len, size_t cap)
{
    if (*len < 8 || *len > INT32_MAX)
        return OKNO_E_MALFORMED;
    if (cap < *len + OKNO_SRTP_GCM_TAG_LEN + 4)
        return OKNO_E_NOSPC;
    uint32_t ssrc = okno_rd32(pkt + 4);
    struct ssrc_state *st = state_of(g, ssrc);
    if (!st)
        return OKNO_E_NOMEM;
    if (st->rtcp_index >= SRTCP_MAX)
        return OKNO_E_IO; /* libsrtp2: key_expired */
    uint32_t index = ++st->rtcp_index;
    /* RFC 7714 9.1: 00 00 || SSRC || 00 00 || 0 || SRTCP index, XOR the session salt; the E flag
     * and index follow the tag and are part of the additional data. */
    uint8_t iv[OKNO_SRTP_GCM_SALT_LEN] = {0}, trailer[4];
    okno_wr32(iv + 2, ssrc);
    okno_wr32(iv + 8, index);
    for (size_t i = 0; i < sizeof iv; i++)
        iv[i] ^= g->rtcp_salt[i];
    okno_wr32(trailer, SRTCP_E | index);
    int rc = seal(g->rtcp, iv, pkt, 8, trailer, sizeof trailer, *len, pkt + *len);
    if (rc != 0)
        return rc;
    memcpy(pkt + *len + OKNO_SRTP_GCM_TAG_LEN, trailer, sizeof trailer);
    *len += OKNO_SRTP_GCM_TAG_LEN + sizeof trailer;
    return 0;
}
