/* vn_audit_prune.c -- retention: old records lose their detail but keep their place in the tree. */
#include "vn_audit.h"
#include "vn_brokerdb.h"
#include "vn_error.h"
#include "vn_util.h"

#include <sodium.h>
#include <string.h>

int vn_audit_prune(MDB_txn *txn, vn_store_t *db, uint64_t before_us, uint64_t *pruned)
{
    uint64_t size;
    *pruned = 0;
    int rc = vn_audit_size(txn, db, &size);
    for (uint64_t seq = 1; rc == 0 && seq <= size; seq++) {
        uint8_t key[8], original[32], buf[128];
        vn_put_be64(key, seq);
        MDB_val k = {8, key}, v;
        if ((rc = vn_store_error(mdb_get(txn, vn_store_dbi(db, BDB_AUDIT), &k, &v))) != 0)
            break;
        Vn__AuditRecord *r = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
        if (!r) {
            rc = VN_E_CHAIN;
            break;
        }
        if (r->time_us >= before_us) { /* records are in time order: done */
            vn__audit_record__free_unpacked(r, NULL);
            break;
        }
        if (!r->pruned) {
            crypto_hash_sha256(original, v.mv_data, v.mv_size);
            rc = vn_audit__index(txn, db, r, seq, 1);
            Vn__AuditRecord stub = VN__AUDIT_RECORD__INIT;
            stub.version = VN_AUDIT_VERSION;
            stub.seq = seq;
            stub.time_us = r->time_us;
            stub.event = r->event;
            stub.prev_hash = r->prev_hash;
            stub.pruned = 1;
            stub.original_hash = (ProtobufCBinaryData){32, original};
            MDB_val nv = {vn__audit_record__pack(&stub, buf), buf};
            if (rc == 0)
                rc = vn_store_error(mdb_put(txn, vn_store_dbi(db, BDB_AUDIT), &k, &nv, 0));
            if (rc == 0)
                (*pruned)++;
        }
        vn__audit_record__free_unpacked(r, NULL);
    }
    return rc;
}
