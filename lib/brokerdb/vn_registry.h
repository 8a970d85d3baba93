/* vn_registry.h -- the broker's organisation registry: add, revoke, look up; every change audited. */
#ifndef VN_REGISTRY_H
#define VN_REGISTRY_H

#include "vn_error.h"

#include <stddef.h>

#include "vn_envelope.h"
#include "vn_keys.h"
#include "vn_store.h"
#include "wire.pb-c.h"

#define VN_DISPLAY_NAME_MAX 128

/* One registered organisation, as the broker keeps it in memory. */
typedef struct {
    vn_pubkeys_t pub;
    int revoked;
    char prev_curve_pk[VN_Z85_KEY]; /* before the last key rotation ("" if none) */
    uint8_t prev_sign_pk[32], prev_box_pk[32];
    uint64_t prev_valid_until;      /* ... admitted until then (unix seconds) */
    char display_name[VN_DISPLAY_NAME_MAX + 1]; /* what people call it ("" if none was given) */
} vn_org_t;

/* Register an organisation from its public keys, with an ORG_ADDED audit record, in one durable
 * transaction. VN_E_EXISTS if the id or its CURVE key is already registered (also when revoked:
 * a revoked id is never reused). */
int vn_registry_add(vn_store_t *db, const vn_pubkeys_t *pub, const char *operator_id) VN_MUST_USE;
/* Same, with the display name the directory shows (at most VN_DISPLAY_NAME_MAX bytes, no control
 * characters; "" for none). VN_E_INVALID for a name that is not. */
int vn_registry_add_named(vn_store_t *db, const vn_pubkeys_t *pub, const char *display_name,
                          const char *operator_id) VN_MUST_USE;
/* Mark revoked, with an ORG_REVOKED audit record. VN_E_NOT_FOUND; revoking twice is a no-op. */
int vn_registry_revoke(vn_store_t *db, const char *org, const char *operator_id) VN_MUST_USE;

/* Key rotation: org's keys become pub's, with an ORG_KEY_ROTATED audit record, in one durable
 * transaction. The old keys stay valid for grace_seconds (connections, and envelopes created
 * before the end of it), then are refused. VN_E_NOT_FOUND; VN_E_INVALID if revoked, another
 * sector, or the same keys; VN_E_EXISTS if another organisation holds the new CURVE key. */
int vn_registry_rotate(vn_store_t *db, const vn_pubkeys_t *pub, uint64_t grace_seconds,
                       const char *operator_id) VN_MUST_USE;

/* Every organisation, in id order. *out is the caller's to free. */
int vn_registry_load(MDB_txn *txn, vn_store_t *db, vn_org_t **out, size_t *n) VN_MUST_USE;
/* The generation counter: it changes on every add or revoke. */
int vn_registry_generation(MDB_txn *txn, vn_store_t *db, uint64_t *gen) VN_MUST_USE;

#endif
