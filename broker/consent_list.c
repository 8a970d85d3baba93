/* consent_list.c -- an organisation's own consents, listed a page at a time from the owner index
 * (CONSENT_OWNER: owner NUL subject(32) id -> ""), so one list request costs O(page) on the main
 * thread whatever the other organisations hold; and the index itself: kept on registration,
 * rebuilt at open when it does not match the consents (stores from before it existed). */
#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 100            /* the hard page size: records per answer */
#define LIST_BYTES (256 * 1024) /* and never more bytes than this, whatever the records hold */
#define ID_MAX 32               /* consent ids are "c" + 16 hex; anything longer is no cursor */
#define KEY_MAX (VN_ORG_MAX + 1 + 32 + ID_MAX)

/* The index key of consent r: owner NUL subject(32) id. 0 if the record cannot be indexed. */
static size_t s_key(const Vn__ConsentRecord *r, uint8_t out[KEY_MAX])
{
    size_t o = strlen(r->owner), i = strlen(r->id);
    if (o == 0 || o > VN_ORG_MAX || i == 0 || i > ID_MAX || r->subject_pseudonym.len != 32)
        return 0;
    memcpy(out, r->owner, o + 1);
    memcpy(out + o + 1, r->subject_pseudonym.data, 32);
    memcpy(out + o + 33, r->id, i);
    return o + 33 + i;
}

int broker__consent_index_put(MDB_txn *txn, broker_t *b, const Vn__ConsentRecord *r)
{
    uint8_t key[KEY_MAX];
    size_t len = s_key(r, key);
    if (!len)
        return VN_E_INVALID;
    MDB_val k = {len, key}, v = {0, ""};
    return vn_store_error(mdb_put(txn, vn_store_dbi(b->db, BDB_CONSENT_OWNER), &k, &v, 0));
}

int broker__consent_index_build(broker_t *b)
{
    MDB_txn *txn;
    int rc = vn_store_begin(b->db, 0, &txn);
    if (rc != 0)
        return rc;
    MDB_dbi consents = vn_store_dbi(b->db, BDB_CONSENTS), index = vn_store_dbi(b->db, BDB_CONSENT_OWNER);
    MDB_stat sc, si;
    if (mdb_stat(txn, consents, &sc) != 0 || mdb_stat(txn, index, &si) != 0 ||
        sc.ms_entries == si.ms_entries) {
        mdb_txn_abort(txn);
        return 0; /* in step: every registration added its entry in the same transaction */
    }
    size_t n = 0, skipped = 0;
    MDB_cursor *cur = NULL;
    MDB_val k, v;
    if ((rc = vn_store_error(mdb_drop(txn, index, 0))) == 0 &&
        (rc = vn_store_error(mdb_cursor_open(txn, consents, &cur))) == 0)
        for (int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && mrc == 0;
             mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
            Vn__ConsentRecord *r = vn__consent_record__unpack(NULL, v.mv_size, v.mv_data);
            int irc = r ? broker__consent_index_put(txn, b, r) : VN_E_INVALID;
            if (irc == VN_E_INVALID)
                skipped++; /* unreadable: it could not be listed before either */
            else if ((rc = irc) == 0)
                n++;
            if (r)
                vn__consent_record__free_unpacked(r, NULL);
        }
    if (cur)
        mdb_cursor_close(cur);
    if (rc == 0)
        rc = vn_store_commit(txn);
    else
        mdb_txn_abort(txn);
    if (rc == 0)
        vn_info("event=consent-index-built consents=%zu skipped=%zu", n, skipped);
    return rc;
}

/* The caller's page: records after `after` (a consent id the caller owns), of one subject or all.
 * NULL, or a refusal code with reason. */
static const char *s_page(MDB_txn *txn, broker_t *b, const char *org, const Vn__ConsentRequest *req,
                          Vn__ConsentRecord **recs, size_t *n, char next[ID_MAX + 1],
                          const char **reason)
{
    int by_subject = req->op_case == VN__CONSENT_REQUEST__OP_LIST_SUBJECT;
    if (by_subject && req->list_subject.len != 32)
        return *reason = "a subject is a 32-byte pseudonym", "malformed-request";
    uint32_t limit = req->limit == 0 || req->limit > LIST_MAX ? LIST_MAX : req->limit;
    size_t olen = strlen(org), prefix = olen + 1 + (by_subject ? 32 : 0);
    uint8_t start[KEY_MAX];
    memcpy(start, org, olen + 1);
    if (by_subject)
        memcpy(start + olen + 1, req->list_subject.data, 32);
    size_t start_len = prefix;
    if (req->after && req->after[0]) {
        /* The cursor is a consent of the caller's (of that subject): its index key is the start. */
        size_t alen = strlen(req->after);
        MDB_val ck = {alen, req->after}, cv;
        Vn__ConsentRecord *a = NULL;
        if (alen <= ID_MAX && mdb_get(txn, vn_store_dbi(b->db, BDB_CONSENTS), &ck, &cv) == 0)
            a = vn__consent_record__unpack(NULL, cv.mv_size, cv.mv_data);
        int ok = a && strcmp(a->owner, org) == 0 && (start_len = s_key(a, start)) != 0 &&
                 (!by_subject || memcmp(a->subject_pseudonym.data, req->list_subject.data, 32) == 0);
        if (a)
            vn__consent_record__free_unpacked(a, NULL);
        if (!ok)
            return *reason = "'after' must be the 'next' of a previous page of this list",
                   "invalid-cursor";
    }
    MDB_cursor *cur;
    if (mdb_cursor_open(txn, vn_store_dbi(b->db, BDB_CONSENT_OWNER), &cur) != 0)
        return *reason = "the consent index cannot be read", "storage-error";
    MDB_val k = {start_len, start}, v;
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    if (mrc == 0 && start_len > prefix && k.mv_size == start_len &&
        memcmp(k.mv_data, start, start_len) == 0)
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT); /* strictly after the cursor */
    size_t bytes = 0;
    for (; mrc == 0; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        if (k.mv_size <= olen + 33 || k.mv_size > KEY_MAX || memcmp(k.mv_data, start, prefix) != 0)
            break; /* past the caller's (or the subject's) range */
        if (*n == limit || bytes > LIST_BYTES) {
            snprintf(next, ID_MAX + 1, "%s", recs[*n - 1]->id);
            break;
        }
        MDB_val ik = {k.mv_size - olen - 33, (uint8_t *)k.mv_data + olen + 33}, rv;
        Vn__ConsentRecord *r = NULL;
        if (mdb_get(txn, vn_store_dbi(b->db, BDB_CONSENTS), &ik, &rv) == 0)
            r = vn__consent_record__unpack(NULL, rv.mv_size, rv.mv_data);
        if (!r)
            continue;
        bytes += rv.mv_size;
        recs[(*n)++] = r;
    }
    mdb_cursor_close(cur);
    return NULL;
}

/* Main thread: one page of the caller's consents (optionally for one subject), read-only. */
void broker__consent_list(broker_t *b, const char *org, const uint8_t *routing, size_t routing_len,
                          const Vn__ConsentRequest *req)
{
    Vn__ConsentResponse resp = VN__CONSENT_RESPONSE__INIT;
    resp.request_id = req->request_id;
    Vn__ConsentRecord *recs[LIST_MAX];
    size_t n = 0;
    char next[ID_MAX + 1] = "";
    const char *reason = "";
    MDB_txn *txn;
    if (vn_store_begin(b->db, 1, &txn) == 0) {
        resp.code = (char *)s_page(txn, b, org, req, recs, &n, next, &reason);
        mdb_txn_abort(txn);
    } else {
        resp.code = "storage-error";
        reason = "the store cannot be read";
    }
    if (resp.code) {
        resp.reason = (char *)reason;
    } else {
        resp.code = "";
        resp.n_records = n;
        resp.records = recs;
        resp.next = next;
    }
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    m.body_case = VN__WIRE_MESSAGE__BODY_CONSENT_RESPONSE;
    m.consent_response = &resp;
    broker__send_wire(b, routing, routing_len, &m);
    for (size_t i = 0; i < n; i++)
        vn__consent_record__free_unpacked(recs[i], NULL);
}
