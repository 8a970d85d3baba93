/* test_subject.c -- BSN elfproef and pseudonyms: validity, stability, known answer. */
#include "test_harness.h"

#include <sodium.h>
#include <sys/stat.h>

#include "vn_error.h"
#include "vn_subject.h"
#include "vn_util.h"

/* Synthetic numbers that pass the elfproef; none is a real person's. */
static const char *const s_valid[] = {"111222333", "123456782", "999999990", NULL};

static void test_valid_bsn(void **state)
{
    (void)state;
    for (int i = 0; s_valid[i]; i++)
        assert_int_equal(vn_bsn_validate(s_valid[i]), 0);
}

static void test_invalid_bsn(void **state)
{
    (void)state;
    assert_int_equal(vn_bsn_validate("123456789"), VN_E_BSN_CHECKSUM);
    assert_int_equal(vn_bsn_validate("111222334"), VN_E_BSN_CHECKSUM);
    assert_int_equal(vn_bsn_validate("12345678"), VN_E_BSN_LENGTH);
    assert_int_equal(vn_bsn_validate("1234567820"), VN_E_BSN_LENGTH);
    assert_int_equal(vn_bsn_validate(""), VN_E_BSN_LENGTH);
    assert_int_equal(vn_bsn_validate(NULL), VN_E_BSN_LENGTH);
    assert_int_equal(vn_bsn_validate("12345678a"), VN_E_BSN_DIGITS);
    assert_int_equal(vn_bsn_validate("1234 6782"), VN_E_BSN_DIGITS);
    assert_int_equal(vn_bsn_validate("-23456782"), VN_E_BSN_DIGITS);
}

static void test_pseudonym_stable_and_keyed(void **state)
{
    (void)state;
    uint8_t key[32], other_key[32], a[32], b[32], c[32], d[32];
    memset(key, 7, sizeof key);
    memset(other_key, 8, sizeof other_key);
    assert_int_equal(vn_pseudonym(a, "111222333", key), 0);
    assert_int_equal(vn_pseudonym(b, "111222333", key), 0);
    assert_memory_equal(a, b, 32);
    assert_int_equal(vn_pseudonym(c, "123456782", key), 0);
    assert_memory_not_equal(a, c, 32);
    assert_int_equal(vn_pseudonym(d, "111222333", other_key), 0);
    assert_memory_not_equal(a, d, 32);
    assert_int_equal(vn_pseudonym(a, "123456789", key), VN_E_BSN_CHECKSUM);
}

#define KAT_PSEUDONYM "27b6805e7f4ece488fe4dc9e7848776fd88f76f45552e8d45039817309bba65b"
static void test_pseudonym_known_answer(void **state)
{
    /* keyed BLAKE2b-256, key 0x07*32, personalisation "vangnet-pseud-v1", input "111222333" */
    (void)state;
    uint8_t key[32], out[32], expect[32];
    char hex[65];
    memset(key, 7, sizeof key);
    uint8_t personal[16] = "vangnet-pseud-v1";
    crypto_generichash_blake2b_salt_personal(expect, 32, (const uint8_t *)"111222333", 9, key, 32,
                                             NULL, personal);
    assert_int_equal(vn_pseudonym(out, "111222333", key), 0);
    assert_memory_equal(out, expect, 32);
    assert_string_equal(vn_hex(hex, out, 32), KAT_PSEUDONYM);
}

static void test_key_file(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[4200], err[512];
    snprintf(path, sizeof path, "%s/pseudonym.key", dir);
    assert_int_equal(vn_pseudonym_key_create(path), 0);
    assert_int_equal(vn_pseudonym_key_create(path), VN_E_EXISTS);
    uint8_t k1[32], k2[32];
    assert_int_equal(vn_pseudonym_key_load(path, k1, err, sizeof err), 0);
    assert_int_equal(vn_pseudonym_key_load(path, k2, err, sizeof err), 0);
    assert_memory_equal(k1, k2, 32);
    chmod(path, 0640);
    assert_int_equal(vn_pseudonym_key_load(path, k1, err, sizeof err), VN_E_KEYFILE_PERMS);
    assert_non_null(strstr(err, "pseudonym.key"));
    snprintf(path, sizeof path, "%s/bad.key", dir);
    assert_int_equal(vn_write_file_new(path, 0600, "[vangnet-pseudonym-key]\nkey = 12\n", 33), 0);
    assert_int_equal(vn_pseudonym_key_load(path, k1, err, sizeof err), VN_E_KEYFILE);
    test_tmpdir_remove(dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_bsn),
        cmocka_unit_test(test_invalid_bsn),
        cmocka_unit_test(test_pseudonym_stable_and_keyed),
        cmocka_unit_test(test_pseudonym_known_answer),
        cmocka_unit_test(test_key_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
