/* test_batch.c -- the batch signature: the tree against RFC 6962's definition for every size,
 * known answers (fixed key and headers give fixed root, path and signature), every tamper refused
 * with its code, and the cache of verified roots bounded and forgetting on a new generation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_batch.h"
#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_util.h"

#include "test_fixed_keys.h"

#define N 3 /* members in the known-answer batch */

typedef struct {
    vn_keyset_t *sender, *vt;
    uint8_t *env[N];
    size_t len[N];
} fixture_t;

static const char *s_content = "Synthetisch testbericht: zorgen over de veiligheid van kind A.";
static const char *s_categories[N] = {"zorgsignaal", "melding", "advies"};

/* Member i: fixed header fields (its own category), randomness from seed 0x50 + i. */
static vn_sealed_t *s_sealed(fixture_t *f, size_t i)
{
    vn_recipient_t recipients[] = {{"vt-zuid-limburg", f->vt->pub.box_pk}};
    uint8_t seed[32], id[16];
    memset(seed, 0x50 + (int)i, sizeof seed);
    vn_seal_params_t p = {
        .recipients = recipients, .n_recipients = 1, .category = s_categories[i],
        .basis = "meldrecht", .created = 1700000000, .expires = 1700086400,
        .user_id = "prof-17", .user_role = "jeugdverpleegkundige"};
    vn_sealed_t *s = NULL;
    assert_int_equal(vn_envelope__seal_unsigned_seeded(&p, f->sender, (const uint8_t *)s_content,
                                                       strlen(s_content), seed, id, &s),
                     0);
    return s;
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->sender = test_fixed_keys("wijkteam-heerlen", "wijkteam", 1);
    f->vt = test_fixed_keys("vt-zuid-limburg", "veilig-thuis", 2);
    vn_sealed_t *s[N];
    for (size_t i = 0; i < N; i++)
        s[i] = s_sealed(f, i);
    assert_int_equal(vn_envelope_sign(s, N, f->sender, f->env, f->len), 0);
    for (size_t i = 0; i < N; i++)
        vn_sealed_free(s[i]);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < N; i++)
        free(f->env[i]);
    vn_keyset_destroy(&f->sender);
    vn_keyset_destroy(&f->vt);
    free(f);
    return 0;
}

/* RFC 6962 2.1's MTH, written out recursively: the tree's definition, not its construction. */
static void s_mth(const uint8_t *d, size_t n, uint8_t out[32])
{
    if (n == 1) {
        memcpy(out, d, 32);
        return;
    }
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    uint8_t l[32], r[32];
    s_mth(d, k, l);
    s_mth(d + 32 * k, n - k, r);
    vn_batch_node(l, r, out);
}

static void test_tree_every_size(void **state)
{
    (void)state;
    uint8_t leaves[VN_BATCH_MAX][32], want[32], got[32], path[VN_BATCH_MAX_PATH][32];
    for (size_t i = 0; i < VN_BATCH_MAX; i++)
        crypto_generichash(leaves[i], 32, (const uint8_t *)&i, sizeof i, NULL, 0);
    vn_batch_tree_t *t = malloc(sizeof *t);
    assert_int_equal(vn_batch_tree_build(t, leaves[0], 0), VN_E_INVALID);
    assert_int_equal(vn_batch_tree_build(t, leaves[0], VN_BATCH_MAX + 1), VN_E_INVALID);
    for (size_t n = 1; n <= VN_BATCH_MAX; n++) {
        assert_int_equal(vn_batch_tree_build(t, leaves[0], n), 0);
        s_mth(leaves[0], n, want);
        assert_memory_equal(vn_batch_tree_root(t), want, 32);
        for (size_t m = 0; n >= 2 && m < n; m++) {
            size_t len = vn_batch_tree_path(t, m, path);
            assert_true(len >= 1 && len <= VN_BATCH_MAX_PATH);
            assert_int_equal(vn_batch_root_from_path(leaves[m], (uint32_t)m, (uint32_t)n,
                                                     path[0], len * 32, got), 0);
            assert_memory_equal(got, want, 32);
            /* another index, one hash short, one too many: never this root */
            int rc = vn_batch_root_from_path(leaves[m], (uint32_t)((m + 1) % n), (uint32_t)n,
                                             path[0], len * 32, got);
            assert_true(rc != 0 || memcmp(got, want, 32) != 0);
            assert_int_equal(vn_batch_root_from_path(leaves[m], (uint32_t)m, (uint32_t)n,
                                                     path[0], (len - 1) * 32, got),
                             VN_E_BAD_SIGNATURE);
            if (len < VN_BATCH_MAX_PATH)
                assert_int_not_equal(vn_batch_root_from_path(leaves[m], (uint32_t)m,
                                                             (uint32_t)n, leaves[0],
                                                             (len + 1) * 32, got), 0);
        }
    }
    /* index and size out of range, a partial hash */
    assert_int_equal(vn_batch_root_from_path(leaves[0], 2, 2, leaves[1], 32, got),
                     VN_E_BAD_SIGNATURE);
    assert_int_equal(vn_batch_root_from_path(leaves[0], 0, 1, leaves[1], 0, got),
                     VN_E_BAD_SIGNATURE);
    assert_int_equal(vn_batch_root_from_path(leaves[0], 0, 65, leaves[1], 32, got),
                     VN_E_BAD_SIGNATURE);
    assert_int_equal(vn_batch_root_from_path(leaves[0], 0, 2, leaves[1], 31, got),
                     VN_E_BAD_SIGNATURE);
    free(t);
}

static void test_domains_apart(void **state)
{
    (void)state;
    uint8_t msg[VN_SIGNED_MSG_BYTES], a[32], b[32], plain[32], bm[VN_BATCH_MSG_BYTES];
    memset(msg, 7, sizeof msg);
    vn_batch_leaf(msg, a);
    crypto_generichash(plain, 32, msg, sizeof msg, NULL, 0);
    assert_memory_not_equal(a, plain, 32);
    vn_batch_node(msg, msg + 32, b); /* the same 64 bytes as node input ... */
    crypto_generichash(plain, 32, msg, 64, NULL, 0);
    assert_memory_not_equal(b, plain, 32);
    static const uint8_t leaf_p[16] = "vangnet-bleaf-v1";
    crypto_generichash_blake2b_salt_personal(plain, 32, msg, 64, NULL, 0, NULL, leaf_p);
    assert_memory_not_equal(b, plain, 32); /* ... is no leaf hash */
    /* The batch signature's message is never a single signature's. */
    vn_batch_signed_message(bm, 3, a);
    assert_int_equal(memcmp(bm, "vangnet-envelope-batch-v1", 25), 0);
    assert_int_not_equal(memcmp(bm, "vangnet-envelope-v1", 19), 0);
    assert_int_not_equal(VN_BATCH_MSG_BYTES, VN_SIGNED_MSG_BYTES);
}

/* Regression vectors: change only if the encoding, the construction or a primitive changes. */
#define KAT_ROOT "8fdc5f030f075b6283d683aaf4b8a2040364573165dc9aa4d5c87fc675459c16"
#define KAT_PATH0 "73f8bb20b3d43e56964f838524a5190766fc2a54ab04a5876c0b59a41c9d3f84" \
                  "4b63e74fa1b108f6cb3307f1f8c84348001fefa51ac89b623ed97a27d488cd48"
#define KAT_SIG "77dcd3d07645857ec62d107ea9afe87a9fadc5014507d5bf1ea2275104eb93f1" \
                "a75b451d2f2bf7a4af1d8642d5d509bcc4f8c6281c6774aa842133deb1fde00f"

static void s_parse(const fixture_t *f, size_t i, vn_parsed_t *p)
{
    assert_int_equal(vn_envelope_parse(f->env[i], f->len[i], p), 0);
}

static void test_known_answer(void **state)
{
    fixture_t *f = *state;
    uint8_t leaves[N][32], root[32], ab[32];
    char hex[2 * 64 * 3 + 1];
    for (size_t i = 0; i < N; i++) {
        vn_parsed_t p;
        s_parse(f, i, &p);
        /* The leaf, recomputed from the envelope's bytes as docs/envelope.md says. */
        uint8_t msg[VN_SIGNED_MSG_BYTES];
        memcpy(msg, "vangnet-envelope-v1", 19);
        crypto_generichash(msg + 19, 32, p.env->header.data, p.env->header.len, NULL, 0);
        memcpy(msg + 51, p.env->ciphertext_hash.data, 32);
        static const uint8_t leaf_p[16] = "vangnet-bleaf-v1";
        crypto_generichash_blake2b_salt_personal(leaves[i], 32, msg, sizeof msg, NULL, 0, NULL,
                                                 leaf_p);
        assert_non_null(p.env->batch);
        assert_int_equal(p.env->batch->size, N);
        assert_int_equal(p.env->batch->index, i);
        vn_parsed_clear(&p);
    }
    vn_batch_node(leaves[0], leaves[1], ab);
    vn_batch_node(ab, leaves[2], root);
    vn_parsed_t p;
    s_parse(f, 0, &p);
    assert_int_equal(p.env->batch->path.len, 64); /* member 0: leaf 1, then leaf 2 */
    assert_memory_equal(p.env->batch->path.data, leaves[1], 32);
    assert_memory_equal(p.env->batch->path.data + 32, leaves[2], 32);
    uint8_t bm[VN_BATCH_MSG_BYTES];
    vn_batch_signed_message(bm, N, root);
    assert_int_equal(crypto_sign_verify_detached(p.env->signature.data, bm, sizeof bm,
                                                 f->sender->pub.sign_pk), 0);
    assert_string_equal(vn_hex(hex, root, 32), KAT_ROOT);
    assert_string_equal(vn_hex(hex, p.env->batch->path.data, 64), KAT_PATH0);
    assert_string_equal(vn_hex(hex, p.env->signature.data, 64), KAT_SIG);
    for (size_t i = 0; i < N; i++) { /* all members carry the one signature */
        vn_parsed_t q;
        s_parse(f, i, &q);
        assert_memory_equal(q.env->signature.data, p.env->signature.data, 64);
        vn_parsed_clear(&q);
    }
    vn_parsed_clear(&p);
}

/* One envelope signed alone through vn_envelope_sign is byte for byte what vn_envelope_seal
 * made before batches existed: test_envelope's known answer. */
#define KAT_SINGLE_DIGEST "2cf41e4aa39fee703c88a88eed25cbb40ceba01c012b69029c2e213b62c64c7c"
static void test_single_unchanged(void **state)
{
    fixture_t *f = *state;
    vn_keyset_t *ggz = test_fixed_keys("ggz-mondriaan", "ggz", 3);
    vn_recipient_t recipients[] = {{"vt-zuid-limburg", f->vt->pub.box_pk},
                                   {"ggz-mondriaan", ggz->pub.box_pk}};
    vn_field_t just[] = {{"consent-ref", "c-0001"}};
    uint8_t pseudonym[32], seed[32], id[16], digest[32], *out;
    size_t len;
    char hex[65];
    memset(pseudonym, 0xab, sizeof pseudonym);
    memset(seed, 0x42, sizeof seed);
    vn_seal_params_t p = {
        .recipients = recipients, .n_recipients = 2, .category = "zorgsignaal",
        .basis = "consent", .justification = just, .n_justification = 1,
        .subject_pseudonym = pseudonym, .created = 1700000000, .expires = 1700086400,
        .user_id = "prof-17", .user_role = "jeugdverpleegkundige"};
    vn_sealed_t *s;
    assert_int_equal(vn_envelope__seal_unsigned_seeded(&p, f->sender, (const uint8_t *)s_content,
                                                       strlen(s_content), seed, id, &s), 0);
    assert_int_equal(vn_envelope_sign(&s, 1, f->sender, &out, &len), 0);
    crypto_generichash(digest, sizeof digest, out, len, NULL, 0);
    assert_string_equal(vn_hex(hex, digest, 32), KAT_SINGLE_DIGEST);
    vn_parsed_t q;
    assert_int_equal(vn_envelope_parse(out, len, &q), 0);
    assert_null(q.env->batch);
    vn_parsed_clear(&q);
    assert_int_equal(vn_envelope_sign(&s, 0, f->sender, &out, &len), VN_E_INVALID);
    vn_sealed_free(s);
    free(out);
    vn_keyset_destroy(&ggz);
}

static int s_open(const fixture_t *f, const uint8_t *buf, size_t len)
{
    vn_parsed_t p;
    uint8_t *content = NULL;
    size_t content_len = 0;
    int rc = vn_envelope_open(buf, len, f->vt, f->sender->pub.sign_pk, &p, &content, &content_len);
    if (rc == 0) {
        assert_memory_equal(content, s_content, content_len);
        free(content);
        vn_parsed_clear(&p);
    }
    return rc;
}

static void test_members_open(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < N; i++)
        assert_int_equal(s_open(f, f->env[i], f->len[i]), 0);
}

/* Member i re-encoded after mutate changed it (donor: another member, decoded). */
typedef void (*mutate_fn)(Vn__Envelope *env, const Vn__Envelope *donor);

static int s_tampered(const fixture_t *f, size_t i, mutate_fn mutate)
{
    Vn__Envelope *env = vn__envelope__unpack(NULL, f->len[i], f->env[i]);
    Vn__Envelope *donor = vn__envelope__unpack(NULL, f->len[(i + 1) % N], f->env[(i + 1) % N]);
    assert_non_null(env);
    assert_non_null(donor);
    Vn__BatchProof *keep = env->batch;
    ProtobufCBinaryData keep_path = keep ? keep->path : (ProtobufCBinaryData){0, NULL};
    mutate(env, donor);
    size_t len = vn__envelope__get_packed_size(env);
    uint8_t *buf = malloc(len);
    vn__envelope__pack(env, buf);
    env->batch = keep; /* what mutate swapped in is the donor's; free what unpack made */
    if (keep)
        keep->path = keep_path;
    vn__envelope__free_unpacked(env, NULL);
    vn__envelope__free_unpacked(donor, NULL);
    int rc = s_open(f, buf, len);
    free(buf);
    return rc;
}

static uint8_t s_scratch[VN_BATCH_MAX_PATH * 32 + 8];

static void m_flip_path(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch->path.data[5] ^= 0x01;
}
static void m_swap_leaf(Vn__Envelope *e, const Vn__Envelope *d)
{
    e->batch = d->batch; /* another member's place and path under this member's header */
}
static void m_index(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch->index = (e->batch->index + 1) % e->batch->size;
}
static void m_truncate(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch->path.len -= 32;
}
static void m_extend(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    memcpy(s_scratch, e->batch->path.data, e->batch->path.len);
    memset(s_scratch + e->batch->path.len, 0, 32);
    e->batch->path = (ProtobufCBinaryData){e->batch->path.len + 32, s_scratch};
}
static void m_partial(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch->path.len -= 5;
}
static void m_size(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch->size++;
}
static void m_size_one(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch->size = 1;
    e->batch->index = 0;
}
static void m_size_big(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch->size = VN_BATCH_MAX + 1;
}
static void m_index_out(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch->index = e->batch->size;
}
static void m_signature(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->signature.data[0] ^= 0x01;
}
static void m_strip(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->batch = NULL; /* the root's signature taken for a single one */
}
static void m_header(Vn__Envelope *e, const Vn__Envelope *d)
{
    (void)d;
    e->header.data[e->header.len - 1] ^= 0x01;
}

static void test_tampered_refused(void **state)
{
    fixture_t *f = *state;
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(s_tampered(f, i, m_flip_path), VN_E_BAD_SIGNATURE);
        assert_int_equal(s_tampered(f, i, m_swap_leaf), VN_E_BAD_SIGNATURE);
        assert_int_equal(s_tampered(f, i, m_index), VN_E_BAD_SIGNATURE);
        assert_int_equal(s_tampered(f, i, m_truncate), VN_E_BAD_SIGNATURE);
        assert_int_equal(s_tampered(f, i, m_extend), VN_E_BAD_SIGNATURE);
        assert_int_equal(s_tampered(f, i, m_size), VN_E_BAD_SIGNATURE);
        assert_int_equal(s_tampered(f, i, m_signature), VN_E_BAD_SIGNATURE);
        assert_int_equal(s_tampered(f, i, m_strip), VN_E_BAD_SIGNATURE);
        assert_int_not_equal(s_tampered(f, i, m_header), 0);
        /* a proof that cannot be one: refused before any hashing */
        assert_int_equal(s_tampered(f, i, m_partial), VN_E_MALFORMED);
        assert_int_equal(s_tampered(f, i, m_size_one), VN_E_MALFORMED);
        assert_int_equal(s_tampered(f, i, m_size_big), VN_E_MALFORMED);
        assert_int_equal(s_tampered(f, i, m_index_out), VN_E_MALFORMED);
    }
}

/* A single-signed envelope given a batch proof: its signature is over another message. */
static void test_single_with_proof_refused(void **state)
{
    fixture_t *f = *state;
    vn_sealed_t *s = s_sealed(f, 0);
    uint8_t *one;
    size_t len;
    assert_int_equal(vn_envelope_sign(&s, 1, f->sender, &one, &len), 0);
    vn_sealed_free(s);
    assert_int_equal(s_open(f, one, len), 0);
    Vn__Envelope *env = vn__envelope__unpack(NULL, len, one);
    Vn__Envelope *member = vn__envelope__unpack(NULL, f->len[1], f->env[1]);
    env->batch = member->batch;
    size_t blen = vn__envelope__get_packed_size(env);
    uint8_t *buf = malloc(blen);
    vn__envelope__pack(env, buf);
    env->batch = NULL;
    assert_int_equal(s_open(f, buf, blen), VN_E_BAD_SIGNATURE);
    free(buf);
    vn__envelope__free_unpacked(env, NULL);
    vn__envelope__free_unpacked(member, NULL);
    free(one);
}

static void test_cache_verifies_once(void **state)
{
    fixture_t *f = *state;
    vn_batch_cache_t *c = vn_batch_cache_new();
    for (size_t i = 0; i < N; i++) {
        vn_parsed_t p;
        s_parse(f, i, &p);
        assert_int_equal(vn_envelope_verify_cached(&p, f->sender->pub.sign_pk, c, 1), 0);
        vn_parsed_clear(&p);
    }
    assert_int_equal(vn_batch_cache_hits(c), N - 1); /* verified once, then from the cache */
    assert_int_equal(vn_batch_cache_size(c), 1);
    /* A member whose signature bytes differ is no hit, and fails. */
    Vn__Envelope *env = vn__envelope__unpack(NULL, f->len[2], f->env[2]);
    env->signature.data[1] ^= 0x40;
    size_t len = vn__envelope__get_packed_size(env);
    uint8_t *buf = malloc(len);
    vn__envelope__pack(env, buf);
    vn__envelope__free_unpacked(env, NULL);
    vn_parsed_t p;
    assert_int_equal(vn_envelope_parse(buf, len, &p), 0);
    assert_int_equal(vn_envelope_verify_cached(&p, f->sender->pub.sign_pk, c, 1),
                     VN_E_BAD_SIGNATURE);
    /* A path that leads elsewhere is refused before the cache is asked. */
    p.env->batch->path.data[0] ^= 1;
    assert_int_equal(vn_envelope_verify_cached(&p, f->sender->pub.sign_pk, c, 1),
                     VN_E_BAD_SIGNATURE);
    vn_parsed_clear(&p);
    free(buf);
    /* Another key never hits: the header names the key, and the id digests it. */
    s_parse(f, 1, &p);
    assert_int_equal(vn_envelope_verify_cached(&p, f->vt->pub.sign_pk, c, 1),
                     VN_E_WRONG_SENDER_KEY);
    /* A new generation (a key rotated or an organisation revoked somewhere) forgets it all. */
    uint64_t hits = vn_batch_cache_hits(c);
    assert_int_equal(vn_envelope_verify_cached(&p, f->sender->pub.sign_pk, c, 2), 0);
    assert_int_equal(vn_batch_cache_hits(c), hits);
    vn_parsed_clear(&p);
    vn_batch_cache_free(c);
}

static void test_cache_bounded_and_fair(void **state)
{
    (void)state;
    vn_batch_cache_t *c = vn_batch_cache_new();
    uint8_t id[32] = {0}, keep[32];
    memset(keep, 0xee, sizeof keep);
    vn_batch_cache_add(c, 1, "quiet-org", keep);
    /* A busy organisation: its own few entries turn over, nobody else's. */
    for (unsigned i = 0; i < 1000; i++) {
        memcpy(id, &i, sizeof i);
        vn_batch_cache_add(c, 1, "busy-org", id);
    }
    assert_int_equal(vn_batch_cache_size(c), 1 + VN_BATCH_CACHE_PER_ORG);
    assert_true(vn_batch_cache_seen(c, 1, "quiet-org", keep));
    assert_true(vn_batch_cache_seen(c, 1, "busy-org", id)); /* the latest is there */
    memset(id, 0, 4);
    assert_false(vn_batch_cache_seen(c, 1, "busy-org", id)); /* the first went */
    assert_false(vn_batch_cache_seen(c, 1, "other-org", keep)); /* per organisation */
    /* Many organisations: a fixed bound in all. */
    char org[32];
    for (unsigned i = 0; i < 4 * VN_BATCH_CACHE_ORGS; i++) {
        snprintf(org, sizeof org, "org-%u", i);
        for (unsigned j = 0; j < VN_BATCH_CACHE_PER_ORG + 1; j++) {
            memcpy(id, &j, sizeof j);
            vn_batch_cache_add(c, 1, org, id);
        }
    }
    assert_true(vn_batch_cache_size(c) <= VN_BATCH_CACHE_ORGS * VN_BATCH_CACHE_PER_ORG);
    vn_batch_cache_add(c, 2, "quiet-org", keep);
    assert_int_equal(vn_batch_cache_size(c), 1);
    vn_batch_cache_free(c);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tree_every_size),
        cmocka_unit_test(test_domains_apart),
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_single_unchanged),
        cmocka_unit_test(test_members_open),
        cmocka_unit_test(test_tampered_refused),
        cmocka_unit_test(test_single_with_proof_refused),
        cmocka_unit_test(test_cache_verifies_once),
        cmocka_unit_test(test_cache_bounded_and_fair),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
