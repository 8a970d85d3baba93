/* test_ristretto_msm.c -- the multi-scalar multiplication against libsodium's one-at-a-time sum:
 * random and edge scalars (0, 1, 15, 16, L-1, long runs of ones that stress the wNAF carries),
 * batch sizes around the 64-point chunk, and refusal of the identity and of bad encodings. */
#include "test_harness.h"

#include <sodium.h>

#include "vn_error.h"
#include "vn_ristretto_msm.h"

/* sum s_i P_i with libsodium alone (the RFC's way: one multiplication and addition each) */
static void s_naive(uint8_t out[32], const uint8_t *s, const uint8_t *p, size_t n)
{
    uint8_t t[32];
    memset(out, 0, 32); /* the identity's encoding */
    for (size_t i = 0; i < n; i++) {
        if (sodium_is_zero(s + 32 * i, 32))
            continue; /* libsodium refuses to produce the identity */
        assert_int_equal(crypto_scalarmult_ristretto255(t, s + 32 * i, p + 32 * i), 0);
        if (sodium_is_zero(out, 32))
            memcpy(out, t, 32);
        else
            assert_int_equal(crypto_core_ristretto255_add(out, out, t), 0);
    }
}

static void s_random_point(uint8_t p[32])
{
    uint8_t h[64];
    randombytes_buf(h, sizeof h);
    crypto_core_ristretto255_from_hash(p, h);
}

/* L - 1, the largest reduced scalar */
static const uint8_t s_l_minus_1[32] = {
    0xec, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

static void s_edge_scalar(uint8_t s[32], size_t i)
{
    memset(s, 0, 32);
    switch (i % 8) {
    case 0: s[0] = 1; break;
    case 1: s[0] = 15; break;
    case 2: s[0] = 16; break;
    case 3: memcpy(s, s_l_minus_1, 32); break;
    case 4: memset(s, 0xff, 31); s[31] = 0x0f; break; /* 2^252 - 1: all ones, below L */
    case 5: break; /* zero */
    case 6: memset(s, 0x55, 31); break;
    default: crypto_core_ristretto255_scalar_random(s); break;
    }
}

static void test_matches_naive(void **state)
{
    (void)state;
    enum { N = 140 };
    static uint8_t s[N][32], p[N][32];
    uint8_t a[32], b[32];
    for (size_t i = 0; i < N; i++) {
        s_random_point(p[i]);
        crypto_core_ristretto255_scalar_random(s[i]);
    }
    const size_t sizes[] = {1, 2, 3, 63, 64, 65, 100, 128, 129, N};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        assert_int_equal(vn_ristretto_msm(a, s[0], p[0], sizes[k]), 0);
        s_naive(b, s[0], p[0], sizes[k]);
        assert_memory_equal(a, b, 32);
    }
    for (size_t i = 0; i < N; i++)
        s_edge_scalar(s[i], i);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        assert_int_equal(vn_ristretto_msm(a, s[0], p[0], sizes[k]), 0);
        s_naive(b, s[0], p[0], sizes[k]);
        assert_memory_equal(a, b, 32);
    }
    /* the same point with weights that cancel: 1 P + (L-1) P is the identity */
    memcpy(p[1], p[0], 32);
    memset(s[0], 0, 32);
    s[0][0] = 1;
    memcpy(s[1], s_l_minus_1, 32);
    assert_int_equal(vn_ristretto_msm(a, s[0], p[0], 2), 0);
    assert_true(sodium_is_zero(a, 32));
}

static void test_refuses_bad_points(void **state)
{
    (void)state;
    uint8_t s[3][32], p[3][32], out[32];
    for (int i = 0; i < 3; i++) {
        s_random_point(p[i]);
        crypto_core_ristretto255_scalar_random(s[i]);
    }
    assert_int_equal(vn_ristretto_msm(out, s[0], p[0], 0), VN_E_INVALID);
    memset(p[2], 0, 32); /* the identity */
    assert_int_equal(vn_ristretto_msm(out, s[0], p[0], 3), VN_E_INVALID);
    memset(p[2], 0xff, 32); /* not a field element */
    assert_int_equal(vn_ristretto_msm(out, s[0], p[0], 3), VN_E_INVALID);
    s_random_point(p[2]);
    p[2][0] |= 1; /* a negative s: never canonical */
    assert_int_equal(crypto_core_ristretto255_is_valid_point(p[2]), 0);
    assert_int_equal(vn_ristretto_msm(out, s[0], p[0], 3), VN_E_INVALID);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_naive),
        cmocka_unit_test(test_refuses_bad_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
