/* test_oprf.c -- RFC 9497 VOPRF ristretto255-SHA512: the appendix A.1.2 known answers (key
 * derivation, blind, evaluate, proof, finalize, batch of two), RFC 9380's expand_message_xmd
 * SHA-512 vectors, and proofs that must be refused. */
#include "test_harness.h"

#include <sodium.h>

#include "vn_error.h"
#include "vn_oprf.h"

static void s_hex(uint8_t *out, size_t n, const char *hex)
{
    size_t len;
    assert_int_equal(sodium_hex2bin(out, n, hex, strlen(hex), NULL, &len, NULL), 0);
    assert_int_equal(len, n);
}

static void s_eq(const uint8_t *got, const char *hex, size_t n)
{
    uint8_t want[128];
    s_hex(want, n, hex);
    assert_memory_equal(got, want, n);
}

#define SKSM "e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909"
#define PKSM "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e"
#define BLIND1 "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706"
#define BLIND2 "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e"
#define OUT1 "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d" \
             "a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c"
#define OUT2 "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60" \
             "356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6"

static const uint8_t s_in1[] = {0x00};
static const uint8_t s_in2[17] = {0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
                                  0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a};

static void test_expand_xmd(void **state)
{
    (void)state;
    const uint8_t dst[] = "QUUX-V01-CS02-with-expander-SHA512-256";
    uint8_t out[128];
    assert_int_equal(vn_oprf_expand_xmd(out, 32, (const uint8_t *)"", 0, dst, sizeof dst - 1), 0);
    s_eq(out, "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba", 32);
    assert_int_equal(vn_oprf_expand_xmd(out, 32, (const uint8_t *)"abc", 3, dst, sizeof dst - 1), 0);
    s_eq(out, "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc", 32);
    assert_int_equal(vn_oprf_expand_xmd(out, 0x80, (const uint8_t *)"abc", 3, dst, sizeof dst - 1), 0);
    s_eq(out, "7f1dddd13c08b543f2e2037b14cefb255b44c83cc397c1786d975653e36a6b11"
              "bdd7732d8b38adb4a0edc26a0cef4bb45217135456e58fbca1703cd6032cb134"
              "7ee720b87972d63fbf232587043ed2901bce7f22610c0419751c065922b48843"
              "1851041310ad659e4b23520e1772ab29dcdeb2002222a363f0c2b1c972b3efe1", 128);
    assert_int_equal(vn_oprf_expand_xmd(out, 0, (const uint8_t *)"", 0, dst, 5), VN_E_INVALID);
    assert_int_equal(vn_oprf_expand_xmd(out, 32, (const uint8_t *)"", 0, dst, 256), VN_E_INVALID);
}

static void test_derive_keypair(void **state)
{
    (void)state;
    uint8_t seed[32], sk[32], pk[32];
    memset(seed, 0xa3, sizeof seed);
    assert_int_equal(vn_oprf_derive_keypair(sk, pk, seed, 32, (const uint8_t *)"test key", 8), 0);
    s_eq(sk, SKSM, 32);
    s_eq(pk, PKSM, 32);
}

/* One RFC vector of batch size 1: blind, evaluate with the proof scalar, verify, finalize. */
static void s_vector1(const uint8_t *in, size_t in_len, const char *blinded_hex,
                      const char *eval_hex, const char *proof_hex, const char *out_hex)
{
    uint8_t sk[32], pk[32], fixed[32], r[32], blind[32], blinded[1][32], ev[1][32], proof[64],
        out[64], direct[64];
    s_hex(sk, 32, SKSM);
    s_hex(pk, 32, PKSM);
    s_hex(fixed, 32, BLIND1);
    s_hex(r, 32, BLIND2); /* the vectors' ProofRandomScalar for batch size 1 */
    assert_int_equal(vn_oprf_blind(blind, blinded[0], in, in_len, fixed), 0);
    s_eq(blinded[0], blinded_hex, 32);
    assert_int_equal(vn_oprf_blind_evaluate(sk, pk, blinded[0], ev[0], 1, r, proof), 0);
    s_eq(ev[0], eval_hex, 32);
    s_eq(proof, proof_hex, 64);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0],
                                          ev[0], 1, proof), 0);
    assert_int_equal(vn_oprf_finalize(out, in, in_len, blind, ev[0]), 0);
    s_eq(out, out_hex, 64);
    assert_int_equal(vn_oprf_evaluate(direct, sk, in, in_len), 0);
    assert_memory_equal(direct, out, 64);
}

static void test_vector1(void **state)
{
    (void)state;
    s_vector1(s_in1, sizeof s_in1,
              "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
              "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
              "ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd06"
              "6d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
              OUT1);
}

static void test_vector2(void **state)
{
    (void)state;
    s_vector1(s_in2, sizeof s_in2,
              "cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c",
              "60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468",
              "401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a"
              "67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
              OUT2);
}

/* Vector 3: a batch of two under one proof. */
static void test_vector3_batch(void **state)
{
    (void)state;
    uint8_t sk[32], pk[32], b1[32], b2[32], r[32], blind[2][32], blinded[2][32], ev[2][32],
        proof[64], out[64];
    s_hex(sk, 32, SKSM);
    s_hex(pk, 32, PKSM);
    s_hex(b1, 32, BLIND1);
    s_hex(b2, 32, BLIND2);
    s_hex(r, 32, "419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c");
    assert_int_equal(vn_oprf_blind(blind[0], blinded[0], s_in1, sizeof s_in1, b1), 0);
    assert_int_equal(vn_oprf_blind(blind[1], blinded[1], s_in2, sizeof s_in2, b2), 0);
    s_eq(blinded[1], "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654", 32);
    assert_int_equal(vn_oprf_blind_evaluate(sk, pk, blinded[0], ev[0], 2, r, proof), 0);
    s_eq(ev[0], "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e", 32);
    s_eq(ev[1], "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a", 32);
    s_eq(proof, "cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a"
                "5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08", 64);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0],
                                          ev[0], 2, proof), 0);
    assert_int_equal(vn_oprf_finalize(out, s_in1, sizeof s_in1, blind[0], ev[0]), 0);
    s_eq(out, OUT1, 64);
    assert_int_equal(vn_oprf_finalize(out, s_in2, sizeof s_in2, blind[1], ev[1]), 0);
    s_eq(out, OUT2, 64);
}

/* The agent's checks: another key's proof, a swapped element, a changed proof are all refused. */
static void test_proof_refused(void **state)
{
    (void)state;
    uint8_t sk[32], pk[32], sk2[32], pk2[32], blind[2][32], blinded[2][32], ev[2][32], proof[64];
    s_hex(sk, 32, SKSM);
    s_hex(pk, 32, PKSM);
    vn_oprf_keypair(sk2, pk2);
    assert_int_equal(vn_oprf_blind(blind[0], blinded[0], s_in1, 1, NULL), 0);
    assert_int_equal(vn_oprf_blind(blind[1], blinded[1], s_in2, sizeof s_in2, NULL), 0);
    /* a key holder using another key, with its own (valid) proof: refused under the pinned key */
    assert_int_equal(vn_oprf_blind_evaluate(sk2, pk2, blinded[0], ev[0], 2, NULL, proof), 0);
    assert_int_equal(vn_oprf_verify_proof(pk2, blinded[0],
                                          ev[0], 2, proof), 0);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0],
                                          ev[0], 2, proof), VN_E_BAD_SIGNATURE);
    /* the right key, but one evaluation swapped for another key's */
    uint8_t ev_other[32];
    memcpy(ev_other, ev[1], 32);
    assert_int_equal(vn_oprf_blind_evaluate(sk, pk, blinded[0], ev[0], 2, NULL, proof), 0);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0],
                                          ev[0], 2, proof), 0);
    memcpy(ev[1], ev_other, 32);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0],
                                          ev[0], 2, proof), VN_E_BAD_SIGNATURE);
    assert_int_equal(vn_oprf_blind_evaluate(sk, pk, blinded[0], ev[0], 2, NULL, proof), 0);
    proof[40] ^= 1;
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0],
                                          ev[0], 2, proof), VN_E_BAD_SIGNATURE);
    /* the agent refuses an evaluated or blinded element that is the identity or not canonical */
    proof[40] ^= 1;
    uint8_t keep[32];
    memcpy(keep, ev[1], 32);
    memset(ev[1], 0, 32);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0], ev[0], 2, proof), VN_E_BAD_SIGNATURE);
    memset(ev[1], 0xff, 32);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0], ev[0], 2, proof), VN_E_BAD_SIGNATURE);
    memcpy(ev[1], keep, 32);
    memcpy(keep, blinded[0], 32);
    memset(blinded[0], 0, 32);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0], ev[0], 2, proof), VN_E_BAD_SIGNATURE);
    memcpy(blinded[0], keep, 32);
    assert_int_equal(vn_oprf_verify_proof(pk, blinded[0], ev[0], 2, proof), 0);
    /* the server refuses the identity and non-canonical encodings */
    uint8_t bad[1][32];
    memset(bad, 0, sizeof bad);
    assert_int_equal(vn_oprf_blind_evaluate(sk, pk, bad[0], ev[0], 1, NULL, proof), VN_E_INVALID);
    memset(bad, 0xff, sizeof bad);
    assert_int_equal(vn_oprf_blind_evaluate(sk, pk, bad[0], ev[0], 1, NULL, proof), VN_E_INVALID);
    assert_int_equal(vn_oprf_blind_evaluate(sk, pk, blinded[0], ev[0], 0, NULL, proof), VN_E_INVALID);
}

/* The batch path (one check per element, shared hash prefix, Z = k*M) gives the same evaluations
 * and the same proof as the plain computation, for batches up to 100 and for the last element
 * invalid (refused either way). */
static void test_fast_equals_reference(void **state)
{
    (void)state;
    enum { N = 100 };
    static uint8_t blinds[N][32], blinded[N][32], ev1[N][32], ev2[N][32];
    uint8_t sk[32], pk[32], r[32], p1[64], p2[64];
    vn_oprf_keypair(sk, pk);
    crypto_core_ristretto255_scalar_random(r);
    for (int i = 0; i < N; i++) {
        char bsn[10];
        snprintf(bsn, sizeof bsn, "%09d", 100000000 + 7919 * i);
        assert_int_equal(vn_oprf_blind(blinds[i], blinded[i], (const uint8_t *)bsn, 9, NULL), 0);
    }
    for (size_t n = 1; n <= N; n += 33) {
        assert_int_equal(vn_oprf_blind_evaluate(sk, pk, blinded[0], ev1[0], n, r, p1), 0);
        assert_int_equal(vn_oprf__blind_evaluate_reference(sk, pk, blinded[0], ev2[0], n, r, p2), 0);
        assert_memory_equal(ev1, ev2, 32 * n);
        assert_memory_equal(p1, p2, 64);
        assert_int_equal(vn_oprf_verify_proof(pk, blinded[0], ev1[0], n, p1), 0);
    }
    memset(blinded[N - 1], 0xff, 32);
    assert_int_equal(vn_oprf_blind_evaluate(sk, pk, blinded[0], ev1[0], N, r, p1), VN_E_INVALID);
    assert_int_equal(vn_oprf__blind_evaluate_reference(sk, pk, blinded[0], ev2[0], N, r, p2),
                     VN_E_INVALID);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_xmd),   cmocka_unit_test(test_derive_keypair),
        cmocka_unit_test(test_vector1),      cmocka_unit_test(test_vector2),
        cmocka_unit_test(test_vector3_batch), cmocka_unit_test(test_proof_refused),
        cmocka_unit_test(test_fast_equals_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
