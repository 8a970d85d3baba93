/* inbox_seal.c -- the inbox encrypted at rest: each stored notification is sealed under a key
 * derived from the organisation's secret key (in the key file, not in the data directory), so
 * neither the store's pages (which LMDB reuses without wiping) nor a copy of the data directory
 * reveal what was received, acked or not. */
#include "agent.h"
#include "vn_error.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SEAL_VERSION 1
#define NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SEAL_OVERHEAD (1 + NONCE_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)

static void s_key(const vn_keyset_t *keys, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)"vangnet agent inbox at rest v1", 30,
                       keys->box_sk, sizeof keys->box_sk);
}

int agent__inbox_seal(agent_t *a, const uint8_t key8[8], const uint8_t *plain, size_t len,
                      uint8_t **out, size_t *out_len)
{
    uint8_t k[32];
    uint8_t *buf = malloc(len + SEAL_OVERHEAD);
    if (!buf)
        return -ENOMEM;
    buf[0] = SEAL_VERSION;
    randombytes_buf(buf + 1, NONCE_LEN);
    s_key(a->keys, k);
    unsigned long long clen;
    /* The inbox position is the associated data: a sealed value cannot be moved to another. */
    crypto_aead_xchacha20poly1305_ietf_encrypt(buf + 1 + NONCE_LEN, &clen, plain, len, key8, 8,
                                               NULL, buf + 1, k);
    sodium_memzero(k, sizeof k);
    *out = buf;
    *out_len = 1 + NONCE_LEN + (size_t)clen;
    return 0;
}

static int s_open(const vn_keyset_t *keys, const uint8_t key8[8], const uint8_t *sealed,
                  size_t len, uint8_t *plain)
{
    uint8_t k[32];
    unsigned long long plen;
    s_key(keys, k);
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, sealed + 1 + NONCE_LEN,
                                                        len - 1 - NONCE_LEN, key8, 8, sealed + 1, k);
    sodium_memzero(k, sizeof k);
    return rc;
}

Vn__ApiNotification *agent__inbox_open(agent_t *a, const uint8_t key8[8], const uint8_t *sealed,
                                       size_t len)
{
    if (len < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION)
        return NULL;
    size_t plen = len - SEAL_OVERHEAD;
    uint8_t *plain = malloc(plen ? plen : 1);
    if (!plain)
        return NULL;
    Vn__ApiNotification *n = NULL;
    /* Stored before a key rotation: sealed under the previous key set. */
    if (s_open(a->keys, key8, sealed, len, plain) == 0 ||
        (a->prev_keys && s_open(a->prev_keys, key8, sealed, len, plain) == 0))
        n = vn__api_notification__unpack(NULL, plen, plain);
    sodium_memzero(plain, plen);
    free(plain);
    return n;
}

int agent__inbox_migrate(agent_t *a)
{
    /* Inboxes written before sealing hold plain ApiNotification bytes (first byte 0x0a, never
     * SEAL_VERSION): seal them once, at start. */
    MDB_txn *txn = agent__txn(a);
    if (!txn)
        return VN_E_STORE;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    size_t n = 0;
    int rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(a->db, ADB_INBOX), &cur));
    for (int c = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && c == 0;
         c = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size != 8 || (v.mv_size > 0 && ((uint8_t *)v.mv_data)[0] == SEAL_VERSION))
            continue;
        uint8_t *sealed, key8[8];
        size_t sealed_len;
        memcpy(key8, k.mv_data, 8);
        rc = agent__inbox_seal(a, key8, v.mv_data, v.mv_size, &sealed, &sealed_len);
        if (rc == 0) {
            MDB_val sv = {sealed_len, sealed};
            rc = vn_store_error(mdb_cursor_put(cur, &k, &sv, MDB_CURRENT));
            free(sealed);
            n++;
        }
    }
    if (cur)
        mdb_cursor_close(cur);
    return rc < 0 ? rc : (int)n;
}
