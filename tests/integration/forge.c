/* forge.c -- plays a malicious broker for tests: rewrites one old audit record, rebuilds the
 * hash chain and the Merkle tree, and signs fresh checkpoints with the broker's own key, so that
 * the log verifies on the broker's disk. Only auditors holding older checkpoints can tell. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vn_audit.h"
#include "vn_brokerdb.h"

int main(int argc, char **argv)
{
    if (argc != 4 || sodium_init() < 0) {
        fprintf(stderr, "usage: vn-forge DATA BROKER.secret SEQ\n");
        return 2;
    }
    char err[1024];
    int rc;
    uint64_t target = strtoull(argv[3], NULL, 10);
    vn_keyset_t *broker;
    if (vn_keyset_load(argv[2], &broker, err, sizeof err) != 0) {
        fprintf(stderr, "vn-forge: %s\n", err);
        return 1;
    }
    vn_store_t *db = vn_brokerdb_open(argv[1], 0, 0, &rc, err, sizeof err);
    MDB_txn *txn;
    if (!db || vn_store_begin(db, 0, &txn) != 0) {
        fprintf(stderr, "vn-forge: %s\n", err);
        return 1;
    }
    /* Take every record out, then write the log again with one of them changed. */
    size_t n = 0, cap = 1024;
    Vn__AuditRecord **recs = calloc(cap, sizeof *recs);
    MDB_cursor *cur;
    MDB_val k, v;
    mdb_cursor_open(txn, vn_store_dbi(db, BDB_AUDIT), &cur);
    for (int m = mdb_cursor_get(cur, &k, &v, MDB_FIRST); m == 0 && n < cap;
         m = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
        recs[n++] = vn__audit_record__unpack(NULL, v.mv_size, v.mv_data);
    mdb_cursor_close(cur);
    mdb_drop(txn, vn_store_dbi(db, BDB_AUDIT), 0);
    mdb_drop(txn, vn_store_dbi(db, BDB_MERKLE), 0);
    mdb_drop(txn, vn_store_dbi(db, BDB_CHECKPOINTS), 0);
    MDB_val hk = {10, "audit_head"};
    mdb_del(txn, vn_store_dbi(db, BDB_META), &hk, NULL);
    for (size_t i = 0; i < n; i++) {
        char *outcome = recs[i]->outcome, *basis = recs[i]->basis;
        ProtobufCBinaryData prev = recs[i]->prev_hash; /* vn_audit_append replaces it */
        if (recs[i]->seq == target) {
            recs[i]->outcome = "forged-outcome";
            recs[i]->basis = "forged-basis";
        }
        rc = vn_audit_append(txn, db, recs[i], NULL, NULL);
        recs[i]->outcome = outcome; /* give the decoder its own strings back before freeing */
        recs[i]->basis = basis;
        recs[i]->prev_hash = prev;
        vn__audit_record__free_unpacked(recs[i], NULL);
        if (rc != 0) {
            fprintf(stderr, "vn-forge: append failed\n");
            return 1;
        }
    }
    free(recs);
    uint64_t signed_size;
    if (vn_audit_checkpoint(txn, db, broker, &signed_size) != 0 || vn_store_commit(txn) != 0) {
        fprintf(stderr, "vn-forge: cannot sign or commit\n");
        return 1;
    }
    printf("rewrote record %llu of %zu and signed a checkpoint of size %llu\n",
           (unsigned long long)target, n, (unsigned long long)signed_size);
    vn_store_destroy(&db);
    vn_keyset_destroy(&broker);
    return 0;
}
