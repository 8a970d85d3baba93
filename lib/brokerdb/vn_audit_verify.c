/* vn_audit_verify.c -- checking the whole stored log: sequence, hash chain, Merkle leaves and every
 * signed checkpoint's root against the tree recomputed from the records. */
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(seq_, why_)            \
    do {                            \
        report->bad_seq = (seq_);   \
        report->why = (why_);       \
        rc = VN_E_CHAIN;            \
        goto done;                  \
    } while (0)

int vn_audit_verify(MDB_txn *txn, vn_store_t *db, const uint8_t *broker_sign_pk,
                    vn_audit_report_t *report)
{
    memset(report, 0, sizeof *report);
    uint64_t head_seq, expect = 1;
    uint8_t head_hash[32], prev[32] = {0};
    MDB_cursor *cur = NULL, *ccur = NULL;
    int rc = vn_audit_head(txn, db, &head_seq, head_hash);
    if (rc != 0) {
        report->why = "head record unreadable";
        return rc;
    }
    vn_merkle_range_t *range = malloc(sizeof *range);
    if (!range)
        return -ENOMEM;
    vn_merkle_range_init(range);
    vn_audit_tree_t tree = {txn, db};
    MDB_val k, v, ck, cv;
    if ((rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_AUDIT), &cur))) != 0 ||
        (rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_CHECKPOINTS), &ccur))) != 0)
        goto done;
    /* Checkpoints are visited in size order alongside the records. */
    int crc = mdb_cursor_get(ccur, &ck, &cv, MDB_FIRST);
    int mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
    for (;;) {
        /* Check every checkpoint whose size the recomputed tree has reached. */
        while (crc == 0 && ck.mv_size == 8 && vn_get_be64(ck.mv_data) <= range->size) {
            uint64_t size = vn_get_be64(ck.mv_data);
            vn_checkpoint_t cp;
            /* The stored value is the signing time (8 bytes) and the note as handed out. */
            rc = cv.mv_size > 8 ? vn_checkpoint_open((const uint8_t *)cv.mv_data + 8, cv.mv_size - 8,
                                                     NULL, broker_sign_pk, &cp)
                                : VN_E_MALFORMED;
            if (rc == VN_E_BAD_SIGNATURE)
                FAIL(size, "a checkpoint's signature is not the broker's");
            if (rc == VN_E_INVALID)
                FAIL(size, "a checkpoint names another log (its origin is not a vangnet broker's)");
            if (rc != 0 || cp.size != size)
                FAIL(size, "a checkpoint is damaged");
            uint8_t root[VN_HASH];
            vn_merkle_range_root(range, root);
            if (memcmp(root, cp.root, VN_HASH) != 0)
                FAIL(size, "the records up to this signed checkpoint were changed, removed or "
                           "reordered after it was signed");
            report->checkpoints++;
            report->latest_size = size;
            memcpy(report->latest_root, root, VN_HASH);
            crc = mdb_cursor_get(ccur, &ck, &cv, MDB_NEXT);
        }
        if (mrc != 0)
            break;
        uint64_t seq = k.mv_size == 8 ? vn_get_be64(k.mv_data) : 0;
        Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
        int pruned = r && r->pruned && r->original_hash.len == 32;
        uint8_t original[32];
        if (pruned)
            memcpy(original, r->original_hash.data, 32);
        const char *why = seq != expect ? "record missing or out of order"
                          : !r ? "record does not decode"
                          : r->version != VN_AUDIT_VERSION ? "record has an unknown version"
                          : r->seq != seq ? "record's own sequence number differs from its position"
                          : r->prev_hash.len != 32 || memcmp(r->prev_hash.data, prev, 32) != 0
                              ? "previous-hash link broken (a record before it was changed or removed)"
                              : NULL;
        if (r)
            vn__audit_record__free_unpacked(r, NULL);
        if (why)
            FAIL(expect, why);
        uint8_t leaf[VN_HASH], stored[VN_HASH];
        if (vn_audit_node(&tree, 0, seq - 1, stored) != 0)
            FAIL(seq, "record has no leaf in the Merkle tree");
        if (pruned) {
            /* Detail removed after retention: its leaf stays, covered by the checkpoints. */
            memcpy(leaf, stored, VN_HASH);
            memcpy(prev, original, 32);
            report->pruned++;
        } else {
            vn_merkle_leaf_hash(v.mv_data, v.mv_size, leaf);
            if (memcmp(leaf, stored, VN_HASH) != 0)
                FAIL(seq, "record differs from its leaf in the Merkle tree");
            crypto_hash_sha256(prev, v.mv_data, v.mv_size);
        }
        vn_merkle_range_append(range, leaf);
        report->records++;
        expect++;
        mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    if (mrc != MDB_NOTFOUND) {
        rc = vn_store_error(mrc);
        goto done;
    }
    if (crc == 0)
        FAIL(range->size + 1, "log truncated: a signed checkpoint covers records that are gone");
    if (report->records != head_seq || (head_seq && memcmp(prev, head_hash, 32) != 0))
        FAIL(report->records + 1, report->records < head_seq
                                      ? "log truncated: head names later records"
                                      : "last record differs from the head hash");
    rc = 0;
done:
    if (cur)
        mdb_cursor_close(cur);
    if (ccur)
        mdb_cursor_close(ccur);
    free(range);
    return rc;
}
