/* outcome.c -- a message id's outcome is decided once (storage thread): a resent id is answered
 * with its original receipt or refusal, whatever changed since (expiry, consent, policy), and the
 * audit log holds one outcome per (sender, message id). An id another organisation used is
 * refused, never answered with that organisation's receipt. */
#include "broker.h"
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_log.h"
#include "vn_util.h"
#include "vn_wire.h"

#include <stdlib.h>
#include <string.h>

int broker__refusal_final(const char *code)
{
    /* The store refusing, or the sender over its budget (budget.c), is not a verdict on the
     * message: the agent retries it. */
    return strcmp(code, "storage-full") != 0 && strcmp(code, "storage-error") != 0 &&
           strcmp(code, "rate-limited") != 0 && strcmp(code, "too-many-in-flight") != 0;
}

static size_t s_key(uint8_t *out, const char *org, const uint8_t msgid[VN_MSGID_BYTES])
{
    size_t n = strlen(org) + 1;
    memcpy(out, org, n);
    memcpy(out + n, msgid, VN_MSGID_BYTES);
    return n + 16;
}

/* Whose accepted message msgid is: the receipt says so; receipts stored before it did are
 * matched against their ACCEPTED record. 1 if org's, 0 if someone else's, <0 on error. */
static int s_receipt_is_orgs(MDB_txn *txn, broker_t *b, const Vn__Receipt *r, const char *org)
{
    if (r->sender[0])
        return strcmp(r->sender, org) == 0;
    uint8_t key[8];
    vn_put_be64(key, r->audit_seq);
    MDB_val k = {8, key}, v;
    if (mdb_get(txn, vn_store_dbi(b->db, BDB_AUDIT), &k, &v) != 0)
        return 1; /* record gone (pruned): as before this check existed */
    Vn__AuditRecord *rec = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
    if (!rec)
        return VN_E_STORE;
    int mine = rec->pruned || strcmp(rec->actor_org, org) == 0;
    vn__audit_record__free_unpacked(rec, NULL);
    return mine;
}

int broker__outcome_find(MDB_txn *txn, broker_t *b, const char *org,
                         const uint8_t msgid[VN_MSGID_BYTES],
                         uint8_t **reply, size_t *reply_len)
{
    *reply = NULL;
    *reply_len = 0;
    Vn__WireMessage m = VN__WIRE_MESSAGE__INIT;
    MDB_val k = {VN_MSGID_BYTES, (void *)msgid}, v;
    int rc = mdb_get(txn, vn_store_dbi(b->db, BDB_DEDUP), &k, &v);
    if (rc == 0) {
        Vn__Receipt *r = vn__receipt__unpack(NULL, v.mv_size, v.mv_data);
        if (!r)
            return VN_E_STORE;
        int mine = s_receipt_is_orgs(txn, b, r, org);
        if (mine == 1) {
            Vn__Receipt answer = *r; /* the stored sender is not part of the answer */
            answer.duplicate = 1;
            answer.sender = (char *)"";
            m.body_case = VN__WIRE_MESSAGE__BODY_RECEIPT;
            m.receipt = &answer;
            rc = vn_wire_pack(&m, reply, reply_len);
        }
        vn__receipt__free_unpacked(r, NULL);
        if (mine < 0)
            return mine;
        if (mine == 0)
            return 2;
        return rc == 0 ? 1 : rc;
    }
    if (rc != MDB_NOTFOUND)
        return vn_store_error(rc);
    uint8_t key[VN_ORG_MAX + 1 + 16];
    k = (MDB_val){s_key(key, org, msgid), key};
    rc = mdb_get(txn, vn_store_dbi(b->db, BDB_REFUSALS), &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0;
    if (rc != 0)
        return vn_store_error(rc);
    Vn__Refusal *rf = vn__refusal__unpack(NULL, v.mv_size, v.mv_data);
    if (!rf)
        return VN_E_STORE;
    m.body_case = VN__WIRE_MESSAGE__BODY_REFUSAL;
    m.refusal = rf;
    rc = vn_wire_pack(&m, reply, reply_len);
    vn__refusal__free_unpacked(rf, NULL);
    return rc == 0 ? 1 : rc;
}

int broker__outcome_known(MDB_txn *txn, broker_t *b, const char *org,
                          const uint8_t msgid[VN_MSGID_BYTES])
{
    uint8_t *reply;
    size_t len;
    int rc = broker__outcome_find(txn, b, org, msgid, &reply, &len);
    free(reply);
    return rc == 1;
}

int broker__outcome_put_refusal(MDB_txn *txn, broker_t *b, const char *org, const Vn__Refusal *r)
{
    if (r->message_id.len != VN_MSGID_BYTES || !broker__refusal_final(r->code))
        return 0;
    uint8_t key[VN_ORG_MAX + 1 + 16], buf[2048];
    size_t len = vn__refusal__get_packed_size(r);
    if (len > sizeof buf)
        return VN_E_TOO_LARGE;
    vn__refusal__pack(r, buf);
    MDB_val k = {s_key(key, org, r->message_id.data), key}, v = {len, buf};
    return vn_store_error(mdb_put(txn, vn_store_dbi(b->db, BDB_REFUSALS), &k, &v, 0));
}
