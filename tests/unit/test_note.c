/* test_note.c -- C2SP signed notes against published vectors (c2sp.org/signed-note's example and
 * Go's golang.org/x/mod/sumdb/note test key), checkpoint bodies and cosignature/v1. */
#include "test_harness.h"

#include <sodium.h>

#include "vn_error.h"
#include "vn_note.h"

/* c2sp.org/signed-note, "Verifier keys: Example". */
static const char *C2SP_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char *C2SP_NOTE =
    "This is an example message.\n\n"
    "\xe2\x80\x94 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

/* golang.org/x/mod/sumdb/note note_test.go: TestSign (seed in the PRIVATE+KEY string). */
static const char *GO_SEED_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char *GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char *GO_TEXT = "If you think cryptography is the answer to your problem,\n"
                             "then you don't know what your problem is.\n";
static const char *GO_SIG_LINE =
    "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static void test_c2sp_example_verifies(void **state)
{
    (void)state;
    char name[VN_NOTE_NAME_MAX + 1];
    uint8_t type, pk[32];
    assert_int_equal(vn_note_vkey_parse(C2SP_VKEY, name, &type, pk), 0);
    assert_string_equal(name, "example.com/foo");
    assert_int_equal(type, VN_NOTE_ED25519);
    assert_int_equal(vn_note_key_id(name, type, pk), 0x530d903a);
    char again[VN_NOTE_VKEY_MAX];
    assert_int_equal(vn_note_vkey(name, type, pk, again), 0);
    assert_string_equal(again, C2SP_VKEY);
    vn_note_t n;
    assert_int_equal(vn_note_parse(C2SP_NOTE, strlen(C2SP_NOTE), &n), 0);
    assert_int_equal(n.n_sigs, 1);
    assert_int_equal(n.text_len, strlen("This is an example message.\n"));
    assert_int_equal(vn_note_verify(&n, name, pk), 0);
    /* A different name or key is not "the" key: not found, not a failure. */
    assert_int_equal(vn_note_verify(&n, "example.com/bar", pk), VN_E_NOT_FOUND);
    /* One changed byte of text: the signature of the known key fails. */
    char *bad = strdup(C2SP_NOTE);
    bad[0] = 't';
    assert_int_equal(vn_note_parse(bad, strlen(bad), &n), 0);
    assert_int_equal(vn_note_verify(&n, name, pk), VN_E_BAD_SIGNATURE);
    free(bad);
}

static void test_go_vector_signs_identically(void **state)
{
    (void)state;
    uint8_t raw[33], pk[32], sk[64];
    size_t got;
    assert_int_equal(sodium_base642bin(raw, sizeof raw, GO_SEED_B64, strlen(GO_SEED_B64), NULL,
                                       &got, NULL, sodium_base64_VARIANT_ORIGINAL), 0);
    assert_int_equal(got, 33);
    crypto_sign_seed_keypair(pk, sk, raw + 1);
    char vkey[VN_NOTE_VKEY_MAX], line[VN_NOTE_LINE_MAX];
    assert_int_equal(vn_note_vkey("PeterNeumann", VN_NOTE_ED25519, pk, vkey), 0);
    assert_string_equal(vkey, GO_VKEY);
    assert_int_equal(vn_note_sign(GO_TEXT, strlen(GO_TEXT), "PeterNeumann", sk, line),
                     (int)strlen(GO_SIG_LINE));
    assert_string_equal(line, GO_SIG_LINE);
}

static void test_parse_rejects(void **state)
{
    (void)state;
    vn_note_t n;
    const char *bad[] = {
        "no blank line\n\xe2\x80\x94 a AAAAAAA=\n",                 /* no separator */
        "text\n\n",                                                /* no signature */
        "text\n\n- a QUJDREVGRw==\n",                              /* not an em dash */
        "text\n\n\xe2\x80\x94 a+b QUJDREVGRw==\n",                 /* '+' in the name */
        "text\n\n\xe2\x80\x94 a QUJDREVGRw\n",                     /* unpadded base64 */
        "text\n\n\xe2\x80\x94 a QUJDREVGRw==",                     /* no final newline */
        "te\txt\n\n\xe2\x80\x94 a QUJDREVGRw==\n",                 /* control character */
        "te\xffxt\n\n\xe2\x80\x94 a QUJDREVGRw==\n",               /* not UTF-8 */
        "text\n\n\xe2\x80\x94 a QUI=\n",                           /* shorter than a key id */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_not_equal(vn_note_parse(bad[i], strlen(bad[i]), &n), 0);
    /* The text may hold blank lines: the last one separates. */
    const char *ok = "a\n\nb\n\n\xe2\x80\x94 a QUJDREVGRw==\n";
    assert_int_equal(vn_note_parse(ok, strlen(ok), &n), 0);
    assert_int_equal(n.text_len, 5);
    char name[VN_NOTE_NAME_MAX + 1];
    uint8_t type, pk[32];
    assert_int_not_equal(vn_note_vkey_parse("example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                                            name, &type, pk), 0); /* key id does not match */
    assert_int_not_equal(vn_note_vkey_parse("example.com/foo+530d903a+BekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
                                            name, &type, pk), 0); /* unknown type */
}

static void test_checkpoint_and_cosignature(void **state)
{
    (void)state;
    uint8_t root[32], pk[32], sk[64], wpk[32], wsk[64];
    memset(root, 0xab, 32);
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(wpk, wsk);
    char text[VN_CHECKPOINT_TEXT_MAX], origin[VN_NOTE_NAME_MAX + 1];
    int len = vn_checkpoint_text("vangnet.example/broker-x", 20852163, root, text);
    assert_true(len > 0);
    uint64_t size;
    uint8_t back[32];
    assert_int_equal(vn_checkpoint_text_parse(text, (size_t)len, origin, &size, back), 0);
    assert_string_equal(origin, "vangnet.example/broker-x");
    assert_int_equal(size, 20852163);
    assert_memory_equal(back, root, 32);
    assert_int_not_equal(vn_checkpoint_text_parse("o\n012\nAAAA\n", 11, NULL, &size, back), 0);
    assert_int_equal(vn_checkpoint_text_parse("o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
                                              49, NULL, &size, back), 0);
    assert_int_equal(size, 0);

    char note[4096], line[VN_NOTE_LINE_MAX];
    assert_true(vn_note_sign(text, (size_t)len, "vangnet.example/broker-x", sk, line) > 0);
    snprintf(note, sizeof note, "%s\n%s", text, line);
    assert_true(vn_note_cosign(text, (size_t)len, "vangnet.example/witness-w", wsk, 1679315147,
                               line) > 0);
    strcat(note, line);
    vn_note_t n;
    uint64_t ts = 0;
    assert_int_equal(vn_note_parse(note, strlen(note), &n), 0);
    assert_int_equal(n.n_sigs, 2);
    assert_int_equal(vn_note_verify(&n, "vangnet.example/broker-x", pk), 0);
    assert_int_equal(vn_note_verify_cosig(&n, "vangnet.example/witness-w", wpk, &ts), 0);
    assert_int_equal(ts, 1679315147);
    /* The cosigner's key as a plain note key (type 0x01) is another key id: not found. */
    assert_int_equal(vn_note_verify(&n, "vangnet.example/witness-w", wpk), VN_E_NOT_FOUND);
    /* The cosignature covers the time: change it and it fails. */
    n.sigs[1].sig[7] ^= 1;
    assert_int_equal(vn_note_verify_cosig(&n, "vangnet.example/witness-w", wpk, &ts),
                     VN_E_BAD_SIGNATURE);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c2sp_example_verifies),
        cmocka_unit_test(test_go_vector_signs_identically),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_checkpoint_and_cosignature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
