/* test_merkle.c -- RFC 6962 known answers (the certificate-transparency test vectors) and
 * exhaustive proof generation/verification on small trees. */
#include "test_harness.h"

#include <sodium.h>

#include "vn_merkle.h"
#include "vn_util.h"

/* An in-memory tree: leaf hashes, perfect subtrees computed on demand. */
typedef struct {
    uint8_t leaves[64][VN_HASH];
    uint64_t n;
} mem_tree_t;

static int s_node(void *ctx, unsigned level, uint64_t index, uint8_t out[VN_HASH])
{
    mem_tree_t *t = ctx;
    if (level == 0) {
        if (index >= t->n)
            return -1;
        memcpy(out, t->leaves[index], VN_HASH);
        return 0;
    }
    uint8_t l[VN_HASH], r[VN_HASH];
    if (s_node(ctx, level - 1, 2 * index, l) || s_node(ctx, level - 1, 2 * index + 1, r))
        return -1;
    vn_merkle_node_hash(l, r, out);
    return 0;
}

static const char *const s_inputs[] = {"", "00", "10", "2021", "3031", "40414243",
                                       "5051525354555657", "606162636465666768696a6b6c6d6e6f"};
static const char *const s_roots[] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void s_vector_tree(mem_tree_t *t)
{
    memset(t, 0, sizeof *t);
    for (int i = 0; i < 8; i++) {
        uint8_t raw[16];
        size_t len = strlen(s_inputs[i]) / 2;
        assert_int_equal(vn_unhex(raw, len, s_inputs[i]), 0);
        vn_merkle_leaf_hash(raw, len, t->leaves[i]);
    }
    t->n = 8;
}

static void s_expect_proof(uint8_t proof[][VN_HASH], size_t len, const char *const *want,
                           size_t want_len)
{
    char hex[65];
    assert_int_equal(len, want_len);
    for (size_t i = 0; i < len; i++)
        assert_string_equal(vn_hex(hex, proof[i], VN_HASH), want[i]);
}

static void test_roots(void **state)
{
    (void)state;
    mem_tree_t t;
    s_vector_tree(&t);
    vn_merkle_range_t range;
    vn_merkle_range_init(&range);
    char hex[65];
    uint8_t root[VN_HASH];
    for (uint64_t n = 0; n <= 8; n++) {
        assert_int_equal(vn_merkle_root(s_node, &t, n, root), 0);
        assert_string_equal(vn_hex(hex, root, VN_HASH), s_roots[n]);
        vn_merkle_range_root(&range, root);
        assert_string_equal(vn_hex(hex, root, VN_HASH), s_roots[n]);
        if (n < 8)
            vn_merkle_range_append(&range, t.leaves[n]);
    }
}

static void test_known_proofs(void **state)
{
    (void)state;
    mem_tree_t t;
    s_vector_tree(&t);
    uint8_t proof[VN_MERKLE_MAX_PROOF][VN_HASH];
    size_t len;
    static const char *const incl_0_8[] = {
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
    static const char *const incl_5_8[] = {
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
    static const char *const cons_3_8[] = {
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
    static const char *const cons_2_5[] = {
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"};
    static const char *const cons_6_8[] = {
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
    assert_int_equal(vn_merkle_inclusion(s_node, &t, 0, 8, proof, &len), 0);
    s_expect_proof(proof, len, incl_0_8, 3);
    assert_int_equal(vn_merkle_inclusion(s_node, &t, 5, 8, proof, &len), 0);
    s_expect_proof(proof, len, incl_5_8, 3);
    assert_int_equal(vn_merkle_consistency(s_node, &t, 3, 8, proof, &len), 0);
    s_expect_proof(proof, len, cons_3_8, 4);
    t.n = 5;
    assert_int_equal(vn_merkle_consistency(s_node, &t, 2, 5, proof, &len), 0);
    s_expect_proof(proof, len, cons_2_5, 2);
    t.n = 8;
    assert_int_equal(vn_merkle_consistency(s_node, &t, 6, 8, proof, &len), 0);
    s_expect_proof(proof, len, cons_6_8, 3);
}

static void test_all_small_trees(void **state)
{
    (void)state;
    mem_tree_t t = {.n = 40};
    for (int i = 0; i < 40; i++)
        randombytes_buf(t.leaves[i], VN_HASH);
    uint8_t proof[VN_MERKLE_MAX_PROOF][VN_HASH], root_m[VN_HASH], root_n[VN_HASH];
    size_t len;
    for (uint64_t n = 1; n <= 40; n++) {
        assert_int_equal(vn_merkle_root(s_node, &t, n, root_n), 0);
        for (uint64_t m = 0; m < n; m++) {
            assert_int_equal(vn_merkle_inclusion(s_node, &t, m, n, proof, &len), 0);
            assert_true(vn_merkle_verify_inclusion(t.leaves[m], m, n, proof, len, root_n));
            /* wrong index, wrong leaf, a changed node: all fail */
            assert_false(vn_merkle_verify_inclusion(t.leaves[m], (m + 1) % n, n, proof, len, root_n) &&
                         n > 1);
            assert_false(vn_merkle_verify_inclusion(t.leaves[(m + 1) % 40], m, n, proof, len, root_n));
            if (len) {
                proof[len / 2][0] ^= 1;
                assert_false(vn_merkle_verify_inclusion(t.leaves[m], m, n, proof, len, root_n));
            }
        }
        for (uint64_t m = 1; m <= n; m++) {
            assert_int_equal(vn_merkle_root(s_node, &t, m, root_m), 0);
            assert_int_equal(vn_merkle_consistency(s_node, &t, m, n, proof, &len), 0);
            assert_true(vn_merkle_verify_consistency(m, n, root_m, root_n, proof, len));
            if (m < n) {
                /* a rewritten history: another root for size m does not verify */
                uint8_t forged[VN_HASH];
                memcpy(forged, root_m, VN_HASH);
                forged[3] ^= 0x40;
                assert_false(vn_merkle_verify_consistency(m, n, forged, root_n, proof, len));
                if (len) {
                    proof[0][0] ^= 1;
                    assert_false(vn_merkle_verify_consistency(m, n, root_m, root_n, proof, len));
                }
            }
        }
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roots),
        cmocka_unit_test(test_known_proofs),
        cmocka_unit_test(test_all_small_trees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
