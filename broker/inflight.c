/* inflight.c -- what a session has been sent and not yet acknowledged (main thread): the ids of
 * its deliveries, notices and match notices in flight, in a small hash set, so that a credit
 * comes back for exactly the acks of what was really sent, whatever happened to it at the broker
 * meanwhile (expired, withheld), and never for an ack of something that was not. */
#include "broker.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Keyed, so a sender who chooses its message ids cannot make a recipient's set probe long. */
static uint8_t s_key[crypto_shorthash_KEYBYTES];
static int s_key_set;

static uint32_t s_hash(const uint8_t id[16], uint32_t mask)
{
    if (!s_key_set) {
        randombytes_buf(s_key, sizeof s_key);
        s_key_set = 1;
    }
    uint8_t h[crypto_shorthash_BYTES];
    crypto_shorthash(h, id, 16, s_key);
    uint32_t v;
    memcpy(&v, h, sizeof v);
    return v & mask;
}

static int s_used(const inflight_t *f, uint32_t i)
{
    return f->used[i >> 3] & (1u << (i & 7));
}

static void s_mark(inflight_t *f, uint32_t i, int on)
{
    if (on)
        f->used[i >> 3] |= (uint8_t)(1u << (i & 7));
    else
        f->used[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

static int s_grow(inflight_t *f)
{
    uint32_t cap = f->cap ? f->cap * 2 : 64;
    inflight_t g = {calloc(cap, 16), calloc(cap / 8, 1), cap, 0};
    if (!g.ids || !g.used) {
        free(g.ids);
        free(g.used);
        return -1;
    }
    for (uint32_t i = 0; i < f->cap; i++)
        if (s_used(f, i))
            broker__inflight_add(&g, f->ids[i]);
    free(f->ids);
    free(f->used);
    *f = g;
    return 0;
}

int broker__inflight_add(inflight_t *f, const uint8_t id[16])
{
    if ((f->n + 1) * 2 > f->cap && s_grow(f) != 0)
        return -1;
    uint32_t mask = f->cap - 1, i = s_hash(id, mask);
    for (; s_used(f, i); i = (i + 1) & mask)
        if (memcmp(f->ids[i], id, 16) == 0)
            return 1;
    memcpy(f->ids[i], id, 16);
    s_mark(f, i, 1);
    f->n++;
    return 0;
}

int broker__inflight_take(inflight_t *f, const uint8_t id[16])
{
    if (!f->cap)
        return 0;
    uint32_t mask = f->cap - 1, i = s_hash(id, mask);
    for (; s_used(f, i); i = (i + 1) & mask)
        if (memcmp(f->ids[i], id, 16) == 0)
            break;
    if (!s_used(f, i))
        return 0;
    /* Backward-shift deletion: later entries of the run move up, so no lookup stops early. */
    s_mark(f, i, 0);
    f->n--;
    for (uint32_t j = (i + 1) & mask; s_used(f, j); j = (j + 1) & mask) {
        uint32_t home = s_hash(f->ids[j], mask);
        /* j's entry may fill the hole at i unless its home lies cyclically in (i, j]. */
        int stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (stays)
            continue;
        memcpy(f->ids[i], f->ids[j], 16);
        s_mark(f, i, 1);
        s_mark(f, j, 0);
        i = j;
    }
    return 1;
}

void broker__inflight_clear(inflight_t *f)
{
    if (f->used)
        memset(f->used, 0, f->cap / 8);
    f->n = 0;
}

void broker__inflight_free(inflight_t *f)
{
    free(f->ids);
    free(f->used);
    memset(f, 0, sizeof *f);
}
