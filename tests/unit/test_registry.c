/* test_registry.c -- organisation registry: add, duplicates, revoke, generation, audit. */
#include "test_harness.h"

#include <sodium.h>

#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_registry.h"
#include "vn_sender.h"
#include "vn_util.h"

static void test_add_revoke(void **state)
{
    (void)state;
    char *dir = test_tmpdir(), err[512];
    int rc;
    vn_store_t *db = vn_brokerdb_open(dir, 1 << 24, 0, &rc, err, sizeof err);
    vn_keyset_t *a = vn_keyset_generate("ggz-mondriaan", "ggz");
    vn_keyset_t *b = vn_keyset_generate("vt-zuid-limburg", "veilig-thuis");
    vn_keyset_t *broker = vn_keyset_generate("broker", "broker");
    assert_int_equal(vn_registry_add(db, &a->pub, "tester"), 0);
    /* A display name must be printable text of at most 128 bytes. */
    assert_int_equal(vn_registry_add_named(db, &b->pub, "Veilig\nThuis", "tester"), VN_E_INVALID);
    char long_name[VN_DISPLAY_NAME_MAX + 2];
    memset(long_name, 'x', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(vn_registry_add_named(db, &b->pub, long_name, "tester"), VN_E_INVALID);
    assert_int_equal(vn_registry_add_named(db, &b->pub, "Veilig Thuis Zuid-Limburg", "tester"), 0);
    assert_int_equal(vn_registry_add(db, &a->pub, "tester"), VN_E_EXISTS);
    assert_int_equal(vn_registry_add(db, &broker->pub, "tester"), VN_E_INVALID);
    /* Another id with an already registered transport key is refused too. */
    vn_pubkeys_t copy = b->pub;
    strcpy(copy.org, "vt-other");
    assert_int_equal(vn_registry_add(db, &copy, "tester"), VN_E_EXISTS);

    assert_int_equal(vn_registry_revoke(db, "vt-zuid-limburg", "tester"), 0);
    assert_int_equal(vn_registry_revoke(db, "vt-zuid-limburg", "tester"), 0); /* no-op */
    assert_int_equal(vn_registry_revoke(db, "nobody", "tester"), VN_E_NOT_FOUND);
    /* A revoked id is never reused. */
    assert_int_equal(vn_registry_add(db, &b->pub, "tester"), VN_E_EXISTS);

    MDB_txn *txn;
    vn_org_t *orgs;
    size_t n;
    uint64_t gen;
    vn_audit_report_t report;
    assert_int_equal(vn_store_begin(db, 1, &txn), 0);
    assert_int_equal(vn_registry_load(txn, db, &orgs, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(orgs[0].pub.org, "ggz-mondriaan");
    assert_false(orgs[0].revoked);
    assert_true(orgs[1].revoked);
    assert_string_equal(orgs[0].display_name, "");
    assert_string_equal(orgs[1].display_name, "Veilig Thuis Zuid-Limburg");
    assert_memory_equal(orgs[0].pub.sign_pk, a->pub.sign_pk, 32);
    assert_int_equal(vn_registry_generation(txn, db, &gen), 0);
    assert_int_equal(gen, 3); /* two adds, one revoke */
    assert_int_equal(vn_audit_verify(txn, db, NULL, &report), 0);
    assert_int_equal(report.records, 3);
    mdb_txn_abort(txn);
    free(orgs);
    vn_keyset_destroy(&a);
    vn_keyset_destroy(&b);
    vn_keyset_destroy(&broker);
    vn_store_destroy(&db);
    test_tmpdir_remove(dir);
}

/* An envelope from sender to to, created at the given time. */
static void s_seal(const vn_keyset_t *sender, const vn_keyset_t *to, uint64_t created,
                   vn_parsed_t *p, uint8_t **buf)
{
    vn_recipient_t r = {to->pub.org, to->pub.box_pk};
    vn_seal_params_t sp = {.recipients = &r, .n_recipients = 1, .category = "melding",
                           .basis = "meldrecht", .created = created, .expires = created + 3600,
                           .user_id = "u", .user_role = "r"};
    uint8_t id[16];
    size_t len;
    assert_int_equal(vn_envelope_seal(&sp, sender, (const uint8_t *)"x", 1, id, buf, &len), 0);
    assert_int_equal(vn_envelope_parse(*buf, len, p), 0);
}

/* Key rotation: new keys in place, the old ones kept with the end of their grace period; an old
 * signature counts only for envelopes created (or, at the broker, arriving) before that end. */
static void test_rotate(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char err[512];
    int rc;
    vn_store_t *db = vn_brokerdb_open(dir, 1 << 24, 0, &rc, err, sizeof err);
    vn_keyset_t *old = vn_keyset_generate("ggz-mondriaan", "ggz");
    vn_keyset_t *fresh = vn_keyset_generate("ggz-mondriaan", "ggz");
    vn_keyset_t *other = vn_keyset_generate("vt-zuid-limburg", "veilig-thuis");
    vn_keyset_t *wrong_sector = vn_keyset_generate("ggz-mondriaan", "onderwijs");
    assert_int_equal(vn_registry_rotate(db, &fresh->pub, 60, "tester"), VN_E_NOT_FOUND);
    assert_int_equal(vn_registry_add(db, &old->pub, "tester"), 0);
    assert_int_equal(vn_registry_add(db, &other->pub, "tester"), 0);
    assert_int_equal(vn_registry_rotate(db, &old->pub, 60, "tester"), VN_E_INVALID);
    assert_int_equal(vn_registry_rotate(db, &wrong_sector->pub, 60, "tester"), VN_E_INVALID);
    vn_pubkeys_t taken = fresh->pub; /* another organisation's transport key */
    memcpy(taken.curve_pk, other->pub.curve_pk, sizeof taken.curve_pk);
    assert_int_equal(vn_registry_rotate(db, &taken, 60, "tester"), VN_E_EXISTS);
    uint64_t before = vn_now();
    assert_int_equal(vn_registry_rotate(db, &fresh->pub, 60, "tester"), 0);

    MDB_txn *txn;
    assert_int_equal(vn_store_begin(db, 1, &txn), 0);
    vn_org_t *orgs;
    size_t n;
    assert_int_equal(vn_registry_load(txn, db, &orgs, &n), 0);
    assert_string_equal(orgs[0].pub.curve_pk, fresh->pub.curve_pk);
    assert_string_equal(orgs[0].prev_curve_pk, old->pub.curve_pk);
    assert_true(orgs[0].prev_valid_until >= before + 60 && orgs[0].prev_valid_until <= vn_now() + 60);
    uint64_t until = orgs[0].prev_valid_until;
    free(orgs);
    MDB_val k = {13, "ggz-mondriaan"}, v;
    assert_int_equal(mdb_get(txn, vn_store_dbi(db, BDB_ORGS), &k, &v), 0);
    Vn__OrgEntry *e = vn__org_entry__unpack(NULL, v.mv_size, v.mv_data);
    assert_non_null(e);
    vn_parsed_t p;
    uint8_t *buf;
    s_seal(old, other, before, &p, &buf);
    assert_int_equal(vn_sender_verify(&p, e, until), 0);
    assert_int_equal(vn_sender_verify(&p, e, until + 1), VN_E_KEY_EXPIRED);
    vn_parsed_clear(&p);
    free(buf);
    s_seal(fresh, other, before, &p, &buf);
    assert_int_equal(vn_sender_verify(&p, e, until + 100000), 0);
    vn_parsed_clear(&p);
    free(buf);
    s_seal(other, old, before, &p, &buf); /* someone else's key */
    assert_int_equal(vn_sender_verify(&p, e, before), VN_E_WRONG_SENDER_KEY);
    vn_parsed_clear(&p);
    free(buf);
    vn__org_entry__free_unpacked(e, NULL);
    vn_audit_report_t report;
    assert_int_equal(vn_audit_verify(txn, db, NULL, &report), 0);
    assert_int_equal(report.records, 3); /* two adds, one rotation; refused attempts left none */
    mdb_txn_abort(txn);
    vn_keyset_destroy(&old);
    vn_keyset_destroy(&fresh);
    vn_keyset_destroy(&other);
    vn_keyset_destroy(&wrong_sector);
    vn_store_destroy(&db);
    test_tmpdir_remove(dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_add_revoke),
                                        cmocka_unit_test(test_rotate)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
