/* test_audit.c -- the hash-chained audit log: appends verify; changed, deleted, swapped and
 * truncated records are caught and named. */
#include "test_harness.h"

#include "vn_audit.h"
#include "vn_audit_query.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include <sodium.h>

typedef struct {
    char *dir;
    vn_store_t *db;
    vn_keyset_t *broker;
} fx_t;

/* Append records first..last (the content a forger may change through outcome). */
static void s_append(vn_store_t *db, MDB_txn *txn, int first, int last, const char *outcome)
{
    for (int i = first; i <= last; i++) {
        Vn__AuditRecord rec = VN__AUDIT_RECORD__INIT;
        char *to[] = {"vt-zuid-limburg"};
        rec.event = VN__AUDIT_RECORD__EVENT__ACCEPTED;
        rec.actor_org = "ggz-mondriaan";
        rec.n_recipients = 1;
        rec.recipients = to;
        rec.basis = "meldrecht";
        rec.outcome = (char *)(i == 3 ? outcome : "ok");
        rec.time_us = 1000000u * (uint64_t)i; /* fixed, so a forger can reproduce the others */
        uint64_t seq;
        uint8_t hash[32];
        assert_int_equal(vn_audit_append(txn, db, &rec, &seq, hash), 0);
        assert_int_equal(seq, i);
    }
}

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    char err[512];
    int rc;
    f->dir = test_tmpdir();
    f->db = vn_brokerdb_open(f->dir, 1 << 24, 0, &rc, err, sizeof err);
    f->broker = vn_keyset_generate("broker", "broker");
    assert_non_null(f->db);
    MDB_txn *txn;
    uint64_t signed_size;
    assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
    s_append(f->db, txn, 1, 4, "ok");
    assert_int_equal(vn_audit_checkpoint(txn, f->db, f->broker, &signed_size), 0);
    assert_int_equal(signed_size, 4);
    assert_int_equal(vn_audit_checkpoint(txn, f->db, f->broker, &signed_size), 0);
    assert_int_equal(signed_size, 0); /* nothing new: nothing signed */
    s_append(f->db, txn, 5, 10, "ok");
    assert_int_equal(vn_audit_checkpoint(txn, f->db, f->broker, &signed_size), 0);
    assert_int_equal(signed_size, 10);
    assert_int_equal(vn_store_commit(txn), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    vn_store_destroy(&f->db);
    vn_keyset_destroy(&f->broker);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static int s_verify(fx_t *f, const uint8_t *pk, vn_audit_report_t *r)
{
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(f->db, 1, &txn), 0);
    int rc = vn_audit_verify(txn, f->db, pk, r);
    mdb_txn_abort(txn);
    return rc;
}

/* Run edit inside a write transaction that is rolled back afterwards (the fixture stays intact). */
static int s_verify_after(fx_t *f, void (*edit)(fx_t *, MDB_txn *), uint64_t *bad)
{
    MDB_txn *txn;
    vn_audit_report_t r;
    assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
    edit(f, txn);
    int rc = vn_audit_verify(txn, f->db, f->broker->pub.sign_pk, &r);
    mdb_txn_abort(txn);
    *bad = r.bad_seq;
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

typedef struct {
    uint64_t seqs[16];
    size_t n;
} s_seen_t;

static int s_seen(void *ctx, const Vn__AuditRecord *rec)
{
    s_seen_t *s = ctx;
    s->seqs[s->n++] = rec->seq;
    return s->n == 16;
}

/* Paging and bounded work for the delegated query (broker/audit_mine.c): records after after_seq
 * only, at most max_examined read, and where it stopped; an organisation's records only. */
static void test_query_pages(void **state)
{
    fx_t *f = *state;
    MDB_txn *txn;
    assert_int_equal(vn_store_begin(f->db, 1, &txn), 0);
    uint64_t stopped = 99, examined = 0;
    s_seen_t seen = {0};
    vn_audit_filter_t q = {.org = "ggz-mondriaan", .event = -1, .after_seq = 3,
                           .max_examined = 4, .stopped_at = &stopped};
    assert_int_equal(vn_audit_query(txn, f->db, &q, s_seen, &seen, &examined), 0);
    assert_int_equal(seen.n, 4);
    assert_int_equal(seen.seqs[0], 4);
    assert_int_equal(seen.seqs[3], 7);
    assert_int_equal(examined, 4);
    assert_int_equal(stopped, 7); /* the next page starts after 7 */
    memset(&seen, 0, sizeof seen);
    q = (vn_audit_filter_t){.org = "vt-zuid-limburg", .event = -1, .after_seq = 8};
    assert_int_equal(vn_audit_query(txn, f->db, &q, s_seen, &seen, NULL), 0);
    assert_int_equal(seen.n, 2); /* 9 and 10, as a recipient */
    assert_int_equal(seen.seqs[0], 9);
    memset(&seen, 0, sizeof seen);
    q = (vn_audit_filter_t){.org = "school-de-linde", .event = -1};
    assert_int_equal(vn_audit_query(txn, f->db, &q, s_seen, &seen, NULL), 0);
    assert_int_equal(seen.n, 0); /* never another organisation's records */
    mdb_txn_abort(txn);
}

static void test_unknown_version(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_bump_version, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 10);
}

static void test_intact(void **state)
{
    fx_t *f = *state;
    vn_audit_report_t r;
    assert_int_equal(s_verify(f, f->broker->pub.sign_pk, &r), 0);
    assert_int_equal(r.records, 10);
    assert_int_equal(r.checkpoints, 2);
    assert_int_equal(r.latest_size, 10);
}

static void test_checkpoint_by_another_key(void **state)
{
    fx_t *f = *state;
    vn_keyset_t *other = vn_keyset_generate("broker", "broker");
    vn_audit_report_t r;
    assert_int_equal(s_verify(f, other->pub.sign_pk, &r), VN_E_CHAIN);
    assert_int_equal(r.bad_seq, 4);
    assert_non_null(strstr(r.why, "signature"));
    vn_keyset_destroy(&other);
}

/* Someone with the disk but not the broker's key rewrites record 3 and rebuilds everything the
 * disk holds consistently: chain, head and tree. Only the signed checkpoints can tell. */
static void s_rewrite_history(fx_t *f, MDB_txn *txn)
{
    assert_int_equal(mdb_drop(txn, vn_store_dbi(f->db, BDB_AUDIT), 0), 0);
    assert_int_equal(mdb_drop(txn, vn_store_dbi(f->db, BDB_MERKLE), 0), 0);
    MDB_val hk = {10, "audit_head"};
    assert_int_equal(mdb_del(txn, vn_store_dbi(f->db, BDB_META), &hk, NULL), 0);
    s_append(f->db, txn, 1, 10, "refused");
}

static void test_rewritten_history(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_rewrite_history, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 4); /* the first signed checkpoint after the change */
}

static void test_never_signs_inconsistent(void **state)
{
    fx_t *f = *state;
    MDB_txn *txn;
    uint64_t signed_size;
    assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
    s_rewrite_history(f, txn);
    s_append(f->db, txn, 11, 11, "ok");
    assert_int_equal(vn_audit_checkpoint(txn, f->db, f->broker, &signed_size), VN_E_CHAIN);
    assert_int_equal(signed_size, 0);
    mdb_txn_abort(txn);
}

static void test_changed_byte(void **state)
{
    uint64_t bad;
    assert_int_equal(s_verify_after(*state, s_flip_byte, &bad), VN_E_CHAIN);
    assert_int_equal(bad, 4); /* the changed record itself no longer matches its leaf */
}

/* Every byte of every stored record, flipped in turn: verify fails and names that record. */
static void test_every_byte_of_every_record(void **state)
{
    fx_t *f = *state;
    for (uint64_t seq = 1; seq <= 10; seq++) {
        MDB_txn *txn;
        uint8_t kb[8];
        MDB_val k = s_key(kb, seq), v;
        assert_int_equal(vn_store_begin(f->db, 1, &txn), 0);
        assert_int_equal(mdb_get(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, &v), 0);
        size_t len = v.mv_size;
        uint8_t *orig = malloc(len), *copy = malloc(len);
        memcpy(orig, v.mv_data, len);
        mdb_txn_abort(txn);
        for (size_t pos = 0; pos < len; pos++) {
            assert_int_equal(vn_store_begin(f->db, 0, &txn), 0);
            memcpy(copy, orig, len);
            copy[pos] ^= 0x01;
            MDB_val nv = {len, copy};
            assert_int_equal(mdb_put(txn, vn_store_dbi(f->db, BDB_AUDIT), &k, &nv, 0), 0);
            vn_audit_report_t r;
            assert_int_equal(vn_audit_verify(txn, f->db, f->broker->pub.sign_pk, &r), VN_E_CHAIN);
            assert_int_equal(r.bad_seq, seq);
            mdb_txn_abort(txn);
        }
        free(orig);
        free(copy);
    }
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
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),          cmocka_unit_test(test_query_pages),
        cmocka_unit_test(test_changed_byte),
        cmocka_unit_test(test_every_byte_of_every_record),
        cmocka_unit_test(test_deleted_record),  cmocka_unit_test(test_swapped_records),
        cmocka_unit_test(test_truncated),       cmocka_unit_test(test_rewritten_last),
        cmocka_unit_test(test_unknown_version),
        cmocka_unit_test(test_checkpoint_by_another_key),
        cmocka_unit_test(test_rewritten_history),
        cmocka_unit_test(test_never_signs_inconsistent),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
