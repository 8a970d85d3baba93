/* vn_batch.c -- the batch Merkle tree (RFC 6962 shape, BLAKE2b with personalisations of its own)
 * and the cache of verified batch roots. */
#include "vn_batch.h"
#include "vn_error.h"
#include "vn_keys.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Distinct from each other and from every other BLAKE2b use (vangnet-wrap-v1, vangnet-pseud-v1):
 * a leaf can never pass for a node, nor either for anything else. */
static const uint8_t s_leaf_personal[crypto_generichash_blake2b_PERSONALBYTES] = "vangnet-bleaf-v1";
static const uint8_t s_node_personal[crypto_generichash_blake2b_PERSONALBYTES] = "vangnet-bnode-v1";
#define BATCH_DOMAIN "vangnet-envelope-batch-v1" /* 25 bytes; a single signature's is 19 */

void vn_batch_leaf(const uint8_t msg[VN_SIGNED_MSG_BYTES], uint8_t out[VN_BATCH_HASH])
{
    crypto_generichash_blake2b_salt_personal(out, VN_BATCH_HASH, msg, VN_SIGNED_MSG_BYTES, NULL, 0,
                                             NULL, s_leaf_personal);
}

void vn_batch_node(const uint8_t left[VN_BATCH_HASH], const uint8_t right[VN_BATCH_HASH],
                   uint8_t out[VN_BATCH_HASH])
{
    uint8_t both[2 * VN_BATCH_HASH];
    memcpy(both, left, VN_BATCH_HASH);
    memcpy(both + VN_BATCH_HASH, right, VN_BATCH_HASH);
    crypto_generichash_blake2b_salt_personal(out, VN_BATCH_HASH, both, sizeof both, NULL, 0, NULL,
                                             s_node_personal);
}

/* Nodes on level l of a tree of n leaves. */
static size_t s_width(size_t n, unsigned l)
{
    for (unsigned i = 0; i < l; i++)
        n = (n + 1) / 2;
    return n;
}

int vn_batch_tree_build(vn_batch_tree_t *t, const uint8_t *leaves, size_t n)
{
    if (n == 0 || n > VN_BATCH_MAX)
        return VN_E_INVALID;
    t->n = n;
    memcpy(t->level[0], leaves, n * VN_BATCH_HASH);
    for (unsigned l = 0; s_width(n, l) > 1; l++) {
        size_t w = s_width(n, l);
        for (size_t i = 0; i + 1 < w; i += 2)
            vn_batch_node(t->level[l][i], t->level[l][i + 1], t->level[l + 1][i / 2]);
        if (w % 2) /* the lone last node moves up: RFC 6962's split at the largest power of two */
            memcpy(t->level[l + 1][w / 2], t->level[l][w - 1], VN_BATCH_HASH);
    }
    return 0;
}

const uint8_t *vn_batch_tree_root(const vn_batch_tree_t *t)
{
    unsigned l = 0;
    while (s_width(t->n, l) > 1)
        l++;
    return t->level[l][0];
}

size_t vn_batch_tree_path(const vn_batch_tree_t *t, size_t m,
                          uint8_t path[VN_BATCH_MAX_PATH][VN_BATCH_HASH])
{
    size_t len = 0;
    for (unsigned l = 0; s_width(t->n, l) > 1; l++, m /= 2) {
        size_t sibling = m ^ 1;
        if (sibling < s_width(t->n, l)) /* else m is the lone last node: no hash on this level */
            memcpy(path[len++], t->level[l][sibling], VN_BATCH_HASH);
    }
    return len;
}

int vn_batch_root_from_path(const uint8_t leaf[VN_BATCH_HASH], uint32_t m, uint32_t n,
                            const uint8_t *path, size_t len, uint8_t root[VN_BATCH_HASH])
{
    if (n < 2 || n > VN_BATCH_MAX || m >= n || len % VN_BATCH_HASH != 0 ||
        len > VN_BATCH_MAX_PATH * VN_BATCH_HASH)
        return VN_E_BAD_SIGNATURE;
    uint32_t fn = m, sn = n - 1;
    uint8_t r[VN_BATCH_HASH];
    memcpy(r, leaf, VN_BATCH_HASH);
    for (size_t i = 0; i < len / VN_BATCH_HASH; i++) {
        const uint8_t *p = path + i * VN_BATCH_HASH;
        if (sn == 0)
            return VN_E_BAD_SIGNATURE; /* a path longer than this leaf's */
        if ((fn & 1) || fn == sn) {
            vn_batch_node(p, r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            vn_batch_node(r, p, r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return VN_E_BAD_SIGNATURE; /* a path shorter than this leaf's */
    memcpy(root, r, VN_BATCH_HASH);
    return 0;
}

void vn_batch_signed_message(uint8_t out[VN_BATCH_MSG_BYTES], uint32_t n,
                             const uint8_t root[VN_BATCH_HASH])
{
    memcpy(out, BATCH_DOMAIN, 25);
    out[25] = (uint8_t)(n >> 24);
    out[26] = (uint8_t)(n >> 16);
    out[27] = (uint8_t)(n >> 8);
    out[28] = (uint8_t)n;
    memcpy(out + 29, root, VN_BATCH_HASH);
}

/* The cache: organisations in buckets by a hash of their id, a few ways per bucket. */
#define WAYS 8
#define BUCKETS (VN_BATCH_CACHE_ORGS / WAYS)

typedef struct {
    char org[VN_ORG_MAX + 1];      /* "" = free */
    uint64_t used;
    uint8_t id[VN_BATCH_CACHE_PER_ORG][VN_BATCH_HASH];
    uint64_t id_used[VN_BATCH_CACHE_PER_ORG]; /* 0 = free */
} s_org_slot_t;

struct vn_batch_cache {
    pthread_mutex_t lock;
    uint64_t generation, tick, hits;
    s_org_slot_t slot[BUCKETS][WAYS];
};

vn_batch_cache_t *vn_batch_cache_new(void)
{
    vn_batch_cache_t *c = calloc(1, sizeof *c);
    if (c && pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

void vn_batch_cache_free(vn_batch_cache_t *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

static size_t s_bucket(const char *org)
{
    uint8_t h[8];
    crypto_generichash(h, sizeof h, (const uint8_t *)org, strlen(org), NULL, 0);
    return (size_t)(h[0] | (unsigned)h[1] << 8) % BUCKETS;
}

/* Under the lock: a different generation drops everything (a key changed somewhere). */
static void s_generation(vn_batch_cache_t *c, uint64_t generation)
{
    if (c->generation == generation)
        return;
    memset(c->slot, 0, sizeof c->slot);
    c->generation = generation;
}

static s_org_slot_t *s_find(vn_batch_cache_t *c, const char *org)
{
    s_org_slot_t *b = c->slot[s_bucket(org)];
    for (int w = 0; w < WAYS; w++)
        if (b[w].org[0] && strcmp(b[w].org, org) == 0)
            return &b[w];
    return NULL;
}

int vn_batch_cache_seen(vn_batch_cache_t *c, uint64_t generation, const char *org,
                        const uint8_t id[VN_BATCH_HASH])
{
    if (!c || strlen(org) > VN_ORG_MAX)
        return 0;
    int seen = 0;
    pthread_mutex_lock(&c->lock);
    s_generation(c, generation);
    s_org_slot_t *s = s_find(c, org);
    for (int i = 0; s && i < VN_BATCH_CACHE_PER_ORG && !seen; i++)
        if (s->id_used[i] && sodium_memcmp(s->id[i], id, VN_BATCH_HASH) == 0) {
            s->id_used[i] = s->used = ++c->tick;
            seen = 1;
        }
    c->hits += (uint64_t)seen;
    pthread_mutex_unlock(&c->lock);
    return seen;
}

void vn_batch_cache_add(vn_batch_cache_t *c, uint64_t generation, const char *org,
                        const uint8_t id[VN_BATCH_HASH])
{
    if (!c || strlen(org) > VN_ORG_MAX)
        return;
    pthread_mutex_lock(&c->lock);
    s_generation(c, generation);
    s_org_slot_t *s = s_find(c, org);
    if (!s) { /* the bucket's free or least recently used organisation makes room */
        s_org_slot_t *b = c->slot[s_bucket(org)];
        s = &b[0];
        for (int w = 1; w < WAYS; w++)
            if (b[w].used < s->used)
                s = &b[w];
        memset(s, 0, sizeof *s);
        strcpy(s->org, org); /* length checked above */
    }
    int victim = 0; /* this organisation's free or least recently used entry */
    for (int i = 1; i < VN_BATCH_CACHE_PER_ORG; i++)
        if (s->id_used[i] < s->id_used[victim])
            victim = i;
    memcpy(s->id[victim], id, VN_BATCH_HASH);
    s->id_used[victim] = s->used = ++c->tick;
    pthread_mutex_unlock(&c->lock);
}

uint64_t vn_batch_cache_hits(vn_batch_cache_t *c)
{
    pthread_mutex_lock(&c->lock);
    uint64_t h = c->hits;
    pthread_mutex_unlock(&c->lock);
    return h;
}

size_t vn_batch_cache_size(vn_batch_cache_t *c)
{
    size_t n = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t b = 0; b < BUCKETS; b++)
        for (int w = 0; w < WAYS; w++)
            for (int i = 0; c->slot[b][w].org[0] && i < VN_BATCH_CACHE_PER_ORG; i++)
                n += c->slot[b][w].id_used[i] != 0;
    pthread_mutex_unlock(&c->lock);
    return n;
}
