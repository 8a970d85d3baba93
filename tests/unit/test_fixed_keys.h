/* test_fixed_keys.h -- key sets derived from a seed byte, so known-answer results never change. */
#ifndef TEST_FIXED_KEYS_H
#define TEST_FIXED_KEYS_H

#include <sodium.h>
#include <string.h>

#include "vn_keys.h"

static inline vn_keyset_t *test_fixed_keys(const char *org, const char *sector, uint8_t seed_byte)
{
    vn_keyset_t *ks = vn_keyset_generate(org, sector);
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    crypto_sign_seed_keypair(ks->pub.sign_pk, ks->sign_sk, seed);
    seed[0] ^= 0x80;
    crypto_box_seed_keypair(ks->pub.box_pk, ks->box_sk, seed);
    return ks;
}

#endif
