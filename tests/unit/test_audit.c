/* test_audit.c -- the hash-chained audit log: appends verify; changed, deleted, swapped and
 * truncated records are caught and named. */
#include "test_harness.h"

#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

typedef struct {
    char *dir;
    vn_store_t *db;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    char err[512];
    int rc;
    f->dir = test_tmpdir();
    f->db = vn_brokerdb_open(f->dir, 1 << 24, 0, &rc, err, sizeof err);
    assert_non_null(f->db);
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
    for (int i = 1; i <= 10; i++) {
        Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
        char *to[] = {"vt-zuid-limburg"};
        rec.event = VN__AUDIT_RECORD__EVENT__ACCEPTED;
        rec.actor_org = "ggz-mondriaan";
        rec.n_recipients = 1;
        rec.recipients = to;
        rec.basis = "meldrecht";
        rec.outcome = "ok";
        uint64_t seq;
        uint8_t hash[32];
        assert_int_equal(vn_audit_append(txn, vn_store_dbi(f->db, BDB_AUDIT),
                                         vn_store_dbi(f->db, BDB_META), &rec, &seq, hash),
                         0);
        assert_int_equal(seq, i);
    }
    assert_int_equal(vn_store_commit(txn), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    vn_store_destroy(&f->db);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static int s_verify(fx_t *f, uint64_t *bad, const char **why)
{
    MDB_txn *txn;
    uint64_t n;
    assert_int_equal(vn_store_begin(f->db, 1, &txn), 0);
    int rc = vn_audit_verify(txn, vn_store_dbi(f->db, BDB_AUDIT), vn_store_dbi(f->db, BDB_META),
                             &n, bad, why);
    mdb_txn_abort(txn);
    return rc;
}

/* Run edit inside a write transaction that is rolled back afterwards (the fixture stays intact). */
static int s_verify_after(fx_t *f, void (*edit)(fx_t *, MDB_txn *), uint64_t *bad)
{
    MDB_txn *txn;
    uint64_t n;
    const char *why;
    assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
    edit(f, txn);
    int rc = vn_audit_verify(txn, vn_store_dbi(f->db, BDB_AUDIT), vn_store_dbi(f->db, BDB_META),
                             &n, bad, &why);
    mdb_txn_abort(txn);
    return rc;
}

static MDB_val s_key(uint8_t buf[8], uint64_t seq)
{
    vn_put_be64(buf, seq);
    return (MDB_val){8, buf};
}

static void s_flip_byte(fx_t *f, MDB_txn *txn)
{
    uint8_t kb[8];
    MDB_val k = s_key(kb, 4), v;
    assert_int_equal(mdb_get(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, &v), 0);
    uint8_t *copy = malloc(v.mv_size);
    memcpy(copy, v.mv_data, v.mv_size);
    uint8_t *pos = memmem(copy, v.mv_size, "meldrecht", 9);
    pos[0] = 'M';
    MDB_val nv = {v.mv_size, copy};
    assert_int_equal(mdb_put(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, &nv, 0), 0);
    free(copy);
}

static void s_delete(fx_t *f, MDB_txn *txn)
{
    uint8_t kb[8];
    MDB_val k = s_key(kb, 6);
    assert_int_equal(mdb_del(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, NULL), 0);
}

static void s_swap(fx_t *f, MDB_txn *txn)
{
    uint8_t ka[8], kb[8];
    MDB_val a = s_key(ka, 2), b = s_key(kb, 3), va, vb;
    mdb_get(txn, vn_store_dbi(f->db, BDB_AUDIT), &a, &va);
    mdb_get(txn, vn_store_dbi(f->db, BDB_AUDIT), &b, &vb);
    uint8_t *ca = malloc(va.mv_size), *cb = malloc(vb.mv_size);
    memcpy(ca, va.mv_data, va.mv_size);
    memcpy(cb, vb.mv_data, vb.mv_size);
    MDB_val na = {vb.mv_size, cb}, nb = {va.mv_size, ca};
    mdb_put(txn, vn_store_dbi(f->db, BDB_AUDIT), &a, &na, 0);
    mdb_put(txn, vn_store_dbi(f->db, BDB_AUDIT), &b, &nb, 0);
    free(ca);
    free(cb);
}

static void s_truncate(fx_t *f, MDB_txn *txn)
{
    uint8_t kb[8];
    MDB_val k = s_key(kb, 10);
    assert_int_equal(mdb_del(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, NULL), 0);
}

static void s_rewrite_last(fx_t *f, MDB_txn *txn)
{
    /* Replace the newest record wholesale with a well-formed, correctly linked one. */
    s_truncate(f, txn);
    Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
    rec.event = VN__AUDIT_RECORD__EVENT__REFUSED;
    rec.seq = 10;
    rec.version = 1;
    uint8_t prev[32] = {0}, buf[256];
    rec.prev_hash = (ProtobufCBinaryData){32, prev};
    uint8_t kb[8];
    MDB_val k = s_key(kb, 10), v = {vn__audit_record__pack(&rec, buf), buf};
    mdb_put(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, &v, 0);
}

static void s_bump_version(fx_t *f, MDB_txn *txn)
{
    /* A record claiming another format version is refused even if it still decodes. */
    uint8_t kb[8];
    MDB_val k = s_key(kb, 10), v;
    assert_int_equal(mdb_get(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, &v), 0);
    Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
    r->version = 2;
    uint8_t buf[512];
    MDB_val nv = {vn__audit_record__pack(r, buf), buf};
    vn__audit_record__free_unpacked(r, NULL);
    assert_int_equal(mdb_put(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, &nv, 0), 0);
}

static void test_unknown_version(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_bump_version, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 10);
}

static void test_intact(void **state)
{
    uint64_t bad;
    const char *why;
    assert_int_equal(s_verify(*state, &bad, &why), 0);
}

static void test_changed_byte(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_flip_byte, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 5); /* record 4 changed: record 5's link no longer matches */
}

static void test_deleted_record(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_delete, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 6);
}

static void test_swapped_records(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_swap, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 2);
}

static void test_truncated(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_truncate, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 10);
}

static void test_rewritten_last(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_rewrite_last, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),          cmocka_unit_test(test_changed_byte),
        cmocka_unit_test(test_deleted_record),  cmocka_unit_test(test_swapped_records),
        cmocka_unit_test(test_truncated),       cmocka_unit_test(test_rewritten_last),
        cmocka_unit_test(test_unknown_version),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
