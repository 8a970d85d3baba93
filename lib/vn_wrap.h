/* vn_wrap.h -- the content key wrapped to each recipient (docs/envelope.md, "Key wrapping").
 *
 * v1: a fresh ephemeral X25519 key per wrapping, kek = BLAKE2b(X25519(eph, R); eph_pk || R_pk).
 * v2: a sender sealing several envelopes in one batch (one loop turn of its agent) keeps one
 * ephemeral key per recipient for that batch and derives each wrapping's kek from the message id
 * and the envelope's fresh content nonce as well, so every kek is still used once. The first
 * wrapping of a batch to each recipient stays v1: a notification alone in its batch is wrapped
 * exactly as before. Sender and recipient each then do one X25519 per recipient per batch
 * instead of per envelope; the ephemeral secret is wiped when the batch is signed.
 *
 * Owned by lib/vn_wrap.c; used by vn_envelope.c (seal, decrypt), the agent (outbox, inbox). */
#ifndef VN_WRAP_H
#define VN_WRAP_H

#include "vn_error.h"
#include "vn_keys.h"
#include "vn_util.h"

#include <stddef.h>
#include <stdint.h>

#define VN_WRAP_KEY_BYTES 32
#define VN_WRAP_SEALED_BYTES (32 + 16)  /* the content key and its tag */
#define VN_WRAP_NONCE_BYTES 24          /* the envelope's content nonce */
#define VN_WRAP_V1 0                    /* WrappedKey.derivation: absent */
#define VN_WRAP_V2 2
#define VN_WRAP_BATCH_RECIPIENTS 64     /* distinct recipients sharing keys in one batch */
#define VN_UNWRAP_CACHE_SLOTS 64

/* Sender: the batch's ephemeral key per recipient. Not thread-safe; one per sending loop. */
typedef struct vn_wrap_batch vn_wrap_batch_t;
vn_wrap_batch_t *vn_wrap_batch_new(void);
/* Wipe and forget every ephemeral key (at the end of a batch); later wrappings start over. */
void vn_wrap_batch_clear(vn_wrap_batch_t *b);
void vn_wrap_batch_free(vn_wrap_batch_t **b);
/* Wrappings made under an ephemeral key made for an earlier one (X25519 saved); any thread. */
uint64_t vn_wrap_batch_shared(vn_wrap_batch_t *b);

/* Wrap key for recipient (org, r_pk) of message msgid, whose content is sealed under
 * content_nonce. eph_sk (32 random bytes, the caller's) makes a new ephemeral key when one is
 * needed: always without a batch (b NULL), else for the batch's first wrapping to r_pk. Writes
 * eph_pk, sealed (VN_WRAP_SEALED_BYTES) and *version. 0 or VN_E_CRYPTO. */
int vn_wrap_seal(vn_wrap_batch_t *b, const uint8_t eph_sk[32], const char *org,
                 const uint8_t r_pk[32], const uint8_t msgid[VN_MSGID_BYTES],
                 const uint8_t content_nonce[VN_WRAP_NONCE_BYTES],
                 const uint8_t key[VN_WRAP_KEY_BYTES], uint8_t eph_pk[32],
                 uint8_t sealed[VN_WRAP_SEALED_BYTES], uint32_t *version) VN_MUST_USE;

/* Recipient: X25519 results per (ephemeral key, own key), so the envelopes of one sender's batch
 * cost one X25519 together. Bounded (VN_UNWRAP_CACHE_SLOTS, placed by a keyed hash so a sender
 * cannot aim at another's entries); a miss costs what v1 always cost. Not thread-safe. */
typedef struct vn_unwrap_cache vn_unwrap_cache_t;
vn_unwrap_cache_t *vn_unwrap_cache_new(void);
void vn_unwrap_cache_free(vn_unwrap_cache_t **c);
/* Wrappings opened with a remembered X25519 result; any thread. */
uint64_t vn_unwrap_cache_hits(vn_unwrap_cache_t *c);

/* Open a wrapping to (org, my_sk/my_pk). cache may be NULL. 0, VN_E_WRAP_INVALID (does not
 * open, unknown version, malformed). */
int vn_wrap_open(vn_unwrap_cache_t *cache, uint32_t version, const char *org,
                 const uint8_t my_sk[32], const uint8_t my_pk[32], const uint8_t eph_pk[32],
                 const uint8_t msgid[VN_MSGID_BYTES],
                 const uint8_t content_nonce[VN_WRAP_NONCE_BYTES], const uint8_t *sealed,
                 size_t sealed_len, uint8_t key[VN_WRAP_KEY_BYTES]) VN_MUST_USE;

#endif
