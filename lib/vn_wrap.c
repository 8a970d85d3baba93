/* vn_wrap.c -- wrapping the content key to each recipient, v1 and v2 (vn_wrap.h,
 * docs/envelope.md "Key wrapping"). */
#include "vn_wrap.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WRAP_DOMAIN "vangnet-wrap-v1" /* the associated data's prefix, both versions */
static const uint8_t s_personal_v1[crypto_generichash_blake2b_PERSONALBYTES] = "vangnet-wrap-v1";
static const uint8_t s_personal_v2[crypto_generichash_blake2b_PERSONALBYTES] = "vangnet-wrap-v2";

struct batch_entry {
    uint8_t r_pk[32], eph_pk[32], shared[32];
    char org[VN_ORG_MAX + 1];
};

struct vn_wrap_batch {
    _Atomic uint64_t shared; /* wrappings under a key made for an earlier one (metrics thread) */
    size_t n;
    struct batch_entry e[VN_WRAP_BATCH_RECIPIENTS];
};

struct cache_slot {
    uint8_t eph_pk[32], my_pk[32], shared[32];
    int used;
};

struct vn_unwrap_cache {
    _Atomic uint64_t hits;
    uint8_t slot_key[crypto_shorthash_KEYBYTES];
    struct cache_slot s[VN_UNWRAP_CACHE_SLOTS];
};

/* kek for one wrapping. v1: BLAKE2b(shared; eph_pk || R_pk, "vangnet-wrap-v1"); v2 adds the
 * message id and content nonce, so one ephemeral key gives each envelope its own kek. */
static void s_kek(uint8_t kek[VN_WRAP_KEY_BYTES], uint32_t version, const uint8_t shared[32],
                  const uint8_t eph_pk[32], const uint8_t r_pk[32],
                  const uint8_t msgid[VN_MSGID_BYTES], const uint8_t nonce[VN_WRAP_NONCE_BYTES])
{
    uint8_t input[64 + VN_MSGID_BYTES + VN_WRAP_NONCE_BYTES];
    size_t len = 64;
    memcpy(input, eph_pk, 32);
    memcpy(input + 32, r_pk, 32);
    if (version == VN_WRAP_V2) {
        memcpy(input + len, msgid, VN_MSGID_BYTES);
        memcpy(input + len + VN_MSGID_BYTES, nonce, VN_WRAP_NONCE_BYTES);
        len += VN_MSGID_BYTES + VN_WRAP_NONCE_BYTES;
    }
    crypto_generichash_blake2b_salt_personal(kek, VN_WRAP_KEY_BYTES, input, len, shared, 32, NULL,
                                             version == VN_WRAP_V2 ? s_personal_v2
                                                                   : s_personal_v1);
}

/* Associated data of a wrapping: domain || message id || recipient org id. */
static size_t s_ad(uint8_t *ad, const uint8_t msgid[VN_MSGID_BYTES], const char *org)
{
    size_t dl = strlen(WRAP_DOMAIN), ol = strnlen(org, VN_ORG_MAX);
    memcpy(ad, WRAP_DOMAIN, dl);
    memcpy(ad + dl, msgid, VN_MSGID_BYTES);
    memcpy(ad + dl + VN_MSGID_BYTES, org, ol);
    return dl + VN_MSGID_BYTES + ol;
}

vn_wrap_batch_t *vn_wrap_batch_new(void)
{
    return calloc(1, sizeof(vn_wrap_batch_t));
}

void vn_wrap_batch_clear(vn_wrap_batch_t *b)
{
    if (b) {
        sodium_memzero(b->e, b->n * sizeof b->e[0]);
        b->n = 0;
    }
}

void vn_wrap_batch_free(vn_wrap_batch_t **b)
{
    if (b && *b) {
        vn_wrap_batch_clear(*b);
        free(*b);
        *b = NULL;
    }
}

static struct batch_entry *s_batch_find(vn_wrap_batch_t *b, const char *org, const uint8_t r_pk[32])
{
    for (size_t i = 0; b && i < b->n; i++)
        if (memcmp(b->e[i].r_pk, r_pk, 32) == 0 && strcmp(b->e[i].org, org) == 0)
            return &b->e[i];
    return NULL;
}

int vn_wrap_seal(vn_wrap_batch_t *b, const uint8_t eph_sk[32], const char *org,
                 const uint8_t r_pk[32], const uint8_t msgid[VN_MSGID_BYTES],
                 const uint8_t content_nonce[VN_WRAP_NONCE_BYTES],
                 const uint8_t key[VN_WRAP_KEY_BYTES], uint8_t eph_pk[32],
                 uint8_t sealed[VN_WRAP_SEALED_BYTES], uint32_t *version)
{
    uint8_t kek[VN_WRAP_KEY_BYTES], shared[32], ad[64 + VN_ORG_MAX];
    uint8_t zero_nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {0}; /* kek used once */
    const struct batch_entry *have = s_batch_find(b, org, r_pk);
    if (have) {
        memcpy(eph_pk, have->eph_pk, 32);
        *version = VN_WRAP_V2;
        atomic_fetch_add(&b->shared, 1);
        s_kek(kek, VN_WRAP_V2, have->shared, eph_pk, r_pk, msgid, content_nonce);
    } else {
        crypto_scalarmult_base(eph_pk, eph_sk);
        if (crypto_scalarmult(shared, eph_sk, r_pk) != 0)
            return VN_E_CRYPTO;
        *version = VN_WRAP_V1;
        s_kek(kek, VN_WRAP_V1, shared, eph_pk, r_pk, msgid, content_nonce);
        if (b && b->n < VN_WRAP_BATCH_RECIPIENTS) { /* else later wrappings to it stay v1 */
            struct batch_entry *e = &b->e[b->n++];
            memcpy(e->r_pk, r_pk, 32);
            memcpy(e->eph_pk, eph_pk, 32);
            memcpy(e->shared, shared, 32);
            snprintf(e->org, sizeof e->org, "%s", org);
        }
        sodium_memzero(shared, sizeof shared);
    }
    size_t ad_len = s_ad(ad, msgid, org);
    crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, NULL, key, VN_WRAP_KEY_BYTES, ad, ad_len,
                                               NULL, zero_nonce, kek);
    sodium_memzero(kek, sizeof kek);
    return 0;
}

vn_unwrap_cache_t *vn_unwrap_cache_new(void)
{
    vn_unwrap_cache_t *c = calloc(1, sizeof *c);
    if (c)
        crypto_shorthash_keygen(c->slot_key);
    return c;
}

void vn_unwrap_cache_free(vn_unwrap_cache_t **c)
{
    if (c && *c) {
        sodium_memzero(*c, sizeof **c);
        free(*c);
        *c = NULL;
    }
}

/* The X25519 result for (eph_pk, my key), from the cache or computed (and then remembered). */
static int s_shared(vn_unwrap_cache_t *c, const uint8_t my_sk[32], const uint8_t my_pk[32],
                    const uint8_t eph_pk[32], uint8_t shared[32])
{
    struct cache_slot *slot = NULL;
    if (c) {
        uint8_t h[crypto_shorthash_BYTES];
        crypto_shorthash(h, eph_pk, 32, c->slot_key);
        slot = &c->s[(h[0] | (unsigned)h[1] << 8) % VN_UNWRAP_CACHE_SLOTS];
        if (slot->used && memcmp(slot->eph_pk, eph_pk, 32) == 0 &&
            memcmp(slot->my_pk, my_pk, 32) == 0) {
            memcpy(shared, slot->shared, 32);
            atomic_fetch_add(&c->hits, 1);
            return 0;
        }
    }
    if (crypto_scalarmult(shared, my_sk, eph_pk) != 0)
        return VN_E_WRAP_INVALID;
    if (slot) {
        memcpy(slot->eph_pk, eph_pk, 32);
        memcpy(slot->my_pk, my_pk, 32);
        memcpy(slot->shared, shared, 32);
        slot->used = 1;
    }
    return 0;
}

int vn_wrap_open(vn_unwrap_cache_t *cache, uint32_t version, const char *org,
                 const uint8_t my_sk[32], const uint8_t my_pk[32], const uint8_t eph_pk[32],
                 const uint8_t msgid[VN_MSGID_BYTES],
                 const uint8_t content_nonce[VN_WRAP_NONCE_BYTES], const uint8_t *sealed,
                 size_t sealed_len, uint8_t key[VN_WRAP_KEY_BYTES])
{
    if ((version != VN_WRAP_V1 && version != VN_WRAP_V2) || sealed_len != VN_WRAP_SEALED_BYTES)
        return VN_E_WRAP_INVALID;
    uint8_t shared[32], kek[VN_WRAP_KEY_BYTES], ad[64 + VN_ORG_MAX];
    uint8_t zero_nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {0};
    if (s_shared(cache, my_sk, my_pk, eph_pk, shared) != 0)
        return VN_E_WRAP_INVALID;
    s_kek(kek, version, shared, eph_pk, my_pk, msgid, content_nonce);
    sodium_memzero(shared, sizeof shared);
    size_t ad_len = s_ad(ad, msgid, org);
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, sealed, sealed_len, ad,
                                                        ad_len, zero_nonce, kek);
    sodium_memzero(kek, sizeof kek);
    if (rc != 0) {
        sodium_memzero(key, VN_WRAP_KEY_BYTES);
        return VN_E_WRAP_INVALID;
    }
    return 0;
}

uint64_t vn_wrap_batch_shared(vn_wrap_batch_t *b)
{
    return b ? atomic_load(&b->shared) : 0;
}

uint64_t vn_unwrap_cache_hits(vn_unwrap_cache_t *c)
{
    return c ? atomic_load(&c->hits) : 0;
}
