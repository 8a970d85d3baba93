/* vn_audit_checkpoint.c -- the broker's signed checkpoints in its store: sign one when the tree grew
 * (never two that contradict each other), and read the newest. */
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_checkpoint.h"
#include "vn_error.h"
#include "vn_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int vn_audit_latest_checkpoint(MDB_txn *txn, vn_store_t *db, uint8_t **out, size_t *len)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_CHECKPOINTS), &cur));
    if (rc != 0)
        return rc;
    rc = vn_store_error(mdb_cursor_get(cur, &k, &v, MDB_LAST));
    if (rc == 0) {
        *out = malloc(v.mv_size ? v.mv_size : 1);
        if (*out) {
            memcpy(*out, v.mv_data, v.mv_size);
            *len = v.mv_size;
        } else {
            rc = -ENOMEM;
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

int vn_audit_checkpoint(MDB_txn *txn, vn_store_t *db, const vn_keyset_t *broker,
                        uint64_t *signed_size)
{
    uint64_t size;
    uint8_t root[VN_HASH];
    *signed_size = 0;
    int rc = vn_audit_size(txn, db, &size);
    if (rc != 0 || size == 0)
        return rc;
    vn_audit_tree_t t = {txn, db};
    uint8_t *last = NULL;
    size_t last_len = 0;
    rc = vn_audit_latest_checkpoint(txn, db, &last, &last_len);
    if (rc == 0) {
        Vn__Checkpoint *prev;
        /* Our own last checkpoint: what matters is its size and root, re-derived below. */
        rc = vn_checkpoint_open(last, last_len, NULL, &prev);
        free(last);
        if (rc != 0)
            return rc;
        /* Never sign two inconsistent checkpoints: the last one must still hold. */
        uint8_t again[VN_HASH];
        int same = vn_merkle_root(vn_audit_node, &t, prev->size, again) == 0 &&
                   prev->size <= size && memcmp(again, prev->root.data, VN_HASH) == 0;
        uint64_t prev_size = prev->size;
        vn__checkpoint__free_unpacked(prev, NULL);
        if (!same)
            return VN_E_CHAIN;
        if (prev_size == size)
            return 0;
    } else if (rc != VN_E_NOT_FOUND) {
        return rc;
    }
    if ((rc = vn_merkle_root(vn_audit_node, &t, size, root)) != 0)
        return rc;
    uint8_t out[VN_CHECKPOINT_MAX], key[8];
    size_t outlen = vn_checkpoint_sign(broker->pub.org, size, root, vn_now(), broker->sign_sk, out);
    vn_put_be64(key, size);
    MDB_val k = {8, key}, v = {outlen, out};
    rc = vn_store_error(mdb_put(txn, vn_store_dbi(db, BDB_CHECKPOINTS), &k, &v, MDB_APPEND));
    if (rc == 0)
        *signed_size = size;
    return rc;
}
