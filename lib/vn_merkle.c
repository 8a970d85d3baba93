/* vn_merkle.c -- RFC 6962 tree hashes and proofs; RFC 9162's verification algorithms. */
#include "vn_merkle.h"
#include "vn_error.h"

#include <sodium.h>
#include <string.h>

void vn_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[VN_HASH])
{
    crypto_hash_sha256_state st;
    const uint8_t prefix = 0x00;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, data, len);
    crypto_hash_sha256_final(&st, out);
}

void vn_merkle_node_hash(const uint8_t left[VN_HASH], const uint8_t right[VN_HASH],
                         uint8_t out[VN_HASH])
{
    crypto_hash_sha256_state st;
    const uint8_t prefix = 0x01;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, &prefix, 1);
    crypto_hash_sha256_update(&st, left, VN_HASH);
    crypto_hash_sha256_update(&st, right, VN_HASH);
    crypto_hash_sha256_final(&st, out);
}

/* Largest power of two strictly below n (n >= 2). */
static uint64_t s_split(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

static unsigned s_log2(uint64_t k)
{
    unsigned l = 0;
    while ((1ull << l) < k)
        l++;
    return l;
}

/* MTH(D[start : start + n]); every left part in the recursion is an aligned perfect subtree. */
static int s_mth(vn_merkle_node_fn node, void *ctx, uint64_t start, uint64_t n,
                 uint8_t out[VN_HASH])
{
    if (n == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return 0;
    }
    if ((n & (n - 1)) == 0 && start % n == 0)
        return node(ctx, s_log2(n), start / n, out);
    uint64_t k = s_split(n);
    uint8_t left[VN_HASH], right[VN_HASH];
    int rc = s_mth(node, ctx, start, k, left);
    if (rc == 0)
        rc = s_mth(node, ctx, start + k, n - k, right);
    if (rc == 0)
        vn_merkle_node_hash(left, right, out);
    return rc;
}

int vn_merkle_root(vn_merkle_node_fn node, void *ctx, uint64_t n, uint8_t out[VN_HASH])
{
    return s_mth(node, ctx, 0, n, out);
}

/* PATH(m, D[start : start + n]) appended to proof. */
static int s_path(vn_merkle_node_fn node, void *ctx, uint64_t m, uint64_t start, uint64_t n,
                  uint8_t proof[][VN_HASH], size_t *len)
{
    if (n <= 1)
        return 0;
    uint64_t k = s_split(n);
    int rc;
    if (m < k) {
        if ((rc = s_path(node, ctx, m, start, k, proof, len)) != 0)
            return rc;
        if (*len >= VN_MERKLE_MAX_PROOF)
            return VN_E_TOO_LARGE;
        return s_mth(node, ctx, start + k, n - k, proof[(*len)++]);
    }
    if ((rc = s_path(node, ctx, m - k, start + k, n - k, proof, len)) != 0)
        return rc;
    if (*len >= VN_MERKLE_MAX_PROOF)
        return VN_E_TOO_LARGE;
    return s_mth(node, ctx, start, k, proof[(*len)++]);
}

int vn_merkle_inclusion(vn_merkle_node_fn node, void *ctx, uint64_t m, uint64_t n,
                        uint8_t proof[][VN_HASH], size_t *len)
{
    *len = 0;
    if (m >= n)
        return VN_E_INVALID;
    return s_path(node, ctx, m, 0, n, proof, len);
}

/* SUBPROOF(m, D[start : start + n], b) appended to proof. */
static int s_subproof(vn_merkle_node_fn node, void *ctx, uint64_t m, uint64_t start, uint64_t n,
                      int b, uint8_t proof[][VN_HASH], size_t *len)
{
    if (*len >= VN_MERKLE_MAX_PROOF)
        return VN_E_TOO_LARGE;
    if (m == n) {
        if (b)
            return 0;
        return s_mth(node, ctx, start, n, proof[(*len)++]);
    }
    uint64_t k = s_split(n);
    int rc;
    if (m <= k) {
        if ((rc = s_subproof(node, ctx, m, start, k, b, proof, len)) != 0)
            return rc;
        if (*len >= VN_MERKLE_MAX_PROOF)
            return VN_E_TOO_LARGE;
        return s_mth(node, ctx, start + k, n - k, proof[(*len)++]);
    }
    if ((rc = s_subproof(node, ctx, m - k, start + k, n - k, 0, proof, len)) != 0)
        return rc;
    if (*len >= VN_MERKLE_MAX_PROOF)
        return VN_E_TOO_LARGE;
    return s_mth(node, ctx, start, k, proof[(*len)++]);
}

int vn_merkle_consistency(vn_merkle_node_fn node, void *ctx, uint64_t m, uint64_t n,
                          uint8_t proof[][VN_HASH], size_t *len)
{
    *len = 0;
    if (m > n)
        return VN_E_INVALID;
    if (m == 0 || m == n)
        return 0;
    return s_subproof(node, ctx, m, 0, n, 1, proof, len);
}

int vn_merkle_verify_inclusion(const uint8_t leaf[VN_HASH], uint64_t m, uint64_t n,
                               const void *proof_bytes, size_t len, const uint8_t root[VN_HASH])
{
    const uint8_t *proof = proof_bytes;
    if (m >= n)
        return 0;
    uint64_t fn = m, sn = n - 1;
    uint8_t r[VN_HASH];
    memcpy(r, leaf, VN_HASH);
    for (size_t i = 0; i < len; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            vn_merkle_node_hash(proof + i * VN_HASH, r, r);
            if (!(fn & 1))
                while (fn && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            vn_merkle_node_hash(r, proof + i * VN_HASH, r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(r, root, VN_HASH) == 0;
}

int vn_merkle_verify_consistency(uint64_t m, uint64_t n, const uint8_t root_m[VN_HASH],
                                 const uint8_t root_n[VN_HASH], const void *proof_bytes,
                                 size_t len)
{
    const uint8_t *proof = proof_bytes;
    if (m > n)
        return 0;
    if (m == n)
        return len == 0 && sodium_memcmp(root_m, root_n, VN_HASH) == 0;
    if (m == 0)
        return len == 0;
    /* If m is a power of two, its root is the first node of the path. */
    const uint8_t *path = proof;
    size_t plen = len;
    uint8_t first[VN_HASH];
    if ((m & (m - 1)) == 0) {
        memcpy(first, root_m, VN_HASH);
    } else {
        if (len == 0)
            return 0;
        memcpy(first, proof, VN_HASH);
        path = proof + VN_HASH;
        plen = len - 1;
    }
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    uint8_t fr[VN_HASH], sr[VN_HASH];
    memcpy(fr, first, VN_HASH);
    memcpy(sr, first, VN_HASH);
    for (size_t i = 0; i < plen; i++) {
        if (sn == 0)
            return 0;
        if ((fn & 1) || fn == sn) {
            vn_merkle_node_hash(path + i * VN_HASH, fr, fr);
            vn_merkle_node_hash(path + i * VN_HASH, sr, sr);
            if (!(fn & 1))
                while (fn && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            vn_merkle_node_hash(sr, path + i * VN_HASH, sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && sodium_memcmp(fr, root_m, VN_HASH) == 0 &&
           sodium_memcmp(sr, root_n, VN_HASH) == 0;
}

void vn_merkle_range_init(vn_merkle_range_t *r)
{
    memset(r, 0, sizeof *r);
}

void vn_merkle_range_append(vn_merkle_range_t *r, const uint8_t leaf[VN_HASH])
{
    /* The stack holds one perfect subtree per set bit of size; merge like binary addition. */
    unsigned depth = (unsigned)__builtin_popcountll(r->size);
    memcpy(r->stack[depth], leaf, VN_HASH);
    for (uint64_t s = r->size; s & 1; s >>= 1) {
        depth--;
        vn_merkle_node_hash(r->stack[depth], r->stack[depth + 1], r->stack[depth]);
    }
    r->size++;
}

void vn_merkle_range_root(const vn_merkle_range_t *r, uint8_t out[VN_HASH])
{
    unsigned depth = (unsigned)__builtin_popcountll(r->size);
    if (depth == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return;
    }
    memcpy(out, r->stack[depth - 1], VN_HASH);
    for (unsigned i = depth - 1; i-- > 0;)
        vn_merkle_node_hash(r->stack[i], out, out);
}
