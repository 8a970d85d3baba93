/* test_api_json.c -- lib/vn_api_json.c's Notification (the inbox item the HTTP API and the CLI's
 * `inbox --json` both print): each kind's members, base64 content, the letters-only cursor, and
 * the members left out when empty or invalid. */
#include "test_harness.h"

#include <json-c/json.h>
#include <sodium.h>

#include "vn_api_json.h"

static const char *s_get(json_object *o, const char *path)
{
    /* "a.b.c": nested members; NULL when absent */
    char buf[128], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    json_object *cur = o;
    for (char *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save))
        if (!json_object_object_get_ex(cur, k, &cur))
            return NULL;
    return json_object_get_string(cur);
}

static void test_cursor_letters_only(void **state)
{
    (void)state;
    char c[24];
    vn_json_cursor_format(0, c);
    assert_string_equal(c, "a");
    vn_json_cursor_format(25, c);
    assert_string_equal(c, "z");
    vn_json_cursor_format(26, c);
    assert_string_equal(c, "ba");
    vn_json_cursor_format(UINT64_MAX, c);
    assert_true(strlen(c) == 14 && strspn(c, "abcdefghijklmnopqrstuvwxyz") == 14);
}

static void test_notification(void **state)
{
    (void)state;
    const vn_json_field_t just[] = {{"consent-ref", "c0123456789abcdef"}};
    const vn_json_case_t cases[] = {{"S1", "LLN-0042", 8, "111222333", "schoolverzuim"}};
    const vn_json_card_t card = {"ggz-mondriaan", "M1", "S2", "zorgen", "Dr. A. Bakker", "", "045", ""};
    vn_json_notification_t n = {.message_id = "00112233445566778899aabbccddeeff", .inbox_seq = 27,
                                .received = 1780000000, .sender = "ggz-mondriaan",
                                .sender_sector = "ggz", .category = "contactkaart",
                                .basis = "signaal-match", .justification = just,
                                .n_justification = 1, .subject_pseudonym = "", .user_id = "u",
                                .user_role = "r", .media_type = "text/plain",
                                .content = (const uint8_t *)"zorgen", .content_len = 6,
                                .subject_bsn = "", .subject_birth_date = "2018-02-30",
                                .match_id = "M1", .card = &card, .cases = cases, .n_cases = 1};
    json_object *o = vn_json_notification(&n);
    assert_string_equal(s_get(o, "kind"), "notification");
    assert_string_equal(s_get(o, "inboxCursor"), "bb");
    assert_string_equal(s_get(o, "received"), "2026-05-28T20:26:40Z");
    assert_string_equal(s_get(o, "content.mediaType"), "text/plain");
    assert_string_equal(s_get(o, "content.data"), "em9yZ2Vu");
    assert_string_equal(s_get(o, "contactCard.from"), "ggz-mondriaan");
    assert_string_equal(s_get(o, "matchId"), "M1");
    assert_null(s_get(o, "contactCard.role"));  /* empty: left out */
    assert_null(s_get(o, "subjectPseudonym"));  /* anonymous */
    assert_null(s_get(o, "subjectBsn"));
    assert_null(s_get(o, "subjectBirthDate"));  /* not a date */
    assert_null(s_get(o, "senderRevoked"));
    json_object *a;
    assert_true(json_object_object_get_ex(o, "cases", &a) && json_object_array_length(a) == 1);
    assert_string_equal(s_get(json_object_array_get_idx(a, 0), "clientRef"), "LLN-0042");
    assert_true(json_object_object_get_ex(o, "justification", &a));
    assert_string_equal(s_get(json_object_array_get_idx(a, 0), "value"), "c0123456789abcdef");
    json_object_put(o);

    /* no media type: octet-stream; no content: an empty base64 string, not a missing member */
    vn_json_notification_t bare = {.message_id = "00112233445566778899aabbccddeeff",
                                   .sender_revoked = 1};
    o = vn_json_notification(&bare);
    assert_string_equal(s_get(o, "content.mediaType"), "application/octet-stream");
    assert_string_equal(s_get(o, "content.data"), "");
    assert_string_equal(s_get(o, "sender"), "");
    assert_non_null(s_get(o, "senderRevoked"));
    assert_null(s_get(o, "cases"));
    json_object_put(o);
}

static void test_notice_and_match_notice(void **state)
{
    (void)state;
    /* a notice: no content, and a match handed over is freed, not leaked (ASan checks) */
    vn_json_notification_t n = {.message_id = "00112233445566778899aabbccddeeff",
                                .notice_code = "undecryptable", .notice_reason = "r",
                                .notice_recipient = "vt-zuid-limburg",
                                .about_message_id = "ffeeddccbbaa99887766554433221100",
                                .match = json_object_new_object()};
    json_object *o = vn_json_notification(&n);
    assert_string_equal(s_get(o, "kind"), "notice");
    assert_string_equal(s_get(o, "notice.code"), "undecryptable");
    assert_string_equal(s_get(o, "notice.aboutMessageId"), "ffeeddccbbaa99887766554433221100");
    assert_null(s_get(o, "content"));
    json_object_put(o);

    vn_json_participant_t p = {"school-de-linde", "onderwijs", "S1", "schoolverzuim", 1780000000,
                               1780000100, 1};
    vn_json_match_t m = {.id = "M1", .kind = "client", .coordinator = "", .participants = &p,
                         .n_participants = 1};
    vn_json_notification_t mn = {.message_id = "00112233445566778899aabbccddeeff",
                                 .inbox_seq = 1, .match_notice = 1, .match_event = "match",
                                 .match = vn_json_match(&m), .match_audit_seq = 9,
                                 .match_id = "M1"};
    o = vn_json_notification(&mn);
    assert_string_equal(s_get(o, "kind"), "match-notice");
    assert_string_equal(s_get(o, "matchNotice.event"), "match");
    assert_string_equal(s_get(o, "matchNotice.auditSeq"), "9");
    assert_string_equal(s_get(o, "matchNotice.match.id"), "M1");
    assert_null(s_get(o, "matchNotice.match.coordinator"));
    assert_null(s_get(o, "matchNotice.match.cases")); /* a notice's match carries no local view */
    assert_null(s_get(o, "content"));
    json_object *a;
    assert_true(json_object_object_get_ex(o, "cases", &a) && json_object_array_length(a) == 0);
    json_object_put(o);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_letters_only),
        cmocka_unit_test(test_notification),
        cmocka_unit_test(test_notice_and_match_notice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
