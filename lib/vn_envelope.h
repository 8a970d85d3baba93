/* vn_envelope.h -- seal a notification end-to-end to its recipients; verify and open it. */
#ifndef VN_ENVELOPE_H
#define VN_ENVELOPE_H

#include "vn_error.h"
#include "vn_util.h"

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"
#include "vn_batch.h"
#include "vn_keys.h"
#include "vn_wrap.h"

#define VN_ENVELOPE_VERSION 1
#define VN_MAX_RECIPIENTS 32
#define VN_MAX_JUSTIFICATION 32
#define VN_FIELD_MAX 1024          /* any one header string */

typedef struct {
    const char *key;
    const char *value;
} vn_field_t;

/* One recipient: its organisation id and X25519 public key (from the signed directory). */
typedef struct {
    const char *org;
    const uint8_t *box_pk;         /* 32 bytes */
} vn_recipient_t;

/* Everything the header says. Strings are borrowed for the duration of vn_envelope_seal. */
typedef struct {
    const vn_recipient_t *recipients;
    size_t n_recipients;
    const char *category;
    const char *basis;
    const vn_field_t *justification;
    size_t n_justification;
    const uint8_t *subject_pseudonym;  /* 32 bytes, or NULL for an anonymous advice request */
    uint64_t created, expires;         /* unix seconds */
    const char *user_id, *user_role;
    const char *api_caller;            /* the authenticated local API caller, or NULL */
    const char *match_id;              /* NULL or "": not about a match; else "M" + 32 hex */
    uint32_t subject_pseudonym_version; /* 1 keyed hash, 2 VOPRF (with a subject pseudonym) */
    const uint8_t *message_id;         /* 16 bytes chosen before sealing (a submit held for its
                                        * pseudonym keeps the id it was given), or NULL: fresh */
    vn_wrap_batch_t *wrap_batch;       /* the sender's current batch (vn_wrap.h), or NULL: every
                                        * wrapping with its own ephemeral key */
} vn_seal_params_t;

/* Seal content for the recipients, signed by sender. msgid (16 bytes) receives the message id:
 * p->message_id if set, else a fresh one.
 * *out is the caller's to free. Returns 0, VN_E_INVALID for bad parameters, VN_E_CRYPTO. */
int vn_envelope_seal(const vn_seal_params_t *p, const vn_keyset_t *sender, const uint8_t *content,
                     size_t content_len, uint8_t msgid[VN_MSGID_BYTES], uint8_t **out, size_t *out_len)
    VN_MUST_USE;

/* As vn_envelope_seal, but all randomness is derived from seed (32 bytes): for known-answer tests only. */
int vn_envelope__seal_seeded(const vn_seal_params_t *p, const vn_keyset_t *sender,
                             const uint8_t *content, size_t content_len, const uint8_t seed[32],
                             uint8_t msgid[VN_MSGID_BYTES], uint8_t **out, size_t *out_len) VN_MUST_USE;

/* Sealed (encrypted, wrapped, header packed) but not yet signed: for a sender with several
 * envelopes ready, which signs them together once (vn_envelope_sign). Owns copies of everything
 * it refers to. */
typedef struct vn_sealed vn_sealed_t;

int vn_envelope_seal_unsigned(const vn_seal_params_t *p, const vn_keyset_t *sender,
                              const uint8_t *content, size_t content_len,
                              uint8_t msgid[VN_MSGID_BYTES], vn_sealed_t **out) VN_MUST_USE;
int vn_envelope__seal_unsigned_seeded(const vn_seal_params_t *p, const vn_keyset_t *sender,
                                      const uint8_t *content, size_t content_len,
                                      const uint8_t seed[32], uint8_t msgid[VN_MSGID_BYTES],
                                      vn_sealed_t **out) VN_MUST_USE;
/* Sign n (1..VN_BATCH_MAX) envelopes sealed by sender: one alone exactly as vn_envelope_seal
 * does; several with one signature over their batch root, each carrying its inclusion path
 * (docs/envelope.md). out[i] (out_len[i]) is the caller's to free; on failure none is set.
 * 0, VN_E_INVALID (n), -ENOMEM. */
int vn_envelope_sign(vn_sealed_t *const *s, size_t n, const vn_keyset_t *sender, uint8_t **out,
                     size_t *out_len) VN_MUST_USE;
void vn_sealed_free(vn_sealed_t *s);

/* A decoded envelope: both protobuf trees are owned; fields borrowed from them live until clear. */
typedef struct {
    Vn__Envelope *env;
    Vn__Header *hdr;
} vn_parsed_t;

/* Decode and check structure. VN_E_MALFORMED (truncated, wrong field sizes, a batch proof out
 * of bounds) or VN_E_VERSION. */
int vn_envelope_parse(const uint8_t *buf, size_t len, vn_parsed_t *out) VN_MUST_USE;
void vn_parsed_clear(vn_parsed_t *p);

/* Check the envelope was signed by sender_sign_pk and is unchanged. What the broker does.
 * VN_E_WRONG_SENDER_KEY, VN_E_CIPHERTEXT_MODIFIED or VN_E_BAD_SIGNATURE. */
int vn_envelope_verify(const vn_parsed_t *p, const uint8_t sender_sign_pk[32]) VN_MUST_USE;
/* As vn_envelope_verify; a batch member's root signature, once verified, is remembered in cache
 * (NULL: none) under generation (the registry's or directory's: a change forgets all). */
int vn_envelope_verify_cached(const vn_parsed_t *p, const uint8_t sender_sign_pk[32],
                              vn_batch_cache_t *cache, uint64_t generation) VN_MUST_USE;

/* Unwrap and decrypt as recipient me. *content is the caller's to free (sodium_memzero it first).
 * VN_E_NOT_RECIPIENT, VN_E_WRAP_REPLAYED, VN_E_WRAP_INVALID or VN_E_DECRYPT. Verify first. */
int vn_envelope_decrypt(const vn_parsed_t *p, const vn_keyset_t *me, uint8_t **content,
                        size_t *content_len) VN_MUST_USE;
/* As vn_envelope_decrypt, remembering X25519 results in cache (NULL: none), so the envelopes of
 * one sender's batch to us cost one X25519 together. */
int vn_envelope_decrypt_cached(const vn_parsed_t *p, const vn_keyset_t *me,
                               vn_unwrap_cache_t *cache, uint8_t **content,
                               size_t *content_len) VN_MUST_USE;

/* parse + verify + decrypt. On success *parsed holds the header (clear it); on failure it is cleared. */
int vn_envelope_open(const uint8_t *buf, size_t len, const vn_keyset_t *me,
                     const uint8_t sender_sign_pk[32], vn_parsed_t *parsed, uint8_t **content,
                     size_t *content_len) VN_MUST_USE;

/* Value of a justification field in a parsed header, or NULL. */
const char *vn_header_field(const Vn__Header *hdr, const char *key);

#endif
