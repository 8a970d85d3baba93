/* test_pseudonymd.c -- the pseudonym service's frames (every bound checked), its key files
 * (permissions, a secret whose public half does not match) and the v2 pseudonym derivation. */
#include "test_harness.h"

#include <sodium.h>
#include <sys/stat.h>

#include "vn_error.h"
#include "vn_pseudonymd.h"
#include "vn_util.h"

static void test_request_roundtrip_and_bounds(void **state)
{
    (void)state;
    uint8_t el[3][32], buf[512];
    randombytes_buf(el, sizeof el);
    size_t len = vn_pseud_request_pack(buf, 0x0102030405060708ULL, "signal", el[0], 3);
    assert_true(len <= vn_pseud_request_size(3));
    uint64_t id;
    char purpose[VN_PSEUD_PURPOSE_MAX + 1];
    const uint8_t *got;
    size_t n;
    assert_int_equal(vn_pseud_request_parse(buf, len, &id, purpose, &got, &n), 0);
    assert_true(id == 0x0102030405060708ULL);
    assert_string_equal(purpose, "signal");
    assert_int_equal(n, 3);
    assert_memory_equal(got, el, sizeof el);
    /* every truncation, an extra byte, a wrong magic or type, a bad purpose: malformed */
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(vn_pseud_request_parse(buf, cut, &id, purpose, &got, &n), VN_E_MALFORMED);
    assert_int_equal(vn_pseud_request_parse(buf, len + 1, &id, purpose, &got, &n), VN_E_MALFORMED);
    buf[0] ^= 1;
    assert_int_equal(vn_pseud_request_parse(buf, len, &id, purpose, &got, &n), VN_E_MALFORMED);
    buf[0] ^= 1;
    buf[4] = 2;
    assert_int_equal(vn_pseud_request_parse(buf, len, &id, purpose, &got, &n), VN_E_MALFORMED);
    buf[4] = 1;
    buf[14] = 'S'; /* purpose "Signal": not [a-z0-9-] */
    assert_int_equal(vn_pseud_request_parse(buf, len, &id, purpose, &got, &n), VN_E_MALFORMED);
    buf[14] = 's';
    buf[13] = 40; /* purpose longer than allowed */
    assert_int_equal(vn_pseud_request_parse(buf, len, &id, purpose, &got, &n), VN_E_MALFORMED);
    assert_false(vn_pseud_purpose_valid(""));
    assert_false(vn_pseud_purpose_valid("a b"));
    assert_true(vn_pseud_purpose_valid("art15"));
}

static void test_reply_roundtrip_and_bounds(void **state)
{
    (void)state;
    uint8_t ev[2][32], proof[64], buf[512];
    randombytes_buf(ev, sizeof ev);
    randombytes_buf(proof, sizeof proof);
    size_t len = vn_pseud_reply_ok(buf, 9, ev[0], 2, proof);
    uint64_t id;
    int status;
    const uint8_t *e, *p;
    size_t n;
    char msg[256];
    assert_int_equal(vn_pseud_reply_parse(buf, len, &id, &status, &e, &n, &p, msg, sizeof msg), 0);
    assert_true(id == 9);
    assert_int_equal(status, VN_PSEUD_OK);
    assert_int_equal(n, 2);
    assert_memory_equal(e, ev, sizeof ev);
    assert_memory_equal(p, proof, 64);
    for (size_t cut = 0; cut < len; cut++)
        assert_int_equal(vn_pseud_reply_parse(buf, cut, &id, &status, &e, &n, &p, msg, sizeof msg),
                         VN_E_MALFORMED);
    len = vn_pseud_reply_error(buf, sizeof buf, 10, VN_PSEUD_OVER_BUDGET, "over budget\n\x01");
    assert_int_equal(vn_pseud_reply_parse(buf, len, &id, &status, &e, &n, &p, msg, sizeof msg), 0);
    assert_int_equal(status, VN_PSEUD_OVER_BUDGET);
    assert_string_equal(msg, "over budget??"); /* the service's text, printable only */
    assert_string_equal(vn_pseud_status_name(status), "over-budget");
}

static void test_keys(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), path[4200], err[512];
    assert_int_equal(vn_pseud_keys_create(dir, err, sizeof err), 0);
    assert_int_equal(vn_pseud_keys_create(dir, err, sizeof err), VN_E_EXISTS);
    vn_pseud_keys_t *k = NULL;
    vn_pseud_pub_t pub;
    snprintf(path, sizeof path, "%s/pseudonymd.secret", dir);
    assert_int_equal(vn_pseud_keys_load(path, &k, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/pseudonymd.public", dir);
    assert_int_equal(vn_pseud_pub_load(path, &pub, err, sizeof err), 0);
    assert_memory_equal(pub.oprf_pk, k->pub.oprf_pk, 32);
    assert_string_equal(pub.curve_pk, k->pub.curve_pk);
    /* the public file is not a secret file */
    vn_pseud_keys_t *k2 = NULL;
    chmod(path, 0600);
    assert_int_equal(vn_pseud_keys_load(path, &k2, err, sizeof err), VN_E_KEYFILE);
    assert_null(k2);
    /* a secret readable by others is refused */
    snprintf(path, sizeof path, "%s/pseudonymd.secret", dir);
    chmod(path, 0644);
    assert_int_equal(vn_pseud_keys_load(path, &k2, err, sizeof err), VN_E_KEYFILE_PERMS);
    /* a secret whose oprf_public is another key's */
    chmod(path, 0600);
    uint8_t *text;
    size_t len;
    assert_int_equal(vn_read_file(path, 8192, &text, &len), 0);
    char *line = strstr((char *)text, "oprf_public = ");
    assert_non_null(line);
    line[14] = line[14] == 'a' ? 'b' : 'a';
    snprintf(path, sizeof path, "%s/forged.secret", dir);
    assert_int_equal(vn_write_file_new(path, 0600, text, len), 0);
    free(text);
    int rc = vn_pseud_keys_load(path, &k2, err, sizeof err);
    assert_true(rc == VN_E_KEYFILE);
    vn_pseud_keys_destroy(&k);
    vn_pseud_keys_destroy(&k);
    assert_null(k);
    test_tmpdir_remove(dir);
}

static void test_pseudonym_v2(void **state)
{
    (void)state;
    uint8_t out1[64], out2[64], p1[32], p1b[32], p2[32];
    memset(out1, 1, sizeof out1);
    memset(out2, 2, sizeof out2);
    vn_pseud_from_output(p1, out1);
    vn_pseud_from_output(p1b, out1);
    vn_pseud_from_output(p2, out2);
    assert_memory_equal(p1, p1b, 32);
    assert_memory_not_equal(p1, p2, 32);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_roundtrip_and_bounds),
        cmocka_unit_test(test_reply_roundtrip_and_bounds),
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_pseudonym_v2),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
