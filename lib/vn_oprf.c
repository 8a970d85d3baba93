/* vn_oprf.c -- RFC 9497 VOPRF with ristretto255-SHA512: hash-to-group (RFC 9380 expand_message_xmd
 * on SHA-512 into libsodium's ristretto255 map), blinding, batched evaluation and DLEQ proofs. */
#include "vn_oprf.h"
#include "vn_error.h"
#include "vn_ristretto_msm.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define CTX "OPRFV1-\x01-ristretto255-SHA512"

static const uint8_t s_dst_group[] = "HashToGroup-" CTX;
static const uint8_t s_dst_scalar[] = "HashToScalar-" CTX;
static const uint8_t s_dst_derive[] = "DeriveKeyPair" CTX;
static const uint8_t s_dst_seed[] = "Seed-" CTX;

int vn_oprf_expand_xmd(uint8_t *out, size_t out_len, const uint8_t *msg, size_t msg_len,
                       const uint8_t *dst, size_t dst_len)
{
    enum { B = crypto_hash_sha512_BYTES, R = 128 }; /* b_in_bytes, s_in_bytes */
    size_t ell = (out_len + B - 1) / B;
    if (out_len == 0 || ell > 255 || out_len > 65535 || dst_len > 255)
        return VN_E_INVALID;
    const uint8_t zpad[R] = {0}, lib[2] = {(uint8_t)(out_len >> 8), (uint8_t)out_len},
                  dlen = (uint8_t)dst_len;
    uint8_t b0[B], bi[B], x[B];
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, zpad, R);
    crypto_hash_sha512_update(&st, msg, msg_len);
    crypto_hash_sha512_update(&st, lib, 2);
    crypto_hash_sha512_update(&st, (const uint8_t *)"\0", 1);
    crypto_hash_sha512_update(&st, dst, dst_len);
    crypto_hash_sha512_update(&st, &dlen, 1);
    crypto_hash_sha512_final(&st, b0);
    memset(bi, 0, sizeof bi); /* strxor(b0, 0) = b0 for b_1 */
    for (size_t i = 1; i <= ell; i++) {
        for (size_t j = 0; j < B; j++)
            x[j] = b0[j] ^ bi[j];
        uint8_t idx = (uint8_t)i;
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, x, B);
        crypto_hash_sha512_update(&st, &idx, 1);
        crypto_hash_sha512_update(&st, dst, dst_len);
        crypto_hash_sha512_update(&st, &dlen, 1);
        crypto_hash_sha512_final(&st, bi);
        size_t take = out_len - (i - 1) * B < B ? out_len - (i - 1) * B : B;
        memcpy(out + (i - 1) * B, bi, take);
    }
    sodium_memzero(b0, sizeof b0);
    sodium_memzero(bi, sizeof bi);
    sodium_memzero(x, sizeof x);
    return 0;
}

/* HashToScalar with an explicit DST: 64 uniform bytes reduced mod the group order. */
static int s_hash_to_scalar(uint8_t out[32], const uint8_t *msg, size_t len, const uint8_t *dst,
                            size_t dst_len)
{
    uint8_t u[64];
    int rc = vn_oprf_expand_xmd(u, sizeof u, msg, len, dst, dst_len);
    if (rc == 0)
        crypto_core_ristretto255_scalar_reduce(out, u);
    sodium_memzero(u, sizeof u);
    return rc;
}

/* HashToGroup: 64 uniform bytes through ristretto255's one-way map. */
static int s_hash_to_group(uint8_t out[32], const uint8_t *msg, size_t len)
{
    uint8_t u[64];
    int rc = vn_oprf_expand_xmd(u, sizeof u, msg, len, s_dst_group, sizeof s_dst_group - 1);
    if (rc == 0 && crypto_core_ristretto255_from_hash(out, u) != 0)
        rc = VN_E_CRYPTO;
    sodium_memzero(u, sizeof u);
    return rc == 0 && sodium_is_zero(out, 32) ? VN_E_CRYPTO : rc;
}

/* A valid element from outside: a canonical encoding, not the identity. */
static int s_element_ok(const uint8_t e[32])
{
    return !sodium_is_zero(e, 32) && crypto_core_ristretto255_is_valid_point(e);
}

int vn_oprf_derive_keypair(uint8_t sk[VN_OPRF_SCALAR], uint8_t pk[VN_OPRF_ELEMENT],
                           const uint8_t *seed, size_t seed_len, const uint8_t *info,
                           size_t info_len)
{
    uint8_t in[512];
    if (seed_len + info_len + 3 > sizeof in || info_len > 65535)
        return VN_E_INVALID;
    size_t n = 0;
    memcpy(in, seed, seed_len);
    n += seed_len;
    in[n++] = (uint8_t)(info_len >> 8);
    in[n++] = (uint8_t)info_len;
    memcpy(in + n, info, info_len);
    n += info_len;
    int rc = VN_E_CRYPTO;
    for (unsigned counter = 0; counter < 256; counter++) {
        in[n] = (uint8_t)counter;
        if (s_hash_to_scalar(sk, in, n + 1, s_dst_derive, sizeof s_dst_derive - 1) != 0)
            break;
        if (!sodium_is_zero(sk, 32)) {
            rc = crypto_scalarmult_ristretto255_base(pk, sk) == 0 ? 0 : VN_E_CRYPTO;
            break;
        }
    }
    sodium_memzero(in, sizeof in);
    return rc;
}

void vn_oprf_keypair(uint8_t sk[VN_OPRF_SCALAR], uint8_t pk[VN_OPRF_ELEMENT])
{
    do {
        crypto_core_ristretto255_scalar_random(sk);
    } while (crypto_scalarmult_ristretto255_base(pk, sk) != 0);
}

int vn_oprf_blind(uint8_t blind[VN_OPRF_SCALAR], uint8_t blinded[VN_OPRF_ELEMENT],
                  const uint8_t *input, size_t input_len, const uint8_t *fixed_blind)
{
    uint8_t p[32];
    int rc = s_hash_to_group(p, input, input_len);
    if (rc != 0)
        return rc;
    if (fixed_blind)
        memcpy(blind, fixed_blind, 32);
    else
        crypto_core_ristretto255_scalar_random(blind);
    return crypto_scalarmult_ristretto255(blinded, blind, p) == 0 ? 0 : VN_E_CRYPTO;
}

/* A transcript buffer: I2OSP(len, 2) || bytes pieces, bounded. */
typedef struct {
    uint8_t b[512];
    size_t n;
} s_tx_t;

static void s_tx_put(s_tx_t *t, const uint8_t *p, size_t len, int with_len)
{
    if (with_len) {
        t->b[t->n++] = (uint8_t)(len >> 8);
        t->b[t->n++] = (uint8_t)len;
    }
    memcpy(t->b + t->n, p, len);
    t->n += len;
}

/* The server's ComputeCompositesFast (RFC 9497 2.2.1) as the RFC writes it, with libsodium alone:
 * M = sum d_i C_i, one multiplication and addition per element, and Z = sk * M. Only for
 * vn_oprf__blind_evaluate_reference; the real paths use s_composites_msm. */
static int s_composites(const uint8_t *sk, const uint8_t pk[32], const uint8_t *c,
                        const uint8_t *d, size_t n, uint8_t m[32], uint8_t z[32])
{
    uint8_t seed[crypto_hash_sha512_BYTES], di[32], t[32];
    s_tx_t tx = {.n = 0};
    s_tx_put(&tx, pk, 32, 1);
    s_tx_put(&tx, s_dst_seed, sizeof s_dst_seed - 1, 1);
    crypto_hash_sha512(seed, tx.b, tx.n);
    for (size_t i = 0; i < n; i++) {
        tx.n = 0;
        s_tx_put(&tx, seed, sizeof seed, 1);
        uint8_t idx[2] = {(uint8_t)(i >> 8), (uint8_t)i};
        s_tx_put(&tx, idx, 2, 0);
        s_tx_put(&tx, c + 32 * i, 32, 1);
        s_tx_put(&tx, d + 32 * i, 32, 1);
        s_tx_put(&tx, (const uint8_t *)"Composite", 9, 0);
        if (s_hash_to_scalar(di, tx.b, tx.n, s_dst_scalar, sizeof s_dst_scalar - 1) != 0)
            return VN_E_CRYPTO;
        if (crypto_scalarmult_ristretto255(t, di, c + 32 * i) != 0)
            return VN_E_CRYPTO;
        if (i == 0)
            memcpy(m, t, 32);
        else if (crypto_core_ristretto255_add(m, m, t) != 0)
            return VN_E_CRYPTO;
    }
    if (crypto_scalarmult_ristretto255(z, sk, m) != 0)
        return VN_E_CRYPTO;
    return 0;
}

/* The composite weights d_i of ComputeComposites (RFC 9497 2.2.1), all n of them into w. The d_i
 * transcripts differ only after their common prefix: expand_message_xmd's 128-byte Z_pad and
 * I2OSP(64, 2) || seed are absorbed into one SHA-512 state once per batch and copied for each
 * element. */
static void s_composite_weights(const uint8_t pk[32], const uint8_t *c, const uint8_t *d,
                                size_t n, uint8_t *w)
{
    enum { B = crypto_hash_sha512_BYTES };
    uint8_t seed[B], u[64], b0[B], b1[B];
    s_tx_t tx = {.n = 0};
    s_tx_put(&tx, pk, 32, 1);
    s_tx_put(&tx, s_dst_seed, sizeof s_dst_seed - 1, 1);
    crypto_hash_sha512(seed, tx.b, tx.n);
    const uint8_t zpad[128] = {0}, seed_len[2] = {0, B}, lib[3] = {0, 64, 0},
                  dlen = (uint8_t)(sizeof s_dst_scalar - 1), one = 1;
    crypto_hash_sha512_state prefix, st;
    crypto_hash_sha512_init(&prefix);
    crypto_hash_sha512_update(&prefix, zpad, sizeof zpad);
    crypto_hash_sha512_update(&prefix, seed_len, 2);
    crypto_hash_sha512_update(&prefix, seed, sizeof seed);
    for (size_t i = 0; i < n; i++) {
        /* msg = I2OSP(64,2) || seed || I2OSP(i,2) || I2OSP(32,2) || C_i || I2OSP(32,2) || D_i ||
         * "Composite"; b0 = H(Z_pad || msg || I2OSP(64,2) || 0 || DST || len(DST)) */
        uint8_t mid[2 + 2] = {(uint8_t)(i >> 8), (uint8_t)i, 0, 32}, l32[2] = {0, 32};
        st = prefix;
        crypto_hash_sha512_update(&st, mid, sizeof mid);
        crypto_hash_sha512_update(&st, c + 32 * i, 32);
        crypto_hash_sha512_update(&st, l32, 2);
        crypto_hash_sha512_update(&st, d + 32 * i, 32);
        crypto_hash_sha512_update(&st, (const uint8_t *)"Composite", 9);
        crypto_hash_sha512_update(&st, lib, 3);
        crypto_hash_sha512_update(&st, s_dst_scalar, sizeof s_dst_scalar - 1);
        crypto_hash_sha512_update(&st, &dlen, 1);
        crypto_hash_sha512_final(&st, b0);
        /* 64 uniform bytes are b1 = H(b0 || 1 || DST || len(DST)) alone */
        crypto_hash_sha512_init(&st);
        crypto_hash_sha512_update(&st, b0, B);
        crypto_hash_sha512_update(&st, &one, 1);
        crypto_hash_sha512_update(&st, s_dst_scalar, sizeof s_dst_scalar - 1);
        crypto_hash_sha512_update(&st, &dlen, 1);
        crypto_hash_sha512_final(&st, b1);
        memcpy(u, b1, 64);
        crypto_core_ristretto255_scalar_reduce(w + 32 * i, u);
    }
    sodium_memzero(u, sizeof u);
}

/* M = sum d_i C_i, and with z given also Z = sum d_i D_i, by one multi-scalar multiplication
 * each (the weights are public: vn_ristretto_msm.c). */
static int s_composites_msm(const uint8_t pk[32], const uint8_t *c, const uint8_t *d, size_t n,
                            uint8_t m[32], uint8_t *z)
{
    uint8_t *w = malloc(32 * n);
    if (!w)
        return -ENOMEM;
    s_composite_weights(pk, c, d, n, w);
    int rc = vn_ristretto_msm(m, w, c, n);
    if (rc == 0 && z)
        rc = vn_ristretto_msm(z, w, d, n);
    free(w);
    return rc;
}

/* The challenge c = HashToScalar(B, M, Z, t2, t3, "Challenge"). */
static int s_challenge(uint8_t c[32], const uint8_t pk[32], const uint8_t m[32],
                       const uint8_t z[32], const uint8_t t2[32], const uint8_t t3[32])
{
    s_tx_t tx = {.n = 0};
    s_tx_put(&tx, pk, 32, 1);
    s_tx_put(&tx, m, 32, 1);
    s_tx_put(&tx, z, 32, 1);
    s_tx_put(&tx, t2, 32, 1);
    s_tx_put(&tx, t3, 32, 1);
    s_tx_put(&tx, (const uint8_t *)"Challenge", 9, 0);
    return s_hash_to_scalar(c, tx.b, tx.n, s_dst_scalar, sizeof s_dst_scalar - 1);
}

/* The proof for D = sk * C (GenerateProof with A = G, B = pk), given its composite M. */
static int s_prove(const uint8_t *sk, const uint8_t pk[32], const uint8_t m[32],
                   const uint8_t *fixed_r, uint8_t proof[VN_OPRF_PROOF])
{
    uint8_t z[32], r[32], t2[32], t3[32], c[32], ck[32];
    int rc = VN_E_CRYPTO;
    if (crypto_scalarmult_ristretto255(z, sk, m) != 0) /* ComputeCompositesFast: Z = k * M */
        goto done;
    if (fixed_r)
        memcpy(r, fixed_r, 32);
    else
        crypto_core_ristretto255_scalar_random(r);
    if (crypto_scalarmult_ristretto255_base(t2, r) != 0 ||
        crypto_scalarmult_ristretto255(t3, r, m) != 0 || s_challenge(c, pk, m, z, t2, t3) != 0)
        goto done;
    crypto_core_ristretto255_scalar_mul(ck, c, sk);
    memcpy(proof, c, 32);
    crypto_core_ristretto255_scalar_sub(proof + 32, r, ck);
    rc = 0;
done:
    sodium_memzero(r, sizeof r);
    sodium_memzero(ck, sizeof ck);
    return rc;
}

int vn_oprf_blind_evaluate(const uint8_t sk[VN_OPRF_SCALAR], const uint8_t pk[VN_OPRF_ELEMENT],
                           const uint8_t *blinded,
                           uint8_t *evaluated, size_t n,
                           const uint8_t *fixed_r, uint8_t proof[VN_OPRF_PROOF])
{
    if (n == 0 || n > VN_OPRF_MAX_BATCH)
        return VN_E_INVALID;
    /* The server's batch path: k*C_i (libsodium, constant time) rejects a non-canonical
     * encoding and the identity by itself (no separate check); the composite M = sum d_i C_i
     * of public weights is one multi-scalar multiplication; Z = k*M is one multiplication, not
     * n (RFC 9497 ComputeCompositesFast). */
    for (size_t i = 0; i < n; i++)
        if (crypto_scalarmult_ristretto255(evaluated + 32 * i, sk, blinded + 32 * i) != 0)
            return VN_E_INVALID;
    uint8_t m[32];
    if (s_composites_msm(pk, blinded, evaluated, n, m, NULL) != 0)
        return VN_E_CRYPTO;
    return s_prove(sk, pk, m, fixed_r, proof);
}

int vn_oprf__blind_evaluate_reference(const uint8_t sk[VN_OPRF_SCALAR],
                                      const uint8_t pk[VN_OPRF_ELEMENT], const uint8_t *blinded,
                                      uint8_t *evaluated, size_t n, const uint8_t *fixed_r,
                                      uint8_t proof[VN_OPRF_PROOF])
{
    if (n == 0 || n > VN_OPRF_MAX_BATCH)
        return VN_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!s_element_ok(blinded + 32 * i))
            return VN_E_INVALID;
    for (size_t i = 0; i < n; i++)
        if (crypto_scalarmult_ristretto255(evaluated + 32 * i, sk, blinded + 32 * i) != 0)
            return VN_E_CRYPTO;
    uint8_t m[32], z[32];
    if (s_composites(sk, pk, blinded, evaluated, n, m, z) != 0)
        return VN_E_CRYPTO;
    return s_prove(sk, pk, m, fixed_r, proof);
}

int vn_oprf_verify_proof(const uint8_t pk[VN_OPRF_ELEMENT],
                         const uint8_t *blinded,
                         const uint8_t *evaluated, size_t n,
                         const uint8_t proof[VN_OPRF_PROOF])
{
    if (n == 0 || n > VN_OPRF_MAX_BATCH || !s_element_ok(pk))
        return VN_E_BAD_SIGNATURE;
    /* each blinded and evaluated element is checked (canonical, not the identity) where the
     * composites decode it, once: vn_ristretto_msm refuses it there */
    uint8_t m[32], z[32], a[32], b[32], t2[32], t3[32], c[32];
    const uint8_t *pc = proof, *ps = proof + 32;
    /* t2 = s*G + c*pk, t3 = s*M + c*Z */
    if (s_composites_msm(pk, blinded, evaluated, n, m, z) != 0 ||
        crypto_scalarmult_ristretto255_base(a, ps) != 0 ||
        crypto_scalarmult_ristretto255(b, pc, pk) != 0 || crypto_core_ristretto255_add(t2, a, b) != 0 ||
        crypto_scalarmult_ristretto255(a, ps, m) != 0 ||
        crypto_scalarmult_ristretto255(b, pc, z) != 0 || crypto_core_ristretto255_add(t3, a, b) != 0 ||
        s_challenge(c, pk, m, z, t2, t3) != 0)
        return VN_E_BAD_SIGNATURE;
    return sodium_memcmp(c, pc, 32) == 0 ? 0 : VN_E_BAD_SIGNATURE;
}

/* Hash(I2OSP(len(input), 2) || input || I2OSP(32, 2) || element || "Finalize") */
static int s_finalize_hash(uint8_t out[64], const uint8_t *input, size_t input_len,
                           const uint8_t e[32])
{
    if (input_len > 65535)
        return VN_E_INVALID;
    uint8_t l[2] = {(uint8_t)(input_len >> 8), (uint8_t)input_len}, le[2] = {0, 32};
    crypto_hash_sha512_state st;
    crypto_hash_sha512_init(&st);
    crypto_hash_sha512_update(&st, l, 2);
    crypto_hash_sha512_update(&st, input, input_len);
    crypto_hash_sha512_update(&st, le, 2);
    crypto_hash_sha512_update(&st, e, 32);
    crypto_hash_sha512_update(&st, (const uint8_t *)"Finalize", 8);
    crypto_hash_sha512_final(&st, out);
    return 0;
}

int vn_oprf_finalize(uint8_t out[VN_OPRF_OUTPUT], const uint8_t *input, size_t input_len,
                     const uint8_t blind[VN_OPRF_SCALAR], const uint8_t evaluated[VN_OPRF_ELEMENT])
{
    if (!s_element_ok(evaluated))
        return VN_E_INVALID;
    uint8_t inv[32], e[32];
    int rc = VN_E_CRYPTO;
    if (crypto_core_ristretto255_scalar_invert(inv, blind) == 0 &&
        crypto_scalarmult_ristretto255(e, inv, evaluated) == 0)
        rc = s_finalize_hash(out, input, input_len, e);
    sodium_memzero(inv, sizeof inv);
    sodium_memzero(e, sizeof e);
    return rc;
}

int vn_oprf_evaluate(uint8_t out[VN_OPRF_OUTPUT], const uint8_t sk[VN_OPRF_SCALAR],
                     const uint8_t *input, size_t input_len)
{
    uint8_t p[32], e[32];
    int rc = s_hash_to_group(p, input, input_len);
    if (rc == 0)
        rc = crypto_scalarmult_ristretto255(e, sk, p) == 0 ? s_finalize_hash(out, input, input_len, e)
                                                          : VN_E_CRYPTO;
    sodium_memzero(e, sizeof e);
    return rc;
}
