/* test_envelope.c -- seal/open round trips, every tamper case with its own code, a known answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "vn_envelope.h"
#include "vn_error.h"
#include "vn_util.h"

#include "test_fixed_keys.h"

typedef struct {
    vn_keyset_t *sender, *vt, *ggz, *school;
    uint8_t *env;
    size_t env_len;
    uint8_t msgid[16];
} fixture_t;

static const char *s_content = "Synthetisch testbericht: zorgen over de veiligheid van kind A.";

static int s_seal(fixture_t *f, const uint8_t *seed, uint8_t **out, size_t *out_len, uint8_t id[16])
{
    vn_recipient_t recipients[] = {{"vt-zuid-limburg", f->vt->pub.box_pk},
                                   {"ggz-mondriaan", f->ggz->pub.box_pk}};
    vn_field_t just[] = {{"consent-ref", "c-0001"}};
    uint8_t pseudonym[32];
    memset(pseudonym, 0xab, sizeof pseudonym);
    vn_seal_params_t p = {
        .recipients = recipients, .n_recipients = 2, .category = "zorgsignaal",
        .basis = "consent", .justification = just, .n_justification = 1,
        .subject_pseudonym = pseudonym, .created = 1700000000, .expires = 1700086400,
        .user_id = "prof-17", .user_role = "jeugdverpleegkundige"};
    if (seed)
        return vn_envelope__seal_seeded(&p, f->sender, (const uint8_t *)s_content,
                                        strlen(s_content), seed, id, out, out_len);
    return vn_envelope_seal(&p, f->sender, (const uint8_t *)s_content, strlen(s_content), id, out,
                            out_len);
}

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->sender = test_fixed_keys("wijkteam-heerlen", "wijkteam", 1);
    f->vt = test_fixed_keys("vt-zuid-limburg", "veilig-thuis", 2);
    f->ggz = test_fixed_keys("ggz-mondriaan", "ggz", 3);
    f->school = test_fixed_keys("school-de-linde", "onderwijs", 4);
    assert_int_equal(s_seal(f, NULL, &f->env, &f->env_len, f->msgid), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    vn_keyset_destroy(&f->sender);
    vn_keyset_destroy(&f->vt);
    vn_keyset_destroy(&f->ggz);
    vn_keyset_destroy(&f->school);
    free(f->env);
    free(f);
    return 0;
}

static int s_open(fixture_t *f, const uint8_t *buf, size_t len, vn_keyset_t *me)
{
    vn_parsed_t parsed;
    uint8_t *content = NULL;
    size_t content_len = 0;
    int rc = vn_envelope_open(buf, len, me, f->sender->pub.sign_pk, &parsed, &content, &content_len);
    if (rc == 0) {
        assert_int_equal(content_len, strlen(s_content));
        assert_memory_equal(content, s_content, content_len);
        vn_parsed_clear(&parsed);
        free(content);
    }
    return rc;
}

/* Re-encode the envelope after letting mutate change its decoded form. */
static uint8_t *s_mutated(const fixture_t *f, void (*mutate)(Vn__Envelope *, void *), void *arg,
                          size_t *len)
{
    Vn__Envelope *env = vn__envelope__unpack(NULL, f->env_len, f->env);
    assert_non_null(env);
    mutate(env, arg);
    *len = vn__envelope__get_packed_size(env);
    uint8_t *buf = malloc(*len);
    vn__envelope__pack(env, buf);
    vn__envelope__free_unpacked(env, NULL);
    return buf;
}

static void test_each_recipient_opens(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_open(f, f->env, f->env_len, f->vt), 0);
    assert_int_equal(s_open(f, f->env, f->env_len, f->ggz), 0);
}

static void test_header_is_readable_without_keys(void **state)
{
    fixture_t *f = *state;
    vn_parsed_t p;
    assert_int_equal(vn_envelope_parse(f->env, f->env_len, &p), 0);
    assert_string_equal(p.hdr->sender, "wijkteam-heerlen");
    assert_int_equal(p.hdr->n_recipients, 2);
    assert_string_equal(p.hdr->basis, "consent");
    assert_string_equal(vn_header_field(p.hdr, "consent-ref"), "c-0001");
    assert_memory_equal(p.hdr->message_id.data, f->msgid, 16);
    assert_int_equal(vn_envelope_verify(&p, f->sender->pub.sign_pk), 0);
    /* The content is nowhere in clear in the envelope. */
    assert_null(memmem(f->env, f->env_len, "veiligheid", 10));
    vn_parsed_clear(&p);
}

static void test_non_recipient_refused(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(s_open(f, f->env, f->env_len, f->school), VN_E_NOT_RECIPIENT);
}

static void s_flip_header_category(Vn__Envelope *env, void *arg)
{
    (void)arg;
    uint8_t *pos = memmem(env->header.data, env->header.len, "zorgsignaal", 11);
    assert_non_null(pos);
    pos[0] ^= 0x01;
}

static void test_changed_header_byte(void **state)
{
    fixture_t *f = *state;
    size_t len;
    uint8_t *buf = s_mutated(f, s_flip_header_category, NULL, &len);
    assert_int_equal(s_open(f, buf, len, f->vt), VN_E_BAD_SIGNATURE);
    free(buf);
}

static void s_flip_header_at(Vn__Envelope *env, void *arg)
{
    env->header.data[*(size_t *)arg] ^= 0x20;
}

static void test_no_header_byte_can_change_unnoticed(void **state)
{
    fixture_t *f = *state;
    vn_parsed_t p;
    assert_int_equal(vn_envelope_parse(f->env, f->env_len, &p), 0);
    size_t header_len = p.env->header.len;
    vn_parsed_clear(&p);
    for (size_t i = 0; i < header_len; i++) {
        size_t len;
        uint8_t *buf = s_mutated(f, s_flip_header_at, &i, &len);
        assert_int_not_equal(s_open(f, buf, len, f->vt), 0);
        free(buf);
    }
}

static void s_flip_ciphertext(Vn__Envelope *env, void *arg)
{
    (void)arg;
    env->ciphertext.data[3] ^= 0x01;
}

static void test_changed_ciphertext_byte(void **state)
{
    fixture_t *f = *state;
    size_t len;
    uint8_t *buf = s_mutated(f, s_flip_ciphertext, NULL, &len);
    assert_int_equal(s_open(f, buf, len, f->vt), VN_E_CIPHERTEXT_MODIFIED);
    free(buf);
}

static void s_flip_signature(Vn__Envelope *env, void *arg)
{
    (void)arg;
    env->signature.data[10] ^= 0x01;
}

static void test_changed_signature(void **state)
{
    fixture_t *f = *state;
    size_t len;
    uint8_t *buf = s_mutated(f, s_flip_signature, NULL, &len);
    assert_int_equal(s_open(f, buf, len, f->vt), VN_E_BAD_SIGNATURE);
    free(buf);
}

static void test_wrong_sender_key(void **state)
{
    fixture_t *f = *state;
    vn_parsed_t p;
    uint8_t *content;
    size_t n;
    assert_int_equal(vn_envelope_open(f->env, f->env_len, f->vt, f->ggz->pub.sign_pk, &p, &content,
                                      &n),
                     VN_E_WRONG_SENDER_KEY);
    assert_null(p.env);
}

static void test_forged_sender_key_in_header(void **state)
{
    /* An attacker who swaps in their own key and re-signs still fails against the pinned key. */
    fixture_t *f = *state;
    vn_keyset_t *mallory = test_fixed_keys("wijkteam-heerlen", "wijkteam", 9);
    vn_keyset_t *real = f->sender;
    f->sender = mallory;
    uint8_t *forged, id[16];
    size_t len;
    assert_int_equal(s_seal(f, NULL, &forged, &len, id), 0);
    f->sender = real;
    assert_int_equal(s_open(f, forged, len, f->vt), VN_E_WRONG_SENDER_KEY);
    free(forged);
    vn_keyset_destroy(&mallory);
}

static void test_truncated_envelope(void **state)
{
    fixture_t *f = *state;
    for (size_t cut = 0; cut < f->env_len; cut++)
        assert_int_equal(s_open(f, f->env, cut, f->vt) == 0, 0);
    assert_int_equal(s_open(f, f->env, f->env_len / 2, f->vt), VN_E_MALFORMED);
}

typedef struct {
    const Vn__WrappedKey *donor;
} replay_t;

static void s_replay_wrap(Vn__Envelope *env, void *arg)
{
    const Vn__WrappedKey *donor = ((replay_t *)arg)->donor;
    Vn__WrappedKey *w = env->wrapped[0];
    assert_string_equal(w->recipient, donor->recipient);
    memcpy(w->message_id.data, donor->message_id.data, 16);
    memcpy(w->ephemeral_key.data, donor->ephemeral_key.data, 32);
    memcpy(w->sealed_key.data, donor->sealed_key.data, donor->sealed_key.len);
}

static void test_replayed_wrapping(void **state)
{
    fixture_t *f = *state;
    uint8_t *other, id[16];
    size_t other_len, len;
    assert_int_equal(s_seal(f, NULL, &other, &other_len, id), 0);
    Vn__Envelope *donor_env = vn__envelope__unpack(NULL, other_len, other);
    replay_t r = {donor_env->wrapped[0]};
    uint8_t *buf = s_mutated(f, s_replay_wrap, &r, &len);
    assert_int_equal(s_open(f, buf, len, f->vt), VN_E_WRAP_REPLAYED);
    free(buf);
    vn__envelope__free_unpacked(donor_env, NULL);
    free(other);
}

static void s_damage_wrap(Vn__Envelope *env, void *arg)
{
    (void)arg;
    env->wrapped[0]->sealed_key.data[0] ^= 0x01;
}

static void test_damaged_wrapping(void **state)
{
    fixture_t *f = *state;
    size_t len;
    uint8_t *buf = s_mutated(f, s_damage_wrap, NULL, &len);
    assert_int_equal(s_open(f, buf, len, f->vt), VN_E_WRAP_INVALID);
    /* The other recipient's wrapping is untouched. */
    assert_int_equal(s_open(f, buf, len, f->ggz), 0);
    free(buf);
}

static void s_bump_version(Vn__Envelope *env, void *arg)
{
    (void)arg;
    env->version = 2;
}

static void test_unknown_version(void **state)
{
    fixture_t *f = *state;
    size_t len;
    uint8_t *buf = s_mutated(f, s_bump_version, NULL, &len);
    assert_int_equal(s_open(f, buf, len, f->vt), VN_E_VERSION);
    free(buf);
}

static void test_invalid_parameters(void **state)
{
    fixture_t *f = *state;
    vn_recipient_t bad[] = {{"Not An Org", f->vt->pub.box_pk}};
    vn_seal_params_t p = {.recipients = bad, .n_recipients = 1, .category = "c", .basis = "b",
                          .created = 1, .expires = 2, .user_id = "u", .user_role = "r"};
    uint8_t *out = NULL, id[16];
    size_t len;
    assert_int_equal(vn_envelope_seal(&p, f->sender, (const uint8_t *)"x", 1, id, &out, &len),
                     VN_E_INVALID);
    bad[0].org = "vt-zuid-limburg";
    p.expires = 0; /* expires before created */
    assert_int_equal(vn_envelope_seal(&p, f->sender, (const uint8_t *)"x", 1, id, &out, &len),
                     VN_E_INVALID);
    assert_null(out);
}

/* Regression vector: changes only if the wire encoding or a primitive changes. */
#define KAT_ENVELOPE_DIGEST "2cf41e4aa39fee703c88a88eed25cbb40ceba01c012b69029c2e213b62c64c7c"
static void test_known_answer(void **state)
{
    /* Fixed keys and seed: the encoding and every primitive must give this exact envelope. */
    fixture_t *f = *state;
    uint8_t seed[32], *a, *b, id[16], digest[32];
    size_t la, lb;
    char hex[65];
    memset(seed, 0x42, sizeof seed);
    assert_int_equal(s_seal(f, seed, &a, &la, id), 0);
    assert_int_equal(s_seal(f, seed, &b, &lb, id), 0);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    crypto_generichash(digest, sizeof digest, a, la, NULL, 0);
    assert_string_equal(vn_hex(hex, digest, 32), KAT_ENVELOPE_DIGEST);
    assert_int_equal(s_open(f, a, la, f->vt), 0);
    free(a);
    free(b);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_recipient_opens),
        cmocka_unit_test(test_header_is_readable_without_keys),
        cmocka_unit_test(test_non_recipient_refused),
        cmocka_unit_test(test_changed_header_byte),
        cmocka_unit_test(test_no_header_byte_can_change_unnoticed),
        cmocka_unit_test(test_changed_ciphertext_byte),
        cmocka_unit_test(test_changed_signature),
        cmocka_unit_test(test_wrong_sender_key),
        cmocka_unit_test(test_forged_sender_key_in_header),
        cmocka_unit_test(test_truncated_envelope),
        cmocka_unit_test(test_replayed_wrapping),
        cmocka_unit_test(test_damaged_wrapping),
        cmocka_unit_test(test_unknown_version),
        cmocka_unit_test(test_invalid_parameters),
        cmocka_unit_test(test_known_answer),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
