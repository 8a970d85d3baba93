/* vn_brokerdb.c -- opening the broker's store and its counters. */
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include <string.h>

static const char *const s_names[] = {"meta", "orgs", "audit", "envelopes", "queue",
                                      "pending", "dedup", "expiry", "consents", "merkle",
                                      "checkpoints", "idx_subject", "idx_org", NULL};

vn_store_t *vn_brokerdb_open(const char *dir, size_t map_size, int flags, int *rc, char *err,
                             size_t errlen)
{
    return vn_store_open(dir, map_size, s_names, flags, rc, err, errlen);
}

int vn_meta_get_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t *out)
{
    MDB_val k = {strlen(name), (void *)name}, v;
    int rc = mdb_get(txn, meta, &k, &v);
    if (rc == MDB_NOTFOUND) {
        *out = 0;
        return 0;
    }
    if (rc != 0)
        return vn_store_error(rc);
    if (v.mv_size < 8)
        return VN_E_STORE;
    *out = vn_get_be64(v.mv_data);
    return 0;
}

int vn_meta_put_u64(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t value)
{
    uint8_t buf[8];
    vn_put_be64(buf, value);
    MDB_val k = {strlen(name), (void *)name}, v = {8, buf};
    return vn_store_error(mdb_put(txn, meta, &k, &v, 0));
}
