/* vn_tiles.c -- tlog-tiles paths and tile contents over a tree of stored perfect subtrees. */
#include "vn_tiles.h"
#include "vn_error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Parse "x001/x234/067" (the index) up to an optional ".p/W"; *rest points after the index. */
static int s_index(const char *p, uint64_t *out, const char **rest)
{
    uint64_t v = 0;
    for (int groups = 0;; groups++) {
        int last = p[0] != 'x';
        if (!last)
            p++;
        if (groups > 6 || strspn(p, "0123456789") < 3)
            return VN_E_INVALID;
        v = v * 1000 + (uint64_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
        p += 3;
        if (last)
            break;
        if (*p++ != '/')
            return VN_E_INVALID;
        if (groups == 0 && v == 0)
            return VN_E_INVALID; /* no leading x000 group */
    }
    *out = v;
    *rest = p;
    return 0;
}

int vn_tile_parse(const char *path, vn_tile_t *tile)
{
    memset(tile, 0, sizeof *tile);
    if (strncmp(path, "tile/", 5) != 0)
        return VN_E_INVALID;
    const char *p = path + 5;
    if (strncmp(p, "entries/", 8) == 0) {
        tile->entries = 1;
        p += 8;
    } else {
        if (p[0] < '0' || p[0] > '9' || p[1] != '/')
            return VN_E_INVALID; /* levels above 9 cannot exist for a 64-bit size */
        tile->level = (unsigned)(p[0] - '0');
        p += 2;
        if (tile->level > VN_TILE_MAX_LEVEL)
            return VN_E_INVALID;
    }
    if (s_index(p, &tile->index, &p) != 0)
        return VN_E_INVALID;
    tile->width = VN_TILE_WIDTH;
    if (*p == 0)
        return 0;
    if (strncmp(p, ".p/", 3) != 0 || p[3] < '1' || p[3] > '9')
        return VN_E_INVALID;
    unsigned w = 0;
    for (p += 3; *p >= '0' && *p <= '9' && w < 1000; p++)
        w = w * 10 + (unsigned)(*p - '0');
    if (*p || w < 1 || w > 255)
        return VN_E_INVALID;
    tile->width = w;
    return 0;
}

void vn_tile_path(const vn_tile_t *tile, char *out, size_t outlen)
{
    char groups[8][8];
    int n = 0;
    uint64_t v = tile->index;
    do {
        snprintf(groups[n++], sizeof groups[0], "%03u", (unsigned)(v % 1000));
        v /= 1000;
    } while (v);
    int len = tile->entries ? snprintf(out, outlen, "tile/entries/")
                            : snprintf(out, outlen, "tile/%u/", tile->level);
    for (int i = n - 1; i >= 0 && len > 0 && (size_t)len < outlen; i--)
        len += snprintf(out + len, outlen - (size_t)len, "%s%s%s", i ? "x" : "", groups[i],
                        i ? "/" : "");
    if (tile->width < VN_TILE_WIDTH && len > 0 && (size_t)len < outlen)
        snprintf(out + len, outlen - (size_t)len, ".p/%u", tile->width);
}

int vn_tile_exists(const vn_tile_t *tile, uint64_t tree_size)
{
    if (tile->level > VN_TILE_MAX_LEVEL || tile->width < 1 || tile->width > VN_TILE_WIDTH)
        return 0;
    unsigned shift = 8 * tile->level; /* one tile hash covers 2^shift leaves */
    uint64_t hashes = tree_size >> shift; /* complete subtrees of that size */
    if (tile->index > (UINT64_MAX >> 8))
        return 0;
    return tile->index * VN_TILE_WIDTH + tile->width <= hashes;
}

int vn_tile_read(vn_merkle_node_fn node, void *ctx, uint64_t tree_size, const vn_tile_t *tile,
                 uint8_t *out)
{
    if (tile->entries || !vn_tile_exists(tile, tree_size))
        return VN_E_NOT_FOUND;
    for (unsigned i = 0; i < tile->width; i++) {
        int rc = node(ctx, 8 * tile->level, tile->index * VN_TILE_WIDTH + i, out + i * VN_HASH);
        if (rc != 0)
            return rc;
    }
    return 0;
}
