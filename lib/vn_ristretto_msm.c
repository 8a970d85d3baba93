/* vn_ristretto_msm.c -- multi-scalar multiplication over ristretto255 for public scalars.
 *
 * Why: the pseudonym service's DLEQ proof needs the composite M = sum d_i C_i over a batch, and
 * the agent's check of it needs M and Z = sum d_i D_i. libsodium 1.0.18 offers only one
 * multiplication at a time, each through a decode and an encode, so a composite cost as much as
 * the evaluation itself. libdecaf (Debian's libdecaf-dev) exports ristretto255's group law on
 * decoded points; on it this file runs Straus's method with width-5 wNAF digits: each point is
 * decoded once, gets a table of its odd multiples 1P..15P, and the batch shares one chain of
 * 253 doublings, so a point costs about 51 additions instead of a 253-bit multiplication.
 *
 * Variable time: the digits steer branches and table lookups. The composite weights are hashes
 * of the public transcript (pk, C_i, D_i), known to every verifier, so this leaks nothing; the
 * secret key's multiplications stay in libsodium's constant-time code (vn_oprf.c). */
#include "vn_ristretto_msm.h"

#include <decaf/point_255.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
    WINDOW = 5,                     /* wNAF digits are odd, |d| < 2^(WINDOW-1) */
    ODD_MULTIPLES = 1 << (WINDOW - 2), /* 1P, 3P, ..., 15P */
    DIGITS = 256 + 1,               /* a 256-bit value has at most 257 wNAF digits */
    CHUNK = 64,                     /* points per shared doubling chain: bounds the tables */
};

/* The width-5 non-adjacent form of a little-endian 256-bit scalar: s = sum naf[i] 2^i with every
 * nonzero digit odd and followed by at least WINDOW-1 zeros. Returns the number of digits. */
static int s_wnaf(int8_t naf[DIGITS], const uint8_t s[32])
{
    uint64_t x[5] = {0};
    for (int i = 0; i < 32; i++)
        x[i / 8] |= (uint64_t)s[i] << (8 * (i % 8));
    memset(naf, 0, DIGITS);
    int len = 0;
    for (int i = 0; i < DIGITS && (x[0] | x[1] | x[2] | x[3] | x[4]); i++) {
        if (x[0] & 1) {
            int d = (int)(x[0] & ((1u << WINDOW) - 1));
            if (d >= 1 << (WINDOW - 1))
                d -= 1 << WINDOW;
            naf[i] = (int8_t)d;
            /* x -= d: subtract a small positive digit, or add the magnitude of a negative one */
            uint64_t mag = (uint64_t)(d > 0 ? d : -d);
            if (d > 0) {
                for (int k = 0; k < 5 && mag; k++) {
                    uint64_t before = x[k];
                    x[k] -= mag;
                    mag = x[k] > before; /* borrow */
                }
            } else {
                for (int k = 0; k < 5 && mag; k++) {
                    x[k] += mag;
                    mag = x[k] < mag; /* carry */
                }
            }
        }
        for (int k = 0; k < 4; k++)
            x[k] = (x[k] >> 1) | (x[k + 1] << 63);
        x[4] >>= 1;
        len = i + 1;
    }
    return len;
}

/* One chunk of at most CHUNK points: acc += sum s_i P_i. */
static int s_chunk(decaf_255_point_t acc, const uint8_t *scalars, const uint8_t *points,
                   size_t n, decaf_255_point_t *table, int8_t (*naf)[DIGITS])
{
    int top = 0;
    for (size_t i = 0; i < n; i++) {
        decaf_255_point_t *t = table + i * ODD_MULTIPLES, twice;
        if (decaf_255_point_decode(t[0], points + 32 * i, DECAF_FALSE) != DECAF_SUCCESS)
            return VN_E_INVALID;
        decaf_255_point_double(twice, t[0]);
        for (int k = 1; k < ODD_MULTIPLES; k++)
            decaf_255_point_add(t[k], t[k - 1], twice);
        int len = s_wnaf(naf[i], scalars + 32 * i);
        if (len > top)
            top = len;
    }
    decaf_255_point_t r;
    decaf_255_point_copy(r, decaf_255_point_identity);
    for (int bit = top - 1; bit >= 0; bit--) {
        decaf_255_point_double(r, r);
        for (size_t i = 0; i < n; i++) {
            int d = naf[i][bit];
            if (d > 0)
                decaf_255_point_add(r, r, table[i * ODD_MULTIPLES + (size_t)(d >> 1)]);
            else if (d < 0)
                decaf_255_point_sub(r, r, table[i * ODD_MULTIPLES + (size_t)((-d) >> 1)]);
        }
    }
    decaf_255_point_add(acc, acc, r);
    return 0;
}

int vn_ristretto_msm(uint8_t out[32], const uint8_t *scalars, const uint8_t *points, size_t n)
{
    if (n == 0)
        return VN_E_INVALID;
    size_t per = n < CHUNK ? n : CHUNK;
    /* decaf's points are 32-byte aligned (vector code); malloc promises only 16 */
    decaf_255_point_t *table = aligned_alloc(32, per * ODD_MULTIPLES * sizeof *table);
    int8_t (*naf)[DIGITS] = malloc(per * sizeof *naf);
    if (!table || !naf) {
        free(table);
        free(naf);
        return -ENOMEM;
    }
    decaf_255_point_t acc;
    decaf_255_point_copy(acc, decaf_255_point_identity);
    int rc = 0;
    for (size_t at = 0; at < n && rc == 0; at += per) {
        size_t m = n - at < per ? n - at : per;
        rc = s_chunk(acc, scalars + 32 * at, points + 32 * at, m, table, naf);
    }
    if (rc == 0)
        decaf_255_point_encode(out, acc);
    free(table);
    free(naf);
    return rc;
}
