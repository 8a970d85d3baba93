/* vn_audit.c -- the audit log itself: appending a record to the hash chain, its leaf to the Merkle
 * tree kept in LMDB and its index entries; the head, the size and a record's time. */
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define HEAD_KEY "audit_head"

static int s_head(MDB_txn *txn, MDB_dbi meta, uint64_t *seq, uint8_t hash[32])
{
    MDB_val k = {strlen(HEAD_KEY), HEAD_KEY}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *seq = 0;
        memset(hash, 0, 32);
        return 0;
    }
    if (rc != 0)
        return vn_store_error(rc);
    if (v.mv_size != 40)
        return VN_E_CHAIN;
    *seq = vn_get_be64(v.mv_data);
    memcpy(hash, (uint8_t *)v.mv_data + 8, 32);
    return 0;
}

int vn_audit_head(MDB_txn *txn, vn_store_t *db, uint64_t *seq, uint8_t hash[32])
{
    return s_head(txn, vn_store_dbi(db, BDB_META), seq, hash);
}

int vn_audit_size(MDB_txn *txn, vn_store_t *db, uint64_t *size)
{
    uint8_t hash[32];
    return s_head(txn, vn_store_dbi(db, BDB_META), size, hash);
}

/* Nodes are keyed by the last leaf they cover, then level: every node that appending leaf i
 * completes has the same prefix i, so an append writes one page, not one per level. */
static void s_node_key(uint8_t key[9], unsigned level, uint64_t index)
{
    vn_put_be64(key, ((index + 1) << level) - 1);
    key[8] = (uint8_t)level;
}

int vn_audit_node(void *ctx, unsigned level, uint64_t index, uint8_t out[VN_HASH])
{
    vn_audit_tree_t *t = ctx;
    uint8_t key[9];
    s_node_key(key, level, index);
    MDB_val k = {9, key}, v;
    int rc = mdb_get(t->txn, vn_store_dbi(t->db, BDB_MERKLE), &k, &v);
    if (rc != 0)
        return vn_store_error(rc);
    if (v.mv_size != VN_HASH)
        return VN_E_CHAIN;
    memcpy(out, v.mv_data, VN_HASH);
    return 0;
}

/* Add leaf number index and every perfect subtree it completes: O(log n) writes. */
static int s_tree_append(MDB_txn *txn, vn_store_t *db, uint64_t index, const uint8_t leaf[32])
{
    uint8_t key[9], hash[VN_HASH], left[VN_HASH];
    vn_audit_tree_t t = {txn, db};
    memcpy(hash, leaf, VN_HASH);
    for (unsigned level = 0;; level++, index >>= 1) {
        s_node_key(key, level, index);
        MDB_val k = {9, key}, v = {VN_HASH, hash};
        int rc = vn_store_error(mdb_put(txn, vn_store_dbi(db, BDB_MERKLE), &k, &v, 0));
        if (rc != 0 || !(index & 1))
            return rc;
        if ((rc = vn_audit_node(&t, level, index - 1, left)) != 0)
            return rc;
        vn_merkle_node_hash(left, hash, hash);
    }
}

/* Index keys: subject (or related) pseudonym(32) seq(8), and org NUL seq(8), for the acting organisation and
 * every recipient. Values are empty: the key is the index. remove=1 deletes them (pruning). */
int vn_audit__index(MDB_txn *txn, vn_store_t *db, const Vn__AuditRecord *rec, uint64_t seq,
                    int remove)
{
    uint8_t key[VN_ORG_MAX + 1 + 32 + 8];
    MDB_val empty = {0, ""};
    int rc = 0;
    /* The subject, and the related people a signal names (parents): each finds it in their
     * art. 15 report. */
    for (size_t i = 0; (rc == 0 || rc == MDB_NOTFOUND) && i <= rec->n_related_pseudonyms; i++) {
        const ProtobufCBinaryData *p = i == 0 ? &rec->subject_pseudonym
                                              : &rec->related_pseudonyms[i - 1];
        if (p->len != 32)
            continue;
        memcpy(key, p->data, 32);
        vn_put_be64(key + 32, seq);
        MDB_val k = {40, key};
        rc = remove ? mdb_del(txn, vn_store_dbi(db, BDB_IDX_SUBJECT), &k, NULL)
                    : mdb_put(txn, vn_store_dbi(db, BDB_IDX_SUBJECT), &k, &empty, 0);
    }
    for (size_t i = 0; (rc == 0 || rc == MDB_NOTFOUND) && i <= rec->n_recipients; i++) {
        const char *org = i == 0 ? rec->actor_org : rec->recipients[i - 1];
        size_t len = org ? strlen(org) : 0;
        if (len == 0 || len > VN_ORG_MAX + 7) /* "sector:" entries of consents are longer ids */
            continue;
        memcpy(key, org, len + 1);
        vn_put_be64(key + len + 1, seq);
        MDB_val k = {len + 9, key};
        rc = remove ? mdb_del(txn, vn_store_dbi(db, BDB_IDX_ORG), &k, NULL)
                    : mdb_put(txn, vn_store_dbi(db, BDB_IDX_ORG), &k, &empty, 0);
    }
    return rc == MDB_NOTFOUND ? 0 : vn_store_error(rc);
}

int vn_audit_append(MDB_txn *txn, vn_store_t *db, Vn__AuditRecord *rec, uint64_t *seq_out,
                    uint8_t hash_out[32])
{
    assert(txn && db && rec);
    MDB_dbi audit = vn_store_dbi(db, BDB_AUDIT), meta = vn_store_dbi(db, BDB_META);
    uint64_t seq = 0; /* set by s_head; GCC -O2 without asserts cannot see it */
    uint8_t prev[32], hash[32], key[8], head[40], leaf[VN_HASH];
    int rc = s_head(txn, meta, &seq, prev);
    if (rc != 0)
        return rc;
    rec->version = VN_AUDIT_VERSION;
    rec->seq = ++seq;
    if (!rec->time_us)
        rec->time_us = vn_now_us();
    rec->prev_hash = (ProtobufCBinaryData){32, prev};
    size_t len = vn__audit_record__get_packed_size(rec);
    uint8_t *buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    vn__audit_record__pack(rec, buf);
    crypto_hash_sha256(hash, buf, len);
    vn_merkle_leaf_hash(buf, len, leaf);
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v = {len, buf};
    rc = vn_store_error(mdb_put(txn, audit, &k, &v, MDB_APPEND));
    free(buf);
    rec->prev_hash = (ProtobufCBinaryData){0, NULL}; /* prev lives on our stack */
    if (rc == 0)
        rc = s_tree_append(txn, db, seq - 1, leaf);
    if (rc == 0)
        rc = vn_audit__index(txn, db, rec, seq, 0);
    if (rc != 0)
        return rc;
    memcpy(head, key, 8);
    memcpy(head + 8, hash, 32);
    MDB_val hk = {strlen(HEAD_KEY), HEAD_KEY}, hv = {40, head};
    rc = vn_store_error(mdb_put(txn, meta, &hk, &hv, 0));
    if (rc != 0)
        return rc;
    if (seq_out)
        *seq_out = seq;
    if (hash_out)
        memcpy(hash_out, hash, 32);
    return 0;
}

uint64_t vn_audit_time_us(MDB_txn *txn, vn_store_t *db, uint64_t seq)
{
    uint8_t key[8];
    vn_put_be64(key, seq);
    MDB_val k = {8, key}, v;
    Vn__AuditRecord *r = mdb_get(txn, vn_store_dbi(db, BDB_AUDIT), &k, &v) == 0
                             ? vn__audit_record__unpack(NULL, v.mv_size, v.mv_data)
                             : NULL;
    uint64_t t = r ? r->time_us : 0;
    if (r)
        vn__audit_record__free_unpacked(r, NULL);
    return t;
}
