/* test_matcher.c -- the matcher on a real store, table-driven: client and family matches, merging,
 * splitting on withdrawal, inactive signals still matched but not told, the coordinator chosen by
 * the covenant rules, and the limits (signals per organisation per youth, match size). */
#include "test_harness.h"

#include "signals.h"
#include "vn_audit.h"
#include "vn_audit_query.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#define T0 1900000000ull

/* The sector of each test organisation: by its name's prefix. */
static const char *s_sector(void *ctx, const char *org)
{
    (void)ctx;
    static const char *const map[][2] = {{"ggz", "ggz"}, {"school", "onderwijs"},
                                         {"wijk", "wijkteam"}, {"jeugd", "jeugdhulp"},
                                         {"huisarts", "huisarts"}, {"politie", "politie"},
                                         {"o", "ggz"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strncmp(org, map[i][0], strlen(map[i][0])) == 0)
            return map[i][1];
    return NULL;
}

typedef struct {
    char op;                 /* 'A' add, 'W' withdraw, 'I' becomes inactive */
    const char *name;        /* A: the new signal's name; W, I: which signal */
    const char *org, *youth, *parents; /* A; parents comma-separated or NULL */
    long long date;          /* A: signal_date - T0 (seconds); active for 1000 s from T0 + date */
    long long now;           /* the clock, - T0 */
    const char *code;        /* expected refusal, or NULL */
    size_t n;                /* signals in the (first) resulting match; 0: none */
    const char *kind, *coordinator;
    const char *notify;      /* "org:event ..." in order */
    size_t merged;
} step_t;

#define MAX_SIGNALS 80

typedef struct {
    char *dir;
    vn_store_t *db;
    vn_signal_rules_t rules;
    struct {
        char name[16];
        char id[VN_ID_LEN + 1];
    } sig[MAX_SIGNALS];
    int n;
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    char err[512];
    int rc;
    f->dir = test_tmpdir();
    f->db = vn_brokerdb_open(f->dir, 1 << 26, 0, &rc, err, sizeof err);
    assert_non_null(f->db);
    vn_signal_rules_default(&f->rules);
    f->rules.seen_signals = 1;
    snprintf(f->rules.senders, sizeof f->rules.senders, "*");
    snprintf(f->rules.order, sizeof f->rules.order, "jeugdhulp, wijkteam, ggz, huisarts");
    snprintf(f->rules.never, sizeof f->rules.never, "onderwijs, politie");
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    vn_store_destroy(&f->db);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static const char *s_id(fixture_t *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->sig[i].name, name) == 0)
            return f->sig[i].id;
    fail_msg("no signal %s", name);
    return NULL;
}

static void s_pseud(const char *label, uint8_t out[32])
{
    memset(out, 0, 32);
    snprintf((char *)out, 32, "%s", label);
}

static void s_notify_string(const vn_match_outcome_t *o, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < o->n_notify; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s:%s", i ? " " : "", o->notify[i].org,
                 o->notify[i].event);
}

/* The match indexes agree with the match records after every step: each participant's
 * MATCH_SIGNAL entry names its match, MATCH_ORG holds exactly one entry per (organisation,
 * match), and neither holds an entry for a match or a participant that is gone. */
static void s_check_indexes(vn_sigdb_t *d, const char *what)
{
    MDB_cursor *c;
    MDB_val k, v;
    size_t expected_org = 0, org_entries = 0;
    vn_match_t *m = malloc(sizeof *m);
    assert_non_null(m);
    assert_int_equal(mdb_cursor_open(d->txn, d->matches, &c), 0);
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        char id[VN_ID_LEN + 1], of[VN_ID_LEN + 1];
        snprintf(id, sizeof id, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
        assert_int_equal(vn_sigdb_match_get(d, id, m), 0);
        expected_org += vn_match_orgs(m);
        for (size_t i = 0; i < m->n; i++)
            if (vn_sigdb_match_of(d, m->part[i].signal_id, of) != 0 || strcmp(of, id) != 0)
                fail_msg("%s: signal %s of match %s not indexed to it", what,
                         m->part[i].signal_id, id);
    }
    mdb_cursor_close(c);
    assert_int_equal(mdb_cursor_open(d->txn, d->match_org, &c), 0);
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        const char *org = k.mv_data;
        size_t olen = strnlen(org, k.mv_size);
        char id[VN_ID_LEN + 1];
        snprintf(id, sizeof id, "%.*s", (int)(k.mv_size - olen - 1), org + olen + 1);
        if (vn_sigdb_match_get(d, id, m) != 0 || !vn_match_has_org(m, org, 0))
            fail_msg("%s: stray MATCH_ORG entry %s/%s", what, org, id);
        org_entries++;
    }
    mdb_cursor_close(c);
    if (org_entries != expected_org)
        fail_msg("%s: %zu MATCH_ORG entries, expected %zu", what, org_entries, expected_org);
    assert_int_equal(mdb_cursor_open(d->txn, d->match_signal, &c), 0);
    for (int rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
        char id[VN_ID_LEN + 1], sid[VN_ID_LEN + 1];
        snprintf(id, sizeof id, "%.*s", (int)v.mv_size, (const char *)v.mv_data);
        snprintf(sid, sizeof sid, "%.*s", (int)k.mv_size, (const char *)k.mv_data);
        int in_match = 0;
        if (vn_sigdb_match_get(d, id, m) == 0)
            for (size_t i = 0; i < m->n; i++)
                in_match |= strcmp(m->part[i].signal_id, sid) == 0;
        if (!in_match)
            fail_msg("%s: stray MATCH_SIGNAL entry %s -> %s", what, sid, id);
    }
    mdb_cursor_close(c);
    free(m);
}

static void s_run(fixture_t *f, const step_t *steps, size_t n_steps)
{
    for (size_t s = 0; s < n_steps; s++) {
        const step_t *st = &steps[s];
        MDB_txn *txn;
        assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
        vn_sigdb_t d;
        vn_sigdb_init(&d, f->db, txn);
        d.sector_of = s_sector;
        vn_match_outcome_t o = {0};
        const char *code = NULL;
        uint64_t now = T0 + (uint64_t)st->now;
        int rc;
        if (st->op == 'A') {
            uint8_t youth[32], parents[4][32];
            ProtobufCBinaryData pb[4];
            Vn__SignalRecord r = VN__SIGNAL_RECORD__INIT;
            char id[VN_ID_LEN + 1], list[64], *save = NULL;
            vn_sigdb_new_id(id, 'S');
            s_pseud(st->youth, youth);
            r.id = id;
            r.owner = (char *)st->org;
            r.youth_pseudonym = (ProtobufCBinaryData){32, youth};
            snprintf(list, sizeof list, "%s", st->parents ? st->parents : "");
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                s_pseud(t, parents[r.n_parent_pseudonyms]);
                pb[r.n_parent_pseudonyms] = (ProtobufCBinaryData){32, parents[r.n_parent_pseudonyms]};
                r.n_parent_pseudonyms++;
            }
            r.parent_pseudonyms = pb;
            r.category = "huiselijk-geweld";
            r.signal_date = T0 + (uint64_t)st->date;
            r.active_until = r.signal_date + 1000;
            r.delete_after = r.signal_date + 5000;
            r.registered = now;
            rc = vn_matcher_register(&d, &f->rules, &r, s_sector(NULL, st->org), now, &o, &code);
            if (rc == 0) {
                snprintf(f->sig[f->n].name, sizeof f->sig[0].name, "%s", st->name);
                memcpy(f->sig[f->n++].id, id, sizeof id);
            }
        } else if (st->op == 'W') {
            rc = vn_matcher_remove(&d, &f->rules, s_id(f, st->name), now, &o);
            Vn__SignalRecord *r;
            if (rc == 0 && (rc = vn_sigdb_get(&d, s_id(f, st->name), &r)) == 0) {
                rc = vn_sigdb_unlink(&d, r);
                vn__signal_record__free_unpacked(r, NULL);
            }
        } else {
            rc = vn_matcher_inactive(&d, &f->rules, s_id(f, st->name), now, &o);
        }
        char what[300];
        snprintf(what, sizeof what, "step %zu (%c %s)", s + 1, st->op, st->name);
        if (st->code) {
            if (rc != VN_E_TOO_LARGE || !code || strcmp(code, st->code) != 0)
                fail_msg("%s: expected refusal %s, got rc %d code %s", what, st->code, rc,
                         code ? code : "-");
            mdb_txn_abort(txn);
            continue;
        }
        if (rc != 0)
            fail_msg("%s: rc %d", what, rc);
        size_t n = o.n_parts ? o.parts[0].n : 0;
        if (n != st->n)
            fail_msg("%s: match of %zu signals, expected %zu", what, n, st->n);
        if (st->kind && strcmp(o.parts[0].kind, st->kind) != 0)
            fail_msg("%s: kind %s, expected %s", what, o.parts[0].kind, st->kind);
        if (st->coordinator && strcmp(o.parts[0].coordinator, st->coordinator) != 0)
            fail_msg("%s: coordinator '%s', expected '%s'", what, o.parts[0].coordinator,
                     st->coordinator);
        /* A youth the matcher hands on (for the notices' subject, so they need not read the
         * signal again) is that signal's own; the newcomer's is always known. */
        for (size_t p = 0; p < o.n_parts; p++)
            for (size_t i = 0; i < o.parts[p].n; i++) {
                const vn_mpart_t *q = &o.parts[p].part[i];
                Vn__SignalRecord *x;
                assert_int_equal(vn_sigdb_get(&d, q->signal_id, &x), 0);
                if (q->youth_known && memcmp(q->youth, x->youth_pseudonym.data, 32) != 0)
                    fail_msg("%s: part %s carries another youth than its signal's", what,
                             q->signal_id);
                if (st->op == 'A' && p == 0 && i + 1 == o.parts[p].n && !q->youth_known)
                    fail_msg("%s: the new signal's youth is not handed on", what);
                vn__signal_record__free_unpacked(x, NULL);
            }
        char got[1024];
        s_notify_string(&o, got, sizeof got);
        if (strcmp(got, st->notify ? st->notify : "") != 0)
            fail_msg("%s: notices '%s', expected '%s'", what, got, st->notify ? st->notify : "");
        if (o.n_merged != st->merged)
            fail_msg("%s: %zu matches merged, expected %zu", what, o.n_merged, st->merged);
        vn_match_outcome_clear(&o);
        s_check_indexes(&d, what);
        assert_int_equal(vn_store_commit(txn), 0);
    }
}

#define RUN(steps) s_run(*state, steps, sizeof steps / sizeof steps[0])

static void test_client_match(void **state)
{
    static const step_t steps[] = {
        {'A', "a1", "ggz-a", "kind-a", NULL, 0, 10, NULL, 0, NULL, NULL, "", 0},
        {'A', "a2", "school-b", "kind-a", NULL, 5, 20, NULL, 2, "client", "ggz-a",
         "ggz-a:match school-b:match", 0},
        {'A', "a3", "wijk-c", "kind-a", NULL, 8, 30, NULL, 3, "client", "wijk-c",
         "ggz-a:new-signal school-b:new-signal wijk-c:match", 0},
        /* Another youth without parents: nothing to do with it. */
        {'A', "b1", "jeugd-d", "kind-b", NULL, 0, 40, NULL, 0, NULL, NULL, "", 0},
    };
    RUN(steps);
}

static void test_same_org_is_no_match(void **state)
{
    static const step_t steps[] = {
        {'A', "a1", "ggz-a", "kind-a", NULL, 0, 10, NULL, 0, NULL, NULL, "", 0},
        /* Two signals of one organisation: linked, not a match, nobody told. */
        {'A', "a2", "ggz-a", "kind-a", NULL, 1, 11, NULL, 2, "client", "ggz-a", "", 0},
        {'A', "a3", "wijk-c", "kind-a", NULL, 2, 12, NULL, 3, "client", "wijk-c",
         "ggz-a:match wijk-c:match", 0},
    };
    RUN(steps);
}

static void test_family_match_and_merge(void **state)
{
    static const step_t steps[] = {
        {'A', "k1", "ggz-a", "kind-1", "moeder", 0, 10, NULL, 0, NULL, NULL, "", 0},
        {'A', "k2", "school-b", "kind-2", "moeder,vader", 1, 11, NULL, 2, "family", "ggz-a",
         "ggz-a:match school-b:match", 0},
        /* A separate client match on a third child... */
        {'A', "k3", "wijk-c", "kind-3", NULL, 2, 12, NULL, 0, NULL, NULL, "", 0},
        {'A', "k3b", "jeugd-d", "kind-3", NULL, 3, 13, NULL, 2, "client", "jeugd-d",
         "wijk-c:match jeugd-d:match", 0},
        /* ...joined to the family by a signal on that child naming the father: one match, the
         * oldest one's id; who knew that one hears of a new signal, the others of the match. */
        {'A', "k3c", "huisarts-e", "kind-3", "vader", 4, 14, NULL, 5, "family", "jeugd-d",
         "ggz-a:new-signal school-b:new-signal wijk-c:match jeugd-d:match huisarts-e:match", 1},
    };
    RUN(steps);
}

static void test_withdrawal_splits(void **state)
{
    static const step_t steps[] = {
        {'A', "s1", "school-a", "kind-1", NULL, 0, 10, NULL, 0, NULL, NULL, "", 0},
        {'A', "j1", "jeugd-b", "kind-1", NULL, 1, 11, NULL, 2, "client", "jeugd-b",
         "school-a:match jeugd-b:match", 0},
        {'A', "w2", "wijk-c", "kind-2", "moeder", 2, 12, NULL, 0, NULL, NULL, "", 0},
        {'A', "h2", "huisarts-d", "kind-2", NULL, 3, 13, NULL, 2, "client", "wijk-c",
         "wijk-c:match huisarts-d:match", 0},
        /* The bridge: a signal on child 1 naming the mother of child 2. */
        {'A', "g1", "ggz-e", "kind-1", "moeder", 4, 14, NULL, 5, "family", "jeugd-b",
         "school-a:new-signal jeugd-b:new-signal wijk-c:match huisarts-d:match ggz-e:match", 1},
        /* It is withdrawn: two client matches again, everyone told. */
        {'W', "g1", NULL, NULL, NULL, 0, 20, NULL, 2, "client", NULL,
         "school-a:signal-withdrawn jeugd-b:signal-withdrawn wijk-c:signal-withdrawn "
         "huisarts-d:signal-withdrawn", 0},
        /* One side ends: the one left is told the match is over for it. */
        {'W', "j1", NULL, NULL, NULL, 0, 21, NULL, 1, NULL, NULL, "school-a:signal-withdrawn", 0},
        /* Withdrawn signals match nothing: a newcomer on child 1 naming the mother finds the
         * school (same child) and the match on child 2 (the mother). */
        {'A', "p1", "politie-f", "kind-1", "moeder", 5, 22, NULL, 4, "family", "wijk-c",
         "wijk-c:new-signal huisarts-d:new-signal school-a:match politie-f:match", 0},
    };
    RUN(steps);
}

static void test_inactive_still_matches_untold(void **state)
{
    static const step_t steps[] = {
        {'A', "a1", "ggz-a", "kind-a", NULL, 0, 10, NULL, 0, NULL, NULL, "", 0},
        {'I', "a1", NULL, NULL, NULL, 0, 1001, NULL, 0, NULL, NULL, "", 0},
        /* The newcomer is told of the inactive signal; its owner is not; an inactive owner does
         * not coordinate and a school never does. */
        {'A', "a2", "school-b", "kind-a", NULL, 1100, 1200, NULL, 2, "client", "",
         "school-b:match", 0},
        {'A', "a3", "jeugd-c", "kind-a", NULL, 1101, 1201, NULL, 3, "client", "jeugd-c",
         "school-b:new-signal jeugd-c:match", 0},
        /* The coordinator's signal becomes inactive: nobody active may coordinate any more. */
        {'I', "a3", NULL, NULL, NULL, 0, 2102, NULL, 3, "client", "", "school-b:coordinator", 0},
    };
    RUN(steps);
}

static void test_coordinator_ties(void **state)
{
    static const step_t steps[] = {
        /* Same sector: the earliest signal date coordinates, not the first registered. */
        {'A', "a1", "ggz-late", "kind-a", NULL, 50, 60, NULL, 0, NULL, NULL, "", 0},
        {'A', "a2", "ggz-early", "kind-a", NULL, 10, 61, NULL, 2, "client", "ggz-early",
         "ggz-late:match ggz-early:match", 0},
        /* A sector earlier in the order takes over when it joins. */
        {'A', "a3", "wijk-c", "kind-a", NULL, 55, 62, NULL, 3, "client", "wijk-c",
         "ggz-late:new-signal ggz-early:new-signal wijk-c:match", 0},
        /* Only signalling sectors: no coordinator. */
        {'A', "b1", "school-x", "kind-b", NULL, 0, 63, NULL, 0, NULL, NULL, "", 0},
        {'A', "b2", "politie-y", "kind-b", NULL, 0, 64, NULL, 2, "client", "",
         "school-x:match politie-y:match", 0},
    };
    RUN(steps);
}

static void test_limits(void **state)
{
    fixture_t *f = *state;
    static const step_t per_youth[] = {
        {'A', "a1", "ggz-a", "kind-a", NULL, 0, 10, NULL, 0, NULL, NULL, "", 0},
        {'A', "a2", "ggz-a", "kind-a", NULL, 0, 11, NULL, 2, NULL, NULL, "", 0},
        {'A', "a3", "ggz-a", "kind-a", NULL, 0, 12, NULL, 3, NULL, NULL, "", 0},
        {'A', "a4", "ggz-a", "kind-a", NULL, 0, 13, NULL, 4, NULL, NULL, "", 0},
        {'A', "a5", "ggz-a", "kind-a", NULL, 0, 14, "too-many-signals", 0, NULL, NULL, "", 0},
    };
    RUN(per_youth);
    /* One youth: signals up to VN_MATCH_MAX, then refused. */
    step_t st = {'A', "", "", "kind-z", NULL, 0, 20, NULL, 0, NULL, NULL, NULL, 0};
    char names[VN_MATCH_MAX + 1][8], orgs[VN_MATCH_MAX + 1][8];
    for (int i = 0; i <= VN_MATCH_MAX; i++) {
        snprintf(names[i], sizeof names[i], "z%d", i);
        snprintf(orgs[i], sizeof orgs[i], "o%d", i);
        st.name = names[i];
        st.org = orgs[i];
        st.n = i == 0 ? 0 : (size_t)i + 1;
        st.code = i == VN_MATCH_MAX ? "match-too-large" : NULL;
        st.notify = NULL;
        if (i == 1)
            st.notify = "o0:match o1:match";
        /* From the third on, notices are many; checked by count below instead. */
        if (i >= 2 && i < VN_MATCH_MAX) {
            MDB_txn *txn;
            assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
            vn_sigdb_t d;
            vn_sigdb_init(&d, f->db, txn);
            d.sector_of = s_sector;
            uint8_t youth[32];
            s_pseud("kind-z", youth);
            char id[VN_ID_LEN + 1];
            vn_sigdb_new_id(id, 'S');
            Vn__SignalRecord r = VN__SIGNAL_RECORD__INIT;
            r.id = id;
            r.owner = orgs[i];
            r.youth_pseudonym = (ProtobufCBinaryData){32, youth};
            r.category = "x";
            r.signal_date = T0;
            r.active_until = T0 + 1000;
            r.delete_after = T0 + 5000;
            vn_match_outcome_t o;
            const char *code;
            assert_int_equal(vn_matcher_register(&d, &f->rules, &r, "ggz", T0 + 20, &o, &code), 0);
            assert_int_equal(o.parts[0].n, (size_t)i + 1);
            assert_int_equal(o.n_notify, (size_t)i + 1); /* everyone active, once */
            vn_match_outcome_clear(&o);
            assert_int_equal(vn_store_commit(txn), 0);
            continue;
        }
        s_run(f, &st, 1);
    }
}

/* The lifetime index holds a signal's next event only: its inactive time while active, then its
 * delete time (inactive, withdrawn), or the delete time at once when both fall together. */
static void s_time_entries(vn_sigdb_t *d, char *out, size_t cap)
{
    MDB_cursor *cur;
    MDB_val k, v;
    out[0] = '\0';
    assert_int_equal(mdb_cursor_open(d->txn, d->time, &cur), 0);
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        assert_int_equal(k.mv_size, 9 + VN_ID_LEN);
        snprintf(out + strlen(out), cap - strlen(out), "%s%c%llu", out[0] ? "," : "",
                 ((char *)k.mv_data)[8], (unsigned long long)(vn_get_be64(k.mv_data) - T0));
    }
    mdb_cursor_close(cur);
}

static void test_lifetime_index(void **state)
{
    fixture_t *f = *state;
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
    vn_sigdb_t d;
    vn_sigdb_init(&d, f->db, txn);
    uint8_t youth[32];
    s_pseud("kind-t", youth);
    char ids[3][VN_ID_LEN + 1], got[256];
    Vn__SignalRecord r[3];
    for (int i = 0; i < 3; i++) {
        vn_sigdb_new_id(ids[i], 'S');
        vn__signal_record__init(&r[i]);
        r[i].id = ids[i];
        r[i].owner = "org-a";
        r[i].youth_pseudonym = (ProtobufCBinaryData){32, youth};
        r[i].category = "x";
        r[i].signal_date = T0;
        r[i].active_until = T0 + 1000 + (uint64_t)i;
        r[i].delete_after = i == 2 ? r[i].active_until : T0 + 5000 + (uint64_t)i;
        assert_int_equal(vn_sigdb_put_new(&d, &r[i]), 0);
    }
    s_time_entries(&d, got, sizeof got);
    assert_string_equal(got, "I1000,I1001,D1002"); /* the third is deleted when it would end */
    assert_int_equal(vn_sigdb_inactive(&d, &r[0]), 0);
    assert_int_equal(vn_sigdb_unlink(&d, &r[1]), 0);
    s_time_entries(&d, got, sizeof got);
    assert_string_equal(got, "D1002,D5000,D5001");
    for (int i = 0; i < 3; i++)
        assert_int_equal(vn_sigdb_delete(&d, &r[i]), 0);
    s_time_entries(&d, got, sizeof got);
    assert_string_equal(got, "");
    mdb_txn_abort(txn);
}

static int s_count_visit(void *ctx, const Vn__AuditRecord *rec)
{
    (void)rec;
    ++*(int *)ctx;
    return 0;
}

/* Signals share the audit subject index with the audit records (signals.h): a store written
 * before keeps them in signals_by_youth / signals_by_parent and has them moved at open; then the
 * moved signals match newcomers as before, and a subject's audit query still sees records only. */
static void test_subject_index_shared(void **state)
{
    fixture_t *f = *state;
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
    vn_sigdb_t d;
    vn_sigdb_init(&d, f->db, txn);
    uint8_t youth[32], mother[32];
    s_pseud("kind-old", youth);
    s_pseud("moeder-old", mother);
    ProtobufCBinaryData pm = {32, mother};
    const char *names[2] = {"old1", "old2"}, *orgs[2] = {"ggz-a", "ggz-a"};
    for (int i = 0; i < 2; i++) {
        Vn__SignalRecord r = VN__SIGNAL_RECORD__INIT;
        vn_sigdb_new_id(f->sig[f->n].id, 'S');
        snprintf(f->sig[f->n].name, sizeof f->sig[0].name, "%s", names[i]);
        r.id = f->sig[f->n].id;
        r.owner = (char *)orgs[i];
        r.youth_pseudonym = (ProtobufCBinaryData){32, youth};
        r.n_parent_pseudonyms = i == 1;
        r.parent_pseudonyms = &pm;
        r.category = "huiselijk-geweld";
        r.signal_date = T0;
        r.active_until = T0 + 1000;
        r.delete_after = T0 + 5000;
        r.registered = T0;
        assert_int_equal(vn_sigdb_put_record(&d, &r), 0);
        /* the old layout's entries: pseudonym(32) id, in a B-tree of their own */
        uint8_t key[32 + VN_ID_LEN];
        memcpy(key, youth, 32);
        memcpy(key + 32, r.id, VN_ID_LEN);
        MDB_val k = {sizeof key, key}, empty = {0, ""};
        assert_int_equal(mdb_put(txn, vn_store_dbi(f->db, BDB_SIG_YOUTH), &k, &empty, 0), 0);
        if (i == 1) {
            memcpy(key, mother, 32);
            assert_int_equal(mdb_put(txn, vn_store_dbi(f->db, BDB_SIG_PARENT), &k, &empty, 0), 0);
        }
        f->n++;
    }
    /* an audit record about the youth, whose subject entry sorts before the signals' */
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    rec.event = VN__AUDIT_RECORD__EVENT__SIGNAL_REGISTERED;
    rec.actor_org = "ggz-a";
    rec.subject_pseudonym = (ProtobufCBinaryData){32, youth};
    assert_int_equal(vn_audit_append(txn, f->db, &rec, NULL, NULL), 0);
    assert_int_equal(vn_store_commit(txn), 0);

    uint64_t moved = 0;
    assert_int_equal(vn_sigdb_move_old_index(f->db, &moved), 0);
    assert_int_equal(moved, 3);
    assert_int_equal(vn_sigdb_move_old_index(f->db, &moved), 0);
    assert_int_equal(moved, 0); /* nothing left: the next open moves nothing */
    assert_int_equal(vn_store_begin(f->db, 1, &txn), 0);
    MDB_stat st;
    assert_int_equal(mdb_stat(txn, vn_store_dbi(f->db, BDB_SIG_YOUTH), &st), 0);
    assert_int_equal(st.ms_entries, 0);
    assert_int_equal(mdb_stat(txn, vn_store_dbi(f->db, BDB_SIG_PARENT), &st), 0);
    assert_int_equal(st.ms_entries, 0);
    assert_int_equal(mdb_stat(txn, vn_store_dbi(f->db, BDB_IDX_SUBJECT), &st), 0);
    assert_int_equal(st.ms_entries, 4); /* the record's entry, two youth and one parent entry */
    int seen = 0;
    vn_audit_filter_t flt = {.subject = youth, .event = -1};
    assert_int_equal(vn_audit_query(txn, f->db, &flt, s_count_visit, &seen, NULL), 0);
    assert_int_equal(seen, 1);
    mdb_txn_abort(txn);

    /* The moved signals match: a client match on the youth, a family one through the mother. */
    static const step_t steps[] = {
        {'A', "new1", "school-b", "kind-old", NULL, 5, 20, NULL, 3, "client", "ggz-a",
         "ggz-a:match school-b:match", 0},
        {'A', "sib", "wijk-c", "kind-sib", "moeder-old", 6, 30, NULL, 4, "family", "wijk-c",
         "ggz-a:new-signal school-b:new-signal wijk-c:match", 0},
    };
    RUN(steps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client_match, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_same_org_is_no_match, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_family_match_and_merge, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_withdrawal_splits, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_inactive_still_matches_untold, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_coordinator_ties, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_limits, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_lifetime_index, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_subject_index_shared, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
