/* vn_checkpoint.h -- the broker's checkpoints as C2SP tlog-checkpoint signed notes: origin
 * "vangnet.example/broker-ID", tree size, base64 root, and the broker's Ed25519 note signature
 * (key name = origin). Signing one and checking one against the broker's key; no store, so the
 * agent, the CLI and outside tools check checkpoints with this alone. */
#ifndef VN_CHECKPOINT_H
#define VN_CHECKPOINT_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#include "vn_merkle.h"
#include "vn_note.h"

/* Room for a checkpoint note with the broker's signature only. */
#define VN_CHECKPOINT_MAX 512

typedef struct {
    char origin[VN_NOTE_NAME_MAX + 1];
    uint64_t size;
    uint8_t root[VN_HASH];
} vn_checkpoint_t;

/* The log's origin (and the broker's key name) for a broker id. 0, or VN_E_INVALID. */
int vn_checkpoint_origin(const char *broker_id, char out[VN_NOTE_NAME_MAX + 1]) VN_MUST_USE;
/* The broker's verifier key ("vkey") for its checkpoints (out: VN_NOTE_VKEY_MAX). */
int vn_checkpoint_vkey(const char *broker_id, const uint8_t sign_pk[32], char *out) VN_MUST_USE;

/* Sign the checkpoint of a tree of size leaves with root for broker_id: the note, NUL-terminated,
 * into out. Returns its length, or VN_E_INVALID for a bad broker id. */
int vn_checkpoint_sign(const char *broker_id, uint64_t size, const uint8_t root[VN_HASH],
                       const uint8_t sign_sk[64], char out[VN_CHECKPOINT_MAX]) VN_MUST_USE;

/* Open a checkpoint note of broker_id: its origin must be broker_id's (broker_id NULL: any
 * vangnet broker's origin, signed under that name), and (unless sign_pk is NULL: decode only) it must carry a valid signature by that key
 * under that name; other signature lines (cosignatures) are ignored here. 0, VN_E_MALFORMED,
 * VN_E_BAD_SIGNATURE (missing or failing), VN_E_INVALID (another log's origin). */
int vn_checkpoint_open(const uint8_t *buf, size_t len, const char *broker_id,
                       const uint8_t *sign_pk, vn_checkpoint_t *out) VN_MUST_USE;

#endif
