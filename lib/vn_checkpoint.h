/* vn_checkpoint.h -- the broker's signed checkpoints (tree size, root, time) as bytes: signing one
 * and checking one against the broker's key. No store: the agent checks checkpoints with this alone. */
#ifndef VN_CHECKPOINT_H
#define VN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "audit.pb-c.h"
#include "vn_merkle.h"

/* Room for a packed SignedCheckpoint (the fields are of fixed or bounded size). */
#define VN_CHECKPOINT_MAX 512

/* Sign a checkpoint of a tree of size leaves with root, made by origin (the broker's id) at time
 * (unix seconds), with the broker's Ed25519 secret key; the packed SignedCheckpoint goes to
 * out[VN_CHECKPOINT_MAX]. Returns its length. */
size_t vn_checkpoint_sign(const char *origin, uint64_t size, const uint8_t root[VN_HASH],
                          uint64_t time, const uint8_t sign_sk[64], uint8_t out[VN_CHECKPOINT_MAX]);

/* Check a signed checkpoint against the broker's key (broker_sign_pk NULL: only decode it); *out
 * (free with vn__checkpoint__free_unpacked) on success. VN_E_BAD_SIGNATURE, VN_E_MALFORMED,
 * VN_E_VERSION. */
int vn_checkpoint_open(const uint8_t *buf, size_t len, const uint8_t broker_sign_pk[32],
                       Vn__Checkpoint **out);

#endif
