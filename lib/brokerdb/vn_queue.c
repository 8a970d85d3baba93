/* vn_queue.c -- encoding, decoding and walking the broker's durable queue (layout in vn_queue.h). */
#include "vn_queue.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include "signal.pb-c.h"
#include "wire.pb-c.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QKEY_MAX (VN_ORG_MAX + 1 + 16)

/* org NUL suffix: the QUEUE and PENDING key shape. Returns the key length. */
static size_t s_org_key(uint8_t *out, const char *org, const uint8_t *suffix, size_t suffix_len)
{
    size_t n = strnlen(org, VN_ORG_MAX) + 1;
    memcpy(out, org, n - 1);
    out[n - 1] = '\0';
    memcpy(out + n, suffix, suffix_len);
    return n + suffix_len;
}

static int s_put(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t kl, const void *v, size_t vl)
{
    MDB_val key = {kl, (void *)k}, val = {vl, (void *)v};
    return vn_store_error(mdb_put(txn, dbi, &key, &val, 0));
}

static int s_next_qseq(MDB_txn *txn, vn_store_t *db, uint64_t *qseq)
{
    int rc = vn_meta_get_u64(txn, vn_store_dbi(db, BDB_META), "queue_seq", qseq);
    if (rc == 0)
        rc = vn_meta_put_u64(txn, vn_store_dbi(db, BDB_META), "queue_seq", ++*qseq);
    return rc;
}

/* Add one entry: QUEUE org NUL qseq -> kind payload, PENDING org NUL id -> qseq. */
static int s_enqueue(MDB_txn *txn, vn_store_t *db, const char *org, uint8_t kind,
                     const uint8_t *id, size_t id_len, const uint8_t *payload, size_t payload_len)
{
    uint64_t qseq;
    uint8_t key[QKEY_MAX], be[8], *val = malloc(1 + payload_len);
    if (!val)
        return -ENOMEM;
    int rc = s_next_qseq(txn, db, &qseq);
    vn_put_be64(be, qseq);
    val[0] = kind;
    memcpy(val + 1, payload, payload_len);
    size_t kl = s_org_key(key, org, be, 8);
    if (rc == 0)
        rc = s_put(txn, vn_store_dbi(db, BDB_QUEUE), key, kl, val, 1 + payload_len);
    free(val);
    kl = s_org_key(key, org, id, id_len);
    if (rc == 0)
        rc = s_put(txn, vn_store_dbi(db, BDB_PENDING), key, kl, be, 8);
    return rc;
}

int vn_queue_put_delivery(MDB_txn *txn, vn_store_t *db, const char *org, uint64_t seq)
{
    uint8_t be[8];
    vn_put_be64(be, seq);
    return s_enqueue(txn, db, org, VN_QUEUE_DELIVERY, be, 8, be, 8);
}

int vn_queue_notice_id(MDB_txn *txn, vn_store_t *db, uint8_t id[16])
{
    uint64_t qseq;
    int rc = s_next_qseq(txn, db, &qseq);
    if (rc == 0) {
        vn_put_be64(id, qseq);
        vn_random_id_bytes(id + 8, 8);
    }
    return rc;
}

/* A notice goes where its id says: no PENDING entry (one random B-tree insert fewer per notice;
 * docs/performance.md, "Signals at scale"). Only a position already handed out by
 * vn_queue_notice_id and not yet taken is accepted, so the queue stays in arrival order. */
static int s_enqueue_notice(MDB_txn *txn, vn_store_t *db, const char *org, uint8_t kind,
                            const uint8_t id[16], const uint8_t *payload, size_t payload_len)
{
    uint64_t last, qseq = vn_get_be64(id);
    int rc = vn_meta_get_u64(txn, vn_store_dbi(db, BDB_META), "queue_seq", &last);
    if (rc != 0)
        return rc;
    if (qseq == 0 || qseq > last)
        return VN_E_INVALID;
    uint8_t key[QKEY_MAX], *val = malloc(1 + payload_len);
    if (!val)
        return -ENOMEM;
    val[0] = kind;
    memcpy(val + 1, payload, payload_len);
    MDB_val k = {s_org_key(key, org, id, 8), key}, v = {1 + payload_len, val};
    rc = mdb_put(txn, vn_store_dbi(db, BDB_QUEUE), &k, &v, MDB_NOOVERWRITE);
    free(val);
    return rc == MDB_KEYEXIST ? VN_E_INVALID : vn_store_error(rc);
}

int vn_queue_put_notice(MDB_txn *txn, vn_store_t *db, const char *org, const uint8_t id[16],
                        const uint8_t *notice, size_t len)
{
    return s_enqueue_notice(txn, db, org, VN_QUEUE_NOTICE, id, notice, len);
}

int vn_queue_put_match_notice(MDB_txn *txn, vn_store_t *db, const char *org, const uint8_t id[16],
                              const uint8_t *notice, size_t len)
{
    return s_enqueue_notice(txn, db, org, VN_QUEUE_MATCH_NOTICE, id, notice, len);
}

/* Drop one queued entry of org found by its PENDING suffix (seq(be64) or a notice id). */
static int s_drop(MDB_txn *txn, vn_store_t *db, const char *org, const uint8_t *id, size_t id_len,
                  int *found)
{
    uint8_t key[QKEY_MAX], qkey[QKEY_MAX];
    size_t kl = s_org_key(key, org, id, id_len);
    MDB_val k = {kl, key}, v;
    *found = 0;
    int rc = mdb_get(txn, vn_store_dbi(db, BDB_PENDING), &k, &v);
    if (rc == MDB_NOTFOUND)
        return 0; /* a repeated ack */
    if (rc != 0 || v.mv_size != 8)
        return VN_E_STORE;
    size_t ql = s_org_key(qkey, org, v.mv_data, 8);
    MDB_val qk = {ql, qkey};
    rc = mdb_del(txn, vn_store_dbi(db, BDB_QUEUE), &qk, NULL);
    if (rc == 0 || rc == MDB_NOTFOUND)
        rc = mdb_del(txn, vn_store_dbi(db, BDB_PENDING), &k, NULL);
    *found = rc == 0;
    return vn_store_error(rc);
}

int vn_queue_drop_delivery(MDB_txn *txn, vn_store_t *db, const char *org, uint64_t seq,
                           int *found)
{
    uint8_t be[8];
    vn_put_be64(be, seq);
    return s_drop(txn, db, org, be, 8, found);
}

/* Whether the packed (match) notice of a queue value carries id. */
static int s_has_notice_id(const MDB_val *v, const uint8_t id[16])
{
    const uint8_t *val = v->mv_data;
    if (v->mv_size < 1)
        return 0;
    int has = 0;
    if (val[0] == VN_QUEUE_NOTICE) {
        Vn__Notice *n = vn__notice__unpack(NULL, v->mv_size - 1, val + 1);
        has = n && n->notice_id.len == 16 && memcmp(n->notice_id.data, id, 16) == 0;
        if (n)
            vn__notice__free_unpacked(n, NULL);
    } else if (val[0] == VN_QUEUE_MATCH_NOTICE) {
        Vn__MatchNotice *n = vn__match_notice__unpack(NULL, v->mv_size - 1, val + 1);
        has = n && n->notice_id.len == 16 && memcmp(n->notice_id.data, id, 16) == 0;
        if (n)
            vn__match_notice__free_unpacked(n, NULL);
    }
    return has;
}

int vn_queue_drop_notice(MDB_txn *txn, vn_store_t *db, const char *org, const uint8_t id[16],
                         int *found)
{
    /* Queued before notice ids located their entry: found through PENDING. */
    int rc = s_drop(txn, db, org, id, 16, found);
    if (rc != 0 || *found)
        return rc;
    uint8_t key[QKEY_MAX];
    MDB_val k = {s_org_key(key, org, id, 8), key}, v;
    rc = mdb_get(txn, vn_store_dbi(db, BDB_QUEUE), &k, &v);
    /* Nothing there, or another entry (a guessed or stale id): a repeated ack finds none. */
    if (rc == MDB_NOTFOUND || (rc == 0 && !s_has_notice_id(&v, id)))
        return 0;
    if (rc == 0)
        rc = mdb_del(txn, vn_store_dbi(db, BDB_QUEUE), &k, NULL);
    *found = rc == 0;
    return vn_store_error(rc);
}

int vn_queue_waiting(MDB_txn *txn, vn_store_t *db, const char *org, uint64_t seq)
{
    uint8_t key[QKEY_MAX], be[8];
    vn_put_be64(be, seq);
    size_t kl = s_org_key(key, org, be, 8);
    MDB_val k = {kl, key}, v;
    return mdb_get(txn, vn_store_dbi(db, BDB_PENDING), &k, &v) == 0;
}

int vn_queue_iter_open(MDB_txn *txn, vn_store_t *db, const char *org, uint64_t from,
                       vn_queue_iter_t *it)
{
    memset(it, 0, sizeof *it);
    if (org) {
        snprintf(it->org, sizeof it->org, "%s", org);
        it->prefix = strlen(it->org) + 1;
    }
    it->from = from;
    return vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_QUEUE), &it->cur));
}

int vn_queue_iter_next(vn_queue_iter_t *it, vn_queue_entry_t *e)
{
    MDB_val k, v;
    uint8_t start[VN_ORG_MAX + 1 + 8];
    for (;;) {
        int rc;
        if (!it->started && it->prefix) {
            memcpy(start, it->org, it->prefix);
            vn_put_be64(start + it->prefix, it->from);
            k = (MDB_val){it->prefix + 8, start};
            rc = mdb_cursor_get(it->cur, &k, &v, MDB_SET_RANGE);
        } else {
            rc = mdb_cursor_get(it->cur, &k, &v, it->started ? MDB_NEXT : MDB_FIRST);
        }
        it->started = 1;
        if (rc == MDB_NOTFOUND)
            return 0;
        if (rc != 0)
            return vn_store_error(rc);
        size_t olen = strnlen(k.mv_data, k.mv_size);
        int shaped = olen <= VN_ORG_MAX && olen + 9 == k.mv_size;
        if (it->prefix) {
            /* Past the end of this org's queue. */
            if (!shaped || olen + 1 != it->prefix || memcmp(k.mv_data, it->org, olen) != 0)
                return 0;
        } else if (!shaped) {
            continue; /* never written by this file */
        }
        memset(e, 0, sizeof *e);
        memcpy(e->org, k.mv_data, olen);
        e->qseq = vn_get_be64((uint8_t *)k.mv_data + olen + 1);
        const uint8_t *val = v.mv_data;
        if (v.mv_size == 9 && val[0] == VN_QUEUE_DELIVERY) {
            e->kind = VN_QUEUE_DELIVERY;
            e->seq = vn_get_be64(val + 1);
        } else if (v.mv_size >= 1 &&
                   (val[0] == VN_QUEUE_NOTICE || val[0] == VN_QUEUE_MATCH_NOTICE)) {
            e->kind = val[0];
            e->notice = val + 1;
            e->notice_len = v.mv_size - 1;
        } else {
            e->kind = VN_QUEUE_DAMAGED;
        }
        return 1;
    }
}

void vn_queue_iter_close(vn_queue_iter_t *it)
{
    if (it->cur)
        mdb_cursor_close(it->cur);
    it->cur = NULL;
}
