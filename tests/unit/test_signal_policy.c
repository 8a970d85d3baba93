/* test_signal_policy.c -- the [signals] and [coordination] rules, table-driven: who may signal,
 * dates, the informed-parties rule by age, limits, the covenant rule for coordinators, and the
 * policy file's errors. */
#include "test_harness.h"

#include "vn_policy.h"
#include "vn_signal_policy.h"

#define NOW 1900000000ull
#define DAY 86400ull

static vn_signal_rules_t s_rules(void)
{
    vn_signal_rules_t r;
    vn_signal_rules_default(&r);
    r.seen_signals = 1;
    snprintf(r.senders, sizeof r.senders, "ggz, onderwijs, wijkteam");
    snprintf(r.order, sizeof r.order, "jeugdhulp, wijkteam, ggz");
    snprintf(r.never, sizeof r.never, "onderwijs, politie");
    return r;
}

typedef struct {
    const char *sector;
    unsigned age;
    const char *informed;   /* comma-separated */
    const char *reason;
    long long days_ago, active_days; /* active_days 0: the default */
    int parents;            /* number of distinct parents; -1: a parent equal to the youth */
    const char *code;       /* NULL: allowed */
} case_t;

static const case_t s_cases[] = {
    {"ggz", 7, "ouders", "", 0, 0, 1, NULL},
    {"ggz", 7, "jongere", "", 0, 0, 0, "informed-parties-wrong"},      /* < 12: the parents */
    {"ggz", 11, "ouders,jongere", "", 0, 0, 0, NULL},                  /* more is fine */
    {"ggz", 12, "ouders", "", 0, 0, 0, "informed-parties-wrong"},      /* 12-15: both */
    {"ggz", 15, "ouders,jongere", "", 0, 0, 0, NULL},
    {"ggz", 16, "jongere", "", 0, 0, 0, NULL},                         /* >= 16: the youth */
    {"ggz", 16, "ouders", "", 0, 0, 0, "informed-parties-wrong"},
    {"ggz", 23, "jongere", "", 0, 0, 0, NULL},
    {"ggz", 24, "jongere", "", 0, 0, 0, "youth-too-old"},
    {"ggz", 9, "niet", "gevaar voor het kind", 0, 0, 0, NULL},
    {"ggz", 9, "niet", "", 0, 0, 0, "informed-parties-wrong"},         /* niet needs a reason */
    {"ggz", 9, "niet,ouders", "x", 0, 0, 0, "informed-parties-wrong"},
    {"ggz", 9, "ouders,ouders", "", 0, 0, 0, "informed-parties-wrong"},
    {"ggz", 9, "", "", 0, 0, 0, "informed-parties-wrong"},
    {"ggz", 9, "buren", "", 0, 0, 0, "informed-parties-wrong"},
    {"ggz", 9, "ouders", "reden", 0, 0, 0, "informed-parties-wrong"},  /* reason only with niet */
    {"politie", 9, "ouders", "", 0, 0, 0, "signal-sector-not-allowed"},
    {"ggz", 9, "ouders", "", 729, 0, 0, NULL},
    {"ggz", 9, "ouders", "", 730, 0, 0, "signal-date-invalid"},        /* older than 2 years */
    {"ggz", 9, "ouders", "", -1, 0, 0, "signal-date-invalid"},         /* in the future */
    {"ggz", 9, "ouders", "", 0, 731, 0, "signal-date-invalid"},        /* active too long */
    {"ggz", 9, "ouders", "", 0, 730, 4, NULL},
    {"ggz", 9, "ouders", "", 0, 0, 5, "signal-invalid"},               /* at most 4 parents */
    {"ggz", 9, "ouders", "", 0, 0, -1, "signal-invalid"},
};

static void test_registration_rules(void **state)
{
    (void)state;
    vn_signal_rules_t rules = s_rules();
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const case_t *c = &s_cases[i];
        uint8_t youth[32], parents[5][32];
        ProtobufCBinaryData pb[5];
        memset(youth, 1, sizeof youth);
        char list[64], *save = NULL, *informed[4];
        size_t n_informed = 0;
        snprintf(list, sizeof list, "%s", c->informed);
        for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
            informed[n_informed++] = t;
        Vn__SignalRecord r = VN__SIGNAL_RECORD__INIT;
        r.youth_pseudonym = (ProtobufCBinaryData){32, youth};
        int np = c->parents < 0 ? 1 : c->parents;
        for (int p = 0; p < np; p++) {
            memset(parents[p], 10 + p, 32);
            pb[p] = (ProtobufCBinaryData){32, c->parents < 0 ? youth : parents[p]};
        }
        r.n_parent_pseudonyms = (size_t)np;
        r.parent_pseudonyms = pb;
        r.category = "huiselijk-geweld";
        r.signal_date = NOW - (uint64_t)(c->days_ago * (long long)DAY);
        r.active_until = c->active_days ? r.signal_date + (uint64_t)c->active_days * DAY : 0;
        r.n_informed = n_informed;
        r.informed = informed;
        r.not_informed_reason = (char *)c->reason;
        r.youth_age = c->age;
        r.user_id = "u1";
        vn_signal_verdict_t v;
        int rc = vn_signal_check(&rules, &r, c->sector, NOW, &v);
        if (c->code ? rc == 0 || strcmp(v.code, c->code) != 0 : rc != 0)
            fail_msg("case %zu (%s age %u informed '%s'): got '%s' (%s), expected %s", i + 1,
                     c->sector, c->age, c->informed, v.code, v.reason_en,
                     c->code ? c->code : "allowed");
        if (rc == 0) {
            assert_true(r.active_until > NOW);
            assert_int_equal(r.delete_after, r.signal_date + 1825 * DAY);
        } else {
            assert_true(v.reason_en[0] && v.reason_nl[0]);
        }
    }
}

typedef struct {
    vn_coord_candidate_t c[4];
    size_t n;
    int expect;
} coord_case_t;

static void test_covenant_rule(void **state)
{
    (void)state;
    vn_signal_rules_t rules = s_rules();
    static const coord_case_t cases[] = {
        /* sector order first */
        {{{"g", "ggz", 1, 1, 1}, {"w", "wijkteam", 5, 5, 1}}, 2, 1},
        /* ties: earliest signal date, then registration, then org id */
        {{{"g1", "ggz", 9, 1, 1}, {"g2", "ggz", 3, 2, 1}}, 2, 1},
        {{{"g1", "ggz", 3, 7, 1}, {"g2", "ggz", 3, 2, 1}}, 2, 1},
        {{{"g2", "ggz", 3, 2, 1}, {"g1", "ggz", 3, 2, 1}}, 2, 1},
        /* signalling-only sectors and sectors not in the order never coordinate */
        {{{"s", "onderwijs", 1, 1, 1}, {"p", "politie", 1, 1, 1}, {"h", "huisarts", 1, 1, 1}}, 3, -1},
        {{{"s", "onderwijs", 1, 1, 1}, {"g", "ggz", 9, 9, 1}}, 2, 1},
        /* inactive participants do not coordinate */
        {{{"j", "jeugdhulp", 1, 1, 0}, {"g", "ggz", 9, 9, 1}}, 2, 1},
        {{{"j", "jeugdhulp", 1, 1, 0}}, 1, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = vn_signal_choose_coordinator(&rules, cases[i].c, cases[i].n);
        if (got != cases[i].expect)
            fail_msg("case %zu: chose %d, expected %d", i + 1, got, cases[i].expect);
    }
    assert_false(vn_signal_may_coordinate(&rules, "onderwijs", NULL));
    unsigned rank;
    assert_true(vn_signal_may_coordinate(&rules, "ggz", &rank));
    assert_int_equal(rank, 2);
}

/* A policy file with the given [signals]/[coordination] text after one legal basis. */
static vn_policy_t *s_load(const char *dir, const char *text, char *err, size_t len)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/p.conf", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "[consent]\nsenders = *\nrecipients = *\ncategories = *\nsubject = required\n"
               "consent = required\nfield.consent-ref = text\n%s", text);
    fclose(f);
    return vn_policy_load(path, err, len);
}

static void test_policy_file(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), err[600];
    static const struct {
        const char *text, *error; /* error NULL: loads */
    } cases[] = {
        {"[signals]\nsenders = ggz\ninformed.0-23 = ouders\n", NULL},
        {"[signals]\nsenders = ggz\ninformed.0-11 = ouders\ninformed.13-23 = jongere\n",
         "age 12 is in 0"},
        {"[signals]\nsenders = ggz\ninformed.0-23 = ouders\ninformed.5-6 = jongere\n",
         "age 5 is in 2"},
        {"[signals]\nsenders = bakkerij\n", "invalid value"},
        {"[signals]\nmax-active-days = 900\n", "invalid value"},
        {"[signals]\nmax-active-days = 700\nretention-days = 600\n", "retention-days (600) is "
                                                                     "shorter"},
        {"[signals]\ninformed.0-23 = buren\n", "invalid value"},
        {"[signals]\ncolour = blue\n", "unknown key 'colour'"},
        {"[coordination]\norder = ggz, onderwijs\nnever = onderwijs\n", "both in order and in "
                                                                         "never"},
        {"[coordination]\nmaybe = ggz\n", "unknown key 'maybe'"},
        {"[signaal-match]\nsenders = *\nrecipients = *\ncategories = contactkaart\nsubject = "
         "optional\nmatch = required\n", NULL},
        {"[signaal-match]\nsenders = *\nrecipients = *\ncategories = x\nsubject = optional\n"
         "match = perhaps\n", "invalid value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        vn_policy_t *p = s_load(dir, cases[i].text, err, sizeof err);
        if (cases[i].error ? p != NULL || !strstr(err, cases[i].error) : p == NULL)
            fail_msg("case %zu: %s (expected %s)", i + 1, p ? "loaded" : err,
                     cases[i].error ? cases[i].error : "to load");
        vn_policy_destroy(&p);
    }
    /* Without a [signals] section nobody may signal. */
    vn_policy_t *p = s_load(dir, "", err, sizeof err);
    assert_non_null(p);
    const vn_signal_rules_t *r = (const vn_signal_rules_t *)vn_policy_signals(p);
    Vn__SignalRecord rec = VN__SIGNAL_RECORD__INIT;
    vn_signal_verdict_t v;
    assert_int_equal(vn_signal_check(r, &rec, "ggz", NOW, &v), -1);
    assert_string_equal(v.code, "signal-sector-not-allowed");
    vn_policy_destroy(&p);
    test_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registration_rules),
        cmocka_unit_test(test_covenant_rule),
        cmocka_unit_test(test_policy_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
