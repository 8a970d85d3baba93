/* vn_merkle.h -- RFC 6962 Merkle tree hashing, proofs and their verification, over a tree whose
 * perfect subtrees are looked up by (level, index): leaves are level 0. */
#ifndef VN_MERKLE_H
#define VN_MERKLE_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#define VN_HASH 32
#define VN_MERKLE_MAX_PROOF 128   /* nodes; 2 * 64 levels */

/* SHA-256(0x00 || data) */
void vn_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[VN_HASH]);
/* SHA-256(0x01 || left || right) */
void vn_merkle_node_hash(const uint8_t left[VN_HASH], const uint8_t right[VN_HASH],
                         uint8_t out[VN_HASH]);

/* The hash of the perfect subtree of 2^level leaves starting at leaf index << level. 0 or <0. */
typedef int (*vn_merkle_node_fn)(void *ctx, unsigned level, uint64_t index, uint8_t out[VN_HASH]);

/* MTH of the first n leaves (n = 0: SHA-256 of nothing). */
int vn_merkle_root(vn_merkle_node_fn node, void *ctx, uint64_t n, uint8_t out[VN_HASH]) VN_MUST_USE;
/* Audit path for leaf m in the tree of size n (RFC 6962 2.1.1). *len nodes in proof. */
int vn_merkle_inclusion(vn_merkle_node_fn node, void *ctx, uint64_t m, uint64_t n,
                        uint8_t proof[][VN_HASH], size_t *len) VN_MUST_USE;
/* Consistency proof between sizes m <= n (RFC 6962 2.1.2). */
int vn_merkle_consistency(vn_merkle_node_fn node, void *ctx, uint64_t m, uint64_t n,
                          uint8_t proof[][VN_HASH], size_t *len) VN_MUST_USE;

/* RFC 9162 2.1.3.2: 1 if leaf hash at index m is in the tree of size n with root.
 * proof is len hashes of VN_HASH bytes, back to back. */
int vn_merkle_verify_inclusion(const uint8_t leaf[VN_HASH], uint64_t m, uint64_t n,
                               const void *proof, size_t len, const uint8_t root[VN_HASH])
    VN_MUST_USE;
/* RFC 9162 2.1.4.2: 1 if the tree of size m with root_m is a prefix of size n with root_n. */
int vn_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[VN_HASH],
                                 const uint8_t root_n[VN_HASH], const void *proof, size_t len)
    VN_MUST_USE;

/* Incremental root computation over leaves seen in order (the "compact range"): for verifiers
 * that recompute a whole log without storing it. */
typedef struct {
    uint8_t stack[64][VN_HASH];   /* perfect subtree roots, largest first */
    uint64_t size;
} vn_merkle_range_t;

void vn_merkle_range_init(vn_merkle_range_t *r);
void vn_merkle_range_append(vn_merkle_range_t *r, const uint8_t leaf[VN_HASH]);
void vn_merkle_range_root(const vn_merkle_range_t *r, uint8_t out[VN_HASH]);

#endif
