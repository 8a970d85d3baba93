/* vn_ristretto_msm.h -- sum of s_i * P_i over ristretto255, for PUBLIC scalars only. */
#ifndef VN_RISTRETTO_MSM_H
#define VN_RISTRETTO_MSM_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

/* out = sum over i < n of scalars[32 i .. 32 i + 31] * points[32 i .. 32 i + 31].
 * Scalars are little-endian and reduced mod the group order; points are ristretto255 encodings.
 * VARIABLE TIME in the scalars: only for values anyone may know (RFC 9497's composite weights
 * are hashes of the public transcript). Never pass a secret key or a blind.
 * 0; VN_E_INVALID if n is 0 or a point is not a canonical, non-identity encoding;
 * -ENOMEM. */
int vn_ristretto_msm(uint8_t out[32], const uint8_t *scalars, const uint8_t *points,
                     size_t n) VN_MUST_USE;

#endif
