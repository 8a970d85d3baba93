/* test_wrap.c -- the content key's wrapping: v2's kek recomputed here from its definition in
 * docs/envelope.md, a batch sharing one ephemeral key per recipient (first wrapping v1, the rest
 * v2, a new key after the batch), every changed input refused, the recipient's cache giving what
 * X25519 gives and staying bounded, and two envelopes of one batch opening end to end with a
 * pinned known answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_wrap.h"

#include "test_fixed_keys.h"

/* test_envelopes_of_one_batch: the two members' sealed keys (v1, then v2) */
#define KAT_SEALED_0 "48d057e603039cf38ccc0e46b466186591b6759996e21e826ae3a76b9aafa70b1d4a23c7cc34224e54c80c87ec76ed74"
#define KAT_SEALED_1 "c74fc787bd63dd15d36d0d6b13e8c6b12258479b73195c20a2c5506a89c4015f87fdc0a9acc8cfbbd910eeb076f2297c"

typedef struct {
    uint8_t sk[32], pk[32];
} keypair_t;

static void s_keypair(keypair_t *k, uint8_t seed_byte)
{
    uint8_t seed[32];
    memset(seed, seed_byte, sizeof seed);
    crypto_box_seed_keypair(k->pk, k->sk, seed);
}

/* The definition, written out independently of lib/vn_wrap.c. */
static void s_expected_kek(uint8_t kek[32], int v2, const keypair_t *r, const uint8_t eph_pk[32],
                           const uint8_t msgid[16], const uint8_t nonce[24])
{
    uint8_t shared[32], in[32 + 32 + 16 + 24], personal[16] = {0};
    assert_int_equal(crypto_scalarmult(shared, r->sk, eph_pk), 0);
    memcpy(in, eph_pk, 32);
    memcpy(in + 32, r->pk, 32);
    memcpy(in + 64, msgid, 16);
    memcpy(in + 80, nonce, 24);
    memcpy(personal, v2 ? "vangnet-wrap-v2" : "vangnet-wrap-v1", 15);
    crypto_generichash_blake2b_salt_personal(kek, 32, in, v2 ? sizeof in : 64, shared, 32, NULL,
                                             personal);
}

static void s_expected_open(uint8_t key[32], const uint8_t kek[32], const char *org,
                            const uint8_t msgid[16], const uint8_t sealed[48])
{
    uint8_t ad[15 + 16 + 64], zero[24] = {0};
    size_t ol = strlen(org);
    memcpy(ad, "vangnet-wrap-v1", 15);
    memcpy(ad + 15, msgid, 16);
    memcpy(ad + 31, org, ol);
    assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(key, NULL, NULL, sealed, 48, ad,
                                                                31 + ol, zero, kek),
                     0);
}

typedef struct {
    uint8_t msgid[16], nonce[24], key[32], eph_pk[32], sealed[48];
    uint32_t version;
} wrapping_t;

static void s_wrap(vn_wrap_batch_t *b, const char *org, const keypair_t *r, uint8_t n,
                   wrapping_t *w)
{
    uint8_t eph_sk[32];
    memset(w->msgid, n, sizeof w->msgid);
    memset(w->nonce, 0x40 + n, sizeof w->nonce);
    memset(w->key, 0x80 + n, sizeof w->key);
    memset(eph_sk, 0xc0 + n, sizeof eph_sk);
    assert_int_equal(vn_wrap_seal(b, eph_sk, org, r->pk, w->msgid, w->nonce, w->key, w->eph_pk,
                                  w->sealed, &w->version),
                     0);
}

static void s_check_definition(const wrapping_t *w, const char *org, const keypair_t *r)
{
    uint8_t kek[32], key[32];
    s_expected_kek(kek, w->version == VN_WRAP_V2, r, w->eph_pk, w->msgid, w->nonce);
    s_expected_open(key, kek, org, w->msgid, w->sealed);
    assert_memory_equal(key, w->key, 32);
}

static void test_batch_shares_one_ephemeral_key_per_recipient(void **state)
{
    (void)state;
    keypair_t r1, r2;
    s_keypair(&r1, 1);
    s_keypair(&r2, 2);
    vn_wrap_batch_t *b = vn_wrap_batch_new();
    wrapping_t w[5];
    s_wrap(b, "vt-zuid-limburg", &r1, 1, &w[0]);
    s_wrap(b, "vt-zuid-limburg", &r1, 2, &w[1]);
    s_wrap(b, "school-heerlen", &r2, 3, &w[2]);
    s_wrap(b, "vt-zuid-limburg", &r1, 4, &w[3]);
    assert_int_equal(w[0].version, VN_WRAP_V1); /* the batch's first to r1: as without a batch */
    assert_int_equal(w[1].version, VN_WRAP_V2);
    assert_int_equal(w[2].version, VN_WRAP_V1); /* another recipient: its own key */
    assert_int_equal(w[3].version, VN_WRAP_V2);
    assert_memory_equal(w[0].eph_pk, w[1].eph_pk, 32);
    assert_memory_equal(w[0].eph_pk, w[3].eph_pk, 32);
    assert_memory_not_equal(w[0].eph_pk, w[2].eph_pk, 32);
    s_check_definition(&w[0], "vt-zuid-limburg", &r1);
    s_check_definition(&w[1], "vt-zuid-limburg", &r1);
    s_check_definition(&w[2], "school-heerlen", &r2);
    s_check_definition(&w[3], "vt-zuid-limburg", &r1);
    /* The same org name with another key (a rotation inside the batch) is another recipient. */
    s_wrap(b, "vt-zuid-limburg", &r2, 5, &w[4]);
    assert_int_equal(w[4].version, VN_WRAP_V1);
    vn_wrap_batch_clear(b); /* the next batch starts over with a fresh key */
    wrapping_t next;
    s_wrap(b, "vt-zuid-limburg", &r1, 6, &next);
    assert_int_equal(next.version, VN_WRAP_V1);
    assert_memory_not_equal(next.eph_pk, w[0].eph_pk, 32);
    vn_wrap_batch_free(&b);
    assert_null(b);
}

static void test_without_batch_every_wrapping_is_v1(void **state)
{
    (void)state;
    keypair_t r;
    s_keypair(&r, 1);
    wrapping_t a, c;
    s_wrap(NULL, "vt-zuid-limburg", &r, 1, &a);
    s_wrap(NULL, "vt-zuid-limburg", &r, 2, &c);
    assert_int_equal(a.version, VN_WRAP_V1);
    assert_int_equal(c.version, VN_WRAP_V1);
    assert_memory_not_equal(a.eph_pk, c.eph_pk, 32);
    s_check_definition(&a, "vt-zuid-limburg", &r);
}

static void test_batch_bound(void **state)
{
    (void)state;
    keypair_t r[VN_WRAP_BATCH_RECIPIENTS + 1];
    vn_wrap_batch_t *b = vn_wrap_batch_new();
    wrapping_t w;
    char org[32];
    for (int i = 0; i <= VN_WRAP_BATCH_RECIPIENTS; i++) {
        s_keypair(&r[i], (uint8_t)(10 + i));
        snprintf(org, sizeof org, "org-%03d", i);
        s_wrap(b, org, &r[i], (uint8_t)i, &w);
    }
    /* A full batch keeps the ones it has; the one beyond stays v1 every time, and opens. */
    s_wrap(b, "org-000", &r[0], 100, &w);
    assert_int_equal(w.version, VN_WRAP_V2);
    snprintf(org, sizeof org, "org-%03d", VN_WRAP_BATCH_RECIPIENTS);
    s_wrap(b, org, &r[VN_WRAP_BATCH_RECIPIENTS], 101, &w);
    assert_int_equal(w.version, VN_WRAP_V1);
    s_check_definition(&w, org, &r[VN_WRAP_BATCH_RECIPIENTS]);
    vn_wrap_batch_free(&b);
}

static int s_open(vn_unwrap_cache_t *c, const wrapping_t *w, uint32_t version, const char *org,
                  const keypair_t *r, uint8_t key[32])
{
    return vn_wrap_open(c, version, org, r->sk, r->pk, w->eph_pk, w->msgid, w->nonce, w->sealed,
                        sizeof w->sealed, key);
}

static void test_open_refuses_every_changed_input(void **state)
{
    (void)state;
    keypair_t r, other;
    s_keypair(&r, 1);
    s_keypair(&other, 2);
    vn_wrap_batch_t *b = vn_wrap_batch_new();
    vn_unwrap_cache_t *c = vn_unwrap_cache_new();
    wrapping_t w1, w2;
    s_wrap(b, "vt-zuid-limburg", &r, 1, &w1);
    s_wrap(b, "vt-zuid-limburg", &r, 2, &w2);
    uint8_t key[32];
    for (int cached = 0; cached < 2; cached++) {
        vn_unwrap_cache_t *cc = cached ? c : NULL;
        assert_int_equal(s_open(cc, &w1, VN_WRAP_V1, "vt-zuid-limburg", &r, key), 0);
        assert_memory_equal(key, w1.key, 32);
        assert_int_equal(s_open(cc, &w2, VN_WRAP_V2, "vt-zuid-limburg", &r, key), 0);
        assert_memory_equal(key, w2.key, 32);
        /* the version flipped either way, or one nobody defined */
        assert_int_equal(s_open(cc, &w1, VN_WRAP_V2, "vt-zuid-limburg", &r, key), VN_E_WRAP_INVALID);
        assert_int_equal(s_open(cc, &w2, VN_WRAP_V1, "vt-zuid-limburg", &r, key), VN_E_WRAP_INVALID);
        assert_int_equal(s_open(cc, &w2, 1, "vt-zuid-limburg", &r, key), VN_E_WRAP_INVALID);
        assert_int_equal(s_open(cc, &w2, 7, "vt-zuid-limburg", &r, key), VN_E_WRAP_INVALID);
        /* another recipient id, another key, another message id or nonce */
        assert_int_equal(s_open(cc, &w2, VN_WRAP_V2, "vt-noord", &r, key), VN_E_WRAP_INVALID);
        assert_int_equal(s_open(cc, &w2, VN_WRAP_V2, "vt-zuid-limburg", &other, key),
                         VN_E_WRAP_INVALID);
        wrapping_t t = w2;
        t.msgid[15] ^= 1;
        assert_int_equal(s_open(cc, &t, VN_WRAP_V2, "vt-zuid-limburg", &r, key), VN_E_WRAP_INVALID);
        t = w2;
        t.nonce[0] ^= 1;
        assert_int_equal(s_open(cc, &t, VN_WRAP_V2, "vt-zuid-limburg", &r, key), VN_E_WRAP_INVALID);
        t = w2;
        t.sealed[47] ^= 1;
        assert_int_equal(s_open(cc, &t, VN_WRAP_V2, "vt-zuid-limburg", &r, key), VN_E_WRAP_INVALID);
        assert_int_equal(vn_wrap_open(cc, VN_WRAP_V2, "vt-zuid-limburg", r.sk, r.pk, w2.eph_pk,
                                      w2.msgid, w2.nonce, w2.sealed, 47, key),
                         VN_E_WRAP_INVALID);
        /* a small-order ephemeral key (all zero) gives no shared secret */
        t = w2;
        memset(t.eph_pk, 0, 32);
        assert_int_equal(s_open(cc, &t, VN_WRAP_V2, "vt-zuid-limburg", &r, key), VN_E_WRAP_INVALID);
    }
    vn_unwrap_cache_free(&c);
    assert_null(c);
    vn_wrap_batch_free(&b);
}

/* Many senders' keys through one cache: each opens right (a slot reused by another ephemeral
 * key, or by the same key to another recipient key, never answers for it). */
static void test_cache_is_bounded_and_exact(void **state)
{
    (void)state;
    keypair_t r1, r2;
    s_keypair(&r1, 1);
    s_keypair(&r2, 2);
    vn_unwrap_cache_t *c = vn_unwrap_cache_new();
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 4 * VN_UNWRAP_CACHE_SLOTS; i++) {
            vn_wrap_batch_t *b = vn_wrap_batch_new();
            wrapping_t w1, w2, x;
            s_wrap(b, "vt-zuid-limburg", &r1, (uint8_t)i, &w1);
            s_wrap(b, "vt-zuid-limburg", &r1, (uint8_t)(i + 1), &w2);
            uint8_t key[32];
            assert_int_equal(s_open(c, &w1, VN_WRAP_V1, "vt-zuid-limburg", &r1, key), 0);
            assert_memory_equal(key, w1.key, 32);
            assert_int_equal(s_open(c, &w2, VN_WRAP_V2, "vt-zuid-limburg", &r1, key), 0);
            assert_memory_equal(key, w2.key, 32);
            /* the same ephemeral key wrapping to another recipient key: not the cached result */
            s_wrap(NULL, "vt-zuid-limburg", &r2, (uint8_t)i, &x);
            assert_memory_equal(x.eph_pk, w1.eph_pk, 32);
            assert_int_equal(s_open(c, &x, VN_WRAP_V1, "vt-zuid-limburg", &r2, key), 0);
            assert_memory_equal(key, x.key, 32);
            assert_int_equal(s_open(c, &w2, VN_WRAP_V2, "vt-zuid-limburg", &r1, key), 0);
            vn_wrap_batch_free(&b);
        }
    vn_unwrap_cache_free(&c);
}

/* Two envelopes sealed in one batch to one recipient, signed together: the second's wrapping is
 * v2 under the first's ephemeral key, both open (with and without a cache), and the bytes are
 * the pinned known answer (a change to the construction must change this test too). */
static void test_envelopes_of_one_batch(void **state)
{
    (void)state;
    vn_keyset_t *sender = test_fixed_keys("wijkteam-heerlen", "wijkteam", 1);
    vn_keyset_t *vt = test_fixed_keys("vt-zuid-limburg", "veilig-thuis", 2);
    vn_recipient_t to[] = {{"vt-zuid-limburg", vt->pub.box_pk}};
    vn_wrap_batch_t *b = vn_wrap_batch_new();
    vn_sealed_t *s[2];
    uint8_t *env[2];
    size_t len[2];
    const char *content = "Synthetisch testbericht: zorgen over de veiligheid van kind A.";
    for (int i = 0; i < 2; i++) {
        uint8_t seed[32], id[16];
        memset(seed, 0x60 + i, sizeof seed);
        vn_seal_params_t p = {.recipients = to, .n_recipients = 1, .category = "melding",
                              .basis = "meldrecht", .created = 1700000000, .expires = 1700086400,
                              .user_id = "prof-17", .user_role = "jeugdverpleegkundige",
                              .wrap_batch = b};
        assert_int_equal(vn_envelope__seal_unsigned_seeded(&p, sender, (const uint8_t *)content,
                                                           strlen(content), seed, id, &s[i]),
                         0);
    }
    assert_int_equal(vn_envelope_sign(s, 2, sender, env, len), 0);
    vn_unwrap_cache_t *c = vn_unwrap_cache_new();
    vn_parsed_t p[2] = {0};
    for (int i = 0; i < 2; i++) {
        vn_sealed_free(s[i]);
        assert_int_equal(vn_envelope_parse(env[i], len[i], &p[i]), 0);
        assert_int_equal(vn_envelope_verify(&p[i], sender->pub.sign_pk), 0);
        assert_int_equal(p[i].env->wrapped[0]->derivation, i == 0 ? VN_WRAP_V1 : VN_WRAP_V2);
        uint8_t *plain;
        size_t plain_len;
        for (int cached = 0; cached < 2; cached++) {
            assert_int_equal(vn_envelope_decrypt_cached(&p[i], vt, cached ? c : NULL, &plain,
                                                        &plain_len),
                             0);
            assert_int_equal(plain_len, strlen(content));
            assert_memory_equal(plain, content, plain_len);
            free(plain);
        }
    }
    assert_memory_equal(p[0].env->wrapped[0]->ephemeral_key.data,
                        p[1].env->wrapped[0]->ephemeral_key.data, 32);
    char hex[2][97];
    for (int i = 0; i < 2; i++)
        sodium_bin2hex(hex[i], sizeof hex[i], p[i].env->wrapped[0]->sealed_key.data, 48);
    print_message("sealed keys: %s %s\n", hex[0], hex[1]);
    assert_string_equal(hex[0], KAT_SEALED_0);
    assert_string_equal(hex[1], KAT_SEALED_1);
    /* the batch's first member is wrapped exactly as it would be without a batch */
    {
        uint8_t seed[32], id[16], *alone;
        size_t alone_len;
        memset(seed, 0x60, sizeof seed);
        vn_seal_params_t q = {.recipients = to, .n_recipients = 1, .category = "melding",
                              .basis = "meldrecht", .created = 1700000000, .expires = 1700086400,
                              .user_id = "prof-17", .user_role = "jeugdverpleegkundige"};
        assert_int_equal(vn_envelope__seal_seeded(&q, sender, (const uint8_t *)content,
                                                  strlen(content), seed, id, &alone, &alone_len),
                         0);
        vn_parsed_t pa = {0};
        assert_int_equal(vn_envelope_parse(alone, alone_len, &pa), 0);
        assert_memory_equal(pa.env->wrapped[0]->sealed_key.data,
                            p[0].env->wrapped[0]->sealed_key.data, 48);
        assert_int_equal(pa.env->wrapped[0]->derivation, VN_WRAP_V1);
        vn_parsed_clear(&pa);
        free(alone);
    }
    /* v2 wrapping presented as v1 (an old agent's reading) does not open */
    p[1].env->wrapped[0]->derivation = VN_WRAP_V1;
    uint8_t *plain;
    size_t plain_len;
    assert_int_equal(vn_envelope_decrypt_cached(&p[1], vt, c, &plain, &plain_len),
                     VN_E_WRAP_INVALID);
    for (int i = 0; i < 2; i++) {
        vn_parsed_clear(&p[i]);
        free(env[i]);
    }
    vn_unwrap_cache_free(&c);
    vn_wrap_batch_free(&b);
    vn_keyset_destroy(&sender);
    vn_keyset_destroy(&vt);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_shares_one_ephemeral_key_per_recipient),
        cmocka_unit_test(test_without_batch_every_wrapping_is_v1),
        cmocka_unit_test(test_batch_bound),
        cmocka_unit_test(test_open_refuses_every_changed_input),
        cmocka_unit_test(test_cache_is_bounded_and_exact),
        cmocka_unit_test(test_envelopes_of_one_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
