/* test_wire.c -- protobuf round trips of wire and API messages; malformed and unknown versions. */
#include "test_harness.h"

#include "audit.pb-c.h"
#include "vn_error.h"
#include "vn_wire.h"

static void test_receipt_round_trip(void **state)
{
    (void)state;
    uint8_t id[16] = {1, 2, 3}, hash[32] = {9};
    Vn__Receipt r = VN__RECEIPT__INIT;
    r.message_id = (ProtobufCBinaryData){16, id};
    r.audit_seq = 42;
    r.audit_hash = (ProtobufCBinaryData){32, hash};
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_RECEIPT;
    m.receipt = &r;
    uint8_t *buf;
    size_t len;
    assert_int_equal(vn_wire_pack(&m, &buf, &len), 0);
    Vn__WireMessage *out;
    assert_int_equal(vn_wire_unpack(buf, len, &out), 0);
    assert_int_equal(out->body_case, VN__WIRE_MESSAGE__BODY_RECEIPT);
    assert_int_equal(out->receipt->audit_seq, 42);
    assert_memory_equal(out->receipt->message_id.data, id, 16);
    vn__wire_message__free_unpacked(out, NULL);

    /* Every truncation is either refused or decodes to something else, never a crash. */
    for (size_t cut = 0; cut < len; cut++) {
        if (vn_wire_unpack(buf, cut, &out) == 0)
            vn__wire_message__free_unpacked(out, NULL);
    }
    free(buf);
}

static void test_unknown_version_refused(void **state)
{
    (void)state;
    Vn__Hello h = VN__HELLO__INIT;
    h.credit = 10;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_HELLO;
    m.hello = &h;
    m.version = 2;
    size_t len = vn__wire_message__get_packed_size(&m);
    uint8_t buf[64];
    vn__wire_message__pack(&m, buf);
    Vn__WireMessage *out;
    assert_int_equal(vn_wire_unpack(buf, len, &out), VN_E_VERSION);
    assert_null(out);
}

static void test_malformed_refused(void **state)
{
    (void)state;
    Vn__WireMessage *out;
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_int_equal(vn_wire_unpack(garbage, sizeof garbage, &out), VN_E_MALFORMED);
    /* version 1 but no body */
    const uint8_t empty[] = {0x08, 0x01};
    assert_int_equal(vn_wire_unpack(empty, sizeof empty, &out), VN_E_MALFORMED);
    Vn__ApiRequest *req;
    assert_int_equal(vn_api_request_unpack(empty, sizeof empty, &req), VN_E_MALFORMED);
    assert_int_equal(vn_api_request_unpack(garbage, sizeof garbage, &req), VN_E_MALFORMED);
}

static void test_api_round_trip(void **state)
{
    (void)state;
    char *to[] = {"vt-zuid-limburg"};
    Vn__ApiSubmit s = VN__API_SUBMIT__INIT;
    s.n_to = 1;
    s.to = to;
    s.subject_bsn = "111222333";
    s.category = "melding";
    Vn__ApiRequest r = VN__API_REQUEST__INIT;
    r.body_case = VN__API_REQUEST__BODY_SUBMIT;
    r.submit = &s;
    uint8_t *buf;
    size_t len;
    assert_int_equal(vn_api_request_pack(&r, &buf, &len), 0);
    Vn__ApiRequest *out;
    assert_int_equal(vn_api_request_unpack(buf, len, &out), 0);
    assert_string_equal(out->submit->to[0], "vt-zuid-limburg");
    assert_string_equal(out->submit->subject_bsn, "111222333");
    vn__api_request__free_unpacked(out, NULL);
    free(buf);
}

static void test_audit_record_round_trip(void **state)
{
    (void)state;
    char *recips[] = {"vt-zuid-limburg", "ggz-mondriaan"};
    Vn__AuditRecord a = VN__AUDIT_RECORD__INIT;
    a.version = 1;
    a.seq = 7;
    a.event = VN__AUDIT_RECORD__EVENT__REFUSED;
    a.actor_org = "wijkteam-heerlen";
    a.n_recipients = 2;
    a.recipients = recips;
    a.outcome = "unknown-recipient";
    uint8_t buf[256];
    size_t len = vn__audit_record__pack(&a, buf);
    Vn__AuditRecord *out = vn__audit_record__unpack(NULL, len, buf);
    assert_non_null(out);
    assert_int_equal(out->event, VN__AUDIT_RECORD__EVENT__REFUSED);
    assert_string_equal(out->recipients[1], "ggz-mondriaan");
    assert_string_equal(out->outcome, "unknown-recipient");
    vn__audit_record__free_unpacked(out, NULL);
    assert_null(vn__audit_record__unpack(NULL, len - 3, buf));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receipt_round_trip),
        cmocka_unit_test(test_unknown_version_refused),
        cmocka_unit_test(test_malformed_refused),
        cmocka_unit_test(test_api_round_trip),
        cmocka_unit_test(test_audit_record_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
