/* vn_tiles.h -- the Merkle tree as C2SP tlog-tiles (c2sp.org/tlog-tiles): tile paths and tile
 * contents, computed from the stored perfect subtrees (each tile hash is one of them). */
#ifndef VN_TILES_H
#define VN_TILES_H

#include "vn_error.h"

#include <stddef.h>
#include <stdint.h>

#include "vn_merkle.h"

#define VN_TILE_WIDTH 256
#define VN_TILE_MAX_LEVEL 7 /* 256^8 leaves would overflow a size: no higher level can exist */

typedef struct {
    unsigned level;   /* tile level L: its hashes are subtrees of 256^L leaves */
    uint64_t index;   /* N */
    unsigned width;   /* 1..256; 256 is a full tile */
    int entries;      /* 1 for tile/entries/N (an entry bundle) */
} vn_tile_t;

/* Parse "tile/L/N[.p/W]" or "tile/entries/N[.p/W]" (no leading slash): N in 3-digit groups,
 * all but the last prefixed by 'x', no extra leading zeroes. 0 or VN_E_INVALID. */
int vn_tile_parse(const char *path, vn_tile_t *tile) VN_MUST_USE;
/* The path of a tile, as vn_tile_parse reads it (out: at least 96 bytes). */
void vn_tile_path(const vn_tile_t *tile, char *out, size_t outlen);

/* 1 if a tree of size tree_size holds every hash of the tile (a partial tile of width W exists
 * once the first W hashes of that tile are complete). */
int vn_tile_exists(const vn_tile_t *tile, uint64_t tree_size);
/* The tile's width * 32 bytes into out (VN_TILE_WIDTH * VN_HASH bytes). 0, VN_E_NOT_FOUND if the
 * tree of size tree_size does not hold it, or the node lookup's error. */
int vn_tile_read(vn_merkle_node_fn node, void *ctx, uint64_t tree_size, const vn_tile_t *tile,
                 uint8_t *out) VN_MUST_USE;

#endif
