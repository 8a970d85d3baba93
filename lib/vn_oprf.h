/* vn_oprf.h -- RFC 9497 VOPRF (mode 0x01), suite ristretto255-SHA512, on libsodium's group ops
 * (the composite sums of public weights on libdecaf's: vn_ristretto_msm.h). */
#ifndef VN_OPRF_H
#define VN_OPRF_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#define VN_OPRF_SCALAR 32   /* Ns: a scalar mod the group order, little-endian */
#define VN_OPRF_ELEMENT 32  /* Ne: a ristretto255 element */
#define VN_OPRF_PROOF 64    /* c || s */
#define VN_OPRF_OUTPUT 64   /* Nh: SHA-512 */
#define VN_OPRF_MAX_BATCH 1024 /* elements in one evaluation (a bound, not the RFC's) */

/* RFC 9380 expand_message_xmd with SHA-512. out_len <= 255 * 64, dst_len <= 255.
 * 0, or VN_E_INVALID for lengths out of range. */
int vn_oprf_expand_xmd(uint8_t *out, size_t out_len, const uint8_t *msg, size_t msg_len,
                       const uint8_t *dst, size_t dst_len) VN_MUST_USE;

/* DeriveKeyPair(seed, info) of RFC 9497 section 3.2.1, VOPRF mode. 0 or VN_E_CRYPTO. */
int vn_oprf_derive_keypair(uint8_t sk[VN_OPRF_SCALAR], uint8_t pk[VN_OPRF_ELEMENT],
                           const uint8_t *seed, size_t seed_len, const uint8_t *info,
                           size_t info_len) VN_MUST_USE;
/* A fresh random key pair. */
void vn_oprf_keypair(uint8_t sk[VN_OPRF_SCALAR], uint8_t pk[VN_OPRF_ELEMENT]);

/* Blind(input): blinded = blind * HashToGroup(input). With fixed_blind NULL a random blind is
 * drawn into blind; otherwise blind is copied from fixed_blind (known-answer tests only).
 * 0, or VN_E_CRYPTO (input hashed to the identity: never in practice). */
int vn_oprf_blind(uint8_t blind[VN_OPRF_SCALAR], uint8_t blinded[VN_OPRF_ELEMENT],
                  const uint8_t *input, size_t input_len,
                  const uint8_t *fixed_blind) VN_MUST_USE;

/* BlindEvaluateBatch: evaluated + 32 * i = sk * blinded + 32 * i for n elements (1..VN_OPRF_MAX_BATCH), and one
 * DLEQ proof over the batch. fixed_r NULL draws the proof's random scalar (else known answers).
 * 0; VN_E_INVALID if an element is not a canonical, non-identity ristretto255 encoding or n is out
 * of range; VN_E_CRYPTO otherwise. */
int vn_oprf_blind_evaluate(const uint8_t sk[VN_OPRF_SCALAR], const uint8_t pk[VN_OPRF_ELEMENT],
                           const uint8_t *blinded,
                           uint8_t *evaluated, size_t n,
                           const uint8_t *fixed_r,
                           uint8_t proof[VN_OPRF_PROOF]) VN_MUST_USE;

/* The same as vn_oprf_blind_evaluate, computed as before its batch path was made faster (each
 * element checked apart, the composite's transcripts hashed whole): for the known-answer tests'
 * equivalence check and the benchmark's side-by-side figure only. */
int vn_oprf__blind_evaluate_reference(const uint8_t sk[VN_OPRF_SCALAR],
                                      const uint8_t pk[VN_OPRF_ELEMENT], const uint8_t *blinded,
                                      uint8_t *evaluated, size_t n, const uint8_t *fixed_r,
                                      uint8_t proof[VN_OPRF_PROOF]) VN_MUST_USE;

/* Verify a batch's DLEQ proof against the pinned public key pk. 0 or VN_E_BAD_SIGNATURE. */
int vn_oprf_verify_proof(const uint8_t pk[VN_OPRF_ELEMENT],
                         const uint8_t *blinded,
                         const uint8_t *evaluated, size_t n,
                         const uint8_t proof[VN_OPRF_PROOF]) VN_MUST_USE;

/* Finalize one input after the batch's proof was verified: Hash(len||input||len||unblinded||
 * "Finalize"). 0, VN_E_INVALID (evaluated not a valid element) or VN_E_CRYPTO. */
int vn_oprf_finalize(uint8_t out[VN_OPRF_OUTPUT], const uint8_t *input, size_t input_len,
                     const uint8_t blind[VN_OPRF_SCALAR],
                     const uint8_t evaluated[VN_OPRF_ELEMENT]) VN_MUST_USE;

/* The server's direct Evaluate(sk, input) (RFC 9497 3.3.2): the output the protocol yields. */
int vn_oprf_evaluate(uint8_t out[VN_OPRF_OUTPUT], const uint8_t sk[VN_OPRF_SCALAR],
                     const uint8_t *input, size_t input_len) VN_MUST_USE;

#endif
