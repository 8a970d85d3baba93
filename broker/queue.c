/* queue.c -- the broker's store and forward (storage thread): an accepted envelope stored with a
 * delivery queued for each recipient and its expiry indexed; queue entries added and dropped with
 * the per-recipient depth kept; an envelope released once nobody waits for it. The queue's layout
 * is lib/brokerdb/vn_queue.h; the stored envelope is ENVELOPES seq -> envelope, its expiry
 * EXPIRY expires(be64) seq(be64) -> "". */
#include "broker.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_queue.h"
#include "vn_util.h"

#include <string.h>

int broker__store_accepted(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, uint64_t seq,
                           const uint8_t *envelope, size_t len)
{
    uint8_t key[8];
    vn_put_be64(key, seq);
    MDB_val ek = {8, key}, ev = {len, (void *)envelope};
    int rc = vn_store_error(mdb_put(txn, vn_store_dbi(b->db, BDB_ENVELOPES), &ek, &ev, MDB_APPEND));
    for (size_t i = 0; rc == 0 && i < p->hdr->n_recipients; i++) {
        rc = broker__queue_delivery(txn, b, p->hdr->recipients[i], seq);
        if (rc == 0)
            broker__share_add(b, p->hdr->sender, p->hdr->recipients[i], 1, len);
    }
    if (rc == 0)
        rc = broker__relying_put(txn, b, p, seq);
    if (rc == 0) {
        uint8_t xkey[16];
        vn_put_be64(xkey, p->hdr->expires);
        memcpy(xkey + 8, key, 8);
        MDB_val xk = {16, xkey}, xv = {0, ""};
        rc = vn_store_error(mdb_put(txn, vn_store_dbi(b->db, BDB_EXPIRY), &xk, &xv, 0));
    }
    return rc;
}

int broker__queue_delivery(MDB_txn *txn, broker_t *b, const char *org, uint64_t seq)
{
    int rc = vn_queue_put_delivery(txn, b->db, org, seq);
    if (rc == 0)
        broker__depth_add(b, org, 1);
    return rc;
}

int broker__queue_notice(MDB_txn *txn, broker_t *b, const char *org, const uint8_t id[16],
                         const uint8_t *notice, size_t len)
{
    int rc = vn_queue_put_notice(txn, b->db, org, id, notice, len);
    if (rc == 0)
        broker__depth_add(b, org, 1);
    return rc;
}

int broker__unqueue_delivery(MDB_txn *txn, broker_t *b, const char *org, uint64_t seq, int *found)
{
    int rc = vn_queue_drop_delivery(txn, b->db, org, seq, found);
    if (*found) {
        broker__depth_add(b, org, -1);
        broker__share_unqueued(txn, b, org, seq);
    }
    return rc;
}

int broker__unqueue_notice(MDB_txn *txn, broker_t *b, const char *org, const uint8_t id[16],
                           int *found)
{
    int rc = vn_queue_drop_notice(txn, b->db, org, id, found);
    if (*found)
        broker__depth_add(b, org, -1);
    return rc;
}

int broker__pending(MDB_txn *txn, broker_t *b, const char *org, uint64_t seq)
{
    return vn_queue_waiting(txn, b->db, org, seq);
}

/* After a recipient is done with envelope seq: drop it once nobody still waits for it. */
int broker__release(MDB_txn *txn, broker_t *b, const vn_parsed_t *p, uint64_t seq)
{
    for (size_t i = 0; i < p->hdr->n_recipients; i++)
        if (broker__pending(txn, b, p->hdr->recipients[i], seq))
            return 0;
    uint8_t ekey[16], skey[8];
    vn_put_be64(ekey, p->hdr->expires);
    vn_put_be64(ekey + 8, seq);
    vn_put_be64(skey, seq);
    MDB_val ek = {16, ekey}, sk = {8, skey};
    int rc = broker__relying_del(txn, b, p, seq);
    if (rc != 0)
        return rc;
    rc = mdb_del(txn, vn_store_dbi(b->db, BDB_EXPIRY), &ek, NULL);
    if (rc == 0 || rc == MDB_NOTFOUND)
        rc = mdb_del(txn, vn_store_dbi(b->db, BDB_ENVELOPES), &sk, NULL);
    return rc == MDB_NOTFOUND ? 0 : vn_store_error(rc);
}

/* The stored envelope accepted under audit record seq, parsed. */
int broker__stored_envelope(MDB_txn *txn, broker_t *b, uint64_t seq, vn_parsed_t *p)
{
    uint8_t key[8];
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v;
    int rc = mdb_get(txn, vn_store_dbi(b->db, BDB_ENVELOPES), &k, &v);
    if (rc != 0)
        return vn_store_error(rc);
    return vn_envelope_parse(v.mv_data, v.mv_size, p);
}

int broker__stored_envelope_raw(MDB_txn *txn, broker_t *b, uint64_t seq, MDB_val *env)
{
    uint8_t key[8];
    vn_put_be64(key, seq);
    MDB_val k = {8, key};
    return vn_store_error(mdb_get(txn, vn_store_dbi(b->db, BDB_ENVELOPES), &k, env));
}

/* DEDUP msgid(16) -> Receipt: an accepted message's receipt, which holds its ACCEPTED record's seq. */
int broker__accepted_seq(MDB_txn *txn, broker_t *b, const uint8_t msgid[VN_MSGID_BYTES],
                         uint64_t *seq)
{
    MDB_val k = {VN_MSGID_BYTES, (void *)msgid}, v;
    int rc = mdb_get(txn, vn_store_dbi(b->db, BDB_DEDUP), &k, &v);
    if (rc != 0)
        return vn_store_error(rc);
    Vn__Receipt *r = vn__receipt__unpack(NULL, v.mv_size, v.mv_data);
    if (!r)
        return VN_E_STORE;
    *seq = r->audit_seq;
    vn__receipt__free_unpacked(r, NULL);
    return 0;
}
