/* test_keys.c -- key generation, key files, refusal of damaged or exposed secret files. */
#include "test_harness.h"

#include <sodium.h>
#include <sys/stat.h>

#include "vn_error.h"
#include "vn_keys.h"
#include "vn_util.h"

static char *s_dir;

static void s_path(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", s_dir, name);
}

static void test_generate_save_load(void **state)
{
    (void)state;
    vn_keyset_t *ks = vn_keyset_generate("ggz-mondriaan", "ggz");
    assert_non_null(ks);
    assert_int_equal(vn_keyset_save(ks, s_dir), 0);

    char path[4200];
    struct stat st;
    s_path(path, sizeof path, "ggz-mondriaan.secret");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    vn_keyset_t *loaded = NULL;
    char err[256];
    assert_int_equal(vn_keyset_load(path, &loaded, err, sizeof err), 0);
    assert_string_equal(loaded->pub.org, "ggz-mondriaan");
    assert_string_equal(loaded->pub.sector, "ggz");
    assert_memory_equal(loaded->sign_sk, ks->sign_sk, 64);
    assert_memory_equal(loaded->box_sk, ks->box_sk, 32);
    assert_string_equal(loaded->curve_sk, ks->curve_sk);

    vn_pubkeys_t pub;
    s_path(path, sizeof path, "ggz-mondriaan.public");
    assert_int_equal(vn_pubkeys_load(path, &pub, err, sizeof err), 0);
    assert_memory_equal(&pub, &ks->pub, sizeof pub);
    /* The public file holds no secret. */
    uint8_t *text;
    size_t len;
    assert_int_equal(vn_read_file(path, 8192, &text, &len), 0);
    assert_null(strstr((char *)text, "secret ="));
    free(text);

    /* Never overwritten. */
    assert_int_equal(vn_keyset_save(ks, s_dir), VN_E_EXISTS);
    vn_keyset_destroy(&ks);
    vn_keyset_destroy(&loaded);
    vn_keyset_destroy(&loaded); /* safe twice */
}

static void test_invalid_org_and_sector(void **state)
{
    (void)state;
    assert_null(vn_keyset_generate("GGZ Mondriaan", "ggz"));
    assert_null(vn_keyset_generate("ggz-mondriaan", "bakkerij"));
    assert_null(vn_keyset_generate("ab", "ggz"));
    assert_true(vn_sector_valid("raad-kinderbescherming"));
    assert_true(vn_sector_valid("gecertificeerde-instelling"));
    assert_true(vn_sector_valid("broker"));
}

static void test_secret_file_permissions(void **state)
{
    (void)state;
    vn_keyset_t *ks = vn_keyset_generate("school-de-linde", "onderwijs");
    assert_int_equal(vn_keyset_save(ks, s_dir), 0);
    char path[4200], err[512];
    s_path(path, sizeof path, "school-de-linde.secret");
    chmod(path, 0644);
    vn_keyset_t *loaded = NULL;
    assert_int_equal(vn_keyset_load(path, &loaded, err, sizeof err), VN_E_KEYFILE_PERMS);
    assert_null(loaded);
    assert_non_null(strstr(err, "school-de-linde.secret")); /* the message names the file */
    vn_keyset_destroy(&ks);
}

/* Write text as a 0600 secret file and try to load it. */
static int s_load_text(const char *name, const char *text, char *err, size_t errlen)
{
    char path[4200];
    s_path(path, sizeof path, name);
    assert_int_equal(vn_write_file_new(path, 0600, text, strlen(text)), 0);
    vn_keyset_t *ks = NULL;
    int rc = vn_keyset_load(path, &ks, err, errlen);
    vn_keyset_destroy(&ks);
    return rc;
}

static void test_damaged_files(void **state)
{
    (void)state;
    vn_keyset_t *ks = vn_keyset_generate("wijkteam-heerlen", "wijkteam");
    assert_int_equal(vn_keyset_save(ks, s_dir), 0);
    char path[4200], err[512];
    s_path(path, sizeof path, "wijkteam-heerlen.secret");
    uint8_t *text;
    size_t len;
    assert_int_equal(vn_read_file(path, 8192, &text, &len), 0);

    /* A changed digit in the secret signing key no longer matches its public half. */
    char *copy = strdup((char *)text);
    char *sk = strstr(copy, "sign_secret = ") + strlen("sign_secret = ");
    sk[0] = sk[0] == '0' ? '1' : '0';
    assert_int_equal(s_load_text("a.secret", copy, err, sizeof err), VN_E_KEYFILE);
    assert_non_null(strstr(err, "a.secret"));
    free(copy);

    /* A cut-off file misses fields. */
    copy = strndup((char *)text, len / 2);
    assert_int_equal(s_load_text("b.secret", copy, err, sizeof err), VN_E_KEYFILE);
    free(copy);

    /* Another version is refused as such. */
    copy = strdup((char *)text);
    strstr(copy, "version = 1")[10] = '7';
    assert_int_equal(s_load_text("c.secret", copy, err, sizeof err), VN_E_VERSION);
    free(copy);

    /* Garbage and unknown keys. */
    assert_int_equal(s_load_text("d.secret", "\x01\x02 not a key file", err, sizeof err),
                     VN_E_KEYFILE);
    assert_int_equal(s_load_text("e.secret", "[vangnet-key]\nversion = 1\ncolour = blue\n", err,
                                 sizeof err),
                     VN_E_KEYFILE);
    assert_non_null(strstr(err, "colour"));

    /* A public file is not a secret one. */
    s_path(path, sizeof path, "wijkteam-heerlen.public");
    uint8_t *pub_text;
    assert_int_equal(vn_read_file(path, 8192, &pub_text, &len), 0);
    assert_int_equal(s_load_text("f.secret", (char *)pub_text, err, sizeof err), VN_E_KEYFILE);
    free(pub_text);
    free(text);
    vn_keyset_destroy(&ks);
}

static void test_fingerprint(void **state)
{
    (void)state;
    uint8_t pk[32] = {0};
    char a[17], b[17];
    vn_key_fingerprint(pk, a);
    pk[31] = 1;
    vn_key_fingerprint(pk, b);
    assert_int_equal(strlen(a), 16);
    assert_string_not_equal(a, b);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    s_dir = test_tmpdir();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_save_load),
        cmocka_unit_test(test_invalid_org_and_sector),
        cmocka_unit_test(test_secret_file_permissions),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_fingerprint),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    test_tmpdir_remove(s_dir);
    return failed;
}
