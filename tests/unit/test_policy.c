/* test_policy.c -- the legal rules, table-driven: the shipped policy (config/policy.conf) and a
 * header in, the verdict out. Every refusal code that docs/policy.md lists must be produced by at
 * least one row, so the documentation and the code cannot drift apart unnoticed. */
#include "test_harness.h"

#include <time.h>

#include "vn_policy.h"

#ifndef VN_SOURCE_DIR
#error "VN_SOURCE_DIR must name the source tree (set by tests/meson.build)"
#endif

#define NOW 1790000000u /* 2026-09-21, a fixed "today" for the date rules */
#define MELD "afwegingsvraag-1=ja;afwegingsvraag-2=ja;afwegingsvraag-3=nvt;afwegingsvraag-4=nvt;" \
             "afwegingsvraag-5=nvt;onveiligheid=acuut;collegiale-consultatie=2026-09-01;"      \
             "client-geinformeerd=ja"
#define REPORT "0123456789abcdef0123456789abcdef" /* a meldrecht report ggz-a made to vt */
#define CONSENT_MSG "fedcba9876543210fedcba9876543210" /* a consent-based message, not a report */

static const uint8_t s_subject[32] = {1, 2, 3};
static const uint8_t s_other[32] = {9, 9, 9};

/* --- the broker's lookups, as fixed data ------------------------------------------------------ */

static const char *s_sector_of(void *ctx, const char *org)
{
    (void)ctx;
    static const char *const map[][2] = {
        {"ggz-a", "ggz"}, {"vt", "veilig-thuis"}, {"raad", "raad-kinderbescherming"},
        {"gi", "gecertificeerde-instelling"}, {"wt", "wijkteam"}, {"school", "onderwijs"},
        {"jh", "jeugdhulp"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(map[i][0], org) == 0)
            return map[i][1];
    return NULL;
}

static const char *const s_consent_to[] = {"wt", "sector:onderwijs"};
static const char *const s_consent_cats[] = {"zorgsignaal"};

static void s_consent(void *ctx, const char *ref, vn_consent_view_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    if (!ref || strncmp(ref, "c-", 2) != 0)
        return;
    *out = (vn_consent_view_t){.found = 1, .owner = "ggz-a", .subject = s_subject,
                               .recipients = s_consent_to, .n_recipients = 2,
                               .categories = s_consent_cats, .n_categories = 1,
                               .valid_from = NOW - 100, .expires = NOW + 100};
    if (strcmp(ref, "c-other-owner") == 0)
        out->owner = "wt";
    else if (strcmp(ref, "c-other-subject") == 0)
        out->subject = s_other;
    else if (strcmp(ref, "c-withdrawn") == 0)
        out->withdrawn = NOW - 10;
    else if (strcmp(ref, "c-expired") == 0)
        out->expires = NOW;
    else if (strcmp(ref, "c-future") == 0)
        out->valid_from = NOW + 10;
}

static const char *const s_report_to[] = {"vt"};

static void s_reply(void *ctx, const char *msgid, vn_reply_view_t *out)
{
    (void)ctx;
    memset(out, 0, sizeof *out);
    if (!msgid)
        return;
    if (strcmp(msgid, REPORT) == 0)
        *out = (vn_reply_view_t){1, "ggz-a", s_report_to, 1, "meldrecht"};
    else if (strcmp(msgid, CONSENT_MSG) == 0)
        *out = (vn_reply_view_t){1, "ggz-a", s_report_to, 1, "consent"};
}

static int s_in_match(void *ctx, const char *match_id, const char *org)
{
    (void)ctx;
    return strcmp(match_id, "M1") == 0 && (strcmp(org, "ggz-a") == 0 || strcmp(org, "wt") == 0);
}

/* --- the table -------------------------------------------------------------------------------- */

typedef struct {
    const char *what;
    const char *basis, *sender, *recipients, *category;
    int subject;           /* 1: the pseudonym s_subject; 0: anonymous */
    const char *fields;    /* "key=value;key=value" */
    const char *match_id;
    const char *code;      /* "" when allowed */
    int review;
} row_t;

static const row_t s_rows[] = {
    /* Meldcode: the right to report, to Veilig Thuis only */
    {"meldrecht to VT", "meldrecht", "ggz-a", "vt", "melding", 1, MELD, "", "", 0},
    {"meldrecht from a school", "meldrecht", "school", "vt", "melding", 1, MELD, "", "", 0},
    {"meldrecht to GGZ", "meldrecht", "wt", "ggz-a", "melding", 1, MELD, "",
     "basis-not-allowed-for-recipient", 0},
    {"meldrecht to VT and GGZ", "meldrecht", "wt", "vt,ggz-a", "melding", 1, MELD, "",
     "basis-not-allowed-for-recipient", 0},
    {"meldrecht to an unknown org", "meldrecht", "ggz-a", "nobody", "melding", 1, MELD, "",
     "basis-not-allowed-for-recipient", 0},
    {"meldrecht, wrong category", "meldrecht", "ggz-a", "vt", "zorgsignaal", 1, MELD, "",
     "category-not-allowed", 0},
    {"meldrecht, anonymous", "meldrecht", "ggz-a", "vt", "melding", 0, MELD, "",
     "subject-required", 0},
    {"meldrecht, a question missing", "meldrecht", "ggz-a", "vt", "melding", 1,
     "afwegingsvraag-2=ja;afwegingsvraag-3=nvt;afwegingsvraag-4=nvt;afwegingsvraag-5=nvt;"
     "onveiligheid=acuut;collegiale-consultatie=2026-09-01;client-geinformeerd=ja",
     "", "missing-justification:afwegingsvraag-1", 0},
    {"meldrecht, question 1 nvt", "meldrecht", "ggz-a", "vt", "melding", 1,
     MELD ";afwegingsvraag-1=nvt", "", "duplicate-justification:afwegingsvraag-1", 0},
    {"meldrecht, question 1 not ja/nee", "meldrecht", "ggz-a", "vt", "melding", 1,
     "afwegingsvraag-1=misschien;afwegingsvraag-2=ja;afwegingsvraag-3=nvt;afwegingsvraag-4=nvt;"
     "afwegingsvraag-5=nvt;onveiligheid=acuut;collegiale-consultatie=2026-09-01;"
     "client-geinformeerd=ja", "", "invalid-justification:afwegingsvraag-1", 0},
    {"meldrecht, consultation on 30 Feb", "meldrecht", "ggz-a", "vt", "melding", 1,
     "afwegingsvraag-1=ja;afwegingsvraag-2=ja;afwegingsvraag-3=nvt;afwegingsvraag-4=nvt;"
     "afwegingsvraag-5=nvt;onveiligheid=acuut;collegiale-consultatie=2026-02-30;"
     "client-geinformeerd=ja", "", "invalid-justification:collegiale-consultatie", 0},
    {"meldrecht, consultation in two days", "meldrecht", "ggz-a", "vt", "melding", 1,
     "afwegingsvraag-1=ja;afwegingsvraag-2=ja;afwegingsvraag-3=nvt;afwegingsvraag-4=nvt;"
     "afwegingsvraag-5=nvt;onveiligheid=acuut;collegiale-consultatie=2026-09-23;"
     "client-geinformeerd=ja", "", "invalid-justification:collegiale-consultatie", 0},
    {"meldrecht, unknown sender", "meldrecht", "stranger", "vt", "melding", 1, MELD, "",
     "basis-not-allowed-for-sender", 0},
    /* Meldcode step 2: an advice request, anonymous */
    {"advies, anonymous", "advies", "school", "vt", "adviesvraag", 0, "", "", "", 0},
    {"advies naming someone", "advies", "school", "vt", "adviesvraag", 1, "", "",
     "advice-must-be-anonymous", 0},
    {"advies to the neighbourhood team", "advies", "school", "wt", "adviesvraag", 0, "", "",
     "basis-not-allowed-for-recipient", 0},
    /* Statutory duties */
    {"raad 1:240", "raad-1-240", "jh", "raad", "zorgsignaal", 1, "afweging=noodzakelijk", "", "", 0},
    {"raad 1:240 without weighing", "raad-1-240", "jh", "raad", "zorgsignaal", 1, "", "",
     "missing-justification:afweging", 0},
    {"gi-ots", "gi-ots", "school", "gi", "zorgsignaal", 1,
     "ots-referentie=OTS-1;aanleiding=op-verzoek", "", "", 0},
    {"gi-ots, bad aanleiding", "gi-ots", "school", "gi", "zorgsignaal", 1,
     "ots-referentie=OTS-1;aanleiding=zomaar", "", "invalid-justification:aanleiding", 0},
    {"gi-ots to the raad", "gi-ots", "school", "raad", "zorgsignaal", 1,
     "ots-referentie=OTS-1;aanleiding=op-verzoek", "", "basis-not-allowed-for-recipient", 0},
    /* Conflict of duties: allowed, and flagged for review */
    {"conflict of duties", "conflict-van-plichten", "ggz-a", "wt", "zorgsignaal", 1,
     "noodzaak=acuut gevaar", "", "", 1},
    {"conflict of duties, no necessity", "conflict-van-plichten", "ggz-a", "wt", "zorgsignaal", 1,
     "", "", "missing-justification:noodzaak", 0},
    /* Consent */
    {"consent to the team", "consent", "ggz-a", "wt", "zorgsignaal", 1, "consent-ref=c-ok", "", "", 0},
    {"consent to a school by sector", "consent", "ggz-a", "school", "zorgsignaal", 1,
     "consent-ref=c-ok", "", "", 0},
    {"consent without a ref", "consent", "ggz-a", "wt", "zorgsignaal", 1, "", "",
     "missing-justification:consent-ref", 0},
    {"consent unknown", "consent", "ggz-a", "wt", "zorgsignaal", 1, "consent-ref=x-none", "",
     "consent-unknown", 0},
    {"consent of another org", "consent", "ggz-a", "wt", "zorgsignaal", 1,
     "consent-ref=c-other-owner", "", "consent-not-owned", 0},
    {"consent about another person", "consent", "ggz-a", "wt", "zorgsignaal", 1,
     "consent-ref=c-other-subject", "", "consent-subject", 0},
    {"consent withdrawn", "consent", "ggz-a", "wt", "zorgsignaal", 1, "consent-ref=c-withdrawn",
     "", "consent-withdrawn", 0},
    {"consent expired", "consent", "ggz-a", "wt", "zorgsignaal", 1, "consent-ref=c-expired", "",
     "consent-expired", 0},
    {"consent not yet valid", "consent", "ggz-a", "wt", "zorgsignaal", 1, "consent-ref=c-future",
     "", "consent-not-yet-valid", 0},
    {"consent, a recipient not covered", "consent", "ggz-a", "wt,jh", "zorgsignaal", 1,
     "consent-ref=c-ok", "", "consent-scope", 0},
    {"consent, a category not covered", "consent", "ggz-a", "wt", "melding", 1,
     "consent-ref=c-ok", "", "consent-scope", 0},
    {"consent, anonymous", "consent", "ggz-a", "wt", "zorgsignaal", 0, "consent-ref=c-ok", "",
     "subject-required", 0},
    /* Terugkoppeling: from Veilig Thuis to the reporter only */
    {"terugkoppeling to the reporter", "terugkoppeling", "vt", "ggz-a", "terugkoppeling", 1,
     "in-reply-to=" REPORT, "", "", 0},
    {"terugkoppeling to someone else", "terugkoppeling", "vt", "wt", "terugkoppeling", 1,
     "in-reply-to=" REPORT, "", "reply-not-to-reporter", 0},
    {"terugkoppeling to no report", "terugkoppeling", "vt", "ggz-a", "terugkoppeling", 1,
     "in-reply-to=" CONSENT_MSG, "", "reply-to-unknown", 0},
    {"terugkoppeling, not a msgid", "terugkoppeling", "vt", "ggz-a", "terugkoppeling", 1,
     "in-reply-to=report-1", "", "invalid-justification:in-reply-to", 0},
    {"terugkoppeling from GGZ", "terugkoppeling", "ggz-a", "vt", "terugkoppeling", 1,
     "in-reply-to=" REPORT, "", "basis-not-allowed-for-sender", 0},
    /* Contact cards within a match */
    {"contact card in the match", "signaal-match", "ggz-a", "wt", "contactkaart", 0, "", "M1", "", 0},
    {"contact card without a match", "signaal-match", "ggz-a", "wt", "contactkaart", 0, "", "",
     "match-id-required", 0},
    {"contact card to an outsider", "signaal-match", "ggz-a", "jh", "contactkaart", 0, "", "M1",
     "not-in-match", 0},
    {"contact card from an outsider", "signaal-match", "jh", "wt", "contactkaart", 0, "", "M1",
     "not-in-match", 0},
    /* Anything else */
    {"unknown basis", "toeval", "ggz-a", "vt", "melding", 1, MELD, "", "unknown-legal-basis", 0},
};

/* --- running a row ---------------------------------------------------------------------------- */

#define MAX_PARTS 16

typedef struct {
    Vn__Header h;
    char *recipients[MAX_PARTS];
    Vn__Justification just[MAX_PARTS], *jp[MAX_PARTS];
    char buf[2048];
} header_t;

static void s_header(header_t *x, const row_t *r)
{
    vn__header__init(&x->h);
    x->h.basis = (char *)r->basis;
    x->h.sender = (char *)r->sender;
    x->h.category = (char *)r->category;
    x->h.match_id = (char *)r->match_id;
    if (r->subject)
        x->h.subject_pseudonym = (ProtobufCBinaryData){32, (uint8_t *)s_subject};
    snprintf(x->buf, sizeof x->buf, "%s", r->recipients);
    for (char *save, *t = strtok_r(x->buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        x->recipients[x->h.n_recipients++] = t;
    x->h.recipients = x->recipients;
    char *fields = x->buf + strlen(r->recipients) + 1;
    snprintf(fields, sizeof x->buf - strlen(r->recipients) - 1, "%s", r->fields);
    for (char *save, *t = strtok_r(fields, ";", &save); t; t = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(t, '=');
        assert_non_null(eq);
        *eq = '\0';
        Vn__Justification *j = &x->just[x->h.n_justification];
        vn__justification__init(j);
        j->key = t;
        j->value = eq + 1;
        x->jp[x->h.n_justification++] = j;
    }
    x->h.justification = x->jp;
}

static vn_policy_t *s_load(void)
{
    char err[512];
    vn_policy_t *p = vn_policy_load(VN_SOURCE_DIR "/config/policy.conf", err, sizeof err);
    if (!p)
        fail_msg("config/policy.conf: %s", err);
    return p;
}

static const vn_policy_env_t s_env = {NULL, s_sector_of, s_consent, s_reply, s_in_match};

static void test_rows(void **state)
{
    (void)state;
    vn_policy_t *p = s_load();
    int failures = 0;
    for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
        const row_t *r = &s_rows[i];
        header_t x;
        s_header(&x, r);
        vn_verdict_t v;
        int rc = vn_policy_check(p, &x.h, &s_env, NOW, &v);
        int ok = strcmp(v.code, r->code) == 0 && rc == (r->code[0] ? -1 : 0) &&
                 (r->code[0] || v.review == r->review) &&
                 (!r->code[0] || (v.reason_en[0] && v.reason_nl[0]));
        if (!ok) {
            fprintf(stderr, "row %zu (%s): want '%s' review=%d, got rc=%d '%s' review=%d (%s)\n", i,
                    r->what, r->code, r->review, rc, v.code, v.review, v.reason_en);
            failures++;
        }
    }
    vn_policy_destroy(&p);
    assert_int_equal(failures, 0);
}

/* Every code in docs/policy.md's refusal table is produced by some row above. */
static void test_documented_codes(void **state)
{
    (void)state;
    FILE *f = fopen(VN_SOURCE_DIR "/docs/policy.md", "r");
    assert_non_null(f);
    char line[1024];
    int in_table = 0, codes = 0, missing = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "## Refusal codes", 16) == 0)
            in_table = 1;
        else if (strncmp(line, "## ", 3) == 0)
            in_table = 0;
        if (!in_table || line[0] != '|')
            continue;
        /* The first cell: one or more `code` names, comma-separated. */
        char *end = strchr(line + 1, '|');
        if (!end)
            continue;
        *end = '\0';
        for (char *c = strchr(line, '`'); c; c = strchr(c, '`')) {
            char *close = strchr(c + 1, '`');
            if (!close)
                break;
            *close = '\0';
            char code[96];
            snprintf(code, sizeof code, "%s", c + 1);
            char *colon = strchr(code, ':'); /* duplicate-justification:FIELD */
            size_t n = colon ? (size_t)(colon - code + 1) : strlen(code) + 1;
            int found = 0;
            for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0] && !found; i++)
                found = strncmp(s_rows[i].code, code, n - (colon ? 0 : 1)) == 0 &&
                        (colon || strlen(s_rows[i].code) == n - 1);
            if (!found) {
                fprintf(stderr, "docs/policy.md lists '%s' but no row produces it\n", code);
                missing++;
            }
            codes++;
            c = close + 1;
        }
    }
    fclose(f);
    assert_true(codes >= 20);
    assert_int_equal(missing, 0);
}

/* And the other way round: every code a row produces is documented. */
static void test_codes_documented(void **state)
{
    (void)state;
    FILE *f = fopen(VN_SOURCE_DIR "/docs/policy.md", "r");
    assert_non_null(f);
    static char doc[65536];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    int missing = 0;
    for (size_t i = 0; i < sizeof s_rows / sizeof s_rows[0]; i++) {
        if (!s_rows[i].code[0])
            continue;
        char code[100];
        snprintf(code, sizeof code, "`%s", s_rows[i].code);
        char *colon = strchr(code, ':');
        if (colon)
            colon[1] = '\0'; /* `missing-justification:FIELD` */
        else
            strcat(code, "`");
        if (!strstr(doc, code)) {
            fprintf(stderr, "code %s (row '%s') is not in docs/policy.md\n", code, s_rows[i].what);
            missing++;
        }
    }
    assert_int_equal(missing, 0);
}

/* Delivery-time re-check of a consent: withdrawn or narrowed since acceptance. */
static void test_consent_at_delivery(void **state)
{
    (void)state;
    const row_t ok = {"", "consent", "ggz-a", "wt", "zorgsignaal", 1, "consent-ref=c-ok", "", "", 0};
    const row_t gone = {"", "consent", "ggz-a", "wt", "zorgsignaal", 1, "consent-ref=c-withdrawn",
                        "", "", 0};
    const row_t none = {"", "meldrecht", "ggz-a", "vt", "melding", 1, MELD, "", "", 0};
    header_t x;
    vn_verdict_t v;
    s_header(&x, &ok);
    assert_int_equal(vn_policy_consent_still_valid(&x.h, "wt", "wijkteam", &s_env, NOW, &v), 0);
    assert_int_equal(vn_policy_consent_still_valid(&x.h, "school", "onderwijs", &s_env, NOW, &v), 0);
    assert_int_equal(vn_policy_consent_still_valid(&x.h, "jh", "jeugdhulp", &s_env, NOW, &v), -1);
    assert_string_equal(v.code, "consent-scope");
    assert_int_equal(vn_policy_consent_still_valid(&x.h, "wt", "wijkteam", &s_env, NOW + 100, &v), -1);
    assert_string_equal(v.code, "consent-expired");
    s_header(&x, &gone);
    assert_int_equal(vn_policy_consent_still_valid(&x.h, "wt", "wijkteam", &s_env, NOW, &v), -1);
    assert_string_equal(v.code, "consent-withdrawn");
    s_header(&x, &none);
    assert_int_equal(vn_policy_consent_still_valid(&x.h, "vt", "veilig-thuis", &s_env, NOW, &v), 0);
}

/* A bad policy file is refused whole, naming the line. */
static void test_bad_files(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[meldrecht]\nsenders = *\nrecipients = veilig-thuis\ncategories = melding\nsubject = maybe\n",
        "[x]\nsenders = *\nrecipients = *\ncategories = *\nfield.a = datum\n",
        "senders = *\n",
        "[x]\nsenders = *\nrecipients = *\ncategories = *\nreview = perhaps\n",
        "[x]\nsenders = *\nrecipients = *\ncategories = *\n[x]\nsenders = *\nrecipients = *\ncategories = *\n",
    };
    char *dir = test_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/policy.conf", dir);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        char err[512] = "";
        vn_policy_t *p = vn_policy_load(path, err, sizeof err);
        if (p)
            fprintf(stderr, "bad policy %zu was accepted\n", i);
        assert_null(p);
        assert_non_null(strstr(err, "policy.conf"));
    }
    test_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_documented_codes),
        cmocka_unit_test(test_codes_documented),
        cmocka_unit_test(test_consent_at_delivery),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
