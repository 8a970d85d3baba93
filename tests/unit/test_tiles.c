/* test_tiles.c -- tlog-tiles paths (the spec's examples), which tiles a tree size holds, and tile
 * contents equal to the Merkle tree hashes they stand for (full and partial, several levels). */
#include "test_harness.h"

#include <sodium.h>

#include "vn_error.h"
#include "vn_tiles.h"

#define LEAVES 70000

static uint8_t (*s_leaves)[VN_HASH];

/* Perfect subtree hashes computed from the leaves. */
static int s_node(void *ctx, unsigned level, uint64_t index, uint8_t out[VN_HASH])
{
    (void)ctx;
    if (((index + 1) << level) > LEAVES)
        return -1;
    if (level == 0) {
        memcpy(out, s_leaves[index], VN_HASH);
        return 0;
    }
    uint8_t l[VN_HASH], r[VN_HASH];
    if (s_node(ctx, level - 1, 2 * index, l) || s_node(ctx, level - 1, 2 * index + 1, r))
        return -1;
    vn_merkle_node_hash(l, r, out);
    return 0;
}

static void test_paths(void **state)
{
    (void)state;
    vn_tile_t t;
    char path[96];
    assert_int_equal(vn_tile_parse("tile/0/x001/x234/067", &t), 0);
    assert_int_equal(t.index, 1234067);
    assert_int_equal(t.width, 256);
    vn_tile_path(&t, path, sizeof path);
    assert_string_equal(path, "tile/0/x001/x234/067");
    assert_int_equal(vn_tile_parse("tile/1/001.p/17", &t), 0);
    assert_true(t.level == 1 && t.index == 1 && t.width == 17);
    vn_tile_path(&t, path, sizeof path);
    assert_string_equal(path, "tile/1/001.p/17");
    assert_int_equal(vn_tile_parse("tile/entries/000.p/5", &t), 0);
    assert_true(t.entries && t.width == 5);
    const char *bad[] = {"tile/0/1", "tile/0/0001", "tile/0/x000/001", "tile/0/001.p/0",
                         "tile/0/001.p/256", "tile/0/001.p/017", "tile/64/000", "tile/8/000",
                         "tile/0/x1/001", "tile/0/001/", "tile/0/001.p/", "tile/0/abc", "tile/0"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(vn_tile_parse(bad[i], &t), VN_E_INVALID);
}

/* The spec's example: a tree of 70,000 has 273 full level-0 tiles and one of width 112, a full
 * level-1 tile and one of width 17, and a level-2 tile of width 1. */
static void test_which_exist(void **state)
{
    (void)state;
    vn_tile_t full0 = {0, 272, 256, 0}, over0 = {0, 273, 256, 0}, p0 = {0, 273, 112, 0},
              p0big = {0, 273, 113, 0}, full1 = {1, 0, 256, 0}, p1 = {1, 1, 17, 0},
              p1big = {1, 1, 18, 0}, p2 = {2, 0, 1, 0}, p2big = {2, 0, 2, 0};
    assert_true(vn_tile_exists(&full0, LEAVES) && vn_tile_exists(&p0, LEAVES));
    assert_false(vn_tile_exists(&over0, LEAVES) || vn_tile_exists(&p0big, LEAVES));
    assert_true(vn_tile_exists(&full1, LEAVES) && vn_tile_exists(&p1, LEAVES));
    assert_false(vn_tile_exists(&p1big, LEAVES));
    assert_true(vn_tile_exists(&p2, LEAVES));
    assert_false(vn_tile_exists(&p2big, LEAVES));
    /* Size 256: one full level-0 tile and a level-1 tile of width 1, nothing partial at 0. */
    vn_tile_t t0 = {0, 0, 256, 0}, t1 = {1, 0, 1, 0}, t0p = {0, 1, 1, 0};
    assert_true(vn_tile_exists(&t0, 256) && vn_tile_exists(&t1, 256));
    assert_false(vn_tile_exists(&t0p, 256));
}

static void test_contents(void **state)
{
    (void)state;
    uint8_t out[VN_TILE_WIDTH * VN_HASH], want[VN_HASH];
    /* Level 1, tile 1, width 17: hash i is the root of leaves (256 + i) * 256 .. +256. */
    vn_tile_t p1 = {1, 1, 17, 0};
    assert_int_equal(vn_tile_read(s_node, NULL, LEAVES, &p1, out), 0);
    for (unsigned i = 0; i < 17; i++) {
        vn_merkle_range_t r;
        vn_merkle_range_init(&r);
        for (unsigned j = 0; j < 256; j++)
            vn_merkle_range_append(&r, s_leaves[(256 + i) * 256 + j]);
        vn_merkle_range_root(&r, want);
        assert_memory_equal(out + i * VN_HASH, want, VN_HASH);
    }
    /* Level 0, partial tile of width 112: the leaf hashes themselves. */
    vn_tile_t p0 = {0, 273, 112, 0};
    assert_int_equal(vn_tile_read(s_node, NULL, LEAVES, &p0, out), 0);
    assert_memory_equal(out, s_leaves[273 * 256], 112 * VN_HASH);
    vn_tile_t too_wide = {0, 273, 113, 0}, entries = {0, 0, 256, 1};
    assert_int_equal(vn_tile_read(s_node, NULL, LEAVES, &too_wide, out), VN_E_NOT_FOUND);
    assert_int_equal(vn_tile_read(s_node, NULL, LEAVES, &entries, out), VN_E_NOT_FOUND);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    s_leaves = malloc(sizeof *s_leaves * LEAVES);
    for (uint32_t i = 0; i < LEAVES; i++)
        vn_merkle_leaf_hash((const uint8_t *)&i, sizeof i, s_leaves[i]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_which_exist),
        cmocka_unit_test(test_contents),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(s_leaves);
    return rc;
}
