/* vn_batch.h -- one signature over many envelopes: the Merkle tree of a batch, the inclusion path
 * of each member, and a bounded cache of batch roots already verified (docs/envelope.md, "Batch
 * signature"). */
#ifndef VN_BATCH_H
#define VN_BATCH_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#define VN_BATCH_MAX 64            /* envelopes under one signature */
#define VN_BATCH_MAX_PATH 6        /* hashes in a path: ceil(log2(VN_BATCH_MAX)) */
#define VN_BATCH_HASH 32
/* What a single envelope's signature covers: "vangnet-envelope-v1" || BLAKE2b(header) || ct hash.
 * A batch leaf hashes exactly these bytes, so it commits to what a single signature would. */
#define VN_SIGNED_MSG_BYTES (19 + 64)
/* What the batch signature covers: "vangnet-envelope-batch-v1" || size (4, big-endian) || root. */
#define VN_BATCH_MSG_BYTES (25 + 4 + VN_BATCH_HASH)

/* BLAKE2b-256, personal "vangnet-bleaf-v1", of one member's signed message. */
void vn_batch_leaf(const uint8_t msg[VN_SIGNED_MSG_BYTES], uint8_t out[VN_BATCH_HASH]);
/* BLAKE2b-256, personal "vangnet-bnode-v1", of left || right. */
void vn_batch_node(const uint8_t left[VN_BATCH_HASH], const uint8_t right[VN_BATCH_HASH],
                   uint8_t out[VN_BATCH_HASH]);

/* A batch's tree, every level kept, so each member's path is read off without rehashing. Its
 * shape is RFC 6962's (a lone last node moves up unchanged). */
typedef struct {
    uint8_t level[VN_BATCH_MAX_PATH + 1][VN_BATCH_MAX][VN_BATCH_HASH];
    size_t n;
} vn_batch_tree_t;

/* Build the tree of n (1..VN_BATCH_MAX) leaves, n hashes back to back. VN_E_INVALID for another n. */
int vn_batch_tree_build(vn_batch_tree_t *t, const uint8_t *leaves, size_t n)
    VN_MUST_USE;
const uint8_t *vn_batch_tree_root(const vn_batch_tree_t *t);
/* Member m's inclusion path, leaf first, into path; returns how many hashes (<= VN_BATCH_MAX_PATH). */
size_t vn_batch_tree_path(const vn_batch_tree_t *t, size_t m,
                          uint8_t path[VN_BATCH_MAX_PATH][VN_BATCH_HASH]);

/* The root a leaf at index m of a batch of size n leads to along path (len bytes), RFC 9162
 * 2.1.3.2. 0, or VN_E_BAD_SIGNATURE when the path cannot be that leaf's (wrong length, index out
 * of range, size outside 2..VN_BATCH_MAX). */
int vn_batch_root_from_path(const uint8_t leaf[VN_BATCH_HASH], uint32_t m, uint32_t n,
                            const uint8_t *path, size_t len, uint8_t root[VN_BATCH_HASH])
    VN_MUST_USE;

/* The bytes the batch signature covers, into out (VN_BATCH_MSG_BYTES). */
void vn_batch_signed_message(uint8_t out[VN_BATCH_MSG_BYTES], uint32_t n,
                             const uint8_t root[VN_BATCH_HASH]);

/* Batch roots whose signature was verified: a few per sender organisation (least recently used
 * goes), a bounded number of organisations, so one busy sender cannot push another's out.
 * Entries are named by a digest of (signing key, size, root, signature), so a hit is exactly the
 * signature verified before, under the same key. Every entry is dropped when the registry or
 * directory generation changes (any key rotation or revocation). Thread-safe. */
typedef struct vn_batch_cache vn_batch_cache_t;

#define VN_BATCH_CACHE_PER_ORG 4
#define VN_BATCH_CACHE_ORGS 256

vn_batch_cache_t *vn_batch_cache_new(void);
void vn_batch_cache_free(vn_batch_cache_t *c);
/* 1 if id was added for org under this generation (and marks it used), else 0. */
int vn_batch_cache_seen(vn_batch_cache_t *c, uint64_t generation, const char *org,
                        const uint8_t id[VN_BATCH_HASH]);
void vn_batch_cache_add(vn_batch_cache_t *c, uint64_t generation, const char *org,
                        const uint8_t id[VN_BATCH_HASH]);
/* Verifications the cache saved, and entries it holds (metrics, tests). */
uint64_t vn_batch_cache_hits(vn_batch_cache_t *c);
size_t vn_batch_cache_size(vn_batch_cache_t *c);

#endif
