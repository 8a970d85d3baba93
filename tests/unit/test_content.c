/* test_content.c -- the sealed content format (EnvelopeContent v1): the subject's identity beside
 * the body, its checks on both sides, a known answer pinning the format, and the recipient's
 * check of the sealed BSN against the header's pseudonym. */
#include "test_harness.h"

#include "vn_content.h"
#include "vn_error.h"
#include "vn_subject.h"

static const uint8_t s_body[] = "hi";

static void test_known_answer(void **state)
{
    (void)state;
    /* Version 1, subject {bsn, birth date}, body "hi", media type text/plain: the wire bytes a
     * recipient of any later version must still read. */
    static const uint8_t want[] = {
        0x08, 0x01,                                                   /* version = 1 */
        0x12, 0x17,                                                   /* subject */
        0x0a, 0x09, '1', '1', '1', '2', '2', '2', '3', '3', '3',      /*   bsn */
        0x1a, 0x0a, '2', '0', '1', '9', '-', '0', '3', '-', '0', '4', /*   birth_date */
        0x1a, 0x02, 'h', 'i',                                         /* body */
        0x22, 0x0a, 't', 'e', 'x', 't', '/', 'p', 'l', 'a', 'i', 'n', /* media_type */
    };
    vn_content_t c = {.bsn = "111222333", .birth_date = "2019-03-04", .body = s_body,
                      .body_len = 2};
    uint8_t *out;
    size_t len;
    assert_int_equal(vn_content_pack(&c, &out, &len), 0);
    assert_int_equal(len, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    Vn__EnvelopeContent *ec;
    assert_int_equal(vn_content_unpack(out, len, &ec), 0);
    assert_string_equal(ec->subject->bsn, "111222333");
    assert_string_equal(ec->subject->name, "");
    assert_string_equal(ec->subject->birth_date, "2019-03-04");
    assert_int_equal(ec->body.len, 2);
    assert_memory_equal(ec->body.data, "hi", 2);
    assert_string_equal(ec->media_type, VN_CONTENT_MEDIA_TEXT);
    vn__envelope_content__free_unpacked(ec, NULL);
    free(out);
}

static void test_anonymous_has_no_subject(void **state)
{
    (void)state;
    vn_content_t c = {.body = s_body, .body_len = 2};
    uint8_t *out;
    size_t len;
    assert_int_equal(vn_content_pack(&c, &out, &len), 0);
    Vn__EnvelopeContent *ec;
    assert_int_equal(vn_content_unpack(out, len, &ec), 0);
    assert_null(ec->subject);
    vn__envelope_content__free_unpacked(ec, NULL);
    free(out);
    /* A name or birth date without a BSN is refused: an advice request names nobody. */
    vn_content_t named = {.name = "Synthetisch Kind", .body = s_body, .body_len = 2};
    assert_int_equal(vn_content_pack(&named, &out, &len), VN_E_INVALID);
    assert_null(out);
    vn_content_t dated = {.birth_date = "2019-03-04", .body = s_body, .body_len = 2};
    assert_int_equal(vn_content_pack(&dated, &out, &len), VN_E_INVALID);
}

static void test_sender_checks(void **state)
{
    (void)state;
    uint8_t *out;
    size_t len;
    vn_content_t bad_bsn = {.bsn = "123456789", .body = s_body, .body_len = 2};
    assert_int_equal(vn_content_pack(&bad_bsn, &out, &len), VN_E_BSN_CHECKSUM);
    const char *dates[] = {"2019-02-29", "2019-13-01", "2019-00-10", "19-03-04", "2019/03/04",
                           "1899-12-31", "2019-04-31", "2019-3-4x", NULL};
    for (int i = 0; dates[i]; i++) {
        vn_content_t c = {.bsn = "111222333", .birth_date = dates[i], .body = s_body,
                          .body_len = 2};
        assert_int_equal(vn_content_pack(&c, &out, &len), VN_E_INVALID);
    }
    assert_true(vn_birth_date_valid("2020-02-29"));
    assert_false(vn_birth_date_valid("2100-02-29"));
    assert_true(vn_birth_date_valid("2000-02-29"));
    char long_name[VN_CONTENT_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    vn_content_t c = {.bsn = "111222333", .name = long_name, .body = s_body, .body_len = 2};
    assert_int_equal(vn_content_pack(&c, &out, &len), VN_E_INVALID);
    c.name = "naam\nmet regeleinde";
    assert_int_equal(vn_content_pack(&c, &out, &len), VN_E_INVALID);
}

static void test_recipient_refuses(void **state)
{
    (void)state;
    Vn__EnvelopeContent *ec;
    /* Not EnvelopeContent at all: plain text from a sender of the old format. */
    const char *plain = "Zorgen over een leerling.";
    assert_int_not_equal(vn_content_unpack((const uint8_t *)plain, strlen(plain), &ec), 0);
    assert_null(ec);
    assert_int_equal(vn_content_unpack((const uint8_t *)"", 0, &ec), VN_E_MALFORMED);
    /* A later format version. */
    static const uint8_t v2[] = {0x08, 0x02, 0x1a, 0x02, 'h', 'i'};
    assert_int_equal(vn_content_unpack(v2, sizeof v2, &ec), VN_E_VERSION);
    /* A subject whose BSN fails the elfproef, or that has no BSN. */
    static const uint8_t bad[] = {0x08, 0x01, 0x12, 0x0b, 0x0a, 0x09, '1', '2', '3',
                                  '4',  '5',  '6',  '7',  '8',  '9',  0x22, 0x01, 'x'};
    assert_int_equal(vn_content_unpack(bad, sizeof bad, &ec), VN_E_INVALID);
    static const uint8_t nobsn[] = {0x08, 0x01, 0x12, 0x03, 0x12, 0x01, 'A', 0x22, 0x01, 'x'};
    assert_int_equal(vn_content_unpack(nobsn, sizeof nobsn, &ec), VN_E_INVALID);
    /* Truncated. */
    static const uint8_t cut[] = {0x08, 0x01, 0x12, 0x17, 0x0a, 0x09, '1'};
    assert_int_equal(vn_content_unpack(cut, sizeof cut, &ec), VN_E_MALFORMED);
}

static void test_subject_matches_header(void **state)
{
    (void)state;
    uint8_t key[32], p1[32], p2[32];
    memset(key, 7, sizeof key);
    assert_int_equal(vn_pseudonym(p1, "111222333", key), 0);
    assert_int_equal(vn_pseudonym(p2, "123456782", key), 0);
    vn_content_t c = {.bsn = "111222333", .body = s_body, .body_len = 2};
    uint8_t *out;
    size_t len;
    assert_int_equal(vn_content_pack(&c, &out, &len), 0);
    Vn__EnvelopeContent *ec;
    assert_int_equal(vn_content_unpack(out, len, &ec), 0);
    assert_int_equal(vn_content_check_subject(ec, p1, 32, key), 0);
    /* The header (and so the broker's policy check) named another child. */
    assert_int_equal(vn_content_check_subject(ec, p2, 32, key), VN_E_INVALID);
    /* The header names nobody but the content does, or the reverse. */
    assert_int_equal(vn_content_check_subject(ec, NULL, 0, key), VN_E_INVALID);
    vn__envelope_content__free_unpacked(ec, NULL);
    free(out);
    vn_content_t anon = {.body = s_body, .body_len = 2};
    assert_int_equal(vn_content_pack(&anon, &out, &len), 0);
    assert_int_equal(vn_content_unpack(out, len, &ec), 0);
    assert_int_equal(vn_content_check_subject(ec, NULL, 0, key), 0);
    assert_int_equal(vn_content_check_subject(ec, p1, 32, key), VN_E_INVALID);
    vn__envelope_content__free_unpacked(ec, NULL);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),
        cmocka_unit_test(test_anonymous_has_no_subject),
        cmocka_unit_test(test_sender_checks),
        cmocka_unit_test(test_recipient_refuses),
        cmocka_unit_test(test_subject_matches_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
