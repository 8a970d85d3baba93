/* test_queue.c -- the broker's durable queue: a notice id locates its queue entry (no PENDING
 * entry), an ack drops exactly that entry, a guessed or repeated ack drops nothing, and notices
 * queued before (found through PENDING) are still dropped by their ack. */
#include "test_harness.h"

#include "signal.pb-c.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_queue.h"
#include "vn_util.h"

typedef struct {
    char *dir;
    vn_store_t *db;
    MDB_txn *txn;
} fixture_t;

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    char err[512];
    int rc;
    f->dir = test_tmpdir();
    f->db = vn_brokerdb_open(f->dir, 1 << 24, 0, &rc, err, sizeof err);
    assert_non_null(f->db);
    assert_int_equal(vn_store_begin(f->db, 0, &f->txn), 0);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    mdb_txn_abort(f->txn);
    vn_store_destroy(&f->db);
    test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* A packed MatchNotice carrying id, queued for org as signals.c does. */
static int s_put(fixture_t *f, const char *org, const uint8_t id[16], const char *event)
{
    Vn__MatchNotice n = VN__MATCH_NOTICE__INIT;
    uint8_t buf[256];
    n.notice_id = (ProtobufCBinaryData){16, (uint8_t *)id};
    n.event = (char *)event;
    size_t len = vn__match_notice__pack(&n, buf);
    return vn_queue_put_match_notice(f->txn, f->db, org, id, buf, len);
}

/* The events left in org's queue, in order, comma-separated. */
static void s_events(fixture_t *f, const char *org, char *out, size_t cap)
{
    vn_queue_iter_t it;
    vn_queue_entry_t e;
    out[0] = '\0';
    assert_int_equal(vn_queue_iter_open(f->txn, f->db, org, 0, &it), 0);
    while (vn_queue_iter_next(&it, &e) == 1) {
        assert_int_equal(e.kind, VN_QUEUE_MATCH_NOTICE);
        Vn__MatchNotice *n = vn__match_notice__unpack(NULL, e.notice_len, e.notice);
        assert_non_null(n);
        snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "," : "", n->event);
        vn__match_notice__free_unpacked(n, NULL);
    }
    vn_queue_iter_close(&it);
}

static size_t s_pending(fixture_t *f)
{
    MDB_stat st;
    assert_int_equal(mdb_stat(f->txn, vn_store_dbi(f->db, BDB_PENDING), &st), 0);
    return st.ms_entries;
}

static void test_located_ids(void **state)
{
    fixture_t *f = *state;
    uint8_t a[16], b[16], c[16], guess[16];
    char ev[256];
    int found;
    assert_int_equal(vn_queue_notice_id(f->txn, f->db, a), 0);
    assert_int_equal(s_put(f, "org-a", a, "one"), 0);
    assert_int_equal(vn_queue_notice_id(f->txn, f->db, b), 0);
    assert_int_equal(s_put(f, "org-a", b, "two"), 0);
    assert_int_equal(vn_queue_notice_id(f->txn, f->db, c), 0);
    assert_int_equal(s_put(f, "org-b", c, "three"), 0);
    assert_int_equal(s_pending(f), 0); /* no PENDING entry for a located notice */
    assert_true(vn_get_be64(b) > vn_get_be64(a));
    s_events(f, "org-a", ev, sizeof ev);
    assert_string_equal(ev, "one,two");

    /* The right position with the wrong random part is another's guess: nothing dropped. */
    memcpy(guess, b, 16);
    guess[15] ^= 1;
    assert_int_equal(vn_queue_drop_notice(f->txn, f->db, "org-a", guess, &found), 0);
    assert_false(found);
    /* Another organisation's notice id does not reach into its queue. */
    assert_int_equal(vn_queue_drop_notice(f->txn, f->db, "org-a", c, &found), 0);
    assert_false(found);
    s_events(f, "org-b", ev, sizeof ev);
    assert_string_equal(ev, "three");

    assert_int_equal(vn_queue_drop_notice(f->txn, f->db, "org-a", b, &found), 0);
    assert_true(found);
    s_events(f, "org-a", ev, sizeof ev);
    assert_string_equal(ev, "one");
    assert_int_equal(vn_queue_drop_notice(f->txn, f->db, "org-a", b, &found), 0);
    assert_false(found); /* a repeated ack */
}

static void test_ids_not_handed_out(void **state)
{
    fixture_t *f = *state;
    uint8_t id[16], future[16];
    assert_int_equal(vn_queue_notice_id(f->txn, f->db, id), 0);
    assert_int_equal(s_put(f, "org-a", id, "one"), 0);
    /* The same id twice would overwrite a queued notice. */
    assert_int_equal(s_put(f, "org-a", id, "again"), VN_E_INVALID);
    /* A random id (a position not handed out) would queue out of arrival order. */
    memset(future, 0xff, sizeof future);
    assert_int_equal(s_put(f, "org-a", future, "later"), VN_E_INVALID);
    memset(future, 0, sizeof future);
    assert_int_equal(s_put(f, "org-a", future, "zero"), VN_E_INVALID);
    char ev[64];
    s_events(f, "org-a", ev, sizeof ev);
    assert_string_equal(ev, "one");
}

/* A notice queued by a broker before ids located their entry: QUEUE and PENDING, random id. */
static void test_queued_before(void **state)
{
    fixture_t *f = *state;
    uint8_t id[16], qkey[32], pkey[32], be[8], val[128];
    memset(id, 0x5a, sizeof id);
    vn_put_be64(be, 7);
    Vn__MatchNotice n = VN__MATCH_NOTICE__INIT;
    n.notice_id = (ProtobufCBinaryData){16, id};
    n.event = "old";
    val[0] = VN_QUEUE_MATCH_NOTICE;
    size_t len = 1 + vn__match_notice__pack(&n, val + 1);
    memcpy(qkey, "org-a", 6);
    memcpy(qkey + 6, be, 8);
    memcpy(pkey, "org-a", 6);
    memcpy(pkey + 6, id, 16);
    MDB_val qk = {14, qkey}, qv = {len, val}, pk = {22, pkey}, pv = {8, be};
    assert_int_equal(mdb_put(f->txn, vn_store_dbi(f->db, BDB_QUEUE), &qk, &qv, 0), 0);
    assert_int_equal(mdb_put(f->txn, vn_store_dbi(f->db, BDB_PENDING), &pk, &pv, 0), 0);
    assert_int_equal(vn_meta_put_u64(f->txn, vn_store_dbi(f->db, BDB_META), "queue_seq", 7), 0);
    int found;
    assert_int_equal(vn_queue_drop_notice(f->txn, f->db, "org-a", id, &found), 0);
    assert_true(found);
    assert_int_equal(s_pending(f), 0);
    char ev[64];
    s_events(f, "org-a", ev, sizeof ev);
    assert_string_equal(ev, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_located_ids, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_ids_not_handed_out, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_queued_before, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
