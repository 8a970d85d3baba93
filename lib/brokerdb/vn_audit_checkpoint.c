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

/* Stored checkpoints: key = size (8 bytes, big-endian), value = signing time (8 bytes, unix
 * microseconds, big-endian) followed by the checkpoint note exactly as signed and handed out. */
static int s_checkpoint_value(const MDB_val *v, uint8_t **note, size_t *len, uint64_t *time)
{
    if (v->mv_size <= 8)
        return VN_E_CHAIN;
    if (time)
        *time = vn_get_be64(v->mv_data);
    if (note) {
        *len = v->mv_size - 8;
        *note = malloc(*len + 1);
        if (!*note)
            return -ENOMEM;
        memcpy(*note, (const uint8_t *)v->mv_data + 8, *len);
        (*note)[*len] = 0;
    }
    return 0;
}

int vn_audit_checkpoint_at(MDB_txn *txn, vn_store_t *db, uint64_t size, uint8_t **note,
                           size_t *len, uint64_t *time, uint64_t nearest[2])
{
    MDB_cursor *cur;
    uint8_t key[8];
    vn_put_be64(key, size);
    MDB_val k = {8, key}, v;
    if (nearest)
        nearest[0] = nearest[1] = 0;
    int rc = vn_store_error(mdb_cursor_open(txn, vn_store_dbi(db, BDB_CHECKPOINTS), &cur));
    if (rc != 0)
        return rc;
    int mrc = mdb_cursor_get(cur, &k, &v, size ? MDB_SET_RANGE : MDB_LAST);
    if (mrc == 0 && k.mv_size == 8 && (size == 0 || vn_get_be64(k.mv_data) == size)) {
        rc = s_checkpoint_value(&v, note, len, time);
    } else {
        rc = mrc == 0 || mrc == MDB_NOTFOUND ? VN_E_NOT_FOUND : vn_store_error(mrc);
        if (nearest && size) {
            nearest[1] = mrc == 0 && k.mv_size == 8 ? vn_get_be64(k.mv_data) : 0;
            if (mdb_cursor_get(cur, &k, &v, mrc == 0 ? MDB_PREV : MDB_LAST) == 0 && k.mv_size == 8)
                nearest[0] = vn_get_be64(k.mv_data);
        }
    }
    mdb_cursor_close(cur);
    return rc;
}

int vn_audit_latest_checkpoint(MDB_txn *txn, vn_store_t *db, uint8_t **out, size_t *len)
{
    return vn_audit_checkpoint_at(txn, db, 0, out, len, NULL, NULL);
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
        vn_checkpoint_t prev;
        /* Our own last checkpoint: what matters is its size and root, re-derived below. */
        rc = vn_checkpoint_open(last, last_len, NULL, NULL, &prev);
        free(last);
        if (rc != 0)
            return VN_E_CHAIN;
        /* Never sign two inconsistent checkpoints: the last one must still hold. */
        uint8_t again[VN_HASH];
        int same = prev.size <= size && vn_merkle_root(vn_audit_node, &t, prev.size, again) == 0 &&
                   memcmp(again, prev.root, VN_HASH) == 0;
        if (!same)
            return VN_E_CHAIN;
        if (prev.size == size)
            return 0;
    } else if (rc != VN_E_NOT_FOUND) {
        return rc;
    }
    if ((rc = vn_merkle_root(vn_audit_node, &t, size, root)) != 0)
        return rc;
    uint8_t out[8 + VN_CHECKPOINT_MAX], key[8];
    int len = vn_checkpoint_sign(broker->pub.org, size, root, broker->sign_sk, (char *)out + 8);
    if (len < 0)
        return len;
    vn_put_be64(out, vn_now_us());
    vn_put_be64(key, size);
    MDB_val k = {8, key}, v = {8 + (size_t)len, out};
    rc = vn_store_error(mdb_put(txn, vn_store_dbi(db, BDB_CHECKPOINTS), &k, &v, MDB_APPEND));
    if (rc == 0)
        *signed_size = size;
    return rc;
}
