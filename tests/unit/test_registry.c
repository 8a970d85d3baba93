/* test_registry.c -- organisation registry: add, duplicates, revoke, generation, audit. */
#include "test_harness.h"

#include <sodium.h>

#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_registry.h"

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
    assert_int_equal(vn_registry_add(db, &b->pub, "tester"), 0);
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

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_add_revoke)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
